//! The forge fixtures (test/fixtures/) are fresh: regenerating the verifier from the bundled
//! model gives the committed Solidity byte for byte, and the committed proof verifies against
//! the regenerated verifying key. Regenerate with ./script/gen-fixtures.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use zkinfer_prover::artifact::{CircuitArtifact, ProofArtifact};
use zkinfer_prover::{compile, proving, srs, CompileOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn forge_fixtures_are_fresh() {
    let model = root().join("models/mlp_small.onnx");
    let input = zkinfer_prover::input::read_input(&root().join("models/mlp_small.input.json")).unwrap();
    // Same options as script/gen-fixtures (`compile --calibrate models/mlp_small.input.json --dot-width 8`):
    // the width is pinned so that re-measuring the cost model never makes the fixtures stale.
    let opts = CompileOptions { calibration: vec![input], dot_width: Some(8), ..CompileOptions::default() };
    let c = compile(&model, &opts).unwrap();
    let art = CircuitArtifact::new(&model, c.model, c.plan).unwrap();
    let params = srs::dev_srs(art.plan.k).unwrap();
    let pk = proving::keygen(&params, &art.circuit()).unwrap();
    let g = zkinfer_verifier_gen::generate(&params, pk.get_vk(), art.plan.num_instances, &Default::default()).unwrap();
    let committed = std::fs::read_to_string(root().join("test/fixtures/Halo2Verifier.sol")).unwrap();
    assert!(committed == g.source, "test/fixtures/Halo2Verifier.sol is stale: run ./script/gen-fixtures");
    let proof = ProofArtifact::load(&root().join("test/fixtures/proof.json")).unwrap();
    proving::verify(&params, pk.get_vk(), &proof.proof_bytes().unwrap(), &proof.instance_values().unwrap())
        .expect("test/fixtures/proof.json does not verify: run ./script/gen-fixtures");
    assert_eq!(proof.model_commitment, art.model_commitment);
}
