//! The fuzzer's second half (the first, in-process over every loader, is
//! `prover/tests/fuzz.rs`; docs/fuzz.md): the `zkinfer` binary run on a sample of mutated
//! artifacts, to catch what `catch_unwind` cannot — aborts (an allocation failure, a stack
//! overflow), signals, hangs — and the relayer's job body parsed and its proof verified in
//! process.
//!
//! One artifacts directory is made with the binary itself (`compile`, `setup`, `prove` on the
//! bundled MLP). Each case copies it, mutates one file (byte havoc or JSON-/protobuf-aware, the
//! same mutators as the in-process fuzzer) and runs the command that reads it (`verify`,
//! `commit`, `verifier`, `calldata`, `prove`, `compile`) under a virtual memory limit and a
//! timeout. It must exit 0 or 1 — never 101 (a panic), never by a signal — and never print
//! "panicked". `ZKINFER_FUZZ_CLI_SECS` (default 20) bounds the run, `ZKINFER_FUZZ_SEED` seeds it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../../prover/tests/fuzzkit/mutate.rs"]
mod mutate;

use mutate::{havoc, mutate_json, mutate_protobuf, Rng};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Virtual memory of one run (KiB): a runaway allocation fails fast instead of swapping.
const MEMORY_KIB: u64 = 8 << 20;
/// Time one run may take.
const RUN_SECONDS: u64 = 120;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `zkinfer args…` from the repository root under the memory limit and the timeout: the
/// exit code (`None`: killed by a signal or the timeout) and stderr.
fn run_limited(args: &[String]) -> (Option<i32>, String) {
    let bin = env!("CARGO_BIN_EXE_zkinfer");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .current_dir(common::root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run zkinfer");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).ok();
        s
    });
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if t.elapsed() > Duration::from_secs(RUN_SECONDS) {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = reader.join().unwrap_or_default();
    (status.and_then(|s| s.code()), err)
}

fn zk(args: &[&str]) {
    let out = common::zkinfer(args);
    assert!(out.status.success(), "zkinfer {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The commands that read `file` in the artifacts directory `dir`.
fn commands(file: &str, dir: &str) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let input = format!("{dir}/input.json");
    match file {
        "circuit.json" | "setup.json" | "vk.bin" => vec![s(&["verify", "--dir", dir]), s(&["commit", "--dir", dir, "--input", &input]), s(&["verifier", "--dir", dir, "--out", &format!("{dir}/V.sol")])],
        "proof.json" => vec![s(&["verify", "--dir", dir]), s(&["calldata", "--proof", &format!("{dir}/proof.json")])],
        "pk.bin" | "input.json" => vec![s(&["prove", "--dir", dir, "--input", &input, "--out", &format!("{dir}/p2.json")])],
        _ => vec![s(&["compile", &format!("{dir}/model.onnx"), "--dir", &format!("{dir}/out")])],
    }
}

fn mutated(rng: &mut Rng, file: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    match (file.ends_with(".json"), file.ends_with(".onnx"), rng.one_in(3)) {
        (true, _, false) => mutate_json(rng, bytes, &[]),
        (_, true, false) => mutate_protobuf(rng, bytes, &[]),
        _ => {
            let mut b = bytes.to_vec();
            let what = havoc(rng, &mut b, &[]);
            (b, what)
        }
    }
}

/// The relayer's job body: parsed, and its proof verified against the circuit, in process.
fn relayer_cases(rng: &mut Rng, dir: &Path, budget: Duration) -> (u64, Vec<String>) {
    let verifier = zkinfer_relayer::CircuitVerifier::load("c", dir).expect("load the circuit's verifier");
    let proof: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("proof.json")).unwrap()).unwrap();
    let body = serde_json::json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": "1", "proof": proof, "circuit": "c"});
    let body = serde_json::to_vec(&body).unwrap();
    let (t, mut cases, mut failures) = (Instant::now(), 0, Vec::new());
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while t.elapsed() < budget {
        cases += 1;
        let (b, what) = mutate_json(rng, &body, &[]);
        let r = std::panic::catch_unwind(|| {
            if let Ok(job) = zkinfer_relayer::JobRequest::from_json_bytes(&b) {
                let _ = job.to_json();
                let _ = verifier.verify(&job.proof.proof, &job.proof.instances);
            }
        });
        if r.is_err() {
            failures.push(format!("relayer job body case {cases} ({what}): PANIC"));
        }
    }
    std::panic::set_hook(quiet);
    (cases, failures)
}

#[test]
fn fuzz_cli_on_mutated_artifacts_exits_cleanly() {
    let budget = Duration::from_secs(env_u64("ZKINFER_FUZZ_CLI_SECS", 20));
    let seed = env_u64("ZKINFER_FUZZ_SEED", 14);
    let work = tempfile::tempdir().unwrap();
    let base = work.path().join("base");
    let b = base.to_str().unwrap();
    zk(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dot-width", "8", "--dir", b]);
    zk(&["setup", "--dir", b]);
    std::fs::copy(common::root().join("models/mlp_small.input.json"), base.join("input.json")).unwrap();
    zk(&["prove", "--dir", b, "--input", &format!("{b}/input.json")]);
    std::fs::copy(common::root().join("models/mlp_small.onnx"), base.join("model.onnx")).unwrap();
    let files = ["circuit.json", "setup.json", "vk.bin", "pk.bin", "proof.json", "input.json", "model.onnx"];
    let out = common::root().join("target/fuzz/crashes");
    std::fs::create_dir_all(&out).unwrap();
    let mut rng = Rng::new(seed ^ 0xc11);
    let (t, mut runs, mut failures, mut exits) = (Instant::now(), 0u64, Vec::new(), std::collections::BTreeMap::new());
    let mut case = 0u64;
    while t.elapsed() < budget * 3 / 4 {
        case += 1;
        let file = *rng.pick(&files);
        let dir: PathBuf = work.path().join(format!("case{}", case % 2));
        std::fs::remove_dir_all(&dir).ok();
        copy_dir(&base, &dir);
        let (bytes, what) = mutated(&mut rng, file, &std::fs::read(base.join(file)).unwrap());
        std::fs::write(dir.join(file), &bytes).unwrap();
        for args in commands(file, dir.to_str().unwrap()) {
            runs += 1;
            let (code, stderr) = run_limited(&args);
            *exits.entry(format!("{code:?}")).or_insert(0u64) += 1;
            if !matches!(code, Some(0 | 1)) || stderr.contains("panicked") {
                let kept = out.join(format!("cli-seed{seed}-case{case}-{file}"));
                std::fs::write(&kept, &bytes).unwrap();
                failures.push(format!("case {case}: {file} ({what}), zkinfer {args:?}: exit {code:?}\n    {}\n    input: {}", stderr.trim(), kept.display()));
            }
        }
    }
    let (relayer, relayer_failures) = relayer_cases(&mut rng, &base, budget.saturating_sub(t.elapsed()).max(Duration::from_secs(1)));
    failures.extend(relayer_failures);
    let summary = format!(
        "# CLI fuzz: seed {seed}, {case} mutated files, {runs} runs of zkinfer (exit codes {exits:?}), {relayer} relayer job bodies, in {:.1} s: {} failures\n",
        t.elapsed().as_secs_f64(),
        failures.len()
    );
    std::fs::write(common::root().join(format!("target/fuzz/summary-cli-seed{seed}.md")), format!("{summary}\n{}\n", failures.join("\n"))).unwrap();
    eprintln!("{summary}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
