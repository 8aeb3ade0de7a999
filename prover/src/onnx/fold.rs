//! Compile-time evaluation of what depends only on constants and static shapes: `Shape` and
//! `Size` of any tensor (activations have exact shapes), and every node whose inputs are all
//! constants. Exporters write such subgraphs around reshapes and masks (torch's
//! `Shape → Gather → Unsqueeze → Concat → Reshape`, `ConstantOfShape`, `Expand`, `Range`,
//! `Equal`/`Where` on shapes); they become constants before lowering, so no row proves them.
//!
//! Ops that move values (Gather, GatherElements, Slice, Pad, Trilu, Squeeze, Unsqueeze, Concat,
//! Reshape, Transpose, Flatten, Identity) are evaluated by their own registry lowering applied to
//! the constant's values, so the constant and activation paths cannot disagree. Arithmetic follows numpy broadcasting and
//! ONNX semantics (integer `Div` truncates, integer `Mod` takes the divisor's sign). Every result
//! is bounded by [`MAX_TENSOR_VALUES`] before it is allocated.

use super::registry::{broadcast_index, broadcast_shape, Lowered, Ref};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::Op;
use crate::limits::{self, MAX_TENSOR_VALUES};
use std::collections::HashMap;

/// Ops evaluated by applying their registry lowering to constant values.
const MOVES: &[&str] = &["Gather", "GatherElements", "Slice", "Pad", "Trilu", "Squeeze", "Unsqueeze", "Concat", "Reshape", "Transpose", "Flatten", "Identity"];

/// The node's value when it is known at compile time; `None` when it is not (an activation
/// input), or its op is not evaluated here (the registry then handles it).
pub fn fold(ctx: &NodeCtx<'_>, lower: fn(&NodeCtx<'_>) -> Result<Lowered>) -> Result<Option<ConstTensor>> {
    let op = ctx.node.op_type.as_str();
    match op {
        "Shape" => return shape(ctx).map(Some),
        "Size" => {
            let s = input_shape(ctx, 0)?;
            return Ok(Some(ConstTensor { shape: Vec::new(), data: vec![s.iter().product::<usize>() as f32], integer: true }));
        }
        _ => {}
    }
    let inputs: Vec<&String> = ctx.node.input.iter().filter(|n| !n.is_empty()).collect();
    if inputs.is_empty() || inputs.iter().any(|n| !ctx.consts.contains_key(*n)) {
        return Ok(None);
    }
    if MOVES.contains(&op) {
        return moved(ctx, lower).map(Some);
    }
    let c = |i: usize| ctx.const_input(i);
    let out = match op {
        "ConstantOfShape" => {
            let dims = dims_of(ctx, c(0)?)?;
            let (value, integer) = match ctx.attr("value").and_then(|a| a.t.as_ref()) {
                Some(t) => {
                    let v = super::to_const(t, None).map_err(|m| ctx.error(format!("attribute 'value': {m}")))?;
                    (v.data.first().copied().unwrap_or(0.0), v.integer)
                }
                None => (0.0, false),
            };
            let n = volume(ctx, &dims)?;
            ConstTensor { shape: dims, data: vec![value; n], integer }
        }
        "Expand" => {
            let dims = dims_of(ctx, c(1)?)?;
            let x = c(0)?;
            let out = broadcast_shape(&x.shape, &dims).ok_or_else(|| ctx.error(format!("shape {:?} does not expand to {dims:?}", x.shape)))?;
            gather_broadcast(ctx, x, &out)?
        }
        "Range" => {
            let (start, limit, delta) = (scalar(ctx, c(0)?)?, scalar(ctx, c(1)?)?, scalar(ctx, c(2)?)?);
            if delta == 0.0 {
                return Err(ctx.error("delta is 0"));
            }
            let n = ((limit - start) / delta).ceil().max(0.0);
            if n > MAX_TENSOR_VALUES as f64 {
                return Err(ctx.error(format!("{n} values, more than {MAX_TENSOR_VALUES}")));
            }
            let data = (0..n as usize).map(|i| (start + i as f64 * delta) as f32).collect();
            ConstTensor { shape: vec![n as usize], data, integer: c(0)?.integer }
        }
        "Cast" => {
            let to = ctx.attr_int("to", 1);
            let mut t = c(0)?.clone();
            match to {
                1 | 10 | 11 | 16 => t.integer = false,
                9 => {
                    t.data.iter_mut().for_each(|v| *v = f32::from(u8::from(*v != 0.0)));
                    t.integer = true;
                }
                2..=7 | 12 | 13 => {
                    t.data.iter_mut().for_each(|v| *v = v.trunc());
                    t.integer = true;
                }
                other => return Err(ctx.error(format!("attribute 'to' = {other} is not a supported numeric type"))),
            }
            t
        }
        "Add" | "Sub" | "Mul" | "Div" | "Mod" | "Pow" | "Min" | "Max" | "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "And" | "Or" | "Xor" => {
            let args: Vec<&ConstTensor> = (0..ctx.node.input.len()).filter(|i| !ctx.node.input[*i].is_empty()).map(c).collect::<Result<_>>()?;
            let integer = args.iter().all(|a| a.integer);
            let f = binary(op, integer, ctx)?;
            let mut acc = args[0].clone();
            for b in &args[1..] {
                acc = zip(ctx, &acc, b, f)?;
                acc.integer = integer || is_logical(op);
            }
            acc
        }
        "Neg" | "Abs" | "Floor" | "Ceil" | "Round" | "Sqrt" | "Not" | "Sign" | "Reciprocal" | "Relu" => {
            let mut t = c(0)?.clone();
            let f: fn(f32) -> f32 = match op {
                "Neg" => |v| -v,
                "Abs" => f32::abs,
                "Floor" => f32::floor,
                "Ceil" => f32::ceil,
                "Round" => f32::round_ties_even,
                "Sqrt" => f32::sqrt,
                "Not" => |v| f32::from(u8::from(v == 0.0)),
                "Sign" => |v| if v == 0.0 { 0.0 } else { v.signum() },
                "Reciprocal" => |v| 1.0 / v,
                _ => |v| v.max(0.0),
            };
            t.data.iter_mut().for_each(|v| *v = f(*v));
            t.integer = t.integer && !matches!(op, "Sqrt" | "Reciprocal");
            t
        }
        "ReduceSum" | "ReduceMean" | "ReduceProd" | "ReduceMin" | "ReduceMax" => reduce(ctx, op, c(0)?)?,
        "MatMul" => match matmul(ctx, c(0)?, c(1)?)? {
            Some(t) => t,
            None => return Ok(None),
        },
        "Where" => {
            let (cond, x, y) = (c(0)?, c(1)?, c(2)?);
            let out = broadcast_shape(&cond.shape, &x.shape).and_then(|s| broadcast_shape(&s, &y.shape)).ok_or_else(|| ctx.error("the inputs do not broadcast"))?;
            let n = volume(ctx, &out)?;
            let idx = |t: &ConstTensor| broadcast_index(&t.shape, &out).ok_or_else(|| ctx.error("the inputs do not broadcast"));
            let (ic, ix, iy) = (idx(cond)?, idx(x)?, idx(y)?);
            let data = (0..n).map(|j| if cond.data[ic[j]] != 0.0 { x.data[ix[j]] } else { y.data[iy[j]] }).collect();
            ConstTensor { shape: out, data, integer: x.integer && y.integer }
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// `A · B` of two constant matrices (or a vector and a matrix: numpy's 1-D promotion); `None`
/// for batched operands (the registry then refuses them by name).
fn matmul(ctx: &NodeCtx<'_>, a: &ConstTensor, b: &ConstTensor) -> Result<Option<ConstTensor>> {
    let dims2 = |t: &ConstTensor, row: bool| match t.shape[..] {
        [n] if row => Some((1, n)),
        [n] => Some((n, 1)),
        [r, c] => Some((r, c)),
        _ => None,
    };
    let (Some((m, k)), Some((kb, n))) = (dims2(a, true), dims2(b, false)) else {
        return Ok(None);
    };
    if k != kb {
        return Err(ctx.error(format!("constant operands of shapes {:?} and {:?} do not multiply", a.shape, b.shape)));
    }
    if m.checked_mul(n).and_then(|v| v.checked_mul(k.max(1))).is_none_or(|v| v > MAX_TENSOR_VALUES) {
        return Err(ctx.error(format!("folding the product of constants {:?} and {:?} takes more than {MAX_TENSOR_VALUES} multiplications", a.shape, b.shape)));
    }
    let data = (0..m * n).map(|o| (0..k).map(|t| a.data[(o / n) * k + t] * b.data[t * n + o % n]).sum()).collect();
    let mut shape = Vec::new();
    if a.shape.len() == 2 {
        shape.push(m);
    }
    if b.shape.len() == 2 {
        shape.push(n);
    }
    Ok(Some(ConstTensor { shape, data, integer: a.integer && b.integer }))
}

fn is_logical(op: &str) -> bool {
    matches!(op, "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "And" | "Or" | "Xor")
}

/// The element function of a binary op (integer semantics when both operands are integers).
fn binary(op: &str, integer: bool, ctx: &NodeCtx<'_>) -> Result<fn(f32, f32) -> f32> {
    Ok(match (op, integer) {
        ("Add", _) => |a, b| a + b,
        ("Sub", _) => |a, b| a - b,
        ("Mul", _) => |a, b| a * b,
        ("Div", true) => |a, b| if b == 0.0 { 0.0 } else { (a / b).trunc() },
        ("Div", false) => |a, b| a / b,
        ("Mod", true) => |a, b| if b == 0.0 { 0.0 } else { a - b * (a / b).floor() },
        ("Mod", false) if ctx.attr_int("fmod", 0) != 0 => |a, b| a % b,
        ("Mod", false) => |a, b| a - b * (a / b).floor(),
        ("Pow", _) => f32::powf,
        ("Min", _) => f32::min,
        ("Max", _) => f32::max,
        ("Equal", _) => |a, c| f32::from(u8::from(a == c)),
        ("Less", _) => |a, c| f32::from(u8::from(a < c)),
        ("Greater", _) => |a, c| f32::from(u8::from(a > c)),
        ("LessOrEqual", _) => |a, c| f32::from(u8::from(a <= c)),
        ("GreaterOrEqual", _) => |a, c| f32::from(u8::from(a >= c)),
        ("And", _) => |a, c| f32::from(u8::from(a != 0.0 && c != 0.0)),
        ("Or", _) => |a, c| f32::from(u8::from(a != 0.0 || c != 0.0)),
        ("Xor", _) => |a, c| f32::from(u8::from((a != 0.0) != (c != 0.0))),
        _ => return Err(ctx.error("internal: not a binary op")),
    })
}

/// A Reduce* of a constant (a shape's product, as torch writes `numel`).
fn reduce(ctx: &NodeCtx<'_>, op: &str, x: &ConstTensor) -> Result<ConstTensor> {
    use super::normalize::{groups, reduce_axes, reduced_shape};
    let sub = NodeCtx { shape: &x.shape, width: x.data.len(), ..*ctx };
    let axes = reduce_axes(&sub)?;
    let g = groups(&x.shape, &axes);
    let out = reduced_shape(&sub, &g, &axes);
    let data = g
        .groups
        .iter()
        .map(|grp| {
            let v = grp.iter().map(|i| x.data[*i]);
            match op {
                "ReduceSum" => v.sum(),
                "ReduceMean" => v.sum::<f32>() / grp.len().max(1) as f32,
                "ReduceProd" => v.product(),
                "ReduceMin" => v.fold(f32::INFINITY, f32::min),
                _ => v.fold(f32::NEG_INFINITY, f32::max),
            }
        })
        .collect();
    Ok(ConstTensor { shape: out, data, integer: x.integer && op != "ReduceMean" })
}

/// `f(a, b)` under numpy broadcasting.
fn zip(ctx: &NodeCtx<'_>, a: &ConstTensor, b: &ConstTensor, f: fn(f32, f32) -> f32) -> Result<ConstTensor> {
    let out = broadcast_shape(&a.shape, &b.shape).ok_or_else(|| ctx.error(format!("shapes {:?} and {:?} do not broadcast", a.shape, b.shape)))?;
    let n = volume(ctx, &out)?;
    let (ia, ib) = (broadcast_index(&a.shape, &out), broadcast_index(&b.shape, &out));
    let (Some(ia), Some(ib)) = (ia, ib) else { return Err(ctx.error("the shapes do not broadcast")) };
    let data = (0..n).map(|j| f(a.data[ia[j]], b.data[ib[j]])).collect();
    Ok(ConstTensor { shape: out, data, integer: false })
}

/// `t` broadcast to `out`.
fn gather_broadcast(ctx: &NodeCtx<'_>, t: &ConstTensor, out: &[usize]) -> Result<ConstTensor> {
    volume(ctx, out)?;
    let idx = broadcast_index(&t.shape, out).ok_or_else(|| ctx.error(format!("shape {:?} does not broadcast to {out:?}", t.shape)))?;
    Ok(ConstTensor { shape: out.to_vec(), data: idx.iter().map(|i| t.data[*i]).collect(), integer: t.integer })
}

fn volume(ctx: &NodeCtx<'_>, shape: &[usize]) -> Result<usize> {
    limits::volume(shape, MAX_TENSOR_VALUES).ok_or_else(|| ctx.error(format!("a constant of shape {shape:?}: more than {MAX_TENSOR_VALUES} values (or {} dimensions)", limits::MAX_RANK)))
}

fn scalar(ctx: &NodeCtx<'_>, t: &ConstTensor) -> Result<f64> {
    match t.data.as_slice() {
        [v] => Ok(f64::from(*v)),
        _ => Err(ctx.error(format!("expected a scalar, got shape {:?}", t.shape))),
    }
}

/// A shape given as a constant: non-negative integers.
fn dims_of(ctx: &NodeCtx<'_>, t: &ConstTensor) -> Result<Vec<usize>> {
    if t.data.len() > limits::MAX_RANK {
        return Err(ctx.error(format!("a shape of {} dimensions, more than {}", t.data.len(), limits::MAX_RANK)));
    }
    t.data
        .iter()
        .map(|v| if *v >= 0.0 && v.fract() == 0.0 && *v <= MAX_TENSOR_VALUES as f32 { Ok(*v as usize) } else { Err(ctx.error(format!("shape entry {v} is not a dimension"))) })
        .collect()
}

/// The shape of input `i`: an activation's or a constant's.
fn input_shape(ctx: &NodeCtx<'_>, i: usize) -> Result<Vec<usize>> {
    let name = ctx.node.input.get(i).filter(|n| !n.is_empty()).ok_or_else(|| ctx.error(format!("missing input {i}")))?;
    if let Some((_, s)) = ctx.acts.get(name) {
        return Ok(s.clone());
    }
    ctx.consts.get(name).map(|c| c.shape.clone()).ok_or_else(|| ctx.error(format!("input {i} ('{name}') is unknown")))
}

/// `Shape(start, end)`.
fn shape(ctx: &NodeCtx<'_>) -> Result<ConstTensor> {
    let s = input_shape(ctx, 0)?;
    let r = s.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let (start, end) = (clamp(ctx.attr_int("start", 0)), clamp(ctx.attr_int("end", r)));
    let dims: Vec<f32> = s.get(start..end.max(start)).unwrap_or(&[]).iter().map(|d| *d as f32).collect();
    Ok(ConstTensor { shape: vec![dims.len()], data: dims, integer: true })
}

/// A value-moving op on constants: its registry lowering, with the constant inputs presented as
/// activations, applied to their values.
fn moved(ctx: &NodeCtx<'_>, lower: fn(&NodeCtx<'_>) -> Result<Lowered>) -> Result<ConstTensor> {
    // Which inputs are data (the others stay constants: indices, shapes, axes).
    let data_inputs: &[usize] = match ctx.node.op_type.as_str() {
        "Concat" => &[],
        _ => &[0],
    };
    let positions: Vec<usize> = if ctx.node.op_type == "Concat" { (0..ctx.node.input.len()).filter(|i| !ctx.node.input[*i].is_empty()).collect() } else { data_inputs.to_vec() };
    let mut acts: HashMap<String, (usize, Vec<usize>)> = HashMap::new();
    let mut consts = ctx.consts.clone();
    let mut values: Vec<&ConstTensor> = Vec::new();
    for (k, &i) in positions.iter().enumerate() {
        let name = &ctx.node.input[i];
        let t = ctx.consts.get(name).ok_or_else(|| ctx.error(format!("input {i} is unknown")))?;
        acts.insert(name.clone(), (k, t.shape.clone()));
        consts.remove(name);
        values.push(t);
    }
    let integer = values.iter().all(|v| v.integer);
    let first = &ctx.node.input[positions[0]];
    let shape = values[0].shape.clone();
    let sub = NodeCtx { path: ctx.path, node: ctx.node, consts: &consts, acts: &acts, activation: first, width: values[0].data.len(), shape: &shape };
    let by_ref = |r: &Ref| -> Result<&ConstTensor> {
        match r {
            Ref::Primary => Ok(values[0]),
            Ref::Input(k) => positions.iter().position(|p| p == k).map(|j| values[j]).ok_or_else(|| ctx.error("internal: input")),
            Ref::Step(_) => Err(ctx.error("internal: a multi-step move")),
        }
    };
    let apply = |op: &Op, inputs: Vec<&ConstTensor>| -> Result<ConstTensor> {
        let data: Vec<f32> = inputs.iter().flat_map(|t| t.data.iter().copied()).collect();
        match op {
            Op::Affine(a, out) => Ok(ConstTensor { shape: out.clone(), data: a.src.iter().zip(&a.scale).zip(&a.shift).map(|((s, k), t)| data.get(*s).copied().unwrap_or(0.0) * k + t).collect(), integer }),
            Op::Reshape(out) => Ok(ConstTensor { shape: out.clone(), data, integer }),
            _ => Err(ctx.error("internal: not a move")),
        }
    };
    match lower(&sub)? {
        Lowered::Const(t) => Ok(t),
        Lowered::Skip => Ok(values[0].clone()),
        Lowered::Op(op) => apply(&op, vec![values[0]]),
        Lowered::Steps(steps) => match steps.as_slice() {
            [step] => apply(&step.op, step.inputs.iter().map(by_ref).collect::<Result<_>>()?),
            _ => Err(ctx.error("internal: a multi-step move")),
        },
        Lowered::Ops(_) | Lowered::Each(_) | Lowered::Outputs(..) => Err(ctx.error("internal: a multi-op move")),
    }
}
