//! `zkinfer compile MODEL.onnx`.

use super::DirArg;
use anyhow::{Context, Result};
use std::path::PathBuf;
use zkinfer_prover::optimise::{LayoutChoice, LayoutGoal, DEFAULT_MAX_PROOF_BYTES, DEFAULT_MAX_VERIFY_GAS};
use zkinfer_prover::{CompileOptions, Visibilities, VisibilityOverrides};

/// Fixed-point fractional bits unless `--scale-bits`, `--target` or `compile --calibrate` says
/// otherwise.
pub use zkinfer_prover::calibrate::DEFAULT_SCALE_BITS;

/// What `compile --target` chooses the scale for (ezkl's `calibrate_settings` targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The smallest error against the float model on the calibration samples.
    Accuracy,
    /// The fastest proof whose error stays within 2x the best (or 1% of the largest output).
    Resources,
    /// The smallest error among the scales from 2^8 up predicted to prove within 2x the time of
    /// 2^8, or within 1 s; the allowance doubles while that error is above 5% of the largest
    /// output (at least 0.05). The default of `compile --calibrate` without `--scale-bits`.
    Balanced,
}

impl From<Target> for zkinfer_prover::calibrate::CalibrationTarget {
    fn from(t: Target) -> Self {
        match t {
            Target::Accuracy => Self::Accuracy,
            Target::Resources => Self::Resources,
            Target::Balanced => Self::Balanced,
        }
    }
}

/// Fixed point and layout options shared by `compile` and `bench`.
#[derive(Debug, clap::Args)]
pub struct LayoutArgs {
    /// Fixed-point fractional bits; default 8 (`zkinfer
    /// compile --calibrate` chooses it from the calibration samples instead, as `zkinfer compile
    /// --target` does).
    #[arg(long)]
    pub scale_bits: Option<u32>,
    /// Inputs per dot-product row (advice columns); default: chosen by the cost model
    /// (docs/cost-model.json, or the file named by $ZKINFER_COST_MODEL).
    #[arg(long)]
    pub dot_width: Option<usize>,
    /// Width of the range-check limbs, a divisor of the scale bits (the limb table has
    /// 2^limb-bits rows; narrower limbs take more rows per rescale); default: chosen by the cost
    /// model with the dot width.
    #[arg(long)]
    pub limb_bits: Option<u32>,
    /// Function tables (sigmoid, tanh, exp, ...) every 2^interp-bits rescaled units, linearly
    /// interpolated in between (tables 2^interp-bits times smaller, within about one unit of the
    /// exact table); 0 keeps them exact; default: interpolated when the exact tables would pass
    /// 8192 rows and a step stays within one unit.
    #[arg(long)]
    pub interp_bits: Option<u32>,
    /// Proof-size budget of the layout choice, in bytes: the fastest layout whose proof fits
    /// wins (0: no budget, fastest layout).
    #[arg(long, default_value_t = DEFAULT_MAX_PROOF_BYTES)]
    pub max_proof_bytes: usize,
    /// On-chain verification budget of the layout choice, in gas of a `verifyProof` transaction
    /// (predicted from the constraint system): the fastest layout within it wins (0: no budget).
    #[arg(long, default_value_t = DEFAULT_MAX_VERIFY_GAS)]
    pub max_verify_gas: u64,
    /// What proofs reveal, per tensor group: e.g. `input=public` or
    /// `weights=fixed,input=hashed,output=public` (the default; for an accuracy circuit
    /// `weights=hashed,input=hashed,output=public`, and its output must stay public). Groups not
    /// named keep the circuit's defaults. A model with several graph inputs may give each its
    /// own: `input0=hashed,input1=public` (graph order; the rest take `input=`). `public`: instances; `hashed`: one Poseidon commitment
    /// instance; `private`: nothing; `fixed` (weights): in the key.
    #[arg(long)]
    pub visibility: Option<VisibilityOverrides>,
}

impl LayoutArgs {
    /// Compile options for these settings and calibration samples, the `--visibility` groups
    /// over the inference defaults.
    pub fn options(&self, range_limbs: Option<u32>, calibration: Vec<Vec<f32>>) -> Result<CompileOptions> {
        let goal = LayoutGoal {
            max_proof_bytes: (self.max_proof_bytes > 0).then_some(self.max_proof_bytes),
            max_verify_gas: (self.max_verify_gas > 0).then_some(self.max_verify_gas),
        };
        Ok(CompileOptions {
            scale_bits: self.scale_bits.unwrap_or(DEFAULT_SCALE_BITS),
            dot_width: self.dot_width,
            limb_bits: self.limb_bits,
            range_limbs,
            calibration,
            goal,
            visibility: self.visibility_over(Visibilities::default())?,
            accuracy_samples: None,
            interp_bits: self.interp_bits,
        })
    }

    /// The `--visibility` groups named over `defaults` (the circuit's).
    pub fn visibility_over(&self, defaults: Visibilities) -> Result<Visibilities> {
        self.visibility.unwrap_or_default().over(defaults).context("--visibility")
    }

    /// How the final visibility came about, for the compile report.
    fn visibility_origin(&self, circuit: &str) -> String {
        let o = self.visibility.unwrap_or_default();
        let named = o.named();
        match named.len() {
            0 => format!("the {circuit} defaults"),
            _ if o.weights.is_some() && o.input.is_some() && o.output.is_some() => "all named by --visibility".to_string(),
            _ => format!("{} named by --visibility, the rest the {circuit} defaults", named.join(", ")),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ONNX model.
    pub model: PathBuf,
    /// Sample inputs used to choose the value range (the range holds every value of every
    /// sample's fixed-point run with 2x headroom); repeatable. An input JSON ({"input": [...]} or
    /// ezkl's {"input_data": [[...]]}) or a test set ({"inputs": [[...], ...], "labels": [...]},
    /// every input a sample).
    #[arg(long = "calibrate", alias = "input")]
    pub calibrate: Vec<PathBuf>,
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Range limbs (overrides calibration): fixed-point integers lie in ±2^(scale_bits·N − 1),
    /// i.e. values in ±2^(scale_bits·(N − 1) − 1) (N = 2 at 8 bits: ±128).
    #[arg(long)]
    pub range_limbs: Option<u32>,
    /// Compile the accuracy-bounty circuit instead: the model run on this many test samples,
    /// each answer compared with its label, the number of correct answers public (`zkinfer prove
    /// --input TESTSET.json`). Its default visibility hashes the weights and the test set; its
    /// output (the count) must be public.
    #[arg(long)]
    pub accuracy_samples: Option<usize>,
    /// Choose the scale from the calibration samples: every scale from 2^6 to 2^16 is compiled
    /// and its error against the float model measured; `accuracy` takes the smallest error,
    /// `resources` the fastest proof within 2x of it, `balanced` the smallest error from 2^8 up
    /// predicted to prove within 2x the time of 2^8 or 1 s (longer while the error is above 5% of
    /// the largest output). The report lists every candidate's error and
    /// predicted prove time. Needs `--calibrate`; not with `--scale-bits`. Default: `balanced`
    /// when `--calibrate` is given without `--scale-bits` or `--range-limbs` (falling back to
    /// 2^8, with a note, when the float model cannot run), else the scale 2^8.
    #[arg(long, value_enum)]
    pub target: Option<Target>,
    #[command(flatten)]
    pub dir: DirArg,
}

impl Args {
    /// The compile options and, per calibration sample, where it came from (`file` or
    /// `file#i` for a test set's i-th input).
    pub fn options(&self) -> Result<(CompileOptions, Vec<String>)> {
        let mut calibration = Vec::new();
        let mut names = Vec::new();
        for p in &self.calibrate {
            let samples = zkinfer_prover::accuracy::read_calibration(p).context("--calibrate")?;
            let many = samples.len() > 1;
            for (i, s) in samples.into_iter().enumerate() {
                names.push(if many { format!("{}#{i}", p.display()) } else { p.display().to_string() });
                calibration.push(s);
            }
        }
        let mut opts = self.layout.options(self.range_limbs, calibration)?;
        if let Some(n) = self.accuracy_samples {
            opts.accuracy_samples = Some(n);
            opts.visibility = self.layout.visibility_over(Visibilities::BOUNTY)?;
            zkinfer_prover::accuracy::check_visibility(&opts.visibility).context("--visibility")?;
        }
        Ok((opts, names))
    }
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let result = compile_and_save(&a, &dir);
    if result.is_err() && dir.circuit().exists() {
        eprintln!("note: nothing was written; {} is from an earlier compile, unchanged", dir.circuit().display());
    }
    result
}

/// The scale: `--target`'s choice, the balanced choice when `--calibrate` is given without
/// `--scale-bits` or `--range-limbs` (2^8 with a note when it cannot be made), else
/// `--scale-bits` or 2^8. Accuracy circuits keep `--scale-bits` or 2^8 (their output is a count).
fn resolve_scale(a: &Args, opts: &mut CompileOptions) -> Result<Vec<String>> {
    if let Some(t) = a.target {
        return choose_scale(a, t, opts);
    }
    if a.layout.scale_bits.is_some() || a.range_limbs.is_some() || a.accuracy_samples.is_some() || opts.calibration.is_empty() {
        return Ok(Vec::new());
    }
    match choose_scale(a, Target::Balanced, opts) {
        Ok(report) => Ok(report),
        Err(e) => {
            opts.scale_bits = DEFAULT_SCALE_BITS;
            let why = format!("{e:#}");
            eprintln!("note: keeping the default scale 2^{DEFAULT_SCALE_BITS}: {why}");
            Ok(vec![format!("  scale: the default 2^{DEFAULT_SCALE_BITS}, not chosen from the samples: {why}")])
        }
    }
}

/// `--target`: every candidate scale measured (printed as it goes), the chosen one set in `opts`.
fn choose_scale(a: &Args, target: Target, opts: &mut CompileOptions) -> Result<Vec<String>> {
    if a.layout.scale_bits.is_some() {
        anyhow::bail!("--target chooses the scale: drop --scale-bits (or --target)");
    }
    if a.accuracy_samples.is_some() {
        anyhow::bail!("--target measures the error of the model's outputs; an accuracy circuit's output is a count: use --scale-bits");
    }
    if opts.calibration.is_empty() {
        anyhow::bail!("--target needs calibration samples: --calibrate INPUT.json (or a test set)");
    }
    let name = format!("{target:?}").to_lowercase();
    let how = if a.target.is_some() { format!("--target {name}") } else { format!("--target {name}, the default with --calibrate; --scale-bits sets it") };
    eprintln!("choosing the scale ({how}) on {} calibration sample(s):", opts.calibration.len());
    let line = |c: &zkinfer_prover::calibrate::ScaleCandidate| match &c.outcome {
        Ok(st) => format!("2^{:<2}  max abs error {:.5}  predicted prove {:.2} s  k {}", c.scale_bits, st.max_abs_err, st.predicted_prove_s, st.k),
        Err(why) => format!("2^{:<2}  does not compile: {}", c.scale_bits, why.lines().next().unwrap_or("")),
    };
    let flag = if a.target.is_some() { "--target" } else { "choosing the scale from --calibrate" };
    let choice = zkinfer_prover::calibrate::choose_scale(&a.model, opts, target.into(), zkinfer_prover::calibrate::DEFAULT_SCALES, &mut |c| eprintln!("  {}", line(c)))
        .context(flag)?;
    opts.scale_bits = choice.chosen;
    if let Some(st) = choice.chosen_stats() {
        let tolerance = zkinfer_prover::calibrate::usable_error(choice.largest_output);
        if st.max_abs_err > tolerance {
            eprintln!(
                "warning: the best scale that compiles (2^{}) is {:.4} from the float model (more than {tolerance:.4}): its tables or range do not fit at finer scales; check the outputs before relying on them",
                choice.chosen, st.max_abs_err
            );
        }
    }
    let mut report = vec![format!("  scale chosen by {how}: 2^{} of:", choice.chosen)];
    for c in &choice.candidates {
        report.push(format!("    {}{}", line(c), if c.scale_bits == choice.chosen { "  <- chosen" } else { "" }));
    }
    Ok(report)
}

fn compile_and_save(a: &Args, dir: &crate::pipeline::Dir) -> Result<()> {
    let (mut opts, names) = a.options()?;
    let scale_report = resolve_scale(a, &mut opts)?;
    let (art, layout, calibrated) = crate::pipeline::compile_artifact(&a.model, &opts)?;
    // Everything that can fail runs before circuit.json is written.
    let mut report = scale_report;
    if art.accuracy.is_none() {
        for (name, input) in names.iter().zip(&opts.calibration) {
            let (_, _, outs) = crate::pipeline::witness(&art, input, &Default::default()).with_context(|| format!("calibration sample {name}"))?;
            match crate::pipeline::accuracy(&art, input, &outs) {
                Ok(Some(acc)) => report.push(format!("  calibration sample {name}: max abs error vs float {:.5}, argmax match {}", acc.max_abs_err, acc.argmax_match)),
                Ok(None) => {}
                // A model tract cannot run still compiles: the report says why it has no error.
                Err(e) => report.push(format!("  calibration sample {name}: no float reference (tract could not run the model: {e:#})")),
            }
        }
    }
    crate::pipeline::save_circuit(dir, &art)?;
    let p = &art.plan;
    let params = art.model.params;
    println!("compiled {} -> {}", a.model.display(), dir.circuit().display());
    println!("  layers: {}", art.model.layers.iter().map(|l| format!("{}x{}{}", l.outputs, l.inputs, match l.activation { zkinfer_prover::ir::Activation::None => String::new(), act => format!("+{act:?}").to_lowercase() })).collect::<Vec<_>>().join(", "));
    println!("    (OUTxIN+ACT: a layer's outputs x the wires it may read, i.e. the inputs and every earlier layer's outputs; +ACT the activation after the rescale, none when absent)");
    let range = format!("range ±2^{} (values ±{})", params.range_bits() - 1, params.dequantise(params.max() as i64));
    let why = match (a.range_limbs, calibrated) {
        (Some(n), _) => format!("{n} limbs of {} bits, set by --range-limbs", params.scale_bits),
        (None, Some(m)) => format!(
            "{} limbs of {} bits: the fewest holding {}x the largest value of the {} calibration samples' fixed-point runs, {}{}",
            params.range_limbs,
            params.scale_bits,
            zkinfer_prover::compile::HEADROOM,
            opts.calibration.len(),
            params.dequantise(m),
            if art.accuracy.is_some() { ", and the scoring's 2·that + 1" } else { "" }
        ),
        (None, None) => format!("{} limbs of {} bits, the default without --calibrate", params.range_limbs, params.scale_bits),
    };
    println!("  fixed point: scale 2^{}, {range} ({why})", params.scale_bits);
    if !params.tabulated().is_empty() {
        let how = match params.interp {
            Some(i) => format!("interpolated every 2^{} units (2^{} of the input), increments of {} bits", i.bits, i.bits as i64 - i64::from(params.scale_bits), i.delta_bits),
            None => "exact".to_string(),
        };
        let origin = match a.layout.interp_bits {
            Some(_) => "--interp-bits",
            None => "chosen",
        };
        println!("  function tables: {} rows, {how} ({origin})", params.function_table_rows());
    }
    println!("  circuit: k = {}, {} rows (+{} table rows), {} advice / {} fixed columns, {} lookups, degree {}", p.k, p.rows, p.table_rows, p.advice_columns, p.fixed_columns, p.lookups, p.degree);
    print_layout(&layout);
    let wires = p.shape.input_wires(&art.model);
    let input = match (wires.public.len(), wires.hashed.len()) {
        (0, 0) => "no input".to_string(),
        (n, 0) => format!("{n} input values"),
        (0, h) => format!("the commitment of {h} input values"),
        (n, h) => format!("{n} input values and the commitment of {h} more"),
    };
    let model = if p.shape.hashed_weights() { "weights commitment" } else { "model commitment" };
    println!("  public instances: {} ({model}, claimant binding, {input}, {} outputs)", p.num_instances, art.model.output_len());
    let circuit = if a.accuracy_samples.is_some() { "accuracy circuit" } else { "inference" };
    println!("  visibility: {} ({})", p.shape.visibility, a.layout.visibility_origin(circuit));
    if p.shape.hashed_weights() {
        println!(
            "  hashed weights: {} weights and biases, {} commitment rows; any weight set of this architecture proves with these keys (zkinfer prove --model)",
            art.model.committed_weights().len(),
            p.weight_commitment_rows
        );
    } else {
        println!("  model commitment: {}", art.model_commitment);
    }
    if let Some(spec) = art.accuracy {
        println!(
            "  accuracy circuit: {} samples of {} features, {} classes; output = the number of correct answers; prove with `zkinfer prove --input TESTSET.json` ({{\"inputs\": [[...]], \"labels\": [...]}})",
            spec.samples, spec.features, spec.classes
        );
    }
    report.iter().for_each(|l| println!("{l}"));
    Ok(())
}

/// Alternatives shown besides the ones over a budget: the fastest few.
const SHOWN_ALTERNATIVES: usize = 5;

/// The chosen layout, its predicted proving time, and the rejected alternatives: the fastest
/// few, every one faster than the chosen (rejected for a budget), and the widths with no layout,
/// each with the reason.
fn print_layout(layout: &LayoutChoice) {
    let c = &layout.chosen;
    let how = match (layout.forced, layout.forced_limb_bits) {
        (true, true) => "forced by --dot-width and --limb-bits",
        (true, false) => "forced by --dot-width",
        (false, true) => "limbs forced by --limb-bits",
        (false, false) => "least predicted prove time within the proof and gas budgets",
    };
    println!(
        "  layout: dot width {}, {}-bit limbs ({how}), predicted prove {:.2} s on the cost model's machine, proof {} bytes, predicted verify gas {} ({} ecMul)",
        c.plan.shape.dot_width,
        c.plan.shape.limb_bits(),
        c.predicted_prove_s,
        c.plan.proof_bytes,
        c.plan.predicted_verify_gas,
        c.plan.verifier_ec_muls
    );
    if layout.alternatives.is_empty() && layout.skipped.is_empty() {
        return;
    }
    let mut alts: Vec<_> = layout.alternatives.iter().collect();
    alts.sort_by(|a, b| a.predicted_prove_s.total_cmp(&b.predicted_prove_s));
    let shown: Vec<_> = alts.iter().enumerate().filter(|(i, a)| *i < SHOWN_ALTERNATIVES || a.predicted_prove_s < c.predicted_prove_s).map(|(_, a)| *a).collect();
    println!("  rejected layouts ({} of {}: the fastest, and any faster than the chosen one):", shown.len(), alts.len());
    println!("    {:>9} {:>5} {:>3} {:>7} {:>11} {:>7} {:>8} {:>10} {:>16}  why not", "dot width", "limbs", "k", "rows", "advice cols", "lookups", "proof B", "verify gas", "predicted prove");
    for alt in &shown {
        let p = &alt.plan;
        println!(
            "    {:>9} {:>5} {:>3} {:>7} {:>11} {:>7} {:>8} {:>10} {:>14.2} s  {}",
            p.shape.dot_width,
            p.shape.limb_bits(),
            p.k,
            p.rows,
            p.advice_columns,
            p.lookups,
            p.proof_bytes,
            p.predicted_verify_gas,
            alt.predicted_prove_s,
            layout.rejection(alt)
        );
    }
    if alts.len() > shown.len() {
        println!("    ... {} slower layouts not shown", alts.len() - shown.len());
    }
    for s in &layout.skipped {
        let limbs = s.limb_bits.map_or(String::new(), |l| format!(", {l}-bit limbs"));
        println!("    dot width {}{limbs}: no layout: {}", s.dot_width, s.reason);
    }
}
