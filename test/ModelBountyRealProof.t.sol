// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {Assertions} from "./Mocks.sol";
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
///                                                 bound to 0xC1A1 and bounty 0
///   test/fixtures/accuracy/bounty.json           .threshold (uint, <= correctCount); optional
///                                                 .test_set_commitment (= instances[2]) and
///                                                 .samples (the test set's size)
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
    string bountyJson;
    bool ready;
    address poster = address(0xB0B);
    address claimant = address(0xC1A1);
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
        verifier = IHalo2Verifier(vm.deployCode(VERIFIER_ARTIFACT));
        registry = new VerifierRegistry();
        circuitId = registry.register(address(verifier));
        bounty = new ModelBounty(registry);
        ready = true;
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
        id = bounty.post{value: AMOUNT}(circuitId, testSet, minimum, deadline, address(0), AMOUNT);
    }

    function _verifierAccepts(bytes memory p, uint256[] memory inst) internal view returns (bool) {
        (bool ok, bytes memory ret) =
            address(verifier).staticcall{gas: 3_000_000}(abi.encodeCall(IHalo2Verifier.verifyProof, (p, inst)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function test_FixtureIsConsistent() public withFixtures {
        _true(verifier.verifyProof(proof, instances), "verifier rejected the real accuracy proof");
        _eq(instances[1], _binding(claimant, 0), "fixture proof not bound to (0xC1A1, 0)");
        _true(threshold > 0 && threshold <= instances[3], "bounty.json threshold above the proven count");
    }

    function test_BountyJsonDescribesTheProof() public withFixtures {
        if (vm.keyExistsJson(bountyJson, ".test_set_commitment")) {
            _eq(vm.parseJsonUint(bountyJson, ".test_set_commitment"), instances[2], "test set commitment");
        }
        if (vm.keyExistsJson(bountyJson, ".samples")) {
            _true(instances[3] <= vm.parseJsonUint(bountyJson, ".samples"), "more correct answers than samples");
        }
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

        // A bounty whose threshold the low model meets pays the FIRST valid claim.
        bounty = new ModelBounty(registry);
        id = _post(instances[2], low[3]);
        vm.prank(claimant);
        bounty.claim(id, lowProof, low);
        _eq(bounty.getBounty(id).modelCommitment, low[0], "the low model is recorded");
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id));
        bounty.claim(id, proof, instances);
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
