//! Fiat-Shamir replay (step 3 of the contract): every challenge is
//! `keccak256(h_prev ‖ bytes absorbed since) mod r`, hashed straight from calldata slices
//! (see [`crate::transcript`] for the transcript this mirrors).

use super::layout::{Calldata, Memory, ProofLayout, PROOF_CD};
use crate::transcript::encode_scalar;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::FromUniformBytes;
use sha3::{Digest, Keccak256};
use super::yul::{field_hex, h, Code};
use super::Shape;

/// Emits step 3: `theta` from `vk digest ‖ instances ‖ advice`, then each later challenge.
pub(super) fn emit(c: &mut Code, s: &Shape<'_>, p: &ProofLayout, cd: &Calldata, mem: &Memory) {
    let num_instances = s.num_instances;
    let advice_len = p.advice_pt + 64 * s.num_advice;
    c.comment("3. Fiat-Shamir: challenge = keccak256(h_prev ‖ absorbed bytes) mod r");
    c.open("");
    c.line(format!("mstore({}, {})", h(mem.tr), field_hex(&s.vk.transcript_repr())));
    if num_instances > 0 {
        c.line(format!("calldatacopy({}, {}, {})", h(mem.tr + 32), h(cd.inst), h(32 * num_instances)));
    }
    c.line(format!("calldatacopy({}, {}, {})", h(mem.tr + 32 + 32 * num_instances), h(PROOF_CD), h(advice_len)));
    c.line(format!("let hs := keccak256({}, {})", h(mem.tr), h(32 + 32 * num_instances + 64 * s.num_advice)));
    c.line(format!("mstore({}, mod(hs, R))", h(mem.theta)));
    let mut absorbed = 64 * s.num_advice;
    // Squeeze the challenge into `slot` after absorbing the proof up to byte `until`.
    let mut squeeze = |c: &mut Code, until: usize, slot: usize| {
        c.line(format!("mstore({}, hs)", h(mem.tr)));
        let len = until - absorbed;
        if len > 0 {
            c.line(format!("calldatacopy({}, {}, {})", h(mem.tr + 32), h(PROOF_CD + absorbed), h(len)));
        }
        c.line(format!("hs := keccak256({}, {})", h(mem.tr), h(32 + len)));
        c.line(format!("mstore({}, mod(hs, R))", h(slot)));
        absorbed = until;
    };
    squeeze(c, p.perm_z_pt, mem.beta);
    squeeze(c, p.perm_z_pt, mem.gamma);
    squeeze(c, p.h_pt, mem.y);
    squeeze(c, p.points_end, mem.x);
    squeeze(c, p.scalars_end, mem.sy);
    squeeze(c, p.scalars_end, mem.v);
    squeeze(c, p.wp_pt, mem.u);
    c.close();
}

/// The challenges the contract derives (the ones off-chain code needs).
pub(super) struct Challenges {
    pub x: Fr,
    pub u: Fr,
}

/// [`emit`]'s transcript, replayed in Rust over a proof (without its hint) and its instances.
pub(super) fn replay(s: &Shape<'_>, p: &ProofLayout, proof: &[u8], instances: &[Fr]) -> Challenges {
    let advice_len = p.advice_pt + 64 * s.num_advice;
    let slice = |a: usize, b: usize| proof.get(a..b).unwrap_or_default();
    let mut buf = encode_scalar(&s.vk.transcript_repr()).to_vec();
    instances.iter().for_each(|i| buf.extend_from_slice(&encode_scalar(i)));
    buf.extend_from_slice(slice(0, advice_len));
    let mut hs: [u8; 32] = Keccak256::digest(&buf).into();
    let mut absorbed = advice_len;
    let mut squeeze = |until: usize| {
        let mut b = hs.to_vec();
        b.extend_from_slice(slice(absorbed, until));
        hs = Keccak256::digest(&b).into();
        absorbed = until;
        to_scalar(&hs)
    };
    let _beta = squeeze(p.perm_z_pt);
    let _gamma = squeeze(p.perm_z_pt);
    let _y = squeeze(p.h_pt);
    let x = squeeze(p.points_end);
    let _sy = squeeze(p.scalars_end);
    let _v = squeeze(p.scalars_end);
    let u = squeeze(p.wp_pt);
    Challenges { x, u }
}

/// `int_be(h) mod r`.
fn to_scalar(h: &[u8; 32]) -> Fr {
    let mut wide = [0u8; 64];
    for (i, b) in h.iter().rev().enumerate() {
        wide[i] = *b;
    }
    Fr::from_uniform_bytes(&wide)
}
