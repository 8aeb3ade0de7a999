//! The development SRS's digest is the constant the verifiers, the registry and `zkinfer deploy`
//! recognise it by (`zkinfer_verifier_gen::DEV_SRS_DIGEST`, `VerifierRegistry.DEV_SRS_DIGEST`),
//! for every circuit size.

#![allow(clippy::unwrap_used)]

use zkinfer_prover::srs;
use zkinfer_verifier_gen::{srs_digest, DEV_SRS_DIGEST};

#[test]
fn dev_srs_digest_is_the_known_constant_at_every_k() {
    let dir = tempfile::tempdir().unwrap();
    for k in [4, 7] {
        let params = srs::dev_srs_in(dir.path(), k).unwrap();
        assert_eq!(
            hex::encode(srs_digest(&params)),
            hex::encode(DEV_SRS_DIGEST),
            "the dev SRS at k = {k} has another digest: update DEV_SRS_DIGEST (verifier-gen/src/srs.rs) and VerifierRegistry.DEV_SRS_DIGEST"
        );
    }
}

#[test]
fn contracts_know_the_dev_srs_digest() {
    let registry = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/VerifierRegistry.sol")).unwrap();
    let line = format!("bytes32 public constant DEV_SRS_DIGEST = 0x{};", hex::encode(DEV_SRS_DIGEST));
    assert!(registry.contains(&line), "contracts/VerifierRegistry.sol lacks `{line}`");
}
