//! The layout walker: one function places every cell of a model, written against [`Sink`], so
//! that the real synthesis ([`RegionSink`]) and the sizing dry run ([`CountingSink`]) run the
//! same code. Circuits are sized by this dry run, never by retrying on failure.

use super::commit;
use super::{fr_from_i128, ModelConfig};
use crate::hash::Tensor;
use crate::visibility::Visibility;
use crate::quant::{QuantModel, Trace};
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, Error, Fixed, Selector};

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
/// weights: from its rescale row's `x[2]`); then a row with `acc = 0`; then, for a hashed input,
/// the commitment chips ([`super::commit`]), for a private one its cells; then the hashed
/// weights' commitment; then a hashed output's.
pub fn assign<S: Sink>(
    cfg: &ModelConfig,
    model: &QuantModel,
    trace: Option<&Trace>,
    sink: &mut S,
) -> Result<Bindings, Error> {
    let shape = cfg.shape;
    let width = shape.dot_width;
    let n = shape.range_limbs as usize;
    let known = |f: &dyn Fn(&Trace) -> Fr| match trace {
        Some(t) => Value::known(f(t)),
        None => Value::unknown(),
    };
    let value = |w: usize| trace.map_or(0, |t| t.wire(w));

    let hashed_weights = shape.hashed_weights();
    // Hashed weights: their values (witness, from the model being proven) and salt.
    let weights: Option<Vec<i64>> = hashed_weights.then(|| model.committed_weights());
    let weight_witness = weights.as_deref().zip(trace.map(|t| t.weight_salt));
    // Row 0: the model commitment. Fixed weights: instance 0 = w[0], a constant of the verifying
    // key (w[1] = 0). Hashed weights: instance 0 = x[0] (w[1] = 1), a copy of the weights'
    // commitment.
    sink.enable(cfg.q_pub, 0)?;
    let row0 = if let Some(values) = weights.as_deref() {
        sink.fixed(cfg.w[1], 0, Fr::one());
        sink.advice(cfg.x[0], 0, known(&|t| crate::hash::commit_unchecked(Tensor::Weights, values, shape.packing_bits(), t.weight_salt)))
    } else {
        sink.fixed(cfg.w[0], 0, super::commitment_fr(model));
        sink.advice(cfg.x[0], 0, Value::known(Fr::zero()))
    };
    // Rows 1..: the binding, the input, the outputs; each x[0] equals its instance (w[1] = 1).
    let inputs = model.input_len();
    let input_rows = shape.input_instances(model);
    let first_output_row = 2 + input_rows;
    let public_rows = first_output_row + shape.output_instances(model);
    // A tensor's commitment as the witness computes it, whether or not every value is in range
    // (`ModelCircuit::instances` refuses out-of-range values; the circuit's lookup fails them).
    let commitment = |tensor: Tensor, t: &Trace| {
        let values = if tensor == Tensor::Input { t.input.clone() } else { t.output() };
        crate::hash::commit_unchecked(tensor, &values, shape.packing_bits(), t.salt)
    };
    let mut public = Vec::with_capacity(public_rows - 1);
    for r in 1..public_rows {
        sink.enable(cfg.q_pub, r)?;
        sink.fixed(cfg.w[1], r, Fr::one());
        let v = match r {
            1 => known(&|t| t.binding),
            _ if r < first_output_row => match shape.visibility.input {
                Visibility::Public => known(&|_| fr_from_i128(i128::from(value(r - 2)))),
                _ => known(&|t| commitment(Tensor::Input, t)),
            },
            _ => match shape.visibility.output {
                Visibility::Public => known(&|_| fr_from_i128(i128::from(value(model.outputs[r - first_output_row])))),
                _ => known(&|t| commitment(Tensor::Output, t)),
            },
        };
        public.push(sink.advice(cfg.x[0], r, v));
        sink.advice(cfg.acc, r, Value::known(Fr::zero()));
    }
    for r in 0..public_rows {
        sink.advice(cfg.z, r, Value::known(Fr::zero()));
    }
    // Where every wire's value lives: public inputs in their public rows, hashed or private ones
    // in cells placed after the model (reads of them wait in `pending`), layer outputs in `out`.
    let mut sources: Vec<Option<S::Cell>> = match shape.visibility.input {
        Visibility::Public => public[1..=inputs].iter().cloned().map(Some).collect(),
        _ => vec![None; inputs],
    };
    let mut pending: Vec<(S::Cell, usize)> = Vec::new();
    // Hashed weights: cells reading committed weight `j` ([`QuantModel::committed_weights`]).
    let mut weight_reads: Vec<(S::Cell, usize)> = Vec::new();
    let slots = model.weight_slots();
    // Hashed weights: the rescale rows of pinned layers, whose x[2] (the bias cell) must be 0.
    let mut zero_reads: Vec<S::Cell> = Vec::new();
    let mut row = public_rows;
    let pairs = width / 2;
    // The row above each output's first row holds its bias in w[0] (gates `public`, `rescale`).
    let mut bias_row = public_rows - 1;
    for ((li, layer), layer_slots) in model.layers.iter().enumerate().zip(&slots) {
        for (o, slot) in layer_slots.iter().enumerate() {
            let terms = &layer.rows[o];
            let prods = layer.prods_of(o);
            // With hashed weights every term of a layer that is not pinned is a product with its
            // weight's cell (from the weights' commitment, at `first_weight`).
            let first_weight = slot.filter(|_| hashed_weights);
            let committed = first_weight.is_some();
            let (dot_rows, mul_rows) = match committed {
                false => (terms.len().div_ceil(width), prods.len().div_ceil(pairs.max(1))),
                true => (0, (terms.len() + prods.len()).div_ceil(pairs.max(1))),
            };
            // `z` holds the shifted top limb, the remainder and the limbs on the n + 2 rows above
            // the rescale row: pad with zero-weight rows.
            let (dot_rows, mul_rows) = match committed {
                false => (dot_rows.max((n + 2).saturating_sub(mul_rows)).max(1), mul_rows),
                true => (0, mul_rows.max(n + 2)),
            };
            let first_row = row;
            // The accumulator starts at the bias (fixed weights: w[0] on the row above) or at 0
            // (hashed weights: the rescale row adds the bias cell).
            let bias = i128::from(layer.bias[o]);
            let mut acc: i128 = if committed { 0 } else { bias };
            if !committed {
                sink.fixed(cfg.w[0], bias_row, fr_from_i128(bias));
            }
            // Places the cell reading wire `i` in column `k` and ties it to the wire's source.
            let read = |sink: &mut S, pending: &mut Vec<(S::Cell, usize)>, k: usize, row: usize, i: usize| -> Result<(), Error> {
                let cell = sink.advice(cfg.x[k], row, known(&|_| fr_from_i128(i128::from(value(i)))));
                match sources.get(i).ok_or(Error::Synthesis)? {
                    Some(src) => sink.copy(src, &cell),
                    None => pending.push((cell, i)),
                }
                Ok(())
            };
            // Dot-product rows.
            for c in 0..dot_rows {
                sink.enable(cfg.q_dot.ok_or(Error::Synthesis)?, row)?;
                sink.advice(cfg.acc, row, known(&|_| fr_from_i128(acc)));
                for k in 0..width {
                    if let Some(&(i, w)) = terms.get(c * width + k) {
                        read(sink, &mut pending, k, row, i)?;
                        sink.fixed(cfg.w[k], row, fr_from_i128(i128::from(w)));
                        acc += i128::from(w) * i128::from(value(i));
                    } else {
                        // Padding: weight 0, so the cell's value does not matter; assign 0.
                        sink.advice(cfg.x[k], row, Value::known(Fr::zero()));
                        sink.fixed(cfg.w[k], row, Fr::zero());
                    }
                }
                row += 1;
            }
            // Product rows.
            for c in 0..mul_rows {
                sink.enable(cfg.q_mul.ok_or(Error::Synthesis)?, row)?;
                sink.advice(cfg.acc, row, known(&|_| fr_from_i128(acc)));
                for k in 0..pairs {
                    let p = c * pairs + k;
                    let term = if committed { terms.get(p) } else { None };
                    let prod = prods.get(if committed { p.wrapping_sub(terms.len()) } else { p });
                    if let (Some(&(i, w)), Some(first)) = (term, first_weight) {
                        // Hashed weight: the input times the weight's cell (a copy of the committed one).
                        read(sink, &mut pending, 2 * k, row, i)?;
                        let cell = sink.advice(cfg.x[2 * k + 1], row, known(&|_| fr_from_i128(i128::from(w))));
                        weight_reads.push((cell, first + p));
                        acc += i128::from(w) * i128::from(value(i));
                    } else if let Some(&(a, b)) = prod {
                        read(sink, &mut pending, 2 * k, row, a)?;
                        read(sink, &mut pending, 2 * k + 1, row, b)?;
                        acc += i128::from(value(a)) * i128::from(value(b));
                    } else {
                        // Padding: 0 · 0.
                        sink.advice(cfg.x[2 * k], row, Value::known(Fr::zero()));
                        sink.advice(cfg.x[2 * k + 1], row, Value::known(Fr::zero()));
                    }
                }
                if width % 2 == 1 {
                    sink.advice(cfg.x[width - 1], row, Value::known(Fr::zero()));
                }
                row += 1;
            }
            // Rescale + activation row.
            let nt = trace.map(|t| &t.layers[li][o]);
            sink.advice(cfg.acc, row, known(&|_| fr_from_i128(nt.map_or(acc, |t| if committed { t.acc - bias } else { t.acc }))));
            if let Some(first) = first_weight {
                // The bias cell, at the weights' scale (the gate multiplies it by 2^s).
                let cell = sink.advice(cfg.x[2], row, known(&|_| fr_from_i128(bias >> shape.scale_bits)));
                weight_reads.push((cell, first + terms.len()));
            } else if hashed_weights {
                // A pinned layer's bias is in w[0] above; its bias cell is a copy of a zero.
                zero_reads.push(sink.advice(cfg.x[2], row, Value::known(Fr::zero())));
            }
            sink.enable(cfg.q_rescale, row)?;
            match layer.activation {
                act @ (crate::ir::Activation::Relu | crate::ir::Activation::None) => {
                    if let Some(q) = cfg.q_act {
                        sink.enable(q, row)?;
                    }
                    if act == crate::ir::Activation::Relu {
                        sink.fixed(cfg.w[1], row, Fr::one());
                    }
                }
                tabulated => {
                    // The lookup reads (q + off_f, out + C) on this row.
                    sink.fixed(cfg.fon.ok_or(Error::Synthesis)?, row, Fr::one());
                    sink.fixed(cfg.w[1], row, shape.function_offset(tabulated));
                }
            }
            debug_assert!(row - first_row >= n + 2);
            // z: l_i on row − 1 − i, t = l_{n−1} − sign·2^(s−1) on row − n, r on row − n − 1,
            // t + 2^(s−1) on row − n − 2; 0 elsewhere.
            let limb = |i: usize| i128::from(nt.and_then(|t| t.limbs.get(i).copied()).unwrap_or(0));
            let sign = nt.is_some_and(|t| t.sign);
            for i in 0..n - 1 {
                sink.advice(cfg.z, row - 1 - i, known(&|_| fr_from_i128(limb(i))));
            }
            let half = 1i128 << (shape.scale_bits - 1);
            let top = limb(n - 1) - if sign { half } else { 0 };
            sink.advice(cfg.z, row - n, known(&|_| fr_from_i128(top)));
            sink.advice(cfg.z, row - n - 1, known(&|_| fr_from_i128(i128::from(nt.map_or(0, |t| t.r)))));
            sink.advice(cfg.z, row - n - 2, known(&|_| fr_from_i128(top + half)));
            for r in (first_row..row - n - 2).chain([row]) {
                sink.advice(cfg.z, r, Value::known(Fr::zero()));
            }
            sink.advice(cfg.x[0], row, known(&|_| Fr::from(u64::from(sign))));
            let out = sink.advice(cfg.x[1], row, known(&|_| fr_from_i128(i128::from(nt.map_or(0, |t| t.out)))));
            sources.push(Some(out));
            bias_row = row;
            row += 1;
        }
    }
    // The accumulator after the last output is 0 (its rescale row's w[0] = 0): a hashed input's
    // sponge may start on this row (its init row needs acc = 0), anything else on the next.
    let mut commitment_rows = 0;
    if shape.visibility.input != Visibility::Hashed {
        zero_row(cfg, row, sink);
        row += 1;
    }
    let input_cells: Vec<S::Cell> = match shape.visibility.input {
        Visibility::Hashed => {
            let c = cfg.commit.ok_or(Error::Synthesis)?;
            let placed = commit::assign(cfg, &c, Tensor::Input, inputs, trace.map(|t| (t.input.as_slice(), t.salt)), row, sink)?;
            sink.copy(&placed.hash, &public[1]);
            commitment_rows += placed.end - row;
            row = placed.end;
            placed.cells
        }
        Visibility::Private | Visibility::Fixed => {
            let mut cells = Vec::with_capacity(inputs);
            for chunk in (0..inputs).collect::<Vec<_>>().chunks(width) {
                for (k, i) in chunk.iter().enumerate() {
                    cells.push(sink.advice(cfg.x[k], row, known(&|_| fr_from_i128(i128::from(value(*i))))));
                }
                sink.advice(cfg.z, row, Value::known(Fr::zero()));
                row += 1;
            }
            cells
        }
        Visibility::Public => Vec::new(),
    };
    for (cell, i) in &pending {
        sink.copy(input_cells.get(*i).ok_or(Error::Synthesis)?, cell);
    }
    // Hashed weights: their commitment, whose cells the product and rescale rows read, and whose
    // hash is instance 0.
    let mut weight_commitment_rows = 0;
    if hashed_weights {
        let c = cfg.commit.ok_or(Error::Synthesis)?;
        let count = weights.as_ref().map_or(0, Vec::len);
        let placed = commit::assign(cfg, &c, Tensor::Weights, count, weight_witness, row, sink)?;
        for (cell, j) in &weight_reads {
            sink.copy(placed.cells.get(*j).ok_or(Error::Synthesis)?, cell);
        }
        for cell in &zero_reads {
            sink.copy(&placed.zero, cell);
        }
        sink.copy(&placed.hash, &row0);
        weight_commitment_rows = placed.end - row;
        commitment_rows += weight_commitment_rows;
        row = placed.end;
    }
    // The output wires' cells (an input may be an output).
    let output_cells = model
        .outputs
        .iter()
        .map(|w| match sources.get(*w).ok_or(Error::Synthesis)? {
            Some(c) => Ok(c.clone()),
            None => input_cells.get(*w).cloned().ok_or(Error::Synthesis),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    match shape.visibility.output {
        // Their public rows hold copies.
        Visibility::Public => {
            for (j, src) in output_cells.iter().enumerate() {
                sink.copy(src, &public[first_output_row - 1 + j]);
            }
        }
        // The commitment's value cells are copies; its sponge starts after a row no gate sets.
        Visibility::Hashed => {
            let c = cfg.commit.ok_or(Error::Synthesis)?;
            let outputs = trace.map(Trace::output);
            let witness = outputs.as_deref().zip(trace.map(|t| t.salt));
            let placed = commit::assign(cfg, &c, Tensor::Output, model.outputs.len(), witness, row, sink)?;
            for (src, cell) in output_cells.iter().zip(&placed.cells) {
                sink.copy(src, cell);
            }
            sink.copy(&placed.hash, &public[first_output_row - 1]);
            commitment_rows += placed.end - row;
            row = placed.end;
        }
        Visibility::Private | Visibility::Fixed => {}
    }
    Ok(Bindings { rows: row, commitment_rows, weight_commitment_rows })
}

/// `acc = 0` and `z = 0` on `row`.
fn zero_row<S: Sink>(cfg: &ModelConfig, row: usize, sink: &mut S) {
    sink.advice(cfg.acc, row, Value::known(Fr::zero()));
    sink.advice(cfg.z, row, Value::known(Fr::zero()));
}
