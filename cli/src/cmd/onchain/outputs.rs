//! `zkinfer onchain outputs`: the outputs InferenceEscrow stored for a fulfilled request
//! (`outputsOf(id)`, what other contracts read), decoded with the circuit's fixed-point scale when
//! DIR/circuit.json is there and the output is public.

use super::{Session, Target};
use alloy::primitives::{Address, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::{Context, Result};

sol! {
    function outputsOf(uint256 id) external view returns (uint256[]);
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request id.
    #[arg(long)]
    pub request_id: u64,
    /// The escrow [default: the deployment file's inference_escrow].
    #[arg(long, value_name = "ADDRESS")]
    pub escrow: Option<Address>,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(a: Args) -> Result<()> {
    let s = a.target.read_session().await?;
    let escrow = s.address(a.escrow, "escrow", |d| d.inference_escrow)?;
    print_outputs(&s, escrow, U256::from(a.request_id)).await
}

/// Reads and prints `outputsOf(id)`: one line per output, `output i: 0x… (value)`.
pub async fn print_outputs(s: &Session, escrow: Address, id: U256) -> Result<()> {
    let out = s.read(&format!("InferenceEscrow.outputsOf({id})"), escrow, outputsOfCall { id }.abi_encode()).await?;
    let words = outputsOfCall::abi_decode_returns(&out).context("decoding outputsOf")?;
    let art = crate::pipeline::Dir(s.dir.clone()).load_circuit().ok();
    let public = art.as_ref().filter(|a| a.instances.visibility.output == zkinfer_prover::Visibility::Public);
    for (i, w) in words.iter().enumerate() {
        let value = public.map(|a| format!(" ({})", a.model.params.dequantise(signed(*w)))).unwrap_or_default();
        println!("output {i}: {}{value}", crate::hex32::word(*w));
    }
    Ok(())
}

/// A field element as the signed fixed-point value it encodes (`r - |v|` for negatives).
fn signed(w: U256) -> i64 {
    let r = U256::from_str_radix("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001", 16).unwrap_or_default();
    if w > r >> 1 {
        -(i64::try_from(r - w).unwrap_or(i64::MAX))
    } else {
        i64::try_from(w).unwrap_or(i64::MAX)
    }
}
