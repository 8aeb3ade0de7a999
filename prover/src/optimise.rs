//! Layout choice: size every candidate layout with the real layout code's dry run
//! ([`crate::circuit::plan`]), predict its proving time with the measured [`CostModel`], keep the
//! fastest.
//!
//! Two knobs are varied:
//! - `dot_width` (the number of `x` advice columns), from the rescale row's minimum
//!   ([`CircuitShape::min_dot_width`]) to [`MAX_DOT_WIDTH`]: wider rows need fewer rows (smaller
//!   `k`) but commit more columns;
//! - the range-check limb width `L` ([`CircuitShape::limb_bits`]), a divisor of `scale_bits` of
//!   at least [`MIN_LIMB_BITS`]: the limb table is `2^L` rows, and every rescale row's
//!   decomposition takes `s·n/L + 1 + s/L` rows of `z` above it. At a fine scale the table
//!   (`2^s` rows at `L = s`) is what sets `k`; narrower limbs trade it for taller rescale rows.
//!   Every width is tried at `L = s`, then every other `L` at the best width and its two
//!   neighbours (the best width barely moves with `L`).
//!
//! The other fields of [`CircuitShape`] are not free: `scale_bits` changes the arithmetic,
//! `range_limbs` and the table domains come from calibration and can only grow (costing more),
//! and `products` is the model's.
//!
//! Ties in predicted time go to fewer advice columns (smaller proofs, cheaper verification gas),
//! then to wider limbs (fewer queries). Budgets ([`LayoutGoal`]) come first: a proof size (3 KB by
//! default, exact: [`CircuitPlan::proof_bytes`]) and an on-chain verification gas (350k by
//! default, predicted from the constraint system: [`CircuitPlan::predicted_verify_gas`]). The
//! fastest layout within both wins; when none is, the fastest within the proof budget (a model
//! whose public inputs alone exceed the gas budget gains nothing from a slower layout), then the
//! fastest overall.

use crate::circuit::{plan, CircuitPlan, CircuitShape};
use crate::costmodel::CostModel;
use crate::error::{ProverError, Result};
use crate::quant::QuantModel;
use crate::visibility::Visibilities;
use serde::{Deserialize, Serialize};

/// Widest `dot_width` considered (unless the minimum is wider).
pub const MAX_DOT_WIDTH: usize = 16;

/// One sized layout and its predicted proving time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The dry run's result.
    pub plan: CircuitPlan,
    /// Predicted proving seconds on the cost model's machine.
    pub predicted_prove_s: f64,
}

/// The chosen layout and the alternatives it beat (ascending predicted time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutChoice {
    /// The layout used.
    pub chosen: Candidate,
    /// Every other candidate.
    pub alternatives: Vec<Candidate>,
    /// `dot_width` was forced by the caller rather than chosen by prediction.
    pub forced: bool,
    /// The limb width was forced by the caller (`--limb-bits`).
    #[serde(default)]
    pub forced_limb_bits: bool,
    /// The budgets the choice was made under.
    #[serde(default)]
    pub goal: LayoutGoal,
    /// The widths that could not be laid out at all (e.g. more rows than the largest `k`), with
    /// the reason.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// A `dot_width` (at a limb width) with no layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The width tried.
    pub dot_width: usize,
    /// The limb width tried (`None`: `scale_bits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limb_bits: Option<u32>,
    /// Why it has no layout (the dry run's error).
    pub reason: String,
}

impl LayoutChoice {
    /// Why `alt` (an alternative) was not chosen: the budgets it exceeds, by how much, or, within
    /// them, that it is predicted slower (or as fast with more columns) or the width was forced.
    pub fn rejection(&self, alt: &Candidate) -> String {
        let mut over = Vec::new();
        if let Some(m) = self.goal.max_proof_bytes.filter(|m| alt.plan.proof_bytes > *m) {
            over.push(format!("proof {} B > --max-proof-bytes {m}", alt.plan.proof_bytes));
        }
        if let Some(g) = self.goal.max_verify_gas.filter(|g| alt.plan.predicted_verify_gas > *g) {
            over.push(format!("verify gas {} > --max-verify-gas {g}", alt.plan.predicted_verify_gas));
        }
        if !over.is_empty() {
            return format!("over budget: {}", over.join(", "));
        }
        if self.forced && alt.plan.shape.dot_width != self.chosen.plan.shape.dot_width {
            return "not the --dot-width".into();
        }
        if self.forced_limb_bits && alt.plan.shape.limb_bits() != self.chosen.plan.shape.limb_bits() {
            return "not the --limb-bits".into();
        }
        if self.goal.over_budget(&self.chosen) {
            return "within the budgets but ranked lower".into();
        }
        if alt.predicted_prove_s > self.chosen.predicted_prove_s {
            format!("slower (+{:.2} s)", alt.predicted_prove_s - self.chosen.predicted_prove_s)
        } else if alt.plan.advice_columns > self.chosen.plan.advice_columns {
            "as fast, more advice columns".into()
        } else {
            "as fast, narrower limbs".into()
        }
    }
}

/// The default proof-size budget (3 KB).
pub const DEFAULT_MAX_PROOF_BYTES: usize = 3 * 1024;

/// The default on-chain verification budget (gas of a `verifyProof` transaction).
pub const DEFAULT_MAX_VERIFY_GAS: u64 = 350_000;

/// What the layout choice optimises for besides proving time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutGoal {
    /// Layouts whose proofs are larger are chosen only if no layout fits.
    pub max_proof_bytes: Option<usize>,
    /// Layouts whose predicted verification gas is higher are chosen only if no layout fits.
    #[serde(default)]
    pub max_verify_gas: Option<u64>,
}

impl Default for LayoutGoal {
    fn default() -> Self {
        Self { max_proof_bytes: Some(DEFAULT_MAX_PROOF_BYTES), max_verify_gas: Some(DEFAULT_MAX_VERIFY_GAS) }
    }
}

impl LayoutGoal {
    /// Proving time only.
    pub fn fastest() -> Self {
        Self { max_proof_bytes: None, max_verify_gas: None }
    }
    /// Whether `c` is outside a budget.
    pub fn over_budget(&self, c: &Candidate) -> bool {
        self.max_proof_bytes.is_some_and(|m| c.plan.proof_bytes > m)
            || self.max_verify_gas.is_some_and(|g| c.plan.predicted_verify_gas > g)
    }
}

/// Narrowest limb width the layout choice tries on its own (a forced one may be 2).
pub const MIN_LIMB_BITS: u32 = 3;

/// What the caller fixes of the layout; the rest is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forced {
    /// Inputs per dot-product row (`--dot-width`).
    pub dot_width: Option<usize>,
    /// Range-check limb width (`--limb-bits`), a divisor of `scale_bits`.
    pub limb_bits: Option<u32>,
}

/// The `dot_width` values tried for a model with these visibilities.
pub fn candidate_widths(visibility: Visibilities, interp: bool) -> std::ops::RangeInclusive<usize> {
    let min = CircuitShape::min_dot_width(visibility, interp);
    min..=MAX_DOT_WIDTH.max(min)
}

/// The limb widths tried at scale `2^scale_bits`, widest (`scale_bits`) first: its divisors of at
/// least [`MIN_LIMB_BITS`].
pub fn candidate_limb_bits(scale_bits: u32) -> Vec<u32> {
    (MIN_LIMB_BITS.min(scale_bits)..=scale_bits).rev().filter(|l| scale_bits.is_multiple_of(*l)).collect()
}

/// Sizes and predicts one `dot_width` at limb width `limb_bits`.
pub fn candidate(model: &QuantModel, dot_width: usize, limb_bits: u32, visibility: Visibilities, cost: &CostModel) -> Result<Candidate> {
    let shape = CircuitShape::for_model(model, dot_width).with_visibility(visibility).with_limb_bits(limb_bits);
    let plan = plan(model, shape)?;
    let predicted_prove_s = cost.predict(&plan);
    Ok(Candidate { plan, predicted_prove_s })
}

/// Ranks candidates: within both budgets first; then within the proof budget only (a model whose
/// public inputs alone exceed the gas budget gains nothing from a slower layout); then the rest;
/// within a rank by predicted time, then fewer advice columns, then wider limbs.
fn order(goal: &LayoutGoal, a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    let rank = |c: &Candidate| match (goal.over_budget(c), goal.max_proof_bytes.is_some_and(|m| c.plan.proof_bytes > m)) {
        (false, _) => 0,
        (true, false) => 1,
        (true, true) => 2,
    };
    rank(a)
        .cmp(&rank(b))
        .then(a.predicted_prove_s.total_cmp(&b.predicted_prove_s))
        .then(a.plan.advice_columns.cmp(&b.plan.advice_columns))
        .then(b.plan.shape.limb_bits().cmp(&a.plan.shape.limb_bits()))
}

/// Chooses the layout with the smallest predicted proving time among those within the goal's
/// budgets (ties: fewer advice columns, then wider limbs), or uses the forced `dot_width` and
/// limb width and reports the others as alternatives. Candidates too large for the largest `k`
/// are skipped; if none fits, the error is the first one's.
pub fn choose_layout(model: &QuantModel, forced: Forced, visibility: Visibilities, cost: &CostModel, goal: &LayoutGoal) -> Result<LayoutChoice> {
    // With interpolated tables the rescale row needs one more cell, and the limbs also divide
    // the interpolation's bits.
    let base = CircuitShape::for_model(model, 1);
    let widths = candidate_widths(visibility, base.interp.is_some());
    let min = *widths.start();
    // A forced width below the rescale row's minimum is raised to it, as `plan` does.
    let forced_width = forced.dot_width.map(|w| w.max(min));
    let s = model.params.scale_bits;
    let widest_valid = base.widest_limb_bits();
    let widest = forced.limb_bits.unwrap_or(widest_valid);
    let mut cands = Vec::new();
    let mut first_err = None;
    let mut skipped = Vec::new();
    let mut try_one = |w: usize, l: u32, cands: &mut Vec<Candidate>| match candidate(model, w, l, visibility, cost) {
        Ok(c) => cands.push(c),
        Err(e) => {
            skipped.push(Skipped { dot_width: w, limb_bits: (l != s).then_some(l), reason: e.to_string() });
            first_err.get_or_insert(e);
        }
    };
    for w in widths.clone().chain(forced_width.filter(|w| *w > MAX_DOT_WIDTH.max(min))) {
        try_one(w, widest, &mut cands);
    }
    if forced.limb_bits.is_none() {
        // The forced width, else the best width at L = s and its neighbours.
        let near: Vec<usize> = match forced_width {
            Some(w) => vec![w],
            None => cands.iter().min_by(|a, b| order(goal, a, b)).map_or(Vec::new(), |c| {
                let best = c.plan.shape.dot_width;
                [best.saturating_sub(1), best, best + 1].into_iter().filter(|w| widths.contains(w)).collect()
            }),
        };
        for l in candidate_limb_bits(widest_valid).into_iter().filter(|l| *l != widest_valid) {
            near.iter().for_each(|w| try_one(*w, l, &mut cands));
        }
    }
    if cands.is_empty() {
        return Err(first_err.unwrap_or_else(|| ProverError::BadSettings("no candidate layout".into())));
    }
    cands.sort_by(|a, b| order(goal, a, b));
    let pick = cands.iter().position(|c| {
        forced_width.is_none_or(|w| c.plan.shape.dot_width == w) && forced.limb_bits.is_none_or(|l| c.plan.shape.limb_bits() == l)
    });
    let pick = match pick {
        Some(p) => p,
        None => {
            let what = format!("dot_width {:?}, limb_bits {:?}", forced_width, forced.limb_bits);
            return Err(first_err.unwrap_or_else(|| ProverError::BadSettings(format!("{what}: no layout"))));
        }
    };
    let chosen = cands.remove(pick);
    Ok(LayoutChoice { chosen, alternatives: cands, forced: forced_width.is_some(), forced_limb_bits: forced.limb_bits.is_some(), goal: *goal, skipped })
}
