//! The float reference: the original ONNX model run by tract, and accuracy of the circuit's
//! fixed-point outputs against it.

use crate::error::{ProverError, Result};
use crate::ir::Graph;
use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

/// Runs the ONNX model in f32 with tract on one input.
pub fn run_float(graph: &Graph, input: &[f32]) -> Result<Vec<f32>> {
    let err = |e: TractError| ProverError::Reference(format!("{}: {e:#}", graph.source.display()));
    let shape: Vec<usize> = graph.input_shape.clone();
    let model = tract_onnx::onnx()
        .model_for_path(&graph.source)
        .and_then(|m| m.with_input_fact(0, f32::fact(&shape).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(err)?;
    let tensor = Tensor::from_shape(&shape, input).map_err(err)?;
    let out = model.run(tvec!(tensor.into_tvalue())).map_err(err)?;
    let first = out.first().ok_or_else(|| ProverError::Reference("model produced no output".into()))?;
    Ok(first.to_plain_array_view::<f32>().map_err(err)?.iter().copied().collect())
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
