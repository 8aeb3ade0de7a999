//! `zkinfer bench MODEL.onnx --input INPUT.json`: the whole pipeline, measured.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ONNX model.
    pub model: PathBuf,
    /// Input JSON (also used for calibration).
    #[arg(long)]
    pub input: PathBuf,
    /// Print one JSON object with every measurement instead of the summary (progress stays on
    /// stderr).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub compile: super::compile::LayoutArgs,
    #[command(flatten)]
    pub dir: DirArg,
}

pub async fn run(a: Args) -> Result<()> {
    let input = zkinfer_prover::input::read_input(&a.input)?;
    let compile = a.compile.options(None, vec![input.clone()])?;
    // Progress (stage names and times) goes to stderr, so it never mixes with the JSON on stdout.
    let r = crate::e2e::run(crate::e2e::Options { model: &a.model, input, compile, dir: a.dir.dir(), quiet: false, bounty: None }).await?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        summary(&r);
    }
    Ok(())
}

/// The readable report (`--json` has every field).
fn summary(r: &crate::e2e::Report) {
    let b = &r.verify_gas_breakdown;
    println!("zkinfer bench: {}", r.model);
    println!("  circuit        k = {}, {} rows, {} advice / {} fixed columns (dot width {}), {} lookups, {} public instances", r.k, r.rows, r.advice_columns, r.fixed_columns, r.dot_width, r.lookups, r.num_instances);
    println!("  visibility     {}", r.visibility);
    println!("  times          compile {:.2} s, setup {:.2} s, prove {:.2} s (predicted {:.2} s), verify {:.3} s", r.compile_s, r.setup_s, r.prove_s, r.predicted_prove_s, r.verify_s);
    println!("  peak memory    {}", r.peak_rss_mb.map_or("unknown".into(), |m| format!("{m:.0} MiB")));
    println!("  proof          {} bytes", r.proof_bytes);
    println!("  verifier       {} bytes runtime, {} bytes initcode, deployed for {} gas", r.verifier_runtime_bytes, r.verifier_initcode_bytes, r.verifier_deploy_gas);
    println!(
        "  verify gas     {} (predicted {}): tx {} + calldata {} + ecMul {} + ecAdd {} + pairing {} + execution {}",
        r.verify_gas, r.predicted_verify_gas, b.tx_base, b.calldata, b.ec_mul, b.ec_add, b.pairing, b.execution
    );
    println!("  verified       on-chain {}, tampered proofs rejected {}", r.verified_onchain, r.tampered_rejected);
    match (r.max_abs_err, r.argmax_match, &r.float_reference_error) {
        (Some(e), Some(m), _) => println!("  accuracy       max abs error {e:.5} vs tract, argmax match {m}"),
        (_, _, why) => println!("  accuracy       no float reference ({})", why.as_deref().unwrap_or("none")),
    }
    println!("  outputs        {:?}", r.outputs);
    println!("  SRS            {}", r.srs);
    println!("  (--json prints every field, the gas by verifier step and the tamper suite included)");
}
