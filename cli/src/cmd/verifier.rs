//! `zkinfer verifier`: emit the Solidity verifier.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output file (default DIR/Verifier.sol).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also compile it with solc and report bytecode sizes.
    #[arg(long)]
    pub compile: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let (art, params, vk) = crate::pipeline::load_verifier_side(&dir)?;
    let g = crate::pipeline::verifier_source(&params, &vk, &art)?;
    let out = a.out.unwrap_or_else(|| dir.verifier());
    std::fs::write(&out, &g.source)?;
    println!("wrote {} (contract {}, proof {} bytes, {} instances)", out.display(), g.contract_name, g.proof_len, g.num_instances);
    if a.compile {
        let c = crate::pipeline::compile_verifier(&g)?;
        println!("runtime bytecode {} bytes, initcode {} bytes (EIP-170 limit 24576)", c.deployed_bytecode.len(), c.bytecode.len());
    }
    Ok(())
}
