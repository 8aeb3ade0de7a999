//! Naming reverts: `ProofRejected(3)` instead of `custom error 0x…`.
//!
//! A [`RevertDecoder`] knows a list of custom error signatures (by default the errors of zkinfer's
//! contracts, [`ZKINFER_ERRORS`]; more can be added) and decodes their arguments. The generated
//! halo2 verifier reverts with a bare 32-byte code, which is named too. Anything else falls back to
//! [`crate::chain::decode_revert`] (`Error(string)`, `Panic(uint256)`, raw selector).

use alloy::dyn_abi::{DynSolType, DynSolValue};
use alloy::primitives::{keccak256, U256};

/// Custom errors of zkinfer's contracts (ModelBounty, InferenceEscrow, ProofPaymentBase,
/// VerifierRegistry).
pub const ZKINFER_ERRORS: &[&str] = &[
    // ProofPaymentBase
    "RegistryHasNoCode(address)",
    "ReentrantCall()",
    "ZeroAmount()",
    "WrongEtherValue(uint256,uint256)",
    "TokenHasNoCode(address)",
    "TransferFromFailed(address,address,uint256)",
    "TransferFailed(address,address,uint256)",
    "DeadlineInPast(uint64)",
    "UnknownCircuit(uint256)",
    "NotAFieldElement(uint256)",
    "WrongClaimant(uint256,uint256)",
    "ProofRejected(uint256)",
    "VerifierCodeChanged(uint256)",
    "WrongInstanceCount(uint256,uint256)",
    // ModelBounty
    "ZeroThreshold()",
    "UnknownBounty(uint256)",
    "BountyAlreadyPaid(uint256)",
    "BountyAlreadyRefunded(uint256)",
    "BountyExpired(uint256,uint64)",
    "BountyNotExpired(uint256,uint64)",
    "WrongTestSet(uint256,uint256)",
    "BelowThreshold(uint256,uint256)",
    "ThresholdAboveTestSetSize(uint256,uint256)",
    "NotAnAccuracyCircuit(uint256,uint256,uint256)",
    "CountAboveTestSetSize(uint256,uint256)",
    // InferenceEscrow
    "NoInputs()",
    "WrongInputCount(uint256,uint256,uint256)",
    "CircuitHasNoOutputs(uint256)",
    "UnknownRequest(uint256)",
    "RequestAlreadyFulfilled(uint256)",
    "RequestAlreadyRefunded(uint256)",
    "RequestExpired(uint256,uint64)",
    "RequestNotExpired(uint256,uint64)",
    "NotDesignatedHost(address,address)",
    "WrongModelCommitment(uint256,uint256)",
    "WrongInputs(bytes32,bytes32)",
    "NotFulfilled(uint256)",
    // VerifierRegistry
    "NotOwner(address)",
    "NotPendingOwner(address)",
    "VerifierHasNoCode(address)",
    "NoVkDigest(address)",
    "InvalidVkDigest(address,uint256)",
    "AlreadyRegistered(uint256,address)",
    "MissingVerifierConstant(address,bytes4)",
    "InvalidInstanceLayout(address,uint256,uint256,uint256)",
    "InvalidDevSrsFlag(address,uint256)",
    "DevSrsVerifier(address,bytes32)",
];


/// A custom error signature that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error signature {signature:?}: {reason}")]
pub struct SignatureError {
    /// The signature given.
    pub signature: String,
    /// Why it was rejected.
    pub reason: String,
}

#[derive(Debug, Clone)]
struct KnownError {
    selector: [u8; 4],
    name: String,
    params: DynSolType,
}

/// Decodes revert data into readable reasons.
#[derive(Debug, Clone)]
pub struct RevertDecoder {
    errors: Vec<KnownError>,
}

impl Default for RevertDecoder {
    /// [`RevertDecoder::zkinfer`].
    fn default() -> Self {
        Self::zkinfer()
    }
}

impl RevertDecoder {
    /// Knows no custom errors.
    pub fn empty() -> Self {
        Self { errors: Vec::new() }
    }

    /// Knows [`ZKINFER_ERRORS`].
    pub fn zkinfer() -> Self {
        let mut d = Self::empty();
        for sig in ZKINFER_ERRORS {
            // The list is static and parses (unit-tested); a failure would only drop a name.
            let _ = d.add(sig);
        }
        d
    }

    /// Adds a custom error, e.g. `AlreadySubmitted(uint256,uint256)` (parameter names allowed).
    pub fn add(&mut self, signature: &str) -> Result<(), SignatureError> {
        let err = |reason: String| SignatureError {
            signature: signature.to_string(),
            reason,
        };
        let s = signature.trim().trim_start_matches("error ").trim_end_matches(';');
        let (name, rest) = s
            .split_once('(')
            .ok_or_else(|| err("expected Name(type,…)".into()))?;
        let name = name.trim();
        let params = rest
            .trim_end()
            .strip_suffix(')')
            .ok_or_else(|| err("missing ')'".into()))?;
        let types: Vec<&str> = params
            .split(',')
            .filter_map(|p| p.split_whitespace().next())
            .collect();
        let canonical = format!("{name}({})", types.join(","));
        let params = DynSolType::parse(&format!("({})", types.join(",")))
            .map_err(|e| err(e.to_string()))?;
        let h = keccak256(canonical.as_bytes());
        self.errors.push(KnownError {
            selector: [h[0], h[1], h[2], h[3]],
            name: name.to_string(),
            params,
        });
        Ok(())
    }

    /// Adds every custom error of a solc ABI (a JSON array, e.g. `abi/ModelBounty.json` written
    /// by `zkinfer deploy`); returns how many.
    pub fn add_abi(&mut self, abi: &serde_json::Value) -> usize {
        let entries = abi.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut n = 0;
        for e in entries.iter().filter(|e| e["type"] == "error") {
            let Some(name) = e["name"].as_str() else { continue };
            let types: Vec<&str> = e["inputs"].as_array().map(Vec::as_slice).unwrap_or_default().iter().filter_map(|i| i["type"].as_str()).collect();
            let sig = format!("{name}({})", types.join(","));
            let h = keccak256(sig.as_bytes());
            if self.errors.iter().any(|k| k.selector[..] == h[..4]) {
                continue;
            }
            if self.add(&sig).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// [`RevertDecoder::add`], chained.
    pub fn with(mut self, signature: &str) -> Result<Self, SignatureError> {
        self.add(signature)?;
        Ok(self)
    }

    /// A readable reason for revert data; `None` for empty data.
    pub fn decode(&self, data: &[u8]) -> Option<String> {
        if data.is_empty() {
            return None;
        }
        if let Some(sel) = data.get(..4) {
            for e in self.errors.iter().filter(|e| e.selector == sel) {
                if let Ok(v) = e.params.abi_decode_sequence(&data[4..]) {
                    return Some(format!("{}({})", e.name, format_args_of(&v)));
                }
            }
        }
        if let Some((code, meaning)) = zkinfer_verifier_gen::revert_code_of(data) {
            return Some(format!("halo2 verifier rejected the input: code {code} ({meaning})"));
        }
        crate::chain::decode_revert(data)
    }
}

fn format_args_of(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Tuple(items) => items.iter().map(format_value).collect::<Vec<_>>().join(", "),
        other => format_value(other),
    }
}

/// Small integers in decimal, large ones (commitments, bindings) in hex.
fn format_value(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Uint(u, _) if *u <= U256::from(u64::MAX) => u.to_string(),
        DynSolValue::Uint(u, _) => format!("{u:#066x}"),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Address(a) => a.to_string(),
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", hex::encode(&w[..*n])),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::Tuple(items) | DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!("[{}]", items.iter().map(format_value).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolError;

    alloy::sol! {
        error WrongClaimant(uint256 expected, uint256 actual);
        error NotDesignatedHost(address host, address caller);
    }

    #[test]
    fn every_listed_error_parses() {
        assert_eq!(RevertDecoder::zkinfer().errors.len(), ZKINFER_ERRORS.len());
    }

    /// Every custom error declared in contracts/*.sol is named.
    #[test]
    fn zkinfer_contract_errors_are_all_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts");
        for f in ["ModelBounty.sol", "InferenceEscrow.sol", "ProofPaymentBase.sol", "VerifierRegistry.sol"] {
            let Ok(src) = std::fs::read_to_string(dir.join(f)) else { continue };
            for line in src.lines().map(str::trim).filter(|l| l.starts_with("error ")) {
                let decl = line.trim_start_matches("error ").trim_end_matches(';');
                let (name, params) = decl.split_once('(').unwrap_or((decl, ")"));
                let types: Vec<&str> = params.trim_end_matches(')').split(',').filter_map(|p| p.split_whitespace().next()).collect();
                let sig = format!("{name}({})", types.join(","));
                assert!(ZKINFER_ERRORS.contains(&sig.as_str()), "{f}: {sig} is missing from ZKINFER_ERRORS");
            }
        }
    }

    #[test]
    fn regression_large_words_are_32_zero_padded_bytes() {
        let d = RevertDecoder::zkinfer();
        let big = U256::from(1) << 200;
        let data = WrongClaimant { expected: U256::from(7), actual: big }.abi_encode();
        let want = format!("WrongClaimant(7, 0x{:0>64})", format!("{big:x}"));
        assert_eq!(d.decode(&data), Some(want));
        let mut code = [0u8; 32];
        code[31] = 5;
        assert!(d.decode(&code).is_some_and(|r| r.contains("code 5") && r.contains("inversion hint")));
        code[31] = 6;
        assert!(d.decode(&code).is_some_and(|r| !r.contains("halo2 verifier")), "6 is not a code the verifier emits");
    }

    #[test]
    fn decodes_names_arguments_and_verifier_codes() {
        let d = RevertDecoder::zkinfer();
        let data = WrongClaimant { expected: U256::from(7), actual: U256::MAX }.abi_encode();
        assert_eq!(d.decode(&data).as_deref(), Some(format!("WrongClaimant(7, {:#x})", U256::MAX).as_str()));
        let a = alloy::primitives::Address::repeat_byte(0x11);
        let data = NotDesignatedHost { host: a, caller: a }.abi_encode();
        assert_eq!(d.decode(&data), Some(format!("NotDesignatedHost({a}, {a})")));
        let code = U256::from(3).to_be_bytes::<32>();
        assert!(d.decode(&code).is_some_and(|r| r.contains("code 3") && r.contains("curve")));
        assert_eq!(d.decode(&[]), None);
        assert!(d.decode(&[0xde, 0xad, 0xbe, 0xef]).is_some_and(|r| r.contains("0xdeadbeef")));
        let custom = RevertDecoder::empty().with("error AlreadySubmitted(uint256 jobId, uint256 atBlock);").expect("parses");
        alloy::sol! { error AlreadySubmitted(uint256 jobId, uint256 atBlock); }
        let data = AlreadySubmitted { jobId: U256::from(4), atBlock: U256::from(12) }.abi_encode();
        assert_eq!(custom.decode(&data).as_deref(), Some("AlreadySubmitted(4, 12)"));
        assert!(RevertDecoder::empty().with("nope").is_err());
    }
}
