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
use zkinfer_prover::circuit::layout::Part;
use zkinfer_prover::ir::Activation;
use zkinfer_prover::{compile, CircuitShape, CompileOptions, Visibilities};

/// The forger of op model `name` at `width`, public input and output.
fn forger(name: &str, width: usize) -> Forger {
    let x = zkinfer_prover::input::read_input(&common::model_path(&format!("ops/{name}.input.json"))).unwrap();
    let opts = CompileOptions { calibration: vec![x.clone()], visibility: Visibilities::PUBLIC, ..CompileOptions::default() };
    let model = compile(&common::model_path(&format!("ops/{name}.onnx")), &opts).unwrap().model;
    let shape = CircuitShape::for_model(&model, width).with_visibility(Visibilities::PUBLIC);
    let trace = model.forward(&model.quantise_input(&x).unwrap()).unwrap();
    Forger::new(Arc::new(model), shape, trace).unwrap()
}

/// The cell holding output `output` of layer `layer` (`x[1]` of its rescale row).
fn out_cell(f: &Forger, layer: usize, output: usize) -> CellRef {
    let row = f
        .snapshot
        .spans
        .iter()
        .find_map(|s| match &s.part {
            Part::Output { layer: l, output: o, rescale, .. } if *l == layer && *o == output => Some(*rescale),
            _ => None,
        })
        .unwrap();
    CellRef { column: f.config().x_columns()[1].index(), row }
}

/// The first layer with activation `act`.
fn layer_of(f: &Forger, act: Activation) -> usize {
    f.model.layers.iter().position(|l| l.activation == act).unwrap_or_else(|| panic!("a layer with {act:?}"))
}

#[test]
fn a_one_hot_moved_to_another_class_is_rejected() {
    // For a tree ensemble the first zero test is its leaves: the reached leaf moved to another.
    for (name, width) in [("argmax", 2), ("argmax", 4), ("ml_logreg_softmax", 4), ("ml_linear_svc_zipmap", 8), ("ml_tree_regressor", 4), ("ml_tree_classifier_softmax", 2), ("ml_tree_classifier_binary", 8)] {
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
    for (name, table) in [
        ("argmax", Activation::NonNegative),
        ("argmin_last", Activation::Positive),
        ("ml_logreg_softmax", Activation::NonNegative),
        ("ml_tree_regressor", Activation::NonNegative),
        ("ml_tree_classifier_softmax", Activation::NonNegative),
        ("ml_tree_classifier_binary", Activation::NonNegative),
    ] {
        let f = forger(name, 4);
        let cmp = layer_of(&f, table);
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
