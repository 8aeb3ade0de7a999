//! Multivariate polynomials over BN254's scalar field in a circuit's cells: a gate's constraint
//! on one row, with its fixed columns and selectors substituted.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};

/// A cell variable: an index into the audit's variable table.
pub type Var = u32;

/// Most variables in one monomial (gates have degree at most 5, and selectors and fixed columns
/// are constants here).
pub const MAX_DEGREE: usize = 7;

/// A monomial: a sorted list of variables, repeated for powers (a product of more than
/// [`MAX_DEGREE`] variables keeps the first ones and is marked [`Mono::truncated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mono {
    len: u8,
    truncated: bool,
    vars: [Var; MAX_DEGREE],
}

impl Mono {
    const ONE: Mono = Mono { len: 0, truncated: false, vars: [0; MAX_DEGREE] };
    /// Its variables, sorted.
    pub fn as_slice(&self) -> &[Var] {
        &self.vars[..self.len as usize]
    }
    /// Whether a product overflowed [`MAX_DEGREE`] (the audit then treats the polynomial as
    /// opaque: no rule uses it).
    pub fn truncated(&self) -> bool {
        self.truncated
    }
    fn of(vars: &[Var], truncated: bool) -> Self {
        let mut m = Mono { truncated: truncated || vars.len() > MAX_DEGREE, ..Self::ONE };
        let n = vars.len().min(MAX_DEGREE);
        m.vars[..n].copy_from_slice(&vars[..n]);
        m.vars[..n].sort_unstable();
        m.len = n as u8;
        m
    }
    fn times(&self, other: &Mono) -> Mono {
        let mut all = [0 as Var; 2 * MAX_DEGREE];
        let (a, b) = (self.as_slice(), other.as_slice());
        all[..a.len()].copy_from_slice(a);
        all[a.len()..a.len() + b.len()].copy_from_slice(b);
        Mono::of(&all[..a.len() + b.len()], self.truncated || other.truncated)
    }
}

impl PartialOrd for Mono {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Mono {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice()).then(self.truncated.cmp(&other.truncated))
    }
}

/// A sum of monomials with nonzero coefficients, sorted by monomial.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Poly {
    terms: Vec<(Mono, Fr)>,
}

impl Poly {
    /// The constant `c`.
    pub fn constant(c: Fr) -> Self {
        let mut p = Self::default();
        if c != Fr::ZERO {
            p.terms.push((Mono::ONE, c));
        }
        p
    }
    /// The variable `v`.
    pub fn var(v: Var) -> Self {
        Self { terms: vec![(Mono::of(&[v], false), Fr::ONE)] }
    }
    /// Whether it is the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }
    /// Its monomials and coefficients.
    pub fn terms(&self) -> &[(Mono, Fr)] {
        &self.terms
    }
    /// The constant term.
    pub fn constant_term(&self) -> Fr {
        self.terms.first().filter(|(m, _)| m.len == 0).map_or(Fr::ZERO, |(_, c)| *c)
    }
    /// Whether it has no variables.
    pub fn is_constant(&self) -> bool {
        self.terms.iter().all(|(m, _)| m.len == 0)
    }

    fn normalise(mut terms: Vec<(Mono, Fr)>) -> Self {
        terms.sort_by_key(|t| t.0);
        let mut out: Vec<(Mono, Fr)> = Vec::with_capacity(terms.len());
        for (m, c) in terms {
            match out.last_mut() {
                Some((lm, lc)) if *lm == m => *lc += c,
                _ => out.push((m, c)),
            }
        }
        out.retain(|(_, c)| *c != Fr::ZERO);
        Self { terms: out }
    }

    fn sum(self, other: Self) -> Self {
        if other.is_zero() {
            return self;
        }
        if self.is_zero() {
            return other;
        }
        let mut t = self.terms;
        t.extend(other.terms);
        Self::normalise(t)
    }
    /// `c · self`.
    pub fn scale(mut self, c: Fr) -> Self {
        if c == Fr::ZERO {
            return Self::default();
        }
        self.terms.iter_mut().for_each(|(_, k)| *k *= c);
        self
    }
    /// `self · other`.
    pub fn mul(&self, other: &Self) -> Self {
        if self.is_zero() || other.is_zero() {
            return Self::default();
        }
        let mut t = Vec::with_capacity(self.terms.len() * other.terms.len());
        for (ma, ca) in &self.terms {
            for (mb, cb) in &other.terms {
                t.push((ma.times(mb), *ca * cb));
            }
        }
        Self::normalise(t)
    }

    /// The distinct variables, sorted.
    pub fn vars(&self) -> Vec<Var> {
        let mut v: Vec<Var> = self.terms.iter().flat_map(|(m, _)| m.as_slice().iter().copied()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether `v` occurs in it.
    pub fn mentions(&self, v: Var) -> bool {
        self.terms.iter().any(|(m, _)| m.as_slice().contains(&v))
    }

    /// `Some(c)` when `v` occurs only in the monomial `v` itself, with coefficient `c`: the
    /// polynomial is `c·v + (terms without v)`.
    pub fn linear_coefficient(&self, v: Var) -> Option<Fr> {
        let mut coefficient = None;
        for (m, c) in &self.terms {
            if m.as_slice().contains(&v) {
                if m.len != 1 || m.truncated || coefficient.is_some() {
                    return None;
                }
                coefficient = Some(*c);
            }
        }
        coefficient
    }

    /// Substitutes every variable through `f` (e.g. to a copy class's representative).
    pub fn rename(&self, f: impl Fn(Var) -> Var) -> Self {
        Self::normalise(
            self.terms
                .iter()
                .map(|(m, c)| {
                    let mut vars = [0 as Var; MAX_DEGREE];
                    for (slot, v) in vars.iter_mut().zip(m.as_slice()) {
                        *slot = f(*v);
                    }
                    (Mono::of(&vars[..m.len as usize], m.truncated), *c)
                })
                .collect(),
        )
    }

    /// The value at `value(v)` for every variable.
    pub fn eval(&self, value: impl Fn(Var) -> Fr) -> Fr {
        self.terms.iter().fold(Fr::ZERO, |acc, (m, c)| acc + m.as_slice().iter().fold(*c, |p, v| p * value(*v)))
    }
}

impl std::ops::Add for Poly {
    type Output = Poly;
    fn add(self, other: Poly) -> Poly {
        self.sum(other)
    }
}

impl std::ops::Neg for Poly {
    type Output = Poly;
    fn neg(mut self) -> Poly {
        self.terms.iter_mut().for_each(|(_, c)| *c = -*c);
        self
    }
}

/// A field element as a small signed integer (`|v| < 2^126`), if it is one.
pub fn small_int(f: Fr) -> Option<i128> {
    let fits = |x: Fr| -> Option<u128> {
        let repr = x.to_repr();
        let bytes = repr.as_ref();
        if bytes[16..].iter().any(|b| *b != 0) {
            return None;
        }
        let mut lo = [0u8; 16];
        lo.copy_from_slice(&bytes[..16]);
        let v = u128::from_le_bytes(lo);
        (v < 1 << 126).then_some(v)
    };
    if let Some(v) = fits(f) {
        return i128::try_from(v).ok();
    }
    fits(-f).and_then(|v| i128::try_from(v).ok()).map(|v| -v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn products_merge_and_cancel() {
        let (a, b) = (Poly::var(0), Poly::var(1));
        // (a + b)(a − b) = a² − b²
        let p = (a.clone() + b.clone()).mul(&(a.clone() + -b.clone()));
        assert_eq!(p.terms().len(), 2);
        assert_eq!(p.linear_coefficient(0), None);
        let q = a.clone().scale(Fr::from(3)) + b.mul(&a) + Poly::constant(Fr::ONE);
        assert_eq!(q.linear_coefficient(0), None, "a also occurs in a·b");
        let r = Poly::var(2).scale(Fr::from(5)) + Poly::var(0).mul(&Poly::var(1));
        assert_eq!(r.linear_coefficient(2), Some(Fr::from(5)));
        assert_eq!(r.eval(|v| Fr::from(u64::from(v) + 1)), Fr::from(17));
        assert_eq!(small_int(-Fr::from(7)), Some(-7));
        assert_eq!(small_int(Fr::from(2).pow_vartime([200])), None);
    }
}
