//! The circuit as equations: the real layout recorded cell by cell ([`Recorder`]), then every
//! enabled gate's constraint on every row and every lookup's inputs on every row, as polynomials
//! in the advice and instance cells ([`System`]).

use super::poly::{Poly, Var};
use crate::circuit::layout::{Root, Sink};
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use std::cell::RefCell;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// An advice cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellRef {
    /// The advice column's index.
    pub column: usize,
    /// The row.
    pub row: usize,
}

/// A [`Sink`] that records everything the layout does.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Assigned advice cells and their values (`None` when unknown: key generation).
    pub advice: HashMap<CellRef, Option<Fr>>,
    /// Assigned fixed cells `(column, row)`.
    pub fixed: HashMap<(usize, usize), Fr>,
    /// Enabled selectors `(selector index, row)`.
    pub enabled: HashSet<(usize, usize)>,
    /// Copy constraints.
    pub copies: Vec<(CellRef, CellRef)>,
    /// Declared free witness cells.
    pub roots: Vec<(CellRef, Root)>,
    /// One past the highest row touched.
    pub rows: usize,
}

impl Sink for Recorder {
    type Cell = CellRef;
    fn advice(&mut self, col: Column<Advice>, row: usize, v: Value<Fr>) -> CellRef {
        let mut value = None;
        let _ = v.map(|f| value = Some(f));
        let cell = CellRef { column: col.index(), row };
        self.advice.insert(cell, value);
        self.rows = self.rows.max(row + 1);
        cell
    }
    fn fixed(&mut self, col: Column<Fixed>, row: usize, v: Fr) {
        self.fixed.insert((col.index(), row), v);
        self.rows = self.rows.max(row + 1);
    }
    fn enable(&mut self, sel: Selector, row: usize) -> Result<(), Error> {
        self.enabled.insert((sel.index(), row));
        self.rows = self.rows.max(row + 1);
        Ok(())
    }
    fn copy(&mut self, a: &CellRef, b: &CellRef) {
        self.copies.push((*a, *b));
    }
    fn root(&mut self, cell: &CellRef, root: Root) {
        self.roots.push((*cell, root));
    }
}

/// What a variable stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarKind {
    /// An advice cell.
    Advice(CellRef),
    /// Row `r` of the instance column.
    Instance(usize),
    /// A query that leaves the rows (a negative rotation at the top): never determined.
    Outside,
}

/// One enabled gate constraint on one row.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The gate's index in the constraint system.
    pub gate: usize,
    /// The row.
    pub row: usize,
    /// The constraint, zero when satisfied.
    pub poly: Poly,
}

/// One lookup's inputs on one row.
#[derive(Debug, Clone)]
pub struct LookupRow {
    /// The lookup's index in the constraint system.
    pub lookup: usize,
    /// The row.
    pub row: usize,
    /// Its input expressions, each must equal the same table row's column.
    pub inputs: Vec<Poly>,
}

/// The circuit's equations.
#[derive(Debug)]
pub struct System {
    /// Every variable.
    pub kinds: Vec<VarKind>,
    index: HashMap<VarKind, Var>,
    /// Gate names, by gate index.
    pub gate_names: Vec<String>,
    /// Every enabled gate constraint with a variable.
    pub constraints: Vec<Constraint>,
    /// Every lookup's inputs on every row of the layout.
    pub lookups: Vec<LookupRow>,
    /// Per lookup, its table's rows.
    pub tables: Vec<Vec<Vec<Fr>>>,
    /// Copy constraints between variables.
    pub copies: Vec<(Var, Var)>,
    /// Declared free witness cells.
    pub roots: Vec<(Var, Root)>,
    /// Rows the layout uses.
    pub rows: usize,
}

impl System {
    /// Builds the equations of a recorded layout for `cs`, whose lookups' tables are `tables`.
    pub fn build(cs: &ConstraintSystem<Fr>, rec: &Recorder, tables: Vec<Vec<Vec<Fr>>>) -> Self {
        let vars = RefCell::new((Vec::<VarKind>::new(), HashMap::<VarKind, Var>::default()));
        let var = |k: VarKind| -> Var {
            let mut v = vars.borrow_mut();
            if let Some(i) = v.1.get(&k) {
                return *i;
            }
            let i = v.0.len() as Var;
            v.0.push(k);
            v.1.insert(k, i);
            i
        };
        let at = |row: usize, rot: i32| usize::try_from(row as i64 + i64::from(rot)).ok();
        let eval = |e: &Expression<Fr>, row: usize| -> Poly {
            e.evaluate(
                &Poly::constant,
                &|s: Selector| Poly::constant(if rec.enabled.contains(&(s.index(), row)) { Fr::one() } else { Fr::zero() }),
                &|q| Poly::constant(at(row, q.rotation().0).and_then(|r| rec.fixed.get(&(q.column_index(), r)).copied()).unwrap_or(Fr::zero())),
                &|q| Poly::var(var(at(row, q.rotation().0).map_or(VarKind::Outside, |r| VarKind::Advice(CellRef { column: q.column_index(), row: r })))),
                &|q| Poly::var(var(at(row, q.rotation().0).map_or(VarKind::Outside, VarKind::Instance))),
                &|_| Poly::var(var(VarKind::Outside)),
                &|a: Poly| -a,
                &|a: Poly, b: Poly| a + b,
                &|a, b| a.mul(&b),
                &Poly::scale,
            )
        };
        let mut constraints = Vec::new();
        for (gi, gate) in cs.gates().iter().enumerate() {
            let mut selectors = Vec::new();
            for p in gate.polynomials() {
                collect_selectors(p, &mut selectors);
            }
            let rows: Vec<usize> = if selectors.is_empty() {
                (0..rec.rows).collect()
            } else {
                let mut r: Vec<usize> = rec.enabled.iter().filter(|(s, _)| selectors.contains(s)).map(|(_, r)| *r).collect();
                r.sort_unstable();
                r.dedup();
                r
            };
            for row in rows {
                for p in gate.polynomials() {
                    let poly = eval(p, row);
                    if !poly.is_zero() {
                        constraints.push(Constraint { gate: gi, row, poly });
                    }
                }
            }
        }
        let mut lookups = Vec::new();
        for (li, l) in cs.lookups().iter().enumerate() {
            for row in 0..rec.rows {
                let inputs: Vec<Poly> = l.input_expressions().iter().map(|e| eval(e, row)).collect();
                lookups.push(LookupRow { lookup: li, row, inputs });
            }
        }
        let copies = rec.copies.iter().map(|(a, b)| (var(VarKind::Advice(*a)), var(VarKind::Advice(*b)))).collect();
        let roots = rec.roots.iter().map(|(c, r)| (var(VarKind::Advice(*c)), *r)).collect();
        let gate_names = cs.gates().iter().map(|g| g.name().to_string()).collect();
        let (kinds, index) = vars.into_inner();
        Self { kinds, index, gate_names, constraints, lookups, tables, copies, roots, rows: rec.rows }
    }

    /// The variable of an advice cell, if any constraint, lookup or copy mentions it.
    pub fn advice_var(&self, cell: CellRef) -> Option<Var> {
        self.index.get(&VarKind::Advice(cell)).copied()
    }
    /// The variable of instance row `r`, if a constraint reads it.
    pub fn instance_var(&self, row: usize) -> Option<Var> {
        self.index.get(&VarKind::Instance(row)).copied()
    }
}

fn collect_selectors(e: &Expression<Fr>, out: &mut Vec<usize>) {
    match e {
        Expression::Selector(s) if !out.contains(&s.index()) => out.push(s.index()),
        Expression::Negated(a) | Expression::Scaled(a, _) => collect_selectors(a, out),
        Expression::Sum(a, b) | Expression::Product(a, b) => {
            collect_selectors(a, out);
            collect_selectors(b, out);
        }
        _ => {}
    }
}
