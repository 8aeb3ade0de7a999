//! Ceremony SRS files: real snarkjs `.ptau` files (generated here with two contributions) and
//! halo2 `ParamsKZG` files load, downsize and prove; damaged, truncated, spliced, too small or
//! hostile files are refused with an error naming the file and the problem.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ceremony.rs"]
mod ceremony;

use halo2_proofs::halo2curves::bn256::{Bn256, Fq2, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::group::Curve;
use halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer_prover::artifact::CircuitArtifact;
use zkinfer_prover::circuit::ModelCircuit;
use zkinfer_prover::srs::{self, SrsError, SrsFormat};
use zkinfer_prover::proving;

/// The test ceremony: power 10 (the bundled model needs k = 9), two contributions.
const POWER: u32 = 10;

fn ptau() -> PathBuf {
    ceremony::ceremony(POWER, 2)[2].clone()
}

/// A damaged copy of `src` in `dir`, named `name`.
fn damaged(dir: &Path, src: &Path, name: &str, damage: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(src).unwrap();
    damage(&mut bytes);
    let out = dir.join(name);
    std::fs::write(&out, bytes).unwrap();
    out
}

fn refused(path: &Path, k: u32) -> (SrsError, String) {
    let e = srs::load(path, k).unwrap_err();
    let s = e.to_string();
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(s.contains(name), "the error names the file {name}: {s}");
    (e, s)
}

fn write_raw(params: &ParamsKZG<Bn256>, path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    params.write(&mut f).unwrap();
}

#[test]
fn ptau_with_two_contributions_loads_downsized_and_proves_the_bundled_model() {
    let file = ptau();
    assert!(ceremony::snarkjs_verifies(&file), "snarkjs accepts its own ceremony");
    let (compiled, samples) = common::mlp_small();
    let art = CircuitArtifact::new(&common::model_path("mlp_small.onnx"), compiled.model.clone(), compiled.plan.clone()).unwrap();
    let k = art.plan.k;
    assert!(k < POWER, "the file is downsized from power {POWER} to k = {k}");
    let mut events = Vec::new();
    let loaded = srs::load_with_progress(&file, k, |e| events.push(e.clone())).unwrap();
    let info = &loaded.info;
    assert_eq!((info.format, info.k, info.file_power), (SrsFormat::Ptau, k, POWER));
    assert_eq!((info.contributions, info.ceremony_power, info.dev), (Some(2), Some(POWER), false));
    assert_eq!(info.file_bytes, Some(std::fs::metadata(&file).unwrap().len()));
    let b2 = blake2b_simd::Params::new().hash_length(64).hash(&std::fs::read(&file).unwrap()).to_hex().to_string();
    assert_eq!(info.file_blake2b512.as_deref(), Some(b2.as_str()));
    assert_eq!(info.known_file, None, "a local ceremony is not a published one");
    assert!(events.iter().any(|e| matches!(e, srs::LoadEvent::Lagrange { .. })), "the Lagrange basis is computed: {events:?}");
    assert_eq!(loaded.params.k(), k);
    // A real proof with the ceremony's parameters.
    let pk = proving::keygen(&loaded.params, &art.circuit()).unwrap();
    let model = Arc::new(art.model.clone());
    let trace = model.forward(&model.quantise_input(&samples[0]).unwrap()).unwrap();
    let instances = ModelCircuit::instances(&model, &art.plan.shape, &trace).unwrap();
    let circuit = ModelCircuit { model, shape: art.plan.shape, trace: Some(trace) };
    let proof = proving::prove(&loaded.params, &pk, &circuit, &instances).unwrap();
    proving::verify(&loaded.params, pk.get_vk(), &proof, &instances).unwrap();
    // ... which the dev SRS's parameters do not verify.
    let dev = srs::dev_srs(k).unwrap();
    assert!(proving::verify(&dev, pk.get_vk(), &proof, &instances).is_err());
}

#[test]
fn prepared_ptau_lagrange_section_is_used_and_matches_the_computed_basis() {
    let dir = tempfile::tempdir().unwrap();
    let prepared = ceremony::prepared(8, 1);
    let unprepared = ceremony::ceremony(8, 1)[1].clone();
    for k in [8, 6] {
        let mut events = Vec::new();
        let fast = srs::load_with_progress(&prepared, k, |e| events.push(e.clone())).unwrap();
        assert!(!events.iter().any(|e| matches!(e, srs::LoadEvent::Lagrange { .. })), "no FFT over G1 with section 12: {events:?}");
        let computed = srs::load(&unprepared, k).unwrap();
        let bytes = |p: &ParamsKZG<Bn256>| {
            let mut v = Vec::new();
            p.write(&mut v).unwrap();
            v
        };
        assert!(bytes(&fast.params) == bytes(&computed.params), "k = {k}: snarkjs's basis, reordered, is halo2's");
        assert_eq!(fast.info.points_keccak256, computed.info.points_keccak256);
    }
    // A damaged basis is caught by the Lagrange check, not used.
    let bytes = std::fs::read(&prepared).unwrap();
    let (l, _) = ceremony::section(&bytes, 12);
    let at = l + ((1 << 7) - 1) * 64; // the 2^7-point basis
    let swapped = damaged(dir.path(), &prepared, "swapped-lagrange.ptau", |b| {
        let tmp: Vec<u8> = b[at + 64..at + 128].to_vec();
        b.copy_within(at + 128..at + 192, at + 64);
        b[at + 128..at + 192].copy_from_slice(&tmp);
    });
    let (e, s) = refused(&swapped, 7);
    assert!(matches!(e, SrsError::Inconsistent { .. }) && s.contains("lagrange tauG1"), "{s}");
    assert!(srs::load(&swapped, 6).is_ok(), "other domain sizes are untouched");
}

#[test]
fn computed_lagrange_basis_is_cached_and_a_damaged_cache_entry_is_recomputed() {
    let cache = tempfile::tempdir().unwrap();
    let opts = srs::LoadOptions { lagrange_cache: Some(cache.path().to_path_buf()) };
    let load = |events: &mut Vec<srs::LoadEvent>| srs::load_with(&ptau(), 8, &opts, |e| events.push(e.clone())).unwrap();
    let bytes = |p: &ParamsKZG<Bn256>| {
        let mut v = Vec::new();
        p.write(&mut v).unwrap();
        v
    };
    let mut first = Vec::new();
    let computed = load(&mut first);
    assert!(first.iter().any(|e| matches!(e, srs::LoadEvent::Lagrange { k: 8 })), "{first:?}");
    let mut second = Vec::new();
    let cached = load(&mut second);
    let entry = second.iter().find_map(|e| match e {
        srs::LoadEvent::LagrangeCached { path } => Some(path.clone()),
        _ => None,
    });
    let entry = entry.unwrap_or_else(|| panic!("the second load uses the cache: {second:?}"));
    assert!(!second.iter().any(|e| matches!(e, srs::LoadEvent::Lagrange { .. })));
    assert!(bytes(&computed.params) == bytes(&cached.params));
    assert_eq!(computed.info, cached.info);
    // A damaged entry (two points swapped: all on the curve) fails the Lagrange check and is
    // recomputed and replaced, never used.
    let mut b = std::fs::read(&entry).unwrap();
    let at = b.len() - 4 * 64;
    let tmp: Vec<u8> = b[at..at + 64].to_vec();
    b.copy_within(at + 64..at + 128, at);
    b[at + 64..at + 128].copy_from_slice(&tmp);
    std::fs::write(&entry, &b).unwrap();
    let mut third = Vec::new();
    let recomputed = load(&mut third);
    assert!(third.iter().any(|e| matches!(e, srs::LoadEvent::Lagrange { .. })), "{third:?}");
    assert!(bytes(&recomputed.params) == bytes(&computed.params));
    let mut fourth = Vec::new();
    load(&mut fourth);
    assert!(fourth.iter().any(|e| matches!(e, srs::LoadEvent::LagrangeCached { .. })), "the entry was replaced: {fourth:?}");
}

#[test]
fn ptau_and_halo2_files_of_the_same_powers_have_the_same_points_digest() {
    let dir = tempfile::tempdir().unwrap();
    let from_ptau = srs::load(&ptau(), POWER).unwrap();
    let raw = dir.path().join("converted.srs");
    write_raw(&from_ptau.params, &raw);
    let compressed = dir.path().join("converted-compressed.srs");
    from_ptau.params.write_custom(&mut std::fs::File::create(&compressed).unwrap(), halo2_proofs::SerdeFormat::Processed).unwrap();
    for (file, format) in [(&raw, SrsFormat::Halo2Raw), (&compressed, SrsFormat::Halo2Compressed)] {
        // At the file's own k its Lagrange basis is used (and checked); below it, recomputed.
        for k in [POWER, POWER - 2] {
            let l = srs::load(file, k).unwrap();
            assert_eq!((l.info.format, l.info.file_power, l.info.k), (format, POWER, k));
            let p = if k == POWER { from_ptau.clone() } else { srs::load(&ptau(), k).unwrap() };
            assert_eq!(l.info.points_keccak256, p.info.points_keccak256, "{format} at k = {k}");
            assert_eq!(l.info.g2_keccak256, p.info.g2_keccak256);
            assert_eq!(l.params.get_g(), p.params.get_g());
        }
    }
    assert_ne!(srs::load(&raw, POWER - 1).unwrap().info.points_keccak256, from_ptau.info.points_keccak256, "k is part of the digest");
}

#[test]
fn ptau_content_is_detected_whatever_the_name_and_a_misnamed_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = damaged(dir.path(), &ptau(), "ceremony.bin", |_| {});
    assert_eq!(srs::load(&renamed, 8).unwrap().info.format, SrsFormat::Ptau);
    let dev = srs::dev_srs_in(dir.path(), 6).unwrap();
    let halo2_named_ptau = dir.path().join("params.ptau");
    write_raw(&dev, &halo2_named_ptau);
    let (e, s) = refused(&halo2_named_ptau, 6);
    assert!(matches!(e, SrsError::UnknownFormat { .. }) && s.contains("magic 'ptau'"), "{s}");
    let junk = damaged(dir.path(), &ptau(), "junk.srs", |b| b.iter_mut().take(64).for_each(|x| *x = 0xee));
    let (_, s) = refused(&junk, 6);
    assert!(s.contains("not an SRS file"), "{s}");
}

#[test]
fn corrupted_tau_g1_point_is_refused_naming_the_point() {
    let dir = tempfile::tempdir().unwrap();
    let src = ptau();
    let bytes = std::fs::read(&src).unwrap();
    let (g1, _) = ceremony::section(&bytes, 2);
    // One flipped bit in tauG1[5]'s y coordinate: off the curve.
    let off_curve = damaged(dir.path(), &src, "off-curve.ptau", |b| b[g1 + 5 * 64 + 40] ^= 0x01);
    let (e, s) = refused(&off_curve, 9);
    assert!(matches!(e, SrsError::BadPoint { ref field, index: 5, .. } if field == "tauG1") && s.contains("not a point on the BN254 G1 curve"), "{s}");
    // A coordinate above the modulus.
    let big = damaged(dir.path(), &src, "big-coordinate.ptau", |b| b[g1 + 3 * 64..g1 + 3 * 64 + 32].fill(0xff));
    let (_, s) = refused(&big, 9);
    assert!(s.contains("tauG1[3]") && s.contains("modulus"), "{s}");
    // The point at infinity (all zeros in snarkjs's encoding).
    let zero = damaged(dir.path(), &src, "infinity.ptau", |b| b[g1 + 7 * 64..g1 + 8 * 64].fill(0));
    let (_, s) = refused(&zero, 9);
    assert!(s.contains("tauG1[7]") && s.contains("point at infinity"), "{s}");
    // Two valid powers swapped: every point is on the curve, the powers check catches it.
    let swapped = damaged(dir.path(), &src, "swapped.ptau", |b| {
        let (i, j) = (g1 + 300 * 64, g1 + 301 * 64);
        let tmp: Vec<u8> = b[i..i + 64].to_vec();
        b.copy_within(j..j + 64, i);
        b[j..j + 64].copy_from_slice(&tmp);
    });
    let (e, s) = refused(&swapped, 9);
    assert!(matches!(e, SrsError::Inconsistent { .. }) && s.contains("tauG1") && (s.contains("powers check") || s.contains("spot check")), "{s}");
    // Beyond the 2^k powers used, a damaged point is not read (the file is still well-formed).
    let unused = damaged(dir.path(), &src, "unused-damaged.ptau", |b| b[g1 + 600 * 64 + 40] ^= 0x01);
    assert!(srs::load(&unused, 9).is_ok());
    assert!(refused(&unused, 10).1.contains("tauG1[600]"));
}

#[test]
fn truncated_ptau_is_refused_naming_the_section() {
    let dir = tempfile::tempdir().unwrap();
    let src = ptau();
    let bytes = std::fs::read(&src).unwrap();
    let (g2, g2_len) = ceremony::section(&bytes, 3);
    for (name, len, expect) in [
        ("t8.ptau", 8, "shorter than the 12-byte header"),
        ("t30.ptau", 30, "section 1 (header)"),
        ("t73.ptau", 24 + 44 + 5, "section table entry 1"),
        ("tg2.ptau", g2 + g2_len / 2, "section 3 (tauG2)"),
        ("tlast.ptau", bytes.len() - 1, "section 7 (contributions)"),
    ] {
        let cut = damaged(dir.path(), &src, name, |b| b.truncate(len));
        let (e, s) = refused(&cut, 9);
        assert!(matches!(e, SrsError::Malformed { format: SrsFormat::Ptau, .. }) && s.contains(expect) && s.contains("truncated"), "{name}: {s}");
    }
    let padded = damaged(dir.path(), &src, "padded.ptau", |b| b.extend_from_slice(&[0; 100]));
    assert!(refused(&padded, 9).1.contains("100 bytes after the last section"));
}

#[test]
fn ptau_power_below_the_circuit_k_is_refused() {
    let (e, s) = refused(&ptau(), POWER + 1);
    assert!(matches!(e, SrsError::TooSmall { file_power: POWER, k, .. } if k == POWER + 1), "{s}");
    assert!(s.contains("power 10") && s.contains("k = 11"), "{s}");
}

#[test]
fn spliced_ptau_with_another_ceremonys_tau_g2_fails_the_pairing_check() {
    let dir = tempfile::tempdir().unwrap();
    let chain = ceremony::ceremony(POWER, 2);
    let other = std::fs::read(&chain[1]).unwrap();
    let (g2, len) = ceremony::section(&other, 3);
    let spliced = damaged(dir.path(), &chain[2], "spliced.ptau", |b| {
        let (mine, my_len) = ceremony::section(b, 3);
        assert_eq!((mine, my_len), (g2, len), "same power, same layout up to tauG2");
        b[mine..mine + len].copy_from_slice(&other[g2..g2 + len]);
    });
    let (e, s) = refused(&spliced, 9);
    assert!(matches!(e, SrsError::Inconsistent { .. }), "{s}");
    assert!(s.contains("pairing check e(tau*G1, G2) = e(G1, tau*G2)") && s.contains("tauG1[1] and tauG2[1] hold different taus"), "{s}");
}

#[test]
fn ptau_nobody_contributed_to_is_refused() {
    let fresh = ceremony::ceremony(POWER, 2)[0].clone();
    let (_, s) = refused(&fresh, 9);
    assert!(s.contains("tau = 1"), "{s}");
}

#[test]
fn hostile_ptau_headers_are_refused_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let src = ptau();
    let bytes = std::fs::read(&src).unwrap();
    let (header, _) = ceremony::section(&bytes, 1);
    let (g1, _) = ceremony::section(&bytes, 2);
    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Damage, &str)> = vec![
        ("version.ptau", Box::new(|b| b[4] = 2), "version: 2"),
        ("count.ptau", Box::new(|b| b[8..12].copy_from_slice(&u32::MAX.to_le_bytes())), "section count"),
        // tauG1 claims 2^64 - 1 bytes.
        ("huge-section.ptau", Box::new(move |b| b[g1 - 8..g1].fill(0xff)), "declares 18446744073709551615 bytes"),
        // The header claims power 28 (2^29 tauG1 points, 32 GiB): checked against the section length.
        ("power28.ptau", Box::new(move |b| b[header + 36..header + 40].copy_from_slice(&28u32.to_le_bytes())), "power 28 needs 536870911 points"),
        ("power99.ptau", Box::new(move |b| b[header + 36..header + 40].copy_from_slice(&99u32.to_le_bytes())), "power = 99"),
        ("n8.ptau", Box::new(move |b| b[header..header + 4].copy_from_slice(&48u32.to_le_bytes())), "BLS12-381"),
        ("prime.ptau", Box::new(move |b| b[header + 4] ^= 1), "not BN254's base field modulus"),
    ];
    for (name, damage, expect) in cases {
        let f = damaged(dir.path(), &src, name, damage);
        let (_, s) = refused(&f, 9);
        assert!(s.contains(expect), "{name}: {s}");
    }
}

#[test]
fn halo2_file_with_a_wrong_lagrange_basis_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let params = srs::load(&ptau(), 8).unwrap().params;
    let good = dir.path().join("k8.srs");
    write_raw(&params, &good);
    let n = 1usize << 8;
    let lagrange = 4 + n * 64;
    let bad = damaged(dir.path(), &good, "bad-lagrange.srs", |b| {
        let (i, j) = (lagrange + 10 * 64, lagrange + 11 * 64);
        let tmp: Vec<u8> = b[i..i + 64].to_vec();
        b.copy_within(j..j + 64, i);
        b[j..j + 64].copy_from_slice(&tmp);
    });
    let (_, s) = refused(&bad, 8);
    assert!(s.contains("Lagrange basis") && s.contains("g_lagrange"), "{s}");
    // Below the file's k the basis is recomputed, so the bad one is never used.
    assert!(srs::load(&bad, 7).is_ok());
}

/// A point on the G2 twist outside the prime-order subgroup.
fn g2_outside_subgroup() -> G2Affine {
    let b = G2Affine::generator().y.square() - G2Affine::generator().x.square() * G2Affine::generator().x;
    let mut x = Fq2::ONE;
    loop {
        x += Fq2::ONE;
        if let Some(y) = Option::<Fq2>::from((x.square() * x + b).sqrt()) {
            return G2Affine { x, y };
        }
    }
}

#[test]
fn halo2_file_with_bad_points_or_length_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let params = srs::load(&ptau(), 8).unwrap().params;
    let good = dir.path().join("k8.srs");
    write_raw(&params, &good);
    let n = 1usize << 8;
    let g2_at = 4 + 2 * n * 64;
    let p = g2_outside_subgroup();
    let outside = damaged(dir.path(), &good, "s-g2-outside.srs", |b| b[g2_at + 128..g2_at + 256].copy_from_slice(&p.to_raw_bytes()));
    let (e, s) = refused(&outside, 8);
    assert!(matches!(e, SrsError::BadPoint { ref field, .. } if field == "s_g2") && s.contains("not in its prime-order subgroup"), "{s}");
    let two_g = (G1Affine::generator() + G1Affine::generator()).to_affine();
    let non_standard = damaged(dir.path(), &good, "generator.srs", |b| b[4..68].copy_from_slice(&two_g.to_raw_bytes()));
    assert!(refused(&non_standard, 7).1.contains("g[0] is not BN254's G1 generator"));
    let short = damaged(dir.path(), &good, "short.srs", |b| b.truncate(b.len() - 1));
    let (e, s) = refused(&short, 8);
    assert!(matches!(e, SrsError::Malformed { format: SrsFormat::Halo2Raw, .. }) && s.contains("the header says k = 8"), "{s}");
    let small = dir.path().join("k8.srs");
    assert!(refused(&small, 9).1.contains("power 8"));
}

#[test]
fn dev_srs_is_recognised_with_or_without_its_magic() {
    let dir = tempfile::tempdir().unwrap();
    let _ = srs::dev_srs_in(dir.path(), 6).unwrap();
    let cached = dir.path().join("dev-srs-k6.UNSAFE.srs");
    let with_magic = srs::load(&cached, 5).unwrap();
    assert!(with_magic.info.dev && with_magic.info.format == SrsFormat::Halo2Raw);
    let stripped = damaged(dir.path(), &cached, "looks-like-a-ceremony.srs", |b| {
        b.drain(..srs::DEV_SRS_MAGIC.len());
    });
    let l = srs::load(&stripped, 6).unwrap();
    assert!(l.info.dev, "recognised by its public tau, not only by its name or magic");
    assert_eq!(l.info.points_keccak256, srs::dev_info(&srs::dev_srs_in(dir.path(), 6).unwrap()).points_keccak256);
    assert!(!srs::load(&ptau(), 6).unwrap().info.dev);
}

#[test]
fn randomly_damaged_or_truncated_files_are_errors_never_panics() {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(14);
    let ptau = std::fs::read(ceremony::ceremony(8, 1).pop().unwrap()).unwrap();
    let halo2 = {
        let mut v = Vec::new();
        srs::load(&ceremony::ceremony(8, 1)[1], 6).unwrap().params.write(&mut v).unwrap();
        v
    };
    let path = dir.path().join("damaged.srs");
    let mut refused = 0;
    for i in 0..400 {
        let mut b = if i % 2 == 0 { ptau.clone() } else { halo2.clone() };
        match i % 4 {
            // Truncated anywhere.
            0 | 1 => b.truncate(rng.gen_range(0..b.len())),
            // A random header or section-table byte, or bytes anywhere.
            2 => {
                let at = rng.gen_range(0..200.min(b.len()));
                b[at] = rng.gen();
            }
            _ => {
                for _ in 0..4 {
                    let at = rng.gen_range(0..b.len());
                    b[at] ^= 1 << rng.gen_range(0..8);
                }
            }
        }
        std::fs::write(&path, &b).unwrap();
        for k in [5, 6] {
            if let Err(e) = srs::load(&path, k) {
                assert!(e.to_string().contains("damaged.srs"), "{e}");
                refused += 1;
            }
        }
    }
    assert!(refused > 600, "most damage is caught ({refused} of 800 loads refused)");
}

#[test]
fn setup_json_records_the_srs_and_refuses_a_changed_one_and_version_3_is_still_read() {
    use zkinfer_prover::artifact::SetupArtifact;
    let dir = tempfile::tempdir().unwrap();
    let ptau = dir.path().join("pot.ptau");
    std::fs::copy(ceremony::ceremony(8, 1)[1].clone(), &ptau).unwrap();
    let loaded = srs::load(&ptau, 6).unwrap();
    let source = srs::SrsSource::File { path: ptau.clone() };
    let setup = SetupArtifact::new(source.clone(), 6).with_info(loaded.info.clone());
    assert!(!setup.dev_srs() && setup.warning.is_none());
    let json = dir.path().join("setup.json");
    setup.save(&json).unwrap();
    let back = SetupArtifact::load(&json).unwrap();
    assert_eq!((back.version, back.srs_info.as_ref()), (4, Some(&loaded.info)));
    assert_eq!(back.params(6).unwrap().info, loaded.info);
    // Another ceremony's file at the same path: refused, naming the file and the digest.
    std::fs::copy(ceremony::ceremony(POWER, 2)[2].clone(), &ptau).unwrap();
    let e = back.params(6).unwrap_err().to_string();
    assert!(e.contains("pot.ptau") && e.contains("points_keccak256") && e.contains(&loaded.info.points_keccak256), "{e}");
    // A dev SRS given as a file gets the dev warning.
    let dev_file = dir.path().join("dev.srs");
    write_raw(&srs::dev_srs_in(dir.path(), 6).unwrap(), &dev_file);
    let dev = SetupArtifact::new(srs::SrsSource::File { path: dev_file.clone() }, 6).with_info(srs::load(&dev_file, 6).unwrap().info);
    assert!(dev.dev_srs() && dev.warning.as_deref().unwrap_or_default().contains("UNSAFE"));
    // Version 3 (before srs_info) is read; an unknown version is refused naming the field.
    std::fs::write(&json, r#"{"format": "zkinfer-setup", "version": 3, "srs": {"kind": "dev_unsafe"}, "k": 6}"#).unwrap();
    let v3 = SetupArtifact::load(&json).unwrap();
    assert!(v3.srs_info.is_none() && v3.dev_srs());
    std::fs::write(&json, r#"{"format": "zkinfer-setup", "version": 5, "srs": {"kind": "dev_unsafe"}, "k": 6}"#).unwrap();
    let e = SetupArtifact::load(&json).unwrap_err().to_string();
    assert!(e.contains("setup.json") && e.contains("field 'version' is 5"), "{e}");
}

/// Load cost of an SRS file: `ZKINFER_PTAU=FILE ZKINFER_PTAU_K=K [ZKINFER_LAGRANGE_CACHE=DIR]
/// cargo test -p zkinfer-prover --test srs load_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn load_cost() {
    let file = std::env::var("ZKINFER_PTAU").map(PathBuf::from).unwrap_or_else(|_| ptau());
    let k: u32 = std::env::var("ZKINFER_PTAU_K").ok().and_then(|k| k.parse().ok()).unwrap_or(POWER);
    let opts = srs::LoadOptions { lagrange_cache: std::env::var_os("ZKINFER_LAGRANGE_CACHE").map(PathBuf::from) };
    let start = std::time::Instant::now();
    let mut last = start;
    let l = srs::load_with(&file, k, &opts, |e| {
        eprintln!("{:>8.3} s  then {e:?}", last.elapsed().as_secs_f64());
        last = std::time::Instant::now();
    })
    .unwrap();
    eprintln!("{:>8.3} s  then done; total {:.3} s: {:?}", last.elapsed().as_secs_f64(), start.elapsed().as_secs_f64(), l.info);
}
