// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {
    Assertions,
    BookkeepingOnlyVerifier,
    BookkeepingOnlyNoDigest,
    BookkeepingOnlyBadDigest,
    BookkeepingOnlyGasBurner,
    BookkeepingOnlyNoLayout
} from "./Mocks.sol";
import {VerifierRegistry, BN254_SCALAR_FIELD} from "../contracts/VerifierRegistry.sol";

/// @notice NOT A VERIFIER: every constant a registry reads, but DEV_SRS() returns the word 2.
contract BookkeepingOnlyOddDevFlag {
    uint256 public constant VK_DIGEST = 0x0dd;
    uint256 public constant NUM_INSTANCES = 4;
    uint256 public constant INPUT_INSTANCE_COUNT = 1;
    uint256 public constant OUTPUT_INSTANCE_COUNT = 1;
    bytes32 public constant SRS_DIGEST = keccak256("a ceremony's SRS");
    uint256 public constant DEV_SRS = 2;
}

/// @notice VerifierRegistry's rules with BookkeepingOnly* stand-ins: owner-only registration,
///         circuit id = VK_DIGEST, the instance layout and SRS recorded, the development-SRS
///         rule, write-once entries, two-step transfer, renounce freezes.
///         The real generated verifier's registration: InferenceEscrowRealProof.t.sol.
contract VerifierRegistryTest is Assertions {
    VerifierRegistry registry;
    BookkeepingOnlyVerifier v1;
    address alice = address(0xA11CE);
    address bob = address(0xB0B);

    function setUp() public {
        registry = new VerifierRegistry(true);
        v1 = new BookkeepingOnlyVerifier(0x1234, true);
    }

    // ---- deployment --------------------------------------------------------------------------

    function test_DeployerIsOwner() public {
        vm.expectEmit(true, true, true, true);
        emit VerifierRegistry.OwnershipTransferred(address(0), alice);
        vm.prank(alice);
        VerifierRegistry r = new VerifierRegistry(false);
        _eq(r.owner(), alice, "owner");
        _true(!r.acceptsDevSrs() && registry.acceptsDevSrs(), "the constructor's SRS rule");
        _eq(r.pendingOwner(), address(0), "no pending owner");
        _eq(registry.owner(), address(this), "this test owns the setUp registry");
        _eq(registry.VK_DIGEST_GAS_CAP(), 100_000, "digest gas cap");
    }

    // ---- register ----------------------------------------------------------------------------

    function test_RegisterUsesTheVkDigest() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.VerifierRegistered(
            0x1234, address(v1), address(v1).codehash, 1, 1, keccak256("a ceremony's SRS"), false
        );
        uint256 id = registry.register(address(v1));
        _eq(id, 0x1234, "circuit id = VK_DIGEST");
        _true(registry.isRegistered(id), "registered");
        _eq(registry.verifierOf(id), address(v1), "verifier");
        _eq(registry.codehashOf(id), address(v1).codehash, "code hash");
        (address v, bytes32 h) = registry.entryOf(id);
        _true(v == address(v1) && h == address(v1).codehash, "entry");
    }

    function test_RecordsTheInstanceLayoutAndTheSrs() public {
        v1.setLayout(3, 5);
        v1.setSrs(bytes32(uint256(0x5125)), true);
        vm.expectEmit(true, true, true, true, address(registry));
        emit VerifierRegistry.VerifierRegistered(0x1234, address(v1), address(v1).codehash, 3, 5, bytes32(uint256(0x5125)), true);
        uint256 id = registry.register(address(v1));
        (uint256 inputs, uint256 outputs) = registry.layoutOf(id);
        _true(inputs == 3 && outputs == 5, "layout");
        (bytes32 digest, bool dev) = registry.srsOf(id);
        _true(digest == bytes32(uint256(0x5125)) && dev, "srs");
        // Write-once: what the verifier reports later changes nothing.
        v1.setLayout(1, 1);
        (inputs, outputs) = registry.layoutOf(id);
        _true(inputs == 3 && outputs == 5, "layout recorded at registration");
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.UnknownCircuit.selector, 9));
        registry.layoutOf(9);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.UnknownCircuit.selector, 9));
        registry.srsOf(9);
    }

    function test_RefusesVerifierWithoutLayoutOrSrsConstants() public {
        address old = address(new BookkeepingOnlyNoLayout());
        vm.expectRevert(
            abi.encodeWithSelector(VerifierRegistry.MissingVerifierConstant.selector, old, bytes4(keccak256("NUM_INSTANCES()")))
        );
        registry.register(old);
        address odd = address(new BookkeepingOnlyOddDevFlag());
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.InvalidDevSrsFlag.selector, odd, 2));
        registry.register(odd);
    }

    function test_RefusesAnInconsistentLayout() public {
        v1.setNumInstances(7); // 1 input + 1 output + 2 != 7
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.InvalidInstanceLayout.selector, address(v1), 7, 1, 1));
        registry.register(address(v1));
        uint256 huge = uint256(type(uint32).max) + 1;
        v1.setLayout(huge, 1);
        vm.expectRevert(
            abi.encodeWithSelector(VerifierRegistry.InvalidInstanceLayout.selector, address(v1), huge + 3, huge, 1)
        );
        registry.register(address(v1));
        v1.setLayout(0, 0); // only the model commitment and the binding: a valid layout
        registry.register(address(v1));
    }

    /// Issue 14, item 4: a registry outside a local development chain must refuse verifiers set
    /// up with a development SRS (anyone can forge proofs for them): those whose DEV_SRS() is
    /// true, and those whose SRS_DIGEST() is zkinfer's development SRS's whatever they say.
    function test_ProductionRegistryRefusesDevSrsVerifiers() public {
        VerifierRegistry production = new VerifierRegistry(false);
        v1.setSrs(keccak256("some SRS"), true);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.DevSrsVerifier.selector, address(v1), keccak256("some SRS")));
        production.register(address(v1));
        bytes32 dev = production.DEV_SRS_DIGEST();
        v1.setSrs(dev, false);
        vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.DevSrsVerifier.selector, address(v1), dev));
        production.register(address(v1));
        v1.setSrs(keccak256("a ceremony's SRS"), false);
        production.register(address(v1));
        (, bool isDev) = production.srsOf(0x1234);
        _true(!isDev, "a ceremony verifier is registered");
    }

    function testFuzz_DevSrsRule(bool accepts, bool flag, bool devDigest, bytes32 digest) public {
        vm.assume(digest != registry.DEV_SRS_DIGEST());
        VerifierRegistry r = new VerifierRegistry(accepts);
        bytes32 d = devDigest ? r.DEV_SRS_DIGEST() : digest;
        v1.setSrs(d, flag);
        bool dev = flag || devDigest;
        if (dev && !accepts) {
            vm.expectRevert(abi.encodeWithSelector(VerifierRegistry.DevSrsVerifier.selector, address(v1), d));
            r.register(address(v1));
            _true(!r.isRegistered(0x1234), "refused");
        } else {
            r.register(address(v1));
            (bytes32 recorded, bool recordedDev) = r.srsOf(0x1234);
            _true(recorded == d && recordedDev == dev, "recorded");
        }
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
