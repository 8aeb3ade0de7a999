//! The one printed form of ids and commitments (circuit ids, model/input/output commitments,
//! bindings, bounty and request ids in hex contexts): 32 bytes, `0x`-prefixed, zero-padded,
//! lowercase, as `cast` prints a `uint256`/`bytes32` word.

use alloy::primitives::U256;
use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;

/// A word as `0x` and 64 lowercase hex digits.
pub fn word(v: U256) -> String {
    format!("{v:#066x}")
}

/// A field element as [`word`].
pub fn fr(f: &Fr) -> String {
    word(U256::from_be_bytes(zkinfer_verifier_gen::transcript::encode_scalar(f)))
}

/// Parses a word given in hex (`0x`, any case, any length up to 64 digits) or decimal.
pub fn parse(s: &str) -> Result<U256> {
    let t = s.trim();
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => {
            if h.is_empty() || h.len() > 64 {
                bail!("{s:?}: expected 0x and 1 to 64 hex digits");
            }
            U256::from_str_radix(h, 16).with_context(|| format!("{s:?}: not hex"))?
        }
        None => U256::from_str_radix(t, 10).with_context(|| format!("{s:?}: expected a decimal number or 0x-hex"))?,
    };
    Ok(v)
}

/// Re-prints a hex or decimal word as [`word`] (for values read from files in another form).
pub fn normalise(s: &str) -> Result<String> {
    parse(s).map(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_ids_are_printed_as_32_zero_padded_bytes() {
        assert_eq!(word(U256::from(3)), format!("0x{}3", "0".repeat(63)));
        assert_eq!(normalise("0xABC").ok().as_deref(), Some(format!("0x{}abc", "0".repeat(61)).as_str()));
        assert_eq!(normalise("255").ok(), Some(word(U256::from(255))));
        assert_eq!(fr(&Fr::from(16)), word(U256::from(16)));
        assert_eq!(word(U256::MAX).len(), 66);
        assert!(parse("0x").is_err() && parse("zz").is_err() && parse(&format!("0x{}", "1".repeat(65))).is_err());
    }
}
