//! The contract shell (`template.sol`), filled from a typed [`Contract`].

use super::yul::field_hex;
use super::{InstanceCounts, Shape};
use crate::VerifierGenError;
use halo2_proofs::halo2curves::bn256::Fr;

const TEMPLATE: &str = include_str!("template.sol");

/// Everything the template says besides the body's Yul: one field per placeholder.
pub(super) struct Contract<'a> {
    /// The contract's name (a Solidity identifier, checked by `Shape::new`).
    pub name: &'a str,
    /// The one-line circuit summary of the header comment ([`circuit_info`]).
    pub circuit_info: String,
    /// `PROOF_LENGTH`.
    pub proof_length: usize,
    /// `NUM_INSTANCES`.
    pub num_instances: usize,
    /// `VK_DIGEST`: the verifying key's transcript digest.
    pub vk_digest: Fr,
    /// `SRS_DIGEST` ([`crate::srs::srs_digest`]).
    pub srs_digest: [u8; 32],
    /// `DEV_SRS`.
    pub dev_srs: bool,
    /// `INPUT_INSTANCE_COUNT`, `OUTPUT_INSTANCE_COUNT` (omitted when `None`).
    pub instance_counts: Option<InstanceCounts>,
    /// The Yul of `verifyProof`.
    pub body: String,
}

impl Contract<'_> {
    /// The complete Solidity source.
    pub(super) fn render(&self) -> Result<String, VerifierGenError> {
        fill(
            TEMPLATE,
            &[
                ("CONTRACT_NAME", self.name.to_string()),
                ("VERSION", env!("CARGO_PKG_VERSION").to_string()),
                ("CIRCUIT_INFO", self.circuit_info.clone()),
                ("PROOF_LENGTH", self.proof_length.to_string()),
                ("NUM_INSTANCES", self.num_instances.to_string()),
                ("VK_DIGEST", field_hex(&self.vk_digest)),
                ("SRS_DIGEST", format!("0x{}", hex::encode(self.srs_digest))),
                ("DEV_SRS", self.dev_srs.to_string()),
                ("DEV_SRS_NOTE", dev_srs_note(self.dev_srs).to_string()),
                ("INSTANCE_COUNTS", instance_counts(self.instance_counts)),
                ("REVERT_CODES", crate::codes::natspec()),
                ("BODY", self.body.clone()),
            ],
        )
    }
}

/// The header comment's circuit summary.
pub(super) fn circuit_info(s: &Shape<'_>, proof_len: usize, num_ec_mul: usize) -> String {
    let cs = s.vk.cs();
    format!(
        "k = {}, advice = {}, fixed = {}, instances = {}, lookups = {}, permutation columns = {}, degree = {}, proof = {proof_len} bytes, ec muls = {num_ec_mul}",
        s.k,
        s.num_advice,
        cs.num_fixed_columns(),
        s.num_instances,
        s.num_lookups,
        s.perm_cols.len(),
        s.degree,
    )
}

fn dev_srs_note(dev: bool) -> &'static str {
    if dev {
        "UNSAFE: set up with a development SRS whose toxic waste is known; anyone can forge proofs for it"
    } else {
        "set up with a ceremony SRS (compare SRS_DIGEST with the ceremony's)"
    }
}

/// The layout constants, or a comment saying why there are none.
///
/// Their names are chosen for their selectors: solc (legacy codegen, `runs = 1`) dispatches by
/// comparing the selector with each function's in ascending order, and `verifyProof`
/// (`0x1e8e1e13`) stays second, after `NUM_INSTANCES` (`0x0820bd77`), as before these constants:
/// `INPUT_INSTANCE_COUNT` is `0x396af755`, `OUTPUT_INSTANCE_COUNT` `0x2515e425`, `SRS_DIGEST`
/// `0x4a16ff7a`, `DEV_SRS` `0xfee2b3dc` (`NUM_OUTPUT_INSTANCES` would be `0x0ffb38cc`: one more
/// comparison, 22 gas, on every verification). `structure.rs` checks the order.
fn instance_counts(c: Option<InstanceCounts>) -> String {
    match c {
        Some(c) => format!(
            "/// Public instances are [model commitment, binding, inputs..., outputs...]: this many inputs,\n    \
             uint256 public constant INPUT_INSTANCE_COUNT = {};\n    \
             /// then this many outputs (NUM_INSTANCES = 2 + INPUT_INSTANCE_COUNT + OUTPUT_INSTANCE_COUNT).\n    \
             uint256 public constant OUTPUT_INSTANCE_COUNT = {};",
            c.inputs, c.outputs
        ),
        None => "// No zkinfer instance layout (INPUT_INSTANCE_COUNT, OUTPUT_INSTANCE_COUNT): VerifierRegistry refuses this verifier.".to_string(),
    }
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
