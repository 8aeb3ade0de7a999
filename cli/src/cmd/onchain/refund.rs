//! `zkinfer onchain refund`: an expired request's fee back to its requester
//! (`InferenceEscrow.refund`) or an expired bounty back to its poster (`ModelBounty.refund`).

use super::Target;
use alloy::primitives::{Address, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::Result;

sol! {
    function refund(uint256 id) external;
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["request_id", "bounty_id"])))]
pub struct Args {
    /// Refund this inference request.
    #[arg(long)]
    pub request_id: Option<u64>,
    /// Refund this bounty.
    #[arg(long)]
    pub bounty_id: Option<u64>,
    /// The contract [default: the deployment file's inference_escrow or model_bounty].
    #[arg(long, value_name = "ADDRESS")]
    pub contract: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.session().await?;
    let (what, id, to) = match (a.request_id, a.bounty_id) {
        (Some(id), _) => ("InferenceEscrow.refund", id, s.address(a.contract, "contract", |d| d.inference_escrow)?),
        (None, Some(id)) => ("ModelBounty.refund", id, s.address(a.contract, "contract", |d| d.model_bounty)?),
        (None, None) => anyhow::bail!("--request-id N or --bounty-id N"),
    };
    let id = U256::from(id);
    let before = s.chain.balance(to).await?;
    s.transact(&format!("{what}({id})"), to, refundCall { id }.abi_encode(), U256::ZERO).await?;
    let paid = before.saturating_sub(s.chain.balance(to).await?);
    println!("result  {what}({id}): {paid} wei returned");
    Ok(())
}
