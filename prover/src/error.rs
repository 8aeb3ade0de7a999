//! Typed errors of the prover library.

use std::path::PathBuf;

/// Everything that can go wrong while compiling, setting up, proving or verifying.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// The ONNX file could not be read or parsed.
    #[error("{path}: cannot load ONNX model: {message}")]
    OnnxLoad {
        /// Model file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An ONNX node uses an op this version does not support.
    #[error("{path}: node '{node}' uses unsupported op '{op}'{}", hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    UnsupportedOp {
        /// Model file.
        path: PathBuf,
        /// Node name (or its first output when unnamed).
        node: String,
        /// ONNX op type.
        op: String,
        /// Optional hint.
        hint: Option<String>,
    },
    /// An ONNX node has an attribute value this version does not support, or is malformed.
    #[error("{path}: node '{node}' (op {op}): {message}")]
    BadNode {
        /// Model file.
        path: PathBuf,
        /// Node name.
        node: String,
        /// ONNX op type.
        op: String,
        /// Explanation, naming the attribute or input.
        message: String,
    },
    /// The model graph as a whole is not of a supported shape.
    #[error("{path}: {message}")]
    BadGraph {
        /// Model file.
        path: PathBuf,
        /// Explanation.
        message: String,
    },
    /// The input JSON is malformed or has the wrong length.
    #[error("input: {0}")]
    BadInput(String),
    /// A value left the range the circuit was compiled for; raised before any proving work.
    #[error("{}", out_of_range(.layer, *.index, *.value, (*.min, *.max), *.scale_bits, .needed_limbs))]
    OutOfRange {
        /// Layer index (`None`: the input).
        layer: Option<usize>,
        /// Output index in the layer.
        index: usize,
        /// Offending fixed-point value.
        value: i128,
        /// Smallest allowed value.
        min: i128,
        /// Largest allowed value.
        max: i128,
        /// Scale bits.
        scale_bits: u32,
        /// The fewest range limbs holding this input's whole fixed-point run, if known.
        needed_limbs: Option<u32>,
    },
    /// A value left a function table's domain; raised before any proving work.
    #[error("value out of the {function} table in layer {layer} (output {index}): {value} is outside [{min}, {max}]; recompile calibrated on inputs like this one")]
    OutOfTable {
        /// Layer index.
        layer: usize,
        /// Output index in the layer.
        index: usize,
        /// The function.
        function: String,
        /// Offending value (dequantised).
        value: f64,
        /// Smallest covered value.
        min: f64,
        /// Largest covered value.
        max: f64,
    },
    /// Bad compile settings.
    #[error("settings: {0}")]
    BadSettings(String),
    /// An artifact file is malformed or of the wrong version.
    #[error("{path}: {message}")]
    Artifact {
        /// File.
        path: PathBuf,
        /// Explanation, naming the field.
        message: String,
    },
    /// A field of a file is malformed, out of its bounds, or inconsistent with the rest of the
    /// file (or with the file it goes with).
    #[error("{path}: {}{message}", field_prefix(field))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field, as a path into the file (`model.layers[3].bias`, `plan.k`, `l0` of a key,
        /// a node of an ONNX graph); empty for the file as a whole.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The circuit needs more rows than the largest supported k allows.
    #[error("circuit needs {rows} rows, more than 2^{max_k}")]
    TooLarge {
        /// Rows needed.
        rows: usize,
        /// Largest k.
        max_k: u32,
    },
    /// halo2 reported an error during keygen or proving.
    #[error("halo2 {stage}: {message}")]
    Halo2 {
        /// Which step.
        stage: &'static str,
        /// halo2's error text.
        message: String,
    },
    /// The proof did not verify.
    #[error("proof does not verify: {0}")]
    Verify(String),
    /// The proof did not verify natively: which check failed ([`crate::proving::VerifyError`]).
    #[error("proof does not verify: {0}")]
    Rejected(#[from] crate::proving::VerifyError),
    /// A proof refused against its circuit: another circuit's, the wrong number of instances, an
    /// instance that cannot be what the circuit makes ([`crate::artifact::Refused`]).
    #[error("proof does not verify: {0}")]
    Refused(#[from] crate::artifact::Refused),
    /// File I/O failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// An SRS file was refused (see [`crate::srs::SrsError`]).
    #[error(transparent)]
    Srs(#[from] crate::srs::SrsError),
    /// The float reference run through tract failed.
    #[error("tract reference run failed: {0}")]
    Reference(String),
}

impl ProverError {
    /// Wraps an I/O error with the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
    /// A malformed field of a file ([`ProverError::Invalid`]).
    pub fn invalid(path: impl Into<PathBuf>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { path: path.into(), field: field.into(), message: message.into() }
    }
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("field '{field}': ")
    }
}

/// Result alias of the prover library.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;

/// The message of [`ProverError::OutOfRange`]: where, the value and the range (as integers and
/// as values), and the flag that fixes it.
fn out_of_range(layer: &Option<usize>, index: usize, value: i128, (min, max): (i128, i128), scale_bits: u32, needed: &Option<u32>) -> String {
    let at = match layer {
        Some(l) => format!("layer {l} (output {index})"),
        None => format!("the input (value {index})"),
    };
    let unit = (1u64 << scale_bits.min(62)) as f64;
    let shown = if value == i128::MAX { "an accumulator beyond 2^125".to_string() } else { format!("{} ({value} at scale 2^{scale_bits})", value as f64 / unit) };
    let fix = match needed {
        Some(n) => format!("compile with `--range-limbs {n}` (the fewest limbs that hold this input's values), or calibrate (`--calibrate`) on samples as wide as this one"),
        None => "compile with more range limbs (`--range-limbs N`), or calibrate (`--calibrate`) on samples as wide as this one".to_string(),
    };
    format!("value out of range in {at}: {shown} is outside the circuit's range [{}, {}] ({min}..={max}); {fix}", min as f64 / unit, max as f64 / unit)
}
