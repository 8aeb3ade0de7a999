//! Ops that only move values: `Transpose`, `Slice`, `Gather` (constant indices) become an
//! [`AffineMap`] gather that lowering folds into a neighbouring layer (no rows);
//! `Squeeze`/`Unsqueeze` change the shape only; `Cast` of constants is evaluated at compile time.

use super::registry::{broadcast_index, broadcast_shape, Lowered};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, AffineMap, Op};

/// Normalises an ONNX axis (negative counts from the end) against `rank`.
pub fn axis(ctx: &NodeCtx<'_>, a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let n = if a < 0 { a + r } else { a };
    if (0..r).contains(&n) {
        Ok(n as usize)
    } else {
        Err(ctx.error(format!("axis {a} is out of range for rank {rank}")))
    }
}

pub(super) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The re-indexing `y[idx] = x[source(idx)]` over every multi-index `idx` of `out_shape`.
fn reindex(ctx: &NodeCtx<'_>, out_shape: Vec<usize>, source: impl Fn(&[usize]) -> Result<usize>) -> Result<Lowered> {
    remap(ctx, out_shape, |idx| source(idx).map(Some), 0.0)
}

/// `y[idx] = x[source(idx)]`, or the constant `fill` where `source` gives `None` (padding, a
/// masked triangle): one affine gather, no rows.
fn remap(ctx: &NodeCtx<'_>, out_shape: Vec<usize>, source: impl Fn(&[usize]) -> Result<Option<usize>>, fill: f32) -> Result<Lowered> {
    let n = ctx.output_values(&out_shape)?;
    let (mut src, mut scale, mut shift) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut idx = vec![0usize; out_shape.len()];
    for _ in 0..n {
        match source(&idx)? {
            Some(j) => {
                src.push(j);
                scale.push(1.0);
                shift.push(0.0);
            }
            None => {
                src.push(0);
                scale.push(0.0);
                shift.push(fill);
            }
        }
        // Next multi-index, last axis fastest.
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    if scale.iter().all(|s| *s == 1.0) {
        return Ok(Lowered::Op(Op::Affine(AffineMap::gather(ctx.width, src), out_shape)));
    }
    Ok(Lowered::Op(Op::Affine(AffineMap { inputs: ctx.width, src, scale, shift }, out_shape)))
}

/// A constant integer list from an input (opset ≥ 13 style) or an attribute (older opsets).
fn int_list(ctx: &NodeCtx<'_>, input: usize, attr: &str) -> Result<Option<Vec<i64>>> {
    if ctx.node.input.get(input).is_some_and(|n| !n.is_empty()) {
        return Ok(Some(ctx.const_input(input)?.data.iter().map(|v| *v as i64).collect()));
    }
    Ok(ctx.attr(attr).map(|a| a.ints.clone()))
}

fn require_activation(ctx: &NodeCtx<'_>) -> Result<()> {
    if ctx.is_activation(0) {
        Ok(())
    } else {
        Err(ctx.error("input 0 must be the activation tensor"))
    }
}

/// `Transpose`.
pub fn transpose(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let perm: Vec<usize> = match ctx.attr("perm") {
        Some(a) => a.ints.iter().map(|p| axis(ctx, *p, rank)).collect::<Result<_>>()?,
        None => (0..rank).rev().collect(),
    };
    let mut seen = perm.clone();
    seen.sort_unstable();
    if seen != (0..rank).collect::<Vec<_>>() {
        return Err(ctx.error(format!("attribute 'perm' = {perm:?} is not a permutation of {rank} axes")));
    }
    let in_strides = strides(ctx.shape);
    let out_shape: Vec<usize> = perm.iter().map(|p| ctx.shape[*p]).collect();
    reindex(ctx, out_shape, |idx| Ok(idx.iter().zip(&perm).map(|(i, p)| i * in_strides[*p]).sum()))
}

/// `Slice` with constant starts, ends, axes and positive steps.
pub fn slice(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let starts = int_list(ctx, 1, "starts")?.ok_or_else(|| ctx.error("input 'starts' is required"))?;
    let ends = int_list(ctx, 2, "ends")?.ok_or_else(|| ctx.error("input 'ends' is required"))?;
    let axes = int_list(ctx, 3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = int_list(ctx, 4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(ctx.error("starts, ends, axes and steps must have the same length"));
    }
    let (mut begin, mut step) = (vec![0i64; rank], vec![1i64; rank]);
    let mut out_shape = ctx.shape.to_vec();
    for (((&s, &e), &a), &st) in starts.iter().zip(&ends).zip(&axes).zip(&steps) {
        let ax = axis(ctx, a, rank)?;
        if st == 0 {
            return Err(ctx.error(format!("step 0 on axis {a}")));
        }
        let dim = ctx.shape[ax] as i64;
        let neg = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        // ONNX: a positive step clamps to [0, dim], a negative one to [−1, dim − 1].
        let (b, len) = if st > 0 {
            let (b, e) = (neg(s).clamp(0, dim), neg(e).clamp(0, dim));
            (b, if e > b { (e - b).unsigned_abs().div_ceil(st.unsigned_abs()) } else { 0 })
        } else {
            let (b, e) = (neg(s).clamp(-1, dim - 1), neg(e).clamp(-1, dim - 1));
            (b, if b > e { (b - e).unsigned_abs().div_ceil(st.unsigned_abs()) } else { 0 })
        };
        if len == 0 {
            return Err(ctx.error(format!("the slice of axis {a} is empty")));
        }
        begin[ax] = b;
        step[ax] = st;
        out_shape[ax] = len as usize;
    }
    let in_strides = strides(ctx.shape);
    reindex(ctx, out_shape, |idx| Ok(idx.iter().enumerate().map(|(d, i)| (begin[d] + *i as i64 * step[d]) as usize * in_strides[d]).sum()))
}

/// `Pad` (constant, reflect, edge or wrap; negative pads crop), constant pads, value and axes.
pub fn pad(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let pads = int_list(ctx, 1, "pads")?.ok_or_else(|| ctx.error("input 'pads' is required"))?;
    let axes: Vec<usize> = match int_list(ctx, 3, "axes")? {
        Some(a) => a.iter().map(|a| axis(ctx, *a, rank)).collect::<Result<_>>()?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(ctx.error(format!("{} pads for {} axes (2 per axis)", pads.len(), axes.len())));
    }
    let value = if ctx.node.input.get(2).is_some_and(|n| !n.is_empty()) {
        let v = ctx.const_input(2)?;
        *v.data.first().ok_or_else(|| ctx.error("input 'constant_value' is empty"))?
    } else {
        ctx.attr_float("value", 0.0)
    };
    let mode = super::ml::string(ctx, "mode", "constant");
    let (mut before, mut out_shape) = (vec![0i64; rank], ctx.shape.to_vec());
    for (i, &ax) in axes.iter().enumerate() {
        let (b, e) = (pads[i], pads[i + axes.len()]);
        let dim = ctx.shape[ax] as i64;
        let len = dim.checked_add(b).and_then(|v| v.checked_add(e)).filter(|l| (1..=1 << 20).contains(l));
        let len = len.ok_or_else(|| ctx.error(format!("pads {b}, {e} on axis {ax} of size {dim} leave no values or too many")))?;
        if mode == "reflect" && (b.max(e) >= dim) {
            return Err(ctx.error(format!("reflect pads {b}, {e} on axis {ax} must be smaller than its size {dim}")));
        }
        before[ax] = b;
        out_shape[ax] = len as usize;
    }
    let dims: Vec<i64> = ctx.shape.iter().map(|d| *d as i64).collect();
    let edge = |i: i64, n: i64| -> Option<i64> {
        Some(match mode.as_str() {
            "edge" => i.clamp(0, n - 1),
            "wrap" => i.rem_euclid(n),
            "reflect" if n > 1 => {
                let p = 2 * (n - 1);
                let m = i.rem_euclid(p);
                if m < n { m } else { p - m }
            }
            "reflect" => 0,
            _ => return None,
        })
    };
    if !["constant", "edge", "wrap", "reflect"].contains(&mode.as_str()) {
        return Err(ctx.error(format!("attribute 'mode' = \"{mode}\" is not supported (constant, reflect, edge or wrap)")));
    }
    let in_strides = strides(ctx.shape);
    remap(
        ctx,
        out_shape,
        |idx| {
            let mut flat = 0usize;
            for (d, i) in idx.iter().enumerate() {
                let j = *i as i64 - before[d];
                let j = if (0..dims[d]).contains(&j) { j } else { match edge(j, dims[d]) { Some(j) => j, None => return Ok(None) } };
                flat += j as usize * in_strides[d];
            }
            Ok(Some(flat))
        },
        value,
    )
}

/// `Trilu`: the upper (or lower) triangle of the last two axes from diagonal `k`, zero elsewhere.
pub fn trilu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    if rank < 2 {
        return Err(ctx.error("input must have at least 2 dimensions"));
    }
    let k = if ctx.node.input.get(1).is_some_and(|n| !n.is_empty()) { ctx.const_input(1)?.data.first().copied().unwrap_or(0.0) as i64 } else { 0 };
    let upper = ctx.attr_int("upper", 1) != 0;
    let in_strides = strides(ctx.shape);
    remap(
        ctx,
        ctx.shape.to_vec(),
        |idx| {
            let (i, j) = (idx[rank - 2] as i64, idx[rank - 1] as i64);
            let keep = if upper { j - i >= k } else { j - i <= k };
            Ok(keep.then(|| idx.iter().zip(&in_strides).map(|(a, s)| a * s).sum()))
        },
        0.0,
    )
}

/// `GatherElements` with constant indices: `y[idx] = x[idx with idx[axis] = indices[idx]]`.
pub fn gather_elements(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.is_activation(1) {
        return super::dynamic::gather_elements(ctx);
    }
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let ax = axis(ctx, ctx.attr_int("axis", 0), rank)?;
    let ind = ctx.const_input(1)?;
    if ind.shape.len() != rank || ind.shape.iter().zip(ctx.shape).enumerate().any(|(d, (i, x))| d != ax && i > x) {
        return Err(ctx.error(format!("indices of shape {:?} do not fit data of shape {:?}", ind.shape, ctx.shape)));
    }
    let dim = ctx.shape[ax] as i64;
    let in_strides = strides(ctx.shape);
    let ind_strides = strides(&ind.shape);
    reindex(ctx, ind.shape.clone(), |idx| {
        let flat: usize = idx.iter().zip(&ind_strides).map(|(a, s)| a * s).sum();
        let i = ind.data[flat] as i64;
        let j = if i < 0 { i + dim } else { i };
        if !(0..dim).contains(&j) {
            return Err(ctx.error(format!("index {i} is out of range for axis {ax} of size {dim}")));
        }
        Ok(idx.iter().enumerate().map(|(d, a)| if d == ax { j as usize } else { *a } * in_strides[d]).sum())
    })
}

/// `Gather` with constant indices (computed ones: [`super::dynamic`]).
pub fn gather(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.is_activation(1) {
        return super::dynamic::gather(ctx);
    }
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let ax = axis(ctx, ctx.attr_int("axis", 0), rank)?;
    let ind: &ConstTensor = ctx.const_input(1)?;
    let dim = ctx.shape[ax] as i64;
    let indices: Vec<usize> = ind
        .data
        .iter()
        .map(|v| {
            let i = *v as i64;
            let j = if i < 0 { i + dim } else { i };
            if (0..dim).contains(&j) {
                Ok(j as usize)
            } else {
                Err(ctx.error(format!("index {i} is out of range for axis {ax} of size {dim}")))
            }
        })
        .collect::<Result<_>>()?;
    let k = ind.shape.len();
    let mut out_shape = ctx.shape[..ax].to_vec();
    out_shape.extend(&ind.shape);
    out_shape.extend(&ctx.shape[ax + 1..]);
    let in_strides = strides(ctx.shape);
    let ind_strides = strides(&ind.shape);
    reindex(ctx, out_shape, |idx| {
        let pick = idx[ax..ax + k].iter().zip(&ind_strides).map(|(i, s)| i * s).sum::<usize>();
        let pre: usize = idx[..ax].iter().zip(&in_strides).map(|(i, s)| i * s).sum();
        let post: usize = idx[ax + k..].iter().zip(&in_strides[ax + 1..]).map(|(i, s)| i * s).sum();
        Ok(pre + indices[pick] * in_strides[ax] + post)
    })
}

/// `Squeeze`: removes the given axes of size 1 (all of them when none are given).
pub fn squeeze(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let axes: Vec<usize> = match int_list(ctx, 1, "axes")? {
        Some(a) => a.iter().map(|x| axis(ctx, *x, rank)).collect::<Result<_>>()?,
        None => (0..rank).filter(|d| ctx.shape[*d] == 1).collect(),
    };
    if let Some(d) = axes.iter().find(|d| ctx.shape[**d] != 1) {
        return Err(ctx.error(format!("axis {d} has size {}, only size-1 axes can be squeezed", ctx.shape[*d])));
    }
    Ok(Lowered::Op(Op::Reshape((0..rank).filter(|d| !axes.contains(d)).map(|d| ctx.shape[d]).collect())))
}

/// `Unsqueeze`: inserts axes of size 1 (positions in the output).
pub fn unsqueeze(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let axes = int_list(ctx, 1, "axes")?.ok_or_else(|| ctx.error("'axes' is required"))?;
    let out_rank = ctx.shape.len() + axes.len();
    if out_rank > crate::limits::MAX_RANK {
        return Err(ctx.error(format!("'axes' = {axes:?}: the output would have {out_rank} dimensions, more than {}", crate::limits::MAX_RANK)));
    }
    let mut axes: Vec<usize> = axes.iter().map(|a| axis(ctx, *a, out_rank)).collect::<Result<_>>()?;
    axes.sort_unstable();
    if axes.windows(2).any(|w| w[0] == w[1]) {
        return Err(ctx.error("repeated axis"));
    }
    let mut dims = ctx.shape.iter();
    let shape = (0..out_rank).map(|d| if axes.contains(&d) { 1 } else { dims.next().copied().unwrap_or(1) }).collect();
    Ok(Lowered::Op(Op::Reshape(shape)))
}

/// `Cast`: of a constant (evaluated now), or of the activation to float (a no-op).
pub fn cast(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    const FLOAT: i64 = 1;
    const BOOL: i64 = 9;
    let to = ctx.attr_int("to", FLOAT);
    if ctx.is_activation(0) {
        let n = ctx.width;
        return match to {
            1 | 10 | 11 | 16 => Ok(Lowered::Skip),
            // x ≠ 0: 1 − [x = 0], exact.
            BOOL => Ok(Lowered::Ops(vec![Op::Act(Activation::IsZero), Op::Affine(AffineMap::elementwise(vec![-1.0; n], vec![1.0; n]), ctx.shape.to_vec())])),
            // Integer types truncate toward zero: a rounding table, exact. (A value that is already
            // an integer passes unchanged; wrap-around of narrow types is not modelled.)
            2..=7 | 12 | 13 => Ok(Lowered::Op(Op::Act(Activation::Trunc))),
            other => Err(ctx.error(format!("attribute 'to' = {other} is not a supported numeric type"))),
        };
    }
    let mut t = ctx.const_input(0)?.clone();
    match to {
        // float, float16, double, bfloat16
        1 | 10 | 11 | 16 => {}
        BOOL => t.data.iter_mut().for_each(|v| *v = f32::from(u8::from(*v != 0.0))),
        // integer types truncate toward zero
        2..=7 | 12 | 13 => t.data.iter_mut().for_each(|v| *v = v.trunc()),
        other => return Err(ctx.error(format!("attribute 'to' = {other} is not a supported numeric type"))),
    }
    Ok(Lowered::Const(t))
}

/// `Expand` of the activation to a constant shape (numpy broadcast): a gather, no rows.
pub fn expand(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let dims = dims(ctx, ctx.const_input(1)?)?;
    let out = broadcast_shape(ctx.shape, &dims).ok_or_else(|| ctx.error(format!("shape {:?} does not expand to {dims:?}", ctx.shape)))?;
    ctx.output_values(&out)?;
    let idx = broadcast_index(ctx.shape, &out).ok_or_else(|| ctx.error(format!("shape {:?} does not expand to {dims:?}", ctx.shape)))?;
    Ok(Lowered::Op(Op::Affine(AffineMap::gather(ctx.width, idx), out)))
}

/// `Tile` of the activation by constant repeats: a gather, no rows.
pub fn tile(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let reps = dims(ctx, ctx.const_input(1)?)?;
    if reps.len() != ctx.shape.len() {
        return Err(ctx.error(format!("{} repeats for rank {}", reps.len(), ctx.shape.len())));
    }
    let out: Vec<usize> = ctx.shape.iter().zip(&reps).map(|(d, r)| d.saturating_mul(*r)).collect();
    let in_strides = strides(ctx.shape);
    reindex(ctx, out, |idx| Ok(idx.iter().zip(ctx.shape).zip(&in_strides).map(|((i, d), s)| (i % d) * s).sum()))
}

/// A shape or repeats given as a constant: non-negative integers, at most [`crate::limits::MAX_RANK`].
fn dims(ctx: &NodeCtx<'_>, t: &ConstTensor) -> Result<Vec<usize>> {
    if t.data.len() > crate::limits::MAX_RANK {
        return Err(ctx.error(format!("{} dimensions, more than {}", t.data.len(), crate::limits::MAX_RANK)));
    }
    t.data
        .iter()
        .map(|v| if *v >= 0.0 && v.fract() == 0.0 && *v <= crate::limits::MAX_TENSOR_VALUES as f32 { Ok(*v as usize) } else { Err(ctx.error(format!("entry {v} is not a dimension"))) })
        .collect()
}

/// An op evaluated only at compile time ([`super::fold`]): reaching the lowering means an input
/// is not known then.
pub fn folded_only(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    Err(ctx.error("needs constant inputs (it is evaluated at compile time), but an input is computed from the model input"))
}

/// `Split`: one gather per output along `axis`, sizes from the `split` input (opset 13), the
/// attribute (older opsets), or `num_outputs` / the outputs' count in equal parts (the last part
/// smaller when the axis does not divide).
pub fn split(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    require_activation(ctx)?;
    let rank = ctx.shape.len();
    let ax = axis(ctx, ctx.attr_int("axis", 0), rank)?;
    let dim = ctx.shape[ax];
    let outputs = ctx.node.output.len();
    let sizes: Vec<usize> = match int_list(ctx, 1, "split")? {
        Some(s) => s.iter().map(|v| usize::try_from(*v).map_err(|_| ctx.error(format!("split size {v} is negative")))).collect::<Result<_>>()?,
        None => {
            let parts = usize::try_from(ctx.attr_int("num_outputs", outputs as i64)).unwrap_or(0).max(1);
            let each = dim.div_ceil(parts);
            (0..parts).map(|i| each.min(dim.saturating_sub(i * each))).collect()
        }
    };
    if sizes.len() != outputs || sizes.iter().sum::<usize>() != dim || sizes.contains(&0) {
        return Err(ctx.error(format!("split sizes {sizes:?} for {outputs} outputs do not partition axis {ax} of size {dim}")));
    }
    let in_strides = strides(ctx.shape);
    let mut ops = Vec::with_capacity(outputs);
    let mut begin = 0;
    for size in sizes {
        let mut out_shape = ctx.shape.to_vec();
        out_shape[ax] = size;
        let b = begin;
        let lowered = reindex(ctx, out_shape, |idx| Ok(idx.iter().enumerate().map(|(d, i)| (if d == ax { b + i } else { *i }) * in_strides[d]).sum()))?;
        let Lowered::Op(op) = lowered else { return Err(ctx.error("internal: a split part")) };
        ops.push(op);
        begin += size;
    }
    Ok(Lowered::Each(ops))
}
