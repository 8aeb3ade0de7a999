//! SHPLONK multi-open: the query list (mirroring halo2-axiom's `verify_proof` query order), its
//! rotation sets and MSM bases, and the code that combines them into the final KZG pairing check.

use std::collections::{BTreeMap, BTreeSet};

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use super::layout::{pcd, Memory, ProofLayout, PROOF_CD};
use super::optimise;
use super::yul::{field_hex, h, mload, u256_hex, Code, E};
use super::Shape;
use crate::transcript::encode_point;

/// A committed polynomial the verifier opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Com {
    Advice(usize),
    Fixed(usize),
    Sigma(usize),
    PermZ(usize),
    LookupA(usize),
    LookupS(usize),
    LookupZ(usize),
    Random,
    H,
}

/// Where the claimed evaluation of a query comes from.
#[derive(Clone, Copy, Debug)]
enum Ev {
    /// Proof offset of the evaluation (bytes).
    Proof(usize),
    /// The expected quotient evaluation, computed by the verifier.
    HEval,
}

/// Where an MSM base point comes from.
#[derive(Clone, Copy, Debug)]
enum Src {
    Vk(G1Affine),
    Proof(usize),
}

/// The resolved multi-open structure.
pub(super) struct Shplonk {
    /// `(commitment, rotation, evaluation)` in halo2's query order.
    queries: Vec<(Com, i32, Ev)>,
    /// Rotation sets: a sorted rotation list and the commitments opened at exactly those rotations.
    sets: Vec<(Vec<i32>, Vec<Com>)>,
    /// All rotations queried, sorted.
    pub super_rots: Vec<i32>,
    /// Size of the largest rotation set.
    pub max_set: usize,
    /// MSM bases `(label, source)`: the commitments of every set, then `G1`, `W`, `W'`.
    bases: Vec<(String, Src)>,
    base_of: BTreeMap<(Com, usize), usize>,
    g1_base: usize,
    w_base: usize,
    wp_base: usize,
}

impl Shplonk {
    pub(super) fn plan(s: &Shape<'_>, p: &ProofLayout, g1: G1Affine) -> Self {
        let queries = queries(s, p);

        let mut com_rots: Vec<(Com, BTreeSet<i32>)> = vec![];
        let mut super_set: BTreeSet<i32> = BTreeSet::new();
        for (c, r, _) in &queries {
            super_set.insert(*r);
            match com_rots.iter_mut().find(|(cc, _)| cc == c) {
                Some((_, s)) => {
                    s.insert(*r);
                }
                None => com_rots.push((*c, BTreeSet::from([*r]))),
            }
        }
        let mut sets: Vec<(Vec<i32>, Vec<Com>)> = vec![];
        for (c, rots) in com_rots {
            let rots: Vec<i32> = rots.into_iter().collect();
            match sets.iter_mut().find(|(s, _)| *s == rots) {
                Some((_, cs)) => cs.push(c),
                None => sets.push((rots, vec![c])),
            }
        }
        let max_set = sets.iter().map(|s| s.0.len()).max().unwrap_or(1);

        let mut bases: Vec<(String, Src)> = vec![];
        let mut base_of: BTreeMap<(Com, usize), usize> = BTreeMap::new();
        for (_, coms) in &sets {
            for c in coms {
                let pieces = if *c == Com::H { s.quotient_pieces } else { 1 };
                for piece in 0..pieces {
                    base_of.insert((*c, piece), bases.len());
                    bases.push(base(s, p, *c, piece));
                }
            }
        }
        let g1_base = bases.len();
        bases.push(("G1".into(), Src::Vk(g1)));
        let w_base = bases.len();
        bases.push(("shplonk.W".into(), Src::Proof(p.w_pt)));
        let wp_base = bases.len();
        bases.push(("shplonk.W'".into(), Src::Proof(p.wp_pt)));

        Shplonk {
            queries,
            sets,
            super_rots: super_set.into_iter().collect(),
            max_set,
            bases,
            base_of,
            g1_base,
            w_base,
            wp_base,
        }
    }

    pub(super) fn num_bases(&self) -> usize {
        self.bases.len()
    }

    /// Scalar multiplications per verification (base 0 needs none).
    pub(super) fn num_ec_mul(&self) -> usize {
        self.bases.len() - 1
    }

    fn eval_of(&self, c: Com, r: i32) -> Ev {
        self.queries.iter().find(|(cc, rr, _)| *cc == c && *rr == r).map(|q| q.2).expect("query exists")
    }

    /// `prod (u - w^r x)` over the super-set rotations not in `rots`.
    fn zdiff(&self, mem: &Memory, rots: &[i32]) -> E {
        let set: BTreeSet<i32> = rots.iter().copied().collect();
        diff_product(mem, &mut self.super_rots.iter().copied().filter(|r| !set.contains(r)))
    }

    /// Step 4 part (inside the block where `x` is bound): the point differences `u - w^r x`,
    /// `zdiff_0` (queued for the batch inversion) and `Z_0(u)`.
    pub(super) fn emit_point_differences(&self, c: &mut Code, s: &Shape<'_>, mem: &Memory) {
        c.line(format!("let u := {}", mload(mem.u)));
        for r in &self.super_rots {
            let w = s.omega_pow(*r);
            let xr = if *r == 0 { "x".to_string() } else { format!("mulmod(x, {}, R)", field_hex(&w)) };
            c.line(format!("mstore({}, addmod(u, sub(R, {xr}), R))", h(mem.d[r])));
        }
        let zdiff0 = self.zdiff(mem, &self.sets[0].0);
        let z0 = diff_product(mem, &mut self.sets[0].0.iter().copied());
        // live above `R` in step 4's block: x, xn, xn1, u, t
        c.line("let t := 0");
        optimise::assign(c, "t", &zdiff0, 5);
        c.line(format!("mstore({}, t)", h(mem.inv_zdiff0)));
        optimise::assign(c, "t", &z0, 5);
        c.line(format!("mstore({}, t)", h(mem.z0)));
    }

    /// The value of `zdiff_0` (see [`Shplonk::emit_point_differences`]): `Π (u − ω^r·x)` over
    /// the rotations outside the first set.
    pub(super) fn zdiff0_value(&self, s: &Shape<'_>, x: Fr, u: Fr) -> Fr {
        let first: BTreeSet<i32> = self.sets[0].0.iter().copied().collect();
        self.super_rots.iter().filter(|r| !first.contains(r)).fold(Fr::ONE, |acc, r| acc * (u - s.omega_pow(*r) * x))
    }

    /// Step 5 part: powers of `1/x` (from the batch inversion) for the sets' Lagrange bases.
    pub(super) fn emit_xinv_powers(&self, c: &mut Code, mem: &Memory) {
        c.line(format!("let xi := {}", mload(mem.inv_x)));
        c.line("let xp := 1");
        for i in 0..self.max_set {
            c.line(format!("mstore({}, xp)", h(mem.xinv_pow + 32 * i)));
            if i + 1 < self.max_set {
                c.line("xp := mulmod(xp, xi, R)");
            }
        }
    }

    /// Step 7: the MSM scalar of every commitment and the combined evaluation `r`; then the scalars
    /// of `G1` (`-r`), `W` (`-Z_0(u)`) and `W'` (`u`).
    pub(super) fn emit_combination(&self, c: &mut Code, s: &Shape<'_>, mem: &Memory) {
        let nq = s.quotient_pieces;
        c.comment("7. SHPLONK: MSM scalars per commitment and the combined evaluation r");
        c.line(format!("mstore({}, 0)", h(mem.racc)));
        c.open("");
        c.line("let vp := 1");
        c.line(format!("let sy := {}", mload(mem.sy)));
        for (si, (rots, coms)) in self.sets.iter().enumerate() {
            c.comment(format!("rotation set {si}: rotations {rots:?}"));
            c.open("");
            // coefficient v^i * zdiff_i / zdiff_0
            c.line("let coef := vp");
            if si > 0 {
                let zd = self.zdiff(mem, rots);
                c.open("");
                c.line("let zd := 0");
                optimise::assign(c, "zd", &zd, 4); // vp, sy, coef, zd
                c.line(format!("coef := mulmod(coef, mulmod(zd, {}, R), R)", mload(mem.inv_zdiff0)));
                c.close();
            }
            let m = rots.len();
            // r_i = sum_t L_t(u) * E_t with E_t = sum_j y^j e_{j,t} (Horner from the last
            // commitment): one multiplication per evaluation, each Lagrange basis used once.
            c.line("let ri := 0");
            for rt in rots {
                let evs: Vec<String> = coms
                    .iter()
                    .map(|com| match self.eval_of(*com, *rt) {
                        Ev::Proof(o) => pcd(o),
                        Ev::HEval => mload(mem.heval),
                    })
                    .collect();
                c.open("");
                c.line(format!("let a := {}", evs[evs.len() - 1]));
                for ev in evs[..evs.len() - 1].iter().rev() {
                    c.line(format!("a := addmod(mulmod(a, sy, R), {ev}, R)"));
                }
                if m == 1 {
                    c.line("ri := a");
                } else {
                    // L_t(u) = prod_(k != t) (u - w^k x) / prod_(k != t) (w^t - w^k) / x^(m-1)
                    let wt = s.omega_pow(*rt);
                    let mut denom = Fr::ONE;
                    for rk in rots.iter().filter(|rk| *rk != rt) {
                        denom *= wt - s.omega_pow(*rk);
                    }
                    let ct = denom.invert().expect("distinct rotations");
                    let mut fac = vec![E::l("a"), E::l(mload(mem.xinv_pow + 32 * (m - 1))), E::c(ct)];
                    for rk in rots.iter().filter(|rk| *rk != rt) {
                        fac.push(E::l(mload(mem.d[rk])));
                    }
                    let term = E::Add(vec![E::l("ri"), E::Mul(fac)]);
                    optimise::assign(c, "ri", &optimise::simplify(&term), 5); // vp, sy, coef, ri, a
                }
                c.close();
            }
            // MSM scalars: coef * y^j (the quotient's pieces also times x^(n·piece))
            c.line("let yp := coef");
            for (j, com) in coms.iter().enumerate() {
                if *com == Com::H {
                    c.open("");
                    c.line("let s := yp");
                    for piece in 0..nq {
                        c.line(format!("mstore({}, s)", h(mem.base(self.base_of[&(*com, piece)]) + 64)));
                        if piece + 1 < nq {
                            c.line(format!("s := mulmod(s, {}, R)", mload(mem.xn)));
                        }
                    }
                    c.close();
                } else {
                    c.line(format!("mstore({}, yp)", h(mem.base(self.base_of[&(*com, 0)]) + 64)));
                }
                if j + 1 < coms.len() {
                    c.line("yp := mulmod(yp, sy, R)");
                }
            }
            c.line(format!("mstore({}, addmod({}, mulmod(coef, ri, R), R))", h(mem.racc), mload(mem.racc)));
            c.close();
            if si + 1 < self.sets.len() {
                c.line(format!("vp := mulmod(vp, {}, R)", mload(mem.v)));
            }
        }
        c.close();
        c.line(format!("mstore({}, sub(R, {}))", h(mem.base(self.g1_base) + 64), mload(mem.racc)));
        c.line(format!("mstore({}, sub(R, {}))", h(mem.base(self.w_base) + 64), mload(mem.z0)));
        c.line(format!("mstore({}, {})", h(mem.base(self.wp_base) + 64), mload(mem.u)));
    }

    /// Steps 8-9: load the MSM bases, then `acc = sum scalar_i * base_i`.
    pub(super) fn emit_msm(&self, c: &mut Code, mem: &Memory) {
        c.comment("8. MSM bases: verifying-key points and proof points");
        for (i, (label, src)) in self.bases.iter().enumerate() {
            let a = mem.base(i);
            match src {
                Src::Vk(p) => {
                    let (x, y) = match encode_point(p) {
                        Some(e) => {
                            let mut xb = [0u8; 32];
                            let mut yb = [0u8; 32];
                            xb.copy_from_slice(&e[..32]);
                            yb.copy_from_slice(&e[32..]);
                            (u256_hex(&xb), u256_hex(&yb))
                        }
                        None => ("0".into(), "0".into()),
                    };
                    c.line(format!("mstore({}, {x}) mstore({}, {y}) // {label}", h(a), h(a + 32)));
                }
                Src::Proof(o) => {
                    c.line(format!("calldatacopy({}, {}, 0x40) // {label}", h(a), h(PROOF_CD + o)));
                }
            }
        }
        c.comment("9. MSM: acc = sum scalar_i * base_i");
        c.open("");
        c.line("let ok := 1");
        // base 0 is the first commitment of rotation set 0: its scalar is v^0 * y^0 = 1, no ecMul
        c.line(format!("mstore({}, mload({}))", h(mem.acc), h(mem.msm)));
        c.line(format!("mstore({}, mload({}))", h(mem.acc + 32), h(mem.msm + 32)));
        for i in 1..self.bases.len() {
            c.line(format!(
                "ok := and(ok, staticcall(gas(), 0x07, {}, 0x60, {}, 0x40)) ok := and(ok, staticcall(gas(), 0x06, {}, 0x80, {}, 0x40))",
                h(mem.base(i)),
                h(mem.acc + 64),
                h(mem.acc),
                h(mem.acc)
            ));
        }
        c.line("if iszero(ok) { fail(7) }");
        c.close();
    }
}

/// Step 10: `e(W', [s]_2) * e(acc, -[1]_2) == 1`, left in memory word 0 (the caller returns it).
pub(super) fn emit_pairing(c: &mut Code, params: &ParamsKZG<Bn256>, p: &ProofLayout, mem: &Memory) {
    c.comment("10. pairing: e(W', [s]_2) * e(acc, -[1]_2) == 1");
    let g2_words = |g: &G2Affine| -> [String; 4] {
        [field_hex(&g.x.c1), field_hex(&g.x.c0), field_hex(&g.y.c1), field_hex(&g.y.c0)]
    };
    let s_g2 = g2_words(&params.s_g2());
    let neg_g2 = g2_words(&(-params.g2()));
    c.line(format!("calldatacopy({}, {}, 0x40)", h(mem.pair), h(PROOF_CD + p.wp_pt)));
    for (i, w) in s_g2.iter().enumerate() {
        c.line(format!("mstore({}, {w})", h(mem.pair + 0x40 + 32 * i)));
    }
    c.line(format!("mstore({}, {})", h(mem.pair + 0xc0), mload(mem.acc)));
    c.line(format!("mstore({}, {})", h(mem.pair + 0xe0), mload(mem.acc + 32)));
    for (i, w) in neg_g2.iter().enumerate() {
        c.line(format!("mstore({}, {w})", h(mem.pair + 0x100 + 32 * i)));
    }
    c.line(format!("if iszero(staticcall(gas(), 0x08, {}, 0x180, {}, 0x20)) {{ fail(8) }}", h(mem.pair), h(mem.pair)));
    c.line(format!("mstore(0, mload({}))", h(mem.pair)));
}

/// The queries in halo2-axiom's `verify_proof` order.
fn queries(s: &Shape<'_>, p: &ProofLayout) -> Vec<(Com, i32, Ev)> {
    let mut queries: Vec<(Com, i32, Ev)> = vec![];
    for (i, (col, rot)) in s.advice_q.iter().enumerate() {
        queries.push((Com::Advice(*col), *rot, Ev::Proof(p.advice_ev + 32 * i)));
    }
    for (set, ev) in p.perm_set_ev.iter().enumerate() {
        queries.push((Com::PermZ(set), 0, Ev::Proof(*ev)));
        queries.push((Com::PermZ(set), 1, Ev::Proof(ev + 32)));
    }
    for set in (0..s.perm_sets).rev().skip(1) {
        queries.push((Com::PermZ(set), s.last_rot(), Ev::Proof(p.perm_set_ev[set] + 64)));
    }
    for l in 0..s.num_lookups {
        let e = p.lookup_evals(l);
        queries.push((Com::LookupZ(l), 0, Ev::Proof(e.z)));
        queries.push((Com::LookupA(l), 0, Ev::Proof(e.a)));
        queries.push((Com::LookupS(l), 0, Ev::Proof(e.s)));
        queries.push((Com::LookupA(l), -1, Ev::Proof(e.a_prev)));
        queries.push((Com::LookupZ(l), 1, Ev::Proof(e.z_next)));
    }
    for (i, (col, rot)) in s.fixed_q.iter().enumerate() {
        queries.push((Com::Fixed(*col), *rot, Ev::Proof(p.fixed_ev + 32 * i)));
    }
    for i in 0..s.perm_cols.len() {
        queries.push((Com::Sigma(i), 0, Ev::Proof(p.sigma_ev + 32 * i)));
    }
    queries.push((Com::H, 0, Ev::HEval));
    queries.push((Com::Random, 0, Ev::Proof(p.random_ev)));
    queries
}

/// MSM base `(label, source)` of piece `piece` of commitment `c` (only `H` has several pieces).
fn base(s: &Shape<'_>, p: &ProofLayout, c: Com, piece: usize) -> (String, Src) {
    match c {
        Com::Advice(i) => (format!("advice[{i}]"), Src::Proof(p.advice_pt + 64 * i)),
        Com::Fixed(i) => (format!("fixed[{i}]"), Src::Vk(s.vk.fixed_commitments()[i])),
        Com::Sigma(i) => (format!("sigma[{i}]"), Src::Vk(s.vk.permutation().commitments()[i])),
        Com::PermZ(set) => (format!("perm_z[{set}]"), Src::Proof(p.perm_z_pt + 64 * set)),
        Com::LookupA(l) => (format!("lookup[{l}].A'"), Src::Proof(p.lookup_perm_pt + 128 * l)),
        Com::LookupS(l) => (format!("lookup[{l}].S'"), Src::Proof(p.lookup_perm_pt + 128 * l + 64)),
        Com::LookupZ(l) => (format!("lookup[{l}].Z"), Src::Proof(p.lookup_z_pt + 64 * l)),
        Com::Random => ("vanishing.random".into(), Src::Proof(p.random_pt)),
        Com::H => (format!("vanishing.h[{piece}]"), Src::Proof(p.h_pt + 64 * piece)),
    }
}

/// `prod (u - w^r x)` over `rots` (`1` if empty).
fn diff_product(mem: &Memory, rots: &mut dyn Iterator<Item = i32>) -> E {
    let v: Vec<E> = rots.map(|r| E::l(mload(mem.d[&r]))).collect();
    if v.is_empty() {
        E::l("1")
    } else if v.len() == 1 {
        v[0].clone()
    } else {
        E::Mul(v)
    }
}
