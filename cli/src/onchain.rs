//! On-chain steps: deploy the generated verifier and the bounty contract, verify in a real
//! transaction, post and claim a bounty. Works against any RPC endpoint through the relayer's
//! alloy harness; the demo and bench use a local anvil they start themselves.

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_relayer::{Chain, CompilerSettings};

sol! {
    function post(address verifier, uint256 modelCommitment, uint64 deadline) external payable returns (uint256 id);
    function claim(uint256 id, bytes proof, uint256[] instances) external;
    function nextBountyId() external view returns (uint256);
}

/// The bounty contract's sources, embedded so the binary needs only solc at run time.
const BOUNTY_SOURCES: [(&str, &str); 2] = [
    ("ModelBounty.sol", include_str!("../../contracts/ModelBounty.sol")),
    ("IHalo2Verifier.sol", include_str!("../../contracts/IHalo2Verifier.sol")),
];

/// Deployed contracts.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Deployed {
    pub verifier: Address,
    pub bounty: Address,
    pub verifier_deploy_gas: u64,
    pub bounty_deploy_gas: u64,
}

/// Compiles and deploys the verifier (given its initcode) and ModelBounty.
pub async fn deploy(chain: &Chain, verifier_initcode: Vec<u8>) -> Result<Deployed> {
    let v = chain.deploy(verifier_initcode).await.context("deploying the verifier")?;
    let sources: Vec<(String, String)> = BOUNTY_SOURCES.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect();
    let bounty = zkinfer_relayer::compile(&sources, "ModelBounty", &CompilerSettings::default()).context("compiling ModelBounty")?;
    let b = chain.deploy(bounty.bytecode).await.context("deploying ModelBounty")?;
    Ok(Deployed { verifier: v.address, bounty: b.address, verifier_deploy_gas: v.gas_used, bounty_deploy_gas: b.gas_used })
}

/// Field elements as uint256s.
pub fn u256s(instances: &[Fr]) -> Vec<U256> {
    instances.iter().map(|f| U256::from_be_bytes(zkinfer_verifier_gen::transcript::encode_scalar(f))).collect()
}

/// ModelBounty's custom errors, for readable revert reasons.
const BOUNTY_ERRORS: &[&str] = &[
    "ZeroAmount()",
    "VerifierHasNoCode(address)",
    "DeadlineInPast(uint64)",
    "UnknownBounty(uint256)",
    "BountyAlreadyPaid(uint256)",
    "BountyAlreadyRefunded(uint256)",
    "BountyExpired(uint256,uint64)",
    "BountyNotExpired(uint256,uint64)",
    "NoInstances()",
    "WrongModelCommitment(uint256,uint256)",
    "WrongClaimant(uint256,uint256)",
    "BountyIdTooLarge(uint256)",
    "ProofRejected(uint256)",
    "NotPoster(address)",
    "TransferFailed(address,uint256)",
];

/// Names a ModelBounty revert: `ProofRejected(0)` instead of a raw selector.
pub fn bounty_revert_reason(data: Option<&[u8]>, fallback: Option<String>) -> Option<String> {
    let Some(data) = data.filter(|d| d.len() >= 4) else { return fallback };
    for sig in BOUNTY_ERRORS {
        if alloy::primitives::keccak256(sig.as_bytes())[..4] == data[..4] {
            let name = &sig[..sig.find('(').unwrap_or(sig.len())];
            // Small words (ids, amounts, deadlines) in decimal, large ones (commitments,
            // bindings, addresses) in hex.
            let word = |w: &[u8]| {
                let v = U256::from_be_slice(w);
                if v < U256::from(u64::MAX) { v.to_string() } else { format!("{v:#x}") }
            };
            let args: Vec<String> = data[4..].chunks(32).map(word).collect();
            return Some(format!("{name}({})", args.join(", ")));
        }
    }
    fallback
}

/// Calls verifyProof in a real transaction; returns (accepted, gas used).
pub async fn verify_tx(chain: &Chain, verifier: Address, proof: &[u8], instances: &[Fr]) -> Result<(bool, u64)> {
    let data = zkinfer_verifier_gen::encode_calldata(proof, instances);
    let out = chain.send(verifier, Bytes::from(data), U256::ZERO).await.context("sending verifyProof")?;
    Ok((out.status, out.gas_used))
}

/// Posts a bounty; returns its id.
pub async fn post_bounty(chain: &Chain, d: &Deployed, commitment: Fr, deadline: u64, reward: U256) -> Result<U256> {
    let id_call = nextBountyIdCall {}.abi_encode();
    let out = chain.call(d.bounty, Bytes::from(id_call)).await?;
    let id = nextBountyIdCall::abi_decode_returns(&out.output).context("decoding nextBountyId")?;
    let data = postCall { verifier: d.verifier, modelCommitment: u256s(&[commitment])[0], deadline }.abi_encode();
    let tx = chain.send(d.bounty, Bytes::from(data), reward).await.context("posting the bounty")?;
    if !tx.status {
        bail!("posting the bounty reverted: {}", tx.revert_reason.unwrap_or_default());
    }
    Ok(id)
}

/// The calldata of a claim.
pub fn claim_calldata(id: U256, proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    claimCall { id, proof: Bytes::copy_from_slice(proof), instances: u256s(instances) }.abi_encode()
}

/// Outcome of a claim transaction.
#[derive(Debug, Clone)]
pub struct ClaimOutcome {
    pub paid: bool,
    pub gas_used: u64,
    pub revert_reason: Option<String>,
    pub reward_paid_wei: U256,
}

/// Claims a bounty in a real transaction; the reward paid is read from the contract's balance change.
pub async fn claim(chain: &Chain, d: &Deployed, id: U256, proof: &[u8], instances: &[Fr]) -> Result<ClaimOutcome> {
    let before = chain.balance(d.bounty).await?;
    let tx = chain.send(d.bounty, Bytes::from(claim_calldata(id, proof, instances)), U256::ZERO).await.context("sending the claim")?;
    let after = chain.balance(d.bounty).await?;
    let revert_reason = bounty_revert_reason(tx.revert_data.as_ref().map(|b| b.as_ref()), tx.revert_reason);
    Ok(ClaimOutcome { paid: tx.status, gas_used: tx.gas_used, revert_reason, reward_paid_wei: before.saturating_sub(after) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every custom error of ModelBounty.sol is decoded by name.
    #[test]
    fn every_bounty_error_is_named() {
        let source = include_str!("../../contracts/ModelBounty.sol");
        for line in source.lines().map(str::trim).filter(|l| l.starts_with("error ")) {
            let decl = line.trim_start_matches("error ").trim_end_matches(';');
            let (name, params) = decl.split_once('(').unwrap_or((decl, ")"));
            let types: Vec<&str> = params.trim_end_matches(')').split(',').filter_map(|p| p.split_whitespace().next()).collect();
            let sig = format!("{name}({})", types.join(","));
            assert!(BOUNTY_ERRORS.contains(&sig.as_str()), "{sig} is missing from BOUNTY_ERRORS");
        }
    }
}
