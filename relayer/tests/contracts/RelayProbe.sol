// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The generated halo2 verifier's entry point.
interface IProofVerifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// Relayer test target: accepts each job id once, and only with a proof the real verifier accepts.
/// Its state is the ground truth of "exactly once": `count` successful submissions, each job id's
/// block in `submittedAt`; a second submission of an id reverts (and would cost the relayer a nonce).
contract RelayProbe {
    IProofVerifier public immutable verifier;
    /// Block of each job id's submission (0: never).
    mapping(uint256 => uint256) public submittedAt;
    /// Successful submissions.
    uint256 public count;

    /// `jobId` was already submitted, in block `atBlock`.
    error AlreadySubmitted(uint256 jobId, uint256 atBlock);
    /// The verifier returned false.
    error ProofRejected(uint256 jobId);

    event Submitted(uint256 indexed jobId, address indexed sender);

    constructor(IProofVerifier verifier_) {
        verifier = verifier_;
    }

    function submit(uint256 jobId, bytes calldata proof, uint256[] calldata instances) external {
        uint256 at = submittedAt[jobId];
        if (at != 0) revert AlreadySubmitted(jobId, at);
        if (!verifier.verifyProof(proof, instances)) revert ProofRejected(jobId);
        submittedAt[jobId] = block.number;
        count += 1;
        emit Submitted(jobId, msg.sender);
    }
}
