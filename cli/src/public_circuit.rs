//! `circuit.public.json`: everything of `circuit.json` a requester needs to compute a hashed
//! input's commitment (`zkinfer commit --input I --salt S`) without the model: the fixed-point
//! parameters, the input's length and packing, the instance layout and the model commitment. No
//! weights: it may be published with `vk.bin` and `setup.json` (docs/artifacts.md).

use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};
use std::path::Path;
use zkinfer_prover::artifact::{CircuitArtifact, InstanceLayout};
use zkinfer_prover::hash::{self, Tensor};
use zkinfer_prover::quant::QuantParams;
use zkinfer_prover::visibility::InputWires;

/// Format name.
pub const FORMAT: &str = "zkinfer-circuit-public";
/// Version.
pub const VERSION: u32 = 1;
/// File name in an artifacts directory.
pub const FILE: &str = "circuit.public.json";

/// The public description of a compiled circuit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicCircuit {
    pub format: String,
    pub version: u32,
    /// Public instance 0 with fixed weights (hashed weights: each proof's weights commitment).
    pub model_commitment: String,
    /// Where the model commitment, binding, input and output sit in the instances.
    pub instances: InstanceLayout,
    /// Values the model takes.
    pub input_len: usize,
    /// With several graph inputs, each one's number of values (in graph order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_sizes: Vec<usize>,
    /// The fixed-point parameters (scale, range, calibrated table ranges).
    pub params: QuantParams,
    /// Bits per packed value of a hashed tensor's commitment.
    pub packing_bits: u32,
    /// The circuit's size (2^k rows) and public instance count.
    pub k: u32,
    pub num_instances: usize,
    /// An accuracy circuit's samples, features and classes (the input is then a test set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<zkinfer_prover::accuracy::AccuracySpec>,
}

impl PublicCircuit {
    /// The public part of `art`.
    pub fn of(art: &CircuitArtifact) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            model_commitment: crate::hex32::normalise(&art.model_commitment).unwrap_or_else(|_| art.model_commitment.clone()),
            instances: art.instances.clone(),
            input_len: art.model.input_len(),
            input_sizes: art.model.input_sizes.clone(),
            params: art.model.params,
            packing_bits: art.plan.shape.packing_bits(),
            k: art.plan.k,
            num_instances: art.plan.num_instances,
            accuracy: art.accuracy,
        }
    }

    /// Reads it, checking the format.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        if text.len() > 16 << 20 {
            bail!("{}: larger than 16 MiB", path.display());
        }
        let p: Self = serde_json::from_str(&text).with_context(|| format!("{}: not a public circuit description", path.display()))?;
        if p.format != FORMAT || p.version != VERSION {
            bail!("{}: format {:?} version {}, expected {FORMAT:?} version {VERSION}", path.display(), p.format, p.version);
        }
        Ok(p)
    }

    /// The hashed input's commitment for an input (or test set) file and salt.
    pub fn input_commitment(&self, input: &Path, salt: Fr) -> Result<Fr> {
        let vis = self.instances.visibility;
        if !vis.any_input(zkinfer_prover::Visibility::Hashed) {
            bail!("--input: the circuit's input is not hashed ({vis}): its proofs carry no input commitment");
        }
        let values = match self.accuracy {
            Some(spec) => zkinfer_prover::input::read_test_set(input)?.flatten(&spec)?,
            None => zkinfer_prover::input::read_input(input)?,
        };
        if values.len() != self.input_len {
            bail!("{}: {} values, the model takes {}", input.display(), values.len(), self.input_len);
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            bail!("{}: value {i} is not a finite number", input.display());
        }
        let q: Vec<i64> = values.iter().map(|v| self.params.quantise(*v)).collect();
        let sizes = if self.input_sizes.is_empty() { vec![self.input_len] } else { self.input_sizes.clone() };
        let hashed = InputWires::pick(&q, &vis.input_wires(&sizes, self.input_len).hashed);
        Ok(hash::commit(Tensor::Input, &hashed, self.packing_bits, salt)?)
    }
}

/// Writes `DIR/circuit.public.json` next to a compiled `circuit.json`.
pub fn write(dir: &Path, art: &CircuitArtifact) -> Result<()> {
    let path = dir.join(FILE);
    std::fs::write(&path, serde_json::to_string_pretty(&PublicCircuit::of(art))? + "\n").with_context(|| format!("writing {}", path.display()))
}

/// `zkinfer commit` in a directory holding only the public files: the input commitment.
pub fn commit_public(dir: &Path, input: Option<&Path>, salt: Option<&str>, json: bool) -> Result<()> {
    let p = PublicCircuit::load(&dir.join(FILE))?;
    let Some(input) = input else { bail!("--input: {} has only the public circuit description ({FILE}): it can compute an input's commitment, nothing else", dir.display()) };
    let salt = hash::salt_arg(salt)?;
    let c = crate::hex32::fr(&p.input_commitment(input, salt)?);
    let salt = crate::hex32::fr(&salt);
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "model_commitment": p.model_commitment, "input": { "commitment": c }, "salt": salt, "packing_bits": p.packing_bits }))?);
    } else {
        println!("model commitment   {} (instance 0)", p.model_commitment);
        println!("input  commitment  {c}");
        println!("salt               {salt}");
    }
    Ok(())
}
