//! `zkinfer calldata`: the ABI-encoded call for a proof.

use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::artifact::ProofArtifact;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proof JSON.
    #[arg(long, default_value = "zkinfer-out/proof.json")]
    pub proof: PathBuf,
    /// Encode `ModelBounty.claim(id, proof, instances)` for this bounty id instead of `verifyProof`.
    #[arg(long, conflicts_with = "request_id")]
    pub bounty_id: Option<u64>,
    /// Encode `InferenceEscrow.fulfil(id, proof, instances)` for this request id instead of `verifyProof`.
    #[arg(long)]
    pub request_id: Option<u64>,
}

pub fn run(a: Args) -> Result<()> {
    let p = ProofArtifact::load(&a.proof)?;
    let (proof, instances) = (p.proof_bytes()?, p.instance_values()?);
    let data = match (a.bounty_id, a.request_id) {
        (Some(id), _) => crate::onchain::claim_calldata(alloy::primitives::U256::from(id), &proof, &instances),
        (None, Some(id)) => crate::onchain::fulfil_calldata(alloy::primitives::U256::from(id), &proof, &instances),
        (None, None) => zkinfer_verifier_gen::encode_calldata(&proof, &instances),
    };
    println!("0x{}", hex::encode(data));
    Ok(())
}
