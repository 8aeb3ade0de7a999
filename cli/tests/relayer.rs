//! `zkinfer relayer` as a real process on a real anvil: hundreds of concurrent jobs, kill -9 in
//! the middle of a batch, the node stopped and started again (its state dumped and loaded). Chain
//! state is the judge: RelayProbe (on the real generated verifier) records each job id once, and
//! the relayer's key has sent exactly one transaction per job. The relayer is configured as an
//! operator would: `--deployment` (the probe as the ModelBounty, with its ABI) and
//! `--api-token-file`; `zkinfer deploy`'s own output configures it too, and the registry owner's
//! key is refused.
//!
//! `soak` (ignored) is the long run `script/relayer-soak` drives.

#![allow(clippy::unwrap_used)]

#[path = "../../relayer/tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256};
use support::*;
use zkinfer_relayer::metrics::sample;
use zkinfer_relayer::{Job, JobState, RelayerClient};

const BIN: &str = env!("CARGO_BIN_EXE_zkinfer");

/// `zkinfer relayer` arguments for a test on `anvil` calling `probe`, with its files in `dir`:
/// fast polling, short resend and backoff, a budget no test reaches.
fn relayer_args(anvil: &Anvil, dir: &Path, probe: Address, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "--rpc-url",
        &anvil.url(),
        "--circuit",
        &format!("{CIRCUIT}={}", fixture_circuit_dir().display()),
        "--deployment",
        &probe_deployment_file(dir, probe).display().to_string(),
        "--api-token-file",
        &token_file(dir).display().to_string(),
        "--jobs-per-minute",
        "1000000",
        "--db",
        &dir.join("jobs.sqlite").display().to_string(),
        "--confirmations",
        "2",
        "--poll-interval-ms",
        "200",
        "--resend-after-ms",
        "1500",
        "--max-backoff-ms",
        "1000",
        "--max-in-flight",
        "256",
        "--error",
        PROBE_ERRORS[0],
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

struct Bench {
    anvil: Anvil,
    probe: Address,
    relayer: RelayerProcess,
    dir: tempfile::TempDir,
}

async fn bench(anvil_args: &[&str], extra: &[&str]) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("anvil-state.json").display().to_string();
    let args: Vec<&str> = anvil_args.iter().map(|a| if *a == "STATE" { state.as_str() } else { a }).collect();
    let anvil = Anvil::start(&args);
    let probe = deploy_probe(&anvil.chain(0)).await;
    let _ = circuit(); // the fixture proof verifies against the rebuilt circuit
    let relayer = RelayerProcess::start(Path::new(BIN), relayer_args(&anvil, dir.path(), probe, extra), dir.path().join("relayer.log"));
    Bench { anvil, probe, relayer, dir }
}

fn client(r: &RelayerProcess) -> RelayerClient {
    RelayerClient::new(&r.url).unwrap().with_token(token(0))
}

/// Submits `ids` concurrently (`parallel` at a time); returns each id's status (0: no answer,
/// e.g. the relayer was killed) and job id.
async fn submit_all(c: &RelayerClient, probe: Address, ids: impl IntoIterator<Item = u64>, parallel: usize) -> BTreeMap<u64, (u16, Option<B256>)> {
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut set = tokio::task::JoinSet::new();
    for id in ids {
        let (c, sem) = (c.clone(), sem.clone());
        set.spawn(async move {
            let _p = sem.acquire_owned().await.unwrap();
            match c.submit(&probe_job(probe, id)).await {
                Ok(r) => (id, (r.status, r.job().map(|j| j.id))),
                Err(_) => (id, (0, None)),
            }
        });
    }
    let mut out = BTreeMap::new();
    while let Some(r) = set.join_next().await {
        let (id, v) = r.unwrap();
        out.insert(id, v);
    }
    out
}

async fn count(c: &RelayerClient, state: JobState) -> usize {
    c.all_jobs(Some(state)).await.map(|j| j.len()).unwrap_or(0)
}

async fn wait_all_confirmed(c: &RelayerClient, n: usize, timeout: Duration, r: &RelayerProcess) -> Vec<Job> {
    let start = Instant::now();
    loop {
        let jobs = c.all_jobs(None).await.unwrap();
        let failed: Vec<&Job> = jobs.iter().filter(|j| j.state == JobState::Failed).collect();
        assert!(failed.is_empty(), "failed jobs: {failed:?}\n{}", r.log_tail());
        if jobs.len() == n && jobs.iter().all(|j| j.state == JobState::Confirmed) {
            return jobs;
        }
        assert!(
            start.elapsed() < timeout,
            "after {timeout:?}: {} of {n} jobs confirmed\n{}",
            jobs.iter().filter(|j| j.state == JobState::Confirmed).count(),
            r.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_hundreds_of_concurrent_jobs_are_all_confirmed_once() {
    const N: u64 = 300;
    let b = bench(&["--block-time", "0.5"], &["--max-body-bytes", "65536"]).await;
    let c = client(&b.relayer);
    // A malformed job, a proof with one flipped byte and an oversized body: clear errors, nothing recorded.
    let mut bad = probe_job(b.probe, 0).to_json();
    bad["contract"] = serde_json::json!("0xnope");
    let r = c.submit_value(&bad).await.unwrap();
    assert_eq!((r.status, r.field()), (400, Some("contract")), "{:?}", r.body);
    let r = c.submit(&zkinfer_relayer::JobRequest { proof: tampered_proof(), ..probe_job(b.probe, 0) }).await.unwrap();
    assert_eq!((r.status, r.field()), (422, Some("proof")), "{:?}", r.body);
    let r = c.post_raw(vec![b'{'; 70_000]).await.unwrap();
    assert_eq!(r.status, 413, "{:?}", r.body);
    assert!(c.all_jobs(None).await.unwrap().is_empty());
    let start = Instant::now();
    let answers = submit_all(&c, b.probe, 0..N, 64).await;
    let submitted = start.elapsed();
    assert!(answers.values().all(|(s, _)| *s == 202), "{answers:?}");
    let jobs = wait_all_confirmed(&c, N as usize, Duration::from_secs(150), &b.relayer).await;
    let total = start.elapsed();
    let mut nonces: Vec<u64> = jobs.iter().map(|j| j.nonce.unwrap()).collect();
    nonces.sort_unstable();
    assert_eq!(nonces, (0..N).collect::<Vec<_>>(), "one nonce per job, no gaps");
    let m = c.metrics().await.unwrap();
    for kind in ["nonce_too_low", "underpriced", "rejected"] {
        let v = sample(&m, &format!("zkinfer_relayer_broadcast_errors_total{{kind=\"{kind}\"}}"));
        assert_eq!(v, Some(0.0), "{kind} errors\n{m}");
    }
    assert_exactly_once(&b.anvil.chain(0), b.probe, 0..N).await;
    let max_latency = jobs.iter().map(|j| j.finished_at_ms.unwrap() - j.created_at_ms).max().unwrap();
    eprintln!("load: {N} jobs submitted in {submitted:?}, all confirmed after {total:?}; max accept-to-confirm {max_latency} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_batch_and_restart_loses_nothing_and_sends_nothing_twice() {
    const N: u64 = 120;
    let mut b = bench(&["--block-time", "0.5"], &[]).await;
    let c = client(&b.relayer);
    let first = submit_all(&c, b.probe, 0..N / 2, 16).await;
    assert!(first.values().all(|(s, _)| *s == 202));
    // Kill while the batch is on its way: some confirmed, some sent and pending.
    let (sent, confirmed) = eventually(Duration::from_secs(60), "a batch in flight", || async {
        let (sent, confirmed) = (count(&c, JobState::Sent).await, count(&c, JobState::Confirmed).await);
        (sent > 0 && confirmed > 0).then_some((sent, confirmed))
    })
    .await;
    b.relayer.kill9();
    eprintln!("kill -9 #1 with {sent} jobs sent and {confirmed} confirmed (of {})", N / 2);
    b.relayer.restart();
    let c = client(&b.relayer);
    // Kill again while the second half is being submitted: a 202 must survive.
    let submitting = {
        let c = c.clone();
        let probe = b.probe;
        tokio::spawn(async move {
            let mut out = BTreeMap::new();
            for id in N / 2..N {
                out.extend(submit_all(&c, probe, [id], 1).await);
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            out
        })
    };
    eventually(Duration::from_secs(60), "part of the second half accepted", || async {
        (c.all_jobs(None).await.map(|j| j.len()).unwrap_or(0) >= (N / 2 + N / 8) as usize).then_some(())
    })
    .await;
    b.relayer.kill9();
    let second = submitting.await.unwrap();
    let accepted: BTreeSet<u64> = first.iter().chain(&second).filter(|(_, (s, _))| *s == 202).map(|(id, _)| *id).collect();
    assert!(accepted.len() < N as usize, "the kill interrupted the submissions");
    eprintln!("kill -9 #2 during submissions: {} of {N} jobs answered 202", accepted.len());
    b.relayer.restart();
    let c = client(&b.relayer);
    // Every accepted job survived the kill.
    for (id, (_, job)) in first.iter().chain(&second).filter(|(_, (s, _))| *s == 202) {
        assert!(c.job(job.unwrap()).await.unwrap().is_some(), "accepted job {id} was lost");
    }
    // Clients retry: known jobs answer 200, the ones that never got an answer are accepted now.
    let retry = submit_all(&c, b.probe, 0..N, 16).await;
    for (id, (status, _)) in &retry {
        let expected: &[u16] = if accepted.contains(id) { &[200] } else { &[200, 202] };
        assert!(expected.contains(status), "job {id}: {status}");
    }
    wait_all_confirmed(&c, N as usize, Duration::from_secs(120), &b.relayer).await;
    assert_exactly_once(&b.anvil.chain(0), b.probe, 0..N).await;
    let log = std::fs::read_to_string(&b.relayer.log).unwrap_or_default();
    // Issue 15: every log line carries an RFC 3339 UTC time, `[relayer 2026-12-02T16:02:25.325Z]`.
    let stamped = |l: &str| {
        let t = l.strip_prefix("[relayer ").and_then(|r| r.split(']').next()).unwrap_or("");
        t.len() == 24 && t.as_bytes()[10] == b'T' && t.ends_with('Z') && t[..4].parse::<u32>().is_ok_and(|y| y >= 2024)
    };
    let logged: Vec<&str> = log.lines().filter(|l| l.starts_with("[relayer")).collect();
    assert!(!logged.is_empty() && logged.iter().all(|l| stamped(l)), "{logged:?}");
    eprintln!(
        "after the restarts: {} rebroadcasts, {} resumed-job lines",
        log.lines().filter(|l| l.contains("broadcast again")).count(),
        log.lines().filter(|l| l.contains("resuming")).count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relayer_waits_for_a_stopped_node_and_resumes() {
    const N: u64 = 80;
    let mut b = bench(&["--block-time", "0.5", "--state", "STATE"], &[]).await;
    let c = client(&b.relayer);
    assert!(submit_all(&c, b.probe, 0..N, 16).await.values().all(|(s, _)| *s == 202));
    eventually(Duration::from_secs(60), "some confirmed", || async { (count(&c, JobState::Confirmed).await >= 5).then_some(()) }).await;
    let before = count(&c, JobState::Confirmed).await;
    b.anvil.pause_mining().await;
    b.anvil.stop();
    eprintln!("anvil stopped with {before} of {N} confirmed");
    let h = eventually(Duration::from_secs(30), "health to report the node down", || async {
        let h = c.health().await.unwrap();
        (!h.rpc_up).then_some(h)
    })
    .await;
    assert_eq!(h.status, "degraded", "{h:?}");
    // Jobs are still accepted (and kept) while the node is down.
    let more = submit_all(&c, b.probe, N..N + 10, 4).await;
    assert!(more.values().all(|(s, _)| *s == 202), "{more:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    b.anvil.restart();
    wait_all_confirmed(&c, (N + 10) as usize, Duration::from_secs(120), &b.relayer).await;
    assert_exactly_once(&b.anvil.chain(0), b.probe, 0..N + 10).await;
    let h = c.health().await.unwrap();
    assert_eq!((h.status.as_str(), h.rpc_up), ("ok", true), "{h:?}");
    let m = c.metrics().await.unwrap();
    assert!(sample(&m, "zkinfer_relayer_rpc_errors_total").unwrap() > 0.0);
    let _ = &b.dir;
}

#[test]
fn bad_flags_and_missing_keys_are_named() {
    let run = |args: &[&str], key: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.arg("relayer").args(args).env_remove("ZKINFER_PRIVATE_KEY").current_dir(root());
        if let Some(k) = key {
            cmd.env("ZKINFER_PRIVATE_KEY", k);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let circuit = format!("{CIRCUIT}={}", fixture_circuit_dir().display());
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit], None);
    assert!(e.contains("ZKINFER_PRIVATE_KEY"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit], Some(KEYS[1]));
    assert!(e.contains("--deployment FILE") && e.contains("--contract model_bounty=ADDRESS"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--contract", "verifier=0x5FbDB2315678afecb367f032d93F642f64180aa3"], Some(KEYS[1]));
    assert!(e.contains("unknown contract kind \"verifier\""), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--contract", "model_bounty=0xdead"], Some(KEYS[1]));
    assert!(e.contains("model_bounty: \"0xdead\" is not a 0x-prefixed 20-byte address"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--deployment", "/nonexistent.json"], Some(KEYS[1]));
    assert!(e.contains("deployment file /nonexistent.json"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let deployment = probe_deployment_file(dir.path(), Address::repeat_byte(0x42)).display().to_string();
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--deployment", &deployment, "--api-token-file", "/nonexistent"], Some(KEYS[1]));
    assert!(e.contains("API token file /nonexistent"), "{e}");
    let weak = dir.path().join("weak-tokens");
    std::fs::write(&weak, "host hunter2\n").unwrap();
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--deployment", &deployment, "--api-token-file", &weak.display().to_string()], Some(KEYS[1]));
    assert!(e.contains("at least 32") && !e.contains("hunter2"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--deployment", &deployment, "--max-fee-per-gas", "lots"], Some(KEYS[1]));
    assert!(e.contains("--max-fee-per-gas") && e.contains("gwei"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", "nodir"], Some(KEYS[1]));
    assert!(e.contains("NAME=DIR"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", "x=/nonexistent"], Some(KEYS[1]));
    assert!(e.contains("circuit 'x'") && e.contains("circuit.json"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit], Some("0x12"));
    assert!(e.contains("ZKINFER_PRIVATE_KEY") && !e.contains("0x12"), "{e}");
    let e = run(&["--rpc-url", "http://127.0.0.1:1", "--circuit", &circuit, "--keystore", "/nonexistent.json"], None);
    assert!(e.contains("ZKINFER_KEYSTORE_PASSWORD"), "{e}");
}

/// What an operator does: `zkinfer deploy` (with the key that then owns the registry), its output
/// as `--deployment`. The relayer refuses the deployer's key, starts with its own, calls only the
/// real ModelBounty and InferenceEscrow (claims for bounties that do not exist fail in simulation,
/// nothing sent) and refuses a job to an account, or without the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_output_configures_the_relayer_and_the_owner_key_is_refused() {
    let anvil = Anvil::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_circuit_dir().display().to_string();
    let deploy = Command::new(BIN).args(["deploy", "--json", "--rpc-url", &anvil.url(), "--dir", &fixture]).env("ZKINFER_PRIVATE_KEY", KEYS[0]).current_dir(root()).output().unwrap();
    assert!(deploy.status.success(), "{}", String::from_utf8_lossy(&deploy.stderr));
    let v: serde_json::Value = serde_json::from_slice(&deploy.stdout).unwrap();
    assert_eq!(v["chain_id"], 31337);
    for (kind, function) in [("model_bounty", "claim"), ("inference_escrow", "fulfil")] {
        let entries = v["abi"][kind].as_array().unwrap();
        assert!(entries.len() == 1 && entries[0]["name"] == function, "abi.{kind}: {entries:?}");
    }
    let file = dir.path().join("deploy.json");
    std::fs::write(&file, &deploy.stdout).unwrap();
    let circuit = format!("{CIRCUIT}={fixture}");
    let args = |db: &str| -> Vec<String> {
        let tokens = token_file(dir.path()).display().to_string();
        let db = dir.path().join(db).display().to_string();
        ["--rpc-url", &anvil.url(), "--circuit", &circuit, "--deployment", &file.display().to_string(), "--api-token-file", &tokens, "--db", &db, "--confirmations", "1", "--poll-interval-ms", "200"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let refused = Command::new(BIN).arg("relayer").args(args("refused.sqlite")).env("ZKINFER_PRIVATE_KEY", KEYS[0]).current_dir(root()).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("refusing to start") && stderr.contains("is the owner of the VerifierRegistry"), "{stderr}");
    assert!(stderr.contains(v["registry"].as_str().unwrap()) && stderr.contains("--allow-owner-key"), "{stderr}");
    let r = RelayerProcess::start(Path::new(BIN), args("jobs.sqlite"), dir.path().join("relayer.log"));
    let c = client(&r);
    let proof = fixture_proof();
    let (bounty, escrow) = (v["model_bounty"].as_str().unwrap().parse::<Address>().unwrap(), v["inference_escrow"].as_str().unwrap().parse::<Address>().unwrap());
    let jobs = [
        zkinfer_relayer::JobRequest::claim(bounty, alloy::primitives::U256::from(7), proof.clone(), None),
        zkinfer_relayer::JobRequest::fulfil(escrow, alloy::primitives::U256::from(7), proof.clone(), None),
    ];
    for (job, reason) in jobs.iter().zip(["UnknownBounty(7)", "UnknownRequest(7)"]) {
        let a = c.submit(job).await.unwrap();
        assert_eq!(a.status, 202, "{:?}", a.body);
        let done = c.wait_final(a.job().unwrap().id, Duration::from_secs(60)).await.unwrap();
        assert_eq!((done.state, done.reason.as_deref()), (JobState::Failed, Some(&*format!("would revert: {reason}"))), "{done:?}");
    }
    let to_eoa = zkinfer_relayer::JobRequest::claim(Address::repeat_byte(0xde), alloy::primitives::U256::from(1), proof, None);
    assert_eq!(c.submit(&to_eoa).await.unwrap().status, 403);
    assert_eq!(RelayerClient::new(&r.url).unwrap().submit(&jobs[0]).await.unwrap().status, 401);
    assert_eq!(tx_count(&anvil.chain(0), relayer_address()).await, 0, "nothing sent");
}

/// Without `--api-token-file` a token is generated and printed once on stdout; it works, and
/// nothing else does. The stdout also says which contracts the relayer calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_token_is_printed_and_is_the_only_one_accepted() {
    let anvil = Anvil::start(&[]);
    let probe = deploy_probe(&anvil.chain(0)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = relayer_args(&anvil, dir.path(), probe, &[]);
    let at = args.iter().position(|a| a == "--api-token-file").unwrap();
    args.drain(at..at + 2);
    let r = RelayerProcess::start(Path::new(BIN), args, dir.path().join("relayer.log"));
    let lines = eventually(Duration::from_secs(10), "the token line", || async {
        let l = r.stdout.lock().unwrap().clone();
        (l.len() >= 3).then_some(l)
    })
    .await;
    assert!(lines[1].starts_with("calls only: ModelBounty ") && lines[1].contains("(claim(uint256,bytes,uint256[]))"), "{lines:?}");
    let secret = lines[2].rsplit(' ').next().unwrap();
    assert!(lines[2].starts_with("api token (generated") && secret.len() == 64, "{lines:?}");
    let generated = zkinfer_relayer::ApiToken::new("generated", secret).unwrap();
    let c = RelayerClient::new(&r.url).unwrap();
    assert_eq!(c.clone().with_token(token(0)).submit(&probe_job(probe, 1)).await.unwrap().status, 401, "the test tokens are not configured");
    let ok = c.with_token(generated).submit(&probe_job(probe, 1)).await.unwrap();
    assert_eq!(ok.status, 202, "{:?}", ok.body);
}

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Submits one job until the relayer answers 200/202 (retrying while it is down or full).
async fn submit_until_accepted(c: &RelayerClient, probe: Address, id: u64) -> B256 {
    loop {
        if let Ok(r) = c.submit(&probe_job(probe, id)).await {
            if let (200 | 202, Some(job)) = (r.status, r.job()) {
                return job.id;
            }
            assert!(matches!(r.status, 429 | 503), "job {id}: {} {:?}", r.status, r.body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The long run of `script/relayer-soak` (settings from `ZKINFER_SOAK_*`; see the script): jobs
/// submitted at a steady rate while the relayer is killed with -9 and anvil stopped and started
/// again periodically; then every job must be confirmed exactly once. Appends a row of results
/// to `ZKINFER_SOAK_REPORT` if set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by script/relayer-soak"]
async fn soak() {
    let n = env_or("ZKINFER_SOAK_JOBS", 2000.0) as u64;
    let rate = env_or("ZKINFER_SOAK_RATE", 25.0);
    let kill_every = Duration::from_secs_f64(env_or("ZKINFER_SOAK_KILL_EVERY", 20.0));
    let anvil_every = Duration::from_secs_f64(env_or("ZKINFER_SOAK_ANVIL_EVERY", 45.0));
    let anvil_down = Duration::from_secs_f64(env_or("ZKINFER_SOAK_ANVIL_DOWN", 5.0));
    let block_time = env_or("ZKINFER_SOAK_BLOCK_TIME", 1.0).to_string();
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let mut b = bench(
        &["--block-time", &block_time, "--state", "STATE"],
        &["--listen", &listen, "--max-queue", "100000"],
    )
    .await;
    let c = client(&b.relayer);
    let start = Instant::now();
    let submitter = {
        let (c, probe) = (c.clone(), b.probe);
        tokio::spawn(async move {
            let mut set = tokio::task::JoinSet::new();
            for id in 0..n {
                let due = Duration::from_secs_f64(id as f64 / rate);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
                let c = c.clone();
                set.spawn(async move { submit_until_accepted(&c, probe, id).await });
            }
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
            start.elapsed()
        })
    };
    let (mut kills, mut node_restarts) = (0u32, 0u32);
    let (mut last_kill, mut last_stop) = (Instant::now(), Instant::now());
    // Chaos until every job is submitted and confirmed.
    let confirmed = |c: RelayerClient| async move {
        let m = c.metrics().await.ok()?;
        sample(&m, "zkinfer_relayer_jobs{state=\"confirmed\"}").map(|v| v as u64)
    };
    while !(submitter.is_finished() && confirmed(c.clone()).await == Some(n)) {
        assert!(start.elapsed() < Duration::from_secs(1800), "soak did not finish\n{}", b.relayer.log_tail());
        tokio::time::sleep(Duration::from_millis(250)).await;
        if last_kill.elapsed() >= kill_every {
            b.relayer.restart();
            kills += 1;
            last_kill = Instant::now();
        }
        if last_stop.elapsed() >= anvil_every {
            b.anvil.pause_mining().await;
            b.anvil.stop();
            tokio::time::sleep(anvil_down).await;
            b.anvil.restart();
            node_restarts += 1;
            last_stop = Instant::now();
        }
    }
    let submitted_in = submitter.await.unwrap();
    let jobs = wait_all_confirmed(&c, n as usize, Duration::from_secs(1800), &b.relayer).await;
    let total = start.elapsed();
    assert_exactly_once(&b.anvil.chain(0), b.probe, 0..n).await;
    let mut lat: Vec<u64> = jobs.iter().map(|j| j.finished_at_ms.unwrap() - j.created_at_ms).collect();
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    let log = std::fs::read_to_string(&b.relayer.log).unwrap_or_default();
    let lines = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    let (bumps, rebroadcasts, renonced) = (lines(": fee bump, nonce"), lines(") broadcast again"), lines("it gets a new nonce"));
    let multi = jobs.iter().filter(|j| j.attempts.len() > 1).count();
    let label = std::env::var("ZKINFER_SOAK_LABEL").unwrap_or_else(|_| format!("unix {}", zkinfer_relayer::store::now_ms() / 1000));
    let row = format!(
        "| {label} | {n} | {rate} | {block_time} | {:.0} | {:.0} | {:.1} | {kills} | {node_restarts} | {bumps} | {rebroadcasts} | {renonced} | {multi} | {:.1} | {:.1} | {:.1} | {n} ids once, {n} txs |\n",
        submitted_in.as_secs_f64(),
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        pct(0.5),
        pct(0.95),
        pct(1.0),
    );
    eprintln!("soak result row:\n{row}");
    if let Ok(path) = std::env::var("ZKINFER_SOAK_REPORT") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
        f.write_all(row.as_bytes()).unwrap();
    }
    let _ = &b.dir;
}
