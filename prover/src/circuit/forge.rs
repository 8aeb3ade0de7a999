//! Test support (feature `test-support`, never in the shipped prover): witnesses forged as an
//! attacker would forge them — chosen advice cells changed together and every cell downstream
//! repaired ([`Forger::forge`]) — checked by MockProver or proven for real, and a fuzzer of
//! multi-cell forgeries ([`Forger::fuzz`]).

use super::audit::poly::Var;
use super::audit::solve::Analysis;
use super::audit::system::{CellRef, VarKind};
use super::audit::Snapshot;
use super::layout::{self, RegionSink, Root, Sink};
use super::{CircuitShape, ModelCircuit, ModelConfig};
use crate::error::{ProverError, Result};
use crate::quant::{QuantModel, Trace};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Fixed, ProvingKey, Selector};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::{Rng, SeedableRng};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

/// The model circuit with every advice cell's value taken from `values` (where present).
#[derive(Debug, Clone)]
pub struct ForgedCircuit {
    /// The model.
    pub model: Arc<QuantModel>,
    /// The shape.
    pub shape: CircuitShape,
    /// The honest trace the layout starts from.
    pub trace: Trace,
    /// The forged cells.
    pub values: Arc<HashMap<CellRef, Fr>>,
}

struct OverrideSink<'a, 'b, 'r> {
    inner: RegionSink<'b, 'r>,
    values: &'a HashMap<CellRef, Fr>,
}

impl Sink for OverrideSink<'_, '_, '_> {
    type Cell = halo2_proofs::circuit::Cell;
    fn advice(&mut self, col: Column<Advice>, row: usize, v: Value<Fr>) -> Self::Cell {
        let v = self.values.get(&CellRef { column: col.index(), row }).map_or(v, |f| Value::known(*f));
        self.inner.advice(col, row, v)
    }
    fn fixed(&mut self, col: Column<Fixed>, row: usize, v: Fr) {
        self.inner.fixed(col, row, v);
    }
    fn enable(&mut self, sel: Selector, row: usize) -> std::result::Result<(), Error> {
        self.inner.enable(sel, row)
    }
    fn copy(&mut self, a: &Self::Cell, b: &Self::Cell) {
        self.inner.copy(a, b);
    }
    fn root(&mut self, _: &Self::Cell, _: Root) {}
}

impl Circuit<Fr> for ForgedCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }
    fn params(&self) -> CircuitShape {
        self.shape
    }
    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, shape)
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        ModelConfig::configure(meta, CircuitShape::default())
    }
    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<Fr>) -> std::result::Result<(), Error> {
        config.load_tables(&mut layouter)?;
        layouter.assign_region(
            || "model",
            |mut region| {
                let mut sink = OverrideSink { inner: RegionSink { region: &mut region }, values: &self.values };
                layout::assign(&config, &self.model, Some(&self.trace), &mut sink).map(|_| ())
            },
        )
    }
}

/// A forged witness: every advice cell and the public instances it implies.
#[derive(Debug, Clone)]
pub struct Forgery {
    /// Every recorded advice cell's value.
    pub values: HashMap<CellRef, Fr>,
    /// The public instances (output-side ones recomputed from the forged cells).
    pub instances: Vec<Fr>,
    /// Determinations the repair could not solve (the forgery then breaks a constraint).
    pub unsolved: usize,
}

/// What [`Forger::fuzz`] tried and found.
#[derive(Debug, Clone, Default)]
pub struct FuzzReport {
    /// Forgeries tried.
    pub tried: usize,
    /// Rejected by the constraint check.
    pub rejected: usize,
    /// Of those, also checked (and rejected) by MockProver.
    pub mock_confirmed: usize,
    /// Accepted, but with the honest public instances (the change did not matter).
    pub accepted_unchanged: usize,
    /// Accepted with changed public instances: soundness failures (must be empty).
    pub forgeries: Vec<String>,
}

/// Forges witnesses of one model, shape and honest trace.
#[derive(Debug)]
pub struct Forger {
    /// The model.
    pub model: Arc<QuantModel>,
    /// The shape (as configured).
    pub shape: CircuitShape,
    /// Rows: `2^k`.
    pub k: u32,
    /// The honest trace.
    pub trace: Trace,
    /// The recorded honest layout and its audit fixpoint.
    pub snapshot: Snapshot,
    /// The fixpoint with the free cells (if any) as extra roots: the repair order.
    repair: Analysis,
    /// Per variable, its honest value.
    honest: Vec<Fr>,
    /// The honest instances.
    pub instances: Vec<Fr>,
    /// Per lookup, its table's rows as bytes.
    tables: Vec<HashSet<Vec<[u8; 32]>>>,
}

impl Forger {
    /// Records the honest witness of `trace`.
    pub fn new(model: Arc<QuantModel>, shape: CircuitShape, trace: Trace) -> Result<Self> {
        let plan = super::plan(&model, shape)?;
        let snapshot = Snapshot::new(&model, plan.shape, Some(&trace))?;
        let instances = ModelCircuit::instances(&model, &plan.shape, &trace)?;
        let rec = &snapshot.recorder;
        let honest = snapshot
            .system
            .kinds
            .iter()
            .map(|k| match k {
                VarKind::Advice(c) => rec.advice.get(c).copied().flatten().unwrap_or(Fr::ZERO),
                VarKind::Instance(r) => instances.get(*r).copied().unwrap_or(Fr::ZERO),
                VarKind::Outside => Fr::ZERO,
            })
            .collect();
        // On a circuit with free cells, the repair takes only their sources as free, so that
        // everything downstream of a forged cell is recomputed.
        let repair = snapshot.free_sources().1;
        let tables = snapshot.system.tables.iter().map(|t| t.iter().map(|r| r.iter().map(|x| x.to_repr()).collect()).collect()).collect();
        Ok(Self { model, shape: plan.shape, k: plan.k, trace, snapshot, repair, honest, instances, tables })
    }

    /// The configured columns.
    pub fn config(&self) -> &ModelConfig {
        &self.snapshot.config
    }

    /// The honest value of a cell.
    pub fn honest(&self, cell: CellRef) -> Fr {
        self.snapshot.recorder.advice.get(&cell).copied().flatten().unwrap_or(Fr::ZERO)
    }

    /// Cells read by a gate that the audit finds free.
    pub fn free_cells(&self) -> Vec<CellRef> {
        self.snapshot
            .free_vars()
            .into_iter()
            .filter_map(|v| match self.snapshot.system.kinds[v as usize] {
                VarKind::Advice(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The witness with `changes` made and everything downstream repaired.
    pub fn forge(&self, changes: &[(CellRef, Fr)]) -> Forgery {
        let sys = &self.snapshot.system;
        let mut values = self.honest.clone();
        let mut pinned = HashSet::default();
        let mut loose: HashMap<CellRef, Fr> = HashMap::default();
        for (cell, v) in changes {
            match sys.advice_var(*cell) {
                Some(var) => {
                    values[var as usize] = *v;
                    pinned.insert(var);
                }
                None => {
                    loose.insert(*cell, *v);
                }
            }
        }
        let unsolved = self.repair.repair(sys, &mut values, &pinned);
        let mut cells: HashMap<CellRef, Fr> = self.snapshot.recorder.advice.iter().map(|(c, v)| (*c, v.unwrap_or(Fr::ZERO))).collect();
        for (var, kind) in sys.kinds.iter().enumerate() {
            if let VarKind::Advice(c) = kind {
                cells.insert(*c, values[var]);
            }
        }
        cells.extend(loose);
        let instances = (0..self.instances.len()).map(|r| sys.instance_var(r).map_or(self.instances[r], |v| values[v as usize])).collect();
        Forgery { values: cells, instances, unsolved }
    }

    /// The circuit assigning a forgery's cells.
    pub fn circuit(&self, f: &Forgery) -> ForgedCircuit {
        ForgedCircuit { model: self.model.clone(), shape: self.shape, trace: self.trace.clone(), values: Arc::new(f.values.clone()) }
    }

    /// MockProver's verdict on a forgery.
    pub fn mock(&self, f: &Forgery) -> std::result::Result<(), String> {
        let prover = MockProver::run(self.k, &self.circuit(f), vec![f.instances.clone()]).map_err(|e| format!("{e:?}"))?;
        prover.verify().map_err(|e| format!("{} failures, first: {:?}", e.len(), e.first()))
    }

    /// A real proof of a forgery under `pk` (the honest circuit's key).
    pub fn prove(&self, params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, f: &Forgery) -> Result<Vec<u8>> {
        crate::proving::prove_circuit(params, pk, &self.circuit(f), &f.instances)
    }

    /// The audit's equations on a forgery: every constraint zero, every lookup in its table,
    /// every copy equal (what MockProver checks, faster).
    pub fn satisfies(&self, f: &Forgery) -> bool {
        let sys = &self.snapshot.system;
        let value = |v: Var| match sys.kinds[v as usize] {
            VarKind::Advice(c) => f.values.get(&c).copied().unwrap_or(Fr::ZERO),
            VarKind::Instance(r) => f.instances.get(r).copied().unwrap_or(Fr::ZERO),
            VarKind::Outside => Fr::ZERO,
        };
        if sys.constraints.iter().any(|c| c.poly.eval(value) != Fr::ZERO) {
            return false;
        }
        if sys.copies.iter().any(|(a, b)| value(*a) != value(*b)) {
            return false;
        }
        sys.lookups.iter().all(|l| self.tables[l.lookup].contains(&l.inputs.iter().map(|p| p.eval(value).to_repr()).collect::<Vec<_>>()))
    }

    /// Tries `cases` forgeries of pairs and triples of cells a gate reads (not roots), on one row
    /// or two adjacent rows, each repaired downstream; every forgery the constraint check
    /// accepts goes to MockProver, and so do the first `confirm` rejected ones (the check must
    /// agree with it). Seeded.
    pub fn fuzz(&self, cases: usize, confirm: usize, seed: u64) -> FuzzReport {
        let sys = &self.snapshot.system;
        let roots: HashSet<Var> = sys.roots.iter().map(|(v, _)| *v).collect();
        let mut by_row: HashMap<usize, Vec<CellRef>> = HashMap::default();
        let mut read: Vec<Var> = sys.constraints.iter().flat_map(|c| c.poly.vars()).collect();
        read.sort_unstable();
        read.dedup();
        for v in read {
            if let (VarKind::Advice(c), false) = (sys.kinds[v as usize], roots.contains(&v)) {
                by_row.entry(c.row).or_default().push(c);
            }
        }
        let mut rows: Vec<usize> = by_row.keys().copied().collect();
        rows.sort_unstable();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let unit = Fr::from(1u64 << self.shape.scale_bits);
        let mut report = FuzzReport::default();
        let cell_of = |v: Var| match sys.kinds[v as usize] {
            VarKind::Advice(c) if !roots.contains(&v) => Some(c),
            _ => None,
        };
        for _ in 0..cases {
            let Some(&row) = rows.get(rng.gen_range(0..rows.len().max(1))) else { break };
            let size = rng.gen_range(2..=3usize);
            let constraint = sys.constraints.get(rng.gen_range(0..sys.constraints.len().max(1)));
            let mode = rng.gen_range(0..10u8);
            // 40%: the cells of one product in one constraint (both cells of a pair, say), 30%:
            // any cells one constraint reads, 30%: any cells of one row or two adjacent rows.
            let mut cells: Vec<CellRef> = match (mode, constraint) {
                (0..=3, Some(c)) => {
                    let products: Vec<Vec<CellRef>> = c.poly.terms().iter().map(|(m, _)| m.as_slice().iter().copied().filter_map(cell_of).collect::<Vec<_>>()).filter(|m| m.len() >= 2).collect();
                    products.get(rng.gen_range(0..products.len().max(1))).cloned().unwrap_or_default()
                }
                _ => Vec::new(),
            };
            cells.dedup();
            let mut pool: Vec<CellRef> = match (mode, constraint) {
                (4..=6, Some(c)) => c.poly.vars().into_iter().filter_map(cell_of).collect(),
                _ => by_row[&row].clone(),
            };
            if pool.len() < 2 || rng.gen_bool(0.3) {
                pool.extend(by_row.get(&(row + 1)).into_iter().flatten());
            }
            pool.retain(|c| !cells.contains(c));
            while cells.len() < size.min(cells.len() + pool.len()) && (cells.len() < 2 || mode > 3 || rng.gen_bool(0.3)) {
                cells.push(pool.swap_remove(rng.gen_range(0..pool.len())));
            }
            let pattern = rng.gen_range(0..6u8);
            let changes: Vec<(CellRef, Fr)> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let h = self.honest(*c);
                    let v = match (pattern, i) {
                        (0, _) => h + Fr::ONE,
                        (1, _) => h - Fr::ONE,
                        (2, _) => h + unit,
                        (3, 0) => Fr::from(rng.gen_range(1..1u64 << 20)),
                        (3, _) => Fr::ONE,
                        (4, _) => Fr::ZERO,
                        _ => Fr::random(&mut rng),
                    };
                    (*c, v)
                })
                .collect();
            if changes.iter().all(|(c, v)| self.honest(*c) == *v) {
                continue;
            }
            report.tried += 1;
            let f = self.forge(&changes);
            let described = || format!("{:?} (instances {:?})", changes, f.instances.iter().zip(&self.instances).filter(|(a, b)| a != b).count());
            if self.satisfies(&f) {
                match self.mock(&f) {
                    Ok(()) if f.instances != self.instances => report.forgeries.push(described()),
                    Ok(()) => report.accepted_unchanged += 1,
                    Err(_) => report.forgeries.push(format!("the constraint check accepts what MockProver rejects: {}", described())),
                }
            } else {
                report.rejected += 1;
                if report.mock_confirmed < confirm {
                    if self.mock(&f).is_ok() {
                        report.forgeries.push(format!("MockProver accepts what the constraint check rejects: {}", described()));
                    }
                    report.mock_confirmed += 1;
                }
            }
        }
        report
    }
}

/// A forger for `model` compiled in `shape` on `input` (quantised), with a zero binding and salts.
pub fn forger(model: QuantModel, shape: CircuitShape, input: &[i64]) -> Result<Forger> {
    let trace = model.forward(input)?;
    let model = Arc::new(model);
    Forger::new(model, shape, trace).map_err(|e| ProverError::BadInput(format!("forger: {e}")))
}
