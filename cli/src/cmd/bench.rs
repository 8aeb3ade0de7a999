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
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub compile: BenchCompile,
    #[command(flatten)]
    pub dir: DirArg,
}

#[derive(Debug, clap::Args)]
pub struct BenchCompile {
    /// Fixed-point fractional bits.
    #[arg(long, default_value_t = 8)]
    pub scale_bits: u32,
    /// Inputs per dot-product row (advice columns); default: chosen by the cost model.
    #[arg(long)]
    pub dot_width: Option<usize>,
}

pub async fn run(a: Args) -> Result<()> {
    let input = zkinfer_prover::input::read_input(&a.input)?;
    let compile = zkinfer_prover::CompileOptions {
        scale_bits: a.compile.scale_bits,
        dot_width: a.compile.dot_width,
        range_limbs: None,
        calibration: vec![input.clone()],
    };
    let r = crate::e2e::run(crate::e2e::Options { model: &a.model, input, compile, dir: a.dir.dir(), quiet: a.json }).await?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&r)?);
    }
    Ok(())
}
