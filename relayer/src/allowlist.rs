//! What the relayer may call: an [`Allowlist`] of [`AllowedContract`]s, each a contract kind, an
//! address and its paying methods (selectors derived from the contract's compiled ABI).
//!
//! A job names a contract and optionally a method; the relayer calls it only if the address is
//! on the allowlist, and then only with that contract's paying method — `ModelBounty.claim` or
//! `InferenceEscrow.fulfil`, whose selector comes from the ABI, never from the name a caller
//! sends. The ABIs come from `zkinfer deploy`'s deployment file (the compiled ABI entries of the
//! deployed contracts) or from compiling the contract sources built into this crate
//! ([`ContractAbis::compile`]), so a change of the contracts' ABIs flows through: a paying method
//! whose parameters are no longer `(uint256 id, bytes proof, uint256[] instances)` is refused when
//! the allowlist is built, not sent with a wrong encoding.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use alloy::json_abi::{Function, JsonAbi};
use alloy::primitives::{Address, U256};
use alloy::sol_types::SolValue;
use serde_json::Value;

use crate::job::{MethodName, ProofPayload, RequestError};
use crate::solc::SolcError;

/// The parameter types of a method the relayer can build calls for.
pub const PAYING_PARAMS: [&str; 3] = ["uint256", "bytes", "uint256[]"];

/// The contract sources, embedded so the binary needs no checkout (`solc` only, when no
/// deployment file with ABIs is given).
pub const SOURCES: [(&str, &str); 6] = [
    ("VerifierRegistry.sol", include_str!("../../contracts/VerifierRegistry.sol")),
    ("InferenceEscrow.sol", include_str!("../../contracts/InferenceEscrow.sol")),
    ("ModelBounty.sol", include_str!("../../contracts/ModelBounty.sol")),
    ("ProofPaymentBase.sol", include_str!("../../contracts/ProofPaymentBase.sol")),
    ("IERC20.sol", include_str!("../../contracts/IERC20.sol")),
    ("IHalo2Verifier.sol", include_str!("../../contracts/IHalo2Verifier.sol")),
];

/// [`SOURCES`] as owned `(file, content)` pairs, as [`crate::solc::compile`] takes them.
pub fn sources() -> Vec<(String, String)> {
    SOURCES.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect()
}

/// Building the allowlist failed.
#[derive(Debug, thiserror::Error)]
pub enum AllowlistError {
    /// A contract kind that is not one of [`ContractKind::ALL`].
    #[error("unknown contract kind {0:?}: use model_bounty or inference_escrow")]
    UnknownKind(String),
    /// An address that does not parse.
    #[error("{what}: {value:?} is not a 0x-prefixed 20-byte address")]
    BadAddress {
        /// Where it was given.
        what: String,
        /// The value.
        value: String,
    },
    /// `NAME=ADDRESS` without the `=`.
    #[error("contract {0:?}: expected KIND=ADDRESS, e.g. model_bounty=0x5FbDB2315678afecb367f032d93F642f64180aa3")]
    BadSpec(String),
    /// The ABI is not a solc JSON ABI.
    #[error("{kind} ABI: {reason}")]
    BadAbi {
        /// The contract kind.
        kind: ContractKind,
        /// Why.
        reason: String,
    },
    /// The ABI has no paying method the relayer can build (absent, or other parameters).
    #[error("{kind} ABI has no {}({}) (found: {}); the relayer builds only (uint256 id, bytes proof, uint256[] instances) calls", .kind.paying_function(), PAYING_PARAMS.join(","), if found.is_empty() { "no such function".to_string() } else { found.join(", ") })]
    NoPayingMethod {
        /// The contract kind.
        kind: ContractKind,
        /// Functions of that name the ABI has.
        found: Vec<String>,
    },
    /// The same address given twice.
    #[error("contract {0} is given twice")]
    Duplicate(Address),
    /// The zero address.
    #[error("{0}: the zero address is not a contract")]
    ZeroAddress(ContractKind),
    /// A deployment file that cannot be read or parsed.
    #[error("deployment file {}: {reason}", path.display())]
    Deployment {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Compiling the contract sources for their ABIs failed.
    #[error("compiling the contracts for their ABIs (or pass a deployment file written by `zkinfer deploy`, which records them): {0}")]
    Compile(#[from] SolcError),
}

/// The contracts the relayer calls, by what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractKind {
    /// `ModelBounty`: pays `claim(id, proof, instances)`'s sender.
    ModelBounty,
    /// `InferenceEscrow`: pays `fulfil(id, proof, instances)`'s sender.
    InferenceEscrow,
}

impl ContractKind {
    /// Every kind.
    pub const ALL: [ContractKind; 2] = [ContractKind::ModelBounty, ContractKind::InferenceEscrow];

    /// The Solidity contract name, e.g. `ModelBounty`.
    pub const fn contract_name(self) -> &'static str {
        match self {
            ContractKind::ModelBounty => "ModelBounty",
            ContractKind::InferenceEscrow => "InferenceEscrow",
        }
    }

    /// The key in `zkinfer deploy`'s output and in `--contract KIND=ADDRESS`, e.g. `model_bounty`.
    pub const fn key(self) -> &'static str {
        match self {
            ContractKind::ModelBounty => "model_bounty",
            ContractKind::InferenceEscrow => "inference_escrow",
        }
    }

    /// The name of the paying function the relayer calls.
    pub const fn paying_function(self) -> &'static str {
        match self {
            ContractKind::ModelBounty => "claim",
            ContractKind::InferenceEscrow => "fulfil",
        }
    }
}

impl fmt::Display for ContractKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.contract_name())
    }
}

impl FromStr for ContractKind {
    type Err = AllowlistError;
    fn from_str(s: &str) -> Result<Self, AllowlistError> {
        let t = s.trim();
        ContractKind::ALL
            .into_iter()
            .find(|k| t == k.key() || t == k.contract_name())
            .ok_or_else(|| AllowlistError::UnknownKind(t.to_string()))
    }
}

/// A paying method as the compiled ABI declares it: `(uint256 id, bytes proof, uint256[]
/// instances)` parameters, its canonical signature and selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayingMethod {
    name: String,
    signature: String,
    selector: [u8; 4],
}

impl PayingMethod {
    /// The paying method of `kind` in a solc JSON ABI (the whole ABI or just its entry).
    pub fn from_abi(kind: ContractKind, abi: &Value) -> Result<Self, AllowlistError> {
        let abi: JsonAbi = serde_json::from_value(abi.clone())
            .map_err(|e| AllowlistError::BadAbi { kind, reason: e.to_string() })?;
        let candidates: Vec<&Function> = abi.function(kind.paying_function()).map(|v| v.iter().collect()).unwrap_or_default();
        let buildable = |f: &&&Function| f.inputs.iter().map(|p| p.selector_type()).eq(PAYING_PARAMS.iter().map(|t| std::borrow::Cow::Borrowed(*t)));
        match candidates.iter().find(buildable) {
            Some(f) => Ok(Self { name: f.name.clone(), signature: f.signature(), selector: f.selector().0 }),
            None => Err(AllowlistError::NoPayingMethod { kind, found: candidates.iter().map(|f| f.signature()).collect() }),
        }
    }

    /// The function name, e.g. `claim`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The canonical signature, e.g. `claim(uint256,bytes,uint256[])`.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The 4-byte selector (from the ABI).
    pub fn selector(&self) -> [u8; 4] {
        self.selector
    }

    /// The calldata: selector, then the ABI-encoded `(id, proof, instances)`.
    pub fn calldata(&self, id: U256, proof: &ProofPayload) -> Vec<u8> {
        let bytes = alloy::primitives::Bytes::copy_from_slice(&proof.proof);
        let mut out = self.selector.to_vec();
        out.extend_from_slice(&(id, bytes, proof.instances.clone()).abi_encode_params());
        out
    }

    fn matches(&self, m: &MethodName) -> bool {
        m.name() == self.name && m.signature().is_none_or(|s| s == self.signature)
    }
}

impl fmt::Display for PayingMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.signature)
    }
}

/// One contract the relayer calls: its kind, address and paying methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedContract {
    kind: ContractKind,
    address: Address,
    methods: Vec<PayingMethod>,
    expected_registry: Option<Address>,
    expected_chain_id: Option<u64>,
}

impl AllowedContract {
    /// `kind` at `address`, called with the paying method of its compiled ABI `abi`.
    pub fn new(kind: ContractKind, address: Address, abi: &Value) -> Result<Self, AllowlistError> {
        if address == Address::ZERO {
            return Err(AllowlistError::ZeroAddress(kind));
        }
        Ok(Self { kind, address, methods: vec![PayingMethod::from_abi(kind, abi)?], expected_registry: None, expected_chain_id: None })
    }

    /// Also require, at start, that the contract's `registry()` is `registry` (a deployment
    /// file names both).
    pub fn expecting_registry(mut self, registry: Address) -> Self {
        self.expected_registry = Some(registry);
        self
    }

    /// Also require, at start, that the node is on chain `chain_id`.
    pub fn expecting_chain(mut self, chain_id: u64) -> Self {
        self.expected_chain_id = Some(chain_id);
        self
    }

    /// What it is.
    pub fn kind(&self) -> ContractKind {
        self.kind
    }

    /// Where.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The methods the relayer calls on it.
    pub fn methods(&self) -> &[PayingMethod] {
        &self.methods
    }

    /// The registry a deployment file says it uses.
    pub fn expected_registry(&self) -> Option<Address> {
        self.expected_registry
    }

    /// The chain a deployment file says it is on.
    pub fn expected_chain_id(&self) -> Option<u64> {
        self.expected_chain_id
    }

    /// Whether calldata starting with `selector` calls one of its paying methods.
    pub fn permits(&self, selector: &[u8]) -> bool {
        self.methods.iter().any(|m| m.selector[..] == *selector)
    }
}

impl fmt::Display for AllowedContract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.address)
    }
}

/// The contracts the relayer calls. Empty: it calls nothing (and refuses to start).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<AllowedContract>,
}

impl Allowlist {
    /// An empty allowlist.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a contract; an address given twice is an error.
    pub fn add(&mut self, c: AllowedContract) -> Result<(), AllowlistError> {
        if self.get(c.address).is_some() {
            return Err(AllowlistError::Duplicate(c.address));
        }
        self.entries.push(c);
        Ok(())
    }

    /// [`Allowlist::add`], by value.
    pub fn with(mut self, c: AllowedContract) -> Result<Self, AllowlistError> {
        self.add(c)?;
        Ok(self)
    }

    /// The entry for `address`.
    pub fn get(&self, address: Address) -> Option<&AllowedContract> {
        self.entries.iter().find(|c| c.address == address)
    }

    /// Every entry.
    pub fn iter(&self) -> impl Iterator<Item = &AllowedContract> {
        self.entries.iter()
    }

    /// Whether it lists nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a call of `calldata` to `to` is one the relayer makes.
    pub fn permits(&self, to: Address, calldata: &[u8]) -> bool {
        calldata.len() >= 4 && self.get(to).is_some_and(|c| c.permits(&calldata[..4]))
    }

    /// The contract and paying method a job to `contract` naming `method` (or none) calls; a
    /// refusal names the field (`contract` or `method`).
    pub fn resolve(&self, contract: Address, method: Option<&MethodName>) -> Result<(&AllowedContract, &PayingMethod), RequestError> {
        let Some(c) = self.get(contract) else {
            let known: Vec<String> = self.entries.iter().map(|c| c.to_string()).collect();
            return Err(RequestError::new(
                "contract",
                format!("{contract} is not a contract this relayer calls (it calls only {})", known.join(", ")),
            ));
        };
        let found = match method {
            None => c.methods.first(),
            Some(m) => c.methods.iter().find(|p| p.matches(m)),
        };
        found.map(|m| (c, m)).ok_or_else(|| {
            let allowed: Vec<&str> = c.methods.iter().map(|m| m.signature()).collect();
            let asked = method.map(|m| m.to_string()).unwrap_or_default();
            RequestError::new("method", format!("{asked:?} is not relayed: {c} is called only with {}", allowed.join(", ")))
        })
    }
}

/// The compiled ABIs of the paying contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractAbis {
    abis: BTreeMap<ContractKind, Value>,
}

impl ContractAbis {
    /// Compiles the built-in contract sources ([`SOURCES`]) with the located `solc`, ABIs only.
    pub fn compile() -> Result<Self, AllowlistError> {
        let names: Vec<&str> = ContractKind::ALL.iter().map(|k| k.contract_name()).collect();
        let abis = crate::solc::compile_abis(&sources(), &names)?;
        Ok(Self { abis: ContractKind::ALL.into_iter().zip(abis).collect() })
    }

    /// From ABIs at hand (e.g. the [`crate::CompiledContract::abi`] of a deployment).
    pub fn from_abis(abis: impl IntoIterator<Item = (ContractKind, Value)>) -> Self {
        Self { abis: abis.into_iter().collect() }
    }

    /// The ABI of `kind`.
    pub fn get(&self, kind: ContractKind) -> Option<&Value> {
        self.abis.get(&kind)
    }

    /// The entry of `kind`'s paying method (what a deployment file records).
    pub fn paying_entry(&self, kind: ContractKind) -> Option<Value> {
        let abi = self.abis.get(&kind)?.as_array()?;
        let entries: Vec<Value> = abi.iter().filter(|e| e["type"] == "function" && e["name"] == kind.paying_function()).cloned().collect();
        Some(Value::Array(entries))
    }

    /// `kind` at `address` with the paying method of its ABI here.
    pub fn contract(&self, kind: ContractKind, address: Address) -> Result<AllowedContract, AllowlistError> {
        let abi = self.get(kind).ok_or_else(|| AllowlistError::BadAbi { kind, reason: "not given".into() })?;
        AllowedContract::new(kind, address, abi)
    }
}

/// Parses a `0x` address.
pub fn parse_address(what: &str, s: &str) -> Result<Address, AllowlistError> {
    let t = s.trim();
    let bad = || AllowlistError::BadAddress { what: what.to_string(), value: t.to_string() };
    if !(t.starts_with("0x") && t.len() == 42) {
        return Err(bad());
    }
    Address::from_str(t).map_err(|_| bad())
}

/// `KIND=ADDRESS` (`--contract`), e.g. `model_bounty=0x5FbD…`.
pub fn parse_contract_spec(spec: &str) -> Result<(ContractKind, Address), AllowlistError> {
    let (kind, addr) = spec.split_once('=').ok_or_else(|| AllowlistError::BadSpec(spec.to_string()))?;
    let kind: ContractKind = kind.parse()?;
    Ok((kind, parse_address(kind.key(), addr)?))
}

/// What a deployment file (`zkinfer deploy`'s output) says about the paying contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentFile {
    /// The chain it was deployed on (absent in files of older versions).
    pub chain_id: Option<u64>,
    /// The VerifierRegistry the contracts use.
    pub registry: Option<Address>,
    /// The paying contracts it names.
    pub contracts: Vec<(ContractKind, Address)>,
    /// Their paying methods' compiled ABI entries (`abi.model_bounty`, …), where recorded.
    pub abis: ContractAbis,
}

impl DeploymentFile {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Self, AllowlistError> {
        let err = |reason: String| AllowlistError::Deployment { path: path.to_path_buf(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Self::parse(&text).map_err(|e| match e {
            AllowlistError::Deployment { reason, .. } => err(reason),
            other => err(other.to_string()),
        })
    }

    /// Parses the JSON `zkinfer deploy` prints: `model_bounty`, `inference_escrow`, `registry`,
    /// `chain_id` and `abi.{model_bounty,inference_escrow}` (other keys are ignored).
    pub fn parse(text: &str) -> Result<Self, AllowlistError> {
        let err = |reason: String| AllowlistError::Deployment { path: PathBuf::new(), reason };
        let v: Value = serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
        let obj = v.as_object().ok_or_else(|| err("expected a JSON object".into()))?;
        let addr = |key: &str| -> Result<Option<Address>, AllowlistError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => parse_address(key, s).map(Some),
                Some(other) => Err(err(format!("{key}: {other} is not an address string"))),
            }
        };
        let contracts: Vec<(ContractKind, Address)> =
            ContractKind::ALL.into_iter().filter_map(|k| addr(k.key()).transpose().map(|a| a.map(|a| (k, a)))).collect::<Result<_, _>>()?;
        if contracts.is_empty() {
            return Err(err("names neither model_bounty nor inference_escrow".into()));
        }
        let chain_id = match obj.get("chain_id") {
            None | Some(Value::Null) => None,
            Some(c) => Some(c.as_u64().ok_or_else(|| err(format!("chain_id: {c} is not a number")))?),
        };
        let abis = ContractKind::ALL.into_iter().filter_map(|k| v["abi"].get(k.key()).map(|a| (k, a.clone())));
        Ok(Self { chain_id, registry: addr("registry")?, contracts, abis: ContractAbis::from_abis(abis) })
    }

    /// Its contracts as allowlist entries, with the recorded ABIs or else `fallback`'s
    /// (expecting its registry and chain, when recorded).
    pub fn allowed(&self, fallback: Option<&ContractAbis>) -> Result<Vec<AllowedContract>, AllowlistError> {
        self.contracts
            .iter()
            .map(|&(kind, address)| {
                let abi = self.abis.get(kind).or_else(|| fallback.and_then(|f| f.get(kind))).ok_or_else(|| AllowlistError::BadAbi {
                    kind,
                    reason: format!("the deployment file records no abi.{} and no compiled ABI was given", kind.key()),
                })?;
                let mut c = AllowedContract::new(kind, address, abi)?;
                if let Some(r) = self.registry {
                    c = c.expecting_registry(r);
                }
                if let Some(id) = self.chain_id {
                    c = c.expecting_chain(id);
                }
                Ok(c)
            })
            .collect()
    }

    /// Whether every contract's ABI is recorded (no compilation needed).
    pub fn has_abis(&self) -> bool {
        self.contracts.iter().all(|(k, _)| self.abis.get(*k).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claim_abi(params: &[&str]) -> Value {
        let inputs: Vec<Value> = params.iter().map(|t| json!({"name": "", "type": t, "internalType": t})).collect();
        json!([{"type": "function", "name": "claim", "inputs": inputs, "outputs": [], "stateMutability": "nonpayable"},
               {"type": "function", "name": "refund", "inputs": [{"name": "id", "type": "uint256"}], "outputs": [], "stateMutability": "nonpayable"}])
    }

    #[test]
    fn the_selector_comes_from_the_abi() {
        let m = PayingMethod::from_abi(ContractKind::ModelBounty, &claim_abi(&PAYING_PARAMS)).expect("claim");
        assert_eq!(m.signature(), "claim(uint256,bytes,uint256[])");
        assert_eq!(m.selector()[..], alloy::primitives::keccak256("claim(uint256,bytes,uint256[])")[..4]);
        let e = PayingMethod::from_abi(ContractKind::ModelBounty, &claim_abi(&["uint256", "bytes", "uint256[]", "address"])).expect_err("4 params");
        assert!(e.to_string().contains("found: claim(uint256,bytes,uint256[],address)"), "{e}");
        let e = PayingMethod::from_abi(ContractKind::InferenceEscrow, &claim_abi(&PAYING_PARAMS)).expect_err("no fulfil");
        assert!(e.to_string().contains("InferenceEscrow ABI has no fulfil("), "{e}");
    }

    #[test]
    fn resolve_refuses_other_contracts_and_methods() {
        let a = Address::repeat_byte(0xaa);
        let list = Allowlist::new().with(AllowedContract::new(ContractKind::ModelBounty, a, &claim_abi(&PAYING_PARAMS)).expect("ok")).expect("ok");
        let name = |s: &str| MethodName::parse(s).expect("parses");
        assert_eq!(list.resolve(a, None).map(|(_, m)| m.name().to_string()), Ok("claim".into()));
        assert!(list.resolve(a, Some(&name("claim(uint256,bytes,uint256[])"))).is_ok());
        assert_eq!(list.resolve(Address::repeat_byte(0xbb), None).map(|_| ()).map_err(|e| e.field), Err("contract".into()));
        for bad in ["refund", "fulfil", "claim(uint256,bytes)", "submit(uint256,bytes,uint256[])"] {
            assert_eq!(list.resolve(a, Some(&name(bad))).map(|_| ()).map_err(|e| e.field), Err("method".into()), "{bad}");
        }
        let claim = PayingMethod::from_abi(ContractKind::ModelBounty, &claim_abi(&PAYING_PARAMS)).expect("claim");
        let data = claim.calldata(U256::from(1), &ProofPayload { proof: vec![1], instances: vec![] });
        assert!(list.permits(a, &data));
        assert!(!list.permits(Address::repeat_byte(0xbb), &data));
        assert!(!list.permits(a, &[0xde, 0xad, 0xbe, 0xef]));
        assert!(list.clone().with(AllowedContract::new(ContractKind::ModelBounty, a, &claim_abi(&PAYING_PARAMS)).expect("ok")).is_err());
    }

    #[test]
    fn deployment_files_and_specs_parse() {
        let text = json!({"registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "model_bounty": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
                          "chain_id": 31337, "verifier": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
                          "abi": {"model_bounty": claim_abi(&PAYING_PARAMS)}}).to_string();
        let d = DeploymentFile::parse(&text).expect("parses");
        assert_eq!((d.chain_id, d.contracts.len(), d.has_abis()), (Some(31337), 1, true));
        let allowed = d.allowed(None).expect("entries");
        assert_eq!(allowed[0].expected_registry(), d.registry);
        assert!(DeploymentFile::parse("{\"verifier\": \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"}").is_err());
        assert!(DeploymentFile::parse("{\"model_bounty\": \"0x12\"}").is_err());
        assert_eq!(parse_contract_spec("model_bounty=0x5FbDB2315678afecb367f032d93F642f64180aa3").map(|s| s.0).ok(), Some(ContractKind::ModelBounty));
        assert_eq!(parse_contract_spec("InferenceEscrow=0x5FbDB2315678afecb367f032d93F642f64180aa3").map(|s| s.0).ok(), Some(ContractKind::InferenceEscrow));
        for bad in ["model_bounty", "verifier=0x5FbDB2315678afecb367f032d93F642f64180aa3", "model_bounty=0x12"] {
            assert!(parse_contract_spec(bad).is_err(), "{bad}");
        }
    }
}
