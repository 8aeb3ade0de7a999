//! `zkinfer verify`: native verification of a proof file against the keys of a directory. What it
//! prints is decoded from the verified public instances ([`zkinfer_prover::artifact::verify_artifact`]);
//! a proof file whose own fields disagree with its instances is refused, naming the field.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::artifact::{verify_artifact, OpeningArtifact, OpeningRef, ProofArtifact, VerifiedTensor};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proof (default DIR/proof.json).
    #[arg(long)]
    pub proof: Option<PathBuf>,
    /// The opening of a hashed output (default: the proof's `.opening.json` next to it, when
    /// there): its values are shown once they hash to the verified output commitment.
    #[arg(long)]
    pub opening: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let side = crate::pipeline::load_verifier_side(&dir)?;
    let path = a.proof.unwrap_or_else(|| dir.proof());
    let proof = ProofArtifact::load(&path).map_err(|e| if path == dir.proof() { dir.missing(e) } else { e.into() })?;
    // Only a hashed output's values come from an opening.
    let hashed_output = side.art.instances.visibility.output == zkinfer_prover::Visibility::Hashed;
    let opening_path = a.opening.clone().or_else(|| Some(path.with_extension("opening.json")).filter(|p| hashed_output && p.is_file()));
    let opening = opening_path.as_ref().map(|p| OpeningArtifact::load(p)).transpose()?;
    let opening_ref = opening_path.as_deref().zip(opening.as_ref()).map(|(path, opening)| OpeningRef { path, opening });
    let v = verify_artifact(&side.params, &side.vk, &side.art, &proof, &path, opening_ref)?;
    println!("valid: {} verifies under the keys in {} (circuit {})", path.display(), dir.0.display(), v.circuit_id);
    println!("  {}", v.describe_output());
    match &v.input {
        VerifiedTensor::Hashed { commitment, .. } => println!("  input hashed: commitment {commitment}"),
        VerifiedTensor::Public { values_fixed } => println!("  input public: {} values", values_fixed.len()),
        VerifiedTensor::Private => println!("  input private"),
        VerifiedTensor::Mixed { inputs, public_values_fixed, commitment } => {
            let each: Vec<String> = inputs.iter().enumerate().map(|(i, v)| format!("input{i} {v}")).collect();
            let hashed = commitment.as_ref().map_or(String::new(), |c| format!(", hashed ones' commitment {c}"));
            println!("  input: {} ({} public values{hashed})", each.join(", "), public_values_fixed.len());
        }
    }
    let zero = zkinfer_prover::artifact::fr_to_hex(&halo2_proofs::halo2curves::bn256::Fr::zero());
    println!("  model commitment {} (instance 0)", v.model_commitment);
    println!("  binding {}", if v.binding == zero { "none (unbound: no paying contract accepts it)".to_string() } else { format!("{} (instance 1)", v.binding) });
    Ok(())
}
