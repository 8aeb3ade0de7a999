//! `zkinfer relayer --rpc-url URL --circuit NAME=DIR`: the relayer service and its HTTP API
//! (docs/relayer.md). Runs until SIGINT/SIGTERM; a restart resumes every recorded job.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use zkinfer_relayer::{keys, CircuitVerifier, HttpLimits, Relayer, RelayerConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON-RPC endpoint (HTTP).
    #[arg(long)]
    pub rpc_url: String,
    /// Environment variable holding the signer's hex private key (ignored with --keystore).
    #[arg(long, default_value = "ZKINFER_PRIVATE_KEY")]
    pub key_env: String,
    /// Encrypted JSON keystore holding the signer's key.
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// Environment variable holding the keystore's password.
    #[arg(long, default_value = "ZKINFER_KEYSTORE_PASSWORD")]
    pub keystore_password_env: String,
    /// A circuit whose proofs jobs may carry, NAME=DIR: a zkinfer artifacts directory with
    /// circuit.json, setup.json and vk.bin. Repeatable.
    #[arg(long = "circuit", value_name = "NAME=DIR", required = true)]
    pub circuits: Vec<String>,
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
    /// Ceiling on maxFeePerGas, wei.
    #[arg(long)]
    pub max_fee_per_gas: Option<u128>,
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

fn signer(a: &Args) -> Result<zkinfer_relayer::PrivateKeySigner> {
    Ok(match &a.keystore {
        Some(path) => {
            let pw = std::env::var(&a.keystore_password_env)
                .with_context(|| format!("set {} to the keystore's password", a.keystore_password_env))?;
            keys::signer_from_keystore(path, &pw)?
        }
        None => keys::signer_from_env(&a.key_env)?,
    })
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

pub async fn run(a: Args) -> Result<()> {
    let signer = signer(&a)?;
    let mut cfg = RelayerConfig::new(a.rpc_url.clone(), signer, a.db.clone());
    for c in circuits(&a.circuits)? {
        cfg = cfg.with_circuit(c);
    }
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
    let relayer = Relayer::start(cfg).await?;
    let limits = HttpLimits { max_body_bytes: a.max_body_bytes, ..HttpLimits::default() };
    let server = relayer.serve(a.listen, limits).await?;
    println!(
        "zkinfer relayer listening on http://{} (chain {}, signer {}, database {})",
        server.addr,
        relayer.chain_id(),
        relayer.signer(),
        a.db.display()
    );
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
