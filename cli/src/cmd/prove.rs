//! `zkinfer prove --input INPUT.json`.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::artifact;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSON: {"input": [...]} or ezkl's {"input_data": [[...]]}.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the proof (default DIR/proof.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let art = dir.load_circuit()?;
    let setup = dir.load_setup()?;
    let input = zkinfer_prover::input::read_input(&a.input)?;
    // Range errors surface here, before any proving work.
    crate::pipeline::witness(&art, &input)?;
    let mut p = crate::progress::Progress::new(3, false);
    let (params, _) = p.step("loading the SRS", || crate::pipeline::params(&setup.srs, art.plan.k))?;
    let (pk, _) = p.step("loading the proving key", || artifact::load_pk(&dir.pk(), &art))?;
    let (proof, _) = p.step("proving", || crate::pipeline::prove(&params, &pk, &art, &input))?;
    let out = a.out.unwrap_or_else(|| dir.proof());
    proof.save(&out)?;
    let acc = crate::pipeline::accuracy(&art, &input, &proof.outputs_fixed)?;
    println!("wrote {} ({} proof bytes, {} public instances)", out.display(), proof.proof_bytes()?.len(), proof.instances.len());
    println!("outputs: {:?}", proof.outputs);
    println!("float model (tract): {:?}; max abs error {:.5}; argmax match {}", acc.float_outputs, acc.max_abs_err, acc.argmax_match);
    Ok(())
}
