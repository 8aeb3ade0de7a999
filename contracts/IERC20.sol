// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// @title Minimal ERC-20 interface used by zkinfer's escrow contracts.
/// @notice Only the calls the escrows make. Tokens that return no bool (e.g. USDT) are handled by
///         low-level calls in ProofPaymentBase, not through this interface's return types.
interface IERC20 {
    /// @notice The token balance of `account`.
    /// @param account The holder.
    /// @return The balance.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Move `amount` from the caller to `to`.
    /// @param to The recipient.
    /// @param amount The amount.
    /// @return True on success (some tokens return nothing).
    function transfer(address to, uint256 amount) external returns (bool);

    /// @notice Move `amount` from `from` to `to` using the caller's allowance.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param amount The amount.
    /// @return True on success (some tokens return nothing).
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}
