//! `Resize` and `Upsample` with constant scales or sizes: `nearest` is a gather (no rows),
//! `linear` (bilinear, trilinear: separable) a linear map of constant weights. Coordinates follow
//! the ONNX reference: `half_pixel` (default), `pytorch_half_pixel`, `align_corners` and
//! `asymmetric`; nearest rounding `round_prefer_floor` (default), `round_prefer_ceil`, `floor`
//! and `ceil`; linear taps outside the input take its edge.

use super::conv::positions;
use super::ml::string;
use super::registry::Lowered;
use super::shape_ops::strides;
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{AffineMap, LinearMap, Op};

/// A constant float list from input `i`, `None` when absent or empty.
fn list(ctx: &NodeCtx<'_>, i: usize) -> Result<Option<Vec<f32>>> {
    if ctx.node.input.get(i).is_some_and(|n| !n.is_empty()) {
        let t = ctx.const_input(i)?;
        return Ok((!t.data.is_empty()).then(|| t.data.clone()));
    }
    Ok(None)
}

/// The output size and the scale of every axis.
fn sizes(ctx: &NodeCtx<'_>) -> Result<(Vec<usize>, Vec<f32>)> {
    let rank = ctx.shape.len();
    let upsample = ctx.node.op_type == "Upsample";
    let (scales, sizes) = if upsample {
        (list(ctx, 1)?.or_else(|| ctx.attr("scales").map(|a| a.floats.clone())), None)
    } else if ctx.node.input.len() == 2 {
        (list(ctx, 1)?, None)
    } else {
        (list(ctx, 2)?, list(ctx, 3)?)
    };
    let mut out = Vec::with_capacity(rank);
    let mut scale = Vec::with_capacity(rank);
    match (scales, sizes) {
        (_, Some(sz)) if sz.len() == rank => {
            for (d, s) in sz.iter().enumerate() {
                let n = *s as usize;
                if n == 0 || *s < 0.0 {
                    return Err(ctx.error(format!("sizes[{d}] = {s}")));
                }
                out.push(n);
                scale.push(n as f32 / ctx.shape[d] as f32);
            }
        }
        (Some(sc), None) if sc.len() == rank => {
            for (d, s) in sc.iter().enumerate() {
                let n = (ctx.shape[d] as f32 * s).floor();
                if !(s.is_finite() && *s > 0.0 && n >= 1.0) {
                    return Err(ctx.error(format!("scales[{d}] = {s}")));
                }
                out.push(n as usize);
                scale.push(*s);
            }
        }
        _ => return Err(ctx.error(format!("constant scales or sizes with one value per axis ({rank}) are required"))),
    }
    Ok((out, scale))
}

/// The input coordinate of output index `x` on an axis of `len_in → len_out` at `scale`.
fn source(mode: &str, x: usize, scale: f32, len_in: usize, len_out: usize) -> Option<f32> {
    let x = x as f32;
    Some(match mode {
        "half_pixel" => (x + 0.5) / scale - 0.5,
        "pytorch_half_pixel" if len_out > 1 => (x + 0.5) / scale - 0.5,
        "pytorch_half_pixel" => 0.0,
        "align_corners" if len_out > 1 => x * (len_in as f32 - 1.0) / (len_out as f32 - 1.0),
        "align_corners" => 0.0,
        "asymmetric" => x / scale,
        _ => return None,
    })
}

/// The taps `(input index, weight)` of every output index of one axis.
fn taps(ctx: &NodeCtx<'_>, linear: bool, d: usize, out: usize, scale: f32) -> Result<Vec<Vec<(usize, f32)>>> {
    let (len_in, last) = (ctx.shape[d], ctx.shape[d] as i64 - 1);
    // Upsample and opset 10's Resize (X, scales) have no such attributes: asymmetric, floor.
    let legacy = ctx.node.op_type == "Upsample" || ctx.node.input.len() == 2;
    let coord = string(ctx, "coordinate_transformation_mode", if legacy { "asymmetric" } else { "half_pixel" });
    let nearest = string(ctx, "nearest_mode", if legacy { "floor" } else { "round_prefer_floor" });
    let clip = |i: i64| i.clamp(0, last) as usize;
    (0..out)
        .map(|o| {
            if len_in == out {
                return Ok(vec![(o, 1.0)]);
            }
            let x = source(&coord, o, scale, len_in, out).ok_or_else(|| ctx.error(format!("attribute 'coordinate_transformation_mode' = \"{coord}\" is not supported (half_pixel, pytorch_half_pixel, align_corners or asymmetric)")))?;
            if linear {
                let f = x.floor();
                let r = x - f;
                let i = f as i64;
                return Ok(if r == 0.0 { vec![(clip(i), 1.0)] } else { vec![(clip(i), 1.0 - r), (clip(i + 1), r)] });
            }
            let i = match nearest.as_str() {
                "round_prefer_floor" => if x - x.floor() == 0.5 { x.floor() } else { x.round() },
                "round_prefer_ceil" => x.round(),
                "floor" => x.floor(),
                "ceil" => x.ceil(),
                other => return Err(ctx.error(format!("attribute 'nearest_mode' = \"{other}\" is not supported"))),
            };
            Ok(vec![(clip(i as i64), 1.0)])
        })
        .collect()
}

/// `Resize` / `Upsample` of the activation.
pub fn resize(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be an activation"));
    }
    let mode = string(ctx, "mode", "nearest");
    let linear = match mode.as_str() {
        "nearest" => false,
        "linear" | "bilinear" => true,
        other => return Err(ctx.error(format!("attribute 'mode' = \"{other}\" is not supported (nearest or linear)"))),
    };
    for unsupported in ["antialias", "keep_aspect_ratio_policy", "axes", "exclude_outside"] {
        if ctx.attr(unsupported).is_some_and(|a| a.i != 0 || !a.s.is_empty() || !a.ints.is_empty()) {
            return Err(ctx.error(format!("attribute '{unsupported}' is not supported")));
        }
    }
    let (out_shape, scale) = sizes(ctx)?;
    let n = ctx.output_values(&out_shape)?;
    let per_axis: Vec<Vec<Vec<(usize, f32)>>> = (0..out_shape.len()).map(|d| taps(ctx, linear, d, out_shape[d], scale[d])).collect::<Result<_>>()?;
    let in_strides = strides(ctx.shape);
    let mut rows = Vec::with_capacity(n);
    for idx in positions(&out_shape) {
        let mut terms = vec![(0usize, 1.0f32)];
        for (d, i) in idx.iter().enumerate() {
            let stride = in_strides[d];
            terms = terms.iter().flat_map(|(j, w)| per_axis[d][*i].iter().map(move |(k, v)| (j + k * stride, w * v))).collect();
        }
        rows.push(terms);
    }
    ctx.check_terms(rows.iter().try_fold(0usize, |a, r| a.checked_add(r.len())))?;
    if rows.iter().all(|r| r.len() == 1 && r[0].1 == 1.0) {
        let src = rows.iter().map(|r| r[0].0).collect();
        return Ok(Lowered::Op(Op::Affine(AffineMap::gather(ctx.width, src), out_shape)));
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, bias: vec![0.0; n], rows, out_shape })))
}
