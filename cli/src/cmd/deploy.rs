//! `zkinfer deploy [--rpc-url URL] [--private-key HEX | --keystore PATH]`: deploy the contract set
//! (VerifierRegistry, InferenceEscrow, ModelBounty), then the directory's verifier, and register
//! it; or with `--registry ADDR`, register the verifier in an existing registry (reusing the
//! escrow and the bounty contract given, or those of DIR/deployment.json on that registry).
//! Writes DIR/deployment.json and prints it: the addresses, the chain id and the compiled ABI
//! entries of the paying methods (`abi.model_bounty`, `abi.inference_escrow`), which `zkinfer
//! relayer --deployment` reads; and writes the compiled ABIs to DIR/abi/NAME.json (for `cast`).
//!
//! SRS rule: keys made with the development SRS deploy only to a local development chain (chain id
//! 31337 or 1337) unless `--allow-unsafe-srs`; the registry accepts development-SRS verifiers
//! only there (or with that flag), and refuses them everywhere else.

use super::onchain::args::ChainArgs;
use super::DirArg;
use crate::deployment::{Deployment, PayingAbis};
use crate::onchain::{Contracts, DevSrsPolicy, LOCAL_DEV_CHAIN_IDS};
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::{bail, Context, Result};
use zkinfer_relayer::{Chain, ContractKind};

sol! {
    function owner() external view returns (address);
    function isRegistered(uint256 circuitId) external view returns (bool);
    function verifierOf(uint256 circuitId) external view returns (address);
    function registry() external view returns (address);
    function VK_DIGEST() external view returns (uint256);
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Register the verifier in this existing VerifierRegistry (its owner's key) instead of
    /// deploying a new contract set.
    #[arg(long, value_name = "ADDRESS")]
    pub registry: Option<Address>,
    /// With --registry: the InferenceEscrow on it [default: DIR/deployment.json's, if on that
    /// registry; else a new one].
    #[arg(long, value_name = "ADDRESS", requires = "registry")]
    pub escrow: Option<Address>,
    /// With --registry: the ModelBounty on it [default: as --escrow].
    #[arg(long, value_name = "ADDRESS", requires = "registry")]
    pub bounty: Option<Address>,
    /// Deploy keys made with the UNSAFE development SRS to a chain that is not a local development
    /// chain (31337, 1337), and let its registry accept development-SRS verifiers. Anyone can
    /// forge proofs for those keys: for throwaway test deployments only.
    #[arg(long)]
    pub allow_unsafe_srs: bool,
    /// Print DIR/deployment.json's object on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub async fn run(a: Args) -> Result<()> {
    let (chain, chain_id) = a.chain.connect().await?;
    let dir = a.dir.dir();
    let side = crate::pipeline::load_verifier_side(&dir)?;
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
    let verifier_code = crate::pipeline::compile_verifier(&g)?;
    let compiled = crate::onchain::compile_contracts()?;
    let contracts = match a.registry {
        None => Contracts::deploy(&chain, policy).await?,
        Some(registry) => existing_set(&chain, registry, a.escrow, a.bounty, &dir, &compiled).await?,
    };
    let accepts_dev_srs = contracts.registry_accepts_dev_srs(&chain).await?;
    if dev && !accepts_dev_srs {
        bail!("the registry {} refuses development-SRS verifiers and {}'s keys use the UNSAFE development SRS: make the keys with `zkinfer setup --srs FILE`", contracts.registry, dir.setup().display());
    }
    let (verifier, verifier_gas, circuit_id) = register(&chain, &contracts, verifier_code.bytecode.clone()).await?;
    let deployment = Deployment {
        format: crate::deployment::FORMAT.into(),
        version: crate::deployment::VERSION,
        chain_id,
        registry: contracts.registry,
        inference_escrow: contracts.escrow,
        model_bounty: contracts.bounty,
        verifier,
        circuit_id: crate::hex32::word(circuit_id),
        registry_accepts_dev_srs: accepts_dev_srs,
        srs_digest: format!("0x{}", hex::encode(zkinfer_verifier_gen::srs_digest(&side.params))),
        dev_srs: dev,
        contracts_deploy_gas: contracts.deploy_gas,
        verifier_deploy_gas: verifier_gas,
        model_commitment: carried_model_commitment(&side.art)?,
        registry_owner: read_address(&chain, contracts.registry, ownerCall {}.abi_encode()).await.context("reading the registry's owner")?,
        abi: PayingAbis {
            model_bounty: contracts.abis.paying_entry(ContractKind::ModelBounty).unwrap_or_default(),
            inference_escrow: contracts.abis.paying_entry(ContractKind::InferenceEscrow).unwrap_or_default(),
        },
    };
    let path = dir.deployment();
    deployment.save(&path)?;
    let names = crate::onchain::CONTRACT_NAMES;
    let abis = [(names[0], &compiled[0].abi), (names[1], &compiled[1].abi), (names[2], &compiled[2].abi), (g.contract_name.as_str(), &verifier_code.abi)];
    let written = crate::onchain::write_abis(&dir.0, &abis)?;
    eprintln!("wrote {} and {} ABIs in {}", path.display(), written.len(), dir.0.join("abi").display());
    let salt_note = if side.art.plan.shape.hashed_weights() { " (hashed weights: proved without --weight-salt; a weight salt gives another)" } else { "" };
    eprintln!("circuit id {}; proofs carry the model commitment {}{salt_note}", deployment.circuit_id, deployment.model_commitment);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&deployment)?);
    } else {
        print_summary(&deployment, &path);
    }
    Ok(())
}

/// The contract set on an existing registry: the escrow and bounty given, else those of the
/// directory's deployment file when it names the same registry, else new ones; each checked to
/// pay on that registry.
async fn existing_set(chain: &Chain, registry: Address, escrow: Option<Address>, bounty: Option<Address>, dir: &crate::pipeline::Dir, compiled: &[zkinfer_relayer::CompiledContract; 3]) -> Result<Contracts> {
    if chain.code(registry).await?.is_empty() {
        bail!("--registry {registry}: no contract there on {}", chain.url());
    }
    let known = Deployment::load(&dir.deployment()).ok().filter(|d| d.registry == registry);
    let escrow = escrow.or(known.as_ref().map(|d| d.inference_escrow));
    let bounty = bounty.or(known.as_ref().map(|d| d.model_bounty));
    let (escrow, bounty, gas) = match (escrow, bounty) {
        (Some(e), Some(b)) => (e, b, 0),
        _ => {
            let fresh = Contracts::deploy_payers(chain, registry, compiled).await?;
            (escrow.unwrap_or(fresh.escrow), bounty.unwrap_or(fresh.bounty), fresh.deploy_gas)
        }
    };
    for (name, a) in [("--escrow", escrow), ("--bounty", bounty)] {
        let on = read_address(chain, a, registryCall {}.abi_encode()).await.with_context(|| format!("{name} {a}: reading its registry()"))?;
        if on != registry {
            bail!("{name} {a} pays on the registry {on}, not on --registry {registry}");
        }
    }
    let mut c = Contracts::at(registry, escrow, bounty, compiled);
    c.deploy_gas = gas;
    Ok(c)
}

/// Registers the verifier (deploying it) unless its circuit id is registered already; returns
/// the verifier's address, its deploy gas and the circuit id.
async fn register(chain: &Chain, contracts: &Contracts, initcode: Vec<u8>) -> Result<(Address, u64, U256)> {
    let verifier = crate::onchain::deploy_verifier(chain, initcode).await?;
    let out = chain.call(verifier.address, Bytes::from(VK_DIGESTCall {}.abi_encode())).await.context("reading VK_DIGEST")?;
    let id = VK_DIGESTCall::abi_decode_returns(&out.output).context("decoding VK_DIGEST")?;
    let registered = chain.call(contracts.registry, Bytes::from(isRegisteredCall { circuitId: id }.abi_encode())).await?;
    if registered.success && isRegisteredCall::abi_decode_returns(&registered.output).unwrap_or(false) {
        let existing = read_address(chain, contracts.registry, verifierOfCall { circuitId: id }.abi_encode()).await?;
        eprintln!("circuit {} is registered already (verifier {existing}): reusing it", crate::hex32::word(id));
        return Ok((existing, 0, id));
    }
    let registered = contracts.register(chain, verifier.address).await?;
    Ok((verifier.address, verifier.gas_used, registered))
}

/// Public instance 0 of the proofs: the model commitment with fixed weights; with hashed weights
/// the weights' Poseidon commitment under the default (zero) weight salt, what `zkinfer prove`
/// without `--weight-salt` carries.
fn carried_model_commitment(art: &zkinfer_prover::artifact::CircuitArtifact) -> Result<String> {
    use zkinfer_prover::hash::{self, Tensor};
    if !art.plan.shape.hashed_weights() {
        return crate::hex32::normalise(&art.model_commitment);
    }
    let c = hash::commit(Tensor::Weights, &art.model.committed_weights(), art.plan.shape.packing_bits(), halo2_proofs::halo2curves::bn256::Fr::zero())?;
    Ok(crate::hex32::fr(&c))
}

async fn read_address(chain: &Chain, to: Address, data: Vec<u8>) -> Result<Address> {
    let out = chain.call(to, Bytes::from(data)).await?;
    if !out.success || out.output.len() < 32 {
        bail!("the call to {to} reverted or returned nothing");
    }
    Ok(Address::from_slice(&out.output[12..32]))
}

/// The readable form of a deployment (`--json`: the file's object).
fn print_summary(d: &crate::deployment::Deployment, path: &std::path::Path) {
    println!("deployed on chain {} ({})", d.chain_id, path.display());
    println!("  VerifierRegistry  {} (owner {}; accepts development-SRS verifiers: {})", d.registry, d.registry_owner, d.registry_accepts_dev_srs);
    println!("  InferenceEscrow   {}", d.inference_escrow);
    println!("  ModelBounty       {}", d.model_bounty);
    println!("  verifier          {} (circuit id {})", d.verifier, d.circuit_id);
    println!("  SRS digest        {}{}", d.srs_digest, if d.dev_srs { " (UNSAFE development SRS)" } else { "" });
    println!("  model commitment  {} (instance 0 of every proof)", d.model_commitment);
    println!("  gas               {} contracts, {} verifier", d.contracts_deploy_gas, d.verifier_deploy_gas);
}
