// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {Assertions} from "./Mocks.sol";
import {FIXTURE_CLAIMANT, FIXTURE_ESCROW, deployFixtureEscrow} from "./Fixtures.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {IHalo2Verifier} from "../contracts/IHalo2Verifier.sol";
import {VerifierRegistry} from "../contracts/VerifierRegistry.sol";

/// @notice Hashed weights: ONE generated verifier (for mlp_small's architecture), registered once,
/// verifies real proofs of TWO weight sets (mlp_small and mlp_small_b); their instances[0], the
/// weights' Poseidon commitments, differ; an inference request naming one commitment pays only a
/// proof about that model. Fixtures from ./script/gen-fixtures (test/fixtures/hashed-weights/),
/// checked for freshness by `cargo test --workspace --test fixtures`. Both proofs are bound to
/// `claimant` and id 0 at FIXTURE_ESCROW on chain 31337 (test/Fixtures.sol); layout
/// [modelCommitment, binding, inputCommitment, out0, out1, out2].
contract HashedWeightsTest is Assertions {
    string constant DIR = "test/fixtures/hashed-weights/";
    string constant VERIFIER_ARTIFACT = "HashedWeightsVerifier.sol:Halo2Verifier";
    uint256 constant FEE = 1 ether;

    VerifierRegistry registry;
    InferenceEscrow escrow;
    IHalo2Verifier verifier;
    uint256 circuitId;
    bytes proofA;
    uint256[] instancesA;
    bytes proofB;
    uint256[] instancesB;
    address requester = address(0xB0B);
    address claimant = FIXTURE_CLAIMANT;

    function setUp() public {
        vm.warp(1_000_000);
        vm.deal(requester, 10 ether);
        string memory a = vm.readFile(string.concat(DIR, "proof_a.json"));
        string memory b = vm.readFile(string.concat(DIR, "proof_b.json"));
        proofA = vm.parseJsonBytes(a, ".proof");
        instancesA = vm.parseJsonUintArray(a, ".instances");
        proofB = vm.parseJsonBytes(b, ".proof");
        instancesB = vm.parseJsonUintArray(b, ".instances");
        verifier = IHalo2Verifier(vm.deployCode(VERIFIER_ARTIFACT));
        registry = new VerifierRegistry(true); // the fixtures use the development SRS
        circuitId = registry.register(address(verifier));
        escrow = deployFixtureEscrow(registry);
    }

    function _accepts(bytes memory p, uint256[] memory inst) internal view returns (bool) {
        (bool ok, bytes memory ret) =
            address(verifier).staticcall{gas: 3_000_000}(abi.encodeCall(IHalo2Verifier.verifyProof, (p, inst)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    /// Request (id 0 in a fresh escrow) naming `model` and the single input `input`.
    function _request(uint256 model, uint256 input) internal returns (uint256 id) {
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = input;
        vm.prank(requester);
        id = escrow.request{value: FEE}(
            circuitId, model, inputs, uint64(block.timestamp + 1 days), address(0), FEE, address(0)
        );
    }

    function test_OneVerifierVerifiesTwoWeightSets() public view {
        _true(_accepts(proofA, instancesA), "the verifier rejected the first weight set's proof");
        _true(_accepts(proofB, instancesB), "the verifier rejected the second weight set's proof");
        _true(instancesA[0] != instancesB[0], "two weight sets with one commitment");
        uint256 binding = _bindingFor(FIXTURE_ESCROW, claimant, 0);
        _true(instancesA[1] == binding && instancesB[1] == binding, "fixture binding");
    }

    function test_AProofDoesNotVerifyUnderTheOtherModelsCommitment() public view {
        uint256[] memory swapped = instancesB;
        swapped[0] = instancesA[0];
        _true(!_accepts(proofB, swapped), "B's proof verified as a proof about A's weights");
        swapped = instancesA;
        swapped[0] = instancesB[0];
        _true(!_accepts(proofA, swapped), "A's proof verified as a proof about B's weights");
    }

    function test_RequestForOneModelRejectsTheOther() public {
        uint256 id = _request(instancesA[0], instancesA[2]);
        vm.prank(claimant);
        vm.expectRevert(
            abi.encodeWithSelector(InferenceEscrow.WrongModelCommitment.selector, instancesA[0], instancesB[0])
        );
        escrow.fulfil(id, proofB, instancesB);
        vm.prank(claimant);
        escrow.fulfil(id, proofA, instancesA);
        _eq(claimant.balance, FEE, "the named model's proof is paid");
        uint256[] memory outputs = escrow.outputsOf(id);
        for (uint256 i = 0; i < outputs.length; i++) {
            _eq(outputs[i], instancesA[3 + i], "A's outputs stored");
        }
    }

    function test_RelabelledProofPassesTheEscrowAndFailsTheVerifier() public {
        // A request naming A's model and B's input: B's proof relabelled with A's commitment passes
        // every check of the escrow and is rejected by the verifier.
        uint256 id = _request(instancesA[0], instancesB[2]);
        uint256[] memory relabelled = instancesB;
        relabelled[0] = instancesA[0];
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id));
        escrow.fulfil(id, proofB, relabelled);
        _eq(claimant.balance, 0, "nothing paid");
    }

    function test_RequestForTheSecondModelPaysIt() public {
        uint256 id = _request(instancesB[0], instancesB[2]);
        vm.prank(claimant);
        vm.expectRevert(
            abi.encodeWithSelector(InferenceEscrow.WrongModelCommitment.selector, instancesB[0], instancesA[0])
        );
        escrow.fulfil(id, proofA, instancesA);
        vm.prank(claimant);
        escrow.fulfil(id, proofB, instancesB);
        _eq(claimant.balance, FEE, "the named model's proof is paid");
    }
}
