//! `zkinfer verify`.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::artifact::ProofArtifact;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proof (default DIR/proof.json).
    #[arg(long)]
    pub proof: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let side = crate::pipeline::load_verifier_side(&dir)?;
    let path = a.proof.unwrap_or_else(|| dir.proof());
    let proof = ProofArtifact::load(&path)?;
    zkinfer_prover::proving::verify(&side.params, &side.vk, &proof.proof_bytes()?, &proof.instance_values()?)?;
    println!("valid: {} verifies (outputs {:?})", path.display(), proof.outputs);
    Ok(())
}
