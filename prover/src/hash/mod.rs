//! Commitments to private tensors, computed the same way in the circuit
//! ([`crate::circuit::layout`]) and off-chain ([`commit`]).
//!
//! A tensor of fixed-point values `v_0 … v_(N−1)`, each `bits` wide (`v ∈ [−2^(bits−1),
//! 2^(bits−1))`), is committed to as:
//!
//! 1. **Packing.** Each value is shifted to `u = v + 2^(bits−1) ∈ [0, 2^bits)`, and runs of
//!    `m = ⌊253 / bits⌋` consecutive values become one field element, first value most
//!    significant: `e = Σ_(i<m') u_i · 2^(bits·(m'−1−i))` (the last run may be shorter, `m' ≤ m`).
//!    `m'·bits ≤ 253 < log2 r`, so packing is injective; the circuit proves every `u` in range
//!    limb by limb, which is what makes it sound.
//! 2. **Sponge.** Poseidon ([`poseidon`]: BN254, width 3, rate 2, circomlib's parameters) over
//!    `[salt, e_0, e_1, …]`: the state starts as `[L + t·2^64, 0, 0]` with `L` the number of
//!    absorbed elements (so padding is unambiguous) and `t` the tensor's tag ([`Tensor`]: 0 input,
//!    1 output, 2 weights), every pair `(a, b)` is added to state elements 1 and 2 and the state permuted (an
//!    odd count is padded with one 0), and the commitment is state element 1.
//!
//! The salt is a field element known only to the prover's user; `0` means no blinding. Use a
//! random salt whenever the tensor could be guessed (a low-entropy input such as a yes/no answer
//! or a small image class): without one, anyone can hash candidate inputs until one matches.

pub mod poseidon;

use crate::circuit::fr_from_i128;
use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::Fr;

/// Which tensor a commitment is to. Its tag enters the sponge's initial capacity, so that an
/// input and an output commitment of the same values differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tensor {
    /// The model's input (tag 0).
    Input,
    /// The model's output (tag 1).
    Output,
    /// The model's weights and biases (tag 2; see [`crate::quant::QuantModel::committed_weights`]).
    Weights,
}

impl Tensor {
    /// The domain tag.
    pub fn tag(self) -> u64 {
        match self {
            Tensor::Input => 0,
            Tensor::Output => 1,
            Tensor::Weights => 2,
        }
    }
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Tensor::Input => "input",
            Tensor::Output => "output",
            Tensor::Weights => "weights",
        }
    }
    /// The sponge's initial capacity element for `elements` absorbed elements: `L + tag·2^64`.
    pub fn capacity(self, elements: usize) -> Fr {
        Fr::from(elements as u64) + Fr::from(self.tag()) * crate::circuit::pow2(64)
    }
}

/// Largest number of bits packed into one field element.
pub const PACKED_BITS: u32 = 253;

/// Values per packed element for `bits`-wide values.
pub fn values_per_element(bits: u32) -> usize {
    (PACKED_BITS / bits.max(1)) as usize
}

/// Packs `values` (each in `[−2^(bits−1), 2^(bits−1))`) into field elements; names the first
/// value out of range.
pub fn pack(values: &[i64], bits: u32) -> Result<Vec<Fr>> {
    if bits == 0 || bits > 64 {
        return Err(ProverError::BadSettings(format!("packing width {bits} bits is not in 1..=64")));
    }
    let half = 1i128 << (bits - 1);
    if let Some(i) = values.iter().position(|v| i128::from(*v) < -half || i128::from(*v) >= half) {
        return Err(ProverError::BadInput(format!(
            "value {i} ({}) is outside the committed range [{}, {}] of a {bits}-bit packing",
            values[i],
            -half,
            half - 1
        )));
    }
    Ok(pack_unchecked(values, bits))
}

/// [`pack`] without the range check: what the circuit's witness computes for any values (an
/// out-of-range value then fails the circuit's limb lookup).
pub(crate) fn pack_unchecked(values: &[i64], bits: u32) -> Vec<Fr> {
    let half = 1i128 << (bits - 1);
    let shift = crate::circuit::pow2(bits);
    values
        .chunks(values_per_element(bits))
        .map(|run| run.iter().fold(Fr::zero(), |e, v| e * shift + fr_from_i128(i128::from(*v) + half)))
        .collect()
}

/// The sponge over `elements` (the salt first) of a `tensor`.
pub fn sponge(tensor: Tensor, elements: &[Fr]) -> Fr {
    let mut state = [tensor.capacity(elements.len()), Fr::zero(), Fr::zero()];
    for pair in elements.chunks(poseidon::RATE) {
        state[1] += pair[0];
        state[2] += pair.get(1).copied().unwrap_or(Fr::zero());
        poseidon::permute(&mut state);
    }
    state[1]
}

/// The commitment to a tensor: [`sponge`] over the salt and the packed values.
pub fn commit(tensor: Tensor, values: &[i64], bits: u32, salt: Fr) -> Result<Fr> {
    let mut elements = vec![salt];
    elements.extend(pack(values, bits)?);
    Ok(sponge(tensor, &elements))
}

/// [`commit`] without the range check (the circuit's witness; see [`pack_unchecked`]).
pub(crate) fn commit_unchecked(tensor: Tensor, values: &[i64], bits: u32, salt: Fr) -> Fr {
    let mut elements = vec![salt];
    elements.extend(pack_unchecked(values, bits));
    sponge(tensor, &elements)
}

/// A fresh random salt (uniform in the field).
pub fn random_salt() -> Fr {
    use halo2_proofs::halo2curves::ff::Field;
    Fr::random(rand::rngs::OsRng)
}

/// A salt from a command-line argument: none (zero), `random` ([`random_salt`]) or `0x`-hex
/// ([`parse_salt`]).
pub fn salt_arg(arg: Option<&str>) -> Result<Fr> {
    match arg {
        None => Ok(Fr::zero()),
        Some("random") => Ok(random_salt()),
        Some(s) => parse_salt(s),
    }
}

/// Parses a salt: `0x`-hex, big-endian, at most 32 bytes, below the field modulus.
pub fn parse_salt(s: &str) -> Result<Fr> {
    let bad = |why: &str| ProverError::BadSettings(format!("salt '{s}': {why} (expected 0x followed by up to 64 hex digits, below the BN254 scalar modulus)"));
    let digits = s.strip_prefix("0x").ok_or_else(|| bad("no 0x prefix"))?;
    let digits = if digits.len() % 2 == 1 { format!("0{digits}") } else { digits.to_string() };
    let bytes = hex::decode(&digits).map_err(|_| bad("not hex"))?;
    if bytes.len() > 32 {
        return Err(bad("longer than 32 bytes"));
    }
    let mut be = [0u8; 32];
    be[32 - bytes.len()..].copy_from_slice(&bytes);
    crate::artifact::fr_from_hex(&format!("0x{}", hex::encode(be))).ok_or_else(|| bad("not below the modulus"))
}

/// Number of permutations the sponge runs for `n` elements (the salt included).
pub fn permutations(n: usize) -> usize {
    n.div_ceil(poseidon::RATE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn packing_is_big_endian_and_offset() {
        // bits = 4: u = v + 8; [1, -8, 7] → 9·16² + 0·16 + 15.
        assert_eq!(pack(&[1, -8, 7], 4).unwrap(), vec![Fr::from(9 * 256 + 15)]);
        assert_eq!(values_per_element(16), 15);
        assert_eq!(pack(&[0; 16], 16).unwrap().len(), 2);
    }

    #[test]
    fn packing_names_the_value_out_of_range() {
        let e = pack(&[0, 8], 4).unwrap_err().to_string();
        assert!(e.contains("value 1 (8)"), "{e}");
        assert!(pack(&[-9], 4).is_err());
    }

    #[test]
    fn salts_parse_and_name_the_problem() {
        assert_eq!(parse_salt("0x0102").unwrap(), Fr::from(0x0102));
        assert_eq!(parse_salt("0x1").unwrap(), Fr::one());
        for (s, why) in [("12", "0x"), ("0xzz", "hex"), (&format!("0x{}", "ff".repeat(32)), "modulus"), (&format!("0x{}", "00".repeat(33)), "32 bytes")] {
            let e = parse_salt(s).unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
        }
        assert_ne!(random_salt(), random_salt());
    }

    #[test]
    fn the_salt_the_length_and_the_tensor_change_the_commitment() {
        let a = commit(Tensor::Input, &[1, 2, 3], 16, Fr::zero()).unwrap();
        assert_ne!(a, commit(Tensor::Input, &[1, 2, 3], 16, Fr::one()).unwrap());
        assert_ne!(a, commit(Tensor::Input, &[1, 2, 3, 0], 16, Fr::zero()).unwrap());
        assert_ne!(a, commit(Tensor::Output, &[1, 2, 3], 16, Fr::zero()).unwrap());
        assert_eq!(a, commit(Tensor::Input, &[1, 2, 3], 16, Fr::zero()).unwrap());
    }
}
