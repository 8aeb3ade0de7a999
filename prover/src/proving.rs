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

/// Verifies a proof natively: halo2's verifier on the SHPLONK part, and the trailing inversion
/// hint must be the one the Solidity verifier checks (so both accept exactly the same bytes).
pub fn verify(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<()> {
    let halo2_proof = zkinfer_verifier_gen::check_hint(params, vk, proof, instances).map_err(|e| ProverError::Verify(e.to_string()))?;
    let mut transcript = KeccakTranscriptRead::init(halo2_proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, SingleStrategy<'_, Bn256>>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        &mut transcript,
    )
    .map(|_| ())
    .map_err(|e| ProverError::Verify(format!("{e:?}")))
}
