//! The free-cell audit: proves, for one model and circuit shape, that no advice cell a gate reads
//! is free for the prover, so that the class of issue 14's bug (free padding cells on product
//! rows let a prover add anything to an output) cannot return unseen.
//!
//! It runs the real layout ([`super::layout::assign`]) into a recorder, turns every enabled
//! gate on every row and every lookup on every row into polynomials in the cells
//! ([`system::System`]), and computes which cells are determined ([`solve::Analysis`]) from
//! the only legitimately free ones — the declared witness roots ([`Root`]: a private input's
//! values, a hashed tensor's limbs and salt) — and the input-side public instances (the model
//! commitment, the binding, a public input or the input's commitment). Each cell a gate or
//! lookup reads is then one of:
//!
//! * **root**: a declared free witness cell (their number per kind is checked against the model);
//! * **copy**: in the copy permutation, in a class another cell's rule determines;
//! * **gate**: determined by a constraint over determined cells (linear, a bounded
//!   decomposition, or a function lookup: see [`solve`]);
//! * **range only**: looked up (range-checked) and read by no gate, so it influences nothing;
//! * **free**: read by a gate and not determined: a soundness bug.
//!
//! and every output-side instance must be determined: the public output is then a function of
//! the roots and the input-side instances, whatever the prover does.

pub mod poly;
pub mod solve;
pub mod system;

use super::layout::{self, Part, Root, Span};
use super::{CircuitShape, ModelConfig};
use crate::error::{ProverError, Result};
use crate::hash::Tensor;
use crate::quant::{QuantModel, Trace};
use crate::visibility::Visibility;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::ConstraintSystem;
use poly::Var;
use solve::{Analysis, Rule};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt;
use system::{CellRef, Recorder, System, VarKind};

/// A cell read by a gate that nothing determines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeCell {
    /// The cell.
    pub cell: CellRef,
    /// Its column's name (`x[k]`, `acc`, `z`).
    pub column: String,
    /// What its row holds.
    pub part: Option<Part>,
    /// The gates that read it.
    pub gates: Vec<String>,
    /// Whether the layout assigns it at all.
    pub assigned: bool,
}

impl fmt::Display for FreeCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell.column {
            usize::MAX => write!(f, "{}", self.column)?,
            _ => write!(f, "{} row {}", self.column, self.cell.row)?,
        }
        match &self.part {
            Some(Part::Output { layer, output, .. }) => write!(f, " (layer {layer} output {output})")?,
            Some(p) => write!(f, " ({p:?})")?,
            None => {}
        }
        if !self.assigned {
            write!(f, ", never assigned")?;
        }
        write!(f, ", read by {}", self.gates.join(", "))
    }
}

/// How the cells a gate or lookup reads are pinned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Declared free witness cells.
    pub roots: usize,
    /// Read on an input-side instance's row and determined by it.
    pub instances: usize,
    /// Determined through their copy class.
    pub copies: usize,
    /// Determined by a constraint linear in them.
    pub linear: usize,
    /// Determined by a bounded decomposition (limbs, remainders, signs).
    pub decomposition: usize,
    /// Determined by a function lookup.
    pub function: usize,
    /// Looked up, read by no gate.
    pub range_only: usize,
}

/// The audit's result.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The shape audited.
    pub shape: CircuitShape,
    /// Rows of the layout.
    pub rows: usize,
    /// Gate constraints on enabled rows.
    pub constraints: usize,
    /// Advice cells a gate or lookup reads.
    pub read_cells: usize,
    /// How they are pinned.
    pub counts: Counts,
    /// Cells read by a gate that nothing determines (must be empty): the sources, in row order,
    /// whose freedom explains every other undetermined cell.
    pub free: Vec<FreeCell>,
    /// Undetermined cells downstream of the sources.
    pub downstream: usize,
    /// Output-side public instances (by index) the witness does not determine (must be empty).
    pub open_instances: Vec<usize>,
    /// Declared roots per kind.
    pub roots: Vec<(Root, usize)>,
    /// Differences between the declared roots and what the model's visibility allows (must be empty).
    pub root_errors: Vec<String>,
}

impl Audit {
    /// Whether no free cell, no undetermined output instance and no unexpected root was found.
    pub fn is_sound(&self) -> bool {
        self.free.is_empty() && self.open_instances.is_empty() && self.root_errors.is_empty()
    }
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "dot width {}, visibility {}: {} rows, {} constraints, {} cells read: {} roots, {} copies, {} linear, {} decomposition, {} function, {} range-only",
            self.shape.dot_width,
            self.shape.visibility,
            self.rows,
            self.constraints,
            self.read_cells,
            c.roots,
            c.copies,
            c.linear,
            c.decomposition,
            c.function,
            c.range_only
        )?;
        for cell in self.free.iter().take(20) {
            writeln!(f, "  FREE {cell}")?;
        }
        if self.free.len() > 20 {
            writeln!(f, "  … {} more free cells", self.free.len() - 20)?;
        }
        if self.downstream > 0 {
            writeln!(f, "  and {} undetermined cells downstream of them", self.downstream)?;
        }
        for i in &self.open_instances {
            writeln!(f, "  instance {i} is not determined by the witness")?;
        }
        for e in &self.root_errors {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// The recorded layout, its equations and their fixpoint, for one model and shape (and,
/// for forging, a witness).
#[derive(Debug)]
pub struct Snapshot {
    /// The configured columns.
    pub config: ModelConfig,
    /// The recorded layout.
    pub recorder: Recorder,
    /// Where every part was placed.
    pub spans: Vec<Span>,
    /// The equations.
    pub system: System,
    /// The fixpoint.
    pub analysis: Analysis,
    /// Input-side instance variables (known to the verifier).
    pub known: Vec<Var>,
    /// Number of public instances.
    pub num_instances: usize,
    /// Index of the first output-side instance.
    pub first_output_instance: usize,
}

impl Snapshot {
    /// Records the layout of `model` in `shape` (with `trace`'s values if given) and solves it.
    pub fn new(model: &QuantModel, shape: CircuitShape, trace: Option<&Trace>) -> Result<Self> {
        let mut cs = ConstraintSystem::<Fr>::default();
        let config = ModelConfig::configure(&mut cs, shape);
        let mut recorder = Recorder::default();
        let halo2 = |e: halo2_proofs::plonk::Error| ProverError::Halo2 { stage: "audit layout", message: format!("{e:?}") };
        let bindings = layout::assign(&config, model, trace, &mut recorder).map_err(halo2)?;
        let tables = vec![config.lookup_table().map_err(halo2)?; cs.lookups().len()];
        let system = System::build(&cs, &recorder, tables);
        let shape = config.shape;
        let num_instances = shape.num_instances(model);
        let first_output_instance = 2 + shape.input_instances(model);
        let known: Vec<Var> = (0..first_output_instance).filter_map(|r| system.instance_var(r)).collect();
        let analysis = Analysis::run(&system, &known, &[]);
        Ok(Self { config, recorder, spans: bindings.spans, system, analysis, known, num_instances, first_output_instance })
    }

    /// What row `row` holds.
    pub fn part_of(&self, row: usize) -> Option<&Part> {
        self.spans.iter().find(|s| s.rows.contains(&row)).map(|s| &s.part)
    }

    /// Cells read by a gate and not determined.
    pub fn free_vars(&self) -> Vec<Var> {
        let mut read: Vec<Var> = self.system.constraints.iter().flat_map(|c| c.poly.vars()).collect();
        read.sort_unstable();
        read.dedup();
        read.into_iter().filter(|v| !self.analysis.determined(*v)).collect()
    }

    /// The free cells that explain all the others: first those that no constraint could ever
    /// determine (they occur only in products, like a padding pair), then, in row order, each one
    /// the earlier ones do not determine (with them as roots, every cell a gate reads is
    /// determined). Returns them and the analysis with them assumed.
    pub fn free_sources(&self) -> (Vec<Var>, Analysis) {
        let mut free = self.free_vars();
        let row = |v: &Var| match self.system.kinds[*v as usize] {
            VarKind::Advice(c) => (c.row, c.column),
            VarKind::Instance(r) => (r, usize::MAX),
            VarKind::Outside => (0, 0),
        };
        free.sort_by_key(row);
        let mut analysis = self.analysis.clone();
        let (mut sources, rest): (Vec<Var>, Vec<Var>) = free.into_iter().partition(|v| !analysis.determinable(*v));
        analysis.assume(&self.system, &sources);
        for v in rest {
            if !analysis.determined(v) {
                analysis.assume(&self.system, &[v]);
                sources.push(v);
            }
        }
        (sources, analysis)
    }

    fn free_cell(&self, v: Var, gates: &[usize]) -> FreeCell {
        let kind = self.system.kinds[v as usize];
        let cell = match kind {
            VarKind::Advice(c) => Some(c),
            _ => None,
        };
        FreeCell {
            cell: cell.unwrap_or(CellRef { column: usize::MAX, row: 0 }),
            column: match kind {
                VarKind::Advice(c) => self.config.advice_name(c.column),
                VarKind::Instance(r) => format!("instance {r}"),
                VarKind::Outside => "a cell outside the rows".into(),
            },
            part: cell.and_then(|c| self.part_of(c.row).cloned()),
            gates: gates.iter().map(|g| self.system.gate_names[*g].clone()).collect(),
            assigned: cell.is_some_and(|c| self.recorder.advice.contains_key(&c)),
        }
    }

    /// The audit's findings.
    pub fn audit(&self, model: &QuantModel) -> Audit {
        let sys = &self.system;
        let mut gate_readers: HashMap<Var, Vec<usize>> = HashMap::default();
        for c in &sys.constraints {
            for v in c.poly.vars() {
                let g = gate_readers.entry(v).or_default();
                if !g.contains(&c.gate) {
                    g.push(c.gate);
                }
            }
        }
        let mut lookup_read: Vec<Var> = sys.lookups.iter().flat_map(|l| l.inputs.iter().flat_map(poly::Poly::vars)).collect();
        lookup_read.sort_unstable();
        lookup_read.dedup();
        let root_set: HashSet<Var> = sys.roots.iter().map(|(r, _)| *r).collect();
        let mut counts = Counts::default();
        let mut free_count = 0;
        let mut read_cells = 0;
        for (v, kind) in sys.kinds.iter().enumerate() {
            let v = v as Var;
            let by_gate = gate_readers.get(&v);
            if by_gate.is_none() && lookup_read.binary_search(&v).is_err() {
                continue;
            }
            let cell = match kind {
                VarKind::Advice(c) => Some(*c),
                _ => None,
            };
            if cell.is_some() {
                read_cells += 1;
            }
            let class = self.analysis.class[v as usize];
            match (self.analysis.why.get(&class), by_gate) {
                (None, None) => counts.range_only += 1,
                (None, Some(_)) => free_count += 1,
                (Some(rule), _) if cell.is_some() => {
                    let direct = match *rule {
                        Rule::Linear(ci) | Rule::Decomposition(ci) => sys.constraints[ci].poly.mentions(v),
                        Rule::Function(li, _) => sys.lookups[li].inputs.iter().any(|p| p.mentions(v)),
                        Rule::Root => root_set.contains(&v),
                        Rule::Instance => false,
                    };
                    let slot = match (*rule, direct) {
                        (_, false) => &mut counts.copies,
                        (Rule::Root, true) => &mut counts.roots,
                        (Rule::Instance, true) => &mut counts.instances,
                        (Rule::Linear(_), true) => &mut counts.linear,
                        (Rule::Decomposition(_), true) => &mut counts.decomposition,
                        (Rule::Function(..), true) => &mut counts.function,
                    };
                    *slot += 1;
                }
                _ => {}
            }
        }
        let free: Vec<FreeCell> = match free_count {
            0 => Vec::new(),
            _ => self.free_sources().0.into_iter().map(|v| self.free_cell(v, gate_readers.get(&v).map_or(&[][..], Vec::as_slice))).collect(),
        };
        let downstream = free_count - free.len();
        let open_instances = (self.first_output_instance..self.num_instances)
            .filter(|r| self.system.instance_var(*r).is_none_or(|v| !self.analysis.determined(v)))
            .collect();
        let mut roots: Vec<(Root, usize)> = Vec::new();
        for (_, r) in &sys.roots {
            match roots.iter_mut().find(|(k, _)| k == r) {
                Some((_, n)) => *n += 1,
                None => roots.push((*r, 1)),
            }
        }
        let root_errors = root_errors(model, &self.config.shape, &roots);
        Audit {
            shape: self.config.shape,
            rows: sys.rows,
            constraints: sys.constraints.len(),
            read_cells,
            counts,
            free,
            downstream,
            open_instances,
            roots,
            root_errors,
        }
    }
}

/// The free witness cells a model's visibility allows, per kind.
pub fn expected_roots(model: &QuantModel, shape: &CircuitShape) -> Vec<(Root, usize)> {
    let n = shape.value_limbs();
    let mut out = Vec::new();
    let wires = shape.input_wires(model);
    out.push((Root::PrivateInput, wires.private.len()));
    if !wires.hashed.is_empty() {
        out.extend([(Root::Limb(Tensor::Input), n * wires.hashed.len()), (Root::Salt(Tensor::Input), 1)]);
    }
    if shape.hashed_weights() {
        out.extend([(Root::Limb(Tensor::Weights), n * model.committed_weights().len()), (Root::Salt(Tensor::Weights), 1)]);
    }
    if shape.visibility.output == Visibility::Hashed {
        out.push((Root::Salt(Tensor::Output), 1));
    }
    out.retain(|(_, c)| *c > 0);
    out
}

fn root_errors(model: &QuantModel, shape: &CircuitShape, roots: &[(Root, usize)]) -> Vec<String> {
    let expected = expected_roots(model, shape);
    let mut errors = Vec::new();
    for (k, n) in roots {
        let want = expected.iter().find(|(e, _)| e == k).map_or(0, |(_, c)| *c);
        if *n != want {
            errors.push(format!("{n} free cells declared as {k:?}, the visibility allows {want}"));
        }
    }
    for (k, want) in &expected {
        if !roots.iter().any(|(r, _)| r == k) {
            errors.push(format!("no free cell declared as {k:?}, expected {want}"));
        }
    }
    errors
}

/// Audits the circuit of `model` in `shape` (see the module docs).
pub fn audit(model: &QuantModel, shape: CircuitShape) -> Result<Audit> {
    Ok(Snapshot::new(model, shape, None)?.audit(model))
}
