//! Issue 14, item 1: the relayer signed whatever an unauthenticated caller asked. Reproduced as
//! three jobs `{"contract": "0x…dEaD", "method": "claim", "id": N, "proof": <valid>}`, each
//! confirmed on anvil (108k gas) with no credentials. These tests pin the fix on a real anvil with
//! the real contracts (VerifierRegistry, ModelBounty, InferenceEscrow) and RelayProbe (ModelBounty's
//! paying interface on the real generated verifier): every refusal is a clear 4xx that records
//! nothing and sends nothing; the relayer refuses to start with the registry owner's key or with a
//! configured address that holds no contract; a token's budget; the per-job gas and fee caps; and
//! jobs recorded by an unrestricted relayer are never sent.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::transports::http::reqwest;
use serde_json::{json, Value};
use support::*;
use zkinfer_relayer::store::{NewJob, Store};
use zkinfer_relayer::{metrics::sample, ApiAccess, Chain, ContractCheckError, HttpLimits, JobState, ReadAccess, Relayer, RelayerConfig, RelayerError};

const WAIT: Duration = Duration::from_secs(60);

/// The address of the reproduction.
const DEAD: &str = "0x000000000000000000000000000000000000dEaD";

struct Setup {
    anvil: Anvil,
    deployer: Chain,
    probe: Address,
    payments: Payments,
    relayer: Relayer,
    base: String,
    http: reqwest::Client,
    _db: tempfile::TempDir,
}

fn config(anvil: &Anvil, db: &std::path::Path, probe: Address, payments: &Payments) -> RelayerConfig {
    let mut cfg = RelayerConfig::new(anvil.url(), zkinfer_relayer::signer_from_hex(KEYS[1]).unwrap(), db.join("jobs.sqlite"))
        .with_circuit(circuit())
        .with_contract(probe_contract(probe))
        .unwrap();
    for c in payments.allowed() {
        cfg = cfg.with_contract(c).unwrap();
    }
    cfg.confirmations = 1;
    cfg.poll_interval = Duration::from_millis(100);
    cfg.log = true;
    for e in PROBE_ERRORS {
        cfg.revert_decoder.add(e).unwrap();
    }
    cfg
}

/// anvil (automining), the probe and the real payment contracts deployed by key 0, a relayer
/// signing with key 1 that calls them, serving HTTP to the two test tokens.
async fn setup(tweak: impl FnOnce(&mut RelayerConfig), access: impl FnOnce(&mut ApiAccess)) -> Setup {
    let anvil = Anvil::start(&[]);
    let deployer = anvil.chain(0);
    let probe = deploy_probe(&deployer).await;
    let payments = deploy_payments(&deployer).await;
    let db = tempfile::tempdir().unwrap();
    let mut cfg = config(&anvil, db.path(), probe, &payments);
    tweak(&mut cfg);
    let relayer = Relayer::start(cfg).await.unwrap();
    let mut a = ApiAccess::new(tokens());
    access(&mut a);
    let server = relayer.serve("127.0.0.1:0".parse().unwrap(), HttpLimits::default(), a).await.unwrap();
    Setup { anvil, deployer, probe, payments, relayer, base: format!("http://{}", server.addr), http: reqwest::Client::new(), _db: db }
}

/// A raw `POST /jobs` (no client library help): status, body, headers.
async fn post(s: &Setup, auth: Option<&str>, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = s.http.post(format!("{}/jobs", s.base)).header("content-type", "application/json").body(body.to_string());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null), headers)
}

fn bearer(i: usize) -> String {
    format!("Bearer {}", TOKENS[i])
}

/// The reproduction's job: `claim` with a valid proof, to `contract`.
fn claim_body(contract: &str, id: u64) -> Value {
    json!({"contract": contract, "method": "claim", "id": id, "proof": fixture_proof().to_json()})
}

/// Nothing recorded, nothing sent: no job in the database, no transaction from the relayer's key.
async fn assert_nothing_happened(s: &Setup) {
    let counts = s.relayer.counts().await.unwrap();
    assert!(counts.iter().all(|(_, n)| *n == 0), "database rows: {counts:?}");
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 0, "transactions sent by the relayer");
}

async fn metric(s: &Setup, name: &str) -> f64 {
    sample(&s.relayer.metrics_text().await.unwrap(), name).unwrap_or_else(|| panic!("no metric {name}"))
}

/// Sends `POST /jobs` with `Content-Length: len` and no body to the server at `base`
/// (`http://host:port`), and reads until the server closes the connection (10 s at most): the
/// response (headers and body) and whether it closed.
async fn announce_body_without_sending(base: &str, len: usize) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("POST /jobs HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_unauthenticated_job_is_refused_before_its_body_is_read() {
    let s = setup(|_| {}, |_| {}).await;
    let good = json!({"contract": s.probe.to_string(), "method": "claim", "id": 1, "proof": fixture_proof().to_json()});
    for (auth, why) in [(None, "missing"), (Some("Basic dXNlcjpwYXNz"), "scheme"), (Some("Bearer"), "scheme"), (Some("Bearer "), "empty")] {
        let (status, body, headers) = post(&s, auth, &good).await;
        assert_eq!((status, body["field"].as_str()), (401, Some("authorization")), "{why}: {body}");
        let challenge = headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(challenge.starts_with("Bearer realm=\"zkinfer-relayer\""), "{why}: {challenge}");
    }
    for id in 0..3 {
        let (status, body, _) = post(&s, None, &claim_body(DEAD, id)).await;
        assert_eq!(status, 401, "{body}");
        assert!(body["error"].as_str().unwrap().contains("Authorization: Bearer"), "{body}");
    }
    // Checked before the body is read: a request announcing a 1 MB body without a token is
    // answered 401 (not 413) before a byte of the body is sent, and the connection is closed.
    // (Raw TCP: an HTTP client sending the body races the server's close, a broken pipe.)
    let (head, closed) = announce_body_without_sending(&s.base, 1 << 20).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(head.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{head}");
    assert!(closed, "the server kept the connection open after refusing: {head}");
    assert_nothing_happened(&s).await;
    assert_eq!(metric(&s, "zkinfer_relayer_submissions_total{result=\"unauthorized\"}").await, 8.0);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_wrong_token_is_refused() {
    let s = setup(|_| {}, |_| {}).await;
    let good = json!({"contract": s.probe.to_string(), "method": "claim", "id": 1, "proof": fixture_proof().to_json()});
    let t = TOKENS[0];
    let wrong = [format!("{}x", &t[..t.len() - 1]), t[..t.len() - 1].to_string(), format!("{t}0"), "0".repeat(64), t.to_uppercase()];
    for w in &wrong {
        let (status, body, headers) = post(&s, Some(&format!("Bearer {w}")), &good).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid API token")), "{w}: {body}");
        assert!(headers.get("www-authenticate").unwrap().to_str().unwrap().contains("error=\"invalid_token\""));
    }
    assert_nothing_happened(&s).await;
    // The right token (either one, any case of the scheme) is accepted.
    let (status, body, _) = post(&s, Some(&format!("bearer {}", TOKENS[1])), &good).await;
    assert_eq!(status, 202, "{body}");
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_authenticated_job_to_an_eoa_is_refused() {
    let s = setup(|_| {}, |_| {}).await;
    let eoas = [DEAD.to_string(), s.deployer.address().to_string(), relayer_address().to_string()];
    for (i, eoa) in eoas.iter().enumerate() {
        let (status, body, _) = post(&s, Some(&bearer(0)), &claim_body(eoa, i as u64)).await;
        assert_eq!((status, body["field"].as_str()), (403, Some("contract")), "{body}");
        assert!(body["error"].as_str().unwrap().contains("is not a contract this relayer calls"), "{body}");
    }
    assert_nothing_happened(&s).await;
    assert_eq!(metric(&s, "zkinfer_relayer_submissions_total{result=\"forbidden\"}").await, 3.0);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_job_to_an_unconfigured_contract_is_refused() {
    let s = setup(|_| {}, |_| {}).await;
    // A second probe: a real contract with the same paying ABI, that this relayer was not given.
    let other = deploy_probe(&s.deployer).await;
    let registry = s.payments.registry;
    for target in [other, registry] {
        let (status, body, _) = post(&s, Some(&bearer(0)), &claim_body(&target.to_string(), 1)).await;
        assert_eq!((status, body["field"].as_str()), (403, Some("contract")), "{body}");
    }
    assert_nothing_happened(&s).await;
    assert_eq!(probe_count(&s.deployer, other).await, 0);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_non_paying_method_is_refused() {
    let s = setup(|_| {}, |_| {}).await;
    let (probe, bounty, escrow) = (s.probe.to_string(), s.payments.bounty.to_string(), s.payments.escrow.to_string());
    // Names with the paying parameter list (what the old relayer turned into any selector),
    // real functions of the contracts, and the other kind's paying method.
    let cases = [
        (&probe, "submit(uint256,bytes,uint256[])"),
        (&probe, "verifyProof"),
        (&bounty, "refund"),
        (&bounty, "fulfil"),
        (&bounty, "transferOwnership(uint256,bytes,uint256[])"),
        (&bounty, "claim(uint256,bytes)"),
        (&escrow, "claim"),
        (&escrow, "register(uint256,bytes,uint256[])"),
    ];
    for (contract, method) in cases {
        let body = json!({"contract": contract, "method": method, "id": 1, "proof": fixture_proof().to_json()});
        let (status, answer, _) = post(&s, Some(&bearer(0)), &body).await;
        assert_eq!((status, answer["field"].as_str()), (403, Some("method")), "{method}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains("is called only with"), "{answer}");
    }
    assert_nothing_happened(&s).await;
    // The paying method, by name, by signature, or left out, is the same job.
    let mut ids = Vec::new();
    for method in [json!("claim"), json!("claim(uint256 jobId, bytes proof, uint256[] instances)"), Value::Null] {
        let (status, answer, _) = post(&s, Some(&bearer(0)), &json!({"contract": probe, "method": method, "id": 1, "proof": fixture_proof().to_json()})).await;
        assert!(matches!(status, 200 | 202), "{answer}");
        ids.push(answer["id"].clone());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_reads_need_the_token_unless_opened() {
    let s = setup(|_| {}, |_| {}).await;
    let (status, job, _) = post(&s, Some(&bearer(0)), &json!({"contract": s.probe.to_string(), "id": 1, "proof": fixture_proof().to_json()})).await;
    assert_eq!(status, 202, "{job}");
    let get = |path: String, auth: Option<String>| {
        let mut r = s.http.get(format!("{}{path}", s.base));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let job_path = format!("/jobs/{}", job["id"].as_str().unwrap());
    for path in [job_path.clone(), "/jobs".to_string()] {
        assert_eq!(get(path.clone(), None).await, 401, "{path}");
        assert_eq!(get(path.clone(), Some("Bearer nope".into())).await, 401, "{path}");
        assert_eq!(get(path.clone(), Some(bearer(1))).await, 200, "{path}");
    }
    // Open (200 `ok`, or 503 while the relayer is still checking its contracts), never 401.
    assert!([200, 503].contains(&get("/health".into(), None).await));
    assert_eq!(get("/metrics".into(), None).await, 200);
    // Opened reads: anyone may read, submitting still needs the token.
    let mut open = ApiAccess::new(tokens());
    open.reads = ReadAccess::Open;
    let server = s.relayer.serve("127.0.0.1:0".parse().unwrap(), HttpLimits::default(), open).await.unwrap();
    let open_base = format!("http://{}", server.addr);
    assert_eq!(s.http.get(format!("{open_base}{job_path}")).send().await.unwrap().status().as_u16(), 200);
    let r = s.http.post(format!("{open_base}/jobs")).body(claim_body(&s.probe.to_string(), 2).to_string()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_each_token_has_a_budget_of_jobs_per_minute() {
    let s = setup(|_| {}, |a| a.jobs_per_minute = 2).await;
    let job = |id: u64| json!({"contract": s.probe.to_string(), "method": "claim", "id": id, "proof": fixture_proof().to_json()});
    for id in [1, 2] {
        let (status, body, _) = post(&s, Some(&bearer(0)), &job(id)).await;
        assert_eq!(status, 202, "{body}");
    }
    let (status, body, headers) = post(&s, Some(&bearer(0)), &job(3)).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().unwrap().contains("2 new jobs per minute"), "{body}");
    let retry: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "Retry-After {retry}");
    // A known job costs nothing; another token has its own budget.
    let (status, _, _) = post(&s, Some(&bearer(0)), &job(1)).await;
    assert_eq!(status, 200);
    let (status, body, _) = post(&s, Some(&bearer(1)), &job(3)).await;
    assert_eq!(status, 202, "{body}");
    let jobs = s.relayer.jobs(None, 0, 100).await.unwrap();
    assert_eq!(jobs.len(), 3, "the refused job left no row");
    assert_eq!(metric(&s, "zkinfer_relayer_submissions_total{result=\"rate_limited\"}").await, 1.0);
    s.relayer.shutdown().await;
}

/// `Relayer::start` with `cfg`, expecting a contract check to refuse it.
async fn refused(cfg: RelayerConfig) -> ContractCheckError {
    match Relayer::start(cfg).await {
        Err(RelayerError::Contract(e)) => e,
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(r) => {
            r.shutdown().await;
            panic!("started")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_relayer_refuses_to_start_with_the_registry_owner_key() {
    let anvil = Anvil::start(&[]);
    let db = tempfile::tempdir().unwrap();
    let probe = deploy_probe(&anvil.chain(0)).await;
    // The operator deployed the contracts with the relayer's key: it owns the registry.
    let owned = deploy_payments(&anvil.chain(1)).await;
    let e = refused(config(&anvil, db.path(), probe, &owned)).await;
    assert!(matches!(e, ContractCheckError::OwnerKey { role: "owner", registry, .. } if registry == owned.registry), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("refusing to start") && msg.contains("--allow-owner-key") && msg.contains(&owned.registry.to_string()), "{msg}");
    // A registry whose owner proposed the relayer's key as the next owner.
    let other = deploy_payments(&anvil.chain(0)).await;
    propose_owner(&anvil.chain(0), other.registry, relayer_address()).await;
    let e = refused(config(&anvil, db.path(), probe, &other)).await;
    assert!(matches!(e, ContractCheckError::OwnerKey { role: "pending owner", .. }), "{e}");
    // Accepted when the operator says so, and nothing was sent meanwhile.
    let mut cfg = config(&anvil, db.path(), probe, &owned);
    cfg.allow_owner_key = true;
    let relayer = Relayer::start(cfg).await.unwrap();
    relayer.shutdown().await;
    assert_eq!(tx_count(&anvil.chain(0), relayer_address()).await, 3, "only the relayer key's own deployments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_addresses_without_a_payment_contract_are_refused_at_start() {
    let anvil = Anvil::start(&[]);
    let db = tempfile::tempdir().unwrap();
    let chain = anvil.chain(0);
    let probe = deploy_probe(&chain).await;
    let payments = deploy_payments(&chain).await;
    let base = || RelayerConfig::new(anvil.url(), zkinfer_relayer::signer_from_hex(KEYS[1]).unwrap(), db.path().join("jobs.sqlite")).with_circuit(circuit());
    let bounty_at = |a: Address| zkinfer_relayer::AllowedContract::new(zkinfer_relayer::ContractKind::ModelBounty, a, &payment_contracts()[2].abi).unwrap();
    // An account without code (the drain target), configured by mistake.
    let e = refused(base().with_contract(bounty_at(DEAD.parse().unwrap())).unwrap()).await;
    assert!(matches!(e, ContractCheckError::NoCode { .. }) && e.to_string().contains("has no code on chain 31337"), "{e}");
    // A contract that is no ModelBounty (the registry has no registry()).
    let e = refused(base().with_contract(bounty_at(payments.registry)).unwrap()).await;
    assert!(matches!(e, ContractCheckError::NoRegistry { .. }), "{e}");
    // A deployment file for another chain, or naming another registry.
    let e = refused(base().with_contract(bounty_at(payments.bounty).expecting_chain(1)).unwrap()).await;
    assert!(matches!(e, ContractCheckError::WrongChain { expected: 1, actual: 31337, .. }), "{e}");
    let e = refused(base().with_contract(bounty_at(payments.bounty).expecting_registry(probe)).unwrap()).await;
    assert!(matches!(e, ContractCheckError::RegistryMismatch { .. }), "{e}");
    let r = Relayer::start(base().with_contract(bounty_at(payments.bounty).expecting_registry(payments.registry).expecting_chain(31337)).unwrap()).await.unwrap();
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_over_the_gas_cap_fails_without_a_transaction_and_fees_stay_under_the_cap() {
    const FEE_CAP: u128 = 1_500_000_000;
    let s = setup(|c| c.max_fee_per_gas = FEE_CAP, |_| {}).await;
    let (status, ok, _) = post(&s, Some(&bearer(0)), &claim_body(&s.probe.to_string(), 1)).await;
    assert_eq!(status, 202, "{ok}");
    let done = s.relayer.wait_final(ok["id"].as_str().unwrap().parse().unwrap(), WAIT).await.unwrap();
    assert_eq!(done.state, JobState::Confirmed, "{done:?}");
    let fee: u128 = done.attempts[0].max_fee_per_gas.parse().unwrap();
    assert!(fee <= FEE_CAP, "max fee {fee} over the cap");
    let used = done.gas_used.unwrap();
    s.relayer.shutdown().await;
    // The same relayer with a per-job cap under what a claim needs.
    let mut cfg = config(&s.anvil, s._db.path(), s.probe, &s.payments);
    cfg.max_gas_per_job = used / 2;
    let relayer = Relayer::start(cfg).await.unwrap();
    let sub = relayer.submit(probe_job(s.probe, 2)).await.unwrap();
    let failed = relayer.wait_final(sub.job.id, WAIT).await.unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(failed.reason.as_deref().unwrap().contains("over the per-job cap"), "{failed:?}");
    assert!(failed.attempts.is_empty());
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 1, "only the first job's transaction");
    relayer.shutdown().await;
}

/// A call to an account without code succeeds (that is how the drain's transactions were
/// confirmed), so the code is checked again before every simulation and send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_contract_that_loses_its_code_is_not_called() {
    let s = setup(|_| {}, |_| {}).await;
    // The code goes after the relayer checked the contracts at start (before, the relayer would
    // refuse to send anything: see `health().fatal`).
    eventually(WAIT, "the relayer checked its contracts", || async { (s.relayer.health().await.status == "ok").then_some(()) }).await;
    let p = s.deployer.provider();
    use alloy::providers::Provider;
    let _: Value = p.raw_request("anvil_setCode".into(), (s.probe, "0x")).await.unwrap();
    let (status, body, _) = post(&s, Some(&bearer(0)), &claim_body(&s.probe.to_string(), 1)).await;
    assert_eq!(status, 202, "{body}");
    let done = s.relayer.wait_final(body["id"].as_str().unwrap().parse().unwrap(), WAIT).await.unwrap();
    assert_eq!(done.state, JobState::Failed);
    assert!(done.reason.as_deref().unwrap().contains("has no code") && done.attempts.is_empty(), "{done:?}");
    assert_eq!(tx_count(&s.deployer, relayer_address()).await, 0);
    assert_eq!(metric(&s, "zkinfer_relayer_failures_total{reason=\"refused\"}").await, 1.0);
    s.relayer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_jobs_recorded_by_an_unrestricted_relayer_are_not_sent() {
    let anvil = Anvil::start(&[]);
    let chain = anvil.chain(0);
    let probe = deploy_probe(&chain).await;
    let payments = deploy_payments(&chain).await;
    let db = tempfile::tempdir().unwrap();
    // What the old relayer accepted and recorded: a claim to 0x…dEaD, and a probe call with a
    // selector of the caller's choosing; one of them already simulated (next: sent).
    let p = fixture_proof();
    let claim = zkinfer_relayer::PayingMethod::from_abi(zkinfer_relayer::ContractKind::ModelBounty, &probe_abi()).unwrap();
    let mut other_selector = claim.calldata(U256::from(2), &p);
    other_selector[..4].copy_from_slice(&alloy::primitives::keccak256("submit(uint256,bytes,uint256[])")[..4]);
    let rows = [(DEAD.parse::<Address>().unwrap(), claim.calldata(U256::from(1), &p)), (probe, other_selector)];
    {
        let mut store = Store::open(&db.path().join("jobs.sqlite")).unwrap();
        for (i, (contract, calldata)) in rows.iter().enumerate() {
            let id = zkinfer_relayer::job_key(31337, *contract, calldata);
            let new = NewJob { id, contract: *contract, method: "claim(uint256,bytes,uint256[])".into(), call_id: Some(i.to_string()), circuit: CIRCUIT.into(), calldata: calldata.clone() };
            store.insert(&new, 10).unwrap();
            if i == 1 {
                assert!(store.mark_simulated(&id, 500_000).unwrap());
            }
        }
    }
    let relayer = Relayer::start(config(&anvil, db.path(), probe, &payments)).await.unwrap();
    let failed = eventually(WAIT, "both old jobs failed", || async {
        let jobs = relayer.jobs(None, 0, 10).await.unwrap();
        jobs.iter().all(|j| j.state == JobState::Failed).then_some(jobs)
    })
    .await;
    for j in &failed {
        assert!(j.reason.as_deref().unwrap().contains("is not on the relayer's allowlist") && j.attempts.is_empty(), "{j:?}");
    }
    assert_eq!(tx_count(&chain, relayer_address()).await, 0);
    relayer.shutdown().await;
}
