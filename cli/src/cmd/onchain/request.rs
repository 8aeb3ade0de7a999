//! `zkinfer onchain request`: a paid inference. Escrows a fee on InferenceEscrow naming the
//! circuit, the model commitment and the input instances (for a hashed input, its commitment:
//! `zkinfer commit --input I --salt S`); prints the request id.

use super::Target;
use alloy::primitives::{Address, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

sol! {
    function request(uint256 circuitId, uint256 modelCommitment, uint256[] inputInstances, uint64 deadline, address token, uint256 fee, address host) external payable returns (uint256 id);
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The fee escrowed, in ETH: 1ether, 0.5ether, 10gwei or wei.
    #[arg(long, value_parser = super::parse_amount)]
    pub fee: U256,
    /// The input instances, comma-separated (hashed input: its commitment, from `zkinfer commit`).
    #[arg(long, value_delimiter = ',', value_name = "HEX,...", required_unless_present = "inputs_from")]
    pub inputs: Vec<String>,
    /// Take the input instances from a proof file instead (its verified instances).
    #[arg(long, value_name = "PROOF", conflicts_with = "inputs")]
    pub inputs_from: Option<PathBuf>,
    /// The model commitment [default: the deployment file's].
    #[arg(long, value_name = "HEX")]
    pub model_commitment: Option<String>,
    /// The circuit id [default: the deployment file's].
    #[arg(long, value_name = "HEX")]
    pub circuit_id: Option<String>,
    /// Only this host may fulfil [default: anyone].
    #[arg(long, value_name = "ADDRESS")]
    pub host: Option<Address>,
    /// Seconds from the latest block until the request expires (then it can be refunded).
    #[arg(long, default_value_t = 86_400)]
    pub expires_in: u64,
    /// The escrow [default: the deployment file's inference_escrow].
    #[arg(long, value_name = "ADDRESS")]
    pub escrow: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.session().await?;
    let escrow = s.address(a.escrow, "escrow", |d| d.inference_escrow)?;
    let circuit_id = s.circuit_id(a.circuit_id.as_deref())?;
    let model = match (&a.model_commitment, &s.deployment) {
        (Some(m), _) => crate::hex32::parse(m).context("--model-commitment")?,
        (None, Some(d)) => crate::hex32::parse(&d.model_commitment).context("the deployment file's model_commitment")?,
        (None, None) => bail!("--model-commitment: no deployment file (or pass --deployment FILE)"),
    };
    let inputs: Vec<U256> = match &a.inputs_from {
        Some(path) => {
            let art = crate::pipeline::Dir(s.dir.clone()).load_circuit()?;
            let (_, _, inst) = super::load_proof(Some(path), &s.dir)?;
            let l = &art.instances;
            crate::onchain::u256s(inst.get(l.inputs[0]..l.inputs[1]).context("the proof has fewer instances than the circuit")?)
        }
        None => a.inputs.iter().map(|i| crate::hex32::parse(i).with_context(|| format!("--inputs {i}"))).collect::<Result<_>>()?,
    };
    let deadline = super::now(&s.chain).await? + a.expires_in;
    let call = requestCall { circuitId: circuit_id, modelCommitment: model, inputInstances: inputs.clone(), deadline, token: Address::ZERO, fee: a.fee, host: a.host.unwrap_or(Address::ZERO) };
    let sent = s.transact("InferenceEscrow.request", escrow, call.abi_encode(), a.fee).await?;
    let id = U256::abi_decode(&sent.output).context("decoding the request id")?;
    println!("result  request {id} ({}): {} wei escrowed on {escrow} until {deadline}", crate::hex32::word(id), a.fee);
    println!("        circuit {}, model {}", crate::hex32::word(circuit_id), crate::hex32::word(model));
    for (i, v) in inputs.iter().enumerate() {
        println!("        input instance {i}: {}", crate::hex32::word(*v));
    }
    println!("request_id {id}");
    Ok(())
}
