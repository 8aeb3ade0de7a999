// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// @title Interface of zkinfer's generated halo2 (KZG) verifiers.
/// @notice A verifier returns true on a valid proof and reverts (or returns false) otherwise. Its
///         constants say what it checks; `VerifierRegistry` reads them at registration.
interface IHalo2Verifier {
    /// @param proof The serialized halo2 proof.
    /// @param instances The public inputs: `[model commitment, binding, inputs..., outputs...]`
    ///        (instances[1] is the claimant binding, see ProofPaymentBase.bindingOf).
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);

    /// @notice The verifying key's digest (the circuit id in a VerifierRegistry).
    function VK_DIGEST() external view returns (uint256);
    /// @notice Exact proof length in bytes.
    function PROOF_LENGTH() external view returns (uint256);
    /// @notice Exact number of public instances: 2 + INPUT_INSTANCE_COUNT + OUTPUT_INSTANCE_COUNT.
    function NUM_INSTANCES() external view returns (uint256);
    /// @notice Input instances (the input's values, its one commitment, or none).
    function INPUT_INSTANCE_COUNT() external view returns (uint256);
    /// @notice Output instances (the output's values, its one commitment, or none).
    function OUTPUT_INSTANCE_COUNT() external view returns (uint256);
    /// @notice keccak256 of the SRS points the verifier uses: the G1 generator (x, y), the G2
    ///         generator and [tau]_2 (each x.c1, x.c0, y.c1, y.c0), as 32-byte big-endian words.
    function SRS_DIGEST() external view returns (bytes32);
    /// @notice True if set up with a development SRS (known toxic waste: proofs can be forged).
    function DEV_SRS() external view returns (bool);
}
