//! Makes the quotient's expressions cheap to evaluate, since solc's Yul optimizer stays off
//! (see [`crate::CompilerSettings`]) and would not share subexpressions anyway:
//!
//! * [`simplify`]: constants folded, `·1`, `+0` and `·0` dropped, negations pulled out of
//!   products, sums and products flattened and their terms sorted (so that equal
//!   subexpressions look equal);
//! * [`Plan`]: every non-trivial subexpression used in more than one place (a compressed
//!   selector, the rescale quotient, a lookup's compressed input) is computed once into a
//!   scratch memory word and read back with one `mload`;
//! * [`Plan::emit`]: each expression as nested Yul calls (no temporaries) whenever its stack
//!   use lets every variable stay within `DUP16` reach, statement by statement otherwise.
//!
//! Constraints keep their order (the fold with `y` depends on it); only how each is computed
//! changes.

use std::collections::{HashMap, HashSet};

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;

use super::yul::{field_hex, h, Code, E};

/// Stack words an expression may occupy above the variables in scope: `R`, declared first,
/// must stay within `DUP16` reach while the expression is evaluated.
const STACK_REACH: usize = 15;

/// The simplified, canonical form of `e`. Nested sums and products keep their shape (a
/// compressed selector stays one subtree, to be shared); only constants move up through them.
pub(super) fn simplify(e: &E) -> E {
    match e {
        E::L(_) | E::C(_) => e.clone(),
        E::Neg(a) => negate(simplify(a)),
        E::Add(ts) => {
            let mut c = Fr::ZERO;
            let mut out = vec![];
            for t in ts {
                match simplify(t) {
                    E::C(v) => c += v,
                    x => out.push(x),
                }
            }
            if c != Fr::ZERO {
                out.push(E::C(c));
            }
            sorted(out, E::Add, Fr::ZERO)
        }
        E::Mul(fs) => {
            let mut c = Fr::ONE;
            let mut out = vec![];
            for f in fs {
                let mut x = simplify(f);
                if let E::Neg(inner) = x {
                    c = -c;
                    x = *inner;
                }
                match x {
                    E::C(v) => c *= v,
                    // a nested product gives up its constant
                    E::Mul(mut xs) => {
                        if let Some(i) = xs.iter().position(|x| matches!(x, E::C(_))) {
                            if let E::C(v) = xs.remove(i) {
                                c *= v;
                            }
                        }
                        out.push(sorted(xs, E::Mul, Fr::ONE));
                    }
                    x => out.push(x),
                }
            }
            if c == Fr::ZERO {
                return E::C(Fr::ZERO);
            }
            let negative = c == -Fr::ONE;
            if negative {
                c = Fr::ONE;
            }
            if c != Fr::ONE {
                out.push(E::C(c));
            }
            let product = sorted(out, E::Mul, Fr::ONE);
            if negative {
                negate(product)
            } else {
                product
            }
        }
    }
}

/// `-e` for a simplified `e`, simplified.
fn negate(e: E) -> E {
    match e {
        E::C(v) => E::C(-v),
        E::Neg(x) => *x,
        E::Mul(mut fs) => match fs.iter().position(|f| matches!(f, E::C(_))) {
            Some(i) => {
                if let E::C(v) = &mut fs[i] {
                    *v = -*v;
                }
                sorted(fs, E::Mul, Fr::ONE)
            }
            None => E::Neg(Box::new(E::Mul(fs))),
        },
        x => E::Neg(Box::new(x)),
    }
}

/// `op(terms)` with the terms in canonical order; the identity or the single term when there
/// are fewer than two.
fn sorted(mut terms: Vec<E>, op: fn(Vec<E>) -> E, identity: Fr) -> E {
    match terms.len() {
        0 => E::C(identity),
        1 => terms.pop().unwrap_or(E::C(identity)),
        _ => {
            // deepest first (nested to the right, they then cost the least stack), constants last
            terms.sort_by_cached_key(|t| (std::cmp::Reverse(need(t)), matches!(t, E::C(_)), key(t)));
            op(terms)
        }
    }
}

/// A canonical text of `e` (equal keys, equal values).
fn key(e: &E) -> String {
    match e {
        E::L(s) => s.clone(),
        E::C(c) => field_hex(c),
        E::Neg(a) => format!("-({})", key(a)),
        E::Add(ts) => format!("+({})", ts.iter().map(key).collect::<Vec<_>>().join(",")),
        E::Mul(ts) => format!("*({})", ts.iter().map(key).collect::<Vec<_>>().join(",")),
    }
}

fn children(e: &E) -> &[E] {
    match e {
        E::Add(ts) | E::Mul(ts) => ts,
        E::Neg(a) => std::slice::from_ref(&**a),
        E::L(_) | E::C(_) => &[],
    }
}

/// Worth sharing: more than a leaf or a negated leaf.
fn compound(e: &E) -> bool {
    match e {
        E::L(_) | E::C(_) => false,
        E::Neg(a) => compound(a),
        E::Add(_) | E::Mul(_) => true,
    }
}

/// Stack words evaluating `e` as one nested Yul expression needs (arguments are evaluated right
/// to left: `op(a, b, R)` holds `R`, then `b`, while `a` is computed). Sums and products are
/// nested to the right, `op(t0, op(t1, op(t2, t3)))`.
fn need(e: &E) -> usize {
    match e {
        E::L(_) | E::C(_) => 1,
        E::Neg(a) => need(a).max(2),
        E::Add(ts) | E::Mul(ts) => {
            let mut acc = need(&ts[ts.len() - 1]);
            for t in ts[..ts.len() - 1].iter().rev() {
                acc = (1 + acc).max(2 + need(t)).max(3);
            }
            acc
        }
    }
}

/// `e` as one nested Yul expression.
fn render(e: &E) -> String {
    match e {
        E::L(s) => s.clone(),
        E::C(c) => field_hex(c),
        E::Neg(a) => format!("sub(R, {})", render(a)),
        E::Add(ts) | E::Mul(ts) => {
            let op = if matches!(e, E::Add(_)) { "addmod" } else { "mulmod" };
            let mut out = render(&ts[ts.len() - 1]);
            for t in ts[..ts.len() - 1].iter().rev() {
                out = format!("{op}({}, {out}, R)", render(t));
            }
            out
        }
    }
}

/// Which subexpressions are computed once, and where they live.
pub(super) struct Plan {
    /// Shared subexpressions in evaluation order (each only refers to earlier ones), with their
    /// own shared parts replaced by reads.
    defs: Vec<E>,
    /// The expressions, shared parts replaced by reads.
    exprs: Vec<E>,
    /// Address of the first scratch word.
    scratch: usize,
}

impl Plan {
    /// Simplifies `exprs` and shares their repeated subexpressions in scratch words from
    /// `scratch` on.
    pub(super) fn new(exprs: &[E], scratch: usize) -> Self {
        let exprs: Vec<E> = exprs.iter().map(simplify).collect();
        // Occurrences: a repeated subtree's own children are counted once, so that only what
        // is used from distinct places is shared.
        let mut count: HashMap<String, usize> = HashMap::new();
        fn visit(e: &E, count: &mut HashMap<String, usize>) {
            if !compound(e) {
                return;
            }
            let n = count.entry(key(e)).or_insert(0);
            *n += 1;
            if *n == 1 {
                children(e).iter().for_each(|c| visit(c, count));
            }
        }
        exprs.iter().for_each(|e| visit(e, &mut count));
        let shared: HashSet<String> = count.into_iter().filter(|(_, n)| *n > 1).map(|(k, _)| k).collect();
        let mut slots: HashMap<String, usize> = HashMap::new();
        let mut defs = vec![];
        // Post-order: a definition's shared parts are defined before it.
        fn share(e: &E, root: bool, shared: &HashSet<String>, slots: &mut HashMap<String, usize>, defs: &mut Vec<E>, scratch: usize) -> E {
            let k = key(e);
            if !root {
                if let Some(slot) = slots.get(&k) {
                    return E::L(format!("mload({})", h(*slot)));
                }
            }
            let rebuilt = match e {
                E::L(_) | E::C(_) => return e.clone(),
                E::Neg(a) => E::Neg(Box::new(share(a, false, shared, slots, defs, scratch))),
                E::Add(ts) => E::Add(ts.iter().map(|t| share(t, false, shared, slots, defs, scratch)).collect()),
                E::Mul(ts) => E::Mul(ts.iter().map(|t| share(t, false, shared, slots, defs, scratch)).collect()),
            };
            if !root && shared.contains(&k) {
                let slot = scratch + 32 * defs.len();
                defs.push(rebuilt);
                slots.insert(k, slot);
                return E::L(format!("mload({})", h(slot)));
            }
            rebuilt
        }
        let exprs = exprs.iter().map(|e| share(e, true, &shared, &mut slots, &mut defs, scratch)).collect();
        Plan { defs, exprs, scratch }
    }

    /// Scratch words used.
    pub(super) fn scratch_words(&self) -> usize {
        self.defs.len()
    }

    /// Emits the shared definitions, then, for each expression `i`, the comment `labels[i]` and
    /// `fold(i, value)`, where `value` is a Yul expression or a variable holding it (`fold` may
    /// hold `R` and one more word). `scope` variables are live above `R` where this runs.
    pub(super) fn emit(&self, c: &mut Code, scope: usize, labels: &[String], mut fold: impl FnMut(&mut Code, usize, &str)) {
        for (i, d) in self.defs.iter().enumerate() {
            let slot = h(self.scratch + 32 * i);
            with_value(c, d, scope, 1, "s", |c, v| c.line(format!("mstore({slot}, {v})")));
        }
        for (i, e) in self.exprs.iter().enumerate() {
            if let Some(label) = labels.get(i) {
                c.comment(label);
            }
            with_value(c, e, scope, 2, "e", |c, v| fold(c, i, v));
        }
    }
}

/// Calls `use_value` with `e` as one nested Yul expression when it fits, with `extra` more words
/// on the stack while it is used, within reach; else with the block-scoped variable `var`,
/// computed statement by statement.
fn with_value(c: &mut Code, e: &E, scope: usize, extra: usize, var: &str, use_value: impl FnOnce(&mut Code, &str)) {
    if scope + extra + need(e) <= STACK_REACH {
        use_value(c, &render(e));
    } else {
        c.open("");
        c.line(format!("let {var} := 0"));
        assign(c, var, e, scope + 1);
        use_value(c, var);
        c.close();
    }
}

/// Whether `e` reads the variable `var` (a leaf naming it, alone or inside a Yul snippet).
fn reads(e: &E, var: &str) -> bool {
    match e {
        E::L(s) => s.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).any(|w| w == var),
        E::C(_) => false,
        E::Neg(a) => reads(a, var),
        E::Add(ts) | E::Mul(ts) => ts.iter().any(|t| reads(t, var)),
    }
}

/// Statements assigning `e` to the declared variable `var`, with `scope` variables live above `R`.
/// `e` may read `var` (`ri := ri + …`): computed statement by statement, it is built in a fresh
/// variable first, so that no partial result overwrites the `var` it still reads.
pub(super) fn assign(c: &mut Code, var: &str, e: &E, scope: usize) {
    if scope + need(e) <= STACK_REACH {
        c.line(format!("{var} := {}", render(e)));
        return;
    }
    if reads(e, var) {
        let fresh = format!("{var}_");
        c.open("");
        c.line(format!("let {fresh} := 0"));
        assign(c, &fresh, e, scope + 1);
        c.line(format!("{var} := {fresh}"));
        c.close();
        return;
    }
    match e {
        E::L(_) | E::C(_) => c.line(format!("{var} := {}", render(e))),
        E::Neg(a) => {
            assign(c, var, a, scope);
            c.line(format!("{var} := sub(R, {var})"));
        }
        E::Add(ts) | E::Mul(ts) => {
            let op = if matches!(e, E::Add(_)) { "addmod" } else { "mulmod" };
            // the deepest term first, straight into `var`
            let mut order: Vec<&E> = ts.iter().collect();
            order.sort_by_key(|t| std::cmp::Reverse(need(t)));
            assign(c, var, order[0], scope);
            for t in &order[1..] {
                with_value(c, t, scope, 1, "t", |c, v| c.line(format!("{var} := {op}({var}, {v}, R)")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> E {
        E::l(s)
    }

    #[test]
    fn constants_fold_and_identities_vanish() {
        let e = E::Mul(vec![l("a"), E::C(Fr::ONE), E::Add(vec![E::C(Fr::from(2)), E::C(Fr::from(3))])]);
        assert_eq!(render(&simplify(&e)), "mulmod(a, 0x5, R)");
        let e = E::Add(vec![l("a"), E::C(Fr::ZERO), E::Mul(vec![l("b"), E::C(Fr::ZERO)])]);
        assert_eq!(render(&simplify(&e)), "a");
        // -(-a) = a; a·(-1) = -a; -(2a) = (-2)a
        assert_eq!(render(&simplify(&E::Neg(Box::new(E::Neg(Box::new(l("a"))))))), "a");
        assert_eq!(render(&simplify(&E::Mul(vec![l("a"), E::C(-Fr::ONE)]))), "sub(R, a)");
        let e = simplify(&E::Neg(Box::new(E::Mul(vec![l("a"), E::C(Fr::from(2))]))));
        assert_eq!(render(&e), format!("mulmod(a, {}, R)", field_hex(&-Fr::from(2))));
    }

    #[test]
    fn repeated_subexpressions_are_computed_once() {
        let sel = || E::Mul(vec![l("f"), E::Add(vec![E::C(Fr::ONE), E::Neg(Box::new(l("f")))])]);
        let exprs = vec![E::Mul(vec![sel(), l("a")]), E::Mul(vec![l("b"), sel()]), E::Mul(vec![l("a"), l("c")])];
        let plan = Plan::new(&exprs, 0x1000);
        assert_eq!(plan.scratch_words(), 1);
        let mut c = Code::new(0);
        plan.emit(&mut c, 2, &[], |c, i, v| c.line(format!("fold {i} {v}")));
        let text = c.finish();
        assert!(text.starts_with("mstore(0x1000, mulmod(addmod(sub(R, f), 0x1, R), f, R))"), "{text}");
        assert!(text.contains("fold 0 mulmod(mload(0x1000), a, R)"), "{text}");
        assert!(text.contains("fold 1 mulmod(mload(0x1000), b, R)"), "{text}");
        assert!(text.contains("fold 2 mulmod(a, c, R)"), "{text}");
    }

    /// The value of `e` with leaf `vI` = `vals[I]` and `mload(slot)` = the value stored there.
    fn eval(e: &E, vals: &[Fr], mem: &HashMap<String, Fr>) -> Fr {
        match e {
            E::L(s) if s.starts_with('v') => vals[s[1..].parse::<usize>().unwrap()],
            E::L(s) => mem[s],
            E::C(c) => *c,
            E::Neg(a) => -eval(a, vals, mem),
            E::Add(ts) => ts.iter().map(|t| eval(t, vals, mem)).sum(),
            E::Mul(ts) => ts.iter().map(|t| eval(t, vals, mem)).product(),
        }
    }

    /// A random expression; its leaves are constants, variables or copies of `pool`'s subtrees.
    fn random_expr(rng: &mut impl rand::Rng, depth: u32, pool: &[E]) -> E {
        let consts = [Fr::ZERO, Fr::ONE, -Fr::ONE, Fr::from(2), Fr::from(256)];
        if depth == 0 || rng.gen_range(0..4) == 0 {
            return match rng.gen_range(0..4) {
                0 => E::C(consts[rng.gen_range(0..consts.len())]),
                1 if !pool.is_empty() => pool[rng.gen_range(0..pool.len())].clone(),
                _ => l(&format!("v{}", rng.gen_range(0..4))),
            };
        }
        let n = rng.gen_range(1..4);
        let kids: Vec<E> = (0..n).map(|_| random_expr(rng, depth - 1, pool)).collect();
        match rng.gen_range(0..3) {
            0 => E::Add(kids),
            1 => E::Mul(kids),
            _ => E::Neg(Box::new(kids.into_iter().next().unwrap())),
        }
    }

    /// Simplifying and sharing never changes a value: random expressions over few leaves (so that
    /// subexpressions repeat), evaluated before and after, at random points.
    #[test]
    fn simplified_and_shared_expressions_keep_their_values() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut shared = 0;
        for _ in 0..200 {
            let pool: Vec<E> = (0..3).map(|_| random_expr(&mut rng, 2, &[])).collect();
            let exprs: Vec<E> = (0..6).map(|_| random_expr(&mut rng, 4, &pool)).collect();
            let plan = Plan::new(&exprs, 0x1000);
            shared += plan.scratch_words();
            for _ in 0..3 {
                let vals: Vec<Fr> = (0..4).map(|_| Fr::random(&mut rng)).collect();
                let mut mem = HashMap::new();
                for (i, d) in plan.defs.iter().enumerate() {
                    let v = eval(d, &vals, &mem);
                    mem.insert(format!("mload({})", h(0x1000 + 32 * i)), v);
                }
                for (orig, planned) in exprs.iter().zip(&plan.exprs) {
                    assert_eq!(eval(orig, &vals, &HashMap::new()), eval(planned, &vals, &mem), "{orig:?}");
                }
            }
        }
        assert!(shared > 100, "the random expressions share subexpressions ({shared})");
    }

    /// Issue 16: `ri := ri + L·a` too deep for one expression was computed term by term into
    /// `ri` itself, the product first, so the old `ri` was lost (a rotation set of 6 rotations:
    /// valid proofs rejected on-chain). The statements now build it in a fresh variable.
    #[test]
    fn regression_a_deep_expression_reading_its_own_variable_keeps_the_old_value() {
        let product = E::Mul((0..20).map(|i| l(&format!("d{i}"))).collect());
        let e = E::Add(vec![l("ri"), product]);
        let mut c = Code::new(0);
        assign(&mut c, "ri", &e, 5);
        let text = c.finish();
        let first_write = text.lines().position(|line| line.trim_start().starts_with("ri :=")).unwrap();
        let fresh_done = text.lines().position(|line| line.contains("ri_ := addmod(ri_, ri, R)") || line.contains("ri_ := addmod(ri, ri_, R)"));
        assert!(text.contains("let ri_ := 0"), "{text}");
        assert!(fresh_done.is_some_and(|d| d < first_write), "the old ri is added before ri is written: {text}");
        assert!(reads(&l("mulmod(ri, x, R)"), "ri") && !reads(&l("mload(0x20)"), "ri") && !reads(&l("ri_"), "ri"));
    }

    #[test]
    fn deep_expressions_fall_back_to_statements_within_stack_reach() {
        let terms: Vec<E> = (0..30).map(|i| E::Mul(vec![l(&format!("a{i}")), l(&format!("b{i}"))])).collect();
        let plan = Plan::new(&[E::Add(terms)], 0);
        let mut c = Code::new(0);
        plan.emit(&mut c, 3, &[], |c, _, v| c.line(format!("fold {v}")));
        let text = c.finish();
        assert!(text.contains("let e := 0") && text.contains("fold e"), "{text}");
        for line in text.lines() {
            let depth = line.matches("(").count();
            assert!(depth <= STACK_REACH, "{line}");
        }
    }
}
