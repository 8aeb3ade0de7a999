//! Where the gas of a `verifyProof` transaction goes.
//!
//! The generated verifier's cost is dominated by a handful of items whose prices are fixed by the
//! protocol (EIP-2028 calldata, EIP-1108 BN254 precompiles), so they are computed exactly from the
//! calldata and the verifier's structure; whatever a measured transaction costs beyond them is the
//! verifier's own execution (transcript hashing, the quotient evaluation, the batch inversion's
//! memory, call overhead), reported as `execution`. The batch inversion costs no `modexp`: its
//! inverse is a 32-byte hint in the proof, checked with one `mulmod`.

use serde::Serialize;

use crate::GeneratedVerifier;

/// Intrinsic gas of every transaction.
pub const TX_BASE: u64 = 21_000;
/// Calldata gas per zero byte (EIP-2028).
pub const CALLDATA_ZERO_BYTE: u64 = 4;
/// Calldata gas per non-zero byte (EIP-2028).
pub const CALLDATA_NONZERO_BYTE: u64 = 16;
/// `ecMul` (0x07) price (EIP-1108).
pub const EC_MUL: u64 = 6_000;
/// `ecAdd` (0x06) price (EIP-1108).
pub const EC_ADD: u64 = 150;
/// `ecPairing` (0x08) price for two pairs (EIP-1108: 45,000 + 34,000 per pair).
pub const PAIRING_TWO_PAIRS: u64 = 45_000 + 2 * 34_000;

/// Calldata gas of `data` (EIP-2028 pricing).
pub fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { CALLDATA_ZERO_BYTE } else { CALLDATA_NONZERO_BYTE }).sum()
}

/// Gas of one `verifyProof` transaction, by item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GasBreakdown {
    /// Measured `gasUsed` of the transaction.
    pub total: u64,
    /// Intrinsic transaction gas.
    pub tx_base: u64,
    /// Calldata (proof, instances, ABI head).
    pub calldata: u64,
    /// The SHPLONK MSM: one `ecMul` per base but the first.
    pub ec_mul: u64,
    /// The MSM's `ecAdd`s.
    pub ec_add: u64,
    /// The final two-pair pairing.
    pub pairing: u64,
    /// Everything else the verifier executes (`total` minus the items above).
    pub execution: u64,
    /// Number of `ecMul` calls.
    pub ec_mul_count: usize,
}

impl GasBreakdown {
    /// Splits a measured total for `calldata` sent to verifier `v`.
    pub fn of(v: &GeneratedVerifier, calldata: &[u8], total: u64) -> Self {
        let calldata = calldata_gas(calldata);
        let ec_mul = EC_MUL * v.num_ec_mul as u64;
        let ec_add = EC_ADD * v.num_ec_mul as u64;
        let fixed = TX_BASE + calldata + ec_mul + ec_add + PAIRING_TWO_PAIRS;
        GasBreakdown {
            total,
            tx_base: TX_BASE,
            calldata,
            ec_mul,
            ec_add,
            pairing: PAIRING_TWO_PAIRS,
            execution: total.saturating_sub(fixed),
            ec_mul_count: v.num_ec_mul,
        }
    }
}

/// Access cost of a call to a (warm) precompile (EIP-2929).
pub const PRECOMPILE_CALL: u64 = 100;
/// Execution model of the generated code (opcodes only, fitted on the benchmark suite's
/// verifiers, `docs/bench/`): a base, plus per proof evaluation (range check, calldata reads, the
/// quotient and SHPLONK arithmetic), per MSM base (loading it) and per public instance (range
/// check, transcript, the evaluation of the instance column). With calldata priced as all
/// non-zero bytes the prediction errs high, by 0.5k-2.5k gas on the suite (more with many small
/// instances), never low: a layout predicted within a budget is within it.
pub const EXEC_BASE: u64 = 5_500;
/// See [`EXEC_BASE`].
pub const EXEC_PER_EVALUATION: u64 = 330;
/// See [`EXEC_BASE`].
pub const EXEC_PER_BASE: u64 = 60;
/// See [`EXEC_BASE`] (unrolled instance evaluation, up to [`UNROLL_INSTANCES`]).
pub const EXEC_PER_INSTANCE: u64 = 140;
/// See [`EXEC_BASE`] (the instance evaluation as a loop, above [`UNROLL_INSTANCES`]).
pub const EXEC_PER_INSTANCE_LOOP: u64 = 270;
/// Up to this many instances the generator unrolls the instance evaluation (about 40 bytes of
/// code each); above it, a loop keeps the code small.
pub const UNROLL_INSTANCES: usize = 128;

/// What a verifier's gas depends on, known before key generation (from the constraint system).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierCost {
    /// Bases of the SHPLONK MSM (commitments of the proof and of the key, `G1`, `W`, `W'`).
    pub msm_bases: usize,
    /// Proof bytes.
    pub proof_bytes: usize,
    /// Evaluations in the proof.
    pub evaluations: usize,
    /// Public instances.
    pub instances: usize,
}

impl VerifierCost {
    /// Predicted `gasUsed` of a `verifyProof` transaction. Calldata is priced as all non-zero
    /// bytes but the ABI head: small instance values have zero bytes, so this errs high.
    pub fn predicted_gas(&self) -> u64 {
        let calldata_bytes = (self.proof_bytes.div_ceil(32) * 32 + 32 * self.instances) as u64;
        let ec_muls = self.msm_bases.saturating_sub(1) as u64;
        TX_BASE
            + 0x84 * CALLDATA_ZERO_BYTE
            + calldata_bytes * CALLDATA_NONZERO_BYTE
            + ec_muls * (EC_MUL + EC_ADD + 2 * PRECOMPILE_CALL)
            + PAIRING_TWO_PAIRS
            + PRECOMPILE_CALL
            + EXEC_BASE
            + EXEC_PER_EVALUATION * self.evaluations as u64
            + EXEC_PER_BASE * self.msm_bases as u64
            + if self.instances <= UNROLL_INSTANCES { EXEC_PER_INSTANCE } else { EXEC_PER_INSTANCE_LOOP } * self.instances as u64
    }
}

/// Gas of each step of the generated verifier, measured by its gas probe build
/// ([`crate::VerifierOptions::gas_probe`]) on a real proof: the execution inside the call (no
/// intrinsic or calldata gas), each step with its precompile calls. Each step also carries its
/// stamp's ~10 gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GasSteps {
    /// Steps 1-2: calldata layout, scalar range checks, points on the curve.
    pub input_checks: u64,
    /// Step 3: the Keccak transcript's challenges.
    pub transcript: u64,
    /// Steps 4-5: powers of `x`, Lagrange and instance evaluations, the batch inversion.
    pub domain: u64,
    /// Step 6: the quotient evaluation (every gate, permutation and lookup constraint).
    pub quotient: u64,
    /// Step 7: SHPLONK's MSM scalars and combined evaluation.
    pub shplonk: u64,
    /// Steps 8-9: the MSM (its `ecMul`/`ecAdd` precompile calls and their setup).
    pub msm: u64,
    /// Step 10: the pairing (precompile call and setup).
    pub pairing: u64,
}

impl GasSteps {
    /// Step names, in order (the probe returns one stamp more than there are steps).
    pub const NAMES: [&'static str; 7] = ["input_checks", "transcript", "domain", "quotient", "shplonk", "msm", "pairing"];

    /// The steps from the probe's return data: `gas()` before each step and after the last, as
    /// 32-byte words. `None` if the data is not that.
    pub fn from_probe_output(data: &[u8]) -> Option<Self> {
        let n = Self::NAMES.len() + 1;
        if data.len() != 32 * n {
            return None;
        }
        let stamps: Vec<u64> = data
            .chunks(32)
            .map(|w| if w[..24].iter().all(|b| *b == 0) { Some(u64::from_be_bytes(w[24..].try_into().ok()?)) } else { None })
            .collect::<Option<_>>()?;
        let d: Vec<u64> = stamps.windows(2).map(|w| w[0].checked_sub(w[1])).collect::<Option<_>>()?;
        Some(GasSteps { input_checks: d[0], transcript: d[1], domain: d[2], quotient: d[3], shplonk: d[4], msm: d[5], pairing: d[6] })
    }

    /// Sum of the steps.
    pub fn total(&self) -> u64 {
        self.input_checks + self.transcript + self.domain + self.quotient + self.shplonk + self.msm + self.pairing
    }
}
