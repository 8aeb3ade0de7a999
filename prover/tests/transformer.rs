//! The transformer family's chips under MockProver: products (attention, variance), the softmax
//! steps (ReLU-tournament maximum, exp table, 1/x table, normalising product) and layer
//! normalisation (1/√ table). The honest witness passes; a wrong value in any of them fails.

#![allow(clippy::unwrap_used)]

mod common;

use halo2_proofs::dev::MockProver;
use std::sync::Arc;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::ir::Activation;
use zkinfer_prover::quant::NeuronTrace;
use zkinfer_prover::{compile, CompileOptions, Compiled, QuantModel, Trace};

fn setup(name: &str) -> (Compiled, Arc<QuantModel>, Trace) {
    let samples: Vec<Vec<f32>> = [format!("{name}.input.json"), format!("{name}.input-1.json")]
        .iter()
        .map(|f| zkinfer_prover::input::read_input(&common::model_path(f)).unwrap())
        .collect();
    let c = compile(&common::model_path(&format!("{name}.onnx")), &CompileOptions { calibration: samples.clone(), ..CompileOptions::default() }).unwrap();
    let model = Arc::new(c.model.clone());
    let trace = model.forward(&model.quantise_input(&samples[0]).unwrap()).unwrap();
    (c, model, trace)
}

fn accepts(c: &Compiled, model: &Arc<QuantModel>, trace: Trace) -> Result<(), String> {
    let inst = ModelCircuit::instances(model, &c.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model: model.clone(), shape: c.plan.shape, trace: Some(trace) };
    let prover = MockProver::run(c.plan.k, &circuit, vec![inst]).map_err(|e| format!("{e:?}"))?;
    prover.verify().map_err(|e| format!("{} failures, first: {:?}", e.len(), e.first()))
}

/// The first layer with activation `act` (and products, if `prods`).
fn layer_with(model: &QuantModel, act: Activation, prods: bool) -> usize {
    model.layers.iter().position(|l| l.activation == act && (!prods || !l.prods.is_empty())).unwrap_or_else(|| panic!("no {act:?} layer (prods: {prods})"))
}

/// Moves a linear neuron to the next quotient while keeping the rescale row self-consistent:
/// `acc + 2^s`, `q + 1`, limbs, sign and output recomputed. Only the accumulating rows (the
/// products or weights feeding it) can then catch the lie.
fn shift_consistently(n: &mut NeuronTrace, model: &QuantModel) {
    let p = model.params;
    n.acc += 1 << p.scale_bits;
    n.q += 1;
    n.out = n.q;
    n.sign = n.q >= 0;
    let shifted = (i128::from(n.q) - p.min()) as u64;
    let mask = (1u64 << p.scale_bits) - 1;
    n.limbs = (0..p.range_limbs).map(|i| (shifted >> (p.scale_bits * i)) & mask).collect();
}

#[test]
fn honest_witnesses_of_both_transformer_models_pass() {
    for name in ["transformer_block", "transformer_mh"] {
        let (c, model, trace) = setup(name);
        assert!(model.layers.iter().any(|l| !l.prods.is_empty()), "{name} uses the product chip");
        accepts(&c, &model, trace).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn wrong_attention_product_fails_even_with_a_consistent_rescale() {
    let (c, model, mut trace) = setup("transformer_block");
    let li = layer_with(&model, Activation::None, true);
    shift_consistently(&mut trace.layers[li][0], &model);
    assert!(accepts(&c, &model, trace).is_err(), "a product sum off by one unit was accepted");
}

#[test]
fn wrong_table_outputs_fail_for_exp_reciprocal_rsqrt_and_erf() {
    let (c, model, honest) = setup("transformer_block");
    for act in [Activation::Exp, Activation::Recip, Activation::Rsqrt, Activation::Erf] {
        let li = layer_with(&model, act, false);
        for delta in [1, -1] {
            let mut t = honest.clone();
            t.layers[li][0].out += delta;
            assert!(accepts(&c, &model, t).is_err(), "{act:?} output off by {delta} was accepted");
        }
    }
}

#[test]
fn wrong_softmax_maximum_fails() {
    // The maximum is a ReLU tournament: a lying comparison (out = 0 where a − b > 0, or out > 0
    // where it is negative) must fail.
    let (c, model, mut trace) = setup("transformer_block");
    let li = layer_with(&model, Activation::Relu, false);
    let n = &mut trace.layers[li][0];
    n.out = if n.out > 0 { 0 } else { n.out + 3 };
    assert!(accepts(&c, &model, trace).is_err());
}

#[test]
fn wrong_layernorm_variance_fails() {
    // The layer-norm variance is a sum of squares (products), then 1/√ by table.
    let (c, model, mut trace) = setup("transformer_mh");
    let li = layer_with(&model, Activation::None, true);
    let n = &mut trace.layers[li][0];
    n.acc -= 1;
    assert!(accepts(&c, &model, trace).is_err());
}

#[test]
fn table_input_outside_its_calibrated_domain_is_an_error_before_proving() {
    let (_, model, _) = setup("transformer_block");
    // A wild input (±100) overflows the variance's range: forward refuses, naming the layer.
    let x: Vec<f32> = (0..model.input_len()).map(|i| if i % 2 == 0 { 100.0 } else { -100.0 }).collect();
    let e = model.forward(&model.quantise_input(&x).unwrap()).unwrap_err().to_string();
    assert!(e.contains("layer") && e.contains("out of"), "{e}");
}

/// A corpus GPT block (`models/corpus/`, torch).
fn corpus_block(name: &str, opts: CompileOptions) -> (Compiled, Arc<QuantModel>, Trace) {
    let x = zkinfer_prover::input::read_input(&common::model_path(&format!("corpus/{name}.input.json"))).unwrap();
    let c = compile(&common::model_path(&format!("corpus/{name}.onnx")), &CompileOptions { calibration: vec![x.clone()], ..opts }).unwrap();
    let model = Arc::new(c.model.clone());
    let trace = model.forward(&model.quantise_input(&x).unwrap()).unwrap();
    (c, model, trace)
}

#[test]
fn an_additive_attention_mask_clamps_the_exp_inputs_and_proves() {
    // torch's opset-13 GPT block adds −10⁴ to masked scores: an exp table over [−2·10⁴, 0] would
    // need 5·10⁶ entries. The compile clamps every exp input at −24 (a ReLU row each) and
    // records it, so the table covers [−48, 0]; the circuit accepts the honest witness and
    // rejects a wrong exp output.
    let (c, model, trace) = corpus_block("t_gpt_block_op13_addmask", CompileOptions::default());
    assert!(c.lowering.clamp_exp);
    let d = model.params.domain(Activation::Exp).unwrap();
    let unit = 1i64 << model.params.scale_bits;
    assert!(d.lo >= -48 * unit && d.hi <= unit, "exp table {d:?}");
    accepts(&c, &model, trace.clone()).unwrap();
    let l = layer_with(&model, Activation::Exp, false);
    let mut bad = trace;
    bad.layers[l][0].out += 1;
    assert!(accepts(&c, &model, bad).is_err(), "a wrong exp output was accepted");
    // Without the mask the block needs no clamp: the default lowering stays as it was.
    let (plain, _, _) = setup("transformer_block");
    assert!(!plain.lowering.clamp_exp);
}

#[test]
fn a_minus_infinity_causal_mask_proves_with_fewer_exponentials() {
    // `Where(mask, −inf, x)` (torch's causal mask): masked scores are constants, e^−∞ = 0, so
    // only the live ones reach the exp table.
    let (c, model, trace) = corpus_block("t_gpt_block", CompileOptions::default());
    assert!(!c.lowering.clamp_exp);
    accepts(&c, &model, trace).unwrap();
}

#[test]
fn regression_another_weight_set_of_a_clamped_model_lowers_the_same_way() {
    // The clamp is part of the circuit: re-lowering the ONNX file (another weight set, a
    // commitment check) must clamp too, or the architecture would differ.
    use zkinfer_prover::artifact::CircuitArtifact;
    use zkinfer_prover::{Visibilities, Visibility};
    let opts = CompileOptions { visibility: Visibilities { weights: Visibility::Hashed, ..Visibilities::default() }, ..CompileOptions::default() };
    let (c, _, _) = corpus_block("t_gpt_block_op13_addmask", opts);
    let path = common::model_path("corpus/t_gpt_block_op13_addmask.onnx");
    let art = CircuitArtifact::of(&path, c).unwrap();
    assert!(art.lowering.clamp_exp);
    let again = art.with_weights_from(&path).unwrap();
    assert_eq!(again.lowering, art.lowering);
    assert_eq!(again.model, art.model);
    let json = serde_json::to_string(&art).unwrap();
    assert!(json.contains("\"clamp_exp\":true"));
    let back: CircuitArtifact = serde_json::from_str(&json).unwrap();
    assert!(back.lowering.clamp_exp);
}
