// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {VerifierRegistry} from "../contracts/VerifierRegistry.sol";

// Where the real-proof suites deploy the paying contracts. ./script/gen-fixtures binds every
// fixture proof to FIXTURE_CLAIMANT and id 0 at FIXTURE_ESCROW (inference proofs) or
// FIXTURE_BOUNTY (accuracy proofs) on FIXTURE_CHAIN_ID (forge's default chain id), so the
// contracts these helpers deploy are the ones the proofs are for; any other deployment or chain
// refuses them (WrongClaimant). cli/tests/fixtures.rs checks the proofs carry these bindings.

// forge's default chain id (anvil's too).
uint256 constant FIXTURE_CHAIN_ID = 31337;
// The account the fixture proofs are bound to.
address constant FIXTURE_CLAIMANT = address(0xC1A1);
// The account that deploys the paying contracts, at nonce 0 (the escrow) and 1 (the bounty).
address constant FIXTURE_DEPLOYER = address(0xF1C57);
// `cast compute-address 0x…0F1C57 --nonce 0`.
address constant FIXTURE_ESCROW = 0x6F5C24958Fed809d848565E6Fcd716Bfa0333d11;
// `cast compute-address 0x…0F1C57 --nonce 1`.
address constant FIXTURE_BOUNTY = 0x2A7c509f9F483f465dc1c10F8e90e8fd9855De80;

/// @dev The InferenceEscrow the fixture inference proofs are bound to (at FIXTURE_ESCROW).
function deployFixtureEscrow(VerifierRegistry registry) returns (InferenceEscrow escrow) {
    vm.setNonceUnsafe(FIXTURE_DEPLOYER, 0);
    vm.prank(FIXTURE_DEPLOYER);
    escrow = new InferenceEscrow(registry);
    require(address(escrow) == FIXTURE_ESCROW, "the fixture escrow is not at FIXTURE_ESCROW");
}

/// @dev The ModelBounty the fixture accuracy proofs are bound to (at FIXTURE_BOUNTY).
function deployFixtureBounty(VerifierRegistry registry) returns (ModelBounty bounty) {
    vm.setNonceUnsafe(FIXTURE_DEPLOYER, 1);
    vm.prank(FIXTURE_DEPLOYER);
    bounty = new ModelBounty(registry);
    require(address(bounty) == FIXTURE_BOUNTY, "the fixture bounty is not at FIXTURE_BOUNTY");
}
