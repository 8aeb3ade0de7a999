//! The end-to-end pipeline behind `zkinfer demo` and `zkinfer bench`: compile, setup, prove,
//! verify natively, generate and compile the Solidity verifier, start a local anvil, deploy,
//! verify in a real transaction, and run a bounty: post, the proof copied by another sender and
//! a tampered claim (both must be rejected),
//! the valid claim (paid), and a second claim (must be rejected).

use crate::onchain;
use crate::tamper;
use crate::pipeline::{self, Dir};
use crate::progress::{peak_rss_mb, Progress};
use alloy::primitives::U256;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::Path;
use zkinfer_prover::srs::SrsSource;
use zkinfer_prover::{proving, CompileOptions};

/// Everything measured in one run.
#[derive(Debug, Serialize)]
pub struct Report {
    pub model: String,
    pub k: u32,
    pub rows: usize,
    /// Rows of the hashed tensors' commitments (their share of `rows`).
    pub commitment_rows: usize,
    /// Of those, the hashed weights' commitment rows.
    pub weight_commitment_rows: usize,
    /// Number of committed weights and biases (hashed weights; else 0).
    pub committed_weights: usize,
    /// What the proof reveals (`weights=…,input=…,output=…`).
    pub visibility: String,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    pub num_instances: usize,
    pub compile_s: f64,
    pub setup_s: f64,
    pub prove_s: f64,
    pub predicted_prove_s: f64,
    pub dot_width: usize,
    pub verify_s: f64,
    pub proof_bytes: usize,
    pub peak_rss_mb: Option<f64>,
    pub verifier_runtime_bytes: usize,
    pub verifier_initcode_bytes: usize,
    pub verifier_deploy_gas: u64,
    pub verify_gas: u64,
    /// The layout choice's prediction of `verify_gas`.
    pub predicted_verify_gas: u64,
    /// Where `verify_gas` goes.
    pub verify_gas_breakdown: zkinfer_verifier_gen::GasBreakdown,
    pub verified_onchain: bool,
    pub max_abs_err: f64,
    pub argmax_match: bool,
    pub outputs: Vec<f64>,
    pub float_outputs: Vec<f32>,
    pub model_commitment: String,
    /// The hashed input's commitment (public instance 2), if the input is hashed.
    pub input_commitment: Option<String>,
    pub tampered_rejected: bool,
    /// The valid proof, claimed by another sender than the one it is bound to, paid nothing.
    pub copied_claim_rejected: bool,
    /// The tamper suite (every case rejected on-chain and natively, or the run fails).
    pub tamper: tamper::TamperReport,
    pub claim_gas: u64,
    pub reward_paid_wei: String,
    pub second_claim_rejected: bool,
    pub srs: &'static str,
}

/// Options of a run.
#[derive(Debug)]
pub struct Options<'a> {
    pub model: &'a Path,
    pub input: Vec<f32>,
    pub compile: CompileOptions,
    pub dir: Dir,
    pub quiet: bool,
}

/// Runs the whole pipeline.
pub async fn run(o: Options<'_>) -> Result<Report> {
    let mut p = Progress::new(11, o.quiet);
    let ((art, layout), compile_s) = p.step("compiling the ONNX model to a circuit", || pipeline::compile(o.model, &o.compile, &o.dir))?;
    p.note(&format!(
        "k = {}, {} rows, {} advice columns (dot width {}), {} lookups, {} public instances; predicted prove {:.2} s",
        art.plan.k, art.plan.rows, art.plan.advice_columns, art.plan.shape.dot_width, art.plan.lookups, art.plan.num_instances, layout.chosen.predicted_prove_s
    ));
    let ((params, pk), setup_s) = p.step("generating keys (setup)", || pipeline::setup(&o.dir, &art, SrsSource::DevUnsafe))?;
    let (local, _) = p.step("starting a local anvil", || zkinfer_relayer::LocalChain::start().context("starting anvil (run ./script/install-tools)"))?;
    p.note(&format!("anvil at {}", local.endpoint()));
    let poster = local.chain();
    let hunter = local.chain_for_key(1)?;
    // The proof is bound to the hunter and the first bounty of the fresh contract (id 0).
    let bounty_id = 0u64;
    let ctx = pipeline::ProofContext {
        binding: zkinfer_prover::Binding { claimant: hunter.address().into_array(), id: bounty_id },
        salt: if art.plan.shape.hashes() { zkinfer_prover::hash::random_salt() } else { Default::default() },
        weight_salt: if art.plan.shape.hashed_weights() { zkinfer_prover::hash::random_salt() } else { Default::default() },
    };
    let (proof, prove_s) = p.step("proving one inference", || pipeline::prove(&params, &pk, &art, &o.input, &ctx))?;
    proof.save(&o.dir.proof())?;
    let proof_bytes = proof.proof_bytes()?;
    let instances = proof.instance_values()?;
    let (_, verify_s) = p.step("verifying natively", || proving::verify(&params, pk.get_vk(), &proof_bytes, &instances))?;
    let acc = pipeline::accuracy(&art, &o.input, &proof.outputs_fixed)?.context("the demo and the bench prove one inference, not an accuracy circuit")?;
    let (generated, _) = p.step("generating and compiling the Solidity verifier", || -> Result<_> {
        let g = pipeline::verifier_source(&params, pk.get_vk(), &art)?;
        std::fs::write(o.dir.verifier(), &g.source)?;
        let c = pipeline::compile_verifier(&g)?;
        Ok((g, c))
    })?;
    let (verifier, compiled) = generated;

    let (deployed, _) = p.step_async("deploying the verifier and the bounty contract", onchain::deploy(poster, compiled.bytecode.clone())).await?;
    let runtime_bytes = poster.code(deployed.verifier).await?.len();
    let ((verified_onchain, verify_gas), _) =
        p.step_async("verifying the proof on-chain (transaction)", onchain::verify_tx(&hunter, deployed.verifier, &proof_bytes, &instances)).await?;
    if !verified_onchain {
        bail!("the on-chain verifier rejected a proof the native verifier accepted");
    }
    let gas = zkinfer_verifier_gen::GasBreakdown::of(&verifier, &zkinfer_verifier_gen::encode_calldata(&proof_bytes, &instances), verify_gas);
    p.note(&format!(
        "verify gas {verify_gas}: calldata {}, {} ecMul {}, pairing {}, execution {}",
        gas.calldata, gas.ec_mul_count, gas.ec_mul + gas.ec_add, gas.pairing, gas.execution
    ));

    let (other, _) = p.step("proving another circuit of the same shape", || other_claim(&params, &art, &o.input, &ctx))?;
    let target = tamper::Target { chain: &hunter, address: deployed.verifier, params: &params, vk: pk.get_vk() };
    let valid = tamper::Claim { proof: &proof_bytes, instances: &instances };
    let other = tamper::Claim { proof: &other.0, instances: &other.1 };
    let (tampered, _) = p.step_async("tamper suite: byte flips, instances, calldata length, another circuit's proof", tamper::run(target, valid, other)).await?;
    p.note(&format!(
        "{} tampered cases: {} rejected on-chain, {} of {} rejected natively",
        tampered.cases, tampered.rejected_onchain, tampered.rejected_natively, tampered.native_cases
    ));
    if !tampered.failures.is_empty() {
        bail!("the tamper suite found accepted or disputed cases: {}", tampered.failures.join("; "));
    }

    let reward = U256::from(10u128.pow(18));
    let commitment = instances[0];
    let bounty = async {
        let deadline = local.latest_timestamp().await? + 86_400;
        let id = onchain::post_bounty(poster, &deployed, commitment, deadline, reward).await?;
        if id != U256::from(bounty_id) {
            bail!("the bounty got id {id}, the proof is bound to {bounty_id}");
        }
        let copied = onchain::claim(poster, &deployed, id, &proof_bytes, &instances).await?;
        let mut tampered = proof_bytes.clone();
        let mid = tampered.len() / 2;
        tampered[mid] ^= 0x01;
        let bad = onchain::claim(&hunter, &deployed, id, &tampered, &instances).await?;
        let good = onchain::claim(&hunter, &deployed, id, &proof_bytes, &instances).await?;
        let again = onchain::claim(&hunter, &deployed, id, &proof_bytes, &instances).await?;
        anyhow::Ok((copied, bad, good, again))
    };
    let ((copied, bad, good, again), _) =
        p.step_async("bounty: post, the proof copied by another sender, tampered claim, valid claim, second claim", bounty).await?;
    p.note(&format!(
        "copied proof: {}; tampered claim: {}; valid claim: {}; second claim: {}",
        if copied.paid { "PAID (bug!)".into() } else { format!("rejected ({})", copied.revert_reason.clone().unwrap_or_default()) },
        if bad.paid { "PAID (bug!)".into() } else { format!("rejected ({})", bad.revert_reason.clone().unwrap_or_default()) },
        if good.paid { "paid".into() } else { format!("rejected ({})", good.revert_reason.clone().unwrap_or_default()) },
        if again.paid { "PAID (bug!)".into() } else { format!("rejected ({})", again.revert_reason.clone().unwrap_or_default()) },
    ));
    drop(local);

    Ok(Report {
        model: o.model.display().to_string(),
        k: art.plan.k,
        rows: art.plan.rows,
        commitment_rows: art.plan.commitment_rows,
        weight_commitment_rows: art.plan.weight_commitment_rows,
        committed_weights: if art.plan.shape.hashed_weights() { art.model.committed_weights().len() } else { 0 },
        visibility: art.plan.shape.visibility.to_string(),
        advice_columns: art.plan.advice_columns,
        fixed_columns: art.plan.fixed_columns,
        lookups: art.plan.lookups,
        num_instances: art.plan.num_instances,
        compile_s,
        setup_s,
        prove_s,
        predicted_prove_s: layout.chosen.predicted_prove_s,
        dot_width: art.plan.shape.dot_width,
        verify_s,
        proof_bytes: proof_bytes.len(),
        peak_rss_mb: peak_rss_mb(),
        verifier_runtime_bytes: runtime_bytes,
        verifier_initcode_bytes: compiled.bytecode.len(),
        verifier_deploy_gas: deployed.verifier_deploy_gas,
        verify_gas,
        predicted_verify_gas: art.plan.predicted_verify_gas,
        verify_gas_breakdown: gas,
        verified_onchain,
        max_abs_err: acc.max_abs_err,
        argmax_match: acc.argmax_match,
        outputs: proof.outputs.clone(),
        float_outputs: acc.float_outputs,
        model_commitment: proof.model_commitment.clone(),
        input_commitment: proof.input_commitment.clone(),
        tampered_rejected: !bad.paid,
        copied_claim_rejected: !copied.paid,
        tamper: tampered,
        claim_gas: good.gas_used,
        reward_paid_wei: if good.paid { good.reward_paid_wei.to_string() } else { "0".into() },
        second_claim_rejected: !again.paid,
        srs: "dev-unsafe",
    })
}

/// A valid proof of another circuit of the same shape (same proof length and instance count),
/// whose verifying key differs: with fixed weights, the model with its first weight changed by
/// one unit; with hashed weights (where weights are not in the key), the model with the first
/// two inputs of one output swapped (other copy constraints).
fn other_claim(
    params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2_proofs::halo2curves::bn256::Bn256>,
    art: &zkinfer_prover::artifact::CircuitArtifact,
    input: &[f32],
    ctx: &pipeline::ProofContext,
) -> Result<(Vec<u8>, Vec<halo2_proofs::halo2curves::bn256::Fr>)> {
    let mut other = art.clone();
    let mut rows = other.model.layers.iter_mut().flat_map(|l| l.rows.iter_mut());
    if art.plan.shape.hashed_weights() {
        let row = rows.find(|r| r.len() >= 2 && r[0].0 != r[1].0).context("no output reads two wires")?;
        let (a, b) = (row[0].0, row[1].0);
        (row[0].0, row[1].0) = (b, a);
    } else {
        rows.flat_map(|r| r.iter_mut()).next().context("the model has no weights")?.1 += 1;
    }
    let pk = proving::keygen(params, &other.circuit())?;
    let (circuit, instances, _) = pipeline::witness(&other, input, ctx)?;
    let proof = proving::prove(params, &pk, &circuit, &instances)?;
    Ok((proof, instances))
}
