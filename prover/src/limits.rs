//! Bounds on what a file may ask for, checked before anything is allocated, and the bounded file
//! readers every loader uses.
//!
//! Every file zkinfer reads may be hostile (a bounty hunter loads a poster's `circuit.json` and
//! keys). A size read from a file is checked against these bounds before it sizes an allocation
//! or a loop, and arithmetic on such sizes is checked. The bounds follow from the largest circuit
//! zkinfer proves, `2^MAX_K` rows ([`crate::circuit::MAX_K`]): every wire takes at least four rows
//! (a rescale row and the limb rows above it), so no provable model has more than `2^22` wires,
//! and no tensor of a provable model has more values than that.

use crate::error::{ProverError, Result};
use std::io::Read;
use std::path::Path;

/// Largest number of values of one tensor: the model input, a constant, or an op's output.
pub const MAX_TENSOR_VALUES: usize = 1 << 21;
/// Largest rank of a tensor.
pub const MAX_RANK: usize = 16;
/// Largest number of values summed over all the tensors of one ONNX graph (every node's output).
pub const MAX_GRAPH_VALUES: usize = 1 << 23;
/// Largest number of terms (weights, products, pooling taps) one op lowers to.
pub const MAX_OP_TERMS: usize = 1 << 23;
/// Largest number of terms summed over all the ops of one graph, and over all the layers of a
/// model.
pub const MAX_MODEL_TERMS: usize = 1 << 25;
/// Largest number of wires (inputs and layer outputs) of a model.
pub const MAX_WIRES: usize = 1 << 22;
/// Largest `dot_width` (advice columns of a dot-product row) a circuit may ask for.
pub const MAX_DOT_WIDTH: usize = 256;

/// Largest ONNX file read (protobuf's own limit is 2 GiB).
pub const MAX_ONNX_BYTES: u64 = 2 << 30;
/// Largest `circuit.json` read.
pub const MAX_CIRCUIT_JSON_BYTES: u64 = 256 << 20;
/// Largest input JSON, test set, `proof.json` or opening read.
pub const MAX_DATA_JSON_BYTES: u64 = 64 << 20;
/// Largest `setup.json` or cost-model file read.
pub const MAX_SMALL_JSON_BYTES: u64 = 16 << 20;
/// Largest proof (bytes) a `proof.json` may hold.
pub const MAX_PROOF_BYTES: usize = 1 << 20;

/// Checks that `path` is a regular file of at most `max` bytes; returns its length.
pub fn check_file(path: &Path, max: u64) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(|e| ProverError::io(path, e))?;
    if !meta.is_file() {
        return Err(ProverError::invalid(path, "", "not a regular file"));
    }
    if meta.len() > max {
        return Err(ProverError::invalid(path, "", format!("{} bytes, more than the {max} bytes this file may have", meta.len())));
    }
    Ok(meta.len())
}

/// Reads a regular file of at most `max` bytes (refused before reading if larger; a file that
/// grows while it is read stops at `max + 1` bytes and is refused).
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>> {
    let len = check_file(path, max)?;
    let f = std::fs::File::open(path).map_err(|e| ProverError::io(path, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| ProverError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(ProverError::invalid(path, "", format!("more than the {max} bytes this file may have")));
    }
    Ok(bytes)
}

/// [`read_file`] as UTF-8 text.
pub fn read_text(path: &Path, max: u64) -> Result<String> {
    String::from_utf8(read_file(path, max)?).map_err(|e| ProverError::invalid(path, "", format!("not UTF-8 text: {e}")))
}

/// The number of values of a tensor of `shape`, if its rank is at most [`MAX_RANK`] and every
/// dimension and the product of its non-zero dimensions are at most `max` (so that no product of
/// some of its dimensions overflows).
pub fn volume(shape: &[usize], max: usize) -> Option<usize> {
    if shape.len() > MAX_RANK {
        return None;
    }
    let nonzero = shape.iter().filter(|d| **d != 0).try_fold(1usize, |acc, d| acc.checked_mul(*d).filter(|v| *v <= max))?;
    Some(if shape.contains(&0) { 0 } else { nonzero })
}

/// `a · b`, if it is at most `max`.
pub fn mul_at_most(a: usize, b: usize, max: usize) -> Option<usize> {
    a.checked_mul(b).filter(|v| *v <= max)
}
