// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

// Test doubles shared by the bookkeeping tests. Every contract named BookkeepingOnly* is NOT A
// VERIFIER: it stands in for one to test bookkeeping (escrow, payout, deadlines, refunds,
// reentrancy, registry rules). Real-proof tests (InferenceEscrowRealProof.t.sol,
// HashedWeights.t.sol, ModelBountyRealProof.t.sol) use the generated verifiers and real proofs.

/// @notice NOT A VERIFIER. The constants VerifierRegistry reads besides VK_DIGEST, settable: by
///         default an accuracy circuit's layout (one input, one output: 4 instances) and a
///         ceremony SRS.
abstract contract BookkeepingOnlyConstants {
    /// @notice Input instances.
    uint256 public INPUT_INSTANCE_COUNT = 1;
    /// @notice Output instances.
    uint256 public OUTPUT_INSTANCE_COUNT = 1;
    /// @notice All instances.
    uint256 public NUM_INSTANCES = 4;
    /// @notice The SRS digest.
    bytes32 public SRS_DIGEST = keccak256("a ceremony's SRS");
    /// @notice Whether the SRS is a development one.
    bool public DEV_SRS;

    /// @notice Set a consistent layout (NUM_INSTANCES = 2 + inputs + outputs).
    function setLayout(uint256 inputs, uint256 outputs) external {
        INPUT_INSTANCE_COUNT = inputs;
        OUTPUT_INSTANCE_COUNT = outputs;
        NUM_INSTANCES = 2 + inputs + outputs;
    }

    /// @notice Set NUM_INSTANCES alone (an inconsistent layout).
    function setNumInstances(uint256 n) external {
        NUM_INSTANCES = n;
    }

    /// @notice Set the SRS constants.
    function setSrs(bytes32 digest, bool dev) external {
        SRS_DIGEST = digest;
        DEV_SRS = dev;
    }
}

/// @notice NOT A VERIFIER. Accepts or rejects every proof according to a settable flag; has a
///         settable VK_DIGEST (its circuit id in a VerifierRegistry).
contract BookkeepingOnlyVerifier is BookkeepingOnlyConstants {
    /// @notice The digest the registry reads.
    uint256 public VK_DIGEST;
    /// @notice What verifyProof returns.
    bool public accept;

    constructor(uint256 digest, bool accept_) {
        VK_DIGEST = digest;
        accept = accept_;
    }

    /// @notice Set VK_DIGEST.
    function setVkDigest(uint256 digest) external {
        VK_DIGEST = digest;
    }

    /// @notice Set what verifyProof returns.
    function setAccept(bool accept_) external {
        accept = accept_;
    }

    /// @notice Returns `accept`, whatever the proof.
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        return accept;
    }
}

/// @notice NOT A VERIFIER. For fuzz and invariant tests: accepts iff the proof's first byte is 0x01,
///         so a test knows which random proofs "verify".
contract BookkeepingOnlyProofByteVerifier is BookkeepingOnlyConstants {
    /// @notice The digest the registry reads.
    uint256 public immutable VK_DIGEST;

    constructor(uint256 digest) {
        VK_DIGEST = digest;
    }

    /// @notice The acceptance rule, for tests.
    function accepts(bytes memory proof) public pure returns (bool) {
        return proof.length > 0 && proof[0] == 0x01;
    }

    /// @notice True iff proof[0] == 0x01.
    function verifyProof(bytes calldata proof, uint256[] calldata) external pure returns (bool) {
        return accepts(proof);
    }
}

/// @notice NOT A VERIFIER. Burns all the gas it is given (like a verifier fed a corrupted curve
///         point), to check the contracts' verifier gas cap.
contract BookkeepingOnlyGasBurner is BookkeepingOnlyConstants {
    /// @notice The digest the registry reads.
    uint256 public immutable VK_DIGEST;

    constructor(uint256 digest) {
        VK_DIGEST = digest;
    }

    /// @notice Never returns.
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        uint256 x;
        while (gasleft() > 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return x == 0;
    }
}

/// @notice NOT A VERIFIER. Returns or reverts with something that is not exactly abi.encode(true).
contract BookkeepingOnlyOddReturn is BookkeepingOnlyConstants {
    /// @notice Number of modes.
    uint256 public constant MODES = 6;
    /// @notice The digest the registry reads.
    uint256 public immutable VK_DIGEST;
    /// @notice Which odd answer verifyProof gives.
    uint256 public immutable mode;

    constructor(uint256 digest, uint256 mode_) {
        VK_DIGEST = digest;
        mode = mode_;
    }

    /// @notice mode 0: 64 bytes (1, 1); 1: one word = 2; 2: nothing; 3: 31 bytes; 4: reverts with
    ///         abi.encode(true); 5: a huge return (return bomb) starting with 1.
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        uint256 m = mode;
        assembly {
            mstore(0, 1)
            mstore(0x20, 1)
            if eq(m, 0) { return(0, 0x40) }
            if eq(m, 1) {
                mstore(0, 2)
                return(0, 0x20)
            }
            if eq(m, 2) { return(0, 0) }
            if eq(m, 3) { return(0x01, 0x1f) }
            if eq(m, 4) { revert(0, 0x20) }
            return(0, 0x100000)
        }
    }
}

/// @notice NOT A VERIFIER: has verifyProof but no VK_DIGEST (registration must be refused).
contract BookkeepingOnlyNoDigest {
    /// @notice Accepts everything.
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}

/// @notice NOT A VERIFIER: a VK_DIGEST but none of the other constants a registry reads (a
///         verifier of an older zkinfer, or another generator's).
contract BookkeepingOnlyNoLayout {
    /// @notice The digest the registry reads.
    uint256 public constant VK_DIGEST = 0x10;

    /// @notice Accepts everything.
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}

/// @notice NOT A VERIFIER: its VK_DIGEST() is unreadable in various ways.
contract BookkeepingOnlyBadDigest {
    /// @notice Number of modes.
    uint256 public constant MODES = 5;
    /// @notice Which bad answer VK_DIGEST gives.
    uint256 public immutable mode;

    constructor(uint256 mode_) {
        mode = mode_;
    }

    /// @notice mode 0: reverts; 1: burns all gas; 2: returns 64 bytes; 3: returns nothing;
    ///         4: returns 31 bytes.
    function VK_DIGEST() external view returns (uint256) {
        uint256 m = mode;
        if (m == 1) {
            uint256 x;
            while (gasleft() > 0) {
                x = uint256(keccak256(abi.encode(x)));
            }
            return x;
        }
        assembly {
            mstore(0, 7)
            mstore(0x20, 7)
            if eq(m, 0) { revert(0, 0x20) }
            if eq(m, 2) { return(0, 0x40) }
            if eq(m, 3) { return(0, 0) }
            return(0x01, 0x1f)
        }
    }

    /// @notice Accepts everything.
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}

/// @notice A configurable ERC-20 for tests (returns bool). Modes: a fee on transfer (burnt),
///         transfers that return false instead of reverting, transfers that move nothing, and a
///         hook that calls an arbitrary target (e.g. the escrow) from inside transfer/transferFrom.
contract TestToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    /// @notice Fee in basis points taken (burnt) from every transfer.
    uint256 public feeBps;
    /// @notice Failing transfers return false instead of reverting.
    bool public returnFalse;
    /// @notice transfer/transferFrom return true and move nothing.
    bool public noop;
    /// @notice transfer (payout) returns false.
    bool public failTransfer;

    /// @notice Hook called from transfer (onTransfer) or transferFrom (onTransferFrom).
    address public hookTarget;
    bytes public hookData;
    bool public hookOnTransfer;
    bool public hookOnTransferFrom;
    /// @notice Outcome of the last hook call.
    bool public hookCalled;
    bool public hookSucceeded;
    bytes4 public hookError;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function setFeeBps(uint256 bps) external {
        feeBps = bps;
    }

    function setReturnFalse(bool v) external {
        returnFalse = v;
    }

    function setNoop(bool v) external {
        noop = v;
    }

    function setFailTransfer(bool v) external {
        failTransfer = v;
    }

    function setHook(address target, bytes calldata data, bool onTransfer, bool onTransferFrom) external {
        hookTarget = target;
        hookData = data;
        hookOnTransfer = onTransfer;
        hookOnTransferFrom = onTransferFrom;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (failTransfer) return false;
        if (hookOnTransfer) _hook();
        return _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (hookOnTransferFrom) _hook();
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) {
            if (returnFalse) return false;
            revert("allowance");
        }
        allowance[from][msg.sender] = allowed - amount;
        return _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private returns (bool) {
        if (noop) return true;
        if (balanceOf[from] < amount) {
            if (returnFalse) return false;
            revert("balance");
        }
        uint256 fee = amount * feeBps / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        return true;
    }

    function _hook() private {
        hookCalled = true;
        (bool ok, bytes memory err) = hookTarget.call(hookData);
        hookSucceeded = ok;
        bytes4 sel;
        if (!ok && err.length >= 4) {
            assembly {
                sel := mload(add(err, 0x20))
            }
        }
        hookError = sel;
    }
}

/// @notice An ERC-20 whose transfer and transferFrom return nothing (USDT-style); reverts on failure.
contract NoBoolToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "allowance");
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// @notice A contract that rejects ETH (as a claimant or a poster).
contract EtherRejecter {
    /// @notice Forward a call (to post, claim, request, fulfil...) with value.
    function exec(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        revert("no ether");
    }
}

/// @notice A contract that calls `target` with `data` when it receives ETH (once) and records the
///         outcome; used to re-enter the escrows from a payout.
contract ReentrantReceiver {
    address public target;
    bytes public data;
    bool public attempted;
    bool public reentrySucceeded;
    bytes4 public reentryError;

    /// @notice Set the call made on receipt.
    function setReentry(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    /// @notice Forward a call with value (post, claim, request, fulfil, refund...).
    function exec(address to, bytes calldata callData) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: msg.value}(callData);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        if (attempted || target == address(0)) return;
        attempted = true;
        (bool ok, bytes memory err) = target.call(data);
        reentrySucceeded = ok;
        bytes4 sel;
        if (!ok && err.length >= 4) {
            assembly {
                sel := mload(add(err, 0x20))
            }
        }
        reentryError = sel;
    }
}

/// @notice Assertions for tests without forge-std.
abstract contract Assertions {
    function _eq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": values differ"));
    }

    function _eq(address a, address b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": addresses differ"));
    }

    function _eq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": words differ"));
    }

    function _true(bool c, string memory what) internal pure {
        if (!c) revert(what);
    }

    /// @dev `payer.bindingOf(who, id)` on this chain, computed locally so that no external call
    ///      sits between a prank or an expectRevert and the call it is meant for.
    function _bindingFor(address payer, address who, uint256 id) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, payer, who, id)))
            % 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    }
}
