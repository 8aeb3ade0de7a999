// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {Assertions} from "./Mocks.sol";
import {FIXTURE_CHAIN_ID, FIXTURE_CLAIMANT, FIXTURE_BOUNTY, deployFixtureBounty} from "./Fixtures.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {IHalo2Verifier} from "../contracts/IHalo2Verifier.sol";
import {VerifierRegistry} from "../contracts/VerifierRegistry.sol";

/// @notice ModelBounty against a REAL generated accuracy-circuit verifier and a real proof (no
/// mocks). Fixtures (written by the prover; every test is reported SKIPPED while
/// test/fixtures/accuracy/proof.json is absent):
///   test/fixtures/accuracy/AccuracyVerifier.sol  contract Halo2Verifier (artifact
///                                                 "AccuracyVerifier.sol:Halo2Verifier")
///   test/fixtures/accuracy/proof.json            .proof, .instances = [modelCommitment,
///                                                 binding, testSetCommitment, correctCount],
///                                                 bound to 0xC1A1 and bounty 0 at FIXTURE_BOUNTY
///                                                 on chain 31337 (test/Fixtures.sol)
///   test/fixtures/accuracy/bounty.json           .threshold (uint, <= correctCount), .samples
///                                                 (the test set's size); optional
///                                                 .test_set_commitment (= instances[2])
///   test/fixtures/accuracy/proof_low.json        optional: another model's proof on the same
///                                                 test set with fewer correct answers (same layout,
///                                                 same binding)
/// The verifier is deployed from its forge artifact with vm.deployCode, so this file compiles
/// without the fixtures.
contract ModelBountyRealProofTest is Assertions {
    string constant PROOF_JSON = "test/fixtures/accuracy/proof.json";
    string constant BOUNTY_JSON = "test/fixtures/accuracy/bounty.json";
    string constant LOW_PROOF_JSON = "test/fixtures/accuracy/proof_low.json";
    string constant VERIFIER_ARTIFACT = "AccuracyVerifier.sol:Halo2Verifier";
    uint256 constant AMOUNT = 1 ether;

    VerifierRegistry registry;
    ModelBounty bounty;
    IHalo2Verifier verifier;
    uint256 circuitId;
    bytes proof;
    uint256[] instances;
    uint256 threshold;
    uint256 samples;
    string bountyJson;
    bool ready;
    address poster = address(0xB0B);
    address claimant = FIXTURE_CLAIMANT;
    address thief = address(0x7111EF);
    uint64 deadline;

    function setUp() public {
        vm.warp(1_000_000);
        deadline = uint64(block.timestamp + 7 days);
        vm.deal(poster, 10 ether);
        if (!vm.exists(PROOF_JSON)) return;
        string memory json = vm.readFile(PROOF_JSON);
        proof = vm.parseJsonBytes(json, ".proof");
        instances = vm.parseJsonUintArray(json, ".instances");
        require(proof.length > 0 && instances.length == 4, "accuracy proof.json: expected a proof and 4 instances");
        bountyJson = vm.readFile(BOUNTY_JSON);
        threshold = vm.parseJsonUint(bountyJson, ".threshold");
        samples = vm.parseJsonUint(bountyJson, ".samples");
        verifier = IHalo2Verifier(vm.deployCode(VERIFIER_ARTIFACT));
        registry = new VerifierRegistry(true); // the fixtures use the development SRS
        circuitId = registry.register(address(verifier));
        bounty = deployFixtureBounty(registry);
        ready = true;
    }

    /// bounty.bindingOf(who, id), computed locally.
    function _binding(address who, uint256 id) internal view returns (uint256) {
        return _bindingFor(address(bounty), who, id);
    }

    modifier withFixtures() {
        if (!ready) {
            vm.skip(true);
            return;
        }
        _;
    }

    function _post(uint256 testSet, uint256 minimum) internal returns (uint256 id) {
        vm.prank(poster);
        id = bounty.post{value: AMOUNT}(circuitId, testSet, samples, minimum, deadline, address(0), AMOUNT);
    }

    function _verifierAccepts(bytes memory p, uint256[] memory inst) internal view returns (bool) {
        (bool ok, bytes memory ret) =
            address(verifier).staticcall{gas: 3_000_000}(abi.encodeCall(IHalo2Verifier.verifyProof, (p, inst)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function test_FixtureIsConsistent() public withFixtures {
        _true(verifier.verifyProof(proof, instances), "verifier rejected the real accuracy proof");
        _eq(block.chainid, FIXTURE_CHAIN_ID, "forge's default chain id");
        _eq(address(bounty), FIXTURE_BOUNTY, "the fixture bounty");
        _eq(instances[1], _bindingFor(FIXTURE_BOUNTY, claimant, 0), "fixture proof not bound to (0xC1A1, 0) at the fixture bounty");
        (uint256 inputs, uint256 outputs) = registry.layoutOf(circuitId);
        _true(inputs == 1 && outputs == 1, "an accuracy circuit's layout: the test set, the count");
        _true(threshold > 0 && threshold <= instances[3], "bounty.json threshold above the proven count");
    }

    function test_BountyJsonDescribesTheProof() public withFixtures {
        if (vm.keyExistsJson(bountyJson, ".test_set_commitment")) {
            _eq(vm.parseJsonUint(bountyJson, ".test_set_commitment"), instances[2], "test set commitment");
        }
        _true(instances[3] <= samples, "more correct answers than samples");
    }

    function test_LowerAccuracyModelIsNotPaid() public withFixtures {
        if (!vm.exists(LOW_PROOF_JSON)) {
            vm.skip(true);
            return;
        }
        string memory json = vm.readFile(LOW_PROOF_JSON);
        bytes memory lowProof = vm.parseJsonBytes(json, ".proof");
        uint256[] memory low = vm.parseJsonUintArray(json, ".instances");
        _true(_verifierAccepts(lowProof, low), "verifier rejected the low-accuracy proof");
        _eq(low[2], instances[2], "same test set");
        _true(low[0] != instances[0], "another model");
        _true(low[3] < threshold, "the low proof meets the threshold");

        uint256 id = _post(instances[2], threshold);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BelowThreshold.selector, low[3], threshold));
        bounty.claim(id, lowProof, low);
        // The better model is then paid.
        vm.prank(claimant);
        bounty.claim(id, proof, instances);
        _eq(bounty.getBounty(id).modelCommitment, instances[0], "the better model is recorded");
    }

    /// A bounty whose threshold the low model meets pays the FIRST valid claim.
    function test_FirstValidClaimWins() public withFixtures {
        if (!vm.exists(LOW_PROOF_JSON)) {
            vm.skip(true);
            return;
        }
        string memory json = vm.readFile(LOW_PROOF_JSON);
        bytes memory lowProof = vm.parseJsonBytes(json, ".proof");
        uint256[] memory low = vm.parseJsonUintArray(json, ".instances");
        uint256 id = _post(instances[2], low[3]);
        vm.prank(claimant);
        bounty.claim(id, lowProof, low);
        _eq(bounty.getBounty(id).modelCommitment, low[0], "the low model is recorded");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id));
        bounty.claim(id, proof, instances);
    }

    /// Issue 14, item 2: a count above the test set's size (what a hashed output would put in
    /// instances[3]) is refused before the verifier, even with the real proof's other instances.
    function test_CountAboveTheTestSetSizeReverts() public withFixtures {
        uint256 id = _post(instances[2], threshold);
        uint256[] memory inflated = instances;
        inflated[3] = 1 << 200;
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.CountAboveTestSetSize.selector, 1 << 200, samples));
        bounty.claim(id, proof, inflated);
        vm.prank(claimant);
        bounty.claim(id, proof, instances);
        _eq(claimant.balance, AMOUNT, "the real count is paid");
    }

    /// Issue 14, item 3: the accuracy proof, bound for the fixture bounty, is refused by an
    /// InferenceEscrow request 0 naming the same circuit, model and test set (whose layout, one
    /// input and one output, the escrow accepts), and by the bounty on another chain.
    function test_RealProofIsRefusedByTheEscrowAndOnAnotherChain() public withFixtures {
        InferenceEscrow escrow = new InferenceEscrow(registry);
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = instances[2];
        vm.prank(poster);
        uint256 rid = escrow.request{value: AMOUNT}(circuitId, instances[0], inputs, deadline, address(0), AMOUNT, address(0));
        uint256 id = _post(instances[2], threshold);
        _true(rid == 0 && id == 0, "request 0 and bounty 0");
        uint256 expected = escrow.bindingOf(claimant, 0);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, expected, instances[1]));
        escrow.fulfil(0, proof, instances);
        vm.chainId(1);
        expected = bounty.bindingOf(claimant, 0);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, expected, instances[1]));
        bounty.claim(0, proof, instances);
        vm.chainId(FIXTURE_CHAIN_ID);
        vm.prank(claimant);
        bounty.claim(0, proof, instances);
        _eq(claimant.balance, AMOUNT, "paid once, by the bounty it was bound for");
    }

    function test_ClaimPays() public withFixtures {
        uint256 id = _post(instances[2], threshold);
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyClaimed(id, claimant, instances[0], instances[3], address(0), AMOUNT);
        vm.prank(claimant);
        bounty.claim(id, proof, instances);
        _eq(claimant.balance, AMOUNT, "hunter paid");
        _eq(address(bounty).balance, 0, "escrow emptied");
        ModelBounty.Bounty memory b = bounty.getBounty(id);
        _eq(b.modelCommitment, instances[0], "hunter's model commitment recorded");
        _eq(b.correctCount, instances[3], "count recorded");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id));
        bounty.claim(id, proof, instances);
    }

    function test_HigherThresholdReverts() public withFixtures {
        uint256 id = _post(instances[2], instances[3] + 1);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BelowThreshold.selector, instances[3], instances[3] + 1));
        bounty.claim(id, proof, instances);
        // Claiming a higher count than proven breaks the proof.
        uint256[] memory inflated = instances;
        inflated[3] = instances[3] + 1;
        _true(!_verifierAccepts(proof, inflated), "verifier accepted an inflated count");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        bounty.claim(id, proof, inflated);
    }

    function test_AnotherTestSetReverts() public withFixtures {
        uint256 id = _post(instances[2] ^ 1, threshold);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.WrongTestSet.selector, instances[2] ^ 1, instances[2]));
        bounty.claim(id, proof, instances);
        uint256[] memory relabelled = instances;
        relabelled[2] = instances[2] ^ 1;
        _true(!_verifierAccepts(proof, relabelled), "verifier accepted another test set");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        bounty.claim(id, proof, relabelled);
        _eq(claimant.balance, 0, "nothing paid");
    }

    function test_CopiedProofPaysNobodyElse() public withFixtures {
        uint256 id = _post(instances[2], threshold);
        vm.prank(thief);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(thief, id), instances[1]));
        bounty.claim(id, proof, instances);
        uint256[] memory rebound = instances;
        rebound[1] = _binding(thief, id);
        _true(!_verifierAccepts(proof, rebound), "verifier accepted a rebound proof");
        vm.prank(thief);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        bounty.claim(id, proof, rebound);
        vm.prank(claimant);
        bounty.claim(id, proof, instances);
        _true(claimant.balance == AMOUNT && thief.balance == 0, "only the bound hunter is paid");
    }

    function test_FlippedProofByteIsRejected() public withFixtures {
        uint256 id = _post(instances[2], threshold);
        bytes memory bad = bytes.concat(proof);
        bad[bad.length / 2] = bad[bad.length / 2] ^ 0x01;
        _true(!_verifierAccepts(bad, instances), "verifier accepted a flipped proof");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        bounty.claim(id, bad, instances);
    }

    function test_AfterDeadlineOnlyRefund() public withFixtures {
        uint256 id = _post(instances[2], threshold);
        vm.warp(uint256(deadline) + 1);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyExpired.selector, id, deadline));
        bounty.claim(id, proof, instances);
        uint256 before = poster.balance;
        bounty.refund(id);
        _eq(poster.balance, before + AMOUNT, "refunded");
    }
}
