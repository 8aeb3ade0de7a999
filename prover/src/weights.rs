//! Hashed weights: what a weights commitment covers, and what "the same architecture" means.
//!
//! With `weights=hashed` ([`crate::Visibility::Hashed`]) the weights are witness values, and the
//! verifying key depends on the architecture only: the quantisation parameters, every layer's
//! wiring (which wires each output reads, its products, its activation) and the outputs. Any
//! weight set with that architecture proves under the same keys; public instance 0 is then the
//! Poseidon commitment ([`crate::hash::commit`], tag [`crate::hash::Tensor::Weights`]) to
//! [`QuantModel::committed_weights`], salted by the model owner's weight salt.

use crate::error::{ProverError, Result};
use crate::quant::QuantModel;

/// Where a committed weight sits in the model, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightRef {
    /// A term's weight.
    Term {
        /// Layer index.
        layer: usize,
        /// Output index in the layer.
        output: usize,
        /// Term index in the output's row.
        term: usize,
    },
    /// An output's bias.
    Bias {
        /// Layer index.
        layer: usize,
        /// Output index in the layer.
        output: usize,
    },
}

impl std::fmt::Display for WeightRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeightRef::Term { layer, output, term } => write!(f, "layer {layer}, output {output}, weight {term}"),
            WeightRef::Bias { layer, output } => write!(f, "layer {layer}, output {output}, bias"),
        }
    }
}

impl QuantModel {
    /// The values a weights commitment covers, in the circuit's order: per layer, per output,
    /// its terms' weights (scale `2^s`), then its bias at the same scale (`bias / 2^s`; see
    /// [`QuantModel::with_committed_biases`]).
    pub fn committed_weights(&self) -> Vec<i64> {
        self.committed_weight_refs().into_iter().map(|(_, v)| v).collect()
    }

    /// [`QuantModel::committed_weights`] with where each value sits. Pinned layers (their
    /// coefficients are in the verifying key) and tied outputs (they reuse an earlier output's
    /// values) commit nothing.
    pub fn committed_weight_refs(&self) -> Vec<(WeightRef, i64)> {
        let s = self.params.scale_bits;
        let mut out = Vec::new();
        for (layer, l) in self.layers.iter().enumerate().filter(|(_, l)| !l.pinned) {
            for (output, row) in l.rows.iter().enumerate() {
                if l.tied.get(output).copied().flatten().is_some() {
                    continue;
                }
                out.extend(row.iter().enumerate().map(|(term, (_, w))| (WeightRef::Term { layer, output, term }, *w)));
                out.push((WeightRef::Bias { layer, output }, l.bias[output] >> s));
            }
        }
        out
    }

    /// Per layer, per output, the index in [`QuantModel::committed_weights`] of its first
    /// committed value (its terms' weights follow, then its bias); `None` in pinned layers.
    pub fn weight_slots(&self) -> Vec<Vec<Option<usize>>> {
        let mut next = 0usize;
        self.layers
            .iter()
            .map(|l| {
                let mut slots: Vec<Option<usize>> = Vec::with_capacity(l.outputs);
                for (o, row) in l.rows.iter().enumerate() {
                    let slot = match (l.pinned, l.tied.get(o).copied().flatten()) {
                        (true, _) => None,
                        (false, Some(base)) => slots.get(base).copied().flatten(),
                        (false, None) => {
                            next += row.len() + 1;
                            Some(next - row.len() - 1)
                        }
                    };
                    slots.push(slot);
                }
                slots
            })
            .collect()
    }

    /// The same model with every output whose weights and bias equal an earlier output's of the
    /// same layer tied to it ([`crate::quant::QuantLayer::tied`]): a convolution's kernel (at
    /// every position where its window is whole) and a shared projection are then committed
    /// once, and every weight set proving under the circuit must share them the same way.
    pub fn with_shared_weights_tied(mut self) -> Self {
        for l in self.layers.iter_mut().filter(|l| !l.pinned && l.tied.is_empty()) {
            let mut first: std::collections::HashMap<(Vec<i64>, i64), usize> = std::collections::HashMap::new();
            let mut tied = Vec::with_capacity(l.outputs);
            for (o, row) in l.rows.iter().enumerate() {
                let key = (row.iter().map(|(_, w)| *w).collect::<Vec<_>>(), l.bias[o]);
                tied.push(match first.get(&key) {
                    Some(base) => Some(*base),
                    None => {
                        first.insert(key, o);
                        None
                    }
                });
            }
            if tied.iter().any(Option::is_some) {
                l.tied = tied;
            }
        }
        self
    }

    /// The same model with `pattern`'s weight sharing ([`QuantModel::with_shared_weights_tied`]
    /// of the circuit's model, its first layers' ties): fails, naming the output, where this
    /// model's weights do not share the same way.
    pub fn with_ties_of(mut self, pattern: &QuantModel) -> Result<Self> {
        for (l, p) in self.layers.iter_mut().zip(&pattern.layers) {
            l.tied = p.tied.iter().take(l.outputs).copied().collect();
            if l.tied.iter().all(Option::is_none) {
                l.tied.clear();
            }
        }
        self.check_ties()?;
        Ok(self)
    }

    /// Checks that every tied output reads as many wires as the output it is tied to, earlier in
    /// the same layer, with the same weights and bias.
    pub fn check_ties(&self) -> Result<()> {
        for (li, l) in self.layers.iter().enumerate() {
            for (o, t) in l.tied.iter().enumerate() {
                let Some(base) = *t else { continue };
                let (rows, bias) = (l.rows.get(base).zip(l.rows.get(o)), l.bias.get(base).zip(l.bias.get(o)));
                let same = base < o
                    && l.tied.get(base).copied().flatten().is_none()
                    && rows.is_some_and(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.1 == y.1))
                    && bias.is_some_and(|(a, b)| a == b);
                if !same {
                    return Err(ProverError::BadSettings(format!(
                        "layer {li}, output {o} does not share output {base}'s weights and bias, as the circuit's architecture does (a convolution's kernel, a shared projection)"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The same model with every bias rounded to a multiple of `2^s` (the weights' precision,
    /// from the accumulator's `2^(2s)`), so that a bias is committed like a weight.
    pub fn with_committed_biases(mut self) -> Self {
        let s = self.params.scale_bits;
        let half = 1i64 << (s - 1);
        for b in self.layers.iter_mut().filter(|l| !l.pinned).flat_map(|l| l.bias.iter_mut()) {
            *b = (b.saturating_add(half) >> s) << s;
        }
        self
    }

    /// Whether every bias is a multiple of `2^s` ([`QuantModel::with_committed_biases`]).
    pub fn has_committed_biases(&self) -> bool {
        let mask = (1i64 << self.params.scale_bits) - 1;
        self.layers.iter().filter(|l| !l.pinned).flat_map(|l| &l.bias).all(|b| b & mask == 0)
    }

    /// Checks that every committed weight fits the packing's `bits`, naming the first that does
    /// not.
    pub fn check_committed_range(&self, bits: u32) -> Result<()> {
        let half = 1i128 << (bits - 1);
        let scale = f64::from(1u32 << self.params.scale_bits);
        match self.committed_weight_refs().into_iter().find(|(_, v)| i128::from(*v) < -half || i128::from(*v) >= half) {
            Some((at, v)) => Err(ProverError::BadSettings(format!(
                "hashed weights: {at} is {} ({v} at scale 2^{}), outside the committed range [{}, {}): use more range limbs or fixed weights",
                v as f64 / scale,
                self.params.scale_bits,
                -half as f64 / scale,
                half as f64 / scale
            ))),
            None => Ok(()),
        }
    }

    /// Checks that `other` has this model's architecture (all but the weight and bias values);
    /// the error names the first difference.
    pub fn check_architecture(&self, other: &QuantModel) -> std::result::Result<(), String> {
        let differ = |what: String| Err(what);
        if self.params != other.params {
            return differ(format!(
                "quantisation parameters (scale bits, range limbs, table domains) differ: the circuit's {:?}, the model's {:?}",
                self.params, other.params
            ));
        }
        if self.inputs != other.inputs {
            return differ(format!("the circuit takes {} inputs, the model {}", self.inputs, other.inputs));
        }
        if self.layers.len() != other.layers.len() {
            return differ(format!("the circuit has {} layers, the model {}", self.layers.len(), other.layers.len()));
        }
        for (li, (a, b)) in self.layers.iter().zip(&other.layers).enumerate() {
            if a.outputs != b.outputs || a.inputs != b.inputs {
                return differ(format!("layer {li} has {} outputs in the circuit, {} in the model", a.outputs, b.outputs));
            }
            if a.pinned != b.pinned || a.tied != b.tied {
                return differ(format!("layer {li} is pinned or tied differently"));
            }
            if a.pinned && (a.rows != b.rows || a.bias != b.bias) {
                return differ(format!("layer {li}'s fixed coefficients differ"));
            }
            if a.activation != b.activation {
                return differ(format!("layer {li}'s activation is {} in the circuit, {} in the model", a.activation.name(), b.activation.name()));
            }
            for o in 0..a.outputs {
                let wires = |l: &crate::quant::QuantLayer| l.rows[o].iter().map(|(i, _)| *i).collect::<Vec<_>>();
                if wires(a) != wires(b) {
                    return differ(format!("layer {li}, output {o} reads other wires (a weight that is exactly zero in one model is dropped)"));
                }
                if a.prods_of(o) != b.prods_of(o) {
                    return differ(format!("layer {li}, output {o} multiplies other wires"));
                }
            }
        }
        if self.outputs != other.outputs {
            return differ("the model's outputs are other wires".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::ir::Activation;
    use crate::quant::{QuantLayer, QuantModel, QuantParams};

    fn model(w: [i64; 2], bias: i64) -> QuantModel {
        QuantModel {
            params: QuantParams { scale_bits: 8, range_limbs: 2, tables: Default::default(), interp: None },
            inputs: 2,
            input_sizes: Vec::new(),
            layers: vec![QuantLayer { pinned: false, tied: Vec::new(), inputs: 2, outputs: 1, rows: vec![vec![(0, w[0]), (1, w[1])]], prods: vec![], bias: vec![bias], activation: Activation::Relu }],
            outputs: vec![2],
        }
    }

    #[test]
    fn committed_weights_are_terms_then_the_bias_at_weight_scale() {
        let m = model([3, -4], 1000).with_committed_biases();
        assert_eq!(m.layers[0].bias, vec![1024]);
        assert!(m.has_committed_biases());
        assert_eq!(m.committed_weights(), vec![3, -4, 4]);
        assert_eq!(model([0, 0], -1000).with_committed_biases().committed_weights(), vec![0, 0, -4]);
    }

    #[test]
    fn architecture_ignores_values_and_names_differences() {
        model([1, 2], 0).check_architecture(&model([5, -7], 256)).unwrap();
        let mut other = model([1, 2], 0);
        other.layers[0].activation = Activation::None;
        let e = model([1, 2], 0).check_architecture(&other).unwrap_err();
        assert!(e.contains("layer 0's activation"), "{e}");
        other = model([1, 2], 0);
        other.layers[0].rows[0].pop();
        let e = model([1, 2], 0).check_architecture(&other).unwrap_err();
        assert!(e.contains("layer 0, output 0 reads other wires"), "{e}");
    }

    #[test]
    fn equal_rows_are_tied_and_other_models_must_share_the_same_way() {
        // Three outputs, the first and the third with the same weights and bias (a kernel).
        let mut m = model([3, -4], 0);
        let l = &mut m.layers[0];
        l.outputs = 3;
        l.rows = vec![vec![(0, 3), (1, -4)], vec![(0, 5), (1, 6)], vec![(1, 3), (0, -4)]];
        l.bias = vec![256, 256, 256];
        let tied = m.clone().with_shared_weights_tied();
        assert_eq!(tied.layers[0].tied, vec![None, None, Some(0)]);
        assert_eq!(tied.committed_weights().len(), 6, "the kernel is committed once");
        assert_eq!(tied.weight_slots(), vec![vec![Some(0), Some(3), Some(0)]]);
        // Another weight set with the same sharing takes the pattern; one without is refused.
        let mut other = m.clone();
        other.layers[0].rows[0] = vec![(0, 7), (1, 8)];
        other.layers[0].rows[2] = vec![(1, 7), (0, 8)];
        assert_eq!(other.clone().with_ties_of(&tied).unwrap().layers[0].tied, tied.layers[0].tied);
        other.layers[0].rows[2][1].1 = 9;
        let e = other.with_ties_of(&tied).unwrap_err().to_string();
        assert!(e.contains("output 2 does not share output 0's weights"), "{e}");
    }

    #[test]
    fn out_of_range_weights_are_named() {
        let e = model([1, 1 << 15], 0).check_committed_range(16).unwrap_err().to_string();
        assert!(e.contains("layer 0, output 0, weight 1 is 128"), "{e}");
        model([1, (1 << 15) - 1], 0).check_committed_range(16).unwrap();
    }
}
