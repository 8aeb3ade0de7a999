//! Running the `zkinfer` binary from the repository root.

use std::path::PathBuf;
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `zkinfer args…` in the repository root.
pub fn zkinfer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(args).current_dir(root()).output().expect("run zkinfer")
}

/// Deploys the contract set of the circuit in `dir` on `anvil` (`zkinfer deploy --json`, anvil's
/// first dev key) and returns the verifier's address and the calldata of `dir`'s `proof.json`
/// (`zkinfer calldata`), for a `verifyProof` transaction.
#[allow(dead_code)] // used by the test binaries that go on chain
pub fn deploy_verifier(anvil: &zkinfer_relayer::LocalChain, dir: &str) -> (alloy::primitives::Address, alloy::primitives::Bytes) {
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["deploy", "--json", "--rpc-url", &anvil.endpoint(), "--dir", dir])
        .env("ZKINFER_PRIVATE_KEY", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        .current_dir(root())
        .output()
        .expect("run zkinfer deploy");
    assert!(o.status.success(), "zkinfer deploy: {}", String::from_utf8_lossy(&o.stderr));
    let deployed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("deploy --json prints JSON");
    let verifier = deployed["verifier"].as_str().expect("a verifier address").parse().expect("an address");
    let o = zkinfer(&["calldata", "--proof", &format!("{dir}/proof.json")]);
    assert!(o.status.success(), "zkinfer calldata: {}", String::from_utf8_lossy(&o.stderr));
    let calldata = String::from_utf8_lossy(&o.stdout).trim().parse().expect("hex calldata");
    (verifier, calldata)
}
