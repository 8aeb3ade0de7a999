//! Layout choice: size every candidate layout with the real layout code's dry run
//! ([`crate::circuit::plan`]), predict its proving time with the measured [`CostModel`], keep the
//! fastest.
//!
//! The knob varied is `dot_width` (the number of `x` advice columns), from the rescale row's
//! minimum ([`CircuitShape::min_dot_width`]) to [`MAX_DOT_WIDTH`]: wider rows need fewer rows
//! (smaller `k`) but commit more columns. The other fields of [`CircuitShape`] are not free:
//! `scale_bits` changes the arithmetic (the range table is `2^scale_bits` rows, already
//! decomposed into limbs of that width), `range_limbs` and the table domains come from calibration
//! and can only grow (costing more), and `products` is the model's.
//!
//! Ties in predicted time go to fewer advice columns (smaller proofs, cheaper verification gas).
//! Budgets ([`LayoutGoal`]) come first: a proof size (3 KB by default, exact:
//! [`CircuitPlan::proof_bytes`]) and an on-chain verification gas (350k by default, predicted from
//! the constraint system: [`CircuitPlan::predicted_verify_gas`]). The fastest layout within both
//! wins; when none is, the fastest within the proof budget (a model whose public inputs alone
//! exceed the gas budget gains nothing from a slower layout), then the fastest overall.

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
    /// The budgets the choice was made under.
    #[serde(default)]
    pub goal: LayoutGoal,
    /// The widths that could not be laid out at all (e.g. more rows than the largest `k`), with
    /// the reason.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// A `dot_width` with no layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The width tried.
    pub dot_width: usize,
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
        if self.forced {
            return "not the --dot-width".into();
        }
        if self.goal.over_budget(&self.chosen) {
            return "within the budgets but ranked lower".into();
        }
        if alt.predicted_prove_s > self.chosen.predicted_prove_s {
            format!("slower (+{:.2} s)", alt.predicted_prove_s - self.chosen.predicted_prove_s)
        } else {
            "as fast, more advice columns".into()
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

/// The `dot_width` values tried for a model with these visibilities.
pub fn candidate_widths(visibility: Visibilities) -> std::ops::RangeInclusive<usize> {
    let min = CircuitShape::min_dot_width(visibility);
    min..=MAX_DOT_WIDTH.max(min)
}

/// Sizes and predicts one `dot_width`.
pub fn candidate(model: &QuantModel, dot_width: usize, visibility: Visibilities, cost: &CostModel) -> Result<Candidate> {
    let plan = plan(model, CircuitShape::for_model(model, dot_width).with_visibility(visibility))?;
    let predicted_prove_s = cost.predict(&plan);
    Ok(Candidate { plan, predicted_prove_s })
}

/// Chooses the layout with the smallest predicted proving time among those within the goal's
/// proof budget (ties: fewer advice columns), or uses `forced` as the `dot_width` and reports the
/// others as alternatives. Candidates too large for the largest `k` are skipped; if none fits,
/// the error is the smallest one's.
pub fn choose_layout(
    model: &QuantModel,
    forced: Option<usize>,
    visibility: Visibilities,
    cost: &CostModel,
    goal: &LayoutGoal,
) -> Result<LayoutChoice> {
    let widths = candidate_widths(visibility);
    let min = *widths.start();
    // A forced width below the rescale row's minimum is raised to it, as `plan` does.
    let forced = forced.map(|w| w.max(min));
    let mut cands = Vec::new();
    let mut first_err = None;
    let mut skipped = Vec::new();
    for w in widths.chain(forced.filter(|w| *w > MAX_DOT_WIDTH.max(min))) {
        match candidate(model, w, visibility, cost) {
            Ok(c) => cands.push(c),
            Err(e) => {
                skipped.push(Skipped { dot_width: w, reason: e.to_string() });
                first_err.get_or_insert(e);
            }
        }
    }
    if cands.is_empty() {
        return Err(first_err.unwrap_or_else(|| ProverError::BadSettings("no candidate layout".into())));
    }
    // Within both budgets first; then layouts within the proof budget only (a model whose
    // public inputs alone exceed the gas budget gains nothing from a slower layout); then the rest.
    let rank = |c: &Candidate| match (goal.over_budget(c), goal.max_proof_bytes.is_some_and(|m| c.plan.proof_bytes > m)) {
        (false, _) => 0,
        (true, false) => 1,
        (true, true) => 2,
    };
    cands.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(a.predicted_prove_s.total_cmp(&b.predicted_prove_s))
            .then(a.plan.advice_columns.cmp(&b.plan.advice_columns))
    });
    let pick = match forced {
        Some(w) => cands
            .iter()
            .position(|c| c.plan.shape.dot_width == w)
            .ok_or_else(|| first_err.unwrap_or_else(|| ProverError::BadSettings(format!("dot_width {w}: no layout"))))?,
        None => 0,
    };
    let chosen = cands.remove(pick);
    Ok(LayoutChoice { chosen, alternatives: cands, forced: forced.is_some(), goal: *goal, skipped })
}
