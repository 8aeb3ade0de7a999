//! Reductions and normalisations: ReduceMean/ReduceSum/ReduceMax, Softmax, LogSoftmax and
//! LayerNormalization, each expressed through the IR's maps, products and tables.
//!
//! Softmax over a group: `m = max x` (ReLU tournament), `e = exp(x − m)` (table, inputs ≤ 0),
//! `s = Σ e` (≥ 1), `r = 1/s` (table), `y = e · r` (product). Every step is constrained; the
//! tables are calibrated.
//!
//! LayerNormalization over a group of `n`: `d = x − mean` (linear), `v = Σ d²` (products),
//! `r = 1/√(v/n + ε)` (table), `y = d · r` (product), then `Scale · y + B` (folded).

use super::binary::scale_shift;
use super::registry::{Lowered, Ref, Step};
use super::shape_ops::axis;
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, MaxMap, Op, ProductMap};

/// The reduction groups of `shape` over `axes`: per kept position, the flat indices reduced
/// into it; the group of every flat index; and the kept shape (reduced axes set to 1).
pub(super) struct Groups {
    pub(super) groups: Vec<Vec<usize>>,
    pub(super) group_of: Vec<usize>,
    pub(super) kept_shape: Vec<usize>,
}

pub(super) fn groups(shape: &[usize], axes: &[usize]) -> Groups {
    let kept_shape: Vec<usize> = shape.iter().enumerate().map(|(d, v)| if axes.contains(&d) { 1 } else { *v }).collect();
    let n: usize = shape.iter().product();
    let mut groups = vec![Vec::new(); kept_shape.iter().product()];
    let mut group_of = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for flat in 0..n {
        let g = idx.iter().zip(&kept_shape).fold(0, |acc, (i, k)| acc * k + if *k == 1 { 0 } else { *i });
        groups[g].push(flat);
        group_of.push(g);
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Groups { groups, group_of, kept_shape }
}

/// The axes of a Reduce* node (input 1 from opset 18, else the attribute; all if absent).
pub(super) fn reduce_axes(ctx: &NodeCtx<'_>) -> Result<Vec<usize>> {
    let rank = ctx.shape.len();
    let listed: Option<Vec<i64>> = if ctx.node.input.get(1).is_some_and(|n| !n.is_empty()) {
        Some(ctx.const_input(1)?.data.iter().map(|v| *v as i64).collect())
    } else {
        ctx.attr("axes").map(|a| a.ints.clone())
    };
    match listed {
        Some(l) if !l.is_empty() => l.iter().map(|a| axis(ctx, *a, rank)).collect(),
        _ if ctx.attr_int("noop_with_empty_axes", 0) != 0 => Ok(Vec::new()),
        _ => Ok((0..rank).collect()),
    }
}

pub(super) fn reduced_shape(ctx: &NodeCtx<'_>, g: &Groups, axes: &[usize]) -> Vec<usize> {
    if ctx.attr_int("keepdims", 1) != 0 {
        g.kept_shape.clone()
    } else {
        g.kept_shape.iter().enumerate().filter(|(d, _)| !axes.contains(d)).map(|(_, v)| *v).collect()
    }
}

/// `ReduceMean` (`mean = true`) or `ReduceSum`: a linear map.
pub fn reduce_linear(ctx: &NodeCtx<'_>, mean: bool) -> Result<Lowered> {
    let axes = reduce_axes(ctx)?;
    let g = groups(ctx.shape, &axes);
    let rows: Vec<Vec<(usize, f32)>> =
        g.groups.iter().map(|grp| grp.iter().map(|i| (*i, if mean { 1.0 / grp.len() as f32 } else { 1.0 })).collect()).collect();
    let out_shape = reduced_shape(ctx, &g, &axes);
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, bias: vec![0.0; rows.len()], rows, out_shape })))
}

/// `ReduceMax`: a ReLU tournament per group.
pub fn reduce_max(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let axes = reduce_axes(ctx)?;
    let g = groups(ctx.shape, &axes);
    let out_shape = reduced_shape(ctx, &g, &axes);
    Ok(Lowered::Op(Op::Max(MaxMap { inputs: ctx.width, windows: g.groups, out_shape })))
}

/// `Softmax(axis)` (opset ≥ 13 semantics: over the one axis, default −1).
pub fn softmax(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input must be an activation"));
    }
    let ax = axis(ctx, ctx.attr_int("axis", -1), ctx.shape.len())?;
    let mut steps = Vec::new();
    softmax_steps(&mut steps, Ref::Primary, ctx.shape, ax);
    Ok(Lowered::Steps(steps))
}

/// Appends the softmax of `input` (of `shape`) over `ax` to `steps`; returns its step index.
pub(super) fn softmax_steps(steps: &mut Vec<Step>, input: Ref, shape: &[usize], ax: usize) -> usize {
    let g = groups(shape, &[ax]);
    let n: usize = shape.iter().product();
    let k = g.groups.len();
    let minus_max = (0..n).map(|j| vec![(j, 1.0), (n + g.group_of[j], -1.0)]).collect();
    let sums: Vec<Vec<(usize, f32)>> = g.groups.iter().map(|grp| grp.iter().map(|i| (*i, 1.0)).collect()).collect();
    let s = steps.len();
    steps.push(Step::new(Op::Max(MaxMap { inputs: n, windows: g.groups.clone(), out_shape: g.kept_shape.clone() }), &[input]));
    steps.push(Step::new(Op::Linear(LinearMap { inputs: n + k, rows: minus_max, bias: vec![0.0; n], out_shape: shape.to_vec() }), &[input, Ref::Step(s)]));
    steps.push(Step::new(Op::Act(Activation::Exp), &[Ref::Step(s + 1)]));
    steps.push(Step::new(Op::Linear(LinearMap { inputs: n, rows: sums, bias: vec![0.0; k], out_shape: g.kept_shape.clone() }), &[Ref::Step(s + 2)]));
    steps.push(Step::new(Op::Act(Activation::Recip), &[Ref::Step(s + 3)]));
    steps.push(Step::new(
        Op::Product(ProductMap { inputs: n + k, pairs: (0..n).map(|j| vec![(j, n + g.group_of[j])]).collect(), out_shape: shape.to_vec() }),
        &[Ref::Step(s + 2), Ref::Step(s + 4)],
    ));
    s + 5
}

/// `LogSoftmax(axis)`: `(x − m) − ln Σ exp(x − m)` with `m = max x` (ReLU tournament), the
/// exponentials and the logarithm by table.
pub fn log_softmax(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input must be an activation"));
    }
    let ax = axis(ctx, ctx.attr_int("axis", -1), ctx.shape.len())?;
    let g = groups(ctx.shape, &[ax]);
    let (n, k) = (ctx.width, g.groups.len());
    let shape = ctx.shape.to_vec();
    let minus = |of: &[usize]| -> Vec<Vec<(usize, f32)>> { (0..n).map(|j| vec![(j, 1.0), (n + of[j], -1.0)]).collect() };
    let sums: Vec<Vec<(usize, f32)>> = g.groups.iter().map(|grp| grp.iter().map(|i| (*i, 1.0)).collect()).collect();
    Ok(Lowered::Steps(vec![
        Step::new(Op::Max(MaxMap { inputs: n, windows: g.groups.clone(), out_shape: g.kept_shape.clone() }), &[Ref::Primary]),
        Step::new(Op::Linear(LinearMap { inputs: n + k, rows: minus(&g.group_of), bias: vec![0.0; n], out_shape: shape.clone() }), &[Ref::Primary, Ref::Step(0)]),
        Step::new(Op::Act(Activation::Exp), &[Ref::Step(1)]),
        Step::new(Op::Linear(LinearMap { inputs: n, rows: sums, bias: vec![0.0; k], out_shape: g.kept_shape.clone() }), &[Ref::Step(2)]),
        Step::new(Op::Act(Activation::Log), &[Ref::Step(3)]),
        Step::new(Op::Linear(LinearMap { inputs: n + k, rows: minus(&g.group_of), bias: vec![0.0; n], out_shape: shape }), &[Ref::Step(1), Ref::Step(4)]),
    ]))
}

/// `LayerNormalization(axis = −1, epsilon)` with `Scale` and optional `B`; only the first
/// output (`Mean` and `InvStdDev` outputs are not supported).
pub fn layer_norm(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be an activation"));
    }
    if ctx.node.output.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(ctx.error("only the first output (Y) is supported, not Mean/InvStdDev"));
    }
    let rank = ctx.shape.len();
    let first = axis(ctx, ctx.attr_int("axis", -1), rank)?;
    let affine = scale_shift(ctx, 1, 2, ctx.shape)?;
    norm_steps(ctx, &(first..rank).collect::<Vec<_>>(), ctx.attr_float("epsilon", 1e-5), affine)
}

/// `InstanceNormalization`: each channel of each sample normalised over its spatial axes, then
/// `scale` and `B` per channel (as `layer_norm`; torch writes GroupNorm this way too).
pub fn instance_norm(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input must be an activation"));
    }
    let rank = ctx.shape.len();
    if rank < 3 {
        return Err(ctx.error(format!("input of rank {rank}: [N, C, D1, ...] is needed")));
    }
    let c = ctx.shape[1];
    let (scale, b) = (ctx.const_input(1)?, ctx.const_input(2)?);
    if scale.data.len() != c || b.data.len() != c {
        return Err(ctx.error(format!("scale and B must have {c} values (one per channel), have {} and {}", scale.data.len(), b.data.len())));
    }
    let inner: usize = ctx.shape[2..].iter().product();
    let channel = |j: usize| (j / inner) % c;
    let affine = AffineMap::elementwise((0..ctx.width).map(|j| scale.data[channel(j)]).collect(), (0..ctx.width).map(|j| b.data[channel(j)]).collect());
    norm_steps(ctx, &(2..rank).collect::<Vec<_>>(), ctx.attr_float("epsilon", 1e-5), affine)
}

/// `(x − mean) / √(var + eps)` over `axes`, then `affine`: centring (linear), squares
/// (products), the variance (linear), `1/√·` (table), the product, the affine map.
fn norm_steps(ctx: &NodeCtx<'_>, axes: &[usize], eps: f32, affine: AffineMap) -> Result<Lowered> {
    let g = groups(ctx.shape, axes);
    // Centring reads every value of its group: Σ |group|² terms.
    ctx.check_terms(g.groups.iter().try_fold(0usize, |acc, grp| acc.checked_add(grp.len().checked_mul(grp.len())?)))?;
    let (n, k) = (ctx.width, g.groups.len());
    let shape = ctx.shape.to_vec();
    // d_j = x_j − mean(group(j))
    let centre: Vec<Vec<(usize, f32)>> = (0..n)
        .map(|j| {
            let grp = &g.groups[g.group_of[j]];
            let inv = 1.0 / grp.len() as f32;
            grp.iter().map(|i| (*i, if *i == j { 1.0 - inv } else { -inv })).collect()
        })
        .collect();
    let squares = g.groups.iter().map(|grp| grp.iter().map(|i| (*i, *i)).collect()).collect();
    let variance = g.groups.iter().enumerate().map(|(i, grp)| vec![(i, 1.0 / grp.len() as f32)]).collect();
    Ok(Lowered::Steps(vec![
        Step::new(Op::Linear(LinearMap { inputs: n, rows: centre, bias: vec![0.0; n], out_shape: shape.clone() }), &[Ref::Primary]),
        Step::new(Op::Product(ProductMap { inputs: n, pairs: squares, out_shape: g.kept_shape.clone() }), &[Ref::Step(0)]),
        Step::new(Op::Linear(LinearMap { inputs: k, rows: variance, bias: vec![eps; k], out_shape: g.kept_shape.clone() }), &[Ref::Step(1)]),
        Step::new(Op::Act(Activation::Rsqrt), &[Ref::Step(2)]),
        Step::new(
            Op::Product(ProductMap { inputs: n + k, pairs: (0..n).map(|j| vec![(j, n + g.group_of[j])]).collect(), out_shape: shape.clone() }),
            &[Ref::Step(0), Ref::Step(3)],
        ),
        Step::new(Op::Affine(affine, shape), &[Ref::Step(4)]),
    ]))
}

#[cfg(test)]
mod tests {
    use super::groups;

    #[test]
    fn groups_cover_the_reduced_axes() {
        let g = groups(&[2, 3], &[1]);
        assert_eq!(g.groups, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(g.kept_shape, vec![2, 1]);
        let g = groups(&[2, 3], &[0]);
        assert_eq!(g.groups, vec![vec![0, 3], vec![1, 4], vec![2, 5]]);
        assert_eq!(g.group_of, vec![0, 1, 2, 0, 1, 2]);
    }
}
