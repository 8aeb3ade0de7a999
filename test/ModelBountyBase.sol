// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {
    Assertions,
    BookkeepingOnlyVerifier,
    BookkeepingOnlyProofByteVerifier,
    BookkeepingOnlyGasBurner,
    BookkeepingOnlyOddReturn,
    TestToken,
    NoBoolToken,
    EtherRejecter,
    ReentrantReceiver
} from "./Mocks.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice Shared state, set-up and helpers of the ModelBounty bookkeeping suites
///         (ModelBounty.t.sol, ModelBountyPayouts.t.sol), with BookkeepingOnly* stand-ins for
///         the verifier. Real proofs: ModelBountyRealProof.t.sol.
abstract contract ModelBountyBase is Assertions {
    uint256 constant YES = 101; // circuit id of a verifier that accepts everything
    uint256 constant NO = 102; // circuit id of a verifier that rejects everything
    uint256 constant BYTE = 103; // circuit id of a verifier that accepts iff proof[0] == 0x01
    uint256 constant TEST_SET = 0x7e57;
    uint256 constant THRESHOLD = 90;
    uint256 constant SIZE = 128; // samples of the test set
    uint256 constant MODEL = 0x40de1;
    uint256 constant AMOUNT = 1 ether;

    VerifierRegistry registry;
    ModelBounty bounty;
    BookkeepingOnlyVerifier yes;
    BookkeepingOnlyVerifier no;
    BookkeepingOnlyProofByteVerifier byteVerifier;
    TestToken token;
    NoBoolToken noBool;
    address poster = address(0xB0B);
    address hunter = address(0xC1A1);
    address thief = address(0x7111EF);
    uint64 deadline;

    function setUp() public {
        vm.warp(1_000_000);
        deadline = uint64(block.timestamp + 1 days);
        registry = new VerifierRegistry(true);
        yes = new BookkeepingOnlyVerifier(YES, true);
        no = new BookkeepingOnlyVerifier(NO, false);
        byteVerifier = new BookkeepingOnlyProofByteVerifier(BYTE);
        registry.register(address(yes));
        registry.register(address(no));
        registry.register(address(byteVerifier));
        bounty = new ModelBounty(registry);
        token = new TestToken();
        noBool = new NoBoolToken();
        vm.deal(poster, 100 ether);
        token.mint(poster, 100 ether);
        noBool.mint(poster, 100 ether);
        vm.startPrank(poster);
        token.approve(address(bounty), type(uint256).max);
        noBool.approve(address(bounty), type(uint256).max);
        vm.stopPrank();
    }

    // ---- helpers ---------------------------------------------------------------------------

    /// bindingOf(who, id) of the bounty under test, computed locally.
    function _binding(address who, uint256 id) internal view returns (uint256) {
        return _bindingFor(address(bounty), who, id);
    }

    function _post(uint256 circuitId) internal returns (uint256 id) {
        vm.prank(poster);
        id = bounty.post{value: AMOUNT}(circuitId, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
    }

    function _postToken(address tok, uint256 amount) internal returns (uint256 id) {
        vm.prank(poster);
        id = bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, tok, amount);
    }

    /// Instances of a claim of bounty `id` bound to `who`: [model, binding, test set, correct].
    function _inst(uint256 id, address who, uint256 correct) internal view returns (uint256[] memory inst) {
        inst = new uint256[](4);
        inst[0] = MODEL;
        inst[1] = _binding(who, id);
        inst[2] = TEST_SET;
        inst[3] = correct;
    }

    function _claim(uint256 id) internal {
        uint256[] memory inst = _inst(id, hunter, THRESHOLD);
        vm.prank(hunter);
        bounty.claim(id, hex"01", inst);
    }

    function _expectClaimRevert(uint256 id, uint256[] memory inst, bytes memory err) internal {
        vm.prank(hunter);
        vm.expectRevert(err);
        bounty.claim(id, hex"01", inst);
    }

    function _status(uint256 id) internal view returns (ModelBounty.Status) {
        return bounty.statusOf(id);
    }
}
