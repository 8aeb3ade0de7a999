//! Where everything lives: byte offsets of the proof's parts, the canonical calldata layout, and
//! the verifier's memory map.

use std::collections::BTreeMap;

use super::shplonk::Shplonk;
use super::yul::h;
use super::Shape;

/// Calldata offset of the proof bytes (selector, two ABI offsets, the proof length word).
pub(super) const PROOF_CD: usize = 0x64;

/// `calldataload` of the proof word at byte offset `o`.
pub(super) fn pcd(o: usize) -> String {
    format!("calldataload({})", h(PROOF_CD + o))
}

/// Byte offsets inside the proof, in the order the halo2 prover writes it: all points of the
/// first rounds, then all evaluations, then the two SHPLONK points.
pub(super) struct ProofLayout {
    /// Advice commitments.
    pub advice_pt: usize,
    /// `(A', S')` per lookup.
    pub lookup_perm_pt: usize,
    /// Permutation product commitments, one per set.
    pub perm_z_pt: usize,
    /// Lookup product commitments.
    pub lookup_z_pt: usize,
    /// Vanishing argument's random polynomial commitment.
    pub random_pt: usize,
    /// Quotient pieces `h_i`.
    pub h_pt: usize,
    /// End of the leading points (start of the scalars).
    pub points_end: usize,
    pub advice_ev: usize,
    pub fixed_ev: usize,
    pub random_ev: usize,
    pub sigma_ev: usize,
    /// Per permutation set: `z(x), z(wx)` and, except for the last set, `z(w^last x)`.
    pub perm_set_ev: Vec<usize>,
    /// Per lookup, 160 bytes (see [`ProofLayout::lookup_evals`]).
    pub lookup_ev: usize,
    /// End of the scalars.
    pub scalars_end: usize,
    /// SHPLONK `W` and `W'`.
    pub w_pt: usize,
    pub wp_pt: usize,
    /// The inversion hint (after the halo2 proof, which ends here): the inverse of the product
    /// of every batch-inverted denominator ([`crate::inversion_hint`]).
    pub hint: usize,
    /// Total proof length in bytes.
    pub len: usize,
}

/// Proof offsets of one lookup's evaluations.
pub(super) struct LookupEvals {
    pub z: usize,
    pub z_next: usize,
    pub a: usize,
    pub a_prev: usize,
    pub s: usize,
}

impl ProofLayout {
    pub(super) fn new(s: &Shape<'_>) -> Self {
        let mut off = 0usize;
        let mut take = |bytes: usize| {
            let o = off;
            off += bytes;
            o
        };
        let advice_pt = take(64 * s.num_advice);
        let lookup_perm_pt = take(128 * s.num_lookups);
        let perm_z_pt = take(64 * s.perm_sets);
        let lookup_z_pt = take(64 * s.num_lookups);
        let random_pt = take(64);
        let h_pt = take(64 * s.quotient_pieces);
        let points_end = take(0);
        let advice_ev = take(32 * s.advice_q.len());
        let fixed_ev = take(32 * s.fixed_q.len());
        let random_ev = take(32);
        let sigma_ev = take(32 * s.perm_cols.len());
        let mut perm_set_ev = vec![];
        for set in 0..s.perm_sets {
            let last = set + 1 == s.perm_sets;
            perm_set_ev.push(take(if last { 64 } else { 96 }));
        }
        let lookup_ev = take(160 * s.num_lookups);
        let scalars_end = take(0);
        let w_pt = take(64);
        let wp_pt = take(64);
        let hint = take(32);
        let len = take(0);
        debug_assert_eq!(len % 32, 0);
        ProofLayout {
            advice_pt,
            lookup_perm_pt,
            perm_z_pt,
            lookup_z_pt,
            random_pt,
            h_pt,
            points_end,
            advice_ev,
            fixed_ev,
            random_ev,
            sigma_ev,
            perm_set_ev,
            lookup_ev,
            scalars_end,
            w_pt,
            wp_pt,
            hint,
            len,
        }
    }

    /// Evaluations of lookup `l`: `z(x), z(wx), A'(x), A'(w^-1 x), S'(x)`.
    pub(super) fn lookup_evals(&self, l: usize) -> LookupEvals {
        let e = self.lookup_ev + 160 * l;
        LookupEvals { z: e, z_next: e + 32, a: e + 64, a_prev: e + 96, s: e + 128 }
    }
}

/// Canonical ABI layout of `verifyProof(bytes, uint256[])` calldata (enforced by the verifier).
pub(super) struct Calldata {
    pub num_instances: usize,
    /// Offset of the instances' length word.
    pub inst_len: usize,
    /// Offset of the first instance.
    pub inst: usize,
    /// Exact calldata size.
    pub size: usize,
}

impl Calldata {
    pub(super) fn new(proof_len: usize, num_instances: usize) -> Self {
        let inst_len = PROOF_CD + proof_len;
        let inst = inst_len + 0x20;
        Calldata { num_instances, inst_len, inst, size: inst + 32 * num_instances }
    }
}

/// Bump allocator for the verifier's memory (32-byte words).
struct Mem {
    next: usize,
}

impl Mem {
    fn alloc(&mut self, words: usize) -> usize {
        let a = self.next;
        self.next += 32 * words;
        a
    }
}

/// Memory map of the verifier (byte addresses, from 0x80).
pub(super) struct Memory {
    // challenges
    pub theta: usize,
    pub beta: usize,
    pub gamma: usize,
    pub y: usize,
    pub x: usize,
    /// SHPLONK `y` (commitment combination within a rotation set).
    pub sy: usize,
    pub v: usize,
    pub u: usize,
    /// `x^n`.
    pub xn: usize,
    /// `(x^n - 1) / n`.
    pub lc: usize,
    pub l0: usize,
    pub llast: usize,
    pub lblind: usize,
    /// `1 - (l_last + l_blind)`.
    pub active: usize,
    pub inst_num: usize,
    pub inst_eval: usize,
    /// `beta * x`.
    pub beta_x: usize,
    /// Expected quotient evaluation.
    pub heval: usize,
    /// SHPLONK vanishing product of rotation set 0 at `u`.
    pub z0: usize,
    /// SHPLONK combined evaluation `r`.
    pub racc: usize,
    /// `u - w^rot x` per rotation of the SHPLONK super set.
    pub d: BTreeMap<i32, usize>,
    /// `x^-0 .. x^-(max_set - 1)`.
    pub xinv_pow: usize,
    /// Batch inversion inputs/outputs (`inv_len` words) and prefix products.
    pub inv: usize,
    pub pref: usize,
    pub inv_len: usize,
    /// Slots inside `inv`: the Lagrange denominators (`x - w^last`, the blinding rows' product
    /// `prod (x - w^r)` when there are blinding rows, `x - 1`: `inv_lag_len` words), `x^n - 1`,
    /// `x`, SHPLONK `zdiff_0`, and the instance denominator (only with instances).
    pub inv_lag: usize,
    pub inv_lag_len: usize,
    pub inv_xn1: usize,
    pub inv_x: usize,
    pub inv_zdiff0: usize,
    pub inv_den: usize,
    /// MSM bases, 96 bytes each (x, y, scalar).
    pub msm: usize,
    /// MSM accumulator (x, y) followed by scratch (x, y).
    pub acc: usize,
    /// Precompile input/output scratch (modexp, pairing).
    pub pair: usize,
    /// Transcript scratch: `h_prev ‖ segment` (grows past the end).
    pub tr: usize,
}

impl Memory {
    pub(super) fn new(s: &Shape<'_>, plan: &Shplonk) -> Self {
        let mut mem = Mem { next: 0x80 };
        let theta = mem.alloc(1);
        let beta = mem.alloc(1);
        let gamma = mem.alloc(1);
        let y = mem.alloc(1);
        let x = mem.alloc(1);
        let sy = mem.alloc(1);
        let v = mem.alloc(1);
        let u = mem.alloc(1);
        let xn = mem.alloc(1);
        let lc = mem.alloc(1);
        let l0 = mem.alloc(1);
        let llast = mem.alloc(1);
        let lblind = mem.alloc(1);
        let active = mem.alloc(1);
        let inst_num = mem.alloc(1);
        let inst_eval = mem.alloc(1);
        let beta_x = mem.alloc(1);
        let heval = mem.alloc(1);
        let z0 = mem.alloc(1);
        let racc = mem.alloc(1);
        let d = plan.super_rots.iter().map(|r| (*r, mem.alloc(1))).collect();
        let xinv_pow = mem.alloc(plan.max_set);

        // l_last's and l_0's denominators, and between them the blinding rows' (one fraction)
        let num_lag = 2 + usize::from(s.blinding > 0);
        let inv_len = num_lag + 3 + usize::from(s.num_instances > 0);
        let inv = mem.alloc(inv_len);
        let pref = mem.alloc(inv_len);
        let inv_lag = inv;
        let inv_xn1 = inv + 32 * num_lag;
        let inv_x = inv_xn1 + 32;
        let inv_zdiff0 = inv_x + 32;
        let inv_den = inv_zdiff0 + 32;

        let msm = mem.alloc(3 * plan.num_bases());
        let acc = mem.alloc(4);
        let pair = mem.alloc(12);
        let tr = mem.alloc(1);
        Memory {
            theta,
            beta,
            gamma,
            y,
            x,
            sy,
            v,
            u,
            xn,
            lc,
            l0,
            llast,
            lblind,
            active,
            inst_num,
            inst_eval,
            beta_x,
            heval,
            z0,
            racc,
            d,
            xinv_pow,
            inv,
            pref,
            inv_len,
            inv_lag,
            inv_lag_len: num_lag,
            inv_xn1,
            inv_x,
            inv_zdiff0,
            inv_den,
            msm,
            acc,
            pair,
            tr,
        }
    }

    /// Scratch words from here on: the transcript's, free once it is done (step 3); the
    /// quotient's shared subexpressions (step 6).
    pub(super) fn scratch(&self) -> usize {
        self.tr
    }

    /// Address of MSM base `i` (its scalar is at `+ 64`).
    pub(super) fn base(&self, i: usize) -> usize {
        self.msm + 96 * i
    }
}
