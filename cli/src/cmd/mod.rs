//! One module per subcommand.

pub mod audit;
pub mod bench;
pub mod calldata;
pub mod commit;
pub mod compile;
pub mod costmodel;
pub mod demo;
pub mod deploy;
pub mod onchain;
pub mod ops;
pub mod prove;
pub mod relayer;
pub mod setup;
pub mod verifier;
pub mod verify;

use std::path::PathBuf;

/// The default artifacts directory (relative to the working directory).
pub const DEFAULT_DIR: &str = "zkinfer-out";

/// The artifacts directory option shared by most subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct DirArg {
    /// Artifacts directory (circuit.json, keys, proof, verifier).
    #[arg(long, default_value = DEFAULT_DIR)]
    pub dir: PathBuf,
}

impl DirArg {
    pub fn dir(&self) -> crate::pipeline::Dir {
        crate::pipeline::Dir(self.dir.clone())
    }
}
