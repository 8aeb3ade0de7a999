//! [`RelayerConfig`]: everything the relayer service is started with.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;

use crate::allowlist::{AllowedContract, Allowlist, AllowlistError};
use crate::circuit::CircuitVerifier;
use crate::revert::RevertDecoder;

/// Default [`RelayerConfig::max_gas_per_job`]: a generated verifier costs 0.33–0.56M gas, a
/// relayed claim or fulfilment up to ~0.7M with the margin.
pub const DEFAULT_MAX_GAS_PER_JOB: u64 = 1_500_000;

/// Default [`RelayerConfig::max_fee_per_gas`]: 100 gwei.
pub const DEFAULT_MAX_FEE_PER_GAS: u128 = 100_000_000_000;

/// The relayer's settings. [`RelayerConfig::new`] gives the defaults documented on each field.
#[derive(Clone)]
pub struct RelayerConfig {
    /// HTTP JSON-RPC endpoint.
    pub rpc_url: String,
    /// The key transactions are signed with. The relayer must be its only user.
    pub signer: PrivateKeySigner,
    /// The SQLite job database (created if missing). Default `zkinfer-relayer.sqlite`.
    pub db_path: PathBuf,
    /// Circuits whose proofs jobs may carry (at least one).
    pub circuits: Vec<Arc<CircuitVerifier>>,
    /// The contracts the relayer calls, and with which methods (at least one). Nothing else is
    /// ever called.
    pub contracts: Allowlist,
    /// Refuse to start only if false: when the signer owns (or is the pending owner of) the
    /// VerifierRegistry of a configured contract. Default false.
    pub allow_owner_key: bool,
    /// Blocks a transaction must be buried under before its job is confirmed (1: mined).
    /// Default 2.
    pub confirmations: u64,
    /// How often the node is polled for new blocks and receipts. Default 1 s.
    pub poll_interval: Duration,
    /// Timeout of each RPC call. Default 10 s.
    pub rpc_timeout: Duration,
    /// A sent transaction not mined after this long is looked up; if the node dropped it, it is
    /// broadcast again (same bytes). Default 15 s.
    pub resend_after: Duration,
    /// A sent transaction pending longer than this (or priced under the base fee) is replaced
    /// with higher fees, same nonce. Default 60 s.
    pub bump_after: Duration,
    /// Fee increase per bump, percent (at least 10, the usual replacement rule). Default 20.
    pub fee_bump_percent: u64,
    /// Ceiling on `maxFeePerGas` (and the legacy gas price), wei: transactions wait rather than
    /// pay more. Default [`DEFAULT_MAX_FEE_PER_GAS`] (100 gwei).
    pub max_fee_per_gas: u128,
    /// Largest gas limit of a job's transaction; a job whose simulated gas use plus margin is
    /// more fails without a transaction. Default [`DEFAULT_MAX_GAS_PER_JOB`].
    pub max_gas_per_job: u64,
    /// Added to the simulated gas use for the gas limit, percent. Default 25.
    pub gas_margin_percent: u64,
    /// Unfinished jobs beyond which submissions are refused (HTTP 429). Default 1000.
    pub max_queue: u64,
    /// Transactions pending at once (sent, not confirmed). Default 64.
    pub max_in_flight: u64,
    /// Longest wait between retries while the node is unreachable. Default 10 s.
    pub max_backoff: Duration,
    /// Simulations run concurrently. Default 8.
    pub simulation_concurrency: usize,
    /// Native proof verifications run concurrently. Default: the number of CPUs.
    pub verify_concurrency: usize,
    /// A simulation older than this is repeated before the job is sent. Default 120 s.
    pub resimulate_after: Duration,
    /// Names custom errors in revert reasons. Default [`RevertDecoder::zkinfer`].
    pub revert_decoder: RevertDecoder,
    /// Log state changes to stderr. Default false.
    pub log: bool,
}

impl fmt::Debug for RelayerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayerConfig")
            .field("rpc_url", &self.rpc_url)
            .field("signer", &self.signer.address())
            .field("db_path", &self.db_path)
            .field("circuits", &self.circuits.iter().map(|c| c.name()).collect::<Vec<_>>())
            .field("contracts", &self.contracts.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .field("allow_owner_key", &self.allow_owner_key)
            .field("max_fee_per_gas", &self.max_fee_per_gas)
            .field("max_gas_per_job", &self.max_gas_per_job)
            .field("confirmations", &self.confirmations)
            .field("poll_interval", &self.poll_interval)
            .field("max_queue", &self.max_queue)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl RelayerConfig {
    /// The defaults, for `rpc_url`, `signer` and the database at `db_path`; add circuits and
    /// contracts.
    pub fn new(rpc_url: impl Into<String>, signer: PrivateKeySigner, db_path: impl Into<PathBuf>) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            signer,
            db_path: db_path.into(),
            circuits: Vec::new(),
            contracts: Allowlist::new(),
            allow_owner_key: false,
            confirmations: 2,
            poll_interval: Duration::from_secs(1),
            rpc_timeout: Duration::from_secs(10),
            resend_after: Duration::from_secs(15),
            bump_after: Duration::from_secs(60),
            fee_bump_percent: 20,
            max_fee_per_gas: DEFAULT_MAX_FEE_PER_GAS,
            max_gas_per_job: DEFAULT_MAX_GAS_PER_JOB,
            gas_margin_percent: 25,
            max_queue: 1000,
            max_in_flight: 64,
            max_backoff: Duration::from_secs(10),
            simulation_concurrency: 8,
            verify_concurrency: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            resimulate_after: Duration::from_secs(120),
            revert_decoder: RevertDecoder::zkinfer(),
            log: false,
        }
    }

    /// Adds a circuit.
    pub fn with_circuit(mut self, c: CircuitVerifier) -> Self {
        self.circuits.push(Arc::new(c));
        self
    }

    /// Adds a contract to call ([`Allowlist::add`]).
    pub fn with_contract(mut self, c: AllowedContract) -> Result<Self, AllowlistError> {
        self.contracts.add(c)?;
        Ok(self)
    }

    /// Checks the settings; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, d: Duration| {
            if d.is_zero() {
                Err(format!("{name} must be positive"))
            } else {
                Ok(())
            }
        };
        if self.circuits.is_empty() {
            return Err("circuits: at least one circuit is needed to verify proofs".into());
        }
        let mut names: Vec<&str> = self.circuits.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("circuits: '{}' is given twice", w[0]));
        }
        if self.contracts.is_empty() {
            return Err("contracts: the relayer needs the ModelBounty / InferenceEscrow contracts it may call (--contract KIND=ADDRESS or --deployment FILE)".into());
        }
        if self.max_gas_per_job < 21_000 {
            return Err("max_gas_per_job must be at least 21000".into());
        }
        if self.max_fee_per_gas == 0 {
            return Err("max_fee_per_gas must be positive".into());
        }
        if self.confirmations == 0 {
            return Err("confirmations must be at least 1".into());
        }
        if self.fee_bump_percent < 10 {
            return Err("fee_bump_percent must be at least 10 (nodes refuse smaller replacements)".into());
        }
        for (n, v) in [
            ("max_queue", self.max_queue),
            ("max_in_flight", self.max_in_flight),
            ("simulation_concurrency", self.simulation_concurrency as u64),
            ("verify_concurrency", self.verify_concurrency as u64),
        ] {
            if v == 0 {
                return Err(format!("{n} must be at least 1"));
            }
        }
        positive("poll_interval", self.poll_interval)?;
        positive("rpc_timeout", self.rpc_timeout)?;
        positive("resend_after", self.resend_after)?;
        positive("bump_after", self.bump_after)?;
        positive("max_backoff", self.max_backoff)?;
        Ok(())
    }

    /// The wait before retry number `attempt` (1, 2, …): the poll interval doubling up to
    /// [`RelayerConfig::max_backoff`].
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.poll_interval.saturating_mul(factor).min(self.max_backoff)
    }
}
