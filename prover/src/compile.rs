//! `compile`: ONNX file → IR → quantised model → sized circuit.

use crate::circuit::{plan, CircuitPlan, CircuitShape};
use crate::error::{ProverError, Result};
use crate::ir::Graph;
use crate::quant::{QuantModel, QuantParams};
use std::path::Path;

/// Options of `compile`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileOptions {
    /// Fixed-point fractional bits.
    pub scale_bits: u32,
    /// Inputs per dot-product row.
    pub dot_width: usize,
    /// Range limbs; `None` chooses from the calibration inputs (with 2× headroom).
    pub range_limbs: Option<u32>,
    /// Sample inputs used to choose the range.
    pub calibration: Vec<Vec<f32>>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self { scale_bits: 8, dot_width: 8, range_limbs: None, calibration: Vec::new() }
    }
}

/// A compiled model.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The IR graph.
    pub graph: Graph,
    /// The quantised model.
    pub model: QuantModel,
    /// Circuit size and shape.
    pub plan: CircuitPlan,
}

/// Default number of range limbs without calibration data.
pub const DEFAULT_RANGE_LIMBS: u32 = 2;

/// Compiles an ONNX model.
pub fn compile(path: &Path, opts: &CompileOptions) -> Result<Compiled> {
    let graph = crate::onnx::load(path)?;
    let layers = graph.lower()?;
    let limbs = match opts.range_limbs {
        Some(l) => l,
        None => choose_limbs(&layers, opts)?,
    };
    let params = QuantParams { scale_bits: opts.scale_bits, range_limbs: limbs };
    let model = QuantModel::from_layers(&layers, params)?;
    for (i, sample) in opts.calibration.iter().enumerate() {
        let q = model.quantise_input(sample).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        model.forward(&q)?;
    }
    if opts.dot_width == 0 {
        return Err(ProverError::BadSettings("dot_width must be at least 1".into()));
    }
    let shape = CircuitShape { dot_width: opts.dot_width, scale_bits: params.scale_bits, range_limbs: params.range_limbs };
    let plan = plan(&model, shape)?;
    Ok(Compiled { graph, model, plan })
}

/// Smallest limb count whose range holds twice the largest rescaled value on the samples.
fn choose_limbs(layers: &[crate::ir::Layer], opts: &CompileOptions) -> Result<u32> {
    if opts.calibration.is_empty() {
        return Ok(DEFAULT_RANGE_LIMBS);
    }
    let wide = QuantParams { scale_bits: opts.scale_bits, range_limbs: (60 / opts.scale_bits).max(1) };
    let probe = QuantModel::from_layers(layers, wide)?;
    let mut max_abs = 0i64;
    for (i, sample) in opts.calibration.iter().enumerate() {
        let q = probe.quantise_input(sample).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        max_abs = max_abs.max(QuantModel::max_abs(&probe.forward(&q)?));
    }
    let need = 2 * i128::from(max_abs.max(1));
    (1..=8)
        .find(|l| (1i128 << (opts.scale_bits * l - 1)) > need)
        .ok_or_else(|| ProverError::BadSettings(format!("values up to {max_abs} exceed the widest supported range")))
}
