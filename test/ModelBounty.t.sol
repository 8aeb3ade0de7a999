// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {IHalo2Verifier} from "../contracts/IHalo2Verifier.sol";

/// @notice NOT A VERIFIER. For bookkeeping tests of ModelBounty only (payout, deadlines, refunds,
///         reentrancy): it accepts or rejects every proof according to a constructor flag.
///         Real-proof tests live in ModelBountyRealProof.t.sol.
contract BookkeepingOnlyVerifier is IHalo2Verifier {
    bool public immutable accept;

    constructor(bool accept_) {
        accept = accept_;
    }

    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        return accept;
    }
}

/// @notice For bookkeeping tests only: burns all gas it is given (like a halo2 verifier fed a
///         corrupted curve point), to check the claim's gas cap.
contract BookkeepingOnlyGasBurner {
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        uint256 x;
        while (gasleft() > 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return x == 0;
    }
}

/// @notice For bookkeeping tests only: returns something that is not exactly abi.encode(true).
contract BookkeepingOnlyOddReturn {
    uint256 public immutable mode;

    constructor(uint256 mode_) {
        mode = mode_;
    }

    function verifyProof(bytes calldata, uint256[] calldata) external view returns (uint256, uint256) {
        // mode 0: returns (1, 1), i.e. 64 bytes; mode 1: returns 2 in one word (not a bool).
        if (mode == 1) {
            assembly {
                mstore(0, 2)
                return(0, 0x20)
            }
        }
        return (1, 1);
    }
}

/// @notice Claimant that re-enters claim() (or refund(), as poster) from its receive hook.
contract Reenterer {
    ModelBounty public immutable bounty;
    uint256 public id;
    bool public viaRefund;
    uint256 public receives;
    bool public reentrySucceeded;
    bytes4 public reentryError;

    constructor(ModelBounty bounty_) {
        bounty = bounty_;
    }

    function post(address verifier, uint256 commitment, uint64 deadline) external payable {
        id = bounty.post{value: msg.value}(verifier, commitment, deadline);
    }

    function claim(uint256 id_) external {
        id = id_;
        bounty.claim(id_, hex"00", _instances());
    }

    function refund() external {
        viaRefund = true;
        bounty.refund(id);
    }

    receive() external payable {
        receives++;
        if (receives > 1) return;
        try this.reenter() {
            reentrySucceeded = true;
        } catch (bytes memory err) {
            bytes4 sel;
            if (err.length >= 4) {
                assembly {
                    sel := mload(add(err, 0x20))
                }
            }
            reentryError = sel;
        }
    }

    function reenter() external {
        require(msg.sender == address(this), "self only");
        if (viaRefund) bounty.refund(id);
        else bounty.claim(id, hex"00", _instances());
    }

    function _instances() private view returns (uint256[] memory inst) {
        inst = new uint256[](2);
        inst[0] = 42;
        inst[1] = bounty.bindingOf(address(this), id);
    }
}

contract ModelBountyTest {
    uint256 constant COMMITMENT = 42;
    uint256 constant AMOUNT = 1 ether;

    ModelBounty bounty;
    BookkeepingOnlyVerifier yes;
    BookkeepingOnlyVerifier no;
    address poster = address(0xB0B);
    address claimant = address(0xC1A1);
    uint64 deadline;

    function setUp() public {
        bounty = new ModelBounty();
        yes = new BookkeepingOnlyVerifier(true);
        no = new BookkeepingOnlyVerifier(false);
        vm.warp(1_000_000);
        deadline = uint64(block.timestamp + 1 days);
        vm.deal(poster, 10 ether);
    }

    // ---- helpers ---------------------------------------------------------------------------

    /// ModelBounty.bindingOf, computed here so that no external call sits between a prank or an
    /// expectRevert and the call it is meant for.
    function _binding(address who, uint256 id) internal pure returns (uint256) {
        return uint256(uint160(who)) | (id << 160);
    }

    function _post(address verifier) internal returns (uint256 id) {
        vm.prank(poster);
        id = bounty.post{value: AMOUNT}(verifier, COMMITMENT, deadline);
    }

    /// Instances of a claim of bounty `id` by `claimant`: [first, binding, an output].
    function _inst(uint256 id, uint256 first) internal view returns (uint256[] memory inst) {
        inst = new uint256[](3);
        inst[0] = first;
        inst[1] = id < 1 << 64 ? _binding(claimant, id) : 0;
        inst[2] = 7;
    }

    function _claim(uint256 id, uint256 first) internal {
        uint256[] memory inst = _inst(id, first);
        vm.prank(claimant);
        bounty.claim(id, hex"c0ffee", inst);
    }

    function _eq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": values differ"));
    }

    // ---- post --------------------------------------------------------------------------------

    function test_PostStoresBounty() public {
        uint256 id = _post(address(yes));
        ModelBounty.Bounty memory b = bounty.getBounty(id);
        require(b.poster == poster && b.verifier == address(yes), "parties");
        require(b.status == ModelBounty.Status.Open, "open");
        _eq(b.amount, AMOUNT, "amount");
        _eq(b.modelCommitment, COMMITMENT, "commitment");
        _eq(b.deadline, deadline, "deadline");
        _eq(address(bounty).balance, AMOUNT, "escrow");
        _eq(_post(address(yes)), id + 1, "ids increase");
    }

    function test_PostValidation() public {
        vm.prank(poster);
        vm.expectRevert(ModelBounty.ZeroAmount.selector);
        bounty.post(address(yes), COMMITMENT, deadline);

        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.VerifierHasNoCode.selector, address(0xdead)));
        bounty.post{value: AMOUNT}(address(0xdead), COMMITMENT, deadline);

        uint64 past = uint64(block.timestamp - 1);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.DeadlineInPast.selector, past));
        bounty.post{value: AMOUNT}(address(yes), COMMITMENT, past);
    }

    // ---- claim -------------------------------------------------------------------------------

    function test_ClaimPaysClaimant() public {
        uint256 id = _post(address(yes));
        vm.expectEmit(true, true, false, true);
        emit ModelBounty.BountyClaimed(id, claimant, AMOUNT);
        _claim(id, COMMITMENT);
        _eq(claimant.balance, AMOUNT, "claimant paid");
        _eq(address(bounty).balance, 0, "escrow emptied");
        require(bounty.getBounty(id).status == ModelBounty.Status.Paid, "status paid");
    }

    function testFuzz_ClaimPaysExactAmount(uint96 amount) public {
        vm.assume(amount > 0);
        vm.deal(poster, amount);
        vm.prank(poster);
        uint256 id = bounty.post{value: amount}(address(yes), COMMITMENT, deadline);
        _claim(id, COMMITMENT);
        _eq(claimant.balance, amount, "claimant paid");
    }

    function test_ClaimAtDeadlineStillPays() public {
        uint256 id = _post(address(yes));
        vm.warp(deadline);
        _claim(id, COMMITMENT);
        _eq(claimant.balance, AMOUNT, "paid at deadline");
    }

    function test_RejectedProofIsNotPaid() public {
        uint256 id = _post(address(no));
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.ProofRejected.selector, id));
        _claim(id, COMMITMENT);
        _eq(claimant.balance, 0, "nothing paid");
        require(bounty.getBounty(id).status == ModelBounty.Status.Open, "still open");
    }

    function test_NonBoolReturnIsRejected() public {
        for (uint256 mode = 0; mode < 2; mode++) {
            uint256 id = _post(address(new BookkeepingOnlyOddReturn(mode)));
            vm.expectRevert(abi.encodeWithSelector(ModelBounty.ProofRejected.selector, id));
            _claim(id, COMMITMENT);
        }
    }

    function test_GasBurningVerifierIsCapped() public {
        uint256 id = _post(address(new BookkeepingOnlyGasBurner()));
        bytes memory call = abi.encodeCall(ModelBounty.claim, (id, hex"c0ffee", _inst(id, COMMITMENT)));
        vm.prank(claimant);
        uint256 before = gasleft();
        (bool ok, bytes memory err) = address(bounty).call{gas: 20_000_000}(call);
        uint256 used = before - gasleft();
        require(!ok, "must not pay");
        require(keccak256(err) == keccak256(abi.encodeWithSelector(ModelBounty.ProofRejected.selector, id)), "error");
        require(used < bounty.VERIFIER_GAS_CAP() + 200_000, "verifier gas not capped");
    }

    function test_NoSecondPayment() public {
        uint256 id = _post(address(yes));
        _claim(id, COMMITMENT);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id));
        _claim(id, COMMITMENT);
        _eq(claimant.balance, AMOUNT, "paid once");
    }

    function test_WrongCommitment() public {
        uint256 id = _post(address(yes));
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.WrongModelCommitment.selector, COMMITMENT, 43));
        _claim(id, 43);
    }

    function test_NoInstances() public {
        uint256 id = _post(address(yes));
        vm.prank(claimant);
        vm.expectRevert(ModelBounty.NoInstances.selector);
        bounty.claim(id, hex"c0ffee", new uint256[](0));
        vm.prank(claimant);
        vm.expectRevert(ModelBounty.NoInstances.selector);
        bounty.claim(id, hex"c0ffee", new uint256[](1));
    }

    function test_ProofBoundToAnotherSenderIsNotPaid() public {
        uint256 id = _post(address(yes));
        uint256[] memory inst = _inst(id, COMMITMENT);
        address thief = address(0x7111EF);
        vm.prank(thief);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.WrongClaimant.selector, _binding(thief, id), inst[1]));
        bounty.claim(id, hex"c0ffee", inst);
        _claim(id, COMMITMENT);
        _eq(claimant.balance, AMOUNT, "the bound claimant is paid");
    }

    function test_ProofBoundToAnotherBountyIsNotPaid() public {
        uint256 first = _post(address(yes));
        uint256 second = _post(address(yes));
        uint256[] memory inst = _inst(first, COMMITMENT);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.WrongClaimant.selector, _binding(claimant, second), inst[1]));
        bounty.claim(second, hex"c0ffee", inst);
    }

    function testFuzz_BindingPacksAddressAndId(address who, uint64 id) public view {
        uint256 b = bounty.bindingOf(who, id);
        require(address(uint160(b)) == who && b >> 160 == id, "binding layout");
    }

    function test_BindingRejectsHugeIds() public {
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyIdTooLarge.selector, uint256(1) << 64));
        bounty.bindingOf(claimant, uint256(1) << 64);
    }

    function test_UnknownBounty() public {
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.UnknownBounty.selector, 99));
        _claim(99, COMMITMENT);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.UnknownBounty.selector, 99));
        bounty.refund(99);
    }

    function test_ClaimAfterDeadlineFails() public {
        uint256 id = _post(address(yes));
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyExpired.selector, id, deadline));
        _claim(id, COMMITMENT);
    }

    // ---- refund ------------------------------------------------------------------------------

    function test_RefundAfterDeadline() public {
        uint256 id = _post(address(yes));
        uint256 before = poster.balance;
        vm.warp(uint256(deadline) + 1);
        vm.prank(poster);
        bounty.refund(id);
        _eq(poster.balance, before + AMOUNT, "refunded");
        _eq(address(bounty).balance, 0, "escrow emptied");
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyRefunded.selector, id));
        _claim(id, COMMITMENT);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyRefunded.selector, id));
        bounty.refund(id);
    }

    function test_RefundNotBeforeDeadline() public {
        uint256 id = _post(address(yes));
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyNotExpired.selector, id, deadline));
        bounty.refund(id);
        vm.warp(deadline);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyNotExpired.selector, id, deadline));
        bounty.refund(id);
    }

    function test_RefundOnlyPoster() public {
        uint256 id = _post(address(yes));
        vm.warp(uint256(deadline) + 1);
        vm.prank(claimant);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.NotPoster.selector, claimant));
        bounty.refund(id);
    }

    function test_NoRefundAfterPaid() public {
        uint256 id = _post(address(yes));
        _claim(id, COMMITMENT);
        vm.warp(uint256(deadline) + 1);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ModelBounty.BountyAlreadyPaid.selector, id));
        bounty.refund(id);
    }

    // ---- reentrancy --------------------------------------------------------------------------

    function test_ReentrantClaimPaysOnce() public {
        uint256 id = _post(address(yes));
        _post(address(yes)); // a second bounty's escrow that an attacker would like to drain
        Reenterer attacker = new Reenterer(bounty);
        attacker.claim(id);
        _eq(address(attacker).balance, AMOUNT, "paid exactly once");
        _eq(address(bounty).balance, AMOUNT, "other escrow intact");
        require(!attacker.reentrySucceeded(), "reentry must fail");
        require(attacker.reentryError() == ModelBounty.BountyAlreadyPaid.selector, "reentry error");
    }

    function test_ReentrantRefundPaysOnce() public {
        Reenterer attacker = new Reenterer(bounty);
        attacker.post{value: AMOUNT}(address(yes), COMMITMENT, deadline);
        _post(address(yes));
        vm.warp(uint256(deadline) + 1);
        attacker.refund();
        _eq(address(attacker).balance, AMOUNT, "refunded exactly once");
        _eq(address(bounty).balance, AMOUNT, "other escrow intact");
        require(!attacker.reentrySucceeded(), "reentry must fail");
        require(attacker.reentryError() == ModelBounty.BountyAlreadyRefunded.selector, "reentry error");
    }

    receive() external payable {}
}
