//! What a proof says, once verified: every value decoded from the verified public instances with
//! the circuit's layout and fixed-point scale, never taken from the proof file's convenience
//! fields (`outputs`, `outputs_fixed`, the commitments, `circuit_id`), which must agree with the
//! instances or the file is refused, naming the field. A hashed output's values come from its
//! opening only once the opening hashes to the verified commitment.
//!
//! The checks run most specific first: the proof's circuit id against the keys', the instance
//! count, each instance against what the circuit can produce (the pinned model commitment of
//! fixed weights, public values inside the circuit's range), then the proof's bytes, the pairing
//! and the inversion hint ([`crate::proving::verify_typed`]).

use super::{fr_to_hex, CircuitArtifact, InstanceLayout, OpeningArtifact, ProofArtifact};
use crate::error::{ProverError, Result};
use crate::hash::Tensor;
use crate::proving::VerifyError;
use crate::visibility::Visibility;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A proof refused against its circuit before (or instead of) the pairing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The proof file names another circuit than the keys'.
    #[error("a proof for another circuit: {} names circuit {proof}, the keys are circuit {keys}", path.display())]
    OtherCircuit {
        /// The proof file.
        path: PathBuf,
        /// Its `circuit_id`.
        proof: String,
        /// The verifying key's digest (the verifier's `VK_DIGEST`).
        keys: String,
    },
    /// Not the circuit's number of instances.
    #[error("{actual} public instances, but the circuit takes {expected} ([model commitment, binding, {inputs} input, {outputs} output]): a proof for another circuit")]
    InstanceCount {
        /// The circuit's.
        expected: usize,
        /// The proof's.
        actual: usize,
        /// The circuit's input instances.
        inputs: usize,
        /// The circuit's output instances.
        outputs: usize,
    },
    /// An instance that does not match: what the circuit fixes, or the proof file's own record
    /// of it when the pairing fails.
    #[error("instance {index} ({role}) does not match: {message}")]
    Instance {
        /// Its index.
        index: usize,
        /// What it is: the model commitment, the binding, input value 3, the output commitment, …
        role: String,
        /// Why.
        message: String,
    },
}

/// A tensor of a verified proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "visibility", rename_all = "lowercase")]
pub enum VerifiedTensor {
    /// Its values are public instances: decoded from them.
    Public {
        /// Fixed-point values (scale `2^scale_bits`).
        values_fixed: Vec<i64>,
    },
    /// One commitment instance; the values only from an opening checked against it.
    Hashed {
        /// The verified commitment, `0x`-hex.
        commitment: String,
        /// The opened values, when an opening was given and hashes to the commitment.
        opened: Option<Vec<i64>>,
    },
    /// Nothing of it is public.
    Private,
    /// Graph inputs of different visibilities: the public ones' values, and the commitment of
    /// the hashed ones.
    Mixed {
        /// Each graph input's visibility, in graph order.
        inputs: Vec<Visibility>,
        /// The public graph inputs' fixed-point values, in graph order.
        public_values_fixed: Vec<i64>,
        /// The hashed graph inputs' commitment, `0x`-hex, if some is hashed.
        commitment: Option<String>,
    },
}

impl VerifiedTensor {
    /// The fixed-point values, when verified (public, or opened against the commitment).
    pub fn values_fixed(&self) -> Option<&[i64]> {
        match self {
            VerifiedTensor::Public { values_fixed } => Some(values_fixed),
            VerifiedTensor::Hashed { opened: Some(v), .. } => Some(v),
            _ => None,
        }
    }
}

/// What a verified proof says: each field decoded from the verified public instances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedProof {
    /// The verifying key's digest (`VK_DIGEST`), `0x`-hex.
    pub circuit_id: String,
    /// Instance 0: the model commitment (fixed weights) or the weights' commitment (hashed).
    pub model_commitment: String,
    /// Instance 1: the binding (zero: unbound).
    pub binding: String,
    /// The input.
    pub input: VerifiedTensor,
    /// The output.
    pub output: VerifiedTensor,
    /// Fractional bits of the fixed-point values.
    pub scale_bits: u32,
    /// The output's instance range `[start, end)`.
    pub output_instances: [usize; 2],
}

impl VerifiedProof {
    /// The outputs as floats, when verified (public, or opened against the commitment).
    pub fn outputs(&self) -> Option<Vec<f64>> {
        let scale = f64::from(1u32 << self.scale_bits);
        self.output.values_fixed().map(|v| v.iter().map(|x| *x as f64 / scale).collect())
    }
    /// One line on the output: its decoded values, or what the proof shows of it.
    pub fn describe_output(&self) -> String {
        let [a, b] = self.output_instances;
        match (&self.output, self.outputs()) {
            (VerifiedTensor::Public { .. }, Some(v)) => format!("outputs {v:?} (public instances {a}..{b})"),
            (VerifiedTensor::Hashed { commitment, .. }, Some(v)) => {
                format!("outputs {v:?} (from the opening, which hashes to the output commitment {commitment}, instance {a})")
            }
            (VerifiedTensor::Hashed { commitment, .. }, None) => {
                format!("output hashed: commitment {commitment} (instance {a}); its values are in the prover's opening file")
            }
            _ => "output private: the proof reveals nothing of it".into(),
        }
    }
}

/// What instance `index` of a circuit with `layout` is.
pub fn instance_role(layout: &InstanceLayout, index: usize) -> String {
    let weights_hashed = layout.visibility.weights == Visibility::Hashed;
    let in_range = |r: [usize; 2]| (r[0]..r[1]).contains(&index);
    match index {
        0 if weights_hashed => "the weights' commitment".into(),
        0 => "the model commitment".into(),
        1 => "the binding".into(),
        i if layout.input_commitment() == Some(i) => "the input commitment".into(),
        i if in_range(layout.inputs) => format!("input value {}", i - layout.inputs[0]),
        _ if in_range(layout.outputs) && layout.visibility.output == Visibility::Hashed => "the output commitment".into(),
        i if in_range(layout.outputs) => format!("output {}", i - layout.outputs[0]),
        _ => "beyond the circuit's instances".into(),
    }
}

/// A field element as a signed 64-bit fixed-point value (`v` or `r − |v|`), if it is one.
pub fn fr_to_i64(f: &Fr) -> Option<i64> {
    let small = |x: &Fr| -> Option<i64> {
        let b = zkinfer_verifier_gen::transcript::encode_scalar(x);
        b[..24].iter().all(|x| *x == 0).then(|| u64::from_be_bytes(b[24..].try_into().unwrap_or_default())).and_then(|v| i64::try_from(v).ok())
    };
    small(f).or_else(|| small(&-*f).map(|v| -v))
}

/// Checks the instances against what the circuit fixes, before any cryptography: their count,
/// instance 0 against the model commitment the key pins (fixed weights), and every public value
/// inside the circuit's range.
pub fn check_instances(circuit: &CircuitArtifact, instances: &[Fr]) -> Result<(), Refused> {
    let l = &circuit.instances;
    if instances.len() != circuit.plan.num_instances {
        return Err(Refused::InstanceCount {
            expected: circuit.plan.num_instances,
            actual: instances.len(),
            inputs: l.inputs[1] - l.inputs[0],
            outputs: l.outputs[1] - l.outputs[0],
        });
    }
    let refuse = |index: usize, message: String| Refused::Instance { index, role: instance_role(l, index), message };
    if l.visibility.weights != Visibility::Hashed && fr_to_hex(&instances[l.model_commitment]) != circuit.model_commitment {
        let found = fr_to_hex(&instances[l.model_commitment]);
        return Err(refuse(0, format!("{found}, but the circuit's model commitment (fixed weights, pinned in the verifying key) is {}: a proof about another model", circuit.model_commitment)));
    }
    let p = circuit.model.params;
    for (range, public) in [(l.public_inputs(), true), (l.outputs, l.visibility.output == Visibility::Public)] {
        if !public {
            continue;
        }
        for (i, value) in instances.iter().enumerate().take(range[1]).skip(range[0]) {
            if !fr_to_i64(value).is_some_and(|v| (p.min()..=p.max()).contains(&i128::from(v))) {
                return Err(refuse(i, format!(
                    "{} is not a value the circuit can make: outside [{}, {}] (fixed point at scale 2^{})",
                    fr_to_hex(value),
                    p.min(),
                    p.max(),
                    p.scale_bits
                )));
            }
        }
    }
    Ok(())
}

/// The opening of a hashed output to check against the verified commitment: the file (for
/// messages) and its content.
#[derive(Debug, Clone, Copy)]
pub struct OpeningRef<'a> {
    /// The opening file.
    pub path: &'a Path,
    /// Its content.
    pub opening: &'a OpeningArtifact,
}

/// Verifies a proof and its instances under keys of `circuit` ([`check_instances`], then
/// [`crate::proving::verify_typed`]) and decodes them. A hashed output's values are taken from
/// `opening` only if it hashes to the verified commitment (else the opening is refused).
pub fn verify_instances(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    circuit: &CircuitArtifact,
    proof: &[u8],
    instances: &[Fr],
    opening: Option<OpeningRef<'_>>,
) -> Result<VerifiedProof> {
    check_instances(circuit, instances)?;
    crate::proving::verify_typed(params, vk, proof, instances)?;
    decode(circuit, vk, instances, opening)
}

/// [`verify_instances`] for a proof file (`path` for messages), which is first checked to be of
/// these keys (its `circuit_id`) and whose convenience fields (`outputs`, `outputs_fixed`,
/// `scale_bits`, the commitments) must agree with the verified instances: a file that disagrees
/// is refused, naming the field. When the pairing fails and the file's own record of an instance
/// differs from it, that instance is named.
pub fn verify_artifact(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    circuit: &CircuitArtifact,
    proof: &ProofArtifact,
    path: &Path,
    opening: Option<OpeningRef<'_>>,
) -> Result<VerifiedProof> {
    let keys = fr_to_hex(&vk.transcript_repr());
    if let Some(id) = &proof.circuit_id {
        if !id.eq_ignore_ascii_case(&keys) {
            return Err(Refused::OtherCircuit { path: path.to_path_buf(), proof: id.clone(), keys }.into());
        }
    }
    let instances = proof.instance_values()?;
    check_instances(circuit, &instances)?;
    let mismatch = convenience_mismatch(proof, circuit, &instances);
    match crate::proving::verify_typed(params, vk, &proof.proof_bytes()?, &instances) {
        Ok(()) => {}
        Err(VerifyError::Pairing) => {
            if let Some(Mismatch { field, index: Some(index), recorded, .. }) = mismatch {
                let message = format!(
                    "it is {}, but the proof file's {field} records {recorded}: the instance was changed after proving, and the proof is not valid with it",
                    fr_to_hex(&instances[index])
                );
                return Err(Refused::Instance { index, role: instance_role(&circuit.instances, index), message }.into());
            }
            return Err(VerifyError::Pairing.into());
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(m) = mismatch {
        return Err(ProverError::invalid(path, m.field, format!("{}; refused: the file was edited after proving (the values shown are decoded from the verified instances)", m.message)));
    }
    decode(circuit, vk, &instances, opening)
}

/// A convenience field of a proof file that disagrees with its instances.
struct Mismatch {
    field: String,
    /// The instance it duplicates, if one.
    index: Option<usize>,
    /// What the file records.
    recorded: String,
    message: String,
}

fn convenience_mismatch(proof: &ProofArtifact, circuit: &CircuitArtifact, instances: &[Fr]) -> Option<Mismatch> {
    let l = &circuit.instances;
    let hex = |i: usize| fr_to_hex(&instances[i]);
    // Where each commitment instance is, if the circuit hashes that tensor.
    let output_at = (l.visibility.output == Visibility::Hashed).then_some(l.outputs[0]);
    let commitments = [("input_commitment", &proof.input_commitment, l.input_commitment()), ("output_commitment", &proof.output_commitment, output_at)];
    for (field, recorded, at) in commitments {
        let expected = at.map(hex);
        let same = match (recorded, &expected) {
            (Some(r), Some(e)) => r.eq_ignore_ascii_case(e),
            (None, None) => true,
            _ => false,
        };
        if !same {
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
            let message = match at {
                Some(i) => format!("{} is not instance {i} (hashed), which is {}", shown(recorded), shown(&expected)),
                None => format!("{}, but the circuit hashes no such tensor ({}): its proofs carry no commitment of it", shown(recorded), l.visibility),
            };
            return Some(Mismatch { field: field.into(), index: at, recorded: shown(recorded), message });
        }
    }
    let scale = circuit.model.params.scale_bits;
    if proof.scale_bits != scale {
        return Some(Mismatch { field: "scale_bits".into(), index: None, recorded: proof.scale_bits.to_string(), message: format!("{}, but the circuit's scale is 2^{scale}", proof.scale_bits) });
    }
    if l.visibility.output != Visibility::Public {
        // No output values in the instances: nothing decodes them, and nothing shows the file's.
        return None;
    }
    let decoded: Vec<i64> = (l.outputs[0]..l.outputs[1]).map(|i| fr_to_i64(&instances[i]).unwrap_or_default()).collect();
    if let Some(j) = (0..decoded.len()).find(|j| proof.outputs_fixed.get(*j) != Some(&decoded[*j])) {
        let recorded = proof.outputs_fixed.get(j).map_or("nothing".into(), |v| v.to_string());
        let message = format!("{:?}, but the public output instances decode to {decoded:?}", proof.outputs_fixed);
        return Some(Mismatch { field: format!("outputs_fixed[{j}]"), index: Some(l.outputs[0] + j), recorded, message });
    }
    if proof.outputs_fixed.len() != decoded.len() {
        return Some(Mismatch { field: "outputs_fixed".into(), index: None, recorded: format!("{:?}", proof.outputs_fixed), message: format!("{} values, the circuit has {} outputs", proof.outputs_fixed.len(), decoded.len()) });
    }
    let floats: Vec<f64> = decoded.iter().map(|v| circuit.model.params.dequantise(*v)).collect();
    if proof.outputs != floats {
        let message = format!("{:?}, but the public output instances decode to {floats:?}", proof.outputs);
        return Some(Mismatch { field: "outputs".into(), index: None, recorded: format!("{:?}", proof.outputs), message });
    }
    None
}

/// Decodes verified instances; checks a hashed output's opening against its commitment.
fn decode(circuit: &CircuitArtifact, vk: &VerifyingKey<G1Affine>, instances: &[Fr], opening: Option<OpeningRef<'_>>) -> Result<VerifiedProof> {
    let l = &circuit.instances;
    let tensor = |range: [usize; 2], vis: Visibility| match vis {
        Visibility::Public => VerifiedTensor::Public { values_fixed: (range[0]..range[1]).map(|i| fr_to_i64(&instances[i]).unwrap_or_default()).collect() },
        Visibility::Hashed => VerifiedTensor::Hashed { commitment: fr_to_hex(&instances[range[0]]), opened: None },
        _ => VerifiedTensor::Private,
    };
    let mut output = tensor(l.outputs, l.visibility.output);
    if let (VerifiedTensor::Hashed { opened, .. }, Some(o)) = (&mut output, opening) {
        *opened = Some(open_output(circuit, &instances[l.outputs[0]], o)?);
    }
    Ok(VerifiedProof {
        circuit_id: fr_to_hex(&vk.transcript_repr()),
        model_commitment: fr_to_hex(&instances[l.model_commitment]),
        binding: fr_to_hex(&instances[l.binding]),
        input: match l.visibility.uniform_input() {
            Some(v) => tensor(l.inputs, v),
            None => VerifiedTensor::Mixed {
                inputs: l.visibility.inputs.named().map(|(_, v)| v).collect(),
                public_values_fixed: (l.public_inputs()[0]..l.public_inputs()[1]).map(|i| fr_to_i64(&instances[i]).unwrap_or_default()).collect(),
                commitment: l.input_commitment().map(|i| fr_to_hex(&instances[i])),
            },
        },
        output,
        scale_bits: circuit.model.params.scale_bits,
        output_instances: l.outputs,
    })
}

/// The output values of an opening, once they hash (with its salt, at the circuit's packing) to
/// the verified output commitment.
fn open_output(circuit: &CircuitArtifact, commitment: &Fr, o: OpeningRef<'_>) -> Result<Vec<i64>> {
    let bad = |field: &str, m: String| ProverError::invalid(o.path, field, format!("{m}; the opening is refused"));
    let Some(t) = &o.opening.output else {
        return Err(bad("output", "null, but the circuit hashes its output".into()));
    };
    let bits = circuit.plan.shape.packing_bits();
    if o.opening.packing_bits != bits {
        return Err(bad("packing_bits", format!("{}, but the circuit packs {bits}-bit values", o.opening.packing_bits)));
    }
    let count = circuit.model.outputs.len();
    if t.values_fixed.len() != count {
        return Err(bad("output.values_fixed", format!("{} values, the circuit has {count} outputs", t.values_fixed.len())));
    }
    let salt = super::fr_from_hex(&o.opening.salt).ok_or_else(|| bad("salt", "not a field element".into()))?;
    let recomputed = crate::hash::commit(Tensor::Output, &t.values_fixed, bits, salt)?;
    if recomputed != *commitment {
        return Err(bad(
            "output.values_fixed",
            format!("with its salt they hash to {}, not to the verified output commitment {}: not the proven output", fr_to_hex(&recomputed), fr_to_hex(commitment)),
        ));
    }
    Ok(t.values_fixed.clone())
}
