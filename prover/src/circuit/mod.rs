//! The halo2 circuit proving a [`QuantModel`]. Knows nothing of ONNX.
//!
//! # Columns
//! `x[0..W)` advice (the only columns in the permutation), `acc` advice, `z` advice (limbs),
//! `w[0..W)` fixed (weights; on public and rescale rows they carry the row's constants; with
//! hashed weights only `w[0]` and `w[1]`, for the constants), `fon`
//! fixed (only with tabulated functions), one instance column (read by a gate, not copied), and
//! one lookup table: `[0, 2^L)` (limbs, `L` = [`CircuitShape::limb_bits`]), plus `(x + off_f, f(x) + C)` per tabulated function.
//! Every column costs the Solidity verifier one `ecMul` (~6.3k gas), so the layout keeps them few.
//!
//! # Public rows (`q_pub`), rows `0..m`, one per instance
//! ```text
//! row 0  | w[0] = model commitment, w[1] = 0 |  instance = w[0]   (hashed weights: as row i,
//!        |                                   |   x[0] a copy of the weights' commitment)
//! row i  | x[0] = value,           w[1] = 1  |  instance = x[0]   (inputs, then outputs)
//! acc[next] = w[0]·w[1]     (0, or on the last public row the first output's bias)
//! ```
//! Inputs are read by copying their `x[0]` cell; outputs' cells are copied into theirs.
//!
//! # Chips (one row shape each)
//! **Dot product** (`q_dot`), one row per chunk of `W` inputs:
//! ```text
//! | x[0] .. x[W-1] | acc     | w[0] .. w[W-1] |
//! | inputs chunk   | running | weights chunk  |
//! acc[next] = acc[cur] + Σ_k x_k[cur] · w_k[cur]
//! ```
//! An output's accumulator starts at its bias, held in `w[0]` of the row above its first row
//! (the previous output's rescale row, or the last public row).
//!
//! **Rescale + activation** (`q_rescale`; `q_act` for ReLU / none, which is `q_rescale` itself
//! when the model has no tabulated function), on the row `R` after the
//! last accumulating row, reading the final `acc`. Limbs are `L` bits wide
//! ([`CircuitShape::limb_bits`], a divisor of `s`; `L = s` unless the layout choice narrows
//! them): a value's range `s·n` bits is `m = s·n/L` limbs, a remainder's `s` bits `k = s/L`.
//! `z` holds, on the rows above:
//! ```text
//! row           | x[0] | x[1] | acc | z                 | w[0]      | w[1]
//! R − m − 2 − j |      |      |     | r_j  (1 ≤ j < k)  |           |
//! R − m − 2     |      |      |     | t + 2^(L−1)       |           |
//! R − m − 1     |      |      |     | r_0               |           |
//! R − m         |      |      |     | t                 |           |   t = l_{m−1} − sign·2^(L−1)
//! R − 1 − i     |      |      |     | l_i  (i < m − 1)  |           |
//! R             | sign | out  |  v  | 0                 | next bias | 1 ReLU, 0 none, off_f
//! q = Σ_(i<m−1) l_i · 2^(L·i) + t · 2^(L·(m−1)) + (sign − 1) · 2^(s·n − 1),  r = Σ_j r_j · 2^(L·j)
//! v + 2^(s−1) − r − 2^s · q = 0,  sign · (1 − sign) = 0,  z[R−m−2] = t + 2^(L−1),
//! acc[R+1] = w[0][R]                                                     (q_rescale)
//! out = q · (w[1] · sign + 1 − w[1] − fstep) + fstep · 2^s · sign       (q_act)
//! z ∈ [0, 2^L) on every row                                              (the lookup)
//! ```
//! (with `L = s`: `m = n`, `k = 1`, the `n + 2` rows of `q`'s limbs, `r`, `t` and `t + 2^(s−1)`.)
//! `t` and `t + 2^(L−1)` both in `[0, 2^L)` put `t` in `[0, 2^(L−1))`; the limbs bound `q` to
//! `[−2^(s·n−1), 2^(s·n−1))` and `r` to `[0, 2^s)`, which makes `q` and `r` unique; `sign` is the
//! top bit of `q + 2^(s·n−1)`, i.e. `sign = 1 ⇔ q ≥ 0`.
//!
//! **Step** (comparisons `x ≥ 0`, and `x > 0` with the bias one unit lower; the `fstep` fixed
//! column, only configured when the model has one): the same row with `fstep = 1`, `w[1] = 0`,
//! so `out = 2^s · sign`, exactly `1.0` iff `q ≥ 0`. No table: it holds over the whole range.
//!
//! **Products** (`q_mul`; only configured when the model multiplies activations), one row per chunk of `⌊W/2⌋` pairs, continuing the same accumulator:
//! ```text
//! | x[0] x[1] | x[2] x[3] | .. | acc     |
//! |  a0   b0  |  a1   b1  | .. | running |
//! acc[next] = acc[cur] + Σ_k x_2k[cur] · x_2k+1[cur]      (q_mul)
//! ```
//!
//! **Hashed weights** (`weights=hashed`): no `q_dot` and no weight columns. Every term is a
//! product row pair `(input, weight)`, the weight's cell a copy of its cell in the weights'
//! commitment ([`commit`], tag 2, over [`QuantModel::committed_weights`]); the accumulator starts at
//! 0 (`w[0] = 0` above) and the rescale row reads `v = acc + 2^s · x[2]`, `x[2]` being a copy of
//! the committed bias (at the weights' scale). Nothing in the verifying key then depends on the
//! weight values: one key proves every weight set of the architecture.
//!
//! **Tabulated activation** (sigmoid, tanh, exp, 1/x, 1/√x, √x, erf, gelu; only configured when the
//! model uses one): its rescale row sets `fon = 1` and `w[1] = off_f = tag_f · 2^(s·n)` instead of
//! `q_act`, and the one lookup reads
//! ```text
//! ((1 − fon)·z + fon·(q + w[1]),  fon·(out + C)) ∈ {(v, 0) : v < 2^L} ∪ {(x + off_f, f(x) + C)}
//! ```
//! with `C = 2^(s·n)`; the table holds `round(f(x / 2^s) · 2^s)` (clamped to the value range) for
//! `x` in each function's calibrated domain. Since `|x|, |q|, |f(x)| < 2^(s·n−1)`, the offsets
//! keep functions apart and no function entry matches a limb row (whose second component is 0).
//!
//! **Interpolated tables** ([`crate::quant::Interp`], chosen when the exact tables would be large, or
//! `--interp-bits`): the table holds every `2^b`-th input, a third column `f1` the next entry,
//! and the lookup reads `(key + off_f, f0 + C, f1 + C)`, `key = q >> b` taken from `q`'s limbs;
//! `f0` sits in `z` of the rescale row and `f1` in a free `x` cell, and the increment
//! `⌊((f1 − f0)·(q mod 2^b) + 2^(b−1)) / 2^b⌋` is range-checked through `j + d` more limbs below
//! the rescale's ([`interp`], which documents the rows and the soundness argument).
//!
//! Linear maps are sparse: a row of the dot-product chip takes any `W` terms of its output's
//! term list (dense layers list every input, convolutions their window), so the same chips
//! prove Gemm, MatMul, Conv, pooling, residual sums, attention and normalisation. Every `x` cell
//! is copy-constrained to the cell of the wire it reads.
//!
//! # Public instances
//! `[model commitment, binding, input…, output…]`, each on its own public row: the binding
//! ([`crate::binding::Binding`]) ties the proof to its claimant; the input and the output are
//! each their values (public), one commitment (hashed, see [`commit`]) or nothing (private).

pub mod audit;
pub mod commit;
#[cfg(any(test, feature = "test-support"))]
pub mod forge;
pub mod interp;
pub mod layout;
mod shape;

pub use shape::CircuitShape;

use crate::hash::Tensor;
use crate::visibility::{InputWires, Visibility};
use crate::quant::{QuantModel, Trace};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, Expression, Fixed, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use zkinfer_verifier_gen::gas::VerifierCost;


/// Column and selector handles.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The shape configured.
    pub shape: CircuitShape,
    x: Vec<Column<Advice>>,
    acc: Column<Advice>,
    w: Vec<Column<Fixed>>,
    q_pub: Selector,
    /// Fixed-weight dot products (absent with hashed weights: products do their work).
    q_dot: Option<Selector>,
    q_mul: Option<Selector>,
    q_rescale: Selector,
    /// ReLU / linear rows, when they differ from the rescale rows (with tabulated functions).
    q_act: Option<Selector>,
    z: Column<Advice>,
    /// `1` on the rescale rows of tabulated activations (only when the model uses one).
    fon: Option<Column<Fixed>>,
    /// `1` on the rescale rows of steps (only when the model has one).
    fstep: Option<Column<Fixed>>,
    /// The input-commitment chips (only with a hashed input).
    commit: Option<commit::CommitConfig>,
    /// The one lookup table: limb values and, with tabulated functions, `f(x)` (offset).
    t_value: TableColumn,
    t_fx: Option<TableColumn>,
    /// With interpolated tables, `f1` (offset): the function at the next key.
    t_fx1: Option<TableColumn>,
}

impl ModelConfig {
    /// Configures the constraint system.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> Self {
        // m limbs of L bits per value (its range is s·n = L·m bits), k limbs per remainder.
        let (m_limbs, k_limbs, l_bits) = (shape.value_limbs(), shape.remainder_limbs(), shape.limb_bits());
        let s = shape.scale_bits;
        let range_bits = shape.packing_bits();
        let width = shape.dot_width.max(CircuitShape::min_dot_width(shape.visibility, shape.interp.is_some()));
        let shape = CircuitShape { dot_width: width, ..shape };
        // Degree 5 costs the same quotient pieces as 4 (both round up to 4) but lets each
        // permutation product cover 3 columns instead of 2, and fits the lookup's degree.
        meta.set_minimum_degree(5);
        let x: Vec<Column<Advice>> = (0..width).map(|_| meta.advice_column()).collect();
        x.iter().for_each(|c| meta.enable_equality(*c));
        let acc = meta.advice_column();
        let z = meta.advice_column();
        let w: Vec<Column<Fixed>> = (0..shape.weight_columns()).map(|_| meta.fixed_column()).collect();
        let hashed_weights = shape.hashed_weights();
        let functions = !shape.tabulated().is_empty();
        let fon = functions.then(|| meta.fixed_column());
        let fstep = shape.steps.then(|| meta.fixed_column());
        // Not in the permutation: public rows read it through the `public` gate.
        let instance = meta.instance_column();
        // Selectors compress greedily in creation order into as few fixed columns as the degree
        // allows (a group of gates of degree d + 1 takes at most 5 − d selectors): the degree-4
        // gates first, so that each pairs with one other.
        // Order: the two degree-4 gates (the Poseidon round; ReLU/linear, which without tabulated
        // functions shares `q_rescale`: every rescale row is then ReLU or linear), then the rest.
        let hashed = shape.hashes();
        let q_round = hashed.then(|| meta.selector());
        let q_act = functions.then(|| meta.selector());
        let q_rescale = meta.selector();
        let commit_selectors = hashed.then(|| (meta.selector(), meta.selector()));
        let q_pub = meta.selector();
        let q_dot = shape.fixed_dot_products().then(|| meta.selector());
        let q_mul = (shape.products || hashed_weights).then(|| meta.selector());
        let commit = match (q_round, commit_selectors) {
            (Some(q_round), Some((q_absorb, q_pack))) => {
                let columns = commit::Columns { x0: x[0], x1: x[1], acc, z, w0: w[0], w1: w[1] };
                Some(commit::CommitConfig::configure(meta, &columns, (q_round, q_absorb, q_pack), l_bits, m_limbs))
            }
            _ => None,
        };
        let t_value = meta.lookup_table_column();
        let t_fx = functions.then(|| meta.lookup_table_column());
        let interp = shape.interp.filter(|_| functions);
        let t_fx1 = interp.map(|_| meta.lookup_table_column());
        let one = || Expression::Constant(Fr::one());

        // Public rows: instance = x[0] (w[1] = 1), or instance = w[0] (w[1] = 0: the commitment
        // row); and the accumulator below starts at w[0]·w[1] (the first output's bias, else 0).
        meta.create_gate("public", |m| {
            let q = m.query_selector(q_pub);
            let inst = m.query_instance(instance, Rotation::cur());
            let is_cell = m.query_fixed(w[1], Rotation::cur());
            let cell = m.query_advice(x[0], Rotation::cur());
            let constant = m.query_fixed(w[0], Rotation::cur());
            let acc_next = m.query_advice(acc, Rotation::next());
            vec![
                q.clone() * (inst - is_cell.clone() * cell - (one() - is_cell.clone()) * constant.clone()),
                q * (acc_next - is_cell * constant),
            ]
        });
        if let Some(q_dot) = q_dot {
            meta.create_gate("dot", |m| {
                let q = m.query_selector(q_dot);
                let acc_cur = m.query_advice(acc, Rotation::cur());
                let acc_next = m.query_advice(acc, Rotation::next());
                let sum = (0..width).fold(Expression::Constant(Fr::zero()), |e, k| {
                    e + m.query_advice(x[k], Rotation::cur()) * m.query_fixed(w[k], Rotation::cur())
                });
                vec![q * (acc_next - acc_cur - sum)]
            });
        }
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

        // Rescale-row cells; limbs, remainder and the shifted top limb are in `z` above the row.
        let sign_col = x[0];
        let out_col = x[1];
        let (m_rot, m_u32) = (m_limbs as i32, m_limbs as u32);
        let q_expr = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>| {
            let sign = m.query_advice(sign_col, Rotation::cur());
            let mut e = (sign - Expression::Constant(Fr::one())) * Expression::Constant(pow2(range_bits - 1));
            for i in 0..m_limbs - 1 {
                e = e + m.query_advice(z, Rotation(-1 - i as i32)) * Expression::Constant(pow2(l_bits * i as u32));
            }
            e + m.query_advice(z, Rotation(-m_rot)) * Expression::Constant(pow2(l_bits * (m_u32 - 1)))
        };
        // r = Σ_j r_j·2^(L·j): r_0 on row −m−1, r_j (j ≥ 1) on row −m−2−j.
        let r_expr = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>| {
            (1..k_limbs).fold(m.query_advice(z, Rotation(-m_rot - 1)), |e, j| {
                e + m.query_advice(z, Rotation(-m_rot - 2 - j as i32)) * Expression::Constant(pow2(l_bits * j as u32))
            })
        };
        meta.create_gate("rescale", |m| {
            let q = m.query_selector(q_rescale);
            // With hashed weights the bias is a committed cell, x[2] of this row, at scale 2^s.
            let v = match hashed_weights {
                true => m.query_advice(acc, Rotation::cur()) + m.query_advice(x[2], Rotation::cur()) * Expression::Constant(pow2(s)),
                false => m.query_advice(acc, Rotation::cur()),
            };
            let top = m.query_advice(z, Rotation(-m_rot));
            let r = r_expr(m);
            let top_shifted = m.query_advice(z, Rotation(-m_rot - 2));
            let sign = m.query_advice(sign_col, Rotation::cur());
            let acc_next = m.query_advice(acc, Rotation::next());
            let next_bias = m.query_fixed(w[0], Rotation::cur());
            let quotient = q_expr(m);
            vec![
                q.clone() * (v + Expression::Constant(pow2(s - 1)) - r - quotient * Expression::Constant(pow2(s))),
                q.clone() * sign.clone() * (one() - sign),
                // top, top + 2^(L−1) both limbs ⇒ top ∈ [0, 2^(L−1))
                q.clone() * (top_shifted - top - Expression::Constant(pow2(l_bits - 1))),
                // the next output's accumulator starts at its bias (0 after the last output)
                q * (acc_next - next_bias),
            ]
        });
        // out = q·sign (ReLU: w[1] = 1) or out = q (w[1] = 0); w[] are free on rescale rows.
        // With steps: out = 2^s·sign on a step's row (fstep = 1, w[1] = 0): `1` iff q ≥ 0.
        meta.create_gate("relu or linear", |m| {
            let q = m.query_selector(q_act.unwrap_or(q_rescale));
            let relu = m.query_fixed(w[1], Rotation::cur());
            let sign = m.query_advice(sign_col, Rotation::cur());
            let out = m.query_advice(out_col, Rotation::cur());
            let quotient = q_expr(m);
            match fstep {
                Some(fstep) => {
                    let step = m.query_fixed(fstep, Rotation::cur());
                    let factor = relu.clone() * sign.clone() + one() - relu - step.clone();
                    vec![q * (out - quotient * factor - step * sign * Expression::Constant(pow2(s)))]
                }
                None => {
                    let factor = relu.clone() * sign + one() - relu;
                    vec![q * (out - quotient * factor)]
                }
            }
        });
        // One lookup on every row. Without functions: z ∈ [0, 2^L). With functions:
        // ((1 − fon)·z + fon·(q + w[1]), fon·(out + C)) ∈ {(v, 0)} ∪ {(x + off_f, f(x) + C)}:
        // on a function's rescale row fon = 1 and w[1] = off_f = tag_f·2^(s·n) (see `load_tables`).
        // With interpolation ([`interp`]): the key q >> b and (f0, f1) instead of (q, out).
        let interp_cells = interp.map(|i| interp::Cells { z, sign: sign_col, out: out_col, f1: x[shape.f1_column()], shape, interp: i });
        meta.lookup("limbs and functions", |m| {
            let zc = m.query_advice(z, Rotation::cur());
            match (fon, t_fx) {
                (Some(fon), Some(t_fx)) => {
                    let on = m.query_fixed(fon, Rotation::cur());
                    let off = m.query_fixed(w[1], Rotation::cur());
                    let c = Expression::Constant(shape.function_output_offset());
                    match (&interp_cells, t_fx1) {
                        (Some(cells), Some(t_fx1)) => {
                            let value = (one() - on.clone()) * zc.clone() + on.clone() * (cells.key(m) + off);
                            let f1 = m.query_advice(cells.f1, Rotation::cur());
                            vec![(value, t_value), (on.clone() * (zc + c.clone()), t_fx), (on * (f1 + c), t_fx1)]
                        }
                        _ => {
                            let quotient = q_expr(m);
                            let out = m.query_advice(out_col, Rotation::cur());
                            let value = (one() - on.clone()) * zc + on.clone() * (quotient + off);
                            vec![(value, t_value), (on * (out + c), t_fx)]
                        }
                    }
                }
                _ => vec![(zc, t_value)],
            }
        });
        if let (Some(cells), Some(fon)) = (&interp_cells, fon) {
            cells.configure(meta, fon);
        }

        Self { shape, x, acc, w, q_pub, q_dot, q_mul, q_rescale, q_act, z, fon, fstep, commit, t_value, t_fx, t_fx1 }
    }

    /// The lookup table's rows, in the order of the lookup's components: `[value]` without
    /// tabulated functions, else `[value, f(x)]` (limb entries `(v, 0)`, then every function's
    /// `(x + off_f, f(x) + C)`), with interpolation `[value, f0, f1]` (limb entries `(v, 0, 0)`,
    /// then per key `x` of every function `(x + off_f, f0 + C, f1 + C)`, [`crate::quant::Interp`]).
    pub fn lookup_table(&self) -> Result<Vec<Vec<Fr>>, Error> {
        let p = self.shape.params();
        let bound = 1i128 << (self.shape.packing_bits() - 1);
        let c = self.shape.function_output_offset();
        let mut rows: Vec<Vec<Fr>> = (0..1u64 << self.shape.limb_bits()).map(|v| vec![Fr::from(v), Fr::zero(), Fr::zero()]).collect();
        for a in self.shape.tabulated() {
            let d = p.domain(a).ok_or(Error::Synthesis)?;
            let off = self.shape.function_offset(a);
            for x in p.table_keys(d) {
                let (f0, f1) = p.table_entry(a, x);
                // Soundness of the offsets needs |x|, |f(x)| below the value range.
                if [x, f0, f1].iter().any(|v| i128::from(*v).abs() >= bound) {
                    return Err(Error::Synthesis);
                }
                rows.push(vec![fr_from_i128(i128::from(x)) + off, fr_from_i128(i128::from(f0)) + c, fr_from_i128(i128::from(f1)) + c]);
            }
        }
        let width = 1 + usize::from(self.t_fx.is_some()) + usize::from(self.t_fx1.is_some());
        rows.iter_mut().for_each(|r| r.truncate(width));
        Ok(rows)
    }

    fn load_tables(&self, layouter: &mut impl Layouter<Fr>) -> Result<(), Error> {
        let rows = self.lookup_table()?;
        layouter.assign_table(
            || "limbs and functions",
            |mut t| {
                for (row, entry) in rows.iter().enumerate() {
                    t.assign_cell(|| "value", self.t_value, row, || Value::known(entry[0]))?;
                    if let (Some(t_fx), Some(fx)) = (self.t_fx, entry.get(1)) {
                        t.assign_cell(|| "f(x)", t_fx, row, || Value::known(*fx))?;
                    }
                    if let (Some(t_fx1), Some(fx1)) = (self.t_fx1, entry.get(2)) {
                        t.assign_cell(|| "f1", t_fx1, row, || Value::known(*fx1))?;
                    }
                }
                Ok(())
            },
        )
    }

    /// The `x` advice columns (the only ones in the permutation).
    pub fn x_columns(&self) -> &[Column<Advice>] {
        &self.x
    }
    /// The accumulator column.
    pub fn acc_column(&self) -> Column<Advice> {
        self.acc
    }
    /// The limb column.
    pub fn z_column(&self) -> Column<Advice> {
        self.z
    }

    /// A name for advice column `index` (`x[k]`, `acc` or `z`), for reports.
    pub fn advice_name(&self, index: usize) -> String {
        if let Some(k) = self.x.iter().position(|c| c.index() == index) {
            return format!("x[{k}]");
        }
        match index {
            i if i == self.acc.index() => "acc".into(),
            i if i == self.z.index() => "z".into(),
            i => format!("advice {i}"),
        }
    }
}

/// `2^e` in the field.
pub fn pow2(e: u32) -> Fr {
    Fr::from(2).pow_vartime([u64::from(e)])
}

/// A signed integer as a field element (negatives as `r − |v|`).
pub fn fr_from_i128(v: i128) -> Fr {
    let a = v.unsigned_abs();
    // `from_u128` doubles bit by bit: two 64-bit limbs are ~50× faster.
    let m = match u64::try_from(a) {
        Ok(small) => Fr::from(small),
        Err(_) => Fr::from((a >> 64) as u64) * pow2(64) + Fr::from(a as u64),
    };
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
    /// Public instances for a trace: `[model commitment, binding, input…, output…]`, where the
    /// input and the output are each their values (public), their commitment
    /// ([`crate::hash::commit`] with the trace's salt; hashed) or absent (private). Fails, naming
    /// the value, when a hashed value is outside the packing range.
    pub fn instances(model: &QuantModel, shape: &CircuitShape, trace: &Trace) -> crate::Result<Vec<Fr>> {
        let bits = shape.packing_bits();
        let committed = |tensor: Tensor, values: &[i64]| {
            crate::hash::commit(tensor, values, bits, trace.salt)
                .map_err(|e| crate::ProverError::BadInput(format!("hashed {}: {e}", tensor.name())))
        };
        let model_commitment = if shape.hashed_weights() {
            if !model.has_committed_biases() {
                return Err(crate::ProverError::BadInput("hashed weights need biases at the weights' scale (QuantModel::with_committed_biases)".into()));
            }
            crate::hash::commit(Tensor::Weights, &model.committed_weights(), bits, trace.weight_salt)
                .map_err(|e| crate::ProverError::BadInput(format!("hashed weights: {e}")))?
        } else {
            commitment_fr(model)
        };
        let mut v = vec![model_commitment, trace.binding];
        let wires = shape.input_wires(model);
        v.extend(InputWires::pick(&trace.input, &wires.public).iter().map(|x| fr_from_i128(i128::from(*x))));
        if !wires.hashed.is_empty() {
            let hashed = InputWires::pick(&trace.input, &wires.hashed);
            model.check_input_range(&hashed)?;
            v.push(committed(Tensor::Input, &hashed)?)
        }
        let outputs = trace.output();
        match shape.visibility.output {
            Visibility::Public => v.extend(outputs.iter().map(|x| fr_from_i128(i128::from(*x)))),
            Visibility::Hashed => v.push(committed(Tensor::Output, &outputs)?),
            Visibility::Private | Visibility::Fixed => {}
        }
        Ok(v)
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
        layouter.assign_region(
            || "model",
            |mut region| {
                let mut sink = layout::RegionSink { region: &mut region };
                layout::assign(&config, &self.model, self.trace.as_ref(), &mut sink)
            },
        )?;
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
    /// Of those, rows of the tensor commitments (sponge and packing rows of a hashed input,
    /// output or weights).
    #[serde(default)]
    pub commitment_rows: usize,
    /// Of those, the weights' commitment rows (hashed weights).
    #[serde(default)]
    pub weight_commitment_rows: usize,
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
    /// Scalar multiplications of the Solidity verifier (its main gas cost, ~6.3k each).
    #[serde(default)]
    pub verifier_ec_muls: usize,
    /// Predicted gas of a `verifyProof` transaction ([`VerifierCost::predicted_gas`]).
    #[serde(default)]
    pub predicted_verify_gas: u64,
}

/// Largest supported k.
pub const MAX_K: u32 = 24;

/// Sizes the circuit for `model` by running the real layout against a counting sink.
pub fn plan(model: &QuantModel, shape: CircuitShape) -> Result<CircuitPlan, crate::error::ProverError> {
    if let Some(m) = shape.limb_defect() {
        return Err(crate::error::ProverError::BadSettings(m));
    }
    let mut cs = ConstraintSystem::<Fr>::default();
    let config = ModelConfig::configure(&mut cs, shape);
    let mut sink = layout::CountingSink::default();
    let bindings = layout::assign(&config, model, None, &mut sink)
        .map_err(|e| crate::error::ProverError::Halo2 { stage: "layout dry run", message: format!("{e:?}") })?;
    let shape = config.shape;
    // Layout rows, table rows and public instances all have to fit in the usable rows.
    let num_instances = shape.num_instances(model);
    let needed = sink.rows.max(shape.table_rows()).max(num_instances);
    let reserved = cs.blinding_factors() + 1;
    let k = (4..=MAX_K)
        .find(|k| (1usize << k) >= needed + reserved && (1usize << k) >= cs.minimum_rows())
        .ok_or(crate::error::ProverError::TooLarge { rows: needed + reserved, max_k: MAX_K })?;
    let cost = verifier_cost(cs.clone(), &sink.enabled, k, num_instances);
    Ok(CircuitPlan {
        shape,
        k,
        rows: bindings.rows,
        commitment_rows: bindings.commitment_rows,
        weight_commitment_rows: bindings.weight_commitment_rows,
        table_rows: shape.table_rows(),
        advice_columns: cs.num_advice_columns(),
        fixed_columns: cs.num_fixed_columns(),
        lookups: cs.lookups().len(),
        degree: cs.degree(),
        num_instances,
        copies: sink.copies,
        proof_bytes: cost.proof_bytes,
        verifier_ec_muls: cost.msm_bases - 1,
        predicted_verify_gas: cost.predicted_gas(),
    })
}

/// The size of a proof for `cs` (selectors compressed as key generation does, from the dry run's
/// enabled selectors: the SHPLONK proof and the verifier's 32-byte inversion hint) and what its
/// Solidity verifier's gas depends on: 64 bytes per
/// proof commitment (advice columns, three per lookup, permutation products, the vanishing
/// argument's random polynomial and the quotient's pieces — `degree − 1` rounded up to a power of
/// two —, two multi-open commitments) and 32 per evaluation (every advice and fixed query, the
/// random polynomial, each permuted column's σ, three per product (two for the last), five per
/// lookup); the MSM also takes every fixed column's and σ's commitment and `G1`.
pub fn verifier_cost(cs: ConstraintSystem<Fr>, enabled: &[(usize, usize)], k: u32, instances: usize) -> VerifierCost {
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
    VerifierCost {
        msm_bases: commitments + cs.num_fixed_columns() + perm_columns + 1,
        // The Solidity verifier's proof ends with its 32-byte inversion hint.
        proof_bytes: 64 * commitments + 32 * evaluations + 32,
        evaluations,
        instances,
    }
}
