//! The layout walker: one function places every cell of a model, written against [`Sink`], so
//! that the real synthesis ([`RegionSink`]) and the sizing dry run ([`CountingSink`]) run the
//! same code. Circuits are sized by this dry run, never by retrying on failure.

use super::commit::{round_witness, CommitConfig, BLOCK_ROWS};
use super::{fr_from_i128, ModelConfig};
use crate::hash::{self, poseidon};
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
    /// Of those, rows of the input commitment (sponge and packing; 0 unless the input is hashed).
    pub commitment_rows: usize,
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
/// instead pins the instance to the model commitment in `w[0]`): the commitment, the binding,
/// the input (values, commitment or none), the outputs. The model's outputs follow, each reading
/// its bias from `w[0]` on the row above its first row; then a row with `acc = 0`; then, for a
/// hashed input, the commitment chips ([`super::commit`]), for a private one its cells.
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

    // Row 0: the model commitment (instance 0 = w[0], a constant of the verifying key; w[1] = 0).
    sink.enable(cfg.q_pub, 0)?;
    sink.fixed(cfg.w[0], 0, super::commitment_fr(model));
    sink.advice(cfg.x[0], 0, Value::known(Fr::zero()));
    // Rows 1..: the binding, the input, the outputs; each x[0] equals its instance (w[1] = 1).
    let inputs = model.input_len();
    let input_rows = shape.input_instances(model);
    let first_output_row = 2 + input_rows;
    let public_rows = first_output_row + model.outputs.len();
    let mut public = Vec::with_capacity(public_rows - 1);
    for r in 1..public_rows {
        sink.enable(cfg.q_pub, r)?;
        sink.fixed(cfg.w[1], r, Fr::one());
        let v = match r {
            1 => known(&|t| t.binding),
            _ if r < first_output_row => match shape.visibility.input {
                Visibility::Public => known(&|_| fr_from_i128(i128::from(value(r - 2)))),
                _ => known(&|t| super::witness_commitment(&shape, t)),
            },
            _ => known(&|_| fr_from_i128(i128::from(value(model.outputs[r - first_output_row])))),
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
    let mut row = public_rows;
    let pairs = width / 2;
    // The row above each output's first row holds its bias in w[0] (gates `public`, `rescale`).
    let mut bias_row = public_rows - 1;
    for (li, layer) in model.layers.iter().enumerate() {
        for o in 0..layer.outputs {
            let terms = &layer.rows[o];
            let prods = layer.prods_of(o);
            let dot_rows = terms.len().div_ceil(width);
            let mul_rows = prods.len().div_ceil(pairs.max(1));
            // `z` holds the shifted top limb, the remainder and the limbs on the n + 2 rows above
            // the rescale row: pad with zero-weight rows.
            let dot_rows = dot_rows.max((n + 2).saturating_sub(mul_rows)).max(1);
            let first_row = row;
            let mut acc: i128 = i128::from(layer.bias[o]);
            sink.fixed(cfg.w[0], bias_row, fr_from_i128(i128::from(layer.bias[o])));
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
                sink.enable(cfg.q_dot, row)?;
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
                    if let Some(&(a, b)) = prods.get(c * pairs + k) {
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
            sink.advice(cfg.acc, row, known(&|_| fr_from_i128(nt.map_or(acc, |t| t.acc))));
            sink.enable(cfg.q_rescale, row)?;
            match layer.activation {
                crate::ir::Activation::Relu => {
                    if let Some(q) = cfg.q_act {
                        sink.enable(q, row)?;
                    }
                    sink.fixed(cfg.w[1], row, Fr::one());
                }
                crate::ir::Activation::None => {
                    if let Some(q) = cfg.q_act {
                        sink.enable(q, row)?;
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
    // The accumulator after the last output is 0 (its rescale row's w[0] = 0); with a hashed
    // input this row starts the sponge (state (L, 0, 0)).
    let mut commitment_rows = 0;
    let input_cells: Vec<S::Cell> = match shape.visibility.input {
        Visibility::Public => {
            zero_row(cfg, row, sink);
            row += 1;
            Vec::new()
        }
        Visibility::Hashed => {
            let c = cfg.commit.ok_or(Error::Synthesis)?;
            let InputCommitment { cells, hash, end } = assign_input_commitment(cfg, &c, model, trace, row, sink)?;
            sink.copy(&hash, &public[1]);
            commitment_rows = end - row;
            row = end;
            cells
        }
        Visibility::Private | Visibility::Fixed => {
            zero_row(cfg, row, sink);
            row += 1;
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
    };
    for (cell, i) in &pending {
        sink.copy(input_cells.get(*i).ok_or(Error::Synthesis)?, cell);
    }
    // Outputs: their public rows hold copies of the wires' cells (an input may be an output).
    for (j, w) in model.outputs.iter().enumerate() {
        let src = match sources.get(*w).ok_or(Error::Synthesis)? {
            Some(c) => c.clone(),
            None => input_cells.get(*w).ok_or(Error::Synthesis)?.clone(),
        };
        sink.copy(&src, &public[first_output_row - 1 + j]);
    }
    Ok(Bindings { rows: row, commitment_rows })
}

/// `acc = 0` and `z = 0` on `row`.
fn zero_row<S: Sink>(cfg: &ModelConfig, row: usize, sink: &mut S) {
    sink.advice(cfg.acc, row, Value::known(Fr::zero()));
    sink.advice(cfg.z, row, Value::known(Fr::zero()));
}

/// What [`assign_input_commitment`] placed.
struct InputCommitment<C> {
    /// The input value cells, in input order.
    cells: Vec<C>,
    /// The commitment (the sponge's output).
    hash: C,
    /// The next free row.
    end: usize,
}

/// The input commitment from row `start` (whose `acc` the last rescale row set to 0): the
/// sponge's blocks, then the packing rows, then one row closing the packing accumulator. Returns
/// the input value cells, the commitment cell and the next free row.
fn assign_input_commitment<S: Sink>(
    cfg: &ModelConfig,
    c: &CommitConfig,
    model: &QuantModel,
    trace: Option<&Trace>,
    start: usize,
    sink: &mut S,
) -> Result<InputCommitment<S::Cell>, Error> {
    let shape = cfg.shape;
    let (s, n) = (shape.scale_bits, shape.range_limbs as usize);
    let bits = shape.input_bits();
    let inputs = model.input_len();
    let per_element = hash::values_per_element(bits);
    let elements = 1 + inputs.div_ceil(per_element);
    let blocks = hash::permutations(elements);
    let (x0, x1, acc, z, w0, w1) = (cfg.x[0], cfg.x[1], cfg.acc, cfg.z, cfg.w[0], cfg.w[1]);
    // The absorbed elements [salt, e_0, …] (unknown at key generation). An out-of-range value
    // (which `ModelCircuit::instances` refuses) packs arithmetically and fails the limb lookup.
    let absorbed: Option<Vec<Fr>> = trace.map(|t| {
        let mut v = vec![t.salt];
        v.extend(hash::pack_unchecked(&t.input, bits));
        v
    });
    let element = |i: usize| absorbed.as_ref().map_or(Value::unknown(), |v| Value::known(v.get(i).copied().unwrap_or(Fr::zero())));
    let put_state = |sink: &mut S, row: usize, st: Option<[Fr; 3]>| -> S::Cell {
        let cell = |i: usize| st.map_or(Value::unknown(), |s| Value::known(s[i]));
        sink.advice(x0, row, cell(0));
        let out = sink.advice(x1, row, cell(1));
        sink.advice(acc, row, cell(2));
        sink.advice(z, row, Value::known(Fr::zero()));
        out
    };

    // The sponge.
    let mut state: Option<[Fr; 3]> = absorbed.as_ref().map(|_| [Fr::from(elements as u64), Fr::zero(), Fr::zero()]);
    let mut element_cells: Vec<S::Cell> = Vec::with_capacity(2 * blocks);
    let mut row = start;
    let mut zero = None;
    for b in 0..blocks {
        sink.enable(c.q_absorb, row)?;
        if b == 0 {
            sink.fixed(w0, row, Fr::from(elements as u64));
            sink.fixed(w1, row, Fr::one());
        }
        // On the init row, x[1] is constrained to 0: padding copies it.
        let x1_cell = put_state(sink, row, state);
        zero.get_or_insert(x1_cell);
        let (ia, ib) = (2 * b, 2 * b + 1);
        element_cells.push(sink.advice(x0, row + 1, element(ia)));
        let eb = sink.advice(x1, row + 1, element(ib));
        if ib >= elements {
            sink.copy(zero.as_ref().ok_or(Error::Synthesis)?, &eb);
        }
        element_cells.push(eb);
        sink.advice(acc, row + 1, Value::known(Fr::zero()));
        sink.advice(z, row + 1, Value::known(Fr::zero()));
        if let (Some(st), Some(v)) = (state.as_mut(), absorbed.as_ref()) {
            st[1] += v[ia];
            st[2] += v.get(ib).copied().unwrap_or(Fr::zero());
        }
        row += 2;
        for r in 0..poseidon::ROUNDS {
            let spec = poseidon::spec();
            sink.enable(c.q_round, row)?;
            put_state(sink, row, state);
            sink.fixed(w0, row, spec.round_constants[r][0]);
            sink.fixed(w1, row, spec.round_constants[r][1]);
            let witness = state.map(|st| round_witness(&st, r));
            put_state(sink, row + 1, witness.map(|w| w.0));
            sink.fixed(w0, row + 1, spec.round_constants[r][2]);
            sink.fixed(w1, row + 1, if poseidon::is_full_round(r) { Fr::one() } else { Fr::zero() });
            state = witness.map(|w| w.1);
            row += 2;
        }
    }
    debug_assert_eq!(row, start + blocks * BLOCK_ROWS);
    // The output row: state element 1 is the commitment.
    let hash = put_state(sink, row, state);
    row += 1;

    // Packing: per value, its n limbs most significant first.
    let half = 1i128 << (bits - 1);
    let mask = (1i128 << s) - 1;
    let mut cells = Vec::with_capacity(inputs);
    let mut running = Fr::zero();
    for (e, values) in (0..inputs).collect::<Vec<_>>().chunks(per_element).enumerate() {
        for (vi, &i) in values.iter().enumerate() {
            let u = trace.map(|t| i128::from(t.input[i]) + half);
            for j in 0..n {
                let first = vi == 0 && j == 0;
                let last_limb = j == n - 1;
                sink.enable(c.q_pack, row)?;
                sink.fixed(w0, row, if first { Fr::zero() } else { Fr::one() });
                // The top limb is not masked: a value outside the packing range leaves the table
                // there (rather than breaking the value's own gate).
                let limb = u.map(|u| {
                    let l = u >> (s as usize * (n - 1 - j));
                    if j == 0 {
                        l
                    } else {
                        l & mask
                    }
                });
                sink.advice(z, row, limb.map_or(Value::unknown(), |l| Value::known(fr_from_i128(l))));
                sink.advice(acc, row, if trace.is_some() { Value::known(running) } else { Value::unknown() });
                if let Some(l) = limb {
                    running = if first { Fr::zero() } else { running * super::pow2(s) } + fr_from_i128(l);
                }
                let packed = sink.advice(x1, row, if trace.is_some() { Value::known(running) } else { Value::unknown() });
                if last_limb {
                    sink.fixed(w1, row, Fr::one());
                    cells.push(sink.advice(x0, row, trace.map_or(Value::unknown(), |t| Value::known(fr_from_i128(i128::from(t.input[i]))))));
                    if vi == values.len() - 1 {
                        sink.copy(&packed, element_cells.get(1 + e).ok_or(Error::Synthesis)?);
                    }
                } else {
                    sink.advice(x0, row, Value::known(Fr::zero()));
                }
                row += 1;
            }
        }
    }
    // Closes the last element's accumulator.
    sink.advice(acc, row, if trace.is_some() { Value::known(running) } else { Value::unknown() });
    sink.advice(z, row, Value::known(Fr::zero()));
    row += 1;
    Ok(InputCommitment { cells, hash, end: row })
}
