//! The project's own graph IR. Knows nothing of ONNX: the frontend ([`crate::onnx`]) maps
//! ONNX nodes onto these ops through its registry, and [`Graph::lower`] turns a graph into
//! the layers the circuit proves.
//!
//! Every linear op (Gemm, MatMul, Conv, average pooling) is one parameterised type,
//! [`LinearMap`]: each output is a sparse weighted sum of inputs plus a bias. Element-wise
//! affine ops (BatchNormalization, Add/Sub/Mul/Div by constants) are [`Op::Affine`] and are folded
//! into a neighbouring linear map at lowering, so they cost no rows.

use crate::error::{ProverError, Result};
use std::path::PathBuf;

/// A dense row-major f32 matrix of shape `rows × cols`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (outputs of a linear map).
    pub rows: usize,
    /// Number of columns (inputs of a linear map).
    pub cols: usize,
    /// Row-major values, `rows * cols` long.
    pub data: Vec<f32>,
}

impl Matrix {
    /// Builds a matrix, checking the length.
    pub fn new(rows: usize, cols: usize, data: Vec<f32>) -> Option<Self> {
        (data.len() == rows * cols).then_some(Self { rows, cols, data })
    }
    /// Element `(r, c)`.
    pub fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.cols + c]
    }
    /// The transpose.
    pub fn transposed(&self) -> Self {
        let mut data = Vec::with_capacity(self.data.len());
        for c in 0..self.cols {
            for r in 0..self.rows {
                data.push(self.at(r, c));
            }
        }
        Self { rows: self.cols, cols: self.rows, data }
    }
}

/// One term of a linear map's row: `weight · input[index]`.
pub type Term = (usize, f32);

/// `y[o] = Σ_(i, w) ∈ rows[o] w · x[i] + bias[o]`: dense layers, convolutions and average pooling.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearMap {
    /// Number of inputs.
    pub inputs: usize,
    /// Per output, its terms.
    pub rows: Vec<Vec<Term>>,
    /// Per output bias.
    pub bias: Vec<f32>,
    /// Logical shape of the output (product = `rows.len()`).
    pub out_shape: Vec<usize>,
}

impl LinearMap {
    /// A dense map from an `out × in` matrix (every weight kept, zeros included).
    pub fn dense(weight: &Matrix, bias: Vec<f32>) -> Self {
        let rows = (0..weight.rows).map(|r| (0..weight.cols).map(|c| (c, weight.at(r, c))).collect()).collect();
        Self { inputs: weight.cols, rows, bias, out_shape: vec![weight.rows] }
    }
    /// The identity on `n` values.
    pub fn identity(n: usize, shape: Vec<usize>) -> Self {
        Self { inputs: n, rows: (0..n).map(|i| vec![(i, 1.0)]).collect(), bias: vec![0.0; n], out_shape: shape }
    }
    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.rows.len()
    }
    /// `self ∘ a`: absorbs an affine gather applied to the input (terms re-indexed and scaled).
    pub fn absorb_input_affine(&mut self, a: &AffineMap) {
        for (row, b) in self.rows.iter_mut().zip(self.bias.iter_mut()) {
            for (i, w) in row.iter_mut() {
                *b += *w * a.shift[*i];
                *w *= a.scale[*i];
                *i = a.src[*i];
            }
        }
        self.inputs = a.inputs;
    }
    /// `a ∘ self`: absorbs an affine gather applied to the output (rows selected and scaled).
    pub fn absorb_output_affine(&mut self, a: &AffineMap, out_shape: Vec<usize>) {
        let (rows, bias): (Vec<_>, Vec<_>) = a
            .src
            .iter()
            .zip(a.scale.iter().zip(&a.shift))
            .map(|(&k, (&s, &t))| (self.rows[k].iter().map(|(i, w)| (*i, w * s)).collect::<Vec<Term>>(), self.bias[k] * s + t))
            .unzip();
        self.rows = rows;
        self.bias = bias;
        self.out_shape = out_shape;
    }
}

/// An affine gather: `y[j] = scale[j] · x[src[j]] + shift[j]`. Element-wise ops
/// (BatchNormalization, Add/Sub/Mul/Div by constants) have `src[j] = j`; re-indexing ops
/// (Transpose, Slice, Gather) have unit scale and zero shift.
#[derive(Debug, Clone, PartialEq)]
pub struct AffineMap {
    /// Number of inputs.
    pub inputs: usize,
    /// Per output, the input it reads.
    pub src: Vec<usize>,
    /// Multipliers.
    pub scale: Vec<f32>,
    /// Offsets.
    pub shift: Vec<f32>,
}

impl AffineMap {
    /// Element-wise `x ⊙ scale + shift`.
    pub fn elementwise(scale: Vec<f32>, shift: Vec<f32>) -> Self {
        Self { inputs: scale.len(), src: (0..scale.len()).collect(), scale, shift }
    }
    /// `x + c`.
    pub fn add(c: Vec<f32>) -> Self {
        Self::elementwise(vec![1.0; c.len()], c)
    }
    /// `x · c`.
    pub fn mul(c: Vec<f32>) -> Self {
        let n = c.len();
        Self::elementwise(c, vec![0.0; n])
    }
    /// `y[j] = x[src[j]]`.
    pub fn gather(inputs: usize, src: Vec<usize>) -> Self {
        let n = src.len();
        Self { inputs, src, scale: vec![1.0; n], shift: vec![0.0; n] }
    }
    /// `other ∘ self`.
    pub fn then(&self, other: &AffineMap) -> Self {
        let mut out = Self { inputs: self.inputs, src: Vec::new(), scale: Vec::new(), shift: Vec::new() };
        for ((&k, &s2), &t2) in other.src.iter().zip(&other.scale).zip(&other.shift) {
            out.src.push(self.src[k]);
            out.scale.push(s2 * self.scale[k]);
            out.shift.push(s2 * self.shift[k] + t2);
        }
        out
    }
    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.src.len()
    }
    /// Whether it has no outputs.
    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }
}

/// An IR operation on the single activation tensor flowing through the graph.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A linear map with constant weights.
    Linear(LinearMap),
    /// An affine gather with constant coefficients and its output shape.
    Affine(AffineMap, Vec<usize>),
    /// An element-wise activation (ReLU, sigmoid, tanh), fused into the preceding layer.
    Act(Activation),
    /// Changes the logical shape only; values are unchanged.
    Reshape(Vec<usize>),
    /// Per output, the maximum of some inputs (max pooling).
    Max(MaxMap),
}

/// `y[o] = max_(i ∈ windows[o]) x[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxMap {
    /// Number of inputs.
    pub inputs: usize,
    /// Per output, the input indices it takes the maximum of (non-empty).
    pub windows: Vec<Vec<usize>>,
    /// Logical shape of the output.
    pub out_shape: Vec<usize>,
}

impl MaxMap {
    /// Lowers to layers with only linear maps and ReLU, exactly: each level of a pairwise
    /// tournament is a ReLU layer computing `relu(a − b), relu(b), relu(−b)` per pair (and
    /// `relu(e), relu(−e)` for an odd one out) and a linear layer combining them into
    /// `max(a, b) = relu(a − b) + relu(b) − relu(−b)` (and `e = relu(e) − relu(−e)`).
    /// Weights are ±1, which the fixed-point rescale reproduces exactly.
    pub fn to_layers(&self) -> Vec<Layer> {
        // Current candidates per output, as indices into the current activation.
        let mut groups: Vec<Vec<usize>> = self.windows.clone();
        let mut width = self.inputs;
        let mut layers = Vec::new();
        while groups.iter().any(|g| g.len() > 1) {
            let (mut relu_rows, mut combine, mut next) = (Vec::new(), Vec::new(), Vec::new());
            for g in &groups {
                let mut next_g = Vec::new();
                for pair in g.chunks(2) {
                    let base = relu_rows.len();
                    let combo: Vec<Term> = match *pair {
                        [a, b] => {
                            relu_rows.push(vec![(a, 1.0), (b, -1.0)]);
                            relu_rows.push(vec![(b, 1.0)]);
                            relu_rows.push(vec![(b, -1.0)]);
                            vec![(base, 1.0), (base + 1, 1.0), (base + 2, -1.0)]
                        }
                        [e] => {
                            relu_rows.push(vec![(e, 1.0)]);
                            relu_rows.push(vec![(e, -1.0)]);
                            vec![(base, 1.0), (base + 1, -1.0)]
                        }
                        _ => unreachable!("chunks(2)"),
                    };
                    next_g.push(combine.len());
                    combine.push(combo);
                }
                next.push(next_g);
            }
            let n1 = relu_rows.len();
            let n2 = combine.len();
            layers.push(Layer {
                map: LinearMap { inputs: width, bias: vec![0.0; n1], rows: relu_rows, out_shape: vec![n1] },
                activation: Activation::Relu,
            });
            layers.push(Layer {
                map: LinearMap { inputs: n1, bias: vec![0.0; n2], rows: combine, out_shape: vec![n2] },
                activation: Activation::None,
            });
            width = n2;
            groups = next;
        }
        // Every group is now one value; order them as the outputs (a final selection layer is
        // needed only if some window had a single element from the start).
        let order: Vec<usize> = groups.iter().map(|g| g[0]).collect();
        let identity_order = layers.is_empty() || order.iter().enumerate().any(|(o, i)| o != *i) || width != order.len();
        if identity_order {
            let n = order.len();
            layers.push(Layer {
                map: LinearMap { inputs: width, bias: vec![0.0; n], rows: order.iter().map(|i| vec![(*i, 1.0)]).collect(), out_shape: vec![n] },
                activation: Activation::None,
            });
        }
        if let Some(last) = layers.last_mut() {
            last.map.out_shape = self.out_shape.clone();
        }
        layers
    }
}

/// One IR node, remembering the ONNX node it came from for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Name of the source node.
    pub name: String,
    /// Source op type (for messages).
    pub source_op: String,
    /// The operation.
    pub op: Op,
}

/// A model as a chain of IR nodes over one activation tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Where the graph came from (for messages).
    pub source: PathBuf,
    /// The input's exact shape (a symbolic dimension, such as the batch, proves as 1).
    pub input_shape: Vec<usize>,
    /// The nodes in execution order.
    pub nodes: Vec<Node>,
}

/// Activation applied after a layer's rescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Identity.
    None,
    /// `max(x, 0)`: proven with the sign bit of the range decomposition.
    Relu,
    /// `1 / (1 + e^−x)`: proven by lookup in a table of the function.
    Sigmoid,
    /// `tanh(x)`: proven by lookup in a table of the function.
    Tanh,
}

impl Activation {
    /// Whether the circuit proves it with a function table.
    pub fn is_tabulated(self) -> bool {
        matches!(self, Activation::Sigmoid | Activation::Tanh)
    }
    /// The real function.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::None => x,
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
        }
    }
    /// Byte used in the model commitment and the table tag.
    pub fn tag(self) -> u8 {
        match self {
            Activation::None => 0,
            Activation::Relu => 1,
            Activation::Sigmoid => 2,
            Activation::Tanh => 3,
        }
    }
}

/// A layer: `act(map(x))`. The unit the circuit proves.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The linear map.
    pub map: LinearMap,
    /// Activation.
    pub activation: Activation,
}

impl Graph {
    /// Number of input values.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Lowers the chain to layers. Affine ops fold into the preceding layer's output when it is
    /// still open (no activation yet), else into the next layer's input; ReLU fuses into the
    /// preceding layer. An identity layer is made only where nothing can absorb an op.
    pub fn lower(&self) -> Result<Vec<Layer>> {
        let mut layers: Vec<Layer> = Vec::new();
        // Whether the last layer may still absorb an affine map or a Relu.
        let mut open = false;
        // An affine map on the activation not yet absorbed by any layer.
        let mut pending: Option<AffineMap> = None;
        let mut width = self.input_len();
        let mut shape = self.input_shape.clone();
        for node in &self.nodes {
            let bad = |message: String| ProverError::BadNode {
                path: self.source.clone(),
                node: node.name.clone(),
                op: node.source_op.clone(),
                message,
            };
            match &node.op {
                Op::Linear(map) => {
                    if map.inputs != width {
                        return Err(bad(format!("expects {} inputs but the incoming tensor has {width} values", map.inputs)));
                    }
                    if map.bias.len() != map.outputs() || map.out_shape.iter().product::<usize>() != map.outputs() {
                        return Err(bad("inconsistent output size".into()));
                    }
                    if map.rows.iter().flatten().any(|(i, _)| *i >= width) {
                        return Err(bad("a term reads past the input".into()));
                    }
                    let mut map = map.clone();
                    if let Some(a) = pending.take() {
                        map.absorb_input_affine(&a);
                    }
                    width = map.outputs();
                    shape = map.out_shape.clone();
                    layers.push(Layer { map, activation: Activation::None });
                    open = true;
                }
                Op::Affine(a, out_shape) => {
                    if a.inputs != width || a.src.iter().any(|i| *i >= width) || out_shape.iter().product::<usize>() != a.len() {
                        return Err(bad(format!("the op's {} inputs / {} outputs do not fit the tensor of {width} values", a.inputs, a.len())));
                    }
                    width = a.len();
                    shape = out_shape.clone();
                    if open {
                        let last = layers.last_mut().ok_or_else(|| bad("no layer".into()))?;
                        last.map.absorb_output_affine(a, out_shape.clone());
                    } else {
                        pending = Some(match pending.take() {
                            Some(p) => p.then(a),
                            None => a.clone(),
                        });
                    }
                }
                Op::Act(act) => {
                    if !open {
                        layers.push(identity_layer(width, shape.clone(), pending.take()));
                    }
                    let last = layers.last_mut().ok_or_else(|| bad("no layer".into()))?;
                    last.activation = *act;
                    open = false;
                }
                Op::Reshape(s) => {
                    let n: usize = s.iter().product();
                    if n != width {
                        return Err(bad(format!("reshape to {s:?} ({n} values) but the tensor has {width}")));
                    }
                    shape = s.clone();
                }
                Op::Max(m) => {
                    if m.inputs != width || m.windows.iter().any(|w| w.is_empty() || w.iter().any(|i| *i >= width)) {
                        return Err(bad("pooling windows do not fit the incoming tensor".into()));
                    }
                    let mut new = m.to_layers();
                    if let (Some(a), Some(first)) = (pending.take(), new.first_mut()) {
                        first.map.absorb_input_affine(&a);
                    }
                    width = m.windows.len();
                    shape = m.out_shape.clone();
                    layers.extend(new);
                    // The last layer is linear (no activation yet): a Relu or affine op may fuse.
                    open = true;
                }
            }
        }
        if let Some(a) = pending.take() {
            layers.push(identity_layer(width, shape, Some(a)));
        }
        if layers.is_empty() {
            return Err(ProverError::BadGraph { path: self.source.clone(), message: "the model has no layer to prove".into() });
        }
        Ok(layers)
    }
}

/// An identity layer on `width` values, absorbing a pending affine gather if any.
fn identity_layer(width: usize, shape: Vec<usize>, pending: Option<AffineMap>) -> Layer {
    let mut map = LinearMap::identity(width, shape);
    if let Some(a) = pending {
        map.absorb_input_affine(&a);
    }
    Layer { map, activation: Activation::None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: &LinearMap, x: &[f32]) -> Vec<f32> {
        m.rows.iter().zip(&m.bias).map(|(r, b)| b + r.iter().map(|(i, w)| w * x[*i]).sum::<f32>()).collect()
    }

    #[test]
    fn affine_folding_is_exact() {
        let w = Matrix::new(2, 3, vec![1.0, -2.0, 0.5, 3.0, 0.0, -1.0]).unwrap();
        let m = LinearMap::dense(&w, vec![0.1, -0.2]);
        let a = AffineMap::elementwise(vec![2.0, -1.0, 0.5], vec![1.0, 0.0, -3.0]);
        let x = [0.3f32, -0.7, 1.1];
        let ax: Vec<f32> = x.iter().zip(&a.scale).zip(&a.shift).map(|((x, s), t)| x * s + t).collect();
        let mut folded = m.clone();
        folded.absorb_input_affine(&a);
        for (u, v) in apply(&folded, &x).iter().zip(apply(&m, &ax)) {
            assert!((u - v).abs() < 1e-5);
        }
        let b = AffineMap::elementwise(vec![-2.0, 0.25], vec![0.5, 1.0]);
        let mut out = m.clone();
        out.absorb_output_affine(&b, vec![2]);
        for ((u, v), (s, t)) in apply(&out, &x).iter().zip(apply(&m, &x)).zip(b.scale.iter().zip(&b.shift)) {
            assert!((u - (v * s + t)).abs() < 1e-5);
        }
        let c = a.then(&AffineMap::elementwise(vec![3.0; 3], vec![1.0; 3]));
        assert_eq!(c.scale, vec![6.0, -3.0, 1.5]);
        assert_eq!(c.shift, vec![4.0, 1.0, -8.0]);
        // A gather after an element-wise map, absorbed into a layer's input.
        let g = a.then(&AffineMap::gather(3, vec![2, 0]));
        assert_eq!((g.src.clone(), g.scale.clone()), (vec![2, 0], vec![0.5, 2.0]));
        let w2 = Matrix::new(1, 2, vec![1.0, 1.0]).unwrap();
        let mut m2 = LinearMap::dense(&w2, vec![0.0]);
        m2.absorb_input_affine(&g);
        assert_eq!(m2.inputs, 3);
        let direct = (x[2] * 0.5 - 3.0) + (x[0] * 2.0 + 1.0);
        assert!((apply(&m2, &x)[0] - direct).abs() < 1e-5);
    }
}
