//! The pipeline steps shared by several subcommands, over an artifacts directory:
//! `circuit.json`, `setup.json`, `pk.bin`, `vk.bin`, `proof.json`, `Verifier.sol`.

use anyhow::{Context, Result};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer_prover::artifact::{self, CircuitArtifact, ProofArtifact, SetupArtifact};
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::optimise::LayoutChoice;
use zkinfer_prover::reference::Accuracy;
use zkinfer_prover::srs::{self, LoadedSrs, SrsInfo, SrsSource};
use zkinfer_prover::{proving, CompileOptions};

/// Files of an artifacts directory.
#[derive(Debug, Clone)]
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn circuit(&self) -> PathBuf {
        self.0.join("circuit.json")
    }
    pub fn setup(&self) -> PathBuf {
        self.0.join("setup.json")
    }
    pub fn pk(&self) -> PathBuf {
        self.0.join("pk.bin")
    }
    pub fn vk(&self) -> PathBuf {
        self.0.join("vk.bin")
    }
    pub fn proof(&self) -> PathBuf {
        self.0.join("proof.json")
    }
    pub fn verifier(&self) -> PathBuf {
        self.0.join("Verifier.sol")
    }
    pub fn deployment(&self) -> PathBuf {
        self.0.join("deployment.json")
    }
    pub fn create(&self) -> Result<()> {
        std::fs::create_dir_all(&self.0).with_context(|| format!("creating {}", self.0.display()))
    }
    pub fn load_circuit(&self) -> Result<CircuitArtifact> {
        CircuitArtifact::load(&self.circuit()).map_err(|e| self.missing(e))
    }
    pub fn load_setup(&self) -> Result<SetupArtifact> {
        SetupArtifact::load(&self.setup()).map_err(|e| self.missing(e))
    }
    /// The verifying key of `art`, from this directory.
    pub fn load_vk(&self, art: &CircuitArtifact) -> Result<VerifyingKey<G1Affine>> {
        artifact::load_vk(&self.vk(), art).map_err(|e| self.missing(e))
    }
    /// Whether this is the default `--dir` (`zkinfer-out`, relative to the working directory).
    pub fn is_default(&self) -> bool {
        self.0 == Path::new(crate::cmd::DEFAULT_DIR)
    }
    /// An artifact of this directory that could not be read: when it is not there, one message
    /// naming the directory searched (absolute), with the `--dir` hint when it was the default and
    /// the step that writes the file (`compile` only when the directory has no `circuit.json`).
    pub fn missing(&self, e: zkinfer_prover::ProverError) -> anyhow::Error {
        let zkinfer_prover::ProverError::Io { path, source } = &e else { return e.into() };
        if source.kind() != std::io::ErrorKind::NotFound {
            return e.into();
        }
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string();
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let mut m = format!("no {name} in {}: {source}", abs(&self.0));
        if self.is_default() {
            m.push_str(&format!(" (that is the default --dir {}; if the artifacts are elsewhere, pass --dir DIR)", crate::cmd::DEFAULT_DIR));
        }
        let dir_flag = if self.is_default() { String::new() } else { format!(" --dir {}", self.0.display()) };
        if name == "circuit.json" {
            m.push_str(&format!("; run `zkinfer compile MODEL.onnx{dir_flag}` first"));
        } else if !self.circuit().is_file() {
            m.push_str(&format!("; there is no circuit.json there either: run `zkinfer compile MODEL.onnx{dir_flag}` first"));
        } else if matches!(name.as_str(), "setup.json" | "pk.bin" | "vk.bin") {
            m.push_str(&format!("; run `zkinfer setup{dir_flag}` first"));
        } else if name == "proof.json" {
            m.push_str(&format!("; run `zkinfer prove --input INPUT.json{dir_flag}` first, or pass --proof FILE"));
        }
        anyhow::anyhow!(m)
    }
}

/// Compiles a model into `dir`; returns the artifact and the layout choice behind it.
pub fn compile(model: &Path, opts: &CompileOptions, dir: &Dir) -> Result<(CircuitArtifact, LayoutChoice)> {
    let (art, layout, _) = compile_artifact(model, opts)?;
    save_circuit(dir, &art)?;
    Ok((art, layout))
}

/// Compiles a model (every check, the calibration samples' runs included), writing nothing;
/// also returns the largest value of the calibration runs.
pub fn compile_artifact(model: &Path, opts: &CompileOptions) -> Result<(CircuitArtifact, LayoutChoice, Option<i64>)> {
    let compiled = zkinfer_prover::compile(model, opts)?;
    let layout = compiled.layout.clone();
    let calibrated = compiled.calibrated_max_abs;
    Ok((CircuitArtifact::of(model, compiled)?, layout, calibrated))
}

/// Writes `dir/circuit.json` atomically: to a temporary file in `dir`, renamed over it only once
/// complete, so a failure leaves no partial file (and an earlier one untouched).
pub fn save_circuit(dir: &Dir, art: &CircuitArtifact) -> Result<()> {
    dir.create()?;
    let path = dir.circuit();
    let tmp = dir.0.join(format!(".circuit.json.{}.tmp", std::process::id()));
    if let Err(e) = art.save(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display())).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    // What a requester may be given: the same circuit without its weights.
    crate::public_circuit::write(&dir.0, art)
}

/// The model input in `path` for the circuit: an input JSON, or for an accuracy circuit a test
/// set (`{"inputs": [[...]], "labels": [...]}`) flattened into its input.
pub fn read_model_input(art: &CircuitArtifact, path: &Path) -> Result<Vec<f32>> {
    Ok(match art.accuracy {
        Some(spec) => zkinfer_prover::input::read_test_set(path)?.flatten(&spec)?,
        None => zkinfer_prover::input::read_input(path)?,
    })
}

/// Loads the SRS of `source` for `k` (checked against `recorded`, the setup's record, when
/// given), warning on stderr when it is the development one and describing a ceremony file.
pub fn srs(source: &SrsSource, k: u32, recorded: Option<&SrsInfo>) -> Result<LoadedSrs> {
    let path = match source {
        SrsSource::DevUnsafe => {
            eprintln!("      WARNING: using the UNSAFE development SRS (public seed): fine for testing, never for production (use --srs FILE)");
            return Ok(srs::reopen(source, k, recorded)?);
        }
        SrsSource::File { path } => path,
    };
    // Computed Lagrange bases are cached next to the dev SRS, keyed by the powers' digest.
    let opts = srs::LoadOptions { lagrange_cache: Some(srs::cache_dir()) };
    let loaded = srs::load_with(path, k, &opts, |e| match e {
        srs::LoadEvent::Lagrange { k } => {
            eprintln!("      computing the Lagrange basis for k = {k} (an FFT over G1, once: then cached; a ptau prepared for phase 2, or a halo2 file of exactly this k, has it)")
        }
        srs::LoadEvent::LagrangeCached { path } => eprintln!("      Lagrange basis from the cache {} (checked)", path.display()),
        srs::LoadEvent::CacheNotWritten { dir, reason } => eprintln!("      note: could not cache the Lagrange basis in {}: {reason}", dir.display()),
        _ => {}
    })?;
    if let Some(r) = recorded {
        if r.points_keccak256 != loaded.info.points_keccak256 {
            // The same check as srs::reopen, which would load the file a second time.
            return Err(zkinfer_prover::ProverError::from(srs::SrsError::Changed {
                path: path.clone(),
                field: "points_keccak256",
                recorded: r.points_keccak256.clone(),
                found: loaded.info.points_keccak256.clone(),
            })
            .into());
        }
    }
    let i = &loaded.info;
    let contributions = i.contributions.map(|c| format!(", {c} contributions")).unwrap_or_default();
    let known = i.known_file.as_ref().map(|f| format!(" (the published {f})")).unwrap_or_default();
    eprintln!(
        "      SRS {}{known}: {}, power {}{contributions}, used at k = {k}; checks passed; points keccak256 {}",
        path.display(),
        i.format,
        i.file_power,
        i.points_keccak256
    );
    if i.dev {
        eprintln!("      WARNING: {} is the UNSAFE development SRS (its tau is public): anyone can forge proofs for these keys", path.display());
    }
    Ok(loaded)
}

/// The SRS of a setup's keys for `k`, checked to be the one recorded at setup.
pub fn params(setup: &SetupArtifact, k: u32) -> Result<ParamsKZG<Bn256>> {
    Ok(srs(&setup.srs, k, setup.srs_info.as_ref())?.params)
}

/// Generates keys into `dir`.
pub fn setup(dir: &Dir, art: &CircuitArtifact, source: SrsSource) -> Result<(ParamsKZG<Bn256>, ProvingKey<G1Affine>)> {
    let loaded = srs(&source, art.plan.k, None)?;
    let pk = proving::keygen(&loaded.params, &art.circuit())?;
    artifact::save_pk(&dir.pk(), &pk)?;
    artifact::save_vk(&dir.vk(), pk.get_vk())?;
    SetupArtifact::new(source, art.plan.k).with_info(loaded.info).save(&dir.setup())?;
    Ok((loaded.params, pk))
}

/// What the verifier side of a directory needs: the circuit, its setup, the SRS and the key.
pub struct VerifierSide {
    pub art: CircuitArtifact,
    pub setup: SetupArtifact,
    pub params: ParamsKZG<Bn256>,
    pub vk: VerifyingKey<G1Affine>,
}

impl VerifierSide {
    /// The Solidity verifier of these keys.
    pub fn verifier_source(&self) -> Result<zkinfer_verifier_gen::GeneratedVerifier> {
        verifier_source(&self.params, &self.vk, &self.art, &self.setup.srs)
    }
}

/// Loads params and the verifying key of `dir`.
pub fn load_verifier_side(dir: &Dir) -> Result<VerifierSide> {
    let art = dir.load_circuit()?;
    let setup = dir.load_setup()?;
    setup.check_circuit(&dir.setup(), &art)?;
    let params = params(&setup, art.plan.k)?;
    let vk = dir.load_vk(&art)?;
    Ok(VerifierSide { art, setup, params, vk })
}

/// Whether keys made from `source` (and these `params`) use a development SRS: the setup says
/// so, or the SRS points are zkinfer's development SRS's (its cache file passed as `--srs`).
pub fn srs_kind(source: &SrsSource, params: &ParamsKZG<Bn256>) -> zkinfer_verifier_gen::SrsKind {
    use zkinfer_verifier_gen::SrsKind;
    if matches!(source, SrsSource::DevUnsafe) || zkinfer_verifier_gen::srs_digest(params) == zkinfer_verifier_gen::DEV_SRS_DIGEST {
        SrsKind::Development
    } else {
        SrsKind::Ceremony
    }
}

/// The circuit's input and output instance counts (its generated verifier's
/// `INPUT_INSTANCE_COUNT`, `OUTPUT_INSTANCE_COUNT`).
pub fn instance_counts(art: &CircuitArtifact) -> zkinfer_verifier_gen::InstanceCounts {
    let l = &art.instances;
    zkinfer_verifier_gen::InstanceCounts { inputs: l.inputs[1] - l.inputs[0], outputs: l.outputs[1] - l.outputs[0] }
}

/// What a proof is bound to besides the model and input: its claimant and the salt of its
/// hashed tensors' commitments.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProofContext {
    /// Who may use the proof, for which id, on which contract and chain (public instance 1;
    /// `None`: unbound, instance 1 is zero and no paying contract accepts the proof).
    pub binding: Option<zkinfer_prover::Binding>,
    /// The salt of the hashed input's and output's commitments (never in the proof).
    pub salt: Fr,
    /// The salt of a hashed-weights commitment (the model owner's; never in the proof).
    pub weight_salt: Fr,
}

/// The witness, instances and fixed-point outputs for an input (fails before proving if out of
/// range).
pub fn witness(art: &CircuitArtifact, input: &[f32], ctx: &ProofContext) -> Result<(ModelCircuit, Vec<Fr>, Vec<i64>)> {
    let model = Arc::new(art.model.clone());
    let q = model.quantise_input(input)?;
    let trace = model.forward(&q)?.bound_to(ctx.binding.map_or(Fr::zero(), |b| b.to_fr())).salted(ctx.salt).weights_salted(ctx.weight_salt);
    let instances = ModelCircuit::instances(&model, &art.plan.shape, &trace)?;
    let outputs = trace.output();
    Ok((ModelCircuit { model, shape: art.plan.shape, trace: Some(trace) }, instances, outputs))
}

/// Accuracy of the circuit outputs against tract's float run of the original model (`None` for
/// an accuracy circuit, whose output is a count).
pub fn accuracy(art: &CircuitArtifact, input: &[f32], outputs_fixed: &[i64]) -> Result<Option<Accuracy>> {
    if art.accuracy.is_some() {
        return Ok(None);
    }
    let graph = zkinfer_prover::onnx::load(Path::new(&art.model_file))?;
    let float = zkinfer_prover::reference::run_float(&graph, input)?;
    let circuit: Vec<f64> = outputs_fixed.iter().map(|v| art.model.params.dequantise(*v)).collect();
    Ok(Some(Accuracy::compare(float, circuit)))
}

/// Proves one input; returns the artifact.
pub fn prove(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, art: &CircuitArtifact, input: &[f32], ctx: &ProofContext) -> Result<ProofArtifact> {
    let (circuit, instances, outputs) = witness(art, input, ctx)?;
    let proof = proving::prove(params, pk, &circuit, &instances)?;
    Ok(ProofArtifact::new(&proof, &instances, &art.model, &art.instances, outputs).with_circuit_id(pk.get_vk()))
}

/// Generates the Solidity verifier for keys made from `source`: with the circuit's instance
/// counts and the SRS's digest and dev flag (the constants `VerifierRegistry` reads).
pub fn verifier_source(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, art: &CircuitArtifact, source: &SrsSource) -> Result<zkinfer_verifier_gen::GeneratedVerifier> {
    let options = zkinfer_verifier_gen::VerifierOptions { srs: srs_kind(source, params), instance_counts: Some(instance_counts(art)), ..Default::default() };
    Ok(zkinfer_verifier_gen::generate(params, vk, art.plan.num_instances, &options)?)
}

/// The verifier's gas probe build (see [`zkinfer_verifier_gen::VerifierOptions::gas_probe`]):
/// for measuring where the gas goes, never for verifying.
pub fn gas_probe_source(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, art: &CircuitArtifact, source: &SrsSource) -> Result<zkinfer_verifier_gen::GeneratedVerifier> {
    let options = zkinfer_verifier_gen::VerifierOptions {
        contract_name: "Halo2VerifierGasProbe".into(),
        gas_probe: true,
        srs: srs_kind(source, params),
        instance_counts: Some(instance_counts(art)),
    };
    Ok(zkinfer_verifier_gen::generate(params, vk, art.plan.num_instances, &options)?)
}

/// solc settings for generated verifiers (verifier-gen's choice, mapped onto the harness).
pub fn verifier_solc_settings() -> zkinfer_relayer::CompilerSettings {
    let s = zkinfer_verifier_gen::SOLC_SETTINGS;
    zkinfer_relayer::CompilerSettings {
        optimizer: s.optimizer,
        runs: s.runs,
        yul_optimizer: s.yul_optimizer,
        evm_version: Some(s.evm_version.to_string()),
    }
}

/// Compiles a generated verifier.
pub fn compile_verifier(v: &zkinfer_verifier_gen::GeneratedVerifier) -> Result<zkinfer_relayer::CompiledContract> {
    let sources = vec![(format!("{}.sol", v.contract_name), v.source.clone())];
    zkinfer_relayer::compile(&sources, &v.contract_name, &verifier_solc_settings()).context("compiling the generated verifier with solc")
}
