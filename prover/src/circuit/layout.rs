//! The layout walker: one function places every cell of a model, written against [`Sink`], so
//! that the real synthesis ([`RegionSink`]) and the sizing dry run ([`CountingSink`]) run the
//! same code. Circuits are sized by this dry run, never by retrying on failure.

use super::{fr_from_i128, ModelConfig};
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
    /// Assigns an advice cell pinned to a constant.
    fn advice_constant(&mut self, col: Column<Advice>, row: usize, v: Fr) -> Result<Self::Cell, Error>;
    /// Assigns a fixed cell.
    fn fixed(&mut self, col: Column<Fixed>, row: usize, v: Fr);
    /// Enables a selector.
    fn enable(&mut self, sel: Selector, row: usize) -> Result<(), Error>;
    /// Constrains two cells equal.
    fn copy(&mut self, a: &Self::Cell, b: &Self::Cell);
}

/// What the layout leaves for the caller: rows used and cells bound to instance rows.
#[derive(Debug)]
pub struct Bindings<C> {
    /// Rows used by the region.
    pub rows: usize,
    /// `(cell, instance row)` pairs.
    pub instance: Vec<(C, usize)>,
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
    fn advice_constant(&mut self, col: Column<Advice>, row: usize, v: Fr) -> Result<Cell, Error> {
        Ok(self.region.assign_advice_from_constant(|| "constant", col, row, v)?.cell())
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
    fn advice_constant(&mut self, _: Column<Advice>, row: usize, _: Fr) -> Result<(), Error> {
        self.touch(row);
        self.advice_cells += 1;
        Ok(())
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

/// Where a layer's input value comes from.
#[derive(Clone)]
enum Source<C> {
    /// Instance row.
    Instance(usize),
    /// An advice cell.
    Cell(C),
}

/// Places the whole model. `trace` is `None` at key generation.
pub fn assign<S: Sink>(
    cfg: &ModelConfig,
    model: &QuantModel,
    trace: Option<&Trace>,
    sink: &mut S,
) -> Result<Bindings<S::Cell>, Error> {
    let shape = cfg.shape;
    let width = shape.dot_width;
    let n = shape.range_limbs as usize;
    let known = |f: &dyn Fn(&Trace) -> Fr| match trace {
        Some(t) => Value::known(f(t)),
        None => Value::unknown(),
    };
    let mut instance = Vec::new();
    let mut row = 0usize;

    // Row 0: the model commitment, pinned to a constant and exposed as instance 0.
    let c = sink.advice_constant(cfg.x[0], row, super::commitment_fr(model))?;
    instance.push((c, 0));
    row += 1;

    // Where every wire's value lives: instance rows for inputs, `out` cells for layer outputs.
    let mut sources: Vec<Source<S::Cell>> = (0..model.input_len()).map(|i| Source::Instance(1 + i)).collect();
    let value = |w: usize| trace.map_or(0, |t| t.wire(w));
    let pairs = width / 2;
    for (li, layer) in model.layers.iter().enumerate() {
        for o in 0..layer.outputs {
            let terms = &layer.rows[o];
            let prods = layer.prods_of(o);
            // At least one accumulating row, so that the init and rescale rows are distinct.
            let dot_rows = terms.len().div_ceil(width);
            let mul_rows = prods.len().div_ceil(pairs.max(1));
            // The limbs sit in `z` on the `n` rows above the rescale row: pad with zero-weight rows.
            let dot_rows = dot_rows.max(n.saturating_sub(mul_rows)).max(1);
            let first_row = row;
            let mut acc: i128 = i128::from(layer.bias[o]);
            sink.enable(cfg.q_init, row)?;
            sink.fixed(cfg.init, row, fr_from_i128(i128::from(layer.bias[o])));
            // Places the cell reading wire `i` in column `k` and ties it to the wire's source.
            let read = |sink: &mut S, instance: &mut Vec<(S::Cell, usize)>, k: usize, row: usize, i: usize| {
                let cell = sink.advice(cfg.x[k], row, known(&|_| fr_from_i128(i128::from(value(i)))));
                match &sources[i] {
                    Source::Instance(r) => instance.push((cell, *r)),
                    Source::Cell(src) => sink.copy(src, &cell),
                }
            };
            // Dot-product rows.
            for c in 0..dot_rows {
                sink.enable(cfg.q_dot, row)?;
                sink.advice(cfg.acc, row, known(&|_| fr_from_i128(acc)));
                for k in 0..width {
                    if let Some(&(i, w)) = terms.get(c * width + k) {
                        read(sink, &mut instance, k, row, i);
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
                        read(sink, &mut instance, 2 * k, row, a);
                        read(sink, &mut instance, 2 * k + 1, row, b);
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
                crate::ir::Activation::Relu => sink.enable(cfg.q_relu, row)?,
                crate::ir::Activation::None => sink.enable(cfg.q_lin, row)?,
                tabulated => sink.enable(cfg.function_selector(tabulated).ok_or(Error::Synthesis)?, row)?,
            }
            debug_assert!(row - first_row >= n);
            // z: r on this row, l_i on row − 1 − i, and t = l_{n−1} − sign·2^(s−1) (kind 1) on row − n.
            sink.advice(cfg.z, row, known(&|_| fr_from_i128(i128::from(nt.map_or(0, |t| t.r)))));
            sink.fixed(cfg.ztag, row, Fr::zero());
            let limb = |i: usize| i128::from(nt.and_then(|t| t.limbs.get(i).copied()).unwrap_or(0));
            let sign = nt.is_some_and(|t| t.sign);
            for i in 0..n - 1 {
                sink.advice(cfg.z, row - 1 - i, known(&|_| fr_from_i128(limb(i))));
            }
            let top = limb(n - 1) - if sign { 1i128 << (shape.scale_bits - 1) } else { 0 };
            sink.advice(cfg.z, row - n, known(&|_| fr_from_i128(top)));
            sink.fixed(cfg.ztag, row - n, Fr::one());
            for r in first_row..row - n {
                sink.advice(cfg.z, r, Value::known(Fr::zero()));
            }
            sink.advice(cfg.x[0], row, known(&|_| Fr::from(u64::from(sign))));
            let out = sink.advice(cfg.x[1], row, known(&|_| fr_from_i128(i128::from(nt.map_or(0, |t| t.out)))));
            sources.push(Source::Cell(out));
            row += 1;
        }
    }
    let first_output_row = 1 + model.input_len();
    for (j, w) in model.outputs.iter().enumerate() {
        match sources.get(*w) {
            Some(Source::Cell(c)) => instance.push((c.clone(), first_output_row + j)),
            // An input that is also an output: both instance rows must hold the same value.
            Some(Source::Instance(_)) | None => return Err(Error::Synthesis),
        }
    }
    Ok(Bindings { rows: row, instance })
}
