//! The quotient evaluation: every gate, permutation and lookup constraint as an expression over
//! the proof's evaluations, folded with `y` and divided by `x^n - 1` (step 6 of the contract).

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{Any, Column, Expression};

use super::layout::{pcd, Memory, ProofLayout};
use super::optimise;
use super::yul::{h, mload, Code, E};
use super::Shape;
use crate::VerifierGenError;

/// A labelled constraint (the label becomes a comment in the contract).
pub(super) type Constraint = (String, E);

/// All constraints, in the order halo2 folds them: gates, permutation, lookups.
pub(super) fn constraints(
    s: &Shape<'_>,
    p: &ProofLayout,
    mem: &Memory,
) -> Result<Vec<Constraint>, VerifierGenError> {
    let leaves = Leaves { s, p, inst: mload(mem.inst_eval) };
    let mut out: Vec<Constraint> = vec![];
    for gate in s.vk.cs().gates() {
        for (i, poly) in gate.polynomials().iter().enumerate() {
            out.push((format!("gate {:?} #{i}", gate.name()), leaves.conv(poly)?));
        }
    }
    let common = Common {
        one: E::c(Fr::ONE),
        l0: E::l(mload(mem.l0)),
        llast: E::l(mload(mem.llast)),
        active: E::l(mload(mem.active)),
        beta: E::l(mload(mem.beta)),
        gamma: E::l(mload(mem.gamma)),
        theta: E::l(mload(mem.theta)),
    };
    permutation(&mut out, &leaves, &common, mem)?;
    lookups(&mut out, &leaves, &common)?;
    Ok(out)
}

/// Step 6: `h(x) = (sum_i y^(n-1-i) c_i) / (x^n - 1)`, stored for the SHPLONK combination.
/// The constraints are simplified and their shared subexpressions computed once
/// ([`optimise::Plan`], in the scratch memory free after the transcript).
pub(super) fn emit(c: &mut Code, constraints: &[Constraint], mem: &Memory) {
    c.comment("6. expected quotient evaluation: fold of all constraints with y, divided by x^n - 1");
    let (labels, exprs): (Vec<String>, Vec<E>) = constraints.iter().cloned().unzip();
    let plan = optimise::Plan::new(&exprs, mem.scratch());
    c.open("");
    c.line(format!("let y := {}", mload(mem.y)));
    c.line("let hv := 0");
    c.comment(format!("{} subexpressions used more than once, computed once", plan.scratch_words()));
    plan.emit(c, 2, &labels, |c, _, v| c.line(format!("hv := addmod(mulmod(hv, y, R), {v}, R)")));
    c.line(format!("mstore({}, mulmod(hv, {}, R))", h(mem.heval), mload(mem.inv_xn1)));
    c.close();
}

/// Leaves shared by the permutation and lookup arguments.
struct Common {
    one: E,
    l0: E,
    llast: E,
    active: E,
    beta: E,
    gamma: E,
    theta: E,
}

/// Maps circuit queries to the Yul leaves holding their evaluations.
struct Leaves<'a> {
    s: &'a Shape<'a>,
    p: &'a ProofLayout,
    /// The instance column's evaluation at `x`.
    inst: String,
}

impl Leaves<'_> {
    fn advice(&self, col: usize, rot: i32) -> Option<E> {
        self.s.advice_q.iter().position(|q| *q == (col, rot)).map(|i| E::l(pcd(self.p.advice_ev + 32 * i)))
    }

    fn fixed(&self, col: usize, rot: i32) -> Option<E> {
        self.s.fixed_q.iter().position(|q| *q == (col, rot)).map(|i| E::l(pcd(self.p.fixed_ev + 32 * i)))
    }

    /// Evaluation of a permutation column at `x`.
    fn column(&self, c: &Column<Any>) -> Result<E, VerifierGenError> {
        match c.column_type() {
            Any::Advice(_) => self.advice(c.index(), 0),
            Any::Fixed => self.fixed(c.index(), 0),
            Any::Instance => self.s.has_instance_query.then(|| E::l(self.inst.clone())),
        }
        .ok_or_else(|| VerifierGenError::Invalid("permutation column without a cur query".into()))
    }

    fn conv(&self, e: &Expression<Fr>) -> Result<E, VerifierGenError> {
        Ok(match e {
            Expression::Constant(f) => E::c(*f),
            Expression::Selector(_) => {
                return Err(VerifierGenError::Unsupported(
                    "virtual selector left in the verifying key's constraint system".into(),
                ))
            }
            Expression::Fixed(q) => self
                .fixed(q.column_index(), q.rotation().0)
                .ok_or_else(|| VerifierGenError::Invalid("fixed query not registered".into()))?,
            Expression::Advice(q) => {
                if q.phase() != 0 {
                    return Err(VerifierGenError::Unsupported("advice phase > 0".into()));
                }
                self.advice(q.column_index(), q.rotation().0)
                    .ok_or_else(|| VerifierGenError::Invalid("advice query not registered".into()))?
            }
            Expression::Instance(q) => {
                if q.rotation().0 != 0 {
                    return Err(VerifierGenError::Unsupported(
                        "instance query at a rotation other than cur".into(),
                    ));
                }
                E::l(self.inst.clone())
            }
            Expression::Challenge(_) => {
                return Err(VerifierGenError::Unsupported("challenges in expressions".into()))
            }
            // binary, as halo2 built them: a compressed selector stays one subtree (shared by
            // every polynomial of its gates, see `optimise`)
            Expression::Negated(a) => E::Neg(Box::new(self.conv(a)?)),
            Expression::Sum(a, b) => E::Add(vec![self.conv(a)?, self.conv(b)?]),
            Expression::Product(a, b) => E::Mul(vec![self.conv(a)?, self.conv(b)?]),
            Expression::Scaled(a, f) => E::Mul(vec![self.conv(a)?, E::c(*f)]),
        })
    }

    /// `theta`-compression `((e_0 theta + e_1) theta + ...)` of a lookup's expressions.
    fn compress(&self, exprs: &[Expression<Fr>], theta: &E) -> Result<E, VerifierGenError> {
        let mut acc: Option<E> = None;
        for ex in exprs {
            let v = self.conv(ex)?;
            acc = Some(match acc {
                None => v,
                Some(a) => E::add(E::mul(a, theta.clone()), v),
            });
        }
        Ok(acc.unwrap_or_else(|| E::c(Fr::ZERO)))
    }
}

/// Permutation argument: boundary, set-link and grand-product constraints per column set.
fn permutation(
    out: &mut Vec<Constraint>,
    leaves: &Leaves<'_>,
    k: &Common,
    mem: &Memory,
) -> Result<(), VerifierGenError> {
    let (s, p) = (leaves.s, leaves.p);
    let nsets = s.perm_sets;
    if nsets == 0 {
        return Ok(());
    }
    let z = |set: usize| E::l(pcd(p.perm_set_ev[set]));
    let zn = |set: usize| E::l(pcd(p.perm_set_ev[set] + 32));
    let zl = |set: usize| E::l(pcd(p.perm_set_ev[set] + 64));
    out.push(("perm l0*(1-z0)".into(), E::mul(k.l0.clone(), E::sub(k.one.clone(), z(0)))));
    let zlast = z(nsets - 1);
    out.push((
        "perm l_last*(z^2-z)".into(),
        E::mul(E::sub(E::mul(zlast.clone(), zlast.clone()), zlast), k.llast.clone()),
    ));
    for set in 1..nsets {
        out.push((format!("perm set {set} link"), E::mul(E::sub(z(set), zl(set - 1)), k.l0.clone())));
    }
    let delta = Fr::DELTA;
    let chunk = s.perm_chunk;
    for set in 0..nsets {
        let cols = &s.perm_cols[set * chunk..((set + 1) * chunk).min(s.perm_cols.len())];
        let mut left = zn(set);
        let mut right = z(set);
        for (j, c) in cols.iter().enumerate() {
            let idx = set * chunk + j;
            let ev = leaves.column(c)?;
            let sig = E::l(pcd(p.sigma_ev + 32 * idx));
            left = E::mul(left, E::add(E::add(ev.clone(), E::mul(k.beta.clone(), sig)), k.gamma.clone()));
            let d = delta.pow_vartime([idx as u64]);
            let bxd = E::mul(E::l(mload(mem.beta_x)), E::c(d));
            right = E::mul(right, E::add(E::add(ev, bxd), k.gamma.clone()));
        }
        out.push((format!("perm set {set} product"), E::mul(E::sub(left, right), k.active.clone())));
    }
    Ok(())
}

/// Lookup arguments: boundary, grand-product and permuted-column constraints per lookup.
fn lookups(out: &mut Vec<Constraint>, leaves: &Leaves<'_>, k: &Common) -> Result<(), VerifierGenError> {
    for (l, arg) in leaves.s.vk.cs().lookups().iter().enumerate() {
        let e = leaves.p.lookup_evals(l);
        let z = E::l(pcd(e.z));
        let zn = E::l(pcd(e.z_next));
        let a = E::l(pcd(e.a));
        let ainv = E::l(pcd(e.a_prev));
        let s = E::l(pcd(e.s));
        let cin = leaves.compress(arg.input_expressions(), &k.theta)?;
        let ctab = leaves.compress(arg.table_expressions(), &k.theta)?;
        out.push((format!("lookup {l} l0*(1-z)"), E::mul(k.l0.clone(), E::sub(k.one.clone(), z.clone()))));
        out.push((
            format!("lookup {l} l_last*(z^2-z)"),
            E::mul(k.llast.clone(), E::sub(E::mul(z.clone(), z.clone()), z.clone())),
        ));
        let left = E::mul(E::mul(zn, E::add(a.clone(), k.beta.clone())), E::add(s.clone(), k.gamma.clone()));
        let right = E::mul(E::mul(z, E::add(cin, k.beta.clone())), E::add(ctab, k.gamma.clone()));
        out.push((format!("lookup {l} product"), E::mul(E::sub(left, right), k.active.clone())));
        out.push((format!("lookup {l} l0*(a-s)"), E::mul(k.l0.clone(), E::sub(a.clone(), s.clone()))));
        out.push((
            format!("lookup {l} (a-s)(a-a_prev)"),
            E::mul(E::mul(E::sub(a.clone(), s), E::sub(a, ainv)), k.active.clone()),
        ));
    }
    Ok(())
}
