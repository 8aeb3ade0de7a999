//! The demo's accuracy bounty, on the chain and contracts of the end-to-end run: the poster
//! compiles the accuracy circuit of an architecture, registers its verifier and posts a bounty
//! naming the test set's commitment and a threshold; a hunter with a private model of that
//! architecture proves its score on the test set and is paid at once; a weaker model's proof is
//! refused (`BelowThreshold`).

use crate::onchain::{self, ClaimOutcome, Contracts};
use crate::pipeline::{self, Dir, ProofContext};
use crate::progress::Progress;
use alloy::primitives::U256;
use anyhow::{Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use serde::Serialize;
use std::path::PathBuf;
use zkinfer_prover::hash::{self, Tensor};
use zkinfer_prover::srs::SrsSource;
use zkinfer_prover::{Binding, Claimant, CompileOptions, PaymentContract, Visibilities};

/// Steps [`run`] reports.
pub const STEPS: usize = 6;

/// What the bounty runs on.
#[derive(Debug, Clone)]
pub struct BountyDemo {
    /// The architecture (an ONNX model of it: the poster's baseline).
    pub architecture: PathBuf,
    /// The hunter's private model (same architecture, other weights).
    pub hunter_model: PathBuf,
    /// The test set, `{"inputs": [[...]], "labels": [...]}`.
    pub test_set: PathBuf,
    /// Calibration input of the architecture.
    pub calibration: Vec<f32>,
    /// Samples of the test set.
    pub samples: usize,
    /// Right answers the bounty asks for.
    pub threshold: u64,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
pub struct BountyReport {
    pub samples: usize,
    pub threshold: u64,
    pub k: u32,
    pub rows: usize,
    pub prove_s: f64,
    pub proof_bytes: usize,
    pub circuit_id: String,
    pub test_set_commitment: String,
    /// The hunter's private model: its weights commitment (instance 0) and right answers.
    pub hunter_model_commitment: String,
    pub hunter_correct: u64,
    pub paid_wei: String,
    pub claim_gas: u64,
    /// The poster's baseline model, proved by the same hunter: its right answers and why the
    /// bounty refused it.
    pub weak_correct: u64,
    pub weak_rejected: Option<String>,
}

/// Runs the bounty (see the module docs).
pub async fn run(p: &mut Progress, b: &BountyDemo, dir: &Dir, local: &zkinfer_relayer::LocalChain, contracts: &Contracts) -> Result<BountyReport> {
    let dir = Dir(dir.0.join("bounty"));
    let opts = CompileOptions {
        calibration: vec![b.calibration.clone()],
        accuracy_samples: Some(b.samples),
        visibility: Visibilities::BOUNTY,
        ..CompileOptions::default()
    };
    let ((art, _), _) = p.step("accuracy bounty: compiling the accuracy circuit of the architecture", || pipeline::compile(&b.architecture, &opts, &dir))?;
    p.note(&format!("{} samples, k = {}, {} rows ({} of them the weights' commitment)", b.samples, art.plan.k, art.plan.rows, art.plan.weight_commitment_rows));
    let ((params, pk), _) = p.step("accuracy bounty: keys", || pipeline::setup(&dir, &art, SrsSource::DevUnsafe))?;
    let test_set = pipeline::read_model_input(&art, &b.test_set)?;
    let commitment = hash::commit(Tensor::Input, &art.model.quantise_input(&test_set)?, art.plan.shape.packing_bits(), Fr::zero())?;

    let poster = local.chain();
    let hunter = local.chain_for_key(1)?;
    let post = async {
        let g = pipeline::verifier_source(&params, pk.get_vk(), &art, &SrsSource::DevUnsafe)?;
        let compiled = pipeline::compile_verifier(&g)?;
        let v = onchain::deploy_verifier(poster, compiled.bytecode).await?;
        let circuit_id = contracts.register(poster, v.address).await?;
        let deadline = local.latest_timestamp().await? + 7 * 86_400;
        let terms = onchain::BountyTerms { test_set: commitment, samples: b.samples, threshold: b.threshold, deadline, amount: U256::from(10u128.pow(18)) };
        let id = contracts.post_bounty(poster, circuit_id, &terms).await?;
        let chain_id = onchain::chain_id(poster).await?;
        anyhow::Ok((circuit_id, id, chain_id))
    };
    let ((circuit_id, id, chain_id), _) = p.step_async("accuracy bounty: the poster registers the verifier and posts 1 ETH for the threshold", post).await?;
    // Bound to the hunter, this bounty, the bounty contract and the chain.
    let bound = Binding {
        claimant: Claimant { address: hunter.address().into_array(), id: u64::try_from(id).context("bounty id")? },
        contract: PaymentContract { chain_id, address: contracts.bounty.into_array() },
    };
    let ctx = ProofContext { binding: Some(bound), salt: Fr::zero(), weight_salt: hash::random_salt() };
    let hunter_art = art.with_weights_from(&b.hunter_model)?;
    let (strong, prove_s) = p.step("accuracy bounty: the hunter proves its private model's score", || pipeline::prove(&params, &pk, &hunter_art, &test_set, &ctx))?;
    let (weak, _) = p.step("accuracy bounty: the same hunter proves the baseline model's score", || pipeline::prove(&params, &pk, &art, &test_set, &ctx))?;
    // The scores reported are decoded from the verified instances (the count, a public output).
    let verified = |proof: &zkinfer_prover::artifact::ProofArtifact| -> Result<zkinfer_prover::artifact::VerifiedProof> {
        Ok(zkinfer_prover::artifact::verify_instances(&params, pk.get_vk(), &art, &proof.proof_bytes()?, &proof.instance_values()?, None)?)
    };
    let (strong_verified, weak_verified) = (verified(&strong)?, verified(&weak)?);
    let count = |v: &zkinfer_prover::artifact::VerifiedProof| v.output.values_fixed().and_then(|o| o.first().copied()).unwrap_or(0).max(0) as u64;
    let (strong_correct, weak_correct) = (count(&strong_verified), count(&weak_verified));
    // The hunter's relayer sends the claims: it refuses the baseline's (it would revert) without
    // spending gas, and sends the private model's.
    let circuit = crate::relay::CircuitParts { name: "accuracy", params: &params, vk: pk.get_vk(), instances: art.plan.num_instances };
    let relayer = crate::relay::start(local, 1, circuit, contracts, &dir.0).await?;
    let claims = async {
        let claim = |proof: &zkinfer_prover::artifact::ProofArtifact| -> Result<(Vec<u8>, Vec<Fr>)> { Ok((proof.proof_bytes()?, proof.instance_values()?)) };
        let (weak_proof, weak_instances) = claim(&weak)?;
        let (strong_proof, strong_instances) = claim(&strong)?;
        let weak_claim = crate::relay::pay(&relayer, &hunter, contracts.bounty, id, &weak_proof, &weak_instances).await?;
        let strong_claim = crate::relay::pay(&relayer, &hunter, contracts.bounty, id, &strong_proof, &strong_instances).await?;
        anyhow::Ok((weak_claim, strong_claim))
    };
    let ((weak_claim, strong_claim), _): ((ClaimOutcome, ClaimOutcome), _) =
        p.step_async("accuracy bounty: claims through the hunter's relayer (the baseline's, then the private model's)", claims).await?;
    relayer.shutdown().await;
    p.note(&format!(
        "baseline {}/{}: {}; private model {}/{}: {}",
        weak_correct,
        b.samples,
        if weak_claim.paid { "PAID (bug!)".to_string() } else { format!("rejected ({})", weak_claim.revert_reason.clone().unwrap_or_default()) },
        strong_correct,
        b.samples,
        if strong_claim.paid { format!("paid {} wei", strong_claim.reward_paid_wei) } else { format!("rejected ({})", strong_claim.revert_reason.clone().unwrap_or_default()) },
    ));
    Ok(BountyReport {
        samples: b.samples,
        threshold: b.threshold,
        k: art.plan.k,
        rows: art.plan.rows,
        prove_s,
        proof_bytes: strong.proof_bytes()?.len(),
        circuit_id: crate::hex32::word(circuit_id),
        test_set_commitment: zkinfer_prover::artifact::fr_to_hex(&commitment),
        hunter_model_commitment: strong_verified.model_commitment.clone(),
        hunter_correct: strong_correct,
        paid_wei: if strong_claim.paid { strong_claim.reward_paid_wei.to_string() } else { "0".into() },
        claim_gas: strong_claim.gas_used,
        weak_correct,
        weak_rejected: (!weak_claim.paid).then(|| weak_claim.revert_reason.unwrap_or_else(|| "reverted".into())),
    })
}
