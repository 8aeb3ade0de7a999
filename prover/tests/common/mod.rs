//! Shared test helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use zkinfer_prover::circuit::audit::system::CellRef;
use zkinfer_prover::circuit::forge::Forger;
use zkinfer_prover::circuit::layout::Part;
use zkinfer_prover::{compile, CircuitShape, CompileOptions, Compiled, Visibilities};

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

/// The forger of op model `ops/{name}.onnx` at dot width `width`, public input and output, its
/// witness from the model's own sample input.
pub fn op_forger(name: &str, width: usize) -> Forger {
    let x = zkinfer_prover::input::read_input(&model_path(&format!("ops/{name}.input.json"))).unwrap();
    let opts = CompileOptions { calibration: vec![x.clone()], visibility: Visibilities::PUBLIC, ..CompileOptions::default() };
    let model = compile(&model_path(&format!("ops/{name}.onnx")), &opts).unwrap().model;
    let shape = CircuitShape::for_model(&model, width).with_visibility(Visibilities::PUBLIC);
    let trace = model.forward(&model.quantise_input(&x).unwrap()).unwrap();
    Forger::new(Arc::new(model), shape, trace).unwrap()
}

/// The cell holding output `output` of layer `layer` (`x[1]` of its rescale row).
pub fn out_cell(f: &Forger, layer: usize, output: usize) -> CellRef {
    let row = f
        .snapshot
        .spans
        .iter()
        .find_map(|s| match &s.part {
            Part::Output { layer: l, output: o, rescale, .. } if *l == layer && *o == output => Some(*rescale),
            _ => None,
        })
        .unwrap();
    CellRef { column: f.config().x_columns()[1].index(), row }
}
