//! `zkinfer costmodel`: measures this machine's proving costs (prover::costmodel) and writes the
//! model that `compile` uses to choose a layout.

use anyhow::{bail, Result};
use std::path::PathBuf;
use zkinfer_prover::costmodel::{self, MeasureEvent};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output file (the builtin model is docs/cost-model.json; use it via $ZKINFER_COST_MODEL).
    #[arg(long, default_value = "cost-model.json")]
    pub out: PathBuf,
    /// Smallest k measured.
    #[arg(long, default_value_t = 9)]
    pub kmin: u32,
    /// Largest k measured.
    #[arg(long, default_value_t = 16)]
    pub kmax: u32,
    /// Keep this model's samples for the k not measured now, and refit (re-measure a k range).
    #[arg(long)]
    pub merge: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    if a.kmin > a.kmax {
        bail!("--kmin {} is above --kmax {}", a.kmin, a.kmax);
    }
    let points = (a.kmax - a.kmin + 1) as usize * costmodel::GRID.len();
    eprintln!("measuring {points} synthetic circuits (k = {}..={}, {} layouts each); other load on this machine inflates the numbers", a.kmin, a.kmax, costmodel::GRID.len());
    let started = std::time::Instant::now();
    let model = costmodel::measure(a.kmin..=a.kmax, &zkinfer_prover::srs::cache_dir(), |e| match e {
        MeasureEvent::Srs { k } => eprintln!("[k = {k}] dev SRS (generated once, then cached) ..."),
        MeasureEvent::Sample { sample: s, done, total } => eprintln!(
            "      [{done}/{total}] k = {}, {} advice, {} fixed, {} lookups: {:.3} s (fastest of {}{})  [{:.0} s elapsed]",
            s.k,
            s.advice,
            s.fixed,
            s.lookups,
            s.prove_s,
            s.repeats,
            if s.contended { format!("; CONTENDED: others used {:.0}% of the CPU", 100.0 * s.others_cpu_share) } else { String::new() },
            started.elapsed().as_secs_f64()
        ),
    })?;
    let model = match &a.merge {
        Some(p) => {
            let old = costmodel::CostModel::load(p)?;
            let kept = old.samples.into_iter().filter(|s| !(a.kmin..=a.kmax).contains(&s.k));
            let samples = kept.chain(model.samples).collect();
            costmodel::CostModel::fit(model.machine, model.degree, samples)?
        }
        None => model,
    };
    model.save(&a.out)?;
    println!("wrote {} ({} on {} threads)", a.out.display(), model.machine.cpu, model.machine.threads);
    println!("  {:>3} {:>9} {:>12} {:>12} {:>12} {:>8}", "k", "base s", "per advice", "per fixed", "per lookup", "rms err");
    for c in &model.per_k {
        println!("  {:>3} {:>9.4} {:>12.5} {:>12.5} {:>12.5} {:>7.1}%", c.k, c.base_s, c.advice_s, c.fixed_s, c.lookup_s, 100.0 * c.rms_rel_err);
    }
    Ok(())
}
