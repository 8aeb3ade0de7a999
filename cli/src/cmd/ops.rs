//! `zkinfer ops`: the supported ONNX ops.

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the conformance list as Markdown (docs/ops.md).
    #[arg(long)]
    pub markdown: bool,
}

pub fn run(a: Args) -> Result<()> {
    if a.markdown {
        print!("{}", zkinfer_prover::onnx::registry::conformance_markdown());
    } else {
        for e in zkinfer_prover::onnx::registry::REGISTRY {
            println!("{:10} attributes: {:30} {}", e.name, if e.attributes.is_empty() { "-".into() } else { e.attributes.join(",") }, e.notes);
        }
    }
    Ok(())
}
