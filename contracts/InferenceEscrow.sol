// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {ProofPaymentBase} from "./ProofPaymentBase.sol";
import {VerifierRegistry} from "./VerifierRegistry.sol";

/// @title InferenceEscrow: pay for one verified inference.
/// @notice A requester (a dApp, a user) escrows a fee in ETH or an ERC-20 naming a circuit (by
///         circuit id in the registry), the model commitment, the expected input instances and a
///         deadline, optionally a designated host. The request names exactly as many input
///         instances as the circuit has (its layout in the registry), so every input is pinned.
///         A host that presents, at or before the deadline, a proof the registered verifier
///         accepts with exactly the circuit's instances `[modelCommitment, bindingOf(msg.sender,
///         id), inputs..., outputs...]` (the inputs equal to the requested ones) is paid the fee
///         at once; the outputs are stored and any contract can read them with `outputsOf(id)`.
///         After the deadline, an unfulfilled request is refunded to the requester by anyone's
///         call; the requester cannot withdraw before.
/// @dev Outputs are BN254 scalar field elements (< r): zkinfer's fixed-point outputs (scale 2^s,
///      s = the model's scale bits) are encoded as v for v >= 0 and as r - |v| for v < 0. To decode
///      as int256: `x <= (r - 1) / 2 ? int256(x) : -int256(r - x)`, then divide by 2^s.
///      The input instances are one input commitment when the circuit hashes its input (the input
///      itself is then handed to the host off-chain), or the public input values.
contract InferenceEscrow is ProofPaymentBase {
    /// @notice Lifecycle of a request.
    enum Status {
        None,
        Open,
        Fulfilled,
        Refunded
    }

    /// @notice One inference request.
    /// @param requester Who paid (receives the refund).
    /// @param deadline Last timestamp (inclusive) at which it can be fulfilled.
    /// @param status Its lifecycle state.
    /// @param host The designated host (address(0): anyone may fulfil).
    /// @param inputCount Number of input instances (instances[2 .. 2 + inputCount]): the
    ///        circuit's, as registered.
    /// @param outputCount Number of output instances (the last ones): the circuit's, as registered.
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param fulfiller Who fulfilled it and was paid (address(0) until fulfilled).
    /// @param fee The escrowed fee (ERC-20: what the contract actually received).
    /// @param circuitId The circuit (registered VK digest).
    /// @param modelCommitment Required instances[0].
    /// @param inputsHash keccak256 of the input instances (32-byte words, concatenated).
    struct Request {
        address requester;
        uint64 deadline;
        Status status;
        address host;
        uint32 inputCount;
        uint32 outputCount;
        address token;
        address fulfiller;
        uint256 fee;
        uint256 circuitId;
        uint256 modelCommitment;
        bytes32 inputsHash;
    }

    /// @notice Id the next request gets (ids start at 0).
    uint256 public nextRequestId;

    mapping(uint256 => Request) private _requests;
    mapping(uint256 => uint256[]) private _outputs;

    /// @notice An inference was requested and its fee escrowed.
    /// @param id The request.
    /// @param requester Its requester.
    /// @param circuitId The circuit.
    /// @param modelCommitment The model commitment (instances[0]).
    /// @param inputInstances The input instances (instances[2 ..]).
    /// @param host The designated host (address(0): anyone).
    /// @param deadline Last timestamp (inclusive) for fulfilment.
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param fee The escrowed fee (what was actually received).
    event InferenceRequested(
        uint256 indexed id,
        address indexed requester,
        uint256 indexed circuitId,
        uint256 modelCommitment,
        uint256[] inputInstances,
        address host,
        uint64 deadline,
        address token,
        uint256 fee
    );

    /// @notice A request was fulfilled with a verified proof; its fee was paid to `host`.
    /// @param id The request.
    /// @param host The host that fulfilled it (msg.sender; the one paid).
    /// @param outputs The verified outputs (BN254 field elements, see the contract's notes).
    event InferenceFulfilled(uint256 indexed id, address indexed host, uint256[] outputs);

    /// @notice An expired, unfulfilled request's fee was returned to its requester.
    /// @param id The request.
    /// @param requester The requester (the recipient).
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param fee The amount returned.
    event InferenceRefunded(uint256 indexed id, address indexed requester, address token, uint256 fee);

    /// @notice A request must name at least one input instance.
    error NoInputs();
    /// @notice The request names another number of input instances than the circuit has (its
    ///         registered layout): the unnamed ones would be the host's choice.
    /// @param circuitId The circuit.
    /// @param expected The circuit's input instance count.
    /// @param actual inputInstances.length.
    error WrongInputCount(uint256 circuitId, uint256 expected, uint256 actual);
    /// @notice The circuit has no output instances (a private output): nothing to deliver.
    /// @param circuitId The circuit.
    error CircuitHasNoOutputs(uint256 circuitId);
    /// @notice No request with this id.
    /// @param id The id.
    error UnknownRequest(uint256 id);
    /// @notice The request was already fulfilled.
    /// @param id The request.
    error RequestAlreadyFulfilled(uint256 id);
    /// @notice The request was already refunded.
    /// @param id The request.
    error RequestAlreadyRefunded(uint256 id);
    /// @notice The fulfilment comes after the deadline.
    /// @param id The request.
    /// @param deadline Its deadline.
    error RequestExpired(uint256 id, uint64 deadline);
    /// @notice The refund comes at or before the deadline.
    /// @param id The request.
    /// @param deadline Its deadline.
    error RequestNotExpired(uint256 id, uint64 deadline);
    /// @notice The request names a host and the caller is another address.
    /// @param host The designated host.
    /// @param caller The caller.
    error NotDesignatedHost(address host, address caller);
    /// @notice instances[0] is not the requested model commitment.
    /// @param expected The request's model commitment.
    /// @param actual instances[0].
    error WrongModelCommitment(uint256 expected, uint256 actual);
    /// @notice The proof's input instances are not the requested ones.
    /// @param expected keccak256 of the requested inputs.
    /// @param actual keccak256 of the proof's inputs.
    error WrongInputs(bytes32 expected, bytes32 actual);
    /// @notice The request is not fulfilled (it has no outputs).
    /// @param id The request.
    error NotFulfilled(uint256 id);

    /// @param registry_ The verifier registry whose circuit ids requests name (immutable).
    constructor(VerifierRegistry registry_) ProofPaymentBase(registry_) {}

    /// @notice Request one inference and escrow its fee: ETH (token == address(0), msg.value ==
    ///         fee) or an ERC-20 (transferFrom msg.sender; msg.value == 0; the amount actually
    ///         received is credited and must be > 0).
    /// @param circuitId The circuit's id; must be registered, with at least one output instance.
    /// @param modelCommitment Required instances[0]; < r.
    /// @param inputInstances Required instances[2 .. 2 + n]: exactly the circuit's input instance
    ///        count n (`registry.layoutOf`), n >= 1, each < r.
    /// @param deadline Last timestamp (inclusive) for fulfilment; not in the past.
    /// @param token address(0) for ETH, else the ERC-20.
    /// @param fee Amount to escrow; > 0.
    /// @param host The only address allowed to fulfil, or address(0) for anyone.
    /// @return id The new request's id.
    function request(
        uint256 circuitId,
        uint256 modelCommitment,
        uint256[] calldata inputInstances,
        uint64 deadline,
        address token,
        uint256 fee,
        address host
    ) external payable nonReentrant returns (uint256 id) {
        uint256 numOutputs = _checkInputs(circuitId, inputInstances);
        _requireField(modelCommitment);
        _requireNotPast(deadline);
        // The ERC-20 pull runs before any state is written (and under the reentrancy guard).
        uint256 received = _collect(token, fee);

        id = nextRequestId++;
        Request storage r = _requests[id];
        r.requester = msg.sender;
        r.deadline = deadline;
        r.status = Status.Open;
        r.host = host;
        // The registry keeps both counts below 2^32.
        r.inputCount = uint32(inputInstances.length);
        r.outputCount = uint32(numOutputs);
        r.token = token;
        r.fee = received;
        r.circuitId = circuitId;
        r.modelCommitment = modelCommitment;
        r.inputsHash = keccak256(abi.encodePacked(inputInstances));
        emit InferenceRequested(
            id, msg.sender, circuitId, modelCommitment, inputInstances, host, deadline, token, received
        );
    }

    /// @notice Fulfil request `id` with a proof; stores the outputs and pays msg.sender the fee.
    /// @param id The request.
    /// @param proof The serialized halo2 proof.
    /// @param instances Exactly the circuit's `[modelCommitment, bindingOf(msg.sender, id),
    ///        inputs..., outputs...]`: the requested model commitment and inputs, then its outputs.
    function fulfil(uint256 id, bytes calldata proof, uint256[] calldata instances) external nonReentrant {
        Request storage r = _openRequest(id);
        uint64 deadline = r.deadline;
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert RequestExpired(id, deadline);
        address host = r.host;
        if (host != address(0) && msg.sender != host) revert NotDesignatedHost(host, msg.sender);
        uint256 firstOutput = 2 + uint256(r.inputCount);
        uint256 expected = firstOutput + uint256(r.outputCount);
        if (instances.length != expected) revert WrongInstanceCount(expected, instances.length);
        if (instances[0] != r.modelCommitment) revert WrongModelCommitment(r.modelCommitment, instances[0]);
        uint256 binding = bindingOf(msg.sender, id);
        if (instances[1] != binding) revert WrongClaimant(binding, instances[1]);
        bytes32 inputsHash = keccak256(abi.encodePacked(instances[2:firstOutput]));
        if (inputsHash != r.inputsHash) revert WrongInputs(r.inputsHash, inputsHash);
        if (!_verifies(r.circuitId, proof, instances)) revert ProofRejected(id);

        // Effects before the interaction.
        r.status = Status.Fulfilled;
        r.fulfiller = msg.sender;
        uint256[] storage outputs = _outputs[id];
        for (uint256 i = firstOutput; i < instances.length; ++i) {
            outputs.push(instances[i]);
        }
        emit InferenceFulfilled(id, msg.sender, instances[firstOutput:]);
        _pay(r.token, msg.sender, r.fee);
    }

    /// @notice Return an expired (deadline passed), unfulfilled request's fee to its requester.
    ///         Anyone may call; the funds go to the requester only.
    /// @param id The request.
    function refund(uint256 id) external nonReentrant {
        Request storage r = _openRequest(id);
        uint64 deadline = r.deadline;
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp <= deadline) revert RequestNotExpired(id, deadline);

        r.status = Status.Refunded;
        address requester = r.requester;
        address token = r.token;
        uint256 fee = r.fee;
        emit InferenceRefunded(id, requester, token, fee);
        _pay(token, requester, fee);
    }

    /// @notice The verified outputs of request `id`; reverts `NotFulfilled` unless fulfilled.
    ///         Field elements: see the contract's notes for the encoding of negative values.
    /// @param id The request.
    /// @return The outputs, in the circuit's output order.
    function outputsOf(uint256 id) external view returns (uint256[] memory) {
        if (_requests[id].status != Status.Fulfilled) revert NotFulfilled(id);
        return _outputs[id];
    }

    /// @notice The status of request `id` (None if it does not exist).
    /// @param id The request.
    /// @return Its status.
    function statusOf(uint256 id) external view returns (Status) {
        return _requests[id].status;
    }

    /// @notice The stored request `id` (all zero, status None, if it does not exist).
    /// @param id The request.
    /// @return The request.
    function getRequest(uint256 id) external view returns (Request memory) {
        return _requests[id];
    }

    /// @dev The request's inputs against the circuit's registered layout: at least one, exactly
    ///      the circuit's input count, each a field element; the circuit has outputs. Returns its
    ///      output count. Reverts `UnknownCircuit` (from the registry) if it is not registered.
    function _checkInputs(uint256 circuitId, uint256[] calldata inputInstances)
        private
        view
        returns (uint256 numOutputs)
    {
        uint256 numInputs;
        (numInputs, numOutputs) = _layoutOf(circuitId);
        uint256 n = inputInstances.length;
        if (n == 0) revert NoInputs();
        if (n != numInputs) revert WrongInputCount(circuitId, numInputs, n);
        if (numOutputs == 0) revert CircuitHasNoOutputs(circuitId);
        for (uint256 i = 0; i < n; ++i) {
            _requireField(inputInstances[i]);
        }
    }

    function _openRequest(uint256 id) private view returns (Request storage r) {
        r = _requests[id];
        Status s = r.status;
        if (s == Status.None) revert UnknownRequest(id);
        if (s == Status.Fulfilled) revert RequestAlreadyFulfilled(id);
        if (s == Status.Refunded) revert RequestAlreadyRefunded(id);
    }
}
