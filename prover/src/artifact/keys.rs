//! Checks of `pk.bin` and `vk.bin` before halo2 reads them, and of the keys it returns.
//!
//! halo2-axiom's readers trust their input: `ProvingKey::read` unwraps every read (a truncated
//! file panics), sizes each polynomial by a `u32` from the file (`Vec::with_capacity` of up to
//! 128 GB: an abort), asserts that every field element is canonical, and `VerifyingKey::read`
//! builds a domain of the file's `k` (asserting `k ≤ 26` at our degree, after allocating `2^k`
//! selector bits per selector) and accepts any number of fixed commitments and points off the
//! curve. So the file is first walked here against the layout the circuit's shape implies —
//! halo2-axiom 0.5's `SerdeFormat::RawBytes`:
//!
//! ```text
//! magic (8) | version 0x02 | k (u32 LE) | compress_selectors (1) | F (u32 LE) | F points | P points
//!           | S selectors of ⌈2^k / 8⌉ bytes                                         (vk.bin ends here)
//!           | l0, l_last, l_active_row | F fixed values | F fixed polys | P permutations | P polys
//! point = 64 bytes (x, y in Montgomery form), polynomial = length (u32 BE) = 2^k, then 2^k scalars
//! of 32 bytes; each list of polynomials starts with its count (u32 BE)
//! ```
//!
//! with `k` the circuit's, `P` its permuted columns and `S` its selectors, and `F` (fixed columns
//! after selector compression) at most its fixed columns plus `S`. The file's length must be
//! exactly what that layout gives, and every scalar canonical, before halo2 reads it; afterwards
//! the key must have one commitment per fixed column of its constraint system, all on the curve.

use super::CircuitArtifact;
use crate::circuit::ModelCircuit;
use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::plonk::{Circuit, ConstraintSystem, VerifyingKey};
use std::io::{BufReader, Read};
use std::path::Path;

/// Which key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `vk.bin`.
    Verifying,
    /// `pk.bin`.
    Proving,
}

const POINT: u64 = 64;
const SCALAR: usize = 32;
/// Version byte of halo2-axiom 0.5's key format.
const VERSION: u8 = 0x02;

/// What the circuit's shape implies for its key files.
struct Layout {
    k: u32,
    /// `2^k`.
    n: u64,
    /// Fixed columns before selector compression.
    fixed: u64,
    /// Permuted columns.
    permuted: u64,
    /// Selectors.
    selectors: u64,
}

impl Layout {
    fn of(circuit: &CircuitArtifact) -> Self {
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelCircuit::configure_with_params(&mut cs, circuit.plan.shape);
        let k = circuit.plan.k;
        Self {
            k,
            n: 1u64 << k,
            fixed: cs.num_fixed_columns() as u64,
            permuted: cs.permutation().get_columns().len() as u64,
            selectors: cs.num_selectors() as u64,
        }
    }
    /// Bytes of the verifying key after the magic, with `f` fixed commitments.
    fn vk_bytes(&self, f: u64) -> u64 {
        10 + POINT * (f + self.permuted) + self.selectors * self.n.div_ceil(8)
    }
    /// Bytes of one serialised polynomial.
    fn poly_bytes(&self) -> u64 {
        4 + SCALAR as u64 * self.n
    }
    /// Bytes of the proving key after its verifying key, with `f` fixed columns.
    fn pk_rest_bytes(&self, f: u64) -> u64 {
        3 * self.poly_bytes() + 2 * (4 + f * self.poly_bytes()) + 2 * (4 + self.permuted * self.poly_bytes())
    }
}

/// Reads the file in order, naming the field in errors.
struct Walker<'a> {
    path: &'a Path,
    r: BufReader<std::fs::File>,
    buf: Vec<u8>,
}

impl Walker<'_> {
    fn bad(&self, field: impl Into<String>, message: impl Into<String>) -> ProverError {
        ProverError::invalid(self.path, field, message)
    }
    fn bytes<const N: usize>(&mut self, field: &str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|e| self.bad(field, format!("unreadable: {e}")))?;
        Ok(b)
    }
    fn skip(&mut self, n: u64, field: &str) -> Result<()> {
        let copied = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink()).map_err(|e| self.bad(field, format!("unreadable: {e}")))?;
        if copied != n {
            return Err(self.bad(field, "the file ends early"));
        }
        Ok(())
    }
    /// A list count (u32 BE) that must be `expected`.
    fn count(&mut self, field: &str, expected: u64) -> Result<()> {
        let c = u32::from_be_bytes(self.bytes::<4>(field)?);
        if u64::from(c) != expected {
            return Err(self.bad(field, format!("{c} polynomials, the circuit has {expected}")));
        }
        Ok(())
    }
    /// One polynomial of `n` canonical scalars.
    fn poly(&mut self, field: &str, n: u64) -> Result<()> {
        let len = u32::from_be_bytes(self.bytes::<4>(field)?);
        if u64::from(len) != n {
            return Err(self.bad(field, format!("length {len}, the circuit's domain has {n} rows")));
        }
        let chunk = 1usize << 16;
        let mut left = n as usize;
        while left > 0 {
            let m = left.min(chunk);
            self.buf.resize(m * SCALAR, 0);
            self.r.read_exact(&mut self.buf).map_err(|e| ProverError::invalid(self.path, field, format!("unreadable: {e}")))?;
            if let Some(i) = self.buf.chunks_exact(SCALAR).position(|c| Fr::from_raw_bytes(c).is_none()) {
                return Err(self.bad(field, format!("value {} is not a canonical field element", n as usize - left + i)));
            }
            left -= m;
        }
        Ok(())
    }
}

/// Checks `path` (its magic already read and checked by the caller's `open`) against the
/// circuit's key layout (module docs), before halo2 reads it.
pub(super) fn check(path: &Path, circuit: &CircuitArtifact, kind: Kind, r: BufReader<std::fs::File>) -> Result<()> {
    let layout = Layout::of(circuit);
    let mut w = Walker { path, r, buf: Vec::new() };
    let [version] = w.bytes::<1>("version")?;
    if version != VERSION {
        return Err(w.bad("version", format!("{version:#04x}; this build reads halo2-axiom 0.5 keys ({VERSION:#04x})")));
    }
    let k = u32::from_le_bytes(w.bytes::<4>("k")?);
    if k != layout.k {
        return Err(w.bad("k", format!("{k}, the circuit's k is {} (circuit.json's plan.k)", layout.k)));
    }
    let [compress] = w.bytes::<1>("compress_selectors")?;
    if compress != 1 {
        return Err(w.bad("compress_selectors", format!("{compress}; zkinfer's keys compress their selectors (1)")));
    }
    let f = u64::from(u32::from_le_bytes(w.bytes::<4>("fixed_commitments")?));
    if f > layout.fixed + layout.selectors {
        return Err(w.bad("fixed_commitments", format!("{f} fixed columns, the circuit has at most {}", layout.fixed + layout.selectors)));
    }
    let expected = 8 + layout.vk_bytes(f) + if kind == Kind::Proving { layout.pk_rest_bytes(f) } else { 0 };
    let len = std::fs::metadata(path).map_err(|e| ProverError::io(path, e))?.len();
    if len != expected {
        return Err(w.bad("", format!("{len} bytes; a {} of this circuit with {f} fixed columns has {expected}", if kind == Kind::Proving { "proving key" } else { "verifying key" })));
    }
    if kind == Kind::Verifying {
        return Ok(());
    }
    w.skip(layout.vk_bytes(f) - 10, "verifying key")?;
    for field in ["l0", "l_last", "l_active_row"] {
        w.poly(field, layout.n)?;
    }
    for (list, count) in [("fixed_values", f), ("fixed_polys", f), ("permutation.permutations", layout.permuted), ("permutation.polys", layout.permuted)] {
        w.count(list, count)?;
        for i in 0..count {
            w.poly(&format!("{list}[{i}]"), layout.n)?;
        }
    }
    Ok(())
}

/// Checks a verifying key halo2 read: one commitment per fixed column of its (compressed)
/// constraint system, every commitment on the curve.
pub(super) fn check_loaded(path: &Path, vk: &VerifyingKey<G1Affine>) -> Result<()> {
    let columns = vk.cs().num_fixed_columns();
    if vk.fixed_commitments().len() != columns {
        return Err(ProverError::invalid(path, "fixed_commitments", format!("{} commitments for the {columns} fixed columns of the key's constraint system", vk.fixed_commitments().len())));
    }
    let points = vk.fixed_commitments().iter().map(|p| ("fixed_commitments", p)).chain(vk.permutation().commitments().iter().map(|p| ("permutation", p)));
    for (i, (field, p)) in points.enumerate() {
        if !bool::from(p.is_on_curve()) {
            return Err(ProverError::invalid(path, field, format!("point {i} is not on the curve")));
        }
    }
    Ok(())
}
