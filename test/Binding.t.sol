// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {Assertions, BookkeepingOnlyVerifier} from "./Mocks.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice Issue 14, item 3: the claimant binding (instances[1]) names the claimant, the id, the
///         paying contract and the chain, `keccak256(abi.encode(block.chainid, address(this),
///         claimant, id)) mod r`, so a proof made for one deployment pays nothing on another one,
///         on another chain, or on the other paying contract with the same id. With a
///         BookkeepingOnly stand-in that accepts every proof, so only the binding decides; real
///         proofs: ModelBountyRealProof.t.sol, InferenceEscrowRealProof.t.sol.
contract BindingTest is Assertions {
    uint256 constant CIRCUIT = 0x5e7; // one input, one output: usable by both contracts
    uint256 constant MODEL = 0x40de1;
    uint256 constant TEST_SET = 0x7e57;
    uint256 constant SIZE = 16;
    uint256 constant THRESHOLD = 12;
    uint256 constant AMOUNT = 1 ether;

    VerifierRegistry registry;
    ModelBounty bounty;
    InferenceEscrow escrow;
    address poster = address(0xB0B);
    address hunter = address(0xC1A1);
    uint64 deadline;

    function setUp() public {
        vm.warp(1_000_000);
        deadline = uint64(block.timestamp + 1 days);
        registry = new VerifierRegistry(true);
        registry.register(address(new BookkeepingOnlyVerifier(CIRCUIT, true)));
        bounty = new ModelBounty(registry);
        escrow = new InferenceEscrow(registry);
        vm.deal(poster, 100 ether);
    }

    function _post(ModelBounty b) internal returns (uint256 id) {
        vm.prank(poster);
        id = b.post{value: AMOUNT}(CIRCUIT, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
    }

    function _request() internal returns (uint256 id) {
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = TEST_SET;
        vm.prank(poster);
        id = escrow.request{value: AMOUNT}(CIRCUIT, MODEL, inputs, deadline, address(0), AMOUNT, address(0));
    }

    /// [model, binding for `payer`, test set, count]: a valid claim of bounty `id` on `payer`, and
    /// a valid fulfilment of request `id` of an escrow naming the same circuit and input.
    function _inst(address payer, uint256 id) internal view returns (uint256[] memory inst) {
        inst = new uint256[](4);
        inst[0] = MODEL;
        inst[1] = _bindingFor(payer, hunter, id);
        inst[2] = TEST_SET;
        inst[3] = THRESHOLD;
    }

    function _wrongClaimant(uint256 expected, uint256 actual) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, expected, actual);
    }

    // ---- the encoding ------------------------------------------------------------------------

    function testFuzz_BindingHashesChainContractClaimantAndId(address who, uint256 id, uint64 chain) public {
        vm.chainId(chain);
        for (uint256 i = 0; i < 2; i++) {
            ProofPaymentBase payer = i == 0 ? ProofPaymentBase(bounty) : ProofPaymentBase(escrow);
            uint256 b = payer.bindingOf(who, id);
            uint256 want = uint256(keccak256(abi.encode(uint256(chain), address(payer), who, id))) % BN254_SCALAR_FIELD;
            _eq(b, want, "bindingOf = keccak256(abi.encode(chainid, this, claimant, id)) mod r");
            _eq(b, _bindingFor(address(payer), who, id), "the tests' local copy");
        }
    }

    /// The value zkinfer's prover computes for the same inputs (prover/src/binding.rs,
    /// `is_keccak_of_chain_contract_claimant_and_id_mod_r`): both sides agree on the encoding.
    function test_BindingKnownAnswer() public {
        address target = address(0xE5C00);
        vm.chainId(31337);
        for (uint256 i = 0; i < 2; i++) {
            vm.etch(target, i == 0 ? address(bounty).code : address(escrow).code);
            _eq(
                ProofPaymentBase(target).bindingOf(address(0xC1A1), 7),
                0x07f2aef345afe85b9bc84ef342c229b105043f6e271c38351c75ae2eddeb257d,
                "bindingOf(0xC1A1, 7) at 0x...E5C00 on chain 31337"
            );
        }
    }

    // ---- refused elsewhere -------------------------------------------------------------------

    /// Another ModelBounty with the same registry, circuit, bounty id and sender.
    function test_ProofBoundForAnotherDeploymentIsNotPaid() public {
        ModelBounty other = new ModelBounty(registry);
        uint256 id = _post(bounty);
        _eq(_post(other), id, "the same id on both deployments");
        uint256[] memory inst = _inst(address(bounty), id);
        uint256 expected = other.bindingOf(hunter, id);
        vm.prank(hunter);
        vm.expectRevert(_wrongClaimant(expected, inst[1]));
        other.claim(id, hex"01", inst);
        vm.prank(hunter);
        bounty.claim(id, hex"01", inst);
        _eq(hunter.balance, AMOUNT, "paid once, by the deployment it was bound for");
    }

    /// The same deployment address on another chain (a fork, or a deterministic deployment).
    function test_ProofBoundForAnotherChainIsNotPaid() public {
        uint256 id = _post(bounty);
        uint256[] memory inst = _inst(address(bounty), id); // bound on chain 31337
        vm.chainId(1);
        uint256 expected = bounty.bindingOf(hunter, id);
        _true(expected != inst[1], "the binding depends on the chain");
        vm.prank(hunter);
        vm.expectRevert(_wrongClaimant(expected, inst[1]));
        bounty.claim(id, hex"01", inst);
        vm.chainId(31337);
        vm.prank(hunter);
        bounty.claim(id, hex"01", inst);
        _eq(hunter.balance, AMOUNT, "paid on its own chain");
    }

    function testFuzz_ProofBoundOnOneChainIsRefusedOnAnother(uint64 boundOn, uint64 claimedOn) public {
        vm.assume(boundOn != claimedOn);
        uint256 id = _post(bounty);
        uint256 rid = _request();
        vm.chainId(boundOn);
        uint256[] memory forBounty = _inst(address(bounty), id);
        uint256[] memory forEscrow = _inst(address(escrow), rid);
        vm.chainId(claimedOn);
        vm.startPrank(hunter);
        (bool paidBounty,) = address(bounty).call(abi.encodeCall(ModelBounty.claim, (id, hex"01", forBounty)));
        (bool paidEscrow,) = address(escrow).call(abi.encodeCall(InferenceEscrow.fulfil, (rid, hex"01", forEscrow)));
        vm.stopPrank();
        _true(!paidBounty && !paidEscrow && hunter.balance == 0, "paid on another chain");
    }

    /// The two paying contracts with the same id and an instance layout both accept: a proof made
    /// for the bounty is refused by the escrow, and one made for the escrow by the bounty.
    function test_ProofBoundForTheBountyIsNotPaidByTheEscrow() public {
        uint256 id = _post(bounty);
        _eq(_request(), id, "bounty 0 and request 0");
        uint256[] memory forBounty = _inst(address(bounty), id);
        uint256[] memory forEscrow = _inst(address(escrow), id);
        vm.startPrank(hunter);
        vm.expectRevert(_wrongClaimant(forEscrow[1], forBounty[1]));
        escrow.fulfil(id, hex"01", forBounty);
        vm.expectRevert(_wrongClaimant(forBounty[1], forEscrow[1]));
        bounty.claim(id, hex"01", forEscrow);
        bounty.claim(id, hex"01", forBounty);
        escrow.fulfil(id, hex"01", forEscrow);
        vm.stopPrank();
        _eq(hunter.balance, 2 * AMOUNT, "each proof paid by the contract it was bound for");
    }
}
