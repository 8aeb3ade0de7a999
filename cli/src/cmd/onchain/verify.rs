//! `zkinfer onchain verify`: the verifier's `verifyProof(proof, instances)` in a transaction.

use super::Target;
use alloy::primitives::{Address, U256};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proof [default: DIR/proof.json].
    #[arg(long)]
    pub proof: Option<PathBuf>,
    /// The verifier [default: the deployment file's verifier].
    #[arg(long, value_name = "ADDRESS")]
    pub verifier: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.session().await?;
    let verifier = s.address(a.verifier, "verifier", |d| d.verifier)?;
    let (_, proof, instances) = super::load_proof(a.proof.as_deref(), &s.dir)?;
    let data = zkinfer_verifier_gen::encode_calldata(&proof, &instances);
    let sent = s.transact("verifyProof", verifier, data, U256::ZERO).await?;
    let accepted = crate::onchain::returns_true(&sent.output);
    if accepted {
        println!("result  valid: the verifier at {verifier} accepts the proof ({} instances)", instances.len());
        Ok(())
    } else {
        println!("result  invalid: verifyProof returned false (the pairing check failed)");
        anyhow::bail!("the verifier at {verifier} rejects the proof: the pairing check failed (tx {})", sent.tx_hash)
    }
}
