//! `deployment.json`: what `zkinfer deploy` put on a chain (the contract set, the verifier and
//! its circuit id, the SRS rule), written into the artifacts directory and printed. `zkinfer
//! prove --deployment FILE` reads the chain id and the paying contract's address from it to bind
//! a proof.

use alloy::primitives::Address;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format name of `deployment.json`.
pub const FORMAT: &str = "zkinfer-deployment";
/// Its version.
pub const VERSION: u32 = 1;

/// One deployment (docs/artifacts.md, `deployment.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub format: String,
    pub version: u32,
    /// The chain's EIP-155 id.
    pub chain_id: u64,
    #[serde(with = "checksummed")]
    pub registry: Address,
    #[serde(with = "checksummed")]
    pub inference_escrow: Address,
    #[serde(with = "checksummed")]
    pub model_bounty: Address,
    #[serde(with = "checksummed")]
    pub verifier: Address,
    /// The verifier's circuit id in the registry (its `VK_DIGEST`), `0x`-hex.
    pub circuit_id: String,
    /// Whether the registry accepts development-SRS verifiers (its immutable `acceptsDevSrs`).
    pub registry_accepts_dev_srs: bool,
    /// The verifier's `SRS_DIGEST`, `0x`-hex.
    pub srs_digest: String,
    /// The verifier's `DEV_SRS`.
    pub dev_srs: bool,
    pub contracts_deploy_gas: u64,
    pub verifier_deploy_gas: u64,
    pub model_commitment: String,
    #[serde(with = "checksummed")]
    pub registry_owner: Address,
    /// The compiled ABI entries of the paying methods (a relayer derives their selectors from
    /// them: `zkinfer relayer --deployment`).
    #[serde(default)]
    pub abi: PayingAbis,
}

/// The ABI entries of `ModelBounty.claim` and `InferenceEscrow.fulfil`, as compiled.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PayingAbis {
    /// `ModelBounty.claim`.
    pub model_bounty: serde_json::Value,
    /// `InferenceEscrow.fulfil`.
    pub inference_escrow: serde_json::Value,
}

/// Addresses written EIP-55 checksummed (as the CLI prints them), read in any case.
mod checksummed {
    use alloy::primitives::Address;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&a.to_checksum(None))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        Address::deserialize(d)
    }
}

impl Deployment {
    /// Reads a deployment file, checking its format and version.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let d: Self = serde_json::from_str(&text).with_context(|| format!("{}: not a zkinfer deployment file", path.display()))?;
        if d.format != FORMAT || d.version != VERSION {
            bail!("{}: format {:?} version {}, expected {FORMAT:?} version {VERSION}", path.display(), d.format, d.version);
        }
        Ok(d)
    }

    /// Writes it as JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)? + "\n").with_context(|| format!("writing {}", path.display()))
    }
}
