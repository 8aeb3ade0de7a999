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

pub use lower::{Layer, LayerGraph, LowerOptions, EXP_CLAMP};
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
    /// The input's exact shape (a symbolic dimension, such as the batch, proves as 1); with
    /// several graph inputs, `[n]`: tensor 0 is their concatenation.
    pub input_shape: Vec<usize>,
    /// Each graph input's shape, in graph order (one entry for a single input).
    pub input_shapes: Vec<Vec<usize>>,
    /// The nodes in execution order; node `j` produces tensor `j + 1`.
    pub nodes: Vec<Node>,
    /// The tensor that is the model's output; with several graph outputs, their flattened
    /// concatenation in graph order.
    pub output: usize,
    /// Each graph output's shape, in graph order (one entry for a single output).
    pub output_shapes: Vec<Vec<usize>>,
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
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `x · tanh(softplus(x))`.
    Mish,
    /// `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))` (ONNX `Gelu`, `approximate = "tanh"`).
    GeluTanh,
    /// `ln x` (non-positive inputs give the range's lower end).
    Log,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `tan x`.
    Tan,
    /// `atan x`.
    Atan,
    /// `asin x` (0 outside [−1, 1]).
    Asin,
    /// `acos x` (0 outside [−1, 1]).
    Acos,
    /// `sinh x`.
    Sinh,
    /// `cosh x`.
    Cosh,
    /// `asinh x`.
    Asinh,
    /// `acosh x` (0 below 1).
    Acosh,
    /// `atanh x` (0 outside (−1, 1)).
    Atanh,
    /// `sign x`: −1, 0 or 1.
    Sign,
    /// `⌊x⌋`.
    Floor,
    /// `⌈x⌉`.
    Ceil,
    /// `x` rounded to the nearest integer, halves to even (ONNX `Round`).
    Round,
    /// `x` rounded toward zero (ONNX `Cast` of a float to an integer type).
    Trunc,
    /// `1` if `x > 0`, else `0` (comparisons: `Greater`, `Less`).
    Positive,
    /// `1` if `x ≥ 0`, else `0` (comparisons: `GreaterOrEqual`, `LessOrEqual`).
    NonNegative,
    /// `1` if `x = 0`, else `0` (`Equal`, `Cast` to bool).
    IsZero,
    /// `1` if `x ≥ 0`, else `0`, proven with the sign bit of the range decomposition (no table,
    /// so any range): what [`Activation::NonNegative`] and [`Activation::Positive`] quantise to
    /// ([`crate::quant::QuantModel::from_layers`]).
    Step,
}

impl Activation {
    /// The functions proven by table lookup, in table-tag order.
    pub const TABULATED: [Activation; 32] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Exp,
        Activation::Recip,
        Activation::Rsqrt,
        Activation::Sqrt,
        Activation::Erf,
        Activation::Gelu,
        Activation::Softplus,
        Activation::Softsign,
        Activation::Mish,
        Activation::GeluTanh,
        Activation::Log,
        Activation::Sin,
        Activation::Cos,
        Activation::Tan,
        Activation::Atan,
        Activation::Asin,
        Activation::Acos,
        Activation::Sinh,
        Activation::Cosh,
        Activation::Asinh,
        Activation::Acosh,
        Activation::Atanh,
        Activation::Sign,
        Activation::Floor,
        Activation::Ceil,
        Activation::Round,
        Activation::Trunc,
        Activation::Positive,
        Activation::NonNegative,
        Activation::IsZero,
    ];

    /// Whether the circuit proves it with a function table.
    pub fn is_tabulated(self) -> bool {
        !matches!(self, Activation::None | Activation::Relu | Activation::Step)
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
            Activation::Softplus => softplus(x),
            Activation::Softsign => x / (1.0 + x.abs()),
            Activation::Mish => x * libm::tanh(softplus(x)),
            Activation::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + libm::tanh(c * (x + 0.044715 * x * x * x)))
            }
            Activation::Log => {
                if x > 0.0 {
                    libm::log(x)
                } else {
                    f64::NEG_INFINITY
                }
            }
            Activation::Sin => libm::sin(x),
            Activation::Cos => libm::cos(x),
            Activation::Tan => libm::tan(x),
            Activation::Atan => libm::atan(x),
            Activation::Asin => libm::asin(x),
            Activation::Acos => libm::acos(x),
            Activation::Sinh => libm::sinh(x),
            Activation::Cosh => libm::cosh(x),
            Activation::Asinh => libm::asinh(x),
            Activation::Acosh => libm::acosh(x),
            Activation::Atanh => libm::atanh(x),
            Activation::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Activation::Floor => libm::floor(x),
            Activation::Ceil => libm::ceil(x),
            Activation::Round => round_half_even(x),
            Activation::Trunc => libm::trunc(x),
            Activation::Positive => f64::from(u8::from(x > 0.0)),
            Activation::NonNegative => f64::from(u8::from(x >= 0.0)),
            Activation::IsZero => f64::from(u8::from(x == 0.0)),
            Activation::Step => f64::from(u8::from(x >= 0.0)),
        }
    }
    /// Whether the function maps every fixed-point input to an exact fixed-point value (a
    /// rounding or a step: the table holds the exact answer, no approximation).
    pub fn is_exact(self) -> bool {
        matches!(
            self,
            Activation::None
                | Activation::Relu
                | Activation::Sign
                | Activation::Floor
                | Activation::Ceil
                | Activation::Round
                | Activation::Trunc
                | Activation::Positive
                | Activation::NonNegative
                | Activation::IsZero
                | Activation::Step
        )
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
            Activation::Softplus => 10,
            Activation::Softsign => 11,
            Activation::Mish => 12,
            Activation::GeluTanh => 13,
            Activation::Log => 14,
            Activation::Sin => 15,
            Activation::Cos => 16,
            Activation::Tan => 17,
            Activation::Atan => 18,
            Activation::Asin => 19,
            Activation::Acos => 20,
            Activation::Sinh => 21,
            Activation::Cosh => 22,
            Activation::Asinh => 23,
            Activation::Acosh => 24,
            Activation::Atanh => 25,
            Activation::Sign => 26,
            Activation::Floor => 27,
            Activation::Ceil => 28,
            Activation::Round => 29,
            Activation::Trunc => 30,
            Activation::Positive => 31,
            Activation::NonNegative => 32,
            Activation::IsZero => 33,
            Activation::Step => 34,
        }
    }
    /// Lower-case name (messages, reports).
    pub fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }
}

/// `ln(1 + e^x)`, without overflow for large `x`.
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else {
        libm::log1p(libm::exp(x))
    }
}

/// Rounds to the nearest integer, halves to even (IEEE `roundeven`, ONNX `Round`).
fn round_half_even(x: f64) -> f64 {
    let r = libm::round(x);
    if (x - libm::trunc(x)).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// Serde for [`crate::quant::Tables`]: a list in [`Activation::TABULATED`] order. Reading
/// accepts a shorter list (an artifact written before later functions were added: they are
/// absent), never a longer one.
pub mod tables_serde {
    use super::Activation;
    use crate::quant::{Domain, Tables};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the tables as a list.
    pub fn serialize<S: Serializer>(t: &Tables, s: S) -> Result<S::Ok, S::Error> {
        t.as_slice().serialize(s)
    }

    /// Reads a list of at most [`Activation::TABULATED`]`.len()` entries.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tables, D::Error> {
        let v: Vec<Option<Domain>> = Vec::deserialize(d)?;
        let mut out: Tables = [None; Activation::TABULATED.len()];
        if v.len() > out.len() {
            return Err(serde::de::Error::custom(format!("{} function tables, at most {} are known", v.len(), out.len())));
        }
        out[..v.len()].copy_from_slice(&v);
        Ok(out)
    }
}
