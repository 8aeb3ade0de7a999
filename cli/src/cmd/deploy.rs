//! `zkinfer deploy --rpc-url URL`: deploy the verifier and the bounty contract.

use super::DirArg;
use anyhow::{Context, Result};

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
    let d = crate::onchain::deploy(&chain, compiled.bytecode).await?;
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({
        "verifier": d.verifier.to_string(),
        "model_bounty": d.bounty.to_string(),
        "verifier_deploy_gas": d.verifier_deploy_gas,
        "bounty_deploy_gas": d.bounty_deploy_gas,
        "model_commitment": art.model_commitment,
    }))?);
    Ok(())
}
