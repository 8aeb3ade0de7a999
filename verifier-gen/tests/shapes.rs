//! Other circuit shapes: no lookups, degree 3 (one column per permutation chunk), Rotation::prev,
//! fixed columns used directly as selectors, no instance values. Verified natively and on anvil.
#![allow(clippy::unwrap_used)]
mod common;

use alloy::primitives::Bytes;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, Fixed, Instance,
};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::poly::Rotation;
use halo2_proofs::transcript::{Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkinfer_relayer::{compile, CompilerSettings, LocalChain};
use zkinfer_verifier_gen::{
    encode_calldata, generate, KeccakTranscriptRead, KeccakTranscriptWrite, VerifierOptions,
    SOLC_SETTINGS,
};

#[derive(Clone, Debug)]
struct Cfg {
    a: Column<Advice>,
    b: Column<Advice>,
    c: Column<Advice>,
    f: Column<Fixed>,
    inst: Option<Column<Instance>>,
}

/// Fibonacci-like: c[cur] = a[prev] * b[cur] + a[cur], with fixed f as selector.
#[derive(Clone, Debug, Default)]
struct Small;

impl Small {
    fn synthesize(&self, cfg: Cfg, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let last = layouter.assign_region(
            || "r",
            |mut region| {
                let mut prev_a = Fr::from(2);
                let mut last = None;
                for i in 0..20usize {
                    let a = Fr::from(i as u64 + 2);
                    let b = Fr::from(3 * i as u64 + 1);
                    if i > 0 {
                        region.assign_fixed(cfg.f, i, Fr::one());
                    }
                    region.assign_advice(cfg.a, i, Value::known(a));
                    region.assign_advice(cfg.b, i, Value::known(b));
                    let c = region.assign_advice(cfg.c, i, Value::known(prev_a * b + a));
                    last = Some(c.cell());
                    prev_a = a;
                }
                Ok(last.unwrap())
            },
        )?;
        if let Some(inst) = cfg.inst {
            layouter.constrain_instance(last, inst, 0);
        }
        Ok(())
    }
}

fn configure_with(meta: &mut ConstraintSystem<Fr>, with_instance: bool) -> Cfg {
    let a = meta.advice_column();
    let b = meta.advice_column();
    let c = meta.advice_column();
    let f = meta.fixed_column();
    meta.enable_equality(c);
    meta.enable_equality(a);
    let inst = with_instance.then(|| {
        let i = meta.instance_column();
        meta.enable_equality(i);
        i
    });
    meta.create_gate("prev", |m| {
        let f = m.query_fixed(f, Rotation::cur());
        let ap = m.query_advice(a, Rotation::prev());
        let ac = m.query_advice(a, Rotation::cur());
        let bc = m.query_advice(b, Rotation::cur());
        let cc = m.query_advice(c, Rotation::cur());
        vec![f * (ap * bc + ac - cc)]
    });
    Cfg { a, b, c, f, inst }
}

/// `Small` with (`INSTANCE = true`) or without an instance column.
#[derive(Clone, Debug, Default)]
struct SmallWith<const INSTANCE: bool>(Small);
type SmallI = SmallWith<true>;
type SmallN = SmallWith<false>;
impl<const INSTANCE: bool> Circuit<Fr> for SmallWith<INSTANCE> {
    type Config = Cfg;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();
    fn without_witnesses(&self) -> Self {
        self.clone()
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) -> Cfg {
        configure_with(meta, INSTANCE)
    }
    fn synthesize(&self, cfg: Cfg, layouter: impl Layouter<Fr>) -> Result<(), Error> {
        self.0.synthesize(cfg, layouter)
    }
}

fn roundtrip<C: Circuit<Fr> + Clone>(circuit: C, instances: Vec<Fr>, instance_column: bool) {
    let cols: Vec<&[Fr]> = if instance_column { vec![&instances[..]] } else { vec![] };
    let k = 6;
    let params = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::seed_from_u64(5));
    let vk = keygen_vk(&params, &circuit).unwrap();
    let pk = keygen_pk(&params, vk, &circuit).unwrap();
    let mut t = KeccakTranscriptWrite::<Vec<u8>>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, _, _>(
        &params,
        &pk,
        &[circuit],
        &[&cols[..]],
        ChaCha20Rng::seed_from_u64(9),
        &mut t,
    )
    .unwrap();
    let proof = t.finalize();
    let mut tr = KeccakTranscriptRead::<&[u8]>::init(&proof[..]);
    verify_proof::<_, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        &params,
        pk.get_vk(),
        SingleStrategy::new(&params),
        &[&cols[..]],
        &mut tr,
    )
    .unwrap();
    let proof = zkinfer_verifier_gen::with_hint(&params, pk.get_vk(), &proof, &instances).unwrap();
    let g = generate(&params, pk.get_vk(), instances.len(), &VerifierOptions::default()).unwrap();
    assert_eq!(g.proof_len, proof.len());
    let st = CompilerSettings {
        optimizer: SOLC_SETTINGS.optimizer,
        runs: SOLC_SETTINGS.runs,
        yul_optimizer: SOLC_SETTINGS.yul_optimizer,
        evm_version: Some(SOLC_SETTINGS.evm_version.into()),
    };
    let compiled = compile(&[("V.sol".into(), g.source.clone())], &g.contract_name, &st).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let chain = LocalChain::start().unwrap();
        let dep = chain.deploy(compiled.bytecode).await.unwrap();
        let out = chain.call(dep.address, Bytes::from(encode_calldata(&proof, &instances))).await.unwrap();
        assert!(out.success, "reverted: {}", hex::encode(&out.output));
        assert_eq!(out.output[31], 1, "valid proof rejected");
        let mut bad = proof.clone();
        bad[proof.len() - 32 - 140] ^= 1; // inside a scalar (before W, W' and the hint)
        let out = chain.call(dep.address, Bytes::from(encode_calldata(&bad, &instances))).await.unwrap();
        assert!(!out.success || out.output[31] == 0);
        let gas = chain
            .estimate_gas(dep.address, Bytes::from(encode_calldata(&proof, &instances)), Default::default())
            .await
            .unwrap();
        println!("{}: runtime {} B, gas {gas}", g.source.lines().nth(2).unwrap_or(""), compiled.deployed_bytecode.len());
    });
}

#[test]
fn small_degree3_prev_rotation_with_instance() {
    let last = {
        let a19 = Fr::from(21);
        let a18 = Fr::from(20);
        let b19 = Fr::from(58);
        a18 * b19 + a19
    };
    roundtrip(SmallI::default(), vec![last], true);
}

#[test]
fn small_no_instance_column() {
    roundtrip(SmallN::default(), vec![], false);
}

/// One advice column queried at `Q` rotations `0, −1, …, −(Q−1)` (the prover's rescale row reads
/// `z` at `n + 3` rotations for `n` range limbs): `a[cur] = Σ_(r ≥ 1) a[−r] + 1` under a fixed
/// selector.
#[derive(Clone, Debug, Default)]
struct Deep<const Q: usize>;

impl<const Q: usize> Circuit<Fr> for Deep<Q> {
    type Config = (Column<Advice>, Column<Fixed>);
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();
    fn without_witnesses(&self) -> Self {
        self.clone()
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) -> Self::Config {
        let a = meta.advice_column();
        let f = meta.fixed_column();
        meta.enable_equality(a);
        meta.create_gate("deep", |m| {
            let f = m.query_fixed(f, Rotation::cur());
            let cur = m.query_advice(a, Rotation::cur());
            let sum = (1..Q).fold(halo2_proofs::plonk::Expression::Constant(Fr::one()), |s, r| s + m.query_advice(a, Rotation(-(r as i32))));
            vec![f * (cur - sum)]
        });
        (a, f)
    }
    fn synthesize(&self, (a, f): Self::Config, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_region(
            || "r",
            |mut region| {
                let mut vals: Vec<Fr> = Vec::new();
                for i in 0..24usize {
                    let v = if i < Q { Fr::from(i as u64 + 1) } else { (1..Q).fold(Fr::one(), |s, r| s + vals[i - r]) };
                    if i >= Q {
                        region.assign_fixed(f, i, Fr::one());
                    }
                    region.assign_advice(a, i, Value::known(v));
                    vals.push(v);
                }
                Ok(())
            },
        )
    }
}

#[test]
fn regression_a_column_queried_at_five_rotations() {
    roundtrip(Deep::<5>, vec![], false);
}

/// Issue 16 (coverage run): a circuit with 3 range limbs (z read at 6 rotations) was accepted
/// natively and rejected by its Solidity verifier.
#[test]
fn regression_a_column_queried_at_six_and_seven_rotations() {
    roundtrip(Deep::<6>, vec![], false);
    roundtrip(Deep::<7>, vec![], false);
}
