//! The layout walker: one function places every cell of a model, written against [`Sink`], so
//! that the real synthesis ([`RegionSink`]), the sizing dry run ([`CountingSink`]) and the
//! free-cell audit ([`super::audit`]) run the same code. Circuits are sized by this dry run,
//! never by retrying on failure.
//!
//! Every advice cell a gate reads is copied from a constrained cell, range-checked as a limb of
//! a decomposition, or determined by a gate; the only free cells are the declared witness roots
//! ([`Root`]). In particular the padding of a row (a dot-product row's unused inputs have weight
//! 0; a product row's unused pairs are copies of a constrained zero: issue 14, where a free pair
//! `(d, 1)` added any `d` to an output) is never free.

use super::commit;
use super::{fr_from_i128, ModelConfig};
use crate::hash::Tensor;
use crate::ir::Activation;
use crate::quant::{NeuronTrace, QuantModel, Trace};
use crate::visibility::{InputWires, Visibility};
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, Error, Fixed, Selector};
use std::ops::Range;

/// A free witness cell: what the prover chooses. Every other cell a gate reads is determined by
/// these, the fixed columns and the public instances (checked by [`super::audit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Root {
    /// A private input's value.
    PrivateInput,
    /// A limb of a hashed input's or hashed weights' value (the value is determined by its limbs).
    Limb(Tensor),
    /// A commitment's salt.
    Salt(Tensor),
}

/// Where the layout writes.
pub trait Sink {
    /// A handle to an assigned cell.
    type Cell: Clone;
    /// Assigns an advice cell.
    fn advice(&mut self, col: Column<Advice>, row: usize, v: Value<Fr>) -> Self::Cell;
    /// Assigns a fixed cell.
    fn fixed(&mut self, col: Column<Fixed>, row: usize, v: Fr);
    /// Enables a selector.
    fn enable(&mut self, sel: Selector, row: usize) -> Result<(), Error>;
    /// Constrains two cells equal.
    fn copy(&mut self, a: &Self::Cell, b: &Self::Cell);
    /// Declares `cell` a free witness cell (the audit's roots). Does nothing by default.
    fn root(&mut self, _cell: &Self::Cell, _root: Root) {}
}

/// What a run of rows holds (for reports that name a cell's place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The public rows, one per instance.
    Public,
    /// Output `output` of layer `layer`: its dot-product rows, its product rows (`mul`) and its
    /// rescale row.
    Output {
        /// The layer.
        layer: usize,
        /// The output within the layer.
        output: usize,
        /// Its product rows.
        mul: Range<usize>,
        /// Its rescale + activation row.
        rescale: usize,
    },
    /// The constrained zero the padding copies when no commitment provides one.
    ZeroOutput,
    /// A private input's cells.
    PrivateInput,
    /// A tensor's commitment chips.
    Commitment(Tensor),
}

/// A run of rows and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The rows.
    pub rows: Range<usize>,
    /// What they hold.
    pub part: Part,
}

/// What the layout leaves for the caller.
#[derive(Debug)]
pub struct Bindings {
    /// Rows used by the region.
    pub rows: usize,
    /// Of those, rows of the tensor commitments (sponge and packing of a hashed input, output or
    /// weights).
    pub commitment_rows: usize,
    /// Of those, the weights' commitment rows.
    pub weight_commitment_rows: usize,
    /// Where every part of the model was placed.
    pub spans: Vec<Span>,
}

/// Synthesis into a halo2 region.
#[derive(Debug)]
pub struct RegionSink<'a, 'r> {
    /// The region.
    pub region: &'a mut Region<'r, Fr>,
}

impl Sink for RegionSink<'_, '_> {
    type Cell = Cell;
    fn advice(&mut self, col: Column<Advice>, row: usize, v: Value<Fr>) -> Cell {
        self.region.assign_advice(col, row, v).cell()
    }
    fn fixed(&mut self, col: Column<Fixed>, row: usize, v: Fr) {
        self.region.assign_fixed(col, row, v);
    }
    fn enable(&mut self, sel: Selector, row: usize) -> Result<(), Error> {
        sel.enable(self.region, row)
    }
    fn copy(&mut self, a: &Cell, b: &Cell) {
        self.region.constrain_equal(*a, *b);
    }
}

/// Dry run: counts rows and cells, assigns nothing.
#[derive(Debug, Default)]
pub struct CountingSink {
    /// One past the highest row touched.
    pub rows: usize,
    /// Advice cells assigned.
    pub advice_cells: usize,
    /// Copy constraints.
    pub copies: usize,
    /// `(selector index, row)` of every enabled selector (for selector compression).
    pub enabled: Vec<(usize, usize)>,
}

impl CountingSink {
    fn touch(&mut self, row: usize) {
        self.rows = self.rows.max(row + 1);
    }
}

impl Sink for CountingSink {
    type Cell = ();
    fn advice(&mut self, _: Column<Advice>, row: usize, _: Value<Fr>) {
        self.touch(row);
        self.advice_cells += 1;
    }
    fn fixed(&mut self, _: Column<Fixed>, row: usize, _: Fr) {
        self.touch(row);
    }
    fn enable(&mut self, sel: Selector, row: usize) -> Result<(), Error> {
        self.touch(row);
        self.enabled.push((sel.index(), row));
        Ok(())
    }
    fn copy(&mut self, _: &(), _: &()) {
        self.copies += 1;
    }
}

/// Places the whole model. `trace` is `None` at key generation.
///
/// Rows `0..m` are the public rows, one per instance (`x[0] = instance`, gate `public`; row 0
/// instead pins the instance to the model commitment in `w[0]`, unless the weights are hashed):
/// the commitment, the binding, the input (values, commitment or none), the outputs. The model's
/// outputs follow, each reading its bias from `w[0]` on the row above its first row (hashed
/// weights: from its rescale row's `x[2]`); then, when product rows are padded and no tensor is
/// hashed, a zero output (the padding's constrained zero); then a row with `acc = 0`; then, for
/// a hashed input, the commitment chips ([`super::commit`]), for a private one its cells; then
/// the hashed weights' commitment; then a hashed output's.
pub fn assign<S: Sink>(cfg: &ModelConfig, model: &QuantModel, trace: Option<&Trace>, sink: &mut S) -> Result<Bindings, Error> {
    let mut walk = Walk::new(cfg, model, trace, sink);
    let (row0, public) = walk.public_rows()?;
    let slots = model.weight_slots();
    for ((li, layer), layer_slots) in model.layers.iter().enumerate().zip(&slots) {
        for (o, slot) in layer_slots.iter().enumerate() {
            let spec = OutputSpec {
                terms: &layer.rows[o],
                prods: layer.prods_of(o),
                bias: layer.bias[o],
                activation: layer.activation,
                first_weight: slot.filter(|_| walk.hashed_weights()),
                neuron: trace.map(|t| t.layers[li][o].clone()),
                part: Part::Output { layer: li, output: o, mul: 0..0, rescale: 0 },
            };
            let out = walk.output(spec)?;
            walk.sources.push(Some(out));
        }
    }
    walk.after_model(row0, &public)
}

/// One output's rows.
struct OutputSpec<'m> {
    terms: &'m [(usize, i64)],
    prods: &'m [(usize, usize)],
    bias: i64,
    activation: Activation,
    /// Hashed weights: where its weights start among the committed ones.
    first_weight: Option<usize>,
    neuron: Option<NeuronTrace>,
    part: Part,
}

/// The walker's state.
struct Walk<'a, S: Sink> {
    cfg: &'a ModelConfig,
    model: &'a QuantModel,
    trace: Option<&'a Trace>,
    sink: &'a mut S,
    row: usize,
    /// The row whose `w[0]` holds the next output's bias (gates `public`, `rescale`).
    bias_row: usize,
    /// Where every wire's value lives: public inputs in their public rows, hashed or private
    /// ones in cells placed after the model (reads of them wait in `pending`), layer outputs.
    sources: Vec<Option<S::Cell>>,
    pending: Vec<(S::Cell, usize)>,
    /// Which input wires are public, hashed and private.
    input_wires: InputWires,
    /// Hashed weights: cells reading committed weight `j` ([`QuantModel::committed_weights`]).
    weight_reads: Vec<(S::Cell, usize)>,
    /// Cells that must be a constrained zero: product-row padding, and with hashed weights the
    /// bias cells of pinned layers.
    zero_reads: Vec<S::Cell>,
    spans: Vec<Span>,
}

impl<'a, S: Sink> Walk<'a, S> {
    fn new(cfg: &'a ModelConfig, model: &'a QuantModel, trace: Option<&'a Trace>, sink: &'a mut S) -> Self {
        Self {
            cfg,
            model,
            trace,
            sink,
            row: 0,
            bias_row: 0,
            sources: Vec::new(),
            pending: Vec::new(),
            input_wires: cfg.shape.input_wires(model),
            weight_reads: Vec::new(),
            zero_reads: Vec::new(),
            spans: Vec::new(),
        }
    }

    fn hashed_weights(&self) -> bool {
        self.cfg.shape.hashed_weights()
    }

    /// A witness value (unknown at key generation).
    fn known(&self, f: impl FnOnce(&Trace) -> Fr) -> Value<Fr> {
        self.trace.map_or(Value::unknown(), |t| Value::known(f(t)))
    }

    /// The value on wire `w` (0 at key generation).
    fn value(&self, w: usize) -> i64 {
        self.trace.map_or(0, |t| t.wire(w))
    }

    /// A zero advice cell (its value does not depend on the witness).
    fn zero(&mut self, col: Column<Advice>, row: usize) -> S::Cell {
        self.sink.advice(col, row, Value::known(Fr::zero()))
    }

    /// A tensor's commitment as the witness computes it, whether or not every value is in range
    /// (`ModelCircuit::instances` refuses out-of-range values; the circuit's lookup fails them).
    fn commitment(&self, tensor: Tensor, t: &Trace) -> Fr {
        let values = if tensor == Tensor::Input { InputWires::pick(&t.input, &self.input_wires.hashed) } else { t.output() };
        crate::hash::commit_unchecked(tensor, &values, self.cfg.shape.packing_bits(), t.salt)
    }

    /// Rows `0..m`: row 0 the model commitment, then the binding, the input and the outputs,
    /// each `x[0]` equal to its instance (`w[1] = 1`). Returns row 0's cell and the others'.
    fn public_rows(&mut self) -> Result<(S::Cell, Vec<S::Cell>), Error> {
        let (cfg, model, shape) = (self.cfg, self.model, self.cfg.shape);
        // Fixed weights: instance 0 = w[0], a constant of the verifying key (w[1] = 0). Hashed
        // weights: instance 0 = x[0] (w[1] = 1), a copy of the weights' commitment.
        self.sink.enable(cfg.q_pub, 0)?;
        let row0 = if self.hashed_weights() {
            let values = model.committed_weights();
            self.sink.fixed(cfg.w[1], 0, Fr::one());
            let v = self.known(|t| crate::hash::commit_unchecked(Tensor::Weights, &values, shape.packing_bits(), t.weight_salt));
            self.sink.advice(cfg.x[0], 0, v)
        } else {
            self.sink.fixed(cfg.w[0], 0, super::commitment_fr(model));
            self.zero(cfg.x[0], 0)
        };
        let first_output_row = 2 + shape.input_instances(model);
        let public_rows = first_output_row + shape.output_instances(model);
        let mut public = Vec::with_capacity(public_rows - 1);
        for r in 1..public_rows {
            self.sink.enable(cfg.q_pub, r)?;
            self.sink.fixed(cfg.w[1], r, Fr::one());
            let v = match r {
                1 => self.known(|t| t.binding),
                _ if r < first_output_row => match self.input_wires.public.get(r - 2) {
                    Some(w) => self.known(|t| fr_from_i128(i128::from(t.wire(*w)))),
                    None => self.known(|t| self.commitment(Tensor::Input, t)),
                },
                _ => match shape.visibility.output {
                    Visibility::Public => self.known(|t| fr_from_i128(i128::from(t.wire(model.outputs[r - first_output_row])))),
                    _ => self.known(|t| self.commitment(Tensor::Output, t)),
                },
            };
            public.push(self.sink.advice(cfg.x[0], r, v));
            self.zero(cfg.acc, r);
        }
        for r in 0..public_rows {
            self.zero(cfg.z, r);
        }
        self.sources = vec![None; model.input_len()];
        for (j, w) in self.input_wires.public.iter().enumerate() {
            *self.sources.get_mut(*w).ok_or(Error::Synthesis)? = Some(public.get(1 + j).ok_or(Error::Synthesis)?.clone());
        }
        self.row = public_rows;
        self.bias_row = public_rows - 1;
        self.spans.push(Span { rows: 0..public_rows, part: Part::Public });
        Ok((row0, public))
    }

    /// Places the cell reading wire `i` in column `k` of `row` and ties it to the wire's source.
    fn read(&mut self, k: usize, row: usize, i: usize) -> Result<(), Error> {
        let v = self.known(|t| fr_from_i128(i128::from(t.wire(i))));
        let cell = self.sink.advice(self.cfg.x[k], row, v);
        match self.sources.get(i).ok_or(Error::Synthesis)? {
            Some(src) => self.sink.copy(src, &cell),
            None => self.pending.push((cell, i)),
        }
        Ok(())
    }

    /// One output: its dot-product rows, its product rows and its rescale row. Returns the
    /// output's cell.
    fn output(&mut self, spec: OutputSpec<'_>) -> Result<S::Cell, Error> {
        let (cfg, shape) = (self.cfg, self.cfg.shape);
        let tabulated = spec.activation.table_index().is_some();
        let (width, zrows) = (shape.dot_width, if tabulated { shape.function_z_rows() } else { shape.rescale_z_rows() });
        let pairs = (width / 2).max(1);
        // With hashed weights every term of a layer that is not pinned is a product with its
        // weight's cell (from the weights' commitment, at `first_weight`).
        let committed = spec.first_weight.is_some();
        let (terms, prods) = (spec.terms, spec.prods);
        // `z` holds the limbs, the shifted top limb and the remainder's limbs on the `m + 1 + k`
        // rows above the rescale row: pad with zero-weight rows.
        let (dot_rows, mul_rows) = match committed {
            false => {
                let mul_rows = prods.len().div_ceil(pairs);
                (terms.len().div_ceil(width).max(zrows.saturating_sub(mul_rows)).max(1), mul_rows)
            }
            true => (0, (terms.len() + prods.len()).div_ceil(pairs).max(zrows)),
        };
        let first_row = self.row;
        // The accumulator starts at the bias (fixed weights: w[0] on the row above) or at 0
        // (hashed weights: the rescale row adds the bias cell).
        let bias = i128::from(spec.bias);
        let mut acc: i128 = if committed { 0 } else { bias };
        if !committed {
            self.sink.fixed(cfg.w[0], self.bias_row, fr_from_i128(bias));
        }
        for c in 0..dot_rows {
            let row = self.row;
            self.sink.enable(cfg.q_dot.ok_or(Error::Synthesis)?, row)?;
            self.sink.advice(cfg.acc, row, self.known(|_| fr_from_i128(acc)));
            for k in 0..width {
                if let Some(&(i, w)) = terms.get(c * width + k) {
                    self.read(k, row, i)?;
                    self.sink.fixed(cfg.w[k], row, fr_from_i128(i128::from(w)));
                    acc += i128::from(w) * i128::from(self.value(i));
                } else {
                    // Padding: weight 0, so the gate does not read the cell.
                    self.zero(cfg.x[k], row);
                    self.sink.fixed(cfg.w[k], row, Fr::zero());
                }
            }
            self.row += 1;
        }
        let mul_start = self.row;
        for c in 0..mul_rows {
            let row = self.row;
            self.sink.enable(cfg.q_mul.ok_or(Error::Synthesis)?, row)?;
            self.sink.advice(cfg.acc, row, self.known(|_| fr_from_i128(acc)));
            for k in 0..width / 2 {
                let p = c * pairs + k;
                let term = if committed { terms.get(p) } else { None };
                let prod = prods.get(if committed { p.wrapping_sub(terms.len()) } else { p });
                if let (Some(&(i, w)), Some(first)) = (term, spec.first_weight) {
                    // Hashed weight: the input times the weight's cell (a copy of the committed one).
                    self.read(2 * k, row, i)?;
                    let cell = self.sink.advice(cfg.x[2 * k + 1], row, self.known(|_| fr_from_i128(i128::from(w))));
                    self.weight_reads.push((cell, first + p));
                    acc += i128::from(w) * i128::from(self.value(i));
                } else if let Some(&(a, b)) = prod {
                    self.read(2 * k, row, a)?;
                    self.read(2 * k + 1, row, b)?;
                    acc += i128::from(self.value(a)) * i128::from(self.value(b));
                } else {
                    // Padding: 0 · 0, both cells copies of a constrained zero (issue 14).
                    let a = self.zero(cfg.x[2 * k], row);
                    let b = self.zero(cfg.x[2 * k + 1], row);
                    self.zero_reads.extend([a, b]);
                }
            }
            if width % 2 == 1 {
                // Not read by the product gate.
                self.zero(cfg.x[width - 1], row);
            }
            self.row += 1;
        }
        let mul = mul_start..self.row;
        let out = self.rescale_row(&spec, first_row, acc)?;
        let part = match spec.part {
            Part::Output { layer, output, .. } => Part::Output { layer, output, mul, rescale: self.row - 1 },
            other => other,
        };
        self.spans.push(Span { rows: first_row..self.row, part });
        Ok(out)
    }

    /// The rescale + activation row of an output whose rows start at `first_row`, after its
    /// accumulating rows (`acc`: their sum, used at key generation only through the trace).
    fn rescale_row(&mut self, spec: &OutputSpec<'_>, first_row: usize, acc: i128) -> Result<S::Cell, Error> {
        let (cfg, shape) = (self.cfg, self.cfg.shape);
        let (m, k, l_bits) = (shape.value_limbs(), shape.remainder_limbs(), shape.limb_bits());
        let row = self.row;
        let committed = spec.first_weight.is_some();
        let bias = i128::from(spec.bias);
        let nt = spec.neuron.as_ref().filter(|_| self.trace.is_some());
        let v = self.known(|_| fr_from_i128(nt.map_or(acc, |t| if committed { t.acc - bias } else { t.acc })));
        self.sink.advice(cfg.acc, row, v);
        if let Some(first) = spec.first_weight {
            // The bias cell, at the weights' scale (the gate multiplies it by 2^s).
            let cell = self.sink.advice(cfg.x[2], row, self.known(|_| fr_from_i128(bias >> shape.scale_bits)));
            self.weight_reads.push((cell, first + spec.terms.len()));
        } else if self.hashed_weights() {
            // A pinned layer's bias is in w[0] above; its bias cell is a copy of a zero.
            let cell = self.zero(cfg.x[2], row);
            self.zero_reads.push(cell);
        }
        self.sink.enable(cfg.q_rescale, row)?;
        match spec.activation {
            act @ (Activation::Relu | Activation::None | Activation::Step) => {
                if let Some(q) = cfg.q_act {
                    self.sink.enable(q, row)?;
                }
                if act == Activation::Relu {
                    self.sink.fixed(cfg.w[1], row, Fr::one());
                }
                if act == Activation::Step {
                    self.sink.fixed(cfg.fstep.ok_or(Error::Synthesis)?, row, Fr::one());
                }
            }
            tabulated => {
                // The lookup reads (q + off_f, out + C) on this row.
                self.sink.fixed(cfg.fon.ok_or(Error::Synthesis)?, row, Fr::one());
                self.sink.fixed(cfg.w[1], row, shape.function_offset(tabulated));
            }
        }
        let interp = shape.interp.and(spec.activation.table_index()).map(|_| spec.activation);
        let (ij, id) = if interp.is_some() { shape.interp_limbs() } else { (0, 0) };
        if row - first_row < m + 1 + k + ij + id {
            return Err(Error::Synthesis);
        }
        // z (L-bit limbs): l_i of q + 2^(L·m−1) on row − 1 − i, t = l_{m−1} − sign·2^(L−1) on
        // row − m, the remainder's r_0 on row − m − 1, t + 2^(L−1) on row − m − 2, r_j (j ≥ 1) on
        // row − m − 2 − j; 0 elsewhere.
        // The trace's s-bit limbs (and remainder) split into k L-bit pieces each, the top piece
        // unmasked: a trace value outside [0, 2^s) stays outside the table (L = s: the trace's).
        let piece = |v: i128, p: usize| {
            let high = v >> (l_bits as usize * p);
            if p + 1 == k { high } else { high & ((1i128 << l_bits) - 1) }
        };
        let limb = |i: usize| piece(i128::from(nt.and_then(|t| t.limbs.get(i / k).copied()).unwrap_or(0)), i % k);
        let sign = nt.is_some_and(|t| t.sign);
        for i in 0..m - 1 {
            self.sink.advice(cfg.z, row - 1 - i, self.known(|_| fr_from_i128(limb(i))));
        }
        let half = 1i128 << (l_bits - 1);
        let top = limb(m - 1) - if sign { half } else { 0 };
        self.sink.advice(cfg.z, row - m, self.known(|_| fr_from_i128(top)));
        let r = i128::from(nt.map_or(0, |t| t.r));
        self.sink.advice(cfg.z, row - m - 1, self.known(|_| fr_from_i128(piece(r, 0))));
        self.sink.advice(cfg.z, row - m - 2, self.known(|_| fr_from_i128(top + half)));
        for j in 1..k {
            self.sink.advice(cfg.z, row - m - 2 - j, self.known(|_| fr_from_i128(piece(r, j))));
        }
        let zeros_end = row - m - 1 - k - ij - id;
        match interp {
            Some(act) => {
                // The interpolation (see `interp`): f0 in z and f1 in x[f1] of this row, u's limbs
                // below the rescale's.
                let p = shape.params();
                let wit = nt.and_then(|t| super::interp::witness(&shape, &p, act, t.q));
                for i in 0..ij + id {
                    let at = (row as i64 + i64::from(super::interp::Cells::u_rotation(&shape, i))) as usize;
                    self.sink.advice(cfg.z, at, self.known(|_| fr_from_i128(wit.as_ref().map_or(0, |w| w.u[i]))));
                }
                self.sink.advice(cfg.z, row, self.known(|_| fr_from_i128(wit.as_ref().map_or(0, |w| i128::from(w.f0)))));
                self.sink.advice(cfg.x[shape.f1_column()], row, self.known(|_| fr_from_i128(wit.as_ref().map_or(0, |w| i128::from(w.f1)))));
            }
            None => {
                self.zero(cfg.z, row);
            }
        }
        for r in first_row..zeros_end {
            self.zero(cfg.z, r);
        }
        self.sink.advice(cfg.x[0], row, self.known(|_| Fr::from(u64::from(sign))));
        let out = self.sink.advice(cfg.x[1], row, self.known(|_| fr_from_i128(i128::from(nt.map_or(0, |t| t.out)))));
        self.bias_row = row;
        self.row += 1;
        Ok(out)
    }

    /// Everything after the layers: the padding's zero, the input's cells or commitment, the
    /// weights' and the output's commitments, and the copies that tie them to their readers.
    fn after_model(mut self, row0: S::Cell, public: &[S::Cell]) -> Result<Bindings, Error> {
        let (cfg, model, shape) = (self.cfg, self.model, self.cfg.shape);
        // The padding's constrained zero: the first commitment's (its init row's x[1]), or,
        // when no tensor is hashed, the output of a zero output (no terms, bias 0: q = 0).
        let mut zero = None;
        if !self.zero_reads.is_empty() && !shape.hashes() {
            zero = Some(self.zero_output()?);
        }
        // The accumulator after the last output is 0 (its rescale row's w[0] = 0): a hashed input's
        // sponge may start on this row (its init row needs acc = 0), anything else on the next.
        let mut commitment_rows = 0;
        let hashed = self.input_wires.hashed.clone();
        if hashed.is_empty() {
            self.zero(cfg.acc, self.row);
            self.zero(cfg.z, self.row);
            self.row += 1;
        }
        // Every hashed or private input wire's cell, by wire.
        let mut input_cells: Vec<Option<S::Cell>> = vec![None; model.input_len()];
        if !hashed.is_empty() {
            let placed = self.commitment_chips(Tensor::Input, hashed.len())?;
            let at = 1 + self.input_wires.public.len();
            self.sink.copy(&placed.hash, public.get(at).ok_or(Error::Synthesis)?);
            commitment_rows += placed.end - placed.start;
            zero.get_or_insert(placed.zero);
            place(&mut input_cells, &hashed, placed.cells)?;
        }
        let private = self.input_wires.private.clone();
        if !private.is_empty() {
            if !hashed.is_empty() {
                // The private cells start after a row no gate sets, as without a hashed input.
                self.zero(cfg.acc, self.row);
                self.zero(cfg.z, self.row);
                self.row += 1;
            }
            let cells = self.private_input(&private);
            place(&mut input_cells, &private, cells)?;
        }
        for (cell, i) in &self.pending {
            self.sink.copy(input_cells.get(*i).and_then(Option::as_ref).ok_or(Error::Synthesis)?, cell);
        }
        // Hashed weights: their commitment, whose cells the product and rescale rows read, and whose
        // hash is instance 0.
        let mut weight_commitment_rows = 0;
        if self.hashed_weights() {
            let count = model.committed_weights().len();
            let placed = self.commitment_chips(Tensor::Weights, count)?;
            for (cell, j) in &self.weight_reads {
                self.sink.copy(placed.cells.get(*j).ok_or(Error::Synthesis)?, cell);
            }
            self.sink.copy(&placed.hash, &row0);
            weight_commitment_rows = placed.end - placed.start;
            commitment_rows += weight_commitment_rows;
            zero.get_or_insert(placed.zero);
        }
        // The output wires' cells (an input may be an output).
        let output_cells = model
            .outputs
            .iter()
            .map(|w| match self.sources.get(*w).ok_or(Error::Synthesis)? {
                Some(c) => Ok(c.clone()),
                None => input_cells.get(*w).cloned().flatten().ok_or(Error::Synthesis),
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let first_output = 1 + shape.input_instances(model);
        match shape.visibility.output {
            // Their public rows hold copies.
            Visibility::Public => {
                for (j, src) in output_cells.iter().enumerate() {
                    self.sink.copy(src, public.get(first_output + j).ok_or(Error::Synthesis)?);
                }
            }
            // The commitment's value cells are copies; its sponge starts after a row no gate sets.
            Visibility::Hashed => {
                let placed = self.commitment_chips(Tensor::Output, model.outputs.len())?;
                for (src, cell) in output_cells.iter().zip(&placed.cells) {
                    self.sink.copy(src, cell);
                }
                self.sink.copy(&placed.hash, public.get(first_output).ok_or(Error::Synthesis)?);
                commitment_rows += placed.end - placed.start;
                zero.get_or_insert(placed.zero);
            }
            Visibility::Private | Visibility::Fixed => {}
        }
        if !self.zero_reads.is_empty() {
            let zero = zero.ok_or(Error::Synthesis)?;
            for cell in &self.zero_reads {
                self.sink.copy(&zero, cell);
            }
        }
        Ok(Bindings { rows: self.row, commitment_rows, weight_commitment_rows, spans: self.spans })
    }

    /// A zero output: no terms and bias 0 (its accumulator starts at the last output's `w[0] =
    /// 0`), linear, so `q = 0` and its output cell is a constrained zero. Needs the dot-product
    /// chip (fixed weights: without a hashed tensor the weights are fixed).
    fn zero_output(&mut self) -> Result<S::Cell, Error> {
        let p = self.model.params;
        let neuron = self.trace.map(|_| {
            let shifted = (-p.min()) as u64;
            let mask = (1u64 << p.scale_bits) - 1;
            let limbs = (0..p.range_limbs).map(|i| (shifted >> (p.scale_bits * i)) & mask).collect();
            NeuronTrace { acc: 0, q: 0, r: 1 << (p.scale_bits - 1), out: 0, limbs, sign: true }
        });
        let spec = OutputSpec { terms: &[], prods: &[], bias: 0, activation: Activation::None, first_weight: None, neuron, part: Part::ZeroOutput };
        self.output(spec)
    }

    /// A private input's cells (the prover's free choice), `dot_width` per row.
    fn private_input(&mut self, wires: &[usize]) -> Vec<S::Cell> {
        let (cfg, width) = (self.cfg, self.cfg.shape.dot_width);
        let start = self.row;
        let mut cells = Vec::with_capacity(wires.len());
        for chunk in wires.chunks(width) {
            for (k, i) in chunk.iter().enumerate() {
                let cell = self.sink.advice(cfg.x[k], self.row, self.known(|t| fr_from_i128(i128::from(t.wire(*i)))));
                self.sink.root(&cell, Root::PrivateInput);
                cells.push(cell);
            }
            self.zero(cfg.z, self.row);
            self.row += 1;
        }
        self.spans.push(Span { rows: start..self.row, part: Part::PrivateInput });
        cells
    }

    /// A tensor's commitment chips from the current row.
    fn commitment_chips(&mut self, tensor: Tensor, count: usize) -> Result<Placed<S::Cell>, Error> {
        let c = self.cfg.commit.ok_or(Error::Synthesis)?;
        let start = self.row;
        let weights = (tensor == Tensor::Weights).then(|| self.model.committed_weights());
        let outputs = (tensor == Tensor::Output).then(|| self.trace.map(Trace::output)).flatten();
        let inputs = (tensor == Tensor::Input).then(|| self.trace.map(|t| InputWires::pick(&t.input, &self.input_wires.hashed))).flatten();
        let witness = self.trace.map(|t| match tensor {
            Tensor::Input => (inputs.as_deref().unwrap_or(&[]), t.salt),
            Tensor::Output => (outputs.as_deref().unwrap_or(&[]), t.salt),
            Tensor::Weights => (weights.as_deref().unwrap_or(&[]), t.weight_salt),
        });
        let placed = commit::assign(self.cfg, &c, tensor, count, witness, start, self.sink)?;
        self.row = placed.end;
        self.spans.push(Span { rows: start..placed.end, part: Part::Commitment(tensor) });
        Ok(Placed { cells: placed.cells, hash: placed.hash, zero: placed.zero, start, end: placed.end })
    }
}

/// A placed commitment.
struct Placed<C> {
    cells: Vec<C>,
    hash: C,
    zero: C,
    start: usize,
    end: usize,
}

/// Puts `cells[j]` at `by_wire[wires[j]]`.
fn place<C>(by_wire: &mut [Option<C>], wires: &[usize], cells: Vec<C>) -> Result<(), Error> {
    if cells.len() != wires.len() {
        return Err(Error::Synthesis);
    }
    for (w, c) in wires.iter().zip(cells) {
        *by_wire.get_mut(*w).ok_or(Error::Synthesis)? = Some(c);
    }
    Ok(())
}
