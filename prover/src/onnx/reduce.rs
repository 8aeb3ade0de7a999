//! The reductions beyond sum, mean and max: ReduceMin, ReduceSumSquare, ReduceL1, ReduceL2,
//! ReduceLogSumExp and ReduceProd, each through the IR's constrained parts:
//! - `min x = −max(−x)` (ReLU tournament, exact);
//! - `Σ x²` (products), `Σ |x|` with `|x| = 2·relu(x) − x` (exact), `√Σ x²` (table);
//! - `m + ln Σ exp(x − m)` with `m = max x` (exp and ln tables);
//! - `Π x` as a chain of products (groups of at most [`MAX_PROD`] values).

use super::normalize::{groups, reduce_axes, reduced_shape};
use super::registry::{Lowered, Ref, Step};
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, MaxMap, Op, ProductMap};

/// The most values one `ReduceProd` group may multiply (each product rescales: a long chain
/// loses precision and needs a wide range).
pub const MAX_PROD: usize = 16;

fn activation_input(ctx: &NodeCtx<'_>) -> Result<()> {
    if ctx.is_activation(0) {
        Ok(())
    } else {
        Err(ctx.error("input data must be an activation"))
    }
}

/// The groups and the output shape of a Reduce* node.
fn setup(ctx: &NodeCtx<'_>) -> Result<(super::normalize::Groups, Vec<usize>)> {
    activation_input(ctx)?;
    let axes = reduce_axes(ctx)?;
    let g = groups(ctx.shape, &axes);
    let out = reduced_shape(ctx, &g, &axes);
    Ok((g, out))
}

/// `ReduceMin = −max(−x)`.
pub fn reduce_min(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (g, out) = setup(ctx)?;
    let k = g.groups.len();
    Ok(Lowered::Ops(vec![
        Op::Affine(AffineMap::mul(vec![-1.0; ctx.width]), ctx.shape.to_vec()),
        Op::Max(MaxMap { inputs: ctx.width, windows: g.groups, out_shape: out.clone() }),
        Op::Affine(AffineMap::mul(vec![-1.0; k]), out),
    ]))
}

/// `Σ x²` per group.
fn sum_square(g: &super::normalize::Groups, n: usize, out: Vec<usize>) -> Op {
    Op::Product(ProductMap { inputs: n, pairs: g.groups.iter().map(|grp| grp.iter().map(|i| (*i, *i)).collect()).collect(), out_shape: out })
}

/// `ReduceSumSquare = Σ x²`.
pub fn reduce_sum_square(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (g, out) = setup(ctx)?;
    Ok(Lowered::Op(sum_square(&g, ctx.width, out)))
}

/// `ReduceL2 = √Σ x²`.
pub fn reduce_l2(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (g, out) = setup(ctx)?;
    Ok(Lowered::Ops(vec![sum_square(&g, ctx.width, out), Op::Act(Activation::Sqrt)]))
}

/// `ReduceL1 = Σ |x| = Σ (2·relu(x) − x)`.
pub fn reduce_l1(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (g, out) = setup(ctx)?;
    let n = ctx.width;
    let rows: Vec<Vec<(usize, f32)>> = g.groups.iter().map(|grp| grp.iter().flat_map(|i| [(*i, -1.0), (n + i, 2.0)]).collect()).collect();
    let sum = Op::Linear(LinearMap { inputs: 2 * n, bias: vec![0.0; rows.len()], rows, out_shape: out });
    Ok(Lowered::Steps(vec![Step::unary(Op::Act(Activation::Relu)), Step::new(sum, &[Ref::Primary, Ref::Step(0)])]))
}

/// `ReduceLogSumExp = m + ln Σ exp(x − m)`, `m = max x`.
pub fn reduce_log_sum_exp(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (g, out) = setup(ctx)?;
    let (n, k) = (ctx.width, g.groups.len());
    let minus_max = (0..n).map(|j| vec![(j, 1.0), (n + g.group_of[j], -1.0)]).collect();
    let sums: Vec<Vec<(usize, f32)>> = g.groups.iter().map(|grp| grp.iter().map(|i| (*i, 1.0)).collect()).collect();
    let plus_max = (0..k).map(|j| vec![(j, 1.0), (k + j, 1.0)]).collect();
    Ok(Lowered::Steps(vec![
        Step::new(Op::Max(MaxMap { inputs: n, windows: g.groups.clone(), out_shape: out.clone() }), &[Ref::Primary]),
        Step::new(Op::Linear(LinearMap { inputs: n + k, rows: minus_max, bias: vec![0.0; n], out_shape: ctx.shape.to_vec() }), &[Ref::Primary, Ref::Step(0)]),
        Step::new(Op::Act(Activation::Exp), &[Ref::Step(1)]),
        Step::new(Op::Linear(LinearMap { inputs: n, rows: sums, bias: vec![0.0; k], out_shape: out.clone() }), &[Ref::Step(2)]),
        Step::new(Op::Act(Activation::Log), &[Ref::Step(3)]),
        Step::new(Op::Linear(LinearMap { inputs: 2 * k, rows: plus_max, bias: vec![0.0; k], out_shape: out }), &[Ref::Step(4), Ref::Step(0)]),
    ]))
}

/// `ReduceProd`: `acc = x₀`, then `acc ← acc · x_i` (one product per step, all groups at once).
pub fn reduce_prod(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (g, out) = setup(ctx)?;
    let (n, k) = (ctx.width, g.groups.len());
    let m = g.groups.first().map_or(0, Vec::len);
    if m > MAX_PROD {
        return Err(ctx.error(format!("it multiplies {m} values per output, more than the {MAX_PROD} supported")));
    }
    let firsts: Vec<usize> = g.groups.iter().map(|grp| grp[0]).collect();
    let mut steps = vec![Step::unary(Op::Affine(AffineMap::gather(n, firsts), out.clone()))];
    for i in 1..m {
        let pairs = g.groups.iter().enumerate().map(|(j, grp)| vec![(j, k + grp[i])]).collect();
        let prev = steps.len() - 1;
        steps.push(Step::new(Op::Product(ProductMap { inputs: k + n, pairs, out_shape: out.clone() }), &[Ref::Step(prev), Ref::Primary]));
    }
    Ok(Lowered::Steps(steps))
}

/// `CumSum` along a constant axis (`exclusive`, `reverse`): a linear map of running sums.
pub fn cum_sum(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    let a = ctx.const_input(1)?.data.first().copied().ok_or_else(|| ctx.error("input 'axis' is empty"))?;
    let ax = super::shape_ops::axis(ctx, a as i64, ctx.shape.len())?;
    let (exclusive, reverse) = (ctx.attr_int("exclusive", 0) != 0, ctx.attr_int("reverse", 0) != 0);
    let g = groups(ctx.shape, &[ax]);
    let m = ctx.shape[ax];
    ctx.check_terms(ctx.width.checked_mul(m))?;
    let mut rows = vec![Vec::new(); ctx.width];
    for grp in &g.groups {
        for (i, out) in grp.iter().enumerate() {
            let taken: Vec<usize> = match (reverse, exclusive) {
                (false, false) => (0..=i).collect(),
                (false, true) => (0..i).collect(),
                (true, false) => (i..m).collect(),
                (true, true) => (i + 1..m).collect(),
            };
            rows[*out] = taken.into_iter().map(|j| (grp[j], 1.0)).collect();
        }
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, bias: vec![0.0; ctx.width], rows, out_shape: ctx.shape.to_vec() })))
}
