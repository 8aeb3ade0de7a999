//! `zkinfer prove --input INPUT.json`.

use super::DirArg;
use anyhow::Result;
use std::path::PathBuf;
use zkinfer_prover::artifact::{self, OpeningArtifact};
use zkinfer_prover::{hash, Claimant, Visibility};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSON: {"input": [...]} or ezkl's {"input_data": [[...]]}; for an accuracy circuit
    /// the test set, {"inputs": [[...], ...], "labels": [class, ...]}.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the proof (default DIR/proof.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Bind the proof to a claimant and a bounty or request id, `0xADDRESS:ID`, on the contract
    /// and chain that pay it (`--contract` and `--chain-id`, or `--deployment`): public instance 1
    /// is then `keccak256(abi.encode(chainId, contract, claimant, id)) mod r`, and the contract
    /// pays only that address, so a copied proof is worthless, on another deployment or chain
    /// too. Default: unbound (no paying contract accepts the proof).
    #[arg(long)]
    pub bind_to: Option<Claimant>,
    /// The chain id of the contract that pays the bound proof (e.g. 1 for Ethereum mainnet,
    /// 31337 for anvil). Default with --deployment: its chain id.
    #[arg(long, requires = "bind_to")]
    pub chain_id: Option<u64>,
    /// The contract that pays the bound proof: `0xADDRESS`, or `escrow` / `bounty` of the
    /// --deployment file. Default with --deployment: the bounty for an accuracy circuit, else the
    /// escrow.
    #[arg(long, requires = "bind_to")]
    pub contract: Option<crate::bind::ContractArg>,
    /// A deployment file (`zkinfer deploy` writes DIR/deployment.json): the chain id and the
    /// contract addresses of the binding.
    #[arg(long, requires = "bind_to")]
    pub deployment: Option<PathBuf>,
    /// Salt of the hashed tensors' commitments: `random`, or `0x`-hex. Use one whenever the input
    /// could be guessed. Written to the opening file, never to the proof. Default: no salt.
    #[arg(long)]
    pub salt: Option<String>,
    /// Prove with the weights of this ONNX file instead of the compiled model's (hashed weights
    /// only): any model of the circuit's architecture proves under the same keys and verifier;
    /// public instance 0, the weights' commitment, says which one was used.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Salt of a hashed-weights commitment: `random`, or `0x`-hex. Keep it and reuse it: the
    /// commitment names the model only together with its salt. Default: no salt.
    #[arg(long)]
    pub weight_salt: Option<String>,
    #[command(flatten)]
    pub dir: DirArg,
}

pub fn run(a: Args) -> Result<()> {
    let dir = a.dir.dir();
    let compiled = dir.load_circuit()?;
    let art = match &a.model {
        Some(path) => compiled.with_weights_from(path)?,
        None => compiled,
    };
    let setup = dir.load_setup()?;
    setup.check_circuit(&dir.setup(), &art)?;
    let input = crate::pipeline::read_model_input(&art, &a.input)?;
    let salt = hash::salt_arg(a.salt.as_deref())?;
    let weight_salt = hash::salt_arg(a.weight_salt.as_deref())?;
    let shape = &art.plan.shape;
    if a.salt.is_some() && !shape.visibility.any_input(Visibility::Hashed) && shape.visibility.output != Visibility::Hashed {
        anyhow::bail!("--salt: the circuit hashes neither its input nor its output ({}; compile with --visibility input=hashed)", shape.visibility);
    }
    if a.weight_salt.is_some() && !shape.hashed_weights() {
        anyhow::bail!("--weight-salt: the circuit's weights are not hashed ({}; compile with --visibility weights=hashed)", shape.visibility);
    }
    let binding = crate::bind::BindArgs {
        bind_to: a.bind_to,
        chain_id: a.chain_id,
        contract: a.contract,
        deployment: a.deployment.as_deref(),
        accuracy: art.accuracy.is_some(),
    }
    .resolve()?;
    let ctx = crate::pipeline::ProofContext { binding, salt, weight_salt };
    // Range errors surface here, before any proving work.
    crate::pipeline::witness(&art, &input, &ctx)?;
    let mut p = crate::progress::Progress::new(3, false);
    let (params, _) = p.step("loading the SRS", || crate::pipeline::params(&setup, art.plan.k))?;
    let (pk, _) = p.step("loading the proving key", || artifact::load_pk(&dir.pk(), &art))?;
    let (mut proof, _) = p.step("proving", || crate::pipeline::prove(&params, &pk, &art, &input, &ctx))?;
    let out = a.out.unwrap_or_else(|| dir.proof());
    let (outputs_fixed, outputs) = (proof.outputs_fixed.clone(), proof.outputs.clone());
    if art.instances.visibility.output != Visibility::Public {
        // The proof file is what a relayer and a requester are given: a hidden output's values
        // stay in the opening file (and on this terminal) only.
        proof.outputs_fixed.clear();
        proof.outputs.clear();
    }
    proof.save(&out)?;
    // A model tract cannot run still proves: the comparison is skipped, saying why.
    let acc = crate::pipeline::accuracy(&art, &input, &outputs_fixed).unwrap_or_else(|e| {
        eprintln!("note: no float reference to compare with (tract could not run the model: {e:#})");
        None
    });
    println!("wrote {} ({} proof bytes, {} public instances)", out.display(), proof.proof_bytes()?.len(), proof.instances.len());
    if let Some(opening) = OpeningArtifact::new(&art.plan.shape, &art.model, &art.model.quantise_input(&input)?, &outputs_fixed, salt, weight_salt)? {
        let path = out.with_extension("opening.json");
        opening.save(&path)?;
        if let Some(w) = &opening.weights {
            println!("weights commitment {} ({} values; instance 0)", w.commitment, w.count);
        }
        for (name, t) in [("input", &opening.input), ("output", &opening.output)] {
            if let Some(t) = t {
                println!("{name} commitment {}", t.commitment);
            }
        }
        println!("opening (values and salt): {}; keep it, it is not in the proof", path.display());
    }
    if let Some(b) = binding {
        println!("bound to {b} (binding instance {})", proof.binding);
    }
    match (art.accuracy, acc) {
        // The count is an integer in raw fixed-point units, not a value at scale 2^s.
        (Some(spec), _) => println!("{}/{} right (the number of correct answers; public instance {})", outputs_fixed.first().copied().unwrap_or(0), spec.samples, art.instances.outputs[0]),
        (None, Some(acc)) => {
            println!("outputs: {outputs:?}");
            println!("float model (tract): {:?}; max abs error {:.5}; argmax match {}", acc.float_outputs, acc.max_abs_err, acc.argmax_match)
        }
        (None, None) => println!("outputs: {outputs:?}"),
    }
    Ok(())
}
