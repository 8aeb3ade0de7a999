//! `zkinfer commit --input INPUT.json`: the commitments a proof will expose, computed
//! off-chain exactly as the circuit computes them (the output's by running the fixed-point model).

use super::DirArg;
use anyhow::{Context, Result};
use std::path::PathBuf;
use zkinfer_prover::artifact::OpeningArtifact;
use zkinfer_prover::hash;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSON to commit to.
    #[arg(long)]
    pub input: PathBuf,
    /// The salt (`0x`-hex; default none). `random` draws one and prints it.
    #[arg(long)]
    pub salt: Option<String>,
    /// Print JSON (the opening: commitments, salt, packing, values).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let art = a.dir.dir().load_circuit()?;
    let salt = match a.salt.as_deref() {
        None => Default::default(),
        Some("random") => hash::random_salt(),
        Some(s) => hash::parse_salt(s)?,
    };
    let input = art.model.quantise_input(&zkinfer_prover::input::read_input(&a.input)?)?;
    let output = art.model.forward(&input)?.output();
    let opening = OpeningArtifact::new(&art.plan.shape, &input, &output, salt)?.with_context(|| {
        format!("the circuit hashes no tensor ({}): its proofs carry no commitment (compile with --visibility input=hashed)", art.plan.shape.visibility)
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&opening)?);
    } else {
        println!("model commitment   {}", art.model_commitment);
        for (name, t) in [("input", &opening.input), ("output", &opening.output)] {
            if let Some(t) = t {
                println!("{name:<6} commitment  {}", t.commitment);
            }
        }
        println!("salt               {}", opening.salt);
        println!("packing            {} values of {} bits per field element", hash::values_per_element(opening.packing_bits), opening.packing_bits);
    }
    Ok(())
}
