//! zkinfer relayer: the chain harness.
//!
//! - [`tools`]: locate the project-local EVM tools (`solc`, `anvil`, `forge`, `cast`).
//! - [`solc`]: compile Solidity through `solc --standard-json` (native or the solcjs wrapper).
//! - [`chain`]: deploy, call and transact on any RPC endpoint, or on a throwaway local anvil.
#![deny(missing_docs)]

pub mod chain;
pub mod solc;
pub mod tools;

pub use chain::{CallOutcome, Chain, ChainError, Deployment, LocalChain, TxOutcome};
pub use solc::{compile, CompiledContract, CompilerSettings, SolcError};
pub use tools::{locate, Tool, ToolError};
