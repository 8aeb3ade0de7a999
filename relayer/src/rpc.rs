//! The relayer's RPC access: every call has a timeout and updates [`Health`] and [`Metrics`];
//! transactions are built with explicit nonce, gas and fees, signed locally, and broadcast raw
//! (so the hash is known, and recorded, before the node sees the transaction).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{BlockNumberOrTag, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};

use crate::chain::revert_data;
use crate::metrics::{Health, Metrics};
use crate::revert::RevertDecoder;

/// Priority fee used when the node has no `eth_maxPriorityFeePerGas` (1 gwei).
const FALLBACK_PRIORITY_FEE: u128 = 1_000_000_000;

/// A failed RPC call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcFailure {
    /// The node could not be reached, or did not answer in time.
    #[error("node unreachable: {0}")]
    Unreachable(String),
    /// The node answered with an error.
    #[error("node error: {0}")]
    Node(String),
}

/// What the simulation ([`Rpc::simulate`]) said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Simulation {
    /// The call succeeds.
    Succeeds {
        /// The gas limit to send it with (margin included).
        gas: u64,
    },
    /// The call reverts.
    Reverts {
        /// The decoded reason.
        reason: String,
    },
    /// The call would need a gas limit over the per-job cap.
    OverGasCap {
        /// The gas limit it needs (margin included).
        gas: u64,
    },
    /// Not simulated: the call is not one the relayer makes (not on the allowlist, or its
    /// contract has no code).
    Refused {
        /// Why.
        reason: String,
    },
}

/// What a read-only call ([`Rpc::view`]) returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewCall {
    /// The return data.
    Returned(Bytes),
    /// It reverted, with this revert data.
    Reverted(Bytes),
}

/// What `eth_sendRawTransaction` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broadcast {
    /// Accepted into the pool.
    Accepted,
    /// The node already has it.
    AlreadyKnown,
    /// The nonce is already used.
    NonceTooLow(String),
    /// A transaction with this nonce and higher fees is pending.
    Underpriced(String),
    /// The signer cannot pay.
    InsufficientFunds(String),
    /// The fee cap is below the block's base fee.
    FeeTooLow(String),
    /// Any other refusal.
    Rejected(String),
    /// The node could not be reached.
    Unreachable(String),
}

impl Broadcast {
    /// The metrics label of an error ([`crate::metrics::BROADCAST_ERRORS`]).
    pub fn error_kind(&self) -> Option<&'static str> {
        match self {
            Broadcast::Accepted | Broadcast::AlreadyKnown => None,
            Broadcast::NonceTooLow(_) => Some("nonce_too_low"),
            Broadcast::Underpriced(_) => Some("underpriced"),
            Broadcast::InsufficientFunds(_) => Some("insufficient_funds"),
            Broadcast::FeeTooLow(_) => Some("fee_too_low"),
            Broadcast::Rejected(_) => Some("rejected"),
            Broadcast::Unreachable(_) => Some("unreachable"),
        }
    }

    fn classify(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        let has = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
        if has(&["already known", "known transaction", "already imported", "already exists", "alreadyknown"]) {
            Broadcast::AlreadyKnown
        } else if has(&["nonce too low", "nonce is too low", "oldnonce", "already finalized"]) {
            Broadcast::NonceTooLow(message.to_string())
        } else if has(&["underpriced", "replacement"]) {
            Broadcast::Underpriced(message.to_string())
        } else if has(&["insufficient funds", "insufficient balance"]) {
            Broadcast::InsufficientFunds(message.to_string())
        } else if has(&["base fee", "basefee", "fee cap", "feecap", "max fee per gas less"]) {
            Broadcast::FeeTooLow(message.to_string())
        } else {
            Broadcast::Rejected(message.to_string())
        }
    }
}

/// Fees of a transaction: EIP-1559 (`priority` set) or legacy (`max_fee` is the gas price).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// `maxFeePerGas`, or `gasPrice` for a legacy transaction.
    pub max_fee: u128,
    /// `maxPriorityFeePerGas`; `None` for a legacy transaction.
    pub priority: Option<u128>,
    /// The latest block's base fee (0 without EIP-1559).
    pub base_fee: u128,
}

/// A mined transaction's receipt, as far as the relayer needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// Whether it succeeded.
    pub status: bool,
    /// Gas used.
    pub gas_used: u64,
}

/// A signed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Its hash.
    pub hash: B256,
    /// Its EIP-2718 encoding.
    pub raw: Vec<u8>,
}

/// The relayer's view of the node.
#[derive(Clone)]
pub struct Rpc {
    provider: DynProvider,
    wallet: EthereumWallet,
    signer: Address,
    timeout: Duration,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rpc")
            .field("signer", &self.signer)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Rpc {
    /// A client for `url` (HTTP JSON-RPC) signing with `signer`; every call times out after
    /// `timeout`.
    pub fn new(
        url: &str,
        signer: PrivateKeySigner,
        timeout: Duration,
        health: Arc<Health>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let parsed: alloy::transports::http::reqwest::Url =
            url.parse().map_err(|e| format!("invalid RPC URL {url:?}: {e}"))?;
        let http = alloy::transports::http::reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        let client = RpcClient::new_http_with_client(http, parsed);
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_client(client)
            .erased();
        let address = signer.address();
        Ok(Self {
            provider,
            wallet: EthereumWallet::from(signer),
            signer: address,
            timeout,
            health,
            metrics,
        })
    }

    /// The signer's address.
    pub fn signer(&self) -> Address {
        self.signer
    }

    /// Runs one call with the timeout; records reachability. Node errors are returned, not counted.
    async fn raw<T>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, RpcError<TransportErrorKind>>>,
    ) -> Result<T, (RpcFailure, Option<RpcError<TransportErrorKind>>)> {
        match tokio::time::timeout(self.timeout, f).await {
            Err(_) => {
                let msg = format!("{what}: no answer within {:?}", self.timeout);
                self.health.error(&msg, true);
                self.metrics.rpc_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Err((RpcFailure::Unreachable(msg), None))
            }
            Ok(Ok(v)) => {
                self.health.ok();
                Ok(v)
            }
            Ok(Err(e)) => {
                let failure = match is_unreachable(&e) {
                    true => {
                        let msg = format!("{what}: {e}");
                        self.health.error(&msg, true);
                        self.metrics.rpc_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        RpcFailure::Unreachable(msg)
                    }
                    false => {
                        self.health.ok();
                        RpcFailure::Node(format!("{what}: {e}"))
                    }
                };
                Err((failure, Some(e)))
            }
        }
    }

    /// [`Rpc::raw`], counting node errors as RPC errors too.
    async fn call<T>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, RpcError<TransportErrorKind>>>,
    ) -> Result<T, RpcFailure> {
        self.raw(what, f).await.map_err(|(failure, _)| {
            if let RpcFailure::Node(msg) = &failure {
                self.metrics.rpc_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.health.error(msg, false);
            }
            failure
        })
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcFailure> {
        self.call("eth_chainId", async { self.provider.get_chain_id().await }).await
    }

    /// `eth_blockNumber` (also recorded as the health's head).
    pub async fn block_number(&self) -> Result<u64, RpcFailure> {
        let n = self
            .call("eth_blockNumber", async { self.provider.get_block_number().await })
            .await?;
        self.health.head(n);
        Ok(n)
    }

    /// The signer's transaction count at the latest block (the next nonce to be mined).
    pub async fn mined_nonce(&self) -> Result<u64, RpcFailure> {
        self.call("eth_getTransactionCount", async {
            self.provider.get_transaction_count(self.signer).latest().await
        })
        .await
    }

    /// The signer's transaction count including the node's pending pool.
    pub async fn pending_nonce(&self) -> Result<u64, RpcFailure> {
        self.call("eth_getTransactionCount", async {
            self.provider.get_transaction_count(self.signer).pending().await
        })
        .await
    }

    /// `eth_getCode` at the latest block.
    pub async fn code(&self, address: Address) -> Result<Bytes, RpcFailure> {
        self.call("eth_getCode", async { self.provider.get_code_at(address).await }).await
    }

    /// An `eth_call` of `data` to `to` from the signer, at the latest block (a view: nothing is
    /// sent). A revert is an answer, not a failure.
    pub async fn view(&self, to: Address, data: &[u8]) -> Result<ViewCall, RpcFailure> {
        match self.raw("eth_call", async { self.provider.call(self.request(to, data)).await }).await {
            Ok(out) => Ok(ViewCall::Returned(out)),
            Err((failure, e)) => match e.as_ref().and_then(revert_data) {
                Some(data) => Ok(ViewCall::Reverted(data)),
                None => Err(self.count(failure)),
            },
        }
    }

    /// `eth_getTransactionReceipt`.
    pub async fn receipt(&self, hash: B256) -> Result<Option<Receipt>, RpcFailure> {
        let r = self
            .call("eth_getTransactionReceipt", async {
                self.provider.get_transaction_receipt(hash).await
            })
            .await?;
        Ok(r.and_then(|r| {
            Some(Receipt {
                tx_hash: r.transaction_hash,
                block_number: r.block_number?,
                block_hash: r.block_hash?,
                status: r.status(),
                gas_used: r.gas_used,
            })
        }))
    }

    /// The signer's transaction count at the end of block `block`.
    pub async fn nonce_at(&self, block: u64) -> Result<u64, RpcFailure> {
        self.call("eth_getTransactionCount", async {
            self.provider
                .get_transaction_count(self.signer)
                .block_id(alloy::eips::BlockId::number(block))
                .await
        })
        .await
    }

    /// The transaction that used the signer's `nonce`, searched in the `window` blocks up to
    /// `head` (binary search on the historical transaction count, then the block's transactions):
    /// its hash and block. `None` if it is not in the window or the node lacks the history.
    pub async fn nonce_user(&self, nonce: u64, head: u64, window: u64) -> Result<Option<(B256, u64)>, RpcFailure> {
        let mut lo = head.saturating_sub(window);
        let mut hi = head;
        let used = |n: u64| n > nonce;
        match self.nonce_at(hi).await {
            Ok(n) if used(n) => {}
            Ok(_) => return Ok(None),
            Err(RpcFailure::Node(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        if lo > 0 {
            match self.nonce_at(lo).await {
                Ok(n) if !used(n) => {}
                Ok(_) | Err(RpcFailure::Node(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        // Unused at the end of `lo` (block 0: nothing sent yet), used at the end of `hi`: the
        // transaction is in the first block after `lo` where it is used.
        if hi == 0 {
            return Ok(None);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match self.nonce_at(mid).await {
                Ok(n) if used(n) => hi = mid,
                Ok(_) => lo = mid,
                Err(RpcFailure::Node(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        let block = self
            .call("eth_getBlockByNumber", async {
                self.provider.get_block_by_number(BlockNumberOrTag::Number(hi)).full().await
            })
            .await?;
        let Some(block) = block else { return Ok(None) };
        use alloy::consensus::Transaction as _;
        let found = block
            .transactions
            .txns()
            .find(|t| t.inner.signer() == self.signer && t.inner.nonce() == nonce)
            .map(|t| (*t.inner.tx_hash(), hi));
        Ok(found)
    }

    /// Whether the node knows the transaction (pending or mined).
    pub async fn tx_known(&self, hash: B256) -> Result<bool, RpcFailure> {
        let t = self
            .call("eth_getTransactionByHash", async {
                self.provider.get_transaction_by_hash(hash).await
            })
            .await?;
        Ok(t.is_some())
    }

    /// Fees for a transaction now: EIP-1559 `2 × base fee + priority fee` when the latest block
    /// has a base fee, else the legacy gas price.
    pub async fn fees(&self) -> Result<Fees, RpcFailure> {
        let block = self
            .call("eth_getBlockByNumber", async {
                self.provider.get_block_by_number(BlockNumberOrTag::Latest).await
            })
            .await?
            .ok_or_else(|| RpcFailure::Node("eth_getBlockByNumber: no latest block".into()))?;
        match block.header.base_fee_per_gas {
            Some(base) => {
                let base = u128::from(base);
                let tip = match self
                    .raw("eth_maxPriorityFeePerGas", async {
                        self.provider.get_max_priority_fee_per_gas().await
                    })
                    .await
                {
                    Ok(t) => t,
                    Err((RpcFailure::Node(_), _)) => FALLBACK_PRIORITY_FEE,
                    Err((e, _)) => return Err(e),
                };
                Ok(Fees {
                    max_fee: base.saturating_mul(2).saturating_add(tip),
                    priority: Some(tip),
                    base_fee: base,
                })
            }
            None => {
                let price = self
                    .call("eth_gasPrice", async { self.provider.get_gas_price().await })
                    .await?;
                Ok(Fees {
                    max_fee: price,
                    priority: None,
                    base_fee: 0,
                })
            }
        }
    }

    fn request(&self, to: Address, data: &[u8]) -> TransactionRequest {
        TransactionRequest::default()
            .with_from(self.signer)
            .with_to(to)
            .with_input(Bytes::copy_from_slice(data))
            .with_value(U256::ZERO)
    }

    /// Simulates a call from the signer against the latest block and sizes its gas limit.
    ///
    /// `eth_createAccessList` executes it once and reports the gas used; the limit is that plus
    /// `margin_percent`, and an `eth_call` with exactly that gas limit must succeed (so the limit
    /// is known to be enough, refunds and the 63/64 rule included). A revert in either gives its
    /// decoded reason. Nodes without `eth_createAccessList`, or a call that runs out of gas at
    /// that limit, fall back to `eth_estimateGas` (a binary search: many executions). A limit over
    /// `gas_cap` is [`Simulation::OverGasCap`].
    pub async fn simulate(
        &self,
        to: Address,
        data: &[u8],
        decoder: &RevertDecoder,
        margin_percent: u64,
        gas_cap: u64,
    ) -> Result<Simulation, RpcFailure> {
        let outcome = self.simulate_uncapped(to, data, decoder, margin_percent).await?;
        Ok(match outcome {
            Simulation::Succeeds { gas } if gas > gas_cap => Simulation::OverGasCap { gas },
            other => other,
        })
    }

    async fn simulate_uncapped(
        &self,
        to: Address,
        data: &[u8],
        decoder: &RevertDecoder,
        margin_percent: u64,
    ) -> Result<Simulation, RpcFailure> {
        let req = self.request(to, data);
        let with_margin = |gas: u64| gas.saturating_add(gas.saturating_mul(margin_percent) / 100).max(21_000);
        let gas_used = match self
            .raw("eth_createAccessList", async { self.provider.create_access_list(&req).await })
            .await
        {
            Ok(r) if r.error.is_none() => Some(u64::try_from(r.gas_used).unwrap_or(u64::MAX)),
            Ok(_) => None, // reverted: the plain eth_call below says why
            Err((RpcFailure::Unreachable(m), _)) => return Err(RpcFailure::Unreachable(m)),
            Err((RpcFailure::Node(_), e)) => match self.reverted(&e, decoder) {
                Some(reason) => return Ok(Simulation::Reverts { reason }),
                None => None, // unsupported: estimate below
            },
        };
        let limited = match gas_used {
            Some(g) => req.clone().with_gas_limit(with_margin(g)),
            None => req.clone(),
        };
        match self.raw("eth_call", async { self.provider.call(limited).await }).await {
            Ok(_) => {
                if let Some(g) = gas_used {
                    return Ok(Simulation::Succeeds { gas: with_margin(g) });
                }
            }
            Err((failure, e)) => match self.reverted(&e, decoder) {
                Some(reason) if gas_used.is_none() || reason != "reverted without a reason" => {
                    return Ok(Simulation::Reverts { reason })
                }
                Some(_) => {} // possibly out of gas at the limit: estimate below
                None => return Err(self.count(failure)),
            },
        }
        match self
            .raw("eth_estimateGas", async { self.provider.estimate_gas(req).await })
            .await
        {
            Ok(gas) => Ok(Simulation::Succeeds { gas: with_margin(gas) }),
            Err((failure, e)) => match self.reverted(&e, decoder) {
                Some(reason) => Ok(Simulation::Reverts { reason }),
                None => Err(self.count(failure)),
            },
        }
    }

    fn reverted(&self, e: &Option<RpcError<TransportErrorKind>>, decoder: &RevertDecoder) -> Option<String> {
        e.as_ref().and_then(revert_data).map(|d| {
            decoder
                .decode(&d)
                .unwrap_or_else(|| "reverted without a reason".to_string())
        })
    }

    fn count(&self, failure: RpcFailure) -> RpcFailure {
        if let RpcFailure::Node(msg) = &failure {
            self.metrics.rpc_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.health.error(msg, false);
        }
        failure
    }

    /// Signs a call with an explicit nonce, gas limit and fees.
    pub async fn sign(
        &self,
        chain_id: u64,
        to: Address,
        data: &[u8],
        nonce: u64,
        gas_limit: u64,
        fees: Fees,
    ) -> Result<Signed, String> {
        let mut req = self
            .request(to, data)
            .with_nonce(nonce)
            .with_gas_limit(gas_limit)
            .with_chain_id(chain_id);
        match fees.priority {
            Some(tip) => {
                req = req
                    .with_max_fee_per_gas(fees.max_fee)
                    .with_max_priority_fee_per_gas(tip.min(fees.max_fee));
            }
            None => req = req.with_gas_price(fees.max_fee),
        }
        let envelope = req
            .build(&self.wallet)
            .await
            .map_err(|e| format!("signing: {e}"))?;
        Ok(Signed {
            hash: *envelope.tx_hash(),
            raw: envelope.encoded_2718(),
        })
    }

    /// `eth_sendRawTransaction`, classified.
    pub async fn broadcast(&self, raw: &[u8]) -> Broadcast {
        match self
            .raw("eth_sendRawTransaction", async {
                self.provider.send_raw_transaction(raw).await.map(|_| ())
            })
            .await
        {
            Ok(()) => Broadcast::Accepted,
            Err((RpcFailure::Unreachable(m), _)) => Broadcast::Unreachable(m),
            Err((RpcFailure::Node(m), _)) => Broadcast::classify(&m),
        }
    }
}

/// Whether an error means the node was not reached (transport failure).
fn is_unreachable(e: &RpcError<TransportErrorKind>) -> bool {
    matches!(e, RpcError::Transport(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_errors_are_classified() {
        assert_eq!(Broadcast::classify("already known"), Broadcast::AlreadyKnown);
        assert!(matches!(Broadcast::classify("nonce too low: next nonce 5, tx nonce 3"), Broadcast::NonceTooLow(_)));
        assert!(matches!(Broadcast::classify("replacement transaction underpriced"), Broadcast::Underpriced(_)));
        assert!(matches!(Broadcast::classify("Insufficient funds for gas * price + value"), Broadcast::InsufficientFunds(_)));
        assert!(matches!(Broadcast::classify("max fee per gas less than block base fee"), Broadcast::FeeTooLow(_)));
        assert!(matches!(Broadcast::classify("something else"), Broadcast::Rejected(_)));
    }
}
