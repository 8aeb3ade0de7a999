//! Integer division by constants: `Mod` (`fmod = 0`: the remainder has the divisor's sign) and
//! `Div` of an integer activation by an integer constant (truncating, as onnxruntime does).
//!
//! For each element, with `c` its (integer, non-zero) divisor:
//! - an estimate `q̃ = ⌊x/c + 1/(2|c|)⌋` (a linear map, the floor table): the half step keeps an
//!   integer `x/c` off the floor's boundary, and its fixed-point error moves `q̃` by at most one;
//! - `r̃ = x − c·q̃` (linear), and its two corrections, both steps (the sign bit, exact):
//!   `D = [r̃ out of range on the divisor's side]` as `1 − [σ·r̃ ≥ 0]` and
//!   `U = [r̃ out of range on the other]` as `[σ·(r̃ − c) ≥ 0]`, `σ` the divisor's sign;
//! - `q = q̃ − D + U`, `r = r̃ + c·D − c·U`, so that `x = c·q + r` with `r` in `[0, c)` (or
//!   `(c, 0]`), the floored division, exactly;
//! - truncation (`Div`): `q + [r ≠ 0]·[x/c < 0]`, a zero test, a step and one product.
//!
//! Exact while `|x| < 2^(s+1)`, where the estimate is off by at most one (at the default 2^8:
//! integers up to 511).

use super::registry::{broadcast, Lowered, Ref, Step};
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, LinearMap, Op, ProductMap};

/// The divisors, one per element of the activation (input 0), each a non-zero integer.
fn divisors(ctx: &NodeCtx<'_>) -> Result<Vec<f32>> {
    if !ctx.is_activation(0) || ctx.is_activation(1) {
        return Err(ctx.error("the dividend must be an activation and the divisor a constant"));
    }
    let c = broadcast(ctx, ctx.const_input(1)?, ctx.shape, "divisor")?;
    if let Some(v) = c.iter().find(|v| **v == 0.0 || v.fract() != 0.0 || v.abs() > 1e6) {
        return Err(ctx.error(format!("divisor {v}: only non-zero integer divisors (|c| ≤ 10^6) are supported")));
    }
    Ok(c)
}

/// A linear map of `n` outputs over inputs of `width`: row `i` is `Σ (offset + i, w)` + bias.
fn rows(width: usize, n: usize, parts: impl Fn(usize) -> (Vec<(usize, f32)>, f32)) -> Op {
    let (rows, bias) = (0..n).map(parts).unzip();
    Op::Linear(LinearMap { inputs: width, rows, bias, out_shape: vec![n] })
}

/// Appends the floored division's steps; returns the steps of `q` and `r`.
fn floored(steps: &mut Vec<Step>, c: &[f32]) -> (usize, usize) {
    let n = c.len();
    let s = steps.len();
    steps.push(Step::unary(rows(n, n, |i| (vec![(i, 1.0 / c[i])], 0.5 / c[i].abs()))));
    steps.push(Step::new(Op::Act(Activation::Floor), &[Ref::Step(s)]));
    // r̃ over [x, q̃].
    steps.push(Step::new(rows(2 * n, n, |i| (vec![(i, 1.0), (n + i, -c[i])], 0.0)), &[Ref::Primary, Ref::Step(s + 1)]));
    // [σ·r̃ ≥ 0] then [σ·(r̃ − c) ≥ 0], over [r̃].
    steps.push(Step::new(
        rows(n, 2 * n, |j| {
            let i = j % n;
            let sigma = c[i].signum();
            if j < n {
                (vec![(i, sigma)], 0.0)
            } else {
                (vec![(i, sigma)], -sigma * c[i])
            }
        }),
        &[Ref::Step(s + 2)],
    ));
    steps.push(Step::new(Op::Act(Activation::NonNegative), &[Ref::Step(s + 3)]));
    let bits = s + 4;
    // q = q̃ − (1 − A) + B over [q̃, A, B]; r = r̃ + c·(1 − A) − c·B over [r̃, A, B].
    steps.push(Step::new(rows(3 * n, n, |i| (vec![(i, 1.0), (n + i, 1.0), (2 * n + i, 1.0)], -1.0)), &[Ref::Step(s + 1), Ref::Step(bits)]));
    steps.push(Step::new(rows(3 * n, n, |i| (vec![(i, 1.0), (n + i, -c[i]), (2 * n + i, -c[i])], c[i])), &[Ref::Step(s + 2), Ref::Step(bits)]));
    (s + 5, s + 6)
}

/// `Mod(x, c)` with `fmod = 0` (integers; the remainder takes the divisor's sign).
pub fn modulo(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.attr_int("fmod", 0) != 0 {
        return Err(ctx.error("fmod = 1 (the C remainder of floats) is not supported, only the integer remainder (fmod = 0)"));
    }
    let c = divisors(ctx)?;
    let mut steps = Vec::new();
    let (_, r) = floored(&mut steps, &c);
    steps.push(Step::new(Op::Reshape(ctx.shape.to_vec()), &[Ref::Step(r)]));
    Ok(Lowered::Steps(steps))
}

/// `Div(x, c)` of integers: the quotient truncated toward zero.
pub fn truncating_div(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let c = divisors(ctx)?;
    let n = c.len();
    let mut steps = Vec::new();
    let (q, r) = floored(&mut steps, &c);
    // Z = [r = 0]; N = [x/c ≥ 0] = [σ·x ≥ 0]; q + (1 − Z)(1 − N) = q + 1 − Z − N + Z·N.
    let s = steps.len();
    steps.push(Step::new(Op::Act(Activation::IsZero), &[Ref::Step(r)]));
    steps.push(Step::unary(rows(n, n, |i| (vec![(i, c[i].signum())], 0.0))));
    steps.push(Step::new(Op::Act(Activation::NonNegative), &[Ref::Step(s + 1)]));
    steps.push(Step::new(Op::Product(ProductMap { inputs: 2 * n, pairs: (0..n).map(|i| vec![(i, n + i)]).collect(), out_shape: vec![n] }), &[Ref::Step(s), Ref::Step(s + 2)]));
    steps.push(Step::new(
        rows(4 * n, n, |i| (vec![(i, 1.0), (n + i, -1.0), (2 * n + i, -1.0), (3 * n + i, 1.0)], 1.0)),
        &[Ref::Step(q), Ref::Step(s), Ref::Step(s + 2), Ref::Step(s + 3)],
    ));
    steps.push(Step::new(Op::Reshape(ctx.shape.to_vec()), &[Ref::Step(s + 4)]));
    Ok(Lowered::Steps(steps))
}
