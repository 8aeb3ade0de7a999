//! `zkinfer_verifier_gen`: halo2-axiom (KZG, BN254, SHPLONK) verifying key -> Solidity verifier.
//!
//! * [`transcript`]: the Keccak-256 EVM transcript the prover must use
//!   ([`KeccakTranscriptWrite`] / [`KeccakTranscriptRead`]).
//! * [`generate`]: emits a single Solidity contract exposing
//!   `verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool)`.
//! * [`encode_calldata`], [`fr_from_i64`]: helpers to call it.
//! * [`SOLC_SETTINGS`] / [`solc_settings_json`]: the compiler settings the verifier is tested with.
//! * [`srs`]: the digest of the SRS points a verifier uses ([`srs_digest`], its `SRS_DIGEST`) and
//!   whether the SRS is a development one ([`SrsKind`], its `DEV_SRS`).
//!
//! See `verifier-gen/README.md` for the byte formats and the supported circuit features.

pub mod codes;
pub mod gas;
pub mod srs;
pub mod transcript;

mod codegen;

pub use codegen::{check_hint, check_proof_bytes, generate, inversion_hint, with_hint, GeneratedVerifier, InstanceCounts, ProofDefect, VerifierOptions};
pub use codes::{revert_code_meaning, revert_code_of, REVERT_CODES};
pub use srs::{srs_digest, SrsKind, DEV_SRS_DIGEST};
pub use gas::{GasBreakdown, GasSteps};
pub use transcript::{encode_scalar, KeccakTranscriptRead, KeccakTranscriptWrite};

use halo2_proofs::halo2curves::bn256::Fr;
use sha3::{Digest, Keccak256};

/// Errors from [`generate`]: every unsupported circuit feature is named.
#[derive(Debug, thiserror::Error)]
pub enum VerifierGenError {
    /// The circuit uses a feature the generated verifier does not implement.
    #[error("unsupported circuit feature: {0}")]
    Unsupported(String),
    /// Inputs are inconsistent (e.g. params for another k, too many instances).
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// Solidity signature of the verifier entry point.
pub const VERIFY_SIGNATURE: &str = "verifyProof(bytes,uint256[])";

/// 4-byte selector of `verifyProof(bytes,uint256[])`.
pub fn verify_selector() -> [u8; 4] {
    let h = Keccak256::digest(VERIFY_SIGNATURE.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// ABI-encoded call `verifyProof(proof, instances)` (selector included), in the canonical layout
/// the generated verifier requires (it rejects any other encoding of the same arguments).
pub fn encode_calldata(proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    let padded = proof.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 0x60 + padded + 0x20 + 32 * instances.len());
    out.extend_from_slice(&verify_selector());
    out.extend_from_slice(&u256_be(0x40));
    out.extend_from_slice(&u256_be((0x60 + padded) as u64));
    out.extend_from_slice(&u256_be(proof.len() as u64));
    out.extend_from_slice(proof);
    out.resize(out.len() + (padded - proof.len()), 0);
    out.extend_from_slice(&u256_be(instances.len() as u64));
    for i in instances {
        out.extend_from_slice(&transcript::encode_scalar(i));
    }
    out
}

fn u256_be(v: u64) -> [u8; 32] {
    let mut o = [0u8; 32];
    o[24..].copy_from_slice(&v.to_be_bytes());
    o
}

/// A signed integer as the field element the circuit and the contract use:
/// `v` for `v >= 0`, `r - |v|` for `v < 0`.
pub fn fr_from_i64(v: i64) -> Fr {
    let a = Fr::from(v.unsigned_abs());
    if v < 0 {
        -a
    } else {
        a
    }
}

/// Compiler settings the generated verifiers are built and tested with.
///
/// * solc 0.8.x (tested: 0.8.37 solcjs), legacy codegen: **never via-IR** (via-IR + optimizer has been
///   seen to constant-fold a halo2 verifier into an always-reverting stub).
/// * optimizer enabled, `runs = 1` (size over per-call gas: the verifier is one big assembly block,
///   the Solidity optimizer barely changes its gas), Yul optimizer **disabled** (`details.yul = false`;
///   it does not help hand-written assembly and is the usual source of "stack too deep").
/// * `evmVersion = "cancun"` (needs PUSH0/MCOPY-era chains; runs on anvil's default hardfork too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolcSettings {
    /// Enable the (legacy) optimizer.
    pub optimizer: bool,
    /// Optimizer `runs`.
    pub runs: u32,
    /// Enable the Yul optimizer step (`optimizer.details.yul`).
    pub yul_optimizer: bool,
    /// Compile through the IR pipeline. Always `false`.
    pub via_ir: bool,
    /// Target EVM version.
    pub evm_version: &'static str,
}

/// The settings to compile generated verifiers with (see [`SolcSettings`]).
pub const SOLC_SETTINGS: SolcSettings = SolcSettings {
    optimizer: true,
    runs: 1,
    yul_optimizer: false,
    via_ir: false,
    evm_version: "cancun",
};

/// [`SOLC_SETTINGS`] as the `settings` object of solc's standard-JSON input
/// (without `outputSelection`, which the caller chooses).
pub fn solc_settings_json() -> serde_json::Value {
    let s = SOLC_SETTINGS;
    serde_json::json!({
        "optimizer": { "enabled": s.optimizer, "runs": s.runs, "details": { "yul": s.yul_optimizer } },
        "viaIR": s.via_ir,
        "evmVersion": s.evm_version,
    })
}
