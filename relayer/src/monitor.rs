//! The monitor: follows sent jobs until they are confirmed.
//!
//! Every poll it reads the head block and the signer's mined transaction count (`n`):
//! - a job whose nonce is below `n` was mined, by one of its attempts or by something else. Its
//!   attempts' receipts are looked up (newest first). Found: it is confirmed (or failed, if it
//!   reverted on-chain) once buried under `confirmations` blocks and still in the chain. Not found,
//!   the transaction that used it is looked for (binary search on the historical transaction
//!   count, then that block's transactions; again at each new head, or after a pause when the head
//!   does not move, as on a dev chain mining on demand). Only if it is found, is none of the job's
//!   attempts (a foreign transaction: none of the attempts can land while its block stands) and is
//!   buried under `confirmations` blocks is the job simulated again and given a new nonce. No
//!   further block is needed, so a key shared with a wallet on an automining anvil does not leave
//!   the job waiting for a block nobody mines. If the node cannot say (no history), nothing is
//!   resent; after
//!   [`UNKNOWN_AFTER_BLOCKS`] the job fails with a reason saying its outcome is unknown;
//! - a job whose nonce is not below `n` is pending. If it had been mined, the block left the
//!   chain (reorg): it is broadcast again. Every `resend_after` it is looked up: unknown to the
//!   node (dropped, or the node restarted) → the recorded bytes are broadcast again; pending for
//!   `bump_after`, or priced under the base fee → replaced with higher fees and the same nonce.
//!
//! So every attempt of a job shares one nonce (at most one can land), and after a restart a sent
//! job is looked up by its hashes before anything is broadcast.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::B256;
use futures::stream::{self, StreamExt};
use tokio::sync::mpsc;

use crate::engine::{Ctx, Tracked};
use crate::job::JobState;
use crate::rpc::{Broadcast, Fees, Receipt, RpcFailure};
use crate::sender::{capped, stored};
use crate::store::{now_ms, Finish};

/// RPC lookups in parallel.
const LOOKUPS: usize = 16;

/// Blocks searched back from the head for the transaction that used a nonce.
const SCAN_WINDOW: u64 = 256;

/// A used nonce whose transaction was not found is searched for again at the same head after
/// this long (a dev chain mining on demand may not make another block).
const RESCAN_SAME_HEAD: std::time::Duration = std::time::Duration::from_secs(2);

/// Blocks after which a used nonce with no known transaction fails its job (never resent).
pub(crate) const UNKNOWN_AFTER_BLOCKS: u64 = 64;

/// A tracked job with what the monitor learnt about it.
#[derive(Debug)]
struct Entry {
    job: Tracked,
    /// Its mined attempt's receipt, and whether it was fetched during this poll.
    mined: Option<(Receipt, bool)>,
    /// Head block when its nonce was first seen used with none of its receipts found.
    foreign_since: Option<u64>,
    /// Bump refused by the fee ceiling already logged.
    capped_logged: bool,
    /// Head at the last search for the transaction that used the nonce.
    scanned_head: Option<u64>,
    /// When that search ran.
    scanned_at: Option<Instant>,
}

pub(crate) async fn run(ctx: Arc<Ctx>, mut rx: mpsc::UnboundedReceiver<Tracked>) {
    let mut entries: HashMap<B256, Entry> = HashMap::new();
    let mut failures = 0u32;
    let mut verified_chain = false;
    loop {
        let delay = if failures == 0 { ctx.cfg.poll_interval } else { ctx.cfg.backoff(failures) };
        if !ctx.sleep(delay).await {
            return;
        }
        while let Ok(t) = rx.try_recv() {
            entries.insert(t.id, Entry { job: t, mined: None, foreign_since: None, capped_logged: false, scanned_head: None, scanned_at: None });
        }
        let head = match ctx.rpc.block_number().await {
            Ok(h) => h,
            Err(e) => {
                if failures == 0 {
                    ctx.log(format!("node unreachable, waiting (jobs are kept): {e}"));
                }
                failures += 1;
                continue;
            }
        };
        if failures > 0 {
            ctx.log(format!("node reachable again at block {head}"));
            verified_chain = false;
            for e in entries.values_mut() {
                e.job.last_check = None;
            }
        }
        failures = 0;
        if !verified_chain {
            match ctx.rpc.chain_id().await {
                Ok(id) if id == ctx.chain_id => {
                    // The contracts are checked again before anything is sent on this node.
                    match crate::preflight::check(&ctx.rpc, &ctx.cfg.contracts, ctx.chain_id, ctx.cfg.allow_owner_key).await {
                        Ok(_) => {
                            verified_chain = true;
                            ctx.health.clear_fatal();
                            ctx.health.set_verified();
                            let _ = ctx.ready.send(true);
                        }
                        Err(e) if e.is_rpc() => {
                            failures += 1;
                            continue;
                        }
                        Err(e) => {
                            let why = format!("not sending: {e}");
                            if ctx.health.fatal().as_deref() != Some(why.as_str()) {
                                ctx.log(&why);
                            }
                            ctx.health.set_fatal(why);
                            continue;
                        }
                    }
                }
                Ok(id) => {
                    let why = format!("the node at {} is on chain {id}, the job database on chain {}: not sending", ctx.cfg.rpc_url, ctx.chain_id);
                    if ctx.health.fatal().is_none() {
                        ctx.log(&why);
                    }
                    ctx.health.set_fatal(why);
                    continue;
                }
                Err(_) => {
                    failures += 1;
                    continue;
                }
            }
        }
        if entries.is_empty() {
            continue;
        }
        if let Err(RpcFailure::Unreachable(_)) = poll(&ctx, &mut entries, head).await {
            failures += 1;
        }
    }
}

async fn find_receipt(ctx: &Ctx, hashes: Vec<B256>) -> Result<Option<Receipt>, RpcFailure> {
    for h in hashes {
        if let Some(r) = ctx.rpc.receipt(h).await? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

async fn poll(ctx: &Ctx, entries: &mut HashMap<B256, Entry>, head: u64) -> Result<(), RpcFailure> {
    let mined_nonce = ctx.rpc.mined_nonce().await?;
    let conf = ctx.cfg.confirmations;

    // Mined nonces: find which attempt landed.
    let lookups: Vec<(B256, Vec<B256>)> = entries
        .values()
        .filter(|e| e.job.nonce < mined_nonce && e.mined.is_none())
        .map(|e| (e.job.id, e.job.attempts.iter().rev().map(|a| a.attempt.tx_hash).collect()))
        .collect();
    let found: Vec<(B256, Result<Option<Receipt>, RpcFailure>)> = stream::iter(lookups)
        .map(|(id, hashes)| async move { (id, find_receipt(ctx, hashes).await) })
        .buffer_unordered(LOOKUPS)
        .collect()
        .await;
    let mut renonce = Vec::new();
    let mut unknown = Vec::new();
    for (id, r) in found {
        let Some(e) = entries.get_mut(&id) else { continue };
        match r {
            Ok(Some(receipt)) => {
                e.mined = Some((receipt, true));
                e.foreign_since = None;
            }
            Ok(None) => {
                let since = *e.foreign_since.get_or_insert(head);
                // Searched at this head a moment ago: wait for a block or for the rescan delay
                // (a dev chain that mines only on demand may never make another block).
                let scanned_recently = e.scanned_head == Some(head) && e.scanned_at.is_some_and(|t| t.elapsed() < RESCAN_SAME_HEAD);
                if scanned_recently {
                    continue;
                }
                let first_scan = e.scanned_head.is_none();
                e.scanned_head = Some(head);
                e.scanned_at = Some(Instant::now());
                match ctx.rpc.nonce_user(e.job.nonce, head, SCAN_WINDOW).await {
                    Ok(Some((hash, block))) if !e.job.attempts.iter().any(|a| a.attempt.tx_hash == hash) => {
                        // Found, and none of the job's: none of its attempts can land while that
                        // block stands. It gets a new nonce once the block has `confirmations`.
                        if head + 1 >= block + conf.max(1) {
                            renonce.push((id, hash, block));
                        }
                    }
                    Ok(Some(_)) => {} // one of its own: the receipt will show
                    Ok(None) if head >= since + UNKNOWN_AFTER_BLOCKS => unknown.push(id),
                    Ok(None) => {
                        if first_scan {
                            ctx.log(format!(
                                "job {id}: nonce {} is used but the node shows neither its transaction nor another with that nonce; not resending",
                                e.job.nonce
                            ));
                        }
                    }
                    Err(RpcFailure::Unreachable(m)) => return Err(RpcFailure::Unreachable(m)),
                    Err(_) => {}
                }
            }
            Err(RpcFailure::Unreachable(m)) => return Err(RpcFailure::Unreachable(m)),
            Err(_) => {}
        }
    }
    for (id, hash, block) in renonce {
        let requeued = ctx.db.run(move |s| s.requeue(&id)).await;
        match requeued {
            Ok(changed) => {
                if let Some(e) = entries.remove(&id) {
                    ctx.in_flight.fetch_sub(1, Relaxed);
                    ctx.slot_freed.notify_waiters();
                    ctx.metrics.renonced.fetch_add(1, Relaxed);
                    ctx.log(format!(
                        "job {id}: nonce {} was used by tx {hash} (block {block}), none of its {} attempt(s); it gets a new nonce",
                        e.job.nonce,
                        e.job.attempts.len()
                    ));
                }
                if changed {
                    let _ = ctx.prepare_q.send(id);
                }
            }
            Err(err) => ctx.log(format!("job {id}: {err}")),
        }
    }
    for id in unknown {
        let Some(e) = entries.get(&id) else { continue };
        let reason = format!(
            "outcome unknown: nonce {} was used, but after {UNKNOWN_AFTER_BLOCKS} blocks the node shows neither this job's transactions ({}) nor another with that nonce; not resent (check the contract)",
            e.job.nonce,
            e.job.attempts.iter().map(|a| a.attempt.tx_hash.to_string()).collect::<Vec<_>>().join(", ")
        );
        let r = reason.clone();
        match ctx.db.run(move |s| s.abandon(&id, &r)).await {
            Ok(_) => {
                entries.remove(&id);
                ctx.in_flight.fetch_sub(1, Relaxed);
                ctx.slot_freed.notify_waiters();
                ctx.metrics.failure("unknown_outcome");
                ctx.log(format!("job {id} failed: {reason}"));
            }
            Err(err) => ctx.log(format!("job {id}: {err}")),
        }
    }

    // Reorgs: a mined job whose nonce is pending again.
    let mut rebroadcast_now = Vec::new();
    for e in entries.values_mut().filter(|e| e.job.nonce >= mined_nonce) {
        e.foreign_since = None;
        if let Some((r, _)) = e.mined.take() {
            ctx.metrics.reorgs.fetch_add(1, Relaxed);
            ctx.log(format!("job {}: tx {} left the chain (block {} reorged out); broadcasting it again", e.job.id, r.tx_hash, r.block_number));
            rebroadcast_now.push(e.job.id);
        }
    }
    for id in rebroadcast_now {
        if let Some(e) = entries.get_mut(&id) {
            rebroadcast(ctx, e, "reorg").await;
        }
    }

    confirm(ctx, entries, head).await?;
    pending(ctx, entries, mined_nonce).await
}

/// Finishes the mined jobs buried deep enough (after checking their receipt is still there).
async fn confirm(ctx: &Ctx, entries: &mut HashMap<B256, Entry>, head: u64) -> Result<(), RpcFailure> {
    let conf = ctx.cfg.confirmations;
    let due: Vec<(B256, Receipt, bool)> = entries
        .values()
        .filter_map(|e| e.mined.map(|(r, fresh)| (e.job.id, r, fresh)))
        .filter(|(_, r, _)| head + 1 >= r.block_number + conf)
        .collect();
    let checked: Vec<(B256, Receipt, Result<Option<Receipt>, RpcFailure>)> = stream::iter(due)
        .map(|(id, r, fresh)| async move {
            let now = if fresh { Ok(Some(r)) } else { ctx.rpc.receipt(r.tx_hash).await };
            (id, r, now)
        })
        .buffer_unordered(LOOKUPS)
        .collect()
        .await;
    let mut done = Vec::new();
    for (id, r, now) in checked {
        match now {
            Ok(Some(now)) if now.block_hash == r.block_hash => {
                let reason = if now.status {
                    None
                } else {
                    let Some(e) = entries.get(&id) else { continue };
                    Some(onchain_revert_reason(ctx, e, &now).await)
                };
                done.push(Finish {
                    id,
                    state: if now.status { JobState::Confirmed } else { JobState::Failed },
                    reason,
                    tx_hash: now.tx_hash,
                    block_number: now.block_number,
                    block_hash: now.block_hash,
                    gas_used: now.gas_used,
                });
            }
            Ok(_) => {
                // Gone or moved to another block: look it up again next poll.
                if let Some(e) = entries.get_mut(&id) {
                    e.mined = None;
                    ctx.metrics.reorgs.fetch_add(1, Relaxed);
                    ctx.log(format!("job {id}: tx {} is no longer in block {}", r.tx_hash, r.block_number));
                }
            }
            Err(RpcFailure::Unreachable(m)) => return Err(RpcFailure::Unreachable(m)),
            Err(_) => {}
        }
    }
    for e in entries.values_mut() {
        if let Some((_, fresh)) = e.mined.as_mut() {
            *fresh = false;
        }
    }
    if done.is_empty() {
        return Ok(());
    }
    let batch = done.clone();
    if let Err(err) = ctx.db.run(move |s| s.finish(&batch)).await {
        ctx.log(format!("recording confirmations: {err}"));
        return Ok(());
    }
    let now = now_ms();
    for f in done {
        let Some(e) = entries.remove(&f.id) else { continue };
        ctx.in_flight.fetch_sub(1, Relaxed);
        if f.state == JobState::Confirmed {
            ctx.metrics.confirmed(now.saturating_sub(e.job.created_at));
            ctx.log(format!("job {} confirmed: tx {} block {} gas {}", f.id, f.tx_hash, f.block_number, f.gas_used));
        } else {
            ctx.metrics.failure("reverted_onchain");
            ctx.log(format!("job {} failed: {}", f.id, f.reason.unwrap_or_default()));
        }
    }
    ctx.slot_freed.notify_waiters();
    Ok(())
}

async fn onchain_revert_reason(ctx: &Ctx, e: &Entry, r: &Receipt) -> String {
    let cfg = &ctx.cfg;
    let now = match ctx.rpc.simulate(e.job.contract, &e.job.calldata, &cfg.revert_decoder, cfg.gas_margin_percent, u64::MAX).await {
        Ok(crate::rpc::Simulation::Reverts { reason }) => format!("; the call now reverts with: {reason}"),
        _ => String::new(),
    };
    format!("reverted on-chain (tx {}, block {}, gas {}){now}", r.tx_hash, r.block_number, r.gas_used)
}

/// Looks up pending jobs due for a check: rebroadcast if dropped, bump if stuck.
async fn pending(ctx: &Ctx, entries: &mut HashMap<B256, Entry>, mined_nonce: u64) -> Result<(), RpcFailure> {
    let due: Vec<(B256, B256)> = entries
        .values()
        .filter(|e| e.job.nonce >= mined_nonce && e.mined.is_none())
        .filter(|e| e.job.last_check.is_none_or(|t| t.elapsed() >= ctx.cfg.resend_after))
        .filter_map(|e| e.job.attempts.last().map(|a| (e.job.id, a.attempt.tx_hash)))
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let fees = capped(&ctx.cfg, ctx.rpc.fees().await?);
    let known: Vec<(B256, Result<bool, RpcFailure>)> = stream::iter(due)
        .map(|(id, h)| async move { (id, ctx.rpc.tx_known(h).await) })
        .buffer_unordered(LOOKUPS)
        .collect()
        .await;
    let mut order: Vec<(u64, B256, bool)> = Vec::new();
    for (id, k) in known {
        match k {
            Ok(k) => {
                if let Some(e) = entries.get(&id) {
                    order.push((e.job.nonce, id, k));
                }
            }
            Err(RpcFailure::Unreachable(m)) => return Err(RpcFailure::Unreachable(m)),
            Err(_) => {}
        }
    }
    // Lowest nonce first, so the node can include them in order.
    order.sort_unstable();
    for (_, id, known) in order {
        let Some(e) = entries.get_mut(&id) else { continue };
        let Some(last) = e.job.attempts.last() else { continue };
        let underpriced = last.max_fee < fees.base_fee;
        let stuck = last.attempt.created_at_ms + (ctx.cfg.bump_after.as_millis() as u64) <= now_ms();
        if underpriced || (known && stuck) {
            bump(ctx, e, fees).await;
        } else if !known {
            rebroadcast(ctx, e, "dropped").await;
        }
        e.job.last_check = Some(Instant::now());
    }
    Ok(())
}

/// Broadcasts the latest attempt's recorded bytes again.
async fn rebroadcast(ctx: &Ctx, e: &mut Entry, reason: &str) {
    let Some(last) = e.job.attempts.last() else { return };
    let outcome = ctx.rpc.broadcast(&last.raw).await;
    match &outcome {
        Broadcast::Accepted => {
            ctx.metrics.resend(reason);
            ctx.log(format!("job {}: tx {} ({reason}) broadcast again, nonce {}", e.job.id, last.attempt.tx_hash, e.job.nonce));
        }
        Broadcast::AlreadyKnown => {}
        other => {
            if let Some(kind) = other.error_kind() {
                ctx.metrics.broadcast_error(kind);
            }
            ctx.log(format!("job {}: rebroadcast of tx {} failed: {other:?}", e.job.id, last.attempt.tx_hash));
        }
    }
    e.job.last_check = Some(Instant::now());
}

/// Replaces the latest attempt with one paying at least `fee_bump_percent` more (same nonce, gas
/// and calldata), recorded before it is broadcast.
async fn bump(ctx: &Ctx, e: &mut Entry, now: Fees) {
    let Some(last) = e.job.attempts.last().cloned() else { return };
    let pct = u128::from(ctx.cfg.fee_bump_percent);
    let raise = |old: u128| old.saturating_mul(100 + pct) / 100 + 1;
    let mut fees = Fees {
        max_fee: raise(last.max_fee).max(now.max_fee),
        priority: last.priority_fee.map(|p| raise(p).max(now.priority.unwrap_or(0))),
        base_fee: now.base_fee,
    };
    fees = capped(&ctx.cfg, fees);
    let enough = fees.max_fee >= raise(last.max_fee)
        && match (fees.priority, last.priority_fee) {
            (Some(p), Some(old)) => p >= raise(old),
            _ => true,
        };
    if !enough {
        if !e.capped_logged {
            ctx.log(format!("job {}: cannot bump tx {} further under the fee ceiling; waiting", e.job.id, last.attempt.tx_hash));
            e.capped_logged = true;
        }
        rebroadcast(ctx, e, "dropped").await;
        return;
    }
    let signed = match ctx
        .rpc
        .sign(ctx.chain_id, e.job.contract, &e.job.calldata, e.job.nonce, e.job.gas_limit, fees)
        .await
    {
        Ok(s) => s,
        Err(err) => {
            ctx.log(format!("job {}: {err}", e.job.id));
            return;
        }
    };
    let attempt = stored(signed.hash, signed.raw, e.job.nonce, e.job.gas_limit, fees);
    let (id, rec) = (e.job.id, attempt.clone());
    if let Err(err) = ctx.db.run(move |s| s.add_attempt(&id, &rec)).await {
        ctx.log(format!("job {id}: recording fee bump: {err}"));
        return;
    }
    e.job.attempts.push(attempt.clone());
    let outcome = ctx.rpc.broadcast(&attempt.raw).await;
    match &outcome {
        Broadcast::Accepted | Broadcast::AlreadyKnown => {
            ctx.metrics.sends.fetch_add(1, Relaxed);
            ctx.metrics.resend("fee_bump");
            ctx.log(format!(
                "job {}: fee bump, nonce {}: tx {} max fee {} (was {})",
                e.job.id, e.job.nonce, attempt.attempt.tx_hash, attempt.max_fee, last.max_fee
            ));
        }
        other => {
            if let Some(kind) = other.error_kind() {
                ctx.metrics.broadcast_error(kind);
            }
            ctx.log(format!("job {}: fee bump tx {} not accepted: {other:?}", e.job.id, attempt.attempt.tx_hash));
        }
    }
}
