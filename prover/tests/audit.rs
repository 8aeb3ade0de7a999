//! The free-cell audit ([`zkinfer_prover::circuit::audit`]) on every bundled model, at every dot
//! width from 2 to 8 and in every visibility: no advice cell a gate reads is free (issue 14:
//! free padding cells on product rows let a prover forge products).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;
use zkinfer_prover::circuit::audit;
use zkinfer_prover::{compile, CircuitShape, CompileOptions, QuantModel, Visibilities, Visibility};

/// Bundled models with their calibration inputs.
const MODELS: &[(&str, &[&str])] = &[
    ("mlp_small", &["mlp_small.input.json", "mlp_small.input-1.json", "mlp_small.input-2.json"]),
    ("mlp_small_b", &["mlp_small.input.json"]),
    ("branching_residual", &[]),
    ("clip_variants", &["clip_variants.input.json", "clip_variants.input-1.json", "clip_variants.input-2.json"]),
    ("cnn_maxpool", &["cnn_maxpool.input.json", "cnn_maxpool.input-1.json"]),
    ("cnn_small", &["cnn_small.input.json", "cnn_small.input-1.json"]),
    ("mnist_mlp", &["mnist_mlp.input.json"]),
    ("op_variants", &["op_variants.input.json"]),
    ("shape_ops", &["shape_ops.input.json", "shape_ops.input-1.json"]),
    ("tabular_sigmoid", &["tabular_sigmoid.input.json", "tabular_sigmoid.input-1.json", "tabular_sigmoid.input-2.json"]),
    ("tabular_small", &["tabular_small.input.json", "tabular_small.input-1.json"]),
    ("transformer_block", &["transformer_block.input.json", "transformer_block.input-1.json"]),
    ("transformer_mh", &["transformer_mh.input.json", "transformer_mh.input-1.json"]),
];

fn compiled(name: &str, inputs: &[&str], weights: Visibility) -> QuantModel {
    let calibration = inputs.iter().map(|f| zkinfer_prover::input::read_input(&common::model_path(f)).unwrap()).collect();
    let visibility = Visibilities { weights, ..Visibilities::default() };
    let opts = CompileOptions { calibration, visibility, dot_width: Some(4), ..CompileOptions::default() };
    compile(&common::model_path(&format!("{name}.onnx")), &opts).unwrap_or_else(|e| panic!("{name}: {e}")).model
}

fn visibilities(weights: Visibility) -> Vec<Visibilities> {
    let modes = [Visibility::Public, Visibility::Hashed, Visibility::Private];
    let mut out = Vec::new();
    for input in modes {
        for output in modes {
            out.push(Visibilities { weights, input, output });
        }
    }
    out
}

/// Audits `model` at every width and visibility; returns the failures.
fn audit_all(name: &str, model: &QuantModel, weights: Visibility, widths: std::ops::RangeInclusive<usize>) -> Vec<String> {
    let mut failures = Vec::new();
    for v in visibilities(weights) {
        for w in widths.clone() {
            let shape = CircuitShape::for_model(model, w).with_visibility(v);
            let a = audit::audit(model, shape).unwrap_or_else(|e| panic!("{name} {v:?} width {w}: {e}"));
            assert!(a.read_cells > 0 && a.counts.decomposition > 0, "{name}: the audit saw no rescale: {a}");
            if !a.is_sound() {
                failures.push(format!("{name}: {a}"));
            }
        }
    }
    failures
}

#[test]
fn no_free_cell_in_any_bundled_model_width_or_visibility() {
    let mut failures = Vec::new();
    for (name, inputs) in MODELS {
        for weights in [Visibility::Fixed, Visibility::Hashed] {
            if *name == "mnist_mlp" && weights == Visibility::Hashed {
                continue; // 700k rows, 80 s an audit: script/audit sweeps it
            }
            let t = Instant::now();
            let model = compiled(name, inputs, weights);
            failures.extend(audit_all(name, &model, weights, 2..=8));
            eprintln!("{name} weights {weights}: {:.1} s", t.elapsed().as_secs_f64());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One range limb with a tabulated function: the function entries' offsets `tag·2^(s·n)` (tag ≥ 2) must
/// keep them apart from the limb entries `(v, 0)`, `v < 2^s`.
#[test]
fn function_tables_stay_functions_with_one_range_limb() {
    use zkinfer_prover::ir::Activation;
    use zkinfer_prover::quant::{Domain, QuantLayer, QuantParams};
    let mut tables = [None; Activation::TABULATED.len()];
    let sigmoid = Activation::TABULATED.iter().position(|a| *a == Activation::Sigmoid).unwrap();
    tables[sigmoid] = Some(Domain { lo: -100, hi: 100 });
    let params = QuantParams { scale_bits: 8, range_limbs: 1, tables };
    let layer = QuantLayer { inputs: 1, outputs: 1, rows: vec![vec![(0, 256)]], prods: Vec::new(), bias: vec![0], activation: Activation::Sigmoid, pinned: false, tied: Vec::new() };
    let model = QuantModel { params, inputs: 1, layers: vec![layer], outputs: vec![1] };
    for v in visibilities(Visibility::Fixed) {
        let a = audit::audit(&model, CircuitShape::for_model(&model, 2).with_visibility(v)).unwrap();
        assert!(a.is_sound(), "{a}");
        assert_eq!(a.counts.function, 1, "the sigmoid's output is determined by its table: {a}");
    }
}
