//! `zkinfer audit`: the free-cell audit of a compiled circuit (`zkinfer_prover::circuit::audit`):
//! every advice cell a gate reads must be a declared witness root, a copy, or determined by a
//! gate; exits with an error naming the free cells otherwise.

use super::DirArg;
use anyhow::{bail, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let art = a.dir.dir().load_circuit()?;
    let t = std::time::Instant::now();
    let audit = zkinfer_prover::circuit::audit::audit(&art.model, art.plan.shape)?;
    let c = audit.counts;
    if a.json {
        let free: Vec<String> = audit.free.iter().map(ToString::to_string).collect();
        println!(
            "{}",
            serde_json::json!({
                "sound": audit.is_sound(),
                "rows": audit.rows,
                "constraints": audit.constraints,
                "cells_read": audit.read_cells,
                "roots": c.roots, "copies": c.copies, "linear": c.linear, "decomposition": c.decomposition,
                "function": c.function, "range_only": c.range_only,
                "free": free, "downstream": audit.downstream,
                "open_instances": audit.open_instances, "root_errors": audit.root_errors,
                "seconds": t.elapsed().as_secs_f64(),
            })
        );
    } else {
        print!("{audit}");
        eprintln!("audited in {:.2} s", t.elapsed().as_secs_f64());
    }
    if !audit.is_sound() {
        bail!("the circuit has {} free cells (and {} undetermined downstream): a prover could change them and the proof would still verify", audit.free.len(), audit.downstream);
    }
    if !a.json {
        println!("sound: every cell a gate reads is a witness root, a copy, or determined by a gate");
    }
    Ok(())
}
