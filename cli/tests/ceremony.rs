//! The production SRS path end to end: a real snarkjs ceremony (power 10, two contributions) →
//! `zkinfer setup --srs FILE.ptau` → prove → verify natively and in a transaction on anvil
//! against the deployed generated verifier; damaged ceremony files are refused by `setup` with an
//! error naming the file and the problem.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../prover/tests/common/ceremony.rs"]
mod ceremony;

use common::zkinfer;
use std::path::Path;

fn ok(args: &[&str]) -> (String, String) {
    let o = zkinfer(args);
    let (out, err) = (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string());
    assert!(o.status.success(), "{args:?}: {err}");
    (out, err)
}

/// `zkinfer args…` fails cleanly (exit code 1, not a panic's 101); returns stderr.
fn fails(args: &[&str]) -> String {
    let o = zkinfer(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{args:?} must fail with an error, not succeed or panic: {err}");
    err
}

fn compiled_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", dir.path().to_str().unwrap()]);
    dir
}

fn setup_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("setup.json")).unwrap()).unwrap()
}

#[test]
fn ceremony_ptau_setup_proves_and_verifies_on_chain() {
    let dir = compiled_dir();
    let d = dir.path().to_str().unwrap();
    // A copy: the test later swaps it for another ceremony's file.
    let ptau = dir.path().join("pot10.ptau");
    std::fs::copy(&ceremony::ceremony(10, 2)[2], &ptau).unwrap();
    let (_, err) = ok(&["setup", "--dir", d, "--srs", ptau.to_str().unwrap()]);
    assert!(err.contains("snarkjs .ptau, power 10, 2 contributions, used at k = 9; checks passed"), "{err}");
    assert!(!err.contains("UNSAFE"), "{err}");
    let s = setup_json(dir.path());
    assert_eq!(s["version"], 4);
    assert_eq!(s["srs"]["kind"], "file");
    assert_eq!(s["srs"]["path"], std::fs::canonicalize(&ptau).unwrap().to_str().unwrap());
    let info = &s["srs_info"];
    assert_eq!((info["format"].as_str(), info["file_power"].as_u64(), info["k"].as_u64()), (Some("ptau"), Some(10), Some(9)), "{s}");
    assert_eq!((info["contributions"].as_u64(), info["dev"].as_bool()), (Some(2), Some(false)), "{s}");
    assert!(s.get("warning").is_none(), "no dev warning: {s}");
    assert!(info["points_keccak256"].as_str().unwrap().starts_with("0x"));
    if let Ok(o) = std::process::Command::new("b2sum").arg(&ptau).output() {
        let b2 = String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap_or_default().to_string();
        assert_eq!(info["file_blake2b512"].as_str().unwrap(), b2, "setup.json's digest is what b2sum prints");
    }
    ok(&["prove", "--input", "models/mlp_small.input.json", "--dir", d]);
    ok(&["verify", "--dir", d]);

    // On chain: the generated verifier of the ceremony keys, deployed on anvil, accepts the proof
    // in a real transaction.
    let anvil = zkinfer_relayer::LocalChain::start().unwrap();
    let (verifier, calldata) = common::deploy_verifier(&anvil, d);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tx = rt.block_on(anvil.chain().send(verifier, calldata.clone(), alloy::primitives::U256::ZERO)).unwrap();
    assert!(tx.status, "verifyProof transaction reverted: {:?}", tx.revert_reason);
    let call = rt.block_on(anvil.chain().call(verifier, calldata)).unwrap();
    assert!(call.success && call.output.last() == Some(&1), "verifyProof returns true: {call:?}");

    // The SRS file swapped for another ceremony's (a valid file with other points): later
    // commands refuse it instead of producing proofs that do not verify.
    std::fs::copy(&ceremony::ceremony(10, 2)[1], &ptau).unwrap();
    let err = fails(&["verify", "--dir", d]);
    assert!(err.contains("pot10.ptau") && err.contains("points_keccak256") && err.contains("changed since `zkinfer setup`"), "{err}");
    let err = fails(&["prove", "--input", "models/mlp_small.input.json", "--dir", d]);
    assert!(err.contains("pot10.ptau") && err.contains("changed since"), "{err}");
}

#[test]
fn setup_refuses_bad_ceremony_files_naming_the_file_and_the_problem() {
    let dir = compiled_dir();
    let d = dir.path().to_str().unwrap();
    let chain = ceremony::ceremony(10, 2);
    let good = std::fs::read(&chain[2]).unwrap();
    let (g1, _) = ceremony::section(&good, 2);
    let (g2, g2_len) = ceremony::section(&good, 3);
    let other = std::fs::read(&chain[1]).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut corrupted = good.clone();
    corrupted[g1 + 3 * 64 + 40] ^= 0x01;
    let mut spliced = good.clone();
    spliced[g2..g2 + g2_len].copy_from_slice(&other[g2..g2 + g2_len]);
    let small = ceremony::ceremony(8, 1).pop().unwrap();
    let cases = [
        (write("corrupted.ptau", &corrupted), "tauG1[3]: not a point on the BN254 G1 curve"),
        (write("truncated.ptau", &good[..good.len() / 2]), "section 3 (tauG2): declares 131072 bytes at offset 131100, but only"),
        (small.clone(), "the SRS holds 2^8 powers of tau (power 8, i.e. up to k = 8), the circuit needs 2^9 (k = 9)"),
        (write("spliced.ptau", &spliced), "tauG1[1] and tauG2[1] hold different taus"),
        (write("renamed.ptau", b"not a ceremony at all, just text"), "does not start with the snarkjs magic 'ptau'"),
    ];
    for (file, expect) in &cases {
        let err = fails(&["setup", "--dir", d, "--srs", file.to_str().unwrap()]);
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        assert!(!dir.path().join("pk.bin").exists(), "{name}: no keys written");
    }
}
