//! The ONNX frontend: every registry op and attribute lowers with the right semantics (checked
//! against tract's float run of the same file), and unsupported graphs are refused with errors
//! that name the node, the op and the file.

#![allow(clippy::unwrap_used)]

#[path = "fuzzkit/build.rs"]
mod build;
mod common;

use std::sync::Arc;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::{compile, reference, CompileOptions};
use zkinfer_prover::ir::Activation;

#[test]
fn op_variants_match_tract_and_prove() {
    let path = common::model_path("op_variants.onnx");
    let input = zkinfer_prover::input::read_input(&common::model_path("op_variants.input.json")).unwrap();
    let opts = CompileOptions { calibration: vec![input.clone()], ..CompileOptions::default() };
    let c = compile(&path, &opts).unwrap();
    // Leading Relu and Add become one identity layer; Gemm; MatMul with the scalar Add folded.
    assert_eq!(c.model.layers.len(), 3, "{:?}", c.model.layers.iter().map(|l| (l.inputs, l.outputs)).collect::<Vec<_>>());
    let model = Arc::new(c.model);
    let trace = model.forward(&model.quantise_input(&input).unwrap()).unwrap();
    let out: Vec<f64> = trace.output().iter().map(|v| model.params.dequantise(*v)).collect();
    let float = reference::run_float(&c.graph, &input).unwrap();
    let acc = reference::Accuracy::compare(float, out);
    assert!(acc.max_abs_err < 0.03, "lowering disagrees with tract: {acc:?}");
    let inst = ModelCircuit::instances(&model, &c.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: c.plan.shape, trace: Some(trace) };
    halo2_proofs::dev::MockProver::run(c.plan.k, &circuit, vec![inst]).unwrap().assert_satisfied();
}

/// Compiles a bundled model with all its samples as calibration, checks each sample against
/// tract's float run, and checks the circuit with MockProver on the first sample.
fn check_against_tract(name: &str, max_err: f64) {
    let path = common::model_path(&format!("{name}.onnx"));
    let samples: Vec<Vec<f32>> = std::fs::read_dir(common::model_path(""))
        .unwrap()
        .filter_map(|e| {
            let f = e.unwrap().file_name().into_string().unwrap();
            (f.starts_with(&format!("{name}.input")) && f.ends_with(".json")).then(|| zkinfer_prover::input::read_input(&common::model_path(&f)).unwrap())
        })
        .collect();
    assert!(!samples.is_empty());
    let c = compile(&path, &CompileOptions { calibration: samples.clone(), ..CompileOptions::default() }).unwrap();
    let model = Arc::new(c.model);
    for s in &samples {
        let trace = model.forward(&model.quantise_input(s).unwrap()).unwrap();
        let out: Vec<f64> = trace.output().iter().map(|v| model.params.dequantise(*v)).collect();
        let acc = reference::Accuracy::compare(reference::run_float(&c.graph, s).unwrap(), out);
        assert!(acc.max_abs_err < max_err && acc.argmax_match, "{name}: {acc:?}");
    }
    let trace = model.forward(&model.quantise_input(&samples[0]).unwrap()).unwrap();
    let inst = ModelCircuit::instances(&model, &c.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: c.plan.shape, trace: Some(trace) };
    halo2_proofs::dev::MockProver::run(c.plan.k, &circuit, vec![inst]).unwrap().assert_satisfied();
}

#[test]
fn cnn_conv_batchnorm_pooling_matches_tract_and_proves() {
    check_against_tract("cnn_small", 0.03);
}

#[test]
fn maxpool_matches_tract_and_proves() {
    check_against_tract("cnn_maxpool", 0.03);
}

#[test]
fn maxpool_with_a_lying_maximum_fails() {
    let path = common::model_path("cnn_maxpool.onnx");
    let input = zkinfer_prover::input::read_input(&common::model_path("cnn_maxpool.input.json")).unwrap();
    let c = compile(&path, &CompileOptions { calibration: vec![input.clone()], ..CompileOptions::default() }).unwrap();
    let model = Arc::new(c.model);
    let mut trace = model.forward(&model.quantise_input(&input).unwrap()).unwrap();
    // Layers: conv1+relu, then the first tournament's ReLU layer: claim relu(a − b) = 0 where it
    // is positive (i.e. pretend the smaller value won), keeping the rest consistent.
    let (li, oi) = (1, (0..trace.layers[1].len()).step_by(3).find(|o| trace.layers[1][*o].out > 0).expect("some positive difference"));
    trace.layers[li][oi].out = 0;
    let inst = ModelCircuit::instances(&model, &c.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: c.plan.shape, trace: Some(trace) };
    assert!(halo2_proofs::dev::MockProver::run(c.plan.k, &circuit, vec![inst]).unwrap().verify().is_err());
}

#[test]
fn sigmoid_and_tanh_match_tract_and_prove() {
    check_against_tract("tabular_sigmoid", 0.03);
}

#[test]
fn tampered_function_table_output_fails() {
    let path = common::model_path("tabular_sigmoid.onnx");
    let input = zkinfer_prover::input::read_input(&common::model_path("tabular_sigmoid.input.json")).unwrap();
    let c = compile(&path, &CompileOptions { calibration: vec![input.clone()], ..CompileOptions::default() }).unwrap();
    assert!(c.plan.lookups == 1, "functions share the limb lookup (one argument): {:?}", c.plan);
    let model = Arc::new(c.model);
    for (layer, what) in [(0usize, "tanh"), (2, "sigmoid")] {
        let mut trace = model.forward(&model.quantise_input(&input).unwrap()).unwrap();
        trace.layers[layer][0].out += 1;
        let inst = ModelCircuit::instances(&model, &c.plan.shape, &trace).unwrap();
        let circuit = ModelCircuit { model: model.clone(), shape: c.plan.shape, trace: Some(trace) };
        let res = halo2_proofs::dev::MockProver::run(c.plan.k, &circuit, vec![inst]).unwrap().verify();
        assert!(res.is_err(), "a wrong {what} output was accepted");
    }
    // Far outside the calibrated table: a clear error before proving.
    let e = model.forward(&model.quantise_input(&[40.0; 6]).unwrap()).unwrap_err().to_string();
    assert!(e.contains("table") && e.contains("layer"), "{e}");
}

#[test]
fn shape_ops_match_tract_and_cost_no_layers() {
    check_against_tract("shape_ops", 0.03);
    let c = compile(&common::model_path("shape_ops.onnx"), &CompileOptions::default()).unwrap();
    // Only the MatMul (+Relu) and the Gemm are layers: every re-indexing folded away.
    assert_eq!(c.model.layers.len(), 2);
}

#[test]
fn clip_variants_match_tract_and_prove() {
    check_against_tract("clip_variants", 0.03);
}

#[test]
fn tabular_sub_div_mul_match_tract_and_prove() {
    check_against_tract("tabular_small", 0.03);
}

#[test]
fn batchnorm_is_folded_into_the_conv() {
    let c = compile(&common::model_path("cnn_small.onnx"), &CompileOptions::default()).unwrap();
    // conv1(+bn1+relu1), pool1, conv2(+relu2), fc(+gap): BatchNormalization costs no layer, and
    // the global average pool folds into fc (pool1 is materialised: composing its 4-term sums
    // into conv2's 864 terms would cost more).
    let acts: Vec<_> = c.model.layers.iter().map(|l| l.activation).collect();
    assert_eq!(acts, vec![Activation::Relu, Activation::None, Activation::Relu, Activation::None], "{:?}", c.model.layers.iter().map(|l| (l.outputs, l.terms())).collect::<Vec<_>>());
    // The 3x3 conv with padding 1 has 4 taps in a corner, 9 in the middle.
    let l = &c.model.layers[0];
    assert_eq!((l.rows[0].len(), l.rows[9].len()), (4, 9));
}

#[test]
fn mlp_small_matches_tract_on_every_sample() {
    let (c, samples) = common::mlp_small();
    for s in &samples {
        let trace = c.model.forward(&c.model.quantise_input(s).unwrap()).unwrap();
        let out: Vec<f64> = trace.output().iter().map(|v| c.model.params.dequantise(*v)).collect();
        let acc = reference::Accuracy::compare(reference::run_float(&c.graph, s).unwrap(), out);
        assert!(acc.max_abs_err < 0.03 && acc.argmax_match, "{acc:?}");
    }
}

#[test]
fn unsupported_attribute_value_names_node_op_and_attribute() {
    let e = compile(&common::model_path("bad_attribute.onnx"), &CompileOptions::default()).unwrap_err().to_string();
    assert!(e.contains("gemm_transposed_a") && e.contains("Gemm") && e.contains("transA") && e.contains("bad_attribute.onnx"), "{e}");
}

#[test]
fn residual_branch_costs_one_layer_regression_chain_only_ir() {
    // relu(x) + x: the residual Add of two activations folds into the output row.
    let c = compile(&common::model_path("branching_residual.onnx"), &CompileOptions::default()).unwrap();
    assert_eq!(c.model.layers.len(), 2, "relu layer, then the output row of the sum");
    let x = [0.5f32, -1.25, 2.0, -0.75];
    let trace = c.model.forward(&c.model.quantise_input(&x).unwrap()).unwrap();
    let out: Vec<f64> = trace.output().iter().map(|v| c.model.params.dequantise(*v)).collect();
    let acc = reference::Accuracy::compare(reference::run_float(&c.graph, &x).unwrap(), out);
    assert!(acc.max_abs_err < 0.01, "{acc:?}");
}

#[test]
fn unsupported_op_names_node_op_file_and_lists_supported_ops() {
    let e = compile(&common::model_path("unsupported_det.onnx"), &CompileOptions::default()).unwrap_err().to_string();
    assert!(e.contains("odd_activation") && e.contains("'Det'") && e.contains("unsupported_det.onnx") && e.contains("Gemm"), "{e}");
}

#[test]
fn garbage_file_is_a_clear_load_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("garbage.onnx");
    std::fs::write(&p, b"this is not protobuf \xff\xff\xff").unwrap();
    let e = compile(&p, &CompileOptions::default()).unwrap_err().to_string();
    assert!(e.contains("garbage.onnx") && e.contains("cannot load ONNX model"), "{e}");
}

#[test]
fn production_srs_file_is_loaded_and_downsized() {
    let dir = tempfile::tempdir().unwrap();
    let _ = zkinfer_prover::srs::dev_srs_in(dir.path(), 6).unwrap();
    let file = dir.path().join("dev-srs-k6.UNSAFE.srs");
    let p = zkinfer_prover::srs::load_srs(&file, 5).unwrap();
    assert_eq!(halo2_proofs::poly::commitment::Params::k(&p), 5);
    let e = zkinfer_prover::srs::load_srs(&file, 7).unwrap_err().to_string();
    assert!(e.contains("k = 6") && e.contains("k = 7"), "{e}");
    std::fs::write(dir.path().join("junk.srs"), vec![7u8; 200]).unwrap();
    let e = zkinfer_prover::srs::load_srs(&dir.path().join("junk.srs"), 5).unwrap_err().to_string();
    assert!(e.contains("junk.srs"), "{e}");
}

#[test]
fn concurrent_dev_srs_generation_is_safe() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    // Each thread generates the same k into the same (empty) cache directory.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let p = zkinfer_prover::srs::dev_srs_in(&path, 5).unwrap();
                let mut v = Vec::new();
                halo2_proofs::poly::commitment::Params::write(&p, &mut v).unwrap();
                v
            })
        })
        .collect();
    let outs: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(outs.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn transformer_block_matches_tract_and_proves() {
    // LayerNormalization, attention (MatMul of two activations, Transpose, Softmax), residual
    // Adds, torch-style GELU (Div, Erf, Add, Mul), ReduceMean, Gemm.
    check_against_tract("transformer_block", 0.06);
}

#[test]
fn transformer_mh_matches_tract_and_proves() {
    // Decomposed LayerNorm (ReduceMean, Sub, Pow, Sqrt, Div), two heads (Reshape, Transpose),
    // Softmax, Tanh FFN, Gather, Squeeze, Concat.
    check_against_tract("transformer_mh", 0.06);
}

#[test]
fn regression_prelu_with_a_slope_per_channel_written_as_c_reads_the_channel_axis() {
    // torch's PReLU(num_parameters = 3) before opset 7 writes the slope as [3] for an input
    // [2, 3, 4] (the ONNX tests' test_PReLU_*_multiparam): numpy broadcasting would read the
    // last axis and refuse it; the slope is one per channel.
    let dir = tempfile::tempdir().unwrap();
    let mut m = build::model(&[2, 3, 4], vec![build::node("PRelu", &["x", "slope"], &["y"], vec![])], vec![build::tensor_f32("slope", &[3], &[0.25, -0.5, 0.75])]);
    m.opset_import[0].version = 6;
    let path = build::write(dir.path(), "prelu.onnx", &m);
    let x: Vec<f32> = (0..24).map(|i| (i as f32 - 12.0) / 8.0).collect();
    let c = compile(&path, &CompileOptions { calibration: vec![x.clone()], ..CompileOptions::default() }).unwrap();
    let trace = c.model.forward(&c.model.quantise_input(&x).unwrap()).unwrap();
    let got: Vec<f64> = trace.output().iter().map(|v| c.model.params.dequantise(*v)).collect();
    for (i, (g, v)) in got.iter().zip(&x).enumerate() {
        let slope = [0.25, -0.5, 0.75][(i / 4) % 3];
        let want = if *v < 0.0 { f64::from(*v) * slope } else { f64::from(*v) };
        assert!((g - want).abs() < 0.01, "value {i}: {g} vs {want}");
    }
}
