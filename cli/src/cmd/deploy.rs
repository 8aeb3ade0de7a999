//! `zkinfer deploy --rpc-url URL`: deploy the contract set (VerifierRegistry, InferenceEscrow,
//! ModelBounty), then the directory's verifier, and register it; writes DIR/deployment.json and
//! prints it: the addresses, the chain id and the compiled ABI entries of the paying methods
//! (`abi.model_bounty`, `abi.inference_escrow`), which `zkinfer relayer --deployment` reads.
//!
//! SRS rule: keys made with the development SRS deploy only to a local development chain (chain id
//! 31337 or 1337) unless `--allow-unsafe-srs`; the registry accepts development-SRS verifiers
//! only there (or with that flag), and refuses them everywhere else.

use super::DirArg;
use crate::deployment::{Deployment, PayingAbis};
use crate::onchain::{DevSrsPolicy, LOCAL_DEV_CHAIN_IDS};
use anyhow::{bail, Context, Result};
use zkinfer_relayer::ContractKind;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON-RPC endpoint.
    #[arg(long)]
    pub rpc_url: String,
    /// Environment variable holding the deployer's hex private key.
    #[arg(long, default_value = "ZKINFER_PRIVATE_KEY")]
    pub key_env: String,
    /// Deploy keys made with the UNSAFE development SRS to a chain that is not a local development
    /// chain (31337, 1337), and let its registry accept development-SRS verifiers. Anyone can
    /// forge proofs for those keys: for throwaway test deployments only.
    #[arg(long)]
    pub allow_unsafe_srs: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub async fn run(a: Args) -> Result<()> {
    let key = std::env::var(&a.key_env).with_context(|| format!("set {} to the deployer's private key (hex)", a.key_env))?;
    let chain = zkinfer_relayer::Chain::connect(&a.rpc_url, &key)?;
    let dir = a.dir.dir();
    let side = crate::pipeline::load_verifier_side(&dir)?;
    let chain_id = crate::onchain::chain_id(&chain).await?;
    let local = LOCAL_DEV_CHAIN_IDS.contains(&chain_id);
    let dev = crate::pipeline::srs_kind(&side.setup.srs, &side.params).is_dev();
    if dev && !local && !a.allow_unsafe_srs {
        bail!(
            "--allow-unsafe-srs: {}'s keys use the UNSAFE development SRS (anyone can forge proofs for them) and chain {chain_id} is not a local development chain ({}); \
             make the keys with a ceremony's SRS (`zkinfer setup --srs FILE`), or pass --allow-unsafe-srs for a throwaway test deployment",
            dir.setup().display(),
            LOCAL_DEV_CHAIN_IDS.map(|c| c.to_string()).join(", ")
        );
    }
    let policy = if local || a.allow_unsafe_srs { DevSrsPolicy::Accept } else { DevSrsPolicy::Refuse };
    let g = side.verifier_source()?;
    let compiled = crate::pipeline::compile_verifier(&g)?;
    let contracts = crate::onchain::Contracts::deploy(&chain, policy).await?;
    let verifier = crate::onchain::deploy_verifier(&chain, compiled.bytecode).await?;
    let circuit_id = contracts.register(&chain, verifier.address).await?;
    let deployment = Deployment {
        format: crate::deployment::FORMAT.into(),
        version: crate::deployment::VERSION,
        chain_id,
        registry: contracts.registry,
        inference_escrow: contracts.escrow,
        model_bounty: contracts.bounty,
        verifier: verifier.address,
        circuit_id: format!("{circuit_id:#x}"),
        registry_accepts_dev_srs: contracts.registry_accepts_dev_srs(&chain).await?,
        srs_digest: format!("0x{}", hex::encode(zkinfer_verifier_gen::srs_digest(&side.params))),
        dev_srs: dev,
        contracts_deploy_gas: contracts.deploy_gas,
        verifier_deploy_gas: verifier.gas_used,
        model_commitment: side.art.model_commitment.clone(),
        registry_owner: chain.address(),
        abi: PayingAbis {
            model_bounty: contracts.abis.paying_entry(ContractKind::ModelBounty).unwrap_or_default(),
            inference_escrow: contracts.abis.paying_entry(ContractKind::InferenceEscrow).unwrap_or_default(),
        },
    };
    let path = dir.deployment();
    deployment.save(&path)?;
    eprintln!("wrote {}", path.display());
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}
