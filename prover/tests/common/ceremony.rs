//! Real snarkjs powers-of-tau ceremonies for the SRS tests (snarkjs from `./script/install-tools`).
//!
//! A ceremony is generated once per power and number of contributions into Cargo's persistent
//! test directory (`target/tmp/ceremony/`), shared by every test binary, and atomically renamed
//! into place: `snarkjs powersoftau new bn128 P`, then `contribute` N times with random entropy.
//! Power 10 with two contributions takes about 10 s of CPU. Tests copy a file before damaging it.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The snarkjs launcher installed by `./script/install-tools`.
pub fn snarkjs() -> PathBuf {
    let p = root().join(".tools/bin/snarkjs");
    assert!(p.exists(), "{} is missing: run ./script/install-tools", p.display());
    p
}

fn run(args: &[&str]) {
    let out = Command::new(snarkjs()).args(args).output().expect("run snarkjs");
    assert!(out.status.success(), "snarkjs {args:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

static LOCK: Mutex<()> = Mutex::new(());

/// OS-seeded randomness without a dependency (std's hasher keys are drawn from the OS).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

/// The ptau files of one ceremony: `files[c]` after `c` contributions (`files[0]` is the fresh
/// `new` file, tau = 1).
pub fn ceremony(power: u32, contributions: usize) -> Vec<PathBuf> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ceremony");
    let name = |c: usize| dir.join(format!("pot{power}_of{contributions}_c{c}.ptau"));
    let files: Vec<PathBuf> = (0..=contributions).map(name).collect();
    if files.iter().all(|f| f.exists()) {
        return files;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let work = tempfile::tempdir_in(&dir).unwrap();
    let tmp = |c: usize| work.path().join(format!("c{c}.ptau"));
    run(&["powersoftau", "new", "bn128", &power.to_string(), tmp(0).to_str().unwrap()]);
    for c in 1..=contributions {
        let entropy = format!("-e={:016x}{:016x}", random_u64(), random_u64());
        run(&["powersoftau", "contribute", tmp(c - 1).to_str().unwrap(), tmp(c).to_str().unwrap(), &format!("--name=contributor {c}"), &entropy]);
    }
    // The last file last: its presence means the whole chain is there.
    for c in 0..=contributions {
        std::fs::rename(tmp(c), name(c)).unwrap();
    }
    files
}

/// The last file of [`ceremony`] after `snarkjs powersoftau prepare phase2` (what the Hermez
/// `_final_` files are: with the Lagrange bases in sections 12-15). About 6 s of CPU at power 8.
pub fn prepared(power: u32, contributions: usize) -> PathBuf {
    let last = ceremony(power, contributions).pop().unwrap();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = last.with_file_name(format!("pot{power}_of{contributions}_final.ptau"));
    if !out.exists() {
        let work = tempfile::tempdir_in(out.parent().unwrap()).unwrap();
        let tmp = work.path().join("final.ptau");
        run(&["powersoftau", "prepare", "phase2", last.to_str().unwrap(), tmp.to_str().unwrap()]);
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}

/// `snarkjs powersoftau verify FILE` succeeds (snarkjs's own check of the whole transcript).
pub fn snarkjs_verifies(file: &Path) -> bool {
    let out = Command::new(snarkjs()).args(["powersoftau", "verify", file.to_str().unwrap()]).output().expect("run snarkjs");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Powers of Tau Ok!")
}

/// Byte offset and length of section `t` of a ptau file's bytes.
pub fn section(bytes: &[u8], t: u32) -> (usize, usize) {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let mut pos = 12;
    for _ in 0..u32_at(8) {
        let ty = u32_at(pos);
        let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        if ty == t {
            return (pos + 12, len);
        }
        pos += 12 + len;
    }
    panic!("no section {t}");
}
