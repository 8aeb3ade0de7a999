//! A synthetic circuit whose proving time measures the per-`k` cost of columns and lookups.
//!
//! It has the same ingredients as the model circuit ([`crate::circuit`]) in adjustable amounts:
//! `X = advice − 1` equality-enabled advice columns `x`, one running-sum advice column `acc`,
//! `W` fixed weight columns `w`, one instance column, `L` lookups of `q_look · x[j mod X]` into a
//! `2^8`-row table, and the dot-product gate
//! ```text
//! q_dot · (acc[next] − acc[cur] − Σ_i x_i · w_(i mod W) − Σ_(j ≥ X) w_j) = 0
//! ```
//! The lookups (a complex selector times an advice cell) give the constraint system the same
//! degree (5) as the model circuit. Every usable row (`2^k` minus the blinding rows) is filled,
//! so a proof costs what a full circuit of this size costs. The witness satisfies every
//! constraint: the proofs verify ([`SyntheticProver::verify`]).

use crate::error::{ProverError, Result};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem, Error, Expression, Fixed,
    Instance, ProvingKey, Selector, TableColumn,
};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::poly::Rotation;
use halo2_proofs::transcript::{Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use zkinfer_verifier_gen::{KeccakTranscriptRead, KeccakTranscriptWrite};

/// Bits of the synthetic lookup table (the model circuit's range table at the default scale).
pub const TABLE_BITS: u32 = 8;

/// Sizes of a synthetic circuit (what `configure` depends on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntheticShape {
    /// Advice columns (≥ 2: at least one `x` and `acc`).
    pub advice: usize,
    /// Fixed weight columns `w` (≥ 1). The constraint system counts more fixed columns (the table).
    pub weights: usize,
    /// Lookup arguments (≥ 1).
    pub lookups: usize,
}

impl Default for SyntheticShape {
    fn default() -> Self {
        Self { advice: 2, weights: 1, lookups: 1 }
    }
}

/// Column handles.
#[derive(Debug, Clone)]
pub struct SyntheticConfig {
    x: Vec<Column<Advice>>,
    acc: Column<Advice>,
    w: Vec<Column<Fixed>>,
    instance: Column<Instance>,
    q_dot: Selector,
    q_look: Selector,
    table: TableColumn,
}

/// The synthetic circuit for `2^k` rows.
#[derive(Debug, Clone)]
pub struct SyntheticCircuit {
    /// Sizes.
    pub shape: SyntheticShape,
    /// Rows to fill (the usable rows of the domain).
    pub rows: usize,
}

fn byte(row: usize, col: usize) -> u64 {
    ((row.wrapping_mul(2 * col + 7) + col * 31 + (row >> 3)) & 0xff) as u64
}

impl SyntheticCircuit {
    /// The circuit filling every usable row of a `2^k` domain.
    pub fn new(k: u32, shape: SyntheticShape) -> Result<Self> {
        if shape.advice < 2 || shape.weights < 1 || shape.lookups < 1 {
            return Err(ProverError::BadSettings(format!("synthetic circuit needs ≥ 2 advice, ≥ 1 weight column and ≥ 1 lookup, got {shape:?}")));
        }
        let cs = Self::constraint_system(shape);
        let usable = (1usize << k).saturating_sub(cs.blinding_factors() + 1);
        if usable <= 1 << TABLE_BITS || (1usize << k) < cs.minimum_rows() {
            return Err(ProverError::BadSettings(format!("k = {k} is too small for a 2^{TABLE_BITS}-row table")));
        }
        Ok(Self { shape, rows: usable })
    }

    /// The configured constraint system (column, lookup and degree counts).
    pub fn constraint_system(shape: SyntheticShape) -> ConstraintSystem<Fr> {
        let mut cs = ConstraintSystem::<Fr>::default();
        SyntheticConfig::configure(&mut cs, shape);
        cs
    }

    /// Public instances: `[x_0 at row 0]`.
    pub fn instances(&self) -> Vec<Fr> {
        vec![Fr::from(byte(0, 0))]
    }
}

impl SyntheticConfig {
    fn configure(meta: &mut ConstraintSystem<Fr>, shape: SyntheticShape) -> Self {
        let x: Vec<Column<Advice>> = (0..shape.advice - 1).map(|_| meta.advice_column()).collect();
        x.iter().for_each(|c| meta.enable_equality(*c));
        let acc = meta.advice_column();
        let w: Vec<Column<Fixed>> = (0..shape.weights).map(|_| meta.fixed_column()).collect();
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let q_dot = meta.selector();
        let q_look = meta.complex_selector();
        let table = meta.lookup_table_column();
        let (xs, ws) = (x.clone(), w.clone());
        meta.create_gate("dot", |m| {
            let q = m.query_selector(q_dot);
            let mut sum = Expression::Constant(Fr::zero());
            for (i, c) in xs.iter().enumerate() {
                sum = sum + m.query_advice(*c, Rotation::cur()) * m.query_fixed(ws[i % ws.len()], Rotation::cur());
            }
            for c in ws.iter().skip(xs.len()) {
                sum = sum + m.query_fixed(*c, Rotation::cur());
            }
            vec![q * (m.query_advice(acc, Rotation::next()) - m.query_advice(acc, Rotation::cur()) - sum)]
        });
        for j in 0..shape.lookups {
            let c = x[j % x.len()];
            meta.lookup(format!("lookup {j}"), |m| vec![(m.query_selector(q_look) * m.query_advice(c, Rotation::cur()), table)]);
        }
        Self { x, acc, w, instance, q_dot, q_look, table }
    }
}

impl Circuit<Fr> for SyntheticCircuit {
    type Config = SyntheticConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = SyntheticShape;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn params(&self) -> SyntheticShape {
        self.shape
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: SyntheticShape) -> SyntheticConfig {
        SyntheticConfig::configure(meta, shape)
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> SyntheticConfig {
        SyntheticConfig::configure(meta, SyntheticShape::default())
    }

    fn synthesize(&self, config: SyntheticConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "table",
            |mut t| {
                for v in 0..(1u64 << TABLE_BITS) {
                    t.assign_cell(|| "table", config.table, v as usize, || Value::known(Fr::from(v)))?;
                }
                Ok(())
            },
        )?;
        let rows = self.rows;
        let nx = config.x.len();
        let first = layouter.assign_region(
            || "rows",
            |mut region| {
                let mut acc = Fr::zero();
                let mut first = None;
                for r in 0..rows {
                    let mut sum = Fr::zero();
                    let wv: Vec<Fr> = (0..config.w.len()).map(|j| Fr::from(byte(r, 100 + j))).collect();
                    for (j, c) in config.w.iter().enumerate() {
                        region.assign_fixed(*c, r, wv[j]);
                        if j >= nx {
                            sum += wv[j];
                        }
                    }
                    for (i, c) in config.x.iter().enumerate() {
                        let v = Fr::from(byte(r, i));
                        let cell = region.assign_advice(*c, r, Value::known(v));
                        if r == 0 && i == 0 {
                            first = Some(cell.cell());
                        }
                        sum += v * wv[i % wv.len()];
                    }
                    region.assign_advice(config.acc, r, Value::known(acc));
                    config.q_look.enable(&mut region, r)?;
                    if r + 1 < rows {
                        config.q_dot.enable(&mut region, r)?;
                    }
                    acc += sum;
                }
                first.ok_or(Error::Synthesis)
            },
        )?;
        layouter.constrain_instance(first, config.instance, 0);
        Ok(())
    }
}

/// Keys for one synthetic circuit, ready to prove repeatedly.
#[derive(Debug)]
pub struct SyntheticProver {
    circuit: SyntheticCircuit,
    pk: ProvingKey<G1Affine>,
}

impl SyntheticProver {
    /// Generates keys.
    pub fn setup(params: &ParamsKZG<Bn256>, shape: SyntheticShape) -> Result<Self> {
        let circuit = SyntheticCircuit::new(params.k(), shape)?;
        let vk = keygen_vk(params, &circuit).map_err(|e| ProverError::Halo2 { stage: "synthetic verifying key", message: format!("{e:?}") })?;
        let pk = keygen_pk(params, vk, &circuit).map_err(|e| ProverError::Halo2 { stage: "synthetic proving key", message: format!("{e:?}") })?;
        Ok(Self { circuit, pk })
    }

    /// Proves once (witness generation included, as in `zkinfer prove`); returns the proof and seconds.
    pub fn prove(&self, params: &ParamsKZG<Bn256>) -> Result<(Vec<u8>, f64)> {
        let t = Instant::now();
        let instances = self.circuit.instances();
        let mut transcript = KeccakTranscriptWrite::init(Vec::new());
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, _, _>(
            params,
            &self.pk,
            std::slice::from_ref(&self.circuit),
            &[&[&instances]],
            rand::rngs::OsRng,
            &mut transcript,
        )
        .map_err(|e| ProverError::Halo2 { stage: "synthetic proving", message: format!("{e:?}") })?;
        let proof = transcript.finalize();
        Ok((proof, t.elapsed().as_secs_f64()))
    }

    /// Verifies a proof of this circuit natively.
    pub fn verify(&self, params: &ParamsKZG<Bn256>, proof: &[u8]) -> Result<()> {
        let instances = self.circuit.instances();
        let mut transcript = KeccakTranscriptRead::init(proof);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, SingleStrategy<'_, Bn256>>(
            params.verifier_params(),
            self.pk.get_vk(),
            SingleStrategy::new(params),
            &[&[&instances]],
            &mut transcript,
        )
        .map(|_| ())
        .map_err(|e| ProverError::Verify(format!("{e:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::dev::MockProver;

    #[test]
    fn synthetic_circuit_is_satisfied_and_fills_the_domain() {
        let shape = SyntheticShape { advice: 4, weights: 5, lookups: 3 };
        let c = SyntheticCircuit::new(9, shape).unwrap();
        let cs = SyntheticCircuit::constraint_system(shape);
        assert_eq!(cs.num_advice_columns(), 4);
        assert_eq!(cs.lookups().len(), 3);
        assert_eq!(cs.degree(), 5, "same degree as the model circuit");
        assert_eq!(c.rows, (1 << 9) - cs.blinding_factors() - 1);
        MockProver::run(9, &c, vec![c.instances()]).unwrap().assert_satisfied();
        // A wrong public instance is caught (the witness is really constrained).
        let bad = vec![vec![c.instances()[0] + Fr::one()]];
        assert!(MockProver::run(9, &c, bad).unwrap().verify().is_err());
    }

    #[test]
    fn too_small_k_is_an_error() {
        assert!(SyntheticCircuit::new(8, SyntheticShape::default()).is_err());
        assert!(SyntheticCircuit::new(10, SyntheticShape { advice: 1, ..SyntheticShape::default() }).is_err());
    }
}
