//! `compile`: ONNX file → IR → quantised model → sized circuit.

use crate::circuit::CircuitPlan;
use crate::error::{ProverError, Result};
use crate::ir::Graph;
use crate::quant::{QuantModel, QuantParams, MAX_LOOKUP_BITS};
use std::path::Path;

/// Options of `compile`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileOptions {
    /// Fixed-point fractional bits.
    pub scale_bits: u32,
    /// Inputs per dot-product row; `None` chooses by the cost model ([`crate::optimise`]).
    pub dot_width: Option<usize>,
    /// Range limbs; `None` chooses from the calibration inputs (with 2× headroom).
    pub range_limbs: Option<u32>,
    /// Sample inputs used to choose the range.
    pub calibration: Vec<Vec<f32>>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self { scale_bits: 8, dot_width: None, range_limbs: None, calibration: Vec::new() }
    }
}

/// A compiled model.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The IR graph.
    pub graph: Graph,
    /// The quantised model.
    pub model: QuantModel,
    /// Circuit size and shape (= `layout.chosen.plan`).
    pub plan: CircuitPlan,
    /// The layout chosen and the alternatives it beat.
    pub layout: crate::optimise::LayoutChoice,
}

/// Default number of range limbs without calibration data.
pub const DEFAULT_RANGE_LIMBS: u32 = 2;

/// Compiles an ONNX model.
pub fn compile(path: &Path, opts: &CompileOptions) -> Result<Compiled> {
    let graph = crate::onnx::load(path)?;
    let layers = graph.lower()?;
    let (chosen_limbs, lookup_bits) = choose_ranges(&layers, opts)?;
    let limbs = opts.range_limbs.unwrap_or(chosen_limbs);
    let params = QuantParams { scale_bits: opts.scale_bits, range_limbs: limbs, lookup_bits };
    let model = QuantModel::from_layers(&layers, params)?;
    for (i, sample) in opts.calibration.iter().enumerate() {
        let q = model.quantise_input(sample).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        model.forward(&q)?;
    }
    if opts.dot_width == Some(0) {
        return Err(ProverError::BadSettings("dot_width must be at least 1".into()));
    }
    let layout = crate::optimise::choose_layout(&model, opts.dot_width, &crate::costmodel::CostModel::from_env()?)?;
    let plan = layout.chosen.plan.clone();
    Ok(Compiled { graph, model, plan, layout })
}

/// Chooses the range limbs (smallest whose range holds twice the largest rescaled value seen on
/// the samples) and the function-table width (smallest covering twice the largest input of a
/// sigmoid/tanh seen, and at least ±4 in real terms). Without samples: [`DEFAULT_RANGE_LIMBS`]
/// and the ±4 table. Inputs outside the table at prove time are an error before proving.
fn choose_ranges(layers: &[crate::ir::Layer], opts: &CompileOptions) -> Result<(u32, u32)> {
    let s = opts.scale_bits;
    let uses_tables = layers.iter().any(|l| l.activation.is_tabulated());
    // 2^(t-1) - 2 ≥ 4 · 2^s - 2  ⇐  t = s + 3
    let min_lookup = if uses_tables { (s + 3).min(MAX_LOOKUP_BITS) } else { 0 };
    if opts.calibration.is_empty() {
        return Ok((DEFAULT_RANGE_LIMBS, min_lookup));
    }
    let wide = QuantParams { scale_bits: s, range_limbs: (60 / s).max(1), lookup_bits: if uses_tables { MAX_LOOKUP_BITS } else { 0 } };
    let probe = QuantModel::from_layers(layers, wide)?;
    let (mut max_abs, mut max_tab) = (0i64, 0i64);
    for (i, sample) in opts.calibration.iter().enumerate() {
        let q = probe.quantise_input(sample).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        let trace = probe.forward(&q).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        max_abs = max_abs.max(QuantModel::max_abs(&trace));
        max_tab = max_tab.max(probe.max_abs_tabulated(&trace));
    }
    let need = 2 * i128::from(max_abs.max(1));
    let limbs = (1..=8)
        .find(|l| (1i128 << (s * l - 1)) > need)
        .ok_or_else(|| ProverError::BadSettings(format!("values up to {max_abs} exceed the widest supported range")))?;
    let lookup = if uses_tables {
        (min_lookup..=MAX_LOOKUP_BITS)
            .find(|t| (1i64 << (t - 1)) - 2 >= 2 * max_tab)
            .ok_or_else(|| ProverError::BadSettings(format!("sigmoid/tanh inputs up to {} need a table wider than 2^{MAX_LOOKUP_BITS}", wide.dequantise(max_tab))))?
    } else {
        0
    };
    Ok((limbs, lookup))
}
