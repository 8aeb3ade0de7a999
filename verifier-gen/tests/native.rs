//! Native checks: our transcript works with halo2-axiom's prover and verifier, and rejects tampering.
#![allow(clippy::unwrap_used)]
mod common;

use common::*;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::dev::MockProver;

#[test]
fn native_roundtrip_and_tampering() {
    let k = 10;
    let circuit = TestCircuit::new(40);
    let inst = circuit.instances();
    MockProver::run(k, &circuit, vec![inst.clone()]).unwrap().assert_satisfied();
    let s = setup(k, &circuit, true);
    let proof = prove(&s, &circuit, &inst);
    println!("proof bytes: {}", proof.len());
    assert!(verify_native(&s, &proof, &inst));
    let mut bad = inst.clone();
    bad[0] += Fr::one();
    assert!(!verify_native(&s, &proof, &bad));
    for pos in [0usize, 33, 100, proof.len() - 1, proof.len() - 200] {
        let mut p = proof.clone();
        p[pos] ^= 1;
        assert!(!verify_native(&s, &p, &inst), "flip at {pos}");
    }
    assert!(!verify_native(&s, &proof[..proof.len() - 32], &inst));
    let mut ext = proof.clone();
    ext.extend_from_slice(&[0u8; 32]);
    assert!(!verify_native(&s, &ext, &inst));
}
