//! Structural checks on the generator: the source is complete and compiles, unsupported
//! circuits are refused with a named feature, calldata helpers.
#![allow(clippy::unwrap_used)]
mod common;

use common::*;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr};
use halo2_proofs::plonk::{keygen_vk, Circuit, ConstraintSystem, Error, SecondPhase};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::Rotation;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkinfer_relayer::{compile, CompilerSettings};
use zkinfer_verifier_gen::{
    encode_calldata, fr_from_i64, generate, solc_settings_json, srs_digest, InstanceCounts, SrsKind,
    VerifierGenError, VerifierOptions, DEV_SRS_DIGEST, SOLC_SETTINGS,
};

#[test]
fn source_is_complete_and_compiles() {
    let circuit = TestCircuit::new(20);
    let s = setup(9, &circuit, true);
    let opts = VerifierOptions { contract_name: "MyModelVerifier".into(), ..Default::default() };
    let g = generate(&s.params, s.vk(), 3, &opts).unwrap();
    assert!(!g.source.contains("{{") && !g.source.contains("}}"), "placeholder left over");
    assert!(g.source.contains("contract MyModelVerifier {"));
    assert!(g.source.contains(
        "function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool)"
    ));
    assert_eq!(g.calldata_len, encode_calldata(&vec![0u8; g.proof_len], &[Fr::one(); 3]).len());
    let settings = CompilerSettings {
        optimizer: SOLC_SETTINGS.optimizer,
        runs: SOLC_SETTINGS.runs,
        yul_optimizer: SOLC_SETTINGS.yul_optimizer,
        evm_version: Some(SOLC_SETTINGS.evm_version.into()),
    };
    let c = compile(&[("V.sol".into(), g.source.clone())], &g.contract_name, &settings).unwrap();
    assert!(c.deployed_bytecode.len() > 1000 && c.deployed_bytecode.len() <= 24_576);
    assert_eq!(solc_settings_json()["viaIR"], false);
    // invalid contract name
    let bad = VerifierOptions { contract_name: "1bad-name".into(), ..Default::default() };
    assert!(matches!(generate(&s.params, s.vk(), 3, &bad), Err(VerifierGenError::Invalid(_))));
    // params for another k
    let other = ParamsKZG::<Bn256>::setup(10, ChaCha20Rng::seed_from_u64(1));
    assert!(matches!(generate(&other, s.vk(), 3, &opts), Err(VerifierGenError::Invalid(_))));
}

/// The constants a registry reads: the SRS's digest and dev flag, the instance layout. A verifier
/// generated without saying where its SRS came from is flagged development (fail closed) and,
/// without instance counts, has no layout constants (registries refuse it).
#[test]
fn constants_say_what_the_verifier_was_set_up_with() {
    let circuit = TestCircuit::new(20);
    let s = setup(9, &circuit, true);
    let digest = format!("bytes32 public constant SRS_DIGEST = 0x{};", hex::encode(srs_digest(&s.params)));
    let plain = generate(&s.params, s.vk(), 3, &VerifierOptions::default()).unwrap().source;
    assert!(plain.contains(&digest), "{plain}");
    assert!(plain.contains("bool public constant DEV_SRS = true;"));
    assert!(!plain.contains("constant INPUT_INSTANCE_COUNT") && plain.contains("VerifierRegistry refuses this verifier"));
    let counts = InstanceCounts { inputs: 1, outputs: 0 };
    let opts = VerifierOptions { srs: SrsKind::Ceremony, instance_counts: Some(counts), ..Default::default() };
    let g = generate(&s.params, s.vk(), 3, &opts).unwrap().source;
    assert!(g.contains("bool public constant DEV_SRS = false;"));
    assert!(g.contains("uint256 public constant INPUT_INSTANCE_COUNT = 1;") && g.contains("uint256 public constant OUTPUT_INSTANCE_COUNT = 0;"));
    // Counts that do not add up to the instances are refused, naming both.
    let wrong = VerifierOptions { instance_counts: Some(InstanceCounts { inputs: 1, outputs: 3 }), ..Default::default() };
    let e = generate(&s.params, s.vk(), 3, &wrong).unwrap_err().to_string();
    assert!(e.contains("2 + 1 inputs + 3 outputs = 6 instances, the verifier takes 3"), "{e}");
    // zkinfer's development SRS cannot be passed off as a ceremony's.
    let dev = ParamsKZG::<Bn256>::setup(9, ChaCha20Rng::seed_from_u64(DEV_SRS_SEED));
    assert_eq!(srs_digest(&dev), DEV_SRS_DIGEST);
    let dev_vk = setup_with(dev, &circuit, true);
    let e = generate(&dev_vk.params, dev_vk.vk(), 3, &opts).unwrap_err().to_string();
    assert!(e.contains("it is zkinfer's development SRS"), "{e}");
}

/// The constants cost nothing at verify time: solc's dispatcher (linear at `runs = 1`, ascending
/// selectors) still reaches `verifyProof` after one comparison, as before they existed.
#[test]
fn verify_proof_is_dispatched_second() {
    use sha3::{Digest, Keccak256};
    let circuit = TestCircuit::new(20);
    let s = setup(9, &circuit, true);
    let opts = VerifierOptions { instance_counts: Some(InstanceCounts { inputs: 1, outputs: 0 }), ..Default::default() };
    let source = generate(&s.params, s.vk(), 3, &opts).unwrap().source;
    let selector = |sig: &str| u32::from_be_bytes(Keccak256::digest(sig.as_bytes())[..4].try_into().unwrap());
    let getters: Vec<&str> = source.lines().filter_map(|l| l.trim().split("public constant ").nth(1)?.split_whitespace().next()).collect();
    assert_eq!(getters.len(), 7, "{getters:?}");
    let verify = selector("verifyProof(bytes,uint256[])");
    let before: Vec<&&str> = getters.iter().filter(|g| selector(&format!("{g}()")) < verify).collect();
    assert_eq!(before, [&"NUM_INSTANCES"], "getters dispatched before verifyProof");
}

/// `zkinfer_prover::srs::DEV_SRS_SEED` (the prover's test checks its dev SRS has DEV_SRS_DIGEST).
const DEV_SRS_SEED: u64 = 0x7a6b_696e_6665_7221;

#[test]
fn signed_values_and_calldata() {
    assert_eq!(fr_from_i64(-5) + Fr::from(5), Fr::zero());
    assert_eq!(fr_from_i64(7), Fr::from(7));
    assert_eq!(fr_from_i64(i64::MIN) + Fr::from(1u64 << 63), Fr::zero());
    let cd = encode_calldata(&[1u8; 64], &[Fr::from(2)]);
    assert_eq!(&cd[..4], &zkinfer_verifier_gen::verify_selector());
    assert_eq!(cd.len(), 4 + 32 * 3 + 64 + 32 + 32);
    assert_eq!(cd[4 + 31], 0x40);
    assert_eq!(cd[4 + 32 + 31], 0x60 + 64);
}

#[derive(Clone, Default)]
struct TwoInstances;
impl Circuit<Fr> for TwoInstances {
    type Config = ();
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();
    fn without_witnesses(&self) -> Self {
        Self
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) {
        let a = meta.advice_column();
        let i1 = meta.instance_column();
        let i2 = meta.instance_column();
        meta.create_gate("g", |m| {
            vec![
                m.query_advice(a, Rotation::cur()) - m.query_instance(i1, Rotation::cur()),
                m.query_advice(a, Rotation::cur()) - m.query_instance(i2, Rotation::cur()),
            ]
        });
    }
    fn synthesize(&self, _: (), _: impl Layouter<Fr>) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(Clone, Default)]
struct WithChallenge;
impl Circuit<Fr> for WithChallenge {
    type Config = ();
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();
    fn without_witnesses(&self) -> Self {
        Self
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) {
        let a = meta.advice_column();
        let b = meta.advice_column_in(SecondPhase);
        let ch = meta.challenge_usable_after(halo2_proofs::plonk::FirstPhase);
        meta.create_gate("g", |m| {
            vec![m.query_advice(a, Rotation::cur()) * m.query_challenge(ch) - m.query_advice(b, Rotation::cur())]
        });
    }
    fn synthesize(&self, _: (), _: impl Layouter<Fr>) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn refuses_unsupported_features() {
    let params = ParamsKZG::<Bn256>::setup(5, ChaCha20Rng::seed_from_u64(3));
    let vk = keygen_vk(&params, &TwoInstances).unwrap();
    let e = generate(&params, &vk, 1, &VerifierOptions::default()).unwrap_err();
    println!("{e}");
    assert!(matches!(e, VerifierGenError::Unsupported(ref m) if m.contains("instance column")));
    let vk = keygen_vk(&params, &WithChallenge).unwrap();
    let e = generate(&params, &vk, 0, &VerifierOptions::default()).unwrap_err();
    println!("{e}");
    assert!(matches!(e, VerifierGenError::Unsupported(ref m) if m.contains("challenge")));
}
