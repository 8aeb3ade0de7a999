//! Yul emission primitives: literal formatting, a tiny expression AST over Yul leaves, and the
//! line emitter (expressions are lowered by [`super::optimise`]).

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;

/// Yul literal of a field element (`Fr` or `Fq`): minimal big-endian hex, `0` for zero.
pub(super) fn field_hex<F: PrimeField>(f: &F) -> String {
    let mut b = [0u8; 32];
    b.copy_from_slice(f.to_repr().as_ref());
    b.reverse();
    u256_hex(&b)
}

/// Yul literal of a 32-byte big-endian word: minimal hex, `0` for zero.
pub(super) fn u256_hex(be: &[u8; 32]) -> String {
    let s = hex::encode(be);
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        format!("0x{t}")
    }
}

/// Yul hex literal of an offset/size.
pub(super) fn h(v: usize) -> String {
    format!("0x{v:x}")
}

/// `mload` of a fixed memory address.
pub(super) fn mload(a: usize) -> String {
    format!("mload({})", h(a))
}

/// Arithmetic (mod R) expression over Yul leaves.
#[derive(Clone, Debug)]
pub(super) enum E {
    /// A Yul leaf: a variable, `mload(..)` or `calldataload(..)`.
    L(String),
    /// A constant.
    C(Fr),
    Add(Vec<E>),
    Mul(Vec<E>),
    Neg(Box<E>),
}

impl E {
    pub(super) fn l(s: impl Into<String>) -> E {
        E::L(s.into())
    }
    pub(super) fn add(a: E, b: E) -> E {
        let mut v = vec![];
        for x in [a, b] {
            match x {
                E::Add(xs) => v.extend(xs),
                x => v.push(x),
            }
        }
        E::Add(v)
    }
    pub(super) fn mul(a: E, b: E) -> E {
        let mut v = vec![];
        for x in [a, b] {
            match x {
                E::Mul(xs) => v.extend(xs),
                x => v.push(x),
            }
        }
        E::Mul(v)
    }
    pub(super) fn sub(a: E, b: E) -> E {
        E::add(a, E::Neg(Box::new(b)))
    }
    pub(super) fn c(f: Fr) -> E {
        E::C(f)
    }
}

/// Indented Yul lines.
#[derive(Default)]
pub(super) struct Code {
    lines: Vec<String>,
    indent: usize,
}

impl Code {
    /// An empty body starting at `indent` levels.
    pub(super) fn new(indent: usize) -> Self {
        Code { indent, ..Default::default() }
    }
    /// The emitted lines, newline-separated.
    pub(super) fn finish(self) -> String {
        self.lines.join("\n")
    }
    pub(super) fn line(&mut self, s: impl AsRef<str>) {
        let pad = "    ".repeat(self.indent);
        self.lines.push(format!("{pad}{}", s.as_ref()));
    }
    pub(super) fn open(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref();
        if s.is_empty() {
            self.line("{");
        } else {
            self.line(format!("{s} {{"));
        }
        self.indent += 1;
    }
    pub(super) fn close(&mut self) {
        self.indent -= 1;
        self.line("}");
    }
    pub(super) fn comment(&mut self, s: impl AsRef<str>) {
        self.line(format!("// {}", s.as_ref()));
    }
}
