//! Consistency checks of loaded powers of tau, and the SRS digests.
//!
//! With `g = [τ^i·G1]` (the `n = 2^k` powers used), `g2 = G2`, `s_g2 = τ·G2`:
//!
//! 1. generators: `g[0]` and `g2` are BN254's standard generators;
//! 2. non-degenerate: `g[1] ≠ g[0]` (τ ≠ 1: an unused `snarkjs powersoftau new` file); no point is
//!    at infinity (checked while decoding: τ ≠ 0);
//! 3. `e(g[1], g2) = e(g[0], s_g2)`: the G2 side holds the same τ as the G1 side;
//! 4. spot check: `e(g[i+1], g2) = e(g[i], s_g2)` for a random `i`;
//! 5. every power: `e(Σ r_i·g[i+1], g2) = e(Σ r_i·g[i], s_g2)` for random `r_i` — a random linear
//!    combination of the `n − 1` ratio checks, wrong with probability ≤ 1/r if any power is;
//! 6. a Lagrange basis read from a file: `Σ L_i(τ)·G1 = G1`, and for a random vector `v`,
//!    `Σ v_i·L_i(τ)·G1 = Σ c_j·τ^j·G1` with `c = IFFT(v)`.
//!
//! The randomness comes from the OS. Cost: two MSMs of `n − 1` points and three two-pairing
//! products (checks 3–5), and two MSMs of `n` points and an FFT for check 6.

use super::error::SrsError;
use super::Names;
use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fq2, Fr, G1Affine, G2Affine, G2Prepared};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};
use halo2_proofs::poly::commitment::{Blind, Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::EvaluationDomain;
use rand::{Rng, RngCore};
use sha3::{Digest, Keccak256};
use std::path::Path;

/// Domain tag of [`points_digest`].
const POINTS_TAG: &[u8] = b"zkinfer-srs-points-v1";

/// `e(a, b) = e(c, d)`.
fn same_pairing(a: &G1Affine, b: &G2Affine, c: &G1Affine, d: &G2Affine) -> bool {
    let (b, d) = (G2Prepared::from(*b), G2Prepared::from(*d));
    let neg_c = -*c;
    bool::from(Bn256::multi_miller_loop(&[(a, &b), (&neg_c, &d)]).final_exponentiation().is_identity())
}

fn fail(path: &Path, check: &str, message: String) -> SrsError {
    SrsError::Inconsistent { path: path.to_path_buf(), check: check.to_string(), message }
}

/// Checks 1–5 on the monomial powers.
pub(super) fn powers(path: &Path, names: &Names, g: &[G1Affine], g2: &G2Affine, s_g2: &G2Affine, rng: &mut impl RngCore) -> Result<(), SrsError> {
    let Names { g: gn, g2: g2n, s_g2: sn, .. } = names;
    if g[0] != G1Affine::generator() {
        return Err(fail(path, "standard G1 generator", format!("{gn}[0] is not BN254's G1 generator (1, 2)")));
    }
    if *g2 != G2Affine::generator() {
        return Err(fail(path, "standard G2 generator", format!("{g2n} is not BN254's standard G2 generator")));
    }
    if g.len() < 2 {
        return Ok(());
    }
    if g[1] == g[0] {
        return Err(fail(path, "non-degenerate tau", format!("{gn}[1] = {gn}[0]: tau = 1, a ceremony file nobody contributed to (e.g. straight from `snarkjs powersoftau new`)")));
    }
    if !same_pairing(&g[1], g2, &g[0], s_g2) {
        return Err(fail(
            path,
            "pairing check e(tau*G1, G2) = e(G1, tau*G2)",
            format!("{gn}[1] and {sn} hold different taus: the G1 and G2 points are not from the same ceremony"),
        ));
    }
    if g.len() > 2 {
        let i = rng.gen_range(1..g.len() - 1);
        if !same_pairing(&g[i + 1], g2, &g[i], s_g2) {
            return Err(fail(path, "spot check e(tau^(i+1)*G1, G2) = e(tau^i*G1, tau*G2)", format!("fails at i = {i}: {gn}[{}] is not tau times {gn}[{i}]", i + 1)));
        }
        let r: Vec<Fr> = (0..g.len() - 1).map(|_| Fr::random(&mut *rng)).collect();
        let lo = best_multiexp(&r, &g[..g.len() - 1]).to_affine();
        let hi = best_multiexp(&r, &g[1..]).to_affine();
        if !same_pairing(&hi, g2, &lo, s_g2) {
            return Err(fail(
                path,
                "powers check e(sum r_i*tau^(i+1)*G1, G2) = e(sum r_i*tau^i*G1, tau*G2)",
                format!("{gn}[0..{}] are not the successive powers of the tau in {sn}", g.len()),
            ));
        }
    }
    Ok(())
}

/// Check 6: the Lagrange basis in `params` (read from the file) is that of its monomial powers.
pub(super) fn lagrange(path: &Path, names: &Names, params: &ParamsKZG<Bn256>, rng: &mut impl RngCore) -> Result<(), SrsError> {
    let domain = EvaluationDomain::<Fr>::new(1, params.k());
    let mut ones = domain.empty_lagrange();
    ones.iter_mut().for_each(|v| *v = Fr::ONE);
    let lname = names.g_lagrange;
    if params.commit_lagrange(&ones, Blind::default()).to_affine() != G1Affine::generator() {
        return Err(fail(path, "Lagrange basis sum", format!("the points of {lname} do not sum to G1 (sum_i L_i(tau) = 1)")));
    }
    let mut v = domain.empty_lagrange();
    v.iter_mut().for_each(|x| *x = Fr::random(&mut *rng));
    let lhs = params.commit_lagrange(&v, Blind::default());
    let rhs = params.commit(&domain.lagrange_to_coeff(v), Blind::default());
    if lhs != rhs {
        return Err(fail(path, "Lagrange basis", format!("{lname} is not the Lagrange basis of {}'s powers of tau", names.g)));
    }
    Ok(())
}

/// Whether these powers are the dev SRS's (its tau is public).
pub(super) fn is_dev(g: &[G1Affine]) -> bool {
    g.len() > 1 && (G1Affine::generator() * super::dev::dev_tau()).to_affine() == g[1]
}

fn fq_be(f: &Fq) -> [u8; 32] {
    let mut b = [0u8; 32];
    b.copy_from_slice(f.to_repr().as_ref());
    b.reverse();
    b
}

fn g1_evm(p: &G1Affine) -> [u8; 64] {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(&fq_be(&p.x));
    b[32..].copy_from_slice(&fq_be(&p.y));
    b
}

/// EVM precompile order: `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0`, each 32 bytes big-endian.
fn g2_evm(p: &G2Affine) -> [u8; 128] {
    let mut b = [0u8; 128];
    let words = |c: &Fq2| [fq_be(&c.c1), fq_be(&c.c0)];
    for (i, w) in words(&p.x).iter().chain(words(&p.y).iter()).enumerate() {
        b[32 * i..32 * (i + 1)].copy_from_slice(w);
    }
    b
}

/// Keccak-256 of the SRS as used, independent of the file format:
/// `"zkinfer-srs-points-v1" ‖ k (u32 BE) ‖ g[0..2^k] (x ‖ y, 32 bytes BE each) ‖ g2 ‖ s_g2` (G2 in
/// EVM precompile order). The same powers give the same digest from a `.ptau` or a halo2 file.
pub(super) fn points_digest(k: u32, g: &[G1Affine], g2: &G2Affine, s_g2: &G2Affine) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(POINTS_TAG);
    h.update(k.to_be_bytes());
    for p in g {
        h.update(g1_evm(p));
    }
    h.update(g2_evm(g2));
    h.update(g2_evm(s_g2));
    h.finalize().into()
}

/// Keccak-256 of `g2 ‖ s_g2` in EVM precompile order (256 bytes): the SRS points a Solidity
/// verifier embeds (besides the standard G1 generator).
pub(super) fn g2_digest(g2: &G2Affine, s_g2: &G2Affine) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(g2_evm(g2));
    h.update(g2_evm(s_g2));
    h.finalize().into()
}
