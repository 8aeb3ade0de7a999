//! `zkinfer commit --input INPUT.json`: the commitments a proof will expose, computed
//! off-chain exactly as the circuit computes them.

use super::DirArg;
use anyhow::{bail, Result};
use std::path::PathBuf;
use zkinfer_prover::artifact::OpeningArtifact;
use zkinfer_prover::{hash, Visibility};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSON to commit to.
    #[arg(long)]
    pub input: PathBuf,
    /// The salt (`0x`-hex; default none). `random` draws one and prints it.
    #[arg(long)]
    pub salt: Option<String>,
    /// Print JSON (the opening: commitment, salt, packing, values).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let art = a.dir.dir().load_circuit()?;
    if art.plan.shape.visibility.input != Visibility::Hashed {
        bail!("the circuit's input is {}, not hashed: its proofs carry no input commitment (compile with --visibility input=hashed)", art.plan.shape.visibility.input);
    }
    let salt = match a.salt.as_deref() {
        None => Default::default(),
        Some("random") => hash::random_salt(),
        Some(s) => hash::parse_salt(s)?,
    };
    let values = art.model.quantise_input(&zkinfer_prover::input::read_input(&a.input)?)?;
    let opening = OpeningArtifact::new(values, art.plan.shape.input_bits(), salt)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&opening)?);
    } else {
        println!("model commitment  {}", art.model_commitment);
        println!("input commitment  {}", opening.commitment);
        println!("salt              {}", opening.salt);
        println!("packing           {} values of {} bits per field element", hash::values_per_element(opening.packing_bits), opening.packing_bits);
    }
    Ok(())
}
