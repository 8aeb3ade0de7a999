//! The end-to-end pipeline behind `zkinfer demo` and `zkinfer bench`: compile, setup, prove,
//! verify natively, generate and compile the Solidity verifier, start a local anvil, deploy the
//! contracts and the verifier and register it, verify in a real transaction, run the tamper
//! suite, and a paid inference: request (escrowing the fee), the proof copied by another sender
//! and a tampered fulfilment (both must be rejected), the valid fulfilment (paid; outputs stored
//! on-chain), and a second fulfilment (must be rejected). The demo adds an accuracy bounty
//! ([`crate::accuracy_demo`]).

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
    /// The call's execution by verifier step (quotient evaluation, SHPLONK, MSM, pairing, …),
    /// measured by the verifier's gas probe build on the same proof.
    pub verify_gas_steps: zkinfer_verifier_gen::GasSteps,
    pub verified_onchain: bool,
    /// Against tract's float run; `None` (with `float_reference_error`) when tract cannot run
    /// the model (the proof is still made, verified and paid).
    pub max_abs_err: Option<f64>,
    pub argmax_match: Option<bool>,
    pub outputs: Vec<f64>,
    pub float_outputs: Vec<f32>,
    /// Why there is no float reference, if there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub float_reference_error: Option<String>,
    pub model_commitment: String,
    /// The hashed input's commitment (public instance 2), if the input is hashed.
    pub input_commitment: Option<String>,
    /// The paid inference's fulfilment with a flipped proof byte was rejected.
    pub tampered_rejected: bool,
    /// The host's relayer refused the tampered proof without sending a transaction.
    pub relayer_refused_tampered: bool,
    /// The valid proof, used by another sender than the one it is bound to, paid nothing.
    pub copied_claim_rejected: bool,
    /// The tamper suite (every case rejected on-chain and natively, or the run fails).
    pub tamper: tamper::TamperReport,
    /// Gas of the valid fulfilment (`InferenceEscrow.fulfil`, sent by the host's relayer).
    pub claim_gas: u64,
    /// The fee the escrow paid the host.
    pub reward_paid_wei: String,
    pub second_claim_rejected: bool,
    /// The outputs the escrow stored (readable by other contracts) equal the proof's.
    pub outputs_onchain: bool,
    /// The verifier's circuit id in the registry (its `VK_DIGEST`).
    pub circuit_id: String,
    /// Gas of deploying the registry, the escrow and the bounty contract.
    pub contracts_deploy_gas: u64,
    /// The accuracy bounty (the demo only).
    pub bounty: Option<crate::accuracy_demo::BountyReport>,
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
    /// Also run an accuracy bounty on the same chain (the demo).
    pub bounty: Option<crate::accuracy_demo::BountyDemo>,
}

/// Runs the whole pipeline.
pub async fn run(o: Options<'_>) -> Result<Report> {
    let mut p = Progress::new(12 + if o.bounty.is_some() { crate::accuracy_demo::STEPS } else { 0 }, o.quiet);
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
    let (generated, _) = p.step("generating and compiling the Solidity verifier", || -> Result<_> {
        let g = pipeline::verifier_source(&params, pk.get_vk(), &art, &SrsSource::DevUnsafe)?;
        std::fs::write(o.dir.verifier(), &g.source)?;
        let c = pipeline::compile_verifier(&g)?;
        Ok((g, c))
    })?;
    let (verifier, compiled) = generated;

    let (Deployed { contracts, verifier: deployed, circuit_id, chain_id }, _) =
        p.step_async("deploying the contracts (VerifierRegistry, InferenceEscrow, ModelBounty) and the verifier; registering it", deploy(poster, &compiled.bytecode)).await?;
    p.note(&format!("circuit id (VK_DIGEST) {}; registry {}, escrow {}, bounty {}", crate::hex32::word(circuit_id), contracts.registry, contracts.escrow, contracts.bounty));

    // The proof is bound to the host (anvil's second account), the first request (id 0) of the
    // escrow just deployed, and this chain.
    let request_id = 0u64;
    let binding = zkinfer_prover::Binding {
        claimant: zkinfer_prover::Claimant { address: hunter.address().into_array(), id: request_id },
        contract: zkinfer_prover::PaymentContract { chain_id, address: contracts.escrow.into_array() },
    };
    let ctx = proof_context(&art, binding);
    let (proof, prove_s) = p.step("proving one inference", || pipeline::prove(&params, &pk, &art, &o.input, &ctx))?;
    proof.save(&o.dir.proof())?;
    let proof_bytes = proof.proof_bytes()?;
    let instances = proof.instance_values()?;
    // Everything reported of the outputs is decoded from the verified instances.
    let (verified, verify_s) = p.step("verifying natively", || zkinfer_prover::artifact::verify_instances(&params, pk.get_vk(), &art, &proof_bytes, &instances, None))?;
    let verified_fixed = verified.output.values_fixed().context("the demo and the bench need a public output")?.to_vec();
    let (acc, float_reference_error) = match pipeline::accuracy(&art, &o.input, &verified_fixed) {
        Ok(a) => (Some(a.context("the demo and the bench prove one inference, not an accuracy circuit")?), None),
        Err(e) => (None, Some(format!("tract could not run the model: {e:#}"))),
    };
    let runtime_bytes = poster.code(deployed.address).await?.len();
    let ((verified_onchain, verify_gas), _) =
        p.step_async("verifying the proof on-chain (transaction)", onchain::verify_tx(&hunter, deployed.address, &proof_bytes, &instances)).await?;
    if !verified_onchain {
        bail!("the on-chain verifier rejected a proof the native verifier accepted");
    }
    let gas = zkinfer_verifier_gen::GasBreakdown::of(&verifier, &zkinfer_verifier_gen::encode_calldata(&proof_bytes, &instances), verify_gas);
    p.note(&format!(
        "verify gas {verify_gas}: calldata {}, {} ecMul {}, pairing {}, execution {}",
        gas.calldata, gas.ec_mul_count, gas.ec_mul + gas.ec_add, gas.pairing, gas.execution
    ));

    let probe = async {
        let g = pipeline::gas_probe_source(&params, pk.get_vk(), &art, &SrsSource::DevUnsafe)?;
        let c = pipeline::compile_verifier(&g)?;
        let probe = onchain::deploy_verifier(poster, c.bytecode).await?.address;
        let data = zkinfer_verifier_gen::encode_calldata(&proof_bytes, &instances);
        let out = poster.call(probe, data.into()).await.context("calling the gas probe")?;
        zkinfer_verifier_gen::GasSteps::from_probe_output(&out.output).with_context(|| format!("the gas probe returned {} bytes", out.output.len()))
    };
    let (steps, _) = p.step_async("measuring each verifier step's gas (the verifier's gas probe build)", probe).await?;
    p.note(&format!(
        "execution by step: input checks {}, transcript {}, domain {}, quotient {}, SHPLONK {}, MSM {}, pairing {}",
        steps.input_checks, steps.transcript, steps.domain, steps.quotient, steps.shplonk, steps.msm, steps.pairing
    ));

    let (other, _) = p.step("proving another circuit of the same shape", || other_claim(&params, &art, &o.input, &ctx))?;
    let target = tamper::Target { chain: &hunter, address: deployed.address, params: &params, vk: pk.get_vk() };
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

    // A paid inference: the poster requests it (naming the circuit, the model commitment and the
    // input instances) and escrows the fee; the host's proof releases it.
    let fee = U256::from(10u128.pow(18));
    let inputs = &instances[art.instances.inputs[0]..art.instances.inputs[1]];
    let outputs = &instances[art.instances.outputs[0]..art.instances.outputs[1]];
    if inputs.is_empty() || outputs.is_empty() {
        bail!("the paid inference needs input instances (a commitment or the values) and public outputs; this circuit has {}", art.plan.shape.visibility);
    }
    // The host's relayer (signing with the host's key) sends the valid fulfilment.
    let circuit = crate::relay::CircuitParts { name: "inference", params: &params, vk: pk.get_vk(), instances: art.plan.num_instances };
    let relayer = crate::relay::start(&local, 1, circuit, &contracts, &o.dir.0).await?;
    let inference = async {
        let deadline = local.latest_timestamp().await? + 86_400;
        let id = contracts.request(poster, circuit_id, instances[0], inputs, deadline, fee).await?;
        if id != U256::from(request_id) {
            bail!("the request got id {id}, the proof is bound to {request_id}");
        }
        let copied = contracts.fulfil(poster, id, &proof_bytes, &instances).await?;
        let mut tampered = proof_bytes.clone();
        let mid = tampered.len() / 2;
        tampered[mid] ^= 0x01;
        let bad = contracts.fulfil(&hunter, id, &tampered, &instances).await?;
        let relayed_bad = crate::relay::call(&relayer, contracts.escrow, id, &tampered, &instances).await?;
        let good = crate::relay::pay(&relayer, &hunter, contracts.escrow, id, &proof_bytes, &instances).await?;
        // The relayer shares the host's key and assigns nonces itself: a fresh connection sees them.
        let host = local.chain_for_key(1)?;
        let again = contracts.fulfil(&host, id, &proof_bytes, &instances).await?;
        let stored = if good.paid { contracts.outputs_of(poster, id).await? } else { Vec::new() };
        anyhow::Ok((copied, bad, relayed_bad, good, again, stored))
    };
    let ((copied, bad, relayed_bad, good, again, stored), _) = p
        .step_async(
            "paid inference: request, the proof copied by another sender, tampered fulfilment (on-chain, and to the relayer), valid fulfilment through the host's relayer, second fulfilment",
            inference,
        )
        .await?;
    relayer.shutdown().await;
    let outputs_onchain = stored == onchain::u256s(outputs);
    let outcome = |c: &onchain::ClaimOutcome, ok: &str| if c.paid { ok.to_string() } else { format!("rejected ({})", c.revert_reason.clone().unwrap_or_default()) };
    p.note(&format!(
        "copied proof: {}; tampered: {} (relayer: {}); valid, relayed: {}; second: {}; outputs stored on-chain: {}",
        outcome(&copied, "PAID (bug!)"),
        outcome(&bad, "PAID (bug!)"),
        relayed_bad.reason.clone().unwrap_or_else(|| "SENT (bug!)".into()),
        outcome(&good, "paid"),
        outcome(&again, "PAID (bug!)"),
        if outputs_onchain { "equal to the proof's" } else { "MISMATCH (bug!)" }
    ));
    let bounty = match &o.bounty {
        Some(b) => Some(crate::accuracy_demo::run(&mut p, b, &o.dir, &local, &contracts).await?),
        None => None,
    };
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
        verifier_deploy_gas: deployed.gas_used,
        verify_gas,
        predicted_verify_gas: art.plan.predicted_verify_gas,
        verify_gas_breakdown: gas,
        verify_gas_steps: steps,
        verified_onchain,
        max_abs_err: acc.as_ref().map(|a| a.max_abs_err),
        argmax_match: acc.as_ref().map(|a| a.argmax_match),
        outputs: verified.outputs().unwrap_or_default(),
        float_outputs: acc.map(|a| a.float_outputs).unwrap_or_default(),
        float_reference_error,
        model_commitment: proof.model_commitment.clone(),
        input_commitment: proof.input_commitment.clone(),
        tampered_rejected: !bad.paid,
        relayer_refused_tampered: !relayed_bad.confirmed && relayed_bad.gas_used.is_none(),
        copied_claim_rejected: !copied.paid,
        tamper: tampered,
        claim_gas: good.gas_used,
        reward_paid_wei: if good.paid { good.reward_paid_wei.to_string() } else { "0".into() },
        second_claim_rejected: !again.paid,
        outputs_onchain,
        circuit_id: crate::hex32::word(circuit_id),
        contracts_deploy_gas: contracts.deploy_gas,
        bounty,
        srs: "dev-unsafe",
    })
}

/// The contract set and the registered verifier on the demo's chain.
struct Deployed {
    contracts: onchain::Contracts,
    verifier: zkinfer_relayer::Deployment,
    circuit_id: U256,
    chain_id: u64,
}

/// Deploys the contracts (a registry accepting the development SRS: a local chain) and the
/// verifier (`initcode`), and registers it.
async fn deploy(chain: &zkinfer_relayer::Chain, initcode: &[u8]) -> Result<Deployed> {
    let contracts = onchain::Contracts::deploy(chain, onchain::DevSrsPolicy::Accept).await?;
    let verifier = onchain::deploy_verifier(chain, initcode.to_vec()).await?;
    let circuit_id = contracts.register(chain, verifier.address).await?;
    let chain_id = onchain::chain_id(chain).await?;
    Ok(Deployed { contracts, verifier, circuit_id, chain_id })
}

/// The proof's binding, and random salts for whatever the circuit hashes.
fn proof_context(art: &zkinfer_prover::artifact::CircuitArtifact, binding: zkinfer_prover::Binding) -> pipeline::ProofContext {
    pipeline::ProofContext {
        binding: Some(binding),
        salt: if art.plan.shape.hashes() { zkinfer_prover::hash::random_salt() } else { Default::default() },
        weight_salt: if art.plan.shape.hashed_weights() { zkinfer_prover::hash::random_salt() } else { Default::default() },
    }
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
