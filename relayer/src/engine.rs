//! The job engine: three tasks over the job database.
//!
//! - the preparer simulates accepted jobs (`eth_call` + `eth_estimateGas`, a few at a time):
//!   a revert fails the job with its decoded reason, no gas spent; success makes it `simulated`;
//! - the [sender](crate::sender) gives simulated jobs consecutive nonces, signs them, records the
//!   attempts, then broadcasts them;
//! - the [monitor](crate::monitor) follows sent jobs to their confirmations: receipts, reorgs,
//!   dropped transactions (rebroadcast), stuck ones (fee bump, same nonce).
//!
//! A job moves only after its new state is committed. After a restart every unfinished job is
//! picked up from its recorded state ([`spawn`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::primitives::{Address, B256};
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::config::RelayerConfig;
use crate::metrics::{Health, Metrics};
use crate::rpc::{Rpc, RpcFailure, Simulation};
use crate::store::{now_ms, Store, StoreError, StoredAttempt, Work};

/// Node errors (not unreachability) tolerated while simulating before the job fails.
const MAX_SIMULATION_NODE_ERRORS: u32 = 5;

/// The database, shared; each use runs on the blocking pool.
#[derive(Debug, Clone)]
pub(crate) struct Db(Arc<Mutex<Store>>);

impl Db {
    pub(crate) fn new(store: Store) -> Self {
        Self(Arc::new(Mutex::new(store)))
    }

    /// Runs `f` on the store off the async threads.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("database task failed: {e}")))?
    }
}

/// A sent job the monitor follows.
#[derive(Debug, Clone)]
pub(crate) struct Tracked {
    pub id: B256,
    pub nonce: u64,
    pub contract: Address,
    pub calldata: Arc<Vec<u8>>,
    pub gas_limit: u64,
    pub created_at: u64,
    /// Oldest first; all with `nonce`.
    pub attempts: Vec<StoredAttempt>,
    /// Last lookup/rebroadcast (`None`: look it up at the next poll, e.g. after a restart).
    pub last_check: Option<std::time::Instant>,
}

/// What the tasks share.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub cfg: RelayerConfig,
    pub chain_id: u64,
    pub db: Db,
    pub rpc: Rpc,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub prepare_q: mpsc::UnboundedSender<B256>,
    pub send_q: mpsc::UnboundedSender<B256>,
    pub monitor_q: mpsc::UnboundedSender<Tracked>,
    pub in_flight: AtomicU64,
    /// `u64::MAX` until the sender knows it.
    pub next_nonce: AtomicU64,
    pub slot_freed: Notify,
    /// True once the node answered with the expected chain id.
    pub ready: watch::Sender<bool>,
    pub shutdown: watch::Receiver<bool>,
}

impl Ctx {
    /// Logs one line to stderr when logging is on.
    pub fn log(&self, msg: impl AsRef<str>) {
        if self.cfg.log {
            eprintln!("{}", log_line(now_ms(), msg.as_ref()));
        }
    }

    /// Whether shutdown was requested.
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleeps `d`, or less if shutdown is requested; returns false on shutdown.
    pub async fn sleep(&self, d: Duration) -> bool {
        let mut s = self.shutdown.clone();
        if *s.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => !*s.borrow(),
            _ = s.changed() => false,
        }
    }

    /// Waits until the chain is verified; false on shutdown.
    pub async fn wait_ready(&self) -> bool {
        let mut r = self.ready.subscribe();
        let mut s = self.shutdown.clone();
        loop {
            if *s.borrow() {
                return false;
            }
            if *r.borrow_and_update() && self.health.fatal().is_none() {
                return true;
            }
            tokio::select! {
                c = r.changed() => if c.is_err() { return false },
                _ = s.changed() => return false,
            }
        }
    }

    /// Why a recorded call must not be sent (`Ok(None)`: it may): it is not on the allowlist
    /// (recorded under another configuration), or its contract has no code now.
    pub async fn refusal(&self, contract: Address, calldata: &[u8]) -> Result<Option<String>, RpcFailure> {
        if !self.cfg.contracts.permits(contract, calldata) {
            let selector = hex::encode(calldata.get(..4).unwrap_or_default());
            return Ok(Some(format!(
                "not relayed: {contract} with selector 0x{selector} is not on the relayer's allowlist (recorded under another configuration)"
            )));
        }
        if self.rpc.code(contract).await?.is_empty() {
            return Ok(Some(format!("not sent: {contract} has no code")));
        }
        Ok(None)
    }

    /// The next nonce the sender will assign, once it knows it.
    pub fn next_nonce(&self) -> Option<u64> {
        let n = self.next_nonce.load(Relaxed);
        (n != u64::MAX).then_some(n)
    }
}

/// Starts the three tasks with the recovered work: accepted jobs are simulated, simulated ones
/// sent, sent ones looked up by their transaction hashes first.
pub(crate) fn spawn(
    ctx: Arc<Ctx>,
    prepare_rx: mpsc::UnboundedReceiver<B256>,
    send_rx: mpsc::UnboundedReceiver<B256>,
    monitor_rx: mpsc::UnboundedReceiver<Tracked>,
    queued: Vec<Work>,
    sent: Vec<(Work, Vec<StoredAttempt>)>,
) -> Vec<JoinHandle<()>> {
    for w in &queued {
        let q = match w.state {
            crate::job::JobState::Simulated => &ctx.send_q,
            _ => &ctx.prepare_q,
        };
        let _ = q.send(w.id);
    }
    ctx.in_flight.store(sent.len() as u64, Relaxed);
    for (w, attempts) in sent {
        let Some(nonce) = w.nonce.or_else(|| attempts.last().map(|a| a.attempt.nonce)) else {
            continue;
        };
        let _ = ctx.monitor_q.send(Tracked {
            id: w.id,
            nonce,
            contract: w.contract,
            calldata: Arc::new(w.calldata),
            gas_limit: w.gas_limit.or_else(|| attempts.last().map(|a| a.attempt.gas_limit)).unwrap_or(0),
            created_at: w.created_at,
            attempts,
            last_check: None,
        });
    }
    vec![
        tokio::spawn(preparer(ctx.clone(), prepare_rx)),
        tokio::spawn(crate::sender::run(ctx.clone(), send_rx)),
        tokio::spawn(crate::monitor::run(ctx, monitor_rx)),
    ]
}

async fn preparer(ctx: Arc<Ctx>, mut rx: mpsc::UnboundedReceiver<B256>) {
    if !ctx.wait_ready().await {
        return;
    }
    let permits = Arc::new(Semaphore::new(ctx.cfg.simulation_concurrency));
    let mut shutdown = ctx.shutdown.clone();
    loop {
        let id = tokio::select! {
            id = rx.recv() => match id { Some(id) => id, None => return },
            _ = shutdown.changed() => return,
        };
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            prepare(&ctx, id).await;
            drop(permit);
        });
    }
}

/// Simulates one accepted job until it is simulated or failed (retrying while the node is
/// unreachable).
async fn prepare(ctx: &Ctx, id: B256) {
    let mut tries = 0u32;
    let mut node_errors = 0u32;
    loop {
        if ctx.stopping() {
            return;
        }
        let work = match ctx.db.run(move |s| s.work(&id)).await {
            Ok(Some(w)) if w.state == crate::job::JobState::Accepted => w,
            Ok(_) => return,
            Err(e) => {
                ctx.log(format!("job {id}: {e}"));
                tries += 1;
                if !ctx.sleep(ctx.cfg.backoff(tries)).await {
                    return;
                }
                continue;
            }
        };
        let outcome = match ctx.refusal(work.contract, &work.calldata).await {
            Ok(Some(reason)) => Ok(Simulation::Refused { reason }),
            Ok(None) => {
                let cfg = &ctx.cfg;
                ctx.rpc.simulate(work.contract, &work.calldata, &cfg.revert_decoder, cfg.gas_margin_percent, cfg.max_gas_per_job).await
            }
            Err(e) => Err(e),
        };
        let fail_reason: Option<(&str, String)> = match outcome {
            Ok(Simulation::Succeeds { gas: limit }) => {
                match ctx.db.run(move |s| s.mark_simulated(&id, limit)).await {
                    Ok(true) => {
                        let _ = ctx.send_q.send(id);
                        return;
                    }
                    Ok(false) => return,
                    Err(e) => {
                        ctx.log(format!("job {id}: {e}"));
                        None
                    }
                }
            }
            Ok(Simulation::Reverts { reason }) => Some(("would_revert", format!("would revert: {reason}"))),
            Ok(Simulation::OverGasCap { gas }) => Some((
                "over_gas_cap",
                format!("needs a gas limit of {gas} (simulated use plus margin), over the per-job cap of {} (max_gas_per_job)", ctx.cfg.max_gas_per_job),
            )),
            Ok(Simulation::Refused { reason }) => Some(("refused", reason)),
            Err(RpcFailure::Node(m)) => {
                node_errors += 1;
                (node_errors >= MAX_SIMULATION_NODE_ERRORS)
                    .then(|| ("simulation_error", format!("simulation failed: {m}")))
            }
            Err(RpcFailure::Unreachable(_)) => None,
        };
        if let Some((label, reason)) = fail_reason {
            let r = reason.clone();
            match ctx.db.run(move |s| s.mark_failed(&id, &r)).await {
                Ok(true) => {
                    ctx.metrics.failure(label);
                    ctx.log(format!("job {id} failed, no transaction sent: {reason}"));
                    return;
                }
                Ok(false) => return,
                Err(e) => ctx.log(format!("job {id}: {e}")),
            }
        }
        tries += 1;
        if !ctx.sleep(ctx.cfg.backoff(tries)).await {
            return;
        }
    }
}

/// One log line: `[relayer 2026-12-02T16:02:25.325Z] msg`, the time (unix milliseconds) in
/// RFC 3339, UTC.
pub fn log_line(unix_ms: u64, msg: &str) -> String {
    format!("[relayer {}] {msg}", rfc3339_ms(unix_ms))
}

/// Unix milliseconds as an RFC 3339 UTC timestamp with milliseconds, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339_ms(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar; H. Hinnant's
    // days_from_civil inverse).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, unix_ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_log_timestamps_are_rfc3339() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        // The example: unix 1796227160.325 s.
        assert_eq!(rfc3339_ms(1_796_227_160_325), "2026-12-02T15:59:20.325Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z", "a leap day");
        assert_eq!(rfc3339_ms(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(rfc3339_ms(4_102_444_800_000), "2100-01-01T00:00:00.000Z");
        assert_eq!(log_line(1_796_227_160_325, "sent"), "[relayer 2026-12-02T15:59:20.325Z] sent");
    }
}
