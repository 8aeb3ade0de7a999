//! `zkinfer calldata`: the ABI-encoded call for a proof, encoded from its instances only (a proof
//! file whose convenience fields disagree with them is refused). With `--request-id` or
//! `--bounty-id`, warns when the proof's binding is not for that id (with `--from`, the sender,
//! and DIR/deployment.json, the paying contract and chain).

use alloy::primitives::{Address, U256};
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::{Binding, Claimant, PaymentContract};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proof JSON [default: DIR/proof.json].
    #[arg(long)]
    pub proof: Option<PathBuf>,
    /// Encode `ModelBounty.claim(id, proof, instances)` for this bounty id instead of `verifyProof`.
    #[arg(long, conflicts_with = "request_id")]
    pub bounty_id: Option<u64>,
    /// Encode `InferenceEscrow.fulfil(id, proof, instances)` for this request id instead of `verifyProof`.
    #[arg(long)]
    pub request_id: Option<u64>,
    /// The account that will send the call: the proof's binding is checked to name it and the id.
    #[arg(long, value_name = "ADDRESS")]
    pub from: Option<Address>,
    /// Artifacts directory (circuit.json, deployment.json) [default: the `--proof` file's
    /// directory, else zkinfer-out].
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

impl Args {
    /// `--dir`, else the directory of `--proof` (a proof is read with the circuit it was made
    /// for), else the default.
    fn dir(&self) -> crate::pipeline::Dir {
        let from_proof = self.proof.as_ref().map(|p| p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")).to_path_buf());
        crate::pipeline::Dir(self.dir.clone().or(from_proof).unwrap_or_else(|| PathBuf::from(super::DEFAULT_DIR)))
    }
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir();
    let (proof, instances) = super::onchain::checked_proof(a.proof.as_deref(), &dir.0)?;
    let binding = instances.get(1).copied().unwrap_or_default();
    let paid = a.bounty_id.map(|id| (id, "bounty")).or(a.request_id.map(|id| (id, "request")));
    if let Some((id, what)) = paid {
        check_binding(&dir, binding, id, what, a.from);
    }
    let data = match (a.bounty_id, a.request_id) {
        (Some(id), _) => crate::onchain::claim_calldata(U256::from(id), &proof, &instances),
        (None, Some(id)) => crate::onchain::fulfil_calldata(U256::from(id), &proof, &instances),
        (None, None) => zkinfer_verifier_gen::encode_calldata(&proof, &instances),
    };
    println!("0x{}", hex::encode(data));
    Ok(())
}

/// Warns on stderr when the binding cannot pay `id` (the call would revert with `WrongClaimant`).
fn check_binding(dir: &crate::pipeline::Dir, binding: halo2_proofs::halo2curves::bn256::Fr, id: u64, what: &str, from: Option<Address>) {
    if binding == halo2_proofs::halo2curves::bn256::Fr::zero() {
        eprintln!("warning: the proof is unbound (binding 0): no paying contract accepts it for {what} {id}; prove with --bind-to 0xSENDER:{id} --deployment FILE");
        return;
    }
    let Ok(d) = crate::deployment::Deployment::load(&dir.deployment()) else { return };
    let contract = if what == "bounty" { d.model_bounty } else { d.inference_escrow };
    let Some(from) = from else {
        eprintln!("note: pass --from 0xSENDER to check that the proof's binding names the sender and {what} {id}");
        return;
    };
    let expected = Binding { claimant: Claimant { address: from.into_array(), id }, contract: PaymentContract { chain_id: d.chain_id, address: contract.into_array() } }.to_fr();
    if expected != binding {
        eprintln!(
            "warning: the proof's binding {} is not {what} {id} for {from} on {contract} (chain {}), which is {}: the call reverts with WrongClaimant; prove with --bind-to {from}:{id} --deployment {}",
            crate::hex32::fr(&binding),
            d.chain_id,
            crate::hex32::fr(&expected),
            dir.deployment().display()
        );
    }
}
