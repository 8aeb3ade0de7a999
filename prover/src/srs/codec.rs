//! Bounded reads of an SRS file and the point encodings of the formats.
//!
//! * **raw** (snarkjs `.ptau`, halo2 `SerdeFormat::RawBytes`): `x ‖ y`, each coordinate its
//!   Montgomery-form limbs little-endian (32 bytes; G2 coordinates `c0 ‖ c1`, 64 bytes); the point
//!   at infinity is all zeros. snarkjs and halo2curves use the same Montgomery constant
//!   (`R = 2^256`), so the bytes are the same in both.
//! * **compressed** (halo2 `SerdeFormat::Processed`): halo2curves' `GroupEncoding` (32 bytes G1,
//!   64 bytes G2).

use super::error::SrsError;
use super::{LoadEvent, SrsFormat};
use halo2_proofs::halo2curves::bn256::{Fq, Fq2, G1Affine, G2Affine, G2};
use halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_proofs::halo2curves::CurveAffine;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Points decoded per read (1 MiB of raw G1 points).
const CHUNK_POINTS: usize = 1 << 14;

/// How the points of a section are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// Uncompressed Montgomery form (64 bytes G1, 128 bytes G2).
    Raw,
    /// halo2curves' compressed form (32 bytes G1, 64 bytes G2).
    Compressed,
}

impl Encoding {
    pub(super) fn g1_bytes(self) -> u64 {
        match self {
            Encoding::Raw => 64,
            Encoding::Compressed => 32,
        }
    }
    pub(super) fn g2_bytes(self) -> u64 {
        2 * self.g1_bytes()
    }
}

/// An open SRS file of known length: every read is checked against the length first, so no
/// header value can make a read (or an allocation) larger than the file.
#[derive(Debug)]
pub(super) struct SrsFile {
    pub(super) path: PathBuf,
    pub(super) len: u64,
    file: File,
}

impl SrsFile {
    pub(super) fn open(path: &Path) -> Result<Self, SrsError> {
        let file = File::open(path).map_err(|e| SrsError::io(path, e))?;
        let len = file.metadata().map_err(|e| SrsError::io(path, e))?.len();
        Ok(Self { path: path.to_path_buf(), len, file })
    }

    /// `len` bytes at `offset`; `None` when they are not inside the file.
    pub(super) fn read_at(&mut self, offset: u64, len: u64) -> Result<Option<Vec<u8>>, SrsError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => {}
            _ => return Ok(None),
        }
        let len = usize::try_from(len).map_err(|_| SrsError::io(&self.path, std::io::Error::other("read larger than memory")))?;
        let mut buf = vec![0u8; len];
        self.file.seek(SeekFrom::Start(offset)).map_err(|e| SrsError::io(&self.path, e))?;
        self.file.read_exact(&mut buf).map_err(|e| SrsError::io(&self.path, e))?;
        Ok(Some(buf))
    }

    /// blake2b-512 of the whole file (what `b2sum` prints), streamed.
    pub(super) fn blake2b512(&mut self, progress: &mut dyn FnMut(&LoadEvent)) -> Result<String, SrsError> {
        progress(&LoadEvent::Hashing { bytes: self.len });
        self.file.seek(SeekFrom::Start(0)).map_err(|e| SrsError::io(&self.path, e))?;
        let mut state = blake2b_simd::Params::new().hash_length(64).to_state();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = self.file.read(&mut buf).map_err(|e| SrsError::io(&self.path, e))?;
            if n == 0 {
                break;
            }
            state.update(&buf[..n]);
        }
        Ok(state.finalize().to_hex().to_string())
    }

    /// `count` G1 points at `offset` (section `field`, whose point 0 is at `offset`), each
    /// checked: coordinates below the modulus, on the curve, not the point at infinity (no power
    /// of a nonzero tau is). The caller has checked that they lie inside the file.
    pub(super) fn read_g1s(&mut self, format: SrsFormat, field: &str, offset: u64, count: usize, enc: Encoding) -> Result<Vec<G1Affine>, SrsError> {
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let n = CHUNK_POINTS.min(count - out.len());
            let at = offset + out.len() as u64 * enc.g1_bytes();
            let bytes = self.read_at(at, n as u64 * enc.g1_bytes())?.ok_or_else(|| self.truncated(format, field))?;
            for b in bytes.chunks_exact(enc.g1_bytes() as usize) {
                let index = out.len();
                let p = decode_g1(b, enc).map_err(|m| self.bad_point(field, index, m))?;
                if bool::from(p.is_identity()) {
                    return Err(self.bad_point(field, index, "the point at infinity, which no point of a sound SRS is (tau would be 0 or a root of unity)".into()));
                }
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The G2 point at `offset`: decoded, on the curve, in the prime-order subgroup, not the
    /// point at infinity.
    pub(super) fn read_g2(&mut self, format: SrsFormat, field: &str, index: usize, offset: u64, enc: Encoding) -> Result<G2Affine, SrsError> {
        let bytes = self.read_at(offset, enc.g2_bytes())?.ok_or_else(|| self.truncated(format, field))?;
        let p = decode_g2(&bytes, enc).map_err(|m| self.bad_point(field, index, m))?;
        if bool::from(p.is_identity()) {
            return Err(self.bad_point(field, index, "the point at infinity".into()));
        }
        Ok(p)
    }

    pub(super) fn bad_point(&self, field: &str, index: usize, message: String) -> SrsError {
        SrsError::BadPoint { path: self.path.clone(), field: field.to_string(), index, message }
    }

    pub(super) fn malformed(&self, format: SrsFormat, field: &str, message: String) -> SrsError {
        SrsError::Malformed { path: self.path.clone(), format, field: field.to_string(), message }
    }

    fn truncated(&self, format: SrsFormat, field: &str) -> SrsError {
        self.malformed(format, field, format!("extends past the end of the file ({} bytes): truncated", self.len))
    }
}

fn fq_raw(b: &[u8]) -> Result<Fq, String> {
    Fq::from_raw_bytes(b).ok_or_else(|| "a coordinate is not below the BN254 base field modulus (Montgomery form)".to_string())
}

/// One G1 point in `enc`.
pub(super) fn decode_g1(b: &[u8], enc: Encoding) -> Result<G1Affine, String> {
    let p = match enc {
        Encoding::Raw => G1Affine { x: fq_raw(&b[..32])?, y: fq_raw(&b[32..64])? },
        Encoding::Compressed => {
            let mut repr = <G1Affine as GroupEncoding>::Repr::default();
            repr.as_mut().copy_from_slice(b);
            Option::from(G1Affine::from_bytes(&repr)).ok_or_else(|| "not a valid compressed BN254 G1 point".to_string())?
        }
    };
    if !bool::from(p.is_on_curve()) {
        return Err("not a point on the BN254 G1 curve (y^2 != x^3 + 3)".into());
    }
    Ok(p)
}

/// One G2 point in `enc`, checked to be in the prime-order subgroup.
pub(super) fn decode_g2(b: &[u8], enc: Encoding) -> Result<G2Affine, String> {
    let p = match enc {
        Encoding::Raw => {
            let fq2 = |b: &[u8]| Fq2::from_raw_bytes(b).ok_or_else(|| "a coordinate is not below the BN254 base field modulus (Montgomery form)".to_string());
            G2Affine { x: fq2(&b[..64])?, y: fq2(&b[64..128])? }
        }
        Encoding::Compressed => {
            let mut repr = <G2Affine as GroupEncoding>::Repr::default();
            repr.as_mut().copy_from_slice(b);
            Option::from(G2Affine::from_bytes(&repr)).ok_or_else(|| "not a valid compressed BN254 G2 point".to_string())?
        }
    };
    if !bool::from(p.is_on_curve()) {
        return Err("not a point on the BN254 G2 twist curve".into());
    }
    if !bool::from(G2::from(p).is_torsion_free()) {
        return Err("on the G2 twist curve but not in its prime-order subgroup".into());
    }
    Ok(p)
}
