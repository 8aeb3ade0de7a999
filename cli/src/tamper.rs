//! The tamper suite behind `zkinfer bench`: a deployed verifier must accept the valid proof and
//! reject every tampered variant, and the native halo2 verifier must agree on each case.
//!
//! Cases: 64 single-byte flips spread over the proof (every part: commitments, evaluations, the
//! multi-open points), every public instance perturbed (+1), truncated and extended calldata
//! (by a word and by a byte), and a valid proof of another circuit of the same shape (the same
//! model with one weight changed, or with hashed weights two inputs swapped: a different
//! verifying key) with its own instances.

use alloy::primitives::{Address, Bytes};
use anyhow::{bail, Result};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use serde::Serialize;
use zkinfer_prover::proving;
use zkinfer_relayer::Chain;

/// Single-byte flips per proof.
pub const BYTE_FLIPS: usize = 64;

/// The suite's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TamperReport {
    /// Tampered cases run.
    pub cases: usize,
    /// Of which, single-byte flips of the proof.
    pub byte_flips: usize,
    /// Of which, perturbed instances.
    pub instances_perturbed: usize,
    /// Cases the deployed verifier rejected (revert or `false`).
    pub rejected_onchain: usize,
    /// Cases the native verifier rejected (those with a native counterpart).
    pub rejected_natively: usize,
    /// Cases with a native counterpart (all but the calldata-length ones).
    pub native_cases: usize,
    /// Cases accepted by either verifier, or on which they disagree (empty when all is well).
    pub failures: Vec<String>,
}

/// A proof and its instances.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub proof: &'a [u8],
    pub instances: &'a [Fr],
}

/// The verifier under test: deployed at `address`, natively `vk` under `params`.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub chain: &'a Chain,
    pub address: Address,
    pub params: &'a ParamsKZG<Bn256>,
    pub vk: &'a VerifyingKey<G1Affine>,
}

impl Target<'_> {
    /// Whether the deployed verifier accepts `calldata` (returns exactly `true`).
    async fn accepts_onchain(&self, calldata: Vec<u8>) -> Result<bool> {
        let out = self.chain.call(self.address, Bytes::from(calldata)).await?;
        Ok(out.success && crate::onchain::returns_true(&out.output))
    }

    fn accepts_natively(&self, c: Claim<'_>) -> bool {
        proving::verify(self.params, self.vk, c.proof, c.instances).is_ok()
    }
}

/// Runs the suite; fails only on RPC errors or when the valid proof is not accepted.
pub async fn run(t: Target<'_>, valid: Claim<'_>, other: Claim<'_>) -> Result<TamperReport> {
    let encode = |c: Claim<'_>| zkinfer_verifier_gen::encode_calldata(c.proof, c.instances);
    let (native, onchain) = (t.accepts_natively(valid), t.accepts_onchain(encode(valid)).await?);
    if !native || !onchain {
        bail!("the valid proof is not accepted (natively {native}, by an eth_call on-chain {onchain}): the tamper suite needs a valid baseline");
    }
    let mut r = TamperReport {
        cases: 0,
        byte_flips: 0,
        instances_perturbed: 0,
        rejected_onchain: 0,
        rejected_natively: 0,
        native_cases: 0,
        failures: Vec::new(),
    };
    let mut record = |name: String, onchain: bool, native: Option<bool>| {
        r.cases += 1;
        if !onchain {
            r.rejected_onchain += 1;
        }
        if let Some(n) = native {
            r.native_cases += 1;
            if !n {
                r.rejected_natively += 1;
            }
        }
        // Every case must be rejected by both verifiers, so any acceptance is also a disagreement.
        if onchain || native == Some(true) {
            r.failures.push(format!("{name}: accepted on-chain {onchain}, natively {native:?}"));
        }
    };

    let len = valid.proof.len();
    for i in 0..BYTE_FLIPS {
        // Spread over the whole proof; a varying non-zero mask.
        let at = (i * len) / BYTE_FLIPS + (i * 7) % (len / BYTE_FLIPS).max(1);
        let mask = 1u8 << (i % 8);
        let mut proof = valid.proof.to_vec();
        proof[at] ^= mask;
        let c = Claim { proof: &proof, instances: valid.instances };
        let onchain = t.accepts_onchain(encode(c)).await?;
        record(format!("proof byte {at} ^ {mask:#04x}"), onchain, Some(t.accepts_natively(c)));
    }

    for j in 0..valid.instances.len() {
        let mut instances = valid.instances.to_vec();
        instances[j] += Fr::one();
        let c = Claim { proof: valid.proof, instances: &instances };
        let onchain = t.accepts_onchain(encode(c)).await?;
        record(format!("instance {j} + 1"), onchain, Some(t.accepts_natively(c)));
    }

    let calldata = encode(valid);
    for (name, data) in [
        ("calldata truncated by a word", calldata[..calldata.len() - 32].to_vec()),
        ("calldata truncated by a byte", calldata[..calldata.len() - 1].to_vec()),
        ("calldata extended by a word", [calldata.as_slice(), &[0u8; 32]].concat()),
        ("calldata extended by a byte", [calldata.as_slice(), &[0u8]].concat()),
    ] {
        let onchain = t.accepts_onchain(data).await?;
        record(name.to_string(), onchain, None);
    }
    let short = Claim { proof: &valid.proof[..len - 32], instances: valid.instances };
    let onchain = t.accepts_onchain(encode(short)).await?;
    record("proof without its last word".into(), onchain, Some(t.accepts_natively(short)));

    let onchain = t.accepts_onchain(encode(other)).await?;
    record("valid proof of another circuit of the same shape".into(), onchain, Some(t.accepts_natively(other)));
    r.byte_flips = BYTE_FLIPS;
    r.instances_perturbed = valid.instances.len();
    Ok(r)
}
