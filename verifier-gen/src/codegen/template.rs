//! The contract shell (`template.sol`) and its placeholders.

use super::yul::field_hex;
use super::Shape;
use crate::VerifierGenError;

const TEMPLATE: &str = include_str!("template.sol");

/// The complete Solidity source: `body` (the Yul of `verifyProof`) inside the template.
pub(super) fn render(
    s: &Shape<'_>,
    proof_len: usize,
    num_ec_mul: usize,
    body: String,
) -> Result<String, VerifierGenError> {
    let cs = s.vk.cs();
    let info = format!(
        "k = {}, advice = {}, fixed = {}, instances = {}, lookups = {}, permutation columns = {}, degree = {}, proof = {proof_len} bytes, ec muls = {num_ec_mul}",
        s.k,
        s.num_advice,
        cs.num_fixed_columns(),
        s.num_instances,
        s.num_lookups,
        s.perm_cols.len(),
        s.degree,
    );
    fill(
        TEMPLATE,
        &[
            ("CONTRACT_NAME", s.name.clone()),
            ("VERSION", env!("CARGO_PKG_VERSION").to_string()),
            ("CIRCUIT_INFO", info),
            ("PROOF_LENGTH", proof_len.to_string()),
            ("NUM_INSTANCES", s.num_instances.to_string()),
            ("VK_DIGEST", field_hex(&s.vk.transcript_repr())),
            ("BODY", body),
        ],
    )
}

fn fill(template: &str, vals: &[(&str, String)]) -> Result<String, VerifierGenError> {
    let mut s = template.to_string();
    for (k, v) in vals {
        let key = format!("{{{{{k}}}}}");
        if !s.contains(&key) {
            return Err(VerifierGenError::Invalid(format!("template lacks placeholder {key}")));
        }
        s = s.replace(&key, v);
    }
    if s.contains("{{") {
        return Err(VerifierGenError::Invalid("unfilled template placeholder".into()));
    }
    Ok(s)
}
