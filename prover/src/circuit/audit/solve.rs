//! Which cells the equations determine: a fixpoint over copy classes, from the free witness
//! cells and the input-side instances, by four rules, each of which pins its targets to one
//! value whatever the prover does:
//!
//! * **copy**: a copy class shares one value;
//! * **linear**: a constraint `c·u + R = 0` with `c` a nonzero constant and `R` determined;
//! * **decomposition**: a constraint `Σ c_u·u + R = 0` with `R` determined, every `u` in a
//!   known integer range `[lo_u, hi_u]` and the coefficients a mixed radix (sorted by `|c|`,
//!   each `|c_i| > Σ_{j<i} |c_j|·(hi_j − lo_j)`, the total span below `2^200`), so that no two
//!   assignments of the `u` give the same sum: the rescale's remainder, limbs and sign, a hashed
//!   output's limbs;
//! * **function**: a lookup whose table is a function of its first column, with the first
//!   input determined and another input `c·u + R`.
//!
//! Ranges come from the lookups (an input `u + k` against a table column whose matching rows
//! form an integer interval), from boolean constraints `c·(u − u²)`, and from shifts
//! `a·(u − v) + k` between two ranged cells.
//!
//! The determinations are recorded in order, so that a changed witness can be repaired
//! downstream ([`Analysis::repair`]).

use super::poly::{small_int, Poly, Var};
use super::system::System;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;

/// Why a class is determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A declared free witness cell.
    Root,
    /// An input-side public instance.
    Instance,
    /// Constraint `i`, linear in it.
    Linear(usize),
    /// Constraint `i`, a bounded decomposition.
    Decomposition(usize),
    /// Lookup row `i`, input `j`.
    Function(usize, usize),
}

/// One determination: its rule and the classes it determines.
#[derive(Debug, Clone)]
pub struct Event {
    /// The rule.
    pub rule: Rule,
    /// The copy classes (their representatives) determined.
    pub targets: Vec<Var>,
}

/// The fixpoint.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Each variable's copy class representative.
    pub class: Vec<Var>,
    /// Each class's members (by representative).
    pub members: HashMap<Var, Vec<Var>>,
    /// Per class representative: the rule that determined it.
    pub why: HashMap<Var, Rule>,
    /// The determinations in order.
    pub events: Vec<Event>,
    /// Per class, its integer range.
    pub ranges: HashMap<Var, (i128, i128)>,
    /// Constraints renamed to class representatives.
    cpolys: Vec<Poly>,
    /// Lookup inputs renamed to class representatives.
    clookups: Vec<Vec<Poly>>,
    /// The fixpoint's state, kept so that more roots can be added ([`Analysis::assume`]).
    state: State,
}

/// Per class, the constraints and lookup rows it occurs in; per constraint, its open classes.
#[derive(Debug, Clone, Default)]
struct State {
    occurs: HashMap<Var, Vec<usize>>,
    lookup_occurs: HashMap<Var, Vec<usize>>,
    undetermined: Vec<usize>,
    functional: Vec<bool>,
}

/// An integer range `[lo, hi]`.
pub type Range = (i128, i128);
/// A digit of a decomposition: its class, signed coefficient and range.
type Digit = (Var, i128, Range);
/// A lookup, an input position and the other inputs' constant values.
type PatternKey = (usize, usize, Vec<[u8; 32]>);

fn find(parent: &mut [Var], v: Var) -> Var {
    let mut r = v;
    while parent[r as usize] != r {
        r = parent[r as usize];
    }
    let mut x = v;
    while parent[x as usize] != r {
        let next = parent[x as usize];
        parent[x as usize] = r;
        x = next;
    }
    r
}

impl Analysis {
    /// Runs the fixpoint from `known` (the input-side instance variables) and the system's roots
    /// plus `extra_roots`.
    pub fn run(sys: &System, known: &[Var], extra_roots: &[Var]) -> Self {
        let n = sys.kinds.len();
        let mut parent: Vec<Var> = (0..n as Var).collect();
        for (a, b) in &sys.copies {
            let (ra, rb) = (find(&mut parent, *a), find(&mut parent, *b));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        }
        let class: Vec<Var> = (0..n as Var).map(|v| find(&mut parent, v)).collect();
        let mut members: HashMap<Var, Vec<Var>> = HashMap::default();
        for (v, c) in class.iter().enumerate() {
            members.entry(*c).or_default().push(v as Var);
        }
        let cpolys: Vec<Poly> = sys.constraints.iter().map(|c| c.poly.rename(|v| class[v as usize])).collect();
        let clookups: Vec<Vec<Poly>> = sys.lookups.iter().map(|l| l.inputs.iter().map(|p| p.rename(|v| class[v as usize])).collect()).collect();
        let mut a = Self { class, members, why: HashMap::default(), events: Vec::new(), ranges: HashMap::default(), cpolys, clookups, state: State::default() };
        a.ranges = a.derive_ranges(sys);
        a.fixpoint(sys, known, extra_roots);
        a
    }

    /// Adds `roots` (cells taken as free) and continues the fixpoint.
    pub fn assume(&mut self, sys: &System, roots: &[Var]) {
        let mut queue = VecDeque::new();
        for v in roots {
            self.determine(vec![self.class[*v as usize]], Rule::Root, &mut queue);
        }
        self.drain(sys, queue);
    }

    /// Whether some constraint or lookup could determine variable `v`'s class: one in which it
    /// occurs only linearly (a cell that occurs only in products, such as a padding pair,
    /// cannot be determined by anything).
    pub fn determinable(&self, v: Var) -> bool {
        let k = self.class[v as usize];
        let in_constraint = self.state.occurs.get(&k).into_iter().flatten().any(|ci| self.cpolys[*ci].linear_coefficient(k).is_some());
        in_constraint || self.state.lookup_occurs.get(&k).into_iter().flatten().any(|li| self.clookups[*li].iter().skip(1).any(|p| p.linear_coefficient(k).is_some()))
    }

    /// Whether variable `v`'s class is determined.
    pub fn determined(&self, v: Var) -> bool {
        self.why.contains_key(&self.class[v as usize])
    }

    fn derive_ranges(&self, sys: &System) -> HashMap<Var, (i128, i128)> {
        let mut ranges: HashMap<Var, (i128, i128)> = HashMap::default();
        let narrow = |ranges: &mut HashMap<Var, (i128, i128)>, v: Var, r: (i128, i128)| {
            let e = ranges.entry(v).or_insert(r);
            *e = (e.0.max(r.0), e.1.min(r.1));
        };
        let mut cache: HashMap<PatternKey, Option<Range>> = HashMap::default();
        for (li, inputs) in self.clookups.iter().enumerate() {
            let lookup = sys.lookups[li].lookup;
            for (j, p) in inputs.iter().enumerate() {
                let vars = p.vars();
                let [v] = vars.as_slice() else { continue };
                if p.linear_coefficient(*v) != Some(Fr::ONE) || !inputs.iter().enumerate().all(|(i, q)| i == j || q.is_constant()) {
                    continue;
                }
                let Some(k) = small_int(p.constant_term()) else { continue };
                let pattern: Vec<[u8; 32]> = inputs.iter().enumerate().filter(|(i, _)| *i != j).map(|(_, q)| bytes(q.constant_term())).collect();
                let key = (lookup, j, pattern.clone());
                let interval = *cache.entry(key).or_insert_with(|| table_interval(&sys.tables[lookup], j, &pattern));
                if let Some((lo, hi)) = interval {
                    narrow(&mut ranges, *v, (lo - k, hi - k));
                }
            }
        }
        for p in &self.cpolys {
            let vars = p.vars();
            match (vars.as_slice(), p.terms()) {
                // c·u − c·u² (u ∈ {0, 1}).
                ([u], [(m1, c1), (m2, c2)]) if m1.as_slice() == [*u] && m2.as_slice() == [*u, *u] && *c1 == -*c2 => narrow(&mut ranges, *u, (0, 1)),
                _ => {}
            }
        }
        // Shifts between two ranged classes, a few passes.
        for _ in 0..3 {
            for p in &self.cpolys {
                let vars = p.vars();
                let [u, v] = vars.as_slice() else { continue };
                let (Some(a), Some(b)) = (p.linear_coefficient(*u), p.linear_coefficient(*v)) else { continue };
                if a != -b || p.terms().len() > 3 {
                    continue;
                }
                // a·(u − v) + k = 0 ⇒ u = v + d.
                let Some(d) = a.invert().into_option().and_then(|ai| small_int(-p.constant_term() * ai)) else { continue };
                if let Some(&(lo, hi)) = ranges.get(v) {
                    narrow(&mut ranges, *u, (lo + d, hi + d));
                }
                if let Some(&(lo, hi)) = ranges.get(u) {
                    narrow(&mut ranges, *v, (lo - d, hi - d));
                }
            }
        }
        ranges
    }

    fn fixpoint(&mut self, sys: &System, known: &[Var], extra_roots: &[Var]) {
        let st = &mut self.state;
        for (ci, p) in self.cpolys.iter().enumerate() {
            let vars = p.vars();
            for v in &vars {
                st.occurs.entry(*v).or_default().push(ci);
            }
            st.undetermined.push(vars.len());
        }
        for (li, inputs) in self.clookups.iter().enumerate() {
            let mut vars: Vec<Var> = inputs.iter().flat_map(Poly::vars).collect();
            vars.sort_unstable();
            vars.dedup();
            for v in vars {
                st.lookup_occurs.entry(v).or_default().push(li);
            }
        }
        st.functional = sys.tables.iter().map(|t| is_function(t)).collect();
        let mut queue = VecDeque::new();
        let roots: Vec<Var> = sys.roots.iter().map(|(v, _)| *v).chain(extra_roots.iter().copied()).collect();
        for v in roots {
            self.determine(vec![self.class[v as usize]], Rule::Root, &mut queue);
        }
        for v in known {
            self.determine(vec![self.class[*v as usize]], Rule::Instance, &mut queue);
        }
        for ci in 0..self.cpolys.len() {
            self.try_constraint(ci, &mut queue);
        }
        for li in 0..self.clookups.len() {
            self.try_lookup(li, sys, &mut queue);
        }
        self.drain(sys, queue);
    }

    fn drain(&mut self, sys: &System, mut queue: VecDeque<Var>) {
        while let Some(k) = queue.pop_front() {
            for ci in self.state.occurs.get(&k).cloned().unwrap_or_default() {
                self.state.undetermined[ci] = self.state.undetermined[ci].saturating_sub(1);
                if self.state.undetermined[ci] > 0 {
                    self.try_constraint(ci, &mut queue);
                }
            }
            for li in self.state.lookup_occurs.get(&k).cloned().unwrap_or_default() {
                self.try_lookup(li, sys, &mut queue);
            }
        }
    }

    fn determine(&mut self, targets: Vec<Var>, rule: Rule, queue: &mut VecDeque<Var>) {
        let targets: Vec<Var> = targets.into_iter().filter(|t| !self.why.contains_key(t)).collect();
        if targets.is_empty() {
            return;
        }
        for t in &targets {
            self.why.insert(*t, rule);
            queue.push_back(*t);
        }
        self.events.push(Event { rule, targets });
    }

    fn open(&self, p: &Poly) -> Vec<Var> {
        p.vars().into_iter().filter(|v| !self.why.contains_key(v)).collect()
    }

    fn try_constraint(&mut self, ci: usize, queue: &mut VecDeque<Var>) {
        let p = &self.cpolys[ci];
        let open = self.open(p);
        let rule = match open.as_slice() {
            [] => return,
            [u] if p.linear_coefficient(*u).is_some() => Rule::Linear(ci),
            _ if open.len() <= 24 && self.decomposition(p, &open).is_some() => Rule::Decomposition(ci),
            _ => return,
        };
        self.determine(open, rule, queue);
    }

    /// The open classes' signed coefficients and ranges, sorted by |coefficient|, when they form a
    /// mixed radix (see the module docs).
    fn decomposition(&self, p: &Poly, open: &[Var]) -> Option<Vec<Digit>> {
        let mut digits = Vec::with_capacity(open.len());
        for u in open {
            let c = small_int(p.linear_coefficient(*u)?)?;
            let r = *self.ranges.get(u)?;
            if r.0 > r.1 {
                return None;
            }
            digits.push((*u, c, r));
        }
        digits.sort_by_key(|(_, c, _)| c.unsigned_abs());
        let mut span: u128 = 0;
        for (_, c, (lo, hi)) in &digits {
            if c.unsigned_abs() <= span {
                return None;
            }
            let width = u128::try_from(hi - lo).ok()?;
            span = span.checked_add(c.unsigned_abs().checked_mul(width)?)?;
            if span >= 1 << 120 {
                return None;
            }
        }
        Some(digits)
    }

    fn try_lookup(&mut self, li: usize, sys: &System, queue: &mut VecDeque<Var>) {
        if !self.state.functional[sys.lookups[li].lookup] {
            return;
        }
        let inputs = &self.clookups[li];
        if inputs.first().is_none_or(|k| !self.open(k).is_empty()) {
            return;
        }
        let found = inputs.iter().enumerate().skip(1).find_map(|(j, p)| match self.open(p).as_slice() {
            [u] if p.linear_coefficient(*u).is_some() => Some((j, *u)),
            _ => None,
        });
        if let Some((j, u)) = found {
            self.determine(vec![u], Rule::Function(li, j), queue);
        }
    }

    /// Recomputes every determined cell from `values` in the order the fixpoint found them,
    /// keeping the `pinned` variables' values (a forger's changed cells): the witness a forger
    /// repairs downstream of its changes. Returns how many determinations had no solution (the
    /// repaired witness then breaks a constraint).
    pub fn repair(&self, sys: &System, values: &mut [Fr], pinned: &HashSet<Var>) -> usize {
        let mut unsolved = 0;
        for e in &self.events {
            let solved = match e.rule {
                Rule::Root | Rule::Instance => continue,
                Rule::Linear(ci) => self.solve_linear(&sys.constraints[ci].poly, e.targets[0], values, pinned),
                Rule::Function(li, j) => self.solve_function(sys, li, j, e.targets[0], values, pinned),
                Rule::Decomposition(ci) => self.solve_decomposition(ci, &sys.constraints[ci].poly, &e.targets, values, pinned),
            };
            match solved {
                Some(assignments) => {
                    for (k, t) in assignments {
                        self.set_class(k, t, values, pinned);
                    }
                }
                None => unsolved += 1,
            }
        }
        unsolved
    }

    fn set_class(&self, k: Var, t: Fr, values: &mut [Fr], pinned: &HashSet<Var>) {
        for m in self.members.get(&k).into_iter().flatten() {
            if !pinned.contains(m) {
                values[*m as usize] = t;
            }
        }
    }

    /// The pinned member of class `k` among `p`'s variables, if any.
    fn pinned_in(&self, p: &Poly, k: Var, pinned: &HashSet<Var>) -> Option<Var> {
        p.vars().into_iter().find(|v| self.class[*v as usize] == k && pinned.contains(v))
    }

    /// `p` with class `k`'s members set to `t` (the rest at their values).
    fn eval_with(&self, p: &Poly, k: Var, t: Fr, values: &[Fr], pinned: &HashSet<Var>) -> Fr {
        p.eval(|v| if self.class[v as usize] == k && !pinned.contains(&v) { t } else { values[v as usize] })
    }

    /// Solves `p(t) = target` for class `k`'s value `t` (`p` linear in it).
    fn solve_for(&self, p: &Poly, k: Var, target: Fr, values: &[Fr], pinned: &HashSet<Var>) -> Option<Vec<(Var, Fr)>> {
        if let Some(v) = self.pinned_in(p, k, pinned) {
            return Some(vec![(k, values[v as usize])]);
        }
        let p0 = self.eval_with(p, k, Fr::ZERO, values, pinned);
        let c = self.eval_with(p, k, Fr::ONE, values, pinned) - p0;
        let t = (target - p0) * c.invert().into_option()?;
        Some(vec![(k, t)])
    }

    fn solve_linear(&self, p: &Poly, k: Var, values: &[Fr], pinned: &HashSet<Var>) -> Option<Vec<(Var, Fr)>> {
        self.solve_for(p, k, Fr::ZERO, values, pinned)
    }

    fn solve_function(&self, sys: &System, li: usize, j: usize, k: Var, values: &[Fr], pinned: &HashSet<Var>) -> Option<Vec<(Var, Fr)>> {
        let inputs = &sys.lookups[li].inputs;
        let key = inputs[0].eval(|v| values[v as usize]);
        let entry = sys.tables[sys.lookups[li].lookup].iter().find(|r| r.first() == Some(&key))?;
        self.solve_for(&inputs[j], k, *entry.get(j)?, values, pinned)
    }

    fn solve_decomposition(&self, ci: usize, p: &Poly, targets: &[Var], values: &[Fr], pinned: &HashSet<Var>) -> Option<Vec<(Var, Fr)>> {
        if targets.iter().any(|k| self.pinned_in(p, *k, pinned).is_some()) {
            return Some(targets.iter().map(|k| (*k, self.pinned_in(p, *k, pinned).map_or(values[*k as usize], |v| values[v as usize]))).collect());
        }
        let digits = self.decomposition(&self.cpolys[ci], targets)?;
        let rest = p.eval(|v| if targets.contains(&self.class[v as usize]) && !pinned.contains(&v) { Fr::ZERO } else { values[v as usize] });
        // Σ c·u = −rest with u = lo + u', and u' = w − u'' where c < 0: all coefficients positive.
        let mut target = -rest;
        for (_, c, (lo, hi)) in &digits {
            target -= crate::circuit::fr_from_i128(*c) * crate::circuit::fr_from_i128(*lo);
            if *c < 0 {
                target -= crate::circuit::fr_from_i128(*c) * crate::circuit::fr_from_i128(hi - lo);
            }
        }
        let mut remaining = u128::try_from(small_int(target)?).ok()?;
        let mut out = Vec::with_capacity(digits.len());
        for (k, c, (lo, hi)) in digits.iter().rev() {
            let (abs, width) = (c.unsigned_abs(), u128::try_from(hi - lo).ok()?);
            let d = (remaining / abs).min(width);
            remaining -= d * abs;
            let u = if *c < 0 { hi - d as i128 } else { lo + d as i128 };
            out.push((*k, crate::circuit::fr_from_i128(u)));
        }
        (remaining == 0).then_some(out)
    }
}

fn bytes(f: Fr) -> [u8; 32] {
    use halo2_proofs::halo2curves::ff::PrimeField;
    f.to_repr()
}

/// The integer interval formed by column `j` of the table rows whose other columns equal
/// `pattern`, if those values are small integers without gaps.
fn table_interval(table: &[Vec<Fr>], j: usize, pattern: &[[u8; 32]]) -> Option<(i128, i128)> {
    let mut values: Vec<i128> = Vec::new();
    for row in table {
        let others: Vec<[u8; 32]> = row.iter().enumerate().filter(|(i, _)| *i != j).map(|(_, f)| bytes(*f)).collect();
        if others == pattern {
            values.push(small_int(*row.get(j)?)?);
        }
    }
    values.sort_unstable();
    values.dedup();
    let (lo, hi) = (*values.first()?, *values.last()?);
    (hi - lo + 1 == values.len() as i128).then_some((lo, hi))
}

/// Whether a table's rows are a function of their first column (no two rows share it).
fn is_function(table: &[Vec<Fr>]) -> bool {
    let mut seen: HashMap<[u8; 32], &Vec<Fr>> = HashMap::default();
    for row in table {
        let Some(k) = row.first() else { return false };
        match seen.get(&bytes(*k)) {
            Some(other) if *other != row => return false,
            _ => {
                seen.insert(bytes(*k), row);
            }
        }
    }
    true
}
