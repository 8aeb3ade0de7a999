//! Control flow the loader rewrites before lowering: an `If` whose condition is known at compile
//! time becomes the branch it takes, one whose condition is computed both branches and a
//! `Where` per output, and a `Loop` whose trip count and conditions are known at
//! compile time (tf2onnx's LSTM, torch's unrolled loops) becomes its body, once per iteration.
//!
//! Both work on the loader's worklist of nodes. A `Loop` is unrolled one iteration at a time: the
//! body's nodes (every tensor it defines renamed per iteration), then a *continuation* node that
//! carries the loop on. The continuation is read once the iteration's nodes are lowered, so the
//! next condition (the body's first output) is by then a folded constant, or the loop is refused:
//! a condition computed from the input would need every iteration proven and selected.

use super::{node_name, to_const, ConstTensor};
use crate::error::{ProverError, Result};
use std::collections::HashMap;
use std::path::Path;
use tract_onnx::pb;

/// Most `If` nodes inlined in one graph (nested ones count each time), a bound on hostile files.
pub const MAX_INLINED_IFS: usize = 4096;
/// Most nodes the inlined `If` branches of a graph add together (a computed condition copies both).
pub const MAX_INLINED_NODES: usize = 1 << 18;

/// What `If` inlining has added to a graph so far, against [`MAX_INLINED_IFS`] and
/// [`MAX_INLINED_NODES`].
#[derive(Debug, Default)]
pub struct Inlined {
    ifs: usize,
    nodes: usize,
}
/// Most iterations of one `Loop`.
pub const MAX_LOOP_ITERATIONS: usize = 4096;
/// Most nodes all unrolled loops of a graph add together.
pub const MAX_UNROLLED_NODES: usize = 1 << 18;

/// The domain of the loader's continuation nodes: never a file's (a file's node in it is refused).
pub const CONTINUATION_DOMAIN: &str = "zkinfer.loop-continuation";

/// An `If`, as nodes for the loader's worklist. A condition known at compile time: the branch it
/// takes, with one `Identity` per output appended (branch output → the node's output). A computed
/// condition: both branches, their tensors renamed apart, then per output
/// `Where(cond, then output, else output)`, so both are proven and the selection is the `Where`
/// product chip's (the condition is a 0/1 comparison or logic result).
pub fn inline_if(path: &Path, node: &pb::NodeProto, consts: &HashMap<String, ConstTensor>, inlined: &mut Inlined) -> Result<pb::GraphProto> {
    let bad = |message: String| ProverError::BadNode { path: path.to_path_buf(), node: node_name(node), op: "If".into(), message };
    inlined.ifs += 1;
    if inlined.ifs > MAX_INLINED_IFS {
        return Err(bad(format!("more than {MAX_INLINED_IFS} If nodes to inline")));
    }
    let g = select(node, consts, &bad)?;
    inlined.nodes = inlined.nodes.saturating_add(g.node.len());
    if inlined.nodes > MAX_INLINED_NODES {
        return Err(bad(format!("inlining the If branches would add more than {MAX_INLINED_NODES} nodes")));
    }
    Ok(g)
}

/// The nodes (and initializers) an `If` becomes: see [`inline_if`].
fn select(node: &pb::NodeProto, consts: &HashMap<String, ConstTensor>, bad: &dyn Fn(String) -> ProverError) -> Result<pb::GraphProto> {
    let branch = |taken: &str| -> Result<pb::GraphProto> {
        let g = node.attribute.iter().find(|a| a.name == taken).and_then(|a| a.g.clone()).ok_or_else(|| bad(format!("has no {taken} graph")))?;
        if g.output.len() != node.output.len() {
            return Err(bad(format!("its {taken} has {} outputs, the node {}", g.output.len(), node.output.len())));
        }
        Ok(g)
    };
    let cond_name = node.input.first().filter(|n| !n.is_empty()).ok_or_else(|| bad("has no condition".into()))?;
    if let Some(cond) = consts.get(cond_name) {
        let taken = if cond.data.first().is_some_and(|v| *v != 0.0) { "then_branch" } else { "else_branch" };
        let mut g = branch(taken)?;
        for (b, out) in g.output.iter().zip(&node.output) {
            g.node.push(identity(format!("{}/{taken}", node_name(node)), b.name.clone(), out.clone()));
        }
        return Ok(g);
    }
    let name = node_name(node);
    let (t, e) = (renamed(&branch("then_branch")?, &format!("{name}/then/")), renamed(&branch("else_branch")?, &format!("{name}/else/")));
    let mut g = pb::GraphProto { initializer: [t.initializer, e.initializer].concat(), node: [t.node, e.node].concat(), ..Default::default() };
    for ((to, eo), out) in t.output.iter().zip(&e.output).zip(&node.output).filter(|(_, o)| !o.is_empty()) {
        let input = vec![cond_name.clone(), to.name.clone(), eo.name.clone()];
        g.node.push(pb::NodeProto { op_type: "Where".into(), name: format!("{name}/select"), input, output: vec![out.clone()], ..Default::default() });
    }
    Ok(g)
}

/// A branch with every tensor it defines (initializers, node outputs) prefixed, and every read of
/// one renamed, nested subgraphs' reads included; reads of outer tensors stay.
fn renamed(g: &pb::GraphProto, prefix: &str) -> pb::GraphProto {
    let defined = g.initializer.iter().map(|t| t.name.as_str()).chain(g.node.iter().flat_map(|n| n.output.iter().map(String::as_str)));
    let local: HashMap<String, String> = defined.filter(|n| !n.is_empty()).map(|n| (n.to_string(), format!("{prefix}{n}"))).collect();
    let mut g = g.clone();
    g.initializer.iter_mut().for_each(|t| t.name = rename(&local, &t.name));
    g.output.iter_mut().for_each(|o| o.name = rename(&local, &o.name));
    for n in &mut g.node {
        n.output = n.output.iter().map(|o| rename(&local, o)).collect();
        n.name = format!("{prefix}{}", node_name(n));
        rename_reads(n, &local);
    }
    g
}

fn rename(local: &HashMap<String, String>, n: &str) -> String {
    local.get(n).cloned().unwrap_or_else(|| n.to_string())
}

/// Renames a node's inputs, and those of the nodes of its subgraph attributes, through `local`.
fn rename_reads(n: &mut pb::NodeProto, local: &HashMap<String, String>) {
    n.input = n.input.iter().map(|i| rename(local, i)).collect();
    for a in &mut n.attribute {
        for g in a.g.iter_mut().chain(a.graphs.iter_mut()) {
            g.node.iter_mut().for_each(|m| rename_reads(m, local));
            g.output.iter_mut().for_each(|o| o.name = rename(local, &o.name));
        }
    }
}

fn identity(name: String, input: String, output: String) -> pb::NodeProto {
    pb::NodeProto { op_type: "Identity".into(), name, input: vec![input], output: vec![output], ..Default::default() }
}

/// Where an unrolled loop stands: the iterations done and, per iteration, its scan values.
#[derive(Debug, Clone)]
struct LoopState {
    /// The original node (its name, outputs and body).
    node: pb::NodeProto,
    iteration: usize,
    scans: Vec<Vec<String>>,
}

/// The loader's loops in progress, keyed by their continuation nodes' names.
#[derive(Debug, Default)]
pub struct Unroller {
    loops: HashMap<String, LoopState>,
    nodes_added: usize,
}

/// What one unrolling step puts on the worklist: constants first, then nodes (in order).
#[derive(Debug, Default)]
pub struct Unrolled {
    /// New constants: the iteration number, the body's initializers, a scan's axes.
    pub consts: Vec<(String, ConstTensor)>,
    /// Nodes to lower next, in order.
    pub nodes: Vec<pb::NodeProto>,
}

fn scalar(v: f32) -> ConstTensor {
    ConstTensor { shape: Vec::new(), data: vec![v], integer: true }
}

impl Unroller {
    /// A file's `Loop` node, or one of the loader's continuations: the next iteration's nodes
    /// and its continuation, or, when the loop ends, the nodes that give its outputs.
    pub fn step(&mut self, path: &Path, node: &pb::NodeProto, consts: &HashMap<String, ConstTensor>, dir: Option<&str>) -> Result<Unrolled> {
        let state = if node.domain == CONTINUATION_DOMAIN {
            self.loops.remove(&node.name).ok_or_else(|| ProverError::BadNode { path: path.to_path_buf(), node: node_name(node), op: node.op_type.clone(), message: format!("domain '{CONTINUATION_DOMAIN}' is reserved") })?
        } else {
            LoopState { node: node.clone(), iteration: 0, scans: Vec::new() }
        };
        let original = state.node.clone();
        let bad = |message: String| ProverError::BadNode { path: path.to_path_buf(), node: node_name(&original), op: "Loop".into(), message };
        let body = original.attribute.iter().find(|a| a.name == "body").and_then(|a| a.g.as_ref()).ok_or_else(|| bad("has no body graph".into()))?;
        let carried = node.input.len().saturating_sub(2);
        if body.input.len() != 2 + carried || body.output.len() < 1 + carried || original.output.len() != body.output.len() - 1 {
            return Err(bad(format!("its body has {} inputs and {} outputs for {carried} loop-carried values and {} node outputs", body.input.len(), body.output.len(), original.output.len())));
        }
        if let Some(n) = body.node.iter().find(|n| n.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty())) {
            return Err(bad(format!("its body's node '{}' ({}) has a subgraph: nested control flow in a loop is not supported", node_name(n), n.op_type)));
        }
        let known = |i: usize, what: &str| -> Result<Option<f64>> {
            match node.input.get(i).filter(|n| !n.is_empty()) {
                None => Ok(None),
                Some(n) => consts.get(n).and_then(|t| t.data.first()).map(|v| Some(f64::from(*v))).ok_or_else(|| bad(format!("its {what} is computed from the input: only a loop whose trip count and conditions are known at compile time is unrolled"))),
            }
        };
        let trip = known(0, "trip count M")?;
        let go = known(1, "condition")?.is_none_or(|c| c != 0.0);
        let more = go && trip.is_none_or(|m| (state.iteration as f64) < m);
        if !more {
            return self.finish(&original, &state, &node.input[2..], &bad);
        }
        if trip.is_none() && node.input.get(1).is_none_or(String::is_empty) {
            return Err(bad("has neither a trip count nor a condition".into()));
        }
        let unbounded = trip.is_some_and(|m| m > MAX_LOOP_ITERATIONS as f64) && node.input.get(1).is_none_or(String::is_empty);
        if state.iteration >= MAX_LOOP_ITERATIONS || unbounded {
            return Err(bad(format!("runs more than {MAX_LOOP_ITERATIONS} iterations")));
        }
        self.nodes_added = self.nodes_added.saturating_add(body.node.len() + carried + 1);
        if self.nodes_added > MAX_UNROLLED_NODES {
            return Err(bad(format!("unrolling the graph's loops would add more than {MAX_UNROLLED_NODES} nodes")));
        }
        self.iteration(path, node, state, body, dir, &bad)
    }

    /// One iteration: the body's nodes renamed, then the continuation.
    fn iteration(&mut self, path: &Path, node: &pb::NodeProto, mut state: LoopState, body: &pb::GraphProto, dir: Option<&str>, bad: &dyn Fn(String) -> ProverError) -> Result<Unrolled> {
        let i = state.iteration;
        let prefix = format!("{}/iteration{i}/", node_name(&state.node));
        let mut local: HashMap<&str, String> = HashMap::new();
        let names = body.input.iter().map(|v| v.name.as_str()).chain(body.initializer.iter().map(|t| t.name.as_str())).chain(body.node.iter().flat_map(|n| n.output.iter().map(String::as_str)));
        for n in names.filter(|n| !n.is_empty()) {
            local.insert(n, format!("{prefix}{n}"));
        }
        let rename = |n: &String| if n.is_empty() { String::new() } else { local.get(n.as_str()).cloned().unwrap_or_else(|| n.clone()) };
        let mut out = Unrolled::default();
        out.consts.push((rename(&body.input[0].name), scalar(i as f32)));
        out.consts.push((rename(&body.input[1].name), scalar(1.0)));
        for t in &body.initializer {
            let c = to_const(t, dir).map_err(|m| bad(format!("its body's initializer '{}': {m}", t.name)))?;
            out.consts.push((rename(&t.name), c));
        }
        for (v, outer) in body.input[2..].iter().zip(&node.input[2..]) {
            out.nodes.push(identity(format!("{prefix}{}", v.name), outer.clone(), rename(&v.name)));
        }
        for n in &body.node {
            let mut n = n.clone();
            n.input = n.input.iter().map(rename).collect();
            n.output = n.output.iter().map(rename).collect();
            n.name = format!("{prefix}{}", node_name(&n));
            out.nodes.push(n);
        }
        let carried = node.input.len() - 2;
        let outputs: Vec<String> = body.output.iter().map(|o| rename(&o.name)).collect();
        let trip = node.input[0].clone();
        let mut inputs = vec![trip, outputs[0].clone()];
        inputs.extend(outputs[1..=carried].iter().cloned());
        state.scans.push(outputs[1 + carried..].to_vec());
        state.iteration += 1;
        let name = format!("{}#{}", node_name(&state.node), state.iteration);
        out.nodes.push(pb::NodeProto { op_type: "Loop".into(), domain: CONTINUATION_DOMAIN.into(), name: name.clone(), input: inputs, output: state.node.output.clone(), ..Default::default() });
        if self.loops.insert(name, state).is_some() {
            return Err(ProverError::BadNode { path: path.to_path_buf(), node: node_name(node), op: "Loop".into(), message: "two loops share a name".into() });
        }
        Ok(out)
    }

    /// The loop's outputs: the final loop-carried values, and each scan output stacked along a
    /// new first axis.
    fn finish(&mut self, original: &pb::NodeProto, state: &LoopState, carried: &[String], bad: &dyn Fn(String) -> ProverError) -> Result<Unrolled> {
        let mut out = Unrolled::default();
        let name = node_name(original);
        for (value, output) in carried.iter().zip(&original.output) {
            if !output.is_empty() {
                out.nodes.push(identity(format!("{name}/out"), value.clone(), output.clone()));
            }
        }
        let axes = format!("{name}/scan_axes");
        out.consts.push((axes.clone(), ConstTensor { shape: vec![1], data: vec![0.0], integer: true }));
        for (k, output) in original.output[carried.len()..].iter().enumerate().filter(|(_, o)| !o.is_empty()) {
            if state.scans.is_empty() {
                return Err(bad(format!("runs no iteration, so its scan output '{output}' is empty")));
            }
            let mut parts = Vec::with_capacity(state.scans.len());
            for (i, scans) in state.scans.iter().enumerate() {
                let part = format!("{name}/scan{k}/{i}");
                let value = scans.get(k).cloned().ok_or_else(|| bad("internal: a scan value is missing".into()))?;
                out.nodes.push(pb::NodeProto { op_type: "Unsqueeze".into(), name: part.clone(), input: vec![value, axes.clone()], output: vec![part.clone()], ..Default::default() });
                parts.push(part);
            }
            let axis = pb::AttributeProto { name: "axis".into(), r#type: pb::attribute_proto::AttributeType::Int as i32, i: 0, ..Default::default() };
            out.nodes.push(pb::NodeProto { op_type: "Concat".into(), name: format!("{name}/scan{k}"), input: parts, output: vec![output.clone()], attribute: vec![axis], ..Default::default() });
        }
        Ok(out)
    }
}
