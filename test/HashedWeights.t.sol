// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {IHalo2Verifier} from "../contracts/IHalo2Verifier.sol";

/// @notice Hashed weights: ONE generated verifier (for mlp_small's architecture) verifies real
/// proofs of TWO weight sets (mlp_small and mlp_small_b); their instances[0], the weights'
/// Poseidon commitments, differ; a bounty naming one commitment pays only a proof about that
/// model. Fixtures from ./script/gen-fixtures (test/fixtures/hashed-weights/), checked for
/// freshness by `cargo test --workspace --test fixtures`. Both proofs are bound to `claimant` and
/// bounty 0.
contract HashedWeightsTest {
    string constant DIR = "test/fixtures/hashed-weights/";
    string constant VERIFIER_ARTIFACT = "HashedWeightsVerifier.sol:Halo2Verifier";
    uint256 constant AMOUNT = 1 ether;

    ModelBounty bounty;
    IHalo2Verifier verifier;
    bytes proofA;
    uint256[] instancesA;
    bytes proofB;
    uint256[] instancesB;
    address poster = address(0xB0B);
    address claimant = address(0xC1A1);

    function setUp() public {
        vm.warp(1_000_000);
        vm.deal(poster, 10 ether);
        bounty = new ModelBounty();
        string memory a = vm.readFile(string.concat(DIR, "proof_a.json"));
        string memory b = vm.readFile(string.concat(DIR, "proof_b.json"));
        proofA = vm.parseJsonBytes(a, ".proof");
        instancesA = vm.parseJsonUintArray(a, ".instances");
        proofB = vm.parseJsonBytes(b, ".proof");
        instancesB = vm.parseJsonUintArray(b, ".instances");
        verifier = IHalo2Verifier(vm.deployCode(VERIFIER_ARTIFACT));
    }

    function _accepts(bytes memory p, uint256[] memory inst) internal view returns (bool) {
        (bool ok, bytes memory ret) =
            address(verifier).staticcall{gas: 3_000_000}(abi.encodeCall(IHalo2Verifier.verifyProof, (p, inst)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _post(uint256 commitment) internal returns (uint256 id) {
        vm.prank(poster);
        id = bounty.post{value: AMOUNT}(address(verifier), commitment, uint64(block.timestamp + 1 days));
    }

    function test_OneVerifierVerifiesTwoWeightSets() public view {
        require(_accepts(proofA, instancesA), "the verifier rejected the first weight set's proof");
        require(_accepts(proofB, instancesB), "the verifier rejected the second weight set's proof");
        require(instancesA[0] != instancesB[0], "two weight sets with one commitment");
    }

    function test_AProofDoesNotVerifyUnderTheOtherModelsCommitment() public view {
        uint256[] memory swapped = instancesB;
        swapped[0] = instancesA[0];
        require(!_accepts(proofB, swapped), "B's proof verified as a proof about A's weights");
        swapped = instancesA;
        swapped[0] = instancesB[0];
        require(!_accepts(proofA, swapped), "A's proof verified as a proof about B's weights");
    }

    function test_BountyForOneModelRejectsTheOther() public {
        uint256 id = _post(instancesA[0]);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.WrongModelCommitment.selector, instancesA[0], instancesB[0]));
        bounty.claim(id, proofB, instancesB);
        // B's proof relabelled with A's commitment passes the contract's check and fails the verifier.
        uint256[] memory relabelled = instancesB;
        relabelled[0] = instancesA[0];
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.ProofRejected.selector, id));
        bounty.claim(id, proofB, relabelled);
        vm.prank(claimant);
        bounty.claim(id, proofA, instancesA);
        require(claimant.balance == AMOUNT, "the named model's proof is paid");
    }

    function test_BountyForTheSecondModelPaysIt() public {
        uint256 id = _post(instancesB[0]);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.WrongModelCommitment.selector, instancesB[0], instancesA[0]));
        bounty.claim(id, proofA, instancesA);
        vm.prank(claimant);
        bounty.claim(id, proofB, instancesB);
        require(claimant.balance == AMOUNT, "the named model's proof is paid");
    }
}
