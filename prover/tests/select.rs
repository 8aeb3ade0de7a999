//! Forgeries of the selections (ArgMax, a classifier's label, a tree ensemble's route; issue 16): the one-hot of the
//! maximum moved to another class, or a comparison bit flipped, with every cell downstream
//! repaired (the index, the label and the public outputs follow the lie). Each must be rejected:
//! the comparisons and the one-hot are looked up, never free.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::halo2curves::bn256::Fr;
use std::sync::Arc;
use zkinfer_prover::circuit::audit::system::CellRef;
use zkinfer_prover::circuit::forge::Forger;
use zkinfer_prover::circuit::fr_from_i128;
use zkinfer_prover::ir::Activation;
use zkinfer_prover::{compile, CircuitShape, CompileOptions, Visibilities};

use common::{op_forger as forger, out_cell};

/// The first layer with activation `act`.
fn layer_of(f: &Forger, act: Activation) -> usize {
    f.model.layers.iter().position(|l| l.activation == act).unwrap_or_else(|| panic!("a layer with {act:?}"))
}

#[test]
fn a_one_hot_moved_to_another_class_is_rejected() {
    // For a tree ensemble the first zero test is its leaves: the reached leaf moved to another.
    for (name, width) in [("argmax", 2), ("argmax", 4), ("ml_logreg_softmax", 4), ("ml_linear_svc_zipmap", 8), ("ml_tree_regressor", 4), ("ml_tree_classifier_softmax", 2), ("ml_tree_classifier_binary", 8), ("topk_largest", 4), ("topk_smallest_axis0", 2), ("gather_computed_index", 4), ("gather_elements_computed", 2), ("ml_array_feature_extractor_argmax", 4), ("one_hot_computed", 4), ("ml_svc_rbf", 4), ("ml_svc_linear", 8)] {
        let f = forger(name, width);
        assert!(f.mock(&f.forge(&[])).is_ok(), "{name}: the honest witness");
        let hot = layer_of(&f, Activation::IsZero);
        let one = 1i64 << f.model.params.scale_bits;
        let outs = &f.trace.layers[hot];
        // Every winner moved to every loser (those in its own group change the outputs).
        let mut changed = 0;
        for winner in (0..outs.len()).filter(|k| outs[*k].out == one) {
            for loser in (0..outs.len()).filter(|k| outs[*k].out == 0) {
                let forged = f.forge(&[(out_cell(&f, hot, winner), Fr::zero()), (out_cell(&f, hot, loser), fr_from_i128(i128::from(one)))]);
                changed += usize::from(forged.instances != f.instances);
                assert!(!f.satisfies(&forged), "{name} width {width}: the audit's equations accept a one-hot moved from {winner} to {loser}");
                assert!(f.mock(&forged).is_err(), "{name} width {width}: a one-hot moved from {winner} to {loser} was accepted");
            }
        }
        assert!(changed > 0, "{name}: no moved one-hot changes the outputs");
    }
}

#[test]
fn a_flipped_comparison_bit_is_rejected() {
    // For a tree ensemble the first step table is its splits: a flipped split routes a row to
    // another leaf, and the leaves, scores and label downstream follow.
    // Comparisons (`x ≥ 0`, and `x > 0` one unit lower) are steps: the sign bit of the range.
    for name in ["argmax", "argmin_last", "ml_logreg_softmax", "ml_tree_regressor", "ml_tree_classifier_softmax", "ml_tree_classifier_binary", "topk_largest", "topk_smallest_axis0", "ml_svc_rbf", "ml_svc_sigmoid_binary", "mod_int", "div_int"] {
        let f = forger(name, 4);
        let cmp = layer_of(&f, Activation::Step);
        let one = 1i64 << f.model.params.scale_bits;
        let mut changed = false;
        for (k, o) in f.trace.layers[cmp].iter().enumerate() {
            let flipped = if o.out == 0 { one } else { 0 };
            let forged = f.forge(&[(out_cell(&f, cmp, k), fr_from_i128(i128::from(flipped)))]);
            changed |= forged.instances != f.instances;
            assert!(f.mock(&forged).is_err(), "{name}: comparison {k} flipped was accepted");
        }
        assert!(changed, "{name}: some flipped comparison changes the outputs");
    }
}

/// The cell of the rescale row of `layer`'s output `output` in column `column`, `up` rows above.
fn rescale_cell(f: &Forger, layer: usize, output: usize, column: usize, up: usize) -> CellRef {
    let at = out_cell(f, layer, output);
    CellRef { column, row: at.row - up }
}

#[test]
fn a_step_whose_sign_bit_limbs_and_output_are_forged_together_is_rejected() {
    // The attacker flips a comparison's sign bit, its output (0 ↔ 1.0) and moves the top limb by
    // 2^(s−1) with its shifted copy, so that the decomposition of q still sums: the bound on the
    // top limb (it and its shift both limbs) must reject it, on every step of each model, with
    // the instances downstream repaired.
    for (name, width) in [("argmax", 2), ("argmin_last", 4), ("ml_tree_regressor", 4), ("ml_tree_classifier_binary", 8), ("greater", 4), ("lessorequal", 4)] {
        let f = forger(name, width);
        let cmp = layer_of(&f, Activation::Step);
        let (s, n) = (f.model.params.scale_bits, f.model.params.range_limbs as usize);
        let (one, half) = (1i128 << s, 1i128 << (s - 1));
        let z = f.config().z_column().index();
        let x0 = f.config().x_columns()[0].index();
        let mut changed = false;
        for (k, o) in f.trace.layers[cmp].iter().enumerate() {
            let top = i128::from(o.limbs[n - 1]) - if o.sign { half } else { 0 };
            let (sign, out, top) = if o.sign { (0, 0, top + half) } else { (1, one, top - half) };
            let forged = f.forge(&[
                (rescale_cell(&f, cmp, k, x0, 0), fr_from_i128(sign)),
                (out_cell(&f, cmp, k), fr_from_i128(out)),
                (rescale_cell(&f, cmp, k, z, n), fr_from_i128(top)),
                (rescale_cell(&f, cmp, k, z, n + 2), fr_from_i128(top + half)),
            ]);
            changed |= forged.instances != f.instances;
            assert!(!f.satisfies(&forged), "{name}: the audit's equations accept step {k} forged");
            assert!(f.mock(&forged).is_err(), "{name} width {width}: step {k} with its sign, top limb and output forged was accepted");
        }
        assert!(changed, "{name}: some forged step changes the outputs");
    }
}

#[test]
fn a_step_output_that_lies_about_its_sign_is_rejected() {
    // The gate output alone: 1.0 where the sign says 0 and the reverse, and values other than
    // 0 and 1.0 (the activation a wrong table would give).
    for name in ["greater", "less", "greaterorequal", "ml_tree_regressor"] {
        let f = forger(name, 4);
        let cmp = layer_of(&f, Activation::Step);
        let one = 1i128 << f.model.params.scale_bits;
        for (k, o) in f.trace.layers[cmp].iter().enumerate() {
            for lie in [one - i128::from(o.out), one / 2, -one, 2 * one] {
                let forged = f.forge(&[(out_cell(&f, cmp, k), fr_from_i128(lie))]);
                assert!(f.mock(&forged).is_err(), "{name}: step {k} output {lie} was accepted");
            }
        }
    }
}

#[test]
fn comparisons_over_a_range_no_table_could_hold_are_exact() {
    // Raw credit-sized features (10^5) compared at 2^12: a step table would need 2^30 entries;
    // the sign bit holds the whole range. Every split routes as onnxruntime does.
    let x = zkinfer_prover::input::read_input(&common::model_path("corpus/skl_gb_clf_credit.input.json")).unwrap();
    let opts = CompileOptions { calibration: vec![x.clone()], scale_bits: 12, ..CompileOptions::default() };
    let model = compile(&common::model_path("corpus/skl_gb_clf_credit.onnx"), &opts).unwrap().model;
    assert!(model.tabulated().iter().all(|a| !matches!(a, Activation::Positive | Activation::NonNegative)), "{:?}", model.tabulated());
    assert!(model.layers.iter().any(|l| l.activation == Activation::Step));
    let shape = CircuitShape::for_model(&model, 4).with_visibility(Visibilities::PUBLIC);
    let trace = model.forward(&model.quantise_input(&x).unwrap()).unwrap();
    let f = Forger::new(Arc::new(model), shape, trace).unwrap();
    assert!(f.mock(&f.forge(&[])).is_ok());
}
