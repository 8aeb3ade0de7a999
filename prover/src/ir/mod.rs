//! The project's own graph IR. Knows nothing of ONNX: the frontend ([`crate::onnx`]) maps
//! ONNX nodes onto these ops through its registry, and [`Graph::lower`] turns the graph into
//! the layers the circuit proves.
//!
//! A graph is a DAG of nodes over tensors: tensor 0 is the model input and node `j` produces
//! tensor `j + 1`. Every op reads the concatenation of its input tensors. The op set is small
//! and parameterised ([`maps`]): every linear op (Gemm, MatMul with a constant, Conv, pooling,
//! residual Add, Concat) is a [`LinearMap`] or an [`AffineMap`], every product of two activations
//! (MatMul of two activations, Mul, squares) a [`ProductMap`], every maximum a [`MaxMap`], every
//! element-wise non-linearity an [`Activation`].

pub mod lower;
pub mod maps;

pub use lower::{Layer, LayerGraph};
pub use maps::{AffineMap, LinearMap, Matrix, MaxMap, ProductMap, Term};

use std::path::PathBuf;

/// An IR operation. Maps read the concatenation of the node's input tensors; `Act` and
/// `Reshape` take one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A linear map with constant weights.
    Linear(LinearMap),
    /// An affine gather with constant coefficients and its output shape.
    Affine(AffineMap, Vec<usize>),
    /// An element-wise activation.
    Act(Activation),
    /// Changes the logical shape only; values are unchanged.
    Reshape(Vec<usize>),
    /// Per output, the maximum of some inputs (max pooling, the maximum of a softmax).
    Max(MaxMap),
    /// Per output, a sum of products of two inputs.
    Product(ProductMap),
}

impl Op {
    /// The output shape, given the shape of the first input.
    pub fn output_shape(&self, first_input: &[usize]) -> Vec<usize> {
        match self {
            Op::Linear(m) => m.out_shape.clone(),
            Op::Reshape(s) | Op::Affine(_, s) => s.clone(),
            Op::Max(m) => m.out_shape.clone(),
            Op::Product(m) => m.out_shape.clone(),
            Op::Act(_) => first_input.to_vec(),
        }
    }
    /// Number of terms the op carries: weights, products, the inputs of its maxima, one per
    /// output of a gather.
    pub fn terms(&self) -> usize {
        match self {
            Op::Linear(m) => m.rows.iter().map(Vec::len).sum(),
            Op::Affine(a, _) => a.len(),
            Op::Product(p) => p.pairs.iter().map(Vec::len).sum(),
            Op::Max(m) => m.windows.iter().map(Vec::len).sum(),
            Op::Act(_) | Op::Reshape(_) => 0,
        }
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
    /// Input tensors (0 = the model input, `j + 1` = node `j`'s output); each `< ` this node's
    /// own output tensor.
    pub inputs: Vec<usize>,
}

/// A model as a DAG of IR nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Where the graph came from (for messages).
    pub source: PathBuf,
    /// The input's exact shape (a symbolic dimension, such as the batch, proves as 1).
    pub input_shape: Vec<usize>,
    /// The nodes in execution order; node `j` produces tensor `j + 1`.
    pub nodes: Vec<Node>,
    /// The tensor that is the model's output.
    pub output: usize,
}

impl Graph {
    /// Number of input values.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().try_fold(1usize, |n, d| n.checked_mul(*d)).unwrap_or(usize::MAX)
    }
}

/// Activation applied after a layer's rescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Identity.
    None,
    /// `max(x, 0)`: proven with the sign bit of the range decomposition.
    Relu,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `e^x` (softmax numerators, after the maximum is subtracted).
    Exp,
    /// `1 / x` (softmax denominators, division by an activation).
    Recip,
    /// `1 / √x` (layer normalisation).
    Rsqrt,
    /// `√x`.
    Sqrt,
    /// The error function (GELU as exported by torch).
    Erf,
    /// `x · Φ(x)` (ONNX `Gelu`).
    Gelu,
}

impl Activation {
    /// The functions proven by table lookup, in table-tag order.
    pub const TABULATED: [Activation; 8] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Exp,
        Activation::Recip,
        Activation::Rsqrt,
        Activation::Sqrt,
        Activation::Erf,
        Activation::Gelu,
    ];

    /// Whether the circuit proves it with a function table.
    pub fn is_tabulated(self) -> bool {
        !matches!(self, Activation::None | Activation::Relu)
    }
    /// Index in [`Activation::TABULATED`].
    pub fn table_index(self) -> Option<usize> {
        Self::TABULATED.iter().position(|a| *a == self)
    }
    /// The real function. Uses `libm` (pure Rust), so that tables are bit-identical on every
    /// platform. Outside a function's domain the result is infinite or NaN; tables clamp it.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::None => x,
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + libm::exp(-x)),
            Activation::Tanh => libm::tanh(x),
            Activation::Exp => libm::exp(x),
            Activation::Recip => 1.0 / x,
            Activation::Rsqrt => {
                if x > 0.0 {
                    1.0 / libm::sqrt(x)
                } else {
                    f64::INFINITY
                }
            }
            Activation::Sqrt => libm::sqrt(x.max(0.0)),
            Activation::Erf => libm::erf(x),
            Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
        }
    }
    /// Byte used in the model commitment and the table tag (non-zero for tabulated functions).
    pub fn tag(self) -> u8 {
        match self {
            Activation::None => 0,
            Activation::Relu => 1,
            Activation::Sigmoid => 2,
            Activation::Tanh => 3,
            Activation::Exp => 4,
            Activation::Recip => 5,
            Activation::Rsqrt => 6,
            Activation::Sqrt => 7,
            Activation::Erf => 8,
            Activation::Gelu => 9,
        }
    }
    /// Lower-case name (messages, reports).
    pub fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }
}
