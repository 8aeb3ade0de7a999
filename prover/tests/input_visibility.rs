//! Graph inputs with visibilities of their own (`--visibility input0=hashed,input1=public`):
//! the instances hold the public inputs' values, then one commitment of the hashed inputs'; the
//! private ones are witness only. MockProver accepts the honest trace, the free-cell audit finds
//! no free cell beyond the visibility's, and an attacker who changes several values together
//! (another public value, another hashed value under the claimed commitment, values moved between
//! inputs, the commitment of the whole input) fails.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::Fr;
use std::sync::Arc;
use zkinfer_prover::circuit::{audit, ModelCircuit};
use zkinfer_prover::hash::{self, Tensor};
use zkinfer_prover::ir::Activation;
use zkinfer_prover::quant::{QuantLayer, QuantParams};
use zkinfer_prover::{compile, plan, CircuitPlan, CircuitShape, CompileOptions, QuantModel, Trace, Visibilities, Visibility};

/// Graph inputs of 3, 2 and 4 values; two outputs, each a weighted sum of every input value, so
/// that changing any input changes them.
fn model() -> Arc<QuantModel> {
    let params = QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None };
    let rows = (0..2).map(|o| (0..9).map(|i| (i, 64 + 16 * ((i + o) as i64 % 5))).collect()).collect();
    let layer = QuantLayer { pinned: false, tied: Vec::new(), inputs: 9, outputs: 2, rows, prods: Vec::new(), bias: vec![0, 512], activation: Activation::None };
    Arc::new(QuantModel { params, inputs: 9, input_sizes: vec![3, 2, 4], layers: vec![layer], outputs: vec![9, 10] })
}

fn visibility(spec: &str, graph_inputs: usize) -> Visibilities {
    spec.parse::<Visibilities>().unwrap().for_graph_inputs(graph_inputs).unwrap()
}

fn planned(model: &QuantModel, v: Visibilities, width: usize) -> CircuitPlan {
    plan(model, CircuitShape::for_model(model, width).with_visibility(v)).unwrap()
}

fn mock(model: &Arc<QuantModel>, plan: &CircuitPlan, trace: Trace, instances: Vec<Fr>) -> bool {
    let circuit = ModelCircuit { model: model.clone(), shape: plan.shape, trace: Some(trace) };
    MockProver::run(plan.k, &circuit, vec![instances]).unwrap().verify().is_ok()
}

const X: [i64; 9] = [10, -20, 30, 5, -7, 100, -90, 3, 64];
const SALT: u64 = 99;

fn trace(m: &QuantModel, x: &[i64]) -> Trace {
    m.forward(x).unwrap().salted(Fr::from(SALT))
}

#[test]
fn each_graph_input_enters_the_instances_as_named() {
    let m = model();
    let v = visibility("input0=hashed,input1=public,input2=private", 3);
    let p = planned(&m, v, 2);
    let wires = p.shape.input_wires(&m);
    assert_eq!((wires.hashed.as_slice(), wires.public.as_slice(), wires.private.as_slice()), (&[0, 1, 2][..], &[3, 4][..], &[5, 6, 7, 8][..]));
    let t = trace(&m, &X);
    let inst = ModelCircuit::instances(&m, &p.shape, &t).unwrap();
    // model commitment, binding, input1's two values, input0's commitment, the two outputs.
    assert_eq!(inst.len(), 2 + 2 + 1 + 2);
    assert_eq!(p.num_instances, inst.len());
    assert_eq!(inst[2], Fr::from(5));
    assert_eq!(inst[3], -Fr::from(7));
    assert_eq!(inst[4], hash::commit(Tensor::Input, &X[..3], p.shape.packing_bits(), Fr::from(SALT)).unwrap());
    assert!(mock(&m, &p, t, inst), "the honest trace proves");
}

#[test]
fn the_audit_finds_no_free_cell_in_mixed_input_visibilities() {
    let m = model();
    for spec in ["input0=hashed,input1=public,input2=private", "input0=private,input1=hashed,input2=public", "input=public,input2=hashed", "input=private,input1=public", "input=hashed,input0=private"] {
        for width in [2, 3, 5] {
            let shape = CircuitShape::for_model(&m, width).with_visibility(visibility(spec, 3));
            let a = audit::audit(&m, shape).unwrap();
            assert!(a.is_sound(), "{spec} width {width}: {a}");
            let t = trace(&m, &X);
            let p = plan(&m, shape).unwrap();
            let inst = ModelCircuit::instances(&m, &p.shape, &t).unwrap();
            assert!(mock(&m, &p, t, inst), "{spec} width {width}: the honest trace proves");
        }
    }
}

#[test]
fn another_public_or_hashed_value_under_the_claimed_instances_fails() {
    let m = model();
    let p = planned(&m, visibility("input0=hashed,input1=public,input2=private", 3), 2);
    let claimed = ModelCircuit::instances(&m, &p.shape, &trace(&m, &X)).unwrap();
    // Another hashed value (input0), the outputs repaired to match the new input.
    let mut y = X;
    y[1] += 1;
    let forged = ModelCircuit::instances(&m, &p.shape, &trace(&m, &y)).unwrap();
    let mut inst = claimed.clone();
    inst[5..].copy_from_slice(&forged[5..]);
    assert!(!mock(&m, &p, trace(&m, &y), inst), "another hashed value under the claimed commitment");
    // Another public value (input1) with the claimed instance kept, outputs repaired.
    let mut y = X;
    y[3] = 6;
    let forged = ModelCircuit::instances(&m, &p.shape, &trace(&m, &y)).unwrap();
    let mut inst = claimed.clone();
    inst[5..].copy_from_slice(&forged[5..]);
    assert!(!mock(&m, &p, trace(&m, &y), inst), "another public value under the claimed instance");
    // A private value may change freely (that is what private means), and then the outputs do.
    let mut y = X;
    y[6] = 1;
    let t = trace(&m, &y);
    let inst = ModelCircuit::instances(&m, &p.shape, &t).unwrap();
    assert_eq!(inst[..5], claimed[..5]);
    assert_ne!(inst[5..], claimed[5..]);
    assert!(mock(&m, &p, t, inst));
}

#[test]
fn a_commitment_of_other_wires_does_not_stand_for_the_hashed_inputs() {
    let m = model();
    let p = planned(&m, visibility("input0=public,input1=hashed,input2=public", 3), 3);
    let t = trace(&m, &X);
    let mut inst = ModelCircuit::instances(&m, &p.shape, &t).unwrap();
    // public: wires 0-2 and 5-8 (7 values), then the commitment of wires 3-4.
    let at = 2 + 7;
    let bits = p.shape.packing_bits();
    assert_eq!(inst[at], hash::commit(Tensor::Input, &X[3..5], bits, Fr::from(SALT)).unwrap());
    for wrong in [&X[..], &X[..2], &X[4..6]] {
        inst[at] = hash::commit(Tensor::Input, wrong, bits, Fr::from(SALT)).unwrap();
        assert!(!mock(&m, &p, trace(&m, &X), inst.clone()), "the commitment of {wrong:?}");
    }
    // Values moved between the public and the hashed inputs (same multiset, other wires).
    let mut y = X;
    y.swap(2, 3);
    let mut forged = ModelCircuit::instances(&m, &p.shape, &trace(&m, &y)).unwrap();
    forged[at] = ModelCircuit::instances(&m, &p.shape, &t).unwrap()[at];
    assert!(!mock(&m, &p, trace(&m, &y), forged), "values moved across inputs under the claimed commitment");
}

#[test]
fn per_input_visibility_is_resolved_and_refused_by_name() {
    // All the same: the input group says it, and the circuit is the uniform one.
    let v = visibility("input0=public,input1=public", 2);
    assert_eq!(v, Visibilities::new(Visibility::Fixed, Visibility::Public, Visibility::Public));
    // Unnamed graph inputs take input=.
    let v = visibility("input=private,input1=hashed", 3);
    assert_eq!((v.input_of(0), v.input_of(1), v.input_of(2)), (Visibility::Private, Visibility::Hashed, Visibility::Private));
    assert_eq!(v.to_string(), "weights=fixed,input0=private,input1=hashed,input2=private,output=public");
    let e = "input2=public".parse::<Visibilities>().unwrap().for_graph_inputs(2).unwrap_err().to_string();
    assert!(e.contains("input2 names a graph input the model does not have (it has 2: input0 to input1)"), "{e}");
    let e = "input1=fixed".parse::<Visibilities>().unwrap_err().to_string();
    assert!(e.contains("input1 visibility 'fixed' is not supported"), "{e}");
    let e = "input9=public".parse::<Visibilities>().unwrap_err().to_string();
    assert!(e.contains("up to input7"), "{e}");
    let e = "input0=public,input0=hashed".parse::<Visibilities>().unwrap_err().to_string();
    assert!(e.contains("'input0' named twice"), "{e}");
    // The circuit artifact's form round-trips through JSON, and the uniform one is unchanged.
    let v = visibility("input0=hashed,input1=public", 2);
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, r#"{"weights":"fixed","input":"hashed","output":"public","inputs":["hashed","public"]}"#);
    assert_eq!(serde_json::from_str::<Visibilities>(&json).unwrap(), v);
    assert_eq!(serde_json::to_string(&Visibilities::default()).unwrap(), r#"{"weights":"fixed","input":"hashed","output":"public"}"#);
}

#[test]
fn a_real_two_input_model_compiles_with_its_own_visibility_per_input() {
    let path = common::model_path("ops/two_inputs.onnx");
    let visibility = "input0=hashed,input1=public".parse().unwrap();
    let c = compile(&path, &CompileOptions { visibility, ..CompileOptions::default() }).unwrap();
    assert_eq!(c.model.input_sizes, vec![5, 3]);
    let wires = c.plan.shape.input_wires(&c.model);
    assert_eq!((wires.hashed.len(), wires.public.len(), wires.private.len()), (5, 3, 0));
    assert_eq!(c.plan.num_instances, 2 + 3 + 1 + c.model.output_len());
    let a = audit::audit(&c.model, c.plan.shape).unwrap();
    assert!(a.is_sound(), "{a}");
    // An accuracy circuit's input is the test set: no per-input visibility.
    let visibility = "input1=public".parse().unwrap();
    let e = compile(&path, &CompileOptions { visibility, accuracy_samples: Some(2), ..CompileOptions::default() }).err().unwrap().to_string();
    assert!(e.contains("input1: an accuracy circuit's input is the test set"), "{e}");
}
