//! Typed errors of SRS loading: every one names the file and what is wrong with it.

use super::SrsFormat;
use std::path::PathBuf;

/// Why an SRS file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SrsError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The SRS file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Neither a snarkjs `.ptau` file nor a halo2 KZG parameters file.
    #[error("{path}: not an SRS file: {message}")]
    UnknownFormat {
        /// The SRS file.
        path: PathBuf,
        /// What the content looks like instead.
        message: String,
    },
    /// The file's structure is wrong: a header field, a section table entry or a section's
    /// length (a truncated or padded file).
    #[error("{path}: {format} file, {field}: {message}")]
    Malformed {
        /// The SRS file.
        path: PathBuf,
        /// The format the content was recognised as.
        format: SrsFormat,
        /// The header field or section (e.g. `section 2 (tauG1)`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The file holds fewer powers of tau than the circuit needs.
    #[error("{path}: the SRS holds 2^{file_power} powers of tau (power {file_power}, i.e. up to k = {file_power}), the circuit needs 2^{k} (k = {k}): use a file with power >= {k}")]
    TooSmall {
        /// The SRS file.
        path: PathBuf,
        /// log2 of the powers the file holds.
        file_power: u32,
        /// The circuit's k.
        k: u32,
    },
    /// A point that does not decode: a coordinate not below the field modulus, a point off the
    /// curve, outside the prime-order subgroup, or at infinity where a power of tau must be.
    #[error("{path}: {field}[{index}]: {message}")]
    BadPoint {
        /// The SRS file.
        path: PathBuf,
        /// The section or field holding the point (e.g. `tauG1`, `g_lagrange`, `s_g2`).
        field: String,
        /// The point's index in it.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A consistency check failed: a non-standard generator, a failed pairing check, a Lagrange
    /// basis that does not match the powers, or a degenerate tau.
    #[error("{path}: {check} failed: {message}")]
    Inconsistent {
        /// The SRS file.
        path: PathBuf,
        /// The check (e.g. `pairing check e(tau*G1, G2) = e(G1, tau*G2)`).
        check: String,
        /// Details.
        message: String,
    },
    /// The SRS is not the one the keys were made with (`setup.json` records another).
    #[error("{path}: {field} is {found}, but setup.json records {recorded}: the SRS changed since `zkinfer setup`; rerun setup or restore the file")]
    Changed {
        /// The SRS file (or `dev SRS`).
        path: PathBuf,
        /// The recorded field that differs.
        field: &'static str,
        /// Value recorded at setup.
        recorded: String,
        /// Value found now.
        found: String,
    },
    /// The circuit asked for an impossible k.
    #[error("k = {k} is outside 1..={max} (BN254's scalar field has 2-adicity 28)")]
    BadK {
        /// Requested k.
        k: u32,
        /// Largest supported.
        max: u32,
    },
}

impl SrsError {
    pub(super) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
}
