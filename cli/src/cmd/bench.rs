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
    pub compile: super::compile::LayoutArgs,
    #[command(flatten)]
    pub dir: DirArg,
}

pub async fn run(a: Args) -> Result<()> {
    let input = zkinfer_prover::input::read_input(&a.input)?;
    let compile = a.compile.options(None, vec![input.clone()])?;
    let r = crate::e2e::run(crate::e2e::Options { model: &a.model, input, compile, dir: a.dir.dir(), quiet: a.json, bounty: None }).await?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&r)?);
    }
    Ok(())
}
