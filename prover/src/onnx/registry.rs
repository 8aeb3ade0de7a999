//! The one registry mapping ONNX op names to IR ops. `docs/ops.md` (the conformance list) is
//! generated from [`REGISTRY`] by `zkinfer ops --markdown` and checked by a test.

use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, Matrix, Op};

/// What a node lowers to.
#[derive(Debug)]
pub enum Lowered {
    /// An IR op on the activation tensor.
    Op(Op),
    /// Several IR ops in sequence (an ONNX op expressed through simpler ones).
    Ops(Vec<Op>),
    /// A constant (e.g. the `Constant` op); no IR node.
    Const(ConstTensor),
    /// A no-op on the activation tensor (e.g. `Identity`).
    Skip,
    /// A small DAG of IR ops (an ONNX op expressed through several, e.g. Softmax); the last
    /// step's output is the node's output.
    Steps(Vec<Step>),
    /// One op per node output, each on the first activation input (e.g. Split).
    Each(Vec<Op>),
    /// A DAG as [`Lowered::Steps`] whose node has several outputs: per node output, in order,
    /// the step that produces it (e.g. LinearClassifier's label and scores).
    Outputs(Vec<Step>, Vec<usize>),
}

/// One op of a [`Lowered::Steps`] lowering and what it reads.
#[derive(Debug)]
pub struct Step {
    /// The op.
    pub op: Op,
    /// Its inputs, concatenated.
    pub inputs: Vec<Ref>,
}

/// An input of a [`Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    /// The node's first activation input.
    Primary,
    /// The node's `k`-th input (must be an activation).
    Input(usize),
    /// The output of an earlier step.
    Step(usize),
}

impl Step {
    /// `op` on the node's first activation input.
    pub fn unary(op: Op) -> Self {
        Self { op, inputs: vec![Ref::Primary] }
    }
    /// `op` reading the given inputs.
    pub fn new(op: Op, inputs: &[Ref]) -> Self {
        Self { op, inputs: inputs.to_vec() }
    }
    /// Ops applied in sequence to the first activation input.
    pub fn chain(ops: Vec<Op>) -> Vec<Self> {
        ops.into_iter().enumerate().map(|(j, op)| Self { op, inputs: vec![if j == 0 { Ref::Primary } else { Ref::Step(j - 1) }] }).collect()
    }
}

/// One registry entry.
#[derive(Debug)]
pub struct OpEntry {
    /// ONNX op type.
    pub name: &'static str,
    /// Attributes understood; any other attribute is an error.
    pub attributes: &'static [&'static str],
    /// What is covered, for the conformance list.
    pub notes: &'static str,
    /// The lowering.
    pub build: fn(&NodeCtx<'_>) -> Result<Lowered>,
}

/// All supported ONNX ops.
pub const REGISTRY: &[OpEntry] = &[
    OpEntry { name: "Gemm", attributes: &["alpha", "beta", "transA", "transB", "broadcast"], notes: "A = activation [N, K] (transA = 0; N samples), B constant, C constant or an activation; or A constant and B the activation (hummingbird's trees); or A and B both activations (one product per term; C constant or an activation; transA, transB any); alpha, beta, transB any; broadcast (before opset 7)", build: gemm },
    OpEntry { name: "MatMul", attributes: &[], notes: "activation × constant (any leading dims), constant × activation, or activation × activation (batched, broadcast; one product per term: attention)", build: matmul },
    OpEntry { name: "Add", attributes: &["broadcast", "axis"], notes: "activation + constant, or two activations (residual; numpy broadcast); folded into neighbouring layers, no rows", build: add },
    OpEntry { name: "Sub", attributes: &["broadcast", "axis"], notes: "activation − constant, constant − activation, or two activations; folded", build: sub },
    OpEntry { name: "Mul", attributes: &["broadcast", "axis"], notes: "activation × constant (folded), or two activations (broadcast; products)", build: mul },
    OpEntry { name: "Div", attributes: &["broadcast", "axis"], notes: "activation ÷ non-zero constant (folded), or activation ÷ activation (= a · 1/b, reciprocal by table); an integer activation ÷ an integer constant: integer division truncated toward zero, exact (as Mod)", build: div },
    OpEntry { name: "Mod", attributes: &["fmod"], notes: "fmod 0 by constant non-zero integers: the floored division, a floor-table estimate corrected by two steps, so x = c·q + r exactly (|x| < 2^(s+1)); Div by an integer constant truncates the same way", build: super::intdiv::modulo },
    OpEntry { name: "Pow", attributes: &[], notes: "constant scalar exponent 0, 1, an integer 2..=8 (products), 0.5, −1, −0.5 (tables); constant base b > 0: exp(x·ln b)", build: super::binary::pow },
    OpEntry { name: "Split", attributes: &["axis", "split", "num_outputs"], notes: "along any axis, sizes from the split input (opset 13), the attribute (older) or equal parts; one gather per output, no rows", build: super::shape_ops::split },
    OpEntry { name: "Concat", attributes: &["axis"], notes: "activations and constants along any axis; folded as a re-indexing", build: super::binary::concat },
    OpEntry { name: "Softmax", attributes: &["axis"], notes: "opset ≥ 13 semantics (one axis, default −1): max by ReLU tournament, exp table, sum, 1/x table, product", build: super::normalize::softmax },
    OpEntry { name: "LayerNormalization", attributes: &["axis", "epsilon", "stash_type"], notes: "any axis, Scale and optional B; output Y only: mean (linear), variance (products), 1/√ table, product", build: super::normalize::layer_norm },
    OpEntry { name: "InstanceNormalization", attributes: &["epsilon"], notes: "[N, C, ...] over the spatial axes, scale and B per channel (torch's GroupNorm too): as LayerNormalization", build: super::normalize::instance_norm },
    OpEntry { name: "ReduceMean", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "axes as attribute or input (opset 18); linear, folded", build: reduce_mean },
    OpEntry { name: "ReduceSum", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "axes as attribute (opset < 13) or input; linear, folded", build: reduce_sum },
    OpEntry { name: "LogSoftmax", attributes: &["axis"], notes: "opset ≥ 13 semantics (one axis, default −1): (x − max) − ln Σ exp(x − max); max by ReLU tournament, exp and ln tables", build: super::normalize::log_softmax },
    OpEntry { name: "ReduceMax", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "ReLU tournament per group (exact)", build: super::normalize::reduce_max },
    OpEntry { name: "BatchNormalization", attributes: &["epsilon", "momentum", "training_mode", "is_test", "spatial"], notes: "inference form (training_mode = 0; is_test and spatial = 1 of older opsets), per-channel, any batch; folded into the preceding Conv/Gemm", build: batchnorm },
    OpEntry { name: "LSTM", attributes: &["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "input_forget", "layout"], notes: "unrolled over the static sequence (forward, reverse, bidirectional; layout 0 or 1): gates are linear maps and σ/tanh tables, C = f⊙C₋ + i⊙c̃ and H = o⊙tanh(C) products; initial states absent or zero, no peepholes, clip or input_forget; outputs Y, Y_h, Y_c", build: super::recurrent::lstm },
    OpEntry { name: "GRU", attributes: &["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout", "linear_before_reset"], notes: "unrolled like LSTM; linear_before_reset 0 or 1 (torch); H = h̃ + z⊙(H₋ − h̃) by products", build: super::recurrent::gru },
    OpEntry { name: "RNN", attributes: &["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout"], notes: "unrolled; activations Tanh (default), Sigmoid or Relu", build: super::recurrent::rnn },
    OpEntry { name: "ConvTranspose", attributes: &["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"], notes: "1-, 2- or 3-D, constant W and B, groups, strides, dilations, pads, output_padding, output_shape (auto_pad NOTSET or VALID): a linear map", build: super::conv::conv_transpose },
    OpEntry { name: "Conv", attributes: &["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"], notes: "1-, 2- or 3-D, any batch, any group (depthwise included), dilations, strides, pads, auto_pad; constant W and B", build: super::conv::conv },
    OpEntry { name: "AveragePool", attributes: &["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"], notes: "1-, 2- or 3-D, any batch, pads, strides, dilations, ceil_mode, count_include_pad, auto_pad", build: super::conv::average_pool },
    OpEntry { name: "MaxPool", attributes: &["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"], notes: "1-, 2- or 3-D, any batch, pads, strides, dilations, ceil_mode, auto_pad; storage_order 0, no Indices output; proven as a ReLU tournament (exact)", build: super::conv::max_pool },
    OpEntry { name: "GlobalAveragePool", attributes: &[], notes: "mean over the spatial dimensions, any batch", build: super::conv::global_average_pool },
    OpEntry { name: "GlobalMaxPool", attributes: &[], notes: "maximum over the spatial dimensions, any batch (ReLU tournament, exact)", build: super::conv::global_max_pool },
    OpEntry { name: "Relu", attributes: &[], notes: "fused into the preceding layer's rescale", build: |_| activation(Activation::Relu) },
    OpEntry { name: "Sigmoid", attributes: &[], notes: "table lookup on the rescaled value; table range from calibration", build: |_| activation(Activation::Sigmoid) },
    OpEntry { name: "Tanh", attributes: &[], notes: "table lookup on the rescaled value; table range from calibration", build: |_| activation(Activation::Tanh) },
    OpEntry { name: "Exp", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Exp) },
    OpEntry { name: "Erf", attributes: &[], notes: "table lookup (GELU as exported by torch: x · (1 + erf(x/√2)) / 2 uses a product)", build: |_| activation(Activation::Erf) },
    OpEntry { name: "Gelu", attributes: &["approximate"], notes: "opset 20, approximate = \"none\" or \"tanh\"; one table lookup", build: gelu },
    OpEntry { name: "Sqrt", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Sqrt) },
    OpEntry { name: "Reciprocal", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Recip) },
    OpEntry { name: "Softplus", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Softplus) },
    OpEntry { name: "Softsign", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Softsign) },
    OpEntry { name: "Mish", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Mish) },
    OpEntry { name: "Log", attributes: &[], notes: "table lookup; domain 0 to twice the largest calibration input (ln of 0 is the range's lower end)", build: |_| activation(Activation::Log) },
    OpEntry { name: "Sin", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Sin) },
    OpEntry { name: "Cos", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Cos) },
    OpEntry { name: "Tan", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Tan) },
    OpEntry { name: "Atan", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Atan) },
    OpEntry { name: "Asin", attributes: &[], notes: "table lookup; domain from calibration (core ±1)", build: |_| activation(Activation::Asin) },
    OpEntry { name: "Acos", attributes: &[], notes: "table lookup; domain from calibration (core ±1)", build: |_| activation(Activation::Acos) },
    OpEntry { name: "Sinh", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Sinh) },
    OpEntry { name: "Cosh", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Cosh) },
    OpEntry { name: "Asinh", attributes: &[], notes: "table lookup; domain from calibration", build: |_| activation(Activation::Asinh) },
    OpEntry { name: "Acosh", attributes: &[], notes: "table lookup; domain from calibration (core 1..4)", build: |_| activation(Activation::Acosh) },
    OpEntry { name: "Atanh", attributes: &[], notes: "table lookup; domain from calibration (core ±1)", build: |_| activation(Activation::Atanh) },
    OpEntry { name: "Sign", attributes: &[], notes: "exact: a step table (−1, 0, 1)", build: |_| activation(Activation::Sign) },
    OpEntry { name: "Floor", attributes: &[], notes: "exact: a rounding table", build: |_| activation(Activation::Floor) },
    OpEntry { name: "Ceil", attributes: &[], notes: "exact: a rounding table", build: |_| activation(Activation::Ceil) },
    OpEntry { name: "Round", attributes: &[], notes: "exact: a rounding table (halves to even)", build: |_| activation(Activation::Round) },
    OpEntry { name: "Abs", attributes: &[], notes: "exact: 2·relu(x) − x", build: super::elementwise::abs },
    OpEntry { name: "Neg", attributes: &[], notes: "−x; folded", build: super::elementwise::neg },
    OpEntry { name: "LeakyRelu", attributes: &["alpha"], notes: "exact: α·x + (1 − α)·relu(x)", build: super::elementwise::leaky_relu },
    OpEntry { name: "PRelu", attributes: &[], notes: "constant slope (numpy broadcast to X); exact: s·x + (1 − s)·relu(x)", build: super::elementwise::prelu },
    OpEntry { name: "Elu", attributes: &["alpha"], notes: "relu(x) + α·(exp(min(x, 0)) − 1): ReLU exact, exp table", build: super::elementwise::elu },
    OpEntry { name: "Selu", attributes: &["alpha", "gamma"], notes: "γ·(relu(x) + α·(exp(min(x, 0)) − 1)): ReLU exact, exp table", build: super::elementwise::selu },
    OpEntry { name: "Celu", attributes: &["alpha"], notes: "relu(x) + α·(exp(min(x, 0)/α) − 1): ReLU exact, exp table", build: super::elementwise::celu },
    OpEntry { name: "HardSigmoid", attributes: &["alpha", "beta"], notes: "exact: clip(α·x + β, 0, 1) by two ReLUs", build: super::elementwise::hard_sigmoid },
    OpEntry { name: "HardSwish", attributes: &[], notes: "x · clip(x/6 + 1/2, 0, 1): exact clip, one product", build: super::elementwise::hard_swish },
    OpEntry { name: "ThresholdedRelu", attributes: &["alpha"], notes: "x · [x > α]: a step (the sign bit of the range), one product", build: super::elementwise::thresholded_relu },
    OpEntry { name: "Shrink", attributes: &["bias", "lambd"], notes: "(x − b)·[x > λ] + (x + b)·[−x > λ]: steps (sign bits), products", build: super::elementwise::shrink },
    OpEntry { name: "Max", attributes: &[], notes: "any number of activations and constants (numpy broadcast): pairwise a + relu(b − a), exact; constants fold", build: |c| super::elementwise::max_min(c, true) },
    OpEntry { name: "Min", attributes: &[], notes: "any number of activations and constants (numpy broadcast): pairwise a − relu(a − b), exact; constants fold", build: |c| super::elementwise::max_min(c, false) },
    OpEntry { name: "Greater", attributes: &[], notes: "activations or constants (broadcast): step [a − b > 0] (the sign bit of the range: exact 0/1 over any range); constants fold", build: super::elementwise::greater },
    OpEntry { name: "Less", attributes: &[], notes: "activations or constants (broadcast): step [b − a > 0] (the sign bit of the range: exact 0/1 over any range); constants fold", build: super::elementwise::less },
    OpEntry { name: "GreaterOrEqual", attributes: &[], notes: "activations or constants (broadcast): step [a − b ≥ 0] (the sign bit of the range: exact 0/1 over any range); constants fold", build: super::elementwise::greater_or_equal },
    OpEntry { name: "LessOrEqual", attributes: &[], notes: "activations or constants (broadcast): step [b − a ≥ 0] (the sign bit of the range: exact 0/1 over any range); constants fold", build: super::elementwise::less_or_equal },
    OpEntry { name: "Equal", attributes: &[], notes: "activations or constants (broadcast): is-zero table [a − b = 0] (exact 0/1, on the fixed-point values); constants fold", build: super::elementwise::equal },
    OpEntry { name: "Not", attributes: &[], notes: "1 − x of a 0/1 value; folded", build: super::elementwise::not },
    OpEntry { name: "And", attributes: &[], notes: "a·b of 0/1 values (a product; linear with a constant)", build: super::elementwise::and },
    OpEntry { name: "Or", attributes: &[], notes: "a + b − a·b of 0/1 values", build: super::elementwise::or },
    OpEntry { name: "Xor", attributes: &[], notes: "a + b − 2·a·b of 0/1 values", build: super::elementwise::xor },
    OpEntry { name: "Where", attributes: &[], notes: "y + c·(x − y) for a 0/1 condition (a product); a constant condition selects statically; constants fold", build: super::elementwise::where_ },
    OpEntry { name: "Clip", attributes: &["min", "max"], notes: "constant bounds (inputs, or attributes before opset 11); exact: hi − relu((hi − lo) − relu(x − lo))", build: clip },
    OpEntry { name: "Flatten", attributes: &["axis"], notes: "shape only", build: flatten },
    OpEntry { name: "Reshape", attributes: &["allowzero"], notes: "constant shape input; shape only", build: reshape },
    OpEntry { name: "Transpose", attributes: &["perm"], notes: "any permutation (default: reversed axes); folded as a re-indexing, no rows", build: super::shape_ops::transpose },
    OpEntry { name: "Slice", attributes: &["starts", "ends", "axes"], notes: "constant starts/ends/axes/steps (negative steps reverse); folded as a re-indexing", build: super::shape_ops::slice },
    OpEntry { name: "Resize", attributes: &["mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value", "antialias", "axes", "keep_aspect_ratio_policy"], notes: "constant scales or sizes; nearest (a gather, no rows) or linear (constant weights, a linear map); half_pixel, pytorch_half_pixel, align_corners, asymmetric; every nearest_mode", build: super::resize::resize },
    OpEntry { name: "Upsample", attributes: &["mode", "scales"], notes: "as Resize (asymmetric, floor)", build: super::resize::resize },
    OpEntry { name: "Pad", attributes: &["mode", "pads", "value"], notes: "constant pads, value and axes; constant, reflect, edge or wrap (negative pads crop); a gather with constants, no rows", build: super::shape_ops::pad },
    OpEntry { name: "Trilu", attributes: &["upper"], notes: "constant k; the other triangle is 0; a gather with constants, no rows", build: super::shape_ops::trilu },
    OpEntry { name: "ScatterElements", attributes: &["axis", "reduction"], notes: "constant indices, reduction none or add: one linear map over the activation operands (data and/or updates; constants fold into its bias)", build: super::scatter::scatter_elements },
    OpEntry { name: "ScatterND", attributes: &["reduction"], notes: "constant indices, reduction none or add: one linear map, as ScatterElements", build: super::scatter::scatter_nd },
    OpEntry { name: "GatherND", attributes: &["batch_dims"], notes: "constant indices, batch_dims 0: a gather, no rows", build: super::scatter::gather_nd },
    OpEntry { name: "OneHot", attributes: &["axis"], notes: "constant indices: a constant; computed indices: off + (on − off)·[i = k] by exact zero tests", build: super::scatter::one_hot },
    OpEntry { name: "GatherElements", attributes: &["axis"], notes: "constant indices (negative allowed); folded as a re-indexing; computed indices (an activation): a one-hot of exact zero tests per index, then a linear map of constant data or products with activation data (an index outside [0, d) selects 0)", build: super::shape_ops::gather_elements },
    OpEntry { name: "CumSum", attributes: &["exclusive", "reverse"], notes: "constant axis; running sums, a linear map", build: super::reduce::cum_sum },
    OpEntry { name: "Gather", attributes: &["axis"], notes: "constant indices (negative allowed); folded as a re-indexing; computed indices (an activation): a one-hot of exact zero tests per index, then a linear map of constant data or products with activation data (an index outside [0, d) selects 0)", build: super::shape_ops::gather },
    OpEntry { name: "Squeeze", attributes: &["axes"], notes: "axes as input (opset 13) or attribute; shape only", build: super::shape_ops::squeeze },
    OpEntry { name: "Unsqueeze", attributes: &["axes"], notes: "axes as input (opset 13) or attribute; shape only", build: super::shape_ops::unsqueeze },
    OpEntry { name: "Cast", attributes: &["to", "saturate"], notes: "of a constant (any numeric type); of the activation to float (no-op), to an integer type (truncation toward zero: exact rounding table) or to bool (x ≠ 0: exact is-zero table)", build: super::shape_ops::cast },
    OpEntry { name: "Expand", attributes: &[], notes: "of the activation to a constant shape (numpy broadcast; the shape may come from Shape/Concat, folded); a gather, no rows", build: super::shape_ops::expand },
    OpEntry { name: "Tile", attributes: &[], notes: "of the activation by constant repeats; a gather, no rows", build: super::shape_ops::tile },
    OpEntry { name: "Shape", attributes: &["start", "end"], notes: "evaluated at compile time (shapes are static)", build: super::shape_ops::folded_only },
    OpEntry { name: "Size", attributes: &[], notes: "evaluated at compile time", build: super::shape_ops::folded_only },
    OpEntry { name: "ConstantOfShape", attributes: &["value"], notes: "of a constant or static shape: evaluated at compile time", build: super::shape_ops::folded_only },
    OpEntry { name: "Range", attributes: &[], notes: "of constants: evaluated at compile time", build: super::shape_ops::folded_only },
    OpEntry { name: "Loop", attributes: &["body"], notes: "a trip count and conditions known at compile time (tf2onnx's LSTM, torch's loops): the loader unrolls the body once per iteration (loop-carried values, scan outputs stacked on a new first axis); a condition computed from the input, or a subgraph inside the body, is refused", build: |c| Err(c.error("internal: Loop is unrolled by the loader")) },
    OpEntry { name: "If", attributes: &["else_branch", "then_branch"], notes: "a condition known at compile time (torch's shape checks): the loader inlines the branch taken (its nodes and initializers, reading outer tensors); a computed condition: both branches inlined (renamed apart) and each output a Where of the condition (both proven, the selection a product)", build: |c| Err(c.error("internal: If is inlined by the loader")) },
    OpEntry { name: "Identity", attributes: &[], notes: "no-op", build: identity },
    OpEntry { name: "Einsum", attributes: &["equation"], notes: "one or two operands, no ellipsis (explicit or implicit output, diagonals, sums): with one activation a linear map, with two a sum of products", build: super::einsum::einsum },
    OpEntry { name: "TopK", attributes: &["axis", "largest", "sorted"], notes: "constant K: one tournament of exact comparisons per group gives every rank, the one-hot of each rank below K (zero tests), the values by products and the indices linearly; ties to the lower index; always sorted", build: super::select::topk },
    OpEntry { name: "ArgMax", attributes: &["axis", "keepdims", "select_last_index"], notes: "one-hot of the maximum by exact comparisons (a step per pair: the sign bit of the range; a count of wins, an is-zero table), then the index (linear); ties to the first (or last) index", build: |c| super::select::arg(c, false) },
    OpEntry { name: "ArgMin", attributes: &["axis", "keepdims", "select_last_index"], notes: "as ArgMax on the negated differences", build: |c| super::select::arg(c, true) },
    OpEntry { name: "Hardmax", attributes: &["axis"], notes: "opset ≥ 13 semantics (one axis, default −1): the one-hot of the first maximum, exact (as ArgMax)", build: super::select::hardmax },
    OpEntry { name: "ReduceMin", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "−max(−x): ReLU tournament (exact)", build: super::reduce::reduce_min },
    OpEntry { name: "ReduceSumSquare", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "Σ x²: products", build: super::reduce::reduce_sum_square },
    OpEntry { name: "ReduceL1", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "Σ |x| with |x| = 2·relu(x) − x (exact)", build: super::reduce::reduce_l1 },
    OpEntry { name: "ReduceL2", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "√Σ x²: products, √ table", build: super::reduce::reduce_l2 },
    OpEntry { name: "ReduceLogSumExp", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "m + ln Σ exp(x − m), m = max x: ReLU tournament, exp and ln tables", build: super::reduce::reduce_log_sum_exp },
    OpEntry { name: "ReduceProd", attributes: &["axes", "keepdims", "noop_with_empty_axes"], notes: "a chain of products, at most 16 values per output", build: super::reduce::reduce_prod },
    OpEntry { name: "Sum", attributes: &[], notes: "any number of activations and constants (numpy broadcast); linear, folded", build: |c| super::elementwise::sum_mean(c, false) },
    OpEntry { name: "Mean", attributes: &[], notes: "any number of activations and constants (numpy broadcast); linear, folded", build: |c| super::elementwise::sum_mean(c, true) },
    OpEntry { name: "ai.onnx.ml.Scaler", attributes: &["offset", "scale"], notes: "(x − offset) · scale per feature; folded", build: super::ml::scaler },
    OpEntry { name: "ai.onnx.ml.Binarizer", attributes: &["threshold"], notes: "[x > threshold]: a step (the sign bit of the range: exact)", build: super::ml::binarizer },
    OpEntry { name: "ai.onnx.ml.Normalizer", attributes: &["norm"], notes: "per row, x / max|x| (MAX), x / Σ|x| (L1) or x / √Σx² (L2): exact |x|, 1/x or 1/√x table, products", build: super::ml::normalizer },
    OpEntry { name: "ai.onnx.ml.ArrayFeatureExtractor", attributes: &[], notes: "constant indices on the last axis; a gather, no rows; computed indices (an activation): a one-hot of exact zero tests per index, then a linear map of constant data or products with activation data (an index outside [0, d) selects 0)", build: super::ml::array_feature_extractor },
    OpEntry { name: "ai.onnx.ml.ZipMap", attributes: &["classlabels_int64s", "classlabels_strings"], notes: "the probabilities in class order (the map's values); no rows", build: super::ml::zip_map },
    OpEntry { name: "ai.onnx.ml.LinearRegressor", attributes: &["coefficients", "intercepts", "targets", "post_transform"], notes: "X · coefficientsᵀ + intercepts, any targets, post_transform NONE; linear", build: super::ml::linear_regressor },
    OpEntry { name: "ai.onnx.ml.LinearClassifier", attributes: &["coefficients", "intercepts", "classlabels_ints", "classlabels_strings", "multi_class", "post_transform"], notes: "integer labels; outputs the label (class of the first maximum of the raw scores: exact comparisons, as ArgMax) and the scores, post_transform NONE, LOGISTIC (table) or SOFTMAX; one model for two classes scores [−s, s]", build: super::ml::linear_classifier },
    OpEntry { name: "ai.onnx.ml.SVMClassifier", attributes: &["classlabels_ints", "classlabels_strings", "coefficients", "kernel_params", "kernel_type", "post_transform", "prob_a", "prob_b", "rho", "support_vectors", "vectors_per_class"], notes: "one-vs-one over support vectors (skl2onnx's SVC; LINEAR, RBF or SIGMOID kernel): decision values linear in the kernels, votes by steps, the label of the most votes by exact comparisons; scores are the decision values; integer labels, post_transform NONE, no probability estimates (prob_a/prob_b)", build: super::svm::classifier },
    OpEntry { name: "ai.onnx.ml.SVMRegressor", attributes: &["coefficients", "kernel_params", "kernel_type", "n_targets", "n_supports", "one_class", "post_transform", "rho", "support_vectors"], notes: "one target, post_transform NONE; LINEAR (folded to one linear map), RBF (differences, squares by products, exp table, weighted sum) or SIGMOID (tanh table); one_class: ±1 by a step (sign bit)", build: super::svm::regressor },
    OpEntry { name: "ai.onnx.ml.TreeEnsembleRegressor", attributes: &["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_hitrates", "target_treeids", "target_nodeids", "target_ids", "target_weights", "n_targets", "base_values", "aggregate_function", "post_transform"], notes: "exact: every distinct split one step-table bit, a leaf the zero test of its path's conditions, the scores linear in the leaf bits; BRANCH_LEQ/LT/GTE/GT, aggregate SUM or AVERAGE, post_transform NONE", build: super::trees::regressor },
    OpEntry { name: "ai.onnx.ml.TreeEnsembleClassifier", attributes: &["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_hitrates", "class_treeids", "class_nodeids", "class_ids", "class_weights", "classlabels_int64s", "base_values", "post_transform"], notes: "integer labels; the splits and leaves as TreeEnsembleRegressor; outputs the label (first maximum of the raw scores, exact) and the scores (NONE, LOGISTIC or SOFTMAX); one scored class of two gives [1 − s, s] (NONE) or [−s, s]", build: super::trees::classifier },
    OpEntry { name: "Constant", attributes: &["value"], notes: "tensor `value` attribute", build: constant },
];

/// The ONNX-ML domain; its ops are registered as `ai.onnx.ml.NAME`.
pub const ML_DOMAIN: &str = "ai.onnx.ml";

/// Finds the entry for an op type (`ai.onnx.ml.NAME` for the ONNX-ML domain).
pub fn lookup(op: &str) -> Option<&'static OpEntry> {
    REGISTRY.iter().find(|e| e.name == op)
}

/// Names of all supported ops.
pub fn supported_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

/// The conformance list as Markdown.
pub fn conformance_markdown() -> String {
    let mut s = String::from(
        "# Supported ONNX ops\n\nGenerated from `prover/src/onnx/registry.rs` by `zkinfer ops --markdown`; a test keeps it current.\nAny other op, or any attribute not listed, is an error naming the node, the op and the attribute.\n\n| op | attributes | notes |\n|---|---|---|\n",
    );
    for e in REGISTRY {
        let attrs = if e.attributes.is_empty() { "—".to_string() } else { e.attributes.join(", ") };
        s.push_str(&format!("| {} | {} | {} |\n", e.name, attrs, e.notes));
    }
    s
}

fn matrix(ctx: &NodeCtx<'_>, t: &ConstTensor, what: &str) -> Result<Matrix> {
    match t.shape.as_slice() {
        [r, c] => Matrix::new(*r, *c, t.data.clone()).ok_or_else(|| ctx.error(format!("{what}: bad data length"))),
        s => Err(ctx.error(format!("{what} must be a 2-D constant, has shape {s:?}"))),
    }
}

/// Expands a constant to `target` by numpy broadcasting (dimensions right-aligned, each 1 or
/// equal; extra leading dimensions of 1, such as a batch dimension, are allowed).
pub(super) fn broadcast(ctx: &NodeCtx<'_>, t: &ConstTensor, target: &[usize], what: &str) -> Result<Vec<f32>> {
    let n: usize = target.iter().product();
    if t.data.len() == 1 {
        return Ok(vec![t.data[0]; n]);
    }
    let idx = broadcast_index(&t.shape, target)
        .ok_or_else(|| ctx.error(format!("{what} of shape {:?} does not broadcast to the activation shape {target:?}", t.shape)))?;
    Ok(idx.into_iter().map(|i| t.data[i]).collect())
}

/// The numpy broadcast shape of two shapes, if they broadcast.
pub(super) fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() >= n { s[i + s.len() - n] } else { 1 };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect()
}

/// For every flat index of `target`, the flat index of `shape` it reads under numpy
/// broadcasting (dimensions right-aligned, each 1 or equal; extra leading 1s allowed).
pub(super) fn broadcast_index(shape: &[usize], target: &[usize]) -> Option<Vec<usize>> {
    let n: usize = target.iter().product();
    let mut c: &[usize] = shape;
    while c.len() > target.len() && c[0] == 1 {
        c = &c[1..];
    }
    if c.len() > target.len() {
        return None;
    }
    let offset = target.len() - c.len();
    if c.iter().zip(&target[offset..]).any(|(a, b)| *a != 1 && a != b) {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for flat in 0..n {
        // Multi-index of `flat` in `target`, mapped into the constant.
        let (mut rem, mut src, mut stride) = (flat, 0usize, 1usize);
        for (i, &dim) in target.iter().enumerate().rev() {
            let idx = rem % dim;
            rem /= dim;
            if i >= offset {
                let cd = c[i - offset];
                if cd != 1 {
                    src += idx * stride;
                }
                stride *= cd;
            }
        }
        out.push(src);
    }
    Some(out)
}

fn gemm(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.is_activation(0) && ctx.is_activation(1) {
        return super::binary::gemm_products(ctx);
    }
    if !ctx.is_activation(0) {
        if ctx.is_activation(1) {
            return gemm_const_a(ctx);
        }
        return Err(ctx.error("input A or B must be the activation tensor"));
    }
    if ctx.attr_int("transA", 0) != 0 {
        return Err(ctx.error("attribute 'transA' = 1 is not supported"));
    }
    let alpha = ctx.attr_float("alpha", 1.0);
    let beta = ctx.attr_float("beta", 1.0);
    let b = matrix(ctx, ctx.const_input(1)?, "input B")?;
    // weight is out × in
    let mut weight = if ctx.attr_int("transB", 0) != 0 { b } else { b.transposed() };
    weight.data.iter_mut().for_each(|w| *w *= alpha);
    let [n, k_in] = *ctx.shape else {
        return Err(ctx.error(format!("input A must be [N, K], has shape {:?}", ctx.shape)));
    };
    if weight.cols != k_in {
        return Err(ctx.error(format!("input B expects {} inputs, the activation has {k_in} per sample (shape {:?})", weight.cols, ctx.shape)));
    }
    let k = weight.cols;
    // C broadcasts to [N, M] (one row per sample, or per-sample biases); an activation C (a
    // recurrent state's contribution) is a second operand of the same linear map.
    if ctx.is_activation(2) {
        return gemm_activation_c(ctx, &weight, n, beta);
    }
    let bias: Vec<f32> = if ctx.node.input.get(2).is_some_and(|x| !x.is_empty()) {
        broadcast(ctx, ctx.const_input(2)?, &[n, weight.rows], "input C")?.into_iter().map(|v| v * beta).collect()
    } else {
        vec![0.0; n * weight.rows]
    };
    let outputs = ctx.output_values(&[n, weight.rows])?;
    ctx.check_terms(outputs.checked_mul(k))?;
    let mut rows = Vec::with_capacity(outputs);
    for r in 0..n {
        for o in 0..weight.rows {
            rows.push((0..k).map(|i| (r * k + i, weight.at(o, i))).collect());
        }
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, rows, bias, out_shape: vec![n, weight.rows] })))
}

/// `Gemm` of the activation A (`[n, K]`), constant B (`weight`, out × in) and an activation C:
/// one linear map over A and C, `Y[r, o] = Σ_i W[o, i]·A[r, i] + beta·C[r, o]` (C broadcast).
fn gemm_activation_c(ctx: &NodeCtx<'_>, weight: &Matrix, n: usize, beta: f32) -> Result<Lowered> {
    let (k, m) = (weight.cols, weight.rows);
    ctx.check_terms(ctx.output_values(&[n, m])?.checked_mul(k + 1))?;
    let row = |o: usize| (0..k).map(|i| ((o / m) * k + i, weight.at(o % m, i))).collect();
    let step = super::binary::plus_activation_c(ctx, n * k, [n, m], beta, Ref::Input(0), row)?;
    Ok(Lowered::Steps(vec![step]))
}

/// `Gemm` of a constant A and the activation B (hummingbird's trees: `A · Xᵀ`):
/// `Y[i, j] = alpha · Σ_k A'[i, k] · B'[k, j] + beta · C[i, j]`, a linear map of B.
fn gemm_const_a(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let a = matrix(ctx, ctx.const_input(0)?, "input A")?;
    let a = if ctx.attr_int("transA", 0) != 0 { a.transposed() } else { a };
    let (alpha, beta) = (ctx.attr_float("alpha", 1.0), ctx.attr_float("beta", 1.0));
    let sb = ctx.act_shape(1)?.to_vec();
    let [r, c] = sb[..] else {
        return Err(ctx.error(format!("input B must be [K, N], has shape {sb:?}")));
    };
    let trans_b = ctx.attr_int("transB", 0) != 0;
    let (k, n) = if trans_b { (c, r) } else { (r, c) };
    if a.cols != k {
        return Err(ctx.error(format!("input A has {} columns, input B {k} rows", a.cols)));
    }
    let m = a.rows;
    let outputs = ctx.output_values(&[m, n])?;
    ctx.check_terms(outputs.checked_mul(k))?;
    let bias: Vec<f32> = if ctx.node.input.get(2).is_some_and(|x| !x.is_empty()) {
        broadcast(ctx, ctx.const_input(2)?, &[m, n], "input C")?.into_iter().map(|v| v * beta).collect()
    } else {
        vec![0.0; outputs]
    };
    let at = |t: usize, j: usize| if trans_b { j * k + t } else { t * n + j };
    let mut rows = Vec::with_capacity(outputs);
    for i in 0..m {
        for j in 0..n {
            rows.push((0..k).map(|t| (at(t, j), alpha * a.at(i, t))).filter(|(_, w)| *w != 0.0).collect());
        }
    }
    let map = LinearMap { inputs: r * c, rows, bias, out_shape: vec![m, n] };
    Ok(Lowered::Steps(vec![Step::new(Op::Linear(map), &[Ref::Input(1)])]))
}

fn matmul(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    match (ctx.is_activation(0), ctx.is_activation(1)) {
        (true, true) => return super::binary::matmul(ctx),
        (false, true) => return super::binary::matmul_const_left(ctx),
        (true, false) => {}
        (false, false) => return Err(ctx.error("neither input is an activation")),
    }
    // weight: out × in; A is [..., in]: every leading index is its own row of the product.
    let weight = matrix(ctx, ctx.const_input(1)?, "input B")?.transposed();
    let k = *ctx.shape.last().ok_or_else(|| ctx.error("input A is a scalar"))?;
    if weight.cols != k {
        return Err(ctx.error(format!("input B expects {} inputs, the activation's last dimension is {k}", weight.cols)));
    }
    let lead = ctx.width / k.max(1);
    let mut out_shape = ctx.shape[..ctx.shape.len() - 1].to_vec();
    out_shape.push(weight.rows);
    let outputs = ctx.output_values(&out_shape)?;
    ctx.check_terms(outputs.checked_mul(k))?;
    let mut rows = Vec::with_capacity(outputs);
    for r in 0..lead {
        for o in 0..weight.rows {
            rows.push((0..k).map(|i| (r * k + i, weight.at(o, i))).collect());
        }
    }
    Ok(Lowered::Op(Op::Linear(LinearMap { inputs: ctx.width, bias: vec![0.0; rows.len()], rows, out_shape })))
}

/// The constant operand of a binary element-wise op and the activation, both broadcast to the
/// output's shape (the activation's, or larger when the constant has more or wider dimensions:
/// then the activation is gathered to it, no rows).
struct ConstOperand {
    /// The constant at every output position.
    c: Vec<f32>,
    /// Whether the activation is the first operand.
    act_first: bool,
    /// Per output position, the activation value it reads.
    src: Vec<usize>,
    /// The output's shape.
    shape: Vec<usize>,
}

impl ConstOperand {
    /// `x[src] · scale + shift` at the output's shape.
    fn affine(&self, ctx: &NodeCtx<'_>, scale: Vec<f32>, shift: Vec<f32>) -> Lowered {
        Lowered::Op(Op::Affine(AffineMap { inputs: ctx.width, src: self.src.clone(), scale, shift }, self.shape.clone()))
    }
}

fn binary_const(ctx: &NodeCtx<'_>) -> Result<ConstOperand> {
    let (const_idx, act_first) = match (ctx.is_activation(0), ctx.is_activation(1)) {
        (true, false) => (1, true),
        (false, true) => (0, false),
        _ => return Err(ctx.error("exactly one input must be the activation tensor and the other a constant")),
    };
    let c = ctx.const_input(const_idx)?;
    let same = |c: Vec<f32>| ConstOperand { c, act_first, src: (0..ctx.width).collect(), shape: ctx.shape.to_vec() };
    // Before opset 7, `broadcast = 1` with `axis` aligns the constant's dimensions at `axis`
    // (trailing 1s make numpy's right alignment do the same).
    if ctx.attr_int("broadcast", 0) != 0 {
        if let Some(a) = ctx.attr("axis").map(|a| a.i) {
            let rank = ctx.shape.len();
            let ax = super::shape_ops::axis(ctx, a, rank)?;
            let trailing = rank.saturating_sub(ax + c.shape.len());
            let mut aligned = c.clone();
            aligned.shape.extend(std::iter::repeat_n(1, trailing));
            return Ok(same(broadcast(ctx, &aligned, ctx.shape, "constant")?));
        }
    }
    if c.data.len() == 1 || broadcast_index(&c.shape, ctx.shape).is_some() {
        return Ok(same(broadcast(ctx, c, ctx.shape, "constant")?));
    }
    // The constant is the larger operand (GaussianNB's per-class means against one sample).
    let shape = broadcast_shape(ctx.shape, &c.shape)
        .ok_or_else(|| ctx.error(format!("constant of shape {:?} and the activation of shape {:?} do not broadcast", c.shape, ctx.shape)))?;
    ctx.output_values(&shape)?;
    let src = broadcast_index(ctx.shape, &shape).ok_or_else(|| ctx.error(format!("the activation of shape {:?} does not broadcast to {shape:?}", ctx.shape)))?;
    Ok(ConstOperand { c: broadcast(ctx, c, &shape, "constant")?, act_first, src, shape })
}

/// Whether both inputs of a binary op are activations.
fn both_activations(ctx: &NodeCtx<'_>) -> bool {
    ctx.is_activation(0) && ctx.is_activation(1)
}

fn add(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if both_activations(ctx) {
        return super::binary::add_sub(ctx, 1.0);
    }
    let k = binary_const(ctx)?;
    Ok(k.affine(ctx, vec![1.0; k.c.len()], k.c.clone()))
}

fn sub(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if both_activations(ctx) {
        return super::binary::add_sub(ctx, -1.0);
    }
    let k = binary_const(ctx)?;
    let n = k.c.len();
    Ok(if k.act_first { k.affine(ctx, vec![1.0; n], k.c.iter().map(|v| -v).collect()) } else { k.affine(ctx, vec![-1.0; n], k.c.clone()) })
}

fn mul(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if both_activations(ctx) {
        return super::binary::mul(ctx);
    }
    let k = binary_const(ctx)?;
    Ok(k.affine(ctx, k.c.clone(), vec![0.0; k.c.len()]))
}

fn div(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if both_activations(ctx) {
        return super::binary::div(ctx);
    }
    // An integer divisor: integer division, truncated (the activation is then integer too).
    if ctx.is_activation(0) && ctx.const_input(1).is_ok_and(|c| c.integer) {
        return super::intdiv::truncating_div(ctx);
    }
    let k = binary_const(ctx)?;
    if !k.act_first {
        return Err(ctx.error("constant ÷ activation is not supported (only division by a constant)"));
    }
    if k.c.iter().any(|v| *v == 0.0 || !v.is_finite()) {
        return Err(ctx.error("division by zero or a non-finite constant"));
    }
    Ok(k.affine(ctx, k.c.iter().map(|v| 1.0 / v).collect(), vec![0.0; k.c.len()]))
}

fn batchnorm(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.attr_int("training_mode", 0) != 0 {
        return Err(ctx.error("attribute 'training_mode' = 1 is not supported (inference only)"));
    }
    if !ctx.is_activation(0) {
        return Err(ctx.error("input X must be the activation tensor"));
    }
    let eps = ctx.attr_float("epsilon", 1e-5);
    let (n, channels) = match ctx.shape {
        [n, c, ..] => (*n, *c),
        s => return Err(ctx.error(format!("input X must be [N, C, ...], has shape {s:?}"))),
    };
    if ctx.attr("spatial").is_some_and(|a| a.i == 0) {
        return Err(ctx.error("attribute 'spatial' = 0 (per-activation statistics) is not supported"));
    }
    let per_channel = |i: usize, what: &str| -> Result<Vec<f32>> {
        let t = ctx.const_input(i)?;
        if t.data.len() != channels {
            return Err(ctx.error(format!("{what} has {} values, the activation has {channels} channels", t.data.len())));
        }
        Ok(t.data.clone())
    };
    let (gamma, beta, mean, var) = (per_channel(1, "scale")?, per_channel(2, "B")?, per_channel(3, "input_mean")?, per_channel(4, "input_var")?);
    let spatial = ctx.width / channels.max(1) / n.max(1);
    let mut scale = Vec::with_capacity(ctx.width);
    let mut shift = Vec::with_capacity(ctx.width);
    for _ in 0..n {
        for c in 0..channels {
            let s = gamma[c] / (var[c] + eps).sqrt();
            let t = beta[c] - mean[c] * s;
            scale.extend(std::iter::repeat_n(s, spatial));
            shift.extend(std::iter::repeat_n(t, spatial));
        }
    }
    Ok(Lowered::Op(Op::Affine(AffineMap::elementwise(scale, shift), ctx.shape.to_vec())))
}

/// An element-wise activation on the first activation input.
fn activation(a: Activation) -> Result<Lowered> {
    Ok(Lowered::Op(Op::Act(a)))
}

fn gelu(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    match ctx.attr("approximate").map(|a| String::from_utf8_lossy(&a.s).into_owned()) {
        None => Ok(Lowered::Op(Op::Act(Activation::Gelu))),
        Some(s) if s == "none" => Ok(Lowered::Op(Op::Act(Activation::Gelu))),
        Some(s) if s == "tanh" => Ok(Lowered::Op(Op::Act(Activation::GeluTanh))),
        Some(s) => Err(ctx.error(format!("attribute 'approximate' = \"{s}\" is not supported (\"none\" or \"tanh\")"))),
    }
}

fn reduce_mean(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    super::normalize::reduce_linear(ctx, true)
}

fn reduce_sum(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    super::normalize::reduce_linear(ctx, false)
}

fn clip(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if !ctx.is_activation(0) {
        return Err(ctx.error("input must be the activation tensor"));
    }
    let bound = |input: usize, attr: &str| -> Result<Option<f32>> {
        if ctx.node.input.get(input).is_some_and(|n| !n.is_empty()) {
            let t = ctx.const_input(input)?;
            match t.data.as_slice() {
                [v] => Ok(Some(*v)),
                _ => Err(ctx.error(format!("input {input} must be a scalar constant"))),
            }
        } else {
            Ok(ctx.attr(attr).map(|a| a.f))
        }
    };
    let (lo, hi) = (bound(1, "min")?, bound(2, "max")?);
    let n = ctx.width;
    let affine = |scale: f32, shift: f32| Op::Affine(AffineMap::elementwise(vec![scale; n], vec![shift; n]), ctx.shape.to_vec());
    let ops = match (lo, hi) {
        (Some(lo), Some(hi)) if lo > hi => return Err(ctx.error(format!("min {lo} > max {hi}"))),
        // max(x, lo) = lo + relu(x − lo); min(y, hi) = hi − relu(hi − y)
        (Some(lo), Some(hi)) => vec![affine(1.0, -lo), Op::Act(Activation::Relu), affine(-1.0, hi - lo), Op::Act(Activation::Relu), affine(-1.0, hi)],
        (Some(lo), None) => vec![affine(1.0, -lo), Op::Act(Activation::Relu), affine(1.0, lo)],
        (None, Some(hi)) => vec![affine(-1.0, hi), Op::Act(Activation::Relu), affine(-1.0, hi)],
        (None, None) => return Ok(Lowered::Skip),
    };
    Ok(Lowered::Ops(ops))
}

fn flatten(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let axis = super::shape_ops::axis(ctx, ctx.attr_int("axis", 1), ctx.shape.len() + 1)?;
    let outer: usize = ctx.shape[..axis].iter().product();
    Ok(Lowered::Op(Op::Reshape(vec![outer, ctx.width / outer.max(1)])))
}

fn reshape(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.attr_int("allowzero", 0) != 0 {
        return Err(ctx.error("attribute 'allowzero' = 1 is not supported"));
    }
    let spec = ctx.const_input(1)?;
    if spec.data.len() > crate::limits::MAX_RANK {
        return Err(ctx.error(format!("the shape has {} entries, more than {}", spec.data.len(), crate::limits::MAX_RANK)));
    }
    let mut dims: Vec<Option<usize>> = Vec::with_capacity(spec.data.len());
    for (i, &d) in spec.data.iter().enumerate() {
        dims.push(match d as i64 {
            -1 => None,
            // 0 copies the input's dimension at the same index.
            0 => Some(*ctx.shape.get(i).ok_or_else(|| ctx.error(format!("shape entry {i} is 0 but the input has rank {}", ctx.shape.len())))?),
            // No entry is larger than the input's number of values.
            d if d > 0 && d as u64 <= ctx.width as u64 => Some(d as usize),
            d => return Err(ctx.error(format!("invalid shape entry {d} (the input has {} values)", ctx.width))),
        });
    }
    if dims.iter().filter(|d| d.is_none()).count() > 1 {
        return Err(ctx.error("more than one -1 in the shape"));
    }
    let known_dims: Vec<usize> = dims.iter().flatten().copied().collect();
    let known = crate::limits::volume(&known_dims, ctx.width)
        .ok_or_else(|| ctx.error(format!("cannot reshape {:?} ({} values) to a shape of more values", ctx.shape, ctx.width)))?;
    let shape: Vec<usize> = dims.iter().map(|d| d.unwrap_or(ctx.width / known.max(1))).collect();
    if shape.iter().product::<usize>() != ctx.width {
        return Err(ctx.error(format!("cannot reshape {:?} ({} values) to {shape:?}", ctx.shape, ctx.width)));
    }
    Ok(Lowered::Op(Op::Reshape(shape)))
}

fn identity(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    if ctx.is_activation(0) {
        Ok(Lowered::Skip)
    } else {
        Ok(Lowered::Const(ctx.const_input(0)?.clone()))
    }
}

fn constant(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    // (value is the only supported attribute; the attribute check has already run.)
    let t = ctx.attr("value").and_then(|a| a.t.as_ref()).ok_or_else(|| ctx.error("attribute 'value' (a tensor) is required"))?;
    let dir = ctx.path.parent().and_then(|d| d.to_str());
    super::to_const(t, dir).map(Lowered::Const).map_err(|m| ctx.error(format!("attribute 'value': {m}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    fn with_ctx<T>(shape: &[usize], f: impl FnOnce(&NodeCtx<'_>) -> T) -> T {
        let node = tract_onnx::pb::NodeProto { name: "n".into(), op_type: "Add".into(), ..Default::default() };
        let consts = HashMap::new();
        let acts = HashMap::from([("x".to_string(), (0, shape.to_vec()))]);
        let width = shape.iter().product();
        f(&NodeCtx { path: Path::new("m.onnx"), node: &node, consts: &consts, acts: &acts, activation: "x", width, shape })
    }

    fn t(shape: &[usize]) -> ConstTensor {
        let n: usize = shape.iter().product();
        ConstTensor { shape: shape.to_vec(), data: (0..n).map(|v| v as f32).collect(), integer: false }
    }

    #[test]
    fn broadcasting_follows_numpy() {
        with_ctx(&[2, 3], |ctx| {
            assert_eq!(broadcast(ctx, &t(&[1]), ctx.shape, "c").unwrap(), vec![0.0; 6]);
            assert_eq!(broadcast(ctx, &t(&[3]), ctx.shape, "c").unwrap(), vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
            assert_eq!(broadcast(ctx, &t(&[2, 1]), ctx.shape, "c").unwrap(), vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
            assert_eq!(broadcast(ctx, &t(&[1, 2, 3]), ctx.shape, "c").unwrap(), (0..6).map(|v| v as f32).collect::<Vec<_>>());
            let e = broadcast(ctx, &t(&[2]), ctx.shape, "c").unwrap_err().to_string();
            assert!(e.contains("[2]") && e.contains("[2, 3]"), "{e}");
            assert!(broadcast(ctx, &t(&[2, 2, 3]), ctx.shape, "c").is_err());
        });
    }
}
