//! [`Relayer`]: the service as a library. Start it with a [`RelayerConfig`], submit jobs, read
//! them back, serve the HTTP API ([`Relayer::serve`]), shut it down.
//!
//! ```no_run
//! # async fn demo(key: alloy::signers::local::PrivateKeySigner, bounty: alloy::primitives::Address,
//! #               proof: zkinfer_relayer::ProofPayload) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use zkinfer_relayer::{CircuitVerifier, JobRequest, Relayer, RelayerConfig};
//! let circuit = CircuitVerifier::load("mlp", std::path::Path::new("zkinfer-out"))?;
//! let abis = zkinfer_relayer::ContractAbis::compile()?;           // or a deployment file's
//! let cfg = RelayerConfig::new("http://127.0.0.1:8545", key, "relayer.sqlite")
//!     .with_circuit(circuit)
//!     .with_contract(abis.contract(zkinfer_relayer::ContractKind::ModelBounty, bounty)?)?;
//! let relayer = Relayer::start(cfg).await?;
//! let job = relayer.submit(JobRequest::claim(bounty, 0u64.try_into()?, proof, None)).await?.job;
//! let done = relayer.wait_final(job.id, Duration::from_secs(120)).await?;
//! println!("{:?} in tx {:?}", done.state, done.tx_hash);
//! relayer.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256};
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::allowlist::Allowlist;
use crate::circuit::{CircuitVerifier, ProofError};
use crate::config::RelayerConfig;
use crate::preflight::{self, ContractCheckError};
use crate::engine::{self, Ctx, Db};
use crate::job::{job_key, Job, JobRequest, JobState, RequestError};
use crate::metrics::{self, Health, HealthReport, Metrics};
use crate::rpc::Rpc;
use crate::store::{Inserted, NewJob, Store, StoreError};

/// Starting or running the relayer failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayerError {
    /// A setting is invalid.
    #[error("relayer configuration: {0}")]
    Config(String),
    /// The job database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A configured contract failed its checks at start (no code, not a payment contract, the
    /// signer owns its registry, …).
    #[error(transparent)]
    Contract(#[from] ContractCheckError),
    /// The HTTP listener could not be bound.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// [`Relayer::wait_final`] gave up.
    #[error("job {id} is still {state} after {waited:?}")]
    Timeout {
        /// The job.
        id: B256,
        /// Its state then.
        state: JobState,
        /// How long it waited.
        waited: Duration,
    },
    /// No such job.
    #[error("no job {0}")]
    UnknownJob(B256),
}

/// A refused submission. Nothing was recorded.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request is malformed (HTTP 400); names the field.
    #[error(transparent)]
    Invalid(#[from] RequestError),
    /// The request asks for a call the relayer does not make (HTTP 403): a contract not on its
    /// allowlist (`field` = `contract`) or a method other than that contract's paying method
    /// (`method`).
    #[error("forbidden: {0}")]
    Forbidden(RequestError),
    /// The caller's budget of jobs per minute is spent (HTTP 429, `Retry-After`).
    #[error("rate limited: this token may submit {per_minute} new jobs per minute; retry in {}s", .retry_after.as_secs().max(1))]
    RateLimited {
        /// When the next job fits the budget.
        retry_after: Duration,
        /// The budget.
        per_minute: u32,
    },
    /// The proof does not verify natively (HTTP 422).
    #[error(transparent)]
    ProofRejected(ProofError),
    /// Too many unfinished jobs (HTTP 429).
    #[error("queue full: {depth} unfinished jobs (limit {limit}); retry later")]
    QueueFull {
        /// Unfinished jobs.
        depth: u64,
        /// The limit.
        limit: u64,
    },
    /// The database failed or the relayer is stopping (HTTP 503).
    #[error("relayer unavailable: {0}")]
    Unavailable(String),
}

/// An accepted (or already known) job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The job as recorded.
    pub job: Job,
    /// True if this submission recorded it (HTTP 202); false if it already existed (HTTP 200).
    pub created: bool,
}

/// Who submits through the HTTP API: the token's name (for the log) and its budget.
pub(crate) struct Caller<'a> {
    pub name: &'a str,
    pub budget: &'a crate::auth::Budgets,
    pub index: usize,
}

struct Inner {
    ctx: Arc<Ctx>,
    circuits: BTreeMap<String, Arc<CircuitVerifier>>,
    verify_permits: Arc<Semaphore>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    started: Instant,
}

/// The running relayer. Cheap to clone (shared).
#[derive(Clone)]
pub struct Relayer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Relayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relayer")
            .field("chain_id", &self.inner.ctx.chain_id)
            .field("signer", &self.inner.ctx.rpc.signer())
            .finish_non_exhaustive()
    }
}

impl Relayer {
    /// Opens the database, learns the chain id (from the database, else from the node, waiting
    /// for it), resumes every unfinished job and starts the engine.
    pub async fn start(cfg: RelayerConfig) -> Result<Self, RelayerError> {
        cfg.validate().map_err(RelayerError::Config)?;
        let health = Arc::new(Health::default());
        let metrics = Arc::new(Metrics::default());
        let rpc = Rpc::new(&cfg.rpc_url, cfg.signer.clone(), cfg.rpc_timeout, health.clone(), metrics.clone())
            .map_err(RelayerError::Config)?;
        let path = cfg.db_path.clone();
        let mut store = tokio::task::spawn_blocking(move || Store::open(&path))
            .await
            .map_err(|e| RelayerError::Config(format!("opening the database: {e}")))??;
        let signer = rpc.signer();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let chain_id = match store.chain_id()? {
            Some(id) => id,
            None => {
                let mut tries = 0;
                loop {
                    match rpc.chain_id().await {
                        Ok(id) => break id,
                        Err(e) => {
                            tries += 1;
                            if cfg.log {
                                eprintln!("{}", crate::engine::log_line(crate::store::now_ms(), &format!("waiting for the node at {} to learn the chain id: {e}", cfg.rpc_url)));
                            }
                            tokio::time::sleep(cfg.backoff(tries)).await;
                        }
                    }
                }
            }
        };
        // Before the database records this signer: a refused start leaves nothing behind.
        check_contracts(&cfg, &rpc, chain_id).await?;
        store.check_identity(chain_id, signer)?;
        let (queued, sent) = store.recovery()?;
        let circuits = cfg.circuits.iter().map(|c| (c.name().to_string(), c.clone())).collect();
        let verify_permits = Arc::new(Semaphore::new(cfg.verify_concurrency));
        let (prepare_q, prepare_rx) = mpsc::unbounded_channel();
        let (send_q, send_rx) = mpsc::unbounded_channel();
        let (monitor_q, monitor_rx) = mpsc::unbounded_channel();
        let (ready, _) = watch::channel(false);
        let log = cfg.log;
        let ctx = Arc::new(Ctx {
            cfg,
            chain_id,
            db: Db::new(store),
            rpc,
            metrics,
            health,
            prepare_q,
            send_q,
            monitor_q,
            in_flight: AtomicU64::new(0),
            next_nonce: AtomicU64::new(u64::MAX),
            slot_freed: Notify::new(),
            ready,
            shutdown: shutdown_rx,
        });
        if log {
            ctx.log(format!(
                "chain {chain_id}, signer {signer}; resuming {} queued and {} sent job(s)",
                queued.len(),
                sent.len()
            ));
        }
        let tasks = engine::spawn(ctx.clone(), prepare_rx, send_rx, monitor_rx, queued, sent);
        Ok(Self {
            inner: Arc::new(Inner {
                ctx,
                circuits,
                verify_permits,
                shutdown: shutdown_tx,
                tasks: Mutex::new(tasks),
                started: Instant::now(),
            }),
        })
    }

    /// The chain id jobs are keyed with.
    pub fn chain_id(&self) -> u64 {
        self.inner.ctx.chain_id
    }

    /// The signer's address: transactions (and so claims, and their payouts) come from it.
    pub fn signer(&self) -> Address {
        self.inner.ctx.rpc.signer()
    }

    /// The contracts it calls.
    pub fn contracts(&self) -> &Allowlist {
        &self.inner.ctx.cfg.contracts
    }

    /// The configured circuits' names.
    pub fn circuits(&self) -> Vec<String> {
        self.inner.circuits.keys().cloned().collect()
    }

    /// The job key `req` has on this relayer's chain (refused like [`Relayer::submit`] if it
    /// asks for a call the relayer does not make).
    pub fn job_id(&self, req: &JobRequest) -> Result<B256, SubmitError> {
        let (_, method) = self.inner.ctx.cfg.contracts.resolve(req.contract, req.method.as_ref()).map_err(SubmitError::Forbidden)?;
        Ok(job_key(self.chain_id(), req.contract, &method.calldata(req.call_id, &req.proof)))
    }

    fn circuit(&self, name: Option<&str>) -> Result<Arc<CircuitVerifier>, RequestError> {
        let c = &self.inner.circuits;
        match name {
            Some(n) => c.get(n).cloned().ok_or_else(|| {
                RequestError::new(
                    "circuit",
                    format!("unknown circuit {n:?} (this relayer has: {})", c.keys().cloned().collect::<Vec<_>>().join(", ")),
                )
            }),
            None if c.len() == 1 => c.values().next().cloned().ok_or_else(|| RequestError::new("circuit", "missing")),
            None => Err(RequestError::new(
                "circuit",
                format!("missing: name one of {}", c.keys().cloned().collect::<Vec<_>>().join(", ")),
            )),
        }
    }

    /// Submits a job: one the relayer does not make (a contract off its allowlist, another method
    /// than the contract's paying one) is refused; an existing job (same key) is returned
    /// unchanged; otherwise the proof is verified natively and the job recorded (durably) before
    /// this returns. No budget applies (the caller is this program; the HTTP API meters tokens).
    pub async fn submit(&self, req: JobRequest) -> Result<Submission, SubmitError> {
        self.submit_as(req, None).await
    }

    pub(crate) async fn submit_as(&self, req: JobRequest, caller: Option<&Caller<'_>>) -> Result<Submission, SubmitError> {
        let ctx = &self.inner.ctx;
        let m = &ctx.metrics;
        if ctx.stopping() {
            return Err(SubmitError::Unavailable("shutting down".into()));
        }
        let (contract, method) = ctx.cfg.contracts.resolve(req.contract, req.method.as_ref()).map_err(|e| {
            m.submission("forbidden");
            SubmitError::Forbidden(e)
        })?;
        let circuit = self.circuit(req.circuit.as_deref()).inspect_err(|_| m.submission("invalid"))?;
        let calldata = method.calldata(req.call_id, &req.proof);
        let method_signature = method.signature().to_string();
        let kind = contract.kind();
        let id = job_key(ctx.chain_id, req.contract, &calldata);
        let unavailable = |e: StoreError| SubmitError::Unavailable(e.to_string());
        let existing = ctx.db.run(move |s| s.job(&id)).await.map_err(unavailable)?;
        if let Some(job) = existing {
            let rearmable = job.state == JobState::Failed && job.attempts.is_empty();
            if !rearmable {
                m.submission("duplicate");
                return Ok(Submission { job, created: false });
            }
        }
        if let Some(c) = caller {
            c.budget.take(c.index).map_err(|retry_after| {
                m.submission("rate_limited");
                SubmitError::RateLimited { retry_after, per_minute: c.budget.per_minute() }
            })?;
        }
        let depth = ctx.db.run(|s| s.active()).await.map_err(unavailable)?;
        if depth >= ctx.cfg.max_queue {
            m.submission("queue_full");
            return Err(SubmitError::QueueFull { depth, limit: ctx.cfg.max_queue });
        }
        let permit = self
            .inner
            .verify_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| SubmitError::Unavailable("shutting down".into()))?;
        let (proof, instances) = (req.proof.proof.clone(), req.proof.instances.clone());
        let c = circuit.clone();
        let verdict = tokio::task::spawn_blocking(move || c.verify(&proof, &instances))
            .await
            .map_err(|e| SubmitError::Unavailable(format!("verification task failed: {e}")))?;
        drop(permit);
        if let Err(e) = verdict {
            return Err(match e {
                ProofError::InstanceCount { .. } | ProofError::NotAFieldElement { .. } => {
                    m.submission("invalid");
                    SubmitError::Invalid(RequestError::new("proof.instances", e.to_string()))
                }
                ProofError::DoesNotVerify { .. } => {
                    m.submission("proof_rejected");
                    SubmitError::ProofRejected(e)
                }
            });
        }
        let new = NewJob {
            id,
            contract: req.contract,
            method: method_signature,
            call_id: Some(req.call_id.to_string()),
            circuit: circuit.name().to_string(),
            calldata,
        };
        let limit = ctx.cfg.max_queue;
        let inserted = ctx.db.run(move |s| s.insert(&new, limit)).await.map_err(unavailable)?;
        let (label, job) = match inserted {
            Inserted::New(job) => ("accepted", job),
            Inserted::Rearmed(job) => ("rearmed", job),
            Inserted::Existing(job) => {
                m.submission("duplicate");
                return Ok(Submission { job, created: false });
            }
            Inserted::QueueFull { depth } => {
                m.submission("queue_full");
                return Err(SubmitError::QueueFull { depth, limit });
            }
        };
        m.submission(label);
        ctx.log(format!(
            "job {} {label}: {} {} on {kind} {}{}",
            job.id,
            job.method,
            job.call_id.as_deref().unwrap_or(""),
            job.contract,
            caller.map(|c| format!(" (token '{}')", c.name)).unwrap_or_default()
        ));
        let _ = ctx.prepare_q.send(job.id);
        Ok(Submission { job, created: true })
    }

    /// Parses a `POST /jobs` body and submits it.
    pub async fn submit_json(&self, body: &[u8]) -> Result<Submission, SubmitError> {
        self.submit_json_as(body, None).await
    }

    pub(crate) async fn submit_json_as(&self, body: &[u8], caller: Option<&Caller<'_>>) -> Result<Submission, SubmitError> {
        match JobRequest::from_json_bytes(body) {
            Ok(req) => self.submit_as(req, caller).await,
            Err(e) => {
                self.inner.ctx.metrics.submission("invalid");
                Err(SubmitError::Invalid(e))
            }
        }
    }

    /// A job by id.
    pub async fn job(&self, id: B256) -> Result<Option<Job>, RelayerError> {
        Ok(self.inner.ctx.db.run(move |s| s.job(&id)).await?)
    }

    /// Up to `limit` jobs after `after` (a `seq`), in acceptance order, optionally of one state.
    pub async fn jobs(&self, state: Option<JobState>, after: u64, limit: u64) -> Result<Vec<Job>, RelayerError> {
        Ok(self.inner.ctx.db.run(move |s| s.list(state, after, limit)).await?)
    }

    /// Jobs per state.
    pub async fn counts(&self) -> Result<Vec<(JobState, u64)>, RelayerError> {
        Ok(self.inner.ctx.db.run(|s| s.counts()).await?)
    }

    /// Waits until the job is confirmed or failed.
    pub async fn wait_final(&self, id: B256, timeout: Duration) -> Result<Job, RelayerError> {
        let start = Instant::now();
        loop {
            let job = self.job(id).await?.ok_or(RelayerError::UnknownJob(id))?;
            if job.state.is_final() {
                return Ok(job);
            }
            if start.elapsed() >= timeout {
                return Err(RelayerError::Timeout { id, state: job.state, waited: start.elapsed() });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The node's health and the queue.
    pub async fn health(&self) -> HealthReport {
        let ctx = &self.inner.ctx;
        let depth = ctx.db.run(|s| s.active()).await.unwrap_or(0);
        ctx.health.report(
            ctx.chain_id,
            ctx.rpc.signer().to_string(),
            ctx.next_nonce(),
            depth,
            ctx.cfg.max_queue,
            ctx.in_flight.load(Relaxed),
        )
    }

    /// The counters since start.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.ctx.metrics
    }

    /// Prometheus text (`GET /metrics`).
    pub async fn metrics_text(&self) -> Result<String, RelayerError> {
        let counts = self.counts().await?;
        let health = self.health().await;
        let mut text = metrics::render(&self.inner.ctx.metrics, &counts, &health);
        text.push_str("# HELP zkinfer_relayer_uptime_seconds Seconds since start.\n# TYPE zkinfer_relayer_uptime_seconds gauge\n");
        text.push_str(&format!("zkinfer_relayer_uptime_seconds {:.1}\n", self.inner.started.elapsed().as_secs_f64()));
        Ok(text)
    }

    /// Serves the HTTP API on `listen` (port 0: any free port) until [`Relayer::shutdown`], to
    /// callers holding one of `access`'s tokens.
    pub async fn serve(&self, listen: SocketAddr, limits: crate::http::HttpLimits, access: crate::auth::ApiAccess) -> Result<crate::http::HttpServer, RelayerError> {
        let server = crate::http::serve(self.clone(), listen, limits, access, self.inner.ctx.shutdown.clone()).await?;
        if let Ok(mut t) = self.inner.tasks.lock() {
            t.push(server.task);
        }
        Ok(crate::http::HttpServer { addr: server.addr })
    }

    /// Stops the engine and the HTTP server and waits for them. Recorded jobs stay recorded;
    /// the next start resumes them.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> = match self.inner.tasks.lock() {
            Ok(mut t) => t.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

/// The configured contracts' checks ([`preflight`]) before the relayer serves, waiting for the
/// node. A node on another chain than the database is left to the monitor (which reports it and
/// checks the contracts before it lets anything be sent).
async fn check_contracts(cfg: &RelayerConfig, rpc: &Rpc, chain_id: u64) -> Result<(), RelayerError> {
    let log = |m: String| {
        if cfg.log {
            eprintln!("{}", crate::engine::log_line(crate::store::now_ms(), &m));
        }
    };
    let mut tries = 0;
    loop {
        let failure = match rpc.chain_id().await {
            Ok(id) if id != chain_id => return Ok(()),
            Ok(_) => match preflight::check(rpc, &cfg.contracts, chain_id, cfg.allow_owner_key).await {
                Ok(checked) => {
                    for c in checked {
                        log(format!("calls {} {} (registry {}, owner {})", c.kind, c.address, c.registry, c.owner));
                        if c.signer_governs_registry {
                            log(format!("WARNING: the signer governs the registry {} of {} {} (allowed by allow_owner_key)", c.registry, c.kind, c.address));
                        }
                    }
                    return Ok(());
                }
                Err(e) if e.is_rpc() => e.to_string(),
                Err(e) => return Err(e.into()),
            },
            Err(e) => e.to_string(),
        };
        tries += 1;
        log(format!("waiting for the node at {} to check the configured contracts: {failure}", cfg.rpc_url));
        tokio::time::sleep(cfg.backoff(tries)).await;
    }
}
