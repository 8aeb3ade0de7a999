// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The generated halo2 verifier's entry point.
interface IProofVerifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// Relayer test target: accepts each job id once, and only with a proof the real verifier accepts.
/// Its state is the ground truth of "exactly once": `count` successful submissions, each job id's
/// block in `submittedAt`; a second submission of an id reverts (and would cost the relayer a nonce).
/// It has ModelBounty's paying interface — `claim(uint256,bytes,uint256[])` and `registry()` (a
/// real VerifierRegistry, whose owner the relayer checks) — so a relayer calls it as a ModelBounty,
/// with any number of job ids on one proof (a real bounty needs a proof bound to each id).
contract RelayProbe {
    IProofVerifier public immutable verifier;
    /// The VerifierRegistry a ModelBounty would trust (only its owner is read, by the relayer).
    address public immutable registry;
    /// Block of each job id's submission (0: never).
    mapping(uint256 => uint256) public submittedAt;
    /// Successful submissions.
    uint256 public count;

    /// `jobId` was already submitted, in block `atBlock`.
    error AlreadySubmitted(uint256 jobId, uint256 atBlock);
    /// The verifier returned false.
    error ProofRejected(uint256 jobId);

    event Submitted(uint256 indexed jobId, address indexed sender);

    constructor(IProofVerifier verifier_, address registry_) {
        verifier = verifier_;
        registry = registry_;
    }

    function claim(uint256 jobId, bytes calldata proof, uint256[] calldata instances) external {
        uint256 at = submittedAt[jobId];
        if (at != 0) revert AlreadySubmitted(jobId, at);
        if (!verifier.verifyProof(proof, instances)) revert ProofRejected(jobId);
        submittedAt[jobId] = block.number;
        count += 1;
        emit Submitted(jobId, msg.sender);
    }
}
