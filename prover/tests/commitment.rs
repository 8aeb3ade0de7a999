//! The hashed input (`Visibility::Hashed`): the in-circuit commitment equals the off-chain one
//! ([`zkinfer_prover::hash::commit`]) on random tensors, and every way of keeping a claimed
//! commitment while changing what it commits to fails MockProver: another input, another salt,
//! a packing whose values overflow into their neighbours, another claimant.

#![allow(clippy::unwrap_used)]

use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::ir::Activation;
use zkinfer_prover::quant::{QuantLayer, QuantParams};
use zkinfer_prover::hash::Tensor;
use zkinfer_prover::{hash, plan, Binding, CircuitPlan, CircuitShape, QuantModel, Trace, Visibilities, Visibility};

const HASHED: Visibilities = Visibilities::new(Visibility::Fixed, Visibility::Hashed, Visibility::Public);

/// `inputs` inputs; one output = Σ_(i ≥ 2) x_i (inputs 0 and 1 have weight 0, so that a test can
/// change them without touching the model's arithmetic).
fn model(inputs: usize) -> Arc<QuantModel> {
    let params = QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None };
    let row = (0..inputs).map(|i| (i, if i < 2 { 0 } else { 256 })).collect();
    let layer = QuantLayer { pinned: false, tied: Vec::new(), inputs, outputs: 1, rows: vec![row], prods: Vec::new(), bias: vec![0], activation: Activation::None };
    Arc::new(QuantModel { params, inputs, input_sizes: Vec::new(), layers: vec![layer], outputs: vec![inputs] })
}

fn planned(model: &QuantModel, visibility: Visibilities) -> CircuitPlan {
    plan(model, CircuitShape::for_model(model, 2).with_visibility(visibility)).unwrap()
}

fn run(model: &Arc<QuantModel>, plan: &CircuitPlan, trace: Trace, instances: Vec<Fr>) -> Result<(), Vec<VerifyFailure>> {
    let circuit = ModelCircuit { model: model.clone(), shape: plan.shape, trace: Some(trace) };
    MockProver::run(plan.k, &circuit, vec![instances]).unwrap().verify()
}

fn bits(plan: &CircuitPlan) -> u32 {
    plan.shape.packing_bits()
}

#[test]
fn in_circuit_commitment_equals_off_chain_on_random_tensors() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    // 1, 15 and 16 values per element boundary, an odd and an even number of absorbed elements.
    for inputs in [3, 15, 16, 31, 47] {
        let m = model(inputs);
        let plan = planned(&m, HASHED);
        let half = 1i64 << (bits(&plan) - 1);
        for _ in 0..2 {
            let x: Vec<i64> = (0..inputs).map(|_| rng.gen_range(-half..half).clamp(-40_000 / inputs as i64, 40_000 / inputs as i64)).collect();
            let salt = if rng.gen_bool(0.5) { Fr::random(&mut rng) } else { Fr::ZERO };
            let trace = m.forward(&x).unwrap().salted(salt);
            let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
            assert_eq!(inst[2], hash::commit(Tensor::Input, &x, bits(&plan), salt).unwrap());
            run(&m, &plan, trace, inst).unwrap_or_else(|e| panic!("{inputs} inputs: {e:?}"));
        }
    }
}

#[test]
fn extreme_values_of_the_packing_range_prove() {
    let m = model(17);
    let plan = planned(&m, HASHED);
    let half = 1i64 << (bits(&plan) - 1);
    let mut x = vec![0i64; 17];
    x[0] = -half;
    x[1] = half - 1;
    let trace = m.forward(&x).unwrap();
    let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    run(&m, &plan, trace, inst).unwrap();
}

#[test]
fn another_input_under_the_claimed_commitment_fails() {
    let m = model(20);
    let plan = planned(&m, HASHED);
    let x: Vec<i64> = (0..20).map(|i| i * 3 - 20).collect();
    let claimed = ModelCircuit::instances(&m, &plan.shape, &m.forward(&x).unwrap()).unwrap();
    for i in [0, 7, 19] {
        let mut y = x.clone();
        y[i] += 1;
        let trace = m.forward(&y).unwrap();
        let mut inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
        inst[2] = claimed[2];
        assert!(run(&m, &plan, trace, inst).is_err(), "input {i} changed");
    }
}

#[test]
fn another_salt_under_the_claimed_commitment_fails() {
    let m = model(5);
    let plan = planned(&m, HASHED);
    let trace = m.forward(&[1, 2, 3, 4, 5]).unwrap();
    let claimed = ModelCircuit::instances(&m, &plan.shape, &trace.clone().salted(Fr::from(99))).unwrap();
    let forged = trace.salted(Fr::from(98));
    assert!(run(&m, &plan, forged, claimed).is_err());
}

#[test]
fn packing_overflow_into_the_neighbour_fails_on_the_limb_lookup() {
    // Values 0 and 1 share an element: (v0 − 1, v1 + 2^b) packs to the same element as (v0, v1),
    // and both have weight 0, so only the range check of v1 + 2^b can catch it.
    let m = model(4);
    let plan = planned(&m, HASHED);
    let x = [5i64, 7, 1, 2];
    let honest = m.forward(&x).unwrap();
    let inst = ModelCircuit::instances(&m, &plan.shape, &honest).unwrap();
    let b = bits(&plan);
    let mut forged = honest.clone();
    forged.input[0] -= 1;
    forged.input[1] += 1 << b;
    assert!(hash::pack(&forged.input, b).is_err(), "the forged value is out of range");
    let failures = run(&m, &plan, forged, inst).expect_err("an overflowing packing must fail");
    assert!(failures.iter().all(|f| matches!(f, VerifyFailure::Lookup { .. })), "only the limb lookup should catch it: {failures:?}");
}

#[test]
fn a_proof_for_another_claimant_fails() {
    let m = model(5);
    let plan = planned(&m, HASHED);
    let contract = zkinfer_prover::PaymentContract { chain_id: 31337, address: [0xe5; 20] };
    let me = Binding { claimant: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8:1".parse().unwrap(), contract };
    let thief = Binding { claimant: zkinfer_prover::Claimant { address: [0x11; 20], ..me.claimant }, ..me };
    let trace = m.forward(&[1, 2, 3, 4, 5]).unwrap().bound_to(me.to_fr());
    let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    assert_eq!(inst[1], me.to_fr());
    run(&m, &plan, trace.clone(), inst.clone()).unwrap();
    let mut stolen = inst;
    stolen[1] = thief.to_fr();
    let failures = run(&m, &plan, trace, stolen).expect_err("the binding is part of the statement");
    assert!(
        failures.iter().any(|f| matches!(f, VerifyFailure::ConstraintNotSatisfied { location: FailureLocation::InRegion { offset: 1, .. }, .. })),
        "the binding row's gate: {failures:?}"
    );
}

#[test]
fn tampered_commitment_witness_cells_fail() {
    // Every cell of the sponge and packing rows matters: flip the output commitment the circuit
    // computes by claiming the commitment of the same input with one more element of padding.
    let m = model(16);
    let plan = planned(&m, HASHED);
    let x: Vec<i64> = (0..16).collect();
    let trace = m.forward(&x).unwrap();
    let mut inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    let mut padded = x.clone();
    padded.push(0);
    inst[2] = hash::commit(Tensor::Input, &padded, bits(&plan), Fr::ZERO).unwrap();
    assert!(run(&m, &plan, trace, inst).is_err());
}

#[test]
fn private_input_proves_and_exposes_nothing() {
    let m = model(9);
    let private = Visibilities { input: Visibility::Private, ..HASHED };
    let plan = planned(&m, private);
    let trace = m.forward(&[1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    assert_eq!(inst.len(), 3, "commitment, binding, the output");
    run(&m, &plan, trace.clone(), inst.clone()).unwrap();
    let mut bad = inst;
    bad[2] += Fr::ONE;
    assert!(run(&m, &plan, trace, bad).is_err());
}

#[test]
fn hashed_input_instances_do_not_grow_with_the_input() {
    let small = planned(&model(16), HASHED);
    let large = planned(&model(784), HASHED);
    assert_eq!(small.num_instances, 4);
    assert_eq!(large.num_instances, 4);
    assert_eq!(small.proof_bytes, large.proof_bytes);
}

const HASHED_OUTPUT: Visibilities = Visibilities::new(Visibility::Fixed, Visibility::Public, Visibility::Hashed);

#[test]
fn hashed_output_proves_and_binds_the_output() {
    let m = model(6);
    let plan = planned(&m, HASHED_OUTPUT);
    let trace = m.forward(&[1, 2, 3, 4, 5, -6]).unwrap().salted(Fr::from(5));
    let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    assert_eq!(inst.len(), 2 + 6 + 1);
    assert_eq!(inst[8], hash::commit(Tensor::Output, &trace.output(), bits(&plan), Fr::from(5)).unwrap());
    run(&m, &plan, trace.clone(), inst.clone()).unwrap();
    // Another output under the claimed commitment: the witness's own output is fixed by the model.
    let mut other = inst.clone();
    other[8] = hash::commit(Tensor::Output, &[trace.output()[0] + 1], bits(&plan), Fr::from(5)).unwrap();
    assert!(run(&m, &plan, trace.clone(), other).is_err());
    // A forged output, committed consistently: the model's gates catch it.
    let mut forged = trace;
    forged.layers.last_mut().unwrap()[0].out += 1;
    let inst = ModelCircuit::instances(&m, &plan.shape, &forged).unwrap();
    assert!(run(&m, &plan, forged, inst).is_err());
}

#[test]
fn input_and_output_commitments_are_domain_separated() {
    // A model whose output is its input: both commitments cover the same values.
    let params = QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None };
    let layer = QuantLayer { pinned: false, tied: Vec::new(), inputs: 1, outputs: 1, rows: vec![vec![(0, 256)]], prods: Vec::new(), bias: vec![0], activation: Activation::None };
    let m = Arc::new(QuantModel { params, inputs: 1, input_sizes: Vec::new(), layers: vec![layer], outputs: vec![0] });
    let both = Visibilities::new(Visibility::Fixed, Visibility::Hashed, Visibility::Hashed);
    let plan = planned(&m, both);
    let trace = m.forward(&[42]).unwrap();
    let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    assert_eq!(inst.len(), 4, "model, binding, input commitment, output commitment");
    assert_ne!(inst[2], inst[3]);
    run(&m, &plan, trace.clone(), inst.clone()).unwrap();
    let mut swapped = inst.clone();
    swapped.swap(2, 3);
    assert!(run(&m, &plan, trace, swapped).is_err());
}

#[test]
fn private_output_exposes_nothing_but_still_proves() {
    let m = model(5);
    let plan = planned(&m, Visibilities { output: Visibility::Private, ..HASHED });
    let trace = m.forward(&[1, 2, 3, 4, 5]).unwrap();
    let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
    assert_eq!(inst.len(), 3, "model, binding, input commitment");
    run(&m, &plan, trace, inst).unwrap();
}
