//! Counters, the node's health, and their Prometheus text rendering (`GET /metrics`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::job::JobState;
use crate::store::now_ms;

/// Outcome labels of `POST /jobs`.
pub const SUBMISSION_RESULTS: [&str; 10] = [
    "accepted",
    "duplicate",
    "rearmed",
    "invalid",
    "proof_rejected",
    "queue_full",
    "too_large",
    "unauthorized",
    "forbidden",
    "rate_limited",
];

/// Why a transaction was broadcast again (same nonce).
pub const RESEND_REASONS: [&str; 3] = ["fee_bump", "dropped", "reorg"];

/// Broadcast errors by kind.
pub const BROADCAST_ERRORS: [&str; 6] = [
    "nonce_too_low",
    "underpriced",
    "insufficient_funds",
    "fee_too_low",
    "rejected",
    "unreachable",
];

/// Failure labels.
pub const FAILURE_REASONS: [&str; 6] = ["would_revert", "simulation_error", "reverted_onchain", "unknown_outcome", "over_gas_cap", "refused"];

fn counters<const N: usize>() -> [AtomicU64; N] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

/// Monotonic counters (since this process started).
#[derive(Debug)]
pub struct Metrics {
    submissions: [AtomicU64; SUBMISSION_RESULTS.len()],
    resends: [AtomicU64; RESEND_REASONS.len()],
    broadcast_errors: [AtomicU64; BROADCAST_ERRORS.len()],
    failures: [AtomicU64; FAILURE_REASONS.len()],
    /// First broadcasts of an attempt (fee bumps included).
    pub sends: AtomicU64,
    /// Jobs confirmed.
    pub confirmations: AtomicU64,
    /// Sent jobs whose nonce was used by a foreign transaction and that got a new one.
    pub renonced: AtomicU64,
    /// Mined transactions that left the chain before being confirmed.
    pub reorgs: AtomicU64,
    /// RPC calls that failed (unreachable, timed out, or an unexpected error answer).
    pub rpc_errors: AtomicU64,
    /// Sum of accept-to-confirm latency, ms.
    latency_sum_ms: AtomicU64,
    /// Largest accept-to-confirm latency, ms.
    latency_max_ms: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            submissions: counters(),
            resends: counters(),
            broadcast_errors: counters(),
            failures: counters(),
            sends: AtomicU64::new(0),
            confirmations: AtomicU64::new(0),
            renonced: AtomicU64::new(0),
            reorgs: AtomicU64::new(0),
            rpc_errors: AtomicU64::new(0),
            latency_sum_ms: AtomicU64::new(0),
            latency_max_ms: AtomicU64::new(0),
        }
    }
}

fn bump(list: &[&str], slots: &[AtomicU64], label: &str) {
    if let Some(i) = list.iter().position(|l| *l == label) {
        slots[i].fetch_add(1, Relaxed);
    }
}

impl Metrics {
    /// Counts a submission outcome (one of [`SUBMISSION_RESULTS`]).
    pub fn submission(&self, result: &str) {
        bump(&SUBMISSION_RESULTS, &self.submissions, result);
    }

    /// Counts a resend (one of [`RESEND_REASONS`]).
    pub fn resend(&self, reason: &str) {
        bump(&RESEND_REASONS, &self.resends, reason);
    }

    /// Counts a broadcast error (one of [`BROADCAST_ERRORS`]).
    pub fn broadcast_error(&self, kind: &str) {
        bump(&BROADCAST_ERRORS, &self.broadcast_errors, kind);
    }

    /// Counts a failed job (one of [`FAILURE_REASONS`]).
    pub fn failure(&self, reason: &str) {
        bump(&FAILURE_REASONS, &self.failures, reason);
    }

    /// Records a confirmation `latency_ms` after acceptance.
    pub fn confirmed(&self, latency_ms: u64) {
        self.confirmations.fetch_add(1, Relaxed);
        self.latency_sum_ms.fetch_add(latency_ms, Relaxed);
        self.latency_max_ms.fetch_max(latency_ms, Relaxed);
    }

    /// Resends with `reason`, so far.
    pub fn resends(&self, reason: &str) -> u64 {
        RESEND_REASONS
            .iter()
            .position(|l| *l == reason)
            .map(|i| self.resends[i].load(Relaxed))
            .unwrap_or(0)
    }

    /// Broadcast errors of `kind`, so far.
    pub fn broadcast_errors(&self, kind: &str) -> u64 {
        BROADCAST_ERRORS
            .iter()
            .position(|l| *l == kind)
            .map(|i| self.broadcast_errors[i].load(Relaxed))
            .unwrap_or(0)
    }
}

/// The node as the relayer last saw it.
#[derive(Debug, Default)]
pub struct Health {
    up: AtomicBool,
    seen: AtomicBool,
    verified: AtomicBool,
    failures: AtomicU64,
    last_ok_ms: AtomicU64,
    head: AtomicU64,
    last_error: Mutex<Option<String>>,
    fatal: Mutex<Option<String>>,
}

/// `GET /health`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// `ok`; `degraded` while the node is unreachable (jobs wait, none are dropped); `starting`
    /// until the node answered and its chain and contracts were checked (nothing is sent before);
    /// `fatal` if the relayer stopped sending (see `fatal`).
    pub status: String,
    /// Whether the last RPC call reached the node.
    pub rpc_up: bool,
    /// Consecutive failed RPC calls.
    pub rpc_consecutive_failures: u64,
    /// The last RPC error.
    pub rpc_last_error: Option<String>,
    /// When the node last answered (unix ms).
    pub rpc_last_ok_ms: Option<u64>,
    /// Why the relayer stopped sending (e.g. the node is on another chain).
    pub fatal: Option<String>,
    /// Latest block seen.
    pub head_block: Option<u64>,
    /// The chain id.
    pub chain_id: u64,
    /// The signer's address (claims are sent, and paid, from it).
    pub signer: String,
    /// The next nonce the relayer will assign (once known).
    pub next_nonce: Option<u64>,
    /// Unfinished jobs (accepted, simulated, sent).
    pub queue_depth: u64,
    /// The limit on unfinished jobs.
    pub queue_limit: u64,
    /// Sent, not yet confirmed.
    pub in_flight: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Health {
    /// An RPC call reached the node.
    pub fn ok(&self) {
        self.up.store(true, Relaxed);
        self.seen.store(true, Relaxed);
        self.failures.store(0, Relaxed);
        self.last_ok_ms.store(now_ms(), Relaxed);
    }

    /// An RPC call failed; `unreachable` if the node could not be reached at all.
    pub fn error(&self, message: &str, unreachable: bool) {
        if unreachable {
            self.up.store(false, Relaxed);
            self.failures.fetch_add(1, Relaxed);
        }
        *lock(&self.last_error) = Some(message.to_string());
    }

    /// Records the latest block.
    pub fn head(&self, block: u64) {
        self.head.store(block, Relaxed);
    }

    /// The node's chain and the configured contracts were checked: sending may start.
    pub fn set_verified(&self) {
        self.verified.store(true, Relaxed);
    }

    /// Stops the relayer from sending.
    pub fn set_fatal(&self, why: String) {
        *lock(&self.fatal) = Some(why);
    }

    /// The node is right again: sending resumes.
    pub fn clear_fatal(&self) {
        *lock(&self.fatal) = None;
    }

    /// Why the relayer stopped sending.
    pub fn fatal(&self) -> Option<String> {
        lock(&self.fatal).clone()
    }

    /// Whether the node answered the last call.
    pub fn is_up(&self) -> bool {
        self.up.load(Relaxed)
    }

    /// Consecutive unreachable calls.
    pub fn failures(&self) -> u64 {
        self.failures.load(Relaxed)
    }

    /// A report (the queue figures are the caller's).
    pub fn report(&self, chain_id: u64, signer: String, next_nonce: Option<u64>, queue_depth: u64, queue_limit: u64, in_flight: u64) -> HealthReport {
        let fatal = self.fatal();
        let up = self.is_up();
        let status = if fatal.is_some() {
            "fatal"
        } else if !self.seen.load(Relaxed) || !self.verified.load(Relaxed) {
            "starting"
        } else if up {
            "ok"
        } else {
            "degraded"
        };
        let last_ok = self.last_ok_ms.load(Relaxed);
        let head = self.head.load(Relaxed);
        HealthReport {
            status: status.to_string(),
            rpc_up: up,
            rpc_consecutive_failures: self.failures(),
            rpc_last_error: lock(&self.last_error).clone(),
            rpc_last_ok_ms: (last_ok > 0).then_some(last_ok),
            fatal,
            head_block: (head > 0).then_some(head),
            chain_id,
            signer,
            next_nonce,
            queue_depth,
            queue_limit,
            in_flight,
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP zkinfer_relayer_{name} {help}");
    let _ = writeln!(out, "# TYPE zkinfer_relayer_{name} {kind}");
}

fn labelled(out: &mut String, name: &str, label: &str, labels: &[&str], slots: &[AtomicU64]) {
    for (l, v) in labels.iter().zip(slots) {
        let _ = writeln!(out, "zkinfer_relayer_{name}{{{label}=\"{l}\"}} {}", v.load(Relaxed));
    }
}

/// Renders the Prometheus text exposition format (version 0.0.4).
pub fn render(m: &Metrics, counts: &[(JobState, u64)], health: &HealthReport) -> String {
    let mut o = String::new();
    family(&mut o, "jobs", "gauge", "Jobs in the database by state.");
    for (s, n) in counts {
        let _ = writeln!(o, "zkinfer_relayer_jobs{{state=\"{s}\"}} {n}");
    }
    family(&mut o, "queue_depth", "gauge", "Unfinished jobs (accepted, simulated, sent).");
    let _ = writeln!(o, "zkinfer_relayer_queue_depth {}", health.queue_depth);
    family(&mut o, "queue_limit", "gauge", "Unfinished jobs beyond which POST /jobs answers 429.");
    let _ = writeln!(o, "zkinfer_relayer_queue_limit {}", health.queue_limit);
    family(&mut o, "in_flight", "gauge", "Jobs sent and not yet confirmed.");
    let _ = writeln!(o, "zkinfer_relayer_in_flight {}", health.in_flight);
    family(&mut o, "submissions_total", "counter", "POST /jobs outcomes.");
    labelled(&mut o, "submissions_total", "result", &SUBMISSION_RESULTS, &m.submissions);
    family(&mut o, "sends_total", "counter", "Signed transactions broadcast for the first time (fee bumps included).");
    let _ = writeln!(o, "zkinfer_relayer_sends_total {}", m.sends.load(Relaxed));
    family(&mut o, "resends_total", "counter", "Transactions broadcast again with the same nonce, by reason.");
    labelled(&mut o, "resends_total", "reason", &RESEND_REASONS, &m.resends);
    family(&mut o, "broadcast_errors_total", "counter", "eth_sendRawTransaction errors by kind.");
    labelled(&mut o, "broadcast_errors_total", "kind", &BROADCAST_ERRORS, &m.broadcast_errors);
    family(&mut o, "confirmations_total", "counter", "Jobs confirmed.");
    let _ = writeln!(o, "zkinfer_relayer_confirmations_total {}", m.confirmations.load(Relaxed));
    family(&mut o, "failures_total", "counter", "Jobs failed, by reason.");
    labelled(&mut o, "failures_total", "reason", &FAILURE_REASONS, &m.failures);
    family(&mut o, "renonced_total", "counter", "Sent jobs whose nonce a foreign transaction used, given a new nonce.");
    let _ = writeln!(o, "zkinfer_relayer_renonced_total {}", m.renonced.load(Relaxed));
    family(&mut o, "reorgs_total", "counter", "Mined transactions that left the chain before confirmation.");
    let _ = writeln!(o, "zkinfer_relayer_reorgs_total {}", m.reorgs.load(Relaxed));
    family(&mut o, "rpc_errors_total", "counter", "Failed RPC calls (unreachable, timed out, unexpected error).");
    let _ = writeln!(o, "zkinfer_relayer_rpc_errors_total {}", m.rpc_errors.load(Relaxed));
    family(&mut o, "rpc_up", "gauge", "1 if the last RPC call reached the node.");
    let _ = writeln!(o, "zkinfer_relayer_rpc_up {}", u8::from(health.rpc_up));
    family(&mut o, "head_block", "gauge", "Latest block seen.");
    let _ = writeln!(o, "zkinfer_relayer_head_block {}", health.head_block.unwrap_or(0));
    family(&mut o, "confirm_latency_seconds", "summary", "Acceptance to confirmation.");
    let n = m.confirmations.load(Relaxed);
    let _ = writeln!(o, "zkinfer_relayer_confirm_latency_seconds_sum {:.3}", m.latency_sum_ms.load(Relaxed) as f64 / 1000.0);
    let _ = writeln!(o, "zkinfer_relayer_confirm_latency_seconds_count {n}");
    family(&mut o, "confirm_latency_seconds_max", "gauge", "Largest acceptance-to-confirmation latency.");
    let _ = writeln!(o, "zkinfer_relayer_confirm_latency_seconds_max {:.3}", m.latency_max_ms.load(Relaxed) as f64 / 1000.0);
    o
}

/// The value of an unlabelled or labelled sample in a rendering, e.g.
/// `sample(text, "zkinfer_relayer_jobs{state=\"sent\"}")`.
pub fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_and_reads_back() {
        let m = Metrics::default();
        m.submission("accepted");
        m.resend("dropped");
        m.confirmed(1500);
        m.confirmed(500);
        let h = Health::default();
        h.ok();
        assert_eq!(h.report(1, "0x0".into(), None, 0, 10, 0).status, "starting", "not checked yet");
        h.set_verified();
        let report = h.report(1, "0x0".into(), Some(3), 2, 10, 1);
        assert_eq!(report.status, "ok");
        let text = render(&m, &[(JobState::Sent, 4)], &report);
        assert_eq!(sample(&text, "zkinfer_relayer_jobs{state=\"sent\"}"), Some(4.0));
        assert_eq!(sample(&text, "zkinfer_relayer_submissions_total{result=\"accepted\"}"), Some(1.0));
        assert_eq!(sample(&text, "zkinfer_relayer_resends_total{reason=\"dropped\"}"), Some(1.0));
        assert_eq!(sample(&text, "zkinfer_relayer_confirm_latency_seconds_max"), Some(1.5));
        assert_eq!(sample(&text, "zkinfer_relayer_queue_depth"), Some(2.0));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.starts_with("zkinfer_relayer_") && line.split(' ').count() == 2, "{line}");
        }
    }
}
