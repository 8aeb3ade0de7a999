//! Spatial ops on `[C, H, W]` activations, lowered to sparse [`LinearMap`]s: `Conv`,
//! `AveragePool`, `GlobalAveragePool`. Padding contributes no terms.

use super::registry::Lowered;
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{LinearMap, MaxMap, Op};
use crate::limits::MAX_TENSOR_VALUES;

/// Geometry of a 2-D sliding window.
#[derive(Debug, Clone, Copy)]
struct Window {
    kh: usize,
    kw: usize,
    /// top, left, bottom, right
    pads: [usize; 4],
    strides: [usize; 2],
}

impl Window {
    /// The output's spatial size, checked: the padded input (at most [`MAX_TENSOR_VALUES`] per
    /// dimension) holds the kernel.
    fn out_dims(&self, ctx: &NodeCtx<'_>, h: usize, w: usize) -> Result<(usize, usize)> {
        let padded = |d: usize, a: usize, b: usize| d.checked_add(a)?.checked_add(b).filter(|v| *v <= MAX_TENSOR_VALUES);
        let (Some(ph), Some(pw)) = (padded(h, self.pads[0], self.pads[2]), padded(w, self.pads[1], self.pads[3])) else {
            return Err(ctx.error(format!("attribute 'pads' = {:?}: the padded input is larger than {MAX_TENSOR_VALUES} per dimension", self.pads)));
        };
        if ph < self.kh || pw < self.kw {
            return Err(ctx.error("the kernel is larger than the padded input"));
        }
        Ok(((ph - self.kh) / self.strides[0] + 1, (pw - self.kw) / self.strides[1] + 1))
    }
    /// Checks, before any is built, that `outputs` windows of `per_tap` terms per kernel position
    /// fit the limits: the positions visited (in-bounds or not) are at most [`crate::limits::MAX_OP_TERMS`].
    fn check_taps(&self, ctx: &NodeCtx<'_>, outputs: usize, per_tap: usize) -> Result<()> {
        let taps = self.kh.checked_mul(self.kw).and_then(|t| t.checked_mul(per_tap)).and_then(|t| t.checked_mul(outputs));
        ctx.check_terms(taps).map(|_| ())
    }
    /// In-bounds input positions `(ih, iw, kh, kw)` of the window at output `(oh, ow)`.
    fn taps(&self, h: usize, w: usize, oh: usize, ow: usize) -> impl Iterator<Item = (usize, usize, usize, usize)> + '_ {
        let (top, left) = (oh * self.strides[0], ow * self.strides[1]);
        (0..self.kh).flat_map(move |kh| (0..self.kw).map(move |kw| (kh, kw))).filter_map(move |(kh, kw)| {
            let ih = (top + kh).checked_sub(self.pads[0]).filter(|v| *v < h)?;
            let iw = (left + kw).checked_sub(self.pads[1]).filter(|v| *v < w)?;
            Some((ih, iw, kh, kw))
        })
    }
}

fn chw(ctx: &NodeCtx<'_>) -> Result<(usize, usize, usize)> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be the activation tensor"));
    }
    match ctx.shape {
        [1, c, h, w] => Ok((*c, *h, *w)),
        s => Err(ctx.error(format!("expects a [1, C, H, W] activation (one sample, 2-D spatial), has shape {s:?}"))),
    }
}

fn ints(ctx: &NodeCtx<'_>, name: &str) -> Option<Vec<i64>> {
    ctx.attr(name).map(|a| a.ints.clone())
}

fn usizes(ctx: &NodeCtx<'_>, name: &str, len: usize) -> Result<Option<Vec<usize>>> {
    match ints(ctx, name) {
        None => Ok(None),
        Some(v) if v.len() == len && v.iter().all(|x| *x >= 0) => Ok(Some(v.iter().map(|x| *x as usize).collect())),
        Some(v) => Err(ctx.error(format!("attribute '{name}' = {v:?}: expected {len} non-negative values"))),
    }
}

/// Reads `auto_pad`, `pads`, `strides` (and checks `kernel_shape` against the kernel).
fn window(ctx: &NodeCtx<'_>, kh: usize, kw: usize) -> Result<Window> {
    if let Some(a) = ctx.attr("auto_pad") {
        let v = String::from_utf8_lossy(&a.s);
        if v != "NOTSET" {
            return Err(ctx.error(format!("attribute 'auto_pad' = {v} is not supported (use explicit pads)")));
        }
    }
    if let Some(k) = usizes(ctx, "kernel_shape", 2)? {
        if k != [kh, kw] {
            return Err(ctx.error(format!("attribute 'kernel_shape' = {k:?} does not match the kernel [{kh}, {kw}]")));
        }
    }
    let pads = usizes(ctx, "pads", 4)?.unwrap_or_else(|| vec![0; 4]);
    let strides = usizes(ctx, "strides", 2)?.unwrap_or_else(|| vec![1, 1]);
    if strides.contains(&0) {
        return Err(ctx.error("attribute 'strides' must be positive"));
    }
    Ok(Window { kh, kw, pads: [pads[0], pads[1], pads[2], pads[3]], strides: [strides[0], strides[1]] })
}

/// `Conv`: 2-D, group 1, dilation 1.
pub fn conv(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (c, h, w) = chw(ctx)?;
    if ctx.attr_int("group", 1) != 1 {
        return Err(ctx.error(format!("attribute 'group' = {} is not supported (only 1)", ctx.attr_int("group", 1))));
    }
    if let Some(d) = ints(ctx, "dilations") {
        if d.iter().any(|x| *x != 1) {
            return Err(ctx.error(format!("attribute 'dilations' = {d:?} is not supported (only 1)")));
        }
    }
    let kernel = ctx.const_input(1)?;
    let [m, kc, kh, kw] = kernel.shape[..] else {
        return Err(ctx.error(format!("input W must be [M, C, kH, kW], has shape {:?}", kernel.shape)));
    };
    if kc != c {
        return Err(ctx.error(format!("input W has {kc} input channels, the activation has {c}")));
    }
    let bias = if ctx.node.input.get(2).is_some_and(|n| !n.is_empty()) {
        let b = ctx.const_input(2)?;
        if b.data.len() != m {
            return Err(ctx.error(format!("input B has {} values, expected {m}", b.data.len())));
        }
        b.data.clone()
    } else {
        vec![0.0; m]
    };
    let win = window(ctx, kh, kw)?;
    let (oh, ow) = win.out_dims(ctx, h, w)?;
    let outputs = ctx.output_values(&[1, m, oh, ow])?;
    win.check_taps(ctx, outputs, c)?;
    let mut rows = Vec::with_capacity(outputs);
    let mut biases = Vec::with_capacity(outputs);
    for (mo, &b) in bias.iter().enumerate() {
        for y in 0..oh {
            for x in 0..ow {
                let mut terms = Vec::with_capacity(c * kh * kw);
                for ci in 0..c {
                    for (ih, iw, ky, kx) in win.taps(h, w, y, x) {
                        terms.push((ci * h * w + ih * w + iw, kernel.data[((mo * c + ci) * kh + ky) * kw + kx]));
                    }
                }
                rows.push(terms);
                biases.push(b);
            }
        }
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: c * h * w, rows, bias: biases, out_shape: vec![1, m, oh, ow] })))
}

/// `AveragePool`: 2-D, ceil_mode 0.
pub fn average_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (c, h, w) = chw(ctx)?;
    if ctx.attr_int("ceil_mode", 0) != 0 {
        return Err(ctx.error("attribute 'ceil_mode' = 1 is not supported"));
    }
    let include_pad = ctx.attr_int("count_include_pad", 0) != 0;
    let k = usizes(ctx, "kernel_shape", 2)?.ok_or_else(|| ctx.error("attribute 'kernel_shape' is required"))?;
    let win = window(ctx, k[0], k[1])?;
    let (oh, ow) = win.out_dims(ctx, h, w)?;
    let outputs = ctx.output_values(&[1, c, oh, ow])?;
    win.check_taps(ctx, outputs, 1)?;
    let mut rows = Vec::with_capacity(outputs);
    for ci in 0..c {
        for y in 0..oh {
            for x in 0..ow {
                let taps: Vec<usize> = win.taps(h, w, y, x).map(|(ih, iw, _, _)| ci * h * w + ih * w + iw).collect();
                let count = if include_pad { win.kh * win.kw } else { taps.len().max(1) };
                rows.push(taps.into_iter().map(|i| (i, 1.0 / count as f32)).collect());
            }
        }
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: c * h * w, rows, bias: vec![0.0; outputs], out_shape: vec![1, c, oh, ow] })))
}

/// `MaxPool`: 2-D, ceil_mode 0, dilations 1; padded positions never win.
pub fn max_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (c, h, w) = chw(ctx)?;
    if ctx.node.output.iter().filter(|o| !o.is_empty()).count() > 1 {
        return Err(ctx.error("the Indices output is not supported"));
    }
    if ctx.attr_int("ceil_mode", 0) != 0 {
        return Err(ctx.error("attribute 'ceil_mode' = 1 is not supported"));
    }
    if ctx.attr_int("storage_order", 0) != 0 {
        return Err(ctx.error("attribute 'storage_order' = 1 is not supported"));
    }
    if let Some(d) = ints(ctx, "dilations") {
        if d.iter().any(|x| *x != 1) {
            return Err(ctx.error(format!("attribute 'dilations' = {d:?} is not supported (only 1)")));
        }
    }
    let k = usizes(ctx, "kernel_shape", 2)?.ok_or_else(|| ctx.error("attribute 'kernel_shape' is required"))?;
    let win = window(ctx, k[0], k[1])?;
    let (oh, ow) = win.out_dims(ctx, h, w)?;
    let outputs = ctx.output_values(&[1, c, oh, ow])?;
    win.check_taps(ctx, outputs, 1)?;
    let mut windows = Vec::with_capacity(outputs);
    for ci in 0..c {
        for y in 0..oh {
            for x in 0..ow {
                let taps: Vec<usize> = win.taps(h, w, y, x).map(|(ih, iw, _, _)| ci * h * w + ih * w + iw).collect();
                if taps.is_empty() {
                    return Err(ctx.error("a pooling window lies entirely in the padding"));
                }
                windows.push(taps);
            }
        }
    }
    Ok(Lowered::Op(Op::Max(MaxMap { inputs: c * h * w, windows, out_shape: vec![1, c, oh, ow] })))
}

/// `GlobalAveragePool`: mean over H × W per channel.
pub fn global_average_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (c, h, w) = chw(ctx)?;
    let n = h * w;
    let rows = (0..c).map(|ci| (0..n).map(|j| (ci * n + j, 1.0 / n as f32)).collect()).collect();
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: c * n, rows, bias: vec![0.0; c], out_shape: vec![1, c, 1, 1] })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::ConstTensor;
    use std::collections::HashMap;
    use std::path::Path;
    use tract_onnx::pb::{AttributeProto, NodeProto};

    fn int_attr(name: &str, i: i64) -> AttributeProto {
        AttributeProto { name: name.into(), i, ..Default::default() }
    }
    fn ints_attr(name: &str, ints: &[i64]) -> AttributeProto {
        AttributeProto { name: name.into(), ints: ints.to_vec(), ..Default::default() }
    }

    fn run_conv(attrs: Vec<AttributeProto>, shape: &[usize]) -> Result<Lowered> {
        let node = NodeProto {
            name: "c".into(),
            op_type: "Conv".into(),
            input: vec!["x".into(), "w".into()],
            attribute: attrs,
            ..Default::default()
        };
        let mut consts = HashMap::new();
        consts.insert("w".to_string(), ConstTensor { shape: vec![2, 1, 2, 2], data: vec![1.0; 8], integer: false });
        let acts = HashMap::from([("x".to_string(), (0, shape.to_vec()))]);
        let width = shape.iter().product();
        conv(&NodeCtx { path: Path::new("m.onnx"), node: &node, consts: &consts, acts: &acts, activation: "x", width, shape })
    }

    #[test]
    fn conv_geometry() {
        let Lowered::Op(Op::Linear(m)) = run_conv(vec![ints_attr("strides", &[2, 2]), ints_attr("pads", &[1, 1, 1, 1])], &[1, 1, 4, 4]).unwrap() else {
            panic!("not a linear map")
        };
        // (4 + 2 - 2) / 2 + 1 = 3
        assert_eq!(m.out_shape, vec![1, 2, 3, 3]);
        // Top-left window sees only input (0, 0); the centre window sees 4 inputs.
        assert_eq!(m.rows[0], vec![(0, 1.0)]);
        assert_eq!(m.rows[4].len(), 4);
    }

    #[test]
    fn conv_refuses_what_it_does_not_support_naming_the_attribute() {
        let e = run_conv(vec![int_attr("group", 2)], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'group' = 2"), "{e}");
        let e = run_conv(vec![ints_attr("dilations", &[2, 2])], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'dilations'"), "{e}");
        let e = run_conv(vec![ints_attr("kernel_shape", &[3, 3])], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'kernel_shape'"), "{e}");
        let e = run_conv(vec![], &[16]).unwrap_err().to_string();
        assert!(e.contains("[1, C, H, W]"), "{e}");
        let e = run_conv(vec![ints_attr("pads", &[1, 1])], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'pads'"), "{e}");
    }
}
