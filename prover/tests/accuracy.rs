//! The accuracy-bounty circuit ([`zkinfer_prover::accuracy`]): the bundled MLP run on a batch of
//! labelled samples proves exactly the number of samples whose strict argmax is the label, with
//! the hunter's weights and the test set hashed; a claimed count off by one, another test set
//! under the claimed commitment, or other weights under the claimed weights commitment all fail.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::Fr;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use zkinfer_prover::accuracy::TestSet;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::hash::{self, Tensor};
use zkinfer_prover::{compile, CircuitPlan, CompileOptions, QuantModel, Trace, Visibilities};

const SAMPLES: usize = 6;

fn calibration() -> Vec<Vec<f32>> {
    ["mlp_small.input.json", "mlp_small.input-1.json"].iter().map(|f| zkinfer_prover::input::read_input(&common::model_path(f)).unwrap()).collect()
}

/// The accuracy circuit of `onnx` over `SAMPLES` samples (weights and test set hashed), and the
/// plain model with the same quantisation (for the expected answers).
fn circuit(onnx: &str) -> (Arc<QuantModel>, CircuitPlan, QuantModel) {
    let opts = CompileOptions { calibration: calibration(), visibility: Visibilities::BOUNTY, dot_width: Some(4), ..CompileOptions::default() };
    let acc = compile(&common::model_path(onnx), &CompileOptions { accuracy_samples: Some(SAMPLES), ..opts.clone() }).unwrap();
    let plain = compile(&common::model_path(onnx), &opts).unwrap();
    assert_eq!(acc.accuracy.unwrap().samples, SAMPLES);
    (Arc::new(acc.model), acc.plan, plain.model)
}

/// Random samples; labels: the model's strict argmax for the first `right`, another class after.
fn test_set(plain: &QuantModel, right: usize, seed: u64) -> TestSet {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    while inputs.len() < SAMPLES {
        let x: Vec<f32> = (0..plain.input_len()).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let y = plain.forward(&plain.quantise_input(&x).unwrap()).unwrap().output();
        let best = (0..y.len()).max_by_key(|k| y[*k]).unwrap();
        if y.iter().filter(|v| **v == y[best]).count() > 1 {
            continue; // a tie has no right label
        }
        labels.push(if inputs.len() < right { best } else { (best + 1) % y.len() });
        inputs.push(x);
    }
    TestSet { inputs, labels }
}

fn run(model: &Arc<QuantModel>, plan: &CircuitPlan, trace: Trace, instances: Vec<Fr>) -> bool {
    let circuit = ModelCircuit { model: model.clone(), shape: plan.shape, trace: Some(trace) };
    MockProver::run(plan.k, &circuit, vec![instances]).unwrap().verify().is_ok()
}

fn prove_inputs(model: &QuantModel, set: &TestSet) -> Vec<i64> {
    let spec = zkinfer_prover::accuracy::AccuracySpec { samples: SAMPLES, features: 8, classes: 3 };
    model.quantise_input(&set.flatten(&spec).unwrap()).unwrap()
}

#[test]
fn the_count_is_the_number_of_right_answers_and_proves() {
    let (model, plan, plain) = circuit("mlp_small.onnx");
    assert!(plan.k <= 14, "k = {}", plan.k);
    for right in [0, 4, SAMPLES] {
        let set = test_set(&plain, right, right as u64);
        let input = prove_inputs(&model, &set);
        let trace = model.forward(&input).unwrap().weights_salted(Fr::from(5));
        assert_eq!(trace.output(), vec![right as i64], "the count (raw units)");
        let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
        assert_eq!(inst.len(), 4, "[weights, binding, test set, count]");
        assert_eq!(inst[2], hash::commit(Tensor::Input, &input, plan.shape.packing_bits(), Fr::zero()).unwrap());
        assert_eq!(inst[3], Fr::from(right as u64));
        assert!(run(&model, &plan, trace.clone(), inst.clone()), "{right} right answers");
        // A claimed count off by one fails.
        for claimed in [right as u64 + 1, (right as u64).wrapping_sub(1)] {
            let mut bad = inst.clone();
            bad[3] = Fr::from(claimed);
            assert!(!run(&model, &plan, trace.clone(), bad), "claimed {claimed} with {right} right");
        }
    }
}

#[test]
fn weights_are_committed_once_for_the_whole_batch() {
    let (model, plan, plain) = circuit("mlp_small.onnx");
    // Every replica reads the same committed cells: as many committed values as one model.
    assert_eq!(model.committed_weights().len(), plain.committed_weights().len());
    assert!(plan.weight_commitment_rows > 0);
}

#[test]
fn another_test_set_or_other_weights_under_the_claimed_commitments_fail() {
    let (model, plan, plain) = circuit("mlp_small.onnx");
    let set = test_set(&plain, 3, 9);
    let input = prove_inputs(&model, &set);
    let trace = model.forward(&input).unwrap();
    let claimed = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    // The same samples with one label moved (to a class the model does not pick): the count may
    // be the same, the test set is not.
    let mut other = set.clone();
    other.labels[SAMPLES - 1] = (other.labels[SAMPLES - 1] + 1) % 3;
    let other_input = prove_inputs(&model, &other);
    let other_trace = model.forward(&other_input).unwrap();
    let mut inst = ModelCircuit::instances(&model, &plan.shape, &other_trace).unwrap();
    assert_ne!(inst[2], claimed[2]);
    inst[2] = claimed[2];
    assert!(!run(&model, &plan, other_trace, inst));
    // Another weight set (the second bundled model) under the first one's weights commitment.
    let (b, plan_b, _) = circuit("mlp_small_b.onnx");
    assert_eq!(plan_b, plan, "one architecture, one circuit");
    let b_trace = b.forward(&input).unwrap();
    let mut inst = ModelCircuit::instances(&b, &plan.shape, &b_trace).unwrap();
    assert_ne!(inst[0], claimed[0]);
    inst[0] = claimed[0];
    assert!(!run(&b, &plan, b_trace, inst));
}

#[test]
fn bad_test_sets_are_named() {
    let spec = zkinfer_prover::accuracy::AccuracySpec { samples: 2, features: 2, classes: 3 };
    let e = TestSet { inputs: vec![vec![0.0; 2]; 2], labels: vec![0, 3] }.flatten(&spec).unwrap_err().to_string();
    assert!(e.contains("sample 1's label 3"), "{e}");
    let e = TestSet { inputs: vec![vec![0.0; 3], vec![0.0; 2]], labels: vec![0, 1] }.flatten(&spec).unwrap_err().to_string();
    assert!(e.contains("sample 0 has 3 values"), "{e}");
    let e = TestSet { inputs: vec![vec![0.0; 2]], labels: vec![0] }.flatten(&spec).unwrap_err().to_string();
    assert!(e.contains("takes 2 samples"), "{e}");
}

/// Issue 14, item 2: with a hashed output, instance 3 would be a Poseidon commitment (~2^253)
/// that a bounty compares with its threshold as a count, so any model would win. The accuracy
/// circuit refuses every output visibility but public, naming it.
#[test]
fn accuracy_circuit_refuses_a_hashed_or_private_count() {
    for output in [zkinfer_prover::Visibility::Hashed, zkinfer_prover::Visibility::Private] {
        let visibility = Visibilities { output, ..Visibilities::BOUNTY };
        let opts = CompileOptions { calibration: calibration(), visibility, dot_width: Some(4), accuracy_samples: Some(SAMPLES), ..CompileOptions::default() };
        let e = compile(&common::model_path("mlp_small.onnx"), &opts).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(&format!("output visibility '{output}' is not allowed in an accuracy circuit")), "{e}");
    }
}
