//! Choosing the fixed-point scale from the calibration samples (`zkinfer compile --target`), as
//! ezkl's `calibrate_settings` does: every candidate scale is compiled for real (its ranges,
//! tables and layout), its outputs on the samples are compared with the float model's, and the
//! target decides:
//! - [`CalibrationTarget::Accuracy`]: the smallest error (ties: the faster layout);
//! - [`CalibrationTarget::Resources`]: the fastest layout whose error is at most
//!   [`RESOURCES_SLACK`] times the best candidate's, or within 1% of the largest float output;
//! - [`CalibrationTarget::Balanced`] (what `compile --calibrate` does by default): the smallest
//!   error among the candidates at the default scale ([`DEFAULT_SCALE_BITS`]) or finer predicted
//!   to prove within [`BALANCED_TIME_SLACK`] times the default scale's time, or within
//!   [`BALANCED_FLOOR_S`], whichever is longer; the allowance doubles while that error is above
//!   [`usable_error`]. On the comparison corpus: a median 12x smaller error than the default
//!   scale at a median 2.1x its prove time (docs/comparison-coverage.md).
//!
//! Why there is a trade at all: a non-linear table covers its input range at the scale's
//! resolution, so every further bit of precision can double its rows, and with them the prove
//! time, until the table is large enough to be interpolated ([`crate::quant::Interp`]: then
//! `2^b` times fewer rows, for a few more rows per function output and up to a unit of error). (The range checks' limb table need not grow: the layout choice narrows limbs to a
//! divisor of the scale when the table would set `k`, [`crate::optimise`], at the price of taller
//! rescale rows.)
//!
//! A candidate that cannot compile (a table or range too large at that scale) is reported with
//! its reason and skipped.

use crate::compile::{compile, CompileOptions};
use crate::error::{ProverError, Result};
use std::path::Path;

/// What the scale choice optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalibrationTarget {
    /// The smallest error against the float model.
    Accuracy,
    /// The fastest proof whose error stays near the best.
    Resources,
    /// The smallest error within a prove-time allowance over the default scale's.
    Balanced,
}

/// Fixed-point fractional bits when nothing chooses them (no calibration samples, or a
/// `--scale-bits`).
pub const DEFAULT_SCALE_BITS: u32 = 8;

/// A balanced choice may take this many times the default scale's predicted prove time...
pub const BALANCED_TIME_SLACK: f64 = 2.0;

/// ... or this long (predicted seconds), whichever is longer.
pub const BALANCED_FLOOR_S: f64 = 1.0;

/// The scales tried by default: 2^6 to 2^16.
pub const DEFAULT_SCALES: std::ops::RangeInclusive<u32> = 6..=16;

/// A resources target accepts an error up to this many times the best candidate's.
pub const RESOURCES_SLACK: f64 = 2.0;

/// How one candidate scale did.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleCandidate {
    /// Fixed-point fractional bits.
    pub scale_bits: u32,
    /// Its measurements, or why it does not compile.
    pub outcome: std::result::Result<CandidateStats, String>,
}

/// A compiled candidate's measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateStats {
    /// The largest absolute difference from the float model over every output of every sample.
    pub max_abs_err: f64,
    /// The layout's predicted proving time (the cost model's), seconds.
    pub predicted_prove_s: f64,
    /// Its circuit's k.
    pub k: u32,
}

/// The choice and every candidate behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleChoice {
    /// The target it was made for.
    pub target: CalibrationTarget,
    /// The chosen scale bits.
    pub chosen: u32,
    /// Every candidate, in the order tried.
    pub candidates: Vec<ScaleCandidate>,
    /// The largest magnitude of the float model's outputs on the samples (to judge an error by).
    pub largest_output: f64,
}

impl ScaleChoice {
    /// The chosen candidate's measurements.
    pub fn chosen_stats(&self) -> Option<CandidateStats> {
        self.candidates.iter().find(|c| c.scale_bits == self.chosen).and_then(|c| c.outcome.as_ref().ok().copied())
    }
}

/// Tries every scale of `scales` with `opts` (its calibration samples, visibility and layout
/// goal; its scale bits are ignored) and chooses one for `target`; `progress` sees each
/// candidate as it is measured. Needs calibration samples and the float reference (tract) of
/// the model; not for accuracy circuits (their output is a count).
pub fn choose_scale(
    path: &Path,
    opts: &CompileOptions,
    target: CalibrationTarget,
    scales: std::ops::RangeInclusive<u32>,
    progress: &mut dyn FnMut(&ScaleCandidate),
) -> Result<ScaleChoice> {
    if opts.calibration.is_empty() {
        return Err(ProverError::BadSettings("choosing the scale needs calibration samples (--calibrate)".into()));
    }
    if opts.accuracy_samples.is_some() {
        return Err(ProverError::BadSettings("an accuracy circuit's output is a count: choose its scale with --scale-bits".into()));
    }
    let graph = crate::onnx::load(path)?;
    let floats = opts
        .calibration
        .iter()
        .enumerate()
        .map(|(i, x)| crate::reference::run_float(&graph, x).map_err(|e| ProverError::BadInput(format!("calibration sample {i}: the float reference is needed to choose the scale: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let largest = floats.iter().flatten().fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
    let mut candidates = Vec::new();
    for s in scales {
        let outcome = measure(path, opts, s, &floats).map_err(|e| e.to_string());
        let c = ScaleCandidate { scale_bits: s, outcome };
        progress(&c);
        candidates.push(c);
    }
    let ok: Vec<(u32, CandidateStats)> = candidates.iter().filter_map(|c| c.outcome.as_ref().ok().map(|st| (c.scale_bits, *st))).collect();
    let by_time = |a: &(u32, CandidateStats), b: &(u32, CandidateStats)| a.1.predicted_prove_s.total_cmp(&b.1.predicted_prove_s);
    let best = ok.iter().min_by(|a, b| a.1.max_abs_err.total_cmp(&b.1.max_abs_err).then_with(|| by_time(a, b)));
    let Some(best) = best else {
        let why: Vec<String> = candidates.iter().map(|c| format!("2^{}: {}", c.scale_bits, c.outcome.as_ref().err().map_or("", String::as_str))).collect();
        return Err(ProverError::BadSettings(format!("no scale compiles: {}", why.join("; "))));
    };
    let chosen = match target {
        CalibrationTarget::Accuracy => best.0,
        CalibrationTarget::Resources => {
            let bound = (best.1.max_abs_err * RESOURCES_SLACK).max(0.01 * largest);
            ok.iter().filter(|c| c.1.max_abs_err <= bound).min_by(|a, b| by_time(a, b).then(a.1.max_abs_err.total_cmp(&b.1.max_abs_err))).map_or(best.0, |c| c.0)
        }
        CalibrationTarget::Balanced => balanced(&ok, largest).unwrap_or(best.0),
    };
    Ok(ScaleChoice { target, chosen, candidates, largest_output: largest })
}

/// The error beyond which a candidate is not usable: 5% of the largest float output, at least
/// 0.05 (the corpus' tolerance; `compile` warns above it).
pub fn usable_error(largest_output: f64) -> f64 {
    (0.05 * largest_output).max(0.05)
}

/// The balanced choice among the candidates that compiled: only the default scale or finer (a
/// coarser scale can be exact on the samples and not on other inputs), unless none of those
/// compiles; the most accurate (ties: the faster) predicted to prove within
/// [`BALANCED_TIME_SLACK`] times the default scale's time (else the fastest's) or
/// [`BALANCED_FLOOR_S`]; while that one's error is above [`usable_error`], the allowance doubles.
fn balanced(ok: &[(u32, CandidateStats)], largest_output: f64) -> Option<u32> {
    let fine: Vec<(u32, CandidateStats)> = ok.iter().copied().filter(|c| c.0 >= DEFAULT_SCALE_BITS).collect();
    let pool = if fine.is_empty() { ok } else { &fine[..] };
    let by_time = |a: &&(u32, CandidateStats), b: &&(u32, CandidateStats)| a.1.predicted_prove_s.total_cmp(&b.1.predicted_prove_s);
    let reference = pool.iter().find(|c| c.0 == DEFAULT_SCALE_BITS).or_else(|| pool.iter().min_by(by_time))?;
    let slowest = pool.iter().max_by(by_time)?.1.predicted_prove_s;
    let mut allowance = (reference.1.predicted_prove_s * BALANCED_TIME_SLACK).max(BALANCED_FLOOR_S);
    loop {
        let best = pool
            .iter()
            .filter(|c| c.1.predicted_prove_s <= allowance)
            .min_by(|a, b| a.1.max_abs_err.total_cmp(&b.1.max_abs_err).then(a.1.predicted_prove_s.total_cmp(&b.1.predicted_prove_s)));
        match best {
            Some(b) if b.1.max_abs_err <= usable_error(largest_output) || allowance >= slowest => return Some(b.0),
            _ => allowance *= 2.0,
        }
    }
}

/// Compiles at `scale_bits` and measures the error on every sample against `floats`.
fn measure(path: &Path, opts: &CompileOptions, scale_bits: u32, floats: &[Vec<f32>]) -> Result<CandidateStats> {
    let c = compile(path, &CompileOptions { scale_bits, ..opts.clone() })?;
    let mut err = 0.0f64;
    for (x, want) in opts.calibration.iter().zip(floats) {
        let trace = c.model.forward(&c.model.quantise_input(x)?)?;
        let got = trace.output();
        if got.len() != want.len() {
            return Err(ProverError::BadInput(format!("{} outputs, the float model has {}", got.len(), want.len())));
        }
        for (g, w) in got.iter().zip(want) {
            err = err.max((c.model.params.dequantise(*g) - f64::from(*w)).abs());
        }
    }
    Ok(CandidateStats { max_abs_err: err, predicted_prove_s: c.layout.chosen.predicted_prove_s, k: c.plan.k })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(scale_bits: u32, max_abs_err: f64, predicted_prove_s: f64) -> (u32, CandidateStats) {
        (scale_bits, CandidateStats { max_abs_err, predicted_prove_s, k: 10 })
    }

    #[test]
    fn balanced_takes_the_most_accurate_within_the_allowance() {
        let b = |ok: &[(u32, CandidateStats)]| balanced(ok, 1.0);
        // 2^8 at 0.8 s: the allowance is 1.6 s; 2^11 (1.5 s) is the most accurate within it.
        let ok = [c(6, 0.1, 0.2), c(8, 0.01, 0.8), c(10, 0.002, 1.2), c(11, 0.001, 1.5), c(12, 0.0001, 3.0)];
        assert_eq!(b(&ok), Some(11));
        // A cheap default: the 1 s floor.
        let ok = [c(8, 0.01, 0.1), c(9, 0.005, 0.5), c(10, 0.003, 0.9), c(11, 0.001, 1.7)];
        assert_eq!(b(&ok), Some(10));
        // Equal errors: the faster.
        let ok = [c(8, 0.01, 0.1), c(9, 0.004, 0.5), c(10, 0.004, 0.3)];
        assert_eq!(b(&ok), Some(10));
        // Coarser than 2^8 only when nothing finer compiles, even when exact on the samples.
        let ok = [c(6, 0.0, 0.1), c(7, 0.0, 0.2), c(8, 0.0, 0.4), c(9, 0.0, 0.8)];
        assert_eq!(b(&ok), Some(8));
        let ok = [c(6, 0.05, 2.0), c(7, 0.02, 3.9)];
        assert_eq!(b(&ok), Some(7), "the fastest is the reference");
        assert_eq!(b(&[]), None);
    }

    #[test]
    fn balanced_doubles_the_allowance_while_the_error_is_not_usable() {
        // The credit pipeline: 2^8 is off by 0.55 (tolerance 0.05 here); 2^9 still 0.13; 2^10
        // (4.3x 2^8's time) is the first usable one, and is taken over the slower 2^12.
        let ok = [c(8, 0.55, 0.77), c(9, 0.13, 1.72), c(10, 0.017, 3.31), c(11, 0.073, 7.26), c(12, 0.007, 15.4)];
        assert_eq!(balanced(&ok, 1.0), Some(10));
        // Nothing usable at all: the most accurate of every candidate.
        let ok = [c(8, 0.9, 0.5), c(9, 0.6, 1.5), c(10, 0.3, 9.0)];
        assert_eq!(balanced(&ok, 0.2), Some(10));
        // A large output scales the tolerance: 0.55 of outputs near 20 is usable (tolerance 1.0).
        let ok = [c(8, 0.55, 0.77), c(9, 0.13, 1.72)];
        assert_eq!(balanced(&ok, 20.0), Some(8));
    }
}
