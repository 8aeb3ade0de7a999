//! Talking to an EVM chain: [`Chain`] for any RPC endpoint, [`LocalChain`] for a throwaway anvil.

use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Panic, Revert, SolError};
use alloy::transports::{RpcError, TransportErrorKind};

use crate::tools::{self, Tool, ToolError};

/// Gas limit used to send a transaction whose gas estimate fails because it reverts, so that the
/// revert is still recorded on-chain. Below Osaka's per-transaction cap of 2^24.
pub const DEFAULT_REVERT_GAS_LIMIT: u64 = 10_000_000;

/// Chain access failures.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A tool (anvil) could not be located.
    #[error(transparent)]
    Tool(#[from] ToolError),
    /// The RPC URL does not parse.
    #[error("invalid RPC URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The private key is not a 32-byte hex secp256k1 key.
    #[error("invalid private key: {0}")]
    BadKey(String),
    /// anvil did not start.
    #[error("starting anvil at {path:?}: {reason}")]
    Anvil {
        /// The anvil binary.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// The RPC endpoint returned an error or could not be reached.
    #[error("RPC error: {0}")]
    Rpc(#[from] RpcError<TransportErrorKind>),
    /// Waiting for a receipt failed.
    #[error("waiting for receipt: {0}")]
    Receipt(String),
    /// A contract creation was mined but reverted.
    #[error("deployment reverted (tx {tx_hash}, gas used {gas_used}){}", fmt_reason(.revert_reason))]
    DeployReverted {
        /// The transaction.
        tx_hash: B256,
        /// Gas it used.
        gas_used: u64,
        /// Decoded revert reason, if the failure could be reproduced with eth_call.
        revert_reason: Option<String>,
    },
    /// A successful contract creation receipt without a contract address.
    #[error("deployment receipt {0} has no contract address")]
    NoContractAddress(B256),
}

fn fmt_reason(r: &Option<String>) -> String {
    r.as_ref().map(|r| format!(": {r}")).unwrap_or_default()
}

/// A deployed contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Its address.
    pub address: Address,
    /// Gas used by the creation transaction.
    pub gas_used: u64,
    /// The creation transaction.
    pub tx_hash: B256,
}

/// Result of an `eth_call`. A revert is a successful RPC with `success == false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Whether the call returned without reverting.
    pub success: bool,
    /// Return data, or revert data when `success` is false.
    pub output: Bytes,
    /// Decoded revert reason: the `Error(string)` message, `panic: ...`, or
    /// `custom error 0x<selector>` (see [`decode_revert`]).
    pub revert_reason: Option<String>,
}

/// Result of a mined transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Receipt status: true if it did not revert.
    pub status: bool,
    /// Gas used.
    pub gas_used: u64,
    /// The transaction hash.
    pub tx_hash: B256,
    /// Decoded revert reason (from the pre-flight estimate) for a reverted transaction.
    pub revert_reason: Option<String>,
    /// Raw revert data (from the pre-flight estimate) for a reverted transaction.
    pub revert_data: Option<Bytes>,
}

/// Decode revert data: `Error(string)` gives its message, `Panic(uint256)` gives `panic: ...`,
/// anything else with a selector gives `custom error 0x<selector>` followed by `(0x<args>)` when
/// there are arguments. Empty data gives `None`.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    if data.is_empty() {
        return None;
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return Some(r.reason);
    }
    if let Ok(p) = Panic::abi_decode(data) {
        return Some(format!("panic: {p}"));
    }
    match data.split_at_checked(4) {
        Some((sel, [])) => Some(format!("custom error 0x{}", hex::encode(sel))),
        Some((sel, args)) => Some(format!(
            "custom error 0x{}(0x{})",
            hex::encode(sel),
            hex::encode(args)
        )),
        None => Some(format!("revert data 0x{}", hex::encode(data))),
    }
}

/// If `err` is an execution revert, its revert data (possibly empty).
pub(crate) fn revert_data(err: &RpcError<TransportErrorKind>) -> Option<Bytes> {
    let payload = err.as_error_resp()?;
    let reverted = payload.message.contains("revert") || payload.as_revert_data().is_some();
    reverted.then(|| payload.as_revert_data().unwrap_or_default())
}

/// An RPC endpoint plus a local signing key.
#[derive(Clone)]
pub struct Chain {
    provider: DynProvider,
    signer: Address,
    url: String,
    revert_gas_limit: u64,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("url", &self.url)
            .field("signer", &self.signer)
            .finish()
    }
}

impl Chain {
    /// Connect to the HTTP JSON-RPC endpoint `url`, signing with `private_key_hex` (32 bytes,
    /// optional `0x`). Nothing is sent until the first request.
    pub fn connect(url: &str, private_key_hex: &str) -> Result<Self, ChainError> {
        let parsed: alloy::transports::http::reqwest::Url =
            url.parse().map_err(|e| ChainError::BadUrl {
                url: url.to_owned(),
                reason: format!("{e}"),
            })?;
        let signer: PrivateKeySigner = private_key_hex
            .trim()
            .trim_start_matches("0x")
            .parse()
            .map_err(|e| ChainError::BadKey(format!("{e}")))?;
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(parsed)
            .erased();
        Ok(Self {
            provider,
            signer: address,
            url: url.to_owned(),
            revert_gas_limit: DEFAULT_REVERT_GAS_LIMIT,
        })
    }

    /// Use `gas` as the limit for transactions whose estimate reverts (default
    /// [`DEFAULT_REVERT_GAS_LIMIT`]).
    pub fn with_revert_gas_limit(mut self, gas: u64) -> Self {
        self.revert_gas_limit = gas;
        self
    }

    /// The signer's address.
    pub fn address(&self) -> Address {
        self.signer
    }

    /// The RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying alloy provider (with wallet and recommended fillers).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    fn request(&self, to: Address, calldata: Bytes, value: U256) -> TransactionRequest {
        TransactionRequest::default()
            .with_from(self.signer)
            .with_to(to)
            .with_input(calldata)
            .with_value(value)
    }

    /// Sends `tx` with the gas limit `gas` and waits for its receipt.
    async fn submit(&self, tx: TransactionRequest, gas: u64) -> Result<alloy::rpc::types::TransactionReceipt, ChainError> {
        self.provider
            .send_transaction(tx.with_gas_limit(gas))
            .await?
            .get_receipt()
            .await
            .map_err(|e| ChainError::Receipt(e.to_string()))
    }

    /// Deploy `initcode` (constructor arguments appended) and wait for the receipt.
    pub async fn deploy(&self, initcode: Vec<u8>) -> Result<Deployment, ChainError> {
        let tx = TransactionRequest::default()
            .with_from(self.signer)
            .with_deploy_code(initcode);
        let gas = match self.provider.estimate_gas(tx.clone()).await {
            Ok(g) => g,
            Err(e) if revert_data(&e).is_some() => self.revert_gas_limit,
            Err(e) => return Err(e.into()),
        };
        let pre_reason = match self.provider.call(tx.clone()).await {
            Ok(_) => None,
            Err(e) => {
                revert_data(&e).map(|d| decode_revert(&d).unwrap_or_else(|| "reverted".into()))
            }
        };
        let receipt = self.submit(tx, gas).await?;
        let (tx_hash, gas_used) = (receipt.transaction_hash, receipt.gas_used);
        if !receipt.status() {
            return Err(ChainError::DeployReverted {
                tx_hash,
                gas_used,
                revert_reason: pre_reason,
            });
        }
        let address = receipt
            .contract_address
            .ok_or(ChainError::NoContractAddress(tx_hash))?;
        Ok(Deployment {
            address,
            gas_used,
            tx_hash,
        })
    }

    /// `eth_call` from the signer's address against the latest state.
    pub async fn call(&self, to: Address, calldata: Bytes) -> Result<CallOutcome, ChainError> {
        self.call_with_value(to, calldata, U256::ZERO).await
    }

    /// [`Chain::call`] with a call value.
    pub async fn call_with_value(
        &self,
        to: Address,
        calldata: Bytes,
        value: U256,
    ) -> Result<CallOutcome, ChainError> {
        match self.provider.call(self.request(to, calldata, value)).await {
            Ok(output) => Ok(CallOutcome {
                success: true,
                output,
                revert_reason: None,
            }),
            Err(e) => match revert_data(&e) {
                Some(data) => Ok(CallOutcome {
                    success: false,
                    revert_reason: decode_revert(&data)
                        .or_else(|| Some("reverted without data".into())),
                    output: data,
                }),
                None => Err(e.into()),
            },
        }
    }

    /// `eth_estimateGas` for a call from the signer. A revert is an `Rpc` error.
    pub async fn estimate_gas(
        &self,
        to: Address,
        calldata: Bytes,
        value: U256,
    ) -> Result<u64, ChainError> {
        Ok(self
            .provider
            .estimate_gas(self.request(to, calldata, value))
            .await?)
    }

    /// Send a real transaction and wait for its receipt. If the gas estimate reverts, the
    /// transaction is still sent, with the revert gas limit, so the revert is recorded on-chain;
    /// its reason is decoded from the estimate.
    pub async fn send(
        &self,
        to: Address,
        calldata: Bytes,
        value: U256,
    ) -> Result<TxOutcome, ChainError> {
        let tx = self.request(to, calldata, value);
        let (gas, revert) = match self.provider.estimate_gas(tx.clone()).await {
            Ok(g) => (g, None),
            Err(e) => match revert_data(&e) {
                Some(data) => (self.revert_gas_limit, Some(data)),
                None => return Err(e.into()),
            },
        };
        self.send_with_gas_inner(tx, gas, revert).await
    }

    /// Send a transaction with an explicit gas limit (no estimate) and wait for its receipt.
    pub async fn send_with_gas(
        &self,
        to: Address,
        calldata: Bytes,
        value: U256,
        gas_limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        self.send_with_gas_inner(self.request(to, calldata, value), gas_limit, None)
            .await
    }

    async fn send_with_gas_inner(
        &self,
        tx: TransactionRequest,
        gas: u64,
        revert: Option<Bytes>,
    ) -> Result<TxOutcome, ChainError> {
        let receipt = self.submit(tx, gas).await?;
        let status = receipt.status();
        let revert_data = if status { None } else { revert };
        Ok(TxOutcome {
            status,
            gas_used: receipt.gas_used,
            tx_hash: receipt.transaction_hash,
            revert_reason: revert_data.as_ref().and_then(|d| decode_revert(d)),
            revert_data,
        })
    }

    /// Balance of `addr` in wei.
    pub async fn balance(&self, addr: Address) -> Result<U256, ChainError> {
        Ok(self.provider.get_balance(addr).await?)
    }

    /// Runtime code at `addr`.
    pub async fn code(&self, addr: Address) -> Result<Bytes, ChainError> {
        Ok(self.provider.get_code_at(addr).await?)
    }
}

/// A throwaway anvil on a free loopback port, stopped when dropped, plus a [`Chain`] signing with
/// anvil's first (funded) key. Derefs to that [`Chain`].
pub struct LocalChain {
    chain: Chain,
    anvil: AnvilInstance,
}

impl fmt::Debug for LocalChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalChain")
            .field("endpoint", &self.anvil.endpoint())
            .field("chain", &self.chain)
            .finish()
    }
}

impl LocalChain {
    /// Start the located anvil (see [`crate::tools`]).
    pub fn start() -> Result<Self, ChainError> {
        let anvil = tools::locate(Tool::Anvil)?;
        Self::start_at(&anvil)
    }

    /// Start the anvil binary at `path`.
    pub fn start_at(path: &Path) -> Result<Self, ChainError> {
        let anvil = Anvil::at(path).try_spawn().map_err(|e| ChainError::Anvil {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let key = Self::key_hex_of(&anvil, 0)?;
        let chain = Chain::connect(&anvil.endpoint(), &key)?;
        Ok(Self { chain, anvil })
    }

    fn key_hex_of(anvil: &AnvilInstance, idx: usize) -> Result<String, ChainError> {
        anvil
            .nth_key(idx)
            .map(|k| hex::encode(k.to_bytes()))
            .ok_or_else(|| ChainError::BadKey(format!("anvil has no key #{idx}")))
    }

    /// The [`Chain`] signing with anvil's first key.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// A [`Chain`] on this node signing with anvil's key number `idx` (0..10, all funded).
    pub fn chain_for_key(&self, idx: usize) -> Result<Chain, ChainError> {
        Chain::connect(&self.anvil.endpoint(), &Self::key_hex_of(&self.anvil, idx)?)
    }

    /// Anvil's development key number `idx` as a signer (for a relayer signing on this node).
    pub fn signer_for_key(&self, idx: usize) -> Result<alloy::signers::local::PrivateKeySigner, ChainError> {
        self.anvil.nth_key(idx).map(alloy::signers::local::PrivateKeySigner::from).ok_or_else(|| ChainError::BadKey(format!("anvil has no key #{idx}")))
    }

    /// The HTTP endpoint, e.g. `http://localhost:PORT`.
    pub fn endpoint(&self) -> String {
        self.anvil.endpoint()
    }

    /// Advance the chain clock by `seconds` and mine a block (anvil's `evm_increaseTime`).
    pub async fn increase_time(&self, seconds: u64) -> Result<(), ChainError> {
        let p = self.chain.provider();
        let _: serde_json::Value = p.raw_request("evm_increaseTime".into(), (seconds,)).await?;
        let _: serde_json::Value = p.raw_request("evm_mine".into(), ()).await?;
        Ok(())
    }

    /// Timestamp of the latest block.
    pub async fn latest_timestamp(&self) -> Result<u64, ChainError> {
        let block = self
            .chain
            .provider()
            .get_block_by_number(alloy::rpc::types::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| ChainError::Receipt("no latest block".into()))?;
        Ok(block.header.timestamp)
    }
}

impl Deref for LocalChain {
    type Target = Chain;
    fn deref(&self) -> &Chain {
        &self.chain
    }
}
