//! `SVMRegressor` and `SVMClassifier` of the ONNX-ML domain (skl2onnx's SVR, LinearSVR, OneClassSVM), as the ONNX
//! reference implementation computes it: `f(x) = Σ_j coef_j · K(x, sv_j) + rho` over the support
//! vectors, or `coef · x + rho` without them; a one-class model outputs `±1` (`f > 0`).
//! - `LINEAR`: folded into one linear map (`w = Σ_j coef_j · sv_j`);
//! - `RBF`: `exp(−γ‖x − sv_j‖²)`: the differences (linear), their squares summed (products),
//!   the exp table, then the weighted sum (linear);
//! - `SIGMOID`: `tanh(γ x·sv_j + c0)` (linear, the tanh table, linear);
//! - the sign of a one-class model is a step (the sign bit).
//!
//! `SVMClassifier` ([`classifier`]): one-vs-one decision values over the same kernels, votes by
//! steps, the label by exact comparisons.

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
        other => {
            let k = kernels(ctx, &mut steps, other, rows, c, &sv, gamma, c0)?;
            let sum = (0..rows).map(|r| (0..s).map(|j| (r * s + j, coef[j])).collect()).collect();
            steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * s, rows: sum, bias: vec![rho; rows], out_shape: out_shape.clone() }), &[Ref::Step(k)]));
        }
    }
    if ctx.attr_int("one_class", 0) != 0 {
        // ±1: 2·[f > 0] − 1
        let f = steps.len() - 1;
        steps.push(Step::new(Op::Act(Activation::Positive), &[Ref::Step(f)]));
        steps.push(Step::new(Op::Affine(AffineMap::elementwise(vec![2.0; rows], vec![-1.0; rows]), out_shape), &[Ref::Step(f + 1)]));
    }
    Ok(Lowered::Steps(steps))
}

/// Appends `K(x_r, sv_j)` for every row `r` and support vector `j` (`[rows · s]`, row-major) to
/// `steps`; returns its step.
/// - `LINEAR`: `x·sv_j` (linear);
/// - `RBF`: `exp(−γ‖x − sv_j‖²)`: the differences (linear), their squares summed (products), the
///   exp table;
/// - `SIGMOID`: `tanh(γ x·sv_j + c0)` (linear, the tanh table).
#[allow(clippy::too_many_arguments)]
fn kernels(ctx: &NodeCtx<'_>, steps: &mut Vec<Step>, kernel: &str, rows: usize, c: usize, sv: &[&[f32]], gamma: f32, c0: f32) -> Result<usize> {
    let s = sv.len();
    match kernel {
        "LINEAR" | "SIGMOID" => {
            let (g, b) = if kernel == "LINEAR" { (1.0, 0.0) } else { (gamma, c0) };
            let dots = (0..rows * s).map(|i| (0..c).map(|f| ((i / s) * c + f, g * sv[i % s][f])).collect()).collect();
            steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: dots, bias: vec![b; rows * s], out_shape: vec![rows * s] })));
            if kernel == "SIGMOID" {
                steps.push(Step::new(Op::Act(Activation::Tanh), &[Ref::Step(steps.len() - 1)]));
            }
        }
        "RBF" => {
            // d[r, j, f] = x[r, f] − sv_j[f]
            let n = rows * s * c;
            let diffs = (0..n).map(|i| vec![((i / (s * c)) * c + i % c, 1.0)]).collect();
            let bias = (0..n).map(|i| -sv[(i / c) % s][i % c]).collect();
            let first = steps.len();
            steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: diffs, bias, out_shape: vec![n] })));
            let squares = (0..rows * s).map(|g| (g * c..(g + 1) * c).map(|i| (i, i)).collect()).collect();
            steps.push(Step::new(Op::Product(ProductMap { inputs: n, pairs: squares, out_shape: vec![rows * s] }), &[Ref::Step(first)]));
            steps.push(Step::new(Op::Affine(AffineMap::mul(vec![-gamma; rows * s]), vec![rows * s]), &[Ref::Step(first + 1)]));
            steps.push(Step::new(Op::Act(Activation::Exp), &[Ref::Step(first + 2)]));
        }
        other => return Err(ctx.error(format!("attribute 'kernel_type' = \"{other}\" is not supported (LINEAR, RBF or SIGMOID)"))),
    }
    Ok(steps.len() - 1)
}

/// `SVMClassifier` as libsvm (skl2onnx's SVC) writes it, one-vs-one over the support vectors of
/// each class, as the ONNX reference implementation computes it: per pair `(i, j)` of classes the
/// decision value `s_ij = rho_e + Σ_(v ∈ i) a_(j−1),v K_v + Σ_(v ∈ j) a_i,v K_v` (linear in the
/// kernels), its vote `[s_ij > 0]` for `i`, else for `j` (steps), the label of the first class
/// with most votes (exact comparisons), and the decision values as scores (`[−s, s]` for two
/// classes). Not supported: probability estimates (`prob_a`, `prob_b`: libsvm's iterative
/// pairwise coupling), a post_transform, the linear form without support vectors, string labels.
pub fn classifier(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (rows, c) = features(ctx)?;
    if ctx.attr("classlabels_strings").is_some_and(|a| !a.strings.is_empty()) {
        return Err(ctx.error("string class labels (classlabels_strings) are not supported: export the classifier with integer labels"));
    }
    let post = string(ctx, "post_transform", "NONE");
    if post != "NONE" {
        return Err(ctx.error(format!("attribute 'post_transform' = \"{post}\" is not supported (NONE)")));
    }
    if !floats(ctx, "prob_a").is_empty() || !floats(ctx, "prob_b").is_empty() {
        return Err(ctx.error("probability estimates (prob_a, prob_b: libsvm's iterative pairwise coupling) are not supported: export the SVC without probability=True"));
    }
    let labels: Vec<f32> = ctx.attr("classlabels_ints").map(|a| a.ints.iter().map(|v| *v as f32).collect()).unwrap_or_default();
    let k = labels.len();
    let per: Vec<usize> = ctx.attr("vectors_per_class").map(|a| a.ints.iter().map(|v| usize::try_from(*v).unwrap_or(usize::MAX)).collect()).unwrap_or_default();
    if k < 2 || per.len() != k || per.contains(&usize::MAX) {
        return Err(ctx.error(format!("{k} class labels and vectors_per_class {per:?}: at least 2 classes, one count each (the linear form without support vectors is not supported)")));
    }
    let v: usize = per.iter().try_fold(0usize, |a, b| a.checked_add(*b)).ok_or_else(|| ctx.error("vectors_per_class overflows"))?;
    let (coef, rho, svs) = (floats(ctx, "coefficients"), floats(ctx, "rho"), floats(ctx, "support_vectors"));
    let pairs = k * (k - 1) / 2;
    if v == 0 || coef.len() != (k - 1) * v || svs.len() != v * c || rho.len() != pairs {
        return Err(ctx.error(format!(
            "{v} support vectors of {c} features for {k} classes need {} coefficients, {} support_vectors values and {pairs} rho, have {}, {} and {}",
            (k - 1) * v,
            v * c,
            coef.len(),
            svs.len(),
            rho.len()
        )));
    }
    ctx.check_terms(rows.checked_mul(v).and_then(|x| x.checked_mul(c + pairs)))?;
    let params = floats(ctx, "kernel_params");
    let (gamma, c0) = (params.first().copied().unwrap_or(0.0), params.get(1).copied().unwrap_or(0.0));
    let sv: Vec<&[f32]> = svs.chunks(c).collect();
    let mut steps = Vec::new();
    let kern = kernels(ctx, &mut steps, &string(ctx, "kernel_type", "LINEAR"), rows, c, &sv, gamma, c0)?;
    let start: Vec<usize> = per
        .iter()
        .scan(0, |a, n| {
            let s = *a;
            *a += n;
            Some(s)
        })
        .collect();
    // Decision values, [rows, pairs], pairs (i, j) in order.
    let (mut dec, mut bias) = (Vec::new(), Vec::new());
    for r in 0..rows {
        let mut e = 0;
        for i in 0..k {
            for j in i + 1..k {
                let mut row: Vec<(usize, f32)> = (start[i]..start[i] + per[i]).map(|t| (r * v + t, coef[(j - 1) * v + t])).collect();
                row.extend((start[j]..start[j] + per[j]).map(|t| (r * v + t, coef[i * v + t])));
                dec.push(row.into_iter().filter(|(_, w)| *w != 0.0).collect());
                bias.push(rho[e]);
                e += 1;
            }
        }
    }
    steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * v, rows: dec, bias, out_shape: vec![rows, pairs] }), &[Ref::Step(kern)]));
    let decision = steps.len() - 1;
    // The label: with two classes and no negative coefficient the reference always answers the
    // second class (libsvm's convention for one-class-like models); else the most votes.
    let label = if k == 2 && coef.iter().all(|w| *w >= 0.0) {
        steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * pairs, rows: vec![Vec::new(); rows], bias: vec![labels[1]; rows], out_shape: vec![rows] }), &[Ref::Step(decision)]));
        steps.len() - 1
    } else {
        steps.push(Step::new(Op::Act(Activation::Positive), &[Ref::Step(decision)]));
        let bits = steps.len() - 1;
        let (mut votes, mut vb) = (Vec::new(), Vec::new());
        for r in 0..rows {
            for cls in 0..k {
                let (mut row, mut b, mut e) = (Vec::new(), 0.0, 0);
                for i in 0..k {
                    for j in i + 1..k {
                        if i == cls {
                            row.push((r * pairs + e, 1.0));
                        } else if j == cls {
                            row.push((r * pairs + e, -1.0));
                            b += 1.0;
                        }
                        e += 1;
                    }
                }
                votes.push(row);
                vb.push(b);
            }
        }
        steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * pairs, rows: votes, bias: vb, out_shape: vec![rows, k] }), &[Ref::Step(bits)]));
        let shape = [rows, k];
        let votes = Ref::Step(steps.len() - 1);
        let (hot, g) = super::select::one_hot(ctx, &mut steps, votes, &shape, 1, super::select::Selection { min: false, last: false })?;
        steps.push(Step::new(super::select::pick(rows * k, &g, &labels, vec![rows]), &[Ref::Step(hot)]));
        steps.len() - 1
    };
    let scores = if pairs == 1 {
        let map = AffineMap { inputs: rows, src: (0..rows).flat_map(|r| [r, r]).collect(), scale: (0..rows).flat_map(|_| [-1.0, 1.0]).collect(), shift: vec![0.0; 2 * rows] };
        steps.push(Step::new(Op::Affine(map, vec![rows, 2]), &[Ref::Step(decision)]));
        steps.len() - 1
    } else {
        decision
    };
    Ok(Lowered::Outputs(steps, vec![label, scores]))
}
