//! Claimant binding: public instance 1 of every proof names who may use it, for which bounty or
//! request, on which contract of which chain, so that a proof copied from the mempool pays nobody
//! but its maker, and a proof made for one deployment pays nothing on another.
//!
//! The instance is `keccak256(abi.encode(chainId, contract, claimant, id)) mod r` (four 32-byte
//! words: the chain id and the id as uint256, the two addresses left-padded; `r` the BN254 scalar
//! modulus), what `ProofPaymentBase.bindingOf(claimant, id)` computes with `block.chainid` and
//! `address(this)`. Zero means unbound: no paying contract accepts the proof, `verifyProof`
//! still does. The circuit reads the instance on its own public row, so it is part of the
//! statement proven (the verifier's gate check, not only the transcript, depends on it).

use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::FromUniformBytes;
use sha3::{Digest, Keccak256};
use std::fmt;
use std::str::FromStr;

/// An Ethereum address (20 bytes).
pub type Address = [u8; 20];

/// Who is paid, for which bounty or request: `0xCLAIMANT:ID` (`zkinfer prove --bind-to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimant {
    /// The claimant's address (the account that will send the claim or fulfilment).
    pub address: Address,
    /// The bounty or request id.
    pub id: u64,
}

/// The contract that pays, and its chain (`--contract`, `--chain-id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentContract {
    /// The chain's EIP-155 id (`block.chainid`).
    pub chain_id: u64,
    /// The paying contract (a `ModelBounty` or an `InferenceEscrow`).
    pub address: Address,
}

/// A claimant, its bounty or request, and the contract and chain that pay it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Who, and for which id.
    pub claimant: Claimant,
    /// Where.
    pub contract: PaymentContract,
}

impl Binding {
    /// The public instance (module docs).
    pub fn to_fr(&self) -> Fr {
        let mut words = [0u8; 128];
        words[24..32].copy_from_slice(&self.contract.chain_id.to_be_bytes());
        words[44..64].copy_from_slice(&self.contract.address);
        words[76..96].copy_from_slice(&self.claimant.address);
        words[120..128].copy_from_slice(&self.claimant.id.to_be_bytes());
        let digest = Keccak256::digest(words);
        // The 256-bit big-endian digest as a little-endian 512-bit integer, reduced mod r.
        let mut wide = [0u8; 64];
        for (i, b) in digest.iter().rev().enumerate() {
            wide[i] = *b;
        }
        Fr::from_uniform_bytes(&wide)
    }
}

impl fmt::Display for Claimant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}:{}", hex::encode(self.address), self.id)
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at 0x{} on chain {}", self.claimant, hex::encode(self.contract.address), self.contract.chain_id)
    }
}

/// Parses `0xADDRESS:ID` (the id in decimal).
impl FromStr for Claimant {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| ProverError::BadSettings(format!("claimant '{s}': {why} (expected 0xADDRESS:ID, e.g. 0x70997970C51812dc3A010C7d01b50e0d17dc79C8:1)"));
        let (addr, id) = s.split_once(':').ok_or_else(|| bad("no ':' before the id"))?;
        let address = parse_address(addr).map_err(|why| bad(&why))?;
        let id = id.parse::<u64>().map_err(|_| bad("the id must be a decimal number below 2^64"))?;
        Ok(Self { address, id })
    }
}

/// Parses a `0x`-prefixed 20-byte hex address (any case; the checksum is not checked). The error
/// says what is wrong.
pub fn parse_address(s: &str) -> std::result::Result<Address, String> {
    let hex_part = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).ok_or("the address must start with 0x")?;
    let bytes = hex::decode(hex_part).map_err(|_| "the address is not hex")?;
    bytes.try_into().map_err(|_| "the address must be 20 bytes".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use halo2_proofs::halo2curves::ff::PrimeField;

    fn binding(chain_id: u64, contract: &str, claimant: &str) -> Binding {
        Binding { claimant: claimant.parse().unwrap(), contract: PaymentContract { chain_id, address: parse_address(contract).unwrap() } }
    }

    fn hex_of(f: Fr) -> String {
        let mut be = f.to_repr().as_ref().to_vec();
        be.reverse();
        hex::encode(be)
    }

    /// The value `ProofPaymentBase.bindingOf` computes (pinned on the Solidity side by
    /// `test_BindingKnownAnswer` in test/Binding.t.sol with the same inputs).
    #[test]
    fn is_keccak_of_chain_contract_claimant_and_id_mod_r() {
        let b = binding(31337, "0x00000000000000000000000000000000000E5C00", "0x000000000000000000000000000000000000C1A1:7");
        assert_eq!(hex_of(b.to_fr()), KNOWN_ANSWER);
    }

    /// `cast keccak $(cast abi-encode 'f(uint256,address,address,uint256)' 31337
    /// 0x00000000000000000000000000000000000E5C00 0x000000000000000000000000000000000000C1A1 7)`,
    /// reduced mod r.
    const KNOWN_ANSWER: &str = "07f2aef345afe85b9bc84ef342c229b105043f6e271c38351c75ae2eddeb257d";

    #[test]
    fn every_part_changes_the_binding() {
        let base = binding(1, "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb:1");
        let others = [
            binding(2, "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb:1"),
            binding(1, "0x00000000000000000000000000000000000000ab", "0x00000000000000000000000000000000000000bb:1"),
            binding(1, "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bc:1"),
            binding(1, "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb:2"),
        ];
        for o in others {
            assert_ne!(base.to_fr(), o.to_fr(), "{o}");
        }
        let c: Claimant = base.claimant.to_string().parse().unwrap();
        assert_eq!(c, base.claimant);
        assert_eq!(base.to_string(), "0x00000000000000000000000000000000000000bb:1 at 0x00000000000000000000000000000000000000aa on chain 1");
    }

    #[test]
    fn names_what_is_wrong() {
        for (s, why) in [("0x12:1", "20 bytes"), ("12:1", "0x"), ("0x0000000000000000000000000000000000000102", "':'"), ("0x0000000000000000000000000000000000000102:-1", "decimal")] {
            let e = s.parse::<Claimant>().unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
        }
    }
}
