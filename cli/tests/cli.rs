//! The `zkinfer` binary end to end: the demo (real proof, real solc, real anvil), the command
//! pipeline step by step, and error messages that name the problem.

#![allow(clippy::unwrap_used)]

mod common;

use common::{root, zkinfer};
use std::process::Command;

#[test]
fn demo_json_pays_the_inference_and_the_bounty_and_rejects_the_tampered_proof() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkinfer(&["demo", "--json", "--dir", dir.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(v["verified_onchain"], true);
    assert_eq!(v["tampered_rejected"], true);
    assert_eq!(v["second_claim_rejected"], true);
    assert_eq!(v["copied_claim_rejected"], true, "the proof is bound to the hunter");
    assert_eq!(v["reward_paid_wei"], "1000000000000000000", "the paid inference's fee released to the host");
    assert_eq!(v["outputs_onchain"], true, "the escrow stored the proven outputs");
    // The accuracy bounty: the hunter's private model (12 of 16 right) is paid, the baseline
    // (6 of 16) is refused by the threshold.
    let b = &v["bounty"];
    assert_eq!(b["samples"], 16);
    assert_eq!(b["hunter_correct"], 12, "{b}");
    assert_eq!(b["paid_wei"], "1000000000000000000", "{b}");
    assert_eq!(b["weak_correct"], 6, "{b}");
    // The claims go through the hunter's relayer: the baseline's would revert, so it sends nothing.
    assert!(b["weak_rejected"].as_str().unwrap().contains("BelowThreshold(6, 12)"), "{b}");
    assert_eq!(v["relayer_refused_tampered"], true, "the host's relayer verifies natively before sending");
    // The default: a hashed input, so the instances are the model, the binding, one input
    // commitment and the 3 outputs.
    assert_eq!(v["visibility"], "weights=fixed,input=hashed,output=public");
    assert_eq!(v["num_instances"], 6);
    assert!(v["commitment_rows"].as_u64().unwrap() > 0);
    let gas = v["verify_gas"].as_u64().unwrap();
    assert!(gas > 100_000);
    // Issue 4's budget for the bundled model, and the layout choice's prediction of it.
    assert!(gas <= 350_000, "verify gas {gas} over the 350k budget");
    let predicted = v["predicted_verify_gas"].as_u64().unwrap();
    assert!(predicted.abs_diff(gas) * 20 <= gas, "predicted verify gas {predicted} vs measured {gas}: more than 5% apart");
    // A negative output (fixed point -> field element r - |v|) is an instance both sides agree on.
    assert!(v["outputs"].as_array().unwrap().iter().any(|o| o.as_f64().unwrap() < 0.0), "the bundled input gives a negative output: {}", v["outputs"]);
    let parts = &v["verify_gas_breakdown"];
    let sum: u64 = ["tx_base", "calldata", "ec_mul", "ec_add", "pairing", "execution"].iter().map(|k| parts[k].as_u64().unwrap()).sum();
    assert_eq!(sum, gas, "the breakdown adds up: {parts}");
    assert!(v["proof_bytes"].as_u64().unwrap() > 0);
    assert_eq!(v["argmax_match"], true);
    assert!(v["max_abs_err"].as_f64().unwrap() < 0.05);
    assert!(stderr.contains("UNSAFE"), "the dev SRS must be labelled unsafe: {stderr}");
    eprintln!("demo JSON: {v}");
}

#[test]
fn step_by_step_pipeline_and_calldata() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let ok = |args: &[&str]| {
        let o = zkinfer(args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", d]);
    ok(&["setup", "--dir", d]);
    // ezkl's input format is accepted.
    ok(&["prove", "--input", "models/mlp_small.input-1.json", "--dir", d]);
    ok(&["verify", "--dir", d]);
    let sol = ok(&["verifier", "--dir", d, "--compile"]);
    assert!(sol.contains("runtime bytecode"), "{sol}");
    let calldata = ok(&["calldata", "--proof", &format!("{d}/proof.json")]);
    assert!(calldata.trim().starts_with("0x"));
    // A hashed input's commitment: `commit` computes off-chain what the proof exposes.
    // Bound to a claimant and request 7 of the contract 0x…E5C00 on chain 31337.
    let bind = ["--bind-to", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8:7", "--chain-id", "31337", "--contract", "0x00000000000000000000000000000000000E5C00"];
    ok(&[&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--salt", "0x1234"][..], &bind].concat());
    let proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("proof.json")).unwrap()).unwrap();
    let opening: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("proof.opening.json")).unwrap()).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&ok(&["commit", "--input", "models/mlp_small.input.json", "--dir", d, "--salt", "0x1234", "--json"])).unwrap();
    assert_eq!(committed["input"]["commitment"], proof["input_commitment"]);
    assert_eq!(committed["input"]["commitment"], proof["instances"][2]);
    assert_eq!(committed["output"], serde_json::Value::Null, "the output is public");
    assert_eq!(opening, committed, "the opening written by prove is what commit computes");
    assert_eq!(opening["salt"], format!("0x{:0>64}", "1234"));
    assert!(!proof.to_string().contains(opening["salt"].as_str().unwrap()), "the salt is not in the proof");
    // The model commitment, recomputed from the ONNX file; another model's does not match.
    let o = zkinfer(&["commit", "--input", "models/mlp_small.input.json", "--dir", d, "--model", "models/mlp_small.onnx"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(proof["model_commitment"].as_str().unwrap()) && text.contains("verifying key"), "{text}");
    let o = zkinfer(&["commit", "--input", "models/mlp_small.input.json", "--dir", d, "--model", "models/tabular_small.onnx"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("is not the circuit's"), "{}", String::from_utf8_lossy(&o.stderr));
    let unsalted: serde_json::Value = serde_json::from_str(&ok(&["commit", "--input", "models/mlp_small.input.json", "--dir", d, "--json"])).unwrap();
    assert_ne!(unsalted["input"]["commitment"], committed["input"]["commitment"]);
    // keccak256(abi.encode(31337, 0x…E5C00, 0x7099…79C8, 7)) mod r (`cast keccak $(cast
    // abi-encode 'f(uint256,address,address,uint256)' …)`): what bindingOf computes there.
    assert_eq!(proof["binding"], "0x1fd447188c5f60faa24841151f193f33086ead6fa22bd88340594e4dccb40c72");
    ok(&["verify", "--dir", d]);
    // A tampered proof file fails native verification with a clear message.
    let proof_path = dir.path().join("proof.json");
    let mut p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof_path).unwrap()).unwrap();
    let hexs = p["proof"].as_str().unwrap().to_string();
    let flipped = if &hexs[100..101] == "0" { "1" } else { "0" };
    p["proof"] = serde_json::Value::String(format!("{}{}{}", &hexs[..100], flipped, &hexs[101..]));
    std::fs::write(&proof_path, p.to_string()).unwrap();
    let o = zkinfer(&["verify", "--dir", d]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not verify"));
}

#[test]
fn hashed_weights_one_key_proves_two_models_and_commit_names_each() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let ok = |args: &[&str]| {
        let o = zkinfer(args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let json = |path: &str| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() };
    let compiled = ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--visibility", "weights=hashed", "--dir", d]);
    assert!(compiled.contains("hashed weights: 307 weights and biases"), "{compiled}");
    ok(&["setup", "--dir", d]);
    let (a, b) = (format!("{d}/a.json"), format!("{d}/b.json"));
    ok(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--weight-salt", "0xa", "--out", &a]);
    ok(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--model", "models/mlp_small_b.onnx", "--weight-salt", "0xb", "--out", &b]);
    ok(&["verify", "--dir", d, "--proof", &a]);
    ok(&["verify", "--dir", d, "--proof", &b]);
    let (pa, pb) = (json(&a), json(&b));
    assert_ne!(pa["instances"][0], pb["instances"][0], "two weight sets, two commitments");
    assert_ne!(pa["outputs"], pb["outputs"], "two weight sets, two answers");
    // `commit` computes each weight set's commitment off-chain; the opening file records it.
    let cb: serde_json::Value = serde_json::from_str(&ok(&["commit", "--dir", d, "--model", "models/mlp_small_b.onnx", "--weight-salt", "0xb", "--json"])).unwrap();
    assert_eq!(cb["weights"]["commitment"], pb["instances"][0]);
    assert_eq!(json(&format!("{d}/b.opening.json"))["weights"], cb["weights"]);
    let ca: serde_json::Value = serde_json::from_str(&ok(&["commit", "--dir", d, "--weight-salt", "0xa", "--json"])).unwrap();
    assert_eq!(ca["weights"]["commitment"], pa["instances"][0]);
    // Another architecture is refused, naming the difference; so is --model with fixed weights.
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--model", "models/tabular_small.onnx"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("tabular_small.onnx: does not have the circuit's architecture (the circuit takes 8 inputs"), "{e}");
    let fixed = tempfile::tempdir().unwrap();
    let f = fixed.path().to_str().unwrap();
    ok(&["compile", "models/mlp_small.onnx", "--dir", f]);
    let o = zkinfer(&["commit", "--dir", f, "--model", "models/mlp_small_b.onnx", "--weight-salt", "0xb"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("is not the circuit's"), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&["setup", "--dir", f]);
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", f, "--model", "models/mlp_small_b.onnx"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("weights are fixed") && e.contains("weights=hashed"), "{e}");
}

#[test]
fn unsupported_op_error_names_node_op_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = zkinfer(&["compile", "models/unsupported_det.onnx", "--dir", dir.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("odd_activation") && e.contains("Det") && e.contains("unsupported_det.onnx"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn bad_inputs_get_clear_errors_before_proving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(zkinfer(&["compile", "models/mlp_small.onnx", "--dir", d]).status.success());
    // No keys yet: says what to run.
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", d]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("zkinfer setup"));
    assert!(zkinfer(&["setup", "--dir", d]).status.success());
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let short = write("short.json", r#"{"input": [1, 2]}"#);
    let o = zkinfer(&["prove", "--input", &short, "--dir", d]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("takes 8 values, the input has 2"));
    // Far outside the calibrated range: rejected before proving, naming the layer.
    let huge = write("huge.json", r#"{"input": [900, 900, 900, 900, 900, 900, 900, 900]}"#);
    let o = zkinfer(&["prove", "--input", &huge, "--dir", d]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("out of range in layer"), "{e}");
    assert!(!e.contains("[1/3]"), "range errors must come before any proving step: {e}");
    let o = zkinfer(&["compile", "models/mlp_small.onnx", "--dir", d, "--visibility", "input=secret"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown visibility 'secret'"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--bind-to", "0x12:1"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("20 bytes"), "{}", String::from_utf8_lossy(&o.stderr));
    // A binding names the contract and the chain that pay it: each missing part names its flag.
    let claimant = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8:1";
    for (extra, flag) in [
        (vec![], "--contract 0xADDRESS"),
        (vec!["--contract", "0x00000000000000000000000000000000000E5C00"], "--chain-id N"),
        (vec!["--contract", "escrow", "--chain-id", "1"], "--deployment"),
        (vec!["--contract", "0x12", "--chain-id", "1"], "20 bytes"),
    ] {
        let o = zkinfer(&[&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--bind-to", claimant][..], &extra].concat());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && e.contains(flag), "{extra:?}: {e}");
        assert!(!e.contains("[1/3]"), "binding errors come before any proving step: {e}");
    }
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--chain-id", "1"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("--bind-to"), "{e}");
    let missing = zkinfer(&["compile", "models/nope.onnx", "--dir", d]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.onnx: cannot load ONNX model: file not found"));
}

#[test]
fn conformance_list_is_current() {
    let o = zkinfer(&["ops", "--markdown"]);
    let committed = std::fs::read_to_string(root().join("docs/ops.md")).unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&o.stdout), committed, "docs/ops.md is stale: zkinfer ops --markdown > docs/ops.md");
}

#[test]
fn deploy_to_an_rpc_url_puts_the_contract_set_on_chain_and_registers_the_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", d],
        vec!["setup", "--dir", d],
    ] {
        assert!(zkinfer(&args).status.success());
    }
    let anvil = zkinfer_relayer::LocalChain::start().unwrap();
    let url = anvil.endpoint();
    // Without the key variable: a clear error naming it.
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["deploy", "--json", "--rpc-url", &url, "--dir", d])
        .env_remove("ZKINFER_PRIVATE_KEY")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("ZKINFER_PRIVATE_KEY"));
    // anvil's first well-known development key.
    let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["deploy", "--json", "--rpc-url", &url, "--dir", d])
        .env("ZKINFER_PRIVATE_KEY", key)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for field in ["verifier", "registry", "inference_escrow", "model_bounty"] {
        let addr: alloy::primitives::Address = v[field].as_str().unwrap().parse().unwrap();
        let code = rt.block_on(anvil.code(addr)).unwrap();
        assert!(!code.is_empty(), "no code at the deployed {field}");
    }
    // The verifier is registered under its circuit id.
    alloy::sol! { function verifierOf(uint256 circuitId) external view returns (address); }
    use alloy::sol_types::SolCall;
    let registry: alloy::primitives::Address = v["registry"].as_str().unwrap().parse().unwrap();
    let id: alloy::primitives::U256 = v["circuit_id"].as_str().unwrap().parse().unwrap();
    let out = rt.block_on(anvil.chain().call(registry, verifierOfCall { circuitId: id }.abi_encode().into())).unwrap();
    let registered = verifierOfCall::abi_decode_returns(&out.output).unwrap();
    assert_eq!(registered.to_string(), v["verifier"].as_str().unwrap());
    // A local chain: the registry accepts the development SRS; deployment.json is what was printed.
    assert_eq!((v["chain_id"].as_u64(), v["dev_srs"].as_bool(), v["registry_accepts_dev_srs"].as_bool()), (Some(31337), Some(true), Some(true)));
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("deployment.json")).unwrap()).unwrap();
    assert_eq!(file, v);
    // A proof bound through the deployment file carries what the deployed escrow's bindingOf
    // computes for its host and request (Rust and Solidity agree, on a real chain).
    let host = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    let deployment = format!("{d}/deployment.json");
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--bind-to", &format!("{host}:3"), "--deployment", &deployment]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("proof.json")).unwrap()).unwrap();
    alloy::sol! { function bindingOf(address claimant, uint256 id) external view returns (uint256); }
    let escrow: alloy::primitives::Address = v["inference_escrow"].as_str().unwrap().parse().unwrap();
    let call = bindingOfCall { claimant: host.parse().unwrap(), id: alloy::primitives::U256::from(3) };
    let out = rt.block_on(anvil.chain().call(escrow, call.abi_encode().into())).unwrap();
    let onchain = bindingOfCall::abi_decode_returns(&out.output).unwrap();
    assert_eq!(proof["binding"], format!("0x{}", hex::encode(onchain.to_be_bytes::<32>())), "the escrow's bindingOf");
    // --chain-id contradicting the deployment file is refused.
    let o = zkinfer(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--bind-to", &format!("{host}:3"), "--deployment", &deployment, "--chain-id", "1"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--chain-id 1 contradicts --deployment"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Issue 14, item 2: `--accuracy-samples` refuses a hashed (or private) count, naming the
/// visibility, and `--visibility` naming one group keeps the accuracy circuit's defaults for the
/// others (weights and test set hashed), which `compile` prints.
#[test]
fn accuracy_compile_refuses_a_hashed_count_and_keeps_the_bounty_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let base = ["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--accuracy-samples", "4", "--dir", d];
    for output in ["hashed", "private"] {
        let o = zkinfer(&[&base[..], &["--visibility", &format!("output={output}")]].concat());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "output={output} compiled");
        assert!(e.contains("--visibility") && e.contains(&format!("output visibility '{output}' is not allowed in an accuracy circuit")), "{e}");
    }
    let o = zkinfer(&[&base[..], &["--visibility", "input=public"]].concat());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("visibility: weights=hashed,input=public,output=public (input named by --visibility, the rest the accuracy circuit defaults)"), "{out}");
    let circuit: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("circuit.json")).unwrap()).unwrap();
    assert_eq!(circuit["plan"]["shape"]["visibility"]["weights"], "hashed", "the hunter's weights stay private");
    let o = zkinfer(&base);
    assert!(String::from_utf8_lossy(&o.stdout).contains("visibility: weights=hashed,input=hashed,output=public (the accuracy circuit defaults)"));
}

/// Issue 14, item 4: keys made with the development SRS (from the cache, or its cache file passed
/// as `--srs`) do not deploy to a chain that is not a local development chain unless
/// `--allow-unsafe-srs`, and nothing is sent; keys from another SRS deploy there, to a registry
/// that refuses development-SRS verifiers.
#[test]
fn deploy_refuses_dev_srs_keys_on_a_non_local_chain() {
    let anvil = alloy::node_bindings::Anvil::at(zkinfer_relayer::locate(zkinfer_relayer::Tool::Anvil).unwrap()).args(["--chain-id", "11155111"]).spawn();
    let url = anvil.endpoint();
    let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let srs_dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(args).env("ZKINFER_PRIVATE_KEY", key).env("ZKINFER_SRS_DIR", srs_dir.path()).current_dir(root()).output().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(run(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", d]).status.success());
    let k: u32 = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.path().join("circuit.json")).unwrap()).unwrap()["plan"]["k"].as_u64().unwrap() as u32;
    let chain = zkinfer_relayer::Chain::connect(&url, key).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let nonce = || {
        use alloy::providers::Provider;
        rt.block_on(async { chain.provider().get_transaction_count(chain.address()).await }).unwrap()
    };
    let dev_file = srs_dir.path().join(format!("dev-srs-k{k}.UNSAFE.srs"));
    for setup in [vec!["setup", "--dir", d], vec!["setup", "--dir", d, "--srs", dev_file.to_str().unwrap()]] {
        assert!(run(&setup).status.success(), "{setup:?}");
        let o = run(&["deploy", "--json", "--rpc-url", &url, "--dir", d]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && e.contains("--allow-unsafe-srs") && e.contains("chain 11155111 is not a local development chain"), "{setup:?}: {e}");
        assert_eq!(nonce(), 0, "{setup:?}: nothing may be sent before the refusal");
    }
    let o = run(&["deploy", "--json", "--rpc-url", &url, "--dir", d, "--allow-unsafe-srs"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["chain_id"].as_u64(), v["dev_srs"].as_bool(), v["registry_accepts_dev_srs"].as_bool()), (Some(11155111), Some(true), Some(true)));

    // Another SRS (a stand-in for a ceremony's): deploys without the flag, to a strict registry.
    let ceremony = dir.path().join("ceremony.srs");
    {
        use halo2_proofs::poly::commitment::Params;
        use rand::SeedableRng;
        let params = halo2_proofs::poly::kzg::commitment::ParamsKZG::<halo2_proofs::halo2curves::bn256::Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(99));
        params.write(&mut std::fs::File::create(&ceremony).unwrap()).unwrap();
    }
    assert!(run(&["setup", "--dir", d, "--srs", ceremony.to_str().unwrap()]).status.success());
    // regression_deploy_printed_json_by_default: a summary, JSON only with --json.
    let o = run(&["deploy", "--rpc-url", &url, "--dir", d]);
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && summary.starts_with("deployed on chain 11155111") && summary.contains("circuit id 0x"), "{summary}");
    assert!(serde_json::from_str::<serde_json::Value>(&summary).is_err(), "{summary}");
    let o = run(&["deploy", "--json", "--rpc-url", &url, "--dir", d]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["dev_srs"].as_bool(), v["registry_accepts_dev_srs"].as_bool()), (Some(false), Some(false)), "{v}");
    assert_ne!(v["srs_digest"], format!("0x{}", hex::encode(zkinfer_verifier_gen::DEV_SRS_DIGEST)));
}

/// `zkinfer audit` on a compiled transformer (products, tables, a hashed input): sound, with its
/// counts; a circuit.json that is not there is named.
#[test]
fn audit_reports_every_cell_a_gate_reads_as_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let model = root().join("models/transformer_block.onnx");
    let input = root().join("models/transformer_block.input.json");
    let out = zkinfer(&["compile", model.to_str().unwrap(), "--calibrate", input.to_str().unwrap(), "--scale-bits", "8", "--dot-width", "4", "--dir", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = zkinfer(&["audit", "--json", "--dir", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sound"], true, "{v}");
    assert_eq!(v["free"].as_array().unwrap().len(), 0);
    assert!(v["decomposition"].as_u64().unwrap() > 0 && v["function"].as_u64().unwrap() > 0, "rescales and tables were audited: {v}");
    let missing = zkinfer(&["audit", "--dir", dir.path().join("nowhere").to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("circuit.json"));
}

/// Issue 15, bug 1: `verify` prints outputs decoded from the verified instances; a proof file
/// whose `outputs` were edited (instances untouched) is refused, naming the field (before, it
/// printed `verifies (outputs [9.0, 9.0, 9.0])`).
#[test]
fn regression_verify_prints_only_outputs_decoded_from_verified_instances() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", d],
        vec!["setup", "--dir", d],
        vec!["prove", "--input", "models/mlp_small.input.json", "--dir", d],
    ] {
        let o = zkinfer(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let path = dir.path().join("proof.json");
    let honest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The outputs the instances carry (instances 3..6; negative values are r - |v|).
    let signed = |h: &str| -> i64 {
        let f = zkinfer_prover::artifact::fr_from_hex(h).unwrap();
        let small = |x: &halo2_proofs::halo2curves::bn256::Fr| {
            let b = zkinfer_verifier_gen::encode_scalar(x);
            b[..24].iter().all(|v| *v == 0).then(|| i64::from_be_bytes(b[24..].try_into().unwrap()))
        };
        small(&f).or_else(|| small(&-f).map(|v| -v)).unwrap()
    };
    let decoded: Vec<f64> = honest["instances"].as_array().unwrap()[3..6].iter().map(|h| signed(h.as_str().unwrap()) as f64 / 256.0).collect();
    let o = zkinfer(&["verify", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains(&format!("outputs {decoded:?} (public instances 3..6)")), "{out}");
    let mut edited = honest.clone();
    edited["outputs"] = serde_json::json!([9, 9, 9]);
    std::fs::write(&path, edited.to_string()).unwrap();
    let o = zkinfer(&["verify", "--dir", d]);
    let (out, e) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success(), "an edited proof file verified: {out}");
    assert!(e.contains("field 'outputs'") && e.contains("refused"), "{e}");
    assert!(!out.contains("9.0"), "{out}");
    // The fixed-point copy too.
    let mut edited = honest.clone();
    edited["outputs_fixed"][0] = serde_json::json!(9);
    std::fs::write(&path, edited.to_string()).unwrap();
    let e = String::from_utf8_lossy(&zkinfer(&["verify", "--dir", d]).stderr).to_string();
    assert!(e.contains("field 'outputs_fixed[0]'"), "{e}");
}

/// Issue 15, bug 1, hashed output: the values come from the opening only once it hashes to the
/// verified output commitment; an edited opening is refused; without one, the commitment.
#[test]
fn regression_hashed_output_values_come_from_a_checked_opening() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--visibility", "output=hashed", "--dir", d],
        vec!["setup", "--dir", d],
        vec!["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--salt", "0x77"],
    ] {
        let o = zkinfer(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let opening_path = dir.path().join("proof.opening.json");
    let opening: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&opening_path).unwrap()).unwrap();
    // regression_hashed_output_values_leaked_into_proof_json: the proof file (what a relayer or
    // a requester is given) carries no value of the hidden output.
    let proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("proof.json")).unwrap()).unwrap();
    assert_eq!((proof["outputs"].as_array().map(Vec::len), proof["outputs_fixed"].as_array().map(Vec::len)), (Some(0), Some(0)), "{proof}");
    let values: Vec<f64> = opening["output"]["values_fixed"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as f64 / 256.0).collect();
    let commitment = opening["output"]["commitment"].as_str().unwrap();
    let o = zkinfer(&["verify", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains(&format!("outputs {values:?} (from the opening, which hashes to the output commitment {commitment}")), "{out}");
    // An edited opening: refused, naming the field.
    let mut edited = opening.clone();
    edited["output"]["values_fixed"][0] = serde_json::json!(opening["output"]["values_fixed"][0].as_i64().unwrap() + 1);
    std::fs::write(&opening_path, edited.to_string()).unwrap();
    let o = zkinfer(&["verify", "--dir", d]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "an edited opening was shown: {}", String::from_utf8_lossy(&o.stdout));
    assert!(e.contains("proof.opening.json: field 'output.values_fixed'") && e.contains("not the proven output"), "{e}");
    // No opening: the output is hashed, its commitment shown.
    std::fs::remove_file(&opening_path).unwrap();
    let o = zkinfer(&["verify", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains(&format!("output hashed: commitment {commitment}")), "{out}");
}

/// Issue 15: a missing artifact names the directory searched (absolute), prints the OS error
/// once, gives the `--dir` hint only for the default directory and `compile` advice only when
/// there is no circuit.json there.
#[test]
fn regression_missing_files_name_the_directory_searched() {
    let cwd = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(args).current_dir(cwd.path()).output().unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let default = std::path::absolute(cwd.path().join("zkinfer-out")).unwrap();
    let e = run(&["verify"]);
    assert!(e.contains(&format!("no circuit.json in {}", default.display())), "{e}");
    assert_eq!(e.matches("os error 2").count(), 1, "{e}");
    assert!(e.contains("pass --dir DIR") && e.contains("zkinfer compile"), "{e}");
    // Another directory, named: no --dir hint.
    let e = run(&["prove", "--input", "x.json", "--dir", "elsewhere"]);
    assert!(e.contains(&format!("no circuit.json in {}", cwd.path().join("elsewhere").display())) && !e.contains("pass --dir DIR"), "{e}");
    // Compiled into the default directory, no keys: setup advice, no compile advice.
    let model = root().join("models/mlp_small.onnx");
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(["compile", model.to_str().unwrap()]).current_dir(cwd.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e = run(&["verify"]);
    assert!(e.contains(&format!("no setup.json in {}", default.display())) && e.contains("zkinfer setup") && !e.contains("zkinfer compile"), "{e}");
    assert_eq!(e.matches("os error 2").count(), 1, "{e}");
}

/// Issue 15: a closed stdout (`zkinfer ops | head -1`) is a normal exit: status 0, no message.
#[test]
fn regression_closed_stdout_is_a_normal_exit() {
    for args in [vec!["ops"], vec!["ops", "--markdown"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(&args).stdout(writer).stderr(std::process::Stdio::piped()).output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{args:?}: {:?}: {e}", o.status);
        assert!(e.is_empty(), "{args:?}: {e}");
    }
}

/// A model tract cannot run (here a negative-step Slice after a Reshape) still compiles, proves
/// and verifies: the compile report and `prove` say there is no float reference, and why, instead
/// of failing the command.
#[test]
fn regression_a_model_tract_cannot_run_still_compiles_and_proves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let input = "models/ops/slice_reverse.input.json";
    let o = zkinfer(&["compile", "models/ops/slice_reverse.onnx", "--calibrate", input, "--scale-bits", "8", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("no float reference (tract could not run the model"), "{out}");
    assert!(zkinfer(&["setup", "--dir", d]).status.success());
    let o = zkinfer(&["prove", "--input", input, "--dir", d]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("note: no float reference to compare with"));
    assert!(zkinfer(&["verify", "--dir", d]).status.success());
}

/// `compile --target`: the scale chosen from the calibration samples, every candidate's error and
/// predicted prove time in the report (the default 2^8 is too coarse for this scaled pipeline);
/// refused with `--scale-bits` or without samples.
#[test]
fn compile_target_chooses_the_scale_and_reports_every_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (model, input) = ("models/corpus/skl_standard_scaler_wine.onnx", "models/corpus/skl_standard_scaler_wine.input.json");
    let o = zkinfer(&["compile", model, "--calibrate", input, "--target", "resources", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("scale chosen by --target resources: 2^"), "{out}");
    assert!(out.contains("2^8   max abs error") && out.contains("<- chosen"), "{out}");
    assert!(!out.contains("fixed point: scale 2^8,"), "2^8 is too coarse for this model: {out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("choosing the scale (--target resources)"), "progress on stderr");
    // Raw credit features compared at every split: once only 2^6 fitted their step tables (and
    // misrouted them, with a warning); the sign-bit comparisons hold at any scale, so the
    // chosen scale is exact and nothing is said.
    let o = zkinfer(&["compile", "models/corpus/skl_gb_clf_credit.onnx", "--calibrate", "models/corpus/skl_gb_clf_credit.input.json", "--target", "resources", "--dir", d]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success() && out.contains("<- chosen") && !err.contains("warning"), "{out}{err}");
    for (extra, says) in [(&["--calibrate", input, "--scale-bits", "10"][..], "drop --scale-bits"), (&[][..], "--target needs calibration samples")] {
        let o = zkinfer(&[&["compile", model, "--target", "accuracy", "--dir", d][..], extra].concat());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && e.contains(says), "{extra:?}: {e}");
    }
}

/// Issue 16: graph inputs with visibilities of their own, end to end: compile, setup, prove and
/// verify a two-input model with input0 hashed and input1 public; the proof's instances hold
/// input1's values and input0's commitment, which `zkinfer commit` (with the circuit, and from the
/// public description alone) recomputes from the input file.
#[test]
fn each_graph_input_gets_its_own_visibility() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let input = "models/ops/two_inputs.input.json";
    let o = zkinfer(&["compile", "models/ops/two_inputs.onnx", "--calibrate", input, "--scale-bits", "8", "--visibility", "input0=hashed,input1=public", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("visibility: weights=fixed,input0=hashed,input1=public,output=public (input0, input1 named by --visibility"), "{out}");
    assert!(out.contains("3 input values and the commitment of 5 more"), "{out}");
    for args in [vec!["setup", "--dir", d], vec!["prove", "--input", input, "--dir", d, "--salt", "0x2a"]] {
        let o = zkinfer(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let o = zkinfer(&["verify", "--dir", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("input: input0 hashed, input1 public (3 public values, hashed ones' commitment 0x"), "{out}");
    let proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("proof.json")).unwrap()).unwrap();
    let instances = proof["instances"].as_array().unwrap();
    let commitment = proof["input_commitment"].as_str().unwrap();
    assert_eq!(instances[5].as_str().unwrap(), commitment, "after input1's 3 values");
    let outputs = proof["outputs_fixed"].as_array().unwrap().len();
    assert_eq!(instances.len(), 2 + 3 + 1 + outputs, "model commitment, binding, input1's values, input0's commitment, the outputs");
    let o = zkinfer(&["commit", "--input", input, "--salt", "0x2a", "--dir", d, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let opening: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(opening["input"]["commitment"].as_str().unwrap(), commitment);
    assert_eq!(opening["input"]["values_fixed"].as_array().unwrap().len(), 5, "only input0 is under the commitment");
    // From the public description alone (no model, no weights).
    let public_dir = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("circuit.public.json"), public_dir.path().join("circuit.public.json")).unwrap();
    let o = zkinfer(&["commit", "--input", input, "--salt", "0x2a", "--dir", public_dir.path().to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains(commitment), "{out} {}", String::from_utf8_lossy(&o.stderr));
    // Public and private graph inputs, none hashed (the input group's default stays `hashed`):
    // the proof carries no input commitment and verifies.
    let mixed = tempfile::tempdir().unwrap();
    let m = mixed.path().to_str().unwrap();
    for args in [
        vec!["compile", "models/ops/two_inputs.onnx", "--calibrate", input, "--scale-bits", "8", "--visibility", "input0=public,input1=private", "--dir", m],
        vec!["setup", "--dir", m],
        vec!["prove", "--input", input, "--dir", m],
        vec!["verify", "--dir", m],
    ] {
        let o = zkinfer(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(mixed.path().join("proof.json")).unwrap()).unwrap();
    assert!(proof["input_commitment"].is_null(), "{proof}");
    // `calldata --proof` reads the circuit beside the proof (no --dir; this test's cwd has none).
    let o = zkinfer(&["calldata", "--proof", &format!("{m}/proof.json")]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("0x"), "{}", String::from_utf8_lossy(&o.stderr));
    // A graph input the model does not have.
    let o = zkinfer(&["compile", "models/ops/two_inputs.onnx", "--visibility", "input2=public", "--dir", d]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("input2 names a graph input the model does not have (it has 2: input0 to input1)"), "{e}");
}
