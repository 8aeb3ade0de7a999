//! Issue 4's tamper suite on every bundled model: `zkinfer bench` deploys the model's generated
//! verifier on anvil, and each of 64 single-byte proof flips, every perturbed instance, truncated
//! and extended calldata, and a valid proof of another circuit of the same shape must be rejected
//! on-chain, with the native halo2 verifier agreeing on every case.

#![allow(clippy::unwrap_used)]

mod common;

use common::{root, zkinfer};

#[test]
fn tamper_suite_rejects_every_case_on_every_bundled_model() {
    let mut models: Vec<String> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".input.json").map(str::to_string))
        .collect();
    models.sort();
    assert!(models.len() >= 8, "the benchmark suite: {models:?}");
    for name in &models {
        let dir = tempfile::tempdir().unwrap();
        let model = format!("models/{name}.onnx");
        let input = format!("models/{name}.input.json");
        let out = zkinfer(&["bench", &model, "--input", &input, "--json", "--dir", dir.path().to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: bench failed: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["verified_onchain"], true, "{name}");
        let t = &v["tamper"];
        let instances = v["num_instances"].as_u64().unwrap();
        let cases = t["cases"].as_u64().unwrap();
        assert!(t["byte_flips"].as_u64().unwrap() >= 64, "{name}: {t}");
        assert_eq!(t["instances_perturbed"].as_u64().unwrap(), instances, "{name}: every instance perturbed");
        assert_eq!(cases, 64 + instances + 6, "{name}: {t}");
        assert_eq!(t["rejected_onchain"].as_u64().unwrap(), cases, "{name}: {t}");
        assert_eq!(t["rejected_natively"], t["native_cases"], "{name}: {t}");
        assert!(t["failures"].as_array().unwrap().is_empty(), "{name}: {t}");
        // EIP-170 / EIP-3860 limits.
        assert!(v["verifier_runtime_bytes"].as_u64().unwrap() <= 24_576, "{name}: runtime code");
        assert!(v["verifier_initcode_bytes"].as_u64().unwrap() <= 49_152, "{name}: initcode");
    }
}

/// Issue 15: a tampered proof says which check failed, the most specific first (the circuit id,
/// the instance count, what an instance must be, every point and scalar of the proof, the
/// pairing, and only then the inversion hint), on real proofs. Before, every case was blamed on
/// the inversion hint.
#[test]
fn regression_tampered_proof_messages_name_the_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let ok = |args: &[&str]| {
        let o = zkinfer(args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    // Two circuits: the bundled MLP, and the same model at another dot width (other keys).
    for (d, width) in [(a, "2"), (b, "4")] {
        ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dot-width", width, "--dir", d]);
        ok(&["setup", "--dir", d]);
        ok(&["prove", "--input", "models/mlp_small.input.json", "--dir", d]);
    }
    let read = |d: &str| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(format!("{d}/proof.json")).unwrap()).unwrap() };
    let (pa, pb) = (read(a), read(b));
    let (ida, idb) = (pa["circuit_id"].as_str().unwrap(), pb["circuit_id"].as_str().unwrap());
    assert_ne!(ida, idb, "two circuits");
    let verify = |name: &str, p: &serde_json::Value| -> String {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, p.to_string()).unwrap();
        let o = zkinfer(&["verify", "--dir", a, "--proof", path.to_str().unwrap()]);
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success(), "{name}: a tampered proof verified: {}", String::from_utf8_lossy(&o.stdout));
        assert!(!e.contains("panicked"), "{name}: {e}");
        e
    };
    let with_proof_hex = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = pa.clone();
        let mut bytes = hex::decode(p["proof"].as_str().unwrap().trim_start_matches("0x")).unwrap();
        f(&mut bytes);
        p["proof"] = format!("0x{}", hex::encode(&bytes)).into();
        p
    };
    let len = hex::decode(pa["proof"].as_str().unwrap().trim_start_matches("0x")).unwrap().len();

    // A flipped byte in the first commitment: a point off the curve, named with its offset.
    let e = verify("point", &with_proof_hex(&|b| b[10] ^= 0x01));
    assert!(e.contains("advice commitment 0 (proof bytes 0..64) is not a point on the curve"), "{e}");
    // A changed output instance: named by index and meaning (the file's own record differs).
    let mut p = pa.clone();
    p["instances"][5] = format!("0x{:064x}", 7).into();
    let e = verify("instance", &p);
    assert!(e.contains("instance 5 (output 2) does not match"), "{e}");
    // Instance 0 (and the file's model_commitment with it): not the model the key pins.
    let mut p = pa.clone();
    let other = format!("0x{:064x}", 5);
    p["instances"][0] = other.clone().into();
    p["model_commitment"] = other.into();
    let e = verify("model", &p);
    assert!(e.contains("instance 0 (the model commitment) does not match") && e.contains(pa["model_commitment"].as_str().unwrap()), "{e}");
    // One instance too few.
    let mut p = pa.clone();
    p["instances"].as_array_mut().unwrap().pop();
    p["outputs"].as_array_mut().unwrap().pop();
    p["outputs_fixed"].as_array_mut().unwrap().pop();
    let e = verify("count", &p);
    assert!(e.contains("5 public instances, but the circuit takes 6"), "{e}");
    // Another circuit's proof: both circuit ids named.
    let e = verify("other-circuit", &pb);
    assert!(e.contains("a proof for another circuit") && e.contains(ida) && e.contains(idb), "{e}");
    // A changed evaluation (still a canonical scalar): the pairing fails.
    let e = verify("evaluation", &with_proof_hex(&|b| b[len - 32 - 128 - 32 * 5 + 31] ^= 0x01));
    assert!(e.contains("the pairing check failed: the proof is not valid for these public instances"), "{e}");
    // Only the hint changed: the hint is named, and the rest is said to verify.
    let e = verify("hint", &with_proof_hex(&|b| b[len - 1] ^= 0x01));
    assert!(e.contains("inversion hint") && e.contains("the rest of the proof verifies"), "{e}");
}
