//! Jobs: what a client asks the relayer to send ([`JobRequest`]), its key ([`job_key`]), its
//! states ([`JobState`]) and its record ([`Job`]).
//!
//! A job is one call of a paying method — `ModelBounty.claim(id, proof, instances)` or
//! `InferenceEscrow.fulfil(id, proof, instances)` — on a contract of the relayer's
//! [allowlist](crate::allowlist). The request names the contract and, optionally, the method
//! ([`MethodName`]); the relayer builds the calldata itself, with the selector of the contract's
//! compiled ABI, so it always knows which proof a transaction carries and never calls anything
//! else.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::{keccak256, Address, B256, U256};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A job request that cannot be accepted as given, naming the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field '{field}': {message}")]
pub struct RequestError {
    /// The JSON field, e.g. `contract`, `proof.instances[2]` (`body` for the whole request).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl RequestError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The method a job names: a function name (`claim`) or a full signature
/// (`claim(uint256,bytes,uint256[])`, parameter names and spaces allowed, `uint` for `uint256`).
///
/// It selects nothing by itself: [`crate::Allowlist::resolve`] accepts it only if it names the
/// paying method of the job's contract, and the selector sent is the one of the contract's
/// compiled ABI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MethodName {
    name: String,
    signature: Option<String>,
}

impl MethodName {
    /// `claim` (ModelBounty).
    pub fn claim() -> Self {
        Self { name: "claim".into(), signature: None }
    }

    /// `fulfil` (InferenceEscrow).
    pub fn fulfil() -> Self {
        Self { name: "fulfil".into(), signature: None }
    }

    /// Parses a function name or a full signature.
    pub fn parse(s: &str) -> Result<Self, RequestError> {
        let bad = |m: String| RequestError::new("method", m);
        let s = s.trim();
        let Some((name, rest)) = s.split_once('(') else {
            if !is_identifier(s) {
                return Err(bad(format!("{s:?} is not a Solidity function name (e.g. claim) or signature (e.g. claim(uint256,bytes,uint256[]))")));
            }
            return Ok(Self { name: s.to_string(), signature: None });
        };
        let name = name.trim();
        if !is_identifier(name) {
            return Err(bad(format!("{name:?} is not a Solidity function name")));
        }
        let Some(params) = rest.trim_end().strip_suffix(')') else {
            return Err(bad(format!("{s:?}: missing ')'")));
        };
        let mut types = Vec::new();
        let listed: Vec<&str> = if params.trim().is_empty() { Vec::new() } else { params.split(',').collect() };
        for p in listed {
            let ty = p.split_whitespace().next().unwrap_or("");
            let ty = match ty {
                "uint" => "uint256",
                "uint[]" => "uint256[]",
                t => t,
            };
            if ty.is_empty() || !ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '[' || c == ']') {
                return Err(bad(format!("{s:?}: {p:?} is not a parameter type")));
            }
            types.push(ty.to_string());
        }
        Ok(Self { name: name.to_string(), signature: Some(format!("{name}({})", types.join(","))) })
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The canonical signature, when one was given.
    pub fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }
}

impl fmt::Display for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.signature.as_deref().unwrap_or(&self.name))
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A proof and its public instances, as the contract takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPayload {
    /// The proof bytes (the halo2 proof followed by its inversion hint).
    pub proof: Vec<u8>,
    /// The public instances as `uint256`s (field elements).
    pub instances: Vec<U256>,
}

impl ProofPayload {
    /// From a zkinfer `proof.json` object, or any object with `proof` (`0x`-hex) and `instances`
    /// (`0x`-hex or decimal strings, or small numbers). Errors name `proof.*` fields.
    pub fn from_json(v: &Value) -> Result<Self, RequestError> {
        let obj = v.as_object().ok_or_else(|| {
            RequestError::new(
                "proof",
                "expected an object with 'proof' and 'instances' (a zkinfer proof.json)",
            )
        })?;
        if let Some(format) = obj.get("format") {
            if format.as_str() != Some("zkinfer-proof") {
                return Err(RequestError::new(
                    "proof.format",
                    format!("is {format}, expected \"zkinfer-proof\""),
                ));
            }
        }
        let hex_proof = obj
            .get("proof")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::new("proof.proof", "missing or not a string"))?;
        let proof = parse_hex_bytes(hex_proof)
            .map_err(|m| RequestError::new("proof.proof", m))?;
        if proof.is_empty() {
            return Err(RequestError::new("proof.proof", "is empty"));
        }
        let list = obj
            .get("instances")
            .and_then(Value::as_array)
            .ok_or_else(|| RequestError::new("proof.instances", "missing or not an array"))?;
        let instances = list
            .iter()
            .enumerate()
            .map(|(i, v)| {
                parse_uint(v).map_err(|m| RequestError::new(format!("proof.instances[{i}]"), m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { proof, instances })
    }

    /// From a loaded zkinfer proof artifact (`proof.json`).
    pub fn from_artifact(a: &zkinfer_prover::artifact::ProofArtifact) -> Result<Self, RequestError> {
        let v = serde_json::json!({ "proof": a.proof, "instances": a.instances });
        Self::from_json(&v)
    }

    /// From proof bytes and field-element instances (as the prover returns them).
    pub fn from_fields(proof: &[u8], instances: &[halo2_proofs::halo2curves::bn256::Fr]) -> Self {
        let instances = instances
            .iter()
            .map(|f| {
                let hex = zkinfer_prover::artifact::fr_to_hex(f);
                U256::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap_or_default()
            })
            .collect();
        Self { proof: proof.to_vec(), instances }
    }

    /// As a JSON object `{"proof": "0x…", "instances": ["0x…", …]}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "proof": format!("0x{}", hex::encode(&self.proof)),
            "instances": self.instances.iter().map(|i| format!("{i:#066x}")).collect::<Vec<_>>(),
        })
    }
}

/// `0x`-hex (the prefix is optional) to bytes.
fn parse_hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(h).map_err(|e| format!("not hex: {e}"))
}

/// A `uint256` from a JSON number (non-negative integer) or a decimal or `0x`-hex string.
pub fn parse_uint(v: &Value) -> Result<U256, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| format!("{n} is not a non-negative integer (use a string for large values)")),
        Value::String(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) if !h.is_empty() && h.len() <= 64 => U256::from_str_radix(h, 16),
                Some(_) => return Err(format!("{s:?} is not a 0x-hex uint256 (1 to 64 digits)")),
                None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                    U256::from_str_radix(s, 10)
                }
                None => return Err(format!("{s:?} is not a decimal or 0x-hex integer")),
            };
            parsed.map_err(|e| format!("{s:?}: {e}"))
        }
        other => Err(format!("{other} is not an integer or an integer string")),
    }
}

/// A job as submitted: the target call and the proof it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRequest {
    /// The contract to call (it must be on the relayer's allowlist).
    pub contract: Address,
    /// The method; `None`: the contract's paying method. Either way only that method is called.
    pub method: Option<MethodName>,
    /// The bounty or request id (the leading `uint256` argument).
    pub call_id: U256,
    /// The proof and instances.
    pub proof: ProofPayload,
    /// The circuit whose verifying key checks the proof natively (`None`: the relayer's only
    /// circuit, if it has exactly one).
    pub circuit: Option<String>,
}

const FIELDS: [&str; 5] = ["contract", "method", "id", "proof", "circuit"];

impl JobRequest {
    /// A `claim(id, proof, instances)` job (ModelBounty).
    pub fn claim(contract: Address, id: U256, proof: ProofPayload, circuit: Option<String>) -> Self {
        Self { contract, method: Some(MethodName::claim()), call_id: id, proof, circuit }
    }

    /// A `fulfil(id, proof, instances)` job (InferenceEscrow).
    pub fn fulfil(contract: Address, id: U256, proof: ProofPayload, circuit: Option<String>) -> Self {
        Self { contract, method: Some(MethodName::fulfil()), call_id: id, proof, circuit }
    }

    /// A job calling `contract`'s paying method, whichever kind it is.
    pub fn pay(contract: Address, id: U256, proof: ProofPayload, circuit: Option<String>) -> Self {
        Self { contract, method: None, call_id: id, proof, circuit }
    }

    /// Parses the JSON body of `POST /jobs` (see `docs/relayer.md`). Unknown fields are errors.
    pub fn from_json_bytes(body: &[u8]) -> Result<Self, RequestError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| RequestError::new("body", format!("not valid JSON: {e}")))?;
        Self::from_json(&v)
    }

    /// [`JobRequest::from_json_bytes`] on a parsed value.
    pub fn from_json(v: &Value) -> Result<Self, RequestError> {
        let obj: &Map<String, Value> = v
            .as_object()
            .ok_or_else(|| RequestError::new("body", "expected a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(RequestError::new(
                unknown.clone(),
                format!("unknown field (expected {})", FIELDS.join(", ")),
            ));
        }
        let contract_s = obj
            .get("contract")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::new("contract", "missing or not a string"))?;
        let contract = parse_address(contract_s)?;
        let method = match obj.get("method") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(MethodName::parse(s)?),
            Some(_) => return Err(RequestError::new("method", "not a string")),
        };
        let call_id = match obj.get("id") {
            None | Some(Value::Null) => return Err(RequestError::new("id", "missing: the bounty or request id")),
            Some(v) => parse_uint(v).map_err(|m| RequestError::new("id", m))?,
        };
        let proof = ProofPayload::from_json(
            obj.get("proof")
                .ok_or_else(|| RequestError::new("proof", "missing"))?,
        )?;
        let circuit = match obj.get("circuit") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => return Err(RequestError::new("circuit", "not a non-empty string")),
        };
        Ok(Self { contract, method, call_id, proof, circuit })
    }

    /// The JSON body for `POST /jobs`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("contract".into(), Value::String(self.contract.to_string()));
        if let Some(method) = &self.method {
            m.insert("method".into(), Value::String(method.to_string()));
        }
        m.insert("id".into(), Value::String(self.call_id.to_string()));
        m.insert("proof".into(), self.proof.to_json());
        if let Some(c) = &self.circuit {
            m.insert("circuit".into(), Value::String(c.clone()));
        }
        Value::Object(m)
    }
}

fn parse_address(s: &str) -> Result<Address, RequestError> {
    let bad = |m: String| RequestError::new("contract", m);
    let h = s.trim();
    if !(h.starts_with("0x") && h.len() == 42) {
        return Err(bad(format!("{h:?} is not a 0x-prefixed 20-byte address")));
    }
    let a = Address::from_str(h).map_err(|e| bad(format!("{h:?}: {e}")))?;
    if a == Address::ZERO {
        return Err(bad("the zero address is not a contract".into()));
    }
    Ok(a)
}

/// The job key (its id, and the idempotency key): `keccak256(chain_id as 32-byte big-endian ‖
/// contract (20 bytes) ‖ calldata)`.
pub fn job_key(chain_id: u64, contract: Address, calldata: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(52 + calldata.len());
    buf.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    buf.extend_from_slice(contract.as_slice());
    buf.extend_from_slice(calldata);
    keccak256(&buf)
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Recorded (its proof verified natively before it was accepted); waiting for simulation.
    Accepted,
    /// `eth_call` succeeded and the gas is estimated; waiting for a nonce.
    Simulated,
    /// Signed with a nonce and broadcast; waiting for enough confirmations. Fee bumps and
    /// rebroadcasts keep the same nonce.
    Sent,
    /// Mined successfully and buried under the configured number of confirmations. Final.
    Confirmed,
    /// Will not be sent again; `reason` says why (simulation reverted, or the transaction reverted
    /// on-chain). Final.
    Failed,
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 5] = [
        JobState::Accepted,
        JobState::Simulated,
        JobState::Sent,
        JobState::Confirmed,
        JobState::Failed,
    ];

    /// The lowercase name used in the API and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobState::Accepted => "accepted",
            JobState::Simulated => "simulated",
            JobState::Sent => "sent",
            JobState::Confirmed => "confirmed",
            JobState::Failed => "failed",
        }
    }

    /// Whether the job is done (confirmed or failed).
    pub const fn is_final(self) -> bool {
        matches!(self, JobState::Confirmed | JobState::Failed)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Self, RequestError> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                RequestError::new(
                    "state",
                    format!(
                        "{s:?} is not a job state ({})",
                        JobState::ALL.map(JobState::as_str).join(", ")
                    ),
                )
            })
    }
}

/// One signed transaction of a job. All attempts of a job share its nonce, so at most one lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The transaction hash.
    pub tx_hash: B256,
    /// The nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// `maxFeePerGas` (EIP-1559) or `gasPrice` (legacy), wei, decimal.
    pub max_fee_per_gas: String,
    /// `maxPriorityFeePerGas`, wei, decimal (`None` for a legacy transaction).
    pub max_priority_fee_per_gas: Option<String>,
    /// When it was signed and recorded (unix ms).
    pub created_at_ms: u64,
}

/// A job's record, as `GET /jobs/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The job key ([`job_key`]), `0x`-hex.
    pub id: B256,
    /// Acceptance order (1, 2, …); the cursor of `GET /jobs?after=`.
    pub seq: u64,
    /// Its state.
    pub state: JobState,
    /// Why it failed (for `failed`).
    pub reason: Option<String>,
    /// The contract called.
    pub contract: Address,
    /// The canonical method signature.
    pub method: String,
    /// The id argument, decimal (`None` for `verifyProof`-style methods).
    pub call_id: Option<String>,
    /// The circuit the proof was verified against.
    pub circuit: String,
    /// Calldata size in bytes.
    pub calldata_bytes: u64,
    /// Gas limit from the simulation (with the configured margin).
    pub gas_limit: Option<u64>,
    /// The nonce, once sent.
    pub nonce: Option<u64>,
    /// The mined transaction (confirmed or reverted on-chain), else the latest attempt.
    pub tx_hash: Option<B256>,
    /// Every signed attempt, oldest first (fee bumps add one each).
    pub attempts: Vec<Attempt>,
    /// Block of the mined transaction.
    pub block_number: Option<u64>,
    /// Hash of that block.
    pub block_hash: Option<B256>,
    /// Gas used by the mined transaction.
    pub gas_used: Option<u64>,
    /// Accepted at (unix ms).
    pub created_at_ms: u64,
    /// Last state change (unix ms).
    pub updated_at_ms: u64,
    /// Confirmed or failed at (unix ms).
    pub finished_at_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn proof() -> Value {
        json!({"proof": "0x0102", "instances": ["0x05", "7", 9]})
    }

    #[test]
    fn method_names_parse_to_canonical_signatures() {
        assert_eq!(MethodName::parse("claim").map(|m| m.signature().map(str::to_string)), Ok(None));
        let m = MethodName::parse(" claim(uint256 id, bytes proof, uint[] instances) ").expect("parses");
        assert_eq!((m.name(), m.signature()), ("claim", Some("claim(uint256,bytes,uint256[])")));
        assert_eq!(MethodName::parse("refund()").map(|m| m.to_string()), Ok("refund()".into()));
        for bad in ["", "1x(bytes,uint256[])", "f(bytes,uint256[]", "f(bytes,,uint256)", "a b", "f(bytes;)"] {
            let e = MethodName::parse(bad).expect_err(bad);
            assert_eq!(e.field, "method", "{bad}");
        }
    }

    #[test]
    fn requests_parse_and_errors_name_fields() {
        let ok = json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": "3", "proof": proof(), "circuit": "c"});
        let r = JobRequest::from_json(&ok).expect("valid");
        assert_eq!(r.call_id, U256::from(3));
        assert_eq!(r.proof.instances, vec![U256::from(5), U256::from(7), U256::from(9)]);
        assert_eq!(JobRequest::from_json(&r.to_json()), Ok(r.clone()));
        let cases = [
            (json!([1]), "body"),
            (json!({"contract": "0x12", "method": "claim", "id": 1, "proof": proof()}), "contract"),
            (json!({"contract": "0x0000000000000000000000000000000000000000", "method": "claim", "id": 1, "proof": proof()}), "contract"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "proof": proof()}), "id"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": 7, "id": 1, "proof": proof()}), "method"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "transfer(address;uint256)", "id": 1, "proof": proof()}), "method"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": -1, "proof": proof()}), "id"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": 1}), "proof"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": 1, "proof": {"proof": "0xzz", "instances": []}}), "proof.proof"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": 1, "proof": {"proof": "0x01", "instances": ["0x01", "x"]}}), "proof.instances[1]"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": 1, "proof": {"format": "other", "proof": "0x01", "instances": []}}), "proof.format"),
            (json!({"contract": "0x00000000000000000000000000000000000000aa", "method": "claim", "id": 1, "proof": proof(), "gas": 5}), "gas"),
        ];
        for (v, field) in cases {
            let e = JobRequest::from_json(&v).expect_err(&v.to_string());
            assert_eq!(e.field, field, "{v}: {e}");
        }
    }

    #[test]
    fn calldata_is_the_abi_encoding() {
        alloy::sol! { function claim(uint256 id, bytes proof, uint256[] instances); }
        use alloy::sol_types::SolCall;
        let abi = serde_json::json!([{"type": "function", "name": "claim", "stateMutability": "nonpayable", "outputs": [],
            "inputs": [{"name": "id", "type": "uint256"}, {"name": "proof", "type": "bytes"}, {"name": "instances", "type": "uint256[]"}]}]);
        let m = crate::allowlist::PayingMethod::from_abi(crate::allowlist::ContractKind::ModelBounty, &abi).expect("claim");
        let p = ProofPayload { proof: vec![1, 2, 3], instances: vec![U256::from(4)] };
        let expected = claimCall { id: U256::from(9), proof: vec![1u8, 2, 3].into(), instances: vec![U256::from(4)] }.abi_encode();
        assert_eq!(m.calldata(U256::from(9), &p), expected);
        let k1 = job_key(1, Address::repeat_byte(0xaa), &expected);
        assert_ne!(k1, job_key(2, Address::repeat_byte(0xaa), &expected), "the chain id is part of the key");
        assert_ne!(k1, job_key(1, Address::repeat_byte(0xbb), &expected));
    }

    #[test]
    fn payloads_from_field_elements() {
        use halo2_proofs::halo2curves::bn256::Fr;
        let p = ProofPayload::from_fields(&[9], &[Fr::from(5), -Fr::one()]);
        assert_eq!(p.instances[0], U256::from(5));
        let r_minus_1 = U256::from_str_radix("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000", 16).expect("hex");
        assert_eq!(p.instances[1], r_minus_1);
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>(), Ok(s));
        }
        assert_eq!("nope".parse::<JobState>().map_err(|e| e.field), Err("state".to_string()));
    }
}
