//! Range-check limbs narrower than the scale ([`CircuitShape::limb_bits`]): the same model and
//! trace prove the same instances at every limb width, the audit finds no free cell, and
//! forgeries that move a quotient by one and push the difference into the remainder's limbs
//! (which the rescale gate alone accepts) are rejected by the limb table.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::halo2curves::bn256::Fr;
use std::sync::Arc;
use zkinfer_prover::circuit::audit::{self, system::CellRef};
use zkinfer_prover::circuit::forge::Forger;
use zkinfer_prover::circuit::layout::Part;
use zkinfer_prover::circuit::{fr_from_i128, plan, ModelCircuit};
use zkinfer_prover::optimise::{candidate_limb_bits, choose_layout, Forced, LayoutGoal};
use zkinfer_prover::{compile, proving, CircuitShape, CompileOptions, QuantModel, Visibilities, Visibility};

fn sample(name: &str) -> Vec<f32> {
    zkinfer_prover::input::read_input(&common::model_path(&format!("{name}.input.json"))).unwrap()
}

fn model(name: &str, scale_bits: u32, visibility: Visibilities) -> QuantModel {
    let opts = CompileOptions { calibration: vec![sample(name)], scale_bits, visibility, ..CompileOptions::default() };
    compile(&common::model_path(&format!("{name}.onnx")), &opts).unwrap_or_else(|e| panic!("{name}: {e}")).model
}

fn forger(name: &str, scale_bits: u32, visibility: Visibilities, width: usize, limb_bits: u32) -> Forger {
    let model = model(name, scale_bits, visibility);
    let shape = CircuitShape::for_model(&model, width).with_visibility(visibility).with_limb_bits(limb_bits);
    let trace = model.forward(&model.quantise_input(&sample(name)).unwrap()).unwrap();
    Forger::new(Arc::new(model), shape, trace).unwrap()
}

/// Every rescale row of the layout.
fn rescale_rows(f: &Forger) -> Vec<usize> {
    f.snapshot
        .spans
        .iter()
        .filter_map(|s| match &s.part {
            Part::Output { rescale, .. } => Some(*rescale),
            _ => None,
        })
        .collect()
}

#[test]
fn limb_widths_are_the_scale_divisors() {
    assert_eq!(candidate_limb_bits(8), vec![8, 4]);
    assert_eq!(candidate_limb_bits(12), vec![12, 6, 4, 3]);
    assert_eq!(candidate_limb_bits(7), vec![7]);
    let s = CircuitShape { scale_bits: 12, range_limbs: 3, ..CircuitShape::default() }.with_limb_bits(4);
    assert_eq!((s.value_limbs(), s.remainder_limbs(), s.rescale_z_rows(), s.limb_table_rows()), (9, 3, 13, 16));
    let same = CircuitShape { scale_bits: 12, range_limbs: 3, ..CircuitShape::default() };
    assert_eq!(same.with_limb_bits(12), same, "limb_bits = scale_bits is the default shape");
    assert_eq!((same.value_limbs(), same.remainder_limbs(), same.rescale_z_rows()), (3, 1, 5));
    for bad in [0, 1, 5, 13, 24] {
        let e = same.with_limb_bits(bad).limb_defect().unwrap();
        assert!(e.contains("limb_bits") && e.contains(&bad.to_string()), "{e}");
    }
}

#[test]
fn narrow_limbs_prove_the_same_instances_mockprover() {
    for (name, visibility) in [("mlp_small", Visibilities::default()), ("tabular_sigmoid", Visibilities::PUBLIC), ("transformer_block", Visibilities::default())] {
        let wide = forger(name, 8, visibility, 4, 8);
        assert!(wide.mock(&wide.forge(&[])).is_ok(), "{name} at 8-bit limbs");
        for l in [4, 2] {
            let f = forger(name, 8, visibility, 4, l);
            assert_eq!(f.instances, wide.instances, "{name}: {l}-bit limbs change the instances");
            let honest = f.forge(&[]);
            assert!(f.satisfies(&honest), "{name} {l}-bit limbs: the audit's equations");
            f.mock(&honest).unwrap_or_else(|e| panic!("{name} {l}-bit limbs: {e}"));
            assert_eq!(f.shape.limb_table_rows(), 1 << l);
        }
    }
}

#[test]
fn narrow_limbs_real_proof_at_scale_12() {
    // Hashed input: the commitment's packing decomposes every input value into 6-bit limbs too.
    let visibility = Visibilities::default();
    let f = forger("mlp_small", 12, visibility, 4, 6);
    let wide = plan(&f.model, CircuitShape::for_model(&f.model, 4).with_visibility(visibility)).unwrap();
    let narrow = plan(&f.model, f.shape).unwrap();
    assert!(narrow.table_rows < wide.table_rows && narrow.k < wide.k, "6-bit limbs: k {} vs {} at 12 bits", narrow.k, wide.k);
    let params = zkinfer_prover::srs::dev_srs(f.k).unwrap();
    let honest = ModelCircuit { model: f.model.clone(), shape: f.shape, trace: Some(f.trace.clone()) };
    let pk = proving::keygen(&params, &honest).unwrap();
    let proof = proving::prove(&params, &pk, &honest, &f.instances).unwrap();
    proving::verify(&params, pk.get_vk(), &proof, &f.instances).expect("the honest proof verifies");
    // The quotient moved by one, the remainder's top limb absorbing it, proven for real.
    let forged = quotient_shift(&f, *rescale_rows(&f).last().unwrap(), true);
    assert_ne!(forged.instances, f.instances);
    let proof = f.prove(&params, &pk, &forged).unwrap();
    assert!(proving::verify(&params, pk.get_vk(), &proof, &forged.instances).is_err(), "a shifted quotient verified");
}

/// The forgery `q + 1, r − 2^s` (`up`: the lowest value limb up by one, the lowest remainder limb
/// down by `2^s`) or `q − 1, r + 2^s` (the lowest value limb down, the top remainder limb up by
/// `2^L`) on the rescale row `row`, repaired downstream. Both keep the rescale gate's equation.
fn quotient_shift(f: &Forger, row: usize, up: bool) -> zkinfer_prover::circuit::forge::Forgery {
    let (m, k, l, s) = (f.shape.value_limbs(), f.shape.remainder_limbs(), f.shape.limb_bits(), f.shape.scale_bits);
    let z = f.config().z_column().index();
    let cell = |r: usize| CellRef { column: z, row: r };
    let (l0, r0) = (cell(row - 1), cell(row - m - 1));
    let r_top = if k == 1 { r0 } else { cell(row - m - 2 - (k - 1)) };
    let one = Fr::one();
    let changes = match up {
        true => vec![(l0, f.honest(l0) + one), (r0, f.honest(r0) - fr_from_i128(1 << s))],
        false => vec![(l0, f.honest(l0) - one), (r_top, f.honest(r_top) + fr_from_i128(1 << (s - l * (k as u32 - 1))))],
    };
    f.forge(&changes)
}

#[test]
fn regression_narrow_limbs_quotient_shifted_into_the_remainder_is_rejected() {
    for (name, l) in [("mlp_small", 4), ("mlp_small", 2), ("tabular_sigmoid", 4)] {
        let f = forger(name, 8, Visibilities::PUBLIC, 4, l);
        let rows = rescale_rows(&f);
        let mut changed = 0;
        for (i, row) in rows.iter().enumerate().take(12) {
            for up in [true, false] {
                let forged = quotient_shift(&f, *row, up);
                changed += usize::from(forged.instances != f.instances);
                assert!(!f.satisfies(&forged), "{name} {l}-bit limbs, rescale row {row} (up {up}): the equations accept a shifted quotient");
                if i < 2 {
                    assert!(f.mock(&forged).is_err(), "{name} {l}-bit limbs, rescale row {row}: MockProver accepts a shifted quotient");
                }
            }
        }
        assert!(changed > 0, "{name}: no forgery reached an output");
    }
}

#[test]
fn narrow_limbs_fuzzer_finds_no_accepted_forgery() {
    let mut failures = Vec::new();
    for (i, (name, visibility, l)) in [
        ("mlp_small", Visibilities::default(), 4),
        ("mlp_small", Visibilities::BOUNTY, 2),
        ("tabular_sigmoid", Visibilities { output: Visibility::Hashed, ..Visibilities::default() }, 4),
    ]
    .into_iter()
    .enumerate()
    {
        let f = forger(name, 8, visibility, 4, l);
        let r = f.fuzz(200, 6, 0x11b5 + i as u64);
        eprintln!("{name} {l}-bit limbs: {} tried, {} rejected, {} accepted unchanged, {} accepted changed", r.tried, r.rejected, r.accepted_unchanged, r.forgeries.len());
        assert!(r.tried > 100, "{name}: too few cases");
        failures.extend(r.forgeries.iter().map(|x| format!("{name} {l}-bit limbs: {x}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_free_cell_with_narrow_limbs() {
    let mut failures = Vec::new();
    for name in ["mlp_small", "tabular_sigmoid", "transformer_block", "cnn_small"] {
        for weights in [Visibility::Fixed, Visibility::Hashed] {
            for io in [Visibility::Public, Visibility::Hashed, Visibility::Private] {
                let visibility = Visibilities::new(weights, io, if io == Visibility::Private { Visibility::Public } else { io });
                let model = model(name, 8, visibility);
                for (w, l) in [(3, 4), (4, 2), (5, 4)] {
                    let shape = CircuitShape::for_model(&model, w).with_visibility(visibility).with_limb_bits(l);
                    let a = audit::audit(&model, shape).unwrap_or_else(|e| panic!("{name} {visibility:?} width {w} limbs {l}: {e}"));
                    if !a.is_sound() {
                        failures.push(format!("{name} {l}-bit limbs: {a}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_layout_choice_narrows_limbs_when_the_table_sets_k() {
    let visibility = Visibilities::PUBLIC;
    let m = model("mlp_small", 12, visibility);
    let cost = zkinfer_prover::costmodel::CostModel::builtin().unwrap();
    let choice = choose_layout(&m, Forced::default(), visibility, &cost, &LayoutGoal::default()).unwrap();
    let chosen = &choice.chosen.plan;
    assert!(chosen.shape.limb_bits() < 12, "at 2^12 the 4096-row table sets k: {chosen:?}");
    let at_scale: Vec<_> = choice.alternatives.iter().filter(|a| a.plan.shape.limb_bits() == 12).collect();
    assert!(!at_scale.is_empty() && at_scale.iter().all(|a| a.plan.k > chosen.k && a.predicted_prove_s > choice.chosen.predicted_prove_s));
    for a in &choice.alternatives {
        assert_eq!(a.plan, plan(&m, a.plan.shape).unwrap(), "alternatives are dry runs");
    }
    // Forced: used, and reported.
    let forced = choose_layout(&m, Forced { dot_width: None, limb_bits: Some(4) }, visibility, &cost, &LayoutGoal::default()).unwrap();
    assert!(forced.forced_limb_bits && forced.chosen.plan.shape.limb_bits() == 4);
    assert!(forced.alternatives.iter().all(|a| a.plan.shape.limb_bits() == 4));
    let e = choose_layout(&m, Forced { dot_width: None, limb_bits: Some(5) }, visibility, &cost, &LayoutGoal::default()).unwrap_err().to_string();
    assert!(e.contains("limb_bits must divide scale_bits (12)"), "{e}");
    // Through compile: the artifact's shape keeps its limbs, and loads back.
    let dir = tempfile::tempdir().unwrap();
    let path = common::model_path("mlp_small.onnx");
    let opts = CompileOptions { calibration: vec![sample("mlp_small")], scale_bits: 12, limb_bits: Some(6), visibility, ..CompileOptions::default() };
    let c = compile(&path, &opts).unwrap();
    assert_eq!(c.plan.shape.limb_bits, Some(6));
    let art = zkinfer_prover::artifact::CircuitArtifact::of(&path, c).unwrap();
    let file = dir.path().join("circuit.json");
    std::fs::write(&file, serde_json::to_string(&art).unwrap()).unwrap();
    assert_eq!(zkinfer_prover::artifact::CircuitArtifact::load(&file).unwrap().plan.shape.limb_bits(), 6);
}
