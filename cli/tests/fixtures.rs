//! The forge fixtures (test/fixtures/) are fresh: regenerating the verifiers from the bundled
//! model (fixed and hashed weights) gives the committed Solidity byte for byte, the committed
//! proofs verify against the regenerated verifying keys, and each is bound to the claimant, id,
//! contract and chain the real-proof suites use (test/Fixtures.sol). Regenerate with
//! ./script/gen-fixtures.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use zkinfer_prover::artifact::{CircuitArtifact, ProofArtifact};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use zkinfer_prover::{compile, hash, proving, srs, Binding, CompileOptions, PaymentContract, Visibilities, Visibility};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The bundled MLP compiled as script/gen-fixtures does (calibrated on its sample input; dot
/// width pinned so that re-measuring the cost model never makes the fixtures stale) with `opts`,
/// its dev-SRS keys, and a check that the committed verifier `sol` (under test/fixtures/) is the
/// one generated now.
fn fresh(opts: CompileOptions, sol: &str) -> (CircuitArtifact, ParamsKZG<Bn256>, ProvingKey<G1Affine>) {
    let model = root().join("models/mlp_small.onnx");
    let input = zkinfer_prover::input::read_input(&root().join("models/mlp_small.input.json")).unwrap();
    let opts = CompileOptions { calibration: vec![input], ..opts };
    let art = CircuitArtifact::of(&model, compile(&model, &opts).unwrap()).unwrap();
    let params = srs::dev_srs(art.plan.k).unwrap();
    let pk = proving::keygen(&params, &art.circuit()).unwrap();
    // As `zkinfer verifier` generates it: the instance layout, the dev SRS flagged.
    let l = &art.instances;
    let counts = zkinfer_verifier_gen::InstanceCounts { inputs: l.inputs[1] - l.inputs[0], outputs: l.outputs[1] - l.outputs[0] };
    let options = zkinfer_verifier_gen::VerifierOptions { instance_counts: Some(counts), ..Default::default() };
    let g = zkinfer_verifier_gen::generate(&params, pk.get_vk(), art.plan.num_instances, &options).unwrap();
    let committed = std::fs::read_to_string(root().join("test/fixtures").join(sol)).unwrap();
    assert!(committed == g.source, "test/fixtures/{sol} is stale: run ./script/gen-fixtures");
    (art, params, pk)
}

/// `NAME = VALUE` of test/Fixtures.sol (the real-proof suites' deployment).
fn fixture_constant(name: &str) -> String {
    let src = std::fs::read_to_string(root().join("test/Fixtures.sol")).unwrap();
    let at = src.find(&format!("{name} = ")).unwrap_or_else(|| panic!("test/Fixtures.sol lacks {name}"));
    src[at + name.len() + 3..].split(';').next().unwrap().trim().to_string()
}

/// The binding of the fixture proofs: 0xC1A1, id 0, at `contract` (FIXTURE_ESCROW or
/// FIXTURE_BOUNTY) on FIXTURE_CHAIN_ID.
fn fixture_binding(contract: &str) -> halo2_proofs::halo2curves::bn256::Fr {
    let address = zkinfer_prover::binding::parse_address(&fixture_constant(contract)).unwrap();
    let chain_id: u64 = fixture_constant("FIXTURE_CHAIN_ID").parse().unwrap();
    let claimant = "0x000000000000000000000000000000000000C1A1:0".parse().unwrap();
    Binding { claimant, contract: PaymentContract { chain_id, address } }.to_fr()
}

#[test]
fn forge_fixtures_are_fresh() {
    // `compile --calibrate models/mlp_small.input.json --dot-width 8`.
    let (art, params, pk) = fresh(CompileOptions { dot_width: Some(8), ..CompileOptions::default() }, "Halo2Verifier.sol");
    let proof = ProofArtifact::load(&root().join("test/fixtures/proof.json")).unwrap();
    proving::verify(&params, pk.get_vk(), &proof.proof_bytes().unwrap(), &proof.instance_values().unwrap())
        .expect("test/fixtures/proof.json does not verify: run ./script/gen-fixtures");
    assert_eq!(proof.model_commitment, art.model_commitment);
    assert_eq!(proof.instance_values().unwrap()[1], fixture_binding("FIXTURE_ESCROW"), "proof.json is not bound for the fixture escrow: run ./script/gen-fixtures");
}

#[test]
fn hashed_weights_fixtures_are_fresh_and_name_their_weight_sets() {
    let visibility = Visibilities { weights: Visibility::Hashed, ..Visibilities::default() };
    let (art, params, pk) = fresh(CompileOptions { dot_width: Some(8), visibility, ..CompileOptions::default() }, "hashed-weights/HashedWeightsVerifier.sol");
    let dir = root().join("test/fixtures/hashed-weights");
    let b = art.with_weights_from(&root().join("models/mlp_small_b.onnx")).unwrap();
    let bits = art.plan.shape.packing_bits();
    for (file, m, salt) in [("proof_a.json", &art.model, 0xa), ("proof_b.json", &b.model, 0xb)] {
        let proof = ProofArtifact::load(&dir.join(file)).unwrap();
        let instances = proof.instance_values().unwrap();
        proving::verify(&params, pk.get_vk(), &proof.proof_bytes().unwrap(), &instances)
            .unwrap_or_else(|e| panic!("test/fixtures/hashed-weights/{file} does not verify ({e}): run ./script/gen-fixtures"));
        assert_eq!(instances[1], fixture_binding("FIXTURE_ESCROW"), "{file}: not bound for the fixture escrow");
        // Instance 0 is the commitment to that file's weights under its weight salt.
        assert_eq!(instances[0], hash::commit(hash::Tensor::Weights, &m.committed_weights(), bits, halo2_proofs::halo2curves::bn256::Fr::from(salt)).unwrap(), "{file}");
    }
}

#[test]
fn accuracy_fixtures_are_fresh_and_count_right_answers() {
    // `--accuracy-samples 16 --dot-width 4`, bounty visibility.
    let opts = CompileOptions { dot_width: Some(4), visibility: Visibilities::BOUNTY, accuracy_samples: Some(16), ..CompileOptions::default() };
    let (art, params, pk) = fresh(opts, "accuracy/AccuracyVerifier.sol");
    let dir = root().join("test/fixtures/accuracy");
    let spec = art.accuracy.unwrap();
    let set = zkinfer_prover::input::read_test_set(&root().join("models/mlp_small.testset.json")).unwrap();
    let test_set = art.model.quantise_input(&set.flatten(&spec).unwrap()).unwrap();
    let commitment = hash::commit(hash::Tensor::Input, &test_set, art.plan.shape.packing_bits(), halo2_proofs::halo2curves::bn256::Fr::zero()).unwrap();
    let bounty: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("bounty.json")).unwrap()).unwrap();
    assert_eq!(bounty["test_set_commitment"].as_str().unwrap(), zkinfer_prover::artifact::fr_to_hex(&commitment));
    assert_eq!(bounty["threshold"], 12);
    assert_eq!(bounty["samples"], 16);
    for (file, right) in [("proof.json", 12u64), ("proof_low.json", 6)] {
        let proof = ProofArtifact::load(&dir.join(file)).unwrap();
        let instances = proof.instance_values().unwrap();
        proving::verify(&params, pk.get_vk(), &proof.proof_bytes().unwrap(), &instances)
            .unwrap_or_else(|e| panic!("test/fixtures/accuracy/{file} does not verify ({e}): run ./script/gen-fixtures"));
        assert_eq!(instances.len(), 4, "{file}: [weights, binding, test set, count]");
        assert_eq!(instances[2], commitment, "{file}: the bounty's test set");
        assert_eq!(instances[3], halo2_proofs::halo2curves::bn256::Fr::from(right), "{file}: right answers");
        assert_eq!(instances[1], fixture_binding("FIXTURE_BOUNTY"), "{file}: not bound for the fixture bounty");
    }
}
