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
            out.push(Visibilities::new(weights, input, output));
        }
    }
    out
}

/// What one (model, weights) sweep saw, summed over its configurations.
#[derive(Debug, Default)]
struct Sweep {
    configurations: usize,
    max_rows: usize,
    counts: audit::Counts,
    read_cells: usize,
    failures: Vec<String>,
    seconds: f64,
}

/// Audits `model` at every width in `widths` and every visibility of `visibilities`.
fn audit_all(name: &str, model: &QuantModel, widths: std::ops::RangeInclusive<usize>, visibilities: &[Visibilities]) -> Sweep {
    let t = Instant::now();
    let mut s = Sweep::default();
    for v in visibilities {
        for w in widths.clone() {
            let shape = CircuitShape::for_model(model, w).with_visibility(*v);
            let a = audit::audit(model, shape).unwrap_or_else(|e| panic!("{name} {v:?} width {w}: {e}"));
            assert!(a.read_cells > 0 && a.counts.decomposition > 0, "{name}: the audit saw no rescale: {a}");
            if !a.is_sound() {
                s.failures.push(format!("{name}: {a}"));
            }
            s.configurations += 1;
            s.max_rows = s.max_rows.max(a.rows);
            s.read_cells += a.read_cells;
            let (c, d) = (&mut s.counts, a.counts);
            c.roots += d.roots;
            c.copies += d.copies;
            c.linear += d.linear;
            c.decomposition += d.decomposition;
            c.function += d.function;
            c.range_only += d.range_only;
        }
    }
    s.seconds = t.elapsed().as_secs_f64();
    s
}

/// Audits a bundled model with fixed and hashed weights at widths 2..=8 in every visibility.
fn sweep(name: &str) {
    let (_, inputs) = MODELS.iter().find(|(n, _)| *n == name).unwrap();
    let mut failures = Vec::new();
    for weights in [Visibility::Fixed, Visibility::Hashed] {
        let model = compiled(name, inputs, weights);
        let s = audit_all(name, &model, 2..=8, &visibilities(weights));
        eprintln!("{name} weights {weights}: {} configurations, {:.1} s", s.configurations, s.seconds);
        failures.extend(s.failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

macro_rules! no_free_cell {
    ($($test:ident: $model:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            sweep($model);
        }
    )*};
}

no_free_cell! {
    no_free_cell_in_mlp_small: "mlp_small",
    no_free_cell_in_mlp_small_b: "mlp_small_b",
    no_free_cell_in_branching_residual: "branching_residual",
    no_free_cell_in_clip_variants: "clip_variants",
    no_free_cell_in_cnn_maxpool: "cnn_maxpool",
    no_free_cell_in_cnn_small: "cnn_small",
    no_free_cell_in_op_variants: "op_variants",
    no_free_cell_in_shape_ops: "shape_ops",
    no_free_cell_in_tabular_sigmoid: "tabular_sigmoid",
    no_free_cell_in_tabular_small: "tabular_small",
    no_free_cell_in_transformer_block: "transformer_block",
    no_free_cell_in_transformer_mh: "transformer_mh",
}

/// mnist_mlp (101,770 weights) with fixed weights at every width and visibility; with hashed
/// weights (700k rows, ~35 s an audit) at one width and the default visibility here, at every one
/// in `script/audit`'s full sweep.
#[test]
fn no_free_cell_in_mnist_mlp() {
    let (_, inputs) = MODELS.iter().find(|(n, _)| *n == "mnist_mlp").unwrap();
    let model = compiled("mnist_mlp", inputs, Visibility::Fixed);
    let s = audit_all("mnist_mlp", &model, 2..=8, &visibilities(Visibility::Fixed));
    assert!(s.failures.is_empty(), "{}", s.failures.join("\n"));
    let hashed = compiled("mnist_mlp", inputs, Visibility::Hashed);
    let s = audit_all("mnist_mlp", &hashed, 4..=4, &[Visibilities { weights: Visibility::Hashed, ..Visibilities::default() }]);
    assert!(s.failures.is_empty(), "{}", s.failures.join("\n"));
}

/// The op-conformance models (`models/ops/`: every element-wise op, comparison, logic op,
/// Where, LogSoftmax, several graph inputs), with fixed and hashed weights, at widths 2, 4 and 8,
/// public and hashed tensors: no free cell.
#[test]
fn no_free_cell_in_the_op_models() {
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
    }
    let entries: Vec<Entry> = serde_json::from_str(&std::fs::read_to_string(common::model_path("ops/manifest.json")).unwrap()).unwrap();
    let t = Instant::now();
    let (mut failures, mut configurations) = (Vec::new(), 0);
    for e in &entries {
        for weights in [Visibility::Fixed, Visibility::Hashed] {
            let input = format!("ops/{}.input.json", e.name);
            let model = compiled(&format!("ops/{}", e.name), &[input.as_str()], weights);
            let visibilities = [
                Visibilities { weights, ..Visibilities::default() },
                Visibilities::new(weights, Visibility::Hashed, Visibility::Hashed),
            ];
            for w in [2, 4, 8] {
                let s = audit_all(&e.name, &model, w..=w, &visibilities);
                configurations += s.configurations;
                failures.extend(s.failures);
            }
        }
    }
    eprintln!("{} op models: {configurations} configurations, {:.1} s", entries.len(), t.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Corpus networks that stress the new lowerings: a GPT block whose causal mask is −∞ (folded
/// away), one whose additive mask is −10⁴ (exp inputs clamped by a ReLU), scaled dot-product
/// attention, a gradient-boosted credit model whose splits compare raw features (steps: the
/// sign bit, no table), hummingbird's tree traversal (gathers by computed indices) and an LSTM
/// classifier. Fixed and hashed weights, widths 4 and 8: no free cell.
#[test]
fn no_free_cell_in_masked_attention_and_wide_comparisons() {
    let mut failures = Vec::new();
    for name in ["t_gpt_block", "t_gpt_block_op13_addmask", "t_sdpa_attention", "hb_gb_clf_credit_gemm", "hb_dtree_clf_iris_tree_trav", "t_lstm_classifier"] {
        for weights in [Visibility::Fixed, Visibility::Hashed] {
            let base = format!("corpus/{name}");
            let input = format!("{base}.input.json");
            let model = compiled(&base, &[input.as_str()], weights);
            let visibilities = [Visibilities { weights, ..Visibilities::default() }];
            for w in [4, 8] {
                failures.extend(audit_all(name, &model, w..=w, &visibilities).failures);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The accuracy circuit's visibilities: any weights and input, the count public.
fn accuracy_visibilities(weights: Visibility) -> Vec<Visibilities> {
    visibilities(weights).into_iter().filter(|v| v.output == Visibility::Public).collect()
}

/// The accuracy-bounty circuit (the scoring layers: products at the label, ReLU steps, the
/// count; the replicas' tied weights; the test set's and the weights' commitments) at every
/// width, with fixed or hashed weights and every input visibility (its count is public).
#[test]
fn no_free_cell_in_the_accuracy_circuit() {
    let (_, inputs) = MODELS.iter().find(|(n, _)| *n == "mlp_small").unwrap();
    let mut failures = Vec::new();
    for weights in [Visibility::Fixed, Visibility::Hashed] {
        let base = compiled("mlp_small", inputs, weights);
        let (model, _) = zkinfer_prover::accuracy::accuracy_model(&base, 4).unwrap();
        let s = audit_all("accuracy(mlp_small, 4)", &model, 2..=8, &accuracy_visibilities(weights));
        assert_eq!(s.configurations, 21);
        failures.extend(s.failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `script/audit`: every bundled model, mnist_mlp's hashed weights included, and the accuracy
/// circuit over 16 samples, at every width and visibility; writes the table to `$AUDIT_REPORT`.
#[test]
#[ignore]
fn full_sweep_report() {
    let mut rows = vec![
        "| model | weights | configurations | rows (largest) | cells read | roots | copies | linear | decomposition | function | range only | free | seconds |".to_string(),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut failures = Vec::new();
    let mut line = |name: &str, weights: Visibility, s: Sweep| {
        let c = &s.counts;
        rows.push(format!(
            "| {name} | {weights} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            s.configurations, s.max_rows, s.read_cells, c.roots, c.copies, c.linear, c.decomposition, c.function, c.range_only, s.failures.len(), s.seconds
        ));
        eprintln!("{}", rows.last().unwrap());
        failures.extend(s.failures);
    };
    for (name, inputs) in MODELS {
        for weights in [Visibility::Fixed, Visibility::Hashed] {
            let model = compiled(name, inputs, weights);
            line(name, weights, audit_all(name, &model, 2..=8, &visibilities(weights)));
        }
    }
    for weights in [Visibility::Fixed, Visibility::Hashed] {
        let (model, _) = zkinfer_prover::accuracy::accuracy_model(&compiled("mlp_small", MODELS[0].1, weights), 16).unwrap();
        line("accuracy(mlp_small, 16 samples)", weights, audit_all("accuracy", &model, 2..=8, &accuracy_visibilities(weights)));
    }
    if let Ok(path) = std::env::var("AUDIT_REPORT") {
        std::fs::write(path, rows.join("\n") + "\n").unwrap();
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
    let params = QuantParams { scale_bits: 8, range_limbs: 1, tables, interp: None };
    let layer = QuantLayer { inputs: 1, outputs: 1, rows: vec![vec![(0, 256)]], prods: Vec::new(), bias: vec![0], activation: Activation::Sigmoid, pinned: false, tied: Vec::new() };
    let model = QuantModel { params, inputs: 1, input_sizes: Vec::new(), layers: vec![layer], outputs: vec![1] };
    for v in visibilities(Visibility::Fixed) {
        let a = audit::audit(&model, CircuitShape::for_model(&model, 2).with_visibility(v)).unwrap();
        assert!(a.is_sound(), "{a}");
        assert_eq!(a.counts.function, 1, "the sigmoid's output is determined by its table: {a}");
    }
}

/// The audit's own negative test: the bug of issue 14 (item 0) re-created in the recorded
/// equations. The copies that pin one product row's padding pair to the constrained zero are
/// removed, and the audit must name both cells free, on that output's product rows; a test that
/// only ever sees sound layouts could not tell a working audit from one that always says "sound".
#[test]
fn the_audit_names_a_padding_pair_whose_copies_are_removed() {
    use zkinfer_prover::circuit::audit::solve::Analysis;
    use zkinfer_prover::circuit::audit::system::CellRef;
    use zkinfer_prover::circuit::layout::Part;
    // HardSwish: one product per output, so every product row has padding pairs.
    let x = zkinfer_prover::input::read_input(&common::model_path("ops/hard_swish.input.json")).unwrap();
    let model = compile(&common::model_path("ops/hard_swish.onnx"), &CompileOptions { calibration: vec![x], ..CompileOptions::default() }).unwrap().model;
    for width in [4, 6, 8] {
        let shape = CircuitShape::for_model(&model, width).with_visibility(Visibilities::default());
        let mut snap = audit::Snapshot::new(&model, shape, None).unwrap();
        assert!(snap.audit(&model).is_sound(), "width {width}: the honest layout");
        // The first output whose product rows end with a padding pair.
        let pairs = width / 2;
        let (layer, output, row, k) = snap
            .spans
            .iter()
            .find_map(|s| match &s.part {
                Part::Output { layer, output, mul, .. } if !mul.is_empty() && !model.layers[*layer].prods_of(*output).len().is_multiple_of(pairs) => {
                    Some((*layer, *output, mul.end - 1, model.layers[*layer].prods_of(*output).len() % pairs))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("width {width}: a product row with padding"));
        let x = snap.config.x_columns().to_vec();
        let cells = [CellRef { column: x[2 * k].index(), row }, CellRef { column: x[2 * k + 1].index(), row }];
        let vars: Vec<_> = cells.iter().map(|c| snap.system.advice_var(*c).unwrap()).collect();
        let before = snap.system.copies.len();
        snap.system.copies.retain(|(a, b)| !vars.contains(a) && !vars.contains(b));
        assert!(snap.system.copies.len() < before, "width {width}: the padding pair was copied");
        snap.analysis = Analysis::run(&snap.system, &snap.known, &[]);
        let found = snap.audit(&model);
        assert!(!found.is_sound(), "width {width}: the audit found nothing");
        for cell in cells {
            let f = found.free.iter().find(|f| f.cell == cell).unwrap_or_else(|| panic!("width {width}: {cell:?} not named; free: {:?}", found.free));
            assert_eq!(f.part, Some(snap.part_of(row).cloned().unwrap()), "width {width}: its part");
            assert!(matches!(f.part, Some(Part::Output { layer: l, output: o, .. }) if l == layer && o == output));
        }
    }
}
