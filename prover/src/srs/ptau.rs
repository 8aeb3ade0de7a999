//! snarkjs / Hermez `.ptau` files (powers of tau over BN254, any number of contributions).
//!
//! Layout (snarkjs's binfile): `"ptau"`, version (u32 LE, 1), section count (u32 LE), then per
//! section its type (u32 LE), its byte length (u64 LE) and its data. The sections:
//!
//! | type | name | content |
//! |---|---|---|
//! | 1 | header | `n8` (u32, 32), the base field prime `q` (`n8` bytes LE), `power` (u32), `ceremonyPower` (u32) |
//! | 2 | tauG1 | `2^(power+1) − 1` G1 points `τ^i·G1` |
//! | 3 | tauG2 | `2^power` G2 points `τ^i·G2` |
//! | 4 | alphaTauG1 | `2^power` G1 points |
//! | 5 | betaTauG1 | `2^power` G1 points |
//! | 6 | betaG2 | one G2 point |
//! | 7 | contributions | their count (u32) and records |
//! | 12 | lagrange tauG1 | after `snarkjs powersoftau prepare phase2`: `L_i(τ)·G1` for every domain `2^m`, `m ≤ power + 1` |
//! | 13–15 | Lagrange forms of tauG2, alphaTauG1, betaTauG1 | after phase-2 preparation (unused here) |
//!
//! Points are raw Montgomery form ([`super::codec`]). zkinfer reads the first `2^k` points of
//! tauG1, points 0 and 1 of tauG2 and, in a prepared file (the Hermez `_final_` files are), the
//! `2^k`-point Lagrange basis from section 12 (checked against the powers: no FFT over G1 needed);
//! every section must lie inside the file and the ones it reads must have their exact lengths.

use super::codec::{Encoding, SrsFile};
use super::error::SrsError;
use super::{Parsed, SrsFormat};
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;

/// The magic.
pub const MAGIC: &[u8; 4] = b"ptau";
/// More sections than any snarkjs file has (7, or 11 when prepared for phase 2).
const MAX_SECTIONS: u32 = 64;
/// BN254's base field modulus, little-endian (the header's `q`).
const BN254_Q_LE: [u8; 32] = [
    0x47, 0xfd, 0x7c, 0xd8, 0x16, 0x8c, 0x20, 0x3c, 0x8d, 0xca, 0x71, 0x68, 0x91, 0x6a, 0x81, 0x97, 0x5d, 0x58, 0x81, 0x81, 0xb6, 0x45, 0x50, 0xb8,
    0x29, 0xa0, 0x31, 0xe1, 0x72, 0x4e, 0x64, 0x30,
];
const FORMAT: SrsFormat = SrsFormat::Ptau;
const LAGRANGE: &str = "lagrange tauG1";

/// Where one section's data is.
#[derive(Debug, Clone, Copy)]
struct Section {
    offset: u64,
    len: u64,
}

fn name(t: u32) -> &'static str {
    match t {
        1 => "header",
        2 => "tauG1",
        3 => "tauG2",
        4 => "alphaTauG1",
        5 => "betaTauG1",
        6 => "betaG2",
        7 => "contributions",
        12 => "lagrange tauG1",
        13 => "lagrange tauG2",
        14 => "lagrange alphaTauG1",
        15 => "lagrange betaTauG1",
        _ => "unknown",
    }
}

fn field(t: u32) -> String {
    format!("section {t} ({})", name(t))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

/// The section table: each known type (1..=15) at most once, every section inside the file and
/// nothing after the last one.
fn sections(f: &mut SrsFile) -> Result<[Option<Section>; 16], SrsError> {
    let head = f.read_at(0, 12)?.ok_or_else(|| f.malformed(FORMAT, "file header", format!("{} bytes, shorter than the 12-byte header: truncated", f.len)))?;
    let version = u32_at(&head, 4);
    if version != 1 {
        return Err(f.malformed(FORMAT, "version", format!("{version}; snarkjs writes version 1")));
    }
    let count = u32_at(&head, 8);
    if count > MAX_SECTIONS {
        return Err(f.malformed(FORMAT, "section count", format!("{count}, more than any ptau file has (7, or 11 prepared for phase 2)")));
    }
    let mut table: [Option<Section>; 16] = [None; 16];
    let mut pos = 12u64;
    for i in 0..count {
        let entry = f.read_at(pos, 12)?.ok_or_else(|| f.malformed(FORMAT, &format!("section table entry {i}"), format!("starts at byte {pos}, past the end of the file ({} bytes): truncated", f.len)))?;
        let t = u32_at(&entry, 0);
        let mut w = [0u8; 8];
        w.copy_from_slice(&entry[4..12]);
        let len = u64::from_le_bytes(w);
        let offset = pos + 12;
        let remaining = f.len - offset;
        if len > remaining {
            return Err(f.malformed(FORMAT, &field(t), format!("declares {len} bytes at offset {offset}, but only {remaining} bytes follow: truncated file")));
        }
        if let Some(slot) = table.get_mut(t as usize) {
            if slot.is_some() {
                return Err(f.malformed(FORMAT, &field(t), "appears twice".into()));
            }
            *slot = Some(Section { offset, len });
        }
        pos = offset + len;
    }
    if pos != f.len {
        return Err(f.malformed(FORMAT, "file length", format!("{} bytes after the last section ({} bytes of {}): padded or spliced", f.len - pos, pos, f.len)));
    }
    Ok(table)
}

fn require(f: &SrsFile, table: &[Option<Section>; 16], t: usize) -> Result<Section, SrsError> {
    table[t].ok_or_else(|| f.malformed(FORMAT, &field(t as u32), "missing".into()))
}

fn expect_len(f: &SrsFile, t: usize, s: Section, points: u64, point_bytes: u64, power: u32) -> Result<(), SrsError> {
    let want = points * point_bytes;
    if s.len != want {
        let what = format!("{} bytes, but power {power} needs {points} points of {point_bytes} bytes = {want} bytes", s.len);
        return Err(f.malformed(FORMAT, &field(t as u32), what));
    }
    Ok(())
}

/// Header: (power, ceremony power). Refuses any curve but BN254.
fn header(f: &mut SrsFile, s: Section) -> Result<(u32, u32), SrsError> {
    let h = f.read_at(s.offset, s.len.min(4 + 32 + 8))?.ok_or_else(|| f.malformed(FORMAT, &field(1), "truncated".into()))?;
    let n8 = if h.len() >= 4 { u32_at(&h, 0) } else { 0 };
    if n8 != 32 {
        let hint = if n8 == 48 { " (a BLS12-381 ceremony?)" } else { "" };
        return Err(f.malformed(FORMAT, &field(1), format!("field size n8 = {n8}, not 32: not a BN254 (bn128) file{hint}")));
    }
    if s.len != 4 + 32 + 8 {
        return Err(f.malformed(FORMAT, &field(1), format!("{} bytes, expected 44", s.len)));
    }
    if h[4..36] != BN254_Q_LE {
        let mut be = h[4..36].to_vec();
        be.reverse();
        return Err(f.malformed(FORMAT, &field(1), format!("prime q = 0x{} is not BN254's base field modulus: not a bn128 ceremony", hex::encode(be))));
    }
    let power = u32_at(&h, 36);
    let ceremony_power = u32_at(&h, 40);
    if !(1..=super::MAX_POWER).contains(&power) {
        return Err(f.malformed(FORMAT, &field(1), format!("power = {power}, outside 1..={}", super::MAX_POWER)));
    }
    Ok((power, ceremony_power))
}

/// Reads the first `2^k` tau powers in G1 and `[G2, τ·G2]` of a ptau file.
pub(super) fn read(f: &mut SrsFile, k: u32) -> Result<Parsed, SrsError> {
    let table = sections(f)?;
    let (power, ceremony_power) = header(f, require(f, &table, 1)?)?;
    let n_file = 1u64 << power;
    let tau_g1 = require(f, &table, 2)?;
    expect_len(f, 2, tau_g1, 2 * n_file - 1, 64, power)?;
    let tau_g2 = require(f, &table, 3)?;
    expect_len(f, 3, tau_g2, n_file, 128, power)?;
    for (t, points, bytes) in [(4, n_file, 64), (5, n_file, 64), (6, 1, 128)] {
        if let Some(s) = table[t] {
            expect_len(f, t, s, points, bytes, power)?;
        }
    }
    let contributions = match table[7] {
        Some(s) => {
            let b = f.read_at(s.offset, 4)?.filter(|_| s.len >= 4).ok_or_else(|| f.malformed(FORMAT, &field(7), "shorter than its 4-byte count".into()))?;
            Some(u32_at(&b, 0))
        }
        None => None,
    };
    if k > power {
        return Err(SrsError::TooSmall { path: f.path.clone(), file_power: power, k });
    }
    let g = f.read_g1s(FORMAT, "tauG1", tau_g1.offset, 1usize << k, Encoding::Raw)?;
    let g2 = f.read_g2(FORMAT, "tauG2", 0, tau_g2.offset, Encoding::Raw)?;
    let s_g2 = f.read_g2(FORMAT, "tauG2", 1, tau_g2.offset + 128, Encoding::Raw)?;
    let g_lagrange = match table[12] {
        Some(s) => Some(lagrange(f, s, power, k)?),
        None => None,
    };
    Ok(Parsed {
        format: FORMAT,
        file_power: power,
        g,
        g_lagrange,
        g2,
        s_g2,
        ceremony_power: Some(ceremony_power),
        contributions,
        dev_magic: false,
        names: super::Names { g: "tauG1", g2: "tauG2[0]", s_g2: "tauG2[1]", g_lagrange: LAGRANGE },
    })
}

/// The Lagrange basis for `2^k` from section 12 of a file prepared for phase 2 (it holds the
/// bases of every domain size `2^m`, `m = 0..=power+1`, one after another), in halo2's order.
///
/// snarkjs's bases are `IFFT(tauG1)` over the domain generated by `ω' = nr^t` (`nr` the smallest
/// quadratic non-residue, 5, `t = (r − 1)/2^28`, squared down to `2^k`), halo2's over `ω` from
/// `Fr::ROOT_OF_UNITY`. Both generate the same subgroup: `ω' = ω^j` for an odd `j`, so snarkjs's
/// point `i`, `L'_i(τ)·G1` at `ω'^i = ω^(i·j)`, is halo2's point `i·j mod 2^k`. The loader then
/// checks the result against the powers ([`super::check::lagrange`]).
fn lagrange(f: &mut SrsFile, s: Section, power: u32, k: u32) -> Result<Vec<G1Affine>, SrsError> {
    expect_len(f, 12, s, (1u64 << (power + 2)) - 1, 64, power)?;
    let n = 1usize << k;
    let theirs = f.read_g1s(FORMAT, LAGRANGE, s.offset + (n as u64 - 1) * 64, n, Encoding::Raw)?;
    let j = snarkjs_root_exponent(k);
    let mut ours = vec![G1Affine::identity(); n];
    for (i, p) in theirs.into_iter().enumerate() {
        ours[((i as u64 * j as u64) & (n as u64 - 1)) as usize] = p;
    }
    Ok(ours)
}

/// `j` with `ω' = ω^j` in the subgroup of order `2^k` (see [`lagrange`]).
fn snarkjs_root_exponent(k: u32) -> usize {
    let minus_one = -Fr::ONE;
    let limbs = |bytes: &[u8]| -> [u64; 4] { std::array::from_fn(|i| u64::from_le_bytes(std::array::from_fn(|b| bytes[8 * i + b]))) };
    let shr = |x: [u64; 4], s: u32| -> [u64; 4] { std::array::from_fn(|i| (x[i] >> s) | x.get(i + 1).map_or(0, |h| h << (64 - s))) };
    let r_minus_1 = limbs(minus_one.to_repr().as_ref());
    let half = shr(r_minus_1, 1);
    let nr = (2u64..).map(Fr::from).find(|c| c.pow_vartime(half) == minus_one).unwrap_or(Fr::from(5));
    let t = shr(r_minus_1, Fr::S);
    let mut theirs = nr.pow_vartime(t);
    let mut ours = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        theirs = theirs.square();
        ours = ours.square();
    }
    let mut acc = Fr::ONE;
    for j in 0..1usize << k {
        if acc == theirs {
            return j;
        }
        acc *= ours;
    }
    1 // unreachable: both generate the 2^k-th roots of unity (the Lagrange check would fail)
}
