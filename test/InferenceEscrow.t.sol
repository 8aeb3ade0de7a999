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
import {InferenceConsumer} from "./InferenceEscrowRealProof.t.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {ProofPaymentBase} from "../contracts/ProofPaymentBase.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice Bookkeeping tests of InferenceEscrow (escrow, fulfilment checks, output storage,
///         deadlines, refunds, reentrancy, tokens) with BookkeepingOnly* stand-ins for the
///         verifier. Real proofs: InferenceEscrowRealProof.t.sol, HashedWeights.t.sol.
contract InferenceEscrowTest is Assertions {
    uint256 constant YES = 201;
    uint256 constant NO = 202;
    uint256 constant BYTE = 203;
    uint256 constant WIDE = 204; // three inputs, one output
    uint256 constant PAIR = 205; // two inputs, three outputs
    uint256 constant MODEL = 0x40de1;
    uint256 constant INPUT = 0x1a9;
    uint256 constant FEE = 0.1 ether;
    uint256 constant R = BN254_SCALAR_FIELD;

    VerifierRegistry registry;
    InferenceEscrow escrow;
    BookkeepingOnlyVerifier yes;
    BookkeepingOnlyVerifier no;
    BookkeepingOnlyProofByteVerifier byteVerifier;
    TestToken token;
    NoBoolToken noBool;
    address requester = address(0xD0A);
    address host = address(0x4057);
    address other = address(0x07E4);
    uint64 deadline;

    function setUp() public {
        vm.warp(1_000_000);
        deadline = uint64(block.timestamp + 1 hours);
        registry = new VerifierRegistry(true);
        yes = new BookkeepingOnlyVerifier(YES, true);
        no = new BookkeepingOnlyVerifier(NO, false);
        byteVerifier = new BookkeepingOnlyProofByteVerifier(BYTE);
        // The mlp_small layout: one input (its commitment), three outputs.
        yes.setLayout(1, 3);
        no.setLayout(1, 3);
        byteVerifier.setLayout(1, 3);
        registry.register(address(yes));
        registry.register(address(no));
        registry.register(address(byteVerifier));
        _registerLayout(WIDE, 3, 1);
        _registerLayout(PAIR, 2, 3);
        escrow = new InferenceEscrow(registry);
        token = new TestToken();
        noBool = new NoBoolToken();
        vm.deal(requester, 100 ether);
        token.mint(requester, 100 ether);
        noBool.mint(requester, 100 ether);
        vm.startPrank(requester);
        token.approve(address(escrow), type(uint256).max);
        noBool.approve(address(escrow), type(uint256).max);
        vm.stopPrank();
    }

    // ---- helpers ---------------------------------------------------------------------------

    /// bindingOf(who, id) of the escrow under test, computed locally.
    function _binding(address who, uint256 id) internal view returns (uint256) {
        return _bindingFor(address(escrow), who, id);
    }

    /// Registers an accept-all stand-in under `circuitId` with this instance layout.
    function _registerLayout(uint256 circuitId, uint256 inputs, uint256 outputs) internal {
        BookkeepingOnlyVerifier v = new BookkeepingOnlyVerifier(circuitId, true);
        v.setLayout(inputs, outputs);
        registry.register(address(v));
    }

    function _one(uint256 x) internal pure returns (uint256[] memory a) {
        a = new uint256[](1);
        a[0] = x;
    }

    function _outputs() internal pure returns (uint256[] memory o) {
        o = new uint256[](3);
        o[0] = 5;
        o[1] = R - 3; // -3 in the field
        o[2] = 9;
    }

    function _request(uint256 circuitId, address designated) internal returns (uint256 id) {
        vm.prank(requester);
        id = escrow.request{value: FEE}(circuitId, MODEL, _one(INPUT), deadline, address(0), FEE, designated);
    }

    function _requestToken(address tok, uint256 fee) internal returns (uint256 id) {
        vm.prank(requester);
        id = escrow.request(YES, MODEL, _one(INPUT), deadline, tok, fee, address(0));
    }

    /// [model, binding(who, id), inputs..., outputs...]
    function _inst(uint256 id, address who, uint256[] memory inputs, uint256[] memory outputs)
        internal
        view
        returns (uint256[] memory inst)
    {
        inst = new uint256[](2 + inputs.length + outputs.length);
        inst[0] = MODEL;
        inst[1] = _binding(who, id);
        for (uint256 i = 0; i < inputs.length; i++) {
            inst[2 + i] = inputs[i];
        }
        for (uint256 i = 0; i < outputs.length; i++) {
            inst[2 + inputs.length + i] = outputs[i];
        }
    }

    function _std(uint256 id, address who) internal view returns (uint256[] memory) {
        return _inst(id, who, _one(INPUT), _outputs());
    }

    function _fulfil(uint256 id) internal {
        uint256[] memory inst = _std(id, host);
        vm.prank(host);
        escrow.fulfil(id, hex"01", inst);
    }

    function _expectFulfilRevert(uint256 id, address sender, uint256[] memory inst, bytes memory err) internal {
        vm.prank(sender);
        vm.expectRevert(err);
        escrow.fulfil(id, hex"01", inst);
    }

    function _sameArray(uint256[] memory a, uint256[] memory b) internal pure returns (bool) {
        return keccak256(abi.encode(a)) == keccak256(abi.encode(b));
    }

    // ---- constructor -------------------------------------------------------------------------

    function test_ConstructorRejectsRegistryWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.RegistryHasNoCode.selector, address(0xdead)));
        new InferenceEscrow(VerifierRegistry(address(0xdead)));
    }

    // ---- request -----------------------------------------------------------------------------

    function test_RequestStoresIt() public {
        vm.expectEmit(true, true, true, true, address(escrow));
        emit InferenceEscrow.InferenceRequested(0, requester, YES, MODEL, _one(INPUT), host, deadline, address(0), FEE);
        uint256 id = _request(YES, host);
        _eq(id, 0, "first id");
        InferenceEscrow.Request memory r = escrow.getRequest(id);
        _eq(r.requester, requester, "requester");
        _eq(r.deadline, deadline, "deadline");
        _true(r.status == InferenceEscrow.Status.Open, "open");
        _eq(r.host, host, "designated host");
        _eq(r.token, address(0), "eth");
        _eq(r.fulfiller, address(0), "not fulfilled");
        _eq(r.fee, FEE, "fee");
        _eq(r.circuitId, YES, "circuit");
        _eq(r.modelCommitment, MODEL, "model");
        _eq(r.inputCount, 1, "input count");
        _eq(r.outputCount, 3, "output count: the circuit's");
        _eq(r.inputsHash, keccak256(abi.encodePacked(_one(INPUT))), "inputs hash");
        _eq(address(escrow).balance, FEE, "escrowed");
        _eq(_request(YES, address(0)), 1, "ids increase");
        _eq(escrow.nextRequestId(), 2, "next id");
        _true(escrow.statusOf(2) == InferenceEscrow.Status.None, "absent");
    }

    function test_RequestWithTokens() public {
        uint256 a = _requestToken(address(token), 2 ether);
        uint256 b = _requestToken(address(noBool), 3 ether);
        token.setFeeBps(50);
        uint256 c = _requestToken(address(token), 10 ether);
        _eq(escrow.getRequest(a).fee, 2 ether, "fee a");
        _eq(escrow.getRequest(b).fee, 3 ether, "fee b");
        _eq(escrow.getRequest(c).fee, 9.95 ether, "fee c: what arrived");
        _eq(token.balanceOf(address(escrow)), 11.95 ether, "token escrow");
        _eq(noBool.balanceOf(address(escrow)), 3 ether, "no-bool escrow");
    }

    function test_RequestRejectsBadParameters() public {
        uint256[] memory three = new uint256[](3);
        three[0] = 1;
        three[1] = 2;
        three[2] = R;
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.UnknownCircuit.selector, 77));
        escrow.request{value: FEE}(77, MODEL, _one(INPUT), deadline, address(0), FEE, address(0));

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.NotAFieldElement.selector, R));
        escrow.request{value: FEE}(YES, R, _one(INPUT), deadline, address(0), FEE, address(0));

        vm.expectRevert(InferenceEscrow.NoInputs.selector);
        escrow.request{value: FEE}(YES, MODEL, new uint256[](0), deadline, address(0), FEE, address(0));

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.NotAFieldElement.selector, R));
        escrow.request{value: FEE}(WIDE, MODEL, three, deadline, address(0), FEE, address(0));

        uint64 past = uint64(block.timestamp - 1);
        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.DeadlineInPast.selector, past));
        escrow.request{value: FEE}(YES, MODEL, _one(INPUT), past, address(0), FEE, address(0));

        vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
        escrow.request(YES, MODEL, _one(INPUT), deadline, address(0), 0, address(0));

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongEtherValue.selector, FEE, FEE / 2));
        escrow.request{value: FEE / 2}(YES, MODEL, _one(INPUT), deadline, address(0), FEE, address(0));

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.WrongEtherValue.selector, 0, FEE));
        escrow.request{value: FEE}(YES, MODEL, _one(INPUT), deadline, address(token), FEE, address(0));

        vm.expectRevert(abi.encodeWithSelector(ProofPaymentBase.TokenHasNoCode.selector, address(0x70c3)));
        escrow.request(YES, MODEL, _one(INPUT), deadline, address(0x70c3), FEE, address(0));

        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFromFailed.selector, address(noBool), requester, 500 ether)
        );
        escrow.request(YES, MODEL, _one(INPUT), deadline, address(noBool), 500 ether, address(0));
        vm.stopPrank();

        token.setNoop(true);
        vm.prank(requester);
        vm.expectRevert(ProofPaymentBase.ZeroAmount.selector);
        escrow.request(YES, MODEL, _one(INPUT), deadline, address(token), FEE, address(0));

        _eq(escrow.nextRequestId(), 0, "nothing requested");
        _eq(address(escrow).balance, 0, "nothing escrowed");
    }

    // ---- fulfil ------------------------------------------------------------------------------

    function test_FulfilPaysHostAndStoresOutputs() public {
        uint256 id = _request(YES, address(0));
        vm.expectEmit(true, true, true, true, address(escrow));
        emit InferenceEscrow.InferenceFulfilled(id, host, _outputs());
        _fulfil(id);
        _eq(host.balance, FEE, "host paid");
        _eq(address(escrow).balance, 0, "escrow emptied");
        _true(escrow.statusOf(id) == InferenceEscrow.Status.Fulfilled, "fulfilled");
        _eq(escrow.getRequest(id).fulfiller, host, "fulfiller recorded");
        _true(_sameArray(escrow.outputsOf(id), _outputs()), "outputs stored");
    }

    function test_AnotherContractReadsTheOutputs() public {
        uint256 id = _request(YES, address(0));
        InferenceConsumer consumer = new InferenceConsumer(escrow);
        _true(!consumer.ready(id), "not ready before fulfilment");
        _fulfil(id);
        _true(consumer.ready(id), "ready");
        int256[] memory signed = consumer.signedOutputs(id);
        _true(signed.length == 3 && signed[0] == 5 && signed[1] == -3 && signed[2] == 9, "decoded outputs");
        _eq(consumer.argmax(id), 2, "argmax");
        consumer.consume(id);
        _eq(consumer.lastArgmax(), 2, "consumed");
    }

    function test_FulfilWithSeveralInputsAndOneOutput() public {
        uint256[] memory inputs = new uint256[](3);
        inputs[0] = 11;
        inputs[1] = R - 1;
        inputs[2] = 0;
        vm.prank(requester);
        uint256 id = escrow.request{value: FEE}(WIDE, MODEL, inputs, deadline, address(0), FEE, address(0));
        _eq(escrow.getRequest(id).inputCount, 3, "count");
        uint256[] memory inst = _inst(id, host, inputs, _one(42));
        vm.prank(host);
        escrow.fulfil(id, hex"01", inst);
        _true(_sameArray(escrow.outputsOf(id), _one(42)), "one output");
    }

    function test_OutputsOfRevertsUnlessFulfilled() public {
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotFulfilled.selector, 0));
        escrow.outputsOf(0);
        uint256 id = _request(YES, address(0));
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotFulfilled.selector, id));
        escrow.outputsOf(id);
        vm.warp(uint256(deadline) + 1);
        escrow.refund(id);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotFulfilled.selector, id));
        escrow.outputsOf(id);
    }

    function test_DesignatedHostOnly() public {
        uint256 id = _request(YES, host);
        _expectFulfilRevert(
            id, other, _std(id, other), abi.encodeWithSelector(InferenceEscrow.NotDesignatedHost.selector, host, other)
        );
        _fulfil(id);
        _eq(host.balance, FEE, "designated host paid");
    }

    function test_OpenRequestAnyHost() public {
        uint256 id = _request(YES, address(0));
        uint256[] memory inst = _std(id, other);
        vm.prank(other);
        escrow.fulfil(id, hex"01", inst);
        _eq(other.balance, FEE, "any host paid");
    }

    /// Exactly the circuit's instances: 2 + 1 input + 3 outputs for YES.
    function test_WrongInstanceCount() public {
        uint256 id = _request(YES, address(0));
        for (uint256 n = 0; n < 9; n++) {
            if (n == 6) continue;
            uint256[] memory inst = new uint256[](n);
            if (n > 0) inst[0] = MODEL;
            if (n > 1) inst[1] = _binding(host, id);
            if (n > 2) inst[2] = INPUT;
            _expectFulfilRevert(id, host, inst, abi.encodeWithSelector(ProofPaymentBase.WrongInstanceCount.selector, 6, n));
        }
        uint256[] memory inputs = new uint256[](3);
        vm.prank(requester);
        uint256 id3 = escrow.request{value: FEE}(WIDE, MODEL, inputs, deadline, address(0), FEE, address(0));
        // Model, binding and three inputs but no output.
        _expectFulfilRevert(
            id3,
            host,
            _inst(id3, host, inputs, new uint256[](0)),
            abi.encodeWithSelector(ProofPaymentBase.WrongInstanceCount.selector, 6, 5)
        );
    }

    /// Issue 14, item 6: a request naming fewer inputs than the circuit has left the others
    /// unpinned: the host chose them, and they came back from `outputsOf` as outputs. A request
    /// must name exactly the circuit's input count (its registered layout).
    function test_RequestWithFewerInputsThanTheCircuitIsRefused() public {
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.WrongInputCount.selector, WIDE, 3, 1));
        escrow.request{value: FEE}(WIDE, MODEL, _one(INPUT), deadline, address(0), FEE, address(0));
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.WrongInputCount.selector, WIDE, 3, 4));
        escrow.request{value: FEE}(WIDE, MODEL, new uint256[](4), deadline, address(0), FEE, address(0));
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.WrongInputCount.selector, YES, 1, 2));
        escrow.request{value: FEE}(YES, MODEL, new uint256[](2), deadline, address(0), FEE, address(0));
        vm.stopPrank();
        _eq(escrow.nextRequestId(), 0, "nothing requested");
        _eq(address(escrow).balance, 0, "nothing escrowed");
    }

    /// The rest of item 6: even with a request naming all inputs, the proof's instances must be
    /// exactly the circuit's, so no host-chosen value is read as an input or stored as an output.
    function test_HostChosenExtraInstancesAreNotStoredAsOutputs() public {
        uint256[] memory inputs = new uint256[](3);
        inputs[0] = 7;
        vm.prank(requester);
        uint256 id = escrow.request{value: FEE}(WIDE, MODEL, inputs, deadline, address(0), FEE, address(0));
        uint256[] memory outputs = new uint256[](3); // the circuit has one output
        outputs[0] = 1;
        outputs[1] = 666;
        outputs[2] = 667;
        _expectFulfilRevert(
            id, host, _inst(id, host, inputs, outputs), abi.encodeWithSelector(ProofPaymentBase.WrongInstanceCount.selector, 6, 8)
        );
    }

    function test_CircuitWithoutOutputsCannotBeRequested() public {
        _registerLayout(0xd0, 1, 0);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.CircuitHasNoOutputs.selector, 0xd0));
        escrow.request{value: FEE}(0xd0, MODEL, _one(INPUT), deadline, address(0), FEE, address(0));
    }

    function test_WrongModelCommitment() public {
        uint256 id = _request(YES, address(0));
        uint256[] memory inst = _std(id, host);
        inst[0] = MODEL + 1;
        _expectFulfilRevert(
            id, host, inst, abi.encodeWithSelector(InferenceEscrow.WrongModelCommitment.selector, MODEL, MODEL + 1)
        );
    }

    function test_ProofBoundToAnotherSenderIsNotPaid() public {
        uint256 id = _request(YES, address(0));
        uint256[] memory inst = _std(id, host);
        _expectFulfilRevert(
            id, other, inst, abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(other, id), inst[1])
        );
        uint256 second = _request(YES, address(0));
        _expectFulfilRevert(
            second,
            host,
            inst,
            abi.encodeWithSelector(ProofPaymentBase.WrongClaimant.selector, _binding(host, second), inst[1])
        );
        _eq(other.balance + host.balance, 0, "nothing paid");
    }

    function test_WrongInputs() public {
        uint256 id = _request(YES, address(0));
        bytes32 expected = keccak256(abi.encodePacked(_one(INPUT)));
        uint256[] memory inst = _std(id, host);
        inst[2] = INPUT + 1;
        _expectFulfilRevert(
            id,
            host,
            inst,
            abi.encodeWithSelector(
                InferenceEscrow.WrongInputs.selector, expected, keccak256(abi.encodePacked(_one(INPUT + 1)))
            )
        );
        // Swapped inputs.
        uint256[] memory inputs = new uint256[](2);
        inputs[0] = 1;
        inputs[1] = 2;
        vm.prank(requester);
        uint256 id2 = escrow.request{value: FEE}(PAIR, MODEL, inputs, deadline, address(0), FEE, address(0));
        uint256[] memory swapped = new uint256[](2);
        swapped[0] = 2;
        swapped[1] = 1;
        _expectFulfilRevert(
            id2,
            host,
            _inst(id2, host, swapped, _outputs()),
            abi.encodeWithSelector(
                InferenceEscrow.WrongInputs.selector,
                keccak256(abi.encodePacked(inputs)),
                keccak256(abi.encodePacked(swapped))
            )
        );
    }

    function test_RejectedProofIsNotPaid() public {
        uint256 id = _request(NO, address(0));
        _expectFulfilRevert(
            id, host, _std(id, host), abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id)
        );
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.NotFulfilled.selector, id));
        escrow.outputsOf(id);
        no.setAccept(true);
        _fulfil(id);
        _eq(host.balance, FEE, "paid once the stand-in accepts");
    }

    function test_OddVerifierReturnsAreRejected() public {
        for (uint256 mode = 0; mode < 6; mode++) {
            BookkeepingOnlyOddReturn odd = new BookkeepingOnlyOddReturn(400 + mode, mode);
            odd.setLayout(1, 3);
            uint256 circuit = registry.register(address(odd));
            uint256 id = _request(circuit, address(0));
            _expectFulfilRevert(
                id, host, _std(id, host), abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id)
            );
        }
    }

    function test_GasBurningVerifierIsCapped() public {
        BookkeepingOnlyGasBurner burner = new BookkeepingOnlyGasBurner(500);
        burner.setLayout(1, 3);
        uint256 circuit = registry.register(address(burner));
        uint256 id = _request(circuit, address(0));
        bytes memory call = abi.encodeCall(InferenceEscrow.fulfil, (id, hex"01", _std(id, host)));
        vm.prank(host);
        uint256 before = gasleft();
        (bool ok, bytes memory err) = address(escrow).call{gas: 20_000_000}(call);
        uint256 used = before - gasleft();
        _true(!ok, "must not pay");
        _eq(keccak256(err), keccak256(abi.encodeWithSelector(ProofPaymentBase.ProofRejected.selector, id)), "error");
        _true(used < escrow.VERIFIER_GAS_CAP() + 200_000, "verifier gas not capped");
    }

    function test_ChangedVerifierCodeIsRefused() public {
        uint256 id = _request(YES, address(0));
        vm.etch(address(yes), address(byteVerifier).code);
        _expectFulfilRevert(
            id, host, _std(id, host), abi.encodeWithSelector(ProofPaymentBase.VerifierCodeChanged.selector, YES)
        );
    }

    function test_FulfilAtDeadlineButNotAfter() public {
        uint256 a = _request(YES, address(0));
        uint256 b = _request(YES, address(0));
        vm.warp(deadline);
        _fulfil(a);
        vm.warp(uint256(deadline) + 1);
        _expectFulfilRevert(
            b, host, _std(b, host), abi.encodeWithSelector(InferenceEscrow.RequestExpired.selector, b, deadline)
        );
    }

    function test_NoSecondFulfilment() public {
        uint256 id = _request(YES, address(0));
        _fulfil(id);
        _expectFulfilRevert(
            id, other, _std(id, other), abi.encodeWithSelector(InferenceEscrow.RequestAlreadyFulfilled.selector, id)
        );
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.RequestAlreadyFulfilled.selector, id));
        escrow.refund(id);
        _eq(host.balance, FEE, "paid once");
    }

    function test_UnknownRequest() public {
        _expectFulfilRevert(
            3, host, _std(3, host), abi.encodeWithSelector(InferenceEscrow.UnknownRequest.selector, 3)
        );
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.UnknownRequest.selector, 3));
        escrow.refund(3);
    }

    function test_FulfilIsNotPayable() public {
        uint256 id = _request(YES, address(0));
        vm.deal(host, 1);
        vm.prank(host);
        (bool ok,) = address(escrow).call{value: 1}(abi.encodeCall(InferenceEscrow.fulfil, (id, hex"01", _std(id, host))));
        _true(!ok, "fulfil accepted ether");
    }

    // ---- refund ------------------------------------------------------------------------------

    function test_RefundAfterDeadlineByAnyone() public {
        uint256 id = _request(YES, host);
        uint256 t = _requestToken(address(noBool), 4 ether);
        uint256 before = requester.balance;
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.RequestNotExpired.selector, id, deadline));
        escrow.refund(id);
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.RequestNotExpired.selector, id, deadline));
        escrow.refund(id);
        vm.warp(uint256(deadline) + 1);
        vm.expectEmit(true, true, true, true, address(escrow));
        emit InferenceEscrow.InferenceRefunded(id, requester, address(0), FEE);
        vm.prank(other);
        escrow.refund(id);
        escrow.refund(t);
        _eq(requester.balance, before + FEE, "fee back to the requester");
        _eq(noBool.balanceOf(requester), 100 ether, "tokens back");
        _eq(other.balance, 0, "caller gets nothing");
        _true(escrow.statusOf(id) == InferenceEscrow.Status.Refunded, "refunded");
        vm.expectRevert(abi.encodeWithSelector(InferenceEscrow.RequestAlreadyRefunded.selector, id));
        escrow.refund(id);
        vm.warp(1_000_000); // even with the clock turned back, a refunded request stays closed
        _expectFulfilRevert(
            id, host, _std(id, host), abi.encodeWithSelector(InferenceEscrow.RequestAlreadyRefunded.selector, id)
        );
    }

    // ---- failed payouts ----------------------------------------------------------------------

    function test_FailedPayoutsRevert() public {
        EtherRejecter rejecter = new EtherRejecter();
        uint256 id = _request(YES, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(ProofPaymentBase.TransferFailed.selector, address(0), address(rejecter), FEE)
        );
        rejecter.exec(address(escrow), abi.encodeCall(InferenceEscrow.fulfil, (id, hex"01", _std(id, address(rejecter)))));
        _true(escrow.statusOf(id) == InferenceEscrow.Status.Open, "still open");

        uint256 t = _requestToken(address(token), 1 ether);
        token.setFailTransfer(true);
        _expectFulfilRevert(
            t,
            host,
            _std(t, host),
            abi.encodeWithSelector(ProofPaymentBase.TransferFailed.selector, address(token), host, 1 ether)
        );
        _true(escrow.statusOf(t) == InferenceEscrow.Status.Open, "still open");
    }

    // ---- reentrancy --------------------------------------------------------------------------

    function test_ReentrantFulfilFromEthPayoutFails() public {
        ReentrantReceiver attacker = new ReentrantReceiver();
        uint256 id = _request(YES, address(0));
        uint256 second = _request(YES, address(0));
        attacker.setReentry(
            address(escrow), abi.encodeCall(InferenceEscrow.fulfil, (second, hex"01", _std(second, address(attacker))))
        );
        attacker.exec(address(escrow), abi.encodeCall(InferenceEscrow.fulfil, (id, hex"01", _std(id, address(attacker)))));
        _eq(address(attacker).balance, FEE, "paid once");
        _eq(attacker.reentryError(), ProofPaymentBase.ReentrantCall.selector, "reentry error");
        _true(escrow.statusOf(second) == InferenceEscrow.Status.Open, "second open");
        _eq(address(escrow).balance, FEE, "second escrow intact");
    }

    function test_OutputsAreFinalDuringThePayout() public {
        // Effects before the interaction: the host's receive hook already reads the outputs.
        ReentrantReceiver hostContract = new ReentrantReceiver();
        uint256 id = _request(YES, address(0));
        hostContract.setReentry(address(escrow), abi.encodeCall(InferenceEscrow.outputsOf, (id)));
        hostContract.exec(
            address(escrow), abi.encodeCall(InferenceEscrow.fulfil, (id, hex"01", _std(id, address(hostContract))))
        );
        _true(hostContract.attempted() && hostContract.reentrySucceeded(), "outputs readable during the payout");
    }

    function test_TokenCallingBackCannotReenter() public {
        uint256 id = _requestToken(address(token), 1 ether);
        uint256 second = _requestToken(address(token), 1 ether);
        token.setHook(
            address(escrow),
            abi.encodeCall(InferenceEscrow.fulfil, (second, hex"01", _std(second, address(token)))),
            true,
            false
        );
        _fulfil(id);
        _eq(token.hookError(), ProofPaymentBase.ReentrantCall.selector, "payout reentry error");
        _true(escrow.statusOf(second) == InferenceEscrow.Status.Open, "second open");
        _eq(token.balanceOf(address(escrow)), 1 ether, "second escrow intact");

        token.setHook(
            address(escrow),
            abi.encodeCall(InferenceEscrow.request, (YES, MODEL, _one(INPUT), deadline, address(token), 1, address(0))),
            false,
            true
        );
        _requestToken(address(token), 1 ether);
        _eq(token.hookError(), ProofPaymentBase.ReentrantCall.selector, "request reentry error");
        _eq(escrow.nextRequestId(), 3, "one request per call");
        _eq(token.balanceOf(address(escrow)), 2 ether, "escrow = open requests");
    }

    // ---- binding -----------------------------------------------------------------------------

    // (The binding's encoding, and proofs bound for another contract or chain: Binding.t.sol.)

    // ---- fuzz --------------------------------------------------------------------------------

    function testFuzz_EthFee(uint96 fee) public {
        vm.assume(fee > 0);
        vm.deal(requester, fee);
        vm.prank(requester);
        uint256 id = escrow.request{value: fee}(YES, MODEL, _one(INPUT), deadline, address(0), fee, address(0));
        _fulfil(id);
        _eq(host.balance, fee, "paid exactly");
        _eq(address(escrow).balance, 0, "emptied");
    }

    function testFuzz_TokenFee(uint128 fee) public {
        vm.assume(fee > 0);
        noBool.mint(requester, fee);
        vm.prank(requester);
        uint256 id = escrow.request(YES, MODEL, _one(INPUT), deadline, address(noBool), fee, address(0));
        vm.warp(uint256(deadline) + 1);
        uint256 before = noBool.balanceOf(requester);
        escrow.refund(id);
        _eq(noBool.balanceOf(requester), before + fee, "refunded exactly");
        _eq(noBool.balanceOf(address(escrow)), 0, "emptied");
    }

    function testFuzz_Deadlines(uint64 lifetime, uint64 when, bool tryFulfil) public {
        lifetime = uint64(bound(lifetime, 0, 10 * 365 days));
        uint64 dl = uint64(block.timestamp) + lifetime;
        vm.prank(requester);
        uint256 id = escrow.request{value: FEE}(YES, MODEL, _one(INPUT), dl, address(0), FEE, address(0));
        uint256 t = bound(when, block.timestamp, uint256(dl) + 30 days);
        vm.warp(t);
        uint256 requesterBefore = requester.balance;
        if (tryFulfil) {
            uint256[] memory inst = _std(id, host);
            vm.prank(host);
            (bool ok,) = address(escrow).call(abi.encodeCall(InferenceEscrow.fulfil, (id, hex"01", inst)));
            _true(ok == (t <= dl), "fulfillable iff at or before the deadline");
            _eq(host.balance, ok ? FEE : 0, "payout");
        } else {
            (bool ok,) = address(escrow).call(abi.encodeCall(InferenceEscrow.refund, (id)));
            _true(ok == (t > dl), "refundable iff after the deadline");
            _eq(requester.balance, requesterBefore + (ok ? FEE : 0), "refund");
        }
    }

    /// Random proof bytes, circuit layouts, instance layouts and senders against the proof-byte
    /// stand-in: a fulfilment pays iff every check passes, then only its sender, and stores exactly
    /// the proof's outputs.
    function testFuzz_RandomFulfilments(bytes calldata proof, uint256 seed, address sender) public {
        vm.assume(sender != address(escrow) && sender != requester && sender.code.length == 0);
        vm.assume(uint160(sender) > 0xff && sender != address(vm) && sender.balance == 0);
        (uint256 id, uint256[] memory inputs, uint256[] memory outputs) = _randomRequest(seed);
        (uint256[] memory inst, bool layoutOk) = _corrupt(_inst(id, sender, inputs, outputs), seed, id, sender, inputs.length);
        bool valid = layoutOk && byteVerifier.accepts(proof);
        vm.prank(sender);
        (bool ok,) = address(escrow).call(abi.encodeCall(InferenceEscrow.fulfil, (id, proof, inst)));
        _true(ok == valid, "fulfilment outcome");
        _eq(sender.balance, valid ? FEE : 0, "sender paid iff valid");
        _eq(address(escrow).balance, valid ? 0 : FEE, "escrow");
        if (valid) _true(_sameArray(escrow.outputsOf(id), outputs), "outputs stored exactly");
    }

    /// A request on a fresh proof-byte circuit with 1-3 inputs and 1-3 outputs (from `seed`), its
    /// inputs and the outputs a proof of it carries.
    function _randomRequest(uint256 seed) internal returns (uint256 id, uint256[] memory inputs, uint256[] memory outputs) {
        inputs = new uint256[](1 + seed % 3);
        outputs = new uint256[](1 + (seed >> 8) % 3);
        BookkeepingOnlyProofByteVerifier v = new BookkeepingOnlyProofByteVerifier(0xf00 + inputs.length * 4 + outputs.length);
        v.setLayout(inputs.length, outputs.length);
        uint256 circuit = registry.register(address(v));
        for (uint256 i = 0; i < inputs.length; i++) {
            inputs[i] = uint256(keccak256(abi.encode(seed, i))) % R;
        }
        for (uint256 i = 0; i < outputs.length; i++) {
            outputs[i] = uint256(keccak256(abi.encode(seed, "out", i)));
        }
        vm.prank(requester);
        id = escrow.request{value: FEE}(circuit, MODEL, inputs, deadline, address(0), FEE, address(0));
    }

    /// Corrupt `inst` according to `seed`: 0 model, 1 binding (to `host`), 2 an input, 3 another
    /// length (shorter or longer than the circuit's), 4+ leave it. Returns whether model, binding,
    /// inputs and length still match.
    function _corrupt(uint256[] memory inst, uint256 seed, uint256 id, address sender, uint256 ni)
        internal
        view
        returns (uint256[] memory, bool)
    {
        uint256 c = (seed >> 16) % 8;
        if (c == 0) inst[0] ^= 1;
        if (c == 1) inst[1] = _binding(host, id);
        if (c == 2) inst[2 + (seed >> 24) % ni] ^= 1;
        if (c == 3) {
            uint256 len = (seed >> 24) % (inst.length + 3);
            if (len == inst.length) len++;
            uint256[] memory resized = new uint256[](len);
            for (uint256 i = 0; i < len && i < inst.length; i++) {
                resized[i] = inst[i];
            }
            inst = resized;
        }
        return (inst, c > 3 || (c == 1 && sender == host));
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }

    receive() external payable {}
}
