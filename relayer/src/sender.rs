//! The sender: the only place nonces are assigned.
//!
//! Simulated jobs are taken in batches (bounded by the in-flight limit), given consecutive nonces,
//! signed, and recorded as `sent` with their attempt (hash, nonce, fees, raw bytes) in one database
//! transaction; only then are they broadcast, in nonce order. A crash between the commit and the
//! broadcast leaves recorded attempts the node has never seen: the monitor finds them unknown and
//! broadcasts the recorded bytes. The first nonce is the larger of the chain's transaction count
//! and one past the highest recorded nonce.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use alloy::primitives::B256;
use tokio::sync::mpsc;

use crate::config::RelayerConfig;
use crate::engine::{Ctx, Tracked};
use crate::job::{Attempt, JobState};
use crate::rpc::{Broadcast, Fees};
use crate::store::{now_ms, StoredAttempt, Work};

/// Most jobs signed and recorded per database transaction.
const BATCH: usize = 64;

/// `fees` under the configured ceiling.
pub(crate) fn capped(cfg: &RelayerConfig, mut fees: Fees) -> Fees {
    fees.max_fee = fees.max_fee.min(cfg.max_fee_per_gas);
    fees.priority = fees.priority.map(|p| p.min(fees.max_fee));
    fees
}

/// The attempt record of a signed transaction.
pub(crate) fn stored(hash: B256, raw: Vec<u8>, nonce: u64, gas_limit: u64, fees: Fees) -> StoredAttempt {
    StoredAttempt {
        attempt: Attempt {
            tx_hash: hash,
            nonce,
            gas_limit,
            max_fee_per_gas: fees.max_fee.to_string(),
            max_priority_fee_per_gas: fees.priority.map(|p| p.to_string()),
            created_at_ms: now_ms(),
        },
        max_fee: fees.max_fee,
        priority_fee: fees.priority,
        raw,
    }
}

async fn first_nonce(ctx: &Ctx) -> Option<u64> {
    let mut tries = 0;
    loop {
        let recorded = ctx.db.run(|s| s.max_nonce()).await;
        let chain = ctx.rpc.mined_nonce().await;
        match (recorded, chain) {
            (Ok(r), Ok(c)) => return Some(c.max(r.map_or(0, |n| n + 1))),
            (Err(e), _) => ctx.log(format!("reading nonces: {e}")),
            (_, Err(e)) => ctx.log(format!("waiting for the node to read the nonce: {e}")),
        }
        tries += 1;
        if !ctx.sleep(ctx.cfg.backoff(tries)).await {
            return None;
        }
    }
}

pub(crate) async fn run(ctx: Arc<Ctx>, mut rx: mpsc::UnboundedReceiver<B256>) {
    if !ctx.wait_ready().await {
        return;
    }
    let Some(mut next) = first_nonce(&ctx).await else { return };
    ctx.next_nonce.store(next, Relaxed);
    ctx.log(format!("signer {} next nonce {next}", ctx.rpc.signer()));
    let mut queue: VecDeque<B256> = VecDeque::new();
    let mut shutdown = ctx.shutdown.clone();
    let mut tries = 0u32;
    loop {
        if queue.is_empty() {
            tokio::select! {
                id = rx.recv() => match id { Some(id) => queue.push_back(id), None => return },
                _ = shutdown.changed() => return,
            }
        }
        while let Ok(id) = rx.try_recv() {
            queue.push_back(id);
        }
        // Wait for room in flight.
        let room = loop {
            let used = ctx.in_flight.load(Relaxed);
            if used < ctx.cfg.max_in_flight {
                break (ctx.cfg.max_in_flight - used) as usize;
            }
            let freed = ctx.slot_freed.notified();
            tokio::select! {
                _ = freed => {},
                _ = tokio::time::sleep(ctx.cfg.poll_interval) => {},
                _ = shutdown.changed() => return,
            }
        };
        if ctx.health.fatal().is_some() && !ctx.wait_ready().await {
            return;
        }
        let take = room.min(BATCH).min(queue.len());
        let ids: Vec<B256> = queue.drain(..take).collect();
        match send_batch(&ctx, &ids, &mut next).await {
            Ok(()) => tries = 0,
            Err(back) => {
                for id in back.into_iter().rev() {
                    queue.push_front(id);
                }
                tries += 1;
                if !ctx.sleep(ctx.cfg.backoff(tries)).await {
                    return;
                }
            }
        }
    }
}

/// The simulated jobs of `ready` that may be sent now. A stale simulation, or a gas limit over the
/// cap (simulated under another configuration), is simulated again (and then fails if still over
/// it); a call off the allowlist or to a contract without code (each checked once) fails without a
/// transaction. On a node failure, the ids to retry.
async fn checked(ctx: &Ctx, ready: Vec<Work>) -> Result<Vec<Work>, Vec<B256>> {
    let now = now_ms();
    let stale_ms = ctx.cfg.resimulate_after.as_millis() as u64;
    let mut verdicts: std::collections::HashMap<(alloy::primitives::Address, [u8; 4]), Option<String>> = Default::default();
    let mut out = Vec::with_capacity(ready.len());
    for w in &ready {
        let id = w.id;
        let stale = now.saturating_sub(w.simulated_at.unwrap_or(0)) > stale_ms;
        if stale || w.gas_limit.unwrap_or(0) > ctx.cfg.max_gas_per_job {
            if let Ok(true) = ctx.db.run(move |s| s.requeue(&id)).await {
                let _ = ctx.prepare_q.send(id);
            }
            continue;
        }
        let mut selector = [0u8; 4];
        selector.copy_from_slice(w.calldata.get(..4).unwrap_or(&[0; 4]));
        let verdict = match verdicts.get(&(w.contract, selector)) {
            Some(v) => v.clone(),
            None => {
                let v = ctx.refusal(w.contract, &w.calldata).await.map_err(|e| {
                    ctx.log(format!("checking {} before sending: {e}", w.contract));
                    ready.iter().map(|w| w.id).collect::<Vec<_>>()
                })?;
                verdicts.insert((w.contract, selector), v.clone());
                v
            }
        };
        match verdict {
            Some(reason) => {
                ctx.log(format!("job {id} failed, no transaction sent: {reason}"));
                if let Ok(true) = ctx.db.run(move |s| s.mark_failed(&id, &reason)).await {
                    ctx.metrics.failure("refused");
                }
            }
            None => out.push(w.clone()),
        }
    }
    Ok(out)
}

/// Signs, records and broadcasts `ids`. On a database or node failure returns the ids to retry.
async fn send_batch(ctx: &Ctx, ids: &[B256], next: &mut u64) -> Result<(), Vec<B256>> {
    let owned = ids.to_vec();
    let works: Vec<Work> = match ctx
        .db
        .run(move |s| owned.iter().map(|id| s.work(id)).collect::<Result<Vec<_>, _>>())
        .await
    {
        Ok(w) => w.into_iter().flatten().collect(),
        Err(e) => {
            ctx.log(format!("reading jobs to send: {e}"));
            return Err(ids.to_vec());
        }
    };
    let ready = checked(ctx, works.into_iter().filter(|w| w.state == JobState::Simulated).collect()).await?;
    if ready.is_empty() {
        return Ok(());
    }
    let fees = match ctx.rpc.fees().await {
        Ok(f) => capped(&ctx.cfg, f),
        Err(e) => {
            ctx.log(format!("waiting for fees: {e}"));
            return Err(ready.iter().map(|w| w.id).collect());
        }
    };
    let mut signed: Vec<(Work, StoredAttempt)> = Vec::with_capacity(ready.len());
    let mut nonce = *next;
    for w in ready {
        let gas = w.gas_limit.unwrap_or(0);
        match ctx.rpc.sign(ctx.chain_id, w.contract, &w.calldata, nonce, gas, fees).await {
            Ok(s) => {
                signed.push((w.clone(), stored(s.hash, s.raw, nonce, gas, fees)));
                nonce += 1;
            }
            Err(e) => {
                let id = w.id;
                let reason = format!("could not be signed: {e}");
                ctx.log(format!("job {id} {reason}"));
                let _ = ctx.db.run(move |s| s.mark_failed(&id, &reason)).await;
            }
        }
    }
    let records: Vec<(B256, StoredAttempt)> = signed.iter().map(|(w, a)| (w.id, a.clone())).collect();
    let recorded = match ctx.db.run(move |s| s.record_sends(&records)).await {
        Ok(r) => r,
        Err(e) => {
            ctx.log(format!("recording sends: {e}"));
            return Err(signed.iter().map(|(w, _)| w.id).collect());
        }
    };
    if let Some(pos) = recorded.iter().position(|ok| !ok) {
        // Not recorded (no longer simulated); nothing was committed: sign again without it.
        ctx.log(format!("job {} changed state while being sent; re-signing the batch", signed[pos].0.id));
        return Err(signed.iter().enumerate().filter(|(i, _)| *i != pos).map(|(_, (w, _))| w.id).collect());
    }
    *next = nonce;
    ctx.next_nonce.store(nonce, Relaxed);
    ctx.in_flight.fetch_add(signed.len() as u64, Relaxed);
    let mut resync = false;
    for (w, a) in signed {
        let outcome = ctx.rpc.broadcast(&a.raw).await;
        match &outcome {
            Broadcast::Accepted | Broadcast::AlreadyKnown => {
                ctx.metrics.sends.fetch_add(1, Relaxed);
                ctx.log(format!("job {} sent: nonce {} tx {}", w.id, a.attempt.nonce, a.attempt.tx_hash));
            }
            other => {
                if let Some(kind) = other.error_kind() {
                    ctx.metrics.broadcast_error(kind);
                }
                ctx.log(format!(
                    "job {} recorded with nonce {} (tx {}), broadcast failed, will retry: {other:?}",
                    w.id, a.attempt.nonce, a.attempt.tx_hash
                ));
                resync |= matches!(other, Broadcast::NonceTooLow(_));
            }
        }
        let _ = ctx.monitor_q.send(Tracked {
            id: w.id,
            nonce: a.attempt.nonce,
            contract: w.contract,
            calldata: Arc::new(w.calldata),
            gas_limit: a.attempt.gas_limit,
            created_at: w.created_at,
            attempts: vec![a],
            last_check: Some(std::time::Instant::now()),
        });
    }
    if resync {
        // Someone else used this key: continue after the node's pending count.
        if let Ok(p) = ctx.rpc.pending_nonce().await {
            if p > *next {
                ctx.log(format!("nonce {} is used by a transaction the relayer did not send; continuing at {p}", *next));
                *next = p;
                ctx.next_nonce.store(p, Relaxed);
            }
        }
    }
    Ok(())
}
