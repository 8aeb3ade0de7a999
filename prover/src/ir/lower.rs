//! Lowering: the IR DAG → the layers the circuit proves.
//!
//! Values live on *wires*: wires `0..n` are the model inputs, and every layer appends one wire per
//! output. A layer computes, per output, `act(rescale(Σ w·wire + Σ wire·wire + bias))`, reading
//! any earlier wires (so residual connections and fan-out cost nothing).
//!
//! Lowering is lazy: every tensor element is a [`Form`], an affine expression over wires
//! (optionally with a scaled sum of products). Linear and affine ops compose forms without
//! emitting rows; a layer is emitted only where a value must exist as a cell: before an
//! activation (which the layer then applies: Gemm + ReLU is one layer), before a maximum or a
//! product whose operands are not single wires, when composing would cost more terms than
//! materialising (a cost rule, below), and at the model output. Because composition is exact
//! arithmetic on the float weights, folding BatchNormalization, Add/Sub/Mul/Div by constants,
//! Transpose, Slice, Gather and Concat costs no rows.

use super::maps::Term;
use super::{Activation, AffineMap, Graph, LinearMap, MaxMap, Op, ProductMap};
use crate::error::{ProverError, Result};
use crate::limits::{volume, MAX_MODEL_TERMS, MAX_TENSOR_VALUES, MAX_WIRES};
use std::collections::BTreeMap;

/// One proven layer over wires.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Wires that exist before this layer (every index in `rows` and `prods` is below it).
    pub inputs: usize,
    /// Per output, its linear terms `(wire, weight)`.
    pub rows: Vec<Vec<Term>>,
    /// Per output, its products `(wire, wire)` (coefficient 1).
    pub prods: Vec<Vec<(usize, usize)>>,
    /// Per output bias.
    pub bias: Vec<f32>,
    /// Activation after the rescale.
    pub activation: Activation,
}

impl Layer {
    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.rows.len()
    }
}

/// The lowered model.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerGraph {
    /// Number of input wires.
    pub inputs: usize,
    /// With several graph inputs, each one's number of wires (in graph order; they add up to
    /// `inputs`); empty for one graph input.
    pub input_sizes: Vec<usize>,
    /// Layers in order; layer `l`'s outputs are the next wires.
    pub layers: Vec<Layer>,
    /// The wires that are the model's outputs.
    pub outputs: Vec<usize>,
    /// The output's logical shape.
    pub output_shape: Vec<usize>,
}

/// How the graph is lowered, beyond what the graph says. Stored with the circuit, so that a
/// model file re-lowered later (another weight set, a commitment check) lowers the same way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LowerOptions {
    /// Clamp every `exp` input at [`EXP_CLAMP`] below (one ReLU row each, `relu(x + L) − L`):
    /// `e^x` for `x < −L` is below every fixed-point step, so the result is unchanged, and the
    /// exp table then covers `[−L, …]` instead of whatever an additive attention mask of −10⁴
    /// puts there. `compile` turns it on when the exp table would not fit otherwise.
    #[serde(default)]
    pub clamp_exp: bool,
}

impl LowerOptions {
    /// Whether these are the defaults (then not written to the artifact).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The lower bound `L` of clamped `exp` inputs: `e^−24 < 2^−34`, below the finest step of any
/// supported scale.
pub const EXP_CLAMP: f32 = 24.0;

/// `Σ terms + pscale · Σ prods + bias` over wires.
#[derive(Debug, Clone, PartialEq)]
struct Form {
    terms: Vec<Term>,
    prods: Vec<(usize, usize)>,
    pscale: f32,
    bias: f32,
}

impl Form {
    fn wire(w: usize) -> Self {
        Self { terms: vec![(w, 1.0)], prods: Vec::new(), pscale: 1.0, bias: 0.0 }
    }
    /// A single wire with coefficient 1 and nothing else.
    fn is_plain(&self) -> bool {
        self.prods.is_empty() && self.bias == 0.0 && matches!(self.terms.as_slice(), [(_, w)] if *w == 1.0)
    }
    fn size(&self) -> usize {
        self.terms.len() + self.prods.len()
    }
    /// A constant (no wire).
    fn constant(bias: f32) -> Self {
        Self { terms: Vec::new(), prods: Vec::new(), pscale: 1.0, bias }
    }
    /// The constant value, if the form reads no wire.
    fn as_constant(&self) -> Option<f32> {
        (self.terms.is_empty() && self.prods.is_empty()).then_some(self.bias)
    }
    /// An infinite bias swallows the (finite) wires: `−∞ + x = −∞`, as masks in attention write
    /// it (`Where(mask, −inf, x)`, `x + (−inf)`). A constant then, which max, exp and the
    /// products fold away; NaN stays NaN (and is refused as a coefficient).
    fn saturated(self) -> Self {
        if self.bias.is_infinite() {
            Self::constant(self.bias)
        } else {
            self
        }
    }
    /// `a · self + b`.
    fn affine(&self, a: f32, b: f32) -> Self {
        Self {
            terms: self.terms.iter().map(|(i, w)| (*i, w * a)).collect(),
            prods: self.prods.clone(),
            pscale: if self.prods.is_empty() { 1.0 } else { self.pscale * a },
            bias: self.bias * a + b,
        }
        .saturated()
    }
    /// `Σ w · form + bias` of forms without products.
    fn combine<'a>(parts: impl IntoIterator<Item = (&'a Form, f32)>, bias: f32) -> Self {
        let mut terms: BTreeMap<usize, f32> = BTreeMap::new();
        let mut b = bias;
        for (f, w) in parts {
            debug_assert!(f.prods.is_empty());
            b += w * f.bias;
            for (i, v) in &f.terms {
                *terms.entry(*i).or_insert(0.0) += w * v;
            }
        }
        Self { terms: terms.into_iter().filter(|(_, w)| *w != 0.0).collect(), prods: Vec::new(), pscale: 1.0, bias: b }.saturated()
    }
}

/// Extra cost, in terms, charged for materialising one value (its rescale row).
const MATERIALISE_COST: usize = 8;

/// Largest magnitude of a lowered weight: at the largest scale (`2^16`) it stays below `2^62`.
pub const MAX_WEIGHT: f32 = (1u64 << 46) as f32;
/// Largest magnitude of a lowered bias: at the largest bias scale (`2^32`) it stays below `2^62`.
pub const MAX_BIAS: f32 = (1u64 << 30) as f32;

struct Lowerer {
    options: LowerOptions,
    wires: usize,
    /// Terms (weights and products) of the layers emitted so far.
    terms: usize,
    layers: Vec<Layer>,
    tensors: Vec<Vec<Form>>,
    shapes: Vec<Vec<usize>>,
}

impl Graph {
    /// Lowers the graph to layers over wires (see the module docs), with the default options.
    pub fn lower(&self) -> Result<LayerGraph> {
        self.lower_with(&LowerOptions::default())
    }

    /// Lowers the graph to layers over wires with `options`.
    pub fn lower_with(&self, options: &LowerOptions) -> Result<LayerGraph> {
        let n = self.input_len();
        if volume(&self.input_shape, MAX_TENSOR_VALUES).is_none_or(|v| v == 0) {
            return Err(ProverError::BadGraph { path: self.source.clone(), message: format!("input shape {:?} has no values or more than {MAX_TENSOR_VALUES}", self.input_shape) });
        }
        let mut l = Lowerer {
            options: *options,
            wires: n,
            terms: 0,
            layers: Vec::new(),
            tensors: vec![(0..n).map(Form::wire).collect()],
            shapes: vec![self.input_shape.clone()],
        };
        for (j, node) in self.nodes.iter().enumerate() {
            let bad = |message: String| ProverError::BadNode {
                path: self.source.clone(),
                node: node.name.clone(),
                op: node.source_op.clone(),
                message,
            };
            if node.inputs.is_empty() || node.inputs.iter().any(|t| *t > j) {
                return Err(bad("reads a tensor that does not exist yet".into()));
            }
            let width: usize = node.inputs.iter().map(|t| l.tensors[*t].len()).sum();
            let first = node.inputs[0];
            let out = match &node.op {
                Op::Linear(m) => {
                    check_linear(m, width).map_err(bad)?;
                    l.linear(&node.inputs, m)
                }
                Op::Affine(a, shape) => {
                    if a.inputs != width || a.src.iter().any(|i| *i >= width) || volume(shape, MAX_TENSOR_VALUES) != Some(a.len()) || a.scale.len() != a.len() || a.shift.len() != a.len() {
                        return Err(bad(format!("the op's {} inputs / {} outputs do not fit the tensor of {width} values", a.inputs, a.len())));
                    }
                    l.linear(&node.inputs, &affine_as_linear(a, shape.clone()))
                }
                Op::Act(act) => l.activate(first, *act),
                Op::Reshape(s) => {
                    if volume(s, MAX_TENSOR_VALUES) != Some(l.tensors[first].len()) {
                        return Err(bad(format!("reshape to {s:?} but the tensor has {} values", l.tensors[first].len())));
                    }
                    l.tensors[first].clone()
                }
                Op::Max(m) => {
                    if m.inputs != width || m.windows.iter().any(|w| w.is_empty() || w.iter().any(|i| *i >= width)) {
                        return Err(bad("pooling windows do not fit the incoming tensor".into()));
                    }
                    l.max(&node.inputs, m)
                }
                Op::Product(p) => {
                    if p.inputs != width || p.pairs.iter().flatten().any(|(a, b)| *a >= width || *b >= width) {
                        return Err(bad("a product reads past the input".into()));
                    }
                    l.product(&node.inputs, p)
                }
            };
            let shape = node.op.output_shape(&l.shapes[first]);
            if volume(&shape, MAX_TENSOR_VALUES) != Some(out.len()) {
                return Err(bad(format!("output shape {shape:?} does not hold {} values", out.len())));
            }
            if l.wires > MAX_WIRES || l.terms > MAX_MODEL_TERMS {
                return Err(bad(format!(
                    "the model up to this node has {} wires and {} terms, more than the {MAX_WIRES} wires or {MAX_MODEL_TERMS} terms a model may have",
                    l.wires, l.terms
                )));
            }
            l.tensors.push(out);
            l.shapes.push(shape);
        }
        let Some(output) = l.tensors.get(self.output).cloned() else {
            return Err(ProverError::BadGraph { path: self.source.clone(), message: format!("output tensor {} does not exist", self.output) });
        };
        // The output must exist as wires; a plain form already is one.
        let mut out = output;
        // (An input passed straight through gets a layer too: outputs are layer cells.)
        let needs_row = |f: &Form| !f.is_plain() || f.terms[0].0 < n;
        while out.iter().any(needs_row) {
            let idx: Vec<usize> = (0..out.len()).filter(|i| needs_row(&out[*i])).collect();
            let made = l.emit(idx.iter().map(|i| &out[*i]), Activation::None);
            for (i, f) in idx.into_iter().zip(made) {
                out[i] = f;
            }
        }
        if l.layers.is_empty() {
            return Err(ProverError::BadGraph { path: self.source.clone(), message: "the model has no layer to prove".into() });
        }
        if l.wires > MAX_WIRES {
            return Err(ProverError::BadGraph { path: self.source.clone(), message: format!("the model has {} wires, more than {MAX_WIRES}", l.wires) });
        }
        check_coefficients(&self.source, &l.layers)?;
        let sizes: Vec<usize> = self.input_shapes.iter().map(|s| volume(s, MAX_TENSOR_VALUES).unwrap_or(0)).collect();
        Ok(LayerGraph {
            inputs: n,
            input_sizes: if sizes.len() > 1 && sizes.iter().sum::<usize>() == n { sizes } else { Vec::new() },
            layers: l.layers,
            outputs: out.iter().map(|f| f.terms[0].0).collect(),
            output_shape: l.shapes[self.output].clone(),
        })
    }
}

/// Every weight and bias is finite and within [`MAX_WEIGHT`] / [`MAX_BIAS`] (a division by a
/// subnormal constant, an overflowing product of folded constants, a NaN from an attribute), so
/// that quantising it at any supported scale is exact integer arithmetic.
fn check_coefficients(source: &std::path::Path, layers: &[Layer]) -> Result<()> {
    for (li, layer) in layers.iter().enumerate() {
        for (o, row) in layer.rows.iter().enumerate() {
            let ok = |v: f32, max: f32| v.is_finite() && v.abs() <= max;
            if let Some((t, (_, w))) = row.iter().enumerate().find(|(_, (_, w))| !ok(*w, MAX_WEIGHT)) {
                return Err(ProverError::invalid(source, format!("layer {li}, output {o}, weight {t}"), format!("{w} is not a finite weight of magnitude at most 2^46")));
            }
            let b = layer.bias.get(o).copied().unwrap_or(0.0);
            if !ok(b, MAX_BIAS) {
                return Err(ProverError::invalid(source, format!("layer {li}, output {o}, bias"), format!("{b} is not a finite bias of magnitude at most 2^30")));
            }
        }
    }
    Ok(())
}

fn check_linear(m: &LinearMap, width: usize) -> std::result::Result<(), String> {
    if m.inputs != width {
        return Err(format!("expects {} inputs but the incoming tensor has {width} values", m.inputs));
    }
    if m.bias.len() != m.outputs() || volume(&m.out_shape, MAX_TENSOR_VALUES) != Some(m.outputs()) {
        return Err("inconsistent output size".into());
    }
    if m.rows.iter().flatten().any(|(i, _)| *i >= width) {
        return Err("a term reads past the input".into());
    }
    Ok(())
}

fn affine_as_linear(a: &AffineMap, shape: Vec<usize>) -> LinearMap {
    LinearMap {
        inputs: a.inputs,
        rows: a.src.iter().zip(&a.scale).map(|(i, s)| if *s == 0.0 { Vec::new() } else { vec![(*i, *s)] }).collect(),
        bias: a.shift.clone(),
        out_shape: shape,
    }
}

impl Lowerer {
    /// The concatenation of some tensors' forms.
    fn concat(&self, inputs: &[usize]) -> Vec<Form> {
        inputs.iter().flat_map(|t| self.tensors[*t].iter().cloned()).collect()
    }

    /// Emits one layer proving `forms` followed by `act`; returns the new values' forms (plain
    /// wires, or `pscale · wire` for a form with products and no activation).
    fn emit<'a>(&mut self, forms: impl IntoIterator<Item = &'a Form>, act: Activation) -> Vec<Form> {
        let mut layer = Layer { inputs: self.wires, rows: Vec::new(), prods: Vec::new(), bias: Vec::new(), activation: act };
        let mut out = Vec::new();
        for f in forms {
            // With products, the row holds `form / pscale` so that products keep coefficient 1.
            let k = if f.prods.is_empty() { 1.0 } else { f.pscale };
            debug_assert!(k == 1.0 || act == Activation::None);
            layer.rows.push(f.terms.iter().map(|(i, w)| (*i, w / k)).collect());
            self.terms = self.terms.saturating_add(f.size());
            layer.prods.push(f.prods.clone());
            layer.bias.push(f.bias / k);
            let wire = self.wires + out.len();
            out.push(if k == 1.0 { Form::wire(wire) } else { Form::wire(wire).affine(k, 0.0) });
        }
        self.wires += out.len();
        if !out.is_empty() {
            self.layers.push(layer);
        }
        out
    }

    /// Materialises, in place, the elements of tensor `t` for which `pred` holds (later readers
    /// reuse the wires).
    fn materialise(&mut self, t: usize, pred: impl Fn(&Form) -> bool) {
        let idx: Vec<usize> = (0..self.tensors[t].len()).filter(|i| pred(&self.tensors[t][*i])).collect();
        if idx.is_empty() {
            return;
        }
        let forms: Vec<Form> = idx.iter().map(|i| self.tensors[t][*i].clone()).collect();
        let made = self.emit(&forms, Activation::None);
        for (i, f) in idx.into_iter().zip(made) {
            self.tensors[t][i] = f;
        }
    }

    /// Linear map over the concatenated inputs. Composes lazily unless composing costs more terms
    /// than materialising the multi-term inputs first.
    fn linear(&mut self, inputs: &[usize], m: &LinearMap) -> Vec<Form> {
        let src = self.concat(inputs);
        let multi_row = m.rows.iter().any(|r| r.len() > 1);
        let composed: usize = m.rows.iter().flatten().map(|(i, _)| src[*i].size()).sum();
        let mut used = vec![false; src.len()];
        m.rows.iter().flatten().for_each(|(i, _)| used[*i] = true);
        let heavy: Vec<usize> = (0..src.len()).filter(|i| used[*i] && (src[*i].size() > 1 || !src[*i].prods.is_empty())).collect();
        let separate: usize = heavy.iter().map(|i| src[*i].size() + MATERIALISE_COST).sum::<usize>() + m.rows.iter().map(Vec::len).sum::<usize>();
        let with_prods = heavy.iter().any(|i| !src[*i].prods.is_empty());
        if composed > separate || (multi_row && with_prods) {
            for t in inputs {
                self.materialise(*t, |f| f.size() > 1 || !f.prods.is_empty());
            }
            return self.linear(inputs, m);
        }
        m.rows
            .iter()
            .zip(&m.bias)
            .map(|(row, b)| match row.as_slice() {
                [(i, w)] => src[*i].affine(*w, *b),
                _ => Form::combine(row.iter().map(|(i, w)| (&src[*i], *w)), *b),
            })
            .collect()
    }

    /// An element-wise activation: one layer whose rows are the forms that read wires (a
    /// constant's activation is a constant: `e^−∞ = 0` of a masked attention score).
    fn activate(&mut self, t: usize, act: Activation) -> Vec<Form> {
        if act == Activation::None {
            return self.tensors[t].clone();
        }
        // A scaled product sum cannot go through an activation in one row.
        self.materialise(t, |f| !f.prods.is_empty() && f.pscale != 1.0);
        let mut forms = self.tensors[t].clone();
        let live: Vec<usize> = (0..forms.len()).filter(|i| forms[*i].as_constant().is_none()).collect();
        let mut inputs: Vec<Form> = live.iter().map(|i| forms[*i].clone()).collect();
        if act == Activation::Exp && self.options.clamp_exp {
            // max(x, −L) = relu(x + L) − L.
            let shifted: Vec<Form> = inputs.iter().map(|f| f.affine(1.0, EXP_CLAMP)).collect();
            inputs = self.emit(&shifted, Activation::Relu).iter().map(|f| f.affine(1.0, -EXP_CLAMP)).collect();
        }
        let made = self.emit(&inputs, act);
        for f in &mut forms {
            if let Some(c) = f.as_constant() {
                *f = Form::constant(act.eval(f64::from(c)) as f32);
            }
        }
        for (i, f) in live.into_iter().zip(made) {
            forms[i] = f;
        }
        forms
    }

    /// Maximum over windows: a pairwise tournament, `max(a, b) = b + relu(a − b)`, one ReLU row
    /// per comparison (exact: weights ±1).
    fn max(&mut self, inputs: &[usize], m: &MaxMap) -> Vec<Form> {
        for t in inputs {
            self.materialise(*t, |f| f.size() > 3 || !f.prods.is_empty());
        }
        let src = self.concat(inputs);
        // −∞ (a masked score) never wins; constants fold into one.
        let mut groups: Vec<Vec<Form>> = m
            .windows
            .iter()
            .map(|w| {
                let (consts, mut live): (Vec<Form>, Vec<Form>) = w.iter().map(|i| src[*i].clone()).partition(|f| f.as_constant().is_some());
                let top = consts.iter().filter_map(Form::as_constant).fold(f32::NEG_INFINITY, f32::max);
                if live.is_empty() || top > f32::NEG_INFINITY {
                    live.push(Form::constant(top));
                }
                live
            })
            .collect();
        while groups.iter().any(|g| g.len() > 1) {
            let diffs: Vec<Form> = groups
                .iter()
                .flat_map(|g| g.chunks(2).filter(|p| p.len() == 2).map(|p| Form::combine([(&p[0], 1.0), (&p[1], -1.0)], 0.0)))
                .collect();
            let relus = self.emit(&diffs, Activation::Relu);
            let mut r = relus.iter();
            for g in &mut groups {
                *g = g
                    .chunks(2)
                    .map(|p| match p {
                        [a, b] => r.next().map_or_else(|| a.clone(), |d| Form::combine([(b, 1.0), (d, 1.0)], 0.0)),
                        [e] => e.clone(),
                        _ => unreachable!("chunks(2)"),
                    })
                    .collect();
            }
        }
        groups.into_iter().map(|mut g| g.remove(0)).collect()
    }

    /// Sums of products. Operands become single wires (materialised if needed); each output is
    /// `c · (Σ wire·wire + linear terms + bias)`, lazily, with one uniform coefficient `c` per
    /// output (operands are materialised to coefficient 1 when the coefficients differ).
    fn product(&mut self, inputs: &[usize], p: &ProductMap) -> Vec<Form> {
        for t in inputs {
            self.materialise(*t, |f| f.terms.len() > 1 || !f.prods.is_empty());
        }
        let src = self.concat(inputs);
        let coef = |f: &Form| f.terms.first().map_or(0.0, |(_, w)| *w);
        let uniform = p.pairs.iter().all(|pairs| {
            let mut cs = pairs.iter().map(|(a, b)| coef(&src[*a]) * coef(&src[*b])).filter(|c| *c != 0.0);
            cs.next().is_none_or(|c0| cs.all(|c| c == c0))
        });
        if !uniform {
            for t in inputs {
                self.materialise(*t, |f| !f.is_plain() && !f.terms.is_empty());
            }
            return self.product(inputs, p);
        }
        p.pairs
            .iter()
            .map(|pairs| {
                let c = pairs.iter().map(|(a, b)| coef(&src[*a]) * coef(&src[*b])).find(|c| *c != 0.0).unwrap_or(1.0);
                // (a·w + a0)(b·v + b0) = c·w·v + a·b0·w + a0·b·v + a0·b0, with c = a·b: a form's
                // pscale scales its products only (see `Form`).
                let mut lin: Vec<(Form, f32)> = Vec::new();
                let mut prods = Vec::new();
                let mut bias = 0.0;
                for (ia, ib) in pairs {
                    let (fa, fb) = (&src[*ia], &src[*ib]);
                    let (a, b) = (coef(fa), coef(fb));
                    if let (Some((w, _)), Some((v, _))) = (fa.terms.first(), fb.terms.first()) {
                        prods.push((*w, *v));
                    }
                    if let Some((w, _)) = fa.terms.first() {
                        lin.push((Form::wire(*w), a * fb.bias));
                    }
                    if let Some((v, _)) = fb.terms.first() {
                        lin.push((Form::wire(*v), fa.bias * b));
                    }
                    bias += fa.bias * fb.bias;
                }
                let mut f = Form::combine(lin.iter().map(|(f, w)| (f, *w)), bias);
                if !prods.is_empty() {
                    f.prods = prods;
                    f.pscale = c;
                }
                f
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Matrix, Node};

    /// Evaluates lowered layers in floats.
    fn run(g: &LayerGraph, x: &[f32]) -> Vec<f32> {
        let mut w: Vec<f32> = x.to_vec();
        for l in &g.layers {
            let vals: Vec<f32> = (0..l.outputs())
                .map(|o| {
                    let v = l.bias[o] + l.rows[o].iter().map(|(i, c)| c * w[*i]).sum::<f32>() + l.prods[o].iter().map(|(a, b)| w[*a] * w[*b]).sum::<f32>();
                    l.activation.eval(f64::from(v)) as f32
                })
                .collect();
            w.extend(vals);
        }
        g.outputs.iter().map(|i| w[*i]).collect()
    }

    fn node(op: Op, inputs: Vec<usize>) -> Node {
        Node { name: "n".into(), source_op: "Test".into(), op, inputs }
    }

    fn graph(input: usize, nodes: Vec<Node>) -> Graph {
        let output = nodes.len();
        Graph { source: "t.onnx".into(), input_shape: vec![input], input_shapes: vec![vec![input]], nodes, output, output_shapes: Vec::new() }
    }

    /// `softmax(x + mask)` over 4 values, as the frontend lowers it (max tournament, minus the
    /// max, exp, sum, 1/sum, products).
    fn masked_softmax(mask: [f32; 4]) -> Graph {
        let n = 4;
        let add = LinearMap { inputs: n, rows: (0..n).map(|i| vec![(i, 1.0)]).collect(), bias: mask.to_vec(), out_shape: vec![n] };
        let mx = MaxMap { inputs: n, windows: vec![(0..n).collect()], out_shape: vec![1] };
        let sub = LinearMap { inputs: n + 1, rows: (0..n).map(|i| vec![(i, 1.0), (n, -1.0)]).collect(), bias: vec![0.0; n], out_shape: vec![n] };
        let sum = LinearMap { inputs: n, rows: vec![(0..n).map(|i| (i, 1.0)).collect()], bias: vec![0.0], out_shape: vec![1] };
        let prod = ProductMap { inputs: n + 1, pairs: (0..n).map(|i| vec![(i, n)]).collect(), out_shape: vec![n] };
        graph(
            n,
            vec![
                node(Op::Linear(add), vec![0]),
                node(Op::Max(mx), vec![1]),
                node(Op::Linear(sub), vec![1, 2]),
                node(Op::Act(Activation::Exp), vec![3]),
                node(Op::Linear(sum), vec![4]),
                node(Op::Act(Activation::Recip), vec![5]),
                node(Op::Product(prod), vec![4, 6]),
            ],
        )
    }

    fn softmax(x: &[f32], mask: &[f32]) -> Vec<f32> {
        let v: Vec<f32> = x.iter().zip(mask).map(|(a, b)| a + b).collect();
        let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = v.iter().map(|a| (a - m).exp()).collect();
        let s: f32 = e.iter().sum();
        e.iter().map(|a| a / s).collect()
    }

    #[test]
    fn a_minus_infinity_mask_folds_away_before_the_softmax() {
        // Masked scores never reach the max tournament or the exp table: e^−∞ = 0 is a constant,
        // so no coefficient is infinite and the masked outputs are exact zeros.
        let mask = [0.0, f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY];
        let lowered = masked_softmax(mask).lower().unwrap();
        let exp = lowered.layers.iter().find(|l| l.activation == Activation::Exp).unwrap();
        assert_eq!(exp.outputs(), 2, "only the two live scores are exponentiated");
        let relus: usize = lowered.layers.iter().filter(|l| l.activation == Activation::Relu).map(Layer::outputs).sum();
        assert_eq!(relus, 1, "one comparison between the two live scores");
        let x = [0.5f32, 3.0, -1.25, 7.0];
        for (u, v) in run(&lowered, &x).iter().zip(softmax(&x, &mask)) {
            assert!((u - v).abs() < 1e-5, "{u} vs {v}");
        }
        // Every score masked: the max is −∞ itself, and the result is refused as non-finite.
        assert!(masked_softmax([f32::NEG_INFINITY; 4]).lower().is_err());
    }

    #[test]
    fn clamped_exp_inputs_change_no_softmax_output() {
        // An additive −10⁴ mask: with `clamp_exp`, every exp input passes relu(x + L) − L first,
        // so its table covers [−L, 0] instead of [−10⁴, 0]; the outputs are the same.
        let mask = [0.0, -1.0e4, 0.0, -1.0e4];
        let plain = masked_softmax(mask).lower().unwrap();
        let clamped = masked_softmax(mask).lower_with(&LowerOptions { clamp_exp: true }).unwrap();
        let relu = |g: &LayerGraph| g.layers.iter().filter(|l| l.activation == Activation::Relu).map(Layer::outputs).sum::<usize>();
        assert_eq!(relu(&clamped), relu(&plain) + 4, "one clamp per exp input");
        let x = [0.5f32, 3.0, -1.25, 7.0];
        for (g, name) in [(&plain, "plain"), (&clamped, "clamped")] {
            for (u, v) in run(g, &x).iter().zip(softmax(&x, &mask)) {
                assert!((u - v).abs() < 1e-5, "{name}: {u} vs {v}");
            }
        }
    }

    #[test]
    fn affine_ops_fold_into_one_layer() {
        let w = Matrix::new(2, 3, vec![1.0, -2.0, 0.5, 3.0, 0.0, -1.0]).unwrap();
        let g = graph(
            3,
            vec![
                node(Op::Affine(AffineMap::elementwise(vec![2.0, -1.0, 0.5], vec![1.0, 0.0, -3.0]), vec![3]), vec![0]),
                node(Op::Linear(LinearMap::dense(&w, vec![0.1, -0.2])), vec![1]),
                node(Op::Affine(AffineMap::elementwise(vec![-2.0, 0.25], vec![0.5, 1.0]), vec![2]), vec![2]),
                node(Op::Act(Activation::Relu), vec![3]),
            ],
        );
        let lowered = g.lower().unwrap();
        assert_eq!(lowered.layers.len(), 1);
        let x = [0.3f32, -0.7, 1.1];
        let ax = [x[0] * 2.0 + 1.0, -x[1], x[2] * 0.5 - 3.0];
        let y0 = 0.1 + ax[0] - 2.0 * ax[1] + 0.5 * ax[2];
        let y1 = -0.2 + 3.0 * ax[0] - ax[2];
        let want = [(-2.0 * y0 + 0.5f32).max(0.0), (0.25 * y1 + 1.0f32).max(0.0)];
        for (u, v) in run(&lowered, &x).iter().zip(want) {
            assert!((u - v).abs() < 1e-5, "{u} vs {v}");
        }
    }

    #[test]
    fn residual_products_and_max_are_exact_in_floats() {
        // y = relu(x); z = y + x (residual); p = z ⊙ x; m = max(p); out = p − m
        let n = 4;
        let ident = |k: usize| LinearMap::identity(k, vec![k]);
        let residual = LinearMap { inputs: 2 * n, rows: (0..n).map(|i| vec![(i, 1.0), (n + i, 1.0)]).collect(), bias: vec![0.0; n], out_shape: vec![n] };
        let prod = ProductMap { inputs: 2 * n, pairs: (0..n).map(|i| vec![(i, n + i)]).collect(), out_shape: vec![n] };
        let mx = MaxMap { inputs: n, windows: vec![(0..n).collect()], out_shape: vec![1] };
        let sub = LinearMap { inputs: n + 1, rows: (0..n).map(|i| vec![(i, 1.0), (n, -1.0)]).collect(), bias: vec![0.0; n], out_shape: vec![n] };
        let g = graph(
            n,
            vec![
                node(Op::Linear(ident(n)), vec![0]),
                node(Op::Act(Activation::Relu), vec![1]),
                node(Op::Linear(residual), vec![2, 0]),
                node(Op::Product(prod), vec![3, 0]),
                node(Op::Max(mx), vec![4]),
                node(Op::Linear(sub), vec![4, 5]),
            ],
        );
        let lowered = g.lower().unwrap();
        let x = [0.5f32, -1.5, 2.0, -0.25];
        let p: Vec<f32> = x.iter().map(|v| (v.max(0.0) + v) * v).collect();
        let m = p.iter().copied().fold(f32::MIN, f32::max);
        for (u, v) in run(&lowered, &x).iter().zip(p.iter().map(|v| v - m)) {
            assert!((u - v).abs() < 1e-5, "{u} vs {v}");
        }
    }

    #[test]
    fn a_scaled_product_gets_its_own_row_before_an_activation() {
        // sigmoid(0.5 · x⊙x): the 0.5 cannot ride on a product row into the table.
        let prod = ProductMap { inputs: 2, pairs: vec![vec![(0, 0)], vec![(1, 1)]], out_shape: vec![2] };
        let g = graph(
            2,
            vec![
                node(Op::Product(prod), vec![0]),
                node(Op::Affine(AffineMap::mul(vec![0.5, 0.5]), vec![2]), vec![1]),
                node(Op::Act(Activation::Sigmoid), vec![2]),
            ],
        );
        let lowered = g.lower().unwrap();
        assert_eq!(lowered.layers.len(), 2);
        let x = [1.5f32, -0.5];
        for (u, v) in run(&lowered, &x).iter().zip(x.iter().map(|v| 1.0 / (1.0 + (-0.5 * v * v).exp()))) {
            assert!((u - v).abs() < 1e-5, "{u} vs {v}");
        }
    }

    /// A product whose operand is scaled and shifted, `x · (1 − r)` (HardSwish: `1 − relu(…)` is
    /// `−1·r + 1`), was lowered with its linear part and bias divided by the scale (−1): the
    /// circuit proved `x·(1 − r)` as `−x·r − x`.
    #[test]
    fn regression_product_of_a_scaled_shifted_operand_divided_its_shift_by_the_scale() {
        let n = 3;
        let prod = ProductMap { inputs: 2 * n, pairs: (0..n).map(|i| vec![(i, n + i)]).collect(), out_shape: vec![n] };
        for (scale, shift) in [(-1.0f32, 1.0f32), (2.0, 0.5), (0.5, -0.25), (-3.0, 0.0)] {
            let g = graph(
                n,
                vec![
                    node(Op::Act(Activation::Relu), vec![0]),
                    node(Op::Affine(AffineMap::elementwise(vec![scale; n], vec![shift; n]), vec![n]), vec![1]),
                    node(Op::Product(prod.clone()), vec![0, 2]),
                    node(Op::Affine(AffineMap::elementwise(vec![1.5; n], vec![0.25; n]), vec![n]), vec![3]),
                ],
            );
            let lowered = g.lower().unwrap();
            let x = [0.75f32, -0.5, 2.0];
            let want = x.iter().map(|v| 1.5 * (v * (scale * v.max(0.0) + shift)) + 0.25);
            for (u, v) in run(&lowered, &x).iter().zip(want) {
                assert!((u - v).abs() < 1e-5, "scale {scale} shift {shift}: {u} vs {v}");
            }
        }
    }

    #[test]
    fn reading_a_future_tensor_names_the_node() {
        let g = graph(2, vec![node(Op::Act(Activation::Relu), vec![1])]);
        let e = g.lower().unwrap_err().to_string();
        assert!(e.contains("does not exist yet"), "{e}");
    }
}
