//! The generated verifier's revert codes: `verifyProof` reverts with one bare 32-byte word (no
//! selector) for malformed input, and returns `false` only when the final pairing check fails.
//! This table is the one source of truth: the template's NatSpec is rendered from it, the
//! relayer and the CLI decode reverts with it.

/// `(code, meaning)` of every code `verifyProof` can revert with (the Yul `fail(code)` calls).
pub const REVERT_CODES: &[(u8, &str)] = &[
    (1, "calldata size: not the exact size of verifyProof(proof, instances) for this circuit (wrong proof length or instance count)"),
    (2, "ABI layout: the offsets or lengths of proof and instances are not canonical"),
    (3, "a proof point is not on the curve or a coordinate is not canonical (>= q)"),
    (4, "a proof scalar or a public instance is not a field element (>= r)"),
    (5, "degenerate challenge or wrong inversion hint (the proof's last 32 bytes)"),
    (7, "ecMul/ecAdd precompile failure (multi-scalar multiplication)"),
    (8, "pairing precompile failure"),
];

/// The meaning of a revert code, if it is one of [`REVERT_CODES`].
pub fn revert_code_meaning(code: u64) -> Option<&'static str> {
    REVERT_CODES.iter().find(|(c, _)| u64::from(*c) == code).map(|(_, m)| *m)
}

/// The code in raw revert data: exactly one 32-byte word holding a known code.
pub fn revert_code_of(data: &[u8]) -> Option<(u8, &'static str)> {
    if data.len() != 32 || data[..31].iter().any(|b| *b != 0) {
        return None;
    }
    revert_code_meaning(u64::from(data[31])).map(|m| (data[31], m))
}

/// The NatSpec lines listing the codes (indented for the template).
pub(crate) fn natspec() -> String {
    REVERT_CODES.iter().map(|(c, m)| format!("    ///   {c}: {m}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `fail(N)` the code generator emits is in the table (and so in the NatSpec).
    #[test]
    fn every_emitted_code_is_documented() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/codegen");
        let mut seen = Vec::new();
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let src = std::fs::read_to_string(e.path()).unwrap_or_default();
            for part in src.split("fail(").skip(1) {
                if let Some(n) = part.split(')').next().and_then(|n| n.parse::<u64>().ok()) {
                    seen.push(n);
                }
            }
        }
        assert!(seen.len() >= 7, "{seen:?}");
        for n in seen {
            assert!(revert_code_meaning(n).is_some(), "fail({n}) is emitted but not in REVERT_CODES");
        }
        let mut word = [0u8; 32];
        word[31] = 3;
        assert!(revert_code_of(&word).is_some_and(|(c, m)| c == 3 && m.contains("curve")));
        word[0] = 1;
        assert!(revert_code_of(&word).is_none());
    }
}
