//! A seeded mutation fuzzer over every loader (issue 14, item 7: malformed files never panic).
//!
//! Seeds: the bundled models (`models/*.onnx`) and hand-built ones covering every op of the
//! registry, input JSONs, a test set, and the artifacts made from the models here: `circuit.json`
//! of six circuits (fixed and hashed weights, tables, products, convolutions, an accuracy
//! circuit), `setup.json`, `pk.bin`, `vk.bin`, `proof.json` (the forge fixture's, proven for the
//! same circuit), `proof.opening.json`, the cost model and an SRS file. Each case mutates one seed
//! (byte havoc, JSON-aware, protobuf-wire-aware, ONNX-structure-aware or key-layout-aware, see
//! `fuzzkit/`), writes it under the seed's file name and loads it, then feeds whatever loaded to
//! its consumers (the fixed-point run, the layout dry run, instances, verification, verifier
//! generation). Every case must: not panic (each runs under `catch_unwind`), stay within
//! [`CASE_HEAP_BYTES`] of heap beyond what was allocated before it (a capped allocator: an
//! allocation past it aborts the binary, naming the case in `target/fuzz/current-case.txt`), end
//! within [`CASE_SECONDS`] (a watchdog aborts), and, when refused, name the file in the error.
//!
//! `ZKINFER_FUZZ_SECS` (default 45) bounds the run; `ZKINFER_FUZZ_SEED` (default 14) seeds it;
//! `ZKINFER_FUZZ_REPLAY=N` runs case N of that seed only (printing what it does). `script/fuzz`
//! runs it for longer. Failing inputs are written to `target/fuzz/crashes/`; a summary to
//! `target/fuzz/summary-prover.md`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzzkit;

use fuzzkit::mutate::{havoc, interesting, mutate_json, mutate_protobuf, Rng};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkinfer_prover::accuracy::AccuracySpec;
use zkinfer_prover::artifact::{self, CircuitArtifact, OpeningArtifact, ProofArtifact, SetupArtifact};
use zkinfer_prover::quant::Domain;
use zkinfer_prover::{compile, CompileOptions, ModelCircuit, QuantModel, QuantParams, Visibilities, Visibility};

#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Heap one case may allocate beyond what was allocated before it.
const CASE_HEAP_BYTES: usize = 1 << 30;
/// Time one case may take.
const CASE_SECONDS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Onnx,
    Input,
    TestSet,
    Circuit,
    Setup,
    Proof,
    Opening,
    Pk,
    Vk,
    CostModel,
    Srs,
    ProofBytes,
}

/// How a seed is mutated besides byte havoc.
#[derive(Debug, Clone)]
enum Form {
    Json,
    Onnx,
    /// A key file: offsets of its length and count fields (u32, LE in the header, BE after).
    Key(Vec<(usize, bool)>),
    /// An SRS file: offset of its `k` (u32 LE).
    Srs(usize),
    Raw,
}

#[derive(Debug, Clone)]
struct Seed {
    target: Target,
    /// The file name cases are written under (errors must name it).
    file: String,
    bytes: Vec<u8>,
    form: Form,
}

/// What the consumers of loaded files need.
struct Env {
    dir: tempfile::TempDir,
    circuit: CircuitArtifact,
    accuracy: AccuracySpec,
    params: ParamsKZG<Bn256>,
    vk: VerifyingKey<G1Affine>,
    proof: Vec<u8>,
    instances: Vec<Fr>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn compile_art(model: &str, opts: CompileOptions) -> CircuitArtifact {
    let path = root().join("models").join(model);
    CircuitArtifact::of(&path, compile(&path, &opts).unwrap()).unwrap()
}

fn calibrated(name: &str) -> Vec<Vec<f32>> {
    vec![zkinfer_prover::input::read_input(&root().join(format!("models/{name}.input.json"))).unwrap()]
}

fn json_seed(target: Target, file: &str, v: &impl serde::Serialize) -> Seed {
    Seed { target, file: file.into(), bytes: serde_json::to_vec_pretty(v).unwrap(), form: Form::Json }
}

/// Offsets of a key file's u32 fields: the header's `k` and fixed count (LE), and every
/// polynomial length and list count after the verifying key (BE).
fn key_fields(bytes: &[u8], vk_len: usize, k: u32) -> Vec<(usize, bool)> {
    let mut v = vec![(9, true), (14, true)];
    let poly = 4 + 32 * (1usize << k);
    let mut at = vk_len;
    while at + 4 <= bytes.len() {
        v.push((at, false));
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += if len == 1 << k { poly } else { 4 };
    }
    v
}

fn artifact_seeds(env_dir: &Path) -> (Vec<Seed>, Env) {
    let opts = CompileOptions { calibration: calibrated("mlp_small"), dot_width: Some(8), ..CompileOptions::default() };
    let circuit = compile_art("mlp_small.onnx", opts.clone());
    let hashed = compile_art("mlp_small.onnx", CompileOptions { visibility: Visibilities { weights: Visibility::Hashed, ..Visibilities::default() }, ..opts.clone() });
    let accuracy = compile_art("mlp_small.onnx", CompileOptions { accuracy_samples: Some(16), visibility: Visibilities::BOUNTY, ..opts.clone() });
    let mut seeds = vec![json_seed(Target::Circuit, "circuit.json", &circuit), json_seed(Target::Circuit, "circuit.json", &hashed), json_seed(Target::Circuit, "circuit.json", &accuracy)];
    for (model, public) in [("tabular_sigmoid", true), ("cnn_small", false), ("transformer_block", false)] {
        let vis = if public { Visibilities::PUBLIC } else { Visibilities::default() };
        seeds.push(json_seed(Target::Circuit, "circuit.json", &compile_art(&format!("{model}.onnx"), CompileOptions { calibration: calibrated(model), visibility: vis, ..CompileOptions::default() })));
    }
    let params = zkinfer_prover::srs::dev_srs(circuit.plan.k).unwrap();
    let pk = zkinfer_prover::proving::keygen(&params, &circuit.circuit()).unwrap();
    let (pk_path, vk_path) = (env_dir.join("pk.bin"), env_dir.join("vk.bin"));
    artifact::save_pk(&pk_path, &pk).unwrap();
    artifact::save_vk(&vk_path, pk.get_vk()).unwrap();
    let (pkb, vkb) = (std::fs::read(&pk_path).unwrap(), std::fs::read(&vk_path).unwrap());
    let k = circuit.plan.k;
    seeds.push(Seed { target: Target::Pk, file: "pk.bin".into(), form: Form::Key(key_fields(&pkb, vkb.len(), k)), bytes: pkb });
    seeds.push(Seed { target: Target::Vk, file: "vk.bin".into(), form: Form::Key(key_fields(&vkb, vkb.len(), k)), bytes: vkb });
    seeds.push(json_seed(Target::Setup, "setup.json", &SetupArtifact::new(zkinfer_prover::srs::SrsSource::DevUnsafe, k)));
    seeds.push(json_seed(Target::Setup, "setup.json", &SetupArtifact::new(zkinfer_prover::srs::SrsSource::File { path: "srs/kzg_bn254_9.srs".into() }, k)));
    let proof_json = std::fs::read(root().join("test/fixtures/proof.json")).unwrap();
    let proof = ProofArtifact::load(&root().join("test/fixtures/proof.json")).unwrap();
    seeds.push(Seed { target: Target::Proof, file: "proof.json".into(), bytes: proof_json, form: Form::Json });
    seeds.push(Seed { target: Target::ProofBytes, file: "proof.bin".into(), bytes: proof.proof_bytes().unwrap(), form: Form::Raw });
    let input = circuit.model.quantise_input(&calibrated("mlp_small")[0]).unwrap();
    let output = circuit.model.forward(&input).unwrap().output();
    let opening = OpeningArtifact::new(&circuit.plan.shape, &circuit.model, &input, &output, Fr::from(7), Fr::zero()).unwrap().unwrap();
    seeds.push(json_seed(Target::Opening, "proof.opening.json", &opening));
    let hashed_in = hashed.model.quantise_input(&calibrated("mlp_small")[0]).unwrap();
    let hashed_out = hashed.model.forward(&hashed_in).unwrap().output();
    let opening = OpeningArtifact::new(&hashed.plan.shape, &hashed.model, &hashed_in, &hashed_out, Fr::from(7), Fr::from(9)).unwrap().unwrap();
    seeds.push(json_seed(Target::Opening, "proof.opening.json", &opening));
    let srs_dir = env_dir.join("srs");
    zkinfer_prover::srs::dev_srs_in(&srs_dir, 5).unwrap();
    let srs = std::fs::read(srs_dir.join("dev-srs-k5.UNSAFE.srs")).unwrap();
    seeds.push(Seed { target: Target::Srs, file: "params.srs".into(), bytes: srs, form: Form::Srs(zkinfer_prover::srs::DEV_SRS_MAGIC.len()) });
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        accuracy: accuracy.accuracy.unwrap(),
        vk: pk.get_vk().clone(),
        proof: proof.proof_bytes().unwrap(),
        instances: proof.instance_values().unwrap(),
        params,
        circuit,
    };
    (seeds, env)
}

/// Small models covering the ops the bundled ones do not.
fn synthetic_onnx() -> Vec<Vec<u8>> {
    use fuzzkit::build::{int, ints, model, node, tensor_f32, tensor_i64};
    let w = |name: &str, dims: &[i64]| {
        let n: i64 = dims.iter().product();
        tensor_f32(name, dims, &(0..n).map(|i| ((i % 7) as f32 - 3.0) / 8.0).collect::<Vec<_>>())
    };
    let models = [
        model(
            &[1, 2, 6, 6],
            vec![
                node("Conv", &["x", "w", "b"], &["c"], vec![ints("pads", &[1, 1, 1, 1]), ints("strides", &[1, 1]), ints("kernel_shape", &[3, 3])]),
                node("BatchNormalization", &["c", "g", "be", "m", "v"], &["n"], vec![]),
                node("AveragePool", &["n"], &["p"], vec![ints("kernel_shape", &[2, 2]), ints("strides", &[2, 2]), ints("pads", &[0, 0, 1, 1])]),
                node("MaxPool", &["p"], &["q"], vec![ints("kernel_shape", &[2, 2])]),
                node("Flatten", &["q"], &["f"], vec![int("axis", 1)]),
                node("Relu", &["f"], &["y"], vec![]),
            ],
            vec![w("w", &[3, 2, 3, 3]), w("b", &[3]), w("g", &[3]), w("be", &[3]), w("m", &[3]), tensor_f32("v", &[3], &[1.0; 3])],
        ),
        model(
            &[1, 4, 6],
            vec![
                node("ReduceMean", &["x"], &["a"], vec![ints("axes", &[2]), int("keepdims", 1)]),
                node("Sub", &["x", "a"], &["s"], vec![]),
                node("Softmax", &["s"], &["m"], vec![int("axis", -1)]),
                node("LayerNormalization", &["m", "ls"], &["l"], vec![int("axis", -1)]),
                node("ReduceSum", &["l", "ax"], &["r"], vec![int("keepdims", 0)]),
                node("ReduceMax", &["l"], &["rm"], vec![ints("axes", &[1]), int("keepdims", 0)]),
                node("MatMul", &["r", "rm2"], &["y0"], vec![]),
                node("Tanh", &["y0"], &["y"], vec![]),
            ],
            vec![w("ls", &[6]), tensor_i64("ax", &[1], &[1]), w("rm2", &[1, 6])],
        ),
        model(
            &[1, 3, 4],
            vec![
                node("Transpose", &["x"], &["t"], vec![ints("perm", &[0, 2, 1])]),
                node("Slice", &["t", "st", "en", "axs", "sp"], &["s"], vec![]),
                node("Gather", &["s", "gi"], &["g"], vec![int("axis", 1)]),
                node("Unsqueeze", &["g", "ua"], &["u"], vec![]),
                node("Squeeze", &["u", "ua"], &["q"], vec![]),
                node("Concat", &["q", "q"], &["c"], vec![int("axis", 2)]),
                node("Reshape", &["c", "rs"], &["r"], vec![]),
                node("Constant", &[], &["k"], vec![tract_onnx::pb::AttributeProto { name: "value".into(), r#type: 4, t: Some(w("kt", &[1])), ..Default::default() }]),
                node("Cast", &["k"], &["kc"], vec![int("to", 1)]),
                node("Identity", &["r"], &["i"], vec![]),
                node("Mul", &["i", "kc"], &["y0"], vec![]),
                node("Clip", &["y0", "lo", "hi"], &["y"], vec![]),
            ],
            vec![
                tensor_i64("st", &[1], &[1]),
                tensor_i64("en", &[1], &[4]),
                tensor_i64("axs", &[1], &[1]),
                tensor_i64("sp", &[1], &[2]),
                tensor_i64("gi", &[2], &[0, -1]),
                tensor_i64("ua", &[1], &[0]),
                tensor_i64("rs", &[2], &[1, -1]),
                tensor_f32("lo", &[], &[-1.0]),
                tensor_f32("hi", &[], &[1.0]),
            ],
        ),
        model(
            &[1, 8],
            vec![
                node("Gemm", &["x", "gw", "gb"], &["a"], vec![int("transB", 1)]),
                node("Sigmoid", &["a"], &["s"], vec![]),
                node("Pow", &["s", "two"], &["p"], vec![]),
                node("Sqrt", &["p"], &["r"], vec![]),
                node("Reciprocal", &["r"], &["e"], vec![]),
                node("Exp", &["e"], &["x2"], vec![]),
                node("Erf", &["x2"], &["f"], vec![]),
                node("Gelu", &["f"], &["g"], vec![]),
                node("Div", &["g", "s"], &["d"], vec![]),
                node("GlobalAveragePool", &["d"], &["y"], vec![]),
            ],
            vec![w("gw", &[4, 8]), w("gb", &[4]), tensor_f32("two", &[], &[2.0])],
        ),
    ];
    models.iter().map(fuzzkit::build::encode).collect()
}

fn file_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    // The bundled models and the op-conformance models (models/ops/: one per op family).
    let files = |dir: PathBuf| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect::<Vec<PathBuf>>();
    let mut names = files(root().join("models"));
    names.extend(files(root().join("models/ops")).into_iter().filter(|p| p.extension().is_some_and(|x| x == "onnx")));
    names.sort();
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&p).unwrap();
        if name.ends_with(".onnx") {
            seeds.push(Seed { target: Target::Onnx, file: "model.onnx".into(), bytes, form: Form::Onnx });
        } else if name.contains("testset") {
            seeds.push(Seed { target: Target::TestSet, file: "testset.json".into(), bytes, form: Form::Json });
        } else if name.ends_with(".input.json") {
            seeds.push(Seed { target: Target::Input, file: "input.json".into(), bytes, form: Form::Json });
        }
    }
    seeds.extend(synthetic_onnx().into_iter().map(|bytes| Seed { target: Target::Onnx, file: "model.onnx".into(), bytes, form: Form::Onnx }));
    let cost = std::fs::read(root().join("docs/cost-model.json")).unwrap();
    seeds.push(Seed { target: Target::CostModel, file: "cost-model.json".into(), bytes: cost, form: Form::Json });
    seeds
}

/// One mutated version of `seed`; what was done.
fn mutate(rng: &mut Rng, seed: &Seed, other: &[u8]) -> (Vec<u8>, String) {
    let mut bytes = seed.bytes.clone();
    let structured = !rng.one_in(3);
    let what = match (&seed.form, structured) {
        (Form::Json, true) => return mutate_json(rng, &seed.bytes, other),
        (Form::Onnx, true) => {
            if rng.one_in(3) {
                return mutate_protobuf(rng, &seed.bytes, other);
            }
            match fuzzkit::build::decode(&seed.bytes) {
                Some(mut m) => {
                    let what = (0..1 + rng.below(2)).map(|_| fuzzkit::onnx::mutate(rng, &mut m)).collect::<Vec<_>>().join(", ");
                    return (fuzzkit::build::encode(&m), what);
                }
                None => havoc(rng, &mut bytes, other),
            }
        }
        (Form::Key(fields), true) => {
            let (at, le) = *rng.pick(fields);
            let v = interesting(rng) as u32;
            bytes[at..at + 4].copy_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
            format!("u32 field at {at} := {v:#x}")
        }
        (Form::Srs(at), true) => {
            let v = interesting(rng) as u32;
            bytes[*at..*at + 4].copy_from_slice(&v.to_le_bytes());
            format!("k := {v}")
        }
        _ => havoc(rng, &mut bytes, other),
    };
    (bytes, what)
}

fn text(e: zkinfer_prover::ProverError) -> String {
    e.to_string()
}

/// Loads `path` as `target` (`Err`: the loader's message, which must name the file), then feeds
/// what loaded to its consumers (their results are not checked, only that they do not panic).
fn run(target: Target, path: &Path, env: &Env) -> Result<(), String> {
    match target {
        Target::Onnx => {
            let layers = zkinfer_prover::onnx::load(path).and_then(|g| g.lower()).map_err(text)?;
            let tables = [Some(Domain { lo: -2048, hi: 2048 }); zkinfer_prover::ir::Activation::TABULATED.len()];
            if let Ok(m) = QuantModel::from_layers(&layers, QuantParams { scale_bits: 8, range_limbs: 4, tables, interp: None }) {
                let _ = m.forward(&vec![1; m.input_len()]);
                let shape = zkinfer_prover::CircuitShape::for_model(&m, 4);
                let _ = zkinfer_prover::plan(&m, shape);
            }
        }
        Target::Input => {
            let v = zkinfer_prover::input::read_input(path).map_err(text)?;
            if let Ok(q) = env.circuit.model.quantise_input(&v) {
                let _ = env.circuit.model.forward(&q);
            }
        }
        Target::TestSet => {
            let _ = zkinfer_prover::input::read_test_set(path).map_err(text)?.flatten(&env.accuracy);
        }
        Target::Circuit => {
            let a = CircuitArtifact::load(path).map_err(text)?;
            let _ = a.circuit();
            if let Ok(t) = a.model.forward(&vec![1; a.model.input_len()]) {
                let _ = ModelCircuit::instances(&a.model, &a.plan.shape, &t);
                let _ = OpeningArtifact::new(&a.plan.shape, &a.model, &t.input, &t.output(), Fr::one(), Fr::one());
            }
        }
        Target::Setup => {
            let s = SetupArtifact::load(path).map_err(text)?;
            let _ = s.check_circuit(path, &env.circuit);
        }
        Target::Proof => {
            let p = ProofArtifact::load(path).map_err(text)?;
            if let (Ok(proof), Ok(instances)) = (p.proof_bytes(), p.instance_values()) {
                let _ = zkinfer_prover::proving::verify(&env.params, &env.vk, &proof, &instances);
            }
        }
        Target::ProofBytes => {
            let proof = std::fs::read(path).map_err(|e| e.to_string())?;
            let _ = zkinfer_prover::proving::verify(&env.params, &env.vk, &proof, &env.instances);
            let _ = zkinfer_prover::proving::verify(&env.params, &env.vk, &proof, &env.instances[..env.instances.len() / 2]);
        }
        Target::Opening => drop(OpeningArtifact::load(path).map_err(text)?),
        Target::Pk => drop(artifact::load_pk(path, &env.circuit).map_err(text)?),
        Target::Vk => {
            let vk = artifact::load_vk(path, &env.circuit).map_err(text)?;
            let _ = zkinfer_prover::proving::verify(&env.params, &vk, &env.proof, &env.instances);
            let _ = zkinfer_verifier_gen::generate(&env.params, &vk, env.circuit.plan.num_instances, &Default::default());
        }
        Target::CostModel => {
            let m = zkinfer_prover::costmodel::CostModel::load(path).map_err(text)?;
            let _ = m.predict(&env.circuit.plan);
        }
        Target::Srs => drop(zkinfer_prover::srs::load_srs(path, 5).map_err(text)?),
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Stats {
    cases: u64,
    refused: u64,
    accepted: u64,
    slowest_ms: u128,
    /// Most bytes allocated (in all, freed or not) by one case.
    most_allocated: usize,
}

/// Watches the running case: aborts the process (after saying which case) if one runs longer
/// than [`CASE_SECONDS`].
fn watchdog(started: Arc<AtomicU64>, current: Arc<Mutex<String>>, epoch: Instant) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        let s = started.load(Ordering::Relaxed);
        if s > 0 && epoch.elapsed().as_secs().saturating_sub(s) > CASE_SECONDS {
            eprintln!("fuzz: case ran longer than {CASE_SECONDS} s: {}", current.lock().map(|c| c.clone()).unwrap_or_default());
            std::process::abort();
        }
    });
}

#[test]
fn fuzz_every_loader_never_panics() {
    let budget = Duration::from_secs(env_u64("ZKINFER_FUZZ_SECS", 45));
    let seed = env_u64("ZKINFER_FUZZ_SEED", 14);
    let replay = std::env::var("ZKINFER_FUZZ_REPLAY").ok().and_then(|v| v.parse::<u64>().ok());
    let out = root().join("target/fuzz");
    std::fs::create_dir_all(out.join("crashes")).unwrap();
    let setup = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let (mut seeds, env) = artifact_seeds(work.path());
    seeds.extend(file_seeds());
    let targets: Vec<Target> = {
        let mut t: Vec<Target> = seeds.iter().map(|s| s.target).collect();
        t.sort();
        t.dedup();
        t
    };
    let setup_s = setup.elapsed().as_secs_f64();
    let (started, current, epoch) = (Arc::new(AtomicU64::new(0)), Arc::new(Mutex::new(String::new())), Instant::now());
    watchdog(started.clone(), current.clone(), epoch);
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng::new(seed);
    let mut stats: BTreeMap<Target, Stats> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let t0 = Instant::now();
    let mut case = 0u64;
    while replay.map_or(t0.elapsed() < budget, |r| case <= r) {
        case += 1;
        let target = *rng.pick(&targets);
        let of_target: Vec<&Seed> = seeds.iter().filter(|s| s.target == target).collect();
        let s = *rng.pick(&of_target);
        let other = &rng.pick(&seeds).bytes.clone();
        let (bytes, what) = mutate(&mut rng, s, other);
        if replay.is_some_and(|r| case != r) {
            continue;
        }
        let path = env.dir.path().join(&s.file);
        std::fs::write(&path, &bytes).unwrap();
        let label = format!("seed {seed} case {case}: {target:?} {} ({} bytes): {what}", s.file, bytes.len());
        std::fs::write(out.join("current-case.txt"), &label).unwrap();
        std::fs::write(out.join("current-case.bin"), &bytes).unwrap();
        if replay.is_some() {
            eprintln!("{label}");
        }
        *current.lock().unwrap() = label.clone();
        started.store(epoch.elapsed().as_secs().max(1), Ordering::Relaxed);
        let base = ALLOC.allocated();
        ALLOC.set_limit(base.saturating_add(CASE_HEAP_BYTES)).unwrap();
        let before_total = ALLOC.total_allocated();
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(target, &path, &env)));
        let ms = t.elapsed().as_millis();
        ALLOC.set_limit(usize::MAX).unwrap();
        started.store(0, Ordering::Relaxed);
        let st = stats.entry(target).or_default();
        st.cases += 1;
        st.slowest_ms = st.slowest_ms.max(ms);
        st.most_allocated = st.most_allocated.max(ALLOC.total_allocated().saturating_sub(before_total));
        let keep = |failures: &mut Vec<String>, why: String| {
            let file = out.join("crashes").join(format!("seed{seed}-case{case}-{}", s.file));
            std::fs::write(&file, &bytes).unwrap();
            failures.push(format!("{label}\n    {why}\n    input: {}", file.display()));
        };
        if replay.is_some() {
            eprintln!("{:?}", outcome.as_ref().map_err(|_| "panic"));
        }
        match outcome {
            Err(panic) => {
                let msg = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                keep(&mut failures, format!("PANIC: {msg}"));
            }
            Ok(Err(msg)) => {
                st.refused += 1;
                if !msg.contains(&path.display().to_string()) && target != Target::ProofBytes {
                    keep(&mut failures, format!("the error does not name the file: {msg}"));
                }
            }
            Ok(Ok(())) => st.accepted += 1,
        }
    }
    std::panic::set_hook(quiet);
    let elapsed = t0.elapsed().as_secs_f64();
    let mut summary = format!(
        "# prover fuzz: seed {seed}, {case} cases in {elapsed:.1} s (setup {setup_s:.1} s), {} failures\n\n| target | cases | refused | accepted | slowest ms | most MiB allocated by a case |\n|---|---|---|---|---|---|\n",
        failures.len()
    );
    for (t, s) in &stats {
        summary.push_str(&format!("| {t:?} | {} | {} | {} | {} | {:.1} |\n", s.cases, s.refused, s.accepted, s.slowest_ms, s.most_allocated as f64 / 1048576.0));
    }
    for f in &failures {
        summary.push_str(&format!("\n- {f}\n"));
    }
    std::fs::write(out.join(format!("summary-prover-seed{seed}.md")), &summary).unwrap();
    eprintln!("{summary}");
    assert!(failures.is_empty(), "{} fuzz failures (inputs in target/fuzz/crashes/):\n{}", failures.len(), failures.join("\n"));
}
