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
