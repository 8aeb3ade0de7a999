//! The ONNX-ML domain (`ai.onnx.ml`) as skl2onnx and onnxmltools write it: Scaler, Binarizer,
//! Normalizer, ArrayFeatureExtractor, ZipMap, LinearRegressor and LinearClassifier.
//!
//! Each is lowered onto the IR's constrained parts: linear maps, steps (sign bits), products and the
//! tables of the transforms. A classifier's label is the class of the first maximum of its raw
//! scores, by exact comparisons ([`super::select`]); the scores are the raw ones or their
//! logistic or softmax transform. Semantics follow the ONNX reference implementation
//! (`onnx/reference/ops/aionnxml`).

use super::normalize::{groups, softmax_steps};
use super::registry::{Lowered, Ref, Step};
use super::select::{one_hot, pick, Selection};
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, MaxMap, Op, ProductMap};

/// A float-list attribute (empty when absent).
pub(super) fn floats(ctx: &NodeCtx<'_>, name: &str) -> Vec<f32> {
    ctx.attr(name).map(|a| a.floats.clone()).unwrap_or_default()
}

/// A string attribute, `default` when absent.
pub(super) fn string(ctx: &NodeCtx<'_>, name: &str, default: &str) -> String {
    ctx.attr(name).map_or_else(|| default.to_string(), |a| String::from_utf8_lossy(&a.s).into_owned())
}

/// The activation input X as `[rows, features]`: its last dimension is the features.
pub(super) fn features(ctx: &NodeCtx<'_>) -> Result<(usize, usize)> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be an activation"));
    }
    let c = *ctx.shape.last().ok_or_else(|| ctx.error("input X is a scalar"))?;
    Ok((ctx.width / c.max(1), c))
}

/// A per-feature attribute of one value or one per feature, broadcast to X.
fn per_feature(ctx: &NodeCtx<'_>, name: &str, v: &[f32], default: f32, c: usize) -> Result<Vec<f32>> {
    let one = match v.len() {
        0 => vec![default; c],
        1 => vec![v[0]; c],
        n if n == c => v.to_vec(),
        n => return Err(ctx.error(format!("attribute '{name}' has {n} values, X has {c} features"))),
    };
    Ok((0..ctx.width).map(|j| one[j % c]).collect())
}

/// `Scaler: (x − offset) · scale`, per feature (folded).
pub fn scaler(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (_, c) = features(ctx)?;
    let offset = per_feature(ctx, "offset", &floats(ctx, "offset"), 0.0, c)?;
    let scale = per_feature(ctx, "scale", &floats(ctx, "scale"), 1.0, c)?;
    let shift = offset.iter().zip(&scale).map(|(o, s)| -o * s).collect();
    Ok(Lowered::Op(Op::Affine(AffineMap::elementwise(scale, shift), ctx.shape.to_vec())))
}

/// `Binarizer: [x > threshold]` (a step: the sign bit).
pub fn binarizer(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    features(ctx)?;
    let t = ctx.attr_float("threshold", 0.0);
    Ok(Lowered::Ops(vec![Op::Affine(AffineMap::add(vec![-t; ctx.width]), ctx.shape.to_vec()), Op::Act(Activation::Positive)]))
}

/// `ZipMap`: the probabilities themselves (the map's values in class order); no rows.
pub fn zip_map(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    features(ctx)?;
    Ok(Lowered::Skip)
}

/// `ArrayFeatureExtractor(X, Y)`: the features `Y` (constant indices) of every row; a gather.
pub fn array_feature_extractor(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.is_activation(1) {
        return super::dynamic::array_feature_extractor(ctx);
    }
    let (rows, c) = features(ctx)?;
    let idx = ctx.const_input(1)?;
    let mut picked = Vec::with_capacity(idx.data.len());
    for v in &idx.data {
        if v.fract() != 0.0 || *v < 0.0 || *v as usize >= c {
            return Err(ctx.error(format!("index {v} is out of range for {c} features")));
        }
        picked.push(*v as usize);
    }
    if picked.is_empty() {
        return Err(ctx.error("input Y selects no feature"));
    }
    let mut shape = ctx.shape.to_vec();
    let last = shape.len() - 1;
    shape[last] = picked.len();
    ctx.output_values(&shape)?;
    let src = (0..rows).flat_map(|r| picked.iter().map(move |i| r * c + i)).collect();
    Ok(Lowered::Op(Op::Affine(AffineMap::gather(ctx.width, src), shape)))
}

/// `Normalizer(norm)`: each row divided by its max |x| (`MAX`), Σ |x| (`L1`) or √Σ x² (`L2`).
pub fn normalizer(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    features(ctx)?;
    let n = ctx.width;
    let last = ctx.shape.len() - 1;
    let g = groups(ctx.shape, &[last]);
    let k = g.groups.len();
    let norm = string(ctx, "norm", "MAX");
    let abs = || {
        let rows = (0..n).map(|j| vec![(j, -1.0), (n + j, 2.0)]).collect();
        Op::Linear(LinearMap { inputs: 2 * n, rows, bias: vec![0.0; n], out_shape: ctx.shape.to_vec() })
    };
    let mut steps = vec![Step::unary(Op::Act(Activation::Relu))];
    let inverse = match norm.as_str() {
        "MAX" => {
            steps.push(Step::new(abs(), &[Ref::Primary, Ref::Step(0)]));
            steps.push(Step::new(Op::Max(MaxMap { inputs: n, windows: g.groups.clone(), out_shape: g.kept_shape.clone() }), &[Ref::Step(1)]));
            Activation::Recip
        }
        "L1" => {
            let rows: Vec<Vec<(usize, f32)>> = g.groups.iter().map(|grp| grp.iter().flat_map(|i| [(*i, -1.0), (n + i, 2.0)]).collect()).collect();
            steps.push(Step::new(Op::Linear(LinearMap { inputs: 2 * n, rows, bias: vec![0.0; k], out_shape: g.kept_shape.clone() }), &[Ref::Primary, Ref::Step(0)]));
            Activation::Recip
        }
        "L2" => {
            steps.clear();
            steps.push(Step::unary(Op::Product(ProductMap { inputs: n, pairs: g.groups.iter().map(|grp| grp.iter().map(|i| (*i, *i)).collect()).collect(), out_shape: g.kept_shape.clone() })));
            Activation::Rsqrt
        }
        other => return Err(ctx.error(format!("attribute 'norm' = \"{other}\" is not supported (MAX, L1 or L2)"))),
    };
    let d = steps.len() - 1;
    steps.push(Step::new(Op::Act(inverse), &[Ref::Step(d)]));
    let product = Op::Product(ProductMap { inputs: n + k, pairs: (0..n).map(|j| vec![(j, n + g.group_of[j])]).collect(), out_shape: ctx.shape.to_vec() });
    steps.push(Step::new(product, &[Ref::Primary, Ref::Step(d + 1)]));
    Ok(Lowered::Steps(steps))
}

/// `X · coefficientsᵀ + intercepts` for `models` rows of coefficients: `[rows, models]`.
fn linear_scores(ctx: &NodeCtx<'_>, models: usize) -> Result<Op> {
    let (rows, c) = features(ctx)?;
    let coef = floats(ctx, "coefficients");
    if models == 0 || coef.len() != models * c {
        return Err(ctx.error(format!("attribute 'coefficients' has {} values, {models} model(s) of {c} features need {}", coef.len(), models * c)));
    }
    let intercepts = floats(ctx, "intercepts");
    if !intercepts.is_empty() && intercepts.len() != models {
        return Err(ctx.error(format!("attribute 'intercepts' has {} values for {models} model(s)", intercepts.len())));
    }
    let out = ctx.output_values(&[rows, models])?;
    ctx.check_terms(out.checked_mul(c))?;
    let mut map_rows = Vec::with_capacity(out);
    let mut bias = Vec::with_capacity(out);
    for r in 0..rows {
        for m in 0..models {
            map_rows.push((0..c).map(|i| (r * c + i, coef[m * c + i])).collect());
            bias.push(intercepts.get(m).copied().unwrap_or(0.0));
        }
    }
    Ok(Op::Linear(LinearMap { inputs: ctx.width, rows: map_rows, bias, out_shape: vec![rows, models] }))
}

/// `LinearRegressor`: `X · coefficientsᵀ + intercepts`, `targets` outputs (post_transform NONE).
pub fn linear_regressor(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let post = string(ctx, "post_transform", "NONE");
    if post != "NONE" {
        return Err(ctx.error(format!("attribute 'post_transform' = \"{post}\" is not supported (NONE)")));
    }
    let targets = usize::try_from(ctx.attr_int("targets", 1)).map_err(|_| ctx.error("attribute 'targets' is negative"))?;
    Ok(Lowered::Op(linear_scores(ctx, targets)?))
}

/// `LinearClassifier`: outputs the label (the class of the first maximum of the raw scores) and
/// the scores (raw, `LOGISTIC` or `SOFTMAX`). One model for two classes scores `[−s, s]`.
pub fn linear_classifier(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.attr("classlabels_strings").is_some_and(|a| !a.strings.is_empty()) {
        return Err(ctx.error("string class labels (classlabels_strings) are not supported: export the classifier with integer labels"));
    }
    let labels: Vec<f32> = ctx.attr("classlabels_ints").map(|a| a.ints.iter().map(|v| *v as f32).collect()).unwrap_or_default();
    let classes = labels.len();
    if classes < 2 {
        return Err(ctx.error(format!("attribute 'classlabels_ints' lists {classes} class(es), at least 2 are needed")));
    }
    let (rows, c) = features(ctx)?;
    let models = floats(ctx, "coefficients").len() / c.max(1);
    let mut steps = vec![Step::unary(linear_scores(ctx, models)?)];
    if models == 1 && classes == 2 {
        // [−s, s]
        let map = AffineMap { inputs: rows, src: (0..rows).flat_map(|r| [r, r]).collect(), scale: (0..rows).flat_map(|_| [-1.0, 1.0]).collect(), shift: vec![0.0; 2 * rows] };
        steps.push(Step::new(Op::Affine(map, vec![rows, 2]), &[Ref::Step(0)]));
    } else if models != classes {
        return Err(ctx.error(format!("{models} score(s) per row for {classes} classes (one per class, or one for two classes)")));
    }
    let raw = steps.len() - 1;
    classify(ctx, steps, raw, rows, &labels, &string(ctx, "post_transform", "NONE"))
}

/// A classifier's outputs from its raw scores (step `raw` of `steps`, `[rows, classes]`): the
/// label, the class of the first maximum of the raw scores (the transforms are increasing, so
/// this is the argmax of the transformed scores too; exact comparisons), and the scores raw
/// (`NONE`) or through `LOGISTIC` or `SOFTMAX`.
pub(super) fn classify(ctx: &NodeCtx<'_>, mut steps: Vec<Step>, raw: usize, rows: usize, labels: &[f32], post: &str) -> Result<Lowered> {
    let shape = [rows, labels.len()];
    let scores = match post {
        "NONE" => raw,
        "LOGISTIC" => {
            steps.push(Step::new(Op::Act(Activation::Sigmoid), &[Ref::Step(raw)]));
            steps.len() - 1
        }
        "SOFTMAX" => softmax_steps(&mut steps, Ref::Step(raw), &shape, 1),
        other => return Err(ctx.error(format!("attribute 'post_transform' = \"{other}\" is not supported (NONE, LOGISTIC or SOFTMAX)"))),
    };
    let (hot, g) = one_hot(ctx, &mut steps, Ref::Step(raw), &shape, 1, Selection { min: false, last: false })?;
    steps.push(Step::new(pick(shape[0] * shape[1], &g, labels, vec![rows]), &[Ref::Step(hot)]));
    let label = steps.len() - 1;
    Ok(Lowered::Outputs(steps, vec![label, scores]))
}
