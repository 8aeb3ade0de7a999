//! Scatters and N-dimensional gathers with constant indices, and `OneHot`:
//! - `ScatterElements` / `ScatterND` (`reduction` none or add): every output is the data value at
//!   its position or the update(s) scattered onto it, so the whole op is one linear map over the
//!   activation operands (constant operands fold into its bias): no rows of its own;
//! - `GatherND` (`batch_dims` 0): a gather;
//! - `OneHot(indices, depth, values)`: of constant indices a constant; of computed indices
//!   `off + (on − off)·[i = k]` per class `k`, each a zero test (exact; a negative computed
//!   index is not wrapped and selects nothing).

use super::registry::{Lowered, Ref, Step};
use super::shape_ops::{axis, strides};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, Op};

/// Input `k`: an activation (its shape) or a constant.
enum Operand<'a> {
    Act(Vec<usize>),
    Const(&'a ConstTensor),
}

impl<'a> Operand<'a> {
    fn of(ctx: &'a NodeCtx<'_>, k: usize) -> Result<Self> {
        if ctx.is_activation(k) {
            Ok(Operand::Act(ctx.act_shape(k)?.to_vec()))
        } else {
            Ok(Operand::Const(ctx.const_input(k)?))
        }
    }
    fn shape(&self) -> &[usize] {
        match self {
            Operand::Act(s) => s,
            Operand::Const(c) => &c.shape,
        }
    }
}

/// Where an output value comes from: data position `i`, or update `j`.
#[derive(Clone, Copy)]
enum Source {
    Data(usize),
    Update(usize),
}

/// One linear map over the activation operands among `data` (input 0) and `updates` (input 2):
/// per output, the sum of its sources; constant sources go to the bias.
fn linear(ctx: &NodeCtx<'_>, data: &Operand<'_>, updates: &Operand<'_>, sources: &[Vec<Source>]) -> Result<Lowered> {
    let (mut refs, mut width) = (Vec::new(), 0);
    let mut offset = |op: &Operand<'_>, k: usize| match op {
        Operand::Act(s) => {
            refs.push(Ref::Input(k));
            width += s.iter().product::<usize>();
            Some(width - s.iter().product::<usize>())
        }
        Operand::Const(_) => None,
    };
    let (data_at, upd_at) = (offset(data, 0), offset(updates, 2));
    if refs.is_empty() {
        return Err(ctx.error("internal: no activation operand"));
    }
    let (mut rows, mut bias) = (Vec::with_capacity(sources.len()), Vec::with_capacity(sources.len()));
    for src in sources {
        let (mut row, mut b) = (Vec::new(), 0.0f32);
        for s in src {
            let (op, at, i) = match *s {
                Source::Data(i) => (data, data_at, i),
                Source::Update(j) => (updates, upd_at, j),
            };
            match (op, at) {
                (Operand::Const(c), _) => b += c.data[i],
                (_, Some(o)) => row.push((o + i, 1.0)),
                _ => return Err(ctx.error("internal: an activation without an offset")),
            }
        }
        rows.push(row);
        bias.push(b);
    }
    Ok(Lowered::Steps(vec![Step::new(Op::Linear(LinearMap { inputs: width, rows, bias, out_shape: data.shape().to_vec() }), &refs)]))
}

/// The `reduction` attribute: whether updates add (else replace).
fn adds(ctx: &NodeCtx<'_>) -> Result<bool> {
    match super::ml::string(ctx, "reduction", "none").as_str() {
        "none" => Ok(false),
        "add" => Ok(true),
        r => Err(ctx.error(format!("reduction '{r}' is not supported (none, add)"))),
    }
}

/// An index along a dimension of size `d` (negative from the end), checked.
fn index(ctx: &NodeCtx<'_>, v: f32, d: usize) -> Result<usize> {
    let i = v as i64;
    let j = if i < 0 { i + d as i64 } else { i };
    usize::try_from(j).ok().filter(|j| *j < d).ok_or_else(|| ctx.error(format!("index {i} is out of range for a dimension of size {d}")))
}

/// Applies one scattered update to the sources.
fn scatter_one(sources: &mut [Vec<Source>], at: usize, j: usize, add: bool) {
    if add {
        sources[at].push(Source::Update(j));
    } else {
        sources[at] = vec![Source::Update(j)];
    }
}

/// `ScatterElements(data, indices, updates)` (`axis`, `reduction`) with constant indices.
pub fn scatter_elements(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (data, updates) = (Operand::of(ctx, 0)?, Operand::of(ctx, 2)?);
    let ind = ctx.const_input(1)?;
    let ds = data.shape().to_vec();
    let ax = axis(ctx, ctx.attr_int("axis", 0), ds.len())?;
    if ind.shape != updates.shape() || ind.shape.len() != ds.len() || ind.shape.iter().zip(&ds).enumerate().any(|(a, (i, d))| a != ax && i > d) {
        return Err(ctx.error(format!("indices {:?} and updates {:?} do not fit data {ds:?}", ind.shape, updates.shape())));
    }
    let add = adds(ctx)?;
    let n: usize = ds.iter().product();
    ctx.output_values(&ds)?;
    let mut sources: Vec<Vec<Source>> = (0..n).map(|i| vec![Source::Data(i)]).collect();
    let (dst, ist) = (strides(&ds), strides(&ind.shape));
    for (j, v) in ind.data.iter().enumerate() {
        let k = index(ctx, *v, ds[ax])?;
        let at = ist.iter().zip(&ind.shape).enumerate().map(|(a, (s, d))| if a == ax { k } else { j / s % d } * dst[a]).sum();
        scatter_one(&mut sources, at, j, add);
    }
    linear(ctx, &data, &updates, &sources)
}

/// `ScatterND(data, indices, updates)` (`reduction`) with constant indices.
pub fn scatter_nd(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (data, updates) = (Operand::of(ctx, 0)?, Operand::of(ctx, 2)?);
    let ind = ctx.const_input(1)?;
    let ds = data.shape().to_vec();
    let k = *ind.shape.last().ok_or_else(|| ctx.error("indices is a scalar"))?;
    let tuples: usize = ind.shape[..ind.shape.len() - 1].iter().product();
    let slice: usize = ds.get(k..).map_or(0, |s| s.iter().product());
    let mut want = ind.shape[..ind.shape.len() - 1].to_vec();
    want.extend(ds.get(k..).unwrap_or(&[]));
    if k == 0 || k > ds.len() || updates.shape() != want.as_slice() {
        return Err(ctx.error(format!("indices {:?} and updates {:?} do not fit data {ds:?} (updates must be {want:?})", ind.shape, updates.shape())));
    }
    let add = adds(ctx)?;
    let n: usize = ds.iter().product();
    ctx.output_values(&ds)?;
    let mut sources: Vec<Vec<Source>> = (0..n).map(|i| vec![Source::Data(i)]).collect();
    let dst = strides(&ds);
    for t in 0..tuples {
        let mut base = 0;
        for (a, v) in ind.data[t * k..(t + 1) * k].iter().enumerate() {
            base += index(ctx, *v, ds[a])? * dst[a];
        }
        for e in 0..slice {
            scatter_one(&mut sources, base + e, t * slice + e, add);
        }
    }
    linear(ctx, &data, &updates, &sources)
}

/// `GatherND(data, indices)` with constant indices (`batch_dims` 0).
pub fn gather_nd(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input data must be an activation"));
    }
    if ctx.attr_int("batch_dims", 0) != 0 {
        return Err(ctx.error("batch_dims ≠ 0 is not supported"));
    }
    let ind = ctx.const_input(1)?;
    let ds = ctx.shape.to_vec();
    let k = *ind.shape.last().ok_or_else(|| ctx.error("indices is a scalar"))?;
    if k == 0 || k > ds.len() {
        return Err(ctx.error(format!("index tuples of {k} for data of rank {}", ds.len())));
    }
    let tuples: usize = ind.shape[..ind.shape.len() - 1].iter().product();
    let slice: usize = ds[k..].iter().product();
    let mut out = ind.shape[..ind.shape.len() - 1].to_vec();
    out.extend(&ds[k..]);
    ctx.output_values(&out)?;
    let dst = strides(&ds);
    let mut src = Vec::with_capacity(tuples * slice);
    for t in 0..tuples {
        let mut base = 0;
        for (a, v) in ind.data[t * k..(t + 1) * k].iter().enumerate() {
            base += index(ctx, *v, ds[a])? * dst[a];
        }
        src.extend(base..base + slice);
    }
    Ok(Lowered::Op(Op::Affine(AffineMap::gather(ctx.width, src), out)))
}

/// `OneHot(indices, depth, values)` (`axis`).
pub fn one_hot(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let depth = match ctx.const_input(1)?.data.as_slice() {
        [d] if *d >= 1.0 && d.fract() == 0.0 => *d as usize,
        d => return Err(ctx.error(format!("depth {d:?} must be one positive integer"))),
    };
    let (off, on) = match ctx.const_input(2)?.data.as_slice() {
        [a, b] => (*a, *b),
        v => return Err(ctx.error(format!("values {v:?} must be [off, on]"))),
    };
    let ind = Operand::of(ctx, 0)?;
    let is = ind.shape().to_vec();
    let ax = axis(ctx, ctx.attr_int("axis", -1), is.len() + 1)?;
    let mut out = is[..ax].to_vec();
    out.push(depth);
    out.extend(&is[ax..]);
    let n = ctx.output_values(&out)?;
    let (pre, post): (usize, usize) = (is[..ax].iter().product(), is[ax..].iter().product());
    // Output (p, k, q) is class k of index (p, q).
    let at = |o: usize| ((o / (depth * post)) * post + o % post, o / post % depth);
    match ind {
        Operand::Const(c) => {
            let data = (0..n)
                .map(|o| {
                    let (i, k) = at(o);
                    let v = c.data[i] as i64;
                    let v = if v < 0 { v + depth as i64 } else { v };
                    if v == k as i64 { on } else { off }
                })
                .collect();
            Ok(Lowered::Const(ConstTensor { shape: out, data, integer: false }))
        }
        Operand::Act(_) => {
            let m = pre * post;
            ctx.check_terms(n.checked_mul(2))?;
            let rows = (0..n).map(|o| vec![(at(o).0, 1.0)]).collect();
            let bias = (0..n).map(|o| -(at(o).1 as f32)).collect();
            Ok(Lowered::Steps(vec![
                Step::new(Op::Linear(LinearMap { inputs: m, rows, bias, out_shape: vec![n] }), &[Ref::Input(0)]),
                Step::new(Op::Act(Activation::IsZero), &[Ref::Step(0)]),
                Step::new(Op::Affine(AffineMap::elementwise(vec![on - off; n], vec![off; n]), out), &[Ref::Step(1)]),
            ]))
        }
    }
}
