//! What a generated verifier was set up with: the digest of the SRS points it uses and whether
//! that SRS is a development one (its `SRS_DIGEST` and `DEV_SRS` constants).
//!
//! A KZG verifier uses three points of the structured reference string: the G1 generator `[1]_1`
//! (the MSM's base for the evaluations), the G2 generator `[1]_2` and `[τ]_2` (the pairing).
//! Everything else in the SRS only matters to the prover. So the SRS a verifier trusts is pinned
//! by [`srs_digest`]: `keccak256` of exactly those points as 32-byte big-endian words in the
//! EVM precompile order,
//!
//! ```text
//! [1]_1.x ‖ [1]_1.y ‖ [1]_2.x.c1 ‖ [1]_2.x.c0 ‖ [1]_2.y.c1 ‖ [1]_2.y.c0 ‖ [τ]_2.x.c1 ‖ [τ]_2.x.c0 ‖ [τ]_2.y.c1 ‖ [τ]_2.y.c0
//! ```
//!
//! (320 bytes; Solidity: `keccak256(abi.encode(g1x, g1y, g2xc1, g2xc0, g2yc1, g2yc0, sxc1, sxc0,
//! syc1, syc0))`). Downsizing an SRS to a smaller `k` keeps those points, so one ceremony has one
//! digest for every circuit size: a registry or an integrator can compare it with the ceremony's.

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use sha3::{Digest, Keccak256};

/// Where the SRS of a verifier comes from: its `DEV_SRS` constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrsKind {
    /// A development SRS whose toxic waste is known (zkinfer's dev SRS from a public seed, a test
    /// setup): anyone can forge proofs. `DEV_SRS = true`. The default, so that a caller that does
    /// not say where its SRS came from gets a verifier registries refuse (fail closed).
    #[default]
    Development,
    /// An SRS from a trusted-setup ceremony. `DEV_SRS = false`.
    Ceremony,
}

impl SrsKind {
    /// Whether the verifier's `DEV_SRS` constant is true.
    pub fn is_dev(self) -> bool {
        self == SrsKind::Development
    }
}

/// [`srs_digest`] of zkinfer's development SRS (`zkinfer_prover::srs::dev_srs`, toxic waste from
/// the public seed `DEV_SRS_SEED`): the same for every `k`, since every size draws the same τ.
/// `VerifierRegistry.DEV_SRS_DIGEST` is this value; a test checks it against the dev SRS.
pub const DEV_SRS_DIGEST: [u8; 32] = [
    0x5b, 0x9d, 0xa2, 0x4b, 0xa1, 0x83, 0xcd, 0xe6, 0x0e, 0x6b, 0xef, 0xfc, 0x75, 0x88, 0x50, 0x4e,
    0x95, 0x20, 0xc0, 0xf2, 0x49, 0xa2, 0x8b, 0xda, 0x73, 0x86, 0x56, 0xb3, 0x22, 0xe4, 0x5d, 0xd6,
];

/// The digest of the SRS points a verifier generated from `params` uses (module docs).
pub fn srs_digest(params: &ParamsKZG<Bn256>) -> [u8; 32] {
    let mut h = Keccak256::new();
    let g1: G1Affine = params.get_g()[0];
    for c in [g1.x, g1.y] {
        h.update(be(&c));
    }
    for g in [params.g2(), params.s_g2()] {
        h.update(g2_words(&g).concat());
    }
    h.finalize().into()
}

/// `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0`, each 32 bytes big-endian (the pairing precompile's order).
fn g2_words(g: &G2Affine) -> [[u8; 32]; 4] {
    [be(&g.x.c1), be(&g.x.c0), be(&g.y.c1), be(&g.y.c0)]
}

fn be<F: PrimeField>(f: &F) -> [u8; 32] {
    let mut b = [0u8; 32];
    b.copy_from_slice(f.to_repr().as_ref());
    b.reverse();
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::G1;
    use halo2_proofs::halo2curves::group::Curve;
    use halo2_proofs::poly::commitment::Params;
    use rand::SeedableRng;

    #[test]
    fn digest_pins_tau_and_survives_downsizing() {
        let a = ParamsKZG::<Bn256>::setup(5, rand_chacha::ChaCha20Rng::seed_from_u64(1));
        let mut small = a.clone();
        small.downsize(3);
        assert_eq!(srs_digest(&a), srs_digest(&small), "downsizing keeps [1]_1, [1]_2 and [τ]_2");
        let b = ParamsKZG::<Bn256>::setup(5, rand_chacha::ChaCha20Rng::seed_from_u64(2));
        assert_ne!(srs_digest(&a), srs_digest(&b), "another τ, another digest");
        assert_eq!(a.get_g()[0], G1::generator().to_affine(), "g[0] is the G1 generator");
        assert_eq!(a.g2(), G2Affine::generator());
    }

    #[test]
    fn digest_is_keccak_of_the_ten_words() {
        let p = ParamsKZG::<Bn256>::setup(3, rand_chacha::ChaCha20Rng::seed_from_u64(7));
        let g1 = p.get_g()[0];
        let mut bytes = vec![];
        bytes.extend(be(&g1.x));
        bytes.extend(be(&g1.y));
        for g in [p.g2(), p.s_g2()] {
            for w in g2_words(&g) {
                bytes.extend(w);
            }
        }
        assert_eq!(bytes.len(), 320);
        let want: [u8; 32] = Keccak256::digest(&bytes).into();
        assert_eq!(srs_digest(&p), want);
    }
}
