//! Interpolated function tables through the binary: `compile` at 2^16 interpolates the sigmoid
//! table (and says so), and the proof verifies natively and in a real transaction on anvil
//! against the generated verifier (three-column lookup table); a proof with a flipped byte
//! reverts there.

#![allow(clippy::unwrap_used)]

mod common;

use common::zkinfer;

fn ok(args: &[&str]) -> String {
    let o = zkinfer(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn interpolated_tables_verify_on_chain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let report = ok(&["compile", "models/tabular_sigmoid.onnx", "--calibrate", "models/tabular_sigmoid.input.json", "--scale-bits", "16", "--dir", d]);
    assert!(report.contains("function tables:") && report.contains("interpolated every 2^"), "{report}");
    let circuit: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("circuit.json")).unwrap()).unwrap();
    let bits = circuit["model"]["params"]["interp"]["bits"].as_u64().unwrap();
    assert_eq!(circuit["plan"]["shape"]["interp"]["bits"].as_u64(), Some(bits));
    ok(&["setup", "--dir", d]);
    ok(&["prove", "--input", "models/tabular_sigmoid.input-1.json", "--dir", d]);
    ok(&["verify", "--dir", d]);

    let anvil = zkinfer_relayer::LocalChain::start().unwrap();
    let (verifier, calldata) = common::deploy_verifier(&anvil, d);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tx = rt.block_on(anvil.chain().send(verifier, calldata.clone(), alloy::primitives::U256::ZERO)).unwrap();
    assert!(tx.status, "verifyProof transaction reverted: {:?}", tx.revert_reason);
    let call = rt.block_on(anvil.chain().call(verifier, calldata.clone())).unwrap();
    assert!(call.success && call.output.last() == Some(&1), "verifyProof returns true: {call:?}");
    // A byte of the proof flipped (past the selector, the offsets and the instances).
    let mut bad = calldata.to_vec();
    let at = bad.len() - 200;
    bad[at] ^= 1;
    let call = rt.block_on(anvil.chain().call(verifier, bad.into())).unwrap();
    assert!(!call.success || call.output.last() != Some(&1), "a flipped proof byte verifies: {call:?}");
}
