//! `compile`: ONNX file → IR → quantised model → sized circuit.

use crate::circuit::CircuitPlan;
use crate::error::{ProverError, Result};
use crate::ir::Graph;
use crate::ir::{Activation, LayerGraph};
use crate::quant::{Domain, Interp, QuantModel, QuantParams, Tables, MAX_TABLE_ENTRIES};
use std::path::Path;

/// Options of `compile`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileOptions {
    /// Fixed-point fractional bits.
    pub scale_bits: u32,
    /// Inputs per dot-product row; `None` chooses by the cost model ([`crate::optimise`]).
    pub dot_width: Option<usize>,
    /// Range-check limb width (a divisor of `scale_bits`); `None` chooses by the cost model
    /// ([`crate::optimise`]).
    pub limb_bits: Option<u32>,
    /// What the layout choice optimises besides proving time (a proof-size budget).
    pub goal: crate::optimise::LayoutGoal,
    /// Range limbs; `None` chooses from the calibration samples (with [`HEADROOM`]× headroom).
    pub range_limbs: Option<u32>,
    /// Sample inputs used to choose the range.
    pub calibration: Vec<Vec<f32>>,
    /// What proofs reveal of each tensor group (default: weights fixed, input hashed, output
    /// public).
    pub visibility: crate::visibility::Visibilities,
    /// Compile the accuracy circuit of the model over this many test samples
    /// ([`crate::accuracy`]) instead of one inference.
    pub accuracy_samples: Option<usize>,
    /// Function tables interpolated every `2^b` rescaled units ([`Interp`]): `None` chooses
    /// ([`QuantParams::choose_interp`]), `Some(0)` keeps them exact.
    pub interp_bits: Option<u32>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            scale_bits: 8,
            dot_width: None,
            limb_bits: None,
            range_limbs: None,
            calibration: Vec::new(),
            goal: crate::optimise::LayoutGoal::default(),
            visibility: crate::visibility::Visibilities::default(),
            accuracy_samples: None,
            interp_bits: None,
        }
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
    /// For an accuracy circuit, what it was built with.
    pub accuracy: Option<crate::accuracy::AccuracySpec>,
    /// The largest magnitude of any value of the calibration samples' fixed-point runs (inputs,
    /// rescaled values, outputs; [`QuantModel::max_abs`]), when there were samples.
    pub calibrated_max_abs: Option<i64>,
    /// How the graph was lowered (re-lowering the file for another weight set uses the same).
    pub lowering: crate::ir::LowerOptions,
}

/// Why no range was chosen: a function's table would be too large (which another lowering may
/// avoid), or anything else.
enum RangeFailure {
    TableTooLarge(Activation, ProverError),
    Other(ProverError),
}

impl RangeFailure {
    fn into_error(self) -> ProverError {
        match self {
            RangeFailure::TableTooLarge(_, e) | RangeFailure::Other(e) => e,
        }
    }
}

impl From<ProverError> for RangeFailure {
    fn from(e: ProverError) -> Self {
        RangeFailure::Other(e)
    }
}

/// Default number of range limbs without calibration data.
pub const DEFAULT_RANGE_LIMBS: u32 = 2;

/// Compiles an ONNX model.
pub fn compile(path: &Path, opts: &CompileOptions) -> Result<Compiled> {
    // The settings first: calibration divides by the scale bits and shifts by them.
    QuantParams { scale_bits: opts.scale_bits, range_limbs: opts.range_limbs.unwrap_or(DEFAULT_RANGE_LIMBS), tables: Tables::default(), interp: None }.validate()?;
    if opts.dot_width.is_some_and(|w| w > crate::limits::MAX_DOT_WIDTH) {
        return Err(ProverError::BadSettings(format!("dot_width must be at most {}", crate::limits::MAX_DOT_WIDTH)));
    }
    let graph = crate::onnx::load(path)?;
    let mut lowering = crate::ir::LowerOptions::default();
    let mut layers = graph.lower_with(&lowering)?;
    let (chosen_limbs, tables, interp, calibrated_max_abs) = match choose_ranges(&layers, opts) {
        // An additive mask (−10⁴) before a softmax: clamp the exp inputs, which changes no output.
        Err(RangeFailure::TableTooLarge(Activation::Exp, _)) => {
            lowering.clamp_exp = true;
            layers = graph.lower_with(&lowering)?;
            choose_ranges(&layers, opts).map_err(RangeFailure::into_error)?
        }
        other => other.map_err(RangeFailure::into_error)?,
    };
    let limbs = opts.range_limbs.unwrap_or(chosen_limbs);
    let params = QuantParams { scale_bits: opts.scale_bits, range_limbs: limbs, tables, interp };
    opts.visibility.validate()?;
    if opts.accuracy_samples.is_some() {
        crate::accuracy::check_visibility(&opts.visibility)?;
    }
    let visibility = opts.visibility.for_graph_inputs(graph.input_shapes.len().max(1))?;
    let mut model = QuantModel::from_layers(&layers, params)?;
    if opts.visibility.weights == crate::Visibility::Hashed {
        // Committed biases are at the weights' scale, and every committed value fits the packing.
        model = model.with_committed_biases().with_shared_weights_tied();
        model.check_committed_range(params.range_bits())?;
    }
    let base = model.clone();
    let (model, accuracy) = match opts.accuracy_samples {
        Some(n) => {
            let (m, spec) = crate::accuracy::accuracy_model(&model, n)?;
            (m, Some(spec))
        }
        None => (model, None),
    };
    if opts.dot_width == Some(0) {
        return Err(ProverError::BadSettings("dot_width must be at least 1".into()));
    }
    let layout = crate::optimise::choose_layout(&model, crate::optimise::Forced { dot_width: opts.dot_width, limb_bits: opts.limb_bits }, visibility, &crate::costmodel::CostModel::from_env()?, &opts.goal)?;
    let plan = layout.chosen.plan.clone();
    check_calibration(&base, &plan, accuracy.is_none(), opts)?;
    Ok(Compiled { graph, model, plan, layout, accuracy, calibrated_max_abs, lowering })
}

/// Runs every calibration sample through the compiled model as `prove` will (the fixed-point run
/// and, for an inference circuit, its public instances: a hashed input's packing), so that a
/// range too small for a sample (`--range-limbs`) fails the compile, naming the sample, the value
/// and the limbs that would hold it.
fn check_calibration(base: &QuantModel, plan: &CircuitPlan, inference: bool, opts: &CompileOptions) -> Result<()> {
    for (i, sample) in opts.calibration.iter().enumerate() {
        let at = |e: ProverError| ProverError::BadInput(format!("calibration sample {i}: {e}"));
        let q = base.quantise_input(sample).map_err(at)?;
        if inference {
            base.check_input_range(&q).map_err(at)?;
        }
        let trace = base.forward(&q).map_err(at)?;
        if inference {
            crate::circuit::ModelCircuit::instances(base, &plan.shape, &trace).map_err(at)?;
        }
    }
    Ok(())
}

/// Headroom of the chosen range over the calibration samples: the range holds every value of
/// every sample's fixed-point run times this.
pub const HEADROOM: i64 = 2;

/// Chooses the range limbs (smallest whose range holds [`HEADROOM`] times the largest value seen
/// on the samples' fixed-point runs: inputs, rescaled values and outputs, [`QuantModel::max_abs`]) and each function table's domain (the inputs seen on the samples with 2×
/// headroom, joined with a default core: ±4 for sigmoid, tanh, erf and gelu, −4..0 for exp).
/// Without samples: [`DEFAULT_RANGE_LIMBS`] and the default domains. An input outside a table at
/// prove time is an error before proving.
fn choose_ranges(layers: &LayerGraph, opts: &CompileOptions) -> std::result::Result<(u32, Tables, Option<Interp>, Option<i64>), RangeFailure> {
    let s = opts.scale_bits;
    let unit = 1i64 << s.min(30);
    let used: Vec<Activation> = Activation::TABULATED.into_iter().filter(|a| layers.layers.iter().any(|l| crate::quant::proven_activation(l.activation).0 == *a)).collect();
    let mut tables: Tables = [None; Activation::TABULATED.len()];
    if opts.calibration.is_empty() {
        for a in &used {
            tables[a.table_index().unwrap_or(0)] = Some(default_domain(*a, unit));
        }
        let interp = interpolate(tables, s, opts.range_limbs.unwrap_or(DEFAULT_RANGE_LIMBS), opts)?;
        return Ok((DEFAULT_RANGE_LIMBS, tables, interp, None));
    }
    // A probe with a wide range and unbounded tables records what the samples need.
    let mut wide_tables: Tables = [None; Activation::TABULATED.len()];
    for a in &used {
        wide_tables[a.table_index().unwrap_or(0)] = Some(Domain { lo: -(1 << 50), hi: 1 << 50 });
    }
    let wide = QuantParams { scale_bits: s, range_limbs: (60 / s).clamp(1, 8), tables: wide_tables, interp: None };
    let probe = QuantModel::from_layers(layers, wide)?;
    let mut max_abs = 0i64;
    let mut seen: [Option<(i64, i64)>; Activation::TABULATED.len()] = [None; Activation::TABULATED.len()];
    for (i, sample) in opts.calibration.iter().enumerate() {
        let q = probe.quantise_input(sample).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        let trace = probe.forward(&q).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: {e}")))?;
        max_abs = max_abs.max(QuantModel::max_abs(&trace));
        for (acc, new) in seen.iter_mut().zip(probe.table_inputs(&trace)) {
            *acc = match (*acc, new) {
                (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
                (x, None) => x,
                (None, y) => y,
            };
        }
    }
    let seen_max = max_abs;
    if opts.accuracy_samples.is_some() {
        // The accuracy circuit's input holds each label one-hot (1.0), and its scoring computes
        // `ℓ − y_k + e_k` from two answers and a label ([`crate::accuracy`]).
        max_abs = max_abs.saturating_mul(2).saturating_add(unit);
    }
    let need = i128::from(HEADROOM) * i128::from(max_abs.max(1));
    let limbs = (1..=8)
        .find(|l| (1i128 << (s * l - 1)) > need)
        .ok_or_else(|| ProverError::BadSettings(format!("values up to {max_abs} (x{HEADROOM} headroom) exceed the widest supported range: lower --scale-bits")))?;
    for a in &used {
        let i = a.table_index().unwrap_or(0);
        let core = default_core(*a, unit);
        let (lo, hi) = seen[i].unwrap_or_else(|| {
            let d = default_domain(*a, unit);
            (d.lo, d.hi)
        });
        let headroom = |v: i64, outward: bool| if (v < 0) == outward { v.saturating_mul(2) } else { v / 2 };
        let d = Domain { lo: headroom(lo, true).min(core.lo), hi: headroom(hi, false).max(core.hi) };
        // Beyond what any interpolation could bring under the bound (and cheap to evaluate).
        if d.len() as i64 > MAX_TABLE_ENTRIES << (s / 2 + 1) {
            return Err(too_large(*a, d.len(), &wide, d));
        }
        tables[i] = Some(d);
    }
    let interp = interpolate(tables, s, opts.range_limbs.unwrap_or(limbs), opts)?;
    Ok((limbs, tables, interp, Some(seen_max)))
}

/// The tables' interpolation (`opts.interp_bits`, else [`QuantParams::choose_interp`]), once
/// every table is known to fit [`MAX_TABLE_ENTRIES`] with it.
fn interpolate(tables: Tables, s: u32, range_limbs: u32, opts: &CompileOptions) -> std::result::Result<Option<Interp>, RangeFailure> {
    let exact = QuantParams { scale_bits: s, range_limbs, tables, interp: None };
    let interp = match opts.interp_bits {
        None => exact.choose_interp(),
        Some(0) => None,
        Some(b) => Some(exact.interp_at(b, false).ok_or_else(|| {
            ProverError::BadSettings(format!("interp_bits {b}: must be 0 (exact tables) or in 2..{s} sharing a divisor of at least 2 with scale_bits ({s})"))
        })?),
    };
    let p = QuantParams { interp, ..exact };
    for a in p.tabulated() {
        let d = p.domain(a).ok_or_else(|| ProverError::BadSettings(format!("no {} table", a.name())))?;
        if p.table_entries(d) as i64 > MAX_TABLE_ENTRIES {
            return Err(too_large(a, p.table_entries(d), &p, d));
        }
    }
    Ok(interp)
}

/// A function's table over `d` would need `entries` rows, above [`MAX_TABLE_ENTRIES`].
fn too_large(a: Activation, entries: usize, p: &QuantParams, d: Domain) -> RangeFailure {
    RangeFailure::TableTooLarge(a, ProverError::BadSettings(format!(
        "the {} table would need {entries} entries to cover {}..{} (the calibration inputs with 2x headroom, and its default core); at most {MAX_TABLE_ENTRIES} are supported: lower --scale-bits",
        a.name(),
        p.dequantise(d.lo),
        p.dequantise(d.hi)
    )))
}

/// The part of a function's domain always covered, whatever the samples: ±4 for most functions,
/// −4..0 for exp, ±1 for asin, acos and atanh, 1..4 for acosh; 0 for 1/√x, √x and ln (their
/// domains run from 0 to twice the largest input seen: a variance can come arbitrarily close to
/// 0); nothing below for 1/x, whose domain runs from half the smallest input seen (0 if it was 0):
/// it is steep near 0, so a table reaching 0 can be neither coarse (interpolated) nor small, and
/// its usual inputs stay away from 0 (a softmax's sum is at least 1, softsign's `1 + |x|` too).
fn default_core(a: Activation, unit: i64) -> Domain {
    match a {
        Activation::Exp => Domain { lo: -4 * unit, hi: 0 },
        Activation::Recip => Domain { lo: i64::MAX, hi: 0 },
        Activation::Rsqrt | Activation::Sqrt | Activation::Log => Domain { lo: 0, hi: 0 },
        Activation::Asin | Activation::Acos | Activation::Atanh => Domain { lo: -unit, hi: unit },
        Activation::Acosh => Domain { lo: unit, hi: 4 * unit },
        _ => Domain { lo: -4 * unit, hi: 4 * unit },
    }
}

/// The domain without calibration samples: the core, and 0..16 for 1/x, 1/√x, √x and ln.
fn default_domain(a: Activation, unit: i64) -> Domain {
    match a {
        Activation::Recip | Activation::Rsqrt | Activation::Sqrt | Activation::Log => Domain { lo: 0, hi: 16 * unit },
        Activation::Exp => Domain { lo: -8 * unit, hi: unit },
        _ => default_core(a, unit),
    }
}
