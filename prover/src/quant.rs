//! Fixed-point quantisation and the plain-Rust fixed-point reference.
//!
//! A value `v` is represented by the integer `round(v · 2^s)` (`s` = `scale_bits`). A dense layer
//! computes `acc = Σ w_q · x_q + b_q` at scale `2^(2s)` (weights and inputs at `2^s`, bias at
//! `2^(2s)`), then rescales with rounding: `acc + 2^(s-1) = q · 2^s + r`, `0 ≤ r < 2^s`, and applies
//! the activation. The circuit proves exactly this arithmetic, and [`QuantModel::forward`] is
//! the witness generator and the reference the tests compare against.

use crate::error::{ProverError, Result};
use crate::ir::{Activation, Layer};
use serde::{Deserialize, Serialize};

/// Largest function-table width (2^16 rows per function).
pub const MAX_LOOKUP_BITS: u32 = 16;

/// Quantisation parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantParams {
    /// Fractional bits of the fixed-point representation (also the range-check limb width).
    pub scale_bits: u32,
    /// Number of `scale_bits`-wide limbs bounding every rescaled value: values lie in
    /// `[-2^(scale_bits·limbs - 1), 2^(scale_bits·limbs - 1))`.
    pub range_limbs: u32,
    /// Width of the function tables (sigmoid, tanh): they cover rescaled values
    /// `[-2^(lookup_bits-1), 2^(lookup_bits-1) - 1)`. 0 when the model uses no tabulated function.
    #[serde(default)]
    pub lookup_bits: u32,
}

impl QuantParams {
    /// Total bits of the signed range of rescaled values.
    pub fn range_bits(&self) -> u32 {
        self.scale_bits * self.range_limbs
    }
    /// Smallest representable rescaled value.
    pub fn min(&self) -> i128 {
        -(1i128 << (self.range_bits() - 1))
    }
    /// Largest representable rescaled value.
    pub fn max(&self) -> i128 {
        (1i128 << (self.range_bits() - 1)) - 1
    }
    /// Smallest value a function table covers.
    pub fn table_min(&self) -> i64 {
        -(1i64 << (self.lookup_bits.max(1) - 1))
    }
    /// Largest value a function table covers (one slot is left for the all-zero row).
    pub fn table_max(&self) -> i64 {
        (1i64 << (self.lookup_bits.max(1) - 1)) - 2
    }
    /// The fixed-point function `round(f(q / 2^s) · 2^s)` a table holds.
    pub fn tabulate(&self, act: Activation, q: i64) -> i64 {
        let s = f64::from(1u32 << self.scale_bits);
        (act.eval(q as f64 / s) * s).round() as i64
    }
    /// Checks the parameters are usable.
    pub fn validate(&self) -> Result<()> {
        if self.lookup_bits != 0 && !(self.scale_bits + 1..=MAX_LOOKUP_BITS).contains(&self.lookup_bits) {
            return Err(ProverError::BadSettings(format!(
                "lookup_bits must be 0 or in {}..={MAX_LOOKUP_BITS}, got {}",
                self.scale_bits + 1,
                self.lookup_bits
            )));
        }
        if !(2..=16).contains(&self.scale_bits) {
            return Err(ProverError::BadSettings(format!("scale_bits must be in 2..=16, got {}", self.scale_bits)));
        }
        if !(1..=8).contains(&self.range_limbs) || self.range_bits() > 64 {
            return Err(ProverError::BadSettings(format!(
                "range_limbs must be in 1..=8 with scale_bits·range_limbs ≤ 64, got {}",
                self.range_limbs
            )));
        }
        Ok(())
    }
    /// Quantises a float at scale `2^s`.
    pub fn quantise(&self, v: f32) -> i64 {
        (f64::from(v) * f64::from(1u32 << self.scale_bits)).round() as i64
    }
    /// Back to float.
    pub fn dequantise(&self, q: i64) -> f64 {
        q as f64 / f64::from(1u32 << self.scale_bits)
    }
}

/// A quantised layer: a sparse linear map, rescale, activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantLayer {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// Per output, its `(input index, weight at scale 2^s)` terms.
    pub rows: Vec<Vec<(usize, i64)>>,
    /// Bias at scale `2^(2s)`.
    pub bias: Vec<i64>,
    /// Activation after the rescale.
    pub activation: Activation,
}

impl QuantLayer {
    /// Number of weights (terms).
    pub fn terms(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }
}

/// A quantised model: what the circuit proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantModel {
    /// Quantisation parameters.
    pub params: QuantParams,
    /// The layers in order.
    pub layers: Vec<QuantLayer>,
}

/// Per-output witness of one dense layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeuronTrace {
    /// Accumulator `Σ w x + b` at scale `2^(2s)`.
    pub acc: i128,
    /// Rescaled value.
    pub q: i64,
    /// Remainder of the rescale, in `[0, 2^s)`.
    pub r: i64,
    /// Output after the activation.
    pub out: i64,
    /// Range limbs of `q + 2^(range_bits-1)`, least significant first, each `scale_bits` wide.
    pub limbs: Vec<u64>,
    /// Top bit of the shifted value: `q ≥ 0`.
    pub sign: bool,
}

/// The full fixed-point execution trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Quantised input.
    pub input: Vec<i64>,
    /// Per layer, per output.
    pub layers: Vec<Vec<NeuronTrace>>,
}

impl Trace {
    /// The model's output (last layer).
    pub fn output(&self) -> Vec<i64> {
        self.layers.last().map(|l| l.iter().map(|n| n.out).collect()).unwrap_or_default()
    }
}

impl QuantModel {
    /// Quantises lowered layers.
    pub fn from_layers(layers: &[Layer], params: QuantParams) -> Result<Self> {
        params.validate()?;
        let bias_scale = f64::from(1u32 << params.scale_bits).powi(2);
        let layers = layers
            .iter()
            .map(|l| QuantLayer {
                inputs: l.map.inputs,
                outputs: l.map.outputs(),
                rows: l.map.rows.iter().map(|r| r.iter().map(|(i, w)| (*i, params.quantise(*w))).collect()).collect(),
                bias: l.map.bias.iter().map(|b| (f64::from(*b) * bias_scale).round() as i64).collect(),
                activation: l.activation,
            })
            .collect();
        Ok(Self { params, layers })
    }

    /// Number of model inputs.
    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }
    /// Number of model outputs.
    pub fn output_len(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Quantises a float input, checking its length.
    pub fn quantise_input(&self, input: &[f32]) -> Result<Vec<i64>> {
        if input.len() != self.input_len() {
            return Err(ProverError::BadInput(format!(
                "the model takes {} values, the input has {}",
                self.input_len(),
                input.len()
            )));
        }
        if let Some(i) = input.iter().position(|v| !v.is_finite()) {
            return Err(ProverError::BadInput(format!("value {i} is not a finite number")));
        }
        Ok(input.iter().map(|v| self.params.quantise(*v)).collect())
    }

    /// Runs the fixed-point model, checking every rescaled value against the circuit's range
    /// (so an out-of-range input fails here, before any proving work).
    pub fn forward(&self, input: &[i64]) -> Result<Trace> {
        if input.len() != self.input_len() {
            return Err(ProverError::BadInput(format!(
                "the model takes {} values, the input has {}",
                self.input_len(),
                input.len()
            )));
        }
        let p = self.params;
        let s = 1i128 << p.scale_bits;
        let half = s / 2;
        let mut x: Vec<i64> = input.to_vec();
        let mut layers = Vec::with_capacity(self.layers.len());
        for (li, layer) in self.layers.iter().enumerate() {
            let mut outs = Vec::with_capacity(layer.outputs);
            for o in 0..layer.outputs {
                let acc: i128 = i128::from(layer.bias[o])
                    + layer.rows[o].iter().map(|(i, w)| i128::from(*w) * i128::from(x[*i])).sum::<i128>();
                let shifted = acc + half;
                let q = shifted.div_euclid(s);
                let r = shifted.rem_euclid(s);
                if q < p.min() || q > p.max() {
                    return Err(ProverError::OutOfRange {
                        layer: li,
                        index: o,
                        value: q,
                        min: p.min(),
                        max: p.max(),
                        scale_bits: p.scale_bits,
                    });
                }
                let q = q as i64;
                let out = match layer.activation {
                    Activation::None => q,
                    Activation::Relu => q.max(0),
                    act => {
                        if q < p.table_min() || q > p.table_max() || p.lookup_bits == 0 {
                            return Err(ProverError::OutOfTable {
                                layer: li,
                                index: o,
                                function: format!("{act:?}").to_lowercase(),
                                value: p.dequantise(q),
                                min: p.dequantise(p.table_min()),
                                max: p.dequantise(p.table_max()),
                            });
                        }
                        p.tabulate(act, q)
                    }
                };
                let shifted = (i128::from(q) - p.min()) as u64;
                let mask = (1u64 << p.scale_bits) - 1;
                let limbs = (0..p.range_limbs).map(|i| (shifted >> (p.scale_bits * i)) & mask).collect();
                outs.push(NeuronTrace { acc, q, r: r as i64, out, limbs, sign: q >= 0 });
            }
            x = outs.iter().map(|n| n.out).collect();
            layers.push(outs);
        }
        Ok(Trace { input: input.to_vec(), layers })
    }

    /// Largest |q| over the layers with a tabulated activation, for choosing the table width.
    pub fn max_abs_tabulated(&self, trace: &Trace) -> i64 {
        trace
            .layers
            .iter()
            .zip(&self.layers)
            .filter(|(_, l)| l.activation.is_tabulated())
            .flat_map(|(t, _)| t.iter().map(|n| n.q.abs()))
            .max()
            .unwrap_or(0)
    }

    /// The tabulated activations the model uses, in tag order.
    pub fn tabulated(&self) -> Vec<Activation> {
        [Activation::Sigmoid, Activation::Tanh].into_iter().filter(|a| self.layers.iter().any(|l| l.activation == *a)).collect()
    }

    /// Largest |q| over a trace, for choosing the range.
    pub fn max_abs(trace: &Trace) -> i64 {
        trace.layers.iter().flatten().map(|n| n.q.abs()).max().unwrap_or(0)
    }

    /// The model commitment: Keccak-256 of a canonical encoding of the quantised model, with the
    /// top three bits cleared so that it is a BN254 scalar (< 2^253 < r). Proofs expose it as
    /// public instance 0; the circuit pins it to this constant.
    pub fn commitment(&self) -> [u8; 32] {
        use sha3::{Digest, Keccak256};
        let mut h = Keccak256::new();
        h.update(b"zkinfer-model-v3");
        h.update(self.params.scale_bits.to_be_bytes());
        h.update(self.params.range_limbs.to_be_bytes());
        h.update(self.params.lookup_bits.to_be_bytes());
        h.update((self.layers.len() as u64).to_be_bytes());
        for l in &self.layers {
            h.update((l.inputs as u64).to_be_bytes());
            h.update((l.outputs as u64).to_be_bytes());
            h.update([l.activation.tag()]);
            for row in &l.rows {
                h.update((row.len() as u64).to_be_bytes());
                for (i, w) in row {
                    h.update((*i as u64).to_be_bytes());
                    h.update(w.to_be_bytes());
                }
            }
            l.bias.iter().for_each(|b| h.update(b.to_be_bytes()));
        }
        let mut out: [u8; 32] = h.finalize().into();
        out[0] &= 0x1f;
        out
    }
}
