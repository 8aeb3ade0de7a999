//! `zkinfer compile MODEL.onnx`.

use super::DirArg;
use anyhow::{Context, Result};
use std::path::PathBuf;
use zkinfer_prover::optimise::{LayoutChoice, LayoutGoal, DEFAULT_MAX_PROOF_BYTES, DEFAULT_MAX_VERIFY_GAS};
use zkinfer_prover::{CompileOptions, Visibilities, VisibilityOverrides};

/// Fixed point and layout options shared by `compile` and `bench`.
#[derive(Debug, clap::Args)]
pub struct LayoutArgs {
    /// Fixed-point fractional bits (also the limb width of range checks).
    #[arg(long, default_value_t = 8)]
    pub scale_bits: u32,
    /// Inputs per dot-product row (advice columns); default: chosen by the cost model
    /// (docs/cost-model.json, or the file named by $ZKINFER_COST_MODEL).
    #[arg(long)]
    pub dot_width: Option<usize>,
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
    /// named keep the circuit's defaults. `public`: instances; `hashed`: one Poseidon commitment
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
            scale_bits: self.scale_bits,
            dot_width: self.dot_width,
            range_limbs,
            calibration,
            goal,
            visibility: self.visibility_over(Visibilities::default())?,
            accuracy_samples: None,
        })
    }

    /// The `--visibility` groups named over `defaults` (the circuit's).
    pub fn visibility_over(&self, defaults: Visibilities) -> Result<Visibilities> {
        self.visibility.unwrap_or_default().over(defaults).context("--visibility")
    }

    /// How the final visibility came about, for the compile report.
    fn visibility_origin(&self, circuit: &str) -> String {
        let named = self.visibility.unwrap_or_default().named();
        match named.len() {
            0 => format!("the {circuit} defaults"),
            3 => "all named by --visibility".to_string(),
            _ => format!("{} named by --visibility, the rest the {circuit} defaults", named.join(", ")),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ONNX model.
    pub model: PathBuf,
    /// Sample inputs (JSON) used to choose the value range; repeatable.
    #[arg(long = "calibrate", alias = "input")]
    pub calibrate: Vec<PathBuf>,
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Range limbs (overrides calibration).
    #[arg(long)]
    pub range_limbs: Option<u32>,
    /// Compile the accuracy-bounty circuit instead: the model run on this many test samples,
    /// each answer compared with its label, the number of correct answers public (prove with
    /// `--input TESTSET.json`). Its default visibility hashes the weights and the test set; its
    /// output (the count) must be public.
    #[arg(long)]
    pub accuracy_samples: Option<usize>,
    #[command(flatten)]
    pub dir: DirArg,
}

impl Args {
    pub fn options(&self) -> Result<CompileOptions> {
        let calibration = self
            .calibrate
            .iter()
            .map(|p| zkinfer_prover::input::read_input(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut opts = self.layout.options(self.range_limbs, calibration)?;
        if let Some(n) = self.accuracy_samples {
            opts.accuracy_samples = Some(n);
            opts.visibility = self.layout.visibility_over(Visibilities::BOUNTY)?;
            zkinfer_prover::accuracy::check_visibility(&opts.visibility).context("--visibility")?;
        }
        Ok(opts)
    }
}

pub fn run(a: Args) -> Result<()> {
    let opts = a.options()?;
    let (art, layout) = crate::pipeline::compile(&a.model, &opts, &a.dir.dir())?;
    let p = &art.plan;
    println!("compiled {} -> {}", a.model.display(), a.dir.dir().circuit().display());
    println!("  layers: {}", art.model.layers.iter().map(|l| format!("{}x{}{}", l.outputs, l.inputs, match l.activation { zkinfer_prover::ir::Activation::None => String::new(), act => format!("+{act:?}").to_lowercase() })).collect::<Vec<_>>().join(", "));
    println!("  fixed point: scale 2^{}, range ±2^{} (values ±{})", art.model.params.scale_bits, art.model.params.range_bits() - 1, art.model.params.dequantise(art.model.params.max() as i64));
    println!("  circuit: k = {}, {} rows (+{} table rows), {} advice / {} fixed columns, {} lookups, degree {}", p.k, p.rows, p.table_rows, p.advice_columns, p.fixed_columns, p.lookups, p.degree);
    print_layout(&layout);
    let input = match p.shape.visibility.input {
        zkinfer_prover::Visibility::Public => format!("{} input values", art.model.input_len()),
        zkinfer_prover::Visibility::Hashed => format!("the commitment of {} input values", art.model.input_len()),
        _ => "no input".into(),
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
            "  accuracy circuit: {} samples of {} features, {} classes; output = the number of correct answers; prove with --input TESTSET.json ({{\"inputs\": [[...]], \"labels\": [...]}})",
            spec.samples, spec.features, spec.classes
        );
        return Ok(());
    }
    for (i, (path, input)) in a.calibrate.iter().zip(&opts.calibration).enumerate() {
        let (_, _, outs) = crate::pipeline::witness(&art, input, &Default::default())?;
        if let Some(acc) = crate::pipeline::accuracy(&art, input, &outs)? {
            println!("  calibration sample {i} ({}): max abs error vs float {:.5}, argmax match {}", path.display(), acc.max_abs_err, acc.argmax_match);
        }
    }
    Ok(())
}

/// The chosen layout, its predicted proving time, and the rejected alternatives.
fn print_layout(layout: &LayoutChoice) {
    let c = &layout.chosen;
    let how = if layout.forced { "forced by --dot-width" } else { "least predicted prove time within the proof and gas budgets" };
    println!(
        "  layout: dot width {} ({how}), predicted prove {:.2} s on the cost model's machine, proof {} bytes, predicted verify gas {} ({} ecMul)",
        c.plan.shape.dot_width, c.predicted_prove_s, c.plan.proof_bytes, c.plan.predicted_verify_gas, c.plan.verifier_ec_muls
    );
    if layout.alternatives.is_empty() {
        return;
    }
    println!("  rejected layouts:");
    println!("    {:>9} {:>3} {:>7} {:>11} {:>7} {:>8} {:>10} {:>16}", "dot width", "k", "rows", "advice cols", "lookups", "proof B", "verify gas", "predicted prove");
    for alt in &layout.alternatives {
        let p = &alt.plan;
        println!(
            "    {:>9} {:>3} {:>7} {:>11} {:>7} {:>8} {:>10} {:>14.2} s",
            p.shape.dot_width, p.k, p.rows, p.advice_columns, p.lookups, p.proof_bytes, p.predicted_verify_gas, alt.predicted_prove_s
        );
    }
}
