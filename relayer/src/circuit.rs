//! Native proof verification: the verifying side of a zkinfer artifacts directory.
//!
//! A [`CircuitVerifier`] holds a circuit's KZG parameters and verifying key, loaded from
//! `circuit.json`, `setup.json` and `vk.bin` (what `zkinfer compile` and `zkinfer setup` write),
//! and checks proofs with [`zkinfer_prover::proving::verify`]: the same bytes the generated
//! Solidity verifier accepts. The relayer refuses any job whose proof does not verify, so it never
//! pays gas for one.

use std::fmt;
use std::path::{Path, PathBuf};

use alloy::primitives::U256;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use zkinfer_prover::artifact::{self, CircuitArtifact, SetupArtifact};


/// Loading a circuit's verifying side failed.
#[derive(Debug, thiserror::Error)]
pub enum CircuitError {
    /// The name is empty or has characters other than letters, digits, `-`, `_` and `.`.
    #[error("circuit name {0:?}: use letters, digits, '-', '_' or '.'")]
    BadName(String),
    /// An artifact could not be read.
    #[error("circuit '{name}' ({}): {source}", dir.display())]
    Artifact {
        /// The circuit's name.
        name: String,
        /// Its artifacts directory.
        dir: PathBuf,
        /// The prover's error (names the file).
        source: Box<zkinfer_prover::ProverError>,
    },
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Not as many instances as the circuit has.
    #[error("circuit '{circuit}' has {expected} public instances, the proof gives {actual}")]
    InstanceCount {
        /// The circuit.
        circuit: String,
        /// Its instance count.
        expected: usize,
        /// The job's.
        actual: usize,
    },
    /// An instance is not a field element (>= the BN254 scalar modulus).
    #[error("instance {index} is not a BN254 field element (>= r)")]
    NotAFieldElement {
        /// Its index.
        index: usize,
    },
    /// The proof does not verify.
    #[error("the proof does not verify against circuit '{circuit}': {reason}")]
    DoesNotVerify {
        /// The circuit.
        circuit: String,
        /// halo2's (or the inversion-hint check's) reason.
        reason: String,
    },
}

/// The verifying side of one circuit, named.
pub struct CircuitVerifier {
    name: String,
    params: ParamsKZG<Bn256>,
    vk: VerifyingKey<G1Affine>,
    num_instances: usize,
    dev_srs: bool,
    model_commitment: Option<String>,
    /// The circuit (when loaded from a directory): instances are checked against what it fixes
    /// before the cryptography, so a refusal names the instance.
    art: Option<Box<CircuitArtifact>>,
}

impl fmt::Debug for CircuitVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitVerifier")
            .field("name", &self.name)
            .field("num_instances", &self.num_instances)
            .field("dev_srs", &self.dev_srs)
            .finish_non_exhaustive()
    }
}

/// Checks a circuit name: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
pub fn check_name(name: &str) -> Result<(), CircuitError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CircuitError::BadName(name.to_string()))
    }
}

impl CircuitVerifier {
    /// Loads `dir/circuit.json`, `dir/setup.json` and `dir/vk.bin` (and the SRS `setup.json`
    /// names: the cached development SRS or a file).
    pub fn load(name: &str, dir: &Path) -> Result<Self, CircuitError> {
        check_name(name)?;
        let err = |source| CircuitError::Artifact {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            source: Box::new(source),
        };
        let art = CircuitArtifact::load(&dir.join("circuit.json")).map_err(err)?;
        let setup = SetupArtifact::load(&dir.join("setup.json")).map_err(err)?;
        setup.check_circuit(&dir.join("setup.json"), &art).map_err(err)?;
        // The SRS the keys were made with, checked again (and refused if its points changed).
        let loaded = setup.params(art.plan.k).map_err(err)?;
        let dev_srs = setup.dev_srs();
        let params = loaded.params;
        let vk = artifact::load_vk(&dir.join("vk.bin"), &art).map_err(err)?;
        Ok(Self {
            name: name.to_string(),
            params,
            vk,
            num_instances: art.plan.num_instances,
            dev_srs,
            model_commitment: Some(art.model_commitment.clone()),
            art: Some(Box::new(art)),
        })
    }

    /// From parameters and a verifying key already in memory (e.g. the demo's).
    pub fn from_parts(
        name: &str,
        params: ParamsKZG<Bn256>,
        vk: VerifyingKey<G1Affine>,
        num_instances: usize,
    ) -> Result<Self, CircuitError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_string(),
            params,
            vk,
            num_instances,
            dev_srs: false,
            model_commitment: None,
            art: None,
        })
    }

    /// The name jobs use for it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its number of public instances.
    pub fn num_instances(&self) -> usize {
        self.num_instances
    }

    /// Whether its keys were made with the UNSAFE development SRS (anyone can forge proofs).
    pub fn dev_srs(&self) -> bool {
        self.dev_srs
    }

    /// The model commitment of its `circuit.json` (when loaded from a directory).
    pub fn model_commitment(&self) -> Option<&str> {
        self.model_commitment.as_deref()
    }

    /// Verifies `proof` against `instances` natively (CPU-bound: milliseconds for small circuits).
    pub fn verify(&self, proof: &[u8], instances: &[U256]) -> Result<(), ProofError> {
        if instances.len() != self.num_instances {
            return Err(ProofError::InstanceCount {
                circuit: self.name.clone(),
                expected: self.num_instances,
                actual: instances.len(),
            });
        }
        let frs = instances
            .iter()
            .enumerate()
            .map(|(index, v)| to_fr(v).ok_or(ProofError::NotAFieldElement { index }))
            .collect::<Result<Vec<Fr>, _>>()?;
        let verified = match &self.art {
            Some(art) => zkinfer_prover::artifact::verify_instances(&self.params, &self.vk, art, proof, &frs, None).map(|_| ()),
            None => zkinfer_prover::proving::verify(&self.params, &self.vk, proof, &frs),
        };
        verified.map_err(|e| {
            ProofError::DoesNotVerify {
                circuit: self.name.clone(),
                reason: e.to_string(),
            }
        })
    }
}

/// A `uint256` as a field element, if it is one (< r).
fn to_fr(v: &U256) -> Option<Fr> {
    artifact::fr_from_hex(&format!("0x{}", hex::encode(v.to_be_bytes::<32>())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("mlp_small-v1.2").is_ok());
        for bad in ["", "a b", "x/y", &"x".repeat(65)] {
            assert!(matches!(check_name(bad), Err(CircuitError::BadName(_))), "{bad}");
        }
    }

    #[test]
    fn field_elements_are_range_checked() {
        assert!(to_fr(&U256::from(5)).is_some());
        assert!(to_fr(&U256::MAX).is_none());
    }

    #[test]
    fn missing_directory_names_the_file() {
        let err = CircuitVerifier::load("c", Path::new("/nonexistent/dir")).expect_err("missing");
        let msg = err.to_string();
        assert!(msg.contains("circuit 'c'") && msg.contains("circuit.json"), "{msg}");
    }
}
