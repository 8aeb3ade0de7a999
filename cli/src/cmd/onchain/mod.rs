//! `zkinfer onchain VERB`: the contracts' calls without hand-written `cast` commands. Each verb
//! reads the addresses from `DIR/deployment.json` (or `--deployment FILE`, or address flags), the
//! proof from `DIR/proof.json` (or `--proof`), simulates the call first (a revert is decoded and
//! nothing is sent), then sends it and prints the transaction hash, the gas used and the decoded
//! result; a revert names the custom error and its arguments (or the verifier's revert code).

pub mod args;
mod claim;
mod fulfil;
mod outputs;
mod proof;
mod post;
mod refund;
mod request;
mod verify;

use crate::deployment::Deployment;
use alloy::primitives::{Address, Bytes, B256, U256};
use anyhow::{bail, Context, Result};
use args::ChainArgs;
use std::path::{Path, PathBuf};
pub use proof::{checked_proof, load_proof};
use zkinfer_relayer::{Chain, RevertDecoder};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(Debug, clap::Subcommand)]
pub enum Verb {
    /// Call the verifier's verifyProof(proof, instances) in a transaction.
    Verify(verify::Args),
    /// Request a paid inference: escrow a fee on InferenceEscrow for the circuit, model and input.
    Request(request::Args),
    /// Fulfil a request with a proof bound to the sender and the request (InferenceEscrow.fulfil).
    #[command(alias = "fulfill")]
    Fulfil(fulfil::Args),
    /// Post an accuracy bounty on ModelBounty (the accuracy circuit's test set and threshold).
    Post(post::Args),
    /// Claim a bounty with a proof bound to the sender and the bounty (ModelBounty.claim).
    Claim(claim::Args),
    /// Refund an expired, unfulfilled request or unclaimed bounty.
    Refund(refund::Args),
    /// Read the outputs InferenceEscrow stored for a fulfilled request.
    Outputs(outputs::Args),
}

pub async fn run(a: Args) -> Result<()> {
    match a.verb {
        Verb::Verify(a) => verify::run(a).await,
        Verb::Request(a) => request::run(a).await,
        Verb::Fulfil(a) => fulfil::run(a).await,
        Verb::Post(a) => post::run(a).await,
        Verb::Claim(a) => claim::run(a).await,
        Verb::Refund(a) => refund::run(a).await,
        Verb::Outputs(a) => outputs::run(a).await,
    }
}

/// Where the contracts are: the directory's deployment file, or another, or flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Artifacts directory (deployment.json, proof.json, circuit.json, abi/).
    #[arg(long, default_value = "zkinfer-out")]
    pub dir: PathBuf,
    /// The deployment file [default: DIR/deployment.json].
    #[arg(long, value_name = "FILE")]
    pub deployment: Option<PathBuf>,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// A connected session: the chain, the deployment (if any) and the revert decoder.
pub struct Session {
    pub chain: Chain,
    pub deployment: Option<Deployment>,
    pub decoder: RevertDecoder,
    pub dir: PathBuf,
    deployment_path: PathBuf,
}

impl Target {
    /// Connects (a dead endpoint fails in about a second) and reads the deployment file, if
    /// there is one (checked to be for this chain).
    pub async fn session(&self) -> Result<Session> {
        self.open(self.chain.connect().await?)
    }

    /// [`Self::session`] for reads only: no signing key needed.
    pub async fn read_session(&self) -> Result<Session> {
        self.open(self.chain.connect_reader().await?)
    }

    fn open(&self, (chain, chain_id): (Chain, u64)) -> Result<Session> {
        let path = self.deployment.clone().unwrap_or_else(|| self.dir.join("deployment.json"));
        let deployment = if path.exists() || self.deployment.is_some() { Some(Deployment::load(&path)?) } else { None };
        if let Some(d) = &deployment {
            if d.chain_id != chain_id {
                bail!("{} is a deployment on chain {}, but {} is chain {chain_id}", path.display(), d.chain_id, chain.url());
            }
        }
        Ok(Session { chain, deployment, decoder: decoder_for(&self.dir), dir: self.dir.clone(), deployment_path: path })
    }
}

/// The decoder of the contracts' custom errors: from the compiled ABIs in `DIR/abi/` (written by
/// `zkinfer deploy`), else zkinfer's known list; the verifier's revert codes always.
pub fn decoder_for(dir: &Path) -> RevertDecoder {
    let mut d = RevertDecoder::empty();
    let mut n = 0;
    for e in std::fs::read_dir(dir.join("abi")).into_iter().flatten().flatten() {
        let abi = std::fs::read_to_string(e.path()).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        if let Some(abi) = abi {
            n += d.add_abi(&abi);
        }
    }
    if n == 0 {
        d = RevertDecoder::zkinfer();
    }
    d
}

/// A sent transaction.
#[derive(Debug)]
pub struct Sent {
    pub tx_hash: B256,
    /// The simulated call's return data.
    pub output: Bytes,
}

impl Session {
    /// An address: the flag, else the deployment file's field.
    pub fn address(&self, flag: Option<Address>, name: &str, field: impl Fn(&Deployment) -> Address) -> Result<Address> {
        if let Some(a) = flag {
            return Ok(a);
        }
        match &self.deployment {
            Some(d) => Ok(field(d)),
            None => bail!("--{name}: no deployment file at {} (written by zkinfer deploy; or pass --deployment FILE or --{name} ADDRESS)", self.deployment_path.display()),
        }
    }

    /// A readable revert reason.
    pub fn reason(&self, data: &[u8]) -> String {
        self.decoder.decode(data).unwrap_or_else(|| "reverted without data".into())
    }

    /// Simulates `what` (a revert is decoded, nothing is sent), then sends it and prints its hash
    /// and gas; a mined revert is an error.
    pub async fn transact(&self, what: &str, to: Address, data: Vec<u8>, value: U256) -> Result<Sent> {
        let data = Bytes::from(data);
        let sim = self.chain.call_with_value(to, data.clone(), value).await.with_context(|| format!("simulating {what}"))?;
        if !sim.success {
            bail!("{what} reverts: {} (simulated from {}; nothing sent)", self.reason(&sim.output), self.chain.address());
        }
        let tx = self.chain.send(to, data, value).await.with_context(|| format!("sending {what}"))?;
        println!("tx      {}", tx.tx_hash);
        println!("gas     {}", tx.gas_used);
        if !tx.status {
            let why = tx.revert_data.as_deref().map(|d| self.reason(d)).unwrap_or_else(|| "the state changed since the simulation".into());
            bail!("{what} reverted in tx {}: {why}", tx.tx_hash);
        }
        Ok(Sent { tx_hash: tx.tx_hash, output: sim.output })
    }

    /// A read-only call; a revert is an error naming it.
    pub async fn read(&self, what: &str, to: Address, data: Vec<u8>) -> Result<Bytes> {
        let out = self.chain.call(to, Bytes::from(data)).await.with_context(|| format!("calling {what}"))?;
        if !out.success {
            bail!("{what} reverts: {}", self.reason(&out.output));
        }
        Ok(out.output)
    }

    /// The circuit id: the flag, else the deployment's.
    pub fn circuit_id(&self, flag: Option<&str>) -> Result<U256> {
        match (flag, &self.deployment) {
            (Some(c), _) => crate::hex32::parse(c).context("--circuit-id"),
            (None, Some(d)) => crate::hex32::parse(&d.circuit_id).with_context(|| format!("{}: circuit_id", self.deployment_path.display())),
            (None, None) => bail!("--circuit-id: no deployment file at {} (or pass --deployment FILE)", self.deployment_path.display()),
        }
    }
}

/// `1ether`, `10gwei`, `5wei` or a plain number of wei.
pub fn parse_amount(s: &str) -> std::result::Result<U256, String> {
    let t = s.trim().to_lowercase();
    let (num, scale) = if let Some(n) = t.strip_suffix("ether") {
        (n, 18)
    } else if let Some(n) = t.strip_suffix("eth") {
        (n, 18)
    } else if let Some(n) = t.strip_suffix("gwei") {
        (n, 9)
    } else if let Some(n) = t.strip_suffix("wei") {
        (n, 0)
    } else {
        (t.as_str(), 0)
    };
    let num = num.trim();
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > scale || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return Err(format!("{s:?}: expected an amount such as 1ether, 0.5ether, 10gwei or a number of wei"));
    }
    let digits = format!("{int}{frac:0<scale$}");
    U256::from_str_radix(if digits.is_empty() { "0" } else { &digits }, 10).map_err(|e| format!("{s:?}: {e}"))
}

/// The latest block's timestamp (deadlines are relative to it).
pub async fn now(chain: &Chain) -> Result<u64> {
    use alloy::providers::Provider;
    let b = chain.provider().get_block_by_number(alloy::rpc::types::BlockNumberOrTag::Latest).await.context("reading the latest block")?;
    Ok(b.map(|b| b.header.timestamp).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_ether_gwei_and_wei() {
        assert_eq!(parse_amount("1ether"), Ok(U256::from(10u128.pow(18))));
        assert_eq!(parse_amount("0.5ether"), Ok(U256::from(5 * 10u128.pow(17))));
        assert_eq!(parse_amount("10gwei"), Ok(U256::from(10u128.pow(10))));
        assert_eq!(parse_amount("7"), Ok(U256::from(7)));
        assert!(parse_amount("1.5wei").is_err() && parse_amount("x").is_err() && parse_amount("").is_err());
    }
}
