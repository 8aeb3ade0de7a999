//! `zkinfer deploy --rpc-url URL`: deploy the contract set (VerifierRegistry, InferenceEscrow,
//! ModelBounty) or reuse a registry's, then deploy the directory's verifier and register it.
//! Prints the addresses as JSON, with the chain id and the compiled ABI entries of the paying
//! methods (`abi.model_bounty`, `abi.inference_escrow`): the file `zkinfer relayer --deployment`
//! reads.

use super::DirArg;
use alloy::providers::Provider;
use anyhow::{Context, Result};
use zkinfer_relayer::ContractKind;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON-RPC endpoint.
    #[arg(long)]
    pub rpc_url: String,
    /// Environment variable holding the deployer's hex private key.
    #[arg(long, default_value = "ZKINFER_PRIVATE_KEY")]
    pub key_env: String,
    #[command(flatten)]
    pub dir: DirArg,
}

pub async fn run(a: Args) -> Result<()> {
    let key = std::env::var(&a.key_env).with_context(|| format!("set {} to the deployer's private key (hex)", a.key_env))?;
    let chain = zkinfer_relayer::Chain::connect(&a.rpc_url, &key)?;
    let dir = a.dir.dir();
    let (art, params, vk) = crate::pipeline::load_verifier_side(&dir)?;
    let g = crate::pipeline::verifier_source(&params, &vk, &art)?;
    let compiled = crate::pipeline::compile_verifier(&g)?;
    let contracts = crate::onchain::Contracts::deploy(&chain).await?;
    let verifier = crate::onchain::deploy_verifier(&chain, compiled.bytecode).await?;
    let circuit_id = contracts.register(&chain, verifier.address).await?;
    let chain_id = chain.provider().get_chain_id().await.context("reading the chain id")?;
    let abi = |k: ContractKind| contracts.abis.paying_entry(k).unwrap_or_default();
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({
        "chain_id": chain_id,
        "registry": contracts.registry.to_string(),
        "inference_escrow": contracts.escrow.to_string(),
        "model_bounty": contracts.bounty.to_string(),
        "verifier": verifier.address.to_string(),
        "circuit_id": format!("{circuit_id:#x}"),
        "contracts_deploy_gas": contracts.deploy_gas,
        "verifier_deploy_gas": verifier.gas_used,
        "model_commitment": art.model_commitment,
        "registry_owner": chain.address().to_string(),
        "abi": {
            "model_bounty": abi(ContractKind::ModelBounty),
            "inference_escrow": abi(ContractKind::InferenceEscrow),
        },
    }))?);
    Ok(())
}
