//! The development SRS — **UNSAFE FOR PRODUCTION**: its toxic waste comes from a public seed, so
//! anyone can forge proofs against keys made with it. Generated once per `k` and cached as
//! `dev-srs-k{K}.UNSAFE.srs`: the line [`DEV_SRS_MAGIC`], then halo2-axiom's `ParamsKZG::write`.

use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// First line of a cached dev SRS file.
pub const DEV_SRS_MAGIC: &[u8] = b"ZKINFER DEV SRS v1 -- UNSAFE: toxic waste derived from a public seed\n";
/// The public seed of the development SRS.
pub const DEV_SRS_SEED: u64 = 0x7a6b_696e_6665_7221;

fn dev_rng() -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SRS_SEED)
}

/// The dev SRS's tau (public!): `ParamsKZG::setup` draws it first from the seeded RNG. Lets a
/// loader recognise the dev SRS in any file, with or without its magic line.
pub(super) fn dev_tau() -> Fr {
    Fr::random(dev_rng())
}

/// Directory of the dev SRS cache: `$ZKINFER_SRS_DIR`, else `$XDG_CACHE_HOME/zkinfer/srs`, else
/// `~/.cache/zkinfer/srs`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ZKINFER_SRS_DIR") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("zkinfer").join("srs")
}

/// The development SRS for `k`, from the cache ([`cache_dir`]) or generated (and cached). UNSAFE.
pub fn dev_srs(k: u32) -> Result<ParamsKZG<Bn256>> {
    dev_srs_in(&cache_dir(), k)
}

/// [`dev_srs`] with an explicit cache directory.
pub fn dev_srs_in(dir: &Path, k: u32) -> Result<ParamsKZG<Bn256>> {
    if k > crate::circuit::MAX_K {
        return Err(ProverError::BadInput(format!("a development SRS of k = {k}: at most k = {} is supported", crate::circuit::MAX_K)));
    }
    let dir = dir.to_path_buf();
    let path = dir.join(format!("dev-srs-k{k}.UNSAFE.srs"));
    if let Ok(f) = std::fs::File::open(&path) {
        let mut r = BufReader::new(f);
        let mut magic = vec![0u8; DEV_SRS_MAGIC.len()];
        let mut header = [0u8; 4];
        // The header's k is checked before halo2 reads (and allocates) 2^k points: a planted or
        // corrupt file with another k (k ≥ 64 made `1 << k` panic) is regenerated instead. The
        // points are read checked (`RawBytes`, the layout `write` produces): the unchecked read
        // unwraps, so a truncated or garbage file of the right k panicked.
        if r.read_exact(&mut magic).is_ok() && magic == DEV_SRS_MAGIC && r.read_exact(&mut header).is_ok() && u32::from_le_bytes(header) == k {
            if let Ok(p) = ParamsKZG::<Bn256>::read_custom(&mut std::io::Cursor::new(header).chain(r), SerdeFormat::RawBytes) {
                if p.k() == k {
                    return Ok(p);
                }
            }
        }
        // A corrupt or foreign cache file is regenerated below.
    }
    let params = ParamsKZG::<Bn256>::setup(k, dev_rng());
    std::fs::create_dir_all(&dir).map_err(|e| ProverError::io(&dir, e))?;
    // Unique per process and thread, so concurrent generators never share a temp file; the
    // rename makes the cache entry appear atomically.
    let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let tmp = dir.join(format!(".dev-srs-k{k}.{}.{thread}.tmp", std::process::id()));
    {
        let f = std::fs::File::create(&tmp).map_err(|e| ProverError::io(&tmp, e))?;
        let mut w = BufWriter::new(f);
        w.write_all(DEV_SRS_MAGIC).map_err(|e| ProverError::io(&tmp, e))?;
        params.write(&mut w).map_err(|e| ProverError::io(&tmp, e))?;
        w.flush().map_err(|e| ProverError::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| ProverError::io(&path, e))?;
    Ok(params)
}
