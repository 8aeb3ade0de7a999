//! The proof a call carries: read from `--proof FILE` or `DIR/proof.json`, and refused when its
//! convenience fields disagree with its instances (only the instances are verified).

use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use std::path::Path;
use zkinfer_prover::artifact::ProofArtifact;

/// The proof of a paying call: `--proof FILE` or `DIR/proof.json`, checked against its own
/// instances (its outputs field must be the output instances').
pub fn load_proof(flag: Option<&Path>, dir: &Path) -> Result<(ProofArtifact, Vec<u8>, Vec<Fr>)> {
    let path = flag.map(Path::to_path_buf).unwrap_or_else(|| dir.join("proof.json"));
    let p = ProofArtifact::load(&path)?;
    let proof = p.proof_bytes().with_context(|| format!("{}: proof", path.display()))?;
    let instances = p.instance_values().with_context(|| format!("{}: instances", path.display()))?;
    Ok((p, proof, instances))
}

/// Refuses a proof file whose convenience fields (`model_commitment`, `binding`,
/// `input_commitment`, `output_commitment`, public `outputs_fixed`/`outputs`) disagree with its
/// instances, naming the field: only the instances are verified, so nothing else may be encoded
/// or printed. `layout` (the circuit's, when known) places the input and output instances.
fn check_fields(path: &Path, p: &ProofArtifact, layout: Option<&zkinfer_prover::artifact::InstanceLayout>) -> Result<()> {
    use zkinfer_prover::Visibility;
    let inst = p.instance_values().with_context(|| format!("{}: instances", path.display()))?;
    let hexs: Vec<String> = inst.iter().map(crate::hex32::fr).collect();
    let same = |field: &str, value: &str, at: usize| -> Result<()> {
        let v = crate::hex32::normalise(value).with_context(|| format!("{}: field {field:?}", path.display()))?;
        match hexs.get(at) {
            Some(h) if *h == v => Ok(()),
            Some(h) => bail!("{}: field {field:?} is {v}, but the verified instance {at} is {h}: the file was edited; re-run zkinfer prove", path.display()),
            None => bail!("{}: field {field:?}: the proof has no instance {at}", path.display()),
        }
    };
    same("model_commitment", &p.model_commitment, 0)?;
    same("binding", &p.binding, 1)?;
    let Some(l) = layout else { return Ok(()) };
    if l.outputs[1] != inst.len() {
        bail!("{}: {} instances, but the circuit has {}: a proof for another circuit", path.display(), inst.len(), l.outputs[1]);
    }
    if let Some(c) = &p.input_commitment {
        same("input_commitment", c, l.inputs[0])?;
    }
    if let Some(c) = &p.output_commitment {
        same("output_commitment", c, l.outputs[0])?;
    }
    if l.visibility.output == Visibility::Public {
        let n = l.outputs[1] - l.outputs[0];
        if p.outputs_fixed.len() != n {
            bail!("{}: field \"outputs_fixed\" has {} values, the circuit {n} output instances", path.display(), p.outputs_fixed.len());
        }
        for (i, v) in p.outputs_fixed.iter().enumerate() {
            same("outputs_fixed", &crate::hex32::fr(&zkinfer_verifier_gen::fr_from_i64(*v)), l.outputs[0] + i)?;
        }
        let scale = f64::from(1u32 << p.scale_bits.min(30));
        for (i, (f, v)) in p.outputs.iter().zip(&p.outputs_fixed).enumerate() {
            if (f - *v as f64 / scale).abs() > 0.5 / scale {
                bail!("{}: field \"outputs\"[{i}] is {f}, but the verified instance {} is {} ({}): the file was edited; re-run zkinfer prove", path.display(), l.outputs[0] + i, *v as f64 / scale, hexs[l.outputs[0] + i]);
            }
        }
    }
    Ok(())
}

/// [`load_proof`], then [`check_fields`] with the circuit's layout when DIR/circuit.json is there.
pub fn checked_proof(flag: Option<&Path>, dir: &Path) -> Result<(Vec<u8>, Vec<Fr>)> {
    let path = flag.map(Path::to_path_buf).unwrap_or_else(|| dir.join("proof.json"));
    let (p, proof, instances) = load_proof(Some(&path), dir)?;
    let art = zkinfer_prover::artifact::CircuitArtifact::load(&dir.join("circuit.json")).ok();
    check_fields(&path, &p, art.as_ref().map(|a| &a.instances))?;
    Ok((proof, instances))
}
