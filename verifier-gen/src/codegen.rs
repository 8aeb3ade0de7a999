//! Solidity/Yul code generation for a halo2-axiom SHPLONK verifier.
//!
//! Everything structural (proof layout, transcript segments, query/rotation sets, memory layout) is
//! resolved here at generation time; the contract is straight-line Yul plus a few loops.

use std::collections::{BTreeMap, BTreeSet};

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{Any, Expression, VerifyingKey};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::transcript::encode_point;
use crate::VerifierGenError;

const TEMPLATE: &str = include_str!("template.sol");

/// Generation options.
#[derive(Debug, Clone)]
pub struct VerifierOptions {
    /// Name of the generated contract.
    pub contract_name: String,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions { contract_name: "Halo2Verifier".to_string() }
    }
}

/// A generated verifier contract and the facts a caller needs to use it.
#[derive(Debug, Clone)]
pub struct GeneratedVerifier {
    /// Complete Solidity source (one contract, no imports).
    pub source: String,
    /// Name of the contract in `source`.
    pub contract_name: String,
    /// Exact proof length in bytes the verifier accepts.
    pub proof_len: usize,
    /// Exact number of public instances the verifier accepts.
    pub num_instances: usize,
    /// Exact calldata length of a `verifyProof` call (see [`crate::encode_calldata`]).
    pub calldata_len: usize,
    /// Circuit size exponent.
    pub k: u32,
    /// Number of elliptic-curve scalar multiplications per verification (gas driver: ~6k gas each).
    pub num_ec_mul: usize,
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers

fn fr_hex(f: &Fr) -> String {
    let mut b = [0u8; 32];
    b.copy_from_slice(f.to_repr().as_ref());
    b.reverse();
    u256_hex(&b)
}

fn fq_hex(f: &Fq) -> String {
    let mut b = [0u8; 32];
    b.copy_from_slice(f.to_repr().as_ref());
    b.reverse();
    u256_hex(&b)
}

fn u256_hex(be: &[u8; 32]) -> String {
    let s = hex::encode(be);
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        format!("0x{t}")
    }
}

fn h(v: usize) -> String {
    format!("0x{v:x}")
}

fn omega_pow(omega: &Fr, omega_inv: &Fr, rot: i32) -> Fr {
    if rot >= 0 {
        omega.pow_vartime([rot as u64])
    } else {
        omega_inv.pow_vartime([rot.unsigned_abs() as u64])
    }
}

// ---------------------------------------------------------------------------------------------
// Tiny expression AST over Yul leaves, emitted with block-scoped temporaries (bounded stack use).

#[derive(Clone, Debug)]
enum E {
    L(String),
    Add(Vec<E>),
    Mul(Vec<E>),
    Neg(Box<E>),
}

impl E {
    fn l(s: impl Into<String>) -> E {
        E::L(s.into())
    }
    fn add(a: E, b: E) -> E {
        let mut v = vec![];
        for x in [a, b] {
            match x {
                E::Add(xs) => v.extend(xs),
                x => v.push(x),
            }
        }
        E::Add(v)
    }
    fn mul(a: E, b: E) -> E {
        let mut v = vec![];
        for x in [a, b] {
            match x {
                E::Mul(xs) => v.extend(xs),
                x => v.push(x),
            }
        }
        E::Mul(v)
    }
    fn sub(a: E, b: E) -> E {
        E::add(a, E::Neg(Box::new(b)))
    }
    fn leaf(&self) -> Option<String> {
        match self {
            E::L(s) => Some(s.clone()),
            E::Neg(a) => match &**a {
                E::L(s) => Some(format!("sub(R, {s})")),
                _ => None,
            },
            _ => None,
        }
    }
}

#[derive(Default)]
struct Code {
    lines: Vec<String>,
    indent: usize,
    tmp: usize,
}

impl Code {
    fn line(&mut self, s: impl AsRef<str>) {
        let pad = "    ".repeat(self.indent);
        self.lines.push(format!("{pad}{}", s.as_ref()));
    }
    fn open(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref();
        if s.is_empty() {
            self.line("{");
        } else {
            self.line(format!("{s} {{"));
        }
        self.indent += 1;
    }
    fn close(&mut self) {
        self.indent -= 1;
        self.line("}");
    }
    fn comment(&mut self, s: impl AsRef<str>) {
        self.line(format!("// {}", s.as_ref()));
    }
    /// Emit statements assigning `e` to the (already declared) variable `var`.
    fn emit(&mut self, e: &E, var: &str) {
        if let Some(s) = e.leaf() {
            self.line(format!("{var} := {s}"));
            return;
        }
        match e {
            E::L(_) => unreachable!(),
            E::Neg(a) => {
                self.emit(a, var);
                self.line(format!("{var} := sub(R, {var})"));
            }
            E::Add(ts) | E::Mul(ts) => {
                let op = if matches!(e, E::Add(_)) { "addmod" } else { "mulmod" };
                self.emit(&ts[0], var);
                for t in &ts[1..] {
                    if let Some(s) = t.leaf() {
                        self.line(format!("{var} := {op}({var}, {s}, R)"));
                    } else {
                        self.tmp += 1;
                        let tv = format!("t{}", self.tmp);
                        self.open("");
                        self.line(format!("let {tv} := 0"));
                        self.emit(t, &tv);
                        self.line(format!("{var} := {op}({var}, {tv}, R)"));
                        self.close();
                    }
                }
            }
        }
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

fn mload(a: usize) -> String {
    format!("mload({})", h(a))
}

// ---------------------------------------------------------------------------------------------

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

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// Proof offset of the evaluation (bytes).
    Proof(usize),
    /// The expected quotient evaluation, computed by the verifier.
    HEval,
}

/// Generates the Solidity verifier for `vk` (proofs made with [`crate::KeccakTranscriptWrite`] and
/// SHPLONK) taking exactly `num_instances` public inputs in the single instance column.
pub fn generate(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    options: &VerifierOptions,
) -> Result<GeneratedVerifier, VerifierGenError> {
    use VerifierGenError::{Invalid, Unsupported};
    let cs = vk.cs();
    let domain = vk.get_domain();
    let k = domain.k();
    if params.k() != k {
        return Err(Invalid(format!("params are for k = {}, the verifying key for k = {k}", params.k())));
    }
    if !(1..=28).contains(&k) {
        return Err(Invalid(format!("k = {k} out of range")));
    }
    let name = &options.contract_name;
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(Invalid(format!("contract name {name:?} is not a Solidity identifier")));
    }
    if cs.num_challenges() > 0 {
        return Err(Unsupported("challenges (multi-phase circuits)".into()));
    }
    if cs.advice_column_phase().iter().any(|p| *p != 0) {
        return Err(Unsupported("advice columns in a phase other than the first".into()));
    }
    if cs.num_instance_columns() > 1 {
        return Err(Unsupported(format!(
            "{} instance columns (exactly one is supported)",
            cs.num_instance_columns()
        )));
    }
    if cs.num_instance_columns() == 0 && num_instances > 0 {
        return Err(Invalid("num_instances > 0 but the circuit has no instance column".into()));
    }
    if cs.instance_queries().iter().any(|(_, r)| r.0 != 0) {
        return Err(Unsupported("instance column queried at a rotation other than cur".into()));
    }
    let n: u64 = 1 << k;
    let b = cs.blinding_factors();
    if num_instances as u64 > n - (b as u64 + 1) {
        return Err(Invalid(format!("{num_instances} instances do not fit in 2^{k} rows")));
    }
    let degree = cs.degree();
    if degree < 3 {
        return Err(Unsupported(format!("constraint degree {degree} < 3")));
    }
    let omega = domain.get_omega();
    let omega_inv = domain.get_omega_inv();

    let advice_q: Vec<(usize, i32)> =
        cs.advice_queries().iter().map(|(c, r)| (c.index(), r.0)).collect();
    let fixed_q: Vec<(usize, i32)> =
        cs.fixed_queries().iter().map(|(c, r)| (c.index(), r.0)).collect();
    let has_instance_query = !cs.instance_queries().is_empty();

    let na = cs.num_advice_columns();
    let nl = cs.lookups().len();
    let perm_cols = cs.permutation().get_columns();
    let chunk = degree - 2;
    let nsets = perm_cols.len().div_ceil(chunk);
    let nq = domain.get_quotient_poly_degree();
    let sigmas = vk.permutation().commitments();
    if sigmas.len() != perm_cols.len() {
        return Err(Invalid("permutation commitments do not match the permutation columns".into()));
    }

    // ---- proof layout (byte offsets inside the proof) ----
    let mut off = 0usize;
    let mut take = |bytes: usize| {
        let o = off;
        off += bytes;
        o
    };
    let advice_pt = take(64 * na);
    let lookup_perm_pt = take(128 * nl); // (A', S') per lookup
    let perm_z_pt = take(64 * nsets);
    let lookup_z_pt = take(64 * nl);
    let random_pt = take(64);
    let h_pt = take(64 * nq);
    let points_end = take(0);
    let advice_ev = take(32 * advice_q.len());
    let fixed_ev = take(32 * fixed_q.len());
    let random_ev = take(32);
    let sigma_ev = take(32 * perm_cols.len());
    let mut perm_set_ev = vec![];
    for s in 0..nsets {
        let last = s + 1 == nsets;
        perm_set_ev.push(take(if last { 64 } else { 96 }));
    }
    let lookup_ev = take(160 * nl);
    let scalars_end = take(0);
    let w_pt = take(64);
    let wp_pt = take(64);
    let proof_len = take(0);
    debug_assert_eq!(proof_len % 32, 0);

    // ---- calldata layout (canonical ABI encoding, enforced) ----
    let proof_cd = 0x64usize;
    let inst_len_cd = proof_cd + proof_len;
    let inst_cd = inst_len_cd + 0x20;
    let cd_size = inst_cd + 32 * num_instances;
    let pcd = |o: usize| format!("calldataload({})", h(proof_cd + o));

    // ---- memory layout ----
    let mut mem = Mem { next: 0x80 };
    let m_theta = mem.alloc(1);
    let m_beta = mem.alloc(1);
    let m_gamma = mem.alloc(1);
    let m_y = mem.alloc(1);
    let m_x = mem.alloc(1);
    let m_sy = mem.alloc(1);
    let m_v = mem.alloc(1);
    let m_u = mem.alloc(1);
    let m_xn = mem.alloc(1);
    let m_lc = mem.alloc(1); // (xn - 1) / n
    let m_l0 = mem.alloc(1);
    let m_llast = mem.alloc(1);
    let m_lblind = mem.alloc(1);
    let m_active = mem.alloc(1);
    let m_inst_num = mem.alloc(1);
    let m_inst_eval = mem.alloc(1);
    let m_beta_x = mem.alloc(1);
    let m_heval = mem.alloc(1);
    let m_z0 = mem.alloc(1);
    let m_racc = mem.alloc(1);

    // ---- SHPLONK query structure (mirrors halo2-axiom's verify_proof query order) ----
    let x_last = -((b + 1) as i32);
    let mut queries: Vec<(Com, i32, Ev)> = vec![];
    for (i, (col, rot)) in advice_q.iter().enumerate() {
        queries.push((Com::Advice(*col), *rot, Ev::Proof(advice_ev + 32 * i)));
    }
    for (s, ev) in perm_set_ev.iter().enumerate() {
        queries.push((Com::PermZ(s), 0, Ev::Proof(*ev)));
        queries.push((Com::PermZ(s), 1, Ev::Proof(ev + 32)));
    }
    for s in (0..nsets).rev().skip(1) {
        queries.push((Com::PermZ(s), x_last, Ev::Proof(perm_set_ev[s] + 64)));
    }
    for l in 0..nl {
        let e = lookup_ev + 160 * l;
        queries.push((Com::LookupZ(l), 0, Ev::Proof(e)));
        queries.push((Com::LookupA(l), 0, Ev::Proof(e + 64)));
        queries.push((Com::LookupS(l), 0, Ev::Proof(e + 128)));
        queries.push((Com::LookupA(l), -1, Ev::Proof(e + 96)));
        queries.push((Com::LookupZ(l), 1, Ev::Proof(e + 32)));
    }
    for (i, (col, rot)) in fixed_q.iter().enumerate() {
        queries.push((Com::Fixed(*col), *rot, Ev::Proof(fixed_ev + 32 * i)));
    }
    for i in 0..perm_cols.len() {
        queries.push((Com::Sigma(i), 0, Ev::Proof(sigma_ev + 32 * i)));
    }
    queries.push((Com::H, 0, Ev::HEval));
    queries.push((Com::Random, 0, Ev::Proof(random_ev)));

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
    let eval_of = |c: Com, r: i32| -> Ev {
        queries.iter().find(|(cc, rr, _)| *cc == c && *rr == r).map(|q| q.2).expect("query exists")
    };
    let max_set = sets.iter().map(|s| s.0.len()).max().unwrap_or(1);

    let super_rots: Vec<i32> = super_set.iter().copied().collect();
    let m_d: BTreeMap<i32, usize> = super_rots.iter().map(|r| (*r, mem.alloc(1))).collect();
    let m_xinv_pow = mem.alloc(max_set); // xinv^0 .. xinv^(max_set-1)

    // ---- batch inversion elements ----
    let lag_rots: Vec<i32> = (x_last..=0).collect();
    let inv_len = lag_rots.len() + 3 + usize::from(num_instances > 0);
    let m_inv = mem.alloc(inv_len);
    let m_pref = mem.alloc(inv_len);
    let inv_lag = m_inv;
    let inv_xn1 = m_inv + 32 * lag_rots.len();
    let inv_x = inv_xn1 + 32;
    let inv_zdiff0 = inv_x + 32;
    let inv_den = inv_zdiff0 + 32; // only if num_instances > 0

    // ---- MSM bases: 96 bytes each (x, y, scalar) ----
    #[derive(Clone, Copy)]
    enum Src {
        Vk(G1Affine),
        Proof(usize),
    }
    let mut bases: Vec<(String, Src)> = vec![];
    let mut base_of: BTreeMap<(Com, usize), usize> = BTreeMap::new();
    for (_, coms) in &sets {
        for c in coms {
            let pieces = if *c == Com::H { nq } else { 1 };
            for p in 0..pieces {
                let (label, src) = match *c {
                    Com::Advice(i) => (format!("advice[{i}]"), Src::Proof(advice_pt + 64 * i)),
                    Com::Fixed(i) => (format!("fixed[{i}]"), Src::Vk(vk.fixed_commitments()[i])),
                    Com::Sigma(i) => (format!("sigma[{i}]"), Src::Vk(sigmas[i])),
                    Com::PermZ(s) => (format!("perm_z[{s}]"), Src::Proof(perm_z_pt + 64 * s)),
                    Com::LookupA(l) => (format!("lookup[{l}].A'"), Src::Proof(lookup_perm_pt + 128 * l)),
                    Com::LookupS(l) => {
                        (format!("lookup[{l}].S'"), Src::Proof(lookup_perm_pt + 128 * l + 64))
                    }
                    Com::LookupZ(l) => (format!("lookup[{l}].Z"), Src::Proof(lookup_z_pt + 64 * l)),
                    Com::Random => ("vanishing.random".into(), Src::Proof(random_pt)),
                    Com::H => (format!("vanishing.h[{p}]"), Src::Proof(h_pt + 64 * p)),
                };
                base_of.insert((*c, p), bases.len());
                bases.push((label, src));
            }
        }
    }
    let g1_base = bases.len();
    bases.push(("G1".into(), Src::Vk(params.get_g()[0])));
    let w_base = bases.len();
    bases.push(("shplonk.W".into(), Src::Proof(w_pt)));
    let wp_base = bases.len();
    bases.push(("shplonk.W'".into(), Src::Proof(wp_pt)));
    let m_msm = mem.alloc(3 * bases.len());
    let base_addr = |i: usize| m_msm + 96 * i;
    let m_acc = mem.alloc(4); // ACC (x, y) followed by TMP (x, y)
    let m_pair = mem.alloc(12);
    let m_tr = mem.alloc(1); // transcript scratch: h_prev ‖ segment (grows past the end)

    // ---- expression conversion ----
    let advice_eval = |col: usize, rot: i32| -> Option<E> {
        advice_q.iter().position(|q| *q == (col, rot)).map(|i| E::l(pcd(advice_ev + 32 * i)))
    };
    let fixed_eval = |col: usize, rot: i32| -> Option<E> {
        fixed_q.iter().position(|q| *q == (col, rot)).map(|i| E::l(pcd(fixed_ev + 32 * i)))
    };
    fn conv(
        e: &Expression<Fr>,
        adv: &dyn Fn(usize, i32) -> Option<E>,
        fix: &dyn Fn(usize, i32) -> Option<E>,
        inst: &str,
    ) -> Result<E, VerifierGenError> {
        let c = |x: &Expression<Fr>| conv(x, adv, fix, inst);
        Ok(match e {
            Expression::Constant(f) => E::l(fr_hex(f)),
            Expression::Selector(_) => {
                return Err(VerifierGenError::Unsupported(
                    "virtual selector left in the verifying key's constraint system".into(),
                ))
            }
            Expression::Fixed(q) => fix(q.column_index(), q.rotation().0)
                .ok_or_else(|| VerifierGenError::Invalid("fixed query not registered".into()))?,
            Expression::Advice(q) => {
                if q.phase() != 0 {
                    return Err(VerifierGenError::Unsupported("advice phase > 0".into()));
                }
                adv(q.column_index(), q.rotation().0)
                    .ok_or_else(|| VerifierGenError::Invalid("advice query not registered".into()))?
            }
            Expression::Instance(q) => {
                if q.rotation().0 != 0 {
                    return Err(VerifierGenError::Unsupported(
                        "instance query at a rotation other than cur".into(),
                    ));
                }
                E::l(inst)
            }
            Expression::Challenge(_) => {
                return Err(VerifierGenError::Unsupported("challenges in expressions".into()))
            }
            Expression::Negated(a) => E::Neg(Box::new(c(a)?)),
            Expression::Sum(a, b) => E::add(c(a)?, c(b)?),
            Expression::Product(a, b) => E::mul(c(a)?, c(b)?),
            Expression::Scaled(a, f) => E::mul(c(a)?, E::l(fr_hex(f))),
        })
    }
    let inst_leaf = mload(m_inst_eval);
    let cv = |e: &Expression<Fr>| conv(e, &advice_eval, &fixed_eval, &inst_leaf);

    let mut constraints: Vec<(String, E)> = vec![];
    for gate in cs.gates() {
        for (i, poly) in gate.polynomials().iter().enumerate() {
            constraints.push((format!("gate {:?} #{i}", gate.name()), cv(poly)?));
        }
    }
    // permutation
    let one = E::l("1");
    let l0 = E::l(mload(m_l0));
    let llast = E::l(mload(m_llast));
    let active = E::l(mload(m_active));
    let beta = E::l(mload(m_beta));
    let gamma = E::l(mload(m_gamma));
    let theta = E::l(mload(m_theta));
    let col_eval = |c: &halo2_proofs::plonk::Column<Any>| -> Result<E, VerifierGenError> {
        match c.column_type() {
            Any::Advice(_) => advice_eval(c.index(), 0),
            Any::Fixed => fixed_eval(c.index(), 0),
            Any::Instance => has_instance_query.then(|| E::l(mload(m_inst_eval))),
        }
        .ok_or_else(|| VerifierGenError::Invalid("permutation column without a cur query".into()))
    };
    if nsets > 0 {
        let z = |s: usize| E::l(pcd(perm_set_ev[s]));
        let zn = |s: usize| E::l(pcd(perm_set_ev[s] + 32));
        let zl = |s: usize| E::l(pcd(perm_set_ev[s] + 64));
        constraints.push(("perm l0*(1-z0)".into(), E::mul(l0.clone(), E::sub(one.clone(), z(0)))));
        let zlast = z(nsets - 1);
        constraints.push((
            "perm l_last*(z^2-z)".into(),
            E::mul(E::sub(E::mul(zlast.clone(), zlast.clone()), zlast), llast.clone()),
        ));
        for s in 1..nsets {
            constraints.push((
                format!("perm set {s} link"),
                E::mul(E::sub(z(s), zl(s - 1)), l0.clone()),
            ));
        }
        let delta = Fr::DELTA;
        for s in 0..nsets {
            let cols = &perm_cols[s * chunk..((s + 1) * chunk).min(perm_cols.len())];
            let mut left = zn(s);
            let mut right = z(s);
            for (j, c) in cols.iter().enumerate() {
                let idx = s * chunk + j;
                let ev = col_eval(c)?;
                let sig = E::l(pcd(sigma_ev + 32 * idx));
                left = E::mul(left, E::add(E::add(ev.clone(), E::mul(beta.clone(), sig)), gamma.clone()));
                let d = delta.pow_vartime([idx as u64]);
                let bxd = if idx == 0 {
                    E::l(mload(m_beta_x))
                } else {
                    E::l(format!("mulmod({}, {}, R)", mload(m_beta_x), fr_hex(&d)))
                };
                right = E::mul(right, E::add(E::add(ev, bxd), gamma.clone()));
            }
            constraints.push((format!("perm set {s} product"), E::mul(E::sub(left, right), active.clone())));
        }
    }
    for (l, arg) in cs.lookups().iter().enumerate() {
        let e = lookup_ev + 160 * l;
        let z = E::l(pcd(e));
        let zn = E::l(pcd(e + 32));
        let a = E::l(pcd(e + 64));
        let ainv = E::l(pcd(e + 96));
        let s = E::l(pcd(e + 128));
        let compress = |exprs: &[Expression<Fr>]| -> Result<E, VerifierGenError> {
            let mut acc: Option<E> = None;
            for ex in exprs {
                let v = cv(ex)?;
                acc = Some(match acc {
                    None => v,
                    Some(a) => E::add(E::mul(a, theta.clone()), v),
                });
            }
            Ok(acc.unwrap_or_else(|| E::l("0")))
        };
        let cin = compress(arg.input_expressions())?;
        let ctab = compress(arg.table_expressions())?;
        constraints.push((format!("lookup {l} l0*(1-z)"), E::mul(l0.clone(), E::sub(one.clone(), z.clone()))));
        constraints.push((
            format!("lookup {l} l_last*(z^2-z)"),
            E::mul(llast.clone(), E::sub(E::mul(z.clone(), z.clone()), z.clone())),
        ));
        let left = E::mul(E::mul(zn, E::add(a.clone(), beta.clone())), E::add(s.clone(), gamma.clone()));
        let right = E::mul(E::mul(z, E::add(cin, beta.clone())), E::add(ctab, gamma.clone()));
        constraints.push((format!("lookup {l} product"), E::mul(E::sub(left, right), active.clone())));
        constraints.push((format!("lookup {l} l0*(a-s)"), E::mul(l0.clone(), E::sub(a.clone(), s.clone()))));
        constraints.push((
            format!("lookup {l} (a-s)(a-a_prev)"),
            E::mul(E::mul(E::sub(a.clone(), s), E::sub(a, ainv)), active.clone()),
        ));
    }

    // =========================================================================================
    // Code
    let r_minus_1 = -Fr::ONE;
    let mut c = Code { indent: 3, ..Default::default() };
    c.line("let R := 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
    c.open("function fail(code)");
    c.line("mstore(0, code)");
    c.line("revert(0, 0x20)");
    c.close();
    c.open("function checkPoints(start, end)");
    c.line("let q := 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47");
    c.open("for { let p := start } lt(p, end) { p := add(p, 0x40) }");
    c.line("let x := calldataload(p)");
    c.line("let y := calldataload(add(p, 0x20))");
    c.line("if iszero(and(lt(x, q), lt(y, q))) { fail(3) }");
    c.line("if iszero(or(x, y)) { fail(3) }");
    c.line("if iszero(eq(mulmod(y, y, q), addmod(mulmod(x, mulmod(x, x, q), q), 3, q))) { fail(3) }");
    c.close();
    c.close();
    c.open("function checkScalars(start, end)");
    c.line("let r := 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
    c.open("for { let p := start } lt(p, end) { p := add(p, 0x20) }");
    c.line("if iszero(lt(calldataload(p), r)) { fail(4) }");
    c.close();
    c.close();

    c.comment("1. canonical calldata layout: exact size, offsets and lengths");
    c.line(format!("if iszero(eq(calldatasize(), {})) {{ fail(1) }}", h(cd_size)));
    c.line(format!(
        "if iszero(and(and(eq(calldataload(0x04), 0x40), eq(calldataload(0x24), {})), and(eq(calldataload(0x44), {}), eq(calldataload({}), {})))) {{ fail(2) }}",
        h(0x60 + proof_len),
        h(proof_len),
        h(inst_len_cd),
        h(num_instances)
    ));
    c.comment("2. range checks: instances < r, proof scalars < r, proof points on the curve");
    c.line(format!("checkScalars({}, {})", h(inst_cd), h(cd_size)));
    c.line(format!("checkPoints({}, {})", h(proof_cd), h(proof_cd + points_end)));
    c.line(format!("checkScalars({}, {})", h(proof_cd + points_end), h(proof_cd + scalars_end)));
    c.line(format!("checkPoints({}, {})", h(proof_cd + scalars_end), h(proof_cd + proof_len)));

    c.comment("3. Fiat-Shamir: challenge = keccak256(h_prev ‖ absorbed bytes) mod r");
    c.open("");
    c.line(format!("mstore({}, {})", h(m_tr), fr_hex(&vk.transcript_repr())));
    if num_instances > 0 {
        c.line(format!("calldatacopy({}, {}, {})", h(m_tr + 32), h(inst_cd), h(32 * num_instances)));
    }
    c.line(format!("calldatacopy({}, {}, {})", h(m_tr + 32 + 32 * num_instances), h(proof_cd), h(advice_pt + 64 * na)));
    c.line(format!("let hs := keccak256({}, {})", h(m_tr), h(32 + 32 * num_instances + 64 * na)));
    c.line(format!("mstore({}, mod(hs, R))", h(m_theta)));
    let mut absorbed = 64 * na;
    let mut squeeze = |c: &mut Code, until: usize, slot: usize| {
        c.line(format!("mstore({}, hs)", h(m_tr)));
        let len = until - absorbed;
        if len > 0 {
            c.line(format!("calldatacopy({}, {}, {})", h(m_tr + 32), h(proof_cd + absorbed), h(len)));
        }
        c.line(format!("hs := keccak256({}, {})", h(m_tr), h(32 + len)));
        c.line(format!("mstore({}, mod(hs, R))", h(slot)));
        absorbed = until;
    };
    squeeze(&mut c, perm_z_pt, m_beta);
    squeeze(&mut c, perm_z_pt, m_gamma);
    squeeze(&mut c, h_pt, m_y);
    squeeze(&mut c, points_end, m_x);
    squeeze(&mut c, scalars_end, m_sy);
    squeeze(&mut c, scalars_end, m_v);
    squeeze(&mut c, wp_pt, m_u);
    c.close();

    c.comment("4. powers of x, Lagrange denominators, SHPLONK point differences, batch inversion");
    c.open("");
    c.line(format!("let x := {}", mload(m_x)));
    c.line("let xn := x");
    c.line(format!("for {{ let i := 0 }} lt(i, {k}) {{ i := add(i, 1) }} {{ xn := mulmod(xn, xn, R) }}"));
    c.line(format!("mstore({}, xn)", h(m_xn)));
    c.line(format!("mstore({}, mulmod(x, {}, R))", h(m_beta_x), mload(m_beta)));
    c.line(format!("let xn1 := addmod(xn, {}, R)", fr_hex(&r_minus_1)));
    c.line(format!(
        "mstore({}, mulmod(xn1, {}, R))",
        h(m_lc),
        fr_hex(&Fr::from(n).invert().expect("n != 0"))
    ));
    for (i, r) in lag_rots.iter().enumerate() {
        let w = omega_pow(&omega, &omega_inv, *r);
        c.line(format!("mstore({}, addmod(x, {}, R))", h(inv_lag + 32 * i), fr_hex(&(-w))));
    }
    c.line(format!("mstore({}, xn1)", h(inv_xn1)));
    c.line(format!("mstore({}, x)", h(inv_x)));
    c.line(format!("let u := {}", mload(m_u)));
    for r in &super_rots {
        let w = omega_pow(&omega, &omega_inv, *r);
        let xr = if *r == 0 { "x".to_string() } else { format!("mulmod(x, {}, R)", fr_hex(&w)) };
        c.line(format!("mstore({}, addmod(u, sub(R, {xr}), R))", h(m_d[r])));
    }
    let prod_d = |rots: &mut dyn Iterator<Item = i32>| -> E {
        let v: Vec<E> = rots.map(|r| E::l(mload(m_d[&r]))).collect();
        if v.is_empty() {
            E::l("1")
        } else if v.len() == 1 {
            v[0].clone()
        } else {
            E::Mul(v)
        }
    };
    let s0: BTreeSet<i32> = sets[0].0.iter().copied().collect();
    let zdiff0 = prod_d(&mut super_rots.iter().copied().filter(|r| !s0.contains(r)));
    let z0 = prod_d(&mut sets[0].0.iter().copied());
    c.line("let t := 0");
    c.emit(&zdiff0, "t");
    c.line(format!("mstore({}, t)", h(inv_zdiff0)));
    c.emit(&z0, "t");
    c.line(format!("mstore({}, t)", h(m_z0)));
    if num_instances > 0 {
        c.comment("instance evaluation: sum_i inst_i * w^i / (x - w^i), as one fraction num/den");
        c.line("let num := 0");
        c.line("let den := 1");
        c.line("let w := 1");
        c.open(format!("for {{ let p := {} }} lt(p, {}) {{ p := add(p, 0x20) }}", h(inst_cd), h(cd_size)));
        c.line("let d := addmod(x, sub(R, w), R)");
        c.line("num := addmod(mulmod(num, d, R), mulmod(mulmod(calldataload(p), w, R), den, R), R)");
        c.line("den := mulmod(den, d, R)");
        c.line(format!("w := mulmod(w, {}, R)", fr_hex(&omega)));
        c.close();
        c.line(format!("mstore({}, num)", h(m_inst_num)));
        c.line(format!("mstore({}, den)", h(inv_den)));
    }
    c.close();
    c.comment("batch inversion (one modexp)");
    c.open("");
    c.line("let acc := 1");
    c.open(format!("for {{ let i := 0 }} lt(i, {}) {{ i := add(i, 0x20) }}", h(32 * inv_len)));
    c.line(format!("mstore(add({}, i), acc)", h(m_pref)));
    c.line(format!("acc := mulmod(acc, mload(add({}, i)), R)", h(m_inv)));
    c.close();
    c.line("if iszero(acc) { fail(5) }");
    c.line(format!("mstore({}, 0x20)", h(m_pair)));
    c.line(format!("mstore({}, 0x20)", h(m_pair + 0x20)));
    c.line(format!("mstore({}, 0x20)", h(m_pair + 0x40)));
    c.line(format!("mstore({}, acc)", h(m_pair + 0x60)));
    c.line(format!("mstore({}, {})", h(m_pair + 0x80), fr_hex(&(-Fr::from(2u64)))));
    c.line(format!("mstore({}, R)", h(m_pair + 0xa0)));
    c.line(format!("if iszero(staticcall(gas(), 0x05, {}, 0xc0, {}, 0x20)) {{ fail(6) }}", h(m_pair), h(m_pair)));
    c.line(format!("acc := mload({})", h(m_pair)));
    c.open(format!("for {{ let i := {} }} 1 {{ }}", h(32 * inv_len)));
    c.line("i := sub(i, 0x20)");
    c.line(format!("let a := mload(add({}, i))", h(m_inv)));
    c.line(format!("mstore(add({}, i), mulmod(acc, mload(add({}, i)), R))", h(m_inv), h(m_pref)));
    c.line("acc := mulmod(acc, a, R)");
    c.line("if iszero(i) { break }");
    c.close();
    c.close();

    c.comment("5. Lagrange evaluations l_last, l_blind, l_0 and the instance evaluation");
    c.open("");
    c.line(format!("let lc := {}", mload(m_lc)));
    {
        let w = omega_pow(&omega, &omega_inv, lag_rots[0]);
        c.line(format!("mstore({}, mulmod(mulmod(lc, {}, R), {}, R))", h(m_llast), fr_hex(&w), mload(inv_lag)));
        c.line("let lb := 0");
        for (i, r) in lag_rots.iter().enumerate().skip(1).take(b) {
            let w = omega_pow(&omega, &omega_inv, *r);
            c.line(format!("lb := addmod(lb, mulmod({}, {}, R), R)", fr_hex(&w), mload(inv_lag + 32 * i)));
        }
        c.line("lb := mulmod(lb, lc, R)");
        c.line(format!("mstore({}, lb)", h(m_lblind)));
        c.line(format!("mstore({}, mulmod(lc, {}, R))", h(m_l0), mload(inv_lag + 32 * (lag_rots.len() - 1))));
        c.line(format!(
            "mstore({}, addmod(1, sub(R, addmod({}, lb, R)), R))",
            h(m_active),
            mload(m_llast)
        ));
        if num_instances > 0 {
            c.line(format!(
                "mstore({}, mulmod(mulmod({}, {}, R), lc, R))",
                h(m_inst_eval),
                mload(m_inst_num),
                mload(inv_den)
            ));
        } else {
            c.line(format!("mstore({}, 0)", h(m_inst_eval)));
        }
        c.line(format!("let xi := {}", mload(inv_x)));
        c.line("let xp := 1");
        for i in 0..max_set {
            c.line(format!("mstore({}, xp)", h(m_xinv_pow + 32 * i)));
            if i + 1 < max_set {
                c.line("xp := mulmod(xp, xi, R)");
            }
        }
    }
    c.close();

    c.comment("6. expected quotient evaluation: fold of all constraints with y, divided by x^n - 1");
    c.open("");
    c.line(format!("let y := {}", mload(m_y)));
    c.line("let hv := 0");
    for (label, e) in &constraints {
        c.comment(label);
        c.open("");
        c.line("let e := 0");
        c.emit(e, "e");
        c.line("hv := addmod(mulmod(hv, y, R), e, R)");
        c.close();
    }
    c.line(format!("mstore({}, mulmod(hv, {}, R))", h(m_heval), mload(inv_xn1)));
    c.close();

    c.comment("7. SHPLONK: MSM scalars per commitment and the combined evaluation r");
    c.line(format!("mstore({}, 0)", h(m_racc)));
    c.open("");
    c.line("let vp := 1");
    for (si, (rots, coms)) in sets.iter().enumerate() {
        c.comment(format!("rotation set {si}: rotations {rots:?}"));
        c.open("");
        // coefficient v^i * zdiff_i / zdiff_0
        c.line("let coef := vp");
        if si > 0 {
            let sset: BTreeSet<i32> = rots.iter().copied().collect();
            let zd = prod_d(&mut super_rots.iter().copied().filter(|r| !sset.contains(r)));
            c.open("");
            c.line("let zd := 0");
            c.emit(&zd, "zd");
            c.line(format!("coef := mulmod(coef, mulmod(zd, {}, R), R)", mload(inv_zdiff0)));
            c.close();
        }
        let m = rots.len();
        // Lagrange basis at u for this set's points
        for (t, rt) in rots.iter().enumerate() {
            if m == 1 {
                c.line(format!("let L{t} := 1"));
                continue;
            }
            let wt = omega_pow(&omega, &omega_inv, *rt);
            let mut denom = Fr::ONE;
            for rk in rots.iter().filter(|rk| *rk != rt) {
                denom *= wt - omega_pow(&omega, &omega_inv, *rk);
            }
            let ct = denom.invert().expect("distinct rotations");
            let mut fac = vec![E::l(mload(m_xinv_pow + 32 * (m - 1))), E::l(fr_hex(&ct))];
            for rk in rots.iter().filter(|rk| *rk != rt) {
                fac.push(E::l(mload(m_d[rk])));
            }
            c.line(format!("let L{t} := 0"));
            c.emit(&E::Mul(fac), &format!("L{t}"));
        }
        c.line("let yp := 1");
        c.line("let ri := 0");
        for (j, com) in coms.iter().enumerate() {
            // r contribution: yp * sum_t e_t L_t
            let mut terms = vec![];
            for (t, rt) in rots.iter().enumerate() {
                let ev = match eval_of(*com, *rt) {
                    Ev::Proof(o) => pcd(o),
                    Ev::HEval => mload(m_heval),
                };
                terms.push(if m == 1 { E::l(ev) } else { E::Mul(vec![E::l(ev), E::l(format!("L{t}"))]) });
            }
            let sum = if terms.len() == 1 { terms.pop().expect("one") } else { E::Add(terms) };
            c.open("");
            c.line("let s := 0");
            c.emit(&sum, "s");
            c.line("ri := addmod(ri, mulmod(s, yp, R), R)");
            c.close();
            if *com == Com::H {
                c.open("");
                c.line("let s := mulmod(coef, yp, R)");
                for p in 0..nq {
                    c.line(format!("mstore({}, s)", h(base_addr(base_of[&(*com, p)]) + 64)));
                    if p + 1 < nq {
                        c.line(format!("s := mulmod(s, {}, R)", mload(m_xn)));
                    }
                }
                c.close();
            } else {
                c.line(format!("mstore({}, mulmod(coef, yp, R))", h(base_addr(base_of[&(*com, 0)]) + 64)));
            }
            if j + 1 < coms.len() {
                c.line(format!("yp := mulmod(yp, {}, R)", mload(m_sy)));
            }
        }
        c.line(format!("mstore({}, addmod({}, mulmod(coef, ri, R), R))", h(m_racc), mload(m_racc)));
        c.close();
        if si + 1 < sets.len() {
            c.line(format!("vp := mulmod(vp, {}, R)", mload(m_v)));
        }
    }
    c.close();
    c.line(format!("mstore({}, sub(R, {}))", h(base_addr(g1_base) + 64), mload(m_racc)));
    c.line(format!("mstore({}, sub(R, {}))", h(base_addr(w_base) + 64), mload(m_z0)));
    c.line(format!("mstore({}, {})", h(base_addr(wp_base) + 64), mload(m_u)));

    c.comment("8. MSM bases: verifying-key points and proof points");
    for (i, (label, src)) in bases.iter().enumerate() {
        let a = base_addr(i);
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
                c.line(format!("calldatacopy({}, {}, 0x40) // {label}", h(a), h(proof_cd + o)));
            }
        }
    }
    c.comment("9. MSM: acc = sum scalar_i * base_i");
    c.open("");
    c.line("let ok := 1");
    // base 0 is the first commitment of rotation set 0: its scalar is v^0 * y^0 = 1, no ecMul
    c.line(format!("mstore({}, mload({}))", h(m_acc), h(m_msm)));
    c.line(format!("mstore({}, mload({}))", h(m_acc + 32), h(m_msm + 32)));
    c.open(format!(
        "for {{ let p := {} }} lt(p, {}) {{ p := add(p, 0x60) }}",
        h(m_msm + 96),
        h(m_msm + 96 * bases.len())
    ));
    c.line(format!("ok := and(ok, staticcall(gas(), 0x07, p, 0x60, {}, 0x40))", h(m_acc + 64)));
    c.line(format!("ok := and(ok, staticcall(gas(), 0x06, {}, 0x80, {}, 0x40))", h(m_acc), h(m_acc)));
    c.close();
    c.line("if iszero(ok) { fail(7) }");
    c.close();

    c.comment("10. pairing: e(W', [s]_2) * e(acc, -[1]_2) == 1");
    let g2_words = |p: &G2Affine| -> [String; 4] {
        [fq_hex(&p.x.c1), fq_hex(&p.x.c0), fq_hex(&p.y.c1), fq_hex(&p.y.c0)]
    };
    let s_g2 = g2_words(&params.s_g2());
    let neg_g2 = g2_words(&(-params.g2()));
    c.line(format!("calldatacopy({}, {}, 0x40)", h(m_pair), h(proof_cd + wp_pt)));
    for (i, w) in s_g2.iter().enumerate() {
        c.line(format!("mstore({}, {w})", h(m_pair + 0x40 + 32 * i)));
    }
    c.line(format!("mstore({}, {})", h(m_pair + 0xc0), mload(m_acc)));
    c.line(format!("mstore({}, {})", h(m_pair + 0xe0), mload(m_acc + 32)));
    for (i, w) in neg_g2.iter().enumerate() {
        c.line(format!("mstore({}, {w})", h(m_pair + 0x100 + 32 * i)));
    }
    c.line(format!("if iszero(staticcall(gas(), 0x08, {}, 0x180, {}, 0x20)) {{ fail(8) }}", h(m_pair), h(m_pair)));
    c.line(format!("mstore(0, mload({}))", h(m_pair)));
    c.line("return(0, 0x20)");

    // ---- fill the template ----
    let body = c.lines.join("\n");
    let info = format!(
        "k = {k}, advice = {na}, fixed = {}, instances = {num_instances}, lookups = {nl}, permutation columns = {}, degree = {degree}, proof = {proof_len} bytes, ec muls = {}",
        cs.num_fixed_columns(),
        perm_cols.len(),
        bases.len() - 1
    );
    let source = fill(
        TEMPLATE,
        &[
            ("CONTRACT_NAME", name.clone()),
            ("VERSION", env!("CARGO_PKG_VERSION").to_string()),
            ("CIRCUIT_INFO", info),
            ("PROOF_LENGTH", proof_len.to_string()),
            ("NUM_INSTANCES", num_instances.to_string()),
            ("VK_DIGEST", fr_hex(&vk.transcript_repr())),
            ("BODY", body),
        ],
    )?;
    Ok(GeneratedVerifier {
        source,
        contract_name: name.clone(),
        proof_len,
        num_instances,
        calldata_len: cd_size,
        k,
        num_ec_mul: bases.len() - 1,
    })
}

fn fill(template: &str, vals: &[(&str, String)]) -> Result<String, VerifierGenError> {
    let mut s = template.to_string();
    for (k, v) in vals {
        let key = format!("{{{{{k}}}}}");
        if !s.contains(&key) {
            return Err(VerifierGenError::Invalid(format!("template lacks placeholder {key}")));
        }
        s = s.replace(&key, v);
    }
    if s.contains("{{") {
        return Err(VerifierGenError::Invalid("unfilled template placeholder".into()));
    }
    Ok(s)
}
