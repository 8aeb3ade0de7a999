//! Shared test fixtures: a circuit shaped like zkinfer's prover output, proving helpers, and a
//! minimal solc + anvil harness.
#![allow(dead_code, clippy::unwrap_used)]

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk_custom, verify_proof, Advice, Circuit, Column,
    ConstraintSystem, Error, Fixed, Instance, ProvingKey, Selector, TableColumn, VerifyingKey,
};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::poly::Rotation;
use halo2_proofs::transcript::{
    Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkinfer_verifier_gen::{fr_from_i64, KeccakTranscriptRead, KeccakTranscriptWrite};

pub const NUM_ADVICE: usize = 11;
pub const MAC_TERMS: usize = 4;

#[derive(Clone, Debug)]
pub struct TestConfig {
    a: [Column<Advice>; NUM_ADVICE],
    w: [Column<Fixed>; MAC_TERMS],
    f_mul: Column<Fixed>,
    q_mac: Selector,
    q_dec: Selector,
    q_cube: Selector,
    q_range: Selector,
    q_range2: Selector,
    q_pair: Selector,
    q_even: Selector,
    q_odd: Selector,
    t_range: TableColumn,
    t_val: TableColumn,
    t_msb: TableColumn,
    instance: Column<Instance>,
}

/// A circuit with the shape zkinfer's prover emits: MAC chain with fixed weights (cur/next), a
/// byte-decomposition gate, a fixed-column-as-selector product gate with Rotation::next, a degree-4
/// gate, 3 lookups (two 1-column ranges, one 2-column), copies to instance and to a constant.
#[derive(Clone, Debug, Default)]
pub struct TestCircuit {
    pub rows: usize,
    /// Value put in the negative public output (checked through the instance column).
    pub neg: i64,
    /// Extra public instances: the `r` cells (a7) of rows 0..extra.
    pub extra_public: usize,
}

impl TestCircuit {
    pub fn new(rows: usize) -> Self {
        TestCircuit { rows, neg: -5, extra_public: 0 }
    }

    fn x(&self, i: usize, t: usize) -> u64 {
        ((i * 7 + t * 11 + 3) % 97) as u64
    }
    fn wv(&self, i: usize, t: usize) -> u64 {
        ((i * 5 + t * 3 + 1) % 31) as u64
    }
    fn l0(&self, i: usize) -> u64 {
        ((i * 37 + 11) % 256) as u64
    }

    fn xs(&self, i: usize) -> [u64; MAC_TERMS] {
        let l0 = self.l0(i);
        [l0, l0 >> 7, self.x(i, 2), self.x(i, 3)]
    }

    /// Public instances: [final accumulator, l0 at row 3, neg].
    pub fn instances(&self) -> Vec<Fr> {
        let mut acc = Fr::zero();
        for i in 0..self.rows {
            let xs = self.xs(i);
            for (t, x) in xs.iter().enumerate().take(MAC_TERMS) {
                acc += Fr::from(*x) * Fr::from(self.wv(i, t));
            }
        }
        let mut v = vec![acc, Fr::from(self.l0(3)), fr_from_i64(self.neg)];
        for i in 0..self.extra_public {
            v.push(Fr::from(((i * 3) % 256) as u64));
        }
        v
    }
}

impl Circuit<Fr> for TestCircuit {
    type Config = TestConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> TestConfig {
        let a: [Column<Advice>; NUM_ADVICE] = std::array::from_fn(|_| meta.advice_column());
        for c in a.iter() {
            meta.enable_equality(*c);
        }
        let w: [Column<Fixed>; MAC_TERMS] = std::array::from_fn(|_| meta.fixed_column());
        let f_mul = meta.fixed_column();
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let q_mac = meta.selector();
        let q_dec = meta.selector();
        let q_cube = meta.selector();
        let q_range = meta.complex_selector();
        let q_range2 = meta.complex_selector();
        let q_pair = meta.complex_selector();
        // two simple selectors on disjoint rows: compressed into one fixed column by keygen_vk_custom(.., true)
        let q_even = meta.selector();
        let q_odd = meta.selector();
        let t_range = meta.lookup_table_column();
        let t_val = meta.lookup_table_column();
        let t_msb = meta.lookup_table_column();

        // acc[next] = acc[cur] + sum_k x_k[cur] * w_k[cur]
        meta.create_gate("mac", |m| {
            let q = m.query_selector(q_mac);
            let acc = m.query_advice(a[0], Rotation::cur());
            let acc_n = m.query_advice(a[0], Rotation::next());
            let mut e = acc_n - acc;
            for t in 0..MAC_TERMS {
                e = e - m.query_advice(a[1 + t], Rotation::cur()) * m.query_fixed(w[t], Rotation::cur());
            }
            vec![q * e]
        });
        // v + c - r - d * (l0 + 256 * l1 - c2) = 0
        meta.create_gate("decompose", |m| {
            let q = m.query_selector(q_dec);
            let l0 = m.query_advice(a[1], Rotation::cur());
            let l1 = m.query_advice(a[2], Rotation::cur());
            let c2 = m.query_advice(a[3], Rotation::cur());
            let v = m.query_advice(a[5], Rotation::cur());
            let c = m.query_advice(a[6], Rotation::cur());
            let r = m.query_advice(a[7], Rotation::cur());
            let d = m.query_advice(a[8], Rotation::cur());
            let e = v + c - r
                - d * (l0 + l1 * halo2_proofs::plonk::Expression::Constant(Fr::from(256)) - c2);
            vec![q * e]
        });
        // fixed column as selector: out[next] = s * q
        meta.create_gate("mul next", |m| {
            let f = m.query_fixed(f_mul, Rotation::cur());
            let s = m.query_advice(a[5], Rotation::cur());
            let qq = m.query_advice(a[6], Rotation::cur());
            let out = m.query_advice(a[9], Rotation::next());
            vec![f * (out - s * qq)]
        });
        // degree 4: a10 = a3^3 (and a scaled/negated shape)
        meta.create_gate("cube", |m| {
            let q = m.query_selector(q_cube);
            let x = m.query_advice(a[3], Rotation::cur());
            let y = m.query_advice(a[10], Rotation::cur());
            vec![q * (x.clone() * x.clone() * x - y) * Fr::from(3)]
        });
        meta.create_gate("even step", |m| {
            let q = m.query_selector(q_even);
            vec![q * (m.query_advice(a[6], Rotation::next()) - m.query_advice(a[6], Rotation::cur()) - halo2_proofs::plonk::Expression::Constant(Fr::one()))]
        });
        meta.create_gate("odd step", |m| {
            let q = m.query_selector(q_odd);
            vec![q * (m.query_advice(a[6], Rotation::cur()) + halo2_proofs::plonk::Expression::Constant(Fr::one()) - m.query_advice(a[6], Rotation::next()))]
        });
        meta.lookup("range r", |m| {
            let q = m.query_selector(q_range);
            vec![(q * m.query_advice(a[7], Rotation::cur()), t_range)]
        });
        meta.lookup("range d", |m| {
            let q = m.query_selector(q_range2);
            vec![(q * m.query_advice(a[8], Rotation::cur()), t_range)]
        });
        meta.lookup("pair", |m| {
            let q = m.query_selector(q_pair);
            vec![
                (q.clone() * m.query_advice(a[1], Rotation::cur()), t_val),
                (q * m.query_advice(a[2], Rotation::cur()), t_msb),
            ]
        });
        TestConfig {
            a,
            w,
            f_mul,
            q_mac,
            q_dec,
            q_cube,
            q_range,
            q_range2,
            q_pair,
            q_even,
            q_odd,
            t_range,
            t_val,
            t_msb,
            instance,
        }
    }

    fn synthesize(&self, cfg: TestConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "tables",
            |mut t| {
                for i in 0..256u64 {
                    t.assign_cell(|| "range", cfg.t_range, i as usize, || Value::known(Fr::from(i)))?;
                    t.assign_cell(|| "val", cfg.t_val, i as usize, || Value::known(Fr::from(i)))?;
                    t.assign_cell(|| "msb", cfg.t_msb, i as usize, || Value::known(Fr::from(i >> 7)))?;
                }
                Ok(())
            },
        )?;
        let rows = self.rows;
        let extra = self.extra_public;
        let (acc_cell, x_cell, neg_cell, extra_cells) = layouter.assign_region(
            || "main",
            |mut region| {
                let a = cfg.a;
                let mut acc = Fr::zero();
                let first = region.assign_advice_from_constant(|| "acc0", a[0], 0, Fr::zero())?;
                let _ = first;
                let mut x_cell = None;
                let mut prev_mul = Fr::zero();
                let mut copy_src = None;
                let mut extra_cells = vec![];
                for i in 0..rows {
                    cfg.q_mac.enable(&mut region, i)?;
                    cfg.q_dec.enable(&mut region, i)?;
                    cfg.q_cube.enable(&mut region, i)?;
                    cfg.q_range.enable(&mut region, i)?;
                    cfg.q_range2.enable(&mut region, i)?;
                    cfg.q_pair.enable(&mut region, i)?;
                    if i + 1 < rows {
                        if i % 2 == 0 {
                            cfg.q_even.enable(&mut region, i)?;
                        } else {
                            cfg.q_odd.enable(&mut region, i)?;
                        }
                    }
                    region.assign_fixed(cfg.f_mul, i, Fr::one());
                    if i > 0 {
                        region.assign_advice(a[0], i, Value::known(acc));
                    }
                    // MAC terms: x_0 = l0 (a1), x_1 = l1 (a2), x_2 = c2 (a3), x_3 = a4
                    let xs = self.xs(i);
                    let (l0, l1, c2) = (xs[0], xs[1], xs[2]);
                    for t in 0..MAC_TERMS {
                        region.assign_fixed(cfg.w[t], i, Fr::from(self.wv(i, t)));
                        let cell = region.assign_advice(a[1 + t], i, Value::known(Fr::from(xs[t])));
                        if t == 0 && i == 3 {
                            x_cell = Some(cell.cell());
                        }
                        if t == 1 && i == 5 {
                            copy_src = Some((cell.cell(), Fr::from(xs[t])));
                        }
                        acc += Fr::from(xs[t]) * Fr::from(self.wv(i, t));
                    }
                    let r = Fr::from(((i * 3) % 256) as u64);
                    let d = Fr::from(((i * 29) % 200) as u64);
                    let c = Fr::from(i as u64 + 1);
                    let v = r + d * (Fr::from(l0) + Fr::from(256) * Fr::from(l1) - Fr::from(c2)) - c;
                    region.assign_advice(a[5], i, Value::known(v));
                    region.assign_advice(a[6], i, Value::known(c));
                    let rc = region.assign_advice(a[7], i, Value::known(r));
                    if i < extra {
                        extra_cells.push(rc.cell());
                    }
                    region.assign_advice(a[8], i, Value::known(d));
                    region.assign_advice(a[9], i, Value::known(prev_mul));
                    prev_mul = v * c;
                    let c2f = Fr::from(c2);
                    region.assign_advice(a[10], i, Value::known(c2f * c2f * c2f));
                }
                let acc_cell = region.assign_advice(a[0], rows, Value::known(acc));
                region.assign_advice(a[9], rows, Value::known(prev_mul));
                // the MAC x's were already checked; make self.x(3,0) the public one
                let neg = region.assign_advice(a[9], rows + 2, Value::known(fr_from_i64(self.neg)));
                // an extra copy constraint between two advice cells
                let (src, val) = copy_src.unwrap();
                let dst = region.assign_advice(a[10], rows + 3, Value::known(val));
                region.constrain_equal(src, dst.cell());
                Ok((acc_cell.cell(), x_cell.unwrap(), neg.cell(), extra_cells))
            },
        )?;
        layouter.constrain_instance(acc_cell, cfg.instance, 0);
        layouter.constrain_instance(x_cell, cfg.instance, 1);
        layouter.constrain_instance(neg_cell, cfg.instance, 2);
        for (i, c) in extra_cells.into_iter().enumerate() {
            layouter.constrain_instance(c, cfg.instance, 3 + i);
        }
        Ok(())
    }
}

pub struct Setup {
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
}

impl Setup {
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }
}

pub fn setup(k: u32, circuit: &TestCircuit, compress_selectors: bool) -> Setup {
    setup_with(ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::seed_from_u64(42)), circuit, compress_selectors)
}

/// Keys for `circuit` under these params.
pub fn setup_with(params: ParamsKZG<Bn256>, circuit: &TestCircuit, compress_selectors: bool) -> Setup {
    let vk = keygen_vk_custom(&params, circuit, compress_selectors).expect("vk");
    let pk = keygen_pk(&params, vk, circuit).expect("pk");
    Setup { params, pk }
}

pub fn prove(s: &Setup, circuit: &TestCircuit, instances: &[Fr]) -> Vec<u8> {
    let mut transcript = KeccakTranscriptWrite::<Vec<u8>>::init(Vec::new());
    create_proof::<
        KZGCommitmentScheme<Bn256>,
        ProverSHPLONK<'_, Bn256>,
        Challenge255<G1Affine>,
        _,
        KeccakTranscriptWrite<Vec<u8>>,
        _,
    >(
        &s.params,
        &s.pk,
        std::slice::from_ref(circuit),
        &[&[instances]],
        ChaCha20Rng::seed_from_u64(7),
        &mut transcript,
    )
    .expect("proof");
    zkinfer_verifier_gen::with_hint(&s.params, s.vk(), &transcript.finalize(), instances).expect("inversion hint")
}

/// halo2's native verifier with our transcript on the proof without its hint (which must be right);
/// also requires the whole proof to be consumed.
pub fn verify_native(s: &Setup, proof: &[u8], instances: &[Fr]) -> bool {
    // The trailing inversion hint must be the one the Solidity verifier checks.
    let Ok(proof) = zkinfer_verifier_gen::check_hint(&s.params, s.vk(), proof, instances) else { return false };
    let mut transcript = KeccakTranscriptRead::<&[u8]>::init(proof);
    let strategy = SingleStrategy::new(&s.params);
    let ok = verify_proof::<
        KZGCommitmentScheme<Bn256>,
        VerifierSHPLONK<'_, Bn256>,
        Challenge255<G1Affine>,
        KeccakTranscriptRead<&[u8]>,
        SingleStrategy<'_, Bn256>,
    >(&s.params, s.vk(), strategy, &[&[instances]], &mut transcript)
    .is_ok();
    ok && transcript.into_inner().is_empty()
}
