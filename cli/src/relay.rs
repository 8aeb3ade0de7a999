//! The demo's relayer: the host's and the hunter's on-chain claims go through a
//! [`zkinfer_relayer::Relayer`] signing with their key, which calls only the demo's escrow and
//! bounty contracts (their paying methods, from the compiled ABIs), verifies each proof natively
//! and simulates the call before it spends gas, and follows the transaction to its receipt. The
//! demo submits in-process (no HTTP API, so no token).

use alloy::primitives::{Address, U256};
use anyhow::{Context, Result};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::path::Path;
use std::time::Duration;
use zkinfer_relayer::{CircuitVerifier, JobRequest, JobState, LocalChain, ProofPayload, Relayer, RelayerConfig, SubmitError};

use crate::onchain::Contracts;

/// What became of one relayed call.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// Confirmed on-chain (the call succeeded).
    pub confirmed: bool,
    /// Why not: refused before any transaction (the proof does not verify natively, or the call
    /// would revert, with the contract's reason) or reverted on-chain.
    pub reason: Option<String>,
    /// Gas of the transaction (none when nothing was sent).
    pub gas_used: Option<u64>,
}

/// What a demo relayer checks proofs of: a circuit's name, parameters, verifying key and
/// instance count.
pub struct CircuitParts<'a> {
    pub name: &'a str,
    pub params: &'a ParamsKZG<Bn256>,
    pub vk: &'a VerifyingKey<G1Affine>,
    pub instances: usize,
}

/// Starts a relayer on `local` signing with anvil's key `key`, checking proofs of one circuit,
/// calling `contracts`' escrow and bounty, with its database in `dir`.
pub async fn start(local: &LocalChain, key: usize, circuit: CircuitParts<'_>, contracts: &Contracts, dir: &Path) -> Result<Relayer> {
    let CircuitParts { name, params, vk, instances } = circuit;
    let signer = local.signer_for_key(key)?;
    let circuit = CircuitVerifier::from_parts(name, params.clone(), vk.clone(), instances)?;
    let db = dir.join(format!("relayer-{name}.sqlite"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut cfg = RelayerConfig::new(local.endpoint(), signer, db).with_circuit(circuit);
    for c in contracts.allowed()? {
        cfg = cfg.with_contract(c)?;
    }
    // anvil mines every transaction at once: one confirmation, quick polling.
    cfg.confirmations = 1;
    cfg.poll_interval = Duration::from_millis(100);
    Relayer::start(cfg).await.context("starting the relayer")
}

/// Relays the paying call (`fulfil` or `claim`, whichever `contract` is) of bounty or request
/// `id` with this proof and waits for the outcome.
pub async fn call(r: &Relayer, contract: Address, id: U256, proof: &[u8], instances: &[Fr]) -> Result<Relayed> {
    let req = JobRequest::pay(contract, id, ProofPayload::from_fields(proof, instances), None);
    let sub = match r.submit(req).await {
        Ok(s) => s,
        Err(SubmitError::ProofRejected(e)) => return Ok(Relayed { confirmed: false, reason: Some(format!("refused by the relayer, nothing sent: {e}")), gas_used: None }),
        Err(e) => return Err(e).context("submitting to the relayer"),
    };
    let job = r.wait_final(sub.job.id, Duration::from_secs(120)).await.context("waiting for the relayed job")?;
    Ok(Relayed { confirmed: job.state == JobState::Confirmed, reason: job.reason, gas_used: job.gas_used })
}

/// [`call`], with the amount the contract paid out, read from its balance change on `chain`.
pub async fn pay(r: &Relayer, chain: &zkinfer_relayer::Chain, contract: Address, id: U256, proof: &[u8], instances: &[Fr]) -> Result<crate::onchain::ClaimOutcome> {
    let before = chain.balance(contract).await?;
    let relayed = call(r, contract, id, proof, instances).await?;
    let after = chain.balance(contract).await?;
    Ok(crate::onchain::ClaimOutcome {
        paid: relayed.confirmed,
        gas_used: relayed.gas_used.unwrap_or(0),
        revert_reason: relayed.reason,
        reward_paid_wei: before.saturating_sub(after),
    })
}
