//! Malformed files never panic (issue 14, item 7): one regression test per crash found, by reading
//! the loaders and by the fuzzer (`tests/fuzz.rs`, docs/fuzz.md). Each was a panic, an abort, an
//! unbounded allocation or a silently accepted malformed file before its fix; each is now an
//! error naming the file and the field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fuzzkit/build.rs"]
mod build;

use build::{int, ints, model, node, tensor_f32, tensor_i64, write};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zkinfer_prover::artifact::{self, CircuitArtifact, OpeningArtifact, ProofArtifact, SetupArtifact};
use zkinfer_prover::costmodel::CostModel;
use zkinfer_prover::{compile, CompileOptions, Visibilities, Visibility};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// Loads an ONNX file through the frontend and lowering; the error text.
fn onnx_err(path: &Path) -> String {
    let r = zkinfer_prover::onnx::load(path).and_then(|g| g.lower());
    let e = r.expect_err("a malformed model must be refused").to_string();
    assert!(e.contains(&path.display().to_string()), "the error names the file: {e}");
    e
}

fn assert_names(e: &str, file: &Path, field: &str) {
    assert!(e.contains(&file.display().to_string()), "the error names the file {}: {e}", file.display());
    assert!(e.contains(field), "the error names the field {field}: {e}");
}

// ---------------------------------------------------------------- ONNX frontend

#[test]
fn regression_slice_step_int64_max_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(
        &[1, 8],
        vec![node("Slice", &["x", "starts", "ends", "axes", "steps"], &["y"], vec![])],
        vec![tensor_i64("starts", &[1], &[0]), tensor_i64("ends", &[1], &[8]), tensor_i64("axes", &[1], &[1]), tensor_i64("steps", &[1], &[i64::MAX])],
    );
    let p = write(dir.path(), "slice.onnx", &m);
    // A step past the axis takes the first element only: a valid, one-value slice.
    let g = zkinfer_prover::onnx::load(&p).unwrap().lower().unwrap();
    assert_eq!(g.outputs.len(), 1);
    // Starts and ends at the extremes are clamped; a step of i64::MIN (negative steps reverse)
    // from the start walks off the axis at once: an empty slice, an error naming it.
    let m = model(
        &[1, 8],
        vec![node("Slice", &["x", "starts", "ends", "axes", "steps"], &["y"], vec![])],
        vec![tensor_i64("starts", &[1], &[i64::MIN]), tensor_i64("ends", &[1], &[i64::MAX]), tensor_i64("axes", &[1], &[1]), tensor_i64("steps", &[1], &[i64::MIN])],
    );
    let e = onnx_err(&write(dir.path(), "slice2.onnx", &m));
    assert!(e.contains("the slice of axis 1 is empty"), "{e}");
}

fn conv_model(pads: &[i64]) -> tract_onnx::pb::ModelProto {
    model(
        &[1, 1, 4, 4],
        vec![node("Conv", &["x", "w"], &["y"], vec![ints("pads", pads)])],
        vec![tensor_f32("w", &[1, 1, 2, 2], &[1.0; 4])],
    )
}

#[test]
fn regression_conv_pads_int64_max_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = onnx_err(&write(dir.path(), "conv.onnx", &conv_model(&[i64::MAX, 0, i64::MAX, 0])));
    assert!(e.contains("pads"), "{e}");
}

#[test]
fn regression_conv_huge_pads_output_is_bounded() {
    // Pads of 2^30 on every side: an output of 2^62 positions, allocated before this fix.
    let dir = tempfile::tempdir().unwrap();
    let e = onnx_err(&write(dir.path(), "conv.onnx", &conv_model(&[1 << 30; 4])));
    assert!(e.contains("pads"), "{e}");
}

#[test]
fn regression_average_pool_huge_kernel_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(
        &[1, 1, 4, 4],
        vec![node("AveragePool", &["x"], &["y"], vec![ints("kernel_shape", &[1 << 32, 1 << 32]), ints("pads", &[1 << 32; 4]), int("count_include_pad", 1)])],
        vec![],
    );
    onnx_err(&write(dir.path(), "pool.onnx", &m));
}

#[test]
fn regression_input_dims_product_overflow_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1 << 40, 1 << 40], vec![node("Relu", &["x"], &["y"], vec![])], vec![]);
    let e = onnx_err(&write(dir.path(), "input.onnx", &m));
    assert!(e.contains("graph input 'x'"), "{e}");
}

#[test]
fn regression_initializer_claiming_2_pow_40_elements_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = tract_onnx::pb::TensorProto { name: "c".into(), dims: vec![1 << 20, 1 << 20], data_type: build::FLOAT, ..Default::default() };
    let m = model(&[1, 8], vec![node("Add", &["x", "c"], &["y"], vec![])], vec![big]);
    let e = onnx_err(&write(dir.path(), "init.onnx", &m));
    assert!(e.contains("initializer 'c'"), "{e}");
}

#[test]
fn regression_string_initializer_with_raw_data_is_an_error() {
    // tract's raw tensor loader has no string case: `unimplemented!()`.
    let dir = tempfile::tempdir().unwrap();
    let s = tract_onnx::pb::TensorProto { name: "c".into(), dims: vec![1], data_type: build::STRING, raw_data: b"abcd".to_vec(), ..Default::default() };
    let m = model(&[1, 8], vec![node("Add", &["x", "c"], &["y"], vec![])], vec![s]);
    let e = onnx_err(&write(dir.path(), "string.onnx", &m));
    assert!(e.contains("initializer 'c'"), "{e}");
}

#[test]
fn regression_reshape_huge_dimension_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1, 8], vec![node("Reshape", &["x", "s"], &["y"], vec![])], vec![tensor_i64("s", &[2], &[i64::MAX, i64::MAX])]);
    let e = onnx_err(&write(dir.path(), "reshape.onnx", &m));
    assert!(e.contains("shape"), "{e}");
}

#[test]
fn regression_matmul_output_explosion_is_an_error() {
    // [1, 2^20, 1] × [1, 4096]: 2^32 outputs, allocated (96 GB) before this fix.
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1, 1 << 20, 1], vec![node("MatMul", &["x", "b"], &["y"], vec![])], vec![tensor_f32("b", &[1, 4096], &[1.0; 4096])]);
    let e = onnx_err(&write(dir.path(), "matmul.onnx", &m));
    assert!(e.contains("values"), "{e}");
}

#[test]
fn regression_broadcast_add_explosion_is_an_error() {
    // x [1, 65536] + its transpose [65536, 1]: a [65536, 65536] broadcast (32 GB of indices).
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1, 65536], vec![node("Transpose", &["x"], &["t"], vec![]), node("Add", &["x", "t"], &["y"], vec![])], vec![]);
    let e = onnx_err(&write(dir.path(), "add.onnx", &m));
    assert!(e.contains("values"), "{e}");
}

#[test]
fn regression_gather_output_explosion_is_an_error() {
    // [1024, 1024] gathered along axis 1 with 4096 indices: 2^22 values.
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1024, 1024], vec![node("Gather", &["x", "i"], &["y"], vec![int("axis", 1)])], vec![tensor_i64("i", &[4096], &[0; 4096])]);
    let e = onnx_err(&write(dir.path(), "gather.onnx", &m));
    assert!(e.contains("values"), "{e}");
}

#[test]
fn regression_layer_norm_quadratic_terms_is_an_error() {
    // LayerNormalization over 4096 values: 4096² centring terms.
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1, 4096], vec![node("LayerNormalization", &["x", "s"], &["y"], vec![])], vec![tensor_f32("s", &[4096], &[1.0; 4096])]);
    let e = onnx_err(&write(dir.path(), "ln.onnx", &m));
    assert!(e.contains("terms"), "{e}");
}

#[test]
fn regression_infinite_weight_is_an_error() {
    // x / 1e-45 (a subnormal): the weight 1/1e-45 is infinite in f32.
    let dir = tempfile::tempdir().unwrap();
    let m = model(&[1, 8], vec![node("Div", &["x", "c"], &["d"], vec![]), node("Relu", &["d"], &["y"], vec![])], vec![tensor_f32("c", &[1], &[1e-45])]);
    let e = onnx_err(&write(dir.path(), "div.onnx", &m));
    assert!(e.contains("finite"), "{e}");
}

#[test]
fn regression_huge_bias_with_hashed_weights_is_an_error() {
    // A bias of 1e30 saturated to i64::MAX when quantised, then overflowed when rounded to the
    // weights' scale (hashed weights).
    let dir = tempfile::tempdir().unwrap();
    let m = model(
        &[1, 2],
        vec![node("Gemm", &["x", "w", "b"], &["y"], vec![int("transB", 1)])],
        vec![tensor_f32("w", &[1, 2], &[1.0, 1.0]), tensor_f32("b", &[1], &[1e30])],
    );
    let p = write(dir.path(), "bias.onnx", &m);
    let opts = CompileOptions { visibility: Visibilities { weights: Visibility::Hashed, ..Visibilities::default() }, ..CompileOptions::default() };
    let e = compile(&p, &opts).expect_err("refused").to_string();
    assert_names(&e, &p, "bias");
}

#[test]
fn regression_onnx_file_that_is_not_a_regular_file_is_an_error() {
    // /dev/zero never ends; a directory is not a model.
    for p in [Path::new("/dev/zero"), Path::new("/")] {
        let e = zkinfer_prover::onnx::load(p).expect_err("refused").to_string();
        assert!(e.contains(&p.display().to_string()) && e.contains("regular file"), "{e}");
    }
}

// ---------------------------------------------------------------- circuit.json

/// mlp_small compiled (default visibility: input hashed), as JSON.
fn circuit_json() -> Value {
    static ART: OnceLock<Value> = OnceLock::new();
    ART.get_or_init(|| {
        let m = models().join("mlp_small.onnx");
        let input = zkinfer_prover::input::read_input(&models().join("mlp_small.input.json")).unwrap();
        let c = compile(&m, &CompileOptions { calibration: vec![input], dot_width: Some(8), ..CompileOptions::default() }).unwrap();
        serde_json::to_value(CircuitArtifact::of(&m, c).unwrap()).unwrap()
    })
    .clone()
}

/// Writes `v` as `circuit.json` in `dir` and loads it; the error text (naming the file and `field`).
fn circuit_err(dir: &Path, v: &Value, field: &str) -> String {
    let p = dir.join("circuit.json");
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    let e = CircuitArtifact::load(&p).expect_err("a malformed circuit.json must be refused").to_string();
    assert_names(&e, &p, field);
    e
}

#[test]
fn regression_circuit_json_range_limbs_zero_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["model"]["params"]["range_limbs"] = json!(0);
    circuit_err(dir.path(), &v, "model.params");
}

#[test]
fn regression_circuit_json_scale_bits_zero_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["model"]["params"]["scale_bits"] = json!(0);
    circuit_err(dir.path(), &v, "model.params");
}

#[test]
fn regression_circuit_json_limb_bits_zero_is_an_error() {
    // 0 and 1 would underflow the top limb's shift, 3 does not divide the scale (2^8), 99 is wider.
    for bad in [0, 1, 3, 99] {
        let dir = tempfile::tempdir().unwrap();
        let mut v = circuit_json();
        v["plan"]["shape"]["limb_bits"] = json!(bad);
        let e = circuit_err(dir.path(), &v, "plan.shape.limb_bits");
        assert!(e.contains("must divide scale_bits"), "{e}");
    }
}

#[test]
fn regression_circuit_json_bad_interpolation_is_an_error() {
    // Bits 0 would shift by −1, 3 shares no limb width with 2^8, 8 is not below the scale; delta
    // bits 0 or 60 leave the increment's range check meaningless or wrap the field.
    for (bits, delta) in [(0, 8), (1, 8), (3, 8), (8, 8), (4, 0), (4, 60)] {
        let dir = tempfile::tempdir().unwrap();
        let mut v = circuit_json();
        v["version"] = json!(4);
        v["model"]["params"]["interp"] = json!({ "bits": bits, "delta_bits": delta });
        let e = circuit_err(dir.path(), &v, "model.params.interp");
        assert!(e.contains("interpolation bits"), "{e}");
    }
    // A version 3 file with interpolated tables (no build before version 4 wrote one) is refused.
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["model"]["params"]["interp"] = json!({ "bits": 4, "delta_bits": 8 });
    let e = circuit_err(dir.path(), &v, "version");
    assert!(e.contains("version 4"), "{e}");
}

#[test]
fn regression_circuit_json_bias_shorter_than_rows_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["model"]["layers"][0]["bias"].as_array_mut().unwrap().pop();
    circuit_err(dir.path(), &v, "model.layers[0]");
}

#[test]
fn regression_circuit_json_k_30_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["plan"]["k"] = json!(30);
    circuit_err(dir.path(), &v, "plan.k");
}

#[test]
fn regression_circuit_json_model_needing_k_30_is_an_error() {
    // A layer of 2^21 outputs with 8 range limbs: 11 rows each, more than 2^24 rows.
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    let n = 1usize << 21;
    let inputs = v["model"]["inputs"].as_u64().unwrap() as usize;
    v["model"]["params"]["range_limbs"] = json!(8);
    v["plan"]["shape"]["range_limbs"] = json!(8);
    v["model"]["layers"] = json!([{ "inputs": inputs, "outputs": n, "rows": vec![Vec::<(usize, i64)>::new(); n], "bias": vec![0; n], "activation": "none" }]);
    v["model"]["outputs"] = json!([inputs]);
    let e = circuit_err(dir.path(), &v, "model");
    assert!(e.contains("rows"), "{e}");
}

#[test]
fn regression_compile_scale_bits_zero_with_calibration_is_an_error() {
    // Calibration divided by the scale bits.
    let input = zkinfer_prover::input::read_input(&models().join("mlp_small.input.json")).unwrap();
    let opts = CompileOptions { scale_bits: 0, calibration: vec![input], ..CompileOptions::default() };
    let e = compile(&models().join("mlp_small.onnx"), &opts).expect_err("refused").to_string();
    assert!(e.contains("scale_bits"), "{e}");
}

#[test]
fn regression_circuit_json_huge_dot_width_is_an_error() {
    // 10^9 advice columns at key generation.
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["plan"]["shape"]["dot_width"] = json!(1_000_000_000u64);
    circuit_err(dir.path(), &v, "plan.shape");
}

#[test]
fn regression_circuit_json_tied_to_a_later_output_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    let outputs = v["model"]["layers"][0]["outputs"].as_u64().unwrap() as usize;
    let mut tied = vec![Value::Null; outputs];
    tied[0] = json!(outputs - 1);
    v["model"]["layers"][0]["tied"] = json!(tied);
    circuit_err(dir.path(), &v, "model.layers[0]");
}

#[test]
fn regression_circuit_json_accuracy_samples_overflow_is_an_error() {
    // samples · (features + classes) overflowed when flattening a test set.
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    v["accuracy"] = json!({ "samples": 1u64 << 62, "features": 8, "classes": 3 });
    circuit_err(dir.path(), &v, "accuracy");
}

#[test]
fn regression_circuit_json_weights_overflowing_the_accumulator_are_an_error() {
    // Weights of i64::MAX on a large input: Σ w·x overflowed i128 in the fixed-point run.
    let dir = tempfile::tempdir().unwrap();
    let mut v = circuit_json();
    for row in v["model"]["layers"][0]["rows"].as_array_mut().unwrap() {
        for term in row.as_array_mut().unwrap() {
            term[1] = json!(i64::MAX);
        }
    }
    let p = dir.path().join("circuit.json");
    // The file itself is well formed (the model commitment is recomputed to match it).
    let mut a: CircuitArtifact = serde_json::from_value(v).unwrap();
    a.model_commitment = format!("0x{}", hex::encode(a.model.commitment()));
    a.save(&p).unwrap();
    let a = CircuitArtifact::load(&p).unwrap();
    let q = a.model.quantise_input(&vec![3e38; a.model.input_len()]).unwrap();
    let e = a.model.forward(&q).expect_err("refused").to_string();
    assert!(e.contains("layer 0"), "{e}");
}

#[test]
fn regression_circuit_json_that_is_a_huge_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("circuit.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(1 << 40).unwrap(); // sparse: a terabyte of zeros on paper
    let e = CircuitArtifact::load(&p).expect_err("refused").to_string();
    assert!(e.contains(&p.display().to_string()) && e.contains("bytes"), "{e}");
}

// ---------------------------------------------------------------- keys

struct Keys {
    _dir: tempfile::TempDir,
    art: CircuitArtifact,
    pk: Vec<u8>,
    vk: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let art: CircuitArtifact = serde_json::from_value(circuit_json()).unwrap();
        let params = zkinfer_prover::srs::dev_srs(art.plan.k).unwrap();
        let pk = zkinfer_prover::proving::keygen(&params, &art.circuit()).unwrap();
        artifact::save_pk(&dir.path().join("pk.bin"), &pk).unwrap();
        artifact::save_vk(&dir.path().join("vk.bin"), pk.get_vk()).unwrap();
        let pk = std::fs::read(dir.path().join("pk.bin")).unwrap();
        let vk = std::fs::read(dir.path().join("vk.bin")).unwrap();
        Keys { _dir: dir, art, pk, vk }
    })
}

fn pk_err(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pk.bin");
    std::fs::write(&p, bytes).unwrap();
    let e = artifact::load_pk(&p, &keys().art).expect_err("refused").to_string();
    assert!(e.contains(&p.display().to_string()), "{e}");
    e
}

fn vk_err(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vk.bin");
    std::fs::write(&p, bytes).unwrap();
    let e = artifact::load_vk(&p, &keys().art).expect_err("refused").to_string();
    assert!(e.contains(&p.display().to_string()), "{e}");
    e
}

/// Offset of the proving key's first polynomial: after the magic and the verifying key.
fn first_poly(k: &Keys) -> usize {
    k.vk.len()
}

#[test]
fn regression_truncated_pk_is_an_error() {
    let k = keys();
    pk_err(&k.pk[..k.pk.len() / 2]);
    pk_err(&k.pk[..first_poly(k) + 2]);
}

#[test]
fn regression_pk_polynomial_length_u32_max_is_an_error() {
    // A 128 GB `Vec::with_capacity` before this fix.
    let k = keys();
    let mut b = k.pk.clone();
    let at = first_poly(k);
    b[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let e = pk_err(&b);
    assert!(e.contains("l0"), "{e}");
}

#[test]
fn regression_pk_non_canonical_field_element_is_an_error() {
    // halo2 asserts every element is below the modulus.
    let k = keys();
    let mut b = k.pk.clone();
    let at = first_poly(k) + 4;
    b[at..at + 32].fill(0xff);
    let e = pk_err(&b);
    assert!(e.contains("l0"), "{e}");
}

#[test]
fn regression_vk_k_30_is_an_error() {
    // halo2 asserts k + extension ≤ 28 (and allocates 2^k-bit selectors first).
    let k = keys();
    let mut b = k.vk.clone();
    b[9..13].copy_from_slice(&30u32.to_le_bytes());
    let e = vk_err(&b);
    assert!(e.contains("'k'"), "{e}");
}

#[test]
fn regression_vk_with_a_fixed_commitment_missing_is_an_error() {
    // One fewer fixed commitment (and the file 64 bytes shorter) read as a smaller key, whose
    // verification indexed past its commitments.
    let k = keys();
    let mut b = k.vk.clone();
    let n = u32::from_le_bytes(b[14..18].try_into().unwrap());
    b[14..18].copy_from_slice(&(n - 1).to_le_bytes());
    b.drain(18..18 + 64);
    vk_err(&b);
}

#[test]
fn regression_vk_point_off_the_curve_is_an_error() {
    // Raw points are read without a curve check.
    let k = keys();
    let mut b = k.vk.clone();
    b[18] ^= 1;
    vk_err(&b);
}

#[test]
fn regression_keys_with_trailing_bytes_are_an_error() {
    let k = keys();
    let mut b = k.vk.clone();
    b.push(0);
    vk_err(&b);
    let mut b = k.pk.clone();
    b.push(0);
    pk_err(&b);
}

#[test]
fn unmodified_keys_load() {
    let k = keys();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pk.bin"), &k.pk).unwrap();
    std::fs::write(dir.path().join("vk.bin"), &k.vk).unwrap();
    artifact::load_pk(&dir.path().join("pk.bin"), &k.art).unwrap();
    artifact::load_vk(&dir.path().join("vk.bin"), &k.art).unwrap();
}

// ---------------------------------------------------------------- other artifacts

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p
}

#[test]
fn regression_proof_json_bad_hex_names_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let proof = serde_json::from_str::<Value>(&std::fs::read_to_string(models().join("../test/fixtures/proof.json")).unwrap()).unwrap();
    for (field, value) in [("proof", json!("0xzz")), ("instances", json!(["0x12"]))] {
        let mut v = proof.clone();
        v[field] = value;
        let p = write_json(dir.path(), "proof.json", &v);
        let e = ProofArtifact::load(&p).expect_err("refused").to_string();
        assert_names(&e, &p, field);
    }
}

#[test]
fn regression_setup_json_k_30_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_json(dir.path(), "setup.json", &json!({"format": "zkinfer-setup", "version": 3, "srs": {"kind": "dev_unsafe"}, "k": 30}));
    let e = SetupArtifact::load(&p).expect_err("refused").to_string();
    assert_names(&e, &p, "'k'");
}

#[test]
fn regression_opening_bad_salt_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let v = json!({"format": "zkinfer-opening", "version": 3, "salt": "0xzz", "packing_bits": 0, "input": null, "output": null});
    let p = write_json(dir.path(), "proof.opening.json", &v);
    let e = OpeningArtifact::load(&p).expect_err("refused").to_string();
    assert_names(&e, &p, "salt");
}

#[test]
fn regression_cost_model_degree_usize_max_is_an_error() {
    // `next_power_of_two` overflowed when predicting.
    let dir = tempfile::tempdir().unwrap();
    let mut v = serde_json::to_value(CostModel::builtin().unwrap()).unwrap();
    v["degree"] = json!(u64::MAX);
    let p = write_json(dir.path(), "cost.json", &v);
    let e = CostModel::load(&p).expect_err("refused").to_string();
    assert_names(&e, &p, "degree");
}

#[test]
fn regression_input_json_huge_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("input.json");
    std::fs::File::create(&p).unwrap().set_len(1 << 40).unwrap();
    let e = zkinfer_prover::input::read_input(&p).expect_err("refused").to_string();
    assert!(e.contains(&p.display().to_string()) && e.contains("bytes"), "{e}");
    let e = zkinfer_prover::input::read_test_set(&p).expect_err("refused").to_string();
    assert!(e.contains(&p.display().to_string()) && e.contains("bytes"), "{e}");
}

#[test]
fn regression_planted_dev_srs_cache_file_with_a_huge_k_is_regenerated_not_a_panic() {
    // `dev_srs_in` read a cached file with `ParamsKZG::read` before checking its k: a header of
    // k ≥ 64 panicked (`1 << k`), k of 30–40 allocated 2^k points.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev-srs-k4.UNSAFE.srs");
    for (k, tail) in [(70u32, vec![0u8; 64]), (40, vec![1u8; 64]), (4, vec![7u8; 100])] {
        let mut bytes = zkinfer_prover::srs::DEV_SRS_MAGIC.to_vec();
        bytes.extend(k.to_le_bytes());
        bytes.extend(tail);
        std::fs::write(&path, &bytes).unwrap();
        let params = zkinfer_prover::srs::dev_srs_in(dir.path(), 4).expect("regenerated");
        assert_eq!(halo2_proofs::poly::commitment::Params::k(&params), 4, "header k {k}");
        assert!(std::fs::read(&path).unwrap().len() > bytes.len(), "header k {k}: the cache file was regenerated");
    }
    let e = zkinfer_prover::srs::dev_srs_in(dir.path(), 64).expect_err("refused").to_string();
    assert!(e.contains("k = 64"), "{e}");
}

#[test]
fn regression_limbs_needed_at_the_widest_range_is_none_not_a_stack_overflow() {
    // Found by the loader fuzzer (commit 5f6a3d0): `limbs_needed` re-ran the model at the widest
    // range to find how many limbs an input needs; called on a model already that wide (the probe
    // itself, or a circuit.json with 8 limbs of 8 bits), it recursed until the stack overflowed.
    let x = zkinfer_prover::input::read_input(&models().join("mlp_small.input.json")).unwrap();
    let c = compile(&models().join("mlp_small.onnx"), &CompileOptions { range_limbs: Some(8), ..CompileOptions::default() }).unwrap();
    assert_eq!(c.model.params.range_limbs, 8);
    let q = c.model.quantise_input(&x).unwrap();
    assert_eq!(c.model.limbs_needed(&q), None);
    // A huge input at the widest range is still an error, not a crash.
    let huge: Vec<i64> = q.iter().map(|_| i64::MAX / 4).collect();
    assert_eq!(c.model.limbs_needed(&huge), None);
}

#[test]
fn einsum_equations_it_cannot_lower_are_refused_by_name() {
    // Each names the node, the op and what is wrong; a huge contraction is bounded before
    // anything is built.
    let dir = tempfile::tempdir().unwrap();
    let eq = |e: &str| tract_onnx::pb::AttributeProto { name: "equation".into(), s: e.as_bytes().to_vec(), r#type: 3, ..Default::default() };
    let w = tensor_f32("w", &[3, 3], &[0.5; 9]);
    for (equation, inputs, says) in [
        ("...i,ij->...j", &["x", "w"][..], "an ellipsis is not supported"),
        ("ij,jk,kl->il", &["x", "w", "w"][..], "one or two are supported"),
        ("ij,kj->ik", &["x", "w2"][..], "letter 'j' has sizes"),
        ("ij->k", &["x"][..], "output letter 'k' is repeated or not in any operand"),
        ("i1,ij->j", &["x", "w"][..], "'1' is not a letter"),
        ("ijk,jk->i", &["x", "w"][..], "operand 0 has shape"),
    ] {
        let w2 = tensor_f32("w2", &[3, 4], &[0.5; 12]);
        let m = model(&[2, 3], vec![node("Einsum", inputs, &["y"], vec![eq(equation)])], vec![w.clone(), w2]);
        let e = onnx_err(&write(dir.path(), "einsum.onnx", &m));
        assert!(e.contains("Einsum") && e.contains(says), "{equation}: expected '{says}', got {e}");
    }
}

#[test]
fn regression_recurrent_hidden_size_of_2_pow_63_is_an_error_not_an_overflow() {
    // The fuzzer (seed 14) set a GRU's hidden_size to i64::MAX: 3·hidden_size overflowed while
    // checking the weights' shapes.
    let dir = tempfile::tempdir().unwrap();
    for op in ["GRU", "LSTM", "RNN"] {
        let m = model(
            &[2, 1, 3],
            vec![node(op, &["x", "w", "r"], &["y"], vec![int("hidden_size", i64::MAX)])],
            vec![tensor_f32("w", &[1, 3, 3], &[0.1; 9]), tensor_f32("r", &[1, 3, 1], &[0.1; 3])],
        );
        let e = onnx_err(&write(dir.path(), "rec.onnx", &m));
        assert!(e.contains(op) && e.contains("hidden_size"), "{op}: {e}");
    }
}

#[test]
fn an_if_on_a_computed_condition_selects_and_its_inlining_is_bounded() {
    // A computed condition: both branches are inlined (renamed apart: here both define 'a') and
    // each output is a Where of the condition. A branch graph that is missing is named, and
    // branches too large to copy are refused before anything is lowered.
    let dir = tempfile::tempdir().unwrap();
    let branch = |op: &str, n: usize| tract_onnx::pb::GraphProto {
        node: (0..n).map(|i| node(if i == 0 { op } else { "Identity" }, &[if i == 0 { "x".to_string() } else { format!("a{}", i - 1) }.as_str()], &[format!("a{i}").as_str()], vec![])).collect(),
        output: vec![build::value_info(&format!("a{}", n - 1), &[1, 3])],
        ..Default::default()
    };
    let graph_attr = |name: &str, g| tract_onnx::pb::AttributeProto { name: name.into(), g: Some(g), r#type: 5, ..Default::default() };
    let if_model = |then_g, else_g| {
        model(
            &[1, 3],
            vec![node("Greater", &["x", "zero"], &["c"], vec![]), node("If", &["c"], &["y"], vec![graph_attr("then_branch", then_g), graph_attr("else_branch", else_g)])],
            vec![tensor_f32("zero", &[1], &[0.0])],
        )
    };
    let p = write(dir.path(), "if.onnx", &if_model(branch("Relu", 2), branch("Neg", 2)));
    let g = zkinfer_prover::onnx::load(&p).and_then(|g| g.lower());
    assert!(g.is_ok(), "{:?}", g.err().map(|e| e.to_string()));
    let big = zkinfer_prover::onnx::control::MAX_INLINED_NODES / 2 + 1;
    let e = onnx_err(&write(dir.path(), "if-big.onnx", &if_model(branch("Relu", big), branch("Neg", big))));
    assert!(e.contains("If") && e.contains(&format!("more than {} nodes", zkinfer_prover::onnx::control::MAX_INLINED_NODES)), "{e}");
    let m = model(&[1, 3], vec![node("If", &["one"], &["y"], vec![graph_attr("else_branch", branch("Relu", 1))])], vec![tensor_f32("one", &[1], &[1.0])]);
    let e = onnx_err(&write(dir.path(), "if2.onnx", &m));
    assert!(e.contains("has no then_branch graph"), "{e}");
}

#[test]
fn a_loop_is_unrolled_only_when_its_trip_count_and_conditions_are_known() {
    // The body: s_out = Relu(s_in + x), the condition carried through, or one computed from the
    // state (which only the input decides).
    let dir = tempfile::tempdir().unwrap();
    let vi = build::value_info;
    let body = |cond: Vec<tract_onnx::pb::NodeProto>| tract_onnx::pb::GraphProto {
        node: [vec![node("Add", &["s_in", "x"], &["a"], vec![]), node("Relu", &["a"], &["s_out"], vec![])], cond].concat(),
        input: vec![vi("i", &[]), vi("c_in", &[]), vi("s_in", &[1, 3])],
        output: vec![vi("c_out", &[]), vi("s_out", &[1, 3])],
        ..Default::default()
    };
    let carried = || vec![node("Identity", &["c_in"], &["c_out"], vec![])];
    let computed = || vec![node("ReduceSum", &["s_out"], &["t"], vec![int("keepdims", 0)]), node("Greater", &["t", "zero"], &["c_out"], vec![])];
    let graph_attr = |g| tract_onnx::pb::AttributeProto { name: "body".into(), g: Some(g), r#type: 5, ..Default::default() };
    let looped = |trip: &str, cond: &str, b| {
        model(&[1, 3], vec![node("Loop", &[trip, cond, "s0"], &["y"], vec![graph_attr(b)])], vec![
            tensor_i64("three", &[], &[3]),
            tensor_i64("huge", &[], &[1 << 40]),
            tensor_f32("yes", &[], &[1.0]),
            tensor_f32("zero", &[], &[0.0]),
            tensor_f32("s0", &[1, 3], &[0.0; 3]),
        ])
    };
    // Known: unrolled, three iterations of Add + Relu.
    let g = zkinfer_prover::onnx::load(&write(dir.path(), "ok.onnx", &looped("three", "yes", body(carried())))).unwrap();
    assert_eq!(g.nodes.iter().filter(|n| n.source_op == "Relu").count(), 3, "{:?}", g.nodes.iter().map(|n| &n.source_op).collect::<Vec<_>>());
    // A condition computed from the input (after the first iteration): refused by name.
    let e = onnx_err(&write(dir.path(), "computed.onnx", &looped("three", "yes", body(computed()))));
    assert!(e.contains("node 'Loop") && e.contains("condition is computed from the input"), "{e}");
    // A trip count past the bound: refused before unrolling more.
    let e = onnx_err(&write(dir.path(), "huge.onnx", &looped("huge", "", body(carried()))));
    assert!(e.contains("runs more than 4096 iterations"), "{e}");
    // The loader's own continuation domain in a file: refused.
    let mut m = looped("three", "yes", body(carried()));
    m.graph.as_mut().unwrap().node[0].domain = zkinfer_prover::onnx::control::CONTINUATION_DOMAIN.into();
    let e = onnx_err(&write(dir.path(), "reserved.onnx", &m));
    assert!(e.contains("is reserved"), "{e}");
}
