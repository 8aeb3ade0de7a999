//! What is wrong with a proof's bytes, before any cryptography: its length, and every point and
//! scalar decoded where the proof layout puts it, each named (which commitment or evaluation, at
//! which byte offset). Native verification runs these checks first, so that a flipped byte in a
//! commitment is reported as a point off the curve rather than as a failed pairing or a wrong
//! inversion hint.

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, G1Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use super::layout::ProofLayout;
use super::{Shape, VerifierOptions};

/// A proof refused for its bytes, or for its inversion hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofDefect {
    /// Not the length a proof for this verifying key has.
    #[error("the proof has {actual} bytes; a proof for this verifying key has {expected}")]
    Length {
        /// The key's proof length (the halo2 proof and the 32-byte hint).
        expected: usize,
        /// The proof's.
        actual: usize,
    },
    /// A commitment that does not decode to a curve point.
    #[error("{part} (proof bytes {offset}..{}) is not a point on the curve: {reason}", offset + 64)]
    Point {
        /// Which commitment (`advice commitment 2`, `quotient piece 0`, `SHPLONK W'`, …).
        part: String,
        /// Its byte offset in the proof.
        offset: usize,
        /// Why (a coordinate not below the field modulus, the point at infinity, off the curve).
        reason: &'static str,
    },
    /// An evaluation that is not a canonical scalar.
    #[error("{part} (proof bytes {offset}..{}) is not a canonical scalar (it is not below the BN254 scalar modulus r)", offset + 32)]
    Scalar {
        /// Which evaluation.
        part: String,
        /// Its byte offset in the proof.
        offset: usize,
    },
    /// Everything else verifies, but the trailing inversion hint is not the one the Solidity
    /// verifier checks.
    #[error("the proof's inversion hint (its last 32 bytes, offset {offset}) is wrong; the rest of the proof verifies")]
    Hint {
        /// The hint's byte offset.
        offset: usize,
    },
    /// The proof's challenges make a denominator zero (no hint exists; the verifier rejects it).
    #[error("the proof's challenges make a denominator zero: not a valid proof")]
    ZeroDenominator,
    /// The verifying key or the parameters cannot describe a proof.
    #[error("{0}")]
    Key(String),
}

/// Checks the proof's length and decodes every point and scalar where the layout of `vk`'s proofs
/// puts them; returns the halo2 proof (without the hint). The first defect is named.
pub fn check_proof_bytes<'p>(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &'p [u8]) -> Result<&'p [u8], ProofDefect> {
    let shape = Shape::new(params, vk, 0, &VerifierOptions::default()).map_err(|e| ProofDefect::Key(e.to_string()))?;
    let layout = ProofLayout::new(&shape);
    if proof.len() != layout.len {
        return Err(ProofDefect::Length { expected: layout.len, actual: proof.len() });
    }
    for (part, offset) in points(&shape, &layout) {
        if let Some(reason) = point_defect(&proof[offset..offset + 64]) {
            return Err(ProofDefect::Point { part, offset, reason });
        }
    }
    for (part, offset) in scalars(&shape, &layout) {
        let word: [u8; 32] = proof[offset..offset + 32].try_into().map_err(|_| ProofDefect::Key("scalar slice".into()))?;
        if crate::transcript::decode_scalar(&word).is_none() {
            return Err(ProofDefect::Scalar { part, offset });
        }
    }
    Ok(&proof[..layout.hint])
}

/// Every point of the proof: its name and byte offset.
fn points(s: &Shape<'_>, p: &ProofLayout) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    out.extend((0..s.num_advice).map(|i| (format!("advice commitment {i}"), p.advice_pt + 64 * i)));
    for l in 0..s.num_lookups {
        out.push((format!("lookup {l}'s permuted input commitment A'"), p.lookup_perm_pt + 128 * l));
        out.push((format!("lookup {l}'s permuted table commitment S'"), p.lookup_perm_pt + 128 * l + 64));
    }
    out.extend((0..s.perm_sets).map(|i| (format!("permutation product commitment {i}"), p.perm_z_pt + 64 * i)));
    out.extend((0..s.num_lookups).map(|i| (format!("lookup {i}'s product commitment"), p.lookup_z_pt + 64 * i)));
    out.push(("the vanishing argument's random commitment".into(), p.random_pt));
    out.extend((0..s.quotient_pieces).map(|i| (format!("quotient piece {i}"), p.h_pt + 64 * i)));
    out.push(("SHPLONK's W".into(), p.w_pt));
    out.push(("SHPLONK's W'".into(), p.wp_pt));
    out
}

/// Every scalar (evaluation) of the proof: its name and byte offset.
fn scalars(s: &Shape<'_>, p: &ProofLayout) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    out.extend(s.advice_q.iter().enumerate().map(|(i, (c, r))| (format!("advice evaluation {i} (column {c}, rotation {r})"), p.advice_ev + 32 * i)));
    out.extend(s.fixed_q.iter().enumerate().map(|(i, (c, r))| (format!("fixed evaluation {i} (column {c}, rotation {r})"), p.fixed_ev + 32 * i)));
    out.push(("the vanishing argument's random evaluation".into(), p.random_ev));
    out.extend((0..s.perm_cols.len()).map(|i| (format!("permutation sigma evaluation {i}"), p.sigma_ev + 32 * i)));
    for (set, start) in p.perm_set_ev.iter().enumerate() {
        let n = if set + 1 == s.perm_sets { 2 } else { 3 };
        out.extend((0..n).map(|j| (format!("permutation product {set}'s evaluation {j}"), start + 32 * j)));
    }
    for l in 0..s.num_lookups {
        let e = p.lookup_evals(l);
        for (name, at) in [("z(x)", e.z), ("z(wx)", e.z_next), ("A'(x)", e.a), ("A'(w^-1 x)", e.a_prev), ("S'(x)", e.s)] {
            out.push((format!("lookup {l}'s evaluation {name}"), at));
        }
    }
    out
}

/// Why 64 bytes `x ‖ y` are not a G1 point, if they are not.
fn point_defect(bytes: &[u8]) -> Option<&'static str> {
    let coord = |b: &[u8]| -> Option<Fq> {
        let mut le = [0u8; 32];
        le.copy_from_slice(b);
        le.reverse();
        let mut repr = <Fq as PrimeField>::Repr::default();
        repr.as_mut().copy_from_slice(&le);
        Option::from(Fq::from_repr(repr))
    };
    let Some(x) = coord(&bytes[..32]) else { return Some("its x coordinate is not below the base field modulus") };
    let Some(y) = coord(&bytes[32..]) else { return Some("its y coordinate is not below the base field modulus") };
    if bool::from(x.is_zero()) && bool::from(y.is_zero()) {
        return Some("it is (0, 0), the point at infinity");
    }
    if Option::<G1Affine>::from(G1Affine::from_xy(x, y)).is_none() {
        return Some("(x, y) does not satisfy y^2 = x^3 + 3");
    }
    None
}
