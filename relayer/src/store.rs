//! The job database: SQLite in WAL mode with `synchronous=FULL`.
//!
//! Every state change is one SQLite transaction, committed (fsynced) before the relayer acts on
//! it: a job is recorded before the API answers; an attempt (nonce, fees, raw signed bytes) is
//! recorded before it is broadcast. FULL rather than NORMAL: in WAL mode NORMAL survives a process
//! crash but may lose the last commits on power loss, and the API promises that an accepted job
//! survives. See `docs/relayer.md` for the schema.

use std::path::Path;
use std::str::FromStr;

use alloy::primitives::{Address, B256};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::job::{Attempt, Job, JobState};

/// Database failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("job database: {context}: {source}")]
    Sqlite {
        /// What was being done.
        context: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database belongs to another chain or signer.
    #[error("job database was created for {key} {stored}, but the relayer runs with {actual}: use another --db file")]
    Identity {
        /// `chain id` or `signer`.
        key: &'static str,
        /// The recorded value.
        stored: String,
        /// The current value.
        actual: String,
    },
    /// The database's directory could not be created.
    #[error("creating {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A stored value does not parse.
    #[error("job database: corrupt value in {0}")]
    Corrupt(String),
}

fn sql(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        context: context.to_string(),
        source,
    }
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    contract TEXT NOT NULL,
    method TEXT NOT NULL,
    call_id TEXT,
    circuit TEXT NOT NULL,
    calldata BLOB NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    gas_limit INTEGER,
    simulated_at INTEGER,
    nonce INTEGER,
    tx_hash TEXT,
    block_number INTEGER,
    block_hash TEXT,
    gas_used INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, seq);
CREATE TABLE IF NOT EXISTS attempts (
    tx_hash TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    nonce INTEGER NOT NULL,
    gas_limit INTEGER NOT NULL,
    max_fee_per_gas TEXT NOT NULL,
    max_priority_fee_per_gas TEXT,
    raw BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS attempts_by_job ON attempts(job_id, created_at);
"#;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A job to record.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Its key.
    pub id: B256,
    /// Target contract.
    pub contract: Address,
    /// Canonical method signature.
    pub method: String,
    /// Decimal id argument.
    pub call_id: Option<String>,
    /// Circuit name.
    pub circuit: String,
    /// The calldata.
    pub calldata: Vec<u8>,
}

/// What [`Store::insert`] did.
#[derive(Debug, Clone)]
pub enum Inserted {
    /// A new job.
    New(Job),
    /// The job already existed; unchanged.
    Existing(Job),
    /// The job had failed before any transaction was sent; it is accepted again.
    Rearmed(Job),
    /// Not recorded: `depth` unfinished jobs already.
    QueueFull {
        /// Unfinished jobs.
        depth: u64,
    },
}

/// A signed attempt with what rebroadcasting and bumping it need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttempt {
    /// The public part.
    pub attempt: Attempt,
    /// `maxFeePerGas` or `gasPrice`.
    pub max_fee: u128,
    /// `maxPriorityFeePerGas` (`None`: legacy).
    pub priority_fee: Option<u128>,
    /// The signed, EIP-2718-encoded transaction.
    pub raw: Vec<u8>,
}

/// The engine's view of a job.
#[derive(Debug, Clone)]
pub struct Work {
    /// Its key.
    pub id: B256,
    /// Acceptance order.
    pub seq: u64,
    /// Target.
    pub contract: Address,
    /// Calldata.
    pub calldata: Vec<u8>,
    /// State.
    pub state: JobState,
    /// Simulated gas limit.
    pub gas_limit: Option<u64>,
    /// When simulated (unix ms).
    pub simulated_at: Option<u64>,
    /// Nonce (sent jobs).
    pub nonce: Option<u64>,
    /// Accepted at (unix ms).
    pub created_at: u64,
}

/// How a sent job ended.
#[derive(Debug, Clone)]
pub struct Finish {
    /// The job.
    pub id: B256,
    /// `Confirmed`, or `Failed` (reverted on-chain).
    pub state: JobState,
    /// Why it failed.
    pub reason: Option<String>,
    /// The mined transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// Gas used.
    pub gas_used: u64,
}

/// The job database (one connection; callers serialise access).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: {s:?}")))
}

const JOB_COLUMNS: &str = "seq, id, contract, method, call_id, circuit, length(calldata), state, reason, gas_limit, nonce, tx_hash, block_number, block_hash, gas_used, created_at, updated_at, finished_at";

struct RawJob {
    seq: i64,
    id: String,
    contract: String,
    method: String,
    call_id: Option<String>,
    circuit: String,
    calldata_bytes: i64,
    state: String,
    reason: Option<String>,
    gas_limit: Option<i64>,
    nonce: Option<i64>,
    tx_hash: Option<String>,
    block_number: Option<i64>,
    block_hash: Option<String>,
    gas_used: Option<i64>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl RawJob {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            seq: r.get(0)?,
            id: r.get(1)?,
            contract: r.get(2)?,
            method: r.get(3)?,
            call_id: r.get(4)?,
            circuit: r.get(5)?,
            calldata_bytes: r.get(6)?,
            state: r.get(7)?,
            reason: r.get(8)?,
            gas_limit: r.get(9)?,
            nonce: r.get(10)?,
            tx_hash: r.get(11)?,
            block_number: r.get(12)?,
            block_hash: r.get(13)?,
            gas_used: r.get(14)?,
            created_at: r.get(15)?,
            updated_at: r.get(16)?,
            finished_at: r.get(17)?,
        })
    }

    fn into_job(self, attempts: Vec<Attempt>) -> Result<Job, StoreError> {
        let u = |v: i64| v.max(0) as u64;
        Ok(Job {
            id: parse("jobs.id", &self.id)?,
            seq: u(self.seq),
            state: parse("jobs.state", &self.state)?,
            reason: self.reason,
            contract: parse("jobs.contract", &self.contract)?,
            method: self.method,
            call_id: self.call_id,
            circuit: self.circuit,
            calldata_bytes: u(self.calldata_bytes),
            gas_limit: self.gas_limit.map(u),
            nonce: self.nonce.map(u),
            tx_hash: self.tx_hash.as_deref().map(|h| parse("jobs.tx_hash", h)).transpose()?,
            attempts,
            block_number: self.block_number.map(u),
            block_hash: self.block_hash.as_deref().map(|h| parse("jobs.block_hash", h)).transpose()?,
            gas_used: self.gas_used.map(u),
            created_at_ms: u(self.created_at),
            updated_at_ms: u(self.updated_at),
            finished_at_ms: self.finished_at.map(u),
        })
    }
}

fn hex_of(b: &B256) -> String {
    format!("{b:#x}")
}

fn addr_of(a: &Address) -> String {
    format!("{a:#x}")
}

impl Store {
    /// Opens (creating if needed) the database at `path`; sets WAL and `synchronous=FULL`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(sql(&format!("opening {}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sql("busy timeout"))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(sql("enabling WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!("journal_mode is {mode}, WAL is required")));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(sql("pragmas"))?;
        conn.execute_batch(SCHEMA).map_err(sql("creating tables"))?;
        Ok(Self { conn })
    }

    /// The chain id recorded by an earlier run.
    pub fn chain_id(&self) -> Result<Option<u64>, StoreError> {
        self.meta("chain_id")?
            .map(|s| parse("meta.chain_id", &s))
            .transpose()
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sql("reading meta"))
    }

    /// Records the chain id and signer on first use; afterwards refuses others.
    pub fn check_identity(&mut self, chain_id: u64, signer: Address) -> Result<(), StoreError> {
        for (key, name, value) in [
            ("chain_id", "chain id", chain_id.to_string()),
            ("signer", "signer", addr_of(&signer)),
        ] {
            match self.meta(key)? {
                Some(stored) if stored != value => {
                    return Err(StoreError::Identity {
                        key: name,
                        stored,
                        actual: value,
                    })
                }
                Some(_) => {}
                None => {
                    self.conn
                        .execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])
                        .map_err(sql("writing meta"))?;
                }
            }
        }
        Ok(())
    }

    /// Unfinished jobs (accepted, simulated, sent).
    pub fn active(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('accepted','simulated','sent')",
                [],
                |r| r.get(0),
            )
            .map_err(sql("counting jobs"))?;
        Ok(n.max(0) as u64)
    }

    /// Jobs per state (every state listed).
    pub fn counts(&self) -> Result<Vec<(JobState, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, COUNT(*) FROM jobs GROUP BY state")
            .map_err(sql("counting jobs"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(sql("counting jobs"))?;
        let mut out: Vec<(JobState, u64)> = JobState::ALL.iter().map(|s| (*s, 0)).collect();
        for row in rows {
            let (state, n) = row.map_err(sql("counting jobs"))?;
            let st: JobState = parse("jobs.state", &state)?;
            if let Some(slot) = out.iter_mut().find(|(s, _)| *s == st) {
                slot.1 = n.max(0) as u64;
            }
        }
        Ok(out)
    }

    /// Records `new` unless it exists (idempotency) or `max_active` unfinished jobs exist. A job
    /// that failed before any transaction was sent for it is accepted again.
    pub fn insert(&mut self, new: &NewJob, max_active: u64) -> Result<Inserted, StoreError> {
        let now = i(now_ms());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("beginning insert"))?;
        let id = hex_of(&new.id);
        let existing: Option<(String, i64)> = tx
            .query_row(
                "SELECT state, (SELECT COUNT(*) FROM attempts WHERE job_id = jobs.id) FROM jobs WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql("looking up job"))?;
        let active: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('accepted','simulated','sent')",
                [],
                |r| r.get(0),
            )
            .map_err(sql("counting jobs"))?;
        let full = active.max(0) as u64 >= max_active;
        let outcome = match existing {
            Some((state, attempts)) if state == JobState::Failed.as_str() && attempts == 0 => {
                if full {
                    return Ok(Inserted::QueueFull { depth: active.max(0) as u64 });
                }
                tx.execute(
                    "UPDATE jobs SET state = 'accepted', reason = NULL, gas_limit = NULL, simulated_at = NULL, updated_at = ?2, finished_at = NULL WHERE id = ?1",
                    params![id, now],
                )
                .map_err(sql("re-accepting job"))?;
                Inserted::Rearmed
            }
            Some(_) => Inserted::Existing,
            None => {
                if full {
                    return Ok(Inserted::QueueFull { depth: active.max(0) as u64 });
                }
                tx.execute(
                    "INSERT INTO jobs (id, contract, method, call_id, circuit, calldata, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'accepted', ?7, ?7)",
                    params![id, addr_of(&new.contract), new.method, new.call_id, new.circuit, new.calldata, now],
                )
                .map_err(sql("inserting job"))?;
                Inserted::New
            }
        };
        tx.commit().map_err(sql("committing job"))?;
        let job = self
            .job(&new.id)?
            .ok_or_else(|| StoreError::Corrupt(format!("job {id} vanished after insert")))?;
        Ok(outcome(job))
    }

    fn attempts_of(&self, id: &str) -> Result<Vec<StoredAttempt>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT tx_hash, nonce, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, raw, created_at FROM attempts WHERE job_id = ?1 ORDER BY created_at, rowid",
            )
            .map_err(sql("reading attempts"))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .map_err(sql("reading attempts"))?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, nonce, gas, max_fee, prio, raw, created) = row.map_err(sql("reading attempts"))?;
            let max_fee_v: u128 = parse("attempts.max_fee_per_gas", &max_fee)?;
            let prio_v: Option<u128> = prio.as_deref().map(|p| parse("attempts.max_priority_fee_per_gas", p)).transpose()?;
            out.push(StoredAttempt {
                attempt: Attempt {
                    tx_hash: parse("attempts.tx_hash", &hash)?,
                    nonce: nonce.max(0) as u64,
                    gas_limit: gas.max(0) as u64,
                    max_fee_per_gas: max_fee,
                    max_priority_fee_per_gas: prio,
                    created_at_ms: created.max(0) as u64,
                },
                max_fee: max_fee_v,
                priority_fee: prio_v,
                raw,
            });
        }
        Ok(out)
    }

    fn load(&self, raw: RawJob) -> Result<Job, StoreError> {
        let attempts = self.attempts_of(&raw.id)?.into_iter().map(|a| a.attempt).collect();
        raw.into_job(attempts)
    }

    /// A job by id.
    pub fn job(&self, id: &B256) -> Result<Option<Job>, StoreError> {
        let raw = self
            .conn
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                [hex_of(id)],
                RawJob::from_row,
            )
            .optional()
            .map_err(sql("reading job"))?;
        raw.map(|r| self.load(r)).transpose()
    }

    /// Up to `limit` jobs with `seq > after`, in acceptance order, optionally of one state.
    pub fn list(&self, state: Option<JobState>, after: u64, limit: u64) -> Result<Vec<Job>, StoreError> {
        let (q, state_s) = match state {
            Some(s) => (
                format!("SELECT {JOB_COLUMNS} FROM jobs WHERE state = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"),
                s.as_str().to_string(),
            ),
            None => (
                format!("SELECT {JOB_COLUMNS} FROM jobs WHERE ?1 = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"),
                String::new(),
            ),
        };
        let mut stmt = self.conn.prepare_cached(&q).map_err(sql("listing jobs"))?;
        let raws = stmt
            .query_map(params![state_s, i(after), i(limit)], RawJob::from_row)
            .map_err(sql("listing jobs"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql("listing jobs"))?;
        drop(stmt);
        raws.into_iter().map(|r| self.load(r)).collect()
    }

    /// The engine's view of a job.
    pub fn work(&self, id: &B256) -> Result<Option<Work>, StoreError> {
        self.conn
            .query_row(
                "SELECT id, seq, contract, calldata, state, gas_limit, simulated_at, nonce, created_at FROM jobs WHERE id = ?1",
                [hex_of(id)],
                Self::work_row,
            )
            .optional()
            .map_err(sql("reading job"))?
            .map(Self::work_of)
            .transpose()
    }

    #[allow(clippy::type_complexity)]
    fn work_row(
        r: &Row<'_>,
    ) -> rusqlite::Result<(String, i64, String, Vec<u8>, String, Option<i64>, Option<i64>, Option<i64>, i64)> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
    }

    #[allow(clippy::type_complexity)]
    fn work_of(
        t: (String, i64, String, Vec<u8>, String, Option<i64>, Option<i64>, Option<i64>, i64),
    ) -> Result<Work, StoreError> {
        let u = |v: i64| v.max(0) as u64;
        Ok(Work {
            id: parse("jobs.id", &t.0)?,
            seq: u(t.1),
            contract: parse("jobs.contract", &t.2)?,
            calldata: t.3,
            state: parse("jobs.state", &t.4)?,
            gas_limit: t.5.map(u),
            simulated_at: t.6.map(u),
            nonce: t.7.map(u),
            created_at: u(t.8),
        })
    }

    fn update(&self, context: &str, q: &str, p: impl rusqlite::Params) -> Result<bool, StoreError> {
        let n = self.conn.execute(q, p).map_err(sql(context))?;
        Ok(n > 0)
    }

    /// accepted → simulated. False if the job was not accepted.
    pub fn mark_simulated(&self, id: &B256, gas_limit: u64) -> Result<bool, StoreError> {
        let now = i(now_ms());
        self.update(
            "recording simulation",
            "UPDATE jobs SET state = 'simulated', gas_limit = ?2, simulated_at = ?3, updated_at = ?3 WHERE id = ?1 AND state = 'accepted'",
            params![hex_of(id), i(gas_limit), now],
        )
    }

    /// accepted or simulated → failed, before any transaction. False if in another state.
    pub fn mark_failed(&self, id: &B256, reason: &str) -> Result<bool, StoreError> {
        let now = i(now_ms());
        self.update(
            "recording failure",
            "UPDATE jobs SET state = 'failed', reason = ?2, updated_at = ?3, finished_at = ?3 WHERE id = ?1 AND state IN ('accepted','simulated')",
            params![hex_of(id), reason, now],
        )
    }

    /// simulated or sent → accepted (simulate again; a sent job gets a new nonce: only when its
    /// nonce was used by a transaction that is none of its own).
    pub fn requeue(&self, id: &B256) -> Result<bool, StoreError> {
        let now = i(now_ms());
        self.update(
            "re-queueing job",
            "UPDATE jobs SET state = 'accepted', nonce = NULL, gas_limit = NULL, simulated_at = NULL, updated_at = ?2 WHERE id = ?1 AND state IN ('simulated','sent')",
            params![hex_of(id), now],
        )
    }

    /// sent → failed without a mined transaction (its outcome cannot be established).
    pub fn abandon(&self, id: &B256, reason: &str) -> Result<bool, StoreError> {
        let now = i(now_ms());
        self.update(
            "recording failure",
            "UPDATE jobs SET state = 'failed', reason = ?2, updated_at = ?3, finished_at = ?3 WHERE id = ?1 AND state = 'sent'",
            params![hex_of(id), reason, now],
        )
    }

    fn insert_attempt(tx: &rusqlite::Transaction<'_>, id: &str, a: &StoredAttempt) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO attempts (tx_hash, job_id, nonce, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, raw, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                hex_of(&a.attempt.tx_hash),
                id,
                i(a.attempt.nonce),
                i(a.attempt.gas_limit),
                a.max_fee.to_string(),
                a.priority_fee.map(|p| p.to_string()),
                a.raw,
                i(a.attempt.created_at_ms)
            ],
        )
        .map_err(sql("recording attempt"))?;
        Ok(())
    }

    /// simulated → sent for each job with its first attempt, in one transaction. Jobs no longer
    /// simulated are skipped (returned false).
    pub fn record_sends(&mut self, sends: &[(B256, StoredAttempt)]) -> Result<Vec<bool>, StoreError> {
        let now = i(now_ms());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("beginning sends"))?;
        let mut out = Vec::with_capacity(sends.len());
        for (id, a) in sends {
            let id = hex_of(id);
            let n = tx
                .execute(
                    "UPDATE jobs SET state = 'sent', nonce = ?2, tx_hash = ?3, updated_at = ?4 WHERE id = ?1 AND state = 'simulated'",
                    params![id, i(a.attempt.nonce), hex_of(&a.attempt.tx_hash), now],
                )
                .map_err(sql("recording send"))?;
            if n > 0 {
                Self::insert_attempt(&tx, &id, a)?;
            }
            out.push(n > 0);
        }
        tx.commit().map_err(sql("committing sends"))?;
        Ok(out)
    }

    /// Another attempt (fee bump) of a sent job, same nonce.
    pub fn add_attempt(&mut self, id: &B256, a: &StoredAttempt) -> Result<(), StoreError> {
        let now = i(now_ms());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("beginning attempt"))?;
        let id = hex_of(id);
        Self::insert_attempt(&tx, &id, a)?;
        tx.execute(
            "UPDATE jobs SET tx_hash = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, hex_of(&a.attempt.tx_hash), now],
        )
        .map_err(sql("recording attempt"))?;
        tx.commit().map_err(sql("committing attempt"))
    }

    /// sent → confirmed or failed, in one transaction.
    pub fn finish(&mut self, done: &[Finish]) -> Result<(), StoreError> {
        if done.is_empty() {
            return Ok(());
        }
        let now = i(now_ms());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("beginning confirmations"))?;
        for f in done {
            tx.execute(
                "UPDATE jobs SET state = ?2, reason = ?3, tx_hash = ?4, block_number = ?5, block_hash = ?6, gas_used = ?7, updated_at = ?8, finished_at = ?8 WHERE id = ?1 AND state = 'sent'",
                params![
                    hex_of(&f.id),
                    f.state.as_str(),
                    f.reason,
                    hex_of(&f.tx_hash),
                    i(f.block_number),
                    hex_of(&f.block_hash),
                    i(f.gas_used),
                    now
                ],
            )
            .map_err(sql("recording confirmation"))?;
        }
        tx.commit().map_err(sql("committing confirmations"))
    }

    /// After a restart: accepted and simulated jobs in acceptance order, and sent jobs with their
    /// attempts.
    #[allow(clippy::type_complexity)]
    pub fn recovery(&self) -> Result<(Vec<Work>, Vec<(Work, Vec<StoredAttempt>)>), StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, seq, contract, calldata, state, gas_limit, simulated_at, nonce, created_at FROM jobs WHERE state IN ('accepted','simulated','sent') ORDER BY seq",
            )
            .map_err(sql("recovering jobs"))?;
        let rows = stmt
            .query_map([], Self::work_row)
            .map_err(sql("recovering jobs"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql("recovering jobs"))?;
        drop(stmt);
        let mut queued = Vec::new();
        let mut sent = Vec::new();
        for row in rows {
            let w = Self::work_of(row)?;
            if w.state == JobState::Sent {
                let attempts = self.attempts_of(&hex_of(&w.id))?;
                sent.push((w, attempts));
            } else {
                queued.push(w);
            }
        }
        Ok((queued, sent))
    }

    /// The highest nonce ever used.
    pub fn max_nonce(&self) -> Result<Option<u64>, StoreError> {
        let n: Option<i64> = self
            .conn
            .query_row("SELECT MAX(nonce) FROM attempts", [], |r| r.get(0))
            .map_err(sql("reading nonces"))?;
        Ok(n.map(|v| v.max(0) as u64))
    }
}
