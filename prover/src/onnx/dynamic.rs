//! Gathers whose indices are computed (`Gather`, `GatherElements`, `ArrayFeatureExtractor` with an
//! activation index), as hummingbird's tree traversal and skl2onnx's class labels write them.
//!
//! Each index `i` along an axis of size `d` becomes its one-hot `[i = k]` for `k < d`, each a
//! zero test of `i − k` (an exact table), never a free witness; the gathered value is then
//! `Σ_k data_k · [i = k]`: a linear map of constant data, or products with activation data.
//! An index outside `[0, d)` (negative indices are not wrapped) selects nothing: its value is 0.

use super::ml::features;
use super::registry::{Lowered, Ref, Step};
use super::shape_ops::{axis, strides};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, LinearMap, Op, ProductMap};

/// The data of a gather: a constant, or activation input 0.
enum Data<'a> {
    Const(&'a ConstTensor),
    Act(Vec<usize>),
}

impl Data<'_> {
    fn of<'a>(ctx: &'a NodeCtx<'_>) -> Result<Data<'a>> {
        if ctx.is_activation(0) {
            Ok(Data::Act(ctx.act_shape(0)?.to_vec()))
        } else {
            Ok(Data::Const(ctx.const_input(0)?))
        }
    }
    fn shape(&self) -> &[usize] {
        match self {
            Data::Const(c) => &c.shape,
            Data::Act(s) => s,
        }
    }
}

/// Builds the steps: the one-hots of the `n` indices (input 1) over `d`, then per output position
/// the value `Σ (data index, one-hot index)` pairs list.
fn lower(ctx: &NodeCtx<'_>, data: &Data<'_>, d: usize, out_shape: Vec<usize>, terms: &[Vec<(usize, usize)>]) -> Result<Lowered> {
    let n: usize = ctx.act_shape(1)?.iter().product();
    ctx.check_terms(n.checked_mul(d).and_then(|v| v.checked_mul(2)))?;
    let diffs = (0..n * d).map(|r| vec![(r / d, 1.0)]).collect();
    let bias = (0..n * d).map(|r| -((r % d) as f32)).collect();
    let mut steps = vec![
        Step::new(Op::Linear(LinearMap { inputs: n, rows: diffs, bias, out_shape: vec![n * d] }), &[Ref::Input(1)]),
        Step::new(Op::Act(Activation::IsZero), &[Ref::Step(0)]),
    ];
    let outs = terms.len();
    match data {
        Data::Const(c) => {
            let rows = terms.iter().map(|t| t.iter().map(|(i, h)| (*h, c.data[*i])).filter(|(_, w)| *w != 0.0).collect()).collect();
            steps.push(Step::new(Op::Linear(LinearMap { inputs: n * d, rows, bias: vec![0.0; outs], out_shape }), &[Ref::Step(1)]));
        }
        Data::Act(shape) => {
            let nd: usize = shape.iter().product();
            let pairs = terms.iter().map(|t| t.iter().map(|(i, h)| (*i, nd + h)).collect()).collect();
            steps.push(Step::new(Op::Product(ProductMap { inputs: nd + n * d, pairs, out_shape }), &[Ref::Input(0), Ref::Step(1)]));
        }
    }
    Ok(Lowered::Steps(steps))
}

/// `Gather(data, indices)` along `axis` with computed indices.
pub fn gather(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let data = Data::of(ctx)?;
    let ds = data.shape().to_vec();
    let ax = axis(ctx, ctx.attr_int("axis", 0), ds.len())?;
    gather_axis(ctx, &data, ax)
}

fn gather_axis(ctx: &NodeCtx<'_>, data: &Data<'_>, ax: usize) -> Result<Lowered> {
    let ds = data.shape().to_vec();
    let is = ctx.act_shape(1)?.to_vec();
    let d = ds[ax];
    let mut out_shape = ds[..ax].to_vec();
    out_shape.extend(&is);
    out_shape.extend(&ds[ax + 1..]);
    let outs = ctx.output_values(&out_shape)?;
    ctx.check_terms(outs.checked_mul(d))?;
    let (pre, post): (usize, usize) = (ds[..ax].iter().product(), ds[ax + 1..].iter().product());
    let n: usize = is.iter().product();
    let mut terms = Vec::with_capacity(outs);
    for p in 0..pre {
        for o in 0..n {
            for q in 0..post {
                terms.push((0..d).map(|k| ((p * d + k) * post + q, o * d + k)).collect());
            }
        }
    }
    lower(ctx, data, d, out_shape, &terms)
}

/// `GatherElements(data, indices)` along `axis` with computed indices.
pub fn gather_elements(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let data = Data::of(ctx)?;
    let ds = data.shape().to_vec();
    let is = ctx.act_shape(1)?.to_vec();
    let ax = axis(ctx, ctx.attr_int("axis", 0), ds.len())?;
    if is.len() != ds.len() || is.iter().zip(&ds).enumerate().any(|(a, (i, x))| a != ax && i > x) {
        return Err(ctx.error(format!("indices of shape {is:?} do not fit data of shape {ds:?}")));
    }
    let d = ds[ax];
    let n: usize = is.iter().product();
    ctx.check_terms(n.checked_mul(d))?;
    let (ds_strides, is_strides) = (strides(&ds), strides(&is));
    let terms: Vec<Vec<(usize, usize)>> = (0..n)
        .map(|p| {
            let at: Vec<usize> = is_strides.iter().zip(&is).map(|(s, dim)| p / s % dim).collect();
            (0..d).map(|k| (at.iter().enumerate().map(|(a, v)| if a == ax { k } else { *v } * ds_strides[a]).sum(), p * d + k)).collect()
        })
        .collect();
    lower(ctx, &data, d, is, &terms)
}

/// `ArrayFeatureExtractor(X, Y)` with computed indices `Y`: a gather along X's last axis.
pub fn array_feature_extractor(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let data = Data::of(ctx)?;
    if let Data::Act(_) = data {
        features(ctx)?;
    }
    let last = data.shape().len().checked_sub(1).ok_or_else(|| ctx.error("input X is a scalar"))?;
    gather_axis(ctx, &data, last)
}
