//! Recurrent layers (LSTM, GRU, RNN; issue 16), unrolled into the existing chips: the honest
//! witness of every recurrent op model passes MockProver; a forged cell state or gate, with the
//! trace repaired downstream, is rejected; what the unrolling does not support (a non-zero initial
//! state, a partial `sequence_lens`, `clip`, peepholes, other activations) is refused with an error
//! naming the node, the op and the input or attribute.

#![allow(clippy::unwrap_used)]

#[path = "fuzzkit/build.rs"]
mod build;
mod common;

use tract_onnx::pb;
use zkinfer_prover::circuit::fr_from_i128;
use zkinfer_prover::ir::Activation;
use zkinfer_prover::{compile, CompileOptions};

const MODELS: [&str; 5] = ["lstm_bidirectional_batch2", "lstm_reverse", "gru_reset_after", "gru_reset_before", "rnn_relu_reverse"];

use common::{op_forger as forger, out_cell};

#[test]
fn honest_recurrent_witnesses_pass_and_forged_states_are_rejected() {
    for name in MODELS {
        let f = forger(name, 4);
        assert!(f.mock(&f.forge(&[])).is_ok(), "{name}: the honest witness");
        // Forge the first product layer (a cell state or a gated state: `f⊙C₋ + i⊙c̃`, `o⊙tanh C`,
        // `z⊙(H₋ − h̃)`) and, separately, the first gate (a table output): every value moved by
        // a quarter, everything downstream repaired, so the outputs follow the lie.
        let quarter = 1i128 << (f.model.params.scale_bits - 2);
        let product = f.model.layers.iter().position(|l| !l.prods.is_empty());
        let gate = f.model.layers.iter().position(|l| matches!(l.activation, Activation::Sigmoid | Activation::Tanh | Activation::Relu));
        let mut changed = false;
        for layer in [product, gate].into_iter().flatten() {
            for (k, o) in f.trace.layers[layer].iter().enumerate() {
                let forged = f.forge(&[(out_cell(&f, layer, k), fr_from_i128(i128::from(o.out) + quarter))]);
                changed |= forged.instances != f.instances;
                assert!(f.mock(&forged).is_err(), "{name}: layer {layer} output {k} moved by a quarter was accepted");
            }
        }
        assert!(changed, "{name}: some forgery changes the outputs");
    }
}

/// The op model `lstm_bidirectional_batch2` with its LSTM node edited, compiled.
fn edited(edit: impl Fn(&mut pb::ModelProto)) -> String {
    let bytes = std::fs::read(common::model_path("ops/lstm_bidirectional_batch2.onnx")).unwrap();
    let mut m = build::decode(&bytes).unwrap();
    edit(&mut m);
    let dir = tempfile::tempdir().unwrap();
    let path = build::write(dir.path(), "edited.onnx", &m);
    match compile(&path, &CompileOptions::default()) {
        Ok(_) => "compiled".into(),
        Err(e) => e.to_string(),
    }
}

fn lstm(m: &mut pb::ModelProto) -> &mut pb::NodeProto {
    m.graph.as_mut().unwrap().node.iter_mut().find(|n| n.op_type == "LSTM").unwrap()
}

/// Adds a constant initializer and makes it input `k` of the LSTM.
fn with_input(m: &mut pb::ModelProto, k: usize, t: pb::TensorProto) {
    let name = t.name.clone();
    m.graph.as_mut().unwrap().initializer.push(t);
    let n = lstm(m);
    while n.input.len() <= k {
        n.input.push(String::new());
    }
    n.input[k] = name;
}

/// An edit of the model.
type Edit = dyn Fn(&mut pb::ModelProto);

#[test]
fn unsupported_recurrent_features_are_refused_by_name() {
    // The unedited model compiles (the edits below are what is refused).
    assert_eq!(edited(|_| {}), "compiled");
    let cases: Vec<(&str, Box<Edit>)> = vec![
        ("initial_h must be absent or zero", Box::new(|m| with_input(m, 5, build::tensor_f32("h0", &[2, 2, 3], &[0.5; 12])))),
        ("initial_c must be absent or zero", Box::new(|m| with_input(m, 6, build::tensor_f32("c0", &[2, 2, 3], &[0.25; 12])))),
        ("P (peepholes) must be absent or zero", Box::new(|m| with_input(m, 7, build::tensor_f32("p", &[2, 9], &[0.1; 18])))),
        ("only the full length 3 is supported", Box::new(|m| with_input(m, 4, build::tensor_i64("lens", &[2], &[3, 2])))),
        ("attribute 'clip' is not supported", Box::new(|m| lstm(m).attribute.push(pb::AttributeProto { name: "clip".into(), f: 1.0, r#type: 1, ..Default::default() }))),
        ("input_forget = 1 is not supported", Box::new(|m| lstm(m).attribute.push(build::int("input_forget", 1)))),
        ("layout 2 is not 0 or 1", Box::new(|m| lstm(m).attribute.iter_mut().filter(|a| a.name == "layout").for_each(|a| a.i = 2))),
        (
            "activation 'Elu' is not supported",
            Box::new(|m| {
                let strings = ["Sigmoid", "Elu", "Tanh", "Sigmoid", "Tanh", "Tanh"].iter().map(|s| s.as_bytes().to_vec()).collect();
                lstm(m).attribute.push(pb::AttributeProto { name: "activations".into(), strings, r#type: 8, ..Default::default() });
            }),
        ),
        ("must be [2, 16, 2] and [2, 16, 4]", Box::new(|m| lstm(m).attribute.iter_mut().filter(|a| a.name == "hidden_size").for_each(|a| a.i = 4))),
    ];
    for (says, edit) in cases {
        let e = edited(edit);
        assert!(e.contains("node 'lstm'") && e.contains("LSTM") && e.contains(says), "expected '{says}', got: {e}");
    }
}
