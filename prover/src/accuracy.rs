//! The accuracy-bounty circuit's model: a base model run on `N` samples of a test set, each
//! answer compared with its label, and the number of correct answers as the one output.
//!
//! It is an ordinary [`QuantModel`], so the same chips prove it:
//! * **Input**: per sample, its features then its label one-hot (`1.0` at the label's class):
//!   `N · (F + C)` values. Hashed, its commitment is the test set's.
//! * **The model, `N` times**: each base layer becomes one layer with `N` replicas of its
//!   outputs; replica `i > 0` is *tied* to replica 0 (and outputs the base model shares weights
//!   between stay tied), so with hashed weights every weight is committed (and read from the
//!   commitment) once.
//! * **Scoring** (pinned layers: their coefficients are in the verifying key, whatever the
//!   weights' visibility), in raw fixed-point units, with `y` a sample's answer and `e` its label:
//!   1. `ℓ = Σ_k e_k · y_k` (products): the answer at the label;
//!   2. `a_k = relu(ℓ − y_k + e_k)`, `b_k = relu(ℓ − y_k + e_k − 1)`, so `a_k − b_k = 1` exactly
//!      when `ℓ > y_k` or `k` is the label (integers);
//!   3. `correct = relu(Σ_k (a_k − b_k) − C + 1)`: 1 when the label's answer beats every other
//!      class strictly (a tie is wrong), else 0;
//!   4. `count = Σ_i correct_i` (raw units: the integer count, not scaled by `2^s`).
//!
//! The proof's public instances with weights and input hashed and the output public are then
//! `[weights commitment, binding, test-set commitment, count]`: what `ModelBounty.claim` checks.

use crate::error::{ProverError, Result};
use crate::ir::Activation;
use crate::quant::{QuantLayer, QuantModel};
use serde::{Deserialize, Serialize};

/// Largest number of samples an accuracy circuit takes.
pub const MAX_SAMPLES: usize = 1024;

/// Refuses the visibilities an accuracy circuit cannot have: its output, the number of right
/// answers, must be public. Hashed, instance 3 would be a Poseidon commitment (~2^253), which
/// `ModelBounty` would compare with its threshold as a count, so any model would win; private,
/// there would be no count at all.
pub fn check_visibility(v: &crate::Visibilities) -> Result<()> {
    if v.output != crate::Visibility::Public {
        return Err(ProverError::BadSettings(format!(
            "output visibility '{}' is not allowed in an accuracy circuit: its output is the number of right answers, which a bounty compares with its threshold, so it must be public (use output=public, the default)",
            v.output
        )));
    }
    if let Some((i, _)) = v.inputs.named().next() {
        return Err(ProverError::BadSettings(format!("input{i}: an accuracy circuit's input is the test set, one tensor: its graph inputs cannot have visibilities of their own (use input=)")));
    }
    Ok(())
}

/// What an accuracy circuit was built with (recorded in `circuit.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccuracySpec {
    /// Samples of the test set.
    pub samples: usize,
    /// Features per sample (the base model's inputs).
    pub features: usize,
    /// Classes (the base model's outputs).
    pub classes: usize,
}

impl AccuracySpec {
    /// Input values of the accuracy model: per sample its features and its label one-hot.
    pub fn input_len(&self) -> usize {
        self.samples.saturating_mul(self.features.saturating_add(self.classes))
    }
    /// What is inconsistent between the spec and its accuracy model, if anything: the samples
    /// out of `1..=`[`MAX_SAMPLES`], no class, or an input length other than the model's.
    pub fn defect(&self, model: &QuantModel) -> Option<String> {
        if self.samples == 0 || self.samples > MAX_SAMPLES || self.features == 0 || self.classes == 0 {
            return Some(format!("{} samples, {} features, {} classes: an accuracy circuit has 1 to {MAX_SAMPLES} samples and at least one feature and class", self.samples, self.features, self.classes));
        }
        let len = self.features.checked_add(self.classes).and_then(|s| s.checked_mul(self.samples));
        if len != Some(model.inputs) || model.outputs.len() != 1 {
            return Some(format!("{} samples of {} features and {} classes do not make the model's {} inputs and one output", self.samples, self.features, self.classes, model.inputs));
        }
        None
    }
}

/// A test set: per sample its features and its label (a class index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSet {
    /// Per sample, the model's input.
    pub inputs: Vec<Vec<f32>>,
    /// Per sample, the correct class.
    pub labels: Vec<usize>,
}

impl TestSet {
    /// The accuracy model's input for `spec`: per sample its features then its label one-hot.
    /// Names the first sample of the wrong size or with a label out of range.
    pub fn flatten(&self, spec: &AccuracySpec) -> Result<Vec<f32>> {
        if self.inputs.len() != spec.samples || self.labels.len() != spec.samples {
            return Err(ProverError::BadInput(format!(
                "the accuracy circuit takes {} samples; the test set has {} inputs and {} labels",
                spec.samples,
                self.inputs.len(),
                self.labels.len()
            )));
        }
        let mut out = Vec::with_capacity(spec.input_len().min(crate::limits::MAX_TENSOR_VALUES));
        for (i, (x, label)) in self.inputs.iter().zip(&self.labels).enumerate() {
            if x.len() != spec.features {
                return Err(ProverError::BadInput(format!("test set sample {i} has {} values, the model takes {}", x.len(), spec.features)));
            }
            if *label >= spec.classes {
                return Err(ProverError::BadInput(format!("test set sample {i}'s label {label} is not one of the model's {} classes", spec.classes)));
            }
            out.extend_from_slice(x);
            out.extend((0..spec.classes).map(|k| if k == *label { 1.0 } else { 0.0 }));
        }
        Ok(out)
    }
}

/// Reads a calibration file: an input (`{"input": [...]}` or ezkl's `{"input_data": [[...]]}`,
/// one sample) or a test set (`{"inputs": [[...], ...], "labels": [...]}`, every input one
/// sample: the file an accuracy circuit proves with calibrates it too).
pub fn read_calibration(path: &std::path::Path) -> Result<Vec<Vec<f32>>> {
    match crate::input::read_input(path) {
        Ok(v) => Ok(vec![v]),
        Err(ProverError::BadInput(m)) => match crate::input::read_test_set(path) {
            Ok(set) if !set.inputs.is_empty() => Ok(set.inputs),
            Ok(_) => Err(ProverError::BadInput(format!("{}: the test set has no inputs", path.display()))),
            Err(_) => Err(ProverError::BadInput(format!("{m}; nor is it a test set ({{\"inputs\": [[...], ...], \"labels\": [class, ...]}})"))),
        },
        Err(e) => Err(e),
    }
}

/// Builds the accuracy model of `base` over `samples` samples (see the module docs).
pub fn accuracy_model(base: &QuantModel, samples: usize) -> Result<(QuantModel, AccuracySpec)> {
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(ProverError::BadSettings(format!("accuracy samples must be in 1..={MAX_SAMPLES}, got {samples}")));
    }
    if base.layers.iter().any(|l| l.pinned) {
        return Err(ProverError::BadSettings("the base model of an accuracy circuit must not have pinned layers".into()));
    }
    let (f, c) = (base.inputs, base.output_len());
    let spec = AccuracySpec { samples, features: f, classes: c };
    // `samples` replicas of the base model, before any is built.
    let (wires, terms) = (base.wires().saturating_add(c), base.layers.iter().map(QuantLayer::terms).sum::<usize>().saturating_add(4 * c));
    if wires.saturating_mul(samples) > crate::limits::MAX_WIRES || terms.saturating_mul(samples) > crate::limits::MAX_MODEL_TERMS {
        return Err(ProverError::BadSettings(format!(
            "an accuracy circuit of {samples} samples of this model has more than {} wires or {} terms",
            crate::limits::MAX_WIRES,
            crate::limits::MAX_MODEL_TERMS
        )));
    }
    let unit = 1i64 << base.params.scale_bits;
    let stride = f + c;
    // Where base layer l's outputs start among the base wires, and in the accuracy model.
    let mut base_start = Vec::with_capacity(base.layers.len());
    let mut acc_start = Vec::with_capacity(base.layers.len());
    let (mut b, mut a) = (f, samples * stride);
    for l in &base.layers {
        base_start.push(b);
        acc_start.push(a);
        b += l.outputs;
        a += samples * l.outputs;
    }
    // Base wire `w` of sample `i`, in the accuracy model.
    let wire = |i: usize, w: usize| -> usize {
        if w < f {
            return i * stride + w;
        }
        let l = base_start.iter().rposition(|s| *s <= w).unwrap_or(0);
        acc_start[l] + i * base.layers[l].outputs + (w - base_start[l])
    };
    let mut layers = Vec::with_capacity(base.layers.len() + 4);
    for l in &base.layers {
        let mut layer = QuantLayer {
            inputs: wires_before(&layers, samples * stride),
            outputs: samples * l.outputs,
            rows: Vec::with_capacity(samples * l.outputs),
            prods: Vec::new(),
            bias: Vec::with_capacity(samples * l.outputs),
            activation: l.activation,
            pinned: false,
            tied: Vec::with_capacity(samples * l.outputs),
        };
        let with_prods = !l.prods.is_empty();
        for i in 0..samples {
            for o in 0..l.outputs {
                layer.rows.push(l.rows[o].iter().map(|(w, v)| (wire(i, *w), *v)).collect());
                if with_prods {
                    layer.prods.push(l.prods_of(o).iter().map(|(x, y)| (wire(i, *x), wire(i, *y))).collect());
                }
                layer.bias.push(l.bias[o]);
                // Tied to the base model's output it shares weights with, in replica 0.
                let root = l.tied.get(o).copied().flatten();
                layer.tied.push(if i == 0 { root } else { Some(root.unwrap_or(o)) });
            }
        }
        layers.push(layer);
    }
    // The answers y_ik and labels e_ik.
    let y = |i: usize, k: usize| wire(i, base.outputs[k]);
    let e = |i: usize, k: usize| i * stride + f + k;
    let pinned = |layers: &[QuantLayer], outputs: usize, activation: Activation| QuantLayer {
        inputs: wires_before(layers, samples * stride),
        outputs,
        rows: Vec::with_capacity(outputs),
        prods: Vec::new(),
        bias: Vec::with_capacity(outputs),
        activation,
        pinned: true,
        tied: Vec::new(),
    };
    // 1. ℓ_i = Σ_k e_ik · y_ik.
    let mut at_label = pinned(&layers, samples, Activation::None);
    for i in 0..samples {
        at_label.rows.push(Vec::new());
        at_label.prods.push((0..c).map(|k| (e(i, k), y(i, k))).collect());
        at_label.bias.push(0);
    }
    let l_wire = at_label.inputs;
    layers.push(at_label);
    // 2. a_ik = relu(ℓ − y_k + e_k) and b_ik = relu(ℓ − y_k + e_k − 1) (raw units: weight `unit`
    //    is 1, weight 1 on e_k = unit adds one raw unit; biases are at scale 2^(2s)).
    let mut steps = pinned(&layers, 2 * samples * c, Activation::Relu);
    for shift in [0, -1] {
        for i in 0..samples {
            for k in 0..c {
                let mut row = vec![(l_wire + i, unit), (y(i, k), -unit), (e(i, k), 1)];
                merge_terms(&mut row);
                steps.rows.push(row);
                steps.bias.push(shift * unit);
            }
        }
    }
    let steps_wire = steps.inputs;
    layers.push(steps);
    // 3. correct_i = relu(Σ_k (a_ik − b_ik) − C + 1).
    let mut correct = pinned(&layers, samples, Activation::Relu);
    for i in 0..samples {
        let a = (0..c).map(|k| (steps_wire + i * c + k, unit));
        let b = (0..c).map(|k| (steps_wire + samples * c + i * c + k, -unit));
        correct.rows.push(a.chain(b).collect());
        correct.bias.push((1 - c as i64) * unit);
    }
    let correct_wire = correct.inputs;
    layers.push(correct);
    // 4. count = Σ_i correct_i.
    let mut count = pinned(&layers, 1, Activation::None);
    count.rows.push((0..samples).map(|i| (correct_wire + i, unit)).collect());
    count.bias.push(0);
    let count_wire = count.inputs;
    layers.push(count);
    let model = QuantModel { params: base.params, inputs: samples * stride, input_sizes: Vec::new(), layers, outputs: vec![count_wire] };
    model.check_ties()?;
    Ok((model, spec))
}

/// Wires before the next layer: the inputs and every earlier layer's outputs.
fn wires_before(layers: &[QuantLayer], inputs: usize) -> usize {
    inputs + layers.iter().map(|l| l.outputs).sum::<usize>()
}

/// Adds the weights of repeated wires (`ℓ` may be `y_k` itself when the model has one class).
fn merge_terms(row: &mut Vec<(usize, i64)>) {
    let mut merged: Vec<(usize, i64)> = Vec::with_capacity(row.len());
    for (w, v) in row.drain(..) {
        match merged.iter_mut().find(|(x, _)| *x == w) {
            Some(t) => t.1 += v,
            None => merged.push((w, v)),
        }
    }
    *row = merged;
}
