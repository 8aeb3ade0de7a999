//! Versioned artifact formats (documented in `docs/artifacts.md`).
//!
//! * `circuit.json` — [`CircuitArtifact`]: the compiled, quantised model and circuit plan.
//! * `pk.bin` / `vk.bin` — 8-byte magic (`ZKIPK001` / `ZKIVK001`), then halo2-axiom's
//!   `ProvingKey::write` / `VerifyingKey::write` in `SerdeFormat::RawBytes`.
//! * `proof.json` — [`ProofArtifact`]: proof bytes, public instances and decoded outputs.
//! * `setup.json` — [`SetupArtifact`] (its own version, [`SETUP_VERSION`]): the SRS the keys were
//!   made with and its description.

mod check;
mod keys;
mod verified;

pub use verified::{check_instances, fr_to_i64, instance_role, verify_artifact, verify_instances, OpeningRef, Refused, VerifiedProof, VerifiedTensor};

use crate::circuit::{CircuitPlan, CircuitShape, ModelCircuit};
use crate::hash::Tensor;
use crate::visibility::{Visibilities, Visibility};
use crate::error::{ProverError, Result};
use crate::quant::QuantModel;
use crate::srs::{SrsInfo, SrsSource};
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::SerdeFormat;
use serde::{Deserialize, Serialize};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Version of every JSON artifact written by this build.
pub const ARTIFACT_VERSION: u32 = 3;
/// `circuit.json`'s version when the circuit uses a field that builds before it do not know
/// (`limb_bits`, `interp`): such a build then refuses the file instead of misreading it. Other
/// circuits keep [`ARTIFACT_VERSION`], so that older builds still read them.
pub const CIRCUIT_VERSION_EXTENDED: u32 = 4;

/// The version `circuit.json` is written with for `plan` ([`CIRCUIT_VERSION_EXTENDED`]).
pub fn circuit_version(plan: &CircuitPlan) -> u32 {
    match plan.shape.limb_bits.is_some() || plan.shape.interp.is_some() {
        true => CIRCUIT_VERSION_EXTENDED,
        false => ARTIFACT_VERSION,
    }
}

/// Proof system identifier recorded in artifacts.
pub const PROTOCOL: &str = "halo2-axiom-0.5/kzg-bn254/shplonk";
/// Transcript identifier recorded in artifacts.
pub const TRANSCRIPT: &str = "keccak256-evm-v1";
const PK_MAGIC: &[u8; 8] = b"ZKIPK001";
const VK_MAGIC: &[u8; 8] = b"ZKIVK001";

/// `circuit.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CircuitArtifact {
    /// Always `"zkinfer-circuit"`.
    pub format: String,
    /// [`ARTIFACT_VERSION`].
    pub version: u32,
    /// The ONNX file compiled.
    pub model_file: String,
    /// Keccak-256 of the ONNX file, hex.
    pub model_file_keccak256: String,
    /// The model commitment ([`QuantModel::commitment`]), `0x`-hex (32 bytes): with fixed weights
    /// public instance 0. With hashed weights instance 0 is instead the weights' Poseidon
    /// commitment, which depends on the weight salt (see the opening file and `zkinfer commit`).
    pub model_commitment: String,
    /// Circuit size and shape.
    pub plan: CircuitPlan,
    /// Public instance layout.
    pub instances: InstanceLayout,
    /// The quantised model.
    pub model: QuantModel,
    /// For an accuracy circuit ([`crate::accuracy`]): its samples, features and classes (the
    /// model is then the batch-and-score model built from the ONNX file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<crate::accuracy::AccuracySpec>,
    /// How the ONNX graph was lowered, when not the default ([`crate::ir::LowerOptions`]):
    /// re-lowering the file (another weight set, a commitment check) must do the same.
    #[serde(default, skip_serializing_if = "crate::ir::LowerOptions::is_default")]
    pub lowering: crate::ir::LowerOptions,
}

/// Where things sit in the public instance vector.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstanceLayout {
    /// Index of the model commitment (0).
    pub model_commitment: usize,
    /// Index of the claimant binding (1; [`crate::binding::Binding`]).
    pub binding: usize,
    /// What the proof reveals of each tensor group.
    pub visibility: Visibilities,
    /// Range `[start, end)` of the input: its values (public), its commitment (hashed, one
    /// instance) or empty (private).
    pub inputs: [usize; 2],
    /// Range `[start, end)` of the output: its values (public), its commitment (hashed, one
    /// instance) or empty (private).
    pub outputs: [usize; 2],
}

impl InstanceLayout {
    /// The layout of a circuit shape for a model.
    pub fn of(shape: &CircuitShape, model: &QuantModel) -> Self {
        let ni = shape.input_instances(model);
        let no = shape.output_instances(model);
        Self { model_commitment: 0, binding: 1, visibility: shape.visibility, inputs: [2, 2 + ni], outputs: [2 + ni, 2 + ni + no] }
    }
    /// Where the input commitment is, if some graph input is hashed: the input's last instance.
    pub fn input_commitment(&self) -> Option<usize> {
        self.visibility.any_input(Visibility::Hashed).then(|| self.inputs[1].saturating_sub(1))
    }
    /// Range `[start, end)` of the public input values (graph inputs in order, only the public
    /// ones).
    pub fn public_inputs(&self) -> [usize; 2] {
        [self.inputs[0], self.input_commitment().unwrap_or(self.inputs[1]).max(self.inputs[0])]
    }
}

impl CircuitArtifact {
    /// Builds the artifact.
    pub fn new(model_file: &Path, model: QuantModel, plan: CircuitPlan) -> Result<Self> {
        use sha3::{Digest, Keccak256};
        let bytes = std::fs::read(model_file).map_err(|e| ProverError::io(model_file, e))?;
        Ok(Self {
            format: "zkinfer-circuit".into(),
            version: circuit_version(&plan),
            model_file: model_file.display().to_string(),
            model_file_keccak256: hex::encode(Keccak256::digest(&bytes)),
            model_commitment: format!("0x{}", hex::encode(model.commitment())),
            instances: InstanceLayout::of(&plan.shape, &model),
            plan,
            model,
            accuracy: None,
            lowering: crate::ir::LowerOptions::default(),
        })
    }
    /// The artifact of a compiled model (an accuracy circuit's included).
    pub fn of(model_file: &Path, compiled: crate::Compiled) -> Result<Self> {
        let mut art = Self::new(model_file, compiled.model, compiled.plan)?;
        art.accuracy = compiled.accuracy;
        art.lowering = compiled.lowering;
        Ok(art)
    }
    /// Writes JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
    /// Reads and checks the file: format and version, then every field ([`CircuitArtifact::validate`]).
    pub fn load(path: &Path) -> Result<Self> {
        let a: Self = read_json(path, crate::limits::MAX_CIRCUIT_JSON_BYTES)?;
        // Version 3 or 4, and 4 with interpolated tables (version 3 files with `limb_bits` were
        // written by builds that knew it).
        let interp = a.plan.shape.interp.is_some() || a.model.params.interp.is_some();
        let version = if a.version == ARTIFACT_VERSION && !interp { CIRCUIT_VERSION_EXTENDED } else { a.version };
        check_header_version(path, &a.format, "zkinfer-circuit", version, CIRCUIT_VERSION_EXTENDED)?;
        a.validate(path)?;
        Ok(a)
    }
    /// The same circuit proving another weight set of its architecture (hashed weights only):
    /// the ONNX file at `model_file`, quantised with the circuit's parameters. Names the first
    /// architectural difference.
    pub fn with_weights_from(&self, model_file: &Path) -> Result<Self> {
        if !self.plan.shape.hashed_weights() {
            return Err(ProverError::BadSettings(format!(
                "the circuit's weights are fixed ({}): its keys prove only the model it was compiled from; compile with --visibility weights=hashed to prove other weight sets",
                self.plan.shape.visibility
            )));
        }
        let layers = crate::onnx::load(model_file)?.lower_with(&self.lowering)?;
        // The circuit's weight sharing (its first layers are the base model's, replica 0 first).
        let mut model = QuantModel::from_layers(&layers, self.model.params)?.with_committed_biases().with_ties_of(&self.model).map_err(|e| {
            ProverError::BadGraph { path: model_file.to_path_buf(), message: format!("does not have the circuit's architecture ({e})") }
        })?;
        if let Some(spec) = self.accuracy {
            model = crate::accuracy::accuracy_model(&model, spec.samples)?.0;
        }
        model.check_committed_range(self.plan.shape.packing_bits())?;
        self.model.check_architecture(&model).map_err(|e| ProverError::BadGraph {
            path: model_file.to_path_buf(),
            message: format!("does not have the circuit's architecture ({e}): compile it into its own circuit"),
        })?;
        let mut art = Self::new(model_file, model, self.plan.clone())?;
        art.instances = self.instances.clone();
        art.accuracy = self.accuracy;
        art.lowering = self.lowering;
        Ok(art)
    }
    /// The circuit without witness (for keygen and key loading).
    pub fn circuit(&self) -> ModelCircuit {
        ModelCircuit { model: std::sync::Arc::new(self.model.clone()), shape: self.plan.shape, trace: None }
    }
}

/// `proof.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProofArtifact {
    /// Always `"zkinfer-proof"`.
    pub format: String,
    /// [`ARTIFACT_VERSION`].
    pub version: u32,
    /// [`PROTOCOL`].
    pub protocol: String,
    /// [`TRANSCRIPT`].
    pub transcript: String,
    /// `0x`-hex proof bytes (verifier-gen transcript format).
    pub proof: String,
    /// Public instances, each a `0x`-hex 32-byte big-endian field element.
    pub instances: Vec<String>,
    /// Model commitment (= instances[0]).
    pub model_commitment: String,
    /// Claimant binding (= instances[1]; zero: unbound).
    pub binding: String,
    /// The hashed input's commitment (its instance), if the input is hashed.
    pub input_commitment: Option<String>,
    /// The hashed output's commitment (its instance), if the output is hashed.
    pub output_commitment: Option<String>,
    /// Fixed-point outputs (signed integers at scale 2^scale_bits).
    pub outputs_fixed: Vec<i64>,
    /// Outputs as floats.
    pub outputs: Vec<f64>,
    /// Fractional bits of the fixed-point values.
    pub scale_bits: u32,
    /// The circuit the proof is for: its verifying key's digest (the verifier's `VK_DIGEST`, the
    /// registry's circuit id), `0x`-hex. Absent in files of earlier builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_id: Option<String>,
}

impl ProofArtifact {
    /// Builds the artifact.
    pub fn new(proof: &[u8], instances: &[Fr], model: &QuantModel, layout: &InstanceLayout, outputs_fixed: Vec<i64>) -> Self {
        let instances: Vec<String> = instances.iter().map(fr_to_hex).collect();
        let at = |i: usize| instances.get(i).cloned().unwrap_or_default();
        Self {
            format: "zkinfer-proof".into(),
            version: ARTIFACT_VERSION,
            protocol: PROTOCOL.into(),
            transcript: TRANSCRIPT.into(),
            proof: format!("0x{}", hex::encode(proof)),
            model_commitment: at(layout.model_commitment),
            binding: at(layout.binding),
            input_commitment: layout.input_commitment().map(at),
            output_commitment: (layout.visibility.output == Visibility::Hashed).then(|| at(layout.outputs[0])),
            instances,
            outputs: outputs_fixed.iter().map(|v| model.params.dequantise(*v)).collect(),
            outputs_fixed,
            scale_bits: model.params.scale_bits,
            circuit_id: None,
        }
    }
    /// The same artifact naming the circuit of `vk` (its digest, `VK_DIGEST`).
    pub fn with_circuit_id(mut self, vk: &VerifyingKey<G1Affine>) -> Self {
        self.circuit_id = Some(fr_to_hex(&vk.transcript_repr()));
        self
    }
    /// Writes JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
    /// Reads and checks the file: format and version, then every field ([`ProofArtifact::validate`]).
    pub fn load(path: &Path) -> Result<Self> {
        let a: Self = read_json(path, crate::limits::MAX_DATA_JSON_BYTES)?;
        check_header(path, &a.format, "zkinfer-proof", a.version)?;
        a.validate(path)?;
        Ok(a)
    }
    /// Decoded proof bytes.
    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(self.proof.trim_start_matches("0x")).map_err(|e| ProverError::BadInput(format!("field 'proof': {e}")))
    }
    /// Decoded instances.
    pub fn instance_values(&self) -> Result<Vec<Fr>> {
        self.instances
            .iter()
            .enumerate()
            .map(|(i, h)| fr_from_hex(h).ok_or_else(|| ProverError::BadInput(format!("field 'instances[{i}]': not a canonical 32-byte field element"))))
            .collect()
    }
}

/// `*.opening.json`: what opens the hashed tensors' commitments of one proof. Stays with the
/// prover's user; never part of a proof.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpeningArtifact {
    /// Always `"zkinfer-opening"`.
    pub format: String,
    /// [`ARTIFACT_VERSION`].
    pub version: u32,
    /// The salt, `0x`-hex (zero: unsalted), shared by every hashed tensor.
    pub salt: String,
    /// Bits per packed value.
    pub packing_bits: u32,
    /// The input's opening, if the input is hashed.
    pub input: Option<TensorOpening>,
    /// The output's opening, if the output is hashed.
    pub output: Option<TensorOpening>,
    /// The weights' commitment and salt, if the weights are hashed (the values are the model's).
    #[serde(default)]
    pub weights: Option<WeightsOpening>,
}

/// Hashed weights: the commitment (public instance 0) and its salt, which the model's owner
/// keeps and reuses so that the commitment names the model across proofs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WeightsOpening {
    /// The commitment to [`QuantModel::committed_weights`], `0x`-hex.
    pub commitment: String,
    /// Its salt, `0x`-hex (zero: unsalted).
    pub salt: String,
    /// Number of committed values (weights and biases).
    pub count: usize,
}

/// One hashed tensor: its commitment and the committed values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TensorOpening {
    /// The commitment ([`crate::hash::commit`]), `0x`-hex: its public instance.
    pub commitment: String,
    /// The committed fixed-point values (an input whose graph inputs differ in visibility: the
    /// hashed graph inputs' values, in graph order).
    pub values_fixed: Vec<i64>,
}

impl OpeningArtifact {
    /// The opening of the tensors `shape` hashes, for a fixed-point input and output and the
    /// model (computing the commitments); `None` if it hashes none.
    pub fn new(shape: &CircuitShape, model: &QuantModel, input: &[i64], output: &[i64], salt: Fr, weight_salt: Fr) -> Result<Option<Self>> {
        let bits = shape.packing_bits();
        let open = |tensor: Tensor, visibility: Visibility, values: &[i64]| -> Result<Option<TensorOpening>> {
            if visibility != Visibility::Hashed {
                return Ok(None);
            }
            let c = crate::hash::commit(tensor, values, bits, salt)?;
            Ok(Some(TensorOpening { commitment: fr_to_hex(&c), values_fixed: values.to_vec() }))
        };
        let hashed_input = crate::visibility::InputWires::pick(input, &shape.input_wires(model).hashed);
        let hashes_input = if hashed_input.is_empty() { Visibility::Private } else { Visibility::Hashed };
        let input = open(Tensor::Input, hashes_input, &hashed_input)?;
        let output = open(Tensor::Output, shape.visibility.output, output)?;
        let weights = match shape.hashed_weights() {
            true => {
                let values = model.committed_weights();
                let c = crate::hash::commit(Tensor::Weights, &values, bits, weight_salt)?;
                Some(WeightsOpening { commitment: fr_to_hex(&c), salt: fr_to_hex(&weight_salt), count: values.len() })
            }
            false => None,
        };
        if input.is_none() && output.is_none() && weights.is_none() {
            return Ok(None);
        }
        Ok(Some(Self { format: "zkinfer-opening".into(), version: ARTIFACT_VERSION, salt: fr_to_hex(&salt), packing_bits: bits, input, output, weights }))
    }
    /// Writes JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
    /// Reads and checks the file: format and version, then every field ([`OpeningArtifact::validate`]).
    pub fn load(path: &Path) -> Result<Self> {
        let a: Self = read_json(path, crate::limits::MAX_DATA_JSON_BYTES)?;
        check_header(path, &a.format, "zkinfer-opening", a.version)?;
        a.validate(path)?;
        Ok(a)
    }
}

/// `0x`-hex big-endian encoding of a field element.
pub fn fr_to_hex(f: &Fr) -> String {
    format!("0x{}", hex::encode(zkinfer_verifier_gen::transcript::encode_scalar(f)))
}

/// Parses [`fr_to_hex`]'s output.
pub fn fr_from_hex(s: &str) -> Option<Fr> {
    let bytes = hex::decode(s.trim_start_matches("0x")).ok()?;
    let arr: [u8; 32] = bytes.try_into().ok()?;
    zkinfer_verifier_gen::transcript::decode_scalar(&arr)
}

/// Writes a proving key.
pub fn save_pk(path: &Path, pk: &ProvingKey<G1Affine>) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| ProverError::io(path, e))?;
    let mut w = BufWriter::new(f);
    w.write_all(PK_MAGIC).map_err(|e| ProverError::io(path, e))?;
    pk.write(&mut w, SerdeFormat::RawBytes).map_err(|e| ProverError::io(path, e))?;
    w.flush().map_err(|e| ProverError::io(path, e))
}

/// Writes a verifying key.
pub fn save_vk(path: &Path, vk: &VerifyingKey<G1Affine>) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| ProverError::io(path, e))?;
    let mut w = BufWriter::new(f);
    w.write_all(VK_MAGIC).map_err(|e| ProverError::io(path, e))?;
    vk.write(&mut w, SerdeFormat::RawBytes).map_err(|e| ProverError::io(path, e))?;
    w.flush().map_err(|e| ProverError::io(path, e))
}

fn open_with_magic(path: &Path, magic: &[u8; 8]) -> Result<BufReader<std::fs::File>> {
    // A regular file (its length is checked against the key's layout before it is read).
    crate::limits::check_file(path, u64::MAX)?;
    let f = std::fs::File::open(path).map_err(|e| ProverError::io(path, e))?;
    let mut r = BufReader::new(f);
    let mut m = [0u8; 8];
    r.read_exact(&mut m).map_err(|e| ProverError::io(path, e))?;
    if &m != magic {
        return Err(ProverError::Artifact {
            path: path.to_path_buf(),
            message: format!("bad magic {:?}, expected {:?}", String::from_utf8_lossy(&m), String::from_utf8_lossy(magic)),
        });
    }
    Ok(r)
}

/// Reads a proving key for a circuit, after checking the file against the key layout the
/// circuit's shape implies (its length, every length field, every scalar; see [`keys`]).
pub fn load_pk(path: &Path, circuit: &CircuitArtifact) -> Result<ProvingKey<G1Affine>> {
    keys::check(path, circuit, keys::Kind::Proving, open_with_magic(path, PK_MAGIC)?)?;
    let mut r = open_with_magic(path, PK_MAGIC)?;
    let pk = ProvingKey::read::<_, ModelCircuit>(&mut r, SerdeFormat::RawBytes, circuit.plan.shape)
        .map_err(|e| ProverError::Artifact { path: path.to_path_buf(), message: format!("unreadable proving key: {e}") })?;
    keys::check_loaded(path, pk.get_vk())?;
    Ok(pk)
}

/// Reads a verifying key for a circuit, after checking the file against the key layout the
/// circuit's shape implies (see [`keys`]).
pub fn load_vk(path: &Path, circuit: &CircuitArtifact) -> Result<VerifyingKey<G1Affine>> {
    keys::check(path, circuit, keys::Kind::Verifying, open_with_magic(path, VK_MAGIC)?)?;
    let mut r = open_with_magic(path, VK_MAGIC)?;
    let vk = VerifyingKey::read::<_, ModelCircuit>(&mut r, SerdeFormat::RawBytes, circuit.plan.shape)
        .map_err(|e| ProverError::Artifact { path: path.to_path_buf(), message: format!("unreadable verifying key: {e}") })?;
    keys::check_loaded(path, &vk)?;
    Ok(vk)
}

/// Version of `setup.json` written by this build (4 added `srs_info`; version 3 files, without
/// it, are still read).
pub const SETUP_VERSION: u32 = 4;

/// `setup.json`: which SRS the keys were made with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupArtifact {
    /// Always `"zkinfer-setup"`.
    pub format: String,
    /// [`SETUP_VERSION`] (3 is read too).
    pub version: u32,
    /// The SRS.
    pub srs: SrsSource,
    /// k.
    pub k: u32,
    /// What was loaded (version 4): format, sizes, the file's blake2b-512, the digest of the
    /// points used (checked again whenever the SRS is reopened for these keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srs_info: Option<SrsInfo>,
    /// Warning text when the SRS is the development one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

const DEV_WARNING: &str =
    "UNSAFE DEVELOPMENT SRS: its toxic waste is derived from a public seed; anyone can forge proofs for these keys. Use --srs with a ceremony SRS for production.";

impl SetupArtifact {
    /// Builds it (without a description of the SRS; see [`SetupArtifact::with_info`]).
    pub fn new(srs: SrsSource, k: u32) -> Self {
        let warning = matches!(srs, SrsSource::DevUnsafe).then(|| DEV_WARNING.to_string());
        Self { format: "zkinfer-setup".into(), version: SETUP_VERSION, srs, k, srs_info: None, warning }
    }
    /// Records what was loaded (a file that is the dev SRS gets the dev warning too).
    pub fn with_info(mut self, info: SrsInfo) -> Self {
        if info.dev {
            self.warning = Some(DEV_WARNING.to_string());
        }
        self.srs_info = Some(info);
        self
    }
    /// Whether the keys were made with the (unsafe) development SRS.
    pub fn dev_srs(&self) -> bool {
        matches!(self.srs, SrsSource::DevUnsafe) || self.srs_info.as_ref().is_some_and(|i| i.dev)
    }
    /// The SRS of these keys at `k`, checked to be the one recorded at setup (when recorded).
    pub fn params(&self, k: u32) -> Result<crate::srs::LoadedSrs> {
        crate::srs::reopen(&self.srs, k, self.srs_info.as_ref())
    }
    /// Writes JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
    /// Reads and checks the file: format and version (3 or 4), then every field
    /// ([`SetupArtifact::validate`]).
    pub fn load(path: &Path) -> Result<Self> {
        let a: Self = read_json(path, crate::limits::MAX_SMALL_JSON_BYTES)?;
        let version = if a.version == ARTIFACT_VERSION { SETUP_VERSION } else { a.version };
        check_header_version(path, &a.format, "zkinfer-setup", version, SETUP_VERSION)?;
        a.validate(path)?;
        Ok(a)
    }
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let mut s = serde_json::to_string_pretty(v).map_err(|e| ProverError::Artifact { path: path.to_path_buf(), message: e.to_string() })?;
    s.push('\n');
    std::fs::write(path, s).map_err(|e| ProverError::io(path, e))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, max_bytes: u64) -> Result<T> {
    let text = crate::limits::read_text(path, max_bytes)?;
    serde_json::from_str(&text).map_err(|e| ProverError::Artifact { path: path.to_path_buf(), message: e.to_string() })
}

fn check_header(path: &Path, format: &str, expected: &str, version: u32) -> Result<()> {
    check_header_version(path, format, expected, version, ARTIFACT_VERSION)
}

fn check_header_version(path: &Path, format: &str, expected: &str, version: u32, supported: u32) -> Result<()> {
    if format != expected {
        return Err(ProverError::Artifact { path: path.to_path_buf(), message: format!("field 'format' is '{format}', expected '{expected}'") });
    }
    if version != supported {
        return Err(ProverError::Artifact {
            path: path.to_path_buf(),
            message: format!("field 'version' is {version}; this build reads version {supported}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Regression: a proof at scale 2^16 failed `verify` ("field 'outputs'") because serde_json's
    /// default float parser is off by an ulp on some 17-digit values (61475 / 2^16 read back as
    /// 0.9380340576171876), and the recorded outputs are compared with the decoded ones exactly.
    /// The workspace enables `float_roundtrip`: every value at every scale reads back as written.
    #[test]
    fn regression_outputs_at_scale_2_16_survive_the_json_roundtrip() {
        for scale in [8u32, 12, 16] {
            for q in (-70_000i64..70_000).step_by(7) {
                let x = q as f64 / f64::from(1u32 << scale);
                let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
                assert!(back.to_bits() == x.to_bits(), "{q}/2^{scale}: wrote {x}, read {back}");
            }
        }
    }
}
