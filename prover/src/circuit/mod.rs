//! The halo2 circuit proving a [`QuantModel`]. Knows nothing of ONNX.
//!
//! # Columns
//! `x[0..W)` advice (equality), `acc` advice, `z` advice (limbs), `w[0..W)` fixed weights, `init`
//! fixed (bias), `ztag` fixed (limb kind), `constants` fixed, one instance column, and the limb
//! table `{(v, 0) : v ∈ [0, 2^s)} ∪ {(v, 1) : v ∈ [0, 2^(s−1))}`.
//!
//! # Chips (one row shape each)
//! **Dot product** (`q_dot`, `q_init`), one row per chunk of `W` inputs:
//! ```text
//! | x[0] .. x[W-1] | acc        | w[0] .. w[W-1] | init |
//! | inputs chunk   | running    | weights chunk  | bias |   q_init on the first row: acc = init
//! acc[next] = acc[cur] + Σ_k x_k[cur] · w_k[cur]           (q_dot)
//! ```
//! **Rescale + activation** (`q_rescale`, then `q_relu` or `q_lin`), on the row `R` after the
//! last accumulating row, reading the final `acc`; its limbs sit in column `z` on rows `R − n..R`
//! (an output has at least `n` accumulating rows; short ones are padded):
//! ```text
//! row     | x[0] | x[1] | acc | z        | ztag
//! R − n   |      |      |     | t        | 1        t = l_{n−1} − sign · 2^(s−1) ∈ [0, 2^(s−1))
//! R − 1−i |      |      |     | l_i      | 0        i < n − 1, each ∈ [0, 2^s)
//! R       | sign | out  |  v  | r        | 0        r ∈ [0, 2^s)
//! q = Σ_(i<n−1) l_i · 2^(s·i) + t · 2^(s·(n−1)) + (sign − 1) · 2^(s·n − 1)
//! v + 2^(s−1) − r − 2^s · q = 0,  sign · (1 − sign) = 0              (q_rescale)
//! (z, ztag) ∈ limb table on every row                                (one lookup, no selector)
//! out = sign · q  (q_relu)      out = q  (q_lin)
//! ```
//! The limbs bound `q` to `[−2^(s·n−1), 2^(s·n−1))`, which makes `q` and `r` unique; `sign` is
//! the top bit of `q + 2^(s·n−1)`, i.e. `sign = 1 ⇔ q ≥ 0`. All range checks share one lookup
//! argument over one column, which keeps the proof small (each lookup argument costs three
//! commitments and five evaluations).
//!
//! **Products** (`q_mul`; only configured when the model multiplies activations), one row per chunk of `⌊W/2⌋` pairs, continuing the same accumulator:
//! ```text
//! | x[0] x[1] | x[2] x[3] | .. | acc     |
//! |  a0   b0  |  a1   b1  | .. | running |
//! acc[next] = acc[cur] + Σ_k x_2k[cur] · x_2k+1[cur]      (q_mul)
//! ```
//!
//! **Tabulated activation** (sigmoid, tanh, exp, 1/x, 1/√x, √x, erf, gelu; only configured when the
//! model uses one): instead of
//! `q_relu`/`q_lin`, the rescale row enables the function's selector `q_f`, and
//! ```text
//! (Σ q_f · tag_f, (Σ q_f) · q, (Σ q_f) · out) ∈ (tag, x, f(x))
//! ```
//! where the table holds `round(f(x / 2^s) · 2^s)` (clamped to the value range) for `x` in each
//! function's calibrated domain, and one all-zero row for rows where no `q_f` is on.
//!
//! Linear maps are sparse: a row of the dot-product chip takes any `W` terms of its output's
//! term list (dense layers list every input, convolutions their window), so the same chips
//! prove Gemm, MatMul, Conv, pooling, residual sums, attention and normalisation. Every `x` cell
//! is copy-constrained to the cell (or instance row) of the wire it reads.
//!
//! # Public instances
//! `[model commitment, inputs…, outputs…]`. The commitment cell is an advice cell pinned to a
//! constant (so it is part of the verifying key); inputs are copied from the instance column
//! into every chunk row that reads them; outputs are copied out of their wires' `out` cells.

pub mod layout;

use crate::ir::Activation;
use crate::quant::{QuantModel, QuantParams, Tables, Trace};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, Expression, Fixed, Instance, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The circuit's shape: everything `configure` depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// Inputs consumed per dot-product row (= number of `x` advice columns).
    pub dot_width: usize,
    /// Fixed-point fractional bits (= range-check limb width).
    pub scale_bits: u32,
    /// Limbs bounding rescaled values.
    pub range_limbs: u32,
    /// Per tabulated function used, its table's domain.
    pub tables: Tables,
    /// Whether the product chip is configured (the model multiplies two activations).
    #[serde(default)]
    pub products: bool,
}

impl Default for CircuitShape {
    fn default() -> Self {
        Self { dot_width: 8, scale_bits: 8, range_limbs: 2, tables: [None; Activation::TABULATED.len()], products: false }
    }
}

impl CircuitShape {
    /// The shape for a model.
    pub fn for_model(model: &QuantModel, dot_width: usize) -> Self {
        let used = model.tabulated();
        let mut tables = model.params.tables;
        for (a, d) in Activation::TABULATED.iter().zip(tables.iter_mut()) {
            if !used.contains(a) {
                *d = None;
            }
        }
        let products = model.layers.iter().any(|l| l.prods.iter().any(|p| !p.is_empty()));
        Self { dot_width, scale_bits: model.params.scale_bits, range_limbs: model.params.range_limbs, tables, products }
    }
    /// The quantisation parameters the tables are computed with.
    pub fn params(&self) -> QuantParams {
        QuantParams { scale_bits: self.scale_bits, range_limbs: self.range_limbs, tables: self.tables }
    }
    /// The tabulated functions configured.
    pub fn tabulated(&self) -> Vec<Activation> {
        self.params().tabulated()
    }
    /// Rows of the function table: one all-zero row, then every function's domain.
    pub fn function_table_rows(&self) -> usize {
        self.params().function_table_rows()
    }
    /// Minimum `dot_width` the rescale row needs (sign, out); limbs live in `z`.
    pub fn min_dot_width(_range_limbs: u32) -> usize {
        2
    }
    /// Number of advice columns (`x`, `acc`, `z`).
    pub fn advice_columns(&self) -> usize {
        self.dot_width + 2
    }
    /// Number of rows the lookup tables occupy.
    pub fn limb_table_rows(&self) -> usize {
        (1usize << self.scale_bits) + (1usize << (self.scale_bits - 1))
    }
    /// Number of rows the lookup tables occupy.
    pub fn table_rows(&self) -> usize {
        self.limb_table_rows().max(self.function_table_rows())
    }
}

/// Column and selector handles.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The shape configured.
    pub shape: CircuitShape,
    x: Vec<Column<Advice>>,
    acc: Column<Advice>,
    w: Vec<Column<Fixed>>,
    init: Column<Fixed>,
    instance: Column<Instance>,
    q_dot: Selector,
    q_init: Selector,
    q_mul: Option<Selector>,
    q_rescale: Selector,
    q_relu: Selector,
    q_lin: Selector,
    z: Column<Advice>,
    ztag: Column<Fixed>,
    limb_value: TableColumn,
    limb_kind: TableColumn,
    /// Per tabulated function configured, its selector; and the table (tag, x, f(x)).
    functions: Vec<(Activation, Selector)>,
    fn_table: Option<[TableColumn; 3]>,
}

impl ModelConfig {
    /// Configures the constraint system.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> Self {
        let n = shape.range_limbs as usize;
        let s = shape.scale_bits;
        let width = shape.dot_width.max(CircuitShape::min_dot_width(shape.range_limbs));
        let shape = CircuitShape { dot_width: width, ..shape };
        // Degree 5 costs the same quotient pieces as 4 (both round up to 4) but lets each
        // permutation product cover 3 columns instead of 2: fewer commitments, smaller proofs.
        meta.set_minimum_degree(5);
        let x: Vec<Column<Advice>> = (0..width).map(|_| meta.advice_column()).collect();
        x.iter().for_each(|c| meta.enable_equality(*c));
        let acc = meta.advice_column();
        let w: Vec<Column<Fixed>> = (0..width).map(|_| meta.fixed_column()).collect();
        let init = meta.fixed_column();
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let q_dot = meta.selector();
        let q_init = meta.selector();
        let q_mul = shape.products.then(|| meta.selector());
        let q_rescale = meta.selector();
        let q_relu = meta.selector();
        let q_lin = meta.selector();
        let z = meta.advice_column();
        let ztag = meta.fixed_column();
        let limb_value = meta.lookup_table_column();
        let limb_kind = meta.lookup_table_column();

        meta.create_gate("dot", |m| {
            let q = m.query_selector(q_dot);
            let acc_cur = m.query_advice(acc, Rotation::cur());
            let acc_next = m.query_advice(acc, Rotation::next());
            let sum = (0..width).fold(Expression::Constant(Fr::zero()), |e, k| {
                e + m.query_advice(x[k], Rotation::cur()) * m.query_fixed(w[k], Rotation::cur())
            });
            vec![q * (acc_next - acc_cur - sum)]
        });
        if let Some(q_mul) = q_mul {
            meta.create_gate("mul", |m| {
                let q = m.query_selector(q_mul);
                let acc_cur = m.query_advice(acc, Rotation::cur());
                let acc_next = m.query_advice(acc, Rotation::next());
                let sum = (0..width / 2).fold(Expression::Constant(Fr::zero()), |e, k| {
                    e + m.query_advice(x[2 * k], Rotation::cur()) * m.query_advice(x[2 * k + 1], Rotation::cur())
                });
                vec![q * (acc_next - acc_cur - sum)]
            });
        }
        meta.create_gate("init", |m| {
            let q = m.query_selector(q_init);
            vec![q * (m.query_advice(acc, Rotation::cur()) - m.query_fixed(init, Rotation::cur()))]
        });

        // Rescale-row cells; the limbs are in `z` above the row.
        let sign_col = x[0];
        let out_col = x[1];
        let q_expr = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>| {
            let sign = m.query_advice(sign_col, Rotation::cur());
            let mut e = (sign - Expression::Constant(Fr::one())) * Expression::Constant(pow2(s * shape.range_limbs - 1));
            for i in 0..n - 1 {
                e = e + m.query_advice(z, Rotation(-1 - i as i32)) * Expression::Constant(pow2(s * i as u32));
            }
            e + m.query_advice(z, Rotation(-(n as i32))) * Expression::Constant(pow2(s * (n as u32 - 1)))
        };
        meta.create_gate("rescale", |m| {
            let q = m.query_selector(q_rescale);
            let v = m.query_advice(acc, Rotation::cur());
            let r = m.query_advice(z, Rotation::cur());
            let sign = m.query_advice(sign_col, Rotation::cur());
            let quotient = q_expr(m);
            vec![
                q.clone() * (v + Expression::Constant(pow2(s - 1)) - r - quotient * Expression::Constant(pow2(s))),
                q * sign.clone() * (Expression::Constant(Fr::one()) - sign),
            ]
        });
        meta.create_gate("relu", |m| {
            let q = m.query_selector(q_relu);
            let sign = m.query_advice(sign_col, Rotation::cur());
            let out = m.query_advice(out_col, Rotation::cur());
            let quotient = q_expr(m);
            vec![q * (out - sign * quotient)]
        });
        meta.create_gate("linear", |m| {
            let q = m.query_selector(q_lin);
            let out = m.query_advice(out_col, Rotation::cur());
            let quotient = q_expr(m);
            vec![q * (out - quotient)]
        });
        meta.lookup("limbs", |m| vec![(m.query_advice(z, Rotation::cur()), limb_value), (m.query_fixed(ztag, Rotation::cur()), limb_kind)]);

        // Tabulated functions: (Σ q_f·tag_f, (Σ q_f)·q, (Σ q_f)·out) ∈ (tag, x, f(x)).
        let functions: Vec<(Activation, Selector)> = shape.tabulated().into_iter().map(|a| (a, meta.complex_selector())).collect();
        let fn_table = (!functions.is_empty()).then(|| [meta.lookup_table_column(), meta.lookup_table_column(), meta.lookup_table_column()]);
        if let Some([t_tag, t_x, t_y]) = fn_table {
            let sels = functions.clone();
            meta.lookup("function table", |m| {
                let mut tag = Expression::Constant(Fr::zero());
                let mut on = Expression::Constant(Fr::zero());
                for (a, sel) in &sels {
                    let q = m.query_selector(*sel);
                    tag = tag + q.clone() * Expression::Constant(Fr::from(u64::from(a.tag())));
                    on = on + q;
                }
                let quotient = q_expr(m);
                let out = m.query_advice(out_col, Rotation::cur());
                vec![(tag, t_tag), (on.clone() * quotient, t_x), (on * out, t_y)]
            });
        }

        Self { shape, x, acc, w, init, instance, q_dot, q_init, q_mul, q_rescale, q_relu, q_lin, z, ztag, limb_value, limb_kind, functions, fn_table }
    }

    /// The selector proving activation `a`, if tabulated and configured.
    pub fn function_selector(&self, a: Activation) -> Option<Selector> {
        self.functions.iter().find(|(f, _)| *f == a).map(|(_, s)| *s)
    }

    fn load_tables(&self, layouter: &mut impl Layouter<Fr>) -> Result<(), Error> {
        if let Some([t_tag, t_x, t_y]) = self.fn_table {
            let p = self.shape.params();
            layouter.assign_table(
                || "functions",
                |mut t| {
                    let mut row = 0;
                    let mut put = |t: &mut halo2_proofs::circuit::Table<'_, Fr>, tag: u64, x: i64, y: i64| -> Result<(), Error> {
                        t.assign_cell(|| "tag", t_tag, row, || Value::known(Fr::from(tag)))?;
                        t.assign_cell(|| "x", t_x, row, || Value::known(fr_from_i128(i128::from(x))))?;
                        t.assign_cell(|| "f(x)", t_y, row, || Value::known(fr_from_i128(i128::from(y))))?;
                        row += 1;
                        Ok(())
                    };
                    put(&mut t, 0, 0, 0)?;
                    for (a, _) in &self.functions {
                        let d = p.domain(*a).ok_or(Error::Synthesis)?;
                        for x in d.lo..=d.hi {
                            put(&mut t, u64::from(a.tag()), x, p.tabulate(*a, x))?;
                        }
                    }
                    Ok(())
                },
            )?;
        }
        let s = self.shape.scale_bits;
        layouter.assign_table(
            || "limbs",
            |mut t| {
                let entries = (0..1u64 << s).map(|v| (v, 0u64)).chain((0..1u64 << (s - 1)).map(|v| (v, 1)));
                for (row, (v, kind)) in entries.enumerate() {
                    t.assign_cell(|| "limb", self.limb_value, row, || Value::known(Fr::from(v)))?;
                    t.assign_cell(|| "kind", self.limb_kind, row, || Value::known(Fr::from(kind)))?;
                }
                Ok(())
            },
        )
    }
}

/// `2^e` in the field.
pub fn pow2(e: u32) -> Fr {
    Fr::from(2).pow_vartime([u64::from(e)])
}

/// A signed integer as a field element (negatives as `r − |v|`).
pub fn fr_from_i128(v: i128) -> Fr {
    let m = Fr::from_u128(v.unsigned_abs());
    if v < 0 {
        -m
    } else {
        m
    }
}

/// The circuit for one model and (when proving) one witness.
#[derive(Debug, Clone)]
pub struct ModelCircuit {
    /// The model.
    pub model: Arc<QuantModel>,
    /// The shape.
    pub shape: CircuitShape,
    /// The witness; `None` for key generation.
    pub trace: Option<Trace>,
}

impl ModelCircuit {
    /// Public instances for a trace: `[commitment, inputs…, outputs…]`.
    pub fn instances(model: &QuantModel, trace: &Trace) -> Vec<Fr> {
        let mut v = vec![commitment_fr(model)];
        v.extend(trace.input.iter().map(|x| fr_from_i128(i128::from(*x))));
        v.extend(trace.output().iter().map(|x| fr_from_i128(i128::from(*x))));
        v
    }
}

/// The model commitment as a field element.
pub fn commitment_fr(model: &QuantModel) -> Fr {
    let mut le = model.commitment();
    le.reverse();
    // < 2^253, always canonical.
    Option::from(Fr::from_bytes(&le)).unwrap_or(Fr::zero())
}


impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        Self { model: self.model.clone(), shape: self.shape, trace: None }
    }

    fn params(&self) -> CircuitShape {
        self.shape
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, shape)
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        ModelConfig::configure(meta, CircuitShape::default())
    }

    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        config.load_tables(&mut layouter)?;
        let bindings = layouter.assign_region(
            || "model",
            |mut region| {
                let mut sink = layout::RegionSink { region: &mut region };
                layout::assign(&config, &self.model, self.trace.as_ref(), &mut sink)
            },
        )?;
        for (cell, row) in bindings.instance {
            layouter.constrain_instance(cell, config.instance, row);
        }
        Ok(())
    }
}

/// The result of sizing a circuit by a dry run of the real layout code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitPlan {
    /// The shape (with `dot_width` raised to the rescale row's minimum).
    pub shape: CircuitShape,
    /// log2 of the number of rows.
    pub k: u32,
    /// Rows used by the layout.
    pub rows: usize,
    /// Rows used by lookup tables.
    pub table_rows: usize,
    /// Advice columns.
    pub advice_columns: usize,
    /// Fixed columns (incl. selectors after compression is not counted).
    pub fixed_columns: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Maximum constraint degree.
    pub degree: usize,
    /// Number of public instances.
    pub num_instances: usize,
    /// Copy constraints.
    pub copies: usize,
    /// Size of a proof (SHPLONK, after selector compression), from the constraint system.
    pub proof_bytes: usize,
}

/// Largest supported k.
pub const MAX_K: u32 = 24;

/// Sizes the circuit for `model` by running the real layout against a counting sink.
pub fn plan(model: &QuantModel, shape: CircuitShape) -> Result<CircuitPlan, crate::error::ProverError> {
    let mut cs = ConstraintSystem::<Fr>::default();
    let config = ModelConfig::configure(&mut cs, shape);
    let mut sink = layout::CountingSink::default();
    let bindings = layout::assign(&config, model, None, &mut sink)
        .map_err(|e| crate::error::ProverError::Halo2 { stage: "layout dry run", message: format!("{e:?}") })?;
    let shape = config.shape;
    // Layout rows, table rows and public instances all have to fit in the usable rows.
    let num_instances = 1 + model.input_len() + model.output_len();
    let needed = sink.rows.max(shape.table_rows()).max(num_instances);
    let reserved = cs.blinding_factors() + 1;
    let k = (4..=MAX_K)
        .find(|k| (1usize << k) >= needed + reserved && (1usize << k) >= cs.minimum_rows())
        .ok_or(crate::error::ProverError::TooLarge { rows: needed + reserved, max_k: MAX_K })?;
    Ok(CircuitPlan {
        shape,
        k,
        rows: bindings.rows,
        table_rows: shape.table_rows(),
        advice_columns: cs.num_advice_columns(),
        fixed_columns: cs.num_fixed_columns(),
        lookups: cs.lookups().len(),
        degree: cs.degree(),
        num_instances,
        copies: sink.copies,
        proof_bytes: proof_bytes(cs, &sink.enabled, k),
    })
}

/// The size of a SHPLONK proof for `cs` (selectors compressed as key generation does, from the
/// dry run's enabled selectors): 64 bytes per commitment (advice columns, three per lookup,
/// permutation products, the vanishing argument's random polynomial and the quotient's pieces —
/// `degree − 1` rounded up to a power of two —, two multi-open commitments) and 32 per
/// evaluation (every advice and fixed query, the random polynomial, each permuted column's σ,
/// three per product (two for the last), five per lookup).
pub fn proof_bytes(cs: ConstraintSystem<Fr>, enabled: &[(usize, usize)], k: u32) -> usize {
    let n = 1usize << k;
    let mut selectors = vec![vec![false; n]; cs.num_selectors()];
    for (s, row) in enabled {
        if let Some(cell) = selectors.get_mut(*s).and_then(|v| v.get_mut(*row)) {
            *cell = true;
        }
    }
    let (cs, _) = cs.compress_selectors(selectors);
    let degree = cs.degree();
    let perm_columns = cs.permutation().get_columns().len();
    let chunks = perm_columns.div_ceil(degree - 2);
    let lookups = cs.lookups().len();
    let commitments = cs.num_advice_columns() + 3 * lookups + chunks + 1 + (degree - 1).next_power_of_two() + 2;
    let evaluations = cs.advice_queries().len() + cs.fixed_queries().len() + 1 + perm_columns + (3 * chunks).saturating_sub(1) + 5 * lookups;
    64 * commitments + 32 * evaluations
}
