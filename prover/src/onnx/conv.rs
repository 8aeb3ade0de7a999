//! Spatial ops on `[N, C, D1, …, Dr]` activations (`r` = 1, 2 or 3 spatial dimensions, any
//! batch `N`), lowered to sparse [`LinearMap`]s and [`MaxMap`]s: `Conv` (groups, dilations),
//! `ConvTranspose`,
//! `AveragePool`, `MaxPool` (dilations, `ceil_mode`), `GlobalAveragePool`, `GlobalMaxPool`.
//! Padding contributes no terms; `auto_pad` (`SAME_UPPER`, `SAME_LOWER`, `VALID`) becomes
//! explicit pads.

use super::registry::Lowered;
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{LinearMap, MaxMap, Op};
use crate::limits::MAX_TENSOR_VALUES;

/// Most spatial dimensions supported.
const MAX_SPATIAL: usize = 3;

/// Geometry of an `r`-dimensional sliding window.
#[derive(Debug, Clone)]
struct Window {
    kernel: Vec<usize>,
    /// Padding before each spatial dimension, then after.
    begin: Vec<usize>,
    end: Vec<usize>,
    strides: Vec<usize>,
    dilations: Vec<usize>,
    ceil: bool,
}

/// An activation `[N, C, spatial…]`.
struct Input {
    n: usize,
    c: usize,
    spatial: Vec<usize>,
}

impl Input {
    fn volume(&self) -> usize {
        self.spatial.iter().product()
    }
}

impl Window {
    /// The extent of the dilated kernel along `d`.
    fn span(&self, d: usize) -> usize {
        self.dilations[d] * (self.kernel[d] - 1) + 1
    }
    /// The output's spatial size, checked: the padded input holds the dilated kernel.
    fn out_dims(&self, ctx: &NodeCtx<'_>, dims: &[usize]) -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(dims.len());
        for (d, &dim) in dims.iter().enumerate() {
            let padded = dim.checked_add(self.begin[d]).and_then(|v| v.checked_add(self.end[d])).filter(|v| *v <= MAX_TENSOR_VALUES);
            let Some(padded) = padded else {
                return Err(ctx.error(format!("attribute 'pads': the padded input is larger than {MAX_TENSOR_VALUES} per dimension")));
            };
            let span = self.span(d);
            if padded < span {
                return Err(ctx.error("the kernel is larger than the padded input"));
            }
            let steps = padded - span;
            let mut o = if self.ceil { steps.div_ceil(self.strides[d]) } else { steps / self.strides[d] } + 1;
            // ceil_mode: the last window must start inside the input or its left padding.
            if self.ceil && (o - 1) * self.strides[d] >= dim + self.begin[d] {
                o -= 1;
            }
            out.push(o);
        }
        Ok(out)
    }
    /// Checks, before any is built, that `outputs` windows of `per_tap` terms per kernel position
    /// fit the limits.
    fn check_taps(&self, ctx: &NodeCtx<'_>, outputs: usize, per_tap: usize) -> Result<()> {
        let taps = self.kernel.iter().try_fold(per_tap, |acc, k| acc.checked_mul(*k)).and_then(|t| t.checked_mul(outputs));
        ctx.check_terms(taps).map(|_| ())
    }
    /// The window at output position `o` (a multi-index): per kernel position (flat, row-major),
    /// the flat spatial input index when in bounds; and the number of positions inside the padded
    /// input (the divisor of `count_include_pad`).
    fn taps(&self, dims: &[usize], o: &[usize]) -> (Vec<(usize, usize)>, usize) {
        let r = dims.len();
        let kvol: usize = self.kernel.iter().product();
        let mut inside = Vec::new();
        let mut padded_count = 0;
        let mut k = vec![0usize; r];
        for kflat in 0..kvol {
            let mut flat = 0usize;
            let (mut ok, mut in_padded) = (true, true);
            for d in 0..r {
                let pos = o[d] * self.strides[d] + k[d] * self.dilations[d];
                if pos >= dims[d] + self.begin[d] + self.end[d] {
                    in_padded = false;
                }
                match pos.checked_sub(self.begin[d]).filter(|v| *v < dims[d]) {
                    Some(i) => flat = flat * dims[d] + i,
                    None => ok = false,
                }
            }
            if in_padded {
                padded_count += 1;
            }
            if ok {
                inside.push((kflat, flat));
            }
            for d in (0..r).rev() {
                k[d] += 1;
                if k[d] < self.kernel[d] {
                    break;
                }
                k[d] = 0;
            }
        }
        (inside, padded_count)
    }
}

/// Every multi-index of `dims`, row-major.
pub(super) fn positions(dims: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; dims.len()];
    for _ in 0..n {
        out.push(idx.clone());
        for d in (0..dims.len()).rev() {
            idx[d] += 1;
            if idx[d] < dims[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// The optional constant bias B of `m` output channels (zeros when absent).
fn bias(ctx: &NodeCtx<'_>, m: usize) -> Result<Vec<f32>> {
    if ctx.node.input.get(2).is_none_or(|n| n.is_empty()) {
        return Ok(vec![0.0; m]);
    }
    let b = ctx.const_input(2)?;
    if b.data.len() != m {
        return Err(ctx.error(format!("input B has {} values, expected {m}", b.data.len())));
    }
    Ok(b.data.clone())
}

fn input(ctx: &NodeCtx<'_>) -> Result<Input> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be the activation tensor"));
    }
    match ctx.shape {
        [n, c, spatial @ ..] if (1..=MAX_SPATIAL).contains(&spatial.len()) => Ok(Input { n: *n, c: *c, spatial: spatial.to_vec() }),
        s => Err(ctx.error(format!("expects an [N, C, D1, …] activation with 1 to {MAX_SPATIAL} spatial dimensions, has shape {s:?}"))),
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

/// Reads `auto_pad`, `pads`, `strides`, `dilations`, `ceil_mode` for a kernel of `kernel` (and
/// checks `kernel_shape` against it).
fn window(ctx: &NodeCtx<'_>, kernel: &[usize], dims: &[usize]) -> Result<Window> {
    let r = kernel.len();
    if let Some(k) = usizes(ctx, "kernel_shape", r)? {
        if k != kernel {
            return Err(ctx.error(format!("attribute 'kernel_shape' = {k:?} does not match the kernel {kernel:?}")));
        }
    }
    if kernel.contains(&0) {
        return Err(ctx.error("the kernel has an empty dimension"));
    }
    let strides = usizes(ctx, "strides", r)?.unwrap_or_else(|| vec![1; r]);
    let dilations = usizes(ctx, "dilations", r)?.unwrap_or_else(|| vec![1; r]);
    if strides.contains(&0) || dilations.contains(&0) {
        return Err(ctx.error("attributes 'strides' and 'dilations' must be positive"));
    }
    let ceil = ctx.attr_int("ceil_mode", 0) != 0;
    let mut w = Window { kernel: kernel.to_vec(), begin: vec![0; r], end: vec![0; r], strides, dilations, ceil };
    let auto = ctx.attr("auto_pad").map(|a| String::from_utf8_lossy(&a.s).into_owned()).unwrap_or_else(|| "NOTSET".into());
    match auto.as_str() {
        "NOTSET" => {
            let pads = usizes(ctx, "pads", 2 * r)?.unwrap_or_else(|| vec![0; 2 * r]);
            w.begin = pads[..r].to_vec();
            w.end = pads[r..].to_vec();
        }
        "VALID" => {}
        "SAME_UPPER" | "SAME_LOWER" => {
            for (d, &dim) in dims.iter().enumerate().take(r) {
                // Output ceil(D / s); the total padding split with the extra one after (UPPER)
                // or before (LOWER).
                let out = dim.div_ceil(w.strides[d]);
                let need = ((out - 1) * w.strides[d] + w.span(d)).saturating_sub(dim);
                let (small, big) = (need / 2, need - need / 2);
                (w.begin[d], w.end[d]) = if auto == "SAME_UPPER" { (small, big) } else { (big, small) };
            }
        }
        other => return Err(ctx.error(format!("attribute 'auto_pad' = {other} is not a padding mode"))),
    }
    Ok(w)
}

/// `Conv`: 1-, 2- or 3-D, any batch, groups (depthwise included), dilations, strides, pads.
pub fn conv(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let x = input(ctx)?;
    let kernel = ctx.const_input(1)?;
    let r = x.spatial.len();
    if kernel.shape.len() != r + 2 {
        return Err(ctx.error(format!("input W must be [M, C/group, K1, …] with {r} kernel dimensions, has shape {:?}", kernel.shape)));
    }
    let (m, kc) = (kernel.shape[0], kernel.shape[1]);
    let group = usize::try_from(ctx.attr_int("group", 1)).ok().filter(|g| *g > 0 && x.c % g == 0 && m % g == 0).ok_or_else(|| {
        ctx.error(format!("attribute 'group' = {} must divide the {} input and {m} output channels", ctx.attr_int("group", 1), x.c))
    })?;
    if kc * group != x.c {
        return Err(ctx.error(format!("input W has {kc} input channels per group ({group} groups), the activation has {}", x.c)));
    }
    let bias = bias(ctx, m)?;
    let win = window(ctx, &kernel.shape[2..], &x.spatial)?;
    let out_dims = win.out_dims(ctx, &x.spatial)?;
    let mut out_shape = vec![x.n, m];
    out_shape.extend(&out_dims);
    let outputs = ctx.output_values(&out_shape)?;
    win.check_taps(ctx, outputs, kc)?;
    let (vol, kvol) = (x.volume(), kernel.shape[2..].iter().product::<usize>());
    let windows: Vec<(Vec<(usize, usize)>, usize)> = positions(&out_dims).iter().map(|o| win.taps(&x.spatial, o)).collect();
    let (mut rows, mut biases) = (Vec::with_capacity(outputs), Vec::with_capacity(outputs));
    let per_group = m / group;
    for s in 0..x.n {
        for (mo, &b) in bias.iter().enumerate() {
            let g = mo / per_group;
            for (taps, _) in &windows {
                let mut terms = Vec::with_capacity(kc * taps.len());
                for ci in 0..kc {
                    let channel = g * kc + ci;
                    for (kflat, flat) in taps {
                        terms.push(((s * x.c + channel) * vol + flat, kernel.data[(mo * kc + ci) * kvol + kflat]));
                    }
                }
                rows.push(terms);
                biases.push(b);
            }
        }
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, rows, bias: biases, out_shape })))
}

/// `ConvTranspose`: 1-, 2- or 3-D, any batch, groups, strides, dilations, pads, output_padding
/// and output_shape (its padding split as the ONNX spec does for NOTSET): every input scattered
/// through the constant kernel, a linear map.
pub fn conv_transpose(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let x = input(ctx)?;
    let w = ctx.const_input(1)?;
    let r = x.spatial.len();
    if w.shape.len() != r + 2 {
        return Err(ctx.error(format!("input W must be [C, M/group, K1, …] with {r} kernel dimensions, has shape {:?}", w.shape)));
    }
    let group = usize::try_from(ctx.attr_int("group", 1)).ok().filter(|g| *g > 0 && x.c % g == 0).ok_or_else(|| ctx.error(format!("attribute 'group' = {} must divide the {} input channels", ctx.attr_int("group", 1), x.c)))?;
    if w.shape[0] != x.c {
        return Err(ctx.error(format!("input W has {} input channels, the activation {}", w.shape[0], x.c)));
    }
    let (cols, kernel) = (w.shape[1], w.shape[2..].to_vec());
    let m = cols * group;
    if kernel.contains(&0) {
        return Err(ctx.error("the kernel has an empty dimension"));
    }
    if let Some(k) = usizes(ctx, "kernel_shape", r)? {
        if k != kernel {
            return Err(ctx.error(format!("attribute 'kernel_shape' = {k:?} does not match the kernel {kernel:?}")));
        }
    }
    let strides = usizes(ctx, "strides", r)?.unwrap_or_else(|| vec![1; r]);
    let dilations = usizes(ctx, "dilations", r)?.unwrap_or_else(|| vec![1; r]);
    let extra = usizes(ctx, "output_padding", r)?.unwrap_or_else(|| vec![0; r]);
    if strides.contains(&0) || dilations.contains(&0) {
        return Err(ctx.error("attributes 'strides' and 'dilations' must be positive"));
    }
    match ctx.attr("auto_pad").map(|a| String::from_utf8_lossy(&a.s).into_owned()).as_deref() {
        None | Some("NOTSET") | Some("VALID") => {}
        Some(other) => return Err(ctx.error(format!("attribute 'auto_pad' = {other} is not supported (NOTSET or VALID; export with explicit pads)"))),
    }
    // The full (unpadded) extent of every spatial dimension, then the pads.
    let full: Vec<usize> = (0..r).map(|d| strides[d] * (x.spatial[d] - 1) + extra[d] + (kernel[d] - 1) * dilations[d] + 1).collect();
    let (begin, end) = match usizes(ctx, "output_shape", r)? {
        Some(os) => {
            let total: Vec<usize> = (0..r).map(|d| full[d].checked_sub(os[d]).ok_or_else(|| ctx.error(format!("output_shape {os:?} is larger than the full output {full:?}")))).collect::<Result<_>>()?;
            (total.iter().map(|t| t - t / 2).collect::<Vec<_>>(), total.iter().map(|t| t / 2).collect::<Vec<_>>())
        }
        None => {
            let pads = usizes(ctx, "pads", 2 * r)?.unwrap_or_else(|| vec![0; 2 * r]);
            (pads[..r].to_vec(), pads[r..].to_vec())
        }
    };
    let out_dims: Vec<usize> = (0..r)
        .map(|d| full[d].checked_sub(begin[d] + end[d]).filter(|o| *o > 0).ok_or_else(|| ctx.error(format!("pads {:?} leave no output on axis {d}", (begin[d], end[d])))))
        .collect::<Result<_>>()?;
    let bias = bias(ctx, m)?;
    let mut out_shape = vec![x.n, m];
    out_shape.extend(&out_dims);
    let outputs = ctx.output_values(&out_shape)?;
    let (vol, kvol, ovol) = (x.volume(), kernel.iter().product::<usize>(), out_dims.iter().product::<usize>());
    ctx.check_terms(x.n.checked_mul(ctx.width / x.n.max(1)).and_then(|v| v.checked_mul(cols)).and_then(|v| v.checked_mul(kvol)))?;
    let (ins, taps) = (positions(&x.spatial), positions(&kernel));
    let flat = |idx: &[usize], dims: &[usize]| idx.iter().zip(dims).fold(0, |a, (i, d)| a * d + i);
    let mut rows: Vec<Vec<(usize, f32)>> = vec![Vec::new(); outputs];
    let per_group_in = x.c / group;
    for s in 0..x.n {
        for ci in 0..x.c {
            let g = ci / per_group_in;
            for (fi, i) in ins.iter().enumerate() {
                let src = (s * x.c + ci) * vol + fi;
                for (fk, k) in taps.iter().enumerate() {
                    let o: Option<Vec<usize>> = (0..r).map(|d| (i[d] * strides[d] + k[d] * dilations[d]).checked_sub(begin[d]).filter(|o| *o < out_dims[d])).collect();
                    let Some(o) = o else { continue };
                    let fo = flat(&o, &out_dims);
                    for col in 0..cols {
                        let weight = w.data[(ci * cols + col) * kvol + fk];
                        if weight != 0.0 {
                            rows[(s * m + g * cols + col) * ovol + fo].push((src, weight));
                        }
                    }
                }
            }
        }
    }
    let biases = (0..outputs).map(|j| bias[(j / ovol) % m]).collect();
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, rows, bias: biases, out_shape })))
}

/// Per (sample, channel, output position) of a pooling: the window's in-bounds flat input
/// indices and its padded size.
type PoolWindows = Vec<(Vec<usize>, usize)>;

/// The pooling windows and the output shape.
fn pool_windows(ctx: &NodeCtx<'_>, x: &Input, win: &Window) -> Result<(PoolWindows, Vec<usize>)> {
    let out_dims = win.out_dims(ctx, &x.spatial)?;
    let mut out_shape = vec![x.n, x.c];
    out_shape.extend(&out_dims);
    let outputs = ctx.output_values(&out_shape)?;
    win.check_taps(ctx, outputs, 1)?;
    let vol = x.volume();
    let windows: Vec<(Vec<(usize, usize)>, usize)> = positions(&out_dims).iter().map(|o| win.taps(&x.spatial, o)).collect();
    let mut out = Vec::with_capacity(outputs);
    for plane in 0..x.n * x.c {
        for (taps, padded) in &windows {
            out.push((taps.iter().map(|(_, flat)| plane * vol + flat).collect(), *padded));
        }
    }
    Ok((out, out_shape))
}

/// `AveragePool`: 1-, 2- or 3-D, any batch, pads, strides, dilations, `ceil_mode`,
/// `count_include_pad`.
pub fn average_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let x = input(ctx)?;
    let include_pad = ctx.attr_int("count_include_pad", 0) != 0;
    let k = usizes(ctx, "kernel_shape", x.spatial.len())?.ok_or_else(|| ctx.error("attribute 'kernel_shape' is required"))?;
    let win = window(ctx, &k, &x.spatial)?;
    let (windows, out_shape) = pool_windows(ctx, &x, &win)?;
    let mut rows = Vec::with_capacity(windows.len());
    for (taps, padded) in windows {
        let count = if include_pad { padded } else { taps.len() }.max(1);
        rows.push(taps.into_iter().map(|i| (i, 1.0 / count as f32)).collect());
    }
    let n = rows.len();
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, rows, bias: vec![0.0; n], out_shape })))
}

/// `MaxPool`: 1-, 2- or 3-D, any batch, pads, strides, dilations, `ceil_mode`; padded positions
/// never win. Proven as a ReLU tournament (exact).
pub fn max_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let x = input(ctx)?;
    if ctx.node.output.iter().filter(|o| !o.is_empty()).count() > 1 {
        return Err(ctx.error("the Indices output is not supported"));
    }
    if ctx.attr_int("storage_order", 0) != 0 {
        return Err(ctx.error("attribute 'storage_order' = 1 is not supported"));
    }
    let k = usizes(ctx, "kernel_shape", x.spatial.len())?.ok_or_else(|| ctx.error("attribute 'kernel_shape' is required"))?;
    let win = window(ctx, &k, &x.spatial)?;
    let (windows, out_shape) = pool_windows(ctx, &x, &win)?;
    if windows.iter().any(|(t, _)| t.is_empty()) {
        return Err(ctx.error("a pooling window lies entirely in the padding"));
    }
    Ok(Lowered::Op(Op::Max(MaxMap { inputs: ctx.width, windows: windows.into_iter().map(|(t, _)| t).collect(), out_shape })))
}

/// `GlobalAveragePool` (`max = false`) or `GlobalMaxPool`: over every spatial position, per
/// sample and channel.
pub fn global_pool(ctx: &NodeCtx<'_>, max: bool) -> Result<Lowered> {
    let x = input(ctx)?;
    let vol = x.volume();
    let planes = x.n * x.c;
    let mut out_shape = vec![x.n, x.c];
    out_shape.extend(std::iter::repeat_n(1, x.spatial.len()));
    if max {
        let windows = (0..planes).map(|p| (0..vol).map(|j| p * vol + j).collect()).collect();
        return Ok(Lowered::Op(Op::Max(MaxMap { inputs: ctx.width, windows, out_shape })));
    }
    let rows = (0..planes).map(|p| (0..vol).map(|j| (p * vol + j, 1.0 / vol as f32)).collect()).collect();
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, rows, bias: vec![0.0; planes], out_shape })))
}

/// `GlobalAveragePool`.
pub fn global_average_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    global_pool(ctx, false)
}

/// `GlobalMaxPool`.
pub fn global_max_pool(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    global_pool(ctx, true)
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
        let e = run_conv(vec![ints_attr("dilations", &[0, 2])], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'dilations'"), "{e}");
        let e = run_conv(vec![ints_attr("kernel_shape", &[3, 3])], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'kernel_shape'"), "{e}");
        let e = run_conv(vec![], &[16]).unwrap_err().to_string();
        assert!(e.contains("[N, C, D1, …]"), "{e}");
        let e = run_conv(vec![ints_attr("pads", &[1, 1])], &[1, 1, 4, 4]).unwrap_err().to_string();
        assert!(e.contains("'pads'"), "{e}");
    }
}
