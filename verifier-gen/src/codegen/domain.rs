//! Evaluations at the challenge `x` (steps 4-5 of the contract): `x^n`, the vanishing polynomial,
//! the Lagrange polynomials `l_last`, `l_blind`, `l_0`, the instance column's evaluation, and the
//! single batch inversion (one modexp) of every denominator.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;

use super::layout::{Calldata, Memory};
use super::shplonk::Shplonk;
use super::yul::{field_hex, h, mload, Code};
use super::Shape;
use crate::gas::UNROLL_INSTANCES;

/// Emits steps 4 and 5.
pub(super) fn emit(c: &mut Code, s: &Shape<'_>, cd: &Calldata, plan: &Shplonk, mem: &Memory) {
    let lag_rots = s.lagrange_rots();
    c.comment("4. powers of x, Lagrange denominators, SHPLONK point differences, batch inversion");
    c.open("");
    c.line(format!("let x := {}", mload(mem.x)));
    c.line("let xn := x");
    for _ in 0..s.k {
        c.line("xn := mulmod(xn, xn, R)");
    }
    c.line(format!("mstore({}, xn)", h(mem.xn)));
    c.line(format!("mstore({}, mulmod(x, {}, R))", h(mem.beta_x), mload(mem.beta)));
    c.line(format!("let xn1 := addmod(xn, {}, R)", field_hex(&-Fr::ONE)));
    c.line(format!(
        "mstore({}, mulmod(xn1, {}, R))",
        h(mem.lc),
        field_hex(&Fr::from(s.n).invert().expect("n != 0"))
    ));
    for (i, r) in lag_rots.iter().enumerate() {
        let w = s.omega_pow(*r);
        c.line(format!("mstore({}, addmod(x, {}, R))", h(mem.inv_lag + 32 * i), field_hex(&(-w))));
    }
    c.line(format!("mstore({}, xn1)", h(mem.inv_xn1)));
    c.line(format!("mstore({}, x)", h(mem.inv_x)));
    plan.emit_point_differences(c, s, mem);
    if s.num_instances > 0 {
        c.comment("instance evaluation: sum_i inst_i * w^i / (x - w^i), as one fraction num/den");
        c.line("let num := 0");
        c.line("let den := 1");
        if s.num_instances <= UNROLL_INSTANCES {
            // Unrolled: w^i and -w^i are constants.
            let mut w = Fr::ONE;
            for i in 0..s.num_instances {
                let p = h(cd.inst + 32 * i);
                c.line(format!(
                    "{{ let d := addmod(x, {}, R) num := addmod(mulmod(num, d, R), mulmod(mulmod(calldataload({p}), {}, R), den, R), R) den := mulmod(den, d, R) }}",
                    field_hex(&-w),
                    field_hex(&w)
                ));
                w *= s.omega;
            }
        } else {
            c.line("let w := 1");
            c.open(format!("for {{ let p := {} }} lt(p, {}) {{ p := add(p, 0x20) }}", h(cd.inst), h(cd.size)));
            c.line("let d := addmod(x, sub(R, w), R)");
            c.line("num := addmod(mulmod(num, d, R), mulmod(mulmod(calldataload(p), w, R), den, R), R)");
            c.line("den := mulmod(den, d, R)");
            c.line(format!("w := mulmod(w, {}, R)", field_hex(&s.omega)));
            c.close();
        }
        c.line(format!("mstore({}, num)", h(mem.inst_num)));
        c.line(format!("mstore({}, den)", h(mem.inv_den)));
    }
    c.close();
    emit_batch_inversion(c, mem);

    c.comment("5. Lagrange evaluations l_last, l_blind, l_0 and the instance evaluation");
    c.open("");
    c.line(format!("let lc := {}", mload(mem.lc)));
    let w = s.omega_pow(lag_rots[0]);
    c.line(format!("mstore({}, mulmod(mulmod(lc, {}, R), {}, R))", h(mem.llast), field_hex(&w), mload(mem.inv_lag)));
    c.line("let lb := 0");
    for (i, r) in lag_rots.iter().enumerate().skip(1).take(s.blinding) {
        let w = s.omega_pow(*r);
        c.line(format!("lb := addmod(lb, mulmod({}, {}, R), R)", field_hex(&w), mload(mem.inv_lag + 32 * i)));
    }
    c.line("lb := mulmod(lb, lc, R)");
    c.line(format!("mstore({}, lb)", h(mem.lblind)));
    c.line(format!("mstore({}, mulmod(lc, {}, R))", h(mem.l0), mload(mem.inv_lag + 32 * (lag_rots.len() - 1))));
    c.line(format!("mstore({}, addmod(1, sub(R, addmod({}, lb, R)), R))", h(mem.active), mload(mem.llast)));
    if s.num_instances > 0 {
        c.line(format!(
            "mstore({}, mulmod(mulmod({}, {}, R), lc, R))",
            h(mem.inst_eval),
            mload(mem.inst_num),
            mload(mem.inv_den)
        ));
    } else {
        c.line(format!("mstore({}, 0)", h(mem.inst_eval)));
    }
    plan.emit_xinv_powers(c, mem);
    c.close();
}

/// Inverts the `inv_len` words at `mem.inv` in place: prefix products, one modexp
/// (`acc^(r-2)`, reverting on zero), then the backward pass (both unrolled).
fn emit_batch_inversion(c: &mut Code, mem: &Memory) {
    let inv_len = mem.inv_len;
    c.comment("batch inversion (one modexp)");
    c.open("");
    c.line("let acc := 1");
    for i in 0..inv_len {
        c.line(format!("mstore({}, acc) acc := mulmod(acc, mload({}), R)", h(mem.pref + 32 * i), h(mem.inv + 32 * i)));
    }
    c.line("if iszero(acc) { fail(5) }");
    c.line(format!("mstore({}, 0x20)", h(mem.pair)));
    c.line(format!("mstore({}, 0x20)", h(mem.pair + 0x20)));
    c.line(format!("mstore({}, 0x20)", h(mem.pair + 0x40)));
    c.line(format!("mstore({}, acc)", h(mem.pair + 0x60)));
    c.line(format!("mstore({}, {})", h(mem.pair + 0x80), field_hex(&(-Fr::from(2u64)))));
    c.line(format!("mstore({}, R)", h(mem.pair + 0xa0)));
    c.line(format!("if iszero(staticcall(gas(), 0x05, {}, 0xc0, {}, 0x20)) {{ fail(6) }}", h(mem.pair), h(mem.pair)));
    c.line(format!("acc := mload({})", h(mem.pair)));
    for i in (0..inv_len).rev() {
        let (inv, pref) = (h(mem.inv + 32 * i), h(mem.pref + 32 * i));
        if i > 0 {
            c.line(format!("{{ let a := mload({inv}) mstore({inv}, mulmod(acc, mload({pref}), R)) acc := mulmod(acc, a, R) }}"));
        } else {
            c.line(format!("mstore({inv}, mulmod(acc, mload({pref}), R))"));
        }
    }
    c.close();
}
