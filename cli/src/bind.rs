//! `zkinfer prove --bind-to 0xCLAIMANT:ID --chain-id N --contract ADDR` (or `--deployment FILE`
//! for the chain id and the contract): the binding a proof carries in instance 1
//! ([`zkinfer_prover::Binding`]).

use crate::deployment::Deployment;
use anyhow::{bail, Result};
use std::path::Path;
use std::str::FromStr;
use zkinfer_prover::binding::parse_address;
use zkinfer_prover::{Binding, Claimant, PaymentContract};

/// The paying contract of a deployment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// `InferenceEscrow` (`inference_escrow`): pays inference proofs.
    Escrow,
    /// `ModelBounty` (`model_bounty`): pays accuracy-circuit proofs.
    Bounty,
}

impl Payer {
    /// The contract that pays proofs of this circuit: the bounty for an accuracy circuit.
    pub fn for_circuit(accuracy: bool) -> Self {
        if accuracy {
            Payer::Bounty
        } else {
            Payer::Escrow
        }
    }

    fn address_in(self, d: &Deployment) -> [u8; 20] {
        match self {
            Payer::Escrow => d.inference_escrow.into_array(),
            Payer::Bounty => d.model_bounty.into_array(),
        }
    }
}

/// `--contract`: an address, or `escrow`/`bounty` of the `--deployment` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractArg {
    /// `0x…` (20 bytes).
    Address([u8; 20]),
    /// `escrow` or `bounty`.
    Named(Payer),
}

impl FromStr for ContractArg {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "escrow" => Ok(ContractArg::Named(Payer::Escrow)),
            "bounty" => Ok(ContractArg::Named(Payer::Bounty)),
            _ => parse_address(s).map(ContractArg::Address).map_err(|why| format!("{why} (expected 0xADDRESS, or escrow or bounty with --deployment)")),
        }
    }
}

/// What `prove` was told about the binding.
#[derive(Debug, Clone, Copy)]
pub struct BindArgs<'a> {
    pub bind_to: Option<Claimant>,
    pub chain_id: Option<u64>,
    pub contract: Option<ContractArg>,
    pub deployment: Option<&'a Path>,
    /// Whether the circuit is an accuracy circuit (its proofs are paid by the bounty).
    pub accuracy: bool,
}

impl BindArgs<'_> {
    /// The binding, or `None` (unbound) without `--bind-to`. Every missing or contradicting part
    /// is an error naming its flag.
    pub fn resolve(&self) -> Result<Option<Binding>> {
        let Some(claimant) = self.bind_to else {
            if self.chain_id.is_some() || self.contract.is_some() || self.deployment.is_some() {
                bail!("--chain-id, --contract and --deployment say where a bound proof is paid: they need --bind-to 0xCLAIMANT:ID");
            }
            return Ok(None);
        };
        let deployment = self.deployment.map(Deployment::load).transpose()?;
        let from_file = |what: &str| match &deployment {
            Some(d) => Ok(d),
            None => Err(anyhow::anyhow!("--contract {what}: names a contract of a deployment file; add --deployment DIR/deployment.json (written by zkinfer deploy) or give the address")),
        };
        let address = match self.contract {
            Some(ContractArg::Address(a)) => a,
            Some(ContractArg::Named(p)) => p.address_in(from_file(if p == Payer::Escrow { "escrow" } else { "bounty" })?),
            None => match &deployment {
                Some(d) => Payer::for_circuit(self.accuracy).address_in(d),
                None => bail!("--bind-to needs the contract that will pay the proof: --contract 0xADDRESS (with --chain-id N), or --deployment FILE"),
            },
        };
        let chain_id = match (self.chain_id, &deployment) {
            (Some(c), Some(d)) if c != d.chain_id => {
                bail!("--chain-id {c} contradicts --deployment {}, deployed on chain {}", self.deployment.map_or(String::new(), |p| p.display().to_string()), d.chain_id)
            }
            (Some(c), _) => c,
            (None, Some(d)) => d.chain_id,
            (None, None) => bail!("--bind-to needs the chain the proof is paid on: --chain-id N (e.g. 1 for Ethereum mainnet, 31337 for anvil), or --deployment FILE"),
        };
        Ok(Some(Binding { claimant, contract: PaymentContract { chain_id, address } }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMANT: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8:3";

    fn args(contract: Option<&str>, chain_id: Option<u64>) -> BindArgs<'static> {
        BindArgs { bind_to: CLAIMANT.parse().ok(), chain_id, contract: contract.map(|c| c.parse().unwrap_or_else(|e| panic!("{e}"))), deployment: None, accuracy: false }
    }

    #[test]
    fn explicit_chain_and_contract_make_the_binding() {
        let b = args(Some("0x00000000000000000000000000000000000E5C00"), Some(5)).resolve().ok().flatten();
        let b = b.unwrap_or_else(|| panic!("no binding"));
        assert_eq!(b.contract.chain_id, 5);
        assert_eq!(b.contract.address[19], 0x00);
        assert_eq!(b.contract.address[18], 0x5c);
        assert_eq!(b.claimant.id, 3);
    }

    #[test]
    fn a_deployment_file_gives_the_chain_and_the_paying_contract() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("deployment.json");
        let at = |b: u8| alloy::primitives::Address::repeat_byte(b);
        let d = Deployment {
            format: crate::deployment::FORMAT.into(),
            version: crate::deployment::VERSION,
            chain_id: 11155111,
            registry: at(1),
            inference_escrow: at(2),
            model_bounty: at(3),
            verifier: at(4),
            circuit_id: "0x1".into(),
            registry_accepts_dev_srs: false,
            srs_digest: "0x00".into(),
            dev_srs: false,
            contracts_deploy_gas: 0,
            verifier_deploy_gas: 0,
            model_commitment: "0x00".into(),
            registry_owner: at(5),
            abi: Default::default(),
        };
        d.save(&path).unwrap_or_else(|e| panic!("{e}"));
        let with = |contract: Option<&str>, chain_id: Option<u64>, accuracy: bool| {
            let a = BindArgs { deployment: Some(&path), accuracy, ..args(contract, chain_id) };
            a.resolve().map(|b| b.map(|b| (b.contract.chain_id, b.contract.address[0])))
        };
        assert_eq!(with(None, None, false).ok().flatten(), Some((11155111, 2)), "inference: the escrow");
        assert_eq!(with(None, None, true).ok().flatten(), Some((11155111, 3)), "accuracy: the bounty");
        assert_eq!(with(Some("bounty"), Some(11155111), false).ok().flatten(), Some((11155111, 3)));
        assert_eq!(with(Some("0x0909090909090909090909090909090909090909"), None, false).ok().flatten(), Some((11155111, 9)));
        let e = with(None, Some(1), false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("--chain-id 1 contradicts --deployment"), "{e}");
    }

    #[test]
    fn missing_or_stray_parts_name_their_flag() {
        let e = |a: BindArgs<'_>| a.resolve().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(args(None, Some(5))).contains("--contract 0xADDRESS"));
        assert!(e(args(Some("0x00000000000000000000000000000000000E5C00"), None)).contains("--chain-id N"));
        assert!(e(args(Some("escrow"), Some(5))).contains("--deployment"));
        let stray = BindArgs { bind_to: None, ..args(None, Some(5)) };
        assert!(e(stray).contains("need --bind-to"));
        assert!("0x12".parse::<ContractArg>().unwrap_err().contains("20 bytes"));
        assert!(BindArgs { bind_to: None, ..args(None, None) }.resolve().is_ok_and(|b| b.is_none()), "unbound");
    }
}
