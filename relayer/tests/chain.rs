//! Real solc (via the wrapper) + real anvil: compile, deploy, call, send, revert reasons.

#![allow(clippy::unwrap_used)]

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol;
use alloy::sol_types::{SolCall, SolError};
use zkinfer_relayer::solc::{compile, CompilerSettings, SolcError};
use zkinfer_relayer::{Chain, ChainError, LocalChain};

const STORE: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Store {
    uint256 public value;
    error TooBig(uint256 given, uint256 max);
    constructor(uint256 initial) payable { value = initial; }
    function set(uint256 v) external {
        if (v > 1000) revert TooBig(v, 1000);
        value = v;
    }
    function fail(string calldata why) external pure { require(false, why); }
    function deposit() external payable {}
}
"#;

sol! {
    function value() external view returns (uint256);
    function set(uint256 v) external;
    function fail(string why) external;
    function deposit() external payable;
    error TooBig(uint256 given, uint256 max);
}

fn store_initcode(initial: u64) -> Vec<u8> {
    let c = compile(
        &[("Store.sol".into(), STORE.into())],
        "Store",
        &CompilerSettings::default(),
    )
    .expect("Store compiles with the located solc");
    assert!(!c.deployed_bytecode.is_empty());
    assert!(c.abi.as_array().is_some_and(|a| !a.is_empty()));
    let mut code = c.bytecode;
    code.extend_from_slice(&U256::from(initial).to_be_bytes::<32>());
    code
}

async fn read_value(chain: &Chain, at: Address) -> U256 {
    let out = chain
        .call(at, valueCall {}.abi_encode().into())
        .await
        .expect("rpc");
    assert!(out.success, "{out:?}");
    valueCall::abi_decode_returns(&out.output).expect("uint256")
}

#[tokio::test]
async fn deploy_call_send_and_revert_reasons() {
    let node = LocalChain::start().expect("anvil starts");
    let dep = node.deploy(store_initcode(7)).await.expect("deploys");
    assert!(dep.gas_used > 21_000);
    assert!(!node.code(dep.address).await.expect("rpc").is_empty());
    assert_eq!(read_value(&node, dep.address).await, U256::from(7));

    // A real state-changing transaction.
    let tx = node
        .send(
            dep.address,
            setCall { v: U256::from(99) }.abi_encode().into(),
            U256::ZERO,
        )
        .await;
    let tx = tx.expect("rpc");
    assert!(tx.status && tx.revert_reason.is_none(), "{tx:?}");
    assert_eq!(read_value(&node, dep.address).await, U256::from(99));

    // Error(string) decoded from eth_call.
    let out = node
        .call(
            dep.address,
            failCall {
                why: "no way".into(),
            }
            .abi_encode()
            .into(),
        )
        .await;
    let out = out.expect("a revert is not an RPC error");
    assert!(!out.success);
    assert_eq!(out.revert_reason.as_deref(), Some("no way"));

    // A custom error, sent anyway: mined with status 0 and the revert recorded on-chain.
    let tx = node
        .send(
            dep.address,
            setCall {
                v: U256::from(5000),
            }
            .abi_encode()
            .into(),
            U256::ZERO,
        )
        .await;
    let tx = tx.expect("rpc");
    assert!(!tx.status, "{tx:?}");
    let receipt = node
        .provider()
        .get_transaction_receipt(tx.tx_hash)
        .await
        .expect("rpc")
        .expect("mined");
    assert!(!receipt.status(), "the revert is recorded on-chain");
    let data = tx
        .revert_data
        .clone()
        .expect("revert data from the estimate");
    let err = TooBig::abi_decode(&data).expect("TooBig");
    assert_eq!((err.given, err.max), (U256::from(5000), U256::from(1000)));
    let reason = tx.revert_reason.expect("reason");
    assert!(
        reason.starts_with(&format!("custom error 0x{}", hex::encode(TooBig::SELECTOR))),
        "{reason}"
    );
    assert_eq!(
        read_value(&node, dep.address).await,
        U256::from(99),
        "state unchanged"
    );

    // Value transfer and balances; gas estimate.
    let before = node.balance(dep.address).await.expect("rpc");
    let gas = node
        .estimate_gas(
            dep.address,
            depositCall {}.abi_encode().into(),
            U256::from(5),
        )
        .await;
    assert!(gas.expect("estimate") >= 21_000);
    let tx = node
        .send(
            dep.address,
            depositCall {}.abi_encode().into(),
            U256::from(5),
        )
        .await
        .expect("rpc");
    assert!(tx.status);
    assert_eq!(
        node.balance(dep.address).await.expect("rpc"),
        before + U256::from(5)
    );
}

#[tokio::test]
async fn deploy_that_reverts_is_an_error() {
    let node = LocalChain::start().expect("anvil starts");
    // Initcode that reverts immediately: PUSH1 0 PUSH1 0 REVERT.
    let err = node.deploy(vec![0x60, 0x00, 0x60, 0x00, 0xfd]).await;
    assert!(
        matches!(err, Err(ChainError::DeployReverted { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn second_signer_is_funded_and_distinct() {
    let node = LocalChain::start().expect("anvil starts");
    let other = node.chain_for_key(1).expect("key 1");
    assert_ne!(other.address(), node.address());
    assert!(other.balance(other.address()).await.expect("rpc") > U256::ZERO);
}

#[test]
fn bad_inputs_are_typed_errors() {
    assert!(matches!(
        Chain::connect("not a url", "00"),
        Err(ChainError::BadUrl { .. })
    ));
    assert!(matches!(
        Chain::connect("http://127.0.0.1:1", "zz"),
        Err(ChainError::BadKey(_))
    ));
}

#[tokio::test]
async fn unreachable_endpoint_is_rpc_error() {
    let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let chain = Chain::connect("http://127.0.0.1:1", key).expect("valid inputs");
    assert!(matches!(
        chain.balance(Address::ZERO).await,
        Err(ChainError::Rpc(_))
    ));
}

#[test]
fn solc_errors_carry_formatted_messages() {
    let src = "pragma solidity ^0.8.20; contract Broken { function f() public { uint x = } }";
    let err = compile(
        &[("Broken.sol".into(), src.into())],
        "Broken",
        &CompilerSettings::default(),
    );
    match err {
        Err(SolcError::Compilation(msgs)) => {
            assert!(
                msgs.iter()
                    .any(|m| m.contains("ParserError") && m.contains("Broken.sol")),
                "{msgs:?}"
            )
        }
        other => panic!("expected a compilation error, got {other:?}"),
    }
}

#[test]
fn interface_is_not_deployable() {
    let src = "pragma solidity ^0.8.20; interface I { function f() external; }";
    let err = compile(
        &[("I.sol".into(), src.into())],
        "I",
        &CompilerSettings::default(),
    );
    assert!(
        matches!(err, Err(SolcError::NotDeployable { .. })),
        "{err:?}"
    );
}

/// The wrapper must pass > 64 KiB of standard-JSON output through intact (node pipes cut it).
#[test]
fn large_output_survives_the_wrapper() {
    let mut src = String::from("pragma solidity ^0.8.20; contract Big {\n");
    for i in 0..400 {
        src.push_str(&format!(
            "  event E{i}(uint256 indexed a, address b, bytes32 c);\n  function f{i}(uint256 a, address b) external returns (uint256) {{ emit E{i}(a, b, bytes32(a)); return a + {i}; }}\n"
        ));
    }
    src.push('}');
    let settings = CompilerSettings {
        optimizer: false,
        ..CompilerSettings::default()
    };
    let c = compile(&[("Big.sol".into(), src)], "Big", &settings).expect("Big compiles");
    let abi_len = c.abi.to_string().len();
    assert!(
        abi_len > 64 * 1024,
        "ABI alone should exceed 64 KiB, got {abi_len}"
    );
    assert_eq!(c.abi.as_array().map(Vec::len), Some(800));
    assert!(c.bytecode.len() > 10_000);
    let _ = Bytes::from(c.deployed_bytecode);
}
