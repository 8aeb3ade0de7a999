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
