//! The relayer in-process on a real anvil, through its HTTP API: refusals that change nothing,
//! idempotency, would-revert jobs, the queue limit, fee bumps, dropped and reorged transactions, a
//! foreign transaction taking the nonce, and a restart from the database. Chain state (RelayProbe
//! on the real generated verifier, the relayer's transaction count) is the judge.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use serde_json::json;
use support::*;
use zkinfer_relayer::{metrics::sample, ApiAccess, Chain, HttpLimits, JobState, Relayer, RelayerClient, RelayerConfig};

const WAIT: Duration = Duration::from_secs(60);

struct Setup {
    anvil: Anvil,
    deployer: Chain,
    probe: Address,
    relayer: Relayer,
    client: RelayerClient,
    db: tempfile::TempDir,
}

fn config(anvil: &Anvil, db: &std::path::Path, probe: Address) -> RelayerConfig {
    let mut cfg = RelayerConfig::new(anvil.url(), zkinfer_relayer::signer_from_hex(KEYS[1]).unwrap(), db.join("jobs.sqlite"))
        .with_circuit(circuit())
        .with_contract(probe_contract(probe))
        .unwrap();
    cfg.confirmations = 1;
    cfg.poll_interval = Duration::from_millis(100);
    cfg.resend_after = Duration::from_millis(500);
    cfg.max_backoff = Duration::from_millis(500);
    cfg.rpc_timeout = Duration::from_secs(5);
    cfg.log = true;
    for e in PROBE_ERRORS {
        cfg.revert_decoder.add(e).unwrap();
    }
    cfg
}

/// anvil (automining while the contracts are deployed, then `manual` mining if asked), the probe,
/// and a relayer serving HTTP.
async fn setup(manual: bool, tweak: impl FnOnce(&mut RelayerConfig)) -> Setup {
    let anvil = Anvil::start(&[]);
    let deployer = anvil.chain(0);
    let probe = deploy_probe(&deployer).await;
    if manual {
        let _: serde_json::Value = deployer.provider().raw_request("evm_setAutomine".into(), (false,)).await.unwrap();
    }
    let db = tempfile::tempdir().unwrap();
    let mut cfg = config(&anvil, db.path(), probe);
    tweak(&mut cfg);
    let relayer = Relayer::start(cfg).await.unwrap();
    let limits = HttpLimits { max_body_bytes: 64 * 1024, ..Default::default() };
    let server = relayer.serve("127.0.0.1:0".parse().unwrap(), limits, ApiAccess::new(tokens())).await.unwrap();
    let client = RelayerClient::new(&format!("http://{}", server.addr)).unwrap().with_token(token(0));
    Setup { anvil, deployer, probe, relayer, client, db }
}

/// Submits probe job `job_id` and waits until its transaction is sent; the job then.
async fn submitted_and_sent(s: &Setup, job_id: u64) -> zkinfer_relayer::Job {
    let id = s.client.submit(&probe_job(s.probe, job_id)).await.unwrap().job().unwrap().id;
    eventually(WAIT, "sent", || async {
        let j = s.client.job(id).await.unwrap().unwrap();
        (j.state == JobState::Sent).then_some(j)
    })
    .await
}

async fn metric(client: &RelayerClient, name: &str) -> f64 {
    sample(&client.metrics().await.unwrap(), name).unwrap_or_else(|| panic!("no metric {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_change_nothing_and_submission_is_idempotent() {
    let s = setup(false, |_| {}).await;
    let good = probe_job(s.probe, 1).to_json();
    let mut cases: Vec<(serde_json::Value, u16, &str)> = Vec::new();
    let mut with = |k: &str, v: serde_json::Value, status: u16, field: &'static str| {
        let mut j = good.clone();
        j[k] = v;
        cases.push((j, status, field));
    };
    with("contract", json!("0x1234"), 400, "contract");
    with("method", json!("transfer(address;uint256)"), 400, "method");
    with("method", json!("transfer(address,uint256)"), 403, "method");
    with("contract", json!(s.deployer.address().to_string()), 403, "contract");
    with("id", json!(-3), 400, "id");
    with("circuit", json!("nope"), 400, "circuit");
    with("gas", json!(1), 400, "gas");
    with("proof", json!({"proof": "0x00", "instances": ["0x01"]}), 400, "proof.instances");
    with("proof", zkinfer_relayer::ProofPayload { proof: fixture_proof().proof, instances: vec![U256::MAX; 6] }.to_json(), 400, "proof.instances");
    with("proof", tampered_proof().to_json(), 422, "proof");
    for (body, status, field) in cases {
        let r = s.client.submit_value(&body).await.unwrap();
        assert_eq!((r.status, r.field()), (status, Some(field)), "{:?}", r.body);
        assert!(r.error().is_some_and(|e| !e.is_empty()));
    }
    let r = s.client.post_raw(b"{not json".to_vec()).await.unwrap();
    assert_eq!((r.status, r.field()), (400, Some("body")), "{:?}", r.body);
    let r = s.client.post_raw(vec![b' '; 65 * 1024]).await.unwrap();
    assert_eq!((r.status, r.field()), (413, Some("body")), "{:?}", r.body);
    let tampered = s.client.submit(&zkinfer_relayer::JobRequest { proof: tampered_proof(), ..probe_job(s.probe, 1) }).await.unwrap();
    assert!(tampered.error().unwrap().contains("does not verify"), "{:?}", tampered.body);
    // Nothing recorded, nothing sent.
    assert!(s.client.all_jobs(None).await.unwrap().is_empty());
    assert_eq!(metric(&s.client, "zkinfer_relayer_submissions_total{result=\"too_large\"}").await, 1.0);
    assert_eq!(metric(&s.client, "zkinfer_relayer_submissions_total{result=\"proof_rejected\"}").await, 2.0);

    // The good job: 202, then 200 with the same job.
    let first = s.client.submit_value(&good).await.unwrap();
    assert_eq!(first.status, 202, "{:?}", first.body);
    let job = first.job().unwrap();
    let again = s.client.submit_value(&good).await.unwrap();
    assert_eq!((again.status, again.job().map(|j| j.id)), (200, Some(job.id)));
    assert_eq!(job.id, s.relayer.job_id(&probe_job(s.probe, 1)).unwrap());
    let done = s.client.wait_final(job.id, WAIT).await.unwrap();
    assert_eq!(done.state, JobState::Confirmed, "{done:?}");
    assert_eq!((done.nonce, done.attempts.len()), (Some(0), 1));
    let receipt = s.deployer.provider().get_transaction_receipt(done.tx_hash.unwrap()).await.unwrap().unwrap();
    assert!(receipt.status() && Some(receipt.gas_used) == done.gas_used);
    // Confirmed: a resubmission is the same job and sends nothing.
    let r = s.client.submit_value(&good).await.unwrap();
    assert_eq!((r.status, r.job().map(|j| j.state)), (200, Some(JobState::Confirmed)));
    assert_exactly_once(&s.deployer, s.probe, [1]).await;
    assert!(s.client.job(job.id).await.unwrap().is_some());
    assert!(s.client.job(alloy::primitives::B256::ZERO).await.unwrap().is_none());
    let (listed, _) = s.client.jobs(Some(JobState::Confirmed), 0, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    let h = s.client.health().await.unwrap();
    assert_eq!((h.status.as_str(), h.queue_depth, h.next_nonce), ("ok", 0, Some(1)), "{h:?}");
    s.relayer.shutdown().await;
}

/// CI stop 12: after a 413 (body left unread) the load test's next GET on the same client failed
/// with "error sending request": the client had pooled a connection the server then closed.
/// Answers sent before the body is read now say `Connection: close`. A plain client (no retry)
/// sends oversized bodies and GETs in turn on one pool; every GET must get through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_413_leaves_no_dead_pooled_connection() {
    use alloy::transports::http::reqwest;
    let s = setup(false, |_| {}).await;
    let base = s.client.base_url().to_string();
    let http = reqwest::Client::new();
    for round in 0..40 {
        let r = http.post(format!("{base}/jobs")).bearer_auth(TOKENS[0]).header("content-type", "application/json").body(vec![b'{'; 70_000]).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 413);
        assert_eq!(r.headers().get("connection").map(|v| v.to_str().unwrap().to_string()).as_deref(), Some("close"));
        let _ = r.bytes().await.unwrap();
        let g = http.get(format!("{base}/jobs?after=0&limit=1000")).bearer_auth(TOKENS[0]).send().await;
        assert!(g.as_ref().is_ok_and(|g| g.status().as_u16() == 200), "round {round}: the GET after a 413 failed: {g:?}");
    }
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_would_revert_fails_without_gas_and_can_be_rearmed() {
    let s = setup(false, |_| {}).await;
    submit_directly(&s.deployer, s.probe, 7).await;
    let r = s.client.submit(&probe_job(s.probe, 7)).await.unwrap();
    assert_eq!(r.status, 202);
    let job = s.client.wait_final(r.job().unwrap().id, WAIT).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    let reason = job.reason.clone().unwrap();
    assert!(reason.starts_with("would revert: AlreadySubmitted(7, "), "{reason}");
    assert!(job.attempts.is_empty() && job.nonce.is_none());
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 0, "no gas spent");
    // Resubmitting a job that failed before any transaction re-arms it (and it fails again).
    let r = s.client.submit(&probe_job(s.probe, 7)).await.unwrap();
    assert_eq!((r.status, r.job().map(|j| j.state)), (202, Some(JobState::Accepted)));
    let again = s.client.wait_final(job.id, WAIT).await.unwrap();
    assert_eq!(again.state, JobState::Failed);
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 0);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_reverts_on_chain_fails_its_job_with_the_reason() {
    let s = setup(true, |_| {}).await;
    let sent = submitted_and_sent(&s, 5).await;
    let id = sent.id;
    // Someone else submits job 5 first in the same block (a higher tip orders it first).
    let p = fixture_proof();
    alloy::sol! { function claim(uint256 jobId, bytes proof, uint256[] instances); }
    use alloy::sol_types::SolCall;
    let data = claimCall { jobId: U256::from(5), proof: p.proof.into(), instances: p.instances }.abi_encode();
    let fee: u128 = sent.attempts[0].max_fee_per_gas.parse::<u128>().unwrap() * 4;
    let tx = alloy::rpc::types::TransactionRequest::default()
        .from(s.deployer.address())
        .to(s.probe)
        .input(data.into())
        .gas_limit(1_000_000)
        .max_fee_per_gas(fee)
        .max_priority_fee_per_gas(fee);
    let front = *s.deployer.provider().send_transaction(tx).await.unwrap().tx_hash();
    s.anvil.mine().await;
    let done = s.client.wait_final(id, WAIT).await.unwrap();
    assert_eq!(done.state, JobState::Failed, "{done:?}");
    let reason = done.reason.clone().unwrap();
    assert!(reason.starts_with("reverted on-chain") && reason.contains("AlreadySubmitted(5, "), "{reason}");
    assert_eq!((done.tx_hash, done.nonce), (sent.tx_hash, Some(0)));
    assert!(s.deployer.provider().get_transaction_receipt(front).await.unwrap().unwrap().status());
    assert_eq!(metric(&s.client, "zkinfer_relayer_failures_total{reason=\"reverted_onchain\"}").await, 1.0);
    assert_eq!(probe_count(&s.deployer, s.probe).await, 1);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_until_jobs_finish() {
    let s = setup(true, |c| c.max_queue = 2).await;
    for id in [1, 2] {
        assert_eq!(s.client.submit(&probe_job(s.probe, id)).await.unwrap().status, 202);
    }
    let r = s.client.submit(&probe_job(s.probe, 3)).await.unwrap();
    assert_eq!((r.status, r.retry_after), (429, Some(1)), "{:?}", r.body);
    assert!(r.error().unwrap().contains("queue full"));
    // A known job is still answered.
    assert_eq!(s.client.submit(&probe_job(s.probe, 1)).await.unwrap().status, 200);
    eventually(WAIT, "two sent", || async { (s.client.all_jobs(Some(JobState::Sent)).await.unwrap().len() == 2).then_some(()) }).await;
    s.anvil.mine().await;
    eventually(WAIT, "two confirmed", || async {
        (s.client.all_jobs(Some(JobState::Confirmed)).await.unwrap().len() == 2).then_some(())
    })
    .await;
    assert_eq!(s.client.submit(&probe_job(s.probe, 3)).await.unwrap().status, 202);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_transaction_is_replaced_with_higher_fees_and_the_same_nonce() {
    let s = setup(true, |c| c.bump_after = Duration::from_millis(700)).await;
    let id = s.client.submit(&probe_job(s.probe, 1)).await.unwrap().job().unwrap().id;
    let bumped = eventually(WAIT, "two attempts", || async {
        let j = s.client.job(id).await.unwrap().unwrap();
        (j.attempts.len() >= 2).then_some(j)
    })
    .await;
    let fees: Vec<u128> = bumped.attempts.iter().map(|a| a.max_fee_per_gas.parse().unwrap()).collect();
    assert!(fees.windows(2).all(|w| w[1] >= w[0] * 12 / 10), "{fees:?}");
    assert!(bumped.attempts.iter().all(|a| a.nonce == 0));
    s.anvil.mine().await;
    let done = s.client.wait_final(id, WAIT).await.unwrap();
    assert_eq!(done.state, JobState::Confirmed);
    let mined: Vec<bool> = futures::future::join_all(done.attempts.iter().map(|a| async {
        s.deployer.provider().get_transaction_receipt(a.tx_hash).await.unwrap().is_some()
    }))
    .await;
    assert_eq!(mined.iter().filter(|m| **m).count(), 1, "exactly one attempt landed: {mined:?}");
    assert_eq!(done.tx_hash, done.attempts.iter().zip(&mined).find(|(_, m)| **m).map(|(a, _)| a.tx_hash));
    assert!(metric(&s.client, "zkinfer_relayer_resends_total{reason=\"fee_bump\"}").await >= 1.0);
    assert_exactly_once(&s.deployer, s.probe, [1]).await;
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_and_reorged_transactions_are_sent_again() {
    let s = setup(true, |c| c.confirmations = 3).await;
    let sent = submitted_and_sent(&s, 1).await;
    let id = sent.id;
    let hash = sent.tx_hash.unwrap();
    let p = s.deployer.provider();
    let _: serde_json::Value = p.raw_request("anvil_dropTransaction".into(), (hash,)).await.unwrap();
    assert!(p.get_transaction_by_hash(hash).await.unwrap().is_none());
    eventually(WAIT, "rebroadcast after the drop", || async {
        p.get_transaction_by_hash(hash).await.unwrap().map(|_| ())
    })
    .await;
    assert!(metric(&s.client, "zkinfer_relayer_resends_total{reason=\"dropped\"}").await >= 1.0);
    // Mine it, then take the block away: the relayer must notice and send it again.
    s.anvil.mine().await;
    assert!(p.get_transaction_receipt(hash).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let _: serde_json::Value = p.raw_request("anvil_rollback".into(), (1u64,)).await.unwrap();
    assert!(p.get_transaction_receipt(hash).await.unwrap().is_none());
    eventually(WAIT, "rebroadcast after the reorg", || async {
        p.get_transaction_by_hash(hash).await.unwrap().map(|_| ())
    })
    .await;
    for _ in 0..3 {
        s.anvil.mine().await;
    }
    let done = s.client.wait_final(id, WAIT).await.unwrap();
    assert_eq!((done.state, done.tx_hash), (JobState::Confirmed, Some(hash)));
    let reorgs = metric(&s.client, "zkinfer_relayer_reorgs_total").await;
    let dropped = metric(&s.client, "zkinfer_relayer_resends_total{reason=\"dropped\"}").await;
    assert!(reorgs >= 1.0 || dropped >= 2.0, "reorgs {reorgs}, dropped resends {dropped}");
    assert_exactly_once(&s.deployer, s.probe, [1]).await;
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_transaction_taking_the_nonce_gets_the_job_a_new_one() {
    let s = setup(true, |c| c.confirmations = 2).await;
    let sent = submitted_and_sent(&s, 1).await;
    let id = sent.id;
    let attempt = sent.attempts[0].clone();
    // Someone else with the relayer's key replaces the transaction (same nonce, higher fees).
    let thief = s.anvil.chain(1);
    let fee: u128 = attempt.max_fee_per_gas.parse::<u128>().unwrap() * 3;
    let tx = alloy::rpc::types::TransactionRequest::default()
        .from(relayer_address())
        .to(Address::repeat_byte(0x42))
        .nonce(0)
        .gas_limit(21_000)
        .max_fee_per_gas(fee)
        .max_priority_fee_per_gas(fee);
    let pending = thief.provider().send_transaction(tx).await.unwrap();
    let foreign = *pending.tx_hash();
    s.anvil.mine().await;
    assert!(s.deployer.provider().get_transaction_receipt(foreign).await.unwrap().is_some());
    // The relayer waits for the foreign transaction to be buried, then sends with nonce 1.
    let resent = eventually(WAIT, "a new nonce", || async {
        s.anvil.mine().await;
        let j = s.client.job(id).await.unwrap().unwrap();
        (j.nonce == Some(1)).then_some(j)
    })
    .await;
    assert_eq!(resent.attempts.len(), 2);
    for _ in 0..3 {
        s.anvil.mine().await;
    }
    let done = s.client.wait_final(id, WAIT).await.unwrap();
    assert_eq!((done.state, done.nonce), (JobState::Confirmed, Some(1)));
    assert_eq!(metric(&s.client, "zkinfer_relayer_renonced_total").await, 1.0);
    assert_eq!(probe_count(&s.deployer, s.probe).await, 1);
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 2, "the foreign transaction and the job's");
    s.relayer.shutdown().await;
}

/// The demo's paid inference hung (CI, stop 22): the host sent a transaction itself with the
/// relayer's key after the relayer had read its first nonce, so the relayer's transaction was
/// refused ("nonce too low"), and the monitor waited for one more block before looking for the
/// transaction that used the nonce. anvil automines, nobody sent anything else: no block came,
/// and the job stayed `sent` until the demo gave up after 120 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_demo_relay_hung_when_a_direct_send_took_the_nonce_on_an_automining_chain() {
    let s = setup(false, |_| {}).await;
    eventually(WAIT, "the relayer's first nonce", || async { s.client.health().await.unwrap().next_nonce }).await;
    // The key's owner sends a transaction directly, with nonce 0; anvil mines it at once.
    let owner = s.anvil.chain(1);
    let direct = owner.send(Address::repeat_byte(0x42), Vec::new().into(), U256::from(1)).await.unwrap();
    assert!(direct.status);
    let head = s.deployer.provider().get_block_number().await.unwrap();
    // The relayer still signs nonce 0 first; nobody mines anything from here on.
    let id = s.client.submit(&probe_job(s.probe, 1)).await.unwrap().job().unwrap().id;
    let done = s.client.wait_final(id, Duration::from_secs(30)).await.unwrap();
    assert_eq!((done.state, done.nonce), (JobState::Confirmed, Some(1)), "{done:?}");
    assert_eq!(probe_count(&s.deployer, s.probe).await, 1);
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 2, "the direct transaction and the job's");
    assert_eq!(s.deployer.provider().get_block_number().await.unwrap(), head + 1, "only the job's transaction was mined");
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_sent_jobs_from_their_recorded_transactions() {
    let s = setup(true, |_| {}).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(s.client.submit(&probe_job(s.probe, n)).await.unwrap().job().unwrap().id);
    }
    eventually(WAIT, "all sent", || async {
        (s.client.all_jobs(Some(JobState::Sent)).await.unwrap().len() == 3).then_some(())
    })
    .await;
    s.relayer.shutdown().await;
    // The node forgets the pending transactions while the relayer is down.
    let _: serde_json::Value = s.deployer.provider().raw_request("anvil_dropAllTransactions".into(), ()).await.unwrap();
    let relayer = Relayer::start(config(&s.anvil, s.db.path(), s.probe)).await.unwrap();
    let before: Vec<_> = futures::future::join_all(ids.iter().map(|id| relayer.job(*id))).await;
    eventually(WAIT, "rebroadcasts", || async {
        let pool: serde_json::Value = s.deployer.provider().raw_request("txpool_status".into(), ()).await.unwrap();
        (pool["pending"] == json!("0x3")).then_some(())
    })
    .await;
    s.anvil.mine().await;
    for (id, b) in ids.iter().zip(before) {
        let done = relayer.wait_final(*id, WAIT).await.unwrap();
        let b = b.unwrap().unwrap();
        assert_eq!((done.state, done.tx_hash, done.nonce), (JobState::Confirmed, b.tx_hash, b.nonce), "same transaction");
    }
    assert_exactly_once(&s.deployer, s.probe, [1, 2, 3]).await;
    relayer.shutdown().await;
}

#[tokio::test]
async fn keystore_signers_and_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let key = hex::decode(KEYS[1]).unwrap();
    let (s, _) = zkinfer_relayer::PrivateKeySigner::encrypt_keystore(dir.path(), &mut rand::thread_rng(), &key, "pw", Some("k.json")).unwrap();
    let loaded = zkinfer_relayer::signer_from_keystore(&dir.path().join("k.json"), "pw").unwrap();
    assert_eq!(loaded.address(), s.address());
    assert_eq!(loaded.address(), relayer_address());
    let e = zkinfer_relayer::signer_from_keystore(&dir.path().join("k.json"), "wrong").unwrap_err();
    assert!(e.to_string().contains("k.json"), "{e}");

    let signer = zkinfer_relayer::signer_from_hex(KEYS[1]).unwrap();
    let bare = RelayerConfig::new("http://127.0.0.1:1", signer.clone(), dir.path().join("db"));
    let e = Relayer::start(bare.clone()).await.unwrap_err();
    assert!(e.to_string().contains("circuits"), "{e}");
    let e = Relayer::start(bare.clone().with_circuit(circuit())).await.unwrap_err();
    assert!(e.to_string().contains("contracts") && e.to_string().contains("--contract"), "{e}");
    let probe = probe_contract(Address::repeat_byte(0x42));
    let mut c = bare.clone().with_circuit(circuit()).with_contract(probe.clone()).unwrap();
    c.fee_bump_percent = 5;
    assert!(Relayer::start(c).await.unwrap_err().to_string().contains("fee_bump_percent"));
    let mut c = bare.clone().with_circuit(circuit()).with_contract(probe.clone()).unwrap();
    c.max_gas_per_job = 20_000;
    assert!(Relayer::start(c).await.unwrap_err().to_string().contains("max_gas_per_job"));
    let c = RelayerConfig::new("not a url", signer, dir.path().join("db")).with_circuit(circuit()).with_contract(probe).unwrap();
    assert!(Relayer::start(c).await.unwrap_err().to_string().contains("invalid RPC URL"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_another_chain_than_the_database_stops_sending() {
    let s = setup(false, |_| {}).await;
    s.relayer.shutdown().await;
    let other = Anvil::start(&["--chain-id", "999"]);
    let relayer = Relayer::start(config(&other, s.db.path(), s.probe)).await.unwrap();
    assert_eq!(relayer.chain_id(), 31337, "the database's chain");
    let h = eventually(WAIT, "fatal health", || async {
        let h = relayer.health().await;
        (h.status == "fatal").then_some(h)
    })
    .await;
    assert!(h.fatal.unwrap().contains("chain 999"));
    let sub = relayer.submit(probe_job(s.probe, 1)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(relayer.job(sub.job.id).await.unwrap().unwrap().state, JobState::Accepted, "kept, not sent");
    assert_eq!(tx_count(&other.chain(0), relayer_address()).await, 0);
    relayer.shutdown().await;
    // With a fresh database on that chain, the same signer is fine; with the old one, refused.
    let key = zkinfer_relayer::signer_from_hex(KEYS[2]).unwrap();
    let mut cfg = config(&s.anvil, s.db.path(), s.probe);
    cfg.signer = key;
    let e = Relayer::start(cfg).await.unwrap_err();
    assert!(e.to_string().contains("signer"), "{e}");
}
