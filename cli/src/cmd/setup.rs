//! `zkinfer setup`.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::srs::SrsSource;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A ceremony SRS file for production: a snarkjs/Hermez .ptau or a halo2 KZG parameters file
    /// (recognised by content). Without it the UNSAFE development SRS is used.
    ///
    /// Accepted formats (recognised by the content, not the name):
    ///
    ///   * snarkjs / Hermez powers of tau (`.ptau`, starts with the magic "ptau"), BN254, any
    ///     power >= the circuit's k, any number of contributions, e.g.
    ///     powersOfTau28_hez_final_K.ptau from https://storage.googleapis.com/zkevm/ptau/ (54
    ///     contributions and a beacon). A file prepared for phase 2 (the `_final_` ones are) also
    ///     gives its Lagrange basis, which saves an FFT over G1.
    ///
    ///   * a halo2 KZG parameters file (`ParamsKZG::write`: k, 2^k powers, 2^k Lagrange points,
    ///     G2, tau*G2) with raw points, as halo2-axiom, PSE halo2 and ezkl write them (ezkl's
    ///     downloaded kzg files, PSE's perpetual-powers-of-tau-raw-K, Axiom's kzg_bn254_K.srs), or
    ///     compressed points (PSE's older perpetual-powers-of-tau-K).
    ///
    /// A larger file is downsized to the circuit's k. On load zkinfer checks: the structure and
    /// every section length against the file's size; every point used is on the curve (G2: in the
    /// subgroup) and not at infinity; the standard generators; tau != 1; e(tau*G1, G2) =
    /// e(G1, tau*G2); a random power e(tau^(i+1)*G1, G2) = e(tau^i*G1, tau*G2); a random linear
    /// combination of all 2^k powers; a file's own Lagrange basis. Any failure is an error naming
    /// the file and the problem. setup.json records the file, its format, power and contributions,
    /// its blake2b-512 (compare with `b2sum FILE` and the published hash) and the Keccak-256 of the
    /// points used; later commands refuse a file whose points changed.
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    pub srs: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let art = dir.load_circuit()?;
    // An absolute path, so that later commands find the file from any directory.
    let source = a.srs.map_or(SrsSource::DevUnsafe, |path| SrsSource::File { path: std::fs::canonicalize(&path).unwrap_or(path) });
    let mut p = crate::progress::Progress::new(1, false);
    p.step("generating proving and verifying keys", || crate::pipeline::setup(&dir, &art, source))?;
    println!("wrote {}, {}, {}", dir.pk().display(), dir.vk().display(), dir.setup().display());
    Ok(())
}
