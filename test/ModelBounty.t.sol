// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {ModelBountyBase} from "./ModelBountyBase.sol";
import {vm} from "./Vm.sol";
import {BookkeepingOnlyVerifier, BookkeepingOnlyGasBurner, BookkeepingOnlyOddReturn, NoBoolToken} from "./Mocks.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice Bookkeeping tests of ModelBounty: construction, posting and claiming. Payouts that
///         fail, refunds, reentrancy and fuzzing: ModelBountyPayouts.t.sol.
contract ModelBountyTest is ModelBountyBase {
    // ---- constructor -----------------------------------------------------------------------

    function test_ConstructorRejectsRegistryWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.RegistryHasNoCode.selector, address(0xdead)));
        new ModelBounty(VerifierRegistry(address(0xdead)));
    }

    function test_Constants() public view {
        _eq(bounty.VERIFIER_GAS_CAP(), 3_000_000, "gas cap");
        _eq(bounty.NUM_INSTANCES(), 4, "instances");
        _eq(address(bounty.registry()), address(registry), "registry");
        _eq(bounty.nextBountyId(), 0, "first id");
    }

    // ---- post --------------------------------------------------------------------------------

    function test_PostEthStoresBounty() public {
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyPosted(0, poster, YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
        uint256 id = _post(YES);
        _eq(id, 0, "first id");
        ModelBounty.Bounty memory b = bounty.getBounty(id);
        _eq(b.poster, poster, "poster");
        _eq(b.deadline, deadline, "deadline");
        _true(b.status == ModelBounty.Status.Open, "open");
        _eq(b.token, address(0), "eth");
        _eq(b.claimant, address(0), "no claimant yet");
        _eq(b.amount, AMOUNT, "amount");
        _eq(b.circuitId, YES, "circuit");
        _eq(b.testSetCommitment, TEST_SET, "test set");
        _eq(b.testSetSize, SIZE, "test set size");
        _eq(b.threshold, THRESHOLD, "threshold");
        _eq(b.modelCommitment, 0, "no model yet");
        _eq(b.correctCount, 0, "no count yet");
        _eq(address(bounty).balance, AMOUNT, "escrow");
        _eq(_post(YES), 1, "ids increase");
        _eq(bounty.nextBountyId(), 2, "next id");
        _true(_status(2) == ModelBounty.Status.None, "absent bounty");
    }

    function test_PostTokenPullsFunds() public {
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyPosted(0, poster, YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), 5 ether);
        uint256 id = _postToken(address(token), 5 ether);
        _eq(token.balanceOf(address(bounty)), 5 ether, "escrow");
        _eq(token.balanceOf(poster), 95 ether, "poster debited");
        _eq(bounty.getBounty(id).amount, 5 ether, "amount");
        _eq(bounty.getBounty(id).token, address(token), "token");
    }

    function test_PostNoBoolToken() public {
        uint256 id = _postToken(address(noBool), 5 ether);
        _eq(noBool.balanceOf(address(bounty)), 5 ether, "escrow");
        _eq(bounty.getBounty(id).amount, 5 ether, "amount");
    }

    function test_PostFeeOnTransferCreditsWhatArrived() public {
        token.setFeeBps(100); // 1 %
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyPosted(0, poster, YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), 9.9 ether);
        uint256 id = _postToken(address(token), 10 ether);
        _eq(bounty.getBounty(id).amount, 9.9 ether, "credited what arrived");
        _eq(token.balanceOf(address(bounty)), 9.9 ether, "escrow");
    }

    function test_PostDeadlineNowIsAllowed() public {
        vm.prank(poster);
        uint256 id = bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, THRESHOLD, uint64(block.timestamp), address(0), AMOUNT);
        _claim(id);
        _eq(hunter.balance, AMOUNT, "claimable in the same second");
    }

    function test_PostRejectsBadParameters() public {
        vm.startPrank(poster);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.UnknownCircuit.selector, 999));
        bounty.post{value: AMOUNT}(999, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.NotAFieldElement.selector, BN254_SCALAR_FIELD));
        bounty.post{value: AMOUNT}(YES, BN254_SCALAR_FIELD, SIZE, THRESHOLD, deadline, address(0), AMOUNT);

        vm.expectRevert(ModelBounty.ZeroThreshold.selector);
        bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, 0, deadline, address(0), AMOUNT);

        uint64 past = uint64(block.timestamp - 1);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.DeadlineInPast.selector, past));
        bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, THRESHOLD, past, address(0), AMOUNT);
        vm.stopPrank();
        _eq(bounty.nextBountyId(), 0, "nothing posted");
        _eq(address(bounty).balance, 0, "nothing escrowed");
    }

    function test_PostRejectsBadFunding() public {
        vm.startPrank(poster);
        vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), 0);

        vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), 0);

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongEtherValue.selector, AMOUNT, AMOUNT - 1));
        bounty.post{value: AMOUNT - 1}(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongEtherValue.selector, AMOUNT, AMOUNT + 1));
        bounty.post{value: AMOUNT + 1}(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongEtherValue.selector, 0, 1));
        bounty.post{value: 1}(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), AMOUNT);

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.TokenHasNoCode.selector, address(0x70c3)));
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0x70c3), AMOUNT);

        // More than the allowance/balance: the token reverts.
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFromFailed.selector, address(token), poster, 1000 ether)
        );
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), 1000 ether);
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFromFailed.selector, address(noBool), poster, 1000 ether)
        );
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(noBool), 1000 ether);
        vm.stopPrank();

        // ... or returns false.
        token.setReturnFalse(true);
        vm.prank(poster);
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFromFailed.selector, address(token), poster, 1000 ether)
        );
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), 1000 ether);

        // A token that reports success and moves nothing: nothing received.
        token.setReturnFalse(false);
        token.setNoop(true);
        vm.prank(poster);
        vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), AMOUNT);

        // A 100 % fee: nothing received.
        token.setNoop(false);
        token.setFeeBps(10_000);
        vm.prank(poster);
        vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), AMOUNT);

        _eq(bounty.nextBountyId(), 0, "nothing posted");
        _eq(token.balanceOf(poster), 100 ether, "poster's tokens untouched");
    }

    function test_DirectEtherIsRefused() public {
        (bool ok,) = address(bounty).call{value: 1}("");
        _true(!ok, "plain ether transfer accepted");
    }

    // ---- claim -------------------------------------------------------------------------------

    function test_ClaimPaysEthAtOnce() public {
        uint256 id = _post(YES);
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyClaimed(id, hunter, MODEL, THRESHOLD, address(0), AMOUNT);
        _claim(id);
        _eq(hunter.balance, AMOUNT, "hunter paid");
        _eq(address(bounty).balance, 0, "escrow emptied");
        ModelBounty.Bounty memory b = bounty.getBounty(id);
        _true(b.status == ModelBounty.Status.Paid, "paid");
        _eq(b.claimant, hunter, "claimant recorded");
        _eq(b.modelCommitment, MODEL, "model commitment recorded");
        _eq(b.correctCount, THRESHOLD, "count recorded");
    }

    function test_ClaimPaysTokens() public {
        uint256 id = _postToken(address(token), 5 ether);
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyClaimed(id, hunter, MODEL, THRESHOLD, address(token), 5 ether);
        _claim(id);
        _eq(token.balanceOf(hunter), 5 ether, "hunter paid");
        _eq(token.balanceOf(address(bounty)), 0, "escrow emptied");
    }

    function test_ClaimPaysNoBoolTokens() public {
        uint256 id = _postToken(address(noBool), 5 ether);
        _claim(id);
        _eq(noBool.balanceOf(hunter), 5 ether, "hunter paid");
        _eq(noBool.balanceOf(address(bounty)), 0, "escrow emptied");
    }

    function test_ClaimPaysFeeOnTransferTokens() public {
        token.setFeeBps(100);
        uint256 id = _postToken(address(token), 10 ether);
        _claim(id);
        _eq(token.balanceOf(address(bounty)), 0, "escrow emptied exactly");
        _eq(token.balanceOf(hunter), 9.801 ether, "hunter gets what the token delivers");
    }

    function test_AboveThresholdPays() public {
        uint256 id = _post(YES);
        uint256[] memory inst = _inst(id, hunter, THRESHOLD + 7);
        vm.prank(hunter);
        bounty.claim(id, hex"01", inst);
        _eq(bounty.getBounty(id).correctCount, THRESHOLD + 7, "count recorded");
    }

    function test_AnyHunterMayClaimFirstValidClaimWins() public {
        uint256 id = _post(YES);
        address second = address(0x5EC0);
        // A weaker hunter fails; a stronger one is paid; later claims revert.
        _expectClaimRevert(
            id,
            _inst(id, hunter, THRESHOLD - 1),
            abi.encodeWithSelector(ModelBounty.BelowThreshold.selector, THRESHOLD - 1, THRESHOLD)
        );
        uint256[] memory inst = _inst(id, second, THRESHOLD);
        vm.prank(second);
        bounty.claim(id, hex"01", inst);
        _eq(second.balance, AMOUNT, "second hunter paid");
        _expectClaimRevert(
            id, _inst(id, hunter, THRESHOLD + 1), abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id)
        );
        _eq(hunter.balance, 0, "later claim unpaid");
    }

    function test_ClaimAtDeadlinePays() public {
        uint256 id = _post(YES);
        vm.warp(deadline);
        _claim(id);
        _eq(hunter.balance, AMOUNT, "paid at the deadline");
    }

    function test_ClaimAfterDeadlineFails() public {
        uint256 id = _post(YES);
        vm.warp(uint256(deadline) + 1);
        _expectClaimRevert(
            id, _inst(id, hunter, THRESHOLD), abi.encodeWithSelector(ModelBounty.BountyExpired.selector, id, deadline)
        );
    }

    function test_WrongInstanceCount() public {
        uint256 id = _post(YES);
        for (uint256 n = 0; n < 7; n++) {
            if (n == 4) continue;
            uint256[] memory inst = new uint256[](n);
            if (n > 1) inst[1] = _binding(hunter, id);
            if (n > 2) inst[2] = TEST_SET;
            if (n > 3) inst[3] = THRESHOLD;
            _expectClaimRevert(id, inst, abi.encodeWithSelector(ProofPaymentBase.WrongInstanceCount.selector, 4, n));
        }
    }

    function test_WrongTestSet() public {
        uint256 id = _post(YES);
        uint256[] memory inst = _inst(id, hunter, THRESHOLD);
        inst[2] = TEST_SET + 1;
        _expectClaimRevert(id, inst, abi.encodeWithSelector(ModelBounty.WrongTestSet.selector, TEST_SET, TEST_SET + 1));
    }

    function test_BelowThreshold() public {
        uint256 id = _post(YES);
        _expectClaimRevert(
            id,
            _inst(id, hunter, THRESHOLD - 1),
            abi.encodeWithSelector(ModelBounty.BelowThreshold.selector, THRESHOLD - 1, THRESHOLD)
        );
        _expectClaimRevert(
            id, _inst(id, hunter, 0), abi.encodeWithSelector(ModelBounty.BelowThreshold.selector, 0, THRESHOLD)
        );
    }

    /// Issue 14, item 2: a circuit whose output is hashed puts a Poseidon commitment (~2^253) in
    /// instances[3]; compared with the threshold as a count it wins any bounty. A count above the
    /// test set's size is refused, whatever the verifier says.
    function test_CountAboveTestSetSizeIsNotPaid() public {
        uint256 id = _post(YES); // YES accepts every proof
        uint256 huge = 1 << 200;
        _expectClaimRevert(
            id, _inst(id, hunter, huge), abi.encodeWithSelector(ModelBounty.CountAboveTestSetSize.selector, huge, SIZE)
        );
        _expectClaimRevert(
            id,
            _inst(id, hunter, SIZE + 1),
            abi.encodeWithSelector(ModelBounty.CountAboveTestSetSize.selector, SIZE + 1, SIZE)
        );
        _eq(hunter.balance, 0, "nothing paid");
        uint256[] memory all = _inst(id, hunter, SIZE);
        vm.prank(hunter);
        bounty.claim(id, hex"01", all);
        _eq(bounty.getBounty(id).correctCount, SIZE, "every sample right is a valid count");
    }

    function test_PostRejectsThresholdAboveTestSetSize() public {
        vm.startPrank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.ThresholdAboveTestSetSize.selector, SIZE + 1, SIZE));
        bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, SIZE + 1, deadline, address(0), AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.ThresholdAboveTestSetSize.selector, 1, 0));
        bounty.post{value: AMOUNT}(YES, TEST_SET, 0, 1, deadline, address(0), AMOUNT);
        uint256 id = bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, SIZE, deadline, address(0), AMOUNT);
        vm.stopPrank();
        _eq(bounty.getBounty(id).threshold, SIZE, "every sample right is a reachable threshold");
    }

    /// A bounty names an accuracy circuit: one input (the test set's commitment), one output (the
    /// count), as the registry recorded its layout.
    function test_PostRejectsACircuitThatIsNotAnAccuracyCircuit() public {
        BookkeepingOnlyVerifier inference = new BookkeepingOnlyVerifier(0xabc, true);
        inference.setLayout(1, 3);
        registry.register(address(inference));
        BookkeepingOnlyVerifier publicTestSet = new BookkeepingOnlyVerifier(0xabd, true);
        publicTestSet.setLayout(40, 1);
        registry.register(address(publicTestSet));
        vm.startPrank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.NotAnAccuracyCircuit.selector, 0xabc, 1, 3));
        bounty.post{value: AMOUNT}(0xabc, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.NotAnAccuracyCircuit.selector, 0xabd, 40, 1));
        bounty.post{value: AMOUNT}(0xabd, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
        vm.stopPrank();
    }

    function test_ProofBoundToAnotherSenderIsNotPaid() public {
        uint256 id = _post(YES);
        uint256[] memory inst = _inst(id, hunter, THRESHOLD);
        vm.prank(thief);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(thief, id), inst[1]));
        bounty.claim(id, hex"01", inst);
        _claim(id);
        _eq(hunter.balance, AMOUNT, "the bound hunter is paid");
        _eq(thief.balance, 0, "the copier is not");
    }

    function test_ProofBoundToAnotherBountyIsNotPaid() public {
        uint256 first = _post(YES);
        uint256 second = _post(YES);
        uint256[] memory inst = _inst(first, hunter, THRESHOLD);
        _expectClaimRevert(
            second,
            inst,
            abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(hunter, second), inst[1])
        );
    }

    function test_RejectedProofIsNotPaid() public {
        uint256 id = _post(NO);
        _expectClaimRevert(
            id, _inst(id, hunter, THRESHOLD), abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id)
        );
        _eq(hunter.balance, 0, "nothing paid");
        _true(_status(id) == ModelBounty.Status.Open, "still open");
        // The same claim passes once the (stand-in) verifier accepts: nothing else blocked it.
        no.setAccept(true);
        _claim(id);
        _eq(hunter.balance, AMOUNT, "paid");
    }

    function test_OddVerifierReturnsAreRejected() public {
        for (uint256 mode = 0; mode < 6; mode++) {
            uint256 circuit = registry.register(address(new BookkeepingOnlyOddReturn(200 + mode, mode)));
            vm.prank(poster);
            uint256 id = bounty.post{value: AMOUNT}(circuit, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
            _expectClaimRevert(
                id, _inst(id, hunter, THRESHOLD), abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id)
            );
        }
        _eq(hunter.balance, 0, "nothing paid");
    }

    function test_GasBurningVerifierIsCapped() public {
        uint256 circuit = registry.register(address(new BookkeepingOnlyGasBurner(300)));
        uint256 id = _post(circuit);
        bytes memory call = abi.encodeCall(ModelBounty.claim, (id, hex"01", _inst(id, hunter, THRESHOLD)));
        vm.prank(hunter);
        uint256 before = gasleft();
        (bool ok, bytes memory err) = address(bounty).call{gas: 20_000_000}(call);
        uint256 used = before - gasleft();
        _true(!ok, "must not pay");
        _eq(keccak256(err), keccak256(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id)), "error");
        _true(used < bounty.VERIFIER_GAS_CAP() + 200_000, "verifier gas not capped");
    }

    function test_ChangedVerifierCodeIsRefused() public {
        uint256 id = _post(YES);
        // The registered verifier's code is replaced (a metamorphic contract): never called.
        vm.etch(address(yes), address(byteVerifier).code);
        _expectClaimRevert(
            id,
            _inst(id, hunter, THRESHOLD),
            abi.encodeWithSelector(ProofPaymentBase.VerifierCodeChanged.selector, YES)
        );
    }

    function test_NoSecondPayment() public {
        uint256 id = _post(YES);
        _claim(id);
        _expectClaimRevert(
            id, _inst(id, hunter, THRESHOLD), abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id)
        );
        _eq(hunter.balance, AMOUNT, "paid once");
    }

    function test_UnknownBounty() public {
        _expectClaimRevert(
            7, _inst(7, hunter, THRESHOLD), abi.encodeWithSelector(ModelBounty.UnknownBounty.selector, 7)
        );
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.UnknownBounty.selector, 7));
        bounty.refund(7);
        ModelBounty.Bounty memory b = bounty.getBounty(7);
        _true(b.status == ModelBounty.Status.None && b.poster == address(0), "absent");
    }

    function test_ClaimIsNotPayable() public {
        uint256 id = _post(YES);
        vm.deal(hunter, 1);
        vm.prank(hunter);
        (bool ok,) = address(bounty).call{value: 1}(
            abi.encodeCall(ModelBounty.claim, (id, hex"01", _inst(id, hunter, THRESHOLD)))
        );
        _true(!ok, "claim accepted ether");
    }
}
