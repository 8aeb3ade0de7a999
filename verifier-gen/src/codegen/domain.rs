//! Evaluations at the challenge `x` (steps 4-5 of the contract): `x^n`, the vanishing polynomial,
//! the Lagrange polynomials `l_last`, `l_blind`, `l_0`, the instance column's evaluation, and the
//! single batch inversion of every denominator, whose one inverse the proof carries as a hint
//! (checked with one `mulmod`; [`hint`] computes it off-chain).

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;

use super::layout::{Calldata, Memory, ProofLayout, PROOF_CD};
use super::shplonk::Shplonk;
use super::yul::{field_hex, h, mload, Code};
use super::Shape;
use crate::gas::UNROLL_INSTANCES;

/// Emits steps 4 and 5.
pub(super) fn emit(c: &mut Code, s: &Shape<'_>, p: &ProofLayout, cd: &Calldata, plan: &Shplonk, mem: &Memory) {
    let lag_rots = s.lagrange_rots();
    let lag_slots = mem.inv_lag_len;
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
    // l_last and l_0: their denominators x - w^r
    c.line(format!("mstore({}, addmod(x, {}, R))", h(mem.inv_lag), field_hex(&-s.omega_pow(lag_rots[0]))));
    c.line(format!("mstore({}, addmod(x, {}, R))", h(mem.inv_lag + 32 * (lag_slots - 1)), field_hex(&-Fr::ONE)));
    // l_blind = lc · sum_r w^r / (x - w^r) over the blinding rows, as one fraction bnum/bden
    // (bnum in l_blind's word until step 5; bden batch-inverted)
    let blind = &lag_rots[1..lag_rots.len() - 1];
    if let Some((first, rest)) = blind.split_first() {
        c.open("");
        c.line(format!("let bden := addmod(x, {}, R)", field_hex(&-s.omega_pow(*first))));
        c.line(format!("let bnum := {}", field_hex(&s.omega_pow(*first))));
        for r in rest {
            let w = s.omega_pow(*r);
            c.line(format!(
                "{{ let d := addmod(x, {}, R) bnum := addmod(mulmod(bnum, d, R), mulmod({}, bden, R), R) bden := mulmod(bden, d, R) }}",
                field_hex(&-w),
                field_hex(&w)
            ));
        }
        c.line(format!("mstore({}, bnum)", h(mem.lblind)));
        c.line(format!("mstore({}, bden)", h(mem.inv_lag + 32)));
        c.close();
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
    emit_batch_inversion(c, p, mem);

    c.comment("5. Lagrange evaluations l_last, l_blind, l_0 and the instance evaluation");
    c.open("");
    c.line(format!("let lc := {}", mload(mem.lc)));
    let w = s.omega_pow(lag_rots[0]);
    c.line(format!("mstore({}, mulmod(mulmod(lc, {}, R), {}, R))", h(mem.llast), field_hex(&w), mload(mem.inv_lag)));
    if lag_slots == 3 {
        c.line(format!("let lb := mulmod(mulmod({}, {}, R), lc, R)", mload(mem.lblind), mload(mem.inv_lag + 32)));
    } else {
        c.line("let lb := 0");
    }
    c.line(format!("mstore({}, lb)", h(mem.lblind)));
    c.line(format!("mstore({}, mulmod(lc, {}, R))", h(mem.l0), mload(mem.inv_lag + 32 * (lag_slots - 1))));
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

/// Inverts the `inv_len` words at `mem.inv` in place: prefix products, the proof's hint checked
/// to be the product's inverse (`acc · hint = 1`, which also rejects a zero product), then the
/// backward pass (both unrolled).
fn emit_batch_inversion(c: &mut Code, p: &ProofLayout, mem: &Memory) {
    let inv_len = mem.inv_len;
    c.comment("batch inversion (the inverse of the product is the proof's hint)");
    c.open("");
    c.line("let acc := 1");
    for i in 0..inv_len {
        c.line(format!("mstore({}, acc) acc := mulmod(acc, mload({}), R)", h(mem.pref + 32 * i), h(mem.inv + 32 * i)));
    }
    c.line(format!("let hint := calldataload({})", h(PROOF_CD + p.hint)));
    c.line("if iszero(eq(mulmod(acc, hint, R), 1)) { fail(5) }");
    c.line("acc := hint");
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

/// The hint: the inverse of the product of every denominator the contract batch-inverts
/// (`x − ω^r` per Lagrange rotation, `x^n − 1`, `x`, SHPLONK's `zdiff_0`, and `Π (x − ω^i)` over
/// the instances), with `x` and `u` replayed from the transcript exactly as the contract does.
/// `None` if the product is zero (the contract then rejects the proof whatever the hint).
pub(super) fn hint(s: &Shape<'_>, p: &ProofLayout, plan: &Shplonk, proof: &[u8], instances: &[Fr]) -> Option<Fr> {
    let ch = super::fiat_shamir::replay(s, p, proof, instances);
    let (x, u) = (ch.x, ch.u);
    let mut product = Fr::ONE;
    for r in s.lagrange_rots() {
        product *= x - s.omega_pow(r);
    }
    product *= x.pow_vartime([s.n]) - Fr::ONE;
    product *= x;
    product *= plan.zdiff0_value(s, x, u);
    let mut w = Fr::ONE;
    for _ in 0..s.num_instances {
        product *= x - w;
        w *= s.omega;
    }
    Option::from(product.invert())
}
