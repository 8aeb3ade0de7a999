// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {ProofPaymentBase} from "./ProofPaymentBase.sol";
import {VerifierRegistry} from "./VerifierRegistry.sol";

/// @title ModelBounty: an accuracy bounty paid on a halo2 proof.
/// @notice A poster escrows ETH or an ERC-20 naming an accuracy circuit (by circuit id in the
///         registry), a committed test set and its size N, a threshold (minimum number of correct
///         answers, at most N) and a deadline. Any number of hunters may claim. The first claim,
///         at or before the deadline, whose proof the registered verifier accepts with instances
///         `[modelCommitment, bindingOf(msg.sender, id), testSetCommitment, correctCount]` and
///         `threshold <= correctCount <= N`, is paid at once to its sender, with no action from
///         the poster. The hunter's model stays private: only its weights commitment (instances[0])
///         is recorded. After the deadline, an unclaimed bounty is refunded to its poster by
///         anyone's call; the poster cannot withdraw before.
/// @dev Fixes of ZKaggle-style designs: the verifier comes from the owner-curated, write-once
///      registry (neither hunter nor poster supplies a verifier address at claim time); open to
///      every hunter; a deadline and a refund; payout on the proof alone. A proof copied from the
///      mempool names its maker, this contract and the chain in instances[1] (`bindingOf`), so it
///      pays nobody else, and nothing on another deployment or chain.
contract ModelBounty is ProofPaymentBase {
    /// @notice Number of public instances of the accuracy circuit.
    uint256 public constant NUM_INSTANCES = 4;

    /// @notice Lifecycle of a bounty.
    enum Status {
        None,
        Open,
        Paid,
        Refunded
    }

    /// @notice One bounty.
    /// @param poster Who funded it (receives the refund).
    /// @param deadline Last timestamp (inclusive) at which it can be claimed.
    /// @param status Its lifecycle state.
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param claimant Who was paid (address(0) until paid).
    /// @param amount The escrowed amount (ERC-20: what the contract actually received).
    /// @param circuitId The accuracy circuit (registered VK digest).
    /// @param testSetCommitment Required instances[2].
    /// @param testSetSize N, the test set's number of samples: no claim may count more.
    /// @param threshold Minimum correct answers (instances[3]).
    /// @param modelCommitment The paid hunter's model commitment (instances[0]); 0 until paid.
    /// @param correctCount The paid claim's number of correct answers; 0 until paid.
    struct Bounty {
        address poster;
        uint64 deadline;
        Status status;
        address token;
        address claimant;
        uint256 amount;
        uint256 circuitId;
        uint256 testSetCommitment;
        uint256 testSetSize;
        uint256 threshold;
        uint256 modelCommitment;
        uint256 correctCount;
    }

    /// @notice Id the next posted bounty gets (ids start at 0).
    uint256 public nextBountyId;

    mapping(uint256 => Bounty) private _bounties;

    /// @notice A bounty was funded.
    /// @param id The bounty.
    /// @param poster Its poster.
    /// @param circuitId The accuracy circuit.
    /// @param testSetCommitment The committed test set.
    /// @param testSetSize Its number of samples.
    /// @param threshold Minimum number of correct answers.
    /// @param deadline Last timestamp (inclusive) for claims.
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param amount The escrowed amount (what was actually received).
    event BountyPosted(
        uint256 indexed id,
        address indexed poster,
        uint256 indexed circuitId,
        uint256 testSetCommitment,
        uint256 testSetSize,
        uint256 threshold,
        uint64 deadline,
        address token,
        uint256 amount
    );

    /// @notice A bounty was paid to the claimant of a valid proof.
    /// @param id The bounty.
    /// @param claimant The paid hunter (msg.sender of the claim).
    /// @param modelCommitment The hunter's (private) model's weights commitment, instances[0].
    /// @param correctCount Number of correct answers proven, instances[3].
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param amount The amount paid.
    event BountyClaimed(
        uint256 indexed id,
        address indexed claimant,
        uint256 modelCommitment,
        uint256 correctCount,
        address token,
        uint256 amount
    );

    /// @notice An expired, unclaimed bounty was returned to its poster.
    /// @param id The bounty.
    /// @param poster The poster (the recipient).
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param amount The amount returned.
    event BountyRefunded(uint256 indexed id, address indexed poster, address token, uint256 amount);

    /// @notice The threshold is zero.
    error ZeroThreshold();
    /// @notice The threshold exceeds the test set's size: no claim could reach it.
    /// @param threshold The threshold.
    /// @param testSetSize The test set's size.
    error ThresholdAboveTestSetSize(uint256 threshold, uint256 testSetSize);
    /// @notice The circuit's instances are not an accuracy circuit's (one input, the test set's
    ///         commitment, and one output, the count), per the registry's layout.
    /// @param circuitId The circuit.
    /// @param numInputs Its input instances.
    /// @param numOutputs Its output instances.
    error NotAnAccuracyCircuit(uint256 circuitId, uint256 numInputs, uint256 numOutputs);
    /// @notice No bounty with this id.
    /// @param id The id.
    error UnknownBounty(uint256 id);
    /// @notice The bounty was already paid.
    /// @param id The bounty.
    error BountyAlreadyPaid(uint256 id);
    /// @notice The bounty was already refunded.
    /// @param id The bounty.
    error BountyAlreadyRefunded(uint256 id);
    /// @notice The claim comes after the deadline.
    /// @param id The bounty.
    /// @param deadline Its deadline.
    error BountyExpired(uint256 id, uint64 deadline);
    /// @notice The refund comes at or before the deadline.
    /// @param id The bounty.
    /// @param deadline Its deadline.
    error BountyNotExpired(uint256 id, uint64 deadline);
    /// @notice instances[2] is not the bounty's test set commitment.
    /// @param expected The bounty's test set commitment.
    /// @param actual instances[2].
    error WrongTestSet(uint256 expected, uint256 actual);
    /// @notice instances[3] (correct answers) is below the bounty's threshold.
    /// @param correct instances[3].
    /// @param threshold The bounty's threshold.
    error BelowThreshold(uint256 correct, uint256 threshold);
    /// @notice instances[3] counts more right answers than the test set has samples: not a count
    ///         (e.g. a commitment, from a circuit whose output is hashed).
    /// @param correct instances[3].
    /// @param testSetSize The bounty's test set size.
    error CountAboveTestSetSize(uint256 correct, uint256 testSetSize);

    /// @param registry_ The verifier registry whose circuit ids bounties name (immutable).
    constructor(VerifierRegistry registry_) ProofPaymentBase(registry_) {}

    /// @notice Fund a bounty: `amount` of ETH (token == address(0), msg.value == amount) or of an
    ///         ERC-20 (transferFrom msg.sender; msg.value == 0; the amount actually received is
    ///         credited and must be > 0).
    /// @param circuitId The accuracy circuit's id; must be registered, with one input and one
    ///        output instance.
    /// @param testSetCommitment The committed test set (required instances[2]); < r.
    /// @param testSetSize N, the number of samples of the committed test set (the circuit's
    ///        `--accuracy-samples`): claims counting more right answers are refused.
    /// @param threshold Minimum number of correct answers (instances[3]); 0 < threshold <= N.
    /// @param deadline Last timestamp (inclusive) for claims; not in the past.
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param amount Amount to escrow; > 0.
    /// @return id The new bounty's id.
    function post(
        uint256 circuitId,
        uint256 testSetCommitment,
        uint256 testSetSize,
        uint256 threshold,
        uint64 deadline,
        address token,
        uint256 amount
    ) external payable nonReentrant returns (uint256 id) {
        (uint256 numInputs, uint256 numOutputs) = _layoutOf(circuitId);
        if (numInputs != 1 || numOutputs != 1) revert NotAnAccuracyCircuit(circuitId, numInputs, numOutputs);
        _requireField(testSetCommitment);
        if (threshold == 0) revert ZeroThreshold();
        if (threshold > testSetSize) revert ThresholdAboveTestSetSize(threshold, testSetSize);
        _requireNotPast(deadline);
        // The ERC-20 pull runs before any state is written (and under the reentrancy guard).
        uint256 received = _collect(token, amount);

        id = nextBountyId++;
        Bounty storage b = _bounties[id];
        b.poster = msg.sender;
        b.deadline = deadline;
        b.status = Status.Open;
        b.token = token;
        b.amount = received;
        b.circuitId = circuitId;
        b.testSetCommitment = testSetCommitment;
        b.testSetSize = testSetSize;
        b.threshold = threshold;
        emit BountyPosted(
            id, msg.sender, circuitId, testSetCommitment, testSetSize, threshold, deadline, token, received
        );
    }

    /// @notice Claim bounty `id`; pays msg.sender at once if the proof is valid.
    /// @param id The bounty.
    /// @param proof The serialized halo2 proof.
    /// @param instances Exactly `[modelCommitment, bindingOf(msg.sender, id), testSetCommitment,
    ///        correctCount]` with `threshold <= correctCount <= testSetSize`.
    function claim(uint256 id, bytes calldata proof, uint256[] calldata instances) external nonReentrant {
        Bounty storage b = _openBounty(id);
        uint64 deadline = b.deadline;
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert BountyExpired(id, deadline);
        if (instances.length != NUM_INSTANCES) revert WrongInstanceCount(NUM_INSTANCES, instances.length);
        if (instances[2] != b.testSetCommitment) revert WrongTestSet(b.testSetCommitment, instances[2]);
        if (instances[3] < b.threshold) revert BelowThreshold(instances[3], b.threshold);
        if (instances[3] > b.testSetSize) revert CountAboveTestSetSize(instances[3], b.testSetSize);
        uint256 binding = bindingOf(msg.sender, id);
        if (instances[1] != binding) revert WrongClaimant(binding, instances[1]);
        if (!_verifies(b.circuitId, proof, instances)) revert ProofRejected(id);

        // Effects before the interaction.
        b.status = Status.Paid;
        b.claimant = msg.sender;
        b.modelCommitment = instances[0];
        b.correctCount = instances[3];
        address token = b.token;
        uint256 amount = b.amount;
        emit BountyClaimed(id, msg.sender, instances[0], instances[3], token, amount);
        _pay(token, msg.sender, amount);
    }

    /// @notice Return an expired (deadline passed), unclaimed bounty to its poster. Anyone may
    ///         call; the funds go to the poster only.
    /// @param id The bounty.
    function refund(uint256 id) external nonReentrant {
        Bounty storage b = _openBounty(id);
        uint64 deadline = b.deadline;
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp <= deadline) revert BountyNotExpired(id, deadline);

        b.status = Status.Refunded;
        address poster = b.poster;
        address token = b.token;
        uint256 amount = b.amount;
        emit BountyRefunded(id, poster, token, amount);
        _pay(token, poster, amount);
    }

    /// @notice The stored bounty `id` (all zero, status None, if it does not exist).
    /// @param id The bounty.
    /// @return The bounty.
    function getBounty(uint256 id) external view returns (Bounty memory) {
        return _bounties[id];
    }

    /// @notice The status of bounty `id` (None if it does not exist).
    /// @param id The bounty.
    /// @return Its status.
    function statusOf(uint256 id) external view returns (Status) {
        return _bounties[id].status;
    }

    function _openBounty(uint256 id) private view returns (Bounty storage b) {
        b = _bounties[id];
        Status s = b.status;
        if (s == Status.None) revert UnknownBounty(id);
        if (s == Status.Paid) revert BountyAlreadyPaid(id);
        if (s == Status.Refunded) revert BountyAlreadyRefunded(id);
    }
}
