//! The input-commitment chips: packing with range checks, and the Poseidon sponge
//! ([`crate::hash`]), on the model's own columns (`x[0]`, `x[1]`, `acc`, `z`, `w[0]`, `w[1]`), so
//! that hashing adds no commitment to the proof, only queries.
//!
//! # Packing (`q_pack`), one row per limb, limbs of each value most significant first
//! ```text
//! | x[0]            | x[1]     | acc     | z    | w[0]              | w[1]            |
//! | v (value's last | acc[next]| running | limb | 0: element starts | 1: value's last |
//! |  limb row)      |          |         |      | 1: continues      |    limb row     |
//! acc[next] = w[0]·acc·2^s + z,   x[1] = acc[next],
//! w[1]·(x[0] + 2^(b−1) − Σ_(j<n) z[−j]·2^(s·j)) = 0                 (b = s·n bits per value)
//! ```
//! Every `z` is a limb (the lookup), so each `v + 2^(b−1)` is in `[0, 2^b)` and the element
//! `x[1]` on an element's last row is the big-endian packing of its values; `x[0]` on each value's
//! last row is the cell the model reads the input from.
//!
//! # Sponge: per permutation, an absorb row, an element row and two rows per round
//! ```text
//! absorb row A | x[0] x[1] acc = state          | w[0] = L, w[1] = 1 on the first (init) row
//! element row  | x[0] = e_a, x[1] = e_b         |   (padding e_b: a copy of the init row's x[1] = 0)
//! round row    | x[0] x[1] acc = a (state)      | w[0] = c0, w[1] = c1
//! square row   | x[0] x[1] acc = (a + c)²       | w[0] = c2
//! (next round row, … , the next absorb row or the output row)
//! ```
//! `q_absorb` (row A): state[A+2] = state[A] + (0, e_a, e_b); on the init row state = (L, 0, 0).
//! `q_full` / `q_partial` (round row r): with b = a + c, the squares `sq_k = b_k²` (only `k = 0`
//! in partial rounds) and `y_k = sq_k²·b_k` (S-box `b⁵`; `y_k = b_k` for `k > 0` in partial
//! rounds), the next state is `a[r+2] = M·y`. Degree 4 with the selector.

use super::pow2;
use crate::hash::poseidon;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// Rows of one permutation block: the absorb row, the element row, two per round.
pub const BLOCK_ROWS: usize = 2 + 2 * poseidon::ROUNDS;

/// Selectors of the commitment chips.
#[derive(Debug, Clone, Copy)]
pub struct CommitConfig {
    pub(super) q_pack: Selector,
    pub(super) q_absorb: Selector,
    pub(super) q_full: Selector,
    pub(super) q_partial: Selector,
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
    /// Creates the gates. `s` limb bits, `n` limbs per value.
    pub(super) fn configure(meta: &mut ConstraintSystem<Fr>, c: &Columns, s: u32, n: usize) -> Self {
        // Creation order: the degree-4 gates first (see `ModelConfig::configure`).
        let q_full = meta.selector();
        let q_partial = meta.selector();
        let q_absorb = meta.selector();
        let q_pack = meta.selector();
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
            let limbs = (0..n).fold(k(Fr::zero()), |e, j| e + m.query_advice(c.z, Rotation(-(j as i32))) * k(pow2(s * j as u32)));
            vec![
                q.clone() * (acc_next.clone() - cont * acc * k(pow2(s)) - z),
                q.clone() * (running - acc_next),
                q * last * (value + k(pow2(s * n as u32 - 1)) - limbs),
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

        // One gate per round kind, so that each has degree 4 and its selector compresses with
        // the others'.
        let mds = poseidon::spec().mds;
        let round_gate = |meta: &mut ConstraintSystem<Fr>, name: &'static str, q_sel: Selector, full: bool| {
            meta.create_gate(name, |m| {
                let q = m.query_selector(q_sel);
                let a = state(m, 0);
                let sq = state(m, 1);
                let next = state(m, 2);
                let rc = [m.query_fixed(c.w0, Rotation::cur()), m.query_fixed(c.w1, Rotation::cur()), m.query_fixed(c.w0, Rotation::next())];
                let b: Vec<Expression<Fr>> = a.iter().zip(rc).map(|(a, c)| a.clone() + c).collect();
                let sboxes = if full { poseidon::WIDTH } else { 1 };
                let mut out: Vec<Expression<Fr>> = (0..sboxes).map(|i| q.clone() * (sq[i].clone() - b[i].clone() * b[i].clone())).collect();
                let y: Vec<Expression<Fr>> =
                    (0..poseidon::WIDTH).map(|i| if i < sboxes { sq[i].clone() * sq[i].clone() * b[i].clone() } else { b[i].clone() }).collect();
                for (j, row) in mds.iter().enumerate() {
                    let mixed = row.iter().zip(&y).fold(k(Fr::zero()), |e, (mjk, yk)| e + k(*mjk) * yk.clone());
                    out.push(q.clone() * (next[j].clone() - mixed));
                }
                out
            });
        };
        round_gate(meta, "poseidon full round", q_full, true);
        round_gate(meta, "poseidon partial round", q_partial, false);
        Self { q_pack, q_absorb, q_full, q_partial }
    }
}

/// The witness of one round: the squares on its square row and the state after it.
pub(super) fn round_witness(state: &[Fr; 3], r: usize) -> ([Fr; 3], [Fr; 3]) {
    let spec = poseidon::spec();
    let full = poseidon::is_full_round(r);
    let b: Vec<Fr> = state.iter().zip(spec.round_constants[r]).map(|(a, c)| *a + c).collect();
    let sq = [b[0].square(), if full { b[1].square() } else { Fr::zero() }, if full { b[2].square() } else { Fr::zero() }];
    let mut next = *state;
    poseidon::round(&mut next, r);
    (sq, next)
}
