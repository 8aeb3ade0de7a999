//! `zkinfer commit --input INPUT.json [--model MODEL.onnx]`: the commitments a proof will expose,
//! computed off-chain exactly as the circuit computes them: the input's and output's (the
//! output's by running the fixed-point model), and the model's, recomputed from the ONNX file
//! with the circuit's quantisation, and the verifying key's digest.

use super::DirArg;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use zkinfer_prover::artifact::OpeningArtifact;
use zkinfer_prover::hash;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSON to commit to.
    #[arg(long)]
    pub input: PathBuf,
    /// Recompute the model commitment from this ONNX file (with the circuit's fixed-point
    /// parameters) and check it against the circuit's.
    #[arg(long)]
    pub model: Option<PathBuf>,
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
    let dir = a.dir.dir();
    let art = dir.load_circuit()?;
    if let Some(model) = &a.model {
        let layers = zkinfer_prover::onnx::load(model)?.lower()?;
        let q = zkinfer_prover::QuantModel::from_layers(&layers, art.model.params)?;
        let recomputed = format!("0x{}", hex::encode(q.commitment()));
        if recomputed != art.model_commitment {
            bail!(
                "{}: its model commitment {recomputed} (with the circuit's fixed-point parameters) is not the circuit's {}: another model or other weights",
                model.display(),
                art.model_commitment
            );
        }
        eprintln!("{}: model commitment matches the circuit's", model.display());
    }
    let salt = hash::salt_arg(a.salt.as_deref())?;
    let input = art.model.quantise_input(&zkinfer_prover::input::read_input(&a.input)?)?;
    let output = art.model.forward(&input)?.output();
    let opening = OpeningArtifact::new(&art.plan.shape, &input, &output, salt)?.with_context(|| {
        format!("the circuit hashes no tensor ({}): its proofs carry no commitment (compile with --visibility input=hashed)", art.plan.shape.visibility)
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&opening)?);
    } else {
        println!("model commitment   {}", art.model_commitment);
        if dir.vk().exists() {
            let vk = zkinfer_prover::artifact::load_vk(&dir.vk(), &art)?;
            println!("verifying key      {} (digest; the verifier contract's VK_DIGEST)", zkinfer_prover::artifact::fr_to_hex(&vk.transcript_repr()));
        }
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
