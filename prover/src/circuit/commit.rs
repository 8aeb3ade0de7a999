//! The tensor-commitment chips (a hashed input or output): packing with range checks, and the
//! Poseidon sponge ([`crate::hash`]), on the model's own columns (`x[0]`, `x[1]`, `acc`, `z`, `w[0]`, `w[1]`), so
//! that hashing adds no commitment to the proof, only queries.
//!
//! # Packing (`q_pack`), one row per limb, limbs of each value most significant first
//! ```text
//! | x[0]            | x[1]     | acc     | z    | w[0]              | w[1]            |
//! | v (value's last | acc[next]| running | limb | 0: element starts | 1: value's last |
//! |  limb row)      |          |         |      | 1: continues      |    limb row     |
//! acc[next] = w[0]·acc·2^L + z,   x[1] = acc[next],
//! w[1]·(x[0] + 2^(b−1) − Σ_(j<m) z[−j]·2^(L·j)) = 0                 (b = L·m bits per value)
//! ```
//! Every `z` is a limb (the lookup), so each `v + 2^(b−1)` is in `[0, 2^b)` and the element
//! `x[1]` on an element's last row is the big-endian packing of its values; `x[0]` on each value's
//! last row is the value's cell (an input's source; a copy of an output's cell).
//!
//! # Sponge: per permutation, an absorb row, an element row and two rows per round
//! ```text
//! absorb row A | x[0] x[1] acc = state          | w[0] = L + tag·2^64, w[1] = 1 on the first (init) row
//! element row  | x[0] = e_a, x[1] = e_b         |   (padding e_b: a copy of the init row's x[1] = 0)
//! round row    | x[0] x[1] acc = a (state)      | w[0] = c0, w[1] = c1
//! square row   | x[0] = b0², x[1] acc = t1 t2  | w[0] = c2, w[1] = f (1 full round, 0 partial)
//! (next round row, … , the next absorb row or the output row)
//! ```
//! `q_absorb` (row A): state[A+2] = state[A] + (0, e_a, e_b); on the init row state = (w[0], 0, 0).
//! `q_round` (round row r): with b = a + c, `t_k = f·b_k² + 1 − f` and `y_0 = (b0²)²·b0`,
//! `y_k = t_k²·b_k` (the S-box `b⁵` in full rounds, `b_k` in partial ones), the next state is
//! `a[r+2] = M·y`. Degree 4 with the selector, so that it shares a selector column.

use super::layout::{Root, Sink};
use super::{fr_from_i128, pow2, ModelConfig};
use crate::hash::{self, poseidon, Tensor};
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// Rows of one permutation block: the absorb row, the element row, two per round.
pub const BLOCK_ROWS: usize = 2 + 2 * poseidon::ROUNDS;

/// Selectors of the commitment chips.
#[derive(Debug, Clone, Copy)]
pub struct CommitConfig {
    pub(super) q_pack: Selector,
    pub(super) q_absorb: Selector,
    pub(super) q_round: Selector,
}

/// The columns the chips use (the model's).
pub(super) struct Columns {
    pub x0: Column<Advice>,
    pub x1: Column<Advice>,
    pub acc: Column<Advice>,
    pub z: Column<Advice>,
    pub w0: Column<Fixed>,
    pub w1: Column<Fixed>,
}

impl CommitConfig {
    /// Creates the gates on the selectors `(q_round, q_absorb, q_pack)` (created by the caller, whose
    /// order decides selector compression). `limb_w` bits per limb (`L`), `per_value` limbs per value (`m`).
    pub(super) fn configure(meta: &mut ConstraintSystem<Fr>, c: &Columns, selectors: (Selector, Selector, Selector), limb_w: u32, per_value: usize) -> Self {
        let (q_round, q_absorb, q_pack) = selectors;
                let k = |v: Fr| Expression::Constant(v);

        meta.create_gate("pack", |m| {
            let q = m.query_selector(q_pack);
            let acc = m.query_advice(c.acc, Rotation::cur());
            let acc_next = m.query_advice(c.acc, Rotation::next());
            let z = m.query_advice(c.z, Rotation::cur());
            let value = m.query_advice(c.x0, Rotation::cur());
            let running = m.query_advice(c.x1, Rotation::cur());
            let cont = m.query_fixed(c.w0, Rotation::cur());
            let last = m.query_fixed(c.w1, Rotation::cur());
            let limbs = (0..per_value).fold(k(Fr::zero()), |e, j| e + m.query_advice(c.z, Rotation(-(j as i32))) * k(pow2(limb_w * j as u32)));
            vec![
                q.clone() * (acc_next.clone() - cont * acc * k(pow2(limb_w)) - z),
                q.clone() * (running - acc_next),
                q * last * (value + k(pow2(limb_w * per_value as u32 - 1)) - limbs),
            ]
        });

        let state = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>, rot: i32| {
            [c.x0, c.x1, c.acc].map(|col| m.query_advice(col, Rotation(rot)))
        };
        meta.create_gate("absorb", |m| {
            let q = m.query_selector(q_absorb);
            let [a0, a1, a2] = state(m, 0);
            let [n0, n1, n2] = state(m, 2);
            let ea = m.query_advice(c.x0, Rotation::next());
            let eb = m.query_advice(c.x1, Rotation::next());
            let init = m.query_fixed(c.w1, Rotation::cur());
            let len = m.query_fixed(c.w0, Rotation::cur());
            vec![
                q.clone() * (n0 - a0.clone()),
                q.clone() * (n1 - a1.clone() - ea),
                q.clone() * (n2 - a2.clone() - eb.clone()),
                q.clone() * init.clone() * (a0 - len),
                q.clone() * init.clone() * a1,
                q * init * a2,
            ]
        });

        // One gate for both round kinds, of degree 4 with its selector: the square row holds
        // t_k = f·b_k² + (1 − f) for k > 0 (f = 1 in full rounds, from w[1] on that row), so
        // that y_k = t_k²·b_k is b_k⁵ in a full round and b_k in a partial one.
        let mds = poseidon::spec().mds;
        meta.create_gate("poseidon round", |m| {
            let q = m.query_selector(q_round);
            let a = state(m, 0);
            let sq = state(m, 1);
            let next = state(m, 2);
            let rc = [m.query_fixed(c.w0, Rotation::cur()), m.query_fixed(c.w1, Rotation::cur()), m.query_fixed(c.w0, Rotation::next())];
            let full = m.query_fixed(c.w1, Rotation::next());
            let b: Vec<Expression<Fr>> = a.iter().zip(rc).map(|(a, c)| a.clone() + c).collect();
            let mut out = vec![q.clone() * (sq[0].clone() - b[0].clone() * b[0].clone())];
            for i in 1..poseidon::WIDTH {
                let t = full.clone() * b[i].clone() * b[i].clone() + k(Fr::one()) - full.clone();
                out.push(q.clone() * (sq[i].clone() - t));
            }
            let y: Vec<Expression<Fr>> = (0..poseidon::WIDTH).map(|i| sq[i].clone() * sq[i].clone() * b[i].clone()).collect();
            for (j, row) in mds.iter().enumerate() {
                let mixed = row.iter().zip(&y).fold(k(Fr::zero()), |e, (mjk, yk)| e + k(*mjk) * yk.clone());
                out.push(q.clone() * (next[j].clone() - mixed));
            }
            out
        });
        Self { q_pack, q_absorb, q_round }
    }
}

/// The witness of one round: the squares on its square row and the state after it.
pub(super) fn round_witness(state: &[Fr; 3], r: usize) -> ([Fr; 3], [Fr; 3]) {
    let spec = poseidon::spec();
    let full = poseidon::is_full_round(r);
    let b: Vec<Fr> = state.iter().zip(spec.round_constants[r]).map(|(a, c)| *a + c).collect();
    let t = |x: Fr| if full { x.square() } else { Fr::one() };
    let sq = [b[0].square(), t(b[1]), t(b[2])];
    let mut next = *state;
    poseidon::round(&mut next, r);
    (sq, next)
}

/// What [`assign`] placed.
pub(super) struct Placed<C> {
    /// The value cells, in tensor order.
    pub cells: Vec<C>,
    /// The commitment (the sponge's output).
    pub hash: C,
    /// A cell constrained to 0 (the init row's `x[1]`).
    pub zero: C,
    /// The next free row.
    pub end: usize,
}

/// The commitment to `count` values of `tensor` (their values and the salt: `None` at key
/// generation) from row `start`, whose `acc` the caller guarantees no gate sets: the sponge's
/// blocks, then the packing rows, then one row closing the packing accumulator.
#[allow(clippy::too_many_arguments)]
pub(super) fn assign<S: Sink>(
    cfg: &ModelConfig,
    c: &CommitConfig,
    tensor: Tensor,
    count: usize,
    witness: Option<(&[i64], Fr)>,
    start: usize,
    sink: &mut S,
) -> Result<Placed<S::Cell>, Error> {
    let shape = cfg.shape;
    // Limbs of L bits, m per value (L·m = s·n, the value range).
    let (limb_w, per_value) = (shape.limb_bits(), shape.value_limbs());
    let bits = shape.packing_bits();
    let per_element = hash::values_per_element(bits);
    let elements = 1 + count.div_ceil(per_element);
    let blocks = hash::permutations(elements);
    let (x0, x1, acc, z, w0, w1) = (cfg.x[0], cfg.x[1], cfg.acc, cfg.z, cfg.w[0], cfg.w[1]);
    // The absorbed elements [salt, e_0, …] (unknown at key generation). An out-of-range value
    // (which `ModelCircuit::instances` refuses) packs arithmetically and fails the limb lookup.
    let absorbed: Option<Vec<Fr>> = witness.map(|(values, salt)| {
        let mut v = vec![salt];
        v.extend(hash::pack_unchecked(values, bits));
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
    let capacity = tensor.capacity(elements);
    let mut state: Option<[Fr; 3]> = absorbed.as_ref().map(|_| [capacity, Fr::zero(), Fr::zero()]);
    let mut element_cells: Vec<S::Cell> = Vec::with_capacity(2 * blocks);
    let mut row = start;
    let mut zero = None;
    for b in 0..blocks {
        sink.enable(c.q_absorb, row)?;
        if b == 0 {
            sink.fixed(w0, row, capacity);
            sink.fixed(w1, row, Fr::one());
        }
        // On the init row, x[1] is constrained to 0: padding copies it.
        let x1_cell = put_state(sink, row, state);
        zero.get_or_insert(x1_cell);
        let (ia, ib) = (2 * b, 2 * b + 1);
        let ea = sink.advice(x0, row + 1, element(ia));
        if b == 0 {
            // Element 0 is the salt: the prover's choice.
            sink.root(&ea, Root::Salt(tensor));
        }
        element_cells.push(ea);
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

    // Packing: per value, its m limbs most significant first.
    let half = 1i128 << (bits - 1);
    let mask = (1i128 << limb_w) - 1;
    let mut cells = Vec::with_capacity(count);
    let mut running = Fr::zero();
    let known = |v: Fr| if witness.is_some() { Value::known(v) } else { Value::unknown() };
    for (e, values) in (0..count).collect::<Vec<_>>().chunks(per_element).enumerate() {
        for (vi, &i) in values.iter().enumerate() {
            let v = witness.map(|(values, _)| values.get(i).copied().unwrap_or(0));
            let u = v.map(|v| i128::from(v) + half);
            for j in 0..per_value {
                let first = vi == 0 && j == 0;
                let last_limb = j == per_value - 1;
                sink.enable(c.q_pack, row)?;
                sink.fixed(w0, row, if first { Fr::zero() } else { Fr::one() });
                // The top limb is not masked: a value outside the packing range leaves the table
                // there (rather than breaking the value's own gate).
                let limb = u.map(|u| {
                    let l = u >> (limb_w as usize * (per_value - 1 - j));
                    if j == 0 {
                        l
                    } else {
                        l & mask
                    }
                });
                let limb_cell = sink.advice(z, row, limb.map_or(Value::unknown(), |l| Value::known(fr_from_i128(l))));
                // A hashed input's or weights' values are the prover's choice, limb by limb (each
                // value is determined by its limbs); an output's limbs are determined by its value.
                if tensor != Tensor::Output {
                    sink.root(&limb_cell, Root::Limb(tensor));
                }
                sink.advice(acc, row, known(running));
                if let Some(l) = limb {
                    running = if first { Fr::zero() } else { running * super::pow2(limb_w) } + fr_from_i128(l);
                }
                let packed = sink.advice(x1, row, known(running));
                if last_limb {
                    sink.fixed(w1, row, Fr::one());
                    cells.push(sink.advice(x0, row, v.map_or(Value::unknown(), |v| Value::known(fr_from_i128(i128::from(v))))));
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
    sink.advice(acc, row, known(running));
    sink.advice(z, row, Value::known(Fr::zero()));
    row += 1;
    Ok(Placed { cells, hash, zero: zero.ok_or(Error::Synthesis)?, end: row })
}
