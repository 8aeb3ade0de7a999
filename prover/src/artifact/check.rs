//! What a loaded JSON artifact must satisfy beyond its format and version: every field in its
//! bounds and consistent with the others, so that nothing downstream (key generation, proving,
//! verification, the SRS) indexes past a list, overflows or allocates by a number from the file.
//! Errors name the file and the field.

use super::{fr_from_hex, CircuitArtifact, InstanceLayout, OpeningArtifact, ProofArtifact, SetupArtifact, TensorOpening, PROTOCOL, TRANSCRIPT};
use crate::circuit::{CircuitShape, MAX_K};
use crate::error::{ProverError, Result};
use crate::limits::{MAX_DOT_WIDTH, MAX_MODEL_TERMS, MAX_PROOF_BYTES, MAX_TENSOR_VALUES};
use crate::srs::SrsSource;
use std::path::Path;

fn invalid<T>(path: &Path, field: impl Into<String>, message: impl Into<String>) -> Result<T> {
    Err(ProverError::invalid(path, field, message))
}

/// A `0x`-hex canonical field element.
fn field_element(path: &Path, field: &str, hex: &str) -> Result<halo2_proofs::halo2curves::bn256::Fr> {
    fr_from_hex(hex).map_or_else(|| invalid(path, field, format!("{hex:?} is not a 0x-hex 32-byte canonical BN254 field element")), Ok)
}

impl CircuitArtifact {
    /// Checks every field of a loaded `circuit.json` (`path` for messages): the model's structure
    /// and parameters ([`crate::QuantModel::defect`]), its function tables, the circuit shape
    /// (the model's, at a dot width within [`MAX_DOT_WIDTH`]), the accuracy spec, the plan's `k`
    /// and instance count (recomputed from the model by a dry run of the layout: a model that
    /// needs more than `2^MAX_K` rows is refused here), the instance layout and the model
    /// commitment.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let model = &self.model;
        if let Some(m) = model.params.interp_defect() {
            return invalid(path, "model.params.interp", m);
        }
        if let Some((field, m)) = model.defect() {
            return invalid(path, format!("model.{field}"), m);
        }
        if let Some(m) = model.params.table_defect() {
            return invalid(path, "model.params.tables", m);
        }
        let shape = self.plan.shape;
        shape.visibility.validate().map_err(|e| ProverError::invalid(path, "plan.shape.visibility", e.to_string()))?;
        let min = CircuitShape::min_dot_width(shape.visibility, shape.interp.is_some());
        if !(min..=MAX_DOT_WIDTH).contains(&shape.dot_width) {
            return invalid(path, "plan.shape.dot_width", format!("{} is not in {min}..={MAX_DOT_WIDTH}", shape.dot_width));
        }
        if let Some(m) = shape.limb_defect() {
            return invalid(path, "plan.shape.limb_bits", m);
        }
        let expected = CircuitShape::for_model(model, shape.dot_width).with_visibility(shape.visibility).with_limb_bits(shape.limb_bits());
        if shape != expected {
            return invalid(path, "plan.shape", format!("{shape:?} is not the model's shape {expected:?}"));
        }
        if let Some(m) = self.accuracy.and_then(|spec| spec.defect(model)) {
            return invalid(path, "accuracy", m);
        }
        if shape.hashed_weights() {
            if !model.has_committed_biases() {
                return invalid(path, "model.layers", "hashed weights need every bias at the weights' scale (a multiple of 2^scale_bits)");
            }
            model.check_committed_range(shape.packing_bits()).map_err(|e| ProverError::invalid(path, "model.layers", e.to_string()))?;
        }
        let plan = crate::circuit::plan(model, shape).map_err(|e| ProverError::invalid(path, "model", e.to_string()))?;
        if plan.k != self.plan.k || self.plan.k > MAX_K {
            return invalid(path, "plan.k", format!("{}, but the model's circuit has k = {}", self.plan.k, plan.k));
        }
        if plan.num_instances != self.plan.num_instances {
            return invalid(path, "plan.num_instances", format!("{}, but the model's circuit has {}", self.plan.num_instances, plan.num_instances));
        }
        if self.instances != InstanceLayout::of(&shape, model) {
            return invalid(path, "instances", format!("{:?} is not the layout of the circuit's instances", self.instances));
        }
        if self.model_commitment != format!("0x{}", hex::encode(model.commitment())) {
            return invalid(path, "model_commitment", format!("{} is not the model's commitment", self.model_commitment));
        }
        Ok(())
    }
}

impl ProofArtifact {
    /// Checks every field of a loaded `proof.json` (`path` for messages): the protocol and
    /// transcript, the proof's hex (at most [`MAX_PROOF_BYTES`]), every instance a canonical
    /// field element (at least the model commitment and the binding, at most what a circuit can
    /// have), the commitments and the decoded outputs consistent with them.
    pub fn validate(&self, path: &Path) -> Result<()> {
        if self.protocol != PROTOCOL {
            return invalid(path, "protocol", format!("{:?}; this build proves {PROTOCOL:?}", self.protocol));
        }
        if self.transcript != TRANSCRIPT {
            return invalid(path, "transcript", format!("{:?}; this build uses {TRANSCRIPT:?}", self.transcript));
        }
        let Some(hex) = self.proof.strip_prefix("0x") else {
            return invalid(path, "proof", "no 0x prefix");
        };
        if hex.is_empty() || hex.len() > 2 * MAX_PROOF_BYTES || hex::decode(hex).is_err() {
            return invalid(path, "proof", format!("not 0x-hex of 1 to {MAX_PROOF_BYTES} bytes"));
        }
        let max = 2 + 2 * MAX_TENSOR_VALUES;
        if !(2..=max).contains(&self.instances.len()) {
            return invalid(path, "instances", format!("{} instances; a proof has 2 to {max}", self.instances.len()));
        }
        let values = self
            .instances
            .iter()
            .enumerate()
            .map(|(i, h)| field_element(path, &format!("instances[{i}]"), h))
            .collect::<Result<Vec<_>>>()?;
        for (field, hex, at) in [("model_commitment", &self.model_commitment, 0), ("binding", &self.binding, 1)] {
            if field_element(path, field, hex)? != values[at] {
                return invalid(path, field, format!("is not instances[{at}]"));
            }
        }
        for (field, c) in [("input_commitment", &self.input_commitment), ("output_commitment", &self.output_commitment)] {
            if let Some(c) = c {
                let v = field_element(path, field, c)?;
                if !values.contains(&v) {
                    return invalid(path, field, "is not one of the instances");
                }
            }
        }
        if let Some(id) = &self.circuit_id {
            field_element(path, "circuit_id", id)?;
        }
        if self.outputs.len() != self.outputs_fixed.len() || !(2..=16).contains(&self.scale_bits) {
            return invalid(path, "outputs", format!("{} outputs and {} fixed-point outputs at scale 2^{} (as many of each, scale 2..=16)", self.outputs.len(), self.outputs_fixed.len(), self.scale_bits));
        }
        Ok(())
    }
}

impl OpeningArtifact {
    /// Checks every field of a loaded opening (`path` for messages): the salts and commitments
    /// canonical field elements, the packing width in `2..=64`, every committed value in it.
    pub fn validate(&self, path: &Path) -> Result<()> {
        field_element(path, "salt", &self.salt)?;
        if !(2..=64).contains(&self.packing_bits) {
            return invalid(path, "packing_bits", format!("{} is not in 2..=64", self.packing_bits));
        }
        let half = 1i128 << (self.packing_bits - 1);
        let tensors: [(&str, &Option<TensorOpening>); 2] = [("input", &self.input), ("output", &self.output)];
        for (name, t) in tensors {
            let Some(t) = t else { continue };
            field_element(path, &format!("{name}.commitment"), &t.commitment)?;
            if t.values_fixed.len() > MAX_TENSOR_VALUES {
                return invalid(path, format!("{name}.values_fixed"), format!("more than {MAX_TENSOR_VALUES} values"));
            }
            if let Some(i) = t.values_fixed.iter().position(|v| !(-half..half).contains(&i128::from(*v))) {
                return invalid(path, format!("{name}.values_fixed[{i}]"), format!("{} is outside the {}-bit packing", t.values_fixed[i], self.packing_bits));
            }
        }
        if let Some(w) = &self.weights {
            field_element(path, "weights.commitment", &w.commitment)?;
            field_element(path, "weights.salt", &w.salt)?;
            if w.count > MAX_MODEL_TERMS {
                return invalid(path, "weights.count", format!("{} is more than {MAX_MODEL_TERMS}", w.count));
            }
        }
        Ok(())
    }
}

impl SetupArtifact {
    /// Checks every field of a loaded `setup.json` (`path` for messages): `k` in `1..=MAX_K`, an
    /// SRS file named by a non-empty path.
    pub fn validate(&self, path: &Path) -> Result<()> {
        if !(1..=MAX_K).contains(&self.k) {
            return invalid(path, "k", format!("{} is not in 1..={MAX_K}", self.k));
        }
        if let SrsSource::File { path: srs } = &self.srs {
            if srs.as_os_str().is_empty() {
                return invalid(path, "srs.path", "is empty");
            }
        }
        Ok(())
    }

    /// Checks that these keys were made for `circuit` (`path`: this file, for messages).
    pub fn check_circuit(&self, path: &Path, circuit: &CircuitArtifact) -> Result<()> {
        if self.k != circuit.plan.k {
            return invalid(path, "k", format!("{}, but the circuit's k is {}: the keys were made for another circuit", self.k, circuit.plan.k));
        }
        Ok(())
    }
}
