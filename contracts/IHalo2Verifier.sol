// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// @title Interface of zkinfer's generated halo2 (KZG) verifiers.
/// @notice A verifier returns true on a valid proof and reverts (or returns false) otherwise.
interface IHalo2Verifier {
    /// @param proof The serialized halo2 proof.
    /// @param instances The public inputs; by zkinfer convention instances[0] is the model commitment
    ///        and instances[1] the claimant binding (see ModelBounty.bindingOf).
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}
