//! Fixed-point quantisation and the plain-Rust fixed-point reference.
//!
//! A value `v` is represented by the integer `round(v · 2^s)` (`s` = `scale_bits`). A layer
//! computes `acc = Σ w_q · x_q + Σ x_q · y_q + b_q` at scale `2^(2s)` (weights and values at
//! `2^s`, bias at `2^(2s)`), then rescales with rounding: `acc + 2^(s-1) = q · 2^s + r`,
//! `0 ≤ r < 2^s`, and applies the activation. Values live on wires: the inputs, then every
//! layer's outputs in order; a layer reads any earlier wire. The circuit proves exactly this arithmetic, and [`QuantModel::forward`] is
//! the witness generator and the reference the tests compare against.

use crate::error::{ProverError, Result};
use crate::ir::{Activation, LayerGraph};
use serde::{Deserialize, Serialize};
use halo2_proofs::halo2curves::bn256::Fr;

/// Largest number of entries of one function's table.
pub const MAX_TABLE_ENTRIES: i64 = 1 << 16;

/// The inputs a function table covers: rescaled values `lo..=hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// Smallest covered value.
    pub lo: i64,
    /// Largest covered value.
    pub hi: i64,
}

impl Domain {
    /// Number of entries.
    pub fn len(&self) -> usize {
        (i128::from(self.hi) - i128::from(self.lo) + 1).clamp(0, i128::from(u32::MAX)) as usize
    }
    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.hi < self.lo
    }
    /// Whether `q` is covered.
    pub fn contains(&self, q: i64) -> bool {
        (self.lo..=self.hi).contains(&q)
    }
}

/// The functions tabulated before the later ones were added (the model commitment encodes only
/// these unless a later one is used).
const LEGACY_TABLES: usize = 8;

/// Per tabulated function ([`Activation::TABULATED`] order), its table's domain, if the model uses it.
pub type Tables = [Option<Domain>; Activation::TABULATED.len()];

/// Linear interpolation over a coarse function table: the table holds `f` every `2^bits`
/// rescaled units, and an input `q = x·2^bits + r` (`0 ≤ r < 2^bits`) evaluates to
/// `f0 + ⌊((f1 − f0)·r + 2^(bits−1)) / 2^bits⌋` with `f0 = T(x·2^bits)`, `f1 = T((x+1)·2^bits)`
/// ([`QuantParams::tabulate`] values). A table then needs `2^bits` times fewer rows, so a fine
/// scale no longer means a huge table (issue 16: accuracy at fine scales).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interp {
    /// The table's step, `2^bits` rescaled units (`2 ≤ bits < scale_bits`).
    pub bits: u32,
    /// Every step `|f1 − f0| + 1` of every table is below `2^(delta_bits − 1)`: the interpolated
    /// increment's range, which the circuit range-checks.
    pub delta_bits: u32,
}

/// Exact function tables at most this many rows are kept exact (interpolation costs every
/// function output a few rows and adds up to [`INTERP_TOLERANCE`] of error).
pub const INTERP_MIN_EXACT_ROWS: usize = 1 << 13;

/// An interpolation step is accepted when it stays within this many units of the exact table
/// at every sampled input, at scales up to [`INTERP_TOLERANCE_SCALE`]...
pub const INTERP_TOLERANCE: f64 = 1.0;

/// ... and above it within `2^-INTERP_TOLERANCE_SCALE` (`2^(s − 14)` units at scale `2^s`): a
/// tenth of ezkl's usual error, and the room for steep functions to interpolate at fine scales.
pub const INTERP_TOLERANCE_SCALE: u32 = 14;

/// The interpolation tolerance at scale `2^s`, in units.
pub fn interp_tolerance(s: u32) -> f64 {
    INTERP_TOLERANCE.max(2f64.powi(s as i32 - INTERP_TOLERANCE_SCALE as i32))
}

/// Quantisation parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantParams {
    /// Fractional bits of the fixed-point representation (also the range-check limb width).
    pub scale_bits: u32,
    /// Number of `scale_bits`-wide limbs bounding every rescaled value: values lie in
    /// `[-2^(scale_bits·limbs - 1), 2^(scale_bits·limbs - 1))`.
    pub range_limbs: u32,
    /// Per tabulated function, the rescaled inputs its table covers (chosen by calibration).
    #[serde(with = "crate::ir::tables_serde")]
    pub tables: Tables,
    /// Whether the tables are coarse and interpolated, and how ([`Interp`]); `None`: exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interp: Option<Interp>,
}

/// Greatest common divisor.
pub fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
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
    /// The domain of `act`'s table, if the model has one.
    pub fn domain(&self, act: Activation) -> Option<Domain> {
        act.table_index().and_then(|i| self.tables[i])
    }
    /// The tabulated functions present, in tag order.
    pub fn tabulated(&self) -> Vec<Activation> {
        Activation::TABULATED.iter().zip(&self.tables).filter(|(_, d)| d.is_some()).map(|(a, _)| *a).collect()
    }
    /// Rows the tabulated functions add to the lookup table: every function's domain (with
    /// interpolation, its keys).
    pub fn function_table_rows(&self) -> usize {
        self.tables.iter().flatten().map(|d| self.table_entries(*d)).sum()
    }
    /// Rows of one function's table over domain `d`: one per input, or with interpolation one
    /// per key `q >> bits` of an input `q` in `d`.
    pub fn table_entries(&self, d: Domain) -> usize {
        match self.interp {
            Some(i) => Domain { lo: d.lo >> i.bits, hi: d.hi >> i.bits }.len(),
            None => d.len(),
        }
    }
    /// The table keys covering domain `d` (the inputs themselves without interpolation).
    pub fn table_keys(&self, d: Domain) -> std::ops::RangeInclusive<i64> {
        match self.interp {
            Some(i) => (d.lo >> i.bits)..=(d.hi >> i.bits),
            None => d.lo..=d.hi,
        }
    }
    /// The table entry of key `x`: `(f0, f1)`, the function at the key's input and (with
    /// interpolation) at the next key's; without interpolation `f1 = f0`.
    pub fn table_entry(&self, act: Activation, x: i64) -> (i64, i64) {
        match self.interp {
            Some(i) => (self.tabulate(act, x << i.bits), self.tabulate(act, (x + 1) << i.bits)),
            None => {
                let f = self.tabulate(act, x);
                (f, f)
            }
        }
    }
    /// The function's fixed-point value at rescaled input `q`, as the circuit proves it: the
    /// table's value, or its interpolation ([`Interp`]).
    pub fn evaluate(&self, act: Activation, q: i64) -> i64 {
        match (self.interp, self.interp_parts(act, q)) {
            (Some(i), Some((f0, _, n))) => (i128::from(f0) + n.div_euclid(1i128 << i.bits)) as i64,
            _ => self.tabulate(act, q),
        }
    }
    /// With interpolation, the parts of `act` at `q`: the entry `(f0, f1)` of its key `q >> b`
    /// and the numerator `N = (f1 − f0)·(q mod 2^b) + 2^(b−1)`, whose quotient by `2^b` is the
    /// increment ([`Interp`]); `None` without.
    pub fn interp_parts(&self, act: Activation, q: i64) -> Option<(i64, i64, i128)> {
        let i = self.interp?;
        let (f0, f1) = self.table_entry(act, q >> i.bits);
        let r = i128::from(q & ((1i64 << i.bits) - 1));
        Some((f0, f1, i128::from(f1 - f0) * r + (1i128 << (i.bits - 1))))
    }
    /// The interpolation step to use for these tables: `None` while the exact tables are at most
    /// [`INTERP_MIN_EXACT_ROWS`] rows, else the coarsest step `2^b` (`b ≤ s/2 + 1`, sharing a
    /// divisor of at least 3 with `s` for the range-check limbs) whose interpolation stays within
    /// [`interp_tolerance`] of the exact tables on every sampled input, if any.
    pub fn choose_interp(&self) -> Option<Interp> {
        let exact = QuantParams { interp: None, ..*self };
        if exact.function_table_rows() <= INTERP_MIN_EXACT_ROWS {
            return None;
        }
        let s = self.scale_bits;
        (2..=(s / 2 + 1).min(s - 1)).rev().filter(|b| gcd(s, *b) >= 3).find_map(|b| self.interp_at(b, true))
    }
    /// Interpolation with step `2^bits` over these tables (its `delta_bits` from their steepest
    /// step); with `check`, only if it stays within [`interp_tolerance`] of the exact tables at
    /// five inputs per step. `None` for a step the tables cannot take (`bits` not in
    /// `2..scale_bits`, or without a common divisor of at least 2 with `scale_bits`).
    pub fn interp_at(&self, bits: u32, check: bool) -> Option<Interp> {
        let s = self.scale_bits;
        if !(2..s).contains(&bits) || gcd(s, bits) < 2 {
            return None;
        }
        let exact = QuantParams { interp: None, ..*self };
        let p = QuantParams { interp: Some(Interp { bits, delta_bits: 0 }), ..*self };
        let step = 1i64 << bits;
        let mut steepest = 0i64;
        for a in self.tabulated() {
            let d = self.domain(a)?;
            for x in p.table_keys(d) {
                let (f0, f1) = p.table_entry(a, x);
                steepest = steepest.max((f1 - f0).abs());
                if !check {
                    continue;
                }
                for q in [0, step / 4, step / 2, 3 * step / 4, step - 1].map(|o| (x << bits) + o).into_iter().filter(|q| d.contains(*q)) {
                    if ((p.evaluate(a, q) - exact.tabulate(a, q)).abs() as f64) > interp_tolerance(s) {
                        return None;
                    }
                }
            }
        }
        let delta_bits = 64 - (steepest + 1).leading_zeros() + 1;
        (delta_bits < 48).then_some(Interp { bits, delta_bits })
    }
    /// The fixed-point function `round(f(q / 2^s) · 2^s)` a table holds, clamped to the range of
    /// rescaled values (an infinite value, such as `1/0`, becomes the range's end; NaN becomes 0).
    pub fn tabulate(&self, act: Activation, q: i64) -> i64 {
        let s = f64::from(1u32 << self.scale_bits);
        let y = (act.eval(q as f64 / s) * s).round();
        if y.is_nan() {
            0
        } else {
            // Strictly inside the range: the table's offsets keep functions apart only there.
            y.clamp((self.min() + 1) as f64, self.max() as f64) as i64
        }
    }
    /// Checks the parameters are usable.
    pub fn validate(&self) -> Result<()> {
        self.defect().map_or(Ok(()), |m| Err(ProverError::BadSettings(m)))
    }
    /// What makes the parameters unusable, if anything ([`QuantParams::validate`]).
    pub fn defect(&self) -> Option<String> {
        if !(2..=16).contains(&self.scale_bits) {
            return Some(format!("scale_bits must be in 2..=16, got {}", self.scale_bits));
        }
        if !(1..=8).contains(&self.range_limbs) || self.range_bits() > 64 {
            return Some(format!("range_limbs must be in 1..=8 with scale_bits·range_limbs ≤ 64, got {}", self.range_limbs));
        }
        for (a, d) in Activation::TABULATED.iter().zip(&self.tables) {
            if let Some(d) = d {
                if d.is_empty() {
                    return Some(format!("the {} table's domain {}..={} is empty", a.name(), d.lo, d.hi));
                }
            }
        }
        self.interp_defect()
    }
    /// What makes the interpolation unusable, if anything: its bits not in `2..scale_bits` or
    /// without a common divisor of at least 2 with `scale_bits`, its delta bits not in `2..48`.
    pub fn interp_defect(&self) -> Option<String> {
        let i = self.interp?;
        (!(2..self.scale_bits).contains(&i.bits) || gcd(self.scale_bits, i.bits) < 2 || !(2..48).contains(&i.delta_bits)).then(|| {
            format!(
                "interpolation bits must be in 2..{} sharing a divisor of at least 2 with scale_bits, and delta bits in 2..48; got {} and {}",
                self.scale_bits, i.bits, i.delta_bits
            )
        })
    }
    /// What makes the function tables unprovable, if anything: a domain of more than
    /// [`MAX_TABLE_ENTRIES`] entries, or reaching outside the range of rescaled values (the table's
    /// offsets keep functions apart only inside it). Compiled models always pass; a loaded one may
    /// not (calibration's probe uses wider, unprovable tables on purpose).
    pub fn table_defect(&self) -> Option<String> {
        self.defect().or_else(|| {
            let (min, max) = (self.min(), self.max());
            Activation::TABULATED.iter().zip(&self.tables).find_map(|(a, d)| {
                let d = (*d)?;
                let inside = i128::from(d.lo) > min && i128::from(d.hi) <= max;
                (self.table_entries(d) as i64 > MAX_TABLE_ENTRIES || !inside).then(|| {
                    format!("the {} table's domain {}..={} has more than {MAX_TABLE_ENTRIES} entries or leaves the value range ({min}, {max})", a.name(), d.lo, d.hi)
                })
            })
        })
    }
    /// Quantises a float at scale `2^s` (saturating; see [`QuantParams::quantise_exact`]).
    pub fn quantise(&self, v: f32) -> i64 {
        (f64::from(v) * f64::from(1u32 << self.scale_bits)).round() as i64
    }
    /// `round(v · 2^bits)`, if `v` is finite and the result is below `2^62` in magnitude (no
    /// saturation, and room for the rounding of [`QuantModel::with_committed_biases`]).
    pub fn quantise_exact(v: f32, bits: u32) -> Option<i64> {
        let q = (f64::from(v) * 2f64.powi(bits as i32)).round();
        (q.abs() < 2f64.powi(62)).then_some(q as i64)
    }
    /// Back to float.
    pub fn dequantise(&self, q: i64) -> f64 {
        q as f64 / f64::from(1u32 << self.scale_bits)
    }
}

/// A quantised layer: per output, linear terms and products over earlier wires, a bias, the
/// rescale and the activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantLayer {
    /// Wires that exist before this layer (every index below is smaller).
    pub inputs: usize,
    /// Number of outputs (new wires).
    pub outputs: usize,
    /// Per output, its `(wire, weight at scale 2^s)` terms.
    pub rows: Vec<Vec<(usize, i64)>>,
    /// Per output, its products `(wire, wire)`.
    #[serde(default)]
    pub prods: Vec<Vec<(usize, usize)>>,
    /// Bias at scale `2^(2s)`.
    pub bias: Vec<i64>,
    /// Activation after the rescale.
    pub activation: Activation,
    /// Its weights and biases are part of the architecture: in fixed columns (the verifying key)
    /// even when the model's weights are hashed (the accuracy circuit's comparison layers).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
    /// Per output, `Some(o)` when it reuses output `o`'s committed weights and bias (equal
    /// values, committed once: a replica of the model in a batch); empty when none does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tied: Vec<Option<usize>>,
}

impl QuantLayer {
    /// What is malformed in the layer, given the wires before it, if anything: sizes, wires it
    /// reads, ties ([`QuantModel::check_ties`]).
    pub fn defect(&self, wires: usize) -> Option<String> {
        if self.inputs != wires {
            return Some(format!("'inputs' is {}, but {wires} wires exist before it", self.inputs));
        }
        if self.outputs == 0 || self.rows.len() != self.outputs || self.bias.len() != self.outputs {
            return Some(format!("{} outputs, {} rows and {} biases (one row and one bias per output, at least one output)", self.outputs, self.rows.len(), self.bias.len()));
        }
        if !(self.prods.is_empty() || self.prods.len() == self.outputs) || !(self.tied.is_empty() || self.tied.len() == self.outputs) {
            return Some(format!("{} product lists and {} ties for {} outputs (none, or one per output)", self.prods.len(), self.tied.len(), self.outputs));
        }
        if let Some((o, i)) = self.rows.iter().enumerate().find_map(|(o, r)| r.iter().find(|(i, _)| *i >= wires).map(|(i, _)| (o, *i))) {
            return Some(format!("output {o} reads wire {i}, which does not exist yet"));
        }
        if let Some((o, (a, b))) = self.prods.iter().enumerate().find_map(|(o, p)| p.iter().find(|(a, b)| *a >= wires || *b >= wires).map(|p| (o, *p))) {
            return Some(format!("output {o} multiplies wires {a} and {b}, which do not all exist yet"));
        }
        for (o, t) in self.tied.iter().enumerate() {
            let Some(base) = *t else { continue };
            let same = base < o
                && self.tied.get(base).copied().flatten().is_none()
                && self.rows[base].len() == self.rows[o].len()
                && self.rows[base].iter().zip(&self.rows[o]).all(|(a, b)| a.1 == b.1)
                && self.bias[base] == self.bias[o];
            if !same {
                return Some(format!("output {o} is tied to output {base}, which is not an earlier untied output with the same weights and bias"));
            }
        }
        None
    }
    /// Number of weights and products (terms).
    pub fn terms(&self) -> usize {
        self.rows.iter().map(Vec::len).sum::<usize>() + self.prods.iter().map(Vec::len).sum::<usize>()
    }
    /// Products of output `o` (none when the layer has no products).
    pub fn prods_of(&self, o: usize) -> &[(usize, usize)] {
        self.prods.get(o).map_or(&[], Vec::as_slice)
    }
}

/// A quantised model: what the circuit proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantModel {
    /// Quantisation parameters.
    pub params: QuantParams,
    /// Number of input wires.
    pub inputs: usize,
    /// With several graph inputs, each one's number of wires (in graph order; they add up to
    /// `inputs`); empty for one graph input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_sizes: Vec<usize>,
    /// The layers in order.
    pub layers: Vec<QuantLayer>,
    /// The wires that are the model's outputs.
    pub outputs: Vec<usize>,
}

/// Per-output witness of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeuronTrace {
    /// Accumulator `Σ w x + Σ x y + b` at scale `2^(2s)`.
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

/// Largest magnitude of an accumulator, and of every partial sum on the way (in the order the
/// circuit adds: the bias, the terms, the products): far below the field's modulus, and with room
/// for the bias the circuit adds last with hashed weights.
pub const MAX_ACCUMULATOR: i128 = 1 << 125;

/// Output `o`'s accumulator over the wire values `x`, `None` if a partial sum leaves
/// `±`[`MAX_ACCUMULATOR`].
fn accumulate(layer: &QuantLayer, o: usize, x: &[i64]) -> Option<i128> {
    let step = |acc: i128, v: i128| acc.checked_add(v).filter(|a| a.abs() <= MAX_ACCUMULATOR);
    let mut acc = i128::from(layer.bias[o]);
    for (i, w) in &layer.rows[o] {
        acc = step(acc, i128::from(*w) * i128::from(x[*i]))?;
    }
    for (a, b) in layer.prods_of(o) {
        acc = step(acc, i128::from(x[*a]) * i128::from(x[*b]))?;
    }
    Some(acc)
}

/// The full fixed-point execution trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Quantised input.
    pub input: Vec<i64>,
    /// Per layer, per output.
    pub layers: Vec<Vec<NeuronTrace>>,
    /// The output wires.
    pub outputs: Vec<usize>,
    /// The claimant binding exposed as public instance 1 ([`crate::binding::Binding`]; zero:
    /// unbound).
    pub binding: Fr,
    /// The salt of the hashed tensors' commitments (zero: unsalted; the input's and the output's
    /// commitments differ by their domain tag, [`crate::hash::Tensor`]).
    pub salt: Fr,
    /// The salt of a hashed-weights commitment (kept by the model's owner and reused, so that
    /// the commitment identifies the model across proofs).
    pub weight_salt: Fr,
}

impl Trace {
    /// The same trace bound to a claimant.
    pub fn bound_to(self, binding: Fr) -> Self {
        Self { binding, ..self }
    }
    /// The same trace with salted commitments.
    pub fn salted(self, salt: Fr) -> Self {
        Self { salt, ..self }
    }
    /// The same trace with a salted weights commitment.
    pub fn weights_salted(self, weight_salt: Fr) -> Self {
        Self { weight_salt, ..self }
    }
    /// The value on wire `w`: an input, or a layer output's `out`.
    pub fn wire(&self, w: usize) -> i64 {
        if w < self.input.len() {
            return self.input[w];
        }
        let mut k = w - self.input.len();
        for l in &self.layers {
            if k < l.len() {
                return l[k].out;
            }
            k -= l.len();
        }
        0
    }
    /// The model's output values.
    pub fn output(&self) -> Vec<i64> {
        self.outputs.iter().map(|w| self.wire(*w)).collect()
    }
}


/// The activation a layer is proven with, and whether its bias moves one unit down: the
/// comparisons `x ≥ 0` ([`Activation::NonNegative`]) and `x > 0` ([`Activation::Positive`], which
/// on the fixed-point grid is `x − 2^−s ≥ 0`) become [`Activation::Step`], the sign bit of the
/// range decomposition, so that they need no table and hold over any range.
pub fn proven_activation(a: Activation) -> (Activation, bool) {
    match a {
        Activation::NonNegative => (Activation::Step, false),
        Activation::Positive => (Activation::Step, true),
        other => (other, false),
    }
}

impl QuantModel {
    /// Quantises lowered layers.
    pub fn from_layers(g: &LayerGraph, params: QuantParams) -> Result<Self> {
        params.validate()?;
        let s = params.scale_bits;
        let bad = |li: usize, o: usize, what: &str, v: f32| {
            ProverError::BadSettings(format!("layer {li}, output {o}: {what} {v} is not finite or too large to quantise at scale 2^{s}"))
        };
        let mut layers = Vec::with_capacity(g.layers.len());
        for (li, l) in g.layers.iter().enumerate() {
            let (activation, step_shift) = proven_activation(l.activation);
            let mut rows = Vec::with_capacity(l.rows.len());
            let mut bias = Vec::with_capacity(l.rows.len());
            for (o, r) in l.rows.iter().enumerate() {
                let row = r.iter().map(|(i, w)| QuantParams::quantise_exact(*w, s).map(|q| (*i, q)).ok_or_else(|| bad(li, o, "weight", *w)));
                rows.push(row.collect::<Result<Vec<_>>>()?);
                let b = l.bias.get(o).copied().unwrap_or(0.0);
                let q = QuantParams::quantise_exact(b, 2 * s).ok_or_else(|| bad(li, o, "bias", b))?;
                // `x > 0` is `x − 2^−s ≥ 0` on the fixed-point grid: one unit below the rescale.
                bias.push(if step_shift { q - (1i64 << s) } else { q });
            }
            layers.push(QuantLayer {
                inputs: l.inputs,
                outputs: l.outputs(),
                rows,
                prods: if l.prods.iter().all(Vec::is_empty) { Vec::new() } else { l.prods.clone() },
                bias,
                activation,
                pinned: false,
                tied: Vec::new(),
            });
        }
        Ok(Self { params, inputs: g.inputs, input_sizes: g.input_sizes.clone(), layers, outputs: g.outputs.clone() })
    }

    /// Each graph input's number of wires, in graph order (one entry for one graph input).
    pub fn graph_input_sizes(&self) -> Vec<usize> {
        if self.input_sizes.is_empty() {
            vec![self.inputs]
        } else {
            self.input_sizes.clone()
        }
    }
    /// Number of model inputs.
    pub fn input_len(&self) -> usize {
        self.inputs
    }
    /// Number of model outputs.
    pub fn output_len(&self) -> usize {
        self.outputs.len()
    }
    /// Total number of wires.
    pub fn wires(&self) -> usize {
        self.layers.iter().fold(self.inputs, |w, l| w.saturating_add(l.outputs))
    }

    /// Checks the structure: parameters, layer sizes, wire indices, ties, outputs, and the
    /// limits on wires and terms.
    pub fn validate(&self) -> Result<()> {
        match self.defect() {
            Some((field, m)) => Err(ProverError::BadSettings(format!("malformed model: {field}: {m}"))),
            None => Ok(()),
        }
    }

    /// What is malformed in the model, if anything: the field (`params`, `layers[3]`,
    /// `outputs`, …) and what is wrong with it ([`QuantModel::validate`]).
    pub fn defect(&self) -> Option<(String, String)> {
        use crate::limits::{MAX_MODEL_TERMS, MAX_WIRES};
        if let Some(m) = self.params.defect() {
            return Some(("params".into(), m));
        }
        if self.inputs == 0 || self.inputs > MAX_WIRES {
            return Some(("inputs".into(), format!("{} inputs: a model has 1 to {MAX_WIRES}", self.inputs)));
        }
        if !self.input_sizes.is_empty() && (self.input_sizes.len() < 2 || self.input_sizes.iter().try_fold(0usize, |a, n| a.checked_add(*n)) != Some(self.inputs)) {
            return Some(("input_sizes".into(), format!("{:?} are not the sizes of two or more graph inputs of {} wires together", self.input_sizes, self.inputs)));
        }
        if self.layers.is_empty() || self.outputs.is_empty() {
            return Some(("layers".into(), "a model has at least one layer and one output".into()));
        }
        let (mut wires, mut terms) = (self.inputs, 0usize);
        for (li, l) in self.layers.iter().enumerate() {
            let at = || format!("layers[{li}]");
            if let Some(m) = l.defect(wires) {
                return Some((at(), m));
            }
            wires = wires.saturating_add(l.outputs);
            terms = terms.saturating_add(l.terms());
            if wires > MAX_WIRES || terms > MAX_MODEL_TERMS {
                return Some((at(), format!("the model up to this layer has {wires} wires and {terms} terms, more than {MAX_WIRES} wires or {MAX_MODEL_TERMS} terms")));
            }
            if l.activation.is_tabulated() && self.params.domain(l.activation).is_none() {
                return Some((at(), format!("uses {} but the model has no table for it", l.activation.name())));
            }
        }
        if let Some(i) = self.outputs.iter().position(|w| *w >= wires) {
            return Some((format!("outputs[{i}]"), format!("wire {} does not exist", self.outputs[i])));
        }
        None
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
            return Err(ProverError::BadInput(format!(
                "input value #{i} is {} (values are read as f32: beyond ±3.4e38 is infinite)",
                input[i]
            )));
        }
        Ok(input.iter().map(|v| self.params.quantise(*v)).collect())
    }

    /// Runs the fixed-point model, checking every rescaled value against the circuit's range and
    /// every table input against its table (so an out-of-range input fails here, before any
    /// proving work).
    pub fn forward(&self, input: &[i64]) -> Result<Trace> {
        if input.len() != self.input_len() {
            return Err(ProverError::BadInput(format!(
                "the model takes {} values, the input has {}",
                self.input_len(),
                input.len()
            )));
        }
        self.validate()?;
        let p = self.params;
        let s = 1i128 << p.scale_bits;
        let half = s / 2;
        let mut x: Vec<i64> = input.to_vec();
        let mut layers = Vec::with_capacity(self.layers.len());
        for (li, layer) in self.layers.iter().enumerate() {
            let mut outs = Vec::with_capacity(layer.outputs);
            for o in 0..layer.outputs {
                let acc = accumulate(layer, o, &x).ok_or_else(|| ProverError::OutOfRange {
                    layer: Some(li),
                    index: o,
                    value: i128::MAX,
                    min: p.min(),
                    max: p.max(),
                    scale_bits: p.scale_bits,
                    needed_limbs: None,
                })?;
                let shifted = acc + half;
                let q = shifted.div_euclid(s);
                let r = shifted.rem_euclid(s);
                if q < p.min() || q > p.max() {
                    return Err(ProverError::OutOfRange {
                        layer: Some(li),
                        index: o,
                        value: q,
                        min: p.min(),
                        max: p.max(),
                        scale_bits: p.scale_bits,
                        needed_limbs: self.limbs_needed(input),
                    });
                }
                let q = q as i64;
                let out = match layer.activation {
                    Activation::None => q,
                    Activation::Relu => q.max(0),
                    Activation::Step => i64::from(q >= 0) << p.scale_bits,
                    act => match p.domain(act) {
                        Some(d) if d.contains(q) => p.evaluate(act, q),
                        d => {
                            let d = d.unwrap_or(Domain { lo: 0, hi: -1 });
                            return Err(ProverError::OutOfTable {
                                layer: li,
                                index: o,
                                function: act.name(),
                                value: p.dequantise(q),
                                min: p.dequantise(d.lo),
                                max: p.dequantise(d.hi),
                            });
                        }
                    },
                };
                let shifted = (i128::from(q) - p.min()) as u64;
                let mask = (1u64 << p.scale_bits) - 1;
                let limbs = (0..p.range_limbs).map(|i| (shifted >> (p.scale_bits * i)) & mask).collect();
                outs.push(NeuronTrace { acc, q, r: r as i64, out, limbs, sign: q >= 0 });
            }
            x.extend(outs.iter().map(|n| n.out));
            layers.push(outs);
        }
        Ok(Trace { input: input.to_vec(), layers, outputs: self.outputs.clone(), binding: Fr::zero(), salt: Fr::zero(), weight_salt: Fr::zero() })
    }

    /// Per tabulated function, the smallest and largest table input of a trace.
    pub fn table_inputs(&self, trace: &Trace) -> [Option<(i64, i64)>; Activation::TABULATED.len()] {
        let mut out = [None; Activation::TABULATED.len()];
        for (l, t) in self.layers.iter().zip(&trace.layers) {
            if let Some(i) = l.activation.table_index() {
                for n in t {
                    let (lo, hi) = out[i].unwrap_or((n.q, n.q));
                    out[i] = Some((lo.min(n.q), hi.max(n.q)));
                }
            }
        }
        out
    }

    /// The tabulated activations the model uses, in tag order.
    pub fn tabulated(&self) -> Vec<Activation> {
        Activation::TABULATED.into_iter().filter(|a| self.layers.iter().any(|l| l.activation == *a)).collect()
    }

    /// Largest magnitude over a trace of every value the range must hold: the inputs (a hashed
    /// input is packed at the range's width), every rescaled value and every output after its
    /// activation. For choosing the range.
    pub fn max_abs(trace: &Trace) -> i64 {
        let layers = trace.layers.iter().flatten().map(|n| n.q.unsigned_abs().max(n.out.unsigned_abs()));
        let max = trace.input.iter().map(|v| v.unsigned_abs()).chain(layers).max().unwrap_or(0);
        i64::try_from(max).unwrap_or(i64::MAX)
    }

    /// The fewest range limbs whose range holds every value of this model's fixed-point run on
    /// `input` (quantised): inputs, rescaled values and outputs, without headroom. `None` when
    /// even the widest range does not, or the run fails for another reason (a table).
    pub fn limbs_needed(&self, input: &[i64]) -> Option<u32> {
        let s = self.params.scale_bits;
        let widest = (64 / s.max(1)).clamp(1, 8);
        if self.params.range_limbs >= widest {
            // Already the widest (this is the probe itself, or the model is): nothing fits.
            return None;
        }
        let mut wide = self.clone();
        wide.params.range_limbs = widest;
        let trace = wide.forward(input).ok()?;
        let max = i128::from(Self::max_abs(&trace));
        (1..=widest).find(|l| {
            let half = 1i128 << (s * l - 1);
            max < half
        })
    }

    /// Checks that a quantised input fits the range of rescaled values (what a hashed input's
    /// packing needs), naming the first value that does not and the range limbs that would hold
    /// this input's whole run.
    pub fn check_input_range(&self, input: &[i64]) -> Result<()> {
        let p = self.params;
        match input.iter().position(|v| i128::from(*v) < p.min() || i128::from(*v) > p.max()) {
            None => Ok(()),
            Some(i) => Err(ProverError::OutOfRange {
                layer: None,
                index: i,
                value: i128::from(input[i]),
                min: p.min(),
                max: p.max(),
                scale_bits: p.scale_bits,
                needed_limbs: self.limbs_needed(input),
            }),
        }
    }

    /// The model commitment: Keccak-256 of a canonical encoding of the quantised model, with the
    /// top three bits cleared so that it is a BN254 scalar (< 2^253 < r). Proofs expose it as
    /// public instance 0; the circuit pins it to this constant.
    pub fn commitment(&self) -> [u8; 32] {
        use sha3::{Digest, Keccak256};
        let mut h = Keccak256::new();
        let n = |h: &mut Keccak256, v: usize| h.update((v as u64).to_be_bytes());
        h.update(b"zkinfer-model-v4");
        h.update(self.params.scale_bits.to_be_bytes());
        h.update(self.params.range_limbs.to_be_bytes());
        let table = |h: &mut Keccak256, d: &Option<Domain>| match d {
            Some(d) => {
                h.update([1]);
                h.update(d.lo.to_be_bytes());
                h.update(d.hi.to_be_bytes());
            }
            None => h.update([0]),
        };
        // The first functions' tables as always; the later ones (added after v4) only when some
        // is used, after a marker byte that no input count starts with (counts are < 2^56), so
        // every earlier model keeps its commitment.
        let (legacy, later) = self.params.tables.split_at(LEGACY_TABLES);
        legacy.iter().for_each(|d| table(&mut h, d));
        if later.iter().any(Option::is_some) {
            h.update([0xff]);
            n(&mut h, later.len());
            later.iter().for_each(|d| table(&mut h, d));
        }
        // Interpolated tables (a different function of the same domain), after another marker.
        if let Some(i) = self.params.interp {
            h.update([0xfe]);
            h.update(i.bits.to_be_bytes());
            h.update(i.delta_bits.to_be_bytes());
        }
        n(&mut h, self.inputs);
        n(&mut h, self.layers.len());
        for l in &self.layers {
            n(&mut h, l.inputs);
            n(&mut h, l.outputs);
            h.update([l.activation.tag()]);
            for (o, row) in l.rows.iter().enumerate() {
                n(&mut h, row.len());
                for (i, w) in row {
                    n(&mut h, *i);
                    h.update(w.to_be_bytes());
                }
                let prods = l.prods_of(o);
                n(&mut h, prods.len());
                for (a, b) in prods {
                    n(&mut h, *a);
                    n(&mut h, *b);
                }
            }
            l.bias.iter().for_each(|b| h.update(b.to_be_bytes()));
        }
        n(&mut h, self.outputs.len());
        self.outputs.iter().for_each(|w| n(&mut h, *w));
        let mut out: [u8; 32] = h.finalize().into();
        out[0] &= 0x1f;
        out
    }
}
