//! `zkinfer onchain post`: an accuracy bounty on ModelBounty for the accuracy circuit of DIR (its
//! deployment's circuit id): the test set's commitment (computed from `--test-set FILE` with the
//! circuit, or given), its size, the threshold of right answers and the reward in ETH.

use super::Target;
use alloy::primitives::{Address, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::Fr;
use std::path::PathBuf;

sol! {
    function post(uint256 circuitId, uint256 testSetCommitment, uint256 testSetSize, uint256 threshold, uint64 deadline, address token, uint256 amount) external payable returns (uint256 id);
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The reward, in ETH: 1ether, 0.5ether, 10gwei or wei.
    #[arg(long, value_parser = super::parse_amount)]
    pub amount: U256,
    /// Right answers a claim needs.
    #[arg(long)]
    pub threshold: u64,
    /// The test set (`{"inputs": [[...]], "labels": [...]}`): its commitment is computed with
    /// DIR/circuit.json (the accuracy circuit).
    #[arg(long, value_name = "FILE", required_unless_present = "test_set_commitment")]
    pub test_set: Option<PathBuf>,
    /// The salt of the test set's commitment (0x-hex; default none).
    #[arg(long, requires = "test_set")]
    pub salt: Option<String>,
    /// The test set's commitment, instead of --test-set (then --samples is needed without DIR/circuit.json).
    #[arg(long, value_name = "HEX", conflicts_with = "test_set")]
    pub test_set_commitment: Option<String>,
    /// Samples in the test set [default: the accuracy circuit's].
    #[arg(long)]
    pub samples: Option<u64>,
    /// The circuit id [default: the deployment file's].
    #[arg(long, value_name = "HEX")]
    pub circuit_id: Option<String>,
    /// Seconds from the latest block until the bounty expires (then it can be refunded).
    #[arg(long, default_value_t = 7 * 86_400)]
    pub expires_in: u64,
    /// The bounty contract [default: the deployment file's model_bounty].
    #[arg(long, value_name = "ADDRESS")]
    pub bounty: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.session().await?;
    let bounty = s.address(a.bounty, "bounty", |d| d.model_bounty)?;
    let circuit_id = s.circuit_id(a.circuit_id.as_deref())?;
    let art = crate::pipeline::Dir(s.dir.clone()).load_circuit();
    let spec_samples = art.as_ref().ok().and_then(|a| a.accuracy).map(|spec| spec.samples as u64);
    let commitment = match (&a.test_set, &a.test_set_commitment) {
        (Some(file), _) => {
            let art = art.as_ref().map_err(|e| anyhow::anyhow!("--test-set needs the accuracy circuit: {e:#}"))?;
            if art.accuracy.is_none() {
                bail!("{}: not an accuracy circuit (compile it with --accuracy-samples N)", s.dir.join("circuit.json").display());
            }
            let values = crate::pipeline::read_model_input(art, file)?;
            let salt = match &a.salt {
                Some(h) => zkinfer_prover::artifact::fr_from_hex(&crate::hex32::normalise(h)?).context("--salt: not a field element")?,
                None => Fr::zero(),
            };
            let c = zkinfer_prover::hash::commit(zkinfer_prover::hash::Tensor::Input, &art.model.quantise_input(&values)?, art.plan.shape.packing_bits(), salt)?;
            crate::onchain::u256s(&[c])[0]
        }
        (None, Some(c)) => crate::hex32::parse(c).context("--test-set-commitment")?,
        (None, None) => bail!("--test-set FILE or --test-set-commitment HEX"),
    };
    let Some(samples) = a.samples.or(spec_samples) else { bail!("--samples N: no accuracy circuit in {}", s.dir.display()) };
    let deadline = super::now(&s.chain).await? + a.expires_in;
    let call = postCall {
        circuitId: circuit_id,
        testSetCommitment: commitment,
        testSetSize: U256::from(samples),
        threshold: U256::from(a.threshold),
        deadline,
        token: Address::ZERO,
        amount: a.amount,
    };
    let sent = s.transact("ModelBounty.post", bounty, call.abi_encode(), a.amount).await?;
    let id = U256::abi_decode(&sent.output).context("decoding the bounty id")?;
    println!("result  bounty {id} ({}): {} wei for {} of {samples} right, until {deadline}", crate::hex32::word(id), a.amount, a.threshold);
    println!("        circuit {}, test set {}", crate::hex32::word(circuit_id), crate::hex32::word(commitment));
    println!("bounty_id {id}");
    Ok(())
}
