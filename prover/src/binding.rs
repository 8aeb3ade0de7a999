//! Claimant binding: public instance 1 of every proof names who may use it, so that a proof
//! copied from the mempool pays nobody but its maker.
//!
//! The instance is `id · 2^160 + address`: the claimant's 20-byte Ethereum address in the low
//! 160 bits and a 64-bit bounty or request id above it (Solidity:
//! `uint256(uint160(claimant)) | (uint256(id) << 160)`). Zero means unbound: any sender may
//! use the proof. The circuit reads the instance on its own public row, so it is part of the
//! statement proven (the verifier's gate check, not only the transcript, depends on it).

use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;
use std::fmt;
use std::str::FromStr;

/// A claimant and the bounty or request the proof is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Binding {
    /// The claimant's address (the account that will send the claim, or the named recipient).
    pub claimant: [u8; 20],
    /// The bounty or request id.
    pub id: u64,
}

impl Binding {
    /// The public instance.
    pub fn to_fr(&self) -> Fr {
        let mut le = [0u8; 32];
        for (i, b) in self.claimant.iter().rev().enumerate() {
            le[i] = *b;
        }
        le[20..28].copy_from_slice(&self.id.to_le_bytes());
        // < 2^224 < r: always canonical.
        Option::from(Fr::from_repr(le)).unwrap_or(Fr::zero())
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}:{}", hex::encode(self.claimant), self.id)
    }
}

/// Parses `0xADDRESS:ID` (the id in decimal).
impl FromStr for Binding {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| ProverError::BadSettings(format!("binding '{s}': {why} (expected 0xADDRESS:ID, e.g. 0x70997970C51812dc3A010C7d01b50e0d17dc79C8:1)"));
        let (addr, id) = s.split_once(':').ok_or_else(|| bad("no ':' before the id"))?;
        let hex_part = addr.strip_prefix("0x").or_else(|| addr.strip_prefix("0X")).ok_or_else(|| bad("the address must start with 0x"))?;
        let bytes = hex::decode(hex_part).map_err(|_| bad("the address is not hex"))?;
        let claimant: [u8; 20] = bytes.try_into().map_err(|_| bad("the address must be 20 bytes"))?;
        let id = id.parse::<u64>().map_err(|_| bad("the id must be a decimal number below 2^64"))?;
        Ok(Self { claimant, id })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn packs_the_address_low_and_the_id_high() {
        let b: Binding = "0x0000000000000000000000000000000000000102:3".parse().unwrap();
        let expected = Fr::from(0x0102) + Fr::from(3) * Fr::from_u128(1 << 80) * Fr::from_u128(1 << 80);
        assert_eq!(b.to_fr(), expected);
        assert_eq!(Binding::default().to_fr(), Fr::zero());
        assert_eq!(b.to_string().parse::<Binding>().unwrap(), b);
    }

    #[test]
    fn names_what_is_wrong() {
        for (s, why) in [("0x12:1", "20 bytes"), ("12:1", "0x"), ("0x0000000000000000000000000000000000000102", "':'"), ("0x0000000000000000000000000000000000000102:-1", "decimal")] {
            let e = s.parse::<Binding>().unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
        }
    }
}
