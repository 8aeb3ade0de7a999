//! Recurrent layers (`LSTM`, `GRU`, `RNN`) as torch.onnx exports them: a static sequence length,
//! unrolled over time into the IR's linear maps, function tables and products. Nothing new is
//! proven: every gate is a linear map followed by its activation's table, every state update a
//! product of two activations (the product chip).
//!
//! Per direction and time step `t` (ONNX gate orders: LSTM `i o f c`, GRU `z r h`, RNN one),
//! with `W` the input weights, `R` the recurrence weights and `Wb`, `Rb` their biases:
//! - **LSTM:** `i, o, f = σ(W x + R h + Wb + Rb)`, `c̃ = g(…)`, `C = f ⊙ C₋ + i ⊙ c̃`,
//!   `H = o ⊙ h(C)`;
//! - **GRU:** `z, r = σ(…)`; `h̃ = g(W_h x + Wb_h + r ⊙ (R_h H₋ + Rb_h))` (`linear_before_reset`,
//!   torch's export) or `g(W_h x + R_h (r ⊙ H₋) + Rb_h + Wb_h)`; `H = h̃ + z ⊙ (H₋ − h̃)`;
//! - **RNN:** `H = f(W x + R H₋ + Wb + Rb)`.
//!
//! The initial states must be absent or zero (torch writes zeros), so the first step has no
//! recurrence term; `sequence_lens` must be absent or the full length; no peepholes, `clip` or
//! `input_forget`. Activations: Sigmoid, Tanh or Relu (the defaults are σ, tanh, tanh).
//! Outputs: `Y` (`[T, D, B, H]`, or `[B, T, D, H]` with `layout = 1`), `Y_h` and, for the LSTM,
//! `Y_c` (`[D, B, H]`, or `[B, D, H]`).

use super::ml::string;
use super::registry::{Lowered, Ref, Step};
use super::{ConstTensor, NodeCtx};
use crate::error::Result;
use crate::ir::{Activation, LinearMap, Op, ProductMap};

/// Which recurrent layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Lstm,
    Gru { linear_before_reset: bool },
    Rnn,
}

impl Cell {
    /// Gates per hidden unit in `W`, `R` (and half of `B`).
    fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru { .. } => 3,
            Cell::Rnn => 1,
        }
    }
    /// Activations per direction, and the defaults.
    fn activations(self) -> &'static [&'static str] {
        match self {
            Cell::Lstm => &["Sigmoid", "Tanh", "Tanh"],
            Cell::Gru { .. } => &["Sigmoid", "Tanh"],
            Cell::Rnn => &["Tanh"],
        }
    }
}

/// A recurrent node's sizes, weights and options.
struct Recurrent {
    cell: Cell,
    /// Sequence length, batch, input size, hidden size, directions.
    t: usize,
    b: usize,
    i: usize,
    h: usize,
    dirs: usize,
    /// Whether direction 0 runs backwards (`direction = reverse`).
    reverse: bool,
    /// `layout = 1`: batch first.
    batch_first: bool,
    w: ConstTensor,
    r: ConstTensor,
    /// `[D, 2·G·H]`: `Wb` then `Rb` per direction (zeros when absent).
    bias: Vec<f32>,
    /// Per direction, its activations (f, g, h).
    acts: Vec<Vec<Activation>>,
}

impl Recurrent {
    fn parse(ctx: &NodeCtx<'_>, cell: Cell) -> Result<Self> {
        if !ctx.is_activation(0) {
            return Err(ctx.error("input X must be an activation"));
        }
        for k in 1..3 {
            if ctx.is_activation(k) {
                return Err(ctx.error(format!("input {k} (the weights) must be a constant")));
            }
        }
        let batch_first = match ctx.attr_int("layout", 0) {
            0 => false,
            1 => true,
            l => return Err(ctx.error(format!("layout {l} is not 0 or 1"))),
        };
        let [a, b, i] = ctx.shape else {
            return Err(ctx.error(format!("input X has shape {:?}, not [seq, batch, input]", ctx.shape)));
        };
        let (t, b, i) = if batch_first { (*b, *a, *i) } else { (*a, *b, *i) };
        let (reverse, dirs) = match string(ctx, "direction", "forward").as_str() {
            "forward" => (false, 1),
            "reverse" => (true, 1),
            "bidirectional" => (false, 2),
            d => return Err(ctx.error(format!("direction '{d}' is not forward, reverse or bidirectional"))),
        };
        let g = cell.gates();
        let w = ctx.const_input(1)?.clone();
        let r = ctx.const_input(2)?.clone();
        let h = usize::try_from(ctx.attr_int("hidden_size", 0)).ok().filter(|h| *h > 0).or_else(|| r.shape.last().copied()).unwrap_or(0);
        // Bounded before any product of sizes (a hostile hidden_size of 2^63 overflowed g·h).
        if h == 0 || h > crate::limits::MAX_TENSOR_VALUES {
            return Err(ctx.error(format!("hidden_size {h} is not between 1 and {}", crate::limits::MAX_TENSOR_VALUES)));
        }
        if w.shape != [dirs, g * h, i] || r.shape != [dirs, g * h, h] {
            return Err(ctx.error(format!(
                "W has shape {:?} and R {:?}; with hidden_size {h}, {dirs} direction(s) and input size {i} they must be [{dirs}, {}, {i}] and [{dirs}, {}, {h}]",
                w.shape,
                r.shape,
                g * h,
                g * h
            )));
        }
        let bias = match optional_const(ctx, 3)? {
            Some(bt) if bt.shape == [dirs, 2 * g * h] => bt.data.clone(),
            Some(bt) => return Err(ctx.error(format!("B has shape {:?}, not [{dirs}, {}]", bt.shape, 2 * g * h))),
            None => vec![0.0; dirs * 2 * g * h],
        };
        if let Some(lens) = optional_const(ctx, 4)? {
            if lens.data.iter().any(|l| *l as usize != t) {
                return Err(ctx.error(format!("sequence_lens {:?}: only the full length {t} is supported", lens.data)));
            }
        }
        let states: &[(usize, &str)] = if cell == Cell::Lstm { &[(5, "initial_h"), (6, "initial_c"), (7, "P (peepholes)")] } else { &[(5, "initial_h")] };
        for (k, what) in states {
            if ctx.is_activation(*k) || optional_const(ctx, *k)?.is_some_and(|c| c.data.iter().any(|v| *v != 0.0)) {
                return Err(ctx.error(format!("{what} must be absent or zero")));
            }
        }
        for attr in ["clip", "activation_alpha", "activation_beta"] {
            if ctx.attr(attr).is_some() {
                return Err(ctx.error(format!("attribute '{attr}' is not supported")));
            }
        }
        if ctx.attr_int("input_forget", 0) != 0 {
            return Err(ctx.error("input_forget = 1 is not supported"));
        }
        let acts = activations(ctx, cell, dirs)?;
        ctx.check_terms(Some(t.saturating_mul(b).saturating_mul(dirs).saturating_mul(g * h).saturating_mul(i + 2 * h)))?;
        Ok(Self { cell, t, b, i, h, dirs, reverse, batch_first, w, r, bias, acts })
    }

    /// Values of one state, `B·H`.
    fn state(&self) -> usize {
        self.b * self.h
    }
    /// Index of `x[t, b, k]` in the input.
    fn x(&self, t: usize, b: usize, k: usize) -> usize {
        if self.batch_first {
            (b * self.t + t) * self.i + k
        } else {
            (t * self.b + b) * self.i + k
        }
    }
    /// `W[d, row, k]`, `R[d, row, k]`, `Wb[d, row]` and `Rb[d, row]`.
    fn wt(&self, d: usize, row: usize, k: usize) -> f32 {
        self.w.data[(d * self.cell.gates() * self.h + row) * self.i + k]
    }
    fn rt(&self, d: usize, row: usize, k: usize) -> f32 {
        self.r.data[(d * self.cell.gates() * self.h + row) * self.h + k]
    }
    fn wb(&self, d: usize, row: usize) -> f32 {
        self.bias[d * 2 * self.cell.gates() * self.h + row]
    }
    fn rb(&self, d: usize, row: usize) -> f32 {
        self.bias[(d * 2 + 1) * self.cell.gates() * self.h + row]
    }

    /// The pre-activations of `gates` (ONNX gate indices) at time `t`, direction `d`, over
    /// `[X, H₋]` (or `[X]` at the first step), as one flat tensor `[gates, B, H]`:
    /// `W x (+ R H₋ with_r) + Wb (+ Rb with_rb)`.
    fn gate_map(&self, d: usize, t: usize, gates: &[usize], with_h: bool, with_r: bool, with_rb: bool) -> LinearMap {
        let xw = self.t * self.b * self.i;
        let (mut rows, mut bias) = (Vec::new(), Vec::new());
        for g in gates {
            for b in 0..self.b {
                for j in 0..self.h {
                    let row = g * self.h + j;
                    let mut terms: Vec<(usize, f32)> = (0..self.i).map(|k| (self.x(t, b, k), self.wt(d, row, k))).collect();
                    if with_h && with_r {
                        terms.extend((0..self.h).map(|k| (xw + b * self.h + k, self.rt(d, row, k))));
                    }
                    rows.push(terms);
                    bias.push(self.wb(d, row) + if with_rb { self.rb(d, row) } else { 0.0 });
                }
            }
        }
        let n = rows.len();
        LinearMap { inputs: xw + if with_h { self.state() } else { 0 }, rows, bias, out_shape: vec![n] }
    }
}

/// A constant input that may be absent (an empty name or no input).
fn optional_const<'a>(ctx: &'a NodeCtx<'_>, k: usize) -> Result<Option<&'a ConstTensor>> {
    match ctx.node.input.get(k).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(_) if ctx.is_activation(k) => Err(ctx.error(format!("input {k} must be a constant"))),
        Some(_) => ctx.const_input(k).map(Some),
    }
}

/// Per direction, the cell's activations (the `activations` attribute or the defaults).
fn activations(ctx: &NodeCtx<'_>, cell: Cell, dirs: usize) -> Result<Vec<Vec<Activation>>> {
    let per = cell.activations().len();
    let names: Vec<String> = match ctx.attr("activations") {
        Some(a) => a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect(),
        None => (0..dirs).flat_map(|_| cell.activations().iter().map(|s| (*s).to_string())).collect(),
    };
    if names.len() != per * dirs {
        return Err(ctx.error(format!("activations {names:?}: {} expected ({per} per direction)", per * dirs)));
    }
    let map = |n: &str| match n.to_ascii_lowercase().as_str() {
        "sigmoid" => Ok(Activation::Sigmoid),
        "tanh" => Ok(Activation::Tanh),
        "relu" => Ok(Activation::Relu),
        _ => Err(ctx.error(format!("activation '{n}' is not supported (Sigmoid, Tanh, Relu)"))),
    };
    names.chunks(per).map(|c| c.iter().map(|n| map(n)).collect()).collect()
}

/// Builds the unrolled steps.
struct Unroll<'r> {
    rec: &'r Recurrent,
    steps: Vec<Step>,
}

impl Unroll<'_> {
    fn push(&mut self, op: Op, inputs: &[Ref]) -> usize {
        self.steps.push(Step::new(op, inputs));
        self.steps.len() - 1
    }
    /// `[X]` or `[X, H₋]`.
    fn over_x(h: Option<usize>) -> Vec<Ref> {
        std::iter::once(Ref::Primary).chain(h.map(Ref::Step)).collect()
    }
    /// Per `(b, j)` of a state, the products `(a_off + bj, b_off + bj)` over inputs of `width`.
    fn products(&self, width: usize, pairs: &[(usize, usize)]) -> Op {
        let n = self.rec.state();
        Op::Product(ProductMap { inputs: width, pairs: (0..n).map(|bj| pairs.iter().map(|(a, b)| (a + bj, b + bj)).collect()).collect(), out_shape: vec![n] })
    }
    /// `Σ_k c_k · input[off_k + bj]` per `(b, j)` over inputs of `width`.
    fn sum(&self, width: usize, parts: &[(usize, f32)]) -> Op {
        let n = self.rec.state();
        Op::Linear(LinearMap { inputs: width, rows: (0..n).map(|bj| parts.iter().map(|(o, c)| (o + bj, *c)).collect()).collect(), bias: vec![0.0; n], out_shape: vec![n] })
    }

    /// One LSTM step: returns `(H, C)`.
    fn lstm(&mut self, d: usize, t: usize, prev: Option<(usize, usize)>) -> (usize, usize) {
        let (rec, n) = (self.rec, self.rec.state());
        let act = &rec.acts[d];
        let hp = prev.map(|p| p.0);
        let sig_pre = self.push(Op::Linear(rec.gate_map(d, t, &[0, 1, 2], hp.is_some(), true, true)), &Self::over_x(hp));
        let sig = self.push(Op::Act(act[0]), &[Ref::Step(sig_pre)]);
        let c_pre = self.push(Op::Linear(rec.gate_map(d, t, &[3], hp.is_some(), true, true)), &Self::over_x(hp));
        let c_new = self.push(Op::Act(act[1]), &[Ref::Step(c_pre)]);
        // C = i ⊙ c̃ (+ f ⊙ C₋): inputs [i o f (3n), c̃ (n), C₋ (n)].
        let c = match prev {
            Some((_, cp)) => {
                let op = self.products(5 * n, &[(0, 3 * n), (2 * n, 4 * n)]);
                self.push(op, &[Ref::Step(sig), Ref::Step(c_new), Ref::Step(cp)])
            }
            None => {
                let op = self.products(4 * n, &[(0, 3 * n)]);
                self.push(op, &[Ref::Step(sig), Ref::Step(c_new)])
            }
        };
        let hc = self.push(Op::Act(act[2]), &[Ref::Step(c)]);
        let op = self.products(4 * n, &[(n, 3 * n)]);
        let h = self.push(op, &[Ref::Step(sig), Ref::Step(hc)]);
        (h, c)
    }

    /// One GRU step: returns `H`.
    fn gru(&mut self, d: usize, t: usize, hp: Option<usize>, linear_before_reset: bool) -> usize {
        let (rec, n) = (self.rec, self.rec.state());
        let act = &rec.acts[d];
        let zr_pre = self.push(Op::Linear(rec.gate_map(d, t, &[0, 1], hp.is_some(), true, true)), &Self::over_x(hp));
        let zr = self.push(Op::Act(act[0]), &[Ref::Step(zr_pre)]);
        // The candidate's pre-activation over [X, u] with u the reset term (or [X] alone).
        let xw = rec.t * rec.b * rec.i;
        let candidate = |u: Option<usize>, this: &mut Self, with_rb: bool| {
            let mut m = rec.gate_map(d, t, &[2], false, false, with_rb);
            if u.is_some() {
                m.inputs = xw + n;
                m.rows.iter_mut().enumerate().for_each(|(bj, r)| r.push((xw + bj, 1.0)));
            }
            this.push(Op::Linear(m), &Self::over_x(u))
        };
        let pre = match (hp, linear_before_reset) {
            // r ⊙ (R_h H₋ + Rb_h): the recurrence first, then the product with r.
            (Some(h), true) => {
                let rows = (0..rec.b).flat_map(|b| (0..rec.h).map(move |j| (b, j))).map(|(b, j)| (0..rec.h).map(|k| (b * rec.h + k, rec.rt(d, 2 * rec.h + j, k))).collect()).collect();
                let bias = (0..rec.b).flat_map(|_| (0..rec.h).map(|j| rec.rb(d, 2 * rec.h + j))).collect();
                let rh = self.push(Op::Linear(LinearMap { inputs: n, rows, bias, out_shape: vec![n] }), &[Ref::Step(h)]);
                let op = self.products(3 * n, &[(n, 2 * n)]);
                let u = self.push(op, &[Ref::Step(zr), Ref::Step(rh)]);
                candidate(Some(u), self, false)
            }
            // R_h (r ⊙ H₋) + Rb_h.
            (Some(h), false) => {
                let op = self.products(3 * n, &[(n, 2 * n)]);
                let rh = self.push(op, &[Ref::Step(zr), Ref::Step(h)]);
                let mut m = rec.gate_map(d, t, &[2], true, true, true);
                // gate_map's recurrence reads H₋ at [xw, xw + n): here it reads r ⊙ H₋ there.
                m.inputs = xw + n;
                self.push(Op::Linear(m), &[Ref::Primary, Ref::Step(rh)])
            }
            // H₋ = 0: r ⊙ Rb_h is linear in r.
            (None, true) => {
                let mut m = rec.gate_map(d, t, &[2], false, false, false);
                let w = 2 * n;
                m.inputs = xw + w;
                for (bj, r) in m.rows.iter_mut().enumerate() {
                    r.push((xw + n + bj, rec.rb(d, 2 * rec.h + bj % rec.h)));
                }
                self.push(Op::Linear(m), &[Ref::Primary, Ref::Step(zr)])
            }
            (None, false) => candidate(None, self, true),
        };
        let hh = self.push(Op::Act(act[1]), &[Ref::Step(pre)]);
        match hp {
            // H = h̃ + z ⊙ (H₋ − h̃).
            Some(h) => {
                let diff_op = self.sum(2 * n, &[(0, 1.0), (n, -1.0)]);
                let diff = self.push(diff_op, &[Ref::Step(h), Ref::Step(hh)]);
                let op = self.products(3 * n, &[(0, 2 * n)]);
                let zd = self.push(op, &[Ref::Step(zr), Ref::Step(diff)]);
                let op = self.sum(2 * n, &[(0, 1.0), (n, 1.0)]);
                self.push(op, &[Ref::Step(hh), Ref::Step(zd)])
            }
            // H = h̃ − z ⊙ h̃.
            None => {
                let op = self.products(3 * n, &[(0, 2 * n)]);
                let zh = self.push(op, &[Ref::Step(zr), Ref::Step(hh)]);
                let op = self.sum(2 * n, &[(0, 1.0), (n, -1.0)]);
                self.push(op, &[Ref::Step(hh), Ref::Step(zh)])
            }
        }
    }

    /// One RNN step: returns `H`.
    fn rnn(&mut self, d: usize, t: usize, hp: Option<usize>) -> usize {
        let pre = self.push(Op::Linear(self.rec.gate_map(d, t, &[0], hp.is_some(), true, true)), &Self::over_x(hp));
        self.push(Op::Act(self.rec.acts[d][0]), &[Ref::Step(pre)])
    }

    /// A gather of the given steps' states into `shape`: `index(step position, bj)` is the
    /// output position of value `bj` of the `p`-th listed state.
    fn gather(&mut self, states: &[usize], shape: Vec<usize>, index: impl Fn(usize, usize) -> usize) -> usize {
        let n = self.rec.state();
        let total = states.len() * n;
        let mut rows = vec![Vec::new(); total];
        for p in 0..states.len() {
            for bj in 0..n {
                rows[index(p, bj)] = vec![(p * n + bj, 1.0)];
            }
        }
        let refs: Vec<Ref> = states.iter().map(|s| Ref::Step(*s)).collect();
        self.push(Op::Linear(LinearMap { inputs: total, rows, bias: vec![0.0; total], out_shape: shape }), &refs)
    }
}

/// Lowers any of the three.
fn lower(ctx: &NodeCtx<'_>, cell: Cell) -> Result<Lowered> {
    let rec = Recurrent::parse(ctx, cell)?;
    let (t_len, dirs, bsz, hsz) = (rec.t, rec.dirs, rec.b, rec.h);
    let mut u = Unroll { rec: &rec, steps: Vec::new() };
    // Per direction, per time index, the step of H (and of C).
    let mut hs = vec![vec![0usize; t_len]; dirs];
    let mut last = vec![(0usize, 0usize); dirs];
    for d in 0..dirs {
        let backwards = d == 1 || rec.reverse;
        let mut prev: Option<(usize, usize)> = None;
        for k in 0..t_len {
            let t = if backwards { t_len - 1 - k } else { k };
            let (h, c) = match cell {
                Cell::Lstm => u.lstm(d, t, prev),
                Cell::Gru { linear_before_reset } => (u.gru(d, t, prev.map(|p| p.0), linear_before_reset), 0),
                Cell::Rnn => (u.rnn(d, t, prev.map(|p| p.0)), 0),
            };
            hs[d][t] = h;
            prev = Some((h, c));
            last[d] = (h, c);
        }
    }
    let n = bsz * hsz;
    let batch_first = rec.batch_first;
    // Y: the states listed by (d, t), placed at [t, d, b, j] (or [b, t, d, j]).
    let listed: Vec<usize> = (0..dirs).flat_map(|d| hs[d].clone()).collect();
    let y_shape = if batch_first { vec![bsz, t_len, dirs, hsz] } else { vec![t_len, dirs, bsz, hsz] };
    let y = u.gather(&listed, y_shape, |p, bj| {
        let (d, t, b, j) = (p / t_len, p % t_len, bj / hsz, bj % hsz);
        if batch_first {
            ((b * t_len + t) * dirs + d) * hsz + j
        } else {
            ((t * dirs + d) * bsz + b) * hsz + j
        }
    });
    let last_shape = if batch_first { vec![bsz, dirs, hsz] } else { vec![dirs, bsz, hsz] };
    let place = move |p: usize, bj: usize| {
        let (d, b, j) = (p, bj / hsz, bj % hsz);
        if batch_first {
            (b * dirs + d) * hsz + j
        } else {
            d * n + bj
        }
    };
    let last_h: Vec<usize> = last.iter().map(|l| l.0).collect();
    let y_h = u.gather(&last_h, last_shape.clone(), place);
    let mut outs = vec![y, y_h];
    if cell == Cell::Lstm {
        let last_c: Vec<usize> = last.iter().map(|l| l.1).collect();
        outs.push(u.gather(&last_c, last_shape, place));
    }
    Ok(Lowered::Outputs(u.steps, outs))
}

/// `LSTM` (see the module docs).
pub fn lstm(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    lower(ctx, Cell::Lstm)
}

/// `GRU` (see the module docs).
pub fn gru(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    lower(ctx, Cell::Gru { linear_before_reset: ctx.attr_int("linear_before_reset", 0) != 0 })
}

/// `RNN` (see the module docs).
pub fn rnn(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    lower(ctx, Cell::Rnn)
}
