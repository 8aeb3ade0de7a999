//! `zkinfer verifier`: emit the Solidity verifier.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output file (default DIR/Verifier.sol).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also compile it with solc, report bytecode sizes and write its ABI to abi/NAME.json next to
    /// the output file.
    #[arg(long)]
    pub compile: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let side = crate::pipeline::load_verifier_side(&dir)?;
    let g = side.verifier_source()?;
    let out = a.out.unwrap_or_else(|| dir.verifier());
    std::fs::write(&out, &g.source)?;
    let counts = crate::pipeline::instance_counts(&side.art);
    println!(
        "wrote {} (contract {}, proof {} bytes, {} instances: model, binding, {} input, {} output)",
        out.display(),
        g.contract_name,
        g.proof_len,
        g.num_instances,
        counts.inputs,
        counts.outputs
    );
    let dev = crate::pipeline::srs_kind(&side.setup.srs, &side.params).is_dev();
    println!(
        "SRS_DIGEST 0x{}; DEV_SRS {dev}{}",
        hex::encode(zkinfer_verifier_gen::srs_digest(&side.params)),
        if dev { " (UNSAFE development SRS: registries outside local dev chains refuse it)" } else { "" }
    );
    if a.compile {
        let c = crate::pipeline::compile_verifier(&g)?;
        println!("runtime bytecode {} bytes, initcode {} bytes (EIP-170 limit 24576)", c.deployed_bytecode.len(), c.bytecode.len());
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        for path in crate::onchain::write_abis(parent, &[(g.contract_name.as_str(), &c.abi)])? {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
