//! Property tests on seeded random inputs: the circuit accepts every honest witness and its
//! outputs agree with tract's float run (completeness + accuracy), and every random single-cell
//! tampering of a witness is rejected (soundness).

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::dev::MockProver;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::{compile, reference, CompileOptions, QuantModel, Trace};

fn setup(name: &str) -> (zkinfer_prover::Compiled, Arc<QuantModel>) {
    let path = common::model_path(&format!("{name}.onnx"));
    let sample = zkinfer_prover::input::read_input(&common::model_path(&format!("{name}.input.json"))).unwrap();
    let c = compile(&path, &CompileOptions { calibration: vec![sample], ..CompileOptions::default() }).unwrap();
    let m = Arc::new(c.model.clone());
    (c, m)
}

fn accepts(c: &zkinfer_prover::Compiled, model: &Arc<QuantModel>, trace: Trace) -> bool {
    let inst = ModelCircuit::instances(model, &c.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: c.plan.shape, trace: Some(trace) };
    MockProver::run(c.plan.k, &circuit, vec![inst]).unwrap().verify().is_ok()
}

#[test]
fn random_inputs_are_proven_and_agree_with_tract() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    for (name, tolerance) in [("mlp_small", 0.05), ("cnn_maxpool", 0.05), ("tabular_sigmoid", 0.05), ("transformer_block", 0.08)] {
        let (c, model) = setup(name);
        let mut proven = 0;
        for _ in 0..6 {
            let x: Vec<f32> = (0..model.input_len()).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
            let trace = match model.forward(&model.quantise_input(&x).unwrap()) {
                Ok(t) => t,
                // Outside the calibrated range is a clear error, never a bad proof.
                Err(e) => {
                    assert!(e.to_string().contains("out of"), "{e}");
                    eprintln!("{name}: {e}");
                    continue;
                }
            };
            let out: Vec<f64> = trace.output().iter().map(|v| model.params.dequantise(*v)).collect();
            let acc = reference::Accuracy::compare(reference::run_float(&c.graph, &x).unwrap(), out);
            assert!(acc.max_abs_err < tolerance, "{name}: {acc:?}");
            assert!(accepts(&c, &model, trace), "{name}: honest witness rejected for input {x:?}");
            proven += 1;
        }
        assert!(proven >= 4, "{name}: only {proven} of 6 random inputs were in range");
    }
}

#[test]
fn random_single_cell_tampering_is_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xbad);
    for name in ["mlp_small", "tabular_sigmoid", "transformer_mh"] {
        let (c, model) = setup(name);
        let x = zkinfer_prover::input::read_input(&common::model_path(&format!("{name}.input.json"))).unwrap();
        let honest = model.forward(&model.quantise_input(&x).unwrap()).unwrap();
        for _ in 0..12 {
            let mut t = honest.clone();
            let li = rng.gen_range(0..t.layers.len());
            let oi = rng.gen_range(0..t.layers[li].len());
            let delta: i64 = if rng.gen_bool(0.5) { 1 } else { -1 } * rng.gen_range(1..=3);
            let n = &mut t.layers[li][oi];
            let field = rng.gen_range(0..5);
            match field {
                0 => n.acc += i128::from(delta),
                1 => n.r += delta,
                2 => n.out += delta,
                3 => {
                    let i = rng.gen_range(0..n.limbs.len());
                    n.limbs[i] = n.limbs[i].wrapping_add_signed(delta);
                }
                _ => n.sign = !n.sign,
            }
            assert!(!accepts(&c, &model, t), "{name}: tampering field {field} of layer {li} output {oi} by {delta} was accepted");
        }
    }
}
