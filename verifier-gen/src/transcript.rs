//! EVM-friendly Keccak-256 Fiat–Shamir transcript for halo2-axiom (BN254, `Challenge255`).
//!
//! # Byte format (artifact format: stable, relied on by the generated Solidity verifier)
//!
//! The proof is the concatenation, in the order the halo2 prover writes them, of:
//!
//! * **points** (`G1Affine`): 64 bytes = `x ‖ y`, each coordinate a 32-byte **big-endian**
//!   integer `< p` (the BN254 base-field modulus). This is exactly the input format of the
//!   EVM `ecAdd`/`ecMul`/`ecPairing` precompiles. The point at infinity is **not** encodable
//!   (writing it is an error, and `(0, 0)` is rejected on read), and every read point must satisfy
//!   `y² = x³ + 3 (mod p)`.
//! * **scalars** (`Fr`): 32 bytes, a **big-endian** integer `< r` (the BN254 scalar-field
//!   modulus). Non-canonical encodings (`≥ r`) are rejected on read.
//!
//! There are no tags, length prefixes or padding.
//!
//! # Transcript
//!
//! The transcript keeps a byte buffer `B`, initially empty.
//!
//! * `common_scalar(s)` / `write_scalar(s)` / `read_scalar()` append the 32-byte encoding of `s`.
//! * `common_point(P)` / `write_point(P)` / `read_point()` append the 64-byte encoding of `P`.
//! * `squeeze_challenge()` computes `h = keccak256(B)`, **replaces** `B` by the 32 bytes `h`,
//!   and returns the challenge `c = int_be(h) mod r`.
//!
//! So two consecutive squeezes return `keccak256(B) mod r` and `keccak256(h) mod r` (different),
//! and the buffer hashed for any challenge is `h_prev ‖ (bytes absorbed since)`; for the first
//! challenge it is everything absorbed so far. For a halo2 proof that is
//! `vk.transcript_repr() ‖ instances ‖ proof[..]` (the KZG verifier absorbs instances as scalars),
//! so the EVM verifier replays the transcript by hashing contiguous calldata slices.
//!
//! # Types to use
//!
//! ```text
//! create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _,
//!                KeccakTranscriptWrite<Vec<u8>>, _>(...)
//! verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, Challenge255<G1Affine>,
//!                KeccakTranscriptRead<&[u8]>, SingleStrategy<'_, Bn256>>(...)
//! ```
use std::io::{self, Read, Write};

use halo2_proofs::halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::transcript::{
    Challenge255, EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer,
    TranscriptWrite, TranscriptWriterBuffer,
};
use sha3::{Digest, Keccak256};

/// Encoded size of a point in the proof.
pub const POINT_BYTES: usize = 64;
/// Encoded size of a scalar in the proof.
pub const SCALAR_BYTES: usize = 32;

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// 32-byte big-endian encoding of a scalar.
pub fn encode_scalar(s: &Fr) -> [u8; 32] {
    encode_field(s)
}

/// Decodes a canonical 32-byte big-endian scalar (`None` if `>= r`).
pub fn decode_scalar(bytes: &[u8; 32]) -> Option<Fr> {
    decode_field(bytes)
}

/// 32-byte big-endian encoding of a BN254 field element (`Fr` or `Fq`).
fn encode_field<F: PrimeField>(f: &F) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(f.to_repr().as_ref());
    out.reverse();
    out
}

/// Decodes a canonical 32-byte big-endian BN254 field element (`None` if not canonical).
fn decode_field<F: PrimeField>(bytes: &[u8]) -> Option<F> {
    let mut le = [0u8; 32];
    le.copy_from_slice(bytes);
    le.reverse();
    let mut repr = F::Repr::default();
    repr.as_mut().copy_from_slice(&le);
    Option::from(F::from_repr(repr))
}

/// 64-byte `x ‖ y` big-endian encoding of a point (`None` for the identity).
pub fn encode_point(p: &G1Affine) -> Option<[u8; 64]> {
    let c: Option<halo2_proofs::halo2curves::Coordinates<G1Affine>> = p.coordinates().into();
    let c = c?;
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&encode_field(c.x()));
    out[32..].copy_from_slice(&encode_field(c.y()));
    Some(out)
}

/// Decodes a 64-byte point: rejects non-canonical coordinates, `(0, 0)` and off-curve points.
pub fn decode_point(bytes: &[u8; 64]) -> Option<G1Affine> {
    let x: Fq = decode_field(&bytes[..32])?;
    let y: Fq = decode_field(&bytes[32..])?;
    if bool::from(x.is_zero()) && bool::from(y.is_zero()) {
        return None;
    }
    Option::from(G1Affine::from_xy(x, y))
}

/// Squeeze: `h = keccak256(buf)`, `buf := h`, challenge `= h mod r`.
fn squeeze(buf: &mut Vec<u8>) -> Challenge255<G1Affine> {
    let h: [u8; 32] = Keccak256::digest(&buf[..]).into();
    buf.clear();
    buf.extend_from_slice(&h);
    challenge_of_digest(&h)
}

/// The challenge `int_be(h) mod r` of a keccak digest.
fn challenge_of_digest(h: &[u8; 32]) -> Challenge255<G1Affine> {
    // Challenge255::new reduces a 64-byte little-endian integer modulo r.
    let mut wide = [0u8; 64];
    for (i, b) in h.iter().rev().enumerate() {
        wide[i] = *b;
    }
    Challenge255::<G1Affine>::new(&wide)
}

/// Maps a keccak digest to the challenge scalar exactly as the transcript does (`int_be(h) mod r`).
pub fn challenge_from_digest(h: &[u8; 32]) -> Fr {
    challenge_of_digest(h).get_scalar()
}

/// Absorbs `point` (appends its encoding to the buffer) and returns the encoding.
fn absorb_point(buf: &mut Vec<u8>, point: &G1Affine) -> io::Result<[u8; POINT_BYTES]> {
    let enc = encode_point(point).ok_or_else(|| invalid("cannot encode the point at infinity"))?;
    buf.extend_from_slice(&enc);
    Ok(enc)
}

/// Absorbs `scalar` (appends its encoding to the buffer) and returns the encoding.
fn absorb_scalar(buf: &mut Vec<u8>, scalar: &Fr) -> [u8; SCALAR_BYTES] {
    let enc = encode_scalar(scalar);
    buf.extend_from_slice(&enc);
    enc
}

/// Prover side of the Keccak EVM transcript (see module docs for the byte format).
#[derive(Debug, Clone)]
pub struct KeccakTranscriptWrite<W: Write> {
    writer: W,
    buf: Vec<u8>,
}

/// Verifier side of the Keccak EVM transcript (see module docs for the byte format).
#[derive(Debug, Clone)]
pub struct KeccakTranscriptRead<R: Read> {
    reader: R,
    buf: Vec<u8>,
}

impl<W: Write> Transcript<G1Affine, Challenge255<G1Affine>> for KeccakTranscriptWrite<W> {
    fn squeeze_challenge(&mut self) -> Challenge255<G1Affine> {
        squeeze(&mut self.buf)
    }
    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        absorb_point(&mut self.buf, &point).map(|_| ())
    }
    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        absorb_scalar(&mut self.buf, &scalar);
        Ok(())
    }
}

impl<W: Write> TranscriptWrite<G1Affine, Challenge255<G1Affine>> for KeccakTranscriptWrite<W> {
    fn write_point(&mut self, point: G1Affine) -> io::Result<()> {
        let enc = absorb_point(&mut self.buf, &point)?;
        self.writer.write_all(&enc)
    }
    fn write_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        let enc = absorb_scalar(&mut self.buf, &scalar);
        self.writer.write_all(&enc)
    }
}

impl<W: Write> TranscriptWriterBuffer<W, G1Affine, Challenge255<G1Affine>>
    for KeccakTranscriptWrite<W>
{
    fn init(writer: W) -> Self {
        KeccakTranscriptWrite { writer, buf: Vec::new() }
    }
    fn finalize(self) -> W {
        self.writer
    }
}

impl<R: Read> Transcript<G1Affine, Challenge255<G1Affine>> for KeccakTranscriptRead<R> {
    fn squeeze_challenge(&mut self) -> Challenge255<G1Affine> {
        squeeze(&mut self.buf)
    }
    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        absorb_point(&mut self.buf, &point).map(|_| ())
    }
    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        absorb_scalar(&mut self.buf, &scalar);
        Ok(())
    }
}

impl<R: Read> TranscriptRead<G1Affine, Challenge255<G1Affine>> for KeccakTranscriptRead<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let mut enc = [0u8; POINT_BYTES];
        self.reader.read_exact(&mut enc)?;
        let p = decode_point(&enc).ok_or_else(|| invalid("invalid point encoding"))?;
        self.buf.extend_from_slice(&enc);
        Ok(p)
    }
    fn read_scalar(&mut self) -> io::Result<Fr> {
        let mut enc = [0u8; SCALAR_BYTES];
        self.reader.read_exact(&mut enc)?;
        let s = decode_scalar(&enc).ok_or_else(|| invalid("non-canonical scalar encoding"))?;
        self.buf.extend_from_slice(&enc);
        Ok(s)
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, Challenge255<G1Affine>> for KeccakTranscriptRead<R> {
    fn init(reader: R) -> Self {
        KeccakTranscriptRead { reader, buf: Vec::new() }
    }
}

impl<R: Read> KeccakTranscriptRead<R> {
    /// The underlying reader (e.g. to check that the whole proof was consumed).
    pub fn into_inner(self) -> R {
        self.reader
    }
}
