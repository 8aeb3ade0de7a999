//! Input validation (steps 1-2 of the contract): the Yul helper functions, the canonical calldata
//! layout check, and the range checks of instances, proof scalars and proof points.

use super::layout::{Calldata, ProofLayout, PROOF_CD};
use super::yul::{h, Code};

/// Emits `R`, the helpers `fail`, `checkPoints`, `checkScalars`, and steps 1-2.
pub(super) fn emit(c: &mut Code, p: &ProofLayout, cd: &Calldata) {
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
    c.line(format!("if iszero(eq(calldatasize(), {})) {{ fail(1) }}", h(cd.size)));
    c.line(format!(
        "if iszero(and(and(eq(calldataload(0x04), 0x40), eq(calldataload(0x24), {})), and(eq(calldataload(0x44), {}), eq(calldataload({}), {})))) {{ fail(2) }}",
        h(0x60 + p.len),
        h(p.len),
        h(cd.inst_len),
        h(cd.num_instances)
    ));
    c.comment("2. range checks: instances < r, proof scalars < r, proof points on the curve");
    c.line(format!("checkScalars({}, {})", h(cd.inst), h(cd.size)));
    c.line(format!("checkPoints({}, {})", h(PROOF_CD), h(PROOF_CD + p.points_end)));
    c.line(format!("checkScalars({}, {})", h(PROOF_CD + p.points_end), h(PROOF_CD + p.scalars_end)));
    c.line(format!("checkPoints({}, {})", h(PROOF_CD + p.scalars_end), h(PROOF_CD + p.len)));
}
