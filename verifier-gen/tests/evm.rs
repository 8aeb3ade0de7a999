//! On-chain checks: generate -> solc -> anvil; valid proofs verify, every tampering is rejected
//! (and the native verifier agrees).
#![allow(clippy::unwrap_used)]
mod common;

use alloy::primitives::Bytes;
use common::*;
use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_relayer::{compile, CompilerSettings, LocalChain};
use sha3::Digest;
use zkinfer_verifier_gen::{encode_calldata, gas, generate, GasSteps, InstanceCounts, VerifierOptions, SOLC_SETTINGS};

pub fn settings() -> CompilerSettings {
    CompilerSettings {
        optimizer: SOLC_SETTINGS.optimizer,
        runs: SOLC_SETTINGS.runs,
        yul_optimizer: SOLC_SETTINGS.yul_optimizer,
        evm_version: Some(SOLC_SETTINGS.evm_version.to_string()),
    }
}

const R_BE: &str = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

#[derive(Debug, PartialEq)]
enum Outcome {
    Valid,
    False,
    Revert(String),
}

async fn run(chain: &LocalChain, addr: alloy::primitives::Address, calldata: Vec<u8>) -> Outcome {
    let out = chain.call(addr, Bytes::from(calldata)).await.unwrap();
    if !out.success {
        return Outcome::Revert(hex::encode(&out.output));
    }
    let mut one = [0u8; 32];
    one[31] = 1;
    if out.output.as_ref() == one {
        Outcome::Valid
    } else {
        Outcome::False
    }
}

fn check_circuit(k: u32, rows: usize, compress: bool, extra_public: usize) {
    let mut circuit = TestCircuit::new(rows);
    circuit.extra_public = extra_public;
    let inst = circuit.instances();
    let s = setup(k, &circuit, compress);
    let proof = prove(&s, &circuit, &inst);
    assert!(verify_native(&s, &proof, &inst));

    let counts = InstanceCounts { inputs: inst.len() - 3, outputs: 1 };
    let g = generate(&s.params, s.vk(), inst.len(), &VerifierOptions { instance_counts: Some(counts), ..Default::default() }).unwrap();
    assert_eq!(g.proof_len, proof.len(), "generator's proof layout");
    std::fs::write(format!("{}/target-verifier-k{k}.sol", std::env::temp_dir().display()), &g.source).ok();
    let compiled = compile(&[("Verifier.sol".into(), g.source.clone())], &g.contract_name, &settings()).unwrap();
    println!("{}", g.source.lines().find(|l| l.starts_with("// Circuit:")).unwrap_or(""));
    println!(
        "k={k} compress={compress}: proof {} B, runtime bytecode {} B, initcode {} B, ec muls {}",
        proof.len(),
        compiled.deployed_bytecode.len(),
        compiled.bytecode.len(),
        g.num_ec_mul
    );
    assert!(compiled.deployed_bytecode.len() <= 24_576, "runtime bytecode over EIP-170 limit");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let chain = LocalChain::start().unwrap();
        let dep = chain.deploy(compiled.bytecode.clone()).await.unwrap();
        println!("deploy gas: {}", dep.gas_used);
        let addr = dep.address;
        let cd = encode_calldata(&proof, &inst);
        assert_eq!(cd.len(), g.calldata_len);
        assert_eq!(run(&chain, addr, cd.clone()).await, Outcome::Valid, "valid proof must verify");
        // The constants a registry reads, executed.
        let word = |name: &'static str| {
            let chain = &chain;
            async move {
                let sel = &sha3::Keccak256::digest(format!("{name}()").as_bytes())[..4];
                let out = chain.call(addr, Bytes::copy_from_slice(sel)).await.unwrap();
                assert!(out.success && out.output.len() == 32, "{name}()");
                out.output.to_vec()
            }
        };
        let small = |w: Vec<u8>| u64::from_be_bytes(w[24..].try_into().unwrap());
        assert_eq!(word("SRS_DIGEST").await, zkinfer_verifier_gen::srs_digest(&s.params).to_vec());
        assert_eq!(small(word("DEV_SRS").await), 1, "a test SRS is a development one");
        assert_eq!(small(word("INPUT_INSTANCE_COUNT").await), counts.inputs as u64);
        assert_eq!(small(word("OUTPUT_INSTANCE_COUNT").await), 1);
        assert_eq!(small(word("NUM_INSTANCES").await), inst.len() as u64);
        let tx = chain.send(addr, Bytes::from(cd.clone()), Default::default()).await.unwrap();
        assert!(tx.status);
        println!("verify tx gas (incl. 21k base + calldata): {}", tx.gas_used);

        // The gas probe build: the same code, returning the gas of each step instead of the
        // verdict. The steps add up to the call's execution (the transaction less intrinsic and
        // calldata gas; the probe's stamps and the dispatch before the first are the difference).
        let pg = generate(&s.params, s.vk(), inst.len(), &VerifierOptions { gas_probe: true, ..Default::default() }).unwrap();
        assert!(pg.source.starts_with("// GAS PROBE BUILD"));
        let pc = compile(&[("Probe.sol".into(), pg.source.clone())], &pg.contract_name, &settings()).unwrap();
        let probe = chain.deploy(pc.bytecode.clone()).await.unwrap().address;
        let out = chain.call(probe, Bytes::from(cd.clone())).await.unwrap();
        assert!(out.success);
        let steps = GasSteps::from_probe_output(&out.output).expect("the probe returns its stamps");
        let exec = tx.gas_used - gas::TX_BASE - gas::calldata_gas(&cd);
        println!("gas steps: {steps:?} (sum {}; call execution {exec})", steps.total());
        assert!(steps.total().abs_diff(exec) < 1_000, "{steps:?} vs {exec}");
        assert!(steps.pairing >= gas::PAIRING_TWO_PAIRS, "{steps:?}");
        assert!(steps.msm >= g.num_ec_mul as u64 * (gas::EC_MUL + gas::EC_ADD), "{steps:?}");
        assert!(steps.quotient > 0 && steps.shplonk > 0 && steps.transcript > 0, "{steps:?}");

        // flipped proof bytes: point x, point y, a lookup commitment, h piece, a scalar, W, W',
        // the inversion hint (the last 32 bytes; `end` is where halo2's proof ends)
        let end = g.proof_len - 32;
        let positions = [0usize, 63, 64 * 12 + 5, end - 128 - 32 * 3, end - 128 - 1, end - 100, end - 1, g.proof_len - 1, end, g.proof_len / 2];
        for pos in positions {
            let mut p = proof.clone();
            p[pos] ^= 0x01;
            assert!(!verify_native(&s, &p, &inst), "native accepted flip at {pos}");
            let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
            println!("flip at byte {pos}: {o:?}");
            assert_ne!(o, Outcome::Valid, "flip at {pos}");
        }
        // a different valid curve point (y -> p - y) in the first advice commitment and in W'
        for off in [0usize, end - 64] {
            let mut p = proof.clone();
            let y = &p[off + 32..off + 64];
            let q = hex::decode("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47").unwrap();
            let mut neg = [0u8; 32];
            let mut borrow = 0i32;
            for i in (0..32).rev() {
                let d = q[i] as i32 - y[i] as i32 - borrow;
                neg[i] = d.rem_euclid(256) as u8;
                borrow = i32::from(d < 0);
            }
            p[off + 32..off + 64].copy_from_slice(&neg);
            assert!(!verify_native(&s, &p, &inst));
            let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
            println!("negated point at {off}: {o:?}");
            assert_ne!(o, Outcome::Valid);
        }
        // random single-bit flips anywhere in the proof (seeded)
        {
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(u64::from(k));
            for _ in 0..16 {
                let pos = rng.gen_range(0..proof.len());
                let bit = 1u8 << rng.gen_range(0..8);
                let mut p = proof.clone();
                p[pos] ^= bit;
                assert!(!verify_native(&s, &p, &inst), "native accepted flip at {pos}");
                let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
                assert_ne!(o, Outcome::Valid, "random flip at {pos}/{bit}");
            }
        }
        // wrong public instance
        for i in 0..inst.len().min(5) {
            let mut bad = inst.clone();
            bad[i] += Fr::one();
            assert!(!verify_native(&s, &proof, &bad));
            let o = run(&chain, addr, encode_calldata(&proof, &bad)).await;
            println!("instance {i} + 1: {o:?}");
            assert_ne!(o, Outcome::Valid);
        }
        // truncated / extended calldata, truncated proof, wrong instance count
        let o = run(&chain, addr, cd[..cd.len() - 1].to_vec()).await;
        assert!(matches!(o, Outcome::Revert(_)), "{o:?}");
        let mut ext = cd.clone();
        ext.extend_from_slice(&[0u8; 32]);
        let o = run(&chain, addr, ext).await;
        assert!(matches!(o, Outcome::Revert(_)), "{o:?}");
        let o = run(&chain, addr, encode_calldata(&proof[..proof.len() - 32], &inst)).await;
        assert!(matches!(o, Outcome::Revert(_)), "{o:?}");
        let o = run(&chain, addr, encode_calldata(&proof, &inst[..inst.len() - 1])).await;
        assert!(matches!(o, Outcome::Revert(_)), "{o:?}");
        // scalar >= r in the proof (first advice evaluation := its value + r, if it fits)
        let r = hex::decode(R_BE).unwrap();
        let scalar_off = end - 128 - 32; // last scalar before W
        let mut p = proof.clone();
        p[scalar_off..scalar_off + 32].copy_from_slice(&r);
        assert!(!verify_native(&s, &p, &inst));
        let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
        println!("scalar = r: {o:?}");
        assert!(matches!(o, Outcome::Revert(_)));
        // the hint: zero, or non-canonical (hint + r, the same residue) both revert
        for bad_hint in [vec![0u8; 32], add_r(&proof[end..])] {
            let mut p = proof.clone();
            p[end..].copy_from_slice(&bad_hint);
            assert!(!verify_native(&s, &p, &inst));
            let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
            println!("hint {}: {o:?}", hex::encode(&bad_hint[..4]));
            assert!(matches!(o, Outcome::Revert(_)), "{o:?}");
        }
        // instance >= r (raw calldata edit)
        let mut c2 = cd.clone();
        let n = c2.len();
        c2[n - 32..].copy_from_slice(&r);
        let o = run(&chain, addr, c2).await;
        println!("instance = r: {o:?}");
        assert!(matches!(o, Outcome::Revert(_)));
        // point with x >= p / not on curve
        let mut p = proof.clone();
        p[0..32].copy_from_slice(&[0xff; 32]);
        let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
        assert!(matches!(o, Outcome::Revert(_)));
        let mut p = proof.clone();
        p[0..64].copy_from_slice(&[0u8; 64]);
        let o = run(&chain, addr, encode_calldata(&p, &inst)).await;
        assert!(matches!(o, Outcome::Revert(_)), "identity must be rejected");
        // a rejected call must not burn the gas limit
        let mut p = proof.clone();
        p[10] ^= 1;
        let tx = chain.send_with_gas(addr, Bytes::from(encode_calldata(&p, &inst)), Default::default(), 5_000_000).await.unwrap();
        println!("rejected tx: status {} gas {}", tx.status, tx.gas_used);
        assert!(tx.gas_used < 1_000_000);
    });
}

#[test]
fn evm_k10_compressed_selectors() {
    check_circuit(10, 40, true, 0);
}

#[test]
fn evm_k14_compressed_selectors() {
    check_circuit(14, 1000, true, 10);
}

#[test]
fn evm_k12_uncompressed_selectors_many_instances() {
    check_circuit(12, 300, false, 64);
}

/// The chosen settings against the alternatives: every one that compiles must verify a valid proof
/// (via-IR is never tried: it miscompiled halo2 verifiers into always-reverting contracts).
#[test]
fn evm_compiler_settings_matrix() {
    let circuit = TestCircuit::new(40);
    let inst = circuit.instances();
    let s = setup(10, &circuit, true);
    let proof = prove(&s, &circuit, &inst);
    let counts = InstanceCounts { inputs: inst.len() - 3, outputs: 1 };
    let g = generate(&s.params, s.vk(), inst.len(), &VerifierOptions { instance_counts: Some(counts), ..Default::default() }).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let chain = LocalChain::start().unwrap();
        for (optimizer, runs, yul, evm) in [
            (true, 1, false, Some("cancun")),
            (true, 200, false, None),
            (false, 200, false, None),
            (true, 1, true, Some("cancun")),
        ] {
            let st = CompilerSettings {
                optimizer,
                runs,
                yul_optimizer: yul,
                evm_version: evm.map(str::to_string),
            };
            let compiled = match compile(&[("V.sol".into(), g.source.clone())], &g.contract_name, &st) {
                Ok(c) => c,
                Err(e) => {
                    println!("{st:?}: does not compile: {e}");
                    continue;
                }
            };
            let dep = chain.deploy(compiled.bytecode.clone()).await.unwrap();
            let cd = encode_calldata(&proof, &inst);
            assert_eq!(run(&chain, dep.address, cd.clone()).await, Outcome::Valid, "{st:?}");
            let gas = chain.estimate_gas(dep.address, Bytes::from(cd), Default::default()).await.unwrap();
            println!("{st:?}: runtime {} B, verify gas estimate {gas}", compiled.deployed_bytecode.len());
        }
    });
}

/// `v + r` as 32 big-endian bytes (`v < 2^256 - r` for a canonical hint with overwhelming
/// probability; if it overflows, the wrapped value is as good a wrong hint).
fn add_r(v: &[u8]) -> Vec<u8> {
    let r = hex::decode(R_BE).unwrap();
    let mut out = vec![0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let t = u16::from(v[i]) + u16::from(r[i]) + carry;
        out[i] = t as u8;
        carry = t >> 8;
    }
    out
}
