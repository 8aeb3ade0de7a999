// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {Assertions, TestToken} from "./Mocks.sol";
import {FIXTURE_CHAIN_ID, FIXTURE_CLAIMANT, FIXTURE_ESCROW, deployFixtureEscrow} from "./Fixtures.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {IHalo2Verifier} from "../contracts/IHalo2Verifier.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice A dApp contract that reads a verified inference from InferenceEscrow: the outputs as
///         signed fixed-point integers (field elements r - |v| are negative) and their argmax.
contract InferenceConsumer {
    /// @notice The escrow read from.
    InferenceEscrow public immutable escrow;
    /// @notice The argmax of the last consumed inference.
    uint256 public lastArgmax;

    constructor(InferenceEscrow escrow_) {
        escrow = escrow_;
    }

    /// @notice Whether request `id` has verified outputs.
    function ready(uint256 id) external view returns (bool) {
        return escrow.statusOf(id) == InferenceEscrow.Status.Fulfilled;
    }

    /// @notice The outputs of request `id` as signed fixed-point integers (reverts if unfulfilled).
    function signedOutputs(uint256 id) public view returns (int256[] memory signed) {
        uint256[] memory raw = escrow.outputsOf(id);
        signed = new int256[](raw.length);
        for (uint256 i = 0; i < raw.length; i++) {
            uint256 x = raw[i];
            // forge-lint: disable-next-line(unsafe-typecast)
            signed[i] = x <= (BN254_SCALAR_FIELD - 1) / 2 ? int256(x) : -int256(BN254_SCALAR_FIELD - x);
        }
    }

    /// @notice Index of the largest output of request `id` (the predicted class).
    function argmax(uint256 id) public view returns (uint256 best) {
        int256[] memory s = signedOutputs(id);
        for (uint256 i = 1; i < s.length; i++) {
            if (s[i] > s[best]) best = i;
        }
    }

    /// @notice A state-changing use of the verified result.
    function consume(uint256 id) external {
        lastArgmax = argmax(id);
    }
}

/// @notice VerifierRegistry + InferenceEscrow against the REAL generated halo2 verifier and a real
/// proof (no mocks). Fixtures (./script/gen-fixtures; never edited by hand):
///   test/fixtures/Halo2Verifier.sol  contract Halo2Verifier (VK_DIGEST, layout and SRS constants,
///                                    verifyProof), set up with the development SRS
///   test/fixtures/proof.json         .proof, .instances = [modelCommitment, binding,
///                                    inputCommitment, out0, out1, out2], bound to 0xC1A1 and id 0
///                                    at FIXTURE_ESCROW on chain 31337 (test/Fixtures.sol);
///                                    .outputs_fixed = the outputs as signed fixed-point integers
/// The verifier is deployed from its forge artifact with vm.deployCode (nothing imports it).
contract InferenceEscrowRealProofTest is Assertions {
    string constant PROOF_JSON = "test/fixtures/proof.json";
    string constant VERIFIER_ARTIFACT = "Halo2Verifier.sol:Halo2Verifier";
    uint256 constant FEE = 0.05 ether;

    VerifierRegistry registry;
    InferenceEscrow escrow;
    IHalo2Verifier verifier;
    uint256 circuitId;
    bytes proof;
    uint256[] instances;
    int256[] outputsFixed;
    address requester = address(0xD0A);
    address claimant = FIXTURE_CLAIMANT;
    address thief = address(0x7111EF);
    uint64 deadline;

    function setUp() public {
        vm.warp(1_000_000);
        deadline = uint64(block.timestamp + 1 hours);
        vm.deal(requester, 10 ether);
        string memory json = vm.readFile(PROOF_JSON);
        proof = vm.parseJsonBytes(json, ".proof");
        instances = vm.parseJsonUintArray(json, ".instances");
        outputsFixed = vm.parseJsonIntArray(json, ".outputs_fixed");
        require(proof.length > 0 && instances.length == 6, "proof.json: unexpected proof or instances");
        verifier = IHalo2Verifier(vm.deployCode(VERIFIER_ARTIFACT));
        registry = new VerifierRegistry(true); // the fixtures use the development SRS
        circuitId = registry.register(address(verifier));
        escrow = deployFixtureEscrow(registry);
    }

    /// escrow.bindingOf(who, id), computed locally.
    function _binding(address who, uint256 id) internal view returns (uint256) {
        return _bindingFor(address(escrow), who, id);
    }

    function _request(uint256 model, uint256 input, address host) internal returns (uint256 id) {
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = input;
        vm.prank(requester);
        id = escrow.request{value: FEE}(circuitId, model, inputs, deadline, address(0), FEE, host);
    }

    /// The verifier must revert or return false; true if it accepted.
    function _verifierAccepts(bytes memory p, uint256[] memory inst) internal view returns (bool) {
        (bool ok, bytes memory ret) =
            address(verifier).staticcall{gas: 3_000_000}(abi.encodeCall(IHalo2Verifier.verifyProof, (p, inst)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _outputs() internal view returns (uint256[] memory o) {
        o = new uint256[](3);
        for (uint256 i = 0; i < 3; i++) {
            o[i] = instances[3 + i];
        }
    }

    // ---- registry ----------------------------------------------------------------------------

    function test_CircuitIdIsTheVerifiersVkDigest() public view {
        (bool ok, bytes memory ret) = address(verifier).staticcall(abi.encodeWithSignature("VK_DIGEST()"));
        require(ok && ret.length == 32, "VK_DIGEST unreadable");
        _eq(circuitId, abi.decode(ret, (uint256)), "circuit id = VK_DIGEST");
        _true(circuitId != 0 && circuitId < BN254_SCALAR_FIELD, "a BN254 scalar");
        _eq(registry.verifierOf(circuitId), address(verifier), "verifier registered");
        _eq(registry.codehashOf(circuitId), address(verifier).codehash, "code hash recorded");
        _true(registry.isRegistered(circuitId), "registered");
    }

    function test_SecondCopyOfTheVerifierCannotReplaceIt() public {
        address copy = vm.deployCode(VERIFIER_ARTIFACT);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.AlreadyRegistered.selector, circuitId, address(verifier)));
        registry.register(copy);
    }

    // ---- the verifier itself -----------------------------------------------------------------

    function test_VerifierAcceptsRealProof() public view {
        _true(verifier.verifyProof(proof, instances), "verifier returned false on the real proof");
    }

    function test_FixtureIsBoundToClaimantAndIdZero() public view {
        _eq(block.chainid, FIXTURE_CHAIN_ID, "forge's default chain id");
        _eq(address(escrow), FIXTURE_ESCROW, "the fixture escrow");
        _eq(instances[1], _bindingFor(FIXTURE_ESCROW, claimant, 0), "fixture proof not bound to (0xC1A1, 0) at the fixture escrow");
        _eq(instances[1], escrow.bindingOf(claimant, 0), "escrow binding");
    }

    /// The verifier's constants are what the registry recorded: the instance layout (one input
    /// commitment, three outputs) and the development SRS.
    function test_VerifierExposesItsLayoutAndSrs() public view {
        _eq(verifier.NUM_INSTANCES(), instances.length, "NUM_INSTANCES");
        _eq(verifier.INPUT_INSTANCE_COUNT(), 1, "one input: its commitment");
        _eq(verifier.OUTPUT_INSTANCE_COUNT(), 3, "three outputs");
        (uint256 inputs, uint256 outputs) = registry.layoutOf(circuitId);
        _true(inputs == 1 && outputs == 3, "the registry's layout");
        _true(verifier.DEV_SRS(), "set up with the development SRS");
        _eq(verifier.SRS_DIGEST(), registry.DEV_SRS_DIGEST(), "the development SRS's digest");
        (bytes32 digest, bool dev) = registry.srsOf(circuitId);
        _true(digest == verifier.SRS_DIGEST() && dev, "the registry's SRS record");
    }

    /// Issue 14, item 4, with the real verifier: a registry outside a local chain refuses it.
    function test_ProductionRegistryRefusesTheDevSrsVerifier() public {
        VerifierRegistry production = new VerifierRegistry(false);
        vm.expectRevert(
            abi.encodeWithSelector(VerifierRegistry.DevSrsVerifier.selector, address(verifier), verifier.SRS_DIGEST())
        );
        production.register(address(verifier));
    }

    /// Issue 14, item 6, with the real verifier: a request must name exactly its one input.
    function test_RequestWithAnotherInputCountIsRefused() public {
        uint256[] memory two = new uint256[](2);
        two[0] = instances[2];
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.WrongInputCount.selector, circuitId, 1, 2));
        escrow.request{value: FEE}(circuitId, instances[0], two, deadline, address(0), FEE, address(0));
    }

    /// Issue 14, item 3, with the real proof: bound for the fixture escrow on chain 31337, it is
    /// refused by another escrow (same registry, circuit, request id and host) and on another
    /// chain, then paid where it was bound.
    function test_RealProofIsRefusedByAnotherDeploymentOrChain() public {
        InferenceEscrow other = new InferenceEscrow(registry);
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = instances[2];
        vm.prank(requester);
        uint256 otherId = other.request{value: FEE}(circuitId, instances[0], inputs, deadline, address(0), FEE, address(0));
        uint256 id = _request(instances[0], instances[2], address(0));
        _true(otherId == 0 && id == 0, "request 0 on both");
        uint256 expected = other.bindingOf(claimant, 0);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, expected, instances[1]));
        other.fulfil(0, proof, instances);
        vm.chainId(1);
        expected = escrow.bindingOf(claimant, 0);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, expected, instances[1]));
        escrow.fulfil(0, proof, instances);
        vm.chainId(FIXTURE_CHAIN_ID);
        vm.prank(claimant);
        escrow.fulfil(0, proof, instances);
        _eq(claimant.balance, FEE, "paid once, where it was bound");
    }

    // ---- fulfilment --------------------------------------------------------------------------

    function test_RealProofFulfilsPaysAndStoresOutputs() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        _eq(id, 0, "request 0");
        vm.expectEmit(true, true, true, true, address(escrow));
        emit InferenceEscrow.InferenceFulfilled(id, claimant, _outputs());
        vm.prank(claimant);
        escrow.fulfil(id, proof, instances);
        _eq(claimant.balance, FEE, "fee released to the host");
        _eq(address(escrow).balance, 0, "escrow emptied");
        _true(escrow.statusOf(id) == InferenceEscrow.Status.Fulfilled, "fulfilled");
        uint256[] memory stored = escrow.outputsOf(id);
        _eq(stored.length, 3, "three outputs");
        for (uint256 i = 0; i < 3; i++) {
            _eq(stored[i], instances[3 + i], "stored output = instances[3 + i]");
        }
    }

    function test_AnotherContractReadsTheVerifiedOutputs() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        InferenceConsumer consumer = new InferenceConsumer(escrow);
        _true(!consumer.ready(id), "not ready");
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotFulfilled.selector, id));
        consumer.consume(id);
        vm.prank(claimant);
        escrow.fulfil(id, proof, instances);
        _true(consumer.ready(id), "ready");
        int256[] memory signed = consumer.signedOutputs(id);
        _eq(signed.length, outputsFixed.length, "output count");
        for (uint256 i = 0; i < signed.length; i++) {
            _true(signed[i] == outputsFixed[i], "decoded output = proof.json outputs_fixed");
        }
        uint256 best;
        for (uint256 i = 1; i < outputsFixed.length; i++) {
            if (outputsFixed[i] > outputsFixed[best]) best = i;
        }
        consumer.consume(id);
        _eq(consumer.lastArgmax(), best, "argmax of the verified outputs");
    }

    function test_RealProofPaysTokenFee() public {
        TestToken token = new TestToken();
        token.mint(requester, 10 ether);
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = instances[2];
        vm.startPrank(requester);
        token.approve(address(escrow), 10 ether);
        uint256 id = escrow.request(circuitId, instances[0], inputs, deadline, address(token), 3 ether, claimant);
        vm.stopPrank();
        vm.prank(claimant);
        escrow.fulfil(id, proof, instances);
        _eq(token.balanceOf(claimant), 3 ether, "token fee released");
    }

    function test_SecondFulfilmentFails() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        vm.prank(claimant);
        escrow.fulfil(id, proof, instances);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.RequestAlreadyFulfilled.selector, id));
        escrow.fulfil(id, proof, instances);
        _eq(claimant.balance, FEE, "paid once");
    }

    function test_FlippedProofByteIsRejected() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        uint256[3] memory positions = [uint256(0), proof.length / 2, proof.length - 1];
        for (uint256 k = 0; k < positions.length; k++) {
            bytes memory bad = bytes.concat(proof);
            bad[positions[k]] = bad[positions[k]] ^ 0x01;
            _true(!_verifierAccepts(bad, instances), "verifier accepted a flipped proof");
            vm.prank(claimant);
            vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
            escrow.fulfil(id, bad, instances);
        }
        _eq(address(escrow).balance, FEE, "fee still escrowed");
        _true(escrow.statusOf(id) == InferenceEscrow.Status.Open, "still open");
    }

    function test_AnotherSenderIsRejected() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        vm.prank(thief);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(thief, id), instances[1]));
        escrow.fulfil(id, proof, instances);
        // Rewriting the binding to the thief's breaks the proof.
        uint256[] memory rebound = instances;
        rebound[1] = _binding(thief, id);
        _true(!_verifierAccepts(proof, rebound), "verifier accepted a rebound proof");
        vm.prank(thief);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        escrow.fulfil(id, proof, rebound);
        vm.prank(claimant);
        escrow.fulfil(id, proof, instances);
        _true(claimant.balance == FEE && thief.balance == 0, "only the bound host is paid");
    }

    function test_ProofForAnotherRequestIsRejected() public {
        _request(instances[0], instances[2], address(0));
        uint256 second = _request(instances[0], instances[2], address(0));
        vm.prank(claimant);
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(claimant, second), instances[1])
        );
        escrow.fulfil(second, proof, instances);
    }

    function test_WrongInputIsRejected() public {
        // The request names another input: the proof's input does not match, nothing is verified.
        uint256 id = _request(instances[0], instances[2] ^ 1, address(0));
        uint256[] memory wanted = new uint256[](1);
        wanted[0] = instances[2] ^ 1;
        uint256[] memory got = new uint256[](1);
        got[0] = instances[2];
        vm.prank(claimant);
        vm.expectRevert(
            abi.encodeWithSelector(
                InferenceEscrow.WrongInputs.selector,
                keccak256(abi.encodePacked(wanted)),
                keccak256(abi.encodePacked(got))
            )
        );
        escrow.fulfil(id, proof, instances);
        // Relabelling the proof's input to the requested one passes the escrow and fails the verifier.
        uint256[] memory relabelled = instances;
        relabelled[2] = instances[2] ^ 1;
        _true(!_verifierAccepts(proof, relabelled), "verifier accepted a wrong input");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        escrow.fulfil(id, proof, relabelled);
        _eq(claimant.balance, 0, "nothing paid");
    }

    function test_WrongModelIsRejected() public {
        uint256 id = _request(instances[0] ^ 1, instances[2], address(0));
        vm.prank(claimant);
        vm.expectRevert(
            abi.encodeWithSelector(InferenceEscrow.WrongModelCommitment.selector, instances[0] ^ 1, instances[0])
        );
        escrow.fulfil(id, proof, instances);
        uint256[] memory relabelled = instances;
        relabelled[0] = instances[0] ^ 1;
        _true(!_verifierAccepts(proof, relabelled), "verifier accepted a wrong instances[0]");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        escrow.fulfil(id, proof, relabelled);
    }

    function test_WrongOutputIsRejected() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        for (uint256 k = 3; k < 6; k++) {
            uint256[] memory bad = instances;
            bad[k] = instances[k] ^ 1;
            _true(!_verifierAccepts(proof, bad), "verifier accepted a wrong output");
            vm.prank(claimant);
            vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
            escrow.fulfil(id, proof, bad);
        }
        // Dropping an output changes the instance count: refused before the verifier.
        uint256[] memory shorter = new uint256[](5);
        for (uint256 i = 0; i < 5; i++) {
            shorter[i] = instances[i];
        }
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongInstanceCount.selector, 6, 5));
        escrow.fulfil(id, proof, shorter);
    }

    function test_DesignatedHostOnly() public {
        // Another escrow's request 0 names another host: refused before the binding is checked.
        InferenceEscrow other = new InferenceEscrow(registry);
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = instances[2];
        vm.prank(requester);
        uint256 otherId = other.request{value: FEE}(circuitId, instances[0], inputs, deadline, address(0), FEE, thief);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotDesignatedHost.selector, thief, claimant));
        other.fulfil(otherId, proof, instances);
        // The fixture escrow's request 0 names the proof's host.
        uint256 id = _request(instances[0], instances[2], claimant);
        vm.prank(claimant);
        escrow.fulfil(id, proof, instances);
        _eq(claimant.balance, FEE, "designated host paid");
    }

    function test_AfterDeadlineOnlyRefund() public {
        uint256 id = _request(instances[0], instances[2], address(0));
        vm.warp(uint256(deadline) + 1);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.RequestExpired.selector, id, deadline));
        escrow.fulfil(id, proof, instances);
        uint256 before = requester.balance;
        escrow.refund(id);
        _eq(requester.balance, before + FEE, "fee back to the requester");
        _eq(claimant.balance, 0, "host unpaid");
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotFulfilled.selector, id));
        escrow.outputsOf(id);
    }
}
