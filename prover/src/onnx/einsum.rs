//! `Einsum` of one or two operands (no ellipsis), onto the IR's linear maps and products: with
//! one activation operand (and any constant one) every output is a weighted sum of its values, a
//! linear map; with two activations, a sum of products. Repeated letters take diagonals, letters
//! absent from the output are summed, and an implicit output (no `->`) lists the letters used
//! once, in alphabetical order, as ONNX defines it.

use super::ml::string;
use super::registry::{Lowered, Ref, Step};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{LinearMap, Op, ProductMap};

/// A parsed equation: each operand's letters and the output's.
struct Equation {
    operands: Vec<Vec<char>>,
    output: Vec<char>,
}

fn parse(ctx: &NodeCtx<'_>, eq: &str) -> Result<Equation> {
    let eq: String = eq.chars().filter(|c| !c.is_whitespace()).collect();
    if eq.contains("...") {
        return Err(ctx.error(format!("equation '{eq}': an ellipsis is not supported")));
    }
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let letters = |s: &str| -> Result<Vec<char>> {
        match s.chars().find(|c| !c.is_ascii_alphabetic()) {
            Some(c) => Err(ctx.error(format!("equation '{eq}': '{c}' is not a letter"))),
            None => Ok(s.chars().collect()),
        }
    };
    let operands = lhs.split(',').map(letters).collect::<Result<Vec<_>>>()?;
    let output = match rhs {
        Some(r) => letters(r)?,
        None => {
            let mut once: Vec<char> = operands.iter().flatten().copied().filter(|c| operands.iter().flatten().filter(|d| *d == c).count() == 1).collect();
            once.sort_unstable();
            once
        }
    };
    for (i, c) in output.iter().enumerate() {
        if output[..i].contains(c) || !operands.iter().flatten().any(|d| d == c) {
            return Err(ctx.error(format!("equation '{eq}': output letter '{c}' is repeated or not in any operand")));
        }
    }
    Ok(Equation { operands, output })
}

/// One operand: its shape, and its values when constant.
struct Operand<'a> {
    shape: Vec<usize>,
    constant: Option<&'a ConstTensor>,
}

/// `Einsum` (see the module docs).
pub fn einsum(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let eq = parse(ctx, &string(ctx, "equation", ""))?;
    if eq.operands.len() != ctx.node.input.len() || !(1..=2).contains(&eq.operands.len()) {
        return Err(ctx.error(format!("{} operands for an equation of {}: one or two are supported", ctx.node.input.len(), eq.operands.len())));
    }
    let mut ops = Vec::new();
    for k in 0..eq.operands.len() {
        ops.push(if ctx.is_activation(k) {
            Operand { shape: ctx.act_shape(k)?.to_vec(), constant: None }
        } else {
            let c = ctx.const_input(k)?;
            Operand { shape: c.shape.clone(), constant: Some(c) }
        });
    }
    // Every letter's size, consistent across operands.
    let mut size: Vec<(char, usize)> = Vec::new();
    for (k, (letters, op)) in eq.operands.iter().zip(&ops).enumerate() {
        if letters.len() != op.shape.len() {
            return Err(ctx.error(format!("operand {k} has shape {:?} but {} letters", op.shape, letters.len())));
        }
        for (c, d) in letters.iter().zip(&op.shape) {
            match size.iter().find(|(l, _)| l == c) {
                Some((_, s)) if s != d => return Err(ctx.error(format!("letter '{c}' has sizes {s} and {d}"))),
                Some(_) => {}
                None => size.push((*c, *d)),
            }
        }
    }
    let dim = |c: char| size.iter().find(|(l, _)| *l == c).map_or(1, |(_, s)| *s);
    let out_shape: Vec<usize> = eq.output.iter().map(|c| dim(*c)).collect();
    let summed: Vec<char> = size.iter().map(|(c, _)| *c).filter(|c| !eq.output.contains(c)).collect();
    let outs = ctx.output_values(&out_shape)?;
    let per: usize = summed.iter().map(|c| dim(*c)).product();
    ctx.check_terms(outs.checked_mul(per))?;
    // The flat index of operand k at an assignment of every letter.
    let flat = |k: usize, value: &dyn Fn(char) -> usize| eq.operands[k].iter().zip(&ops[k].shape).fold(0, |i, (c, d)| i * d + value(*c));
    // The digits of a flat index over `dims` (row-major).
    let digits = |mut i: usize, dims: &[usize]| {
        let mut v = vec![0; dims.len()];
        for p in (0..dims.len()).rev() {
            v[p] = i % dims[p];
            i /= dims[p];
        }
        v
    };
    let sum_dims: Vec<usize> = summed.iter().map(|c| dim(*c)).collect();
    let mut terms: Vec<Vec<(usize, usize)>> = Vec::with_capacity(outs);
    for o in 0..outs {
        let ov = digits(o, &out_shape);
        let row = (0..per)
            .map(|s| {
                let sv = digits(s, &sum_dims);
                let value = |c: char| match eq.output.iter().position(|l| *l == c) {
                    Some(p) => ov[p],
                    None => summed.iter().position(|l| *l == c).map_or(0, |p| sv[p]),
                };
                (flat(0, &value), if ops.len() == 2 { flat(1, &value) } else { 0 })
            })
            .collect();
        terms.push(row);
    }
    let width = |k: usize| ops[k].shape.iter().product::<usize>();
    match (ops.as_slice(), eq.operands.len()) {
        ([x], 1) if x.constant.is_none() => {
            let rows = terms.iter().map(|r| r.iter().map(|(a, _)| (*a, 1.0)).collect()).collect();
            Ok(Lowered::Op(Op::Linear(LinearMap { inputs: width(0), rows, bias: vec![0.0; outs], out_shape })))
        }
        ([a, b], 2) => match (a.constant, b.constant) {
            (None, None) => {
                let na = width(0);
                let pairs = terms.iter().map(|r| r.iter().map(|(i, j)| (*i, na + j)).collect()).collect();
                Ok(Lowered::Steps(vec![Step::new(Op::Product(ProductMap { inputs: na + width(1), pairs, out_shape }), &[Ref::Input(0), Ref::Input(1)])]))
            }
            (Some(c), None) | (None, Some(c)) => {
                let act = usize::from(a.constant.is_some());
                let rows = terms.iter().map(|r| r.iter().map(|(i, j)| if act == 1 { (*j, c.data[*i]) } else { (*i, c.data[*j]) }).filter(|(_, w)| *w != 0.0).collect()).collect();
                Ok(Lowered::Steps(vec![Step::new(Op::Linear(LinearMap { inputs: width(act), rows, bias: vec![0.0; outs], out_shape }), &[Ref::Input(act)])]))
            }
            (Some(x), Some(y)) => {
                let data = terms.iter().map(|r| r.iter().map(|(i, j)| x.data[*i] * y.data[*j]).sum()).collect();
                Ok(Lowered::Const(ConstTensor { shape: out_shape, data, integer: false }))
            }
        },
        _ => Err(ctx.error("a single operand must be an activation")),
    }
}
