//! `zkinfer onchain …` and `zkinfer deploy` against a real anvil, with real proofs and solc: a
//! paid inference (request → fulfil → outputs), a refund, reverts decoded (custom errors with
//! their arguments, the verifier's revert codes), a bounty round on a verifier registered in the
//! existing registry (`deploy --registry`), the ABIs on disk, the shared chain flags (a bare
//! host:port, --private-key, --keystore) and a dead endpoint failing in one line.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::root;
use std::process::{Command, Output};
use std::time::Instant;

/// anvil's well-known development keys 0 (deployer), 1 (host/hunter), 2 (requester).
const KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
const HOST: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(args).env_remove("ZKINFER_PRIVATE_KEY").env_remove("ETH_RPC_URL").current_dir(root()).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?} failed:\n{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Fails, and its stderr.
fn fails(args: &[&str]) -> String {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "{args:?} succeeded:\n{}", String::from_utf8_lossy(&o.stdout));
    err
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The value after `key ` on a line of `out` starting with it.
fn field(out: &str, key: &str) -> String {
    out.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().to_string()).unwrap_or_else(|| panic!("no {key:?} in {out}"))
}

fn is_word(s: &str) -> bool {
    s.len() == 66 && s.starts_with("0x") && s[2..].chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[test]
fn regression_dead_rpc_fails_in_about_a_second_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["deploy", "--json", "--rpc-url", "127.0.0.1:9", "--private-key", KEYS[0], "--dir", d],
        vec!["onchain", "verify", "--rpc-url", "http://127.0.0.1:9", "--private-key", KEYS[0], "--dir", d],
        vec!["onchain", "outputs", "--request-id", "0", "--rpc-url", "127.0.0.1:9", "--private-key", KEYS[0], "--dir", d],
    ] {
        let start = Instant::now();
        let err = fails(&args);
        let took = start.elapsed().as_secs_f64();
        assert!(took < 3.0, "{args:?}: {took:.1} s");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains("no node answers at http://127.0.0.1:9 (connection refused): start anvil or pass --rpc-url"), "{err}");
    }
    // No key at all: named flags, before any connection.
    let err = fails(&["deploy", "--json", "--rpc-url", "127.0.0.1:9", "--dir", d]);
    assert!(err.contains("--private-key") && err.contains("--keystore") && err.contains("ZKINFER_PRIVATE_KEY"), "{err}");
    let err = fails(&["deploy", "--json", "--rpc-url", "127.0.0.1:9", "--keystore", "/nonexistent.json", "--dir", d]);
    assert!(err.contains("--password") && err.contains("never prompts"), "{err}");
}

#[test]
fn onchain_verbs_pay_an_inference_and_a_bounty_refund_and_decode_reverts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", d]);
    ok(&["setup", "--dir", d]);
    let anvil = zkinfer_relayer::LocalChain::start().unwrap();
    // A bare host:port is an HTTP URL.
    let url = anvil.endpoint();
    let bare = url.trim_start_matches("http://").to_string();
    let chain = |key: usize| vec!["--rpc-url".to_string(), bare.clone(), "--private-key".to_string(), KEYS[key].to_string(), "--dir".to_string(), d.to_string()];
    let with = |args: &[&str], key: usize| -> Vec<String> { args.iter().map(|s| s.to_string()).chain(chain(key)).collect() };
    let okv = |v: Vec<String>| ok(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let failsv = |v: Vec<String>| fails(&v.iter().map(String::as_str).collect::<Vec<_>>());

    let deployed: serde_json::Value = serde_json::from_str(&okv(with(&["deploy", "--json"], 0))).unwrap();
    // One hex form for ids and commitments.
    for f in ["circuit_id", "model_commitment"] {
        assert!(is_word(deployed[f].as_str().unwrap()), "{f}: {}", deployed[f]);
    }
    // The ABIs on disk, with the custom errors cast decodes (`cast decode-error --abi`).
    for name in ["VerifierRegistry", "InferenceEscrow", "ModelBounty", "Halo2Verifier"] {
        let abi = json(&dir.path().join(format!("abi/{name}.json")));
        assert!(abi.as_array().is_some_and(|a| !a.is_empty()), "abi/{name}.json: {abi}");
    }
    let escrow_abi = json(&dir.path().join("abi/InferenceEscrow.json"));
    let errors: Vec<&str> = escrow_abi.as_array().unwrap().iter().filter(|e| e["type"] == "error").filter_map(|e| e["name"].as_str()).collect();
    for e in ["RequestAlreadyFulfilled", "WrongClaimant", "ProofRejected", "RequestNotExpired"] {
        assert!(errors.contains(&e), "{e} not in abi/InferenceEscrow.json: {errors:?}");
    }

    // The requester (key 2, through its keystore) escrows 1 ETH for the input's commitment.
    let committed: serde_json::Value = serde_json::from_str(&ok(&["commit", "--input", "models/mlp_small.input.json", "--salt", "0x1234", "--dir", d, "--json"])).unwrap();
    let input_commitment = committed["input"]["commitment"].as_str().unwrap().to_string();
    let ks = dir.path().join("keystore");
    let cast = root().join(".tools/bin/cast");
    let o = Command::new(&cast).args(["wallet", "import", "req", "--private-key", KEYS[2], "--keystore-dir", ks.to_str().unwrap(), "--unsafe-password", "pw"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "pw\n").unwrap();
    let ks_file = ks.join("req");
    let keystore = ["--rpc-url", &bare, "--keystore", ks_file.to_str().unwrap(), "--password-file", pw.to_str().unwrap(), "--dir", d];
    let out = ok(&[&["onchain", "request", "--fee", "1ether", "--inputs", &input_commitment][..], &keystore].concat());
    assert!(field(&out, "tx").starts_with("0x") && field(&out, "gas").parse::<u64>().unwrap() > 21_000, "{out}");
    let id = field(&out, "request_id");
    assert_eq!(id, "0", "{out}");

    // The host proves for request 0, bound to itself, and fulfils it.
    ok(&["prove", "--input", "models/mlp_small.input.json", "--dir", d, "--salt", "0x1234", "--bind-to", &format!("{HOST}:{id}"), "--deployment", &format!("{d}/deployment.json")]);
    let proof = json(&dir.path().join("proof.json"));
    // calldata: from the directory, binding checked against the sender.
    let o = run(&["calldata", "--dir", d, "--request-id", &id, "--from", HOST]);
    assert!(o.status.success() && !String::from_utf8_lossy(&o.stderr).contains("warning"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["calldata", "--dir", d, "--request-id", "5", "--from", HOST]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stderr).contains("warning: the proof's binding"), "{}", String::from_utf8_lossy(&o.stderr));
    // Another account's fulfilment is refused in simulation, decoded, nothing sent.
    let err = failsv(with(&["onchain", "fulfil", "--request-id", &id], 2));
    assert!(err.contains("WrongClaimant(") && err.contains("nothing sent"), "{err}");
    let out = okv(with(&["onchain", "fulfill", "--request-id", &id], 1));
    assert!(out.contains("1000000000000000000 wei paid"), "{out}");
    assert!(field(&out, "tx").starts_with("0x"), "{out}");
    // regression_onchain_outputs_needed_a_signing_key: a read needs no key.
    let stored = ok(&["onchain", "outputs", "--request-id", &id, "--rpc-url", &bare, "--dir", d]);
    let instances = proof["instances"].as_array().unwrap();
    for (i, v) in instances[3..].iter().enumerate() {
        let line = field(&stored, &format!("output {i}:"));
        assert!(line.starts_with(v.as_str().unwrap()), "output {i}: {line} vs {v}");
        let f: f64 = line.split('(').nth(1).unwrap().trim_end_matches(')').parse().unwrap();
        assert!((f - proof["outputs"][i].as_f64().unwrap()).abs() < 1e-9, "{line}");
    }
    assert!(out.contains(&stored), "fulfil prints the stored outputs too: {out}");
    let err = failsv(with(&["onchain", "fulfil", "--request-id", &id], 1));
    assert!(err.contains(&format!("RequestAlreadyFulfilled({id})")), "{err}");
    let err = failsv(with(&["onchain", "refund", "--request-id", &id], 2));
    assert!(err.contains(&format!("RequestAlreadyFulfilled({id})")), "{err}");

    // A refund: a short request, the clock moved past its deadline.
    let out = okv(with(&["onchain", "request", "--fee", "1000wei", "--inputs", &input_commitment, "--expires-in", "5"], 2));
    let id2 = field(&out, "request_id");
    let err = failsv(with(&["onchain", "refund", "--request-id", &id2], 2));
    assert!(err.contains(&format!("RequestNotExpired({id2}, ")), "{err}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(anvil.increase_time(60)).unwrap();
    let out = okv(with(&["onchain", "refund", "--request-id", &id2], 2));
    assert!(out.contains("1000 wei returned"), "{out}");

    // onchain verify: the proof verifies; a proof with a point off the curve is rejected with the
    // verifier's code 3, decoded.
    let out = okv(with(&["onchain", "verify"], 2));
    assert!(out.contains("result  valid"), "{out}");
    let mut tampered = proof.clone();
    let hexs = tampered["proof"].as_str().unwrap();
    tampered["proof"] = serde_json::Value::String(format!("0x{}{}", "f".repeat(64), &hexs[66..]));
    let tampered_path = dir.path().join("tampered.json");
    std::fs::write(&tampered_path, tampered.to_string()).unwrap();
    let err = failsv(with(&["onchain", "verify", "--proof", tampered_path.to_str().unwrap()], 2));
    assert!(err.contains("code 3") && err.contains("not on the curve"), "{err}");
    // A proof file whose outputs field was edited is refused, naming the field.
    let mut edited = proof.clone();
    edited["outputs"] = serde_json::json!([9.0, 9.0, 9.0]);
    let edited_path = dir.path().join("edited.json");
    std::fs::write(&edited_path, edited.to_string()).unwrap();
    let err = fails(&["calldata", "--dir", d, "--proof", edited_path.to_str().unwrap()]);
    assert!(err.contains("\"outputs\""), "{err}");

    // The generated verifier's NatSpec lists every code it can revert with; --compile writes its
    // ABI next to --out.
    let vdir = dir.path().join("v");
    std::fs::create_dir_all(&vdir).unwrap();
    let out = ok(&["verifier", "--dir", d, "--compile", "--out", vdir.join("Verifier.sol").to_str().unwrap()]);
    let abi = json(&vdir.join("abi/Halo2Verifier.json"));
    assert!(abi.as_array().unwrap().iter().any(|e| e["name"] == "verifyProof"), "{out}: {abi}");
    let sol = std::fs::read_to_string(vdir.join("Verifier.sol")).unwrap();
    let codes: Vec<u64> = sol.split("fail(").skip(1).filter_map(|p| p.split(')').next()?.parse().ok()).collect();
    assert!(codes.len() >= 7, "{codes:?}");
    for c in codes {
        assert!(sol.contains(&format!("///   {c}: ")), "code {c} is not documented in the NatSpec");
    }

    // A bounty on the accuracy circuit, registered in the existing registry.
    let bdir = tempfile::tempdir().unwrap();
    let b = bdir.path().to_str().unwrap();
    ok(&["compile", "models/mlp_small.onnx", "--accuracy-samples", "16", "--calibrate", "models/mlp_small.input.json", "--dir", b]);
    ok(&["setup", "--dir", b]);
    let reg = deployed["registry"].as_str().unwrap();
    let (escrow, bounty) = (deployed["inference_escrow"].as_str().unwrap(), deployed["model_bounty"].as_str().unwrap());
    let on_registry: serde_json::Value = serde_json::from_str(&ok(&["deploy", "--json", "--registry", reg, "--escrow", escrow, "--bounty", bounty, "--rpc-url", &bare, "--private-key", KEYS[0], "--dir", b])).unwrap();
    for f in ["registry", "inference_escrow", "model_bounty"] {
        assert_eq!(on_registry[f], deployed[f], "{f}: the existing set");
    }
    assert_ne!(on_registry["circuit_id"], deployed["circuit_id"]);
    assert!(is_word(on_registry["circuit_id"].as_str().unwrap()));
    let bchain = |key: usize| ["--rpc-url", bare.as_str(), "--private-key", KEYS[key], "--dir", b];
    let out = ok(&[&["onchain", "post", "--amount", "1ether", "--threshold", "6", "--test-set", "models/mlp_small.testset.json"][..], &bchain(0)].concat());
    let bounty_id = field(&out, "bounty_id");
    ok(&["prove", "--input", "models/mlp_small.testset.json", "--dir", b, "--bind-to", &format!("{HOST}:{bounty_id}"), "--deployment", &format!("{b}/deployment.json")]);
    // calldata for the bounty: silent for its own id and sender, a warning for another id.
    let o = run(&["calldata", "--dir", b, "--bounty-id", &bounty_id, "--from", HOST]);
    assert!(o.status.success() && !String::from_utf8_lossy(&o.stderr).contains("warning"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["calldata", "--dir", b, "--bounty-id", "7", "--from", HOST]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stderr).contains("warning: the proof's binding"), "{}", String::from_utf8_lossy(&o.stderr));
    let out = ok(&[&["onchain", "claim", "--bounty-id", &bounty_id][..], &bchain(1)].concat());
    assert!(out.contains("1000000000000000000 wei paid"), "{out}");
    let err = fails(&[&["onchain", "claim", "--bounty-id", &bounty_id][..], &bchain(1)].concat());
    assert!(err.contains(&format!("BountyAlreadyPaid({bounty_id})")), "{err}");
    // Without --escrow/--bounty: new payers on the same registry (the directory's file names another).
    let fresh: serde_json::Value = serde_json::from_str(&ok(&["deploy", "--json", "--registry", reg, "--rpc-url", &bare, "--private-key", KEYS[0], "--dir", d])).unwrap();
    assert_eq!(fresh["registry"], deployed["registry"]);
    assert_eq!(fresh["inference_escrow"], deployed["inference_escrow"], "discovered from DIR/deployment.json on that registry");
}

#[test]
fn regression_a_requester_with_only_the_public_files_computes_the_input_commitment() {
    let host = tempfile::tempdir().unwrap();
    let h = host.path().to_str().unwrap();
    ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", h]);
    let public = json(&host.path().join("circuit.public.json"));
    assert!(public.get("model").is_none() && !public.to_string().contains("weights\":["), "no weights in the public description");
    let requester = tempfile::tempdir().unwrap();
    let r = requester.path().to_str().unwrap();
    std::fs::copy(host.path().join("circuit.public.json"), requester.path().join("circuit.public.json")).unwrap();
    let args = |d: &str| -> Vec<String> { ["commit", "--input", "models/mlp_small.input.json", "--salt", "0x1234", "--json", "--dir", d].iter().map(|s| s.to_string()).collect() };
    let of = |d: &str| -> serde_json::Value { serde_json::from_str(&ok(&args(d).iter().map(String::as_str).collect::<Vec<_>>())).unwrap() };
    let (hv, rv) = (of(h), of(r));
    assert!(is_word(rv["input"]["commitment"].as_str().unwrap()), "{rv}");
    assert_eq!(rv["input"]["commitment"], hv["input"]["commitment"], "the requester's commitment is the host's");
    assert_eq!(rv["model_commitment"], deployment_form(&hv, h));
}

/// The host's model commitment in the one hex form.
fn deployment_form(_opening: &serde_json::Value, dir: &str) -> serde_json::Value {
    let c = json(&std::path::Path::new(dir).join("circuit.json"));
    let m = c["model_commitment"].as_str().unwrap().trim_start_matches("0x").to_string();
    serde_json::Value::String(format!("0x{m:0>64}"))
}

#[test]
fn regression_deploy_of_hashed_weights_names_the_commitment_proofs_carry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    ok(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--visibility", "weights=hashed", "--dir", d]);
    ok(&["setup", "--dir", d]);
    let anvil = zkinfer_relayer::LocalChain::start().unwrap();
    let deployed: serde_json::Value = serde_json::from_str(&ok(&["deploy", "--json", "--rpc-url", &anvil.endpoint(), "--private-key", KEYS[0], "--dir", d])).unwrap();
    ok(&["prove", "--input", "models/mlp_small.input.json", "--dir", d]);
    let proof = json(&dir.path().join("proof.json"));
    assert!(is_word(deployed["model_commitment"].as_str().unwrap()), "{deployed}");
    assert_eq!(deployed["model_commitment"], proof["instances"][0], "deploy shows instance 0 of the proofs");
}
