//! MockProver tests of the model circuit: completeness on the bundled model and negative
//! (soundness) tests: every tampered witness cell, output or public input must fail.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::Fr;
use std::sync::Arc;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::{QuantModel, Trace};

fn setup() -> (Arc<QuantModel>, zkinfer_prover::CircuitPlan, Trace) {
    let (compiled, samples) = common::mlp_small();
    let model = Arc::new(compiled.model);
    let q = model.quantise_input(&samples[0]).expect("quantise");
    let trace = model.forward(&q).expect("forward");
    (model, compiled.plan, trace)
}

fn run(model: &Arc<QuantModel>, plan: &zkinfer_prover::CircuitPlan, trace: Trace, instances: Vec<Fr>) -> Result<(), String> {
    let circuit = ModelCircuit { model: model.clone(), shape: plan.shape, trace: Some(trace) };
    let prover = MockProver::run(plan.k, &circuit, vec![instances]).map_err(|e| format!("{e:?}"))?;
    prover.verify().map_err(|e| format!("{} failures, first: {:?}", e.len(), e.first()))
}

#[test]
fn honest_witness_satisfies_the_circuit() {
    let (model, plan, trace) = setup();
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert_eq!(inst.len(), plan.num_instances);
    run(&model, &plan, trace, inst).expect("honest proof must pass");
}

#[test]
fn every_sample_and_extreme_inputs_satisfy_the_circuit() {
    let (compiled, samples) = common::mlp_small();
    let model = Arc::new(compiled.model);
    for s in &samples {
        let t = model.forward(&model.quantise_input(s).unwrap()).unwrap();
        let inst = ModelCircuit::instances(&model, &compiled.plan.shape, &t).unwrap();
        run(&model, &compiled.plan, t, inst).unwrap();
    }
    // Zeros exercise q = 0 (sign boundary) and negative inputs exercise negative accumulators.
    for v in [0.0f32, -0.9, 0.9] {
        let t = model.forward(&model.quantise_input(&vec![v; model.input_len()]).unwrap()).unwrap();
        let inst = ModelCircuit::instances(&model, &compiled.plan.shape, &t).unwrap();
        run(&model, &compiled.plan, t, inst).unwrap();
    }
}

#[test]
fn tampered_output_instance_fails() {
    let (model, plan, trace) = setup();
    let mut inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    let last = inst.len() - 1;
    inst[last] += Fr::one();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn tampered_binding_or_input_commitment_instance_fails() {
    let (model, plan, trace) = setup();
    assert_eq!(plan.shape.visibility, zkinfer_prover::Visibilities::default(), "the default: hashed input");
    for i in [1, 2] {
        let mut inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
        inst[i] += Fr::one();
        assert!(run(&model, &plan, trace.clone(), inst).is_err(), "instance {i}");
    }
}

#[test]
fn tampered_public_input_instance_fails() {
    let (model, plan, trace) = setup();
    let plan = zkinfer_prover::plan(&model, plan.shape.with_visibility(zkinfer_prover::Visibilities::PUBLIC)).unwrap();
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert_eq!(inst.len(), 2 + model.input_len() + model.output_len());
    run(&model, &plan, trace.clone(), inst.clone()).expect("public input proves");
    for i in [2, 1 + model.input_len()] {
        let mut bad = inst.clone();
        bad[i] += Fr::one();
        assert!(run(&model, &plan, trace.clone(), bad).is_err(), "input instance {i}");
    }
}

#[test]
fn wrong_model_commitment_fails() {
    let (model, plan, trace) = setup();
    let mut inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    inst[0] += Fr::one();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn tampered_output_witness_fails() {
    let (model, plan, mut trace) = setup();
    // Change an output consistently with the public instance: the activation gate must catch it.
    trace.layers.last_mut().unwrap()[0].out += 1;
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn tampered_hidden_activation_fails() {
    let (model, plan, mut trace) = setup();
    trace.layers[0][3].out += 1;
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn tampered_accumulator_fails() {
    let (model, plan, mut trace) = setup();
    trace.layers[1][0].acc += 1;
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn wrong_remainder_fails_even_when_rescale_equation_holds() {
    let (model, plan, mut trace) = setup();
    let s = 1i64 << model.params.scale_bits;
    // r + 2^s with q − 1 keeps acc + half = q·2^s + r true, but r leaves [0, 2^s).
    let n = &mut trace.layers[0][0];
    n.r += s;
    n.q -= 1;
    let shifted = (i128::from(n.q) - model.params.min()) as u64;
    let mask = (1u64 << model.params.scale_bits) - 1;
    n.limbs = (0..model.params.range_limbs).map(|i| (shifted >> (model.params.scale_bits * i)) & mask).collect();
    n.sign = n.q >= 0;
    n.out = if n.sign { n.q } else { 0 };
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    let err = run(&model, &plan, trace, inst).expect_err("remainder outside the range must fail");
    assert!(err.contains("Lookup") || err.contains("lookup") || err.contains("Constraint"), "{err}");
}

#[test]
fn relu_with_lying_sign_fails() {
    let (model, plan, mut trace) = setup();
    // Find a neuron with a negative pre-activation behind a ReLU and claim it was positive.
    let (li, oi) = trace.layers[..trace.layers.len() - 1]
        .iter()
        .enumerate()
        .find_map(|(li, l)| l.iter().position(|n| n.q < 0).map(|oi| (li, oi)))
        .expect("some hidden neuron is negative");
    let n = &mut trace.layers[li][oi];
    n.sign = true;
    n.out = n.q;
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn out_of_range_limb_fails() {
    let (model, plan, mut trace) = setup();
    // Shift weight between limbs: l0 + 2^s, l1 − 1 keeps the value but l0 leaves the table.
    let n = &mut trace.layers[0][1];
    n.limbs[0] += 1 << model.params.scale_bits;
    n.limbs[1] -= 1;
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    assert!(run(&model, &plan, trace, inst).is_err());
}

#[test]
fn sizing_counts_public_instances_regression_many_inputs_few_rows() {
    use zkinfer_prover::ir::Activation;
    use zkinfer_prover::quant::{QuantLayer, QuantParams};
    // 600 inputs, one output: few layer rows, but 603 public instances (one public row each:
    // commitment, binding, inputs, output) must fit the rows.
    let params = QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None };
    let layer = QuantLayer { pinned: false, tied: Vec::new(), inputs: 600, outputs: 1, rows: vec![(0..600).map(|i| (i, 1)).collect()], prods: Vec::new(), bias: vec![0], activation: Activation::None };
    let model = Arc::new(QuantModel { params, inputs: 600, input_sizes: Vec::new(), layers: vec![layer], outputs: vec![600] });
    let shape = zkinfer_prover::CircuitShape::for_model(&model, 8);
    let plan = zkinfer_prover::plan(&model, shape).unwrap();
    assert!(plan.rows > 603 && plan.num_instances == 603);
    assert!(1usize << plan.k > plan.rows);
    let trace = model.forward(&vec![1; 600]).unwrap();
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    run(&model, &plan, trace, inst).expect("a model with more inputs than rows proves");
}

#[test]
fn input_that_is_also_an_output_proves_regression_synthesis_error() {
    use zkinfer_prover::ir::Activation;
    use zkinfer_prover::quant::{QuantLayer, QuantParams};
    // Outputs [wire 0 (the input itself), wire 2 (a layer output)]: both public rows hold copies.
    let params = QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None };
    let layer = QuantLayer { pinned: false, tied: Vec::new(), inputs: 2, outputs: 1, rows: vec![vec![(0, 256), (1, 512)]], prods: Vec::new(), bias: vec![3], activation: Activation::Relu };
    let model = Arc::new(QuantModel { params, inputs: 2, input_sizes: Vec::new(), layers: vec![layer], outputs: vec![0, 2] });
    let shape = zkinfer_prover::CircuitShape::for_model(&model, 2);
    let plan = zkinfer_prover::plan(&model, shape).unwrap();
    let trace = model.forward(&[5, -7]).unwrap();
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    run(&model, &plan, trace.clone(), inst.clone()).expect("an input exposed as an output proves");
    // The output copy of the input must equal the input.
    let mut bad = inst;
    bad[3] += Fr::one();
    assert!(run(&model, &plan, trace, bad).is_err());
}

#[test]
fn relu_hiding_a_positive_value_fails_on_the_shifted_top_limb() {
    let (model, plan, mut trace) = setup();
    // A positive pre-activation claimed negative (sign 0, out 0): q's decomposition still holds
    // with top limb t = l_{n−1} ∈ [2^(s−1), 2^s), a valid limb; only t + 2^(s−1) leaves the table.
    let (li, oi) = trace.layers[..trace.layers.len() - 1]
        .iter()
        .enumerate()
        .find_map(|(li, l)| l.iter().position(|n| n.q > 0).map(|oi| (li, oi)))
        .expect("some hidden neuron is positive");
    let n = &mut trace.layers[li][oi];
    n.sign = false;
    n.out = 0;
    let inst = ModelCircuit::instances(&model, &plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: plan.shape, trace: Some(trace) };
    let failures = MockProver::run(plan.k, &circuit, vec![inst]).unwrap().verify().expect_err("a hidden positive value must fail");
    // Later layers, which read the wrong output, break their dot-product gates; the lookup
    // failure can only be the shifted top limb (every other limb is unchanged and in range).
    let lookups: Vec<String> = failures.iter().map(|f| format!("{f:?}")).filter(|f| f.contains("Lookup")).collect();
    assert_eq!(lookups.len(), 1, "exactly the shifted top limb leaves the table: {failures:?}");
}
