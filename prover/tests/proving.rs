//! Real KZG proofs of the bundled model: keygen, prove, native verify, artifact round trips,
//! and rejection of tampered proofs and instances.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use zkinfer_prover::artifact::{self, CircuitArtifact, ProofArtifact};
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::{proving, srs};

#[test]
fn prove_verify_and_reject_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let (compiled, samples) = common::mlp_small();
    let art = CircuitArtifact::new(&common::model_path("mlp_small.onnx"), compiled.model.clone(), compiled.plan.clone()).unwrap();
    let srs_dir = dir.path().join("srs");
    let params = srs::dev_srs_in(&srs_dir, art.plan.k).unwrap();
    // Second load comes from the cache file and must be the same parameters.
    let cached = srs::dev_srs_in(&srs_dir, art.plan.k).unwrap();
    let bytes = |p: &halo2_proofs::poly::kzg::commitment::ParamsKZG<_>| {
        let mut v = Vec::new();
        halo2_proofs::poly::commitment::Params::write(p, &mut v).unwrap();
        v
    };
    assert_eq!(bytes(&params), bytes(&cached));

    let pk = proving::keygen(&params, &art.circuit()).unwrap();
    // Keys round-trip through their files.
    art.save(&dir.path().join("circuit.json")).unwrap();
    let art = CircuitArtifact::load(&dir.path().join("circuit.json")).unwrap();
    artifact::save_pk(&dir.path().join("pk.bin"), &pk).unwrap();
    artifact::save_vk(&dir.path().join("vk.bin"), pk.get_vk()).unwrap();
    let pk = artifact::load_pk(&dir.path().join("pk.bin"), &art).unwrap();
    let vk = artifact::load_vk(&dir.path().join("vk.bin"), &art).unwrap();

    let model = Arc::new(art.model.clone());
    let trace = model.forward(&model.quantise_input(&samples[0]).unwrap()).unwrap();
    let instances = ModelCircuit::instances(&model, &art.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: art.plan.shape, trace: Some(trace.clone()) };
    let proof = proving::prove(&params, &pk, &circuit, &instances).unwrap();
    proving::verify(&params, &vk, &proof, &instances).expect("valid proof verifies");
    // The plan's predicted proof size (from the constraint system) is exact.
    assert_eq!(art.plan.proof_bytes, proof.len(), "{:?}", art.plan);

    // Artifact round trip.
    let pa = ProofArtifact::new(&proof, &instances, &model, &art.instances, trace.output());
    pa.save(&dir.path().join("proof.json")).unwrap();
    let pa = ProofArtifact::load(&dir.path().join("proof.json")).unwrap();
    assert_eq!(pa.proof_bytes().unwrap(), proof);
    assert_eq!(pa.instance_values().unwrap(), instances);
    proving::verify(&params, &vk, &pa.proof_bytes().unwrap(), &pa.instance_values().unwrap()).unwrap();

    // Tampering: flipped bytes at spread positions, each instance perturbed, truncation.
    for pos in (0..proof.len()).step_by(proof.len() / 16) {
        let mut bad = proof.clone();
        bad[pos] ^= 0x01;
        assert!(proving::verify(&params, &vk, &bad, &instances).is_err(), "flip at byte {pos} accepted");
    }
    for i in 0..instances.len() {
        let mut bad = instances.clone();
        bad[i] += halo2_proofs::halo2curves::bn256::Fr::one();
        assert!(proving::verify(&params, &vk, &proof, &bad).is_err(), "instance {i} perturbed accepted");
    }
    assert!(proving::verify(&params, &vk, &proof[..proof.len() - 32], &instances).is_err());
}
