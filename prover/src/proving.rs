//! Key generation, proving and native verification (KZG, SHPLONK, Keccak EVM transcript).

use crate::circuit::ModelCircuit;
use crate::error::{ProverError, Result};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk_custom, verify_proof, Circuit, ProvingKey, VerifyingKey};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer};
use zkinfer_verifier_gen::{KeccakTranscriptRead, KeccakTranscriptWrite};

/// Generates the verifying and proving keys, with selectors compressed into as few fixed columns
/// as the degree allows (fewer evaluations in every proof; [`crate::circuit::proof_bytes`]
/// predicts the result).
pub fn keygen(params: &ParamsKZG<Bn256>, circuit: &ModelCircuit) -> Result<ProvingKey<G1Affine>> {
    let empty = circuit.without_witnesses();
    let vk = keygen_vk_custom(params, &empty, true).map_err(|e| ProverError::Halo2 { stage: "verifying key generation", message: format!("{e:?}") })?;
    keygen_pk(params, vk, &empty).map_err(|e| ProverError::Halo2 { stage: "proving key generation", message: format!("{e:?}") })
}

/// Proves a circuit with a witness; returns the proof bytes: the SHPLONK proof and the inversion
/// hint the Solidity verifier takes ([`zkinfer_verifier_gen::with_hint`]).
pub fn prove(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, circuit: &ModelCircuit, instances: &[Fr]) -> Result<Vec<u8>> {
    if circuit.trace.is_none() {
        return Err(ProverError::BadInput("no witness to prove".into()));
    }
    prove_circuit(params, pk, circuit, instances)
}

/// [`prove`] for any circuit of the same configuration (test support proves forged witnesses).
pub(crate) fn prove_circuit<C: Circuit<Fr>>(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, circuit: &C, instances: &[Fr]) -> Result<Vec<u8>> {
    let mut transcript = KeccakTranscriptWrite::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, _, _>(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&[instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .map_err(|e| ProverError::Halo2 { stage: "proving", message: format!("{e:?}") })?;
    zkinfer_verifier_gen::with_hint(params, pk.get_vk(), &transcript.finalize(), instances)
        .map_err(|e| ProverError::Halo2 { stage: "inversion hint", message: e.to_string() })
}

/// Why native verification refused a proof, the most specific check first: the proof's bytes
/// (its length, then every point and scalar, named), then halo2's verification of the SHPLONK
/// part against the instances (a failed pairing), and only then the inversion hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bytes are not a proof for this key (length, a point off the curve, a non-canonical
    /// scalar) or, when all else verifies, the inversion hint is wrong.
    #[error(transparent)]
    Bytes(#[from] zkinfer_verifier_gen::ProofDefect),
    /// The final pairing check failed: the proof is not valid for these instances under this key.
    #[error("the pairing check failed: the proof is not valid for these public instances under this verifying key (an instance or a proof byte was changed, or the proof is for other keys)")]
    Pairing,
    /// halo2 refused the proof for another reason.
    #[error("halo2 verification: {0}")]
    Halo2(String),
}

/// Verifies a proof natively: the proof's bytes decoded and named ([`zkinfer_verifier_gen::check_proof_bytes`]),
/// halo2's verifier on the SHPLONK part, then the trailing inversion hint must be the one the
/// Solidity verifier checks (so both accept exactly the same bytes).
pub fn verify(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<()> {
    verify_typed(params, vk, proof, instances).map_err(ProverError::from)
}

/// [`verify`] with its typed reason.
pub fn verify_typed(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<(), VerifyError> {
    let halo2_proof = zkinfer_verifier_gen::check_proof_bytes(params, vk, proof)?;
    let mut transcript = KeccakTranscriptRead::init(halo2_proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, SingleStrategy<'_, Bn256>>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        &mut transcript,
    )
    .map_err(|e| match e {
        halo2_proofs::plonk::Error::ConstraintSystemFailure => VerifyError::Pairing,
        e => VerifyError::Halo2(format!("{e:?}")),
    })?;
    zkinfer_verifier_gen::check_hint(params, vk, proof, instances)?;
    Ok(())
}
