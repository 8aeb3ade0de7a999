//! Ops that combine activations: Add/Sub of two activations (residual connections), Mul and
//! Div of two activations, MatMul of two activations (attention) or of a constant and an
//! activation, Pow by a constant exponent, and Concat. Sums are [`LinearMap`]s and products
//! [`ProductMap`]s over the concatenation of the inputs; lowering folds the sums for free.

use super::registry::{broadcast, broadcast_index, broadcast_shape, Lowered, Ref, Step};
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, Op, ProductMap};

/// Two activations under numpy broadcasting: the output shape and, per output, the flat index
/// each operand reads (`b`'s offset by `a`'s size, as in the concatenation).
struct Pair {
    out: Vec<usize>,
    a: Vec<usize>,
    b: Vec<usize>,
    width: usize,
}

impl Pair {
    fn new(ctx: &NodeCtx<'_>) -> Result<Self> {
        let (sa, sb) = (ctx.act_shape(0)?.to_vec(), ctx.act_shape(1)?.to_vec());
        let refuse = || ctx.error(format!("input shapes {sa:?} and {sb:?} do not broadcast"));
        let out = broadcast_shape(&sa, &sb).ok_or_else(refuse)?;
        ctx.output_values(&out)?;
        let na: usize = sa.iter().product();
        let a = broadcast_index(&sa, &out).ok_or_else(refuse)?;
        let b = broadcast_index(&sb, &out).ok_or_else(refuse)?.into_iter().map(|i| na + i).collect();
        Ok(Self { out, a, b, width: na + sb.iter().product::<usize>() })
    }
    fn products(self) -> ProductMap {
        ProductMap { inputs: self.width, pairs: self.a.iter().zip(&self.b).map(|(a, b)| vec![(*a, *b)]).collect(), out_shape: self.out }
    }
}

/// `a + sign · b` for two activations.
pub fn add_sub(ctx: &NodeCtx<'_>, sign: f32) -> Result<Lowered> {
    let p = Pair::new(ctx)?;
    let rows: Vec<Vec<(usize, f32)>> = p.a.iter().zip(&p.b).map(|(a, b)| vec![(*a, 1.0), (*b, sign)]).collect();
    let map = LinearMap { inputs: p.width, bias: vec![0.0; rows.len()], rows, out_shape: p.out };
    Ok(Lowered::Steps(vec![Step::new(Op::Linear(map), &[Ref::Input(0), Ref::Input(1)])]))
}

/// `a ⊙ b` for two activations.
pub fn mul(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let map = Pair::new(ctx)?.products();
    Ok(Lowered::Steps(vec![Step::new(Op::Product(map), &[Ref::Input(0), Ref::Input(1)])]))
}

/// `a ÷ b` for two activations: `a · (1/b)`, the reciprocal by table lookup.
pub fn div(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let map = Pair::new(ctx)?.products();
    Ok(Lowered::Steps(vec![
        Step::new(Op::Act(Activation::Recip), &[Ref::Input(1)]),
        Step::new(Op::Product(map), &[Ref::Input(0), Ref::Step(0)]),
    ]))
}

/// The batched-matrix view of a MatMul: batch shape, `m`, `k`, `n`, and per batch index the flat
/// offset of each operand's matrix.
struct MatMulDims {
    out_shape: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
    a_off: Vec<usize>,
    b_off: Vec<usize>,
}

fn matmul_dims(ctx: &NodeCtx<'_>, sa: &[usize], sb: &[usize]) -> Result<MatMulDims> {
    if sa.len() < 2 || sb.len() < 2 {
        return Err(ctx.error(format!("MatMul of shapes {sa:?} and {sb:?}: both operands must have rank ≥ 2")));
    }
    let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    if k != k2 {
        return Err(ctx.error(format!("MatMul of shapes {sa:?} and {sb:?}: inner dimensions {k} and {k2} differ")));
    }
    let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let refuse = || ctx.error(format!("MatMul batch dimensions {ba:?} and {bb:?} do not broadcast"));
    let batch = broadcast_shape(ba, bb).ok_or_else(refuse)?;
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    // Checked before the offsets are built: the outputs, and `k` terms per output.
    let outputs = ctx.output_values(&out_shape)?;
    ctx.check_terms(outputs.checked_mul(k))?;
    let a_off = broadcast_index(ba, &batch).ok_or_else(refuse)?.into_iter().map(|i| i * m * k).collect();
    let b_off = broadcast_index(bb, &batch).ok_or_else(refuse)?.into_iter().map(|i| i * k * n).collect();
    Ok(MatMulDims { out_shape, m, k, n, a_off, b_off })
}

/// MatMul of two activations: per output, `k` products.
pub fn matmul(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (sa, sb) = (ctx.act_shape(0)?.to_vec(), ctx.act_shape(1)?.to_vec());
    let d = matmul_dims(ctx, &sa, &sb)?;
    let na: usize = sa.iter().product();
    let nb: usize = sb.iter().product();
    let mut pairs = Vec::with_capacity(d.a_off.len() * d.m * d.n);
    for (ao, bo) in d.a_off.iter().zip(&d.b_off) {
        for i in 0..d.m {
            for j in 0..d.n {
                pairs.push((0..d.k).map(|t| (ao + i * d.k + t, na + bo + t * d.n + j)).collect());
            }
        }
    }
    let map = ProductMap { inputs: na + nb, pairs, out_shape: d.out_shape };
    Ok(Lowered::Steps(vec![Step::new(Op::Product(map), &[Ref::Input(0), Ref::Input(1)])]))
}

/// `Gemm` of two activations (torch's `mm`/`addmm` of two graph inputs): one product per term,
/// `Y[i, j] = alpha · Σ_t A'[i, t] · B'[t, j] + beta · C[i, j]`: the scaling and a constant C an
/// exact affine step after the products, an activation C a linear step over both.
pub fn gemm_products(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (sa, sb) = (ctx.act_shape(0)?.to_vec(), ctx.act_shape(1)?.to_vec());
    let (&[ra, ca], &[rb, cb]) = (&sa[..], &sb[..]) else {
        return Err(ctx.error(format!("inputs A and B must be matrices, have shapes {sa:?} and {sb:?}")));
    };
    let (trans_a, trans_b) = (ctx.attr_int("transA", 0) != 0, ctx.attr_int("transB", 0) != 0);
    let (m, k) = if trans_a { (ca, ra) } else { (ra, ca) };
    let (kb, n) = if trans_b { (cb, rb) } else { (rb, cb) };
    if k != kb {
        return Err(ctx.error(format!("input A {sa:?} (transA {}) and B {sb:?} (transB {}) do not multiply", u8::from(trans_a), u8::from(trans_b))));
    }
    let outputs = ctx.output_values(&[m, n])?;
    ctx.check_terms(outputs.checked_mul(k))?;
    let a_at = |i: usize, t: usize| if trans_a { t * m + i } else { i * k + t };
    let b_at = |t: usize, j: usize| if trans_b { j * k + t } else { t * n + j };
    let na = ra * ca;
    let pairs = (0..m).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| (0..k).map(|t| (a_at(i, t), na + b_at(t, j))).collect()).collect();
    let mut steps = vec![Step::new(Op::Product(ProductMap { inputs: na + rb * cb, pairs, out_shape: vec![m, n] }), &[Ref::Input(0), Ref::Input(1)])];
    let (alpha, beta) = (ctx.attr_float("alpha", 1.0), ctx.attr_float("beta", 1.0));
    if ctx.is_activation(2) {
        // torch's addmm of three tensors: alpha·P + beta·C in one linear map over P and C.
        steps.push(plus_activation_c(ctx, outputs, [m, n], beta, Ref::Step(0), |o| vec![(o, alpha)])?);
        return Ok(Lowered::Steps(steps));
    }
    let c = match ctx.node.input.get(2).filter(|x| !x.is_empty()) {
        Some(_) => broadcast(ctx, ctx.const_input(2)?, &[m, n], "input C")?.into_iter().map(|v| v * beta).collect(),
        None => vec![0.0; outputs],
    };
    if alpha != 1.0 || c.iter().any(|v| *v != 0.0) {
        steps.push(Step::new(Op::Affine(AffineMap::elementwise(vec![alpha; outputs], c), vec![m, n]), &[Ref::Step(0)]));
    }
    Ok(Lowered::Steps(steps))
}

/// Gemm's `X + beta·C` for an activation C (input 2) broadcast to `out`: one linear map over
/// `first` (`first_len` values; `row(o)` its terms of output `o`) and C, each row's C term added.
pub(super) fn plus_activation_c(
    ctx: &NodeCtx<'_>,
    first_len: usize,
    out: [usize; 2],
    beta: f32,
    first: Ref,
    row: impl Fn(usize) -> Vec<(usize, f32)>,
) -> Result<Step> {
    let sc = ctx.act_shape(2)?.to_vec();
    let src = broadcast_index(&sc, &out).ok_or_else(|| ctx.error(format!("input C of shape {sc:?} does not broadcast to {out:?}")))?;
    let outputs = out[0] * out[1];
    let rows = (0..outputs)
        .map(|o| {
            let mut r = row(o);
            r.push((first_len + src[o], beta));
            r
        })
        .collect();
    let map = LinearMap { inputs: first_len + sc.iter().product::<usize>(), rows, bias: vec![0.0; outputs], out_shape: out.to_vec() };
    Ok(Step::new(Op::Linear(map), &[first, Ref::Input(2)]))
}

/// MatMul of a constant (rank ≥ 2) and an activation: a linear map.
pub fn matmul_const_left(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let c = ctx.const_input(0)?;
    let sb = ctx.act_shape(1)?.to_vec();
    let d = matmul_dims(ctx, &c.shape, &sb)?;
    let nb: usize = sb.iter().product();
    let mut rows = Vec::with_capacity(d.a_off.len() * d.m * d.n);
    for (ao, bo) in d.a_off.iter().zip(&d.b_off) {
        for i in 0..d.m {
            for j in 0..d.n {
                rows.push((0..d.k).map(|t| (bo + t * d.n + j, c.data[ao + i * d.k + t])).collect());
            }
        }
    }
    let map = LinearMap { inputs: nb, bias: vec![0.0; rows.len()], rows, out_shape: d.out_shape };
    Ok(Lowered::Steps(vec![Step::new(Op::Linear(map), &[Ref::Input(1)])]))
}

/// `Pow(x, p)` for a constant scalar exponent: 0 (the constant 1), 1, an integer 2..=8 (a chain
/// of products), 0.5, −1, −0.5 (tables); `Pow(b, x)` for a constant base `b > 0`: `exp(x·ln b)`
/// (an exact scaling, then the exp table).
pub fn pow(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        if !ctx.is_activation(1) {
            return Err(ctx.error("neither input is an activation"));
        }
        let b = match ctx.const_input(0)?.data.as_slice() {
            [b] if *b > 0.0 && b.is_finite() => *b,
            [b] => return Err(ctx.error(format!("base {b} must be positive and finite (b^x = exp(x·ln b))"))),
            _ => return Err(ctx.error("a constant base X must be a scalar")),
        };
        let n = ctx.width;
        return Ok(Lowered::Ops(vec![Op::Affine(AffineMap::mul(vec![b.ln(); n]), ctx.shape.to_vec()), Op::Act(Activation::Exp)]));
    }
    let e = match ctx.const_input(1)?.data.as_slice() {
        [e] => *e,
        _ => return Err(ctx.error("exponent Y must be a scalar constant")),
    };
    let n = ctx.width;
    let act = |a| Ok(Lowered::Op(Op::Act(a)));
    let product = || ProductMap { inputs: 2 * n, pairs: (0..n).map(|i| vec![(i, n + i)]).collect(), out_shape: ctx.shape.to_vec() };
    match e {
        0.0 => Ok(Lowered::Op(Op::Affine(AffineMap::elementwise(vec![0.0; n], vec![1.0; n]), ctx.shape.to_vec()))),
        1.0 => Ok(Lowered::Skip),
        e if e.fract() == 0.0 && (2.0..=8.0).contains(&e) => {
            // x^k = x^(k−1) · x, for k = 2..=e.
            let mut steps = vec![Step::new(Op::Product(product()), &[Ref::Primary, Ref::Primary])];
            for _ in 3..=(e as usize) {
                let last = steps.len() - 1;
                steps.push(Step::new(Op::Product(product()), &[Ref::Step(last), Ref::Primary]));
            }
            Ok(Lowered::Steps(steps))
        }
        0.5 => act(Activation::Sqrt),
        -1.0 => act(Activation::Recip),
        -0.5 => act(Activation::Rsqrt),
        e => Err(ctx.error(format!("exponent {e} is not supported (0, 1, an integer 2..=8, 0.5, -1, -0.5)"))),
    }
}

/// `Concat(axis)` of activations and constants: a gather (constants as shifts), no rows.
pub fn concat(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let a = ctx.attr("axis").map(|a| a.i).ok_or_else(|| ctx.error("attribute 'axis' is required"))?;
    // Per input: its shape, and its offset in the concatenation of activations or its data.
    enum Source<'c> {
        Activation(usize),
        Constant(&'c [f32]),
    }
    let mut parts: Vec<(Vec<usize>, Source<'_>)> = Vec::new();
    let mut refs = Vec::new();
    let mut width = 0;
    for (i, name) in ctx.node.input.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if ctx.is_activation(i) {
            let s = ctx.act_shape(i)?.to_vec();
            parts.push((s.clone(), Source::Activation(width)));
            width += s.iter().product::<usize>();
            refs.push(Ref::Input(i));
        } else {
            let c = ctx.const_input(i)?;
            parts.push((c.shape.clone(), Source::Constant(&c.data)));
        }
    }
    let rank = parts.first().map_or(0, |p| p.0.len());
    let axis = super::shape_ops::axis(ctx, a, rank)?;
    if parts.iter().any(|p| p.0.len() != rank || p.0.iter().enumerate().any(|(d, v)| d != axis && *v != parts[0].0[d])) {
        return Err(ctx.error(format!("input shapes {:?} differ outside axis {axis}", parts.iter().map(|p| &p.0).collect::<Vec<_>>())));
    }
    let mut out_shape = parts[0].0.clone();
    out_shape[axis] = parts.iter().try_fold(0usize, |acc, p| acc.checked_add(p.0[axis])).unwrap_or(usize::MAX);
    ctx.output_values(&out_shape)?;
    let outer: usize = out_shape[..axis].iter().product();
    let inner: usize = out_shape[axis + 1..].iter().product();
    let mut map = AffineMap { inputs: width, src: Vec::new(), scale: Vec::new(), shift: Vec::new() };
    for o in 0..outer {
        for (shape, source) in &parts {
            let block = shape[axis] * inner;
            for t in 0..block {
                let flat = o * block + t;
                let (src, scale, shift) = match source {
                    Source::Activation(off) => (off + flat, 1.0, 0.0),
                    Source::Constant(d) => (0, 0.0, d[flat]),
                };
                map.src.push(src);
                map.scale.push(scale);
                map.shift.push(shift);
            }
        }
    }
    if refs.is_empty() {
        return Err(ctx.error("no input is an activation"));
    }
    Ok(Lowered::Steps(vec![Step::new(Op::Affine(map, out_shape), &refs)]))
}

/// Broadcast per-element scale and shift constants (LayerNormalization's `Scale` and `B`).
pub fn scale_shift(ctx: &NodeCtx<'_>, scale: usize, shift: usize, shape: &[usize]) -> Result<AffineMap> {
    let n: usize = shape.iter().product();
    let s = broadcast(ctx, ctx.const_input(scale)?, shape, "Scale")?;
    let t = if ctx.node.input.get(shift).is_some_and(|x| !x.is_empty()) { broadcast(ctx, ctx.const_input(shift)?, shape, "B")? } else { vec![0.0; n] };
    Ok(AffineMap::elementwise(s, t))
}
