//! halo2 KZG parameter files (`ParamsKZG::write_custom`): `k` (u32 LE), the `2^k` monomial G1
//! points `τ^i·G1`, the `2^k` Lagrange G1 points `L_i(τ)·G1`, then `G2` and `τ·G2`.
//!
//! Two point encodings exist in the wild and the file length tells them apart:
//!
//! * **raw** (`SerdeFormat::RawBytes`, [`SrsFormat::Halo2Raw`]): what halo2-axiom writes, what
//!   PSE halo2 writes by default since its PR #111, ezkl's `get_srs` downloads
//!   (`perpetual-powers-of-tau-raw-K`, `hermez-raw-K` from han0110/halo2-kzg-srs), Axiom's
//!   `kzg_bn254_K.srs`, and zkinfer's dev SRS cache (after its magic line):
//!   `4 + 2^k·128 + 256` bytes;
//! * **compressed** (`SerdeFormat::Processed`, [`SrsFormat::Halo2Compressed`]): the older
//!   "canonical" PSE files (`perpetual-powers-of-tau-K`, `hermez-K`): `4 + 2^k·64 + 128` bytes.

use super::codec::{Encoding, SrsFile};
use super::dev::DEV_SRS_MAGIC;
use super::error::SrsError;
use super::{Names, Parsed, SrsFormat};

/// Which encoding a file of `body_len` bytes with header `k` is in, if any.
fn encoding_of(k: u32, body_len: u64) -> Option<Encoding> {
    [Encoding::Raw, Encoding::Compressed].into_iter().find(|e| body_len == expected_len(k, *e))
}

fn expected_len(k: u32, e: Encoding) -> u64 {
    4 + (1u64 << k) * 2 * e.g1_bytes() + 2 * e.g2_bytes()
}

/// Reads the first `2^k` monomial points, the Lagrange basis when the file's `k` is exactly
/// `k` (to be checked against them), and `[G2, τ·G2]`.
pub(super) fn read(f: &mut SrsFile, k: u32, start: &[u8]) -> Result<Parsed, SrsError> {
    let dev_magic = start.starts_with(DEV_SRS_MAGIC);
    let base = if dev_magic { DEV_SRS_MAGIC.len() as u64 } else { 0 };
    let path = f.path.clone();
    let not_srs = |message: String| SrsError::UnknownFormat { path: path.clone(), message };
    let len = f.len;
    let header = f.read_at(base, 4)?.ok_or_else(|| not_srs(format!("only {len} bytes")))?;
    let file_k = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    if !(1..=super::MAX_POWER).contains(&file_k) {
        return Err(not_srs(format!(
            "it does not start with the snarkjs magic 'ptau', and as a halo2 KZG parameters file its header would say k = {file_k} (first bytes {})",
            hex::encode(&start[..start.len().min(8)])
        )));
    }
    let body = f.len - base;
    let enc = encoding_of(file_k, body).ok_or_else(|| {
        // Named after the encoding whose length is nearer (a truncated raw file is still "raw").
        let raw = expected_len(file_k, Encoding::Raw);
        let compressed = expected_len(file_k, Encoding::Compressed);
        let format = match dev_magic || raw.abs_diff(body) <= compressed.abs_diff(body) {
            true => SrsFormat::Halo2Raw,
            false => SrsFormat::Halo2Compressed,
        };
        f.malformed(
            format,
            "file length",
            format!(
                "the header says k = {file_k}, so the file should have {raw} bytes (raw points) or {compressed} (compressed), but it has {body}: truncated, padded, or not a parameters file"
            ),
        )
    })?;
    let format = match enc {
        Encoding::Raw => SrsFormat::Halo2Raw,
        Encoding::Compressed => SrsFormat::Halo2Compressed,
    };
    if k > file_k {
        return Err(SrsError::TooSmall { path: f.path.clone(), file_power: file_k, k });
    }
    let n_file = 1u64 << file_k;
    let g_at = base + 4;
    let lagrange_at = g_at + n_file * enc.g1_bytes();
    let g2_at = lagrange_at + n_file * enc.g1_bytes();
    let g = f.read_g1s(format, "g", g_at, 1usize << k, enc)?;
    let g_lagrange = match file_k == k {
        true => Some(f.read_g1s(format, "g_lagrange", lagrange_at, 1usize << k, enc)?),
        false => None,
    };
    let g2 = f.read_g2(format, "g2", 0, g2_at, enc)?;
    let s_g2 = f.read_g2(format, "s_g2", 0, g2_at + enc.g2_bytes(), enc)?;
    Ok(Parsed {
        format,
        file_power: file_k,
        g,
        g_lagrange,
        g2,
        s_g2,
        ceremony_power: None,
        contributions: None,
        dev_magic,
        names: Names { g: "g", g2: "g2", s_g2: "s_g2", g_lagrange: "g_lagrange" },
    })
}
