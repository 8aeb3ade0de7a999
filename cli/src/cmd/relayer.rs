//! `zkinfer relayer --rpc-url URL --circuit NAME=DIR --deployment deploy.json`: the relayer
//! service and its HTTP API (docs/relayer.md). Calls only the configured contracts' paying
//! methods, for callers holding an API token. Runs until SIGINT/SIGTERM; a restart resumes every
//! recorded job.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use zkinfer_relayer::allowlist::parse_contract_spec;
use zkinfer_relayer::{keys, Allowlist, ApiAccess, ApiToken, ApiTokens, CircuitVerifier, ContractAbis, DeploymentFile, HttpLimits, ReadAccess, Relayer, RelayerConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The endpoint and the signer: `--rpc-url`, `--private-key`, `--keystore` (with `--password`
    /// or `--password-file`), or `$ZKINFER_PRIVATE_KEY`.
    #[command(flatten)]
    pub chain: super::onchain::args::ChainArgs,
    /// A circuit whose proofs jobs may carry, NAME=DIR: a zkinfer artifacts directory with
    /// circuit.json, setup.json and vk.bin. Repeatable.
    #[arg(long = "circuit", value_name = "NAME=DIR", required = true)]
    pub circuits: Vec<String>,
    /// The contracts the relayer may call: a deployment file written by `zkinfer deploy` (its
    /// model_bounty and inference_escrow, checked against its registry and chain id, with the
    /// ABIs it records). Repeatable.
    #[arg(long = "deployment", value_name = "FILE")]
    pub deployments: Vec<PathBuf>,
    /// A contract the relayer may call, KIND=ADDRESS with KIND model_bounty or
    /// inference_escrow; its paying method comes from the compiled contract sources (solc runs
    /// once at start). Repeatable.
    #[arg(long = "contract", value_name = "KIND=ADDRESS")]
    pub contracts: Vec<String>,
    /// API tokens, one per line (TOKEN or NAME TOKEN, at least 32 characters of
    /// A-Za-z0-9-._~+/=; # comments). Without it, one token is generated and printed at start.
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,
    /// Let anyone who reaches the API read jobs (GET /jobs, GET /jobs/{id}); submitting always
    /// needs a token.
    #[arg(long)]
    pub public_reads: bool,
    /// New jobs each token may submit per minute (a burst of this many, then one every
    /// 60/N seconds; 429 beyond).
    #[arg(long, default_value_t = zkinfer_relayer::auth::DEFAULT_JOBS_PER_MINUTE)]
    pub jobs_per_minute: u32,
    /// Largest gas limit of a job's transaction; a job needing more fails without a transaction.
    #[arg(long, default_value_t = zkinfer_relayer::config::DEFAULT_MAX_GAS_PER_JOB)]
    pub max_gas_per_job: u64,
    /// Start even though the signer owns (or is the pending owner of) the VerifierRegistry of a
    /// configured contract (refused by default: the API could make the registry's key sign).
    #[arg(long)]
    pub allow_owner_key: bool,
    /// SQLite job database (created if missing).
    #[arg(long, default_value = "zkinfer-relayer.sqlite")]
    pub db: PathBuf,
    /// HTTP address; port 0 picks a free port (the bound address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Blocks a transaction must be buried under before its job is confirmed (1: mined).
    #[arg(long, default_value_t = 2)]
    pub confirmations: u64,
    /// Poll interval for blocks and receipts, ms.
    #[arg(long, default_value_t = 1000)]
    pub poll_interval_ms: u64,
    /// Timeout of each RPC call, ms.
    #[arg(long, default_value_t = 10_000)]
    pub rpc_timeout_ms: u64,
    /// Look up a sent, unmined transaction after this long (ms); rebroadcast it if dropped.
    #[arg(long, default_value_t = 15_000)]
    pub resend_after_ms: u64,
    /// Replace a transaction pending this long (ms) with higher fees, same nonce.
    #[arg(long, default_value_t = 60_000)]
    pub bump_after_ms: u64,
    /// Fee increase per replacement, percent (at least 10).
    #[arg(long, default_value_t = 20)]
    pub fee_bump_percent: u64,
    /// Ceiling on maxFeePerGas (and the legacy gas price): wei, or with a gwei suffix.
    #[arg(long, value_name = "WEI", default_value = "100gwei", value_parser = parse_wei)]
    pub max_fee_per_gas: u128,
    /// Margin added to the simulated gas use, percent.
    #[arg(long, default_value_t = 25)]
    pub gas_margin_percent: u64,
    /// Unfinished jobs beyond which POST /jobs answers 429.
    #[arg(long, default_value_t = 1000)]
    pub max_queue: u64,
    /// Transactions pending at once.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: u64,
    /// Longest wait between retries while the node is unreachable, ms.
    #[arg(long, default_value_t = 10_000)]
    pub max_backoff_ms: u64,
    /// Largest POST /jobs body, bytes (larger: 413).
    #[arg(long, default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// A custom error to name in revert reasons, e.g. "AlreadySubmitted(uint256,uint256)"
    /// (zkinfer's contracts' errors are known). Repeatable.
    #[arg(long = "error", value_name = "SIGNATURE")]
    pub errors: Vec<String>,
    /// Do not log job state changes to stderr.
    #[arg(long)]
    pub quiet: bool,
}

fn circuits(specs: &[String]) -> Result<Vec<CircuitVerifier>> {
    specs
        .iter()
        .map(|spec| {
            let Some((name, dir)) = spec.split_once('=') else {
                bail!("--circuit {spec:?}: expected NAME=DIR");
            };
            let c = CircuitVerifier::load(name.trim(), std::path::Path::new(dir.trim()))?;
            if c.dev_srs() {
                eprintln!("WARNING: circuit '{}' uses the UNSAFE development SRS: anyone can forge its proofs", c.name());
            }
            Ok(c)
        })
        .collect()
}

/// `123` (wei), `100gwei`, `1.5gwei`.
fn parse_wei(s: &str) -> Result<u128, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, scale) = match t.strip_suffix("gwei") {
        Some(n) => (n.trim(), 9u32),
        None => (t.strip_suffix("wei").unwrap_or(&t).trim(), 0),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = frac.len() as u32;
    let ok = !int.is_empty() && digits <= scale && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
    let bad = || format!("{s:?} is not an amount of wei (e.g. 1500000000) or gwei (e.g. 100gwei, 1.5gwei)");
    if !ok {
        return Err(bad());
    }
    let whole: u128 = format!("{int}{frac}").parse().map_err(|_| bad())?;
    whole.checked_mul(10u128.pow(scale - digits)).filter(|v| *v > 0).ok_or_else(bad)
}

/// The contracts of `--deployment` files and `--contract`s; solc runs only if an ABI is missing.
fn allowlist(a: &Args) -> Result<Allowlist> {
    if a.deployments.is_empty() && a.contracts.is_empty() {
        bail!("name the contracts the relayer may call: --deployment FILE (what zkinfer deploy prints) or --contract model_bounty=ADDRESS / --contract inference_escrow=ADDRESS");
    }
    let files = a.deployments.iter().map(|p| DeploymentFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let compiled = match !a.contracts.is_empty() || files.iter().any(|f| !f.has_abis()) {
        true => Some(ContractAbis::compile()?),
        false => None,
    };
    let mut list = Allowlist::new();
    for f in &files {
        for c in f.allowed(compiled.as_ref())? {
            list.add(c)?;
        }
    }
    for spec in &a.contracts {
        let (kind, address) = parse_contract_spec(spec).with_context(|| format!("--contract {spec:?}"))?;
        if let Some(abis) = &compiled {
            list.add(abis.contract(kind, address)?)?;
        }
    }
    Ok(list)
}

/// The API's tokens (the generated one, to print, if none are configured) and rules.
fn access(a: &Args) -> Result<(ApiAccess, Option<ApiToken>)> {
    let (tokens, generated) = match &a.api_token_file {
        Some(path) => {
            let file = ApiTokens::read_file(path)?;
            if file.loose_permissions {
                eprintln!("WARNING: {} is readable by group or others: chmod 600 it", path.display());
            }
            (file.tokens, None)
        }
        None => {
            let t = ApiToken::generate("generated")?;
            (ApiTokens::single(t.clone()), Some(t))
        }
    };
    let mut access = ApiAccess::new(tokens);
    access.reads = if a.public_reads { ReadAccess::Open } else { ReadAccess::Token };
    access.jobs_per_minute = a.jobs_per_minute;
    Ok((access, generated))
}

pub async fn run(a: Args) -> Result<()> {
    let signer = a.chain.signer()?;
    let url = a.chain.url();
    let probe = zkinfer_relayer::Chain::connect(&url, &keys::secret_hex(&signer)).map_err(|e| anyhow::anyhow!("--rpc-url {url}: {e}"))?;
    let mut cfg = RelayerConfig::new(url.clone(), signer, a.db.clone());
    for c in circuits(&a.circuits)? {
        cfg = cfg.with_circuit(c);
    }
    cfg.contracts = allowlist(&a)?;
    let (access, generated) = access(&a)?;
    cfg.allow_owner_key = a.allow_owner_key;
    cfg.max_gas_per_job = a.max_gas_per_job;
    let ms = Duration::from_millis;
    cfg.confirmations = a.confirmations;
    cfg.poll_interval = ms(a.poll_interval_ms);
    cfg.rpc_timeout = ms(a.rpc_timeout_ms);
    cfg.resend_after = ms(a.resend_after_ms);
    cfg.bump_after = ms(a.bump_after_ms);
    cfg.fee_bump_percent = a.fee_bump_percent;
    cfg.max_fee_per_gas = a.max_fee_per_gas;
    cfg.gas_margin_percent = a.gas_margin_percent;
    cfg.max_queue = a.max_queue;
    cfg.max_in_flight = a.max_in_flight;
    cfg.max_backoff = ms(a.max_backoff_ms);
    cfg.log = !a.quiet;
    for sig in &a.errors {
        cfg.revert_decoder.add(sig)?;
    }
    // A dead endpoint: one line in about a second, before the service starts retrying.
    super::onchain::args::probe(&probe).await?;
    let relayer = Relayer::start(cfg).await?;
    let limits = HttpLimits { max_body_bytes: a.max_body_bytes, ..HttpLimits::default() };
    let server = relayer.serve(a.listen, limits, access).await?;
    println!(
        "zkinfer relayer listening on http://{} (chain {}, signer {}, database {})",
        server.addr,
        relayer.chain_id(),
        relayer.signer(),
        a.db.display()
    );
    let calls: Vec<String> = relayer.contracts().iter().map(|c| format!("{c} ({})", c.methods().iter().map(|m| m.signature()).collect::<Vec<_>>().join(", "))).collect();
    println!("calls only: {}", calls.join("; "));
    if let Some(t) = generated {
        println!("api token (generated; clients send Authorization: Bearer <token>; set your own with --api-token-file): {}", t.secret());
    }
    if !server.addr.ip().is_loopback() {
        eprintln!("WARNING: the API is plain HTTP on {}: tokens cross the network in clear; put it behind TLS", server.addr);
    }
    std::io::stdout().flush()?;
    wait_for_signal().await?;
    eprintln!("zkinfer relayer: stopping (recorded jobs resume at the next start)");
    relayer.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {},
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_wei;

    #[test]
    fn fee_caps_parse_in_wei_and_gwei() {
        assert_eq!(parse_wei("1500000000"), Ok(1_500_000_000));
        assert_eq!(parse_wei("100gwei"), Ok(100_000_000_000));
        assert_eq!(parse_wei("1.5 gwei"), Ok(1_500_000_000));
        assert_eq!(parse_wei("7wei"), Ok(7));
        for bad in ["", "gwei", "-1", "0", "1.5", "1.0000000001gwei", "1e9", "lots"] {
            assert!(parse_wei(bad).is_err(), "{bad}");
        }
    }
}
