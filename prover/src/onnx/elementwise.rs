//! Element-wise ops over several operands, each an activation or a constant, under numpy
//! broadcasting: Max/Min, comparisons, logic, Where, and the piecewise-linear activations
//! (Abs, LeakyRelu, PRelu, Elu, Selu, Celu, HardSigmoid, HardSwish, ThresholdedRelu, Shrink).
//!
//! Everything is built from the IR's constrained parts: linear maps, ReLUs (the sign bit of the
//! range decomposition), products, and function tables. A comparison is a step
//! ([`Activation::Positive`], [`Activation::NonNegative`]: proven as [`Activation::Step`], the
//! sign bit, over any range) or a zero test ([`Activation::IsZero`], a table) applied to the
//! difference of its operands, so its 0/1 result is constrained, never a free witness; logic on
//! 0/1 values is arithmetic (`a·b`, `a + b − a·b`, …), and `Where(c, x, y) = y + c·(x − y)`.
//! With only constant operands the node is folded to a constant.

use super::registry::{broadcast, broadcast_index, broadcast_shape, Lowered, Ref, Step};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, Op, ProductMap};

/// One operand of an element-wise op.
enum Operand<'c> {
    /// An activation input: its offset in the concatenation of the activation operands.
    Act(usize),
    /// A constant.
    Const(&'c ConstTensor),
}

/// The operands of a node under numpy broadcasting.
struct Operands<'c> {
    /// The broadcast output shape.
    out: Vec<usize>,
    /// Per operand, what it is, and per output the flat index it reads.
    ops: Vec<(Operand<'c>, Vec<usize>)>,
    /// The activation operands, in concatenation order.
    refs: Vec<Ref>,
    /// Values in the concatenation of the activation operands.
    width: usize,
}

/// A term of a linear combination: an operand, or an extra tensor of the output's shape
/// appended (in order) after the activation operands.
#[derive(Clone, Copy)]
enum Term {
    Operand(usize),
    Extra(usize),
}

impl<'c> Operands<'c> {
    /// The node's inputs at `positions` (an empty or missing optional input is an error).
    fn new(ctx: &'c NodeCtx<'_>, positions: &[usize]) -> Result<Self> {
        let mut shapes = Vec::with_capacity(positions.len());
        let mut kinds = Vec::with_capacity(positions.len());
        let (mut refs, mut width) = (Vec::new(), 0usize);
        for &i in positions {
            if ctx.is_activation(i) {
                let s = ctx.act_shape(i)?.to_vec();
                kinds.push(Operand::Act(width));
                width += s.iter().product::<usize>();
                refs.push(Ref::Input(i));
                shapes.push(s);
            } else {
                let c = ctx.const_input(i)?;
                kinds.push(Operand::Const(c));
                shapes.push(c.shape.clone());
            }
        }
        let refuse = || ctx.error(format!("input shapes {shapes:?} do not broadcast"));
        let mut out: Vec<usize> = Vec::new();
        for s in &shapes {
            out = broadcast_shape(&out, s).ok_or_else(refuse)?;
        }
        ctx.output_values(&out)?;
        let mut ops = Vec::with_capacity(kinds.len());
        for (k, s) in kinds.into_iter().zip(&shapes) {
            let idx = broadcast_index(s, &out).ok_or_else(refuse)?;
            ops.push((k, idx));
        }
        Ok(Self { out, ops, refs, width })
    }
    fn len(&self) -> usize {
        self.out.iter().product()
    }
    fn is_const(&self, k: usize) -> bool {
        matches!(self.ops[k].0, Operand::Const(_))
    }
    fn all_const(&self) -> bool {
        self.refs.is_empty()
    }
    /// Per output, `f` of the operands' values (all operands constant).
    fn fold(&self, f: impl Fn(&[f32]) -> f32) -> Lowered {
        let data = (0..self.len())
            .map(|j| {
                let vals: Vec<f32> = self.ops.iter().map(|(o, idx)| if let Operand::Const(c) = o { c.data[idx[j]] } else { 0.0 }).collect();
                f(&vals)
            })
            .collect();
        Lowered::Const(ConstTensor { shape: self.out.clone(), data, integer: false })
    }
    /// The flat index of operand `k`'s value for output `j` in the concatenation (activations).
    fn at(&self, k: usize, j: usize) -> Option<usize> {
        match &self.ops[k].0 {
            Operand::Act(off) => Some(off + self.ops[k].1[j]),
            Operand::Const(_) => None,
        }
    }
    /// A linear map over the activation operands and `extras` extra tensors of the output's shape:
    /// per output `j`, `Σ coeff · term + bias`, from `f(j)`. A constant operand's term folds into
    /// the bias.
    fn linear(&self, extras: usize, f: impl Fn(usize) -> (Vec<(Term, f32)>, f32)) -> Op {
        let n = self.len();
        let (mut rows, mut bias) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for j in 0..n {
            let (terms, mut b) = f(j);
            let mut row = Vec::with_capacity(terms.len());
            for (t, c) in terms {
                match t {
                    Term::Operand(k) => match &self.ops[k].0 {
                        Operand::Act(off) => row.push((off + self.ops[k].1[j], c)),
                        Operand::Const(t) => b += c * t.data[self.ops[k].1[j]],
                    },
                    Term::Extra(e) => row.push((self.width + e * n + j, c)),
                }
            }
            rows.push(row);
            bias.push(b);
        }
        debug_assert!(extras > 0 || rows.iter().flatten().all(|(i, _)| *i < self.width));
        Op::Linear(LinearMap { inputs: self.width + extras * n, rows, bias, out_shape: self.out.clone() })
    }
    /// The step inputs: the activation operands then the given earlier steps.
    fn inputs(&self, extras: &[usize]) -> Vec<Ref> {
        let mut r = self.refs.clone();
        r.extend(extras.iter().map(|s| Ref::Step(*s)));
        r
    }
}

/// `Max` / `Min` of any number of operands: pairwise, `max(a, b) = a + relu(b − a)` and
/// `min(a, b) = a − relu(a − b)`; constants fold.
pub fn max_min(ctx: &NodeCtx<'_>, max: bool) -> Result<Lowered> {
    let positions: Vec<usize> = (0..ctx.node.input.len()).filter(|i| !ctx.node.input[*i].is_empty()).collect();
    let o = Operands::new(ctx, &positions)?;
    let pick = |a: f32, b: f32| if max { a.max(b) } else { a.min(b) };
    if o.all_const() {
        return Ok(o.fold(|v| v.iter().copied().reduce(pick).unwrap_or(0.0)));
    }
    let sign = if max { 1.0 } else { -1.0 };
    let mut steps: Vec<Step> = Vec::new();
    // acc: the running result, as an operand (first) or the latest step (a tensor of the output shape).
    let mut acc: Option<usize> = None;
    for k in 1..positions.len() {
        let prev = |extra_of_acc: usize| match acc {
            Some(_) => Term::Extra(extra_of_acc),
            None => Term::Operand(0),
        };
        let extras: Vec<usize> = acc.into_iter().collect();
        // d = ±(b − a) → r = relu(d) → acc = a ± r.
        let d = o.linear(extras.len(), |_| (vec![(Term::Operand(k), sign), (prev(0), -sign)], 0.0));
        steps.push(Step::new(d, &o.inputs(&extras)));
        steps.push(Step::new(Op::Act(Activation::Relu), &[Ref::Step(steps.len() - 1)]));
        let r = steps.len() - 1;
        let mut with_r = extras.clone();
        with_r.push(r);
        let e_r = with_r.len() - 1;
        let next = o.linear(with_r.len(), |_| (vec![(prev(0), 1.0), (Term::Extra(e_r), sign)], 0.0));
        steps.push(Step::new(next, &o.inputs(&with_r)));
        acc = Some(steps.len() - 1);
    }
    if acc.is_none() {
        // One operand: itself.
        steps.push(Step::new(o.linear(0, |_| (vec![(Term::Operand(0), 1.0)], 0.0)), &o.inputs(&[])));
    }
    Ok(Lowered::Steps(steps))
}

/// A comparison of inputs 0 and 1: `table(sign · (a − b))`.
fn compare(ctx: &NodeCtx<'_>, sign: f32, table: Activation, fold: fn(f32, f32) -> bool) -> Result<Lowered> {
    let o = Operands::new(ctx, &[0, 1])?;
    if o.all_const() {
        return Ok(o.fold(|v| f32::from(u8::from(fold(v[0], v[1])))));
    }
    let d = o.linear(0, |_| (vec![(Term::Operand(0), sign), (Term::Operand(1), -sign)], 0.0));
    Ok(Lowered::Steps(vec![Step::new(d, &o.inputs(&[])), Step::new(Op::Act(table), &[Ref::Step(0)])]))
}

/// `Greater(a, b)`: `[a − b > 0]`.
pub fn greater(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    compare(ctx, 1.0, Activation::Positive, |a, b| a > b)
}
/// `Less(a, b)`: `[b − a > 0]`.
pub fn less(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    compare(ctx, -1.0, Activation::Positive, |a, b| a < b)
}
/// `GreaterOrEqual(a, b)`: `[a − b ≥ 0]`.
pub fn greater_or_equal(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    compare(ctx, 1.0, Activation::NonNegative, |a, b| a >= b)
}
/// `LessOrEqual(a, b)`: `[b − a ≥ 0]`.
pub fn less_or_equal(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    compare(ctx, -1.0, Activation::NonNegative, |a, b| a <= b)
}
/// `Equal(a, b)`: `[a − b = 0]`.
pub fn equal(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    compare(ctx, 1.0, Activation::IsZero, |a, b| a == b)
}

/// `Not(x) = 1 − x` (x is 0 or 1).
pub fn not(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let o = Operands::new(ctx, &[0])?;
    if o.all_const() {
        return Ok(o.fold(|v| f32::from(u8::from(v[0] == 0.0))));
    }
    Ok(Lowered::Steps(vec![Step::new(o.linear(0, |_| (vec![(Term::Operand(0), -1.0)], 1.0)), &o.inputs(&[]))]))
}

/// `And`, `Or`, `Xor` of 0/1 values: `a + b − k·a·b` with `(α, k)` = `(0, −1)` (and: `a·b`),
/// `(1, 1)` (or) and `(1, 2)` (xor), as `α·(a + b) − k·a·b`.
fn logic(ctx: &NodeCtx<'_>, alpha: f32, k: f32, fold: fn(bool, bool) -> bool) -> Result<Lowered> {
    let o = Operands::new(ctx, &[0, 1])?;
    if o.all_const() {
        return Ok(o.fold(|v| f32::from(u8::from(fold(v[0] != 0.0, v[1] != 0.0)))));
    }
    if o.is_const(0) || o.is_const(1) {
        // One constant c: linear in the other, a·(α + α·… ) = α·(a + c) − k·c·a.
        let (act, cst) = if o.is_const(0) { (1, 0) } else { (0, 1) };
        let Operand::Const(c) = &o.ops[cst].0 else { return Err(ctx.error("internal: constant operand")) };
        let cidx = o.ops[cst].1.clone();
        let data = c.data.clone();
        let map = o.linear(0, |j| {
            let cv = data[cidx[j]];
            (vec![(Term::Operand(act), alpha - k * cv)], alpha * cv)
        });
        return Ok(Lowered::Steps(vec![Step::new(map, &o.inputs(&[]))]));
    }
    let n = o.len();
    let pairs = (0..n).map(|j| o.at(0, j).zip(o.at(1, j)).into_iter().collect()).collect();
    let product = Op::Product(ProductMap { inputs: o.width, pairs, out_shape: o.out.clone() });
    let sum = o.linear(1, |_| (vec![(Term::Operand(0), alpha), (Term::Operand(1), alpha), (Term::Extra(0), -k)], 0.0));
    Ok(Lowered::Steps(vec![Step::new(product, &o.inputs(&[])), Step::new(sum, &o.inputs(&[0]))]))
}

/// `And(a, b) = a·b`.
pub fn and(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    logic(ctx, 0.0, -1.0, |a, b| a && b)
}
/// `Or(a, b) = a + b − a·b`.
pub fn or(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    logic(ctx, 1.0, 1.0, |a, b| a || b)
}
/// `Xor(a, b) = a + b − 2·a·b`.
pub fn xor(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    logic(ctx, 1.0, 2.0, |a, b| a != b)
}

/// `Where(c, x, y) = y + c·(x − y)` for a 0/1 condition; a constant condition selects statically.
pub fn where_(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let o = Operands::new(ctx, &[0, 1, 2])?;
    if o.all_const() {
        return Ok(o.fold(|v| if v[0] != 0.0 { v[1] } else { v[2] }));
    }
    if let Operand::Const(c) = &o.ops[0].0 {
        let (data, idx) = (c.data.clone(), o.ops[0].1.clone());
        let map = o.linear(0, |j| (vec![(Term::Operand(if data[idx[j]] != 0.0 { 1 } else { 2 }), 1.0)], 0.0));
        return Ok(Lowered::Steps(vec![Step::new(map, &o.inputs(&[]))]));
    }
    if o.is_const(1) && o.is_const(2) {
        // c·(x − y) + y with constant x, y: linear in c.
        let (Operand::Const(x), Operand::Const(y)) = (&o.ops[1].0, &o.ops[2].0) else { return Err(ctx.error("internal: constant operands")) };
        let (xd, yd, xi, yi) = (x.data.clone(), y.data.clone(), o.ops[1].1.clone(), o.ops[2].1.clone());
        let map = o.linear(0, |j| (vec![(Term::Operand(0), xd[xi[j]] - yd[yi[j]])], yd[yi[j]]));
        return Ok(Lowered::Steps(vec![Step::new(map, &o.inputs(&[]))]));
    }
    let n = o.len();
    let diff = o.linear(0, |_| (vec![(Term::Operand(1), 1.0), (Term::Operand(2), -1.0)], 0.0));
    let cond: Vec<usize> = (0..n).filter_map(|j| o.at(0, j)).collect();
    let product = Op::Product(ProductMap { inputs: o.width + n, pairs: (0..n).map(|j| vec![(cond[j], o.width + j)]).collect(), out_shape: o.out.clone() });
    let sum = o.linear(1, |_| (vec![(Term::Extra(0), 1.0), (Term::Operand(2), 1.0)], 0.0));
    Ok(Lowered::Steps(vec![
        Step::new(diff, &o.inputs(&[])),
        Step::new(product, &o.inputs(&[0])),
        Step::new(sum, &o.inputs(&[1])),
    ]))
}

/// `x ⊙ a + relu(x) ⊙ b` per element (a, b broadcast constants): LeakyRelu, PRelu, Abs.
fn relu_mix(ctx: &NodeCtx<'_>, a: &[f32], b: &[f32]) -> Result<Lowered> {
    let n = ctx.width;
    let rows = (0..n).map(|j| vec![(j, a[j]), (n + j, b[j])]).collect();
    let mix = Op::Linear(LinearMap { inputs: 2 * n, rows, bias: vec![0.0; n], out_shape: ctx.shape.to_vec() });
    Ok(Lowered::Steps(vec![Step::unary(Op::Act(Activation::Relu)), Step::new(mix, &[Ref::Primary, Ref::Step(0)])]))
}

fn activation_input(ctx: &NodeCtx<'_>) -> Result<()> {
    if ctx.is_activation(0) {
        Ok(())
    } else {
        Err(ctx.error("input X must be an activation"))
    }
}

/// `Abs(x) = 2·relu(x) − x`.
pub fn abs(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    relu_mix(ctx, &vec![-1.0; ctx.width], &vec![2.0; ctx.width])
}

/// `Neg(x) = −x` (folded).
pub fn neg(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    Ok(Lowered::Op(Op::Affine(AffineMap::mul(vec![-1.0; ctx.width]), ctx.shape.to_vec())))
}

/// `LeakyRelu(x) = α·x + (1 − α)·relu(x)`.
pub fn leaky_relu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    let alpha = ctx.attr_float("alpha", 0.01);
    relu_mix(ctx, &vec![alpha; ctx.width], &vec![1.0 - alpha; ctx.width])
}

/// `PRelu(x, slope) = slope·x + (1 − slope)·relu(x)`, the slope a constant broadcast to x.
pub fn prelu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    let slope = ctx.const_input(1)?;
    // Old exporters (torch's PReLU(num_parameters = C) before opset 7) write a slope of [C] for
    // the channel axis, where numpy broadcasting would read the last axis: aligned at axis 1.
    let channel = match (slope.shape.as_slice(), ctx.shape) {
        ([c], [_, ch, rest @ ..]) if c == ch && c > &1 && rest.last().is_some_and(|l| l != c) => {
            Some(super::ConstTensor { shape: std::iter::once(*c).chain(rest.iter().map(|_| 1)).collect(), ..slope.clone() })
        }
        _ => None,
    };
    let a = broadcast(ctx, channel.as_ref().unwrap_or(slope), ctx.shape, "slope")?;
    let b: Vec<f32> = a.iter().map(|s| 1.0 - s).collect();
    relu_mix(ctx, &a, &b)
}

/// `γ·(relu(x) + α·(exp(min(x, 0)/θ) − 1))`: Elu (γ = 1, θ = 1), Selu (θ = 1), Celu (γ = 1, θ = α).
fn exp_linear_unit(ctx: &NodeCtx<'_>, alpha: f32, gamma: f32, theta: f32) -> Result<Lowered> {
    activation_input(ctx)?;
    if theta == 0.0 || !theta.is_finite() {
        return Err(ctx.error(format!("alpha {theta} must be non-zero and finite")));
    }
    let n = ctx.width;
    let shape = ctx.shape.to_vec();
    // m = (x − relu(x))/θ = min(x, 0)/θ
    let min0 = Op::Linear(LinearMap { inputs: 2 * n, rows: (0..n).map(|j| vec![(j, 1.0 / theta), (n + j, -1.0 / theta)]).collect(), bias: vec![0.0; n], out_shape: shape.clone() });
    let out = Op::Linear(LinearMap {
        inputs: 2 * n,
        rows: (0..n).map(|j| vec![(j, gamma), (n + j, gamma * alpha)]).collect(),
        bias: vec![-gamma * alpha; n],
        out_shape: shape,
    });
    Ok(Lowered::Steps(vec![
        Step::unary(Op::Act(Activation::Relu)),
        Step::new(min0, &[Ref::Primary, Ref::Step(0)]),
        Step::new(Op::Act(Activation::Exp), &[Ref::Step(1)]),
        Step::new(out, &[Ref::Step(0), Ref::Step(2)]),
    ]))
}

/// `Elu(x) = x` for `x ≥ 0`, else `α·(eˣ − 1)`.
pub fn elu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    exp_linear_unit(ctx, ctx.attr_float("alpha", 1.0), 1.0, 1.0)
}
/// `Selu(x) = γ·x` for `x > 0`, else `γ·α·(eˣ − 1)`.
pub fn selu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    exp_linear_unit(ctx, ctx.attr_float("alpha", 1.673_263_2), ctx.attr_float("gamma", 1.050_701), 1.0)
}
/// `Celu(x) = max(0, x) + min(0, α·(e^(x/α) − 1))`.
pub fn celu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let alpha = ctx.attr_float("alpha", 1.0);
    exp_linear_unit(ctx, alpha, 1.0, alpha)
}

/// The ops of `clip(α·x + β, 0, 1)` (exact: two ReLUs).
fn hard_sigmoid_ops(n: usize, shape: &[usize], alpha: f32, beta: f32) -> Vec<Op> {
    let affine = |scale: f32, shift: f32| Op::Affine(AffineMap::elementwise(vec![scale; n], vec![shift; n]), shape.to_vec());
    vec![affine(alpha, beta), Op::Act(Activation::Relu), affine(-1.0, 1.0), Op::Act(Activation::Relu), affine(-1.0, 1.0)]
}

/// `HardSigmoid(x) = clip(α·x + β, 0, 1)`.
pub fn hard_sigmoid(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    Ok(Lowered::Ops(hard_sigmoid_ops(ctx.width, ctx.shape, ctx.attr_float("alpha", 0.2), ctx.attr_float("beta", 0.5))))
}

/// `HardSwish(x) = x · clip(x/6 + 1/2, 0, 1)`: the clip exact, then a product.
pub fn hard_swish(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    let n = ctx.width;
    let mut steps = Step::chain(hard_sigmoid_ops(n, ctx.shape, 1.0 / 6.0, 0.5));
    let last = steps.len() - 1;
    let product = Op::Product(ProductMap { inputs: 2 * n, pairs: (0..n).map(|j| vec![(j, n + j)]).collect(), out_shape: ctx.shape.to_vec() });
    steps.push(Step::new(product, &[Ref::Primary, Ref::Step(last)]));
    Ok(Lowered::Steps(steps))
}

/// `ThresholdedRelu(x) = x · [x > α]`.
pub fn thresholded_relu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    let n = ctx.width;
    let alpha = ctx.attr_float("alpha", 1.0);
    let product = Op::Product(ProductMap { inputs: 2 * n, pairs: (0..n).map(|j| vec![(j, n + j)]).collect(), out_shape: ctx.shape.to_vec() });
    Ok(Lowered::Steps(vec![
        Step::unary(Op::Affine(AffineMap::add(vec![-alpha; n]), ctx.shape.to_vec())),
        Step::new(Op::Act(Activation::Positive), &[Ref::Step(0)]),
        Step::new(product, &[Ref::Primary, Ref::Step(1)]),
    ]))
}

/// `Shrink(x) = (x − b)·[x > λ] + (x + b)·[−x > λ]`.
pub fn shrink(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    activation_input(ctx)?;
    let n = ctx.width;
    let shape = ctx.shape.to_vec();
    let (bias, lambd) = (ctx.attr_float("bias", 0.0), ctx.attr_float("lambd", 0.5));
    let affine = |scale: f32, shift: f32| Op::Affine(AffineMap::elementwise(vec![scale; n], vec![shift; n]), shape.clone());
    // Inputs of the product: [x − b, [x > λ], x + b, [−x > λ]].
    let product = Op::Product(ProductMap { inputs: 4 * n, pairs: (0..n).map(|j| vec![(j, n + j), (2 * n + j, 3 * n + j)]).collect(), out_shape: shape.clone() });
    Ok(Lowered::Steps(vec![
        Step::unary(affine(1.0, -lambd)),
        Step::new(Op::Act(Activation::Positive), &[Ref::Step(0)]),
        Step::unary(affine(-1.0, -lambd)),
        Step::new(Op::Act(Activation::Positive), &[Ref::Step(2)]),
        Step::unary(affine(1.0, -bias)),
        Step::unary(affine(1.0, bias)),
        Step::new(product, &[Ref::Step(4), Ref::Step(1), Ref::Step(5), Ref::Step(3)]),
    ]))
}

/// `Sum` / `Mean` of any number of activations and constants (numpy broadcast): linear.
pub fn sum_mean(ctx: &NodeCtx<'_>, mean: bool) -> Result<Lowered> {
    let positions: Vec<usize> = (0..ctx.node.input.len()).filter(|i| !ctx.node.input[*i].is_empty()).collect();
    let o = Operands::new(ctx, &positions)?;
    let w = if mean { 1.0 / positions.len().max(1) as f32 } else { 1.0 };
    if o.all_const() {
        return Ok(o.fold(|v| v.iter().sum::<f32>() * w));
    }
    let map = o.linear(0, |_| ((0..positions.len()).map(|k| (Term::Operand(k), w)).collect(), 0.0));
    Ok(Lowered::Steps(vec![Step::new(map, &o.inputs(&[]))]))
}
