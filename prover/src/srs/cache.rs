//! A cache of computed Lagrange bases, so that an SRS without one (an unprepared `.ptau`, a
//! halo2 file larger than the circuit) pays the FFT over G1 once per machine, not on every
//! `prove`.
//!
//! `lagrange-k{K}-{digest}.bin` in the cache directory: the line [`MAGIC`], the points digest
//! (32 bytes, [`super::SrsInfo::points_keccak256`]), `k` (u32 LE), then the `2^k` Lagrange points
//! (raw G1). It is keyed by the digest of the powers it was computed from, and a cached basis is
//! checked like one read from a ceremony file ([`super::check::lagrange`]) before it is used: a
//! damaged or forged cache file is recomputed, never trusted.

use super::codec::{decode_g1, Encoding};
use halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_proofs::halo2curves::serde::SerdeObject;
use std::io::Write;
use std::path::{Path, PathBuf};

/// First line of a cache file.
pub const MAGIC: &[u8] = b"ZKINFER LAGRANGE v1\n";

/// The cache file of the powers with this digest at `k`.
pub(super) fn file(dir: &Path, k: u32, digest: &[u8; 32]) -> PathBuf {
    dir.join(format!("lagrange-k{k}-{}.bin", hex::encode(&digest[..16])))
}

fn header(k: u32, digest: &[u8; 32]) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(digest);
    h.extend_from_slice(&k.to_le_bytes());
    h
}

/// The cached basis, if a well-formed cache file for these powers exists (still to be checked
/// against them).
pub(super) fn read(dir: &Path, k: u32, digest: &[u8; 32]) -> Option<Vec<G1Affine>> {
    let path = file(dir, k, digest);
    let head = header(k, digest);
    let expected = head.len() as u64 + (1u64 << k) * Encoding::Raw.g1_bytes();
    // The length first: nothing larger than a basis of 2^k points is read into memory.
    if std::fs::metadata(&path).ok()?.len() != expected {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let body = bytes.strip_prefix(head.as_slice()).filter(|b| b.len() as u64 + head.len() as u64 == expected)?;
    body.chunks_exact(64).map(|b| decode_g1(b, Encoding::Raw).ok()).collect()
}

/// Writes the basis atomically (a temporary file renamed into place).
pub(super) fn write(dir: &Path, k: u32, digest: &[u8; 32], lagrange: &[G1Affine]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = file(dir, k, digest);
    let tmp = dir.join(format!(".lagrange-k{k}.{}.{:016x}.tmp", std::process::id(), rand::random::<u64>()));
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        w.write_all(&header(k, digest))?;
        for p in lagrange {
            p.write_raw(&mut w)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}
