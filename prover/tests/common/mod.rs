//! Shared test helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use zkinfer_prover::{compile, CompileOptions, Compiled};

/// Path of a bundled model file.
pub fn model_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)
}

/// The bundled MLP, compiled with its sample inputs as calibration.
pub fn mlp_small() -> (Compiled, Vec<Vec<f32>>) {
    let samples: Vec<Vec<f32>> = ["mlp_small.input.json", "mlp_small.input-1.json", "mlp_small.input-2.json"]
        .iter()
        .map(|f| zkinfer_prover::input::read_input(&model_path(f)).expect("sample input"))
        .collect();
    let opts = CompileOptions { calibration: samples.clone(), ..CompileOptions::default() };
    (compile(&model_path("mlp_small.onnx"), &opts).expect("compile"), samples)
}
