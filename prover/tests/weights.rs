//! Hashed weights (`weights=hashed`): public instance 0 is the in-circuit Poseidon commitment to
//! the weights and biases, equal to the off-chain one; the verifying key depends on the
//! architecture only, so one key proves two weight sets; and every way of keeping a claimed
//! weights commitment while proving with other weights fails: another weight, another bias,
//! another weight salt, a packing overflow.

#![allow(clippy::unwrap_used)]

use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::hash::{self, Tensor};
use zkinfer_prover::ir::Activation;
use zkinfer_prover::quant::{QuantLayer, QuantParams};
use zkinfer_prover::{plan, proving, srs, CircuitPlan, CircuitShape, QuantModel, Trace, Visibilities, Visibility};

const WEIGHTS_HASHED: Visibilities = Visibilities::new(Visibility::Hashed, Visibility::Hashed, Visibility::Public);

/// A 4-3-2 MLP (ReLU, then linear) with one product term in its last layer, weights from `seed`.
fn mlp(seed: u64) -> Arc<QuantModel> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let params = QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None };
    let mut w = |n: usize| -> Vec<i64> { (0..n).map(|_| rng.gen_range(-300..300)).collect() };
    let hidden = QuantLayer {
        pinned: false,
        tied: Vec::new(),
        inputs: 4,
        outputs: 3,
        rows: (0..3).map(|_| w(4).into_iter().enumerate().collect()).collect(),
        prods: Vec::new(),
        bias: w(3).into_iter().map(|b| b * 256).collect(),
        activation: Activation::Relu,
    };
    let out = QuantLayer {
        pinned: false,
        tied: Vec::new(),
        inputs: 7,
        outputs: 2,
        rows: (0..2).map(|_| w(3).into_iter().enumerate().map(|(i, v)| (4 + i, v)).collect()).collect(),
        prods: vec![vec![(4, 5)], vec![]],
        bias: w(2).into_iter().map(|b| b * 256).collect(),
        activation: Activation::None,
    };
    Arc::new(QuantModel { params, inputs: 4, input_sizes: Vec::new(), layers: vec![hidden, out], outputs: vec![7, 8] }.with_committed_biases())
}

fn planned(model: &QuantModel, visibility: Visibilities, width: usize) -> CircuitPlan {
    plan(model, CircuitShape::for_model(model, width).with_visibility(visibility)).unwrap()
}

fn run(model: &Arc<QuantModel>, plan: &CircuitPlan, trace: Trace, instances: Vec<Fr>) -> Result<(), Vec<VerifyFailure>> {
    let circuit = ModelCircuit { model: model.clone(), shape: plan.shape, trace: Some(trace) };
    MockProver::run(plan.k, &circuit, vec![instances]).unwrap().verify()
}

const INPUT: [i64; 4] = [200, -100, 50, 255];

#[test]
fn in_circuit_weights_commitment_equals_off_chain() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    for (seed, width, output) in [(1, 3, Visibility::Public), (2, 4, Visibility::Hashed), (3, 7, Visibility::Private)] {
        let m = mlp(seed);
        let plan = planned(&m, Visibilities { output, ..WEIGHTS_HASHED }, width);
        assert!(plan.weight_commitment_rows > 0 && plan.weight_commitment_rows <= plan.commitment_rows);
        let salt = Fr::random(&mut rng);
        let trace = m.forward(&INPUT).unwrap().weights_salted(salt);
        let inst = ModelCircuit::instances(&m, &plan.shape, &trace).unwrap();
        assert_eq!(inst[0], hash::commit(Tensor::Weights, &m.committed_weights(), plan.shape.packing_bits(), salt).unwrap());
        run(&m, &plan, trace, inst).unwrap_or_else(|e| panic!("seed {seed}, width {width}: {e:?}"));
    }
}

#[test]
fn the_layout_does_not_depend_on_the_weights() {
    // Same rows, same selectors, same fixed cells: what makes the verifying key the same.
    let (a, b) = (mlp(1), mlp(2));
    assert_ne!(a.committed_weights(), b.committed_weights());
    let (pa, pb) = (planned(&a, WEIGHTS_HASHED, 4), planned(&b, WEIGHTS_HASHED, 4));
    assert_eq!(pa, pb);
    // Fixed weights have no fixed dot-product columns to spare: hashed ones keep two `w` columns.
    let fixed = planned(&a, Visibilities::default(), 4);
    assert_eq!(fixed.fixed_columns - pa.fixed_columns, 2);
}

/// The claimed instances of `honest`, then the MockProver result of `forged` (a model and a
/// trace) against them.
fn forge(honest: &Arc<QuantModel>, forged: &Arc<QuantModel>, forged_trace: Trace) -> Result<(), Vec<VerifyFailure>> {
    let plan = planned(honest, WEIGHTS_HASHED, 4);
    let claimed = ModelCircuit::instances(honest, &plan.shape, &honest.forward(&INPUT).unwrap()).unwrap();
    let mut inst = ModelCircuit::instances(forged, &plan.shape, &forged_trace).unwrap_or_else(|_| claimed.clone());
    inst[0] = claimed[0];
    run(forged, &plan, forged_trace, inst)
}

#[test]
fn another_weight_or_bias_under_the_claimed_commitment_fails() {
    let honest = mlp(5);
    for (layer, output, term) in [(0, 0, Some(0)), (0, 2, Some(3)), (1, 1, Some(2)), (0, 1, None), (1, 0, None)] {
        let mut m = (*honest).clone();
        match term {
            Some(t) => m.layers[layer].rows[output][t].1 += 1,
            None => m.layers[layer].bias[output] += 256,
        }
        let m = Arc::new(m);
        let trace = m.forward(&INPUT).unwrap();
        assert!(forge(&honest, &m, trace).is_err(), "layer {layer}, output {output}, term {term:?} changed");
    }
    // The honest model under its own commitment proves.
    let trace = honest.forward(&INPUT).unwrap();
    forge(&honest, &honest, trace).unwrap();
}

#[test]
fn another_weight_salt_under_the_claimed_commitment_fails() {
    let m = mlp(6);
    let plan = planned(&m, WEIGHTS_HASHED, 4);
    let trace = m.forward(&INPUT).unwrap();
    let claimed = ModelCircuit::instances(&m, &plan.shape, &trace.clone().weights_salted(Fr::from(7))).unwrap();
    assert!(run(&m, &plan, trace.clone().weights_salted(Fr::from(8)), claimed.clone()).is_err());
    run(&m, &plan, trace.weights_salted(Fr::from(7)), claimed).unwrap();
}

#[test]
fn weight_packing_overflow_fails_on_the_limb_lookup() {
    // Weights 0 and 1 of the first output are adjacent in one packed element: (w0 − 1, w1 + 2^b)
    // packs to the same element. With inputs 0 and 1 zero the arithmetic cannot tell; only the
    // limb lookup of w1 + 2^b can.
    let honest = mlp(7);
    let input = [0, 0, 50, 255];
    let plan = planned(&honest, WEIGHTS_HASHED, 4);
    let honest_trace = honest.forward(&input).unwrap();
    let claimed = ModelCircuit::instances(&honest, &plan.shape, &honest_trace).unwrap();
    let mut forged = (*honest).clone();
    forged.layers[0].rows[0][0].1 -= 1;
    forged.layers[0].rows[0][1].1 += 1 << plan.shape.packing_bits();
    let forged = Arc::new(forged);
    assert!(forged.check_committed_range(plan.shape.packing_bits()).is_err());
    let trace = forged.forward(&input).unwrap();
    assert_eq!(trace.output(), honest_trace.output());
    let failures = run(&forged, &plan, trace, claimed).expect_err("an overflowing weight packing must fail");
    assert!(failures.iter().all(|f| matches!(f, VerifyFailure::Lookup { .. })), "only the limb lookup should catch it: {failures:?}");
}

#[test]
fn one_verifying_key_proves_two_weight_sets_and_tells_them_apart() {
    let (a, b) = (mlp(11), mlp(12));
    let plan = planned(&a, WEIGHTS_HASHED, 4);
    assert!(plan.k <= 12, "k = {}", plan.k);
    let params = srs::dev_srs(plan.k).unwrap();
    let key_of = |m: &Arc<QuantModel>| proving::keygen(&params, &ModelCircuit { model: m.clone(), shape: plan.shape, trace: None }).unwrap();
    let pk = key_of(&a);
    // Key generation from the other weight set gives the same verifying key.
    let vk_bytes = |pk: &halo2_proofs::plonk::ProvingKey<_>| pk.get_vk().to_bytes(halo2_proofs::SerdeFormat::RawBytes);
    assert_eq!(vk_bytes(&pk), vk_bytes(&key_of(&b)));

    let prove = |m: &Arc<QuantModel>| {
        let trace = m.forward(&INPUT).unwrap().weights_salted(Fr::from(42));
        let inst = ModelCircuit::instances(m, &plan.shape, &trace).unwrap();
        let proof = proving::prove(&params, &pk, &ModelCircuit { model: m.clone(), shape: plan.shape, trace: Some(trace) }, &inst).unwrap();
        (proof, inst)
    };
    let (proof_a, inst_a) = prove(&a);
    let (proof_b, inst_b) = prove(&b);
    proving::verify(&params, pk.get_vk(), &proof_a, &inst_a).unwrap();
    proving::verify(&params, pk.get_vk(), &proof_b, &inst_b).unwrap();
    assert_ne!(inst_a[0], inst_b[0], "the weights commitments differ");
    // B's proof does not verify as a proof about A's weights.
    let mut claimed_a = inst_b.clone();
    claimed_a[0] = inst_a[0];
    assert!(proving::verify(&params, pk.get_vk(), &proof_b, &claimed_a).is_err());
}

#[test]
fn a_convolution_s_kernel_is_committed_once_per_whole_window_and_proves() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/cnn_small.onnx");
    let input = zkinfer_prover::input::read_input(&path.with_file_name("cnn_small.input.json")).unwrap();
    let opts = zkinfer_prover::CompileOptions { calibration: vec![input.clone()], visibility: WEIGHTS_HASHED, dot_width: Some(4), ..Default::default() };
    let c = zkinfer_prover::compile(&path, &opts).unwrap();
    let terms: usize = c.model.layers.iter().map(|l| l.rows.iter().map(Vec::len).sum::<usize>() + l.outputs).sum();
    let committed = c.model.committed_weights().len();
    assert!(committed * 4 < terms, "shared kernels are committed once: {committed} committed values for {terms} terms and biases");
    let model = Arc::new(c.model);
    let trace = model.forward(&model.quantise_input(&input).unwrap()).unwrap();
    let inst = ModelCircuit::instances(&model, &c.plan.shape, &trace).unwrap();
    run(&model, &c.plan, trace, inst).unwrap();
}
