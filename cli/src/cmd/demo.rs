//! `zkinfer demo`: the end-to-end demo on the bundled model and a local anvil.

use super::DirArg;
use anyhow::{bail, Result};
use std::path::PathBuf;
use zkinfer_prover::CompileOptions;

/// The bundled model and input, embedded so that `zkinfer demo` needs no files.
const BUNDLED_MODEL: &[u8] = include_bytes!("../../../models/mlp_small.onnx");
const BUNDLED_INPUT: &str = include_str!("../../../models/mlp_small.input.json");
/// The accuracy bounty's hunter model (same architecture, other weights) and test set.
const BUNDLED_HUNTER_MODEL: &[u8] = include_bytes!("../../../models/mlp_small_b.onnx");
const BUNDLED_TEST_SET: &str = include_str!("../../../models/mlp_small.testset.json");
/// Samples of the bundled test set and the right answers the demo's bounty asks for.
const BOUNTY_SAMPLES: usize = 16;
const BOUNTY_THRESHOLD: u64 = 12;

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
    let bundled = a.model.is_none();
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
    // The accuracy bounty runs on the bundled architecture (with another model, only when asked).
    let bounty = if bundled {
        let hunter_model = dir.0.join("mlp_small_b.onnx");
        std::fs::write(&hunter_model, BUNDLED_HUNTER_MODEL)?;
        let test_set = dir.0.join("mlp_small.testset.json");
        std::fs::write(&test_set, BUNDLED_TEST_SET)?;
        Some(crate::accuracy_demo::BountyDemo {
            architecture: model.clone(),
            hunter_model,
            test_set,
            calibration: input.clone(),
            samples: BOUNTY_SAMPLES,
            threshold: BOUNTY_THRESHOLD,
        })
    } else {
        None
    };
    let compile = CompileOptions { calibration: vec![input.clone()], ..CompileOptions::default() };
    let r = crate::e2e::run(crate::e2e::Options { model: &model, input, compile, dir, quiet: false, bounty }).await?;
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
        match (r.max_abs_err, r.argmax_match) {
            (Some(e), Some(m)) => println!("  float (tract)    {:?}  (max abs error {e:.4}, argmax match {m})", r.float_outputs),
            _ => println!("  float (tract)    none ({})", r.float_reference_error.as_deref().unwrap_or("no reference")),
        }
        println!("  proof            {} bytes, proved in {:.2} s", r.proof_bytes, r.prove_s);
        println!("  verifier         {} bytes runtime bytecode", r.verifier_runtime_bytes);
        println!("  verified onchain {} ({} gas)", r.verified_onchain, r.verify_gas);
        println!(
            "  tampered proof   {}; {}",
            if r.tampered_rejected { "rejected on-chain" } else { "ACCEPTED (bug)" },
            if r.relayer_refused_tampered { "the host's relayer refused it before sending" } else { "SENT by the relayer (bug)" }
        );
        println!("  copied proof     {}", if r.copied_claim_rejected { "rejected: bound to the prover's address" } else { "PAID (bug)" });
        println!(
            "  paid inference   fee of {} wei released to the host (fulfil sent by its relayer, gas {}); outputs stored on-chain {}; second fulfilment {}",
            r.reward_paid_wei,
            r.claim_gas,
            if r.outputs_onchain { "as proven" } else { "MISMATCH (bug)" },
            if r.second_claim_rejected { "rejected" } else { "PAID (bug)" }
        );
        if let Some(b) = &r.bounty {
            println!(
                "  model bounty     {} samples, threshold {}: private model {}/{} paid {} wei (claim gas {}); baseline {}/{} {}",
                b.samples,
                b.threshold,
                b.hunter_correct,
                b.samples,
                b.paid_wei,
                b.claim_gas,
                b.weak_correct,
                b.samples,
                b.weak_rejected.as_deref().map_or("PAID (bug)".to_string(), |r| format!("rejected: {r}"))
            );
        }
        println!("  SRS              development SRS: UNSAFE for production");
    }
    let bounty_ok = r.bounty.as_ref().is_none_or(|b| b.paid_wei != "0" && b.weak_rejected.is_some()) && r.relayer_refused_tampered;
    if !(r.verified_onchain && r.tampered_rejected && r.copied_claim_rejected && r.second_claim_rejected && r.reward_paid_wei != "0" && r.outputs_onchain && bounty_ok) {
        bail!("the demo did not end as expected (see above)");
    }
    Ok(())
}
