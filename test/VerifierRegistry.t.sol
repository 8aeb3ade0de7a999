// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {
    Assertions,
    BookkeepingOnlyVerifier,
    BookkeepingOnlyNoDigest,
    BookkeepingOnlyBadDigest,
    BookkeepingOnlyGasBurner
} from "./Mocks.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice VerifierRegistry's rules with BookkeepingOnly* stand-ins: owner-only registration,
///         circuit id = VK_DIGEST, write-once entries, two-step transfer, renounce freezes.
///         The real generated verifier's registration: InferenceEscrowRealProof.t.sol.
contract VerifierRegistryTest is Assertions {
    VerifierRegistry registry;
    BookkeepingOnlyVerifier v1;
    address alice = address(0xA11CE);
    address bob = address(0xB0B);

    function setUp() public {
        registry = new VerifierRegistry();
        v1 = new BookkeepingOnlyVerifier(0x1234, true);
    }

    // ---- deployment --------------------------------------------------------------------------

    function test_DeployerIsOwner() public {
        vm.expectEmit(true, true, true, true);
        emit VerifierRegistry.OwnershipTransferred(address(0), alice);
        vm.prank(alice);
        VerifierRegistry r = new VerifierRegistry();
        _eq(r.owner(), alice, "owner");
        _eq(r.pendingOwner(), address(0), "no pending owner");
        _eq(registry.owner(), address(this), "this test owns the setUp registry");
        _eq(registry.VK_DIGEST_GAS_CAP(), 100_000, "digest gas cap");
    }

    // ---- register ----------------------------------------------------------------------------

    function test_RegisterUsesTheVkDigest() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.VerifierRegistered(0x1234, address(v1), address(v1).codehash);
        uint256 id = registry.register(address(v1));
        _eq(id, 0x1234, "circuit id = VK_DIGEST");
        _true(registry.isRegistered(id), "registered");
        _eq(registry.verifierOf(id), address(v1), "verifier");
        _eq(registry.codehashOf(id), address(v1).codehash, "code hash");
        (address v, bytes32 h) = registry.entryOf(id);
        _true(v == address(v1) && h == address(v1).codehash, "entry");
    }

    function test_OnlyOwnerRegisters() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, alice));
        registry.register(address(v1));
        _true(!registry.isRegistered(0x1234), "not registered");
    }

    function testFuzz_OnlyOwnerRegisters(address caller) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, caller));
        registry.register(address(v1));
    }

    function test_RefusesAddressWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.VerifierHasNoCode.selector, alice));
        registry.register(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.VerifierHasNoCode.selector, address(0)));
        registry.register(address(0));
    }

    function test_RefusesVerifierWithoutReadableDigest() public {
        address noDigest = address(new BookkeepingOnlyNoDigest());
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NoVkDigest.selector, noDigest));
        registry.register(noDigest);
        for (uint256 mode = 0; mode < 5; mode++) {
            address bad = address(new BookkeepingOnlyBadDigest(mode));
            vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NoVkDigest.selector, bad));
            registry.register{gas: 1_000_000}(bad);
        }
    }

    function test_RefusesDigestOutsideTheField() public {
        v1.setVkDigest(0);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.InvalidVkDigest.selector, address(v1), 0));
        registry.register(address(v1));
        v1.setVkDigest(BN254_SCALAR_FIELD);
        vm.expectRevert(
            abi.encodeWithSelector(VerifierRegistry.InvalidVkDigest.selector, address(v1), BN254_SCALAR_FIELD)
        );
        registry.register(address(v1));
        v1.setVkDigest(type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(VerifierRegistry.InvalidVkDigest.selector, address(v1), type(uint256).max)
        );
        registry.register(address(v1));
        v1.setVkDigest(BN254_SCALAR_FIELD - 1);
        _eq(registry.register(address(v1)), BN254_SCALAR_FIELD - 1, "largest scalar accepted");
    }

    function testFuzz_RegisterAnyDigest(uint256 digest) public {
        v1.setVkDigest(digest);
        if (digest == 0 || digest >= BN254_SCALAR_FIELD) {
            vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.InvalidVkDigest.selector, address(v1), digest));
            registry.register(address(v1));
            _true(!registry.isRegistered(digest), "not registered");
        } else {
            _eq(registry.register(address(v1)), digest, "circuit id");
            _eq(registry.verifierOf(digest), address(v1), "verifier");
        }
    }

    function test_EntriesAreWriteOnce() public {
        uint256 id = registry.register(address(v1));
        // The same verifier again, and another contract claiming the same digest.
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.AlreadyRegistered.selector, id, address(v1)));
        registry.register(address(v1));
        BookkeepingOnlyVerifier impostor = new BookkeepingOnlyVerifier(0x1234, false);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.AlreadyRegistered.selector, id, address(v1)));
        registry.register(address(impostor));
        // Not even a new owner can replace it.
        registry.transferOwnership(alice);
        vm.prank(alice);
        registry.acceptOwnership();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.AlreadyRegistered.selector, id, address(v1)));
        registry.register(address(impostor));
        _eq(registry.verifierOf(id), address(v1), "entry unchanged");
    }

    function test_SeveralCircuits() public {
        BookkeepingOnlyVerifier v2 = new BookkeepingOnlyVerifier(0x5678, false);
        BookkeepingOnlyGasBurner v3 = new BookkeepingOnlyGasBurner(0x9abc);
        registry.register(address(v1));
        registry.register(address(v2));
        registry.register(address(v3));
        _eq(registry.verifierOf(0x1234), address(v1), "v1");
        _eq(registry.verifierOf(0x5678), address(v2), "v2");
        _eq(registry.verifierOf(0x9abc), address(v3), "v3");
    }

    function test_UnknownCircuit() public {
        _true(!registry.isRegistered(7), "not registered");
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.UnknownCircuit.selector, 7));
        registry.verifierOf(7);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.UnknownCircuit.selector, 7));
        registry.codehashOf(7);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.UnknownCircuit.selector, 7));
        registry.entryOf(7);
    }

    function test_RecordedCodehashSurvivesCodeChange() public {
        uint256 id = registry.register(address(v1));
        bytes32 original = address(v1).codehash;
        vm.etch(address(v1), address(new BookkeepingOnlyGasBurner(1)).code);
        _eq(registry.codehashOf(id), original, "recorded hash unchanged");
        _true(address(v1).codehash != original, "the code did change");
    }

    // ---- ownership ---------------------------------------------------------------------------

    function test_TwoStepTransfer() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.OwnershipTransferStarted(address(this), alice);
        registry.transferOwnership(alice);
        _eq(registry.pendingOwner(), alice, "pending");
        _eq(registry.owner(), address(this), "still the owner until accepted");

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotPendingOwner.selector, bob));
        registry.acceptOwnership();

        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.OwnershipTransferred(address(this), alice);
        vm.prank(alice);
        registry.acceptOwnership();
        _eq(registry.owner(), alice, "new owner");
        _eq(registry.pendingOwner(), address(0), "pending cleared");

        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, address(this)));
        registry.register(address(v1));
        vm.prank(alice);
        registry.register(address(v1));

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotPendingOwner.selector, alice));
        registry.acceptOwnership();
    }

    function test_OnlyOwnerTransfersOrRenounces() public {
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, alice));
        registry.transferOwnership(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, alice));
        registry.renounceOwnership();
        vm.stopPrank();
    }

    function test_CancelPendingTransfer() public {
        registry.transferOwnership(alice);
        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.OwnershipTransferStarted(address(this), address(0));
        registry.transferOwnership(address(0));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotPendingOwner.selector, alice));
        registry.acceptOwnership();
        // With nothing pending, not even address(0) can "accept".
        vm.prank(address(0));
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotPendingOwner.selector, address(0)));
        registry.acceptOwnership();
        _eq(registry.owner(), address(this), "owner unchanged");
    }

    function test_RenounceFreezesTheSet() public {
        uint256 id = registry.register(address(v1));
        registry.transferOwnership(alice); // a pending transfer is cancelled by renouncing
        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.OwnershipTransferred(address(this), address(0));
        registry.renounceOwnership();
        _eq(registry.owner(), address(0), "no owner");
        _eq(registry.pendingOwner(), address(0), "no pending owner");

        BookkeepingOnlyVerifier v2 = new BookkeepingOnlyVerifier(0x5678, true);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, address(this)));
        registry.register(address(v2));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotPendingOwner.selector, alice));
        registry.acceptOwnership();
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotOwner.selector, address(this)));
        registry.transferOwnership(alice);
        vm.prank(address(0));
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.NotPendingOwner.selector, address(0)));
        registry.acceptOwnership();
        _eq(registry.verifierOf(id), address(v1), "existing entries stay readable");
    }
}
