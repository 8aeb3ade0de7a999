//! Parameterised maps: every linear op is one [`LinearMap`], every re-indexing or element-wise
//! affine op one [`AffineMap`], every product of two activations one [`ProductMap`], every
//! maximum one [`MaxMap`]. A map reads the concatenation of its node's inputs.

/// A dense row-major f32 matrix of shape `rows × cols`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (outputs of a linear map).
    pub rows: usize,
    /// Number of columns (inputs of a linear map).
    pub cols: usize,
    /// Row-major values, `rows * cols` long.
    pub data: Vec<f32>,
}

impl Matrix {
    /// Builds a matrix, checking the length.
    pub fn new(rows: usize, cols: usize, data: Vec<f32>) -> Option<Self> {
        (data.len() == rows * cols).then_some(Self { rows, cols, data })
    }
    /// Element `(r, c)`.
    pub fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.cols + c]
    }
    /// The transpose.
    pub fn transposed(&self) -> Self {
        let mut data = Vec::with_capacity(self.data.len());
        for c in 0..self.cols {
            for r in 0..self.rows {
                data.push(self.at(r, c));
            }
        }
        Self { rows: self.cols, cols: self.rows, data }
    }
}

/// One term of a linear map's row: `weight · input[index]`.
pub type Term = (usize, f32);

/// `y[o] = Σ_(i, w) ∈ rows[o] w · x[i] + bias[o]`: dense layers, convolutions and average pooling.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearMap {
    /// Number of inputs.
    pub inputs: usize,
    /// Per output, its terms.
    pub rows: Vec<Vec<Term>>,
    /// Per output bias.
    pub bias: Vec<f32>,
    /// Logical shape of the output (product = `rows.len()`).
    pub out_shape: Vec<usize>,
}

impl LinearMap {
    /// A dense map from an `out × in` matrix (every weight kept, zeros included).
    pub fn dense(weight: &Matrix, bias: Vec<f32>) -> Self {
        let rows = (0..weight.rows).map(|r| (0..weight.cols).map(|c| (c, weight.at(r, c))).collect()).collect();
        Self { inputs: weight.cols, rows, bias, out_shape: vec![weight.rows] }
    }
    /// The identity on `n` values.
    pub fn identity(n: usize, shape: Vec<usize>) -> Self {
        Self { inputs: n, rows: (0..n).map(|i| vec![(i, 1.0)]).collect(), bias: vec![0.0; n], out_shape: shape }
    }
    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.rows.len()
    }
}

/// An affine gather: `y[j] = scale[j] · x[src[j]] + shift[j]`. Element-wise ops
/// (BatchNormalization, Add/Sub/Mul/Div by constants) have `src[j] = j`; re-indexing ops
/// (Transpose, Slice, Gather) have unit scale and zero shift.
#[derive(Debug, Clone, PartialEq)]
pub struct AffineMap {
    /// Number of inputs.
    pub inputs: usize,
    /// Per output, the input it reads.
    pub src: Vec<usize>,
    /// Multipliers.
    pub scale: Vec<f32>,
    /// Offsets.
    pub shift: Vec<f32>,
}

impl AffineMap {
    /// Element-wise `x ⊙ scale + shift`.
    pub fn elementwise(scale: Vec<f32>, shift: Vec<f32>) -> Self {
        Self { inputs: scale.len(), src: (0..scale.len()).collect(), scale, shift }
    }
    /// `x + c`.
    pub fn add(c: Vec<f32>) -> Self {
        Self::elementwise(vec![1.0; c.len()], c)
    }
    /// `x · c`.
    pub fn mul(c: Vec<f32>) -> Self {
        let n = c.len();
        Self::elementwise(c, vec![0.0; n])
    }
    /// `y[j] = x[src[j]]`.
    pub fn gather(inputs: usize, src: Vec<usize>) -> Self {
        let n = src.len();
        Self { inputs, src, scale: vec![1.0; n], shift: vec![0.0; n] }
    }
    /// `other ∘ self`.
    pub fn then(&self, other: &AffineMap) -> Self {
        let mut out = Self { inputs: self.inputs, src: Vec::new(), scale: Vec::new(), shift: Vec::new() };
        for ((&k, &s2), &t2) in other.src.iter().zip(&other.scale).zip(&other.shift) {
            out.src.push(self.src[k]);
            out.scale.push(s2 * self.scale[k]);
            out.shift.push(s2 * self.shift[k] + t2);
        }
        out
    }
    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.src.len()
    }
    /// Whether it has no outputs.
    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }
}

/// `y[o] = Σ_(i, j) ∈ pairs[o] x[i] · x[j]`: the product of two activations (MatMul of two
/// activations, element-wise Mul, the squares of a variance).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductMap {
    /// Number of inputs (the concatenated width of the node's inputs).
    pub inputs: usize,
    /// Per output, the pairs of inputs multiplied and summed.
    pub pairs: Vec<Vec<(usize, usize)>>,
    /// Logical shape of the output.
    pub out_shape: Vec<usize>,
}

/// `y[o] = max_(i ∈ windows[o]) x[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxMap {
    /// Number of inputs.
    pub inputs: usize,
    /// Per output, the input indices it takes the maximum of (non-empty).
    pub windows: Vec<Vec<usize>>,
    /// Logical shape of the output.
    pub out_shape: Vec<usize>,
}

