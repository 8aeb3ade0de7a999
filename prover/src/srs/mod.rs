//! Structured reference strings (KZG parameters over BN254).
//!
//! **Development SRS — UNSAFE FOR PRODUCTION.** [`dev_srs`] derives the KZG toxic waste from a
//! public seed, so anyone can forge proofs against keys made with it (see [`dev`]).
//!
//! **The production path is [`load`]**: a ceremony file, recognised by its content (not its
//! name), downsized to the circuit's `k`:
//!
//! * a snarkjs / Hermez **`.ptau`** file (any power and contribution count; [`ptau`]): the first
//!   `2^k` powers of tauG1 and `[G2, τ·G2]` from tauG2; the Lagrange basis is computed;
//! * a halo2 **`ParamsKZG`** file ([`halo2`]): raw points (halo2-axiom, PSE halo2, ezkl's
//!   downloads, Axiom's `kzg_bn254_K.srs`) or compressed (PSE's older files). A file of exactly
//!   the circuit's `k` keeps its own Lagrange basis, after checking it; a larger one is truncated
//!   and its basis computed.
//!
//! Every load checks the file's structure (lengths against the file's size before anything is
//! allocated), every point used (on the curve, in the subgroup, not at infinity), the standard
//! generators and the pairing relations between the powers (see [`check`]); any failure is an
//! [`SrsError`] naming the file and the problem. [`SrsInfo`] describes what was loaded: format,
//! sizes, digests, and whether it is the dev SRS.

pub mod cache;
mod check;
mod codec;
pub mod dev;
mod error;
pub mod halo2;
mod known;
pub mod ptau;

pub use dev::{cache_dir, dev_srs, dev_srs_in, DEV_SRS_MAGIC, DEV_SRS_SEED};
pub use error::SrsError;
pub use known::HERMEZ_URL_PREFIX;

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The largest power of tau a file may hold: BN254's scalar field has 2-adicity 28.
pub const MAX_POWER: u32 = 28;

/// Which SRS a key was made with (what `zkinfer setup` was given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SrsSource {
    /// The deterministic development SRS (unsafe).
    DevUnsafe,
    /// Loaded from a file.
    File {
        /// Path.
        path: PathBuf,
    },
}

/// The encoding of an SRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SrsFormat {
    /// The generated development SRS (no file given).
    Dev,
    /// A snarkjs / Hermez `.ptau` file.
    Ptau,
    /// A halo2 `ParamsKZG` file with raw (uncompressed, Montgomery-form) points.
    Halo2Raw,
    /// A halo2 `ParamsKZG` file with compressed points (`SerdeFormat::Processed`).
    Halo2Compressed,
}

impl std::fmt::Display for SrsFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SrsFormat::Dev => "development SRS",
            SrsFormat::Ptau => "snarkjs .ptau",
            SrsFormat::Halo2Raw => "halo2 KZG parameters (raw points)",
            SrsFormat::Halo2Compressed => "halo2 KZG parameters (compressed points)",
        })
    }
}

/// A description of a loaded SRS: what others (setup.json, verifier generation, relayers) need
/// to say which SRS keys and verifiers were made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrsInfo {
    /// The encoding.
    pub format: SrsFormat,
    /// The file (`None` for the generated dev SRS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// log2 of the number of powers used (the circuit's k).
    pub k: u32,
    /// log2 of the number of powers the file holds (a ptau's `power`, a halo2 file's `k`).
    pub file_power: u32,
    /// The file's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_bytes: Option<u64>,
    /// blake2b-512 of the whole file, hex (`b2sum FILE`; snarkjs publishes these for the Hermez files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_blake2b512: Option<String>,
    /// The published ceremony file this is, byte for byte (e.g. `powersOfTau28_hez_final_12.ptau`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_file: Option<String>,
    /// A ptau header's `ceremonyPower`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony_power: Option<u32>,
    /// A ptau file's number of contributions (its section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributions: Option<u32>,
    /// Keccak-256 of the points used, `0x`-hex: `"zkinfer-srs-points-v1" ‖ k (u32 BE) ‖ the 2^k
    /// G1 powers (x ‖ y, 32-byte BE) ‖ G2 ‖ τ·G2 (EVM order x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0)`. The same
    /// powers give the same digest whatever the file format.
    pub points_keccak256: String,
    /// Keccak-256 of `G2 ‖ τ·G2` in EVM order, `0x`-hex: the SRS points a Solidity verifier holds.
    pub g2_keccak256: String,
    /// The development SRS (its tau is public: anyone can forge proofs), whether generated or
    /// found in a file (recognised by its magic line or by its points).
    pub dev: bool,
}

/// Parameters and their description.
#[derive(Debug, Clone)]
pub struct LoadedSrs {
    /// The parameters, at the circuit's k.
    pub params: ParamsKZG<Bn256>,
    /// What they are.
    pub info: SrsInfo,
}

/// Progress of [`load_with_progress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadEvent {
    /// Reading and decoding the `points` G1 powers used (a ptau file if `ptau`, else a halo2 one).
    Reading {
        /// Whether the content is a snarkjs `.ptau` file.
        ptau: bool,
        /// G1 points to decode.
        points: usize,
    },
    /// Running the pairing and consistency checks over `2^k` powers.
    Checking {
        /// k.
        k: u32,
    },
    /// Computing the Lagrange basis for `k` (an FFT over G1).
    Lagrange {
        /// k.
        k: u32,
    },
    /// Using a Lagrange basis computed by an earlier load (after checking it).
    LagrangeCached {
        /// The cache file.
        path: PathBuf,
    },
    /// The computed Lagrange basis could not be cached (the load goes on).
    CacheNotWritten {
        /// The cache directory.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// Hashing the whole file (`bytes`).
    Hashing {
        /// File size.
        bytes: u64,
    },
}

/// Field names of a format, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Names {
    g: &'static str,
    g2: &'static str,
    s_g2: &'static str,
    g_lagrange: &'static str,
}

/// What a format reader returns: the points used, not yet checked against each other.
#[derive(Debug)]
pub(crate) struct Parsed {
    format: SrsFormat,
    file_power: u32,
    g: Vec<G1Affine>,
    g_lagrange: Option<Vec<G1Affine>>,
    g2: G2Affine,
    s_g2: G2Affine,
    ceremony_power: Option<u32>,
    contributions: Option<u32>,
    dev_magic: bool,
    names: Names,
}

/// Options of [`load_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Where to cache Lagrange bases that had to be computed ([`cache`]); `None`: compute them on
    /// every load.
    pub lagrange_cache: Option<PathBuf>,
}

/// Loads an SRS file for a circuit of size `2^k` (see the module docs).
pub fn load(path: &Path, k: u32) -> Result<LoadedSrs, SrsError> {
    load_with(path, k, &LoadOptions::default(), |_| {})
}

/// [`load`], reporting its stages.
pub fn load_with_progress(path: &Path, k: u32, progress: impl FnMut(&LoadEvent)) -> Result<LoadedSrs, SrsError> {
    load_with(path, k, &LoadOptions::default(), progress)
}

/// [`load`] with options, reporting its stages.
pub fn load_with(path: &Path, k: u32, opts: &LoadOptions, mut progress: impl FnMut(&LoadEvent)) -> Result<LoadedSrs, SrsError> {
    if !(1..=MAX_POWER).contains(&k) {
        return Err(SrsError::BadK { k, max: MAX_POWER });
    }
    let mut file = codec::SrsFile::open(path)?;
    let start = file.read_at(0, file.len.min(DEV_SRS_MAGIC.len() as u64))?.unwrap_or_default();
    let is_ptau = start.starts_with(ptau::MAGIC);
    if !is_ptau && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ptau")) {
        return Err(SrsError::UnknownFormat {
            path: path.to_path_buf(),
            message: format!("named .ptau, but it does not start with the snarkjs magic 'ptau' (first bytes {})", hex::encode(&start[..start.len().min(8)])),
        });
    }
    progress(&LoadEvent::Reading { ptau: is_ptau, points: 1 << k });
    let parsed = match is_ptau {
        true => ptau::read(&mut file, k)?,
        false => halo2::read(&mut file, k, &start)?,
    };
    let mut rng = rand_chacha::ChaCha20Rng::from_rng(rand::rngs::OsRng).map_err(|e| SrsError::io(path, std::io::Error::other(e)))?;
    progress(&LoadEvent::Checking { k });
    check::powers(path, &parsed.names, &parsed.g, &parsed.g2, &parsed.s_g2, &mut rng)?;
    let dev = parsed.dev_magic || check::is_dev(&parsed.g);
    let digest = check::points_digest(k, &parsed.g, &parsed.g2, &parsed.s_g2);
    let (format, file_power, ceremony_power, contributions) = (parsed.format, parsed.file_power, parsed.ceremony_power, parsed.contributions);
    let params = with_lagrange(path, k, parsed, &digest, opts, &mut rng, &mut progress)?;
    let blake = file.blake2b512(&mut progress)?;
    let info = SrsInfo {
        format,
        path: Some(path.to_path_buf()),
        k,
        file_power,
        file_bytes: Some(file.len),
        known_file: known::hermez_file(&blake).map(str::to_string),
        file_blake2b512: Some(blake),
        ceremony_power,
        contributions,
        points_keccak256: format!("0x{}", hex::encode(digest)),
        g2_keccak256: format!("0x{}", hex::encode(check::g2_digest(&params.g2(), &params.s_g2()))),
        dev,
    };
    Ok(LoadedSrs { params, info })
}

/// The parameters with a checked Lagrange basis: the file's, else a cached one, else computed
/// (and cached).
fn with_lagrange(
    path: &Path,
    k: u32,
    parsed: Parsed,
    digest: &[u8; 32],
    opts: &LoadOptions,
    rng: &mut impl rand::RngCore,
    progress: &mut impl FnMut(&LoadEvent),
) -> Result<ParamsKZG<Bn256>, SrsError> {
    let Parsed { g, g_lagrange, g2, s_g2, names, .. } = parsed;
    if let Some(l) = g_lagrange {
        let params = assemble(path, k, g, Some(l), g2, s_g2)?;
        check::lagrange(path, &names, &params, rng)?;
        return Ok(params);
    }
    let mut g = g;
    if let Some(dir) = &opts.lagrange_cache {
        if let Some(l) = cache::read(dir, k, digest) {
            let params = assemble(path, k, g, Some(l), g2, s_g2)?;
            let cached = Names { g_lagrange: "cached Lagrange basis", ..names };
            if check::lagrange(path, &cached, &params, rng).is_ok() {
                progress(&LoadEvent::LagrangeCached { path: cache::file(dir, k, digest) });
                return Ok(params);
            }
            g = params.get_g().to_vec(); // a damaged cache entry: recomputed and replaced below
        }
    }
    progress(&LoadEvent::Lagrange { k });
    let lagrange = halo2_proofs::arithmetic::g_to_lagrange(g.iter().map(|p| p.to_curve()).collect(), k);
    if let Some(dir) = &opts.lagrange_cache {
        if let Err(e) = cache::write(dir, k, digest, &lagrange) {
            progress(&LoadEvent::CacheNotWritten { dir: dir.clone(), reason: e.to_string() });
        }
    }
    assemble(path, k, g, Some(lagrange), g2, s_g2)
}

/// Builds `ParamsKZG` from checked points (computing the Lagrange basis when `g_lagrange` is
/// `None`). halo2-axiom builds parameters only from an existing value, so an empty one is read
/// from zeros first.
fn assemble(path: &Path, k: u32, g: Vec<G1Affine>, g_lagrange: Option<Vec<G1Affine>>, g2: G2Affine, s_g2: G2Affine) -> Result<ParamsKZG<Bn256>, SrsError> {
    let empty = vec![0u8; 4 + 2 * 64 + 2 * 128];
    let template = ParamsKZG::<Bn256>::read_custom(&mut &empty[..], halo2_proofs::SerdeFormat::RawBytes).map_err(|e| SrsError::io(path, e))?;
    Ok(template.from_parts(k, g, g_lagrange, g2, s_g2))
}

/// The dev SRS for `k` with its description (UNSAFE; generated and cached on first use).
pub fn dev(k: u32) -> crate::Result<LoadedSrs> {
    let params = dev_srs(k)?;
    Ok(LoadedSrs { info: dev_info(&params), params })
}

/// The description of dev SRS parameters.
pub fn dev_info(params: &ParamsKZG<Bn256>) -> SrsInfo {
    SrsInfo {
        format: SrsFormat::Dev,
        path: None,
        k: params.k(),
        file_power: params.k(),
        file_bytes: None,
        file_blake2b512: None,
        known_file: None,
        ceremony_power: None,
        contributions: None,
        points_keccak256: format!("0x{}", hex::encode(check::points_digest(params.k(), params.get_g(), &params.g2(), &params.s_g2()))),
        g2_keccak256: format!("0x{}", hex::encode(check::g2_digest(&params.g2(), &params.s_g2()))),
        dev: true,
    }
}

/// The SRS of a source for `k`, with its description.
pub fn open(source: &SrsSource, k: u32) -> crate::Result<LoadedSrs> {
    match source {
        SrsSource::DevUnsafe => dev(k),
        SrsSource::File { path } => Ok(load(path, k)?),
    }
}

/// [`open`] for keys made earlier: also checks that the SRS is the one `recorded` at setup.
pub fn reopen(source: &SrsSource, k: u32, recorded: Option<&SrsInfo>) -> crate::Result<LoadedSrs> {
    let loaded = open(source, k)?;
    if let Some(r) = recorded {
        if r.points_keccak256 != loaded.info.points_keccak256 {
            let path = loaded.info.path.clone().unwrap_or_else(|| PathBuf::from("dev SRS"));
            return Err(SrsError::Changed { path, field: "points_keccak256", recorded: r.points_keccak256.clone(), found: loaded.info.points_keccak256 }.into());
        }
    }
    Ok(loaded)
}

/// Loads an SRS file's parameters for `k` ([`load`] without the description).
pub fn load_srs(path: &Path, k: u32) -> crate::Result<ParamsKZG<Bn256>> {
    Ok(load(path, k)?.params)
}

/// Gets the SRS for `k` from a source.
pub fn get(source: &SrsSource, k: u32) -> crate::Result<ParamsKZG<Bn256>> {
    Ok(open(source, k)?.params)
}
