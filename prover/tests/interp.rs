//! Interpolated function tables ([`Interp`]): a coarse table every `2^b` units and a linear
//! interpolation between neighbouring entries, so that fine scales keep small tables. The
//! interpolation stays within a unit of the exact table, the circuit proves exactly
//! [`QuantParams::evaluate`], the audit finds no free cell, and forgeries that change the table
//! entry, the interpolated output, the increment's limbs or the key (each repaired downstream)
//! are rejected, by MockProver and by a real proof.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::halo2curves::bn256::Fr;
use std::sync::Arc;
use zkinfer_prover::circuit::audit::{self, system::CellRef};
use zkinfer_prover::circuit::forge::{Forger, Forgery};
use zkinfer_prover::circuit::interp::Cells;
use zkinfer_prover::circuit::layout::Part;
use zkinfer_prover::circuit::{fr_from_i128, ModelCircuit};
use zkinfer_prover::ir::Activation;
use zkinfer_prover::{compile, proving, CircuitShape, CompileOptions, QuantModel, Visibilities, Visibility};

fn sample(name: &str) -> Vec<f32> {
    zkinfer_prover::input::read_input(&common::model_path(&format!("{name}.input.json"))).unwrap()
}

fn options(name: &str, scale_bits: u32, interp_bits: Option<u32>, visibility: Visibilities) -> CompileOptions {
    CompileOptions { calibration: vec![sample(name)], scale_bits, interp_bits, visibility, ..CompileOptions::default() }
}

fn model(name: &str, scale_bits: u32, interp_bits: Option<u32>, visibility: Visibilities) -> QuantModel {
    let opts = options(name, scale_bits, interp_bits, visibility);
    compile(&common::model_path(&format!("{name}.onnx")), &opts).unwrap_or_else(|e| panic!("{name}: {e}")).model
}

fn forger(name: &str, scale_bits: u32, interp_bits: u32, visibility: Visibilities, width: usize, limb_bits: u32) -> Forger {
    let model = model(name, scale_bits, Some(interp_bits), visibility);
    let shape = CircuitShape::for_model(&model, width).with_visibility(visibility).with_limb_bits(limb_bits);
    assert!(shape.interp.is_some(), "{name}: no interpolation");
    let trace = model.forward(&model.quantise_input(&sample(name)).unwrap()).unwrap();
    Forger::new(Arc::new(model), shape, trace).unwrap()
}

/// The rescale rows of tabulated (interpolated) outputs.
fn function_rows(f: &Forger) -> Vec<usize> {
    f.snapshot
        .spans
        .iter()
        .filter_map(|s| match &s.part {
            Part::Output { layer, rescale, .. } if f.model.layers[*layer].activation.table_index().is_some() => Some(*rescale),
            _ => None,
        })
        .collect()
}

#[test]
fn interpolation_stays_within_a_unit_of_the_exact_table() {
    for s in [12, 16] {
        let m = model("tabular_sigmoid", s, None, Visibilities::PUBLIC);
        let p = m.params;
        let i = p.interp.unwrap_or_else(|| panic!("2^{s}: the exact sigmoid table is large: interpolated"));
        assert!(i.bits <= s / 2 + 1 && i.bits >= 2, "2^{s}: {i:?}");
        let exact = zkinfer_prover::QuantParams { interp: None, ..p };
        assert!(p.function_table_rows() * (1 << (i.bits - 1)) < exact.function_table_rows(), "2^{s}: {} rows vs {} exact", p.function_table_rows(), exact.function_table_rows());
        let d = p.domain(Activation::Sigmoid).unwrap();
        let step = if s == 12 { 1 } else { 7 };
        let mut worst = 0f64;
        for q in (d.lo..=d.hi).step_by(step) {
            let (got, table) = (p.evaluate(Activation::Sigmoid, q), exact.tabulate(Activation::Sigmoid, q));
            assert!((got - table).abs() as f64 <= zkinfer_prover::quant::interp_tolerance(s), "2^{s}, q {q}: interpolated {got}, exact table {table}");
            let x = q as f64 / f64::from(1u32 << s);
            worst = worst.max((p.dequantise(got) - Activation::Sigmoid.eval(x)).abs());
        }
        assert!(worst <= 1.5 / f64::from(1u32 << s), "2^{s}: {worst} from the float sigmoid");
    }
    // A small exact table stays exact; forcing 0 keeps a large one exact.
    let coarse = model("tabular_sigmoid", 8, None, Visibilities::PUBLIC).params;
    let exact_rows = zkinfer_prover::QuantParams { interp: None, ..coarse }.function_table_rows();
    assert_eq!(coarse.interp.is_some(), exact_rows > zkinfer_prover::quant::INTERP_MIN_EXACT_ROWS, "2^8: {exact_rows} exact rows, {:?}", coarse.interp);
    let uncalibrated = CompileOptions { scale_bits: 8, ..CompileOptions::default() };
    let m = compile(&common::model_path("tabular_sigmoid.onnx"), &uncalibrated).unwrap().model;
    assert_eq!(m.params.interp, None, "the default ±4 table at 2^8 is small");
    assert_eq!(model("tabular_sigmoid", 12, Some(0), Visibilities::PUBLIC).params.interp, None);
    // A step that shares no limb width with the scale, or is not below it, is a settings error.
    for bad in [1, 5, 12, 20] {
        let e = compile(&common::model_path("tabular_sigmoid.onnx"), &options("tabular_sigmoid", 12, Some(bad), Visibilities::PUBLIC)).unwrap_err().to_string();
        assert!(e.contains("interp_bits") && e.contains(&bad.to_string()), "{bad}: {e}");
    }
}

#[test]
fn interpolation_makes_fine_scales_compile_and_more_accurate() {
    let path = common::model_path("tabular_sigmoid.onnx");
    // At 2^16 the exact table (±4 and more) passes the 2^16-entry bound.
    let e = compile(&path, &options("tabular_sigmoid", 16, Some(0), Visibilities::PUBLIC)).unwrap_err().to_string();
    assert!(e.contains("table would need"), "{e}");
    let float = zkinfer_prover::reference::run_float(&zkinfer_prover::onnx::load(&path).unwrap(), &sample("tabular_sigmoid")).unwrap();
    let err = |s: u32| {
        let c = compile(&path, &options("tabular_sigmoid", s, None, Visibilities::PUBLIC)).unwrap();
        let t = c.model.forward(&c.model.quantise_input(&sample("tabular_sigmoid")).unwrap()).unwrap();
        t.output().iter().zip(&float).map(|(g, w)| (c.model.params.dequantise(*g) - f64::from(*w)).abs()).fold(0.0, f64::max)
    };
    let (coarse, fine) = (err(8), err(16));
    assert!(fine < coarse / 8.0, "2^16 interpolated: {fine}, 2^8 exact: {coarse}");
}

#[test]
fn interpolated_tables_prove_mockprover() {
    let hashed = Visibilities { weights: Visibility::Hashed, ..Visibilities::default() };
    for (name, s, b, visibility, width, l) in [
        ("tabular_sigmoid", 12, 6, Visibilities::PUBLIC, 3, 6),
        ("tabular_sigmoid", 12, 6, Visibilities::PUBLIC, 4, 3),
        ("tabular_sigmoid", 16, 8, Visibilities::default(), 5, 8),
        ("tabular_sigmoid", 12, 6, hashed, 4, 6),
        ("transformer_block", 12, 6, Visibilities::default(), 4, 6),
    ] {
        let f = forger(name, s, b, visibility, width, l);
        assert!(!function_rows(&f).is_empty(), "{name}: no function output");
        let honest = f.forge(&[]);
        assert!(f.satisfies(&honest), "{name} 2^{s} b {b}: the audit's equations");
        f.mock(&honest).unwrap_or_else(|e| panic!("{name} 2^{s} b {b} width {width} limbs {l}: {e}"));
        // The proven outputs are the fixed-point reference's.
        let want = ModelCircuit::instances(&f.model, &f.shape, &f.trace).unwrap();
        assert_eq!(f.instances, want, "{name}");
    }
}

#[test]
fn no_free_cell_with_interpolated_tables() {
    let mut failures = Vec::new();
    for name in ["tabular_sigmoid", "transformer_block"] {
        for weights in [Visibility::Fixed, Visibility::Hashed] {
            for io in [Visibility::Public, Visibility::Hashed, Visibility::Private] {
                let visibility = Visibilities::new(weights, io, if io == Visibility::Private { Visibility::Public } else { io });
                let model = model(name, 12, Some(6), visibility);
                for (w, l) in [(4, 6), (5, 3)] {
                    let shape = CircuitShape::for_model(&model, w).with_visibility(visibility).with_limb_bits(l);
                    let a = audit::audit(&model, shape).unwrap_or_else(|e| panic!("{name} {visibility:?} width {w} limbs {l}: {e}"));
                    if !a.is_sound() {
                        failures.push(format!("{name} {visibility:?} width {w}, {l}-bit limbs: {a}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The interpolation's cells on function rescale row `row`.
struct At {
    f0: CellRef,
    f1: CellRef,
    out: CellRef,
    /// `u_i`, lowest first.
    u: Vec<CellRef>,
    /// The value limbs `l_i`, lowest first (`l_j` is the key's lowest).
    limbs: Vec<CellRef>,
    j: usize,
}

fn cells(f: &Forger, row: usize) -> At {
    let cfg = f.config();
    let z = cfg.z_column().index();
    let x = |k: usize, r: usize| CellRef { column: cfg.x_columns()[k].index(), row: r };
    let (j, d) = f.shape.interp_limbs();
    let u = (0..j + d).map(|i| CellRef { column: z, row: (row as i64 + i64::from(Cells::u_rotation(&f.shape, i))) as usize }).collect();
    let limbs = (0..f.shape.value_limbs() - 1).map(|i| CellRef { column: z, row: row - 1 - i }).collect();
    At { f0: CellRef { column: z, row }, f1: x(f.shape.f1_column(), row), out: x(1, row), u, limbs, j }
}

/// The forgeries an attacker would try on one interpolated output, each changing several cells
/// so that all but one constraint still hold, and repaired downstream.
fn forgeries(f: &Forger, row: usize) -> Vec<(&'static str, Forgery)> {
    let c = cells(f, row);
    let h = |cell: CellRef| f.honest(cell);
    let one = Fr::one();
    let limb = fr_from_i128(1 << f.shape.limb_bits());
    let j = c.j;
    vec![
        // A wrong table output: f0 + 1 (the gates then recompute u and out from it).
        ("wrong f0", f.forge(&[(c.f0, h(c.f0) + one)])),
        ("wrong f1", f.forge(&[(c.f1, h(c.f1) + one)])),
        // A lying gate output: out and the increment's lowest limb up by one together.
        ("lying output", f.forge(&[(c.out, h(c.out) + one), (c.u[j], h(c.u[j]) + one)])),
        // The remainder shifted into the increment: u_j + 1, u_(j−1) − 2^L (the interpolation's
        // sum unchanged), out + 1: only the limb table sees it.
        ("remainder into increment", f.forge(&[(c.out, h(c.out) + one), (c.u[j], h(c.u[j]) + one), (c.u[j - 1], h(c.u[j - 1]) - limb)])),
        // Another key for the same q: l_j + 1, l_(j−1) − 2^L, the next entry's f0 and f1.
        ("shifted key", f.forge(&[(c.limbs[j], h(c.limbs[j]) + one), (c.limbs[j - 1], h(c.limbs[j - 1]) - limb)])),
    ]
}

#[test]
fn regression_interp_forgeries_are_rejected() {
    for (name, s, b, visibility, width, l) in [
        ("tabular_sigmoid", 12, 6, Visibilities::PUBLIC, 4, 6),
        ("tabular_sigmoid", 12, 6, Visibilities::PUBLIC, 4, 3),
        ("transformer_block", 12, 6, Visibilities::default(), 4, 6),
    ] {
        let f = forger(name, s, b, visibility, width, l);
        let rows = function_rows(&f);
        let mut changed = 0;
        for (n, row) in rows.iter().enumerate().take(8) {
            for (what, forged) in forgeries(&f, *row) {
                changed += usize::from(forged.instances != f.instances);
                assert!(!f.satisfies(&forged), "{name} limbs {l}, row {row}: the equations accept '{what}'");
                if n < 2 {
                    assert!(f.mock(&forged).is_err(), "{name} limbs {l}, row {row}: MockProver accepts '{what}'");
                }
            }
        }
        assert!(changed > 0, "{name}: no forgery reached an output");
    }
}

#[test]
fn interp_fuzzer_finds_no_accepted_forgery() {
    let mut failures = Vec::new();
    for (i, (name, visibility, l)) in [("tabular_sigmoid", Visibilities::PUBLIC, 6), ("tabular_sigmoid", Visibilities { output: Visibility::Hashed, ..Visibilities::default() }, 3)].into_iter().enumerate() {
        let f = forger(name, 12, 6, visibility, 4, l);
        let r = f.fuzz(200, 6, 0x1e7 + i as u64);
        eprintln!("{name} {l}-bit limbs: {} tried, {} rejected, {} accepted unchanged, {} accepted changed", r.tried, r.rejected, r.accepted_unchanged, r.forgeries.len());
        assert!(r.tried > 100, "{name}: too few cases");
        failures.extend(r.forgeries.iter().map(|x| format!("{name} {l}-bit limbs: {x}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn interpolated_real_proof_verifies_and_a_forged_one_does_not() {
    let f = forger("tabular_sigmoid", 16, 8, Visibilities::default(), 4, 8);
    let params = zkinfer_prover::srs::dev_srs(f.k).unwrap();
    let honest = ModelCircuit { model: f.model.clone(), shape: f.shape, trace: Some(f.trace.clone()) };
    let pk = proving::keygen(&params, &honest).unwrap();
    let proof = proving::prove(&params, &pk, &honest, &f.instances).unwrap();
    proving::verify(&params, pk.get_vk(), &proof, &f.instances).expect("the honest proof verifies");
    let row = *function_rows(&f).last().unwrap();
    let (what, forged) = forgeries(&f, row).swap_remove(3);
    assert_ne!(forged.instances, f.instances, "'{what}' changes the output");
    let proof = f.prove(&params, &pk, &forged).unwrap();
    assert!(proving::verify(&params, pk.get_vk(), &proof, &forged.instances).is_err(), "'{what}' verified");
}
