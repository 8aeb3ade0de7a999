//! The float reference: the original ONNX model run by tract, and accuracy of the circuit's
//! fixed-point outputs against it.

use crate::error::{ProverError, Result};
use crate::ir::Graph;
use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

mod desugar;

/// Runs the ONNX model in f32 with tract on one input (with several graph inputs, their
/// concatenation in graph order); returns every graph output, flattened and concatenated in
/// graph order (integer and boolean outputs as floats). The ONNX-ML ops tract lacks are first
/// rewritten into standard ops ([`desugar`]). A panic inside tract (it has overflow panics on
/// some valid models, e.g. a 1-D ConvTranspose with `output_shape`) is an error, not a crash.
pub fn run_float(graph: &Graph, input: &[f32]) -> Result<Vec<f32>> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_tract(graph, input))) {
        Ok(r) => r,
        Err(p) => {
            let why = p.downcast_ref::<&str>().map(|s| (*s).to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
            Err(ProverError::Reference(format!("{}: tract panicked: {why}", graph.source.display())))
        }
    }
}

fn run_tract(graph: &Graph, input: &[f32]) -> Result<Vec<f32>> {
    let err = |e: TractError| ProverError::Reference(format!("{}: {e:#}", graph.source.display()));
    let onnx = tract_onnx::onnx();
    let mut proto = onnx.proto_model_for_path(&graph.source).map_err(err)?;
    if let Some(why) = proto.graph.as_ref().and_then(|g| g.node.iter().find_map(tract_misruns)) {
        return Err(ProverError::Reference(format!("{}: {why}", graph.source.display())));
    }
    desugar::desugar(&mut proto);
    let dir = graph.source.parent().and_then(|d| d.to_str());
    let parsed = onnx.parse(&proto, dir).map_err(err)?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(ProverError::Reference(format!("{}: unresolved inputs {:?}", graph.source.display(), parsed.unresolved_inputs)));
    }
    let mut model = parsed.model;
    for (i, shape) in graph.input_shapes.iter().enumerate() {
        model = model.with_input_fact(i, f32::fact(shape).into()).map_err(err)?;
    }
    let model = model.into_optimized().and_then(|m| m.into_runnable()).map_err(err)?;
    let mut inputs = TVec::new();
    let mut rest = input;
    for shape in &graph.input_shapes {
        let n: usize = shape.iter().product();
        if rest.len() < n {
            return Err(ProverError::Reference(format!("the input has {} values, the graph inputs {:?} take more", input.len(), graph.input_shapes)));
        }
        let (part, tail) = rest.split_at(n);
        inputs.push(Tensor::from_shape(shape, part).map_err(err)?.into_tvalue());
        rest = tail;
    }
    let out = model.run(inputs).map_err(err)?;
    if out.is_empty() {
        return Err(ProverError::Reference("model produced no output".into()));
    }
    let mut values = Vec::new();
    for o in &out {
        let f = o.cast_to::<f32>().map_err(err)?;
        values.extend(f.to_plain_array_view::<f32>().map_err(err)?.iter().copied());
    }
    Ok(values)
}

/// Accuracy of circuit outputs against the float model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// tract's f32 outputs.
    pub float_outputs: Vec<f32>,
    /// The circuit's outputs, dequantised.
    pub circuit_outputs: Vec<f64>,
    /// max |float − circuit|.
    pub max_abs_err: f64,
    /// Whether the argmax agrees (classifiers).
    pub argmax_match: bool,
}

impl Accuracy {
    /// Compares.
    pub fn compare(float_outputs: Vec<f32>, circuit_outputs: Vec<f64>) -> Self {
        let max_abs_err = float_outputs
            .iter()
            .zip(&circuit_outputs)
            .map(|(f, c)| (f64::from(*f) - c).abs())
            .fold(0.0, f64::max);
        let argmax = |v: &[f64]| {
            v.iter().enumerate().fold((0, f64::NEG_INFINITY), |b, (i, x)| if *x > b.1 { (i, *x) } else { b }).0
        };
        let f64s: Vec<f64> = float_outputs.iter().map(|v| f64::from(*v)).collect();
        let argmax_match = argmax(&f64s) == argmax(&circuit_outputs);
        Self { float_outputs, circuit_outputs, max_abs_err, argmax_match }
    }
}

/// What tract 0.23 would run wrongly (silently, without an error): an integer `Mod` (negative
/// operands), a one-direction recurrent
/// layer with `direction = reverse` (run forwards), and recurrent activations other than the
/// defaults (σ, tanh, tanh; tract's fused cells ignore the attribute). No reference is better
/// than a wrong one.
fn tract_misruns(node: &tract_onnx::pb::NodeProto) -> Option<String> {
    if node.op_type == "Mod" && node.attribute.iter().all(|a| a.name != "fmod" || a.i == 0) {
        return Some(format!("node '{}' (Mod): tract's integer remainder of negative operands differs from onnxruntime's", node.name));
    }
    let defaults: &[&str] = match node.op_type.as_str() {
        "LSTM" => &["Sigmoid", "Tanh", "Tanh"],
        "GRU" => &["Sigmoid", "Tanh"],
        "RNN" => &["Tanh"],
        _ => return None,
    };
    let attr = |n: &str| node.attribute.iter().find(|a| a.name == n);
    if attr("direction").is_some_and(|a| a.s == b"reverse") {
        return Some(format!("node '{}' ({}): tract runs direction = reverse forwards", node.name, node.op_type));
    }
    let acts = attr("activations").map(|a| a.strings.iter().map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).collect::<Vec<_>>());
    let standard = acts.as_ref().is_none_or(|v| v.iter().enumerate().all(|(i, a)| *a == defaults[i % defaults.len()].to_ascii_lowercase()));
    (!standard).then(|| format!("node '{}' ({}): tract ignores its activations {:?}", node.name, node.op_type, acts.unwrap_or_default()))
}
