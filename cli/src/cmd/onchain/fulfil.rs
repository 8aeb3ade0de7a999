//! `zkinfer onchain fulfil` (or `fulfill`): `InferenceEscrow.fulfil(id, proof, instances)` with a
//! proof bound (`zkinfer prove --bind-to SENDER:ID --deployment …`) to the sender and the request;
//! prints the fee paid and the outputs the escrow stored.

use super::Target;
use alloy::primitives::{Address, U256};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request id.
    #[arg(long)]
    pub request_id: u64,
    /// The proof [default: DIR/proof.json].
    #[arg(long)]
    pub proof: Option<PathBuf>,
    /// The escrow [default: the deployment file's inference_escrow].
    #[arg(long, value_name = "ADDRESS")]
    pub escrow: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.session().await?;
    let escrow = s.address(a.escrow, "escrow", |d| d.inference_escrow)?;
    let id = U256::from(a.request_id);
    let (proof, instances) = super::checked_proof(a.proof.as_deref(), &s.dir)?;
    let before = s.chain.balance(escrow).await?;
    s.transact(&format!("InferenceEscrow.fulfil({id})"), escrow, crate::onchain::fulfil_calldata(id, &proof, &instances), U256::ZERO).await?;
    let paid = before.saturating_sub(s.chain.balance(escrow).await?);
    println!("result  request {id} fulfilled by {}: {paid} wei paid", s.chain.address());
    super::outputs::print_outputs(&s, escrow, id).await
}
