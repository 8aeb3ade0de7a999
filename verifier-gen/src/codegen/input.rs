//! Input validation (steps 1-2 of the contract): the Yul helper functions, the canonical calldata
//! layout check, and the range checks of instances, proof scalars and proof points.

use super::layout::{Calldata, ProofLayout, PROOF_CD};
use super::yul::{h, Code};

/// Emits `R`, the helper `fail`, and steps 1-2 (unrolled: the proof and instance layout is fixed,
/// so every check is straight-line code folding into one flag per failure code).
pub(super) fn emit(c: &mut Code, p: &ProofLayout, cd: &Calldata) {
    c.line("let R := 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
    c.open("function fail(code)");
    c.line("mstore(0, code)");
    c.line("revert(0, 0x20)");
    c.close();

    c.comment("1. canonical calldata layout: exact size, offsets and lengths");
    c.line(format!("if iszero(eq(calldatasize(), {})) {{ fail(1) }}", h(cd.size)));
    c.line(format!(
        "if iszero(and(and(eq(calldataload(0x04), 0x40), eq(calldataload(0x24), {})), and(eq(calldataload(0x44), {}), eq(calldataload({}), {})))) {{ fail(2) }}",
        h(0x60 + p.len),
        h(p.len),
        h(cd.inst_len),
        h(cd.num_instances)
    ));
    c.comment("2. range checks: instances and proof scalars < r; proof points on the curve, coordinates < q");
    c.open("");
    c.line("let ok := 1");
    let scalars = (cd.inst..cd.size)
        .step_by(32)
        .chain((PROOF_CD + p.points_end..PROOF_CD + p.scalars_end).step_by(32))
        .chain([PROOF_CD + p.hint]);
    // nested `and`s, a few per statement: no assignment per check, bounded stack
    let scalars: Vec<usize> = scalars.collect();
    for group in scalars.chunks(6) {
        let mut e = "ok".to_string();
        for o in group.iter().rev() {
            e = format!("and(lt(calldataload({}), R), {e})", h(*o));
        }
        c.line(format!("ok := {e}"));
    }
    c.line("if iszero(ok) { fail(4) }");
    c.line("let q := 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47");
    let points = (PROOF_CD..PROOF_CD + p.points_end).step_by(64).chain((PROOF_CD + p.scalars_end..PROOF_CD + p.hint).step_by(64));
    for o in points {
        // (0, 0) is not on y^2 = x^3 + 3, so the curve equation also rejects the identity encoding.
        c.line(format!(
            "{{ let x := calldataload({}) let y := calldataload({}) ok := and(ok, and(and(lt(x, q), lt(y, q)), eq(mulmod(y, y, q), addmod(mulmod(x, mulmod(x, x, q), q), 3, q)))) }}",
            h(o),
            h(o + 32)
        ));
    }
    c.line("if iszero(ok) { fail(3) }");
    c.close();
}
