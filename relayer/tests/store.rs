//! The job database on its own: lifecycle, idempotency, queue limit, re-arming, identity checks
//! and recovery after reopening.

#![allow(clippy::unwrap_used)]

use alloy::primitives::{Address, B256};
use zkinfer_relayer::job::{Attempt, JobState};
use zkinfer_relayer::store::{now_ms, Finish, Inserted, NewJob, Store, StoreError, StoredAttempt};

fn new_job(b: u8) -> NewJob {
    NewJob {
        id: B256::repeat_byte(b),
        contract: Address::repeat_byte(0xaa),
        method: "claim(uint256,bytes,uint256[])".into(),
        call_id: Some("1".into()),
        circuit: "c".into(),
        calldata: vec![1, 2, 3],
    }
}

fn attempt(nonce: u64, b: u8) -> StoredAttempt {
    StoredAttempt {
        attempt: Attempt {
            tx_hash: B256::repeat_byte(b),
            nonce,
            gas_limit: 100_000,
            max_fee_per_gas: "7".into(),
            max_priority_fee_per_gas: Some("1".into()),
            created_at_ms: now_ms(),
        },
        max_fee: 7,
        priority_fee: Some(1),
        raw: vec![0xee; 10],
    }
}

#[test]
fn lifecycle_survives_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/jobs.sqlite");
    let mut s = Store::open(&path).expect("open");
    s.check_identity(31337, Address::repeat_byte(1)).expect("first");
    assert!(matches!(s.insert(&new_job(1), 10), Ok(Inserted::New(j)) if j.state == JobState::Accepted && j.seq == 1));
    assert!(matches!(s.insert(&new_job(1), 10), Ok(Inserted::Existing(_))));
    assert!(matches!(s.insert(&new_job(2), 10), Ok(Inserted::New(_))));
    assert!(matches!(s.insert(&new_job(3), 2), Ok(Inserted::QueueFull { depth: 2 })));
    let id1 = B256::repeat_byte(1);
    assert!(s.mark_simulated(&id1, 123).expect("sim"));
    assert!(!s.mark_simulated(&id1, 123).expect("only from accepted"));
    assert_eq!(s.record_sends(&[(id1, attempt(0, 0x10))]).expect("send"), vec![true]);
    s.add_attempt(&id1, &attempt(0, 0x11)).expect("bump");
    // Job 2 fails in simulation; resubmitting it re-arms it.
    assert!(s.mark_failed(&B256::repeat_byte(2), "would revert: x").expect("fail"));
    assert!(matches!(s.insert(&new_job(2), 10), Ok(Inserted::Rearmed(j)) if j.state == JobState::Accepted && j.reason.is_none()));
    drop(s);

    let mut s = Store::open(&path).expect("reopen");
    assert!(matches!(s.check_identity(1, Address::repeat_byte(1)), Err(StoreError::Identity { .. })));
    assert!(matches!(s.check_identity(31337, Address::repeat_byte(2)), Err(StoreError::Identity { .. })));
    s.check_identity(31337, Address::repeat_byte(1)).expect("same");
    assert_eq!(s.chain_id().expect("meta"), Some(31337));
    let (queued, sent) = s.recovery().expect("recovery");
    assert_eq!(queued.len(), 1);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.len(), 2, "both attempts");
    assert_eq!(sent[0].1[1].raw, vec![0xee; 10]);
    assert_eq!(s.max_nonce().expect("nonce"), Some(0));
    s.finish(&[Finish {
        id: id1,
        state: JobState::Confirmed,
        reason: None,
        tx_hash: B256::repeat_byte(0x11),
        block_number: 5,
        block_hash: B256::repeat_byte(0x55),
        gas_used: 90_000,
    }])
    .expect("finish");
    let j = s.job(&id1).expect("read").expect("exists");
    assert_eq!((j.state, j.block_number, j.attempts.len()), (JobState::Confirmed, Some(5), 2));
    assert!(matches!(s.insert(&new_job(1), 10), Ok(Inserted::Existing(j)) if j.state == JobState::Confirmed));
    let counts = s.counts().expect("counts");
    assert!(counts.contains(&(JobState::Confirmed, 1)) && counts.contains(&(JobState::Accepted, 1)));
    assert_eq!(s.list(Some(JobState::Confirmed), 0, 10).expect("list").len(), 1);
    assert_eq!(s.list(None, 1, 10).expect("list").len(), 1);
    assert_eq!(s.active().expect("active"), 1);
}
