//! `zkinfer`: prove ML inference with halo2 KZG and verify it on Ethereum.
//!
//! One file per subcommand under `cmd/`; the work lives in the libraries.

mod accuracy_demo;
mod bind;
mod cmd;
mod deployment;
mod e2e;
#[cfg(test)]
mod help_check;
mod hex32;
mod onchain;
mod pipeline;
mod progress;
mod public_circuit;
mod relay;
mod tamper;

use clap::{Parser, Subcommand};

/// zkinfer: zero-knowledge proofs of ONNX model inference, verified on Ethereum.
#[derive(Debug, Parser)]
#[command(name = "zkinfer", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile an ONNX model to a circuit (writes DIR/circuit.json).
    Compile(cmd::compile::Args),
    /// Generate proving and verifying keys (writes DIR/pk.bin, DIR/vk.bin, DIR/setup.json).
    Setup(cmd::setup::Args),
    /// Prove one inference (writes a proof.json).
    Prove(cmd::prove::Args),
    /// Compute the input commitment a proof will expose (hashed input), off-chain.
    Commit(cmd::commit::Args),
    /// Verify a proof natively.
    Verify(cmd::verify::Args),
    /// Audit a compiled circuit: no advice cell a gate reads is free for the prover.
    Audit(cmd::audit::Args),
    /// Emit the Solidity verifier contract.
    Verifier(cmd::verifier::Args),
    /// Print the calldata of a verifyProof or bounty claim call.
    Calldata(cmd::calldata::Args),
    /// Deploy the contract set and the verifier (or register it in an existing registry).
    Deploy(cmd::deploy::Args),
    /// Call the contracts: verify, request, fulfil, post, claim, refund, outputs.
    Onchain(cmd::onchain::Args),
    /// Run the relayer service: an HTTP API that gets every accepted proof on-chain exactly once.
    Relayer(Box<cmd::relayer::Args>),
    /// End-to-end demo on a local anvil: prove, verify on-chain, pay a bounty.
    Demo(cmd::demo::Args),
    /// Run the whole pipeline on a model and report sizes, times and gas.
    Bench(cmd::bench::Args),
    /// List the supported ONNX ops.
    Ops(cmd::ops::Args),
    /// Measure this machine's proving costs (the model `compile` chooses layouts with).
    Costmodel(cmd::costmodel::Args),
}

#[tokio::main]
async fn main() {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile(a) => cmd::compile::run(a),
        Command::Setup(a) => cmd::setup::run(a),
        Command::Prove(a) => cmd::prove::run(a),
        Command::Commit(a) => cmd::commit::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Verifier(a) => cmd::verifier::run(a),
        Command::Calldata(a) => cmd::calldata::run(a),
        Command::Deploy(a) => cmd::deploy::run(a).await,
        Command::Onchain(a) => cmd::onchain::run(a).await,
        Command::Relayer(a) => cmd::relayer::run(*a).await,
        Command::Demo(a) => cmd::demo::run(a).await,
        Command::Bench(a) => cmd::bench::run(a).await,
        Command::Ops(a) => cmd::ops::run(a),
        Command::Costmodel(a) => cmd::costmodel::run(a),
    };
    if let Err(e) = result {
        if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) {
            std::process::exit(0);
        }
        eprintln!("error: {}", error_message(&e));
        std::process::exit(1);
    }
}

/// The error and its causes, `: `-separated, leaving out a cause whose text the message already
/// holds (a file error that prints its OS error, and the OS error again as its source).
fn error_message(e: &anyhow::Error) -> String {
    let mut m = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if m.contains(&text) {
            continue;
        }
        if !m.is_empty() {
            m.push_str(": ");
        }
        m.push_str(&text);
    }
    m
}

/// A closed stdout (`zkinfer ops | head -1`) is a normal end: exit 0 without a message. Rust
/// ignores SIGPIPE, so printing to a closed pipe fails with `BrokenPipe`, which `println!` turns
/// into a panic: the hook ends the process quietly instead, wherever it printed from.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied()).unwrap_or("");
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
