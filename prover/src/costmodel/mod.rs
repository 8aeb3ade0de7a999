//! A measured prover cost model: predicted proving seconds for a [`CircuitPlan`].
//!
//! # What is measured
//! [`measure`] proves a [`synthetic`] circuit that fills every usable row of a `2^k` domain, on a
//! small grid of (advice columns `A`, fixed columns `F`, lookups `L`) per `k`, and keeps the
//! fastest of a few proofs per point, taken in rounds over the grid (noise from other processes
//! only ever adds time, and a burst of it spoils one round, not one point). A proof during which
//! other processes used more than 10% of the machine's CPU (`/proc/stat`) is retimed, up to four
//! times, each after waiting (at most four minutes per measurement in all) for the machine to go
//! quiet; a point never timed quietly is kept (its fastest proof) but marked `contended`.
//!
//! # The formula fitted
//! A halo2 proof commits to every advice column and to three polynomials per lookup (permuted
//! input, permuted table, product), each an MSM of size `2^k`; and it moves every column through
//! FFTs over the extended domain `2^k · ext(d)` (`ext(d) = 2^⌈log2(d − 1)⌉`, 4 at our degree 5)
//! to build the quotient. Both grow linearly in the column and lookup counts at a fixed `k`, so
//! per measured `k`:
//! ```text
//! prove_s(k, A, F, L) = base(k) + adv(k)·A + fix(k)·F + look(k)·L
//! ```
//! fitted by least squares over that `k`'s grid points, with every coefficient kept ≥ 0 (a
//! coefficient the noise drives negative is fixed at 0 and the rest refitted). `A`, `F` and `L`
//! are counted by the constraint system exactly as [`crate::circuit::plan`] counts them (fixed
//! columns include lookup-table columns, not selectors).
//!
//! For a `k` that was not measured, the coefficients of the nearest measured `k₀` are scaled by
//! `(2^k · k) / (2^k₀ · k₀)` (MSM and FFT work both grow as `n log n`). For a circuit of degree
//! `d` other than the measured degree `d₀`, the column and lookup terms are scaled by
//! `ext(d) / ext(d₀)` (their FFT share dominates; the base is left alone).
//!
//! # Accuracy
//! The synthetic witness is small non-negative values in every row. A model's circuit leaves rows
//! empty (zeros: cheap commitments) but holds negative values (full-width field elements: dear
//! commitments); the two roughly cancel. Predicted / measured on the development machine (quiet):
//! mlp_small (k 9) 1.08, cnn_small (k 10) 1.02, mnist_mlp at width 8 (k 14) 0.99 and at width 13
//! (k 13) 0.88. A witness of signed bytes (half of them full-width) over-predicted by 1.4–1.8×.

mod measure;
pub mod synthetic;

pub use measure::{measure, repeats, synthetic_min_k, wait_for_quiet, MeasureEvent, GRID};

use crate::circuit::CircuitPlan;
use crate::error::{ProverError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
#[cfg(test)]
use synthetic::SyntheticCircuit;

/// Version of the cost-model file format.
pub const COST_MODEL_VERSION: u32 = 1;
/// Environment variable naming a cost-model file that replaces the builtin one.
pub const COST_MODEL_ENV: &str = "ZKINFER_COST_MODEL";
const BUILTIN: &str = include_str!("../../../docs/cost-model.json");

/// The machine a model was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name (`/proc/cpuinfo`), or "unknown".
    pub cpu: String,
    /// Threads available to the prover.
    pub threads: usize,
    /// `os-arch`.
    pub os: String,
    /// Unix time of the measurement.
    pub measured_unix_s: u64,
}

impl Machine {
    /// This machine, now.
    pub fn this() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
            .unwrap_or_else(|| "unknown".into());
        Self {
            cpu,
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            measured_unix_s: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        }
    }
}

/// One measured proof (the fastest of `repeats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// log2 rows.
    pub k: u32,
    /// Advice columns.
    pub advice: usize,
    /// Fixed columns.
    pub fixed: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Proofs timed.
    pub repeats: usize,
    /// Fastest proving time, seconds (of the proofs timed while the machine was otherwise quiet).
    pub prove_s: f64,
    /// No proof of this point was timed on a quiet machine (others kept > 10% of the CPU busy).
    #[serde(default)]
    pub contended: bool,
    /// Least share of the machine's CPU time other processes used during a proof of this point.
    #[serde(default)]
    pub others_cpu_share: f64,
}

/// Fitted unit costs at one `k`, seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KCost {
    /// log2 rows.
    pub k: u32,
    /// Seconds independent of the column counts.
    pub base_s: f64,
    /// Seconds per advice column.
    pub advice_s: f64,
    /// Seconds per fixed column.
    pub fixed_s: f64,
    /// Seconds per lookup argument.
    pub lookup_s: f64,
    /// Root-mean-square relative error of the fit on this `k`'s samples.
    pub rms_rel_err: f64,
}

impl KCost {
    fn eval(&self, advice: f64, fixed: f64, lookups: f64, column_scale: f64) -> f64 {
        self.base_s + column_scale * (self.advice_s * advice + self.fixed_s * fixed + self.lookup_s * lookups)
    }
}

/// Measured per-`k` unit costs of proving on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    /// [`COST_MODEL_VERSION`].
    pub version: u32,
    /// Where it was measured.
    pub machine: Machine,
    /// What was proven (for the record).
    pub method: String,
    /// Constraint degree of the measured circuits.
    pub degree: usize,
    /// Fitted coefficients, ascending `k`.
    pub per_k: Vec<KCost>,
    /// The measurements the fit came from.
    pub samples: Vec<Sample>,
}

/// Extended-domain factor of a constraint degree: `2^⌈log2(d − 1)⌉`.
pub fn extension(degree: usize) -> f64 {
    let d = degree.max(2) - 1;
    d.next_power_of_two() as f64
}

impl CostModel {
    /// The model measured on the development machine and committed as `docs/cost-model.json`.
    pub fn builtin() -> Result<Self> {
        Self::parse(BUILTIN, Path::new("docs/cost-model.json"))
    }

    /// `$ZKINFER_COST_MODEL` if set, else [`CostModel::builtin`].
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(COST_MODEL_ENV) {
            Some(p) => Self::load(Path::new(&p)),
            None => Self::builtin(),
        }
    }

    /// Reads a cost-model file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::limits::read_text(path, crate::limits::MAX_SMALL_JSON_BYTES)?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self> {
        let bad = |message: String| ProverError::Artifact { path: path.to_path_buf(), message };
        let m: Self = serde_json::from_str(text).map_err(|e| bad(format!("not a cost model: {e}")))?;
        if m.version != COST_MODEL_VERSION {
            return Err(bad(format!("cost model version {} (this build reads {COST_MODEL_VERSION}); re-run `zkinfer costmodel`", m.version)));
        }
        if m.per_k.is_empty() {
            return Err(bad("cost model has no measured k".into()));
        }
        m.check().map_err(|(field, message)| ProverError::invalid(path, field, message))?;
        Ok(m)
    }

    /// What a loaded model must satisfy for [`CostModel::predict_counts`] to be meaningful: a
    /// constraint degree in `2..=64`, every `k` in `1..=MAX_K` (ascending, distinct), every
    /// coefficient finite and non-negative.
    fn check(&self) -> std::result::Result<(), (String, String)> {
        if !(2..=64).contains(&self.degree) {
            return Err(("degree".into(), format!("{} is not a constraint degree in 2..=64", self.degree)));
        }
        let mut last = 0;
        for (i, c) in self.per_k.iter().enumerate() {
            if c.k <= last || c.k > crate::circuit::MAX_K {
                return Err((format!("per_k[{i}].k"), format!("{} is not in {}..={} (ascending)", c.k, last + 1, crate::circuit::MAX_K)));
            }
            last = c.k;
            if ![c.base_s, c.advice_s, c.fixed_s, c.lookup_s].iter().all(|v| v.is_finite() && *v >= 0.0) {
                return Err((format!("per_k[{i}]"), "every coefficient is a finite number of seconds, at least 0".into()));
            }
        }
        Ok(())
    }

    /// Writes the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| ProverError::BadSettings(format!("cost model: {e}")))?;
        std::fs::write(path, text + "\n").map_err(|e| ProverError::io(path, e))
    }

    /// Fits a model to samples (see the module docs for the formula).
    pub fn fit(machine: Machine, degree: usize, mut samples: Vec<Sample>) -> Result<Self> {
        samples.sort_by_key(|s| s.k);
        let mut ks: Vec<u32> = samples.iter().map(|s| s.k).collect();
        ks.sort_unstable();
        ks.dedup();
        let per_k = ks.iter().map(|&k| fit_k(k, &samples)).collect::<Result<Vec<_>>>()?;
        if per_k.is_empty() {
            return Err(ProverError::BadSettings("no samples to fit a cost model to".into()));
        }
        let method = "fastest of n SHPLONK proofs of the synthetic circuit (prover::costmodel::synthetic) filling 2^k rows; per k least squares (coefficients >= 0) of prove_s = base + advice_s*A + fixed_s*F + lookup_s*L".to_string();
        Ok(Self { version: COST_MODEL_VERSION, machine, method, degree, per_k, samples })
    }

    /// Predicted seconds to prove a circuit of `k` with these counts at constraint degree `degree`.
    pub fn predict_counts(&self, k: u32, advice: usize, fixed: usize, lookups: usize, degree: usize) -> f64 {
        // Nearest measured k (ties to the larger), scaled by 2^k·k.
        let Some(c) = self.per_k.iter().min_by_key(|c| (c.k.abs_diff(k), std::cmp::Reverse(c.k))) else {
            return f64::NAN;
        };
        let work = |k: u32| 2f64.powi(k as i32) * f64::from(k.max(1));
        let scale = work(k) / work(c.k);
        let column_scale = extension(degree) / extension(self.degree);
        scale * c.eval(advice as f64, fixed as f64, lookups as f64, column_scale)
    }

    /// Predicted seconds to prove `plan`.
    pub fn predict(&self, plan: &CircuitPlan) -> f64 {
        self.predict_counts(plan.k, plan.advice_columns, plan.fixed_columns, plan.lookups, plan.degree)
    }

    /// Measured range of k.
    pub fn k_range(&self) -> Option<(u32, u32)> {
        Some((self.per_k.first()?.k, self.per_k.last()?.k))
    }
}

/// Least squares of `y ≈ X·b` with every `b_i ≥ 0` (active set: drop the most negative, refit).
fn nonneg_least_squares(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let n = x.first()?.len();
    let mut active: Vec<usize> = (0..n).collect();
    loop {
        let m = active.len();
        // Normal equations on the active columns.
        let mut a = vec![vec![0.0; m + 1]; m];
        for (row, yv) in x.iter().zip(y) {
            for (i, &ci) in active.iter().enumerate() {
                for (j, &cj) in active.iter().enumerate() {
                    a[i][j] += row[ci] * row[cj];
                }
                a[i][m] += row[ci] * yv;
            }
        }
        let sol = solve(a)?;
        let worst = sol.iter().enumerate().filter(|(_, v)| **v < 0.0).min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
        match worst {
            Some(i) => {
                active.remove(i);
            }
            None => {
                let mut b = vec![0.0; n];
                for (i, &c) in active.iter().enumerate() {
                    b[c] = sol[i];
                }
                return Some(b);
            }
        }
    }
}

/// Gaussian elimination with partial pivoting on an augmented `m × (m+1)` matrix.
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let m = a.len();
    for col in 0..m {
        let piv = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        let scale = a.iter().map(|r| r[col].abs()).fold(0.0, f64::max);
        if a[piv][col].abs() <= 1e-12 * scale.max(1e-300) {
            return None;
        }
        a.swap(col, piv);
        for r in 0..m {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col].clone();
                for (v, p) in a[r].iter_mut().zip(&pivot_row).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    Some((0..m).map(|i| a[i][m] / a[i][i]).collect())
}

fn fit_k(k: u32, samples: &[Sample]) -> Result<KCost> {
    let pts: Vec<&Sample> = samples.iter().filter(|s| s.k == k).collect();
    let x: Vec<Vec<f64>> = pts.iter().map(|s| vec![1.0, s.advice as f64, s.fixed as f64, s.lookups as f64]).collect();
    let y: Vec<f64> = pts.iter().map(|s| s.prove_s).collect();
    let b = nonneg_least_squares(&x, &y)
        .ok_or_else(|| ProverError::BadSettings(format!("k = {k}: the measured grid does not determine the cost coefficients")))?;
    let mut c = KCost { k, base_s: b[0], advice_s: b[1], fixed_s: b[2], lookup_s: b[3], rms_rel_err: 0.0 };
    let sq: f64 = pts.iter().map(|s| ((c.eval(s.advice as f64, s.fixed as f64, s.lookups as f64, 1.0) - s.prove_s) / s.prove_s).powi(2)).sum();
    c.rms_rel_err = (sq / pts.len() as f64).sqrt();
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples_from(truth: &[(u32, [f64; 4])]) -> Vec<Sample> {
        let mut v = Vec::new();
        for (k, [b, a, f, l]) in truth {
            for s in GRID {
                let cs = SyntheticCircuit::constraint_system(s);
                let (na, nf, nl) = (cs.num_advice_columns(), cs.num_fixed_columns(), cs.lookups().len());
                let t = b + a * na as f64 + f * nf as f64 + l * nl as f64;
                v.push(Sample { k: *k, advice: na, fixed: nf, lookups: nl, repeats: 1, prove_s: t, contended: false, others_cpu_share: 0.0 });
            }
        }
        v
    }

    fn machine() -> Machine {
        Machine { cpu: "test".into(), threads: 1, os: "test".into(), measured_unix_s: 0 }
    }

    #[test]
    fn fit_recovers_known_coefficients() {
        let truth = [(10, [0.05, 0.011, 0.002, 0.017]), (11, [0.09, 0.023, 0.004, 0.031])];
        let m = CostModel::fit(machine(), 5, samples_from(&truth)).unwrap();
        assert_eq!(m.per_k.len(), 2);
        for (c, (k, [b, a, f, l])) in m.per_k.iter().zip(truth) {
            assert_eq!(c.k, k);
            for (got, want) in [(c.base_s, b), (c.advice_s, a), (c.fixed_s, f), (c.lookup_s, l)] {
                assert!((got - want).abs() < 1e-9, "k={k}: got {got}, want {want}");
            }
            assert!(c.rms_rel_err < 1e-9);
        }
    }

    #[test]
    fn fit_keeps_coefficients_nonnegative() {
        // Fixed columns "cost" negative time in the data: the fit pins that coefficient at 0.
        let m = CostModel::fit(machine(), 5, samples_from(&[(12, [0.2, 0.03, -0.004, 0.05])])).unwrap();
        let c = &m.per_k[0];
        assert_eq!(c.fixed_s, 0.0);
        assert!(c.base_s > 0.0 && c.advice_s > 0.0 && c.lookup_s > 0.0);
    }

    #[test]
    fn prediction_interpolates_and_extrapolates_by_n_log_n() {
        let m = CostModel::fit(machine(), 5, samples_from(&[(10, [0.1, 0.01, 0.001, 0.02]), (12, [0.4, 0.04, 0.004, 0.08])])).unwrap();
        let at10 = m.predict_counts(10, 9, 10, 3, 5);
        assert!((at10 - (0.1 + 0.09 + 0.01 + 0.06)).abs() < 1e-9);
        // k = 14 from k = 12: × 4 · 14/12.
        let at12 = m.predict_counts(12, 9, 10, 3, 5);
        assert!((m.predict_counts(14, 9, 10, 3, 5) - at12 * 4.0 * 14.0 / 12.0).abs() < 1e-9);
        // k = 11 is equidistant: scaled down from 12.
        assert!((m.predict_counts(11, 9, 10, 3, 5) - at12 * 0.5 * 11.0 / 12.0).abs() < 1e-9);
        // Higher degree: bigger extended domain, more expensive.
        assert!(m.predict_counts(10, 9, 10, 3, 9) > at10);
        assert_eq!(extension(5), 4.0);
        assert_eq!(extension(3), 2.0);
    }

    #[test]
    fn singular_grid_is_an_error() {
        let s = Sample { k: 10, advice: 3, fixed: 2, lookups: 1, repeats: 1, prove_s: 1.0, contended: false, others_cpu_share: 0.0 };
        assert!(CostModel::fit(machine(), 5, vec![s.clone(), s]).is_err());
    }

    #[test]
    fn builtin_model_parses_and_is_sane() {
        let m = CostModel::builtin().unwrap();
        assert_eq!(m.version, COST_MODEL_VERSION);
        assert_eq!(m.degree, SyntheticCircuit::constraint_system(GRID[0]).degree());
        assert!(!m.per_k.is_empty());
        // More columns never predict less time; bigger k costs more.
        let (lo, hi) = m.k_range().unwrap();
        for k in lo..=hi {
            assert!(m.predict_counts(k, 10, 10, 3, 5) >= m.predict_counts(k, 6, 10, 3, 5));
            assert!(m.predict_counts(k + 1, 6, 10, 3, 5) > m.predict_counts(k, 6, 10, 3, 5));
        }
        // Bad versions are refused.
        let mut text = serde_json::to_value(&m).unwrap();
        text["version"] = 99.into();
        assert!(CostModel::parse(&text.to_string(), Path::new("x.json")).is_err());
    }
}
