//! Solidity/Yul code generation for a halo2-axiom SHPLONK verifier.
//!
//! Everything structural (proof layout, transcript segments, query/rotation sets, memory layout) is
//! resolved here at generation time; the contract is straight-line Yul plus a few loops.
//!
//! * [`layout`]: byte offsets of the proof, the canonical calldata layout and the memory map.
//! * [`shplonk`]: the multi-open query plan (rotation sets, MSM bases) and the final KZG check.
//! * [`quotient`]: gate, permutation and lookup constraints, folded into the quotient evaluation.
//! * [`input`], [`fiat_shamir`], [`domain`]: the contract's first steps (calldata checks,
//!   transcript replay, vanishing/Lagrange evaluations and the batch inversion).
//! * [`yul`]: Yul literals, the expression AST and the line emitter; [`template`]: the contract shell.

mod domain;
mod fiat_shamir;
mod input;
mod layout;
mod optimise;
mod proof_check;
mod quotient;
mod shplonk;
mod template;
mod yul;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::{Any, Column, VerifyingKey};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::srs::SrsKind;
use crate::VerifierGenError;
use layout::{Calldata, Memory, ProofLayout};
pub use proof_check::{check_proof_bytes, ProofDefect};
use shplonk::Shplonk;
use yul::Code;

/// Generation options.
#[derive(Debug, Clone)]
pub struct VerifierOptions {
    /// Name of the generated contract.
    pub contract_name: String,
    /// Build the gas probe instead of the verifier: the same code, which returns the gas left
    /// before and after each step ([`crate::gas::GasSteps`]) instead of the verdict. For
    /// measuring where the gas goes (`zkinfer bench`); it accepts anything: never deploy it as a
    /// verifier.
    pub gas_probe: bool,
    /// Where the SRS comes from: the contract's `DEV_SRS` constant (default: development, so a
    /// caller that does not say gets a verifier registries refuse). Its `SRS_DIGEST` is computed
    /// from the params ([`crate::srs::srs_digest`]).
    pub srs: SrsKind,
    /// zkinfer's instance layout, `[model commitment, binding, inputs…, outputs…]`: the
    /// contract's `INPUT_INSTANCE_COUNT` and `OUTPUT_INSTANCE_COUNT`, which `VerifierRegistry`
    /// reads at registration (it refuses a verifier without them, the `None` default).
    pub instance_counts: Option<InstanceCounts>,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions { contract_name: "Halo2Verifier".to_string(), gas_probe: false, srs: SrsKind::default(), instance_counts: None }
    }
}

/// How many public instances of a zkinfer circuit are its input and its output: the instances
/// are `[model commitment, binding, inputs…, outputs…]`, so `2 + inputs + outputs` in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceCounts {
    /// Input instances (the input's values, its one commitment, or none).
    pub inputs: usize,
    /// Output instances (the output's values, its one commitment, or none).
    pub outputs: usize,
}

impl InstanceCounts {
    /// Instances before the input: the model commitment and the binding.
    pub const FIXED: usize = 2;

    /// All instances: `2 + inputs + outputs`.
    pub fn total(&self) -> usize {
        Self::FIXED + self.inputs + self.outputs
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

/// Generates the Solidity verifier for `vk` (proofs made with [`crate::KeccakTranscriptWrite`] and
/// SHPLONK) taking exactly `num_instances` public inputs in the single instance column.
pub fn generate(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    options: &VerifierOptions,
) -> Result<GeneratedVerifier, VerifierGenError> {
    let shape = Shape::new(params, vk, num_instances, options)?;
    let proof = ProofLayout::new(&shape);
    let cd = Calldata::new(proof.len, num_instances);
    let plan = Shplonk::plan(&shape, &proof, params.get_g()[0]);
    let mem = Memory::new(&shape, &plan);
    let constraints = quotient::constraints(&shape, &proof, &mem)?;

    let mut c = Code::new(3);
    // The gas probe keeps `gas()` before each step and after the last in variables declared
    // before `R` (so that no step's stack or memory use changes), and returns them at the end.
    let stamps = crate::gas::GasSteps::NAMES.len() + 1;
    let probe = options.gas_probe;
    let stamp = |c: &mut Code, i: usize| {
        if probe {
            c.line(format!("g{i} := gas() // gas probe"));
        }
    };
    if probe {
        c.line(format!("{} // gas probe", (1..stamps).map(|i| format!("let g{i} := 0")).collect::<Vec<_>>().join(" ")));
        c.line("let g0 := gas() // gas probe");
    }
    input::emit(&mut c, &proof, &cd); // 1-2
    stamp(&mut c, 1);
    fiat_shamir::emit(&mut c, &shape, &proof, &cd, &mem); // 3
    stamp(&mut c, 2);
    domain::emit(&mut c, &shape, &proof, &cd, &plan, &mem); // 4-5
    stamp(&mut c, 3);
    quotient::emit(&mut c, &constraints, &mem); // 6
    stamp(&mut c, 4);
    plan.emit_combination(&mut c, &shape, &mem); // 7
    stamp(&mut c, 5);
    plan.emit_msm(&mut c, &mem); // 8-9
    stamp(&mut c, 6);
    shplonk::emit_pairing(&mut c, params, &proof, &mem); // 10
    stamp(&mut c, 7);
    if probe {
        c.line((0..stamps).map(|i| format!("mstore({}, g{i})", yul::h(0x80 + 32 * i))).collect::<Vec<_>>().join(" "));
        c.line(format!("return(0x80, {})", yul::h(32 * stamps)));
    } else {
        c.line("return(0, 0x20)");
    }

    let srs_digest = crate::srs::srs_digest(params);
    if options.srs == SrsKind::Ceremony && srs_digest == crate::srs::DEV_SRS_DIGEST {
        return Err(VerifierGenError::Invalid("the SRS was declared a ceremony's, but it is zkinfer's development SRS (its points' digest is DEV_SRS_DIGEST)".into()));
    }
    let contract = template::Contract {
        name: &shape.name,
        circuit_info: template::circuit_info(&shape, proof.len, plan.num_ec_mul()),
        proof_length: proof.len,
        num_instances,
        vk_digest: shape.vk.transcript_repr(),
        srs_digest,
        dev_srs: options.srs.is_dev(),
        instance_counts: options.instance_counts,
        body: c.finish(),
    };
    let mut source = contract.render()?;
    if probe {
        source = format!("// GAS PROBE BUILD: returns gas stamps, not a verdict; it accepts any proof. Never deploy it as a verifier.\n{source}");
    }
    Ok(GeneratedVerifier {
        source,
        contract_name: shape.name.clone(),
        proof_len: proof.len,
        num_instances,
        calldata_len: cd.size,
        k: shape.k,
        num_ec_mul: plan.num_ec_mul(),
    })
}

/// The proof bytes the generated verifier takes: halo2's SHPLONK proof (made with
/// [`crate::KeccakTranscriptWrite`]) followed by the 32-byte inversion hint — the inverse of the
/// product of every denominator the verifier would otherwise invert with a `modexp` (~4k gas on
/// Osaka), which it checks with one `mulmod`.
pub fn with_hint(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    halo2_proof: &[u8],
    instances: &[Fr],
) -> Result<Vec<u8>, VerifierGenError> {
    let hint = inversion_hint(params, vk, halo2_proof, instances)?;
    let mut out = halo2_proof.to_vec();
    out.extend_from_slice(&crate::transcript::encode_scalar(&hint));
    Ok(out)
}

/// Checks the trailing inversion hint of `proof` (as [`with_hint`] appends it) against the one the
/// verifier requires, and returns the halo2 proof before it: native verification then accepts
/// exactly the bytes the Solidity verifier accepts. Run it after halo2's verification of the rest
/// (see `zkinfer_prover::proving::verify`): the hint depends on every byte and instance, so
/// checked first it would blame the hint for any change.
pub fn check_hint<'p>(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &'p [u8],
    instances: &[Fr],
) -> Result<&'p [u8], ProofDefect> {
    let split = proof.len().checked_sub(32).ok_or(ProofDefect::Length { expected: 32, actual: proof.len() })?;
    let (halo2_proof, hint) = proof.split_at(split);
    let expected = inversion_hint(params, vk, halo2_proof, instances).map_err(|e| match e {
        VerifierGenError::Invalid(m) if m.contains("denominator zero") => ProofDefect::ZeroDenominator,
        e => ProofDefect::Key(e.to_string()),
    })?;
    if hint != crate::transcript::encode_scalar(&expected) {
        return Err(ProofDefect::Hint { offset: split });
    }
    Ok(halo2_proof)
}

/// The inversion hint of a halo2 proof (see [`with_hint`]). Fails if the proof has the wrong
/// length for `vk` or makes every hint wrong (a zero denominator: the verifier rejects it anyway).
pub fn inversion_hint(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    halo2_proof: &[u8],
    instances: &[Fr],
) -> Result<Fr, VerifierGenError> {
    let shape = Shape::new(params, vk, instances.len(), &VerifierOptions::default())?;
    let layout = ProofLayout::new(&shape);
    if halo2_proof.len() != layout.hint {
        return Err(VerifierGenError::Invalid(format!("a proof for this key has {} bytes before the hint, not {}", layout.hint, halo2_proof.len())));
    }
    let plan = Shplonk::plan(&shape, &layout, params.get_g()[0]);
    domain::hint(&shape, &layout, &plan, halo2_proof, instances)
        .ok_or_else(|| VerifierGenError::Invalid("the proof's challenges make a denominator zero".into()))
}

/// The circuit facts the generator uses, read from the verifying key once every unsupported
/// feature and inconsistent input has been refused.
struct Shape<'a> {
    vk: &'a VerifyingKey<G1Affine>,
    /// Contract name (a Solidity identifier).
    name: String,
    k: u32,
    /// `2^k`.
    n: u64,
    /// Blinding rows.
    blinding: usize,
    /// Constraint degree (>= 3).
    degree: usize,
    omega: Fr,
    omega_inv: Fr,
    num_instances: usize,
    /// `(column, rotation)` of every advice query, in the key's order.
    advice_q: Vec<(usize, i32)>,
    /// `(column, rotation)` of every fixed query, in the key's order.
    fixed_q: Vec<(usize, i32)>,
    has_instance_query: bool,
    num_advice: usize,
    num_lookups: usize,
    perm_cols: Vec<Column<Any>>,
    /// Columns per permutation set (`degree - 2`).
    perm_chunk: usize,
    perm_sets: usize,
    /// Pieces of the quotient polynomial `h`.
    quotient_pieces: usize,
}

impl<'a> Shape<'a> {
    /// Checks the inputs and refuses every unsupported circuit feature.
    fn new(
        params: &ParamsKZG<Bn256>,
        vk: &'a VerifyingKey<G1Affine>,
        num_instances: usize,
        options: &VerifierOptions,
    ) -> Result<Self, VerifierGenError> {
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
        if let Some(c) = options.instance_counts {
            if c.total() != num_instances {
                return Err(Invalid(format!(
                    "instance counts: 2 + {} inputs + {} outputs = {} instances, the verifier takes {num_instances}",
                    c.inputs,
                    c.outputs,
                    c.total()
                )));
            }
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
        let blinding = cs.blinding_factors();
        if num_instances as u64 > n - (blinding as u64 + 1) {
            return Err(Invalid(format!("{num_instances} instances do not fit in 2^{k} rows")));
        }
        let degree = cs.degree();
        if degree < 3 {
            return Err(Unsupported(format!("constraint degree {degree} < 3")));
        }
        let perm_cols = cs.permutation().get_columns();
        let perm_chunk = degree - 2;
        if vk.permutation().commitments().len() != perm_cols.len() {
            return Err(Invalid("permutation commitments do not match the permutation columns".into()));
        }
        Ok(Shape {
            vk,
            name: name.clone(),
            k,
            n,
            blinding,
            degree,
            omega: domain.get_omega(),
            omega_inv: domain.get_omega_inv(),
            num_instances,
            advice_q: cs.advice_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
            fixed_q: cs.fixed_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
            has_instance_query: !cs.instance_queries().is_empty(),
            num_advice: cs.num_advice_columns(),
            num_lookups: cs.lookups().len(),
            perm_sets: perm_cols.len().div_ceil(perm_chunk),
            perm_cols,
            perm_chunk,
            quotient_pieces: domain.get_quotient_poly_degree(),
        })
    }

    /// `omega^rot` (negative rotations via `omega^-1`).
    fn omega_pow(&self, rot: i32) -> Fr {
        if rot >= 0 {
            self.omega.pow_vartime([rot as u64])
        } else {
            self.omega_inv.pow_vartime([rot.unsigned_abs() as u64])
        }
    }

    /// Rotation of the last usable row, `-(blinding + 1)`.
    fn last_rot(&self) -> i32 {
        -((self.blinding + 1) as i32)
    }

    /// Rotations whose Lagrange polynomials the verifier evaluates: `last_rot()..=0`
    /// (`l_last`, the blinding rows, `l_0`).
    fn lagrange_rots(&self) -> Vec<i32> {
        (self.last_rot()..=0).collect()
    }
}
