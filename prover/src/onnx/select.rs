//! Selections along an axis: ArgMax, ArgMin and Hardmax, and the one-hot of the maximum that
//! classifiers (LinearClassifier's label) reuse.
//!
//! The one-hot of the maximum of a group of `m` values is built from comparisons only, each a
//! step on a difference (the sign bit of its range decomposition), so every 0/1 is constrained,
//! never a free witness:
//! - per pair `a < b`, `t_ab = [x_a − x_b ≥ 0]` (the first maximum wins; `> 0` when the last
//!   wins, as `select_last_index = 1` asks; the differences negated for a minimum);
//! - per element `i`, the pairs it wins: `w_i = Σ_{b > i} t_ib + Σ_{a < i} (1 − t_ai)`;
//! - `onehot_i = [w_i − (m − 1) = 0]`: `i` wins every pair. Exactly one element of a group
//!   does (the wins form a tournament ordered by value, ties broken by index).
//!
//! The index is then linear (`Σ i · onehot_i`), and a class label `Σ label_i · onehot_i`.

use super::normalize::{groups, Groups};
use super::registry::{Lowered, Ref, Step};
use super::shape_ops::axis;
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, LinearMap, Op};

/// What is selected and how ties are broken.
#[derive(Debug, Clone, Copy)]
pub(super) struct Selection {
    /// The minimum instead of the maximum.
    pub(super) min: bool,
    /// On a tie, the last index wins (else the first).
    pub(super) last: bool,
}

/// The pairwise tournament of every group of `input` (of `shape`) along `axis`: appends the
/// comparison bits to `steps` and returns their step, the groups, and per element of the input
/// the row and bias of `w_i − (m − 1)` over the bits, `w_i` being the pairs it wins (so the
/// element of rank `r`, 0 the selected one, has `w_i − (m − 1) = −r`). Every group has at least
/// two elements.
fn tournament(ctx: &NodeCtx<'_>, steps: &mut Vec<Step>, input: Ref, shape: &[usize], axis: usize, sel: Selection) -> Result<(usize, Groups, LinearMap)> {
    let g = groups(shape, &[axis]);
    let m = shape[axis];
    let n: usize = shape.iter().product();
    let pairs = m * (m - 1) / 2;
    ctx.check_terms(g.groups.len().checked_mul(pairs).and_then(|p| p.checked_mul(2)))?;
    // Pair (a, b) of group k is row k·pairs + pair_index(a, b).
    let pair_index = |a: usize, b: usize| a * m - a * (a + 1) / 2 + (b - a - 1);
    let sign = if sel.min { -1.0 } else { 1.0 };
    let mut diffs = Vec::with_capacity(g.groups.len() * pairs);
    for grp in &g.groups {
        for a in 0..m {
            for b in a + 1..m {
                diffs.push(vec![(grp[a], sign), (grp[b], -sign)]);
            }
        }
    }
    let rows_n = diffs.len();
    let diff = Op::Linear(LinearMap { inputs: n, bias: vec![0.0; rows_n], rows: diffs, out_shape: vec![rows_n] });
    let table = if sel.last { Activation::Positive } else { Activation::NonNegative };
    // Position of every flat index inside its group.
    let mut pos = vec![0usize; n];
    for grp in &g.groups {
        for (i, j) in grp.iter().enumerate() {
            pos[*j] = i;
        }
    }
    let mut wins = Vec::with_capacity(n);
    let mut bias = Vec::with_capacity(n);
    for (&k, &i) in g.group_of.iter().zip(&pos) {
        let base = k * pairs;
        let mut row: Vec<(usize, f32)> = (i + 1..m).map(|b| (base + pair_index(i, b), 1.0)).collect();
        row.extend((0..i).map(|a| (base + pair_index(a, i), -1.0)));
        wins.push(row);
        // Σ_{a<i} 1 − (m − 1).
        bias.push(i as f32 - (m - 1) as f32);
    }
    let first = steps.len();
    steps.push(Step::new(diff, &[input]));
    steps.push(Step::new(Op::Act(table), &[Ref::Step(first)]));
    Ok((first + 1, g, LinearMap { inputs: rows_n, rows: wins, bias, out_shape: shape.to_vec() }))
}

/// Appends to `steps` the one-hot of the selected element of every group of `input` (of
/// `shape`) along `axis`, of the input's shape; returns its step index and the groups.
/// Every group has at least two elements.
pub(super) fn one_hot(ctx: &NodeCtx<'_>, steps: &mut Vec<Step>, input: Ref, shape: &[usize], axis: usize, sel: Selection) -> Result<(usize, Groups)> {
    let (bits, g, wins) = tournament(ctx, steps, input, shape, axis, sel)?;
    steps.push(Step::new(Op::Linear(wins), &[Ref::Step(bits)]));
    steps.push(Step::new(Op::Act(Activation::IsZero), &[Ref::Step(steps.len() - 1)]));
    Ok((steps.len() - 1, g))
}

/// `TopK(X, K)` with a constant `K` (`axis`, `largest`, `sorted`): the ranks of one tournament
/// per group (ties to the lower index, as onnxruntime), then per `j < K` the one-hot of rank `j`
/// (a zero test of `w_i − (m − 1) + j`); the values are `Σ_i onehot_ji · x_i` (products), the
/// indices `Σ_i i · onehot_ji` (linear). Outputs are always sorted (allowed when `sorted = 0`).
pub fn topk(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be an activation"));
    }
    let ax = axis(ctx, ctx.attr_int("axis", -1), ctx.shape.len())?;
    let kt = ctx.const_input(1)?;
    let (m, n) = (ctx.shape[ax], ctx.width);
    let k = match kt.data.as_slice() {
        [k] if *k >= 1.0 && (*k as usize) <= m && k.fract() == 0.0 => *k as usize,
        other => return Err(ctx.error(format!("K = {other:?}: a constant from 1 to the axis length {m} is needed"))),
    };
    let sel = Selection { min: ctx.attr_int("largest", 1) == 0, last: false };
    let inner: usize = ctx.shape[ax + 1..].iter().product();
    let mut out_shape = ctx.shape.to_vec();
    out_shape[ax] = k;
    let outs = ctx.output_values(&out_shape)?;
    ctx.check_terms(n.checked_mul(k).and_then(|v| v.checked_mul(3)))?;
    let mut steps = Vec::new();
    let hots: Vec<usize> = if m == 1 {
        Vec::new()
    } else {
        let (bits, _, wins) = tournament(ctx, &mut steps, Ref::Primary, ctx.shape, ax, sel)?;
        (0..k)
            .map(|j| {
                let mut rank = wins.clone();
                rank.bias.iter_mut().for_each(|b| *b += j as f32);
                steps.push(Step::new(Op::Linear(rank), &[Ref::Step(bits)]));
                steps.push(Step::new(Op::Act(Activation::IsZero), &[Ref::Step(steps.len() - 1)]));
                steps.len() - 1
            })
            .collect()
    };
    // Output (o, j, in) of the value at (o, a, in): over [X, onehot_0 … onehot_{k−1}].
    let (mut pairs, mut idx) = (vec![Vec::new(); outs], vec![Vec::new(); outs]);
    for o in 0..n / (m * inner) {
        for inn in 0..inner {
            for j in 0..k {
                let at = (o * k + j) * inner + inn;
                for a in 0..m {
                    let x = (o * m + a) * inner + inn;
                    pairs[at].push((x, n + j * n + x));
                    idx[at].push((j * n + x, a as f32));
                }
            }
        }
    }
    if m == 1 {
        // One candidate: the value itself, index 0.
        let rows = (0..n).map(|i| vec![(i, 1.0)]).collect();
        steps.push(Step::unary(Op::Linear(LinearMap { inputs: n, rows, bias: vec![0.0; n], out_shape: out_shape.clone() })));
        steps.push(Step::unary(Op::Linear(LinearMap { inputs: n, rows: vec![Vec::new(); n], bias: vec![0.0; n], out_shape })));
        return Ok(Lowered::Outputs(steps, vec![0, 1]));
    }
    let refs: Vec<Ref> = std::iter::once(Ref::Primary).chain(hots.iter().map(|h| Ref::Step(*h))).collect();
    steps.push(Step::new(Op::Product(crate::ir::ProductMap { inputs: n * (k + 1), pairs, out_shape: out_shape.clone() }), &refs));
    let values = steps.len() - 1;
    let idx = idx.into_iter().map(|r| r.into_iter().filter(|(_, v)| *v != 0.0).collect()).collect();
    steps.push(Step::new(Op::Linear(LinearMap { inputs: n * k, rows: idx, bias: vec![0.0; outs], out_shape }), &hots.iter().map(|h| Ref::Step(*h)).collect::<Vec<_>>()));
    let indices = steps.len() - 1;
    Ok(Lowered::Outputs(steps, vec![values, indices]))
}

/// Per group, `Σ value_i · onehot_i` (the index when `values[i] = i`), of `out_shape`.
pub(super) fn pick(onehot_len: usize, g: &Groups, values: &[f32], out_shape: Vec<usize>) -> Op {
    let rows: Vec<Vec<(usize, f32)>> = g.groups.iter().map(|grp| grp.iter().zip(values).map(|(j, v)| (*j, *v)).filter(|(_, v)| *v != 0.0).collect()).collect();
    Op::Linear(LinearMap { inputs: onehot_len, bias: vec![0.0; rows.len()], rows, out_shape })
}

fn activation_input(ctx: &NodeCtx<'_>) -> Result<usize> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input must be an activation"));
    }
    axis(ctx, ctx.attr_int("axis", 0), ctx.shape.len())
}

/// `ArgMax` / `ArgMin` (`axis`, `keepdims`, `select_last_index`).
pub fn arg(ctx: &NodeCtx<'_>, min: bool) -> Result<Lowered> {
    let ax = activation_input(ctx)?;
    let sel = Selection { min, last: ctx.attr_int("select_last_index", 0) != 0 };
    let m = ctx.shape[ax];
    let mut out_shape = ctx.shape.to_vec();
    if ctx.attr_int("keepdims", 1) != 0 {
        out_shape[ax] = 1;
    } else {
        out_shape.remove(ax);
    }
    if m == 1 {
        // One candidate: index 0 everywhere.
        let n = out_shape.iter().product();
        return Ok(Lowered::Const(ConstTensor { shape: out_shape, data: vec![0.0; n], integer: true }));
    }
    let mut steps = Vec::new();
    let (hot, g) = one_hot(ctx, &mut steps, Ref::Primary, ctx.shape, ax, sel)?;
    let index: Vec<f32> = (0..m).map(|i| i as f32).collect();
    steps.push(Step::new(pick(ctx.width, &g, &index, out_shape), &[Ref::Step(hot)]));
    Ok(Lowered::Steps(steps))
}

/// `Hardmax(axis = −1)` (opset ≥ 13 semantics): the one-hot of the first maximum.
pub fn hardmax(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input must be an activation"));
    }
    let ax = axis(ctx, ctx.attr_int("axis", -1), ctx.shape.len())?;
    if ctx.shape[ax] == 1 {
        return Ok(Lowered::Const(ConstTensor { shape: ctx.shape.to_vec(), data: vec![1.0; ctx.width], integer: false }));
    }
    let mut steps = Vec::new();
    one_hot(ctx, &mut steps, Ref::Primary, ctx.shape, ax, Selection { min: false, last: false })?;
    Ok(Lowered::Steps(steps))
}
