//! **Interpolated function tables** ([`Interp`]): a coarse table of `f` every `2^b` rescaled
//! units, and a linear interpolation between two neighbouring entries, so that a fine scale
//! (`2^16`) does not need a table of `2^16` rows per unit of input.
//!
//! A function's rescale row `R` (`fon = 1`) reads its rescaled value `q` from the limbs `l_i`
//! (`L` bits each, `b = j·L`) as the rescale gate does, and splits it without new cells:
//! `r = Σ_(i<j) l_i·2^(L·i) ∈ [0, 2^b)` and the key `x = (q − r) / 2^b`, a combination of the
//! higher limbs, `t` and `sign`. Below the rescale's `m + 1 + k` rows of `z` it uses `J = j + d`
//! more (`d = ⌈delta_bits / L⌉`):
//! ```text
//! row               | x[0] | x[1] | x[f1] | z                     | fon | w[1]
//! R − m − 2 − k − i |      |      |       | u_i  (i < J)          |  0  |
//! R − m − 1 − k ..  |      |      |       | the rescale's limbs   |  0  |
//! R                 | sign | out  |  f1   | f0                    |  1  | off_f
//! (x + off_f, f0 + C, f1 + C) ∈ table                               (the lookup)
//! Σ_(i<J) u_i·2^(L·i) = (f1 − f0)·r + 2^(b−1) + 2^(b + L·d − 1)      (interpolation)
//! out = f0 + Σ_(j≤i<J) u_i·2^(L·(i−j)) − 2^(L·d − 1)                  (interpolated output)
//! u_i ∈ [0, 2^L)                                                     (the limb lookup)
//! ```
//! Soundness: `f0`, `f1` are the table's entry for the key (the table is a function of its first
//! column). Both sides of the interpolation are integers far below the field's size (the table's
//! choice checks `|f1 − f0| + 1 < 2^(delta_bits − 1) ≤ 2^(L·d − 1)`, so the right side is in
//! `[0, 2^(b + L·d))`), so it holds over the integers and its limbs are unique: the low
//! `j` are the remainder of `N = (f1 − f0)·r + 2^(b−1)` by `2^b`, the high `d` its quotient
//! `δ = ⌊N / 2^b⌋` plus `2^(L·d − 1)`. `out = f0 + δ` is then [`QuantParams::evaluate`]'s
//! value, an integer in range: no cell is free, and the output is not a field element the
//! interpolation's division merely solves for.

use super::{pow2, CircuitShape};
use crate::ir::Activation;
use crate::quant::{Interp, QuantParams};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, VirtualCells};
use halo2_proofs::poly::Rotation;

/// The cells the interpolation reads, and its shape.
#[derive(Debug, Clone, Copy)]
pub struct Cells {
    /// The limb column.
    pub z: Column<Advice>,
    /// The rescale row's sign cell.
    pub sign: Column<Advice>,
    /// The rescale row's output cell.
    pub out: Column<Advice>,
    /// The `f1` cell's column.
    pub f1: Column<Advice>,
    /// The circuit's shape.
    pub shape: CircuitShape,
    /// The interpolation.
    pub interp: Interp,
}

fn constant(v: Fr) -> Expression<Fr> {
    Expression::Constant(v)
}

impl Cells {
    fn limbs(&self) -> (usize, usize, u32) {
        (self.shape.value_limbs(), self.shape.remainder_limbs(), self.shape.limb_bits())
    }
    /// Rotation of `u_i` from the rescale row.
    pub fn u_rotation(shape: &CircuitShape, i: usize) -> i32 {
        -((shape.value_limbs() + 2 + shape.remainder_limbs() + i) as i32)
    }
    /// The key `x = (q − r) / 2^b` from the rescale row's limbs, `t` and sign.
    pub fn key(&self, m: &mut VirtualCells<'_, Fr>) -> Expression<Fr> {
        let (mv, _, l) = self.limbs();
        let j = (self.interp.bits / l) as usize;
        let sign = m.query_advice(self.sign, Rotation::cur());
        let mut e = (sign - constant(Fr::one())) * constant(pow2(self.shape.packing_bits() - 1 - self.interp.bits));
        for i in j..mv - 1 {
            e = e + m.query_advice(self.z, Rotation(-1 - i as i32)) * constant(pow2(l * (i - j) as u32));
        }
        e + m.query_advice(self.z, Rotation(-(mv as i32))) * constant(pow2(l * (mv - 1 - j) as u32))
    }
    /// The low part `r = q mod 2^b`: the low `j` limbs.
    fn low(&self, m: &mut VirtualCells<'_, Fr>) -> Expression<Fr> {
        let (_, _, l) = self.limbs();
        let j = self.interp.bits / l;
        (0..j).fold(constant(Fr::zero()), |e, i| e + m.query_advice(self.z, Rotation(-1 - i as i32)) * constant(pow2(l * i)))
    }
    /// The two gates, on the rows where the fixed column `fon` is 1.
    pub fn configure(&self, meta: &mut ConstraintSystem<Fr>, fon: Column<Fixed>) {
        let cells = *self;
        let (_, _, l) = self.limbs();
        let (j, d) = self.shape.interp_limbs();
        let b = self.interp.bits;
        meta.create_gate("interpolation", move |m| {
            let on = m.query_fixed(fon, Rotation::cur());
            let f0 = m.query_advice(cells.z, Rotation::cur());
            let f1 = m.query_advice(cells.f1, Rotation::cur());
            let out = m.query_advice(cells.out, Rotation::cur());
            let r = cells.low(m);
            let u: Vec<Expression<Fr>> = (0..j + d).map(|i| m.query_advice(cells.z, Rotation(Cells::u_rotation(&cells.shape, i)))).collect();
            let all = u.iter().enumerate().fold(constant(Fr::zero()), |e, (i, ui)| e + ui.clone() * constant(pow2(l * i as u32)));
            let high = u.iter().enumerate().skip(j).fold(constant(Fr::zero()), |e, (i, ui)| e + ui.clone() * constant(pow2(l * (i - j) as u32)));
            let offset = pow2(b - 1) + pow2(b + l * d as u32 - 1);
            vec![
                on.clone() * (all - (f1 - f0.clone()) * r - constant(offset)),
                on * (out - f0 - high + constant(pow2(l * d as u32 - 1))),
            ]
        });
    }
}

/// The witness of one interpolated output: the table entry and the limbs of `u`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The function at the key.
    pub f0: i64,
    /// The function at the next key.
    pub f1: i64,
    /// `u`'s `J` limbs, lowest first.
    pub u: Vec<i128>,
    /// The output, `f0 + δ`.
    pub out: i64,
}

/// The interpolation witness of `act` at rescaled value `q` for `shape` (with interpolation).
pub fn witness(shape: &CircuitShape, p: &QuantParams, act: Activation, q: i64) -> Option<Witness> {
    let i = shape.interp?;
    let l = shape.limb_bits();
    let (j, d) = shape.interp_limbs();
    let (f0, f1, n) = p.interp_parts(act, q)?;
    let u_total = n + (1i128 << (i.bits + l * d as u32 - 1));
    let mask = (1i128 << l) - 1;
    let u = (0..j + d).map(|k| (u_total >> (l as usize * k)) & mask).collect();
    Some(Witness { f0, f1, u, out: p.evaluate(act, q) })
}
