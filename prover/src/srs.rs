//! Structured reference strings (KZG parameters).
//!
//! **Development SRS — UNSAFE FOR PRODUCTION.** [`dev_srs`] derives the KZG toxic waste from a
//! public seed, so anyone can forge proofs against keys made with it. It is generated once per
//! `k` and cached as `dev-srs-k{K}.UNSAFE.srs` (in `$ZKINFER_SRS_DIR`, else
//! `$XDG_CACHE_HOME/zkinfer/srs`, else `~/.cache/zkinfer/srs`). The file starts with the line
//! [`DEV_SRS_MAGIC`] and is followed by halo2-axiom's `ParamsKZG::write` bytes.
//!
//! The production path is [`load_srs`]: a halo2 `ParamsKZG` file (as produced by a ceremony
//! conversion, e.g. the PSE/ezkl `kzg_bn254_{k}.srs` files), downsized to the circuit's `k`.

use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::SeedableRng;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// First line of a cached dev SRS file.
pub const DEV_SRS_MAGIC: &[u8] = b"ZKINFER DEV SRS v1 -- UNSAFE: toxic waste derived from a public seed\n";
/// The public seed of the development SRS.
pub const DEV_SRS_SEED: u64 = 0x7a6b_696e_6665_7221;

/// Which SRS a key was made with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SrsSource {
    /// The deterministic development SRS (unsafe).
    DevUnsafe,
    /// Loaded from a file.
    File {
        /// Path.
        path: PathBuf,
    },
}

/// Directory of the dev SRS cache.
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
    let dir = dir.to_path_buf();
    let path = dir.join(format!("dev-srs-k{k}.UNSAFE.srs"));
    if let Ok(f) = std::fs::File::open(&path) {
        let mut r = BufReader::new(f);
        let mut magic = vec![0u8; DEV_SRS_MAGIC.len()];
        if r.read_exact(&mut magic).is_ok() && magic == DEV_SRS_MAGIC {
            if let Ok(p) = ParamsKZG::<Bn256>::read(&mut r) {
                if p.k() == k {
                    return Ok(p);
                }
            }
        }
        // A corrupt or foreign cache file is regenerated below.
    }
    let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SRS_SEED));
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

/// Loads a halo2 `ParamsKZG` file (raw-bytes format, as `ParamsKZG::write` produces; a cached dev
/// SRS file is accepted too) and downsizes it to `k`. The header and the file length are checked
/// before halo2 reads it, and points are read with validation.
pub fn load_srs(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>> {
    let bad = |message: String| ProverError::Artifact { path: path.to_path_buf(), message };
    let bytes = std::fs::read(path).map_err(|e| ProverError::io(path, e))?;
    let body = bytes.strip_prefix(DEV_SRS_MAGIC).unwrap_or(&bytes);
    let header: [u8; 4] = body
        .get(..4)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| bad("too short to be a halo2 KZG parameters file".into()))?;
    let file_k = u32::from_le_bytes(header);
    if !(1..=crate::circuit::MAX_K).contains(&file_k) {
        return Err(bad(format!("not a halo2 KZG parameters file: header says k = {file_k}")));
    }
    // k, then 2^k G1 points twice (monomial and Lagrange bases), then two G2 points.
    let expected = 4 + (1usize << file_k) * 2 * 64 + 2 * 128;
    if body.len() != expected {
        return Err(bad(format!(
            "not a halo2 KZG parameters file for k = {file_k}: {} bytes, expected {expected}",
            body.len()
        )));
    }
    if file_k < k {
        return Err(bad(format!("SRS has k = {file_k}, the circuit needs k = {k}")));
    }
    let mut params = ParamsKZG::<Bn256>::read_custom(&mut &body[..], halo2_proofs::SerdeFormat::RawBytes)
        .map_err(|e| bad(format!("not a halo2 KZG parameters file: {e}")))?;
    if file_k > k {
        params.downsize(k);
    }
    Ok(params)
}

/// Gets the SRS for `k` from a source.
pub fn get(source: &SrsSource, k: u32) -> Result<ParamsKZG<Bn256>> {
    match source {
        SrsSource::DevUnsafe => dev_srs(k),
        SrsSource::File { path } => load_srs(path, k),
    }
}
