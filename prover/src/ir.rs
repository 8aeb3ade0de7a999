//! The project's own graph IR. Knows nothing of ONNX: the frontend ([`crate::onnx`]) maps
//! ONNX nodes onto these ops through its registry, and [`Graph::lower`] turns a graph into
//! the dense layers the circuit proves.

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
    /// The identity matrix.
    pub fn identity(n: usize) -> Self {
        let mut data = vec![0.0; n * n];
        for i in 0..n {
            data[i * n + i] = 1.0;
        }
        Self { rows: n, cols: n, data }
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

/// An IR operation on the single activation tensor flowing through the graph.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `y = W x + b` with `W: out × in` (constant weights).
    Linear {
        /// Weights, `out × in`.
        weight: Matrix,
        /// Bias of length `out` (zeros when absent).
        bias: Vec<f32>,
    },
    /// Element-wise addition of a constant vector (broadcast scalars expanded).
    AddConst(Vec<f32>),
    /// Element-wise `max(x, 0)`.
    Relu,
    /// Changes the logical shape only; values are unchanged.
    Reshape(Vec<usize>),
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
    /// Input shape without batch dimension.
    pub input_shape: Vec<usize>,
    /// Whether the source model has a leading batch dimension (of 1 when proving).
    pub batched: bool,
    /// The nodes in execution order.
    pub nodes: Vec<Node>,
}

/// Activation applied after a dense layer's rescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Identity.
    None,
    /// `max(x, 0)`.
    Relu,
}

/// A dense layer: `act(W x + b)`. The unit the circuit proves.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    /// Weights `out × in`.
    pub weight: Matrix,
    /// Bias, `out` long.
    pub bias: Vec<f32>,
    /// Activation.
    pub activation: Activation,
}

impl Graph {
    /// Number of input values.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Lowers the chain to dense layers: folds constant additions into the preceding layer's
    /// bias, or (after a ReLU or at the start) into the next layer's bias (`W(x + c) + b =
    /// Wx + (Wc + b)`); fuses ReLU into the preceding layer. An identity layer is made only
    /// where nothing can absorb an op.
    pub fn lower(&self) -> Result<Vec<DenseLayer>> {
        let mut layers: Vec<DenseLayer> = Vec::new();
        // Whether the last layer may still absorb an Add or a Relu.
        let mut open = false;
        // A constant to add to the activation, not yet absorbed by any layer.
        let mut pending: Option<Vec<f32>> = None;
        let mut width = self.input_len();
        for node in &self.nodes {
            let bad = |message: String| ProverError::BadNode {
                path: self.source.clone(),
                node: node.name.clone(),
                op: node.source_op.clone(),
                message,
            };
            match &node.op {
                Op::Linear { weight, bias } => {
                    if weight.cols != width {
                        return Err(bad(format!(
                            "weight expects {} inputs but the incoming tensor has {width} values",
                            weight.cols
                        )));
                    }
                    if bias.len() != weight.rows {
                        return Err(bad(format!("bias has {} values, expected {}", bias.len(), weight.rows)));
                    }
                    let mut bias = bias.clone();
                    if let Some(c) = pending.take() {
                        for (r, b) in bias.iter_mut().enumerate() {
                            *b += (0..weight.cols).map(|i| weight.at(r, i) * c[i]).sum::<f32>();
                        }
                    }
                    layers.push(DenseLayer { weight: weight.clone(), bias, activation: Activation::None });
                    width = weight.rows;
                    open = true;
                }
                Op::AddConst(c) => {
                    if c.len() != width {
                        return Err(bad(format!("constant has {} values, the tensor has {width}", c.len())));
                    }
                    if open {
                        let last = layers.last_mut().ok_or_else(|| bad("no layer".into()))?;
                        last.bias.iter_mut().zip(c).for_each(|(b, v)| *b += v);
                    } else {
                        let p = pending.get_or_insert_with(|| vec![0.0; width]);
                        p.iter_mut().zip(c).for_each(|(a, v)| *a += v);
                    }
                }
                Op::Relu => {
                    if !open {
                        let mut l = identity_layer(width);
                        if let Some(c) = pending.take() {
                            l.bias = c;
                        }
                        layers.push(l);
                    }
                    let last = layers.last_mut().ok_or_else(|| bad("no layer".into()))?;
                    last.activation = Activation::Relu;
                    open = false;
                }
                Op::Reshape(shape) => {
                    let n: usize = shape.iter().product();
                    if n != width {
                        return Err(bad(format!("reshape to {shape:?} ({n} values) but the tensor has {width}")));
                    }
                }
            }
        }
        if let Some(c) = pending.take() {
            let mut l = identity_layer(width);
            l.bias = c;
            layers.push(l);
        }
        if layers.is_empty() {
            return Err(ProverError::BadGraph {
                path: self.source.clone(),
                message: "the model has no layer to prove".into(),
            });
        }
        Ok(layers)
    }
}

fn identity_layer(n: usize) -> DenseLayer {
    DenseLayer { weight: Matrix::identity(n), bias: vec![0.0; n], activation: Activation::None }
}
