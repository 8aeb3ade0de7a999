//! `zkinfer commit [--input INPUT.json] [--model MODEL.onnx] [--weight-salt S]`: the commitments
//! a proof will expose, computed off-chain exactly as the circuit computes them: the model's
//! (fixed weights: recomputed from the ONNX file with the circuit's quantisation; hashed weights:
//! the weights' Poseidon commitment, instance 0), the input's and output's (the output's by
//! running the fixed-point model), and the verifying key's digest.

use super::DirArg;
use anyhow::{bail, Result};
use std::path::PathBuf;
use zkinfer_prover::artifact::{fr_to_hex, OpeningArtifact};
use zkinfer_prover::hash;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSON to commit to (a hashed input's and output's commitments); for an accuracy
    /// circuit the test set (its commitment is the bounty's test-set commitment).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Fixed weights: recompute the model commitment from this ONNX file (with the circuit's
    /// fixed-point parameters) and check it against the circuit's. Hashed weights: commit to this
    /// file's weights (checking it has the circuit's architecture) instead of the compiled ones.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The salt of the input and output (`0x`-hex; default none). `random` draws one and prints it.
    #[arg(long)]
    pub salt: Option<String>,
    /// The salt of hashed weights (`0x`-hex; default none). `random` draws one and prints it.
    #[arg(long)]
    pub weight_salt: Option<String>,
    /// Print JSON (the opening: commitments, salts, packing, values).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    if !dir.circuit().exists() && dir.0.join(crate::public_circuit::FILE).exists() && a.model.is_none() && a.weight_salt.is_none() {
        // A requester without the model: the published description gives the input commitment.
        return crate::public_circuit::commit_public(&dir.0, a.input.as_deref(), a.salt.as_deref(), a.json);
    }
    let compiled = dir.load_circuit()?;
    let hashed_weights = compiled.plan.shape.hashed_weights();
    let art = match &a.model {
        Some(model) if hashed_weights => compiled.with_weights_from(model)?,
        Some(model) => {
            let layers = zkinfer_prover::onnx::load(model)?.lower_with(&compiled.lowering)?;
            let q = zkinfer_prover::QuantModel::from_layers(&layers, compiled.model.params)?;
            let recomputed = format!("0x{}", hex::encode(q.commitment()));
            if recomputed != compiled.model_commitment {
                bail!(
                    "{}: its model commitment {recomputed} (with the circuit's fixed-point parameters) is not the circuit's {}: another model or other weights",
                    model.display(),
                    compiled.model_commitment
                );
            }
            eprintln!("{}: model commitment matches the circuit's", model.display());
            compiled
        }
        None => compiled,
    };
    if a.weight_salt.is_some() && !hashed_weights {
        bail!("--weight-salt: the circuit's weights are not hashed ({})", art.plan.shape.visibility);
    }
    let salt = hash::salt_arg(a.salt.as_deref())?;
    let weight_salt = hash::salt_arg(a.weight_salt.as_deref())?;
    let (input, output) = match &a.input {
        Some(path) => {
            let input = art.model.quantise_input(&crate::pipeline::read_model_input(&art, path)?)?;
            let output = art.model.forward(&input)?.output();
            (input, output)
        }
        None => (Vec::new(), Vec::new()),
    };
    let shape = art.plan.shape;
    let mut opening = OpeningArtifact::new(&shape, &art.model, &input, &output, salt, weight_salt)?;
    if a.input.is_none() {
        // Without an input there is nothing to say about the input's and output's commitments.
        if let Some(o) = opening.as_mut() {
            o.input = None;
            o.output = None;
        }
    } else if opening.as_ref().is_none_or(|o| o.input.is_none() && o.output.is_none()) {
        bail!("--input: the circuit hashes neither its input nor its output ({}): its proofs carry their values or nothing", shape.visibility);
    }
    if a.json {
        match &opening {
            Some(o) => println!("{}", serde_json::to_string_pretty(o)?),
            None => println!("{}", serde_json::json!({ "model_commitment": art.model_commitment })),
        }
        return Ok(());
    }
    match opening.as_ref().and_then(|o| o.weights.as_ref()) {
        Some(w) => {
            println!("weights commitment {} (instance 0: {} weights and biases of {})", w.commitment, w.count, art.model_file);
            println!("weight salt        {}", w.salt);
        }
        None => println!("model commitment   {} (instance 0)", art.model_commitment),
    }
    if dir.vk().exists() {
        let vk = zkinfer_prover::artifact::load_vk(&dir.vk(), &art)?;
        println!("verifying key      {} (digest; the verifier contract's VK_DIGEST)", fr_to_hex(&vk.transcript_repr()));
    }
    if let Some(o) = opening.as_ref().filter(|o| o.input.is_some() || o.output.is_some()) {
        for (name, t) in [("input", &o.input), ("output", &o.output)] {
            if let Some(t) = t {
                println!("{name:<6} commitment  {}", t.commitment);
            }
        }
        println!("salt               {}", o.salt);
    }
    println!("packing            {} values of {} bits per field element", hash::values_per_element(shape.packing_bits()), shape.packing_bits());
    Ok(())
}
