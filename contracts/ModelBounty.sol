// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {IHalo2Verifier} from "./IHalo2Verifier.sol";

/// @title ModelBounty: pays ETH for a valid halo2 proof of inference with a committed model.
/// @notice A poster escrows ETH naming the verifier contract, the model commitment and a deadline.
///         Anyone who presents a proof the verifier accepts, whose instances[0] equals the model
///         commitment and whose instances[1] binds it to the sender and this bounty, before the
///         deadline, receives the escrow. After the deadline an unclaimed bounty can be refunded
///         to its poster.
/// @dev ETH only, one payout per bounty. A proof copied from the mempool names its maker in
///      instances[1] (`bindingOf`), so it pays nobody else.
contract ModelBounty {
    /// @notice Gas forwarded to the verifier: a broken or malicious verifier cannot eat all gas.
    ///         A generated halo2 KZG verifier costs 0.3M-0.8M gas (see docs/bench.md).
    uint256 public constant VERIFIER_GAS_CAP = 3_000_000;

    /// @notice Lifecycle of a bounty.
    enum Status {
        None,
        Open,
        Paid,
        Refunded
    }

    /// @notice One escrowed bounty.
    struct Bounty {
        address poster;
        uint64 deadline;
        Status status;
        address verifier;
        uint256 amount;
        uint256 modelCommitment;
    }

    /// @notice Id the next posted bounty gets (ids start at 0).
    uint256 public nextBountyId;

    mapping(uint256 => Bounty) private _bounties;

    /// @notice A bounty was funded.
    event BountyPosted(
        uint256 indexed id,
        address indexed poster,
        address indexed verifier,
        uint256 modelCommitment,
        uint256 amount,
        uint64 deadline
    );
    /// @notice A bounty was paid to the claimant of a valid proof.
    event BountyClaimed(uint256 indexed id, address indexed claimant, uint256 amount);
    /// @notice An expired, unclaimed bounty was returned to its poster.
    event BountyRefunded(uint256 indexed id, address indexed poster, uint256 amount);

    error ZeroAmount();
    error VerifierHasNoCode(address verifier);
    error DeadlineInPast(uint64 deadline);
    error UnknownBounty(uint256 id);
    error BountyAlreadyPaid(uint256 id);
    error BountyAlreadyRefunded(uint256 id);
    error BountyExpired(uint256 id, uint64 deadline);
    error BountyNotExpired(uint256 id, uint64 deadline);
    error NoInstances();
    error WrongModelCommitment(uint256 expected, uint256 actual);
    error WrongClaimant(uint256 expected, uint256 actual);
    error BountyIdTooLarge(uint256 id);
    error ProofRejected(uint256 id);
    error NotPoster(address caller);
    error TransferFailed(address to, uint256 amount);

    /// @notice Escrow msg.value for a proof checked by `verifier` against `modelCommitment`.
    /// @param verifier The halo2 verifier contract chosen by the poster (never by the claimant).
    /// @param modelCommitment Expected instances[0] of a valid proof.
    /// @param deadline Last timestamp (inclusive) at which the bounty can be claimed.
    /// @return id The new bounty's id.
    function post(address verifier, uint256 modelCommitment, uint64 deadline)
        external
        payable
        returns (uint256 id)
    {
        if (msg.value == 0) revert ZeroAmount();
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (deadline < block.timestamp) revert DeadlineInPast(deadline);

        id = nextBountyId++;
        _bounties[id] = Bounty({
            poster: msg.sender,
            deadline: deadline,
            status: Status.Open,
            verifier: verifier,
            amount: msg.value,
            modelCommitment: modelCommitment
        });
        emit BountyPosted(id, msg.sender, verifier, modelCommitment, msg.value, deadline);
    }

    /// @notice Claim bounty `id` with a proof; pays msg.sender on success.
    /// @param id The bounty.
    /// @param proof The serialized halo2 proof.
    /// @param instances Public inputs; instances[0] must equal the bounty's model commitment and
    ///        instances[1] must be `bindingOf(msg.sender, id)`.
    function claim(uint256 id, bytes calldata proof, uint256[] calldata instances) external {
        Bounty storage b = _openBounty(id);
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > b.deadline) revert BountyExpired(id, b.deadline);
        if (instances.length < 2) revert NoInstances();
        if (instances[0] != b.modelCommitment) revert WrongModelCommitment(b.modelCommitment, instances[0]);
        uint256 binding = bindingOf(msg.sender, id);
        if (instances[1] != binding) revert WrongClaimant(binding, instances[1]);
        if (!_verify(b.verifier, proof, instances)) revert ProofRejected(id);

        // Effects before interactions.
        b.status = Status.Paid;
        uint256 amount = b.amount;
        emit BountyClaimed(id, msg.sender, amount);
        _pay(msg.sender, amount);
    }

    /// @notice Return an expired, unclaimed bounty to its poster. Only the poster may call.
    /// @param id The bounty.
    function refund(uint256 id) external {
        Bounty storage b = _openBounty(id);
        if (msg.sender != b.poster) revert NotPoster(msg.sender);
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp <= b.deadline) revert BountyNotExpired(id, b.deadline);

        b.status = Status.Refunded;
        uint256 amount = b.amount;
        emit BountyRefunded(id, b.poster, amount);
        _pay(b.poster, amount);
    }

    /// @notice The claimant binding a proof must carry in instances[1] to claim bounty `id` for
    ///         `claimant`: the address in the low 160 bits, the id above (zkinfer `--bind-to`).
    function bindingOf(address claimant, uint256 id) public pure returns (uint256) {
        if (id >= 1 << 64) revert BountyIdTooLarge(id);
        return uint256(uint160(claimant)) | (id << 160);
    }

    /// @notice The stored bounty `id` (status None if it does not exist).
    function getBounty(uint256 id) external view returns (Bounty memory) {
        return _bounties[id];
    }

    function _openBounty(uint256 id) private view returns (Bounty storage b) {
        b = _bounties[id];
        Status s = b.status;
        if (s == Status.None) revert UnknownBounty(id);
        if (s == Status.Paid) revert BountyAlreadyPaid(id);
        if (s == Status.Refunded) revert BountyAlreadyRefunded(id);
    }

    /// @dev Staticcall with a gas cap; accepts only a successful call whose return data is exactly
    ///      abi.encode(true). At most 32 bytes of return data are copied (no return-bomb).
    function _verify(address verifier, bytes calldata proof, uint256[] calldata instances)
        private
        view
        returns (bool accepted)
    {
        bytes memory data = abi.encodeCall(IHalo2Verifier.verifyProof, (proof, instances));
        uint256 gasCap = VERIFIER_GAS_CAP;
        /// @solidity memory-safe-assembly
        assembly {
            let ok := staticcall(gasCap, verifier, add(data, 0x20), mload(data), 0x00, 0x20)
            accepted := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

    function _pay(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
