// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {ModelBountyBase} from "./ModelBountyBase.sol";
import {vm} from "./Vm.sol";
import {TestToken, EtherRejecter, ReentrantReceiver} from "./Mocks.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";

/// @notice Bookkeeping tests of ModelBounty: refunds, payouts that fail, reentrancy through
///         ether and token hooks, and fuzzed amounts, deadlines and claims.
contract ModelBountyPayoutsTest is ModelBountyBase {
    // ---- refund ------------------------------------------------------------------------------

    function test_RefundAfterDeadlineByAnyone() public {
        uint256 id = _post(YES);
        uint256 before = poster.balance;
        vm.warp(uint256(deadline) + 1);
        vm.expectEmit(true, true, true, true, address(bounty));
        emit ModelBounty.BountyRefunded(id, poster, address(0), AMOUNT);
        vm.prank(thief); // anyone may trigger it; only the poster receives
        bounty.refund(id);
        _eq(poster.balance, before + AMOUNT, "refunded to the poster");
        _eq(thief.balance, 0, "caller gets nothing");
        _eq(address(bounty).balance, 0, "escrow emptied");
        _true(_status(id) == ModelBounty.Status.Refunded, "refunded");
        _expectClaimRevert(
            id, _inst(id, hunter, THRESHOLD), abi.encodeWithSelector(ModelBounty.BountyAlreadyRefunded.selector, id)
        );
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyRefunded.selector, id));
        bounty.refund(id);
        _eq(poster.balance, before + AMOUNT, "refunded once");
    }

    function test_RefundTokens() public {
        uint256 id = _postToken(address(noBool), 5 ether);
        uint256 id2 = _postToken(address(token), 3 ether);
        vm.warp(uint256(deadline) + 1);
        bounty.refund(id);
        bounty.refund(id2);
        _eq(noBool.balanceOf(poster), 100 ether, "no-bool tokens back");
        _eq(token.balanceOf(poster), 100 ether, "tokens back");
    }

    function test_NoRefundUntilAfterDeadline() public {
        uint256 id = _post(YES);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyNotExpired.selector, id, deadline));
        bounty.refund(id);
        vm.warp(deadline);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyNotExpired.selector, id, deadline));
        bounty.refund(id);
        _eq(address(bounty).balance, AMOUNT, "still escrowed");
    }

    function test_NoRefundAfterPaid() public {
        uint256 id = _post(YES);
        _claim(id);
        vm.warp(uint256(deadline) + 1);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id));
        bounty.refund(id);
    }

    // ---- failed payouts ----------------------------------------------------------------------

    function test_FailedEthPayoutRevertsTheClaim() public {
        EtherRejecter rejecter = new EtherRejecter();
        uint256 id = _post(YES);
        bytes memory call =
            abi.encodeCall(ModelBounty.claim, (id, hex"01", _inst(id, address(rejecter), THRESHOLD)));
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFailed.selector, address(0), address(rejecter), AMOUNT)
        );
        rejecter.exec(address(bounty), call);
        _true(_status(id) == ModelBounty.Status.Open, "still open");
        _eq(address(bounty).balance, AMOUNT, "still escrowed");
    }

    function test_FailedTokenPayoutRevertsTheClaim() public {
        uint256 id = _postToken(address(token), 5 ether);
        token.setFailTransfer(true);
        _expectClaimRevert(
            id,
            _inst(id, hunter, THRESHOLD),
            abi.encodeWithSelector(ProofPaymentBase.TransferFailed.selector, address(token), hunter, 5 ether)
        );
        _true(_status(id) == ModelBounty.Status.Open, "still open");
        token.setFailTransfer(false);
        _claim(id);
        _eq(token.balanceOf(hunter), 5 ether, "paid once the token works");
    }

    function test_PayoutInATokenThatLostItsCodeFails() public {
        // A call to an address without code "succeeds" with no return data, like a token that
        // returns no bool: the payout must not count it as a transfer.
        uint256 id = _postToken(address(noBool), 5 ether);
        vm.etch(address(noBool), "");
        _expectClaimRevert(
            id,
            _inst(id, hunter, THRESHOLD),
            abi.encodeWithSelector(ProofPaymentBase.TransferFailed.selector, address(noBool), hunter, 5 ether)
        );
        _true(_status(id) == ModelBounty.Status.Open, "still open");
    }

    function test_RefundToEtherRejectingPosterReverts() public {
        EtherRejecter rejecter = new EtherRejecter();
        vm.deal(address(this), AMOUNT);
        bytes memory post = abi.encodeCall(ModelBounty.post, (YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT));
        rejecter.exec{value: AMOUNT}(address(bounty), post);
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFailed.selector, address(0), address(rejecter), AMOUNT)
        );
        bounty.refund(0);
        _true(_status(0) == ModelBounty.Status.Open, "still open");
    }

    // ---- reentrancy --------------------------------------------------------------------------

    function test_ReentrantClaimFromEthPayoutFails() public {
        ReentrantReceiver attacker = new ReentrantReceiver();
        uint256 id = _post(YES);
        uint256 other = _post(YES); // a second escrow the attacker would like to drain
        attacker.setReentry(
            address(bounty),
            abi.encodeCall(ModelBounty.claim, (other, hex"01", _inst(other, address(attacker), THRESHOLD)))
        );
        attacker.exec(
            address(bounty), abi.encodeCall(ModelBounty.claim, (id, hex"01", _inst(id, address(attacker), THRESHOLD)))
        );
        _eq(address(attacker).balance, AMOUNT, "paid exactly once");
        _eq(address(bounty).balance, AMOUNT, "other escrow intact");
        _true(attacker.attempted() && !attacker.reentrySucceeded(), "reentry must fail");
        _eq(attacker.reentryError(), ProofPaymentBase.ReentrantCall.selector, "reentry error");
        _true(_status(other) == ModelBounty.Status.Open, "other bounty open");
    }

    function test_ReentrantRefundFromEthRefundFails() public {
        ReentrantReceiver attacker = new ReentrantReceiver();
        vm.deal(address(this), AMOUNT);
        attacker.exec{value: AMOUNT}(
            address(bounty), abi.encodeCall(ModelBounty.post, (YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT))
        );
        _post(YES);
        attacker.setReentry(address(bounty), abi.encodeCall(ModelBounty.refund, (0)));
        vm.warp(uint256(deadline) + 1);
        bounty.refund(0);
        _eq(address(attacker).balance, AMOUNT, "refunded exactly once");
        _eq(address(bounty).balance, AMOUNT, "other escrow intact");
        _eq(attacker.reentryError(), ProofPaymentBase.ReentrantCall.selector, "reentry error");
    }

    function test_TokenCallingBackOnPayoutCannotReenter() public {
        uint256 id = _postToken(address(token), 5 ether);
        uint256 other = _postToken(address(token), 5 ether);
        // The token's transfer (the payout) calls claim on the other bounty.
        token.setHook(
            address(bounty),
            abi.encodeCall(ModelBounty.claim, (other, hex"01", _inst(other, address(token), THRESHOLD))),
            true,
            false
        );
        _claim(id);
        _true(token.hookCalled() && !token.hookSucceeded(), "reentry must fail");
        _eq(token.hookError(), ProofPaymentBase.ReentrantCall.selector, "reentry error");
        _eq(token.balanceOf(hunter), 5 ether, "paid once");
        _eq(token.balanceOf(address(bounty)), 5 ether, "other escrow intact");
        _true(_status(other) == ModelBounty.Status.Open, "other bounty open");
    }

    function test_TokenCallingBackOnPostCannotReenter() public {
        uint256 expired = _postToken(address(token), 5 ether);
        vm.warp(uint256(deadline) + 1);
        uint64 later = uint64(block.timestamp + 1 days);
        // The token's transferFrom (inside post) tries to refund an expired bounty and to post.
        token.setHook(address(bounty), abi.encodeCall(ModelBounty.refund, (expired)), false, true);
        vm.prank(poster);
        uint256 id = bounty.post(YES, TEST_SET, SIZE, THRESHOLD, later, address(token), 2 ether);
        _eq(token.hookError(), ProofPaymentBase.ReentrantCall.selector, "reentry error");
        _true(_status(expired) == ModelBounty.Status.Open, "not refunded from inside post");
        _eq(bounty.getBounty(id).amount, 2 ether, "post credited once");
        _eq(token.balanceOf(address(bounty)), 7 ether, "both escrows held");

        token.setHook(
            address(bounty),
            abi.encodeCall(ModelBounty.post, (YES, TEST_SET, SIZE, THRESHOLD, later, address(token), 1 ether)),
            false,
            true
        );
        vm.prank(poster);
        bounty.post(YES, TEST_SET, SIZE, THRESHOLD, later, address(token), 2 ether);
        _eq(token.hookError(), ProofPaymentBase.ReentrantCall.selector, "reentry error");
        _eq(bounty.nextBountyId(), 3, "one bounty per post");
        _eq(token.balanceOf(address(bounty)), 9 ether, "escrow = open bounties");
    }

    // ---- binding -----------------------------------------------------------------------------

    // (The binding's encoding, and proofs bound for another contract or chain: Binding.t.sol.)

    // ---- fuzz --------------------------------------------------------------------------------

    function testFuzz_EthAmount(uint96 amount) public {
        vm.assume(amount > 0);
        vm.deal(poster, amount);
        vm.prank(poster);
        uint256 id = bounty.post{value: amount}(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(0), amount);
        _eq(address(bounty).balance, amount, "escrowed");
        _claim(id);
        _eq(hunter.balance, amount, "paid exactly");
        _eq(address(bounty).balance, 0, "emptied");
    }

    function testFuzz_TokenAmount(uint128 amount, uint16 feeBps) public {
        feeBps = uint16(bound(feeBps, 0, 9_999));
        vm.assume(amount > 0);
        token.mint(poster, amount);
        token.setFeeBps(feeBps);
        uint256 received = amount - uint256(amount) * feeBps / 10_000;
        uint256 before = token.balanceOf(address(bounty));
        vm.prank(poster);
        if (received == 0) {
            vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
            bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), amount);
            return;
        }
        uint256 id = bounty.post(YES, TEST_SET, SIZE, THRESHOLD, deadline, address(token), amount);
        _eq(bounty.getBounty(id).amount, received, "credited what arrived");
        _eq(token.balanceOf(address(bounty)) - before, received, "escrowed");
        _claim(id);
        _eq(token.balanceOf(address(bounty)), before, "exactly the bounty left");
    }

    function testFuzz_Deadlines(uint64 lifetime, uint64 claimAt, bool tryClaim) public {
        lifetime = uint64(bound(lifetime, 0, 100 * 365 days));
        uint64 dl = uint64(block.timestamp) + lifetime;
        vm.prank(poster);
        uint256 id = bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, THRESHOLD, dl, address(0), AMOUNT);
        uint256 t = bound(claimAt, block.timestamp, uint256(dl) + 30 days);
        vm.warp(t);
        uint256 posterBefore = poster.balance;
        if (tryClaim) {
            uint256[] memory inst = _inst(id, hunter, THRESHOLD);
            vm.prank(hunter);
            (bool ok,) = address(bounty).call(abi.encodeCall(ModelBounty.claim, (id, hex"01", inst)));
            _true(ok == (t <= dl), "claimable iff at or before the deadline");
            _eq(hunter.balance, ok ? AMOUNT : 0, "payout");
        } else {
            (bool ok,) = address(bounty).call(abi.encodeCall(ModelBounty.refund, (id)));
            _true(ok == (t > dl), "refundable iff after the deadline");
            _eq(poster.balance, posterBefore + (ok ? AMOUNT : 0), "refund");
        }
    }

    function testFuzz_PastDeadlineRejected(uint64 ago) public {
        ago = uint64(bound(ago, 1, block.timestamp));
        uint64 dl = uint64(block.timestamp - ago);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.DeadlineInPast.selector, dl));
        bounty.post{value: AMOUNT}(YES, TEST_SET, SIZE, THRESHOLD, dl, address(0), AMOUNT);
    }

    /// Random proof bytes and instances against the proof-byte stand-in: a claim pays iff every
    /// check passes, and then only the sender, only the bounty.
    function testFuzz_RandomClaims(
        bytes calldata proof,
        uint8 length,
        uint256 testSet,
        uint256 correct,
        uint256 model,
        bool sameTestSet,
        bool bindToSender,
        address sender
    ) public {
        vm.assume(sender != address(bounty) && sender != poster && sender.code.length == 0 && uint160(sender) > 0xff);
        vm.assume(sender != address(vm) && sender.balance == 0);
        vm.prank(poster);
        uint256 id = bounty.post{value: AMOUNT}(BYTE, TEST_SET, SIZE, THRESHOLD, deadline, address(0), AMOUNT);
        uint256 n = length % 7;
        uint256[] memory inst = new uint256[](n);
        if (n > 0) inst[0] = model;
        if (n > 1) inst[1] = _binding(bindToSender ? sender : hunter, id);
        if (n > 2) inst[2] = sameTestSet ? TEST_SET : testSet;
        if (n > 3) inst[3] = correct % (2 * THRESHOLD);
        bool expected = n == 4 && inst[2] == TEST_SET && inst[3] >= THRESHOLD && inst[3] <= SIZE
            && (bindToSender || sender == hunter) && byteVerifier.accepts(proof);
        vm.prank(sender);
        (bool ok,) = address(bounty).call(abi.encodeCall(ModelBounty.claim, (id, proof, inst)));
        _true(ok == expected, "claim outcome");
        _eq(sender.balance, expected ? AMOUNT : 0, "sender paid iff valid");
        _eq(address(bounty).balance, expected ? 0 : AMOUNT, "escrow");
        _true(_status(id) == (expected ? ModelBounty.Status.Paid : ModelBounty.Status.Open), "status");
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }

    receive() external payable {}
}
