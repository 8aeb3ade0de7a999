//! contracts/ModelBounty.sol compiled with the real solc and driven through the Rust API on anvil.
//! The verifier here is a bookkeeping-only stand-in; real proofs are covered by
//! test/ModelBountyRealProof.t.sol (forge) once the prover's fixtures exist.

#![allow(clippy::unwrap_used)]

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol;
use alloy::sol_types::{SolCall, SolError};
use zkinfer_relayer::solc::{compile, read_sources, CompilerSettings};
use zkinfer_relayer::tools::find_workspace_from;
use zkinfer_relayer::{Chain, LocalChain, TxOutcome};

/// NOT A VERIFIER: accepts or rejects every proof per its constructor flag. For bookkeeping tests.
const BOOKKEEPING_ONLY_VERIFIER: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {IHalo2Verifier} from "contracts/IHalo2Verifier.sol";
/// Bookkeeping tests only: the answer does not depend on the proof.
contract BookkeepingOnlyVerifier is IHalo2Verifier {
    bool public immutable accept;
    constructor(bool accept_) { accept = accept_; }
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) { return accept; }
}
"#;

sol! {
    function nextBountyId() external view returns (uint256);
    function post(address verifier, uint256 modelCommitment, uint64 deadline) external payable returns (uint256 id);
    function claim(uint256 id, bytes proof, uint256[] instances) external;
    function refund(uint256 id) external;
    #[derive(Debug, PartialEq, Eq)]
    error BountyAlreadyPaid(uint256 id);
    #[derive(Debug, PartialEq, Eq)]
    error BountyAlreadyRefunded(uint256 id);
    #[derive(Debug, PartialEq, Eq)]
    error BountyExpired(uint256 id, uint64 deadline);
    #[derive(Debug, PartialEq, Eq)]
    error BountyNotExpired(uint256 id, uint64 deadline);
    #[derive(Debug, PartialEq, Eq)]
    error WrongModelCommitment(uint256 expected, uint256 actual);
    #[derive(Debug, PartialEq, Eq)]
    error ProofRejected(uint256 id);
    #[derive(Debug, PartialEq, Eq)]
    error NotPoster(address caller);
}

const COMMITMENT: u64 = 0xC0FFEE;

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

struct Setup {
    node: LocalChain,
    claimant: Chain,
    bounty: Address,
    yes: Address,
    no: Address,
}

async fn setup() -> Setup {
    let root = find_workspace_from(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root");
    let mut sources = read_sources(
        &root,
        &["contracts/ModelBounty.sol", "contracts/IHalo2Verifier.sol"],
    )
    .expect("sources");
    sources.push((
        "BookkeepingOnlyVerifier.sol".into(),
        BOOKKEEPING_ONLY_VERIFIER.into(),
    ));
    let settings = CompilerSettings::default();
    let bounty = compile(&sources, "ModelBounty", &settings).expect("ModelBounty compiles");
    let verifier =
        compile(&sources, "BookkeepingOnlyVerifier", &settings).expect("verifier compiles");

    let node = LocalChain::start().expect("anvil starts");
    let claimant = node.chain_for_key(1).expect("second key");
    let deploy_verifier = |accept: bool| {
        let mut code = verifier.bytecode.clone();
        code.extend_from_slice(&U256::from(accept as u8).to_be_bytes::<32>());
        code
    };
    let bounty = node
        .deploy(bounty.bytecode)
        .await
        .expect("deploy bounty")
        .address;
    let yes = node
        .deploy(deploy_verifier(true))
        .await
        .expect("deploy yes")
        .address;
    let no = node
        .deploy(deploy_verifier(false))
        .await
        .expect("deploy no")
        .address;
    Setup {
        node,
        claimant,
        bounty,
        yes,
        no,
    }
}

impl Setup {
    async fn post(&self, verifier: Address, amount: U256, deadline: u64) -> U256 {
        let next = self
            .node
            .call(self.bounty, nextBountyIdCall {}.abi_encode().into())
            .await
            .expect("rpc");
        let id = nextBountyIdCall::abi_decode_returns(&next.output).expect("uint256");
        let call = postCall {
            verifier,
            modelCommitment: U256::from(COMMITMENT),
            deadline,
        };
        let tx = self
            .node
            .send(self.bounty, call.abi_encode().into(), amount)
            .await
            .expect("rpc");
        assert!(tx.status, "post failed: {tx:?}");
        id
    }

    async fn claim(&self, id: U256, first_instance: u64) -> TxOutcome {
        let call = claimCall {
            id,
            proof: Bytes::from_static(b"not a proof: bookkeeping verifier"),
            // [model commitment, binding (ModelBounty.bindingOf(claimant, id)), an output]
            instances: vec![
                U256::from(first_instance),
                U256::from_be_slice(self.claimant.address().as_slice()) | (id << 160),
                U256::from(5),
            ],
        };
        self.claimant
            .send(self.bounty, call.abi_encode().into(), U256::ZERO)
            .await
            .expect("rpc")
    }

    async fn refund(&self, from: &Chain, id: U256) -> TxOutcome {
        from.send(
            self.bounty,
            refundCall { id }.abi_encode().into(),
            U256::ZERO,
        )
        .await
        .expect("rpc")
    }

    async fn fee(&self, tx: &TxOutcome) -> U256 {
        let r = self
            .node
            .provider()
            .get_transaction_receipt(tx.tx_hash)
            .await
            .expect("rpc")
            .expect("mined");
        U256::from(r.gas_used) * U256::from(r.effective_gas_price)
    }
}

fn assert_reverted_with<E: SolError + PartialEq + std::fmt::Debug>(tx: &TxOutcome, expected: E) {
    assert!(!tx.status, "expected a revert, got {tx:?}");
    let data = tx.revert_data.as_ref().expect("revert data");
    assert_eq!(
        E::abi_decode(data).ok(),
        Some(expected),
        "{:?}",
        tx.revert_reason
    );
}

#[tokio::test]
async fn post_claim_pays_once() {
    let s = setup().await;
    let deadline = s.node.latest_timestamp().await.expect("rpc") + 3600;
    let id = s.post(s.yes, eth(2), deadline).await;
    assert_eq!(s.node.balance(s.bounty).await.expect("rpc"), eth(2));

    // Wrong model commitment: rejected before the verifier is asked.
    let tx = s.claim(id, COMMITMENT + 1).await;
    let expected = WrongModelCommitment {
        expected: U256::from(COMMITMENT),
        actual: U256::from(COMMITMENT + 1),
    };
    assert_reverted_with(&tx, expected);

    let before = s.claimant.balance(s.claimant.address()).await.expect("rpc");
    let tx = s.claim(id, COMMITMENT).await;
    assert!(tx.status, "{tx:?}");
    let after = s.claimant.balance(s.claimant.address()).await.expect("rpc");
    assert_eq!(
        after + s.fee(&tx).await,
        before + eth(2),
        "claimant receives exactly the bounty"
    );
    assert_eq!(s.node.balance(s.bounty).await.expect("rpc"), U256::ZERO);

    let tx = s.claim(id, COMMITMENT).await;
    assert_reverted_with(&tx, BountyAlreadyPaid { id });
}

#[tokio::test]
async fn rejected_proof_is_not_paid() {
    let s = setup().await;
    let deadline = s.node.latest_timestamp().await.expect("rpc") + 3600;
    let id = s.post(s.no, eth(1), deadline).await;
    let tx = s.claim(id, COMMITMENT).await;
    assert_reverted_with(&tx, ProofRejected { id });
    assert_eq!(s.node.balance(s.bounty).await.expect("rpc"), eth(1));
}

#[tokio::test]
async fn refund_only_after_deadline_and_only_to_poster() {
    let s = setup().await;
    let deadline = s.node.latest_timestamp().await.expect("rpc") + 3600;
    let id = s.post(s.yes, eth(3), deadline).await;

    let tx = s.refund(&s.node, id).await;
    assert_reverted_with(&tx, BountyNotExpired { id, deadline });

    s.node.increase_time(3601).await.expect("evm_increaseTime");
    let tx = s.claim(id, COMMITMENT).await;
    assert_reverted_with(&tx, BountyExpired { id, deadline });
    let tx = s.refund(&s.claimant, id).await;
    assert_reverted_with(
        &tx,
        NotPoster {
            caller: s.claimant.address(),
        },
    );

    let before = s.node.balance(s.node.address()).await.expect("rpc");
    let tx = s.refund(&s.node, id).await;
    assert!(tx.status, "{tx:?}");
    let after = s.node.balance(s.node.address()).await.expect("rpc");
    assert_eq!(after + s.fee(&tx).await, before + eth(3));

    let tx = s.refund(&s.node, id).await;
    assert_reverted_with(&tx, BountyAlreadyRefunded { id });
}
