// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {BookkeepingOnlyVerifier, BookkeepingOnlyProofByteVerifier, TestToken, NoBoolToken} from "./Mocks.sol";
import {ModelBounty} from "../contracts/ModelBounty.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {IERC20} from "../contracts/IERC20.sol";
import {IHalo2Verifier} from "../contracts/IHalo2Verifier.sol";
import {VerifierRegistry} from "../contracts/VerifierRegistry.sol";

/// @notice Drives ModelBounty and InferenceEscrow with random actors, tokens, amounts, times,
///         proofs and instances, and keeps ghost records the invariants check. Verifiers are
///         BookkeepingOnly* stand-ins: BYTE accepts iff proof[0] == 0x01 (one circuit per input
///         count 1..3, with as many outputs), NO rejects everything.
contract EscrowHandler {
    uint256 public constant BYTE = 0xb17e;
    uint256 public constant TEST_SET = 0x7e57;
    uint256 public constant TEST_SET_SIZE = 10;
    uint256 public constant MODEL = 0x40de1;

    VerifierRegistry public immutable registry;
    ModelBounty public immutable bounty;
    InferenceEscrow public immutable escrow;
    TestToken public immutable token;
    NoBoolToken public immutable noBool;
    uint256 public immutable rejectCircuit;

    address[4] internal actors = [address(0x1000A1), address(0x1000A2), address(0x1000A3), address(0x1000A4)];

    // ---- ghost records -----------------------------------------------------------------------
    /// Payouts (claim or refund) per bounty / request id.
    mapping(uint256 => uint256) public bountyPayouts;
    mapping(uint256 => uint256) public requestPayouts;
    /// Successful claims/fulfilments whose (proof, instances) the registered verifier rejects.
    uint256 public paidWithoutAcceptance;
    /// Successful claims/fulfilments whose binding names another address than the sender.
    uint256 public paidToAnotherSender;
    /// Successful claims/fulfilments whose binding names the other paying contract.
    uint256 public paidForAnotherContract;
    /// Successful claims counting more right answers than the test set has samples.
    uint256 public paidAboveTestSetSize;
    /// Payouts whose amount did not go exactly to the expected recipient (and nobody else).
    uint256 public wrongRecipient;
    /// Claims after the deadline or refunds at/before it that succeeded.
    uint256 public timingViolations;
    /// Fulfilments by someone other than a designated host, or with outputs stored wrongly.
    uint256 public fulfilmentViolations;
    /// Sum of amounts escrowed and paid out, per contract and token (0: ETH).
    mapping(address => mapping(address => uint256)) public escrowed;
    mapping(address => mapping(address => uint256)) public paidOut;
    /// Inputs each request names.
    mapping(uint256 => uint256[]) internal requestInputs;
    /// Call counters (for the report).
    uint256 public successfulClaims;
    uint256 public successfulFulfilments;
    uint256 public successfulRefunds;

    constructor() {
        registry = new VerifierRegistry(true);
        // BYTE + k - 1: k inputs and k outputs (BYTE itself: an accuracy circuit's layout).
        for (uint256 k = 1; k <= 3; k++) {
            BookkeepingOnlyProofByteVerifier v = new BookkeepingOnlyProofByteVerifier(BYTE + k - 1);
            v.setLayout(k, k);
            registry.register(address(v));
        }
        rejectCircuit = registry.register(address(new BookkeepingOnlyVerifier(0x0e, false)));
        bounty = new ModelBounty(registry);
        escrow = new InferenceEscrow(registry);
        token = new TestToken();
        noBool = new NoBoolToken();
    }

    // ---- helpers -----------------------------------------------------------------------------

    function tokens() public view returns (address[3] memory) {
        return [address(0), address(token), address(noBool)];
    }

    function _balance(address tok, address who) internal view returns (uint256) {
        return tok == address(0) ? who.balance : IERC20(tok).balanceOf(who);
    }

    /// Give `actor` `amount` of `tok` and let `spender` pull it.
    function _fund(address actor, address tok, uint256 amount, address spender) internal {
        if (tok == address(0)) {
            vm.deal(actor, actor.balance + amount);
        } else if (tok == address(token)) {
            token.mint(actor, amount);
            vm.prank(actor);
            token.approve(spender, amount);
        } else {
            noBool.mint(actor, amount);
            vm.prank(actor);
            noBool.approve(spender, amount);
        }
    }

    function _accepted(uint256 circuitId, bytes memory proof, uint256[] memory inst) internal view returns (bool) {
        (bool ok, bytes memory ret) = registry.verifierOf(circuitId).staticcall(
            abi.encodeCall(IHalo2Verifier.verifyProof, (proof, inst))
        );
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }

    function _snapshot(address tok) internal view returns (uint256[4] memory s) {
        for (uint256 i = 0; i < 4; i++) {
            s[i] = _balance(tok, actors[i]);
        }
    }

    /// Exactly `amount` went to `to` and nothing to the other actors.
    function _checkPayout(address tok, uint256[4] memory before, address to, uint256 amount) internal {
        for (uint256 i = 0; i < 4; i++) {
            uint256 expected = before[i] + (actors[i] == to ? amount : 0);
            if (_balance(tok, actors[i]) != expected) wrongRecipient++;
        }
    }

    /// `payer.bindingOf(who, id)`.
    function _binding(address payer, address who, uint256 id) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, payer, who, id)))
            % 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    }

    // ---- ModelBounty -------------------------------------------------------------------------

    function post(uint256 actorSeed, uint256 tokenSeed, uint256 amount, uint256 threshold, uint256 life, bool reject)
        external
    {
        address actor = actors[actorSeed % 4];
        address tok = tokens()[tokenSeed % 3];
        amount = 1 + amount % 100 ether;
        _fund(actor, tok, amount, address(bounty));
        threshold = 1 + threshold % TEST_SET_SIZE;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 deadline = uint64(block.timestamp + life % 3 days);
        vm.prank(actor);
        bounty.post{value: tok == address(0) ? amount : 0}(
            reject ? rejectCircuit : BYTE, TEST_SET, TEST_SET_SIZE, threshold, deadline, tok, amount
        );
        escrowed[address(bounty)][tok] += amount;
    }

    function claim(uint256 idSeed, uint256 senderSeed, uint256 boundSeed, uint8 proofByte, uint256 correct, bool rightSet)
        external
    {
        uint256 n = bounty.nextBountyId();
        if (n == 0) return;
        uint256 id = idSeed % n;
        address sender = actors[senderSeed % 4];
        // Mostly a proof bound to the sender; sometimes one copied from another actor, or one bound
        // for the escrow.
        address boundTo = boundSeed % 3 == 0 ? actors[boundSeed % 4] : sender;
        address payer = boundSeed % 5 == 1 ? address(escrow) : address(bounty);
        uint256[] memory inst = new uint256[](4);
        inst[0] = MODEL + idSeed % 5;
        inst[1] = _binding(payer, boundTo, id);
        inst[2] = rightSet ? TEST_SET : TEST_SET + 1;
        inst[3] = correct % 3 == 0 ? 1 << (correct % 254) : correct % 12;
        bytes memory proof = abi.encodePacked(bytes1(proofByte % 3), bytes31(keccak256(abi.encode(idSeed))));
        ModelBounty.Bounty memory b = bounty.getBounty(id);
        uint256[4] memory before = _snapshot(b.token);
        vm.prank(sender);
        try bounty.claim(id, proof, inst) {
            successfulClaims++;
            if (!_accepted(b.circuitId, proof, inst)) paidWithoutAcceptance++;
            if (boundTo != sender) paidToAnotherSender++;
            if (payer != address(bounty)) paidForAnotherContract++;
            if (inst[3] > b.testSetSize) paidAboveTestSetSize++;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp > b.deadline) timingViolations++;
            bountyPayouts[id]++;
            paidOut[address(bounty)][b.token] += b.amount;
            _checkPayout(b.token, before, sender, b.amount);
        } catch {}
    }

    function refundBounty(uint256 idSeed, uint256 callerSeed) external {
        uint256 n = bounty.nextBountyId();
        if (n == 0) return;
        uint256 id = idSeed % n;
        ModelBounty.Bounty memory b = bounty.getBounty(id);
        uint256[4] memory before = _snapshot(b.token);
        vm.prank(actors[callerSeed % 4]);
        try bounty.refund(id) {
            successfulRefunds++;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp <= b.deadline) timingViolations++;
            bountyPayouts[id]++;
            paidOut[address(bounty)][b.token] += b.amount;
            _checkPayout(b.token, before, b.poster, b.amount);
        } catch {}
    }

    // ---- InferenceEscrow ---------------------------------------------------------------------

    struct NewRequest {
        address actor;
        address tok;
        uint256 fee;
        uint256[] inputs;
        address host;
        uint256 circuit;
        uint64 deadline;
    }

    function request(
        uint256 actorSeed,
        uint256 tokenSeed,
        uint256 fee,
        uint256 life,
        uint256 inputSeed,
        uint256 hostSeed,
        bool reject
    ) external {
        NewRequest memory q;
        q.actor = actors[actorSeed % 4];
        q.tok = tokens()[tokenSeed % 3];
        q.fee = 1 + fee % 10 ether;
        _fund(q.actor, q.tok, q.fee, address(escrow));
        q.inputs = new uint256[](1 + inputSeed % 3);
        for (uint256 i = 0; i < q.inputs.length; i++) {
            q.inputs[i] = uint256(keccak256(abi.encode(inputSeed, i))) >> 8;
        }
        q.host = hostSeed % 2 == 0 ? address(0) : actors[hostSeed % 4];
        // The circuit with this many inputs (the reject-all one has one).
        if (reject) q.inputs = new uint256[](1);
        q.circuit = reject ? rejectCircuit : BYTE + q.inputs.length - 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        q.deadline = uint64(block.timestamp + life % 3 days);
        _request(q);
    }

    function _request(NewRequest memory q) internal {
        uint256 value = q.tok == address(0) ? q.fee : 0;
        vm.prank(q.actor);
        uint256 id = escrow.request{value: value}(q.circuit, MODEL, q.inputs, q.deadline, q.tok, q.fee, q.host);
        requestInputs[id] = q.inputs;
        escrowed[address(escrow)][q.tok] += q.fee;
    }

    function fulfil(uint256 idSeed, uint256 senderSeed, uint256 boundSeed, uint8 proofByte, uint256 shape) external {
        uint256 n = escrow.nextRequestId();
        if (n == 0) return;
        uint256 id = idSeed % n;
        address sender = actors[senderSeed % 4];
        address boundTo = boundSeed % 3 == 0 ? actors[boundSeed % 4] : sender;
        address payer = boundSeed % 5 == 1 ? address(bounty) : address(escrow);
        uint256[] storage inputs = requestInputs[id];
        uint256 outputs = shape % 4; // valid only if the circuit's count
        uint256[] memory inst = new uint256[](2 + inputs.length + outputs);
        inst[0] = shape % 7 == 0 ? MODEL + 1 : MODEL;
        inst[1] = _binding(payer, boundTo, id);
        for (uint256 i = 0; i < inputs.length; i++) {
            inst[2 + i] = inputs[i];
        }
        if (shape % 11 == 0) inst[2] ^= 1;
        for (uint256 i = 0; i < outputs; i++) {
            inst[2 + inputs.length + i] = uint256(keccak256(abi.encode(shape, i)));
        }
        bytes memory proof = abi.encodePacked(bytes1(proofByte % 3));
        InferenceEscrow.Request memory r = escrow.getRequest(id);
        uint256[4] memory before = _snapshot(r.token);
        vm.prank(sender);
        try escrow.fulfil(id, proof, inst) {
            successfulFulfilments++;
            if (!_accepted(r.circuitId, proof, inst)) paidWithoutAcceptance++;
            if (boundTo != sender) paidToAnotherSender++;
            if (payer != address(escrow)) paidForAnotherContract++;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp > r.deadline) timingViolations++;
            if (r.host != address(0) && r.host != sender) fulfilmentViolations++;
            if (inputs.length != r.inputCount || outputs != r.outputCount) fulfilmentViolations++;
            uint256[] memory stored = escrow.outputsOf(id);
            if (stored.length != outputs) fulfilmentViolations++;
            for (uint256 i = 0; i < stored.length && i < outputs; i++) {
                if (stored[i] != inst[2 + inputs.length + i]) fulfilmentViolations++;
            }
            requestPayouts[id]++;
            paidOut[address(escrow)][r.token] += r.fee;
            _checkPayout(r.token, before, sender, r.fee);
        } catch {}
    }

    function refundRequest(uint256 idSeed, uint256 callerSeed) external {
        uint256 n = escrow.nextRequestId();
        if (n == 0) return;
        uint256 id = idSeed % n;
        InferenceEscrow.Request memory r = escrow.getRequest(id);
        uint256[4] memory before = _snapshot(r.token);
        vm.prank(actors[callerSeed % 4]);
        try escrow.refund(id) {
            successfulRefunds++;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp <= r.deadline) timingViolations++;
            requestPayouts[id]++;
            paidOut[address(escrow)][r.token] += r.fee;
            _checkPayout(r.token, before, r.requester, r.fee);
        } catch {}
    }

    // ---- time --------------------------------------------------------------------------------

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 2 days);
    }
}

/// @notice Invariants of ModelBounty and InferenceEscrow under random sequences of posts, claims,
///         requests, fulfilments, refunds and time jumps (EscrowHandler).
/// forge-config: default.invariant.runs = 48
/// forge-config: default.invariant.depth = 60
contract EscrowInvariantsTest {
    /// @dev forge-std StdInvariant's FuzzSelector, the ABI forge reads from targetSelectors().
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    EscrowHandler handler;

    function setUp() public {
        vm.warp(1_000_000);
        handler = new EscrowHandler();
    }

    /// @notice The contracts the invariant fuzzer calls: the handler only.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice The handler functions the invariant fuzzer calls.
    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory s = new bytes4[](7);
        s[0] = EscrowHandler.post.selector;
        s[1] = EscrowHandler.claim.selector;
        s[2] = EscrowHandler.refundBounty.selector;
        s[3] = EscrowHandler.request.selector;
        s[4] = EscrowHandler.fulfil.selector;
        s[5] = EscrowHandler.refundRequest.selector;
        s[6] = EscrowHandler.warp.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: s});
    }

    function _balance(address tok, address who) internal view returns (uint256) {
        return tok == address(0) ? who.balance : IERC20(tok).balanceOf(who);
    }

    /// The contracts' ETH and token balances equal the sums of their open bounties / requests,
    /// and escrowed - paid out (conservation).
    function invariant_BalancesEqualOpenEscrows() public view {
        ModelBounty bounty = handler.bounty();
        InferenceEscrow escrow = handler.escrow();
        address[3] memory toks = handler.tokens();
        uint256[3] memory openBounties;
        uint256[3] memory openRequests;
        for (uint256 id = 0; id < bounty.nextBountyId(); id++) {
            ModelBounty.Bounty memory b = bounty.getBounty(id);
            if (b.status != ModelBounty.Status.Open) continue;
            for (uint256 t = 0; t < 3; t++) {
                if (b.token == toks[t]) openBounties[t] += b.amount;
            }
        }
        for (uint256 id = 0; id < escrow.nextRequestId(); id++) {
            InferenceEscrow.Request memory r = escrow.getRequest(id);
            if (r.status != InferenceEscrow.Status.Open) continue;
            for (uint256 t = 0; t < 3; t++) {
                if (r.token == toks[t]) openRequests[t] += r.fee;
            }
        }
        for (uint256 t = 0; t < 3; t++) {
            require(_balance(toks[t], address(bounty)) == openBounties[t], "bounty balance != open bounties");
            require(_balance(toks[t], address(escrow)) == openRequests[t], "escrow balance != open requests");
            require(
                handler.escrowed(address(bounty), toks[t]) - handler.paidOut(address(bounty), toks[t])
                    == openBounties[t],
                "bounty: escrowed - paid != open"
            );
            require(
                handler.escrowed(address(escrow), toks[t]) - handler.paidOut(address(escrow), toks[t])
                    == openRequests[t],
                "escrow: escrowed - paid != open"
            );
        }
    }

    /// No bounty or request pays twice; a closed one paid exactly once, an open one never.
    function invariant_NoDoublePayout() public view {
        ModelBounty bounty = handler.bounty();
        InferenceEscrow escrow = handler.escrow();
        for (uint256 id = 0; id < bounty.nextBountyId(); id++) {
            uint256 payouts = handler.bountyPayouts(id);
            bool open = bounty.statusOf(id) == ModelBounty.Status.Open;
            require(payouts == (open ? 0 : 1), "bounty payouts");
        }
        for (uint256 id = 0; id < escrow.nextRequestId(); id++) {
            uint256 payouts = handler.requestPayouts(id);
            bool open = escrow.statusOf(id) == InferenceEscrow.Status.Open;
            require(payouts == (open ? 0 : 1), "request payouts");
        }
    }

    /// No claim or fulfilment paid without the registered verifier accepting its proof.
    function invariant_NoPaymentWithoutVerifierAcceptance() public view {
        require(handler.paidWithoutAcceptance() == 0, "paid without the verifier's acceptance");
    }

    /// A proof bound to one sender pays nothing to another, nor on the other paying contract;
    /// every payout reaches exactly its recipient; designated hosts, the circuit's instance layout
    /// and stored outputs are respected.
    function invariant_BoundProofPaysOnlyItsSender() public view {
        require(handler.paidToAnotherSender() == 0, "a proof bound to another sender paid");
        require(handler.paidForAnotherContract() == 0, "a proof bound for the other contract paid");
        require(handler.wrongRecipient() == 0, "a payout reached the wrong account");
        require(handler.fulfilmentViolations() == 0, "host or outputs violated");
    }

    /// No bounty paid a count above its test set's size (a commitment read as a count).
    function invariant_NoCountAboveTheTestSetSize() public view {
        require(handler.paidAboveTestSetSize() == 0, "a count above the test set's size paid");
    }

    /// Claims only at or before the deadline, refunds only after it.
    function invariant_Deadlines() public view {
        require(handler.timingViolations() == 0, "deadline violated");
    }
}
