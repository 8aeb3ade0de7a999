//! `SVMRegressor` of the ONNX-ML domain (skl2onnx's SVR, LinearSVR, OneClassSVM), as the ONNX
//! reference implementation computes it: `f(x) = Σ_j coef_j · K(x, sv_j) + rho` over the support
//! vectors, or `coef · x + rho` without them; a one-class model outputs `±1` (`f > 0`).
//! - `LINEAR`: folded into one linear map (`w = Σ_j coef_j · sv_j`);
//! - `RBF`: `exp(−γ‖x − sv_j‖²)`: the differences (linear), their squares summed (products),
//!   the exp table, then the weighted sum (linear);
//! - `SIGMOID`: `tanh(γ x·sv_j + c0)` (linear, the tanh table, linear);
//! - the sign of a one-class model is a step (the sign bit).

use super::ml::{features, floats, string};
use super::registry::{Lowered, Ref, Step};
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, Op, ProductMap};

/// `SVMRegressor` (post_transform NONE, one target).
pub fn regressor(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (rows, c) = features(ctx)?;
    let post = string(ctx, "post_transform", "NONE");
    if post != "NONE" {
        return Err(ctx.error(format!("attribute 'post_transform' = \"{post}\" is not supported (NONE)")));
    }
    if ctx.attr_int("n_targets", 1) != 1 {
        return Err(ctx.error("attribute 'n_targets' must be 1"));
    }
    let coef = floats(ctx, "coefficients");
    let rho = floats(ctx, "rho").first().copied().unwrap_or(0.0);
    let params = floats(ctx, "kernel_params");
    let (gamma, c0) = (params.first().copied().unwrap_or(0.0), params.get(1).copied().unwrap_or(0.0));
    let s = usize::try_from(ctx.attr_int("n_supports", 0)).map_err(|_| ctx.error("attribute 'n_supports' is negative"))?;
    let kernel = if s == 0 { "LINEAR".to_string() } else { string(ctx, "kernel_type", "LINEAR") };
    let sv = floats(ctx, "support_vectors");
    let sv: Vec<&[f32]> = if s == 0 {
        if coef.len() != c {
            return Err(ctx.error(format!("attribute 'coefficients' has {} values for {c} features", coef.len())));
        }
        Vec::new()
    } else {
        if coef.len() != s || sv.len() != s * c {
            return Err(ctx.error(format!("{s} support vectors of {c} features need {} coefficients and {} support_vectors values, have {} and {}", s, s * c, coef.len(), sv.len())));
        }
        sv.chunks(c).collect()
    };
    ctx.check_terms(rows.checked_mul(s.max(1)).and_then(|v| v.checked_mul(c)))?;
    let out_shape = vec![rows, 1];
    let mut steps = Vec::new();
    match kernel.as_str() {
        "LINEAR" => {
            let w: Vec<f32> = if s == 0 { coef.clone() } else { (0..c).map(|f| sv.iter().zip(&coef).map(|(v, k)| v[f] * k).sum()).collect() };
            let map_rows = (0..rows).map(|r| (0..c).map(|f| (r * c + f, w[f])).filter(|(_, v)| *v != 0.0).collect()).collect();
            steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: map_rows, bias: vec![rho; rows], out_shape: out_shape.clone() })));
        }
        "RBF" => {
            // d[r, j, f] = x[r, f] − sv_j[f]
            let n = rows * s * c;
            let diffs = (0..n).map(|i| vec![((i / (s * c)) * c + i % c, 1.0)]).collect();
            let bias = (0..n).map(|i| -sv[(i / c) % s][i % c]).collect();
            steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: diffs, bias, out_shape: vec![n] })));
            let squares = (0..rows * s).map(|g| (g * c..(g + 1) * c).map(|i| (i, i)).collect()).collect();
            steps.push(Step::new(Op::Product(ProductMap { inputs: n, pairs: squares, out_shape: vec![rows * s] }), &[Ref::Step(0)]));
            steps.push(Step::new(Op::Affine(AffineMap::mul(vec![-gamma; rows * s]), vec![rows * s]), &[Ref::Step(1)]));
            steps.push(Step::new(Op::Act(Activation::Exp), &[Ref::Step(2)]));
            let sum = (0..rows).map(|r| (0..s).map(|j| (r * s + j, coef[j])).collect()).collect();
            steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * s, rows: sum, bias: vec![rho; rows], out_shape: out_shape.clone() }), &[Ref::Step(3)]));
        }
        "SIGMOID" => {
            let dots = (0..rows * s).map(|g| (0..c).map(|f| ((g / s) * c + f, gamma * sv[g % s][f])).collect()).collect();
            steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: dots, bias: vec![c0; rows * s], out_shape: vec![rows * s] })));
            steps.push(Step::new(Op::Act(Activation::Tanh), &[Ref::Step(0)]));
            let sum = (0..rows).map(|r| (0..s).map(|j| (r * s + j, coef[j])).collect()).collect();
            steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * s, rows: sum, bias: vec![rho; rows], out_shape: out_shape.clone() }), &[Ref::Step(1)]));
        }
        other => return Err(ctx.error(format!("attribute 'kernel_type' = \"{other}\" is not supported (LINEAR, RBF or SIGMOID)"))),
    }
    if ctx.attr_int("one_class", 0) != 0 {
        // ±1: 2·[f > 0] − 1
        let f = steps.len() - 1;
        steps.push(Step::new(Op::Act(Activation::Positive), &[Ref::Step(f)]));
        steps.push(Step::new(Op::Affine(AffineMap::elementwise(vec![2.0; rows], vec![-1.0; rows]), out_shape), &[Ref::Step(f + 1)]));
    }
    Ok(Lowered::Steps(steps))
}
