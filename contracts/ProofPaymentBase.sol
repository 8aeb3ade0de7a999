// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {IERC20} from "./IERC20.sol";
import {IHalo2Verifier} from "./IHalo2Verifier.sol";
import {BN254_SCALAR_FIELD, VerifierRegistry} from "./VerifierRegistry.sol";

/// @title ProofPaymentBase: shared machinery of the contracts that pay on a verified proof.
/// @notice Escrow in ETH or an ERC-20, payout, a reentrancy guard, the claimant binding (which
///         names the claimant, the id, this contract and the chain) and the gas-capped call to
///         the verifier a `VerifierRegistry` holds for a circuit id.
/// @dev Every state-changing external function of a derived contract is `nonReentrant` and
///      follows checks-effects-interactions: the only interactions are the verifier staticcall
///      (a view, before any effect), the ERC-20 pull when funds are escrowed (before any state is
///      written) and the payout (after every effect).
///      Supported tokens: standard ERC-20s, tokens that return no bool, tokens that take a fee on
///      transfer (the escrow credits what it actually received). Not supported: tokens whose
///      balances change without transfers (rebasing): a negative rebase makes payouts fail.
abstract contract ProofPaymentBase {
    /// @notice Gas forwarded to the verifier: a broken or malicious verifier cannot eat all gas.
    ///         A generated halo2 KZG verifier costs 0.3M-0.8M gas (see docs/bench.md).
    uint256 public constant VERIFIER_GAS_CAP = 3_000_000;

    /// @notice The registry of verifiers, by circuit id, this contract trusts.
    VerifierRegistry public immutable registry;

    /// @dev 1: unlocked, 2: inside a nonReentrant function.
    uint256 private _lock = 1;

    /// @notice The registry address has no code.
    /// @param registry The address given to the constructor.
    error RegistryHasNoCode(address registry);
    /// @notice A call to a nonReentrant function while one is running.
    error ReentrantCall();
    /// @notice Zero amount asked for, or zero tokens actually received.
    error ZeroAmount();
    /// @notice msg.value differs from the amount to escrow (ETH) or is not zero (ERC-20).
    /// @param expected The msg.value required.
    /// @param actual The msg.value sent.
    error WrongEtherValue(uint256 expected, uint256 actual);
    /// @notice The token address has no code.
    /// @param token The address.
    error TokenHasNoCode(address token);
    /// @notice The ERC-20 transferFrom into the escrow failed (reverted or returned false).
    /// @param token The token.
    /// @param from The payer.
    /// @param amount The amount asked for.
    error TransferFromFailed(address token, address from, uint256 amount);
    /// @notice A payout failed (ETH when token is address(0), else the ERC-20 transfer).
    /// @param token The token (address(0): ETH).
    /// @param to The recipient.
    /// @param amount The amount.
    error TransferFailed(address token, address to, uint256 amount);
    /// @notice The deadline is earlier than the current block's timestamp.
    /// @param deadline The deadline given.
    error DeadlineInPast(uint64 deadline);
    /// @notice No verifier is registered under this circuit id.
    /// @param circuitId The circuit id.
    error UnknownCircuit(uint256 circuitId);
    /// @notice A value that must be a BN254 scalar (an instance) is >= r: no proof could match it.
    /// @param value The value.
    error NotAFieldElement(uint256 value);
    /// @notice instances[1] is not `bindingOf(msg.sender, id)`: the proof was made for another
    ///         sender, another id, another contract or another chain.
    /// @param expected bindingOf(msg.sender, id).
    /// @param actual instances[1].
    error WrongClaimant(uint256 expected, uint256 actual);
    /// @notice The instances are not exactly the circuit's (2 + inputs + outputs, as the
    ///         registry records its layout).
    /// @param expected The circuit's instance count.
    /// @param actual instances.length.
    error WrongInstanceCount(uint256 expected, uint256 actual);
    /// @notice The verifier did not accept the proof (false, revert, out of gas, or return data
    ///         other than exactly abi.encode(true)).
    /// @param id The bounty or request.
    error ProofRejected(uint256 id);
    /// @notice The verifier's code hash differs from the one recorded at registration.
    /// @param circuitId The circuit id.
    error VerifierCodeChanged(uint256 circuitId);

    /// @param registry_ The verifier registry (immutable).
    constructor(VerifierRegistry registry_) {
        if (address(registry_).code.length == 0) revert RegistryHasNoCode(address(registry_));
        registry = registry_;
    }

    modifier nonReentrant() {
        if (_lock != 1) revert ReentrantCall();
        _lock = 2;
        _;
        _lock = 1;
    }

    /// @notice The claimant binding a proof must carry in instances[1] to be paid to `claimant`
    ///         for bounty or request `id` by this contract on this chain (zkinfer `prove
    ///         --bind-to CLAIMANT:ID --chain-id CHAIN --contract THIS`):
    ///         `uint256(keccak256(abi.encode(block.chainid, address(this), claimant, id))) mod r`.
    ///         A proof bound here pays nobody else, and nothing on another deployment or chain.
    /// @param claimant The address that will send the claim or fulfilment.
    /// @param id The bounty or request.
    /// @return The binding, a BN254 scalar.
    function bindingOf(address claimant, uint256 id) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), claimant, id))) % BN254_SCALAR_FIELD;
    }

    /// @dev The registered layout of `circuitId`; an unregistered one reverts with the registry's
    ///      `UnknownCircuit(circuitId)` (the same error as this contract's).
    function _layoutOf(uint256 circuitId) internal view returns (uint256 numInputs, uint256 numOutputs) {
        return registry.layoutOf(circuitId);
    }

    function _requireField(uint256 value) internal pure {
        if (value >= BN254_SCALAR_FIELD) revert NotAFieldElement(value);
    }

    function _requireNotPast(uint64 deadline) internal view {
        // Deadlines are coarse (hours/days); validator timestamp drift is irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (deadline < block.timestamp) revert DeadlineInPast(deadline);
    }

    /// @dev Take `amount` of `token` (address(0): ETH, which must be msg.value) from msg.sender
    ///      into escrow; returns what was actually received (ERC-20: the balance difference).
    ///      Runs before the caller writes any state; the caller is nonReentrant.
    function _collect(address token, uint256 amount) internal returns (uint256 received) {
        if (amount == 0) revert ZeroAmount();
        if (token == address(0)) {
            if (msg.value != amount) revert WrongEtherValue(amount, msg.value);
            return amount;
        }
        if (msg.value != 0) revert WrongEtherValue(0, msg.value);
        if (token.code.length == 0) revert TokenHasNoCode(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        bool ok = _tokenCall(token, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), amount)));
        if (!ok) revert TransferFromFailed(token, msg.sender, amount);
        uint256 balanceAfter = IERC20(token).balanceOf(address(this));
        received = balanceAfter > before ? balanceAfter - before : 0;
        if (received == 0) revert ZeroAmount();
    }

    /// @dev Pay `amount` of `token` (address(0): ETH) to `to`. Called after every effect.
    function _pay(address token, address to, uint256 amount) internal {
        bool ok;
        if (token == address(0)) {
            /// @solidity memory-safe-assembly
            assembly {
                // No return data is copied (no return-bomb).
                ok := call(gas(), to, amount, 0x00, 0x00, 0x00, 0x00)
            }
        } else {
            ok = _tokenCall(token, abi.encodeCall(IERC20.transfer, (to, amount)));
        }
        if (!ok) revert TransferFailed(token, to, amount);
    }

    /// @dev Call an ERC-20 function that returns bool; success iff the call succeeded and either
    ///      returned nothing (tokens without a bool; the token must still have code) or returned
    ///      at least 32 bytes whose first word is 1. At most 32 bytes are copied.
    function _tokenCall(address token, bytes memory data) private returns (bool ok) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, 0)
            ok := call(gas(), token, 0, add(data, 0x20), mload(data), 0x00, 0x20)
            switch returndatasize()
            case 0 { ok := and(ok, gt(extcodesize(token), 0)) }
            default { ok := and(ok, and(iszero(lt(returndatasize(), 0x20)), eq(mload(0x00), 1))) }
        }
    }

    /// @dev Whether the verifier registered for `circuitId` accepts `proof` and `instances`.
    ///      Reverts `UnknownCircuit` if none is registered and `VerifierCodeChanged` if its code
    ///      hash differs from the one recorded at registration. The staticcall gets at most
    ///      VERIFIER_GAS_CAP gas; only a successful call whose return data is exactly abi.encode(true)
    ///      counts. At most 32 bytes of return data are copied (no return-bomb).
    function _verifies(uint256 circuitId, bytes calldata proof, uint256[] calldata instances)
        internal
        view
        returns (bool accepted)
    {
        (address verifier, bytes32 codehash) = registry.entryOf(circuitId);
        if (verifier.codehash != codehash) revert VerifierCodeChanged(circuitId);
        bytes memory data = abi.encodeCall(IHalo2Verifier.verifyProof, (proof, instances));
        uint256 gasCap = VERIFIER_GAS_CAP;
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, 0)
            let ok := staticcall(gasCap, verifier, add(data, 0x20), mload(data), 0x00, 0x20)
            accepted := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }
}
