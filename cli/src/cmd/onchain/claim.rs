//! `zkinfer onchain claim`: `ModelBounty.claim(id, proof, instances)` with an accuracy proof bound
//! (`zkinfer prove --bind-to SENDER:ID --deployment …`) to the sender and the bounty.

use super::Target;
use alloy::primitives::{Address, U256};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bounty id.
    #[arg(long)]
    pub bounty_id: u64,
    /// The proof [default: DIR/proof.json].
    #[arg(long)]
    pub proof: Option<PathBuf>,
    /// The bounty contract [default: the deployment file's model_bounty].
    #[arg(long, value_name = "ADDRESS")]
    pub bounty: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.session().await?;
    let bounty = s.address(a.bounty, "bounty", |d| d.model_bounty)?;
    let id = U256::from(a.bounty_id);
    let (proof, instances) = super::checked_proof(a.proof.as_deref(), &s.dir)?;
    let before = s.chain.balance(bounty).await?;
    s.transact(&format!("ModelBounty.claim({id})"), bounty, crate::onchain::claim_calldata(id, &proof, &instances), U256::ZERO).await?;
    let paid = before.saturating_sub(s.chain.balance(bounty).await?);
    let correct = instances.get(3).map(|c| crate::onchain::u256s(&[*c])[0]).unwrap_or_default();
    println!("result  bounty {id} claimed by {}: {paid} wei paid for {correct} right answers", s.chain.address());
    println!("        model commitment {}", instances.first().map(crate::hex32::fr).unwrap_or_default());
    Ok(())
}
