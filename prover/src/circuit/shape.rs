//! The circuit's shape ([`CircuitShape`]): everything `configure` depends on, and the sizes
//! derived from it (limbs per value and remainder, rows a rescale reads, table rows, columns).

use super::pow2;
use crate::ir::Activation;
use crate::quant::{Interp, QuantModel, QuantParams, Tables};
use crate::visibility::{InputWires, Visibilities, Visibility};
use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

/// The circuit's shape: everything `configure` depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// Inputs consumed per dot-product row (= number of `x` advice columns).
    pub dot_width: usize,
    /// Fixed-point fractional bits.
    pub scale_bits: u32,
    /// Limbs of `scale_bits` bits bounding rescaled values: the value range is
    /// `s·range_limbs` bits (the quantised model's, [`QuantParams::range_bits`]).
    pub range_limbs: u32,
    /// Width of the range-check limbs (the limb table is `2^limb_bits` rows), a divisor of
    /// `scale_bits`; `None` is `scale_bits`. A layout choice ([`crate::optimise`]): narrower limbs
    /// make the table smaller and every rescale row's decomposition taller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limb_bits: Option<u32>,
    /// Per tabulated function used, its table's domain.
    #[serde(with = "crate::ir::tables_serde")]
    pub tables: Tables,
    /// Whether the product chip is configured (the model multiplies two activations).
    #[serde(default)]
    pub products: bool,
    /// What the proof reveals of the weights, the input and the output.
    pub visibility: Visibilities,
    /// Whether some layer is pinned (fixed coefficients even with hashed weights: the dot-product
    /// chip and its weight columns are then configured with hashed weights too).
    #[serde(default)]
    pub pinned: bool,
    /// Whether some layer is a step (`x ≥ 0`, a comparison): the `fstep` column is configured.
    #[serde(default)]
    pub steps: bool,
    /// Whether the function tables are coarse and interpolated ([`Interp`]; the model's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interp: Option<Interp>,
}

impl Default for CircuitShape {
    fn default() -> Self {
        Self {
            dot_width: 8,
            scale_bits: 8,
            range_limbs: 2,
            limb_bits: None,
            tables: [None; Activation::TABULATED.len()],
            products: false,
            visibility: Visibilities::PUBLIC,
            pinned: false,
            steps: false,
            interp: None,
        }
    }
}

impl CircuitShape {
    /// The shape for a model, with public input and output ([`Visibilities::PUBLIC`]; see
    /// [`CircuitShape::with_visibility`]).
    pub fn for_model(model: &QuantModel, dot_width: usize) -> Self {
        let used = model.tabulated();
        let mut tables = model.params.tables;
        for (a, d) in Activation::TABULATED.iter().zip(tables.iter_mut()) {
            if !used.contains(a) {
                *d = None;
            }
        }
        let products = model.layers.iter().any(|l| l.prods.iter().any(|p| !p.is_empty()));
        let interp = model.params.interp.filter(|_| !used.is_empty());
        Self {
            dot_width,
            scale_bits: model.params.scale_bits,
            range_limbs: model.params.range_limbs,
            // Interpolation needs limbs dividing its bits: the widest such.
            limb_bits: interp.map(|i| crate::quant::gcd(model.params.scale_bits, i.bits)),
            tables,
            products,
            visibility: Visibilities::PUBLIC,
            pinned: model.layers.iter().any(|l| l.pinned),
            steps: model.layers.iter().any(|l| l.activation == Activation::Step),
            interp,
        }
    }
    /// The same shape with other visibilities.
    pub fn with_visibility(self, visibility: Visibilities) -> Self {
        Self { visibility, ..self }
    }
    /// The same shape with range-check limbs of `bits` bits (`scale_bits`: the default).
    pub fn with_limb_bits(self, bits: u32) -> Self {
        Self { limb_bits: (bits != self.scale_bits).then_some(bits), ..self }
    }
    /// Width `L` of a range-check limb: `limb_bits`, else `scale_bits`.
    pub fn limb_bits(&self) -> u32 {
        self.limb_bits.unwrap_or(self.scale_bits)
    }
    /// Limbs `m = s·n / L` of a value (a rescaled value's range, a packed value).
    pub fn value_limbs(&self) -> usize {
        (self.packing_bits() / self.limb_bits().max(1)) as usize
    }
    /// Limbs `k = s / L` of a rescale's remainder (in `[0, 2^s)`).
    pub fn remainder_limbs(&self) -> usize {
        (self.scale_bits / self.limb_bits().max(1)) as usize
    }
    /// Rows of `z` a rescale row reads above itself: the value's limbs, the top limb's shifted
    /// copy and the remainder's limbs, `m + 1 + k` (`n + 2` with `L = s`).
    pub fn rescale_z_rows(&self) -> usize {
        self.value_limbs() + 1 + self.remainder_limbs()
    }
    /// What makes the limb width unusable (not in `2..=scale_bits`, or not dividing it and the
    /// interpolation's bits), if anything.
    pub fn limb_defect(&self) -> Option<String> {
        let (l, s) = (self.limb_bits(), self.scale_bits);
        let b = self.interp.map_or(s, |i| i.bits);
        (!(2..=s).contains(&l) || !s.is_multiple_of(l) || !b.is_multiple_of(l))
            .then(|| format!("limb_bits must divide scale_bits ({s}) and the interpolation bits ({b}), and be at least 2, got {l}"))
    }
    /// The widest limb width usable: `scale_bits`, or with interpolation its common divisor with
    /// the interpolation's bits.
    pub fn widest_limb_bits(&self) -> u32 {
        self.interp.map_or(self.scale_bits, |i| crate::quant::gcd(self.scale_bits, i.bits))
    }
    /// With interpolation, `(j, d)`: limbs of the input's low part `r` (`j = b / L`) and of the
    /// increment (`d = ⌈delta_bits / L⌉`); `(0, 0)` without.
    pub fn interp_limbs(&self) -> (usize, usize) {
        let l = self.limb_bits().max(1);
        self.interp.map_or((0, 0), |i| ((i.bits / l) as usize, i.delta_bits.div_ceil(l) as usize))
    }
    /// Rows of `z` a tabulated function's rescale row reads above itself: the rescale's, then
    /// with interpolation the `j + d` limbs of `u` ([`super::interp`]).
    pub fn function_z_rows(&self) -> usize {
        let (j, d) = self.interp_limbs();
        self.rescale_z_rows() + j + d
    }
    /// With interpolation, the `x` column holding `f1` on a function's rescale row: the first
    /// the rescale row leaves free (`x[2]`, or `x[3]` with hashed weights' bias cell in `x[2]`).
    pub fn f1_column(&self) -> usize {
        if self.hashed_weights() { 3 } else { 2 }
    }
    /// Bits of one packed value in a tensor commitment: the full value range, `s·n`.
    pub fn packing_bits(&self) -> u32 {
        self.scale_bits * self.range_limbs
    }
    /// Whether the commitment chips are configured (some tensor is hashed).
    pub fn hashes(&self) -> bool {
        self.visibility.any_input(Visibility::Hashed) || [self.visibility.output, self.visibility.weights].contains(&Visibility::Hashed)
    }
    /// Number of public instances: the model commitment, the binding, the input and the output
    /// (each: its values, its commitment, or nothing).
    pub fn num_instances(&self, model: &QuantModel) -> usize {
        2 + self.input_instances(model) + self.output_instances(model)
    }
    /// Public instances taken by the output.
    pub fn output_instances(&self, model: &QuantModel) -> usize {
        match self.visibility.output {
            Visibility::Public => model.output_len(),
            Visibility::Hashed => 1,
            Visibility::Private | Visibility::Fixed => 0,
        }
    }
    /// Public instances taken by the input: the public input values, then the commitment of
    /// the hashed ones (if any).
    pub fn input_instances(&self, model: &QuantModel) -> usize {
        self.input_wires(model).instances()
    }
    /// Which input wires are public, hashed and private.
    pub fn input_wires(&self, model: &QuantModel) -> InputWires {
        self.visibility.input_wires(&model.graph_input_sizes(), model.input_len())
    }
    /// The quantisation parameters the tables are computed with.
    pub fn params(&self) -> QuantParams {
        QuantParams { scale_bits: self.scale_bits, range_limbs: self.range_limbs, tables: self.tables, interp: self.interp }
    }
    /// The tabulated functions configured.
    pub fn tabulated(&self) -> Vec<Activation> {
        self.params().tabulated()
    }
    /// Rows the tabulated functions add to the lookup table: every function's domain.
    pub fn function_table_rows(&self) -> usize {
        self.params().function_table_rows()
    }
    /// Minimum `dot_width` the rescale row needs: sign and out (limbs live in `z`), with hashed
    /// weights the bias cell, and with interpolated tables the `f1` cell.
    pub fn min_dot_width(visibility: Visibilities, interp: bool) -> usize {
        let base = if visibility.weights == Visibility::Hashed { 3 } else { 2 };
        base + usize::from(interp)
    }
    /// Whether the weights are witness values under a commitment (public instance 0).
    pub fn hashed_weights(&self) -> bool {
        self.visibility.weights == Visibility::Hashed
    }
    /// Whether the fixed-weight dot-product chip is configured: fixed weights, or pinned layers.
    pub fn fixed_dot_products(&self) -> bool {
        !self.hashed_weights() || self.pinned
    }
    /// Number of `w` fixed columns: one per dot-product input with fixed weights (or pinned
    /// layers); with hashed weights only the two that carry the rows' constants.
    pub fn weight_columns(&self) -> usize {
        if !self.fixed_dot_products() {
            2
        } else {
            self.dot_width
        }
    }
    /// Number of advice columns (`x`, `acc`, `z`).
    pub fn advice_columns(&self) -> usize {
        self.dot_width + 2
    }
    /// Rows of the lookup table's limb entries (`[0, 2^L)`).
    pub fn limb_table_rows(&self) -> usize {
        1usize << self.limb_bits()
    }
    /// The value offset of function `a`'s table entries, `tag·2^(s·n)`: it keeps every function's
    /// entries apart from each other and from the limbs (values are below `2^(s·n−1)`).
    pub fn function_offset(&self, a: Activation) -> Fr {
        Fr::from(u64::from(a.tag())) * pow2(self.scale_bits * self.range_limbs)
    }
    /// The offset `C = 2^(s·n)` added to every tabulated `f(x)`, so that no function entry has a
    /// zero second component (the limb entries' one).
    pub fn function_output_offset(&self) -> Fr {
        pow2(self.scale_bits * self.range_limbs)
    }
    /// Number of rows the lookup table occupies (limb entries, then every function's domain).
    pub fn table_rows(&self) -> usize {
        self.limb_table_rows() + self.function_table_rows()
    }
}
