//! zkinfer relayer: the chain harness, and the relayer service that gets every accepted proof
//! on-chain exactly once.
//!
//! Chain harness:
//! - [`tools`]: locate the project-local EVM tools (`solc`, `anvil`, `forge`, `cast`).
//! - [`solc`]: compile Solidity through `solc --standard-json` (native or the solcjs wrapper).
//! - [`chain`]: deploy, call and transact on any RPC endpoint, or on a throwaway local anvil.
//!
//! Relayer service (see `docs/relayer.md`):
//! - [`service::Relayer`]: start with a [`config::RelayerConfig`], submit [`job::JobRequest`]s,
//!   read [`job::Job`]s, serve the [`http`] API, shut down.
//! - [`allowlist`]: the only contracts and methods it calls (ModelBounty.claim,
//!   InferenceEscrow.fulfil, selectors from the compiled ABIs); [`preflight`]: their checks at
//!   start (code, registry, the signer not owning the registry).
//! - [`auth`]: the API's bearer tokens and per-token budgets.
//! - [`circuit::CircuitVerifier`]: native verification, so no gas is paid for a bad proof.
//! - [`store`]: the SQLite job database; [`engine`], [`sender`], [`monitor`]: simulate, send
//!   with managed nonces, follow to confirmation (resend, fee bump, reorgs).
//! - [`client::RelayerClient`]: the HTTP API from Rust.
#![deny(missing_docs)]

pub mod allowlist;
pub mod auth;
pub mod chain;
pub mod circuit;
pub mod client;
pub mod config;
mod engine;
pub mod http;
pub mod job;
pub mod keys;
pub mod metrics;
mod monitor;
pub mod preflight;
pub mod revert;
pub mod rpc;
mod sender;
pub mod service;
pub mod solc;
pub mod store;
pub mod tools;

pub use allowlist::{AllowedContract, Allowlist, AllowlistError, ContractAbis, ContractKind, DeploymentFile, PayingMethod};
pub use auth::{ApiAccess, ApiToken, ApiTokens, AuthError, ReadAccess};
pub use chain::{CallOutcome, Chain, ChainError, Deployment, LocalChain, TxOutcome};
pub use circuit::{CircuitError, CircuitVerifier, ProofError};
pub use client::{ApiResponse, ClientError, RelayerClient};
pub use config::RelayerConfig;
pub use http::{HttpLimits, HttpServer};
pub use job::{job_key, Attempt, Job, JobRequest, JobState, MethodName, ProofPayload, RequestError};
pub use keys::{signer_from_env, signer_from_hex, signer_from_keystore, KeyError};
pub use metrics::HealthReport;
pub use preflight::ContractCheckError;
pub use revert::RevertDecoder;
pub use service::{Relayer, RelayerError, SubmitError, Submission};
pub use solc::{compile, compile_many, CompiledContract, CompilerSettings, SolcError};
pub use tools::{locate, Tool, ToolError};

/// The alloy signer type the relayer signs with.
pub use alloy::signers::local::PrivateKeySigner;
