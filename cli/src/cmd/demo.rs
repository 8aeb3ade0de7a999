//! `zkinfer demo`: the end-to-end demo on the bundled model and a local anvil.

use super::DirArg;
use anyhow::{bail, Result};
use std::path::PathBuf;
use zkinfer_prover::CompileOptions;

/// The bundled model and input, embedded so that `zkinfer demo` needs no files.
const BUNDLED_MODEL: &[u8] = include_bytes!("../../../models/mlp_small.onnx");
const BUNDLED_INPUT: &str = include_str!("../../../models/mlp_small.input.json");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    pub json: bool,
    /// Model (default: the bundled 8-16-8-3 MLP).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Input JSON (default: the bundled sample).
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub async fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    dir.create()?;
    let model = match a.model {
        Some(m) => m,
        None => {
            let p = dir.0.join("mlp_small.onnx");
            std::fs::write(&p, BUNDLED_MODEL)?;
            p
        }
    };
    let input = match a.input {
        Some(p) => zkinfer_prover::input::read_input(&p)?,
        None => zkinfer_prover::input::parse_input(BUNDLED_INPUT)?,
    };
    let compile = CompileOptions { calibration: vec![input.clone()], ..CompileOptions::default() };
    let r = crate::e2e::run(crate::e2e::Options { model: &model, input, compile, dir, quiet: false }).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!();
        println!("zkinfer demo: {}", r.model);
        println!("  circuit          k = {}, {} rows, {} advice columns", r.k, r.rows, r.advice_columns);
        println!("  visibility       {} ({} public instances)", r.visibility, r.num_instances);
        if let Some(c) = &r.input_commitment {
            println!("  input commitment {c} (the input itself stays private; salted)");
        }
        println!("  outputs          {:?}", r.outputs);
        println!("  float (tract)    {:?}  (max abs error {:.4}, argmax match {})", r.float_outputs, r.max_abs_err, r.argmax_match);
        println!("  proof            {} bytes, proved in {:.2} s", r.proof_bytes, r.prove_s);
        println!("  verifier         {} bytes runtime bytecode", r.verifier_runtime_bytes);
        println!("  verified onchain {} ({} gas)", r.verified_onchain, r.verify_gas);
        println!("  tampered proof   {}", if r.tampered_rejected { "rejected on-chain" } else { "ACCEPTED (bug)" });
        println!("  copied proof     {}", if r.copied_claim_rejected { "rejected: bound to the prover's address" } else { "PAID (bug)" });
        println!("  bounty           paid {} wei to the prover (claim gas {}); second claim {}", r.reward_paid_wei, r.claim_gas, if r.second_claim_rejected { "rejected" } else { "PAID (bug)" });
        println!("  SRS              development SRS: UNSAFE for production");
    }
    if !(r.verified_onchain && r.tampered_rejected && r.copied_claim_rejected && r.second_claim_rejected && r.reward_paid_wei != "0") {
        bail!("the demo did not end as expected (see above)");
    }
    Ok(())
}
