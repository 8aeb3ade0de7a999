//! `zkinfer setup`.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::srs::SrsSource;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A halo2 KZG parameters file (production). Without it the UNSAFE development SRS is used.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let art = dir.load_circuit()?;
    let source = a.srs.map_or(SrsSource::DevUnsafe, |path| SrsSource::File { path });
    let mut p = crate::progress::Progress::new(1, false);
    p.step("generating proving and verifying keys", || crate::pipeline::setup(&dir, &art, source))?;
    println!("wrote {}, {}, {}", dir.pk().display(), dir.vk().display(), dir.setup().display());
    Ok(())
}
