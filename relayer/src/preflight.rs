//! Checks of the configured contracts against the chain, made before the relayer serves (and
//! again whenever the node comes back, before sending resumes):
//!
//! - the node is on the chain a deployment file names;
//! - every contract has code (a call to an account without code succeeds and burns gas: the
//!   drain of issue 14);
//! - its `registry()` answers (so it is a ModelBounty / InferenceEscrow), is the registry a
//!   deployment file names, and has code;
//! - the signer is neither the registry's `owner()` nor its `pendingOwner()`: the relayer signs
//!   what its API accepts, and the key that curates the verifiers must not be one an API caller
//!   can make sign. Refused unless [`crate::RelayerConfig::allow_owner_key`].

use alloy::primitives::Address;
use alloy::sol;
use alloy::sol_types::SolCall;

use crate::allowlist::{AllowedContract, Allowlist, ContractKind};
use crate::rpc::{Rpc, RpcFailure, ViewCall};

sol! {
    function registry() external view returns (address);
    function owner() external view returns (address);
    function pendingOwner() external view returns (address);
}

/// A configured contract that the relayer refuses to work with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ContractCheckError {
    /// The node failed while the contracts were checked.
    #[error("checking the configured contracts: {0}")]
    Rpc(RpcFailure),
    /// A deployment file for another chain.
    #[error("{kind} {address} was deployed on chain {expected} (deployment file), but the node is on chain {actual}")]
    WrongChain {
        /// The contract's kind.
        kind: ContractKind,
        /// Its address.
        address: Address,
        /// The deployment file's chain.
        expected: u64,
        /// The node's.
        actual: u64,
    },
    /// No code at the address.
    #[error("{kind} {address} has no code on chain {chain_id}: it is not a contract (a call to it would succeed and only burn the relayer's gas); check the address and the RPC URL")]
    NoCode {
        /// The configured kind.
        kind: ContractKind,
        /// The address.
        address: Address,
        /// The chain.
        chain_id: u64,
    },
    /// `registry()` reverted or did not return an address.
    #[error("{kind} {address} does not answer registry() ({reason}): is it a {kind}?")]
    NoRegistry {
        /// The configured kind.
        kind: ContractKind,
        /// The address.
        address: Address,
        /// What happened.
        reason: String,
    },
    /// `registry()` is not the deployment file's.
    #[error("{kind} {address} uses the registry {actual}, but the deployment file names {expected}")]
    RegistryMismatch {
        /// The configured kind.
        kind: ContractKind,
        /// The address.
        address: Address,
        /// The deployment file's registry.
        expected: Address,
        /// The contract's.
        actual: Address,
    },
    /// The registry's `owner()` could not be read.
    #[error("the registry {registry} of {kind} {address} does not answer owner() ({reason})")]
    NoOwner {
        /// The configured kind.
        kind: ContractKind,
        /// The address.
        address: Address,
        /// Its registry.
        registry: Address,
        /// What happened.
        reason: String,
    },
    /// The signer governs the registry.
    #[error("refusing to start: the relayer's signer {signer} is the {role} of the VerifierRegistry {registry} that {kind} {address} trusts. The relayer signs whatever its API accepts, so the key that registers verifiers must not be its key: run the relayer with another key (proofs are bound to the relayer's address), or pass --allow-owner-key to accept the risk")]
    OwnerKey {
        /// The signer.
        signer: Address,
        /// `owner` or `pending owner`.
        role: &'static str,
        /// The registry.
        registry: Address,
        /// The configured kind.
        kind: ContractKind,
        /// The address.
        address: Address,
    },
}

impl ContractCheckError {
    /// Whether it is the node's failure (retry), not the contract's.
    pub fn is_rpc(&self) -> bool {
        matches!(self, ContractCheckError::Rpc(_))
    }
}

/// What the check found about one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedContract {
    /// The contract's kind.
    pub kind: ContractKind,
    /// Its address.
    pub address: Address,
    /// Its registry.
    pub registry: Address,
    /// The registry's owner (zero: renounced).
    pub owner: Address,
    /// Whether the signer owns (or may accept ownership of) the registry, allowed by
    /// `allow_owner_key`.
    pub signer_governs_registry: bool,
}

async fn address_of(rpc: &Rpc, to: Address, data: Vec<u8>) -> Result<Result<Address, String>, ContractCheckError> {
    match rpc.view(to, &data).await.map_err(ContractCheckError::Rpc)? {
        ViewCall::Returned(out) if out.len() == 32 && out[..12].iter().all(|b| *b == 0) => Ok(Ok(Address::from_slice(&out[12..]))),
        ViewCall::Returned(out) => Ok(Err(format!("it returned {} bytes, not an address", out.len()))),
        ViewCall::Reverted(d) => Ok(Err(format!("it reverted{}", crate::chain::decode_revert(&d).map(|r| format!(": {r}")).unwrap_or_default()))),
    }
}

async fn has_code(rpc: &Rpc, a: Address) -> Result<bool, ContractCheckError> {
    Ok(!rpc.code(a).await.map_err(ContractCheckError::Rpc)?.is_empty())
}

/// Checks one contract.
async fn check_one(rpc: &Rpc, c: &AllowedContract, chain_id: u64, allow_owner_key: bool) -> Result<CheckedContract, ContractCheckError> {
    let (kind, address) = (c.kind(), c.address());
    if let Some(expected) = c.expected_chain_id().filter(|e| *e != chain_id) {
        return Err(ContractCheckError::WrongChain { kind, address, expected, actual: chain_id });
    }
    if !has_code(rpc, address).await? {
        return Err(ContractCheckError::NoCode { kind, address, chain_id });
    }
    let registry = address_of(rpc, address, registryCall {}.abi_encode())
        .await?
        .map_err(|reason| ContractCheckError::NoRegistry { kind, address, reason })?;
    if let Some(expected) = c.expected_registry().filter(|e| *e != registry) {
        return Err(ContractCheckError::RegistryMismatch { kind, address, expected, actual: registry });
    }
    let no_owner = |reason: String| ContractCheckError::NoOwner { kind, address, registry, reason };
    if !has_code(rpc, registry).await? {
        return Err(no_owner("it has no code".into()));
    }
    let owner = address_of(rpc, registry, ownerCall {}.abi_encode()).await?.map_err(no_owner)?;
    // A registry without pendingOwner() (not zkinfer's) has no pending owner to check.
    let pending = address_of(rpc, registry, pendingOwnerCall {}.abi_encode()).await?.ok();
    let signer = rpc.signer();
    let role = if owner == signer {
        Some("owner")
    } else if pending == Some(signer) {
        Some("pending owner")
    } else {
        None
    };
    if let (Some(role), false) = (role, allow_owner_key) {
        return Err(ContractCheckError::OwnerKey { signer, role, registry, kind, address });
    }
    Ok(CheckedContract { kind, address, registry, owner, signer_governs_registry: role.is_some() })
}

/// Checks every contract of `contracts` on the node (on chain `chain_id`).
pub(crate) async fn check(rpc: &Rpc, contracts: &Allowlist, chain_id: u64, allow_owner_key: bool) -> Result<Vec<CheckedContract>, ContractCheckError> {
    let mut out = Vec::new();
    for c in contracts.iter() {
        out.push(check_one(rpc, c, chain_id, allow_owner_key).await?);
    }
    Ok(out)
}
