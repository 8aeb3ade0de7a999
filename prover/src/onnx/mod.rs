//! ONNX frontend: reads the raw ONNX graph (parsed by tract-onnx) and maps every node onto the
//! project's IR through one registry ([`registry`]). Unknown ops and attributes are errors that
//! name the node, the op and the model file.

pub mod binary;
pub mod control;
pub mod conv;
pub mod dynamic;
pub mod einsum;
pub mod elementwise;
pub mod fold;
pub mod intdiv;
pub mod ml;
pub mod normalize;
pub mod recurrent;
pub mod reduce;
pub mod resize;
pub mod registry;
pub mod scatter;
pub mod select;
pub mod shape_ops;
pub mod svm;
pub mod trees;

use crate::error::{ProverError, Result};
use crate::ir::{AffineMap, Graph, Node, Op};
use crate::limits::{self, MAX_GRAPH_VALUES, MAX_MODEL_TERMS, MAX_OP_TERMS, MAX_TENSOR_VALUES};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tract_onnx::pb;
use tract_onnx::prelude::Framework;

/// A constant tensor (initializer or Constant node) as f32 with its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstTensor {
    /// Shape.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
    /// Whether its ONNX type is an integer or boolean type (integer `Div` and `Mod` when folded).
    pub integer: bool,
}

/// What a registry handler sees of one node.
#[derive(Debug)]
pub struct NodeCtx<'a> {
    /// The model file.
    pub path: &'a Path,
    /// The raw node.
    pub node: &'a pb::NodeProto,
    /// Constants known so far, by tensor name.
    pub consts: &'a HashMap<String, ConstTensor>,
    /// Activation (non-constant) tensors known so far: name → (IR tensor, exact shape).
    pub acts: &'a HashMap<String, (usize, Vec<usize>)>,
    /// Name of the node's first activation input (empty if it has none).
    pub activation: &'a str,
    /// Number of values of that input.
    pub width: usize,
    /// Its exact ONNX shape (a symbolic batch dimension is 1).
    pub shape: &'a [usize],
}

impl NodeCtx<'_> {
    /// The node's display name: its name, else its first output.
    pub fn name(&self) -> String {
        node_name(self.node)
    }
    /// An error about this node.
    pub fn error(&self, message: impl Into<String>) -> ProverError {
        ProverError::BadNode {
            path: self.path.to_path_buf(),
            node: self.name(),
            op: self.node.op_type.clone(),
            message: message.into(),
        }
    }
    /// A constant input by position.
    pub fn const_input(&self, i: usize) -> Result<&ConstTensor> {
        let name = self
            .node
            .input
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| self.error(format!("missing input {i}")))?;
        self.consts.get(name).ok_or_else(|| {
            self.error(format!("input {i} ('{name}') must be a constant (initializer or Constant)"))
        })
    }
    /// Whether input `i` is an activation (computed from the model input).
    pub fn is_activation(&self, i: usize) -> bool {
        self.node.input.get(i).is_some_and(|n| self.acts.contains_key(n))
    }
    /// The exact shape of activation input `i`.
    pub fn act_shape(&self, i: usize) -> Result<&[usize]> {
        self.node
            .input
            .get(i)
            .and_then(|n| self.acts.get(n))
            .map(|(_, s)| s.as_slice())
            .ok_or_else(|| self.error(format!("input {i} must be an activation (computed from the model input)")))
    }
    /// Looks up an attribute.
    pub fn attr(&self, name: &str) -> Option<&pb::AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }
    /// Integer attribute with default.
    pub fn attr_int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).map_or(default, |a| a.i)
    }
    /// Float attribute with default.
    pub fn attr_float(&self, name: &str, default: f32) -> f32 {
        self.attr(name).map_or(default, |a| a.f)
    }
    /// The number of values of an output of `shape`, checked (before the output is built) against
    /// [`MAX_TENSOR_VALUES`] and [`limits::MAX_RANK`].
    pub fn output_values(&self, shape: &[usize]) -> Result<usize> {
        match limits::volume(shape, MAX_TENSOR_VALUES) {
            Some(n) => Ok(n),
            None => Err(self.error(format!(
                "its output of shape {shape:?} has more than {MAX_TENSOR_VALUES} values (or more than {} dimensions)",
                limits::MAX_RANK
            ))),
        }
    }
    /// Checks (before they are built) that `count` terms, `None` when the count overflows, are at
    /// most [`MAX_OP_TERMS`].
    pub fn check_terms(&self, count: Option<usize>) -> Result<usize> {
        count
            .filter(|c| *c <= MAX_OP_TERMS)
            .ok_or_else(|| self.error(format!("it lowers to more than {MAX_OP_TERMS} terms (weights, products or pooling taps)")))
    }
}

/// The lowering of an op outside the registry (only constant folding may evaluate it).
fn unsupported(ctx: &NodeCtx<'_>) -> Result<registry::Lowered> {
    Err(ctx.error("is not supported"))
}

fn node_name(node: &pb::NodeProto) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else {
        node.output.first().cloned().unwrap_or_else(|| "<unnamed>".into())
    }
}

/// Loads an ONNX file into the project's IR.
pub fn load(path: &Path) -> Result<Graph> {
    let load_err = |message: String| ProverError::OnnxLoad { path: path.to_path_buf(), message };
    if !path.exists() {
        return Err(load_err("file not found".into()));
    }
    limits::check_file(path, limits::MAX_ONNX_BYTES)?;
    let proto = tract_onnx::onnx().proto_model_for_path(path).map_err(|e| load_err(format!("{e:#}")))?;
    let graph = proto.graph.as_ref().ok_or_else(|| load_err("model has no graph".into()))?;
    let dir = path.parent().and_then(|d| d.to_str());

    let mut consts: HashMap<String, ConstTensor> = HashMap::new();
    for init in &graph.initializer {
        consts.insert(init.name.clone(), to_const(init, dir).map_err(|m| load_err(format!("initializer '{}': {m}", init.name)))?);
    }

    let inputs: Vec<&pb::ValueInfoProto> =
        graph.input.iter().filter(|i| !consts.contains_key(&i.name)).collect();
    if inputs.is_empty() {
        return Err(ProverError::BadGraph {
            path: path.to_path_buf(),
            message: "the graph has no (non-initializer) input: its output is a constant, there is nothing to prove".into(),
        });
    }
    let mut shapes = Vec::with_capacity(inputs.len());
    for input in &inputs {
        shapes.push(input_shape(input).map_err(|m| ProverError::BadGraph { path: path.to_path_buf(), message: format!("graph input '{}': {m}", input.name) })?);
    }
    let total = shapes.iter().try_fold(0usize, |n, s| n.checked_add(s.iter().product::<usize>())).filter(|n| *n <= MAX_TENSOR_VALUES).ok_or_else(|| ProverError::BadGraph {
        path: path.to_path_buf(),
        message: format!("the graph inputs {shapes:?} have more than {MAX_TENSOR_VALUES} values together"),
    })?;
    let mut acts: HashMap<String, (usize, Vec<usize>)> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    // One input: tensor 0 is the input. Several: tensor 0 is their concatenation in graph order
    // (as the input file lists them), and each input is a gather of its part (folded, no rows).
    let input_shape = if let ([input], [shape]) = (inputs.as_slice(), shapes.as_slice()) {
        acts.insert(input.name.clone(), (0, shape.clone()));
        shape.clone()
    } else {
        let mut offset = 0;
        for (input, shape) in inputs.iter().zip(&shapes) {
            let n: usize = shape.iter().product();
            let gather = AffineMap::gather(total, (offset..offset + n).collect());
            nodes.push(Node { name: input.name.clone(), source_op: "graph input".into(), op: Op::Affine(gather, shape.clone()), inputs: vec![0] });
            acts.insert(input.name.clone(), (nodes.len(), shape.clone()));
            offset += n;
        }
        vec![total]
    };
    // Values of every tensor and terms of every op so far, against the graph's limits.
    let (mut graph_values, mut graph_terms) = (0usize, 0usize);
    // A worklist, so that an `If` whose condition is known at compile time is replaced by the
    // nodes of the branch it takes, and a `Loop` by its iterations ([`control`]).
    let mut queue: std::collections::VecDeque<pb::NodeProto> = graph.node.iter().cloned().collect();
    let mut inlined = control::Inlined::default();
    let mut unroller = control::Unroller::default();
    while let Some(owned) = queue.pop_front() {
        let node = &owned;
        let loop_node = node.op_type == "Loop" && matches!(node.domain.as_str(), "" | "ai.onnx" | control::CONTINUATION_DOMAIN);
        if loop_node {
            let step = unroller.step(path, node, &consts, dir)?;
            consts.extend(step.consts);
            for n in step.nodes.into_iter().rev() {
                queue.push_front(n);
            }
            continue;
        }
        if node.op_type == "If" && matches!(node.domain.as_str(), "" | "ai.onnx") {
            let branch = control::inline_if(path, node, &consts, &mut inlined)?;
            for init in &branch.initializer {
                consts.insert(init.name.clone(), to_const(init, dir).map_err(|m| load_err(format!("initializer '{}' of node '{}': {m}", init.name, node_name(node))))?);
            }
            for n in branch.node.into_iter().rev() {
                queue.push_front(n);
            }
            continue;
        }
        let first = node.input.iter().find(|n| acts.contains_key(*n)).cloned().unwrap_or_default();
        let (width, shape) = acts.get(&first).map_or((0, Vec::new()), |(_, s)| (s.iter().product(), s.clone()));
        let ctx = NodeCtx { path, node, consts: &consts, acts: &acts, activation: &first, width, shape: &shape };
        let op_name = match node.domain.as_str() {
            "" | "ai.onnx" => node.op_type.clone(),
            registry::ML_DOMAIN => format!("{}.{}", registry::ML_DOMAIN, node.op_type),
            other => return Err(ctx.error(format!("custom domain '{other}' is not supported (only ai.onnx and {})", registry::ML_DOMAIN))),
        };
        let entry = registry::lookup(&op_name);
        if let Some(entry) = entry {
            // `consumed_inputs` (opsets 1–5) is a memory hint with no effect on the values.
            for attr in node.attribute.iter().filter(|a| a.name != "consumed_inputs") {
                if !entry.attributes.contains(&attr.name.as_str()) {
                    return Err(ctx.error(format!(
                        "attribute '{}' is not supported (supported: {})",
                        attr.name,
                        if entry.attributes.is_empty() { "none".to_string() } else { entry.attributes.join(", ") }
                    )));
                }
            }
        }
        let out = node.output.iter().find(|o| !o.is_empty()).ok_or_else(|| ctx.error("no output"))?.clone();
        // Static shapes and constants: evaluated now.
        let lower = entry.map_or(unsupported as fn(&NodeCtx<'_>) -> Result<registry::Lowered>, |e| e.build);
        if let Some(t) = fold::fold(&ctx, lower)? {
            consts.insert(out, t);
            continue;
        }
        let Some(entry) = entry else {
            return Err(ProverError::UnsupportedOp {
                path: path.to_path_buf(),
                node: node_name(node),
                op: op_name,
                hint: Some(format!("supported ops: {}", registry::supported_names().join(", "))),
            });
        };
        let steps = match (entry.build)(&ctx)? {
            registry::Lowered::Const(t) => {
                consts.insert(out, t);
                continue;
            }
            registry::Lowered::Skip => {
                let src = acts.get(&first).cloned().ok_or_else(|| ctx.error("has no activation input"))?;
                acts.insert(out, src);
                continue;
            }
            registry::Lowered::Each(ops) => {
                // One op per output (Split): each output its own IR node on the first input.
                let src = acts.get(&first).cloned().ok_or_else(|| ctx.error("has no activation input"))?;
                let mut made = Vec::with_capacity(ops.len());
                for (name, op) in node.output.iter().zip(ops) {
                    let shape = op.output_shape(&src.1);
                    graph_values = graph_values.saturating_add(ctx.output_values(&shape)?);
                    if graph_values > MAX_GRAPH_VALUES {
                        return Err(ctx.error(format!("the graph up to this node has {graph_values} values, more than the {MAX_GRAPH_VALUES} a model may have")));
                    }
                    made.push((name.clone(), Node { name: ctx.name(), source_op: node.op_type.clone(), op, inputs: vec![src.0] }, shape));
                }
                for (name, n, shape) in made {
                    nodes.push(n);
                    if !name.is_empty() {
                        acts.insert(name, (nodes.len(), shape));
                    }
                }
                continue;
            }
            registry::Lowered::Op(op) => (vec![registry::Step::unary(op)], None),
            registry::Lowered::Ops(ops) => (registry::Step::chain(ops), None),
            registry::Lowered::Steps(steps) => (steps, None),
            registry::Lowered::Outputs(steps, outs) => (steps, Some(outs)),
        };
        let (steps, outs) = steps;
        if first.is_empty() {
            return Err(ctx.error("has no activation input (computed from the model input)"));
        }
        let mut produced: Vec<(usize, Vec<usize>)> = Vec::with_capacity(steps.len());
        for step in steps {
            let mut inputs = Vec::with_capacity(step.inputs.len());
            for r in &step.inputs {
                inputs.push(match r {
                    registry::Ref::Primary => (acts[&first].0, acts[&first].1.clone()),
                    registry::Ref::Input(k) => {
                        let name = node.input.get(*k).filter(|n| acts.contains_key(*n)).ok_or_else(|| ctx.error(format!("input {k} must be an activation")))?;
                        acts[name].clone()
                    }
                    registry::Ref::Step(j) => produced.get(*j).cloned().ok_or_else(|| ctx.error(format!("internal: step {j} not built yet")))?,
                });
            }
            let first_shape = inputs.first().map(|(_, s)| s.as_slice()).ok_or_else(|| ctx.error("internal: a step without inputs"))?;
            let shape = step.op.output_shape(first_shape);
            let values = ctx.output_values(&shape)?;
            if values == 0 {
                return Err(ctx.error(format!("its output of shape {shape:?} has no values")));
            }
            graph_values = graph_values.saturating_add(values);
            graph_terms = graph_terms.saturating_add(step.op.terms());
            if graph_values > MAX_GRAPH_VALUES || graph_terms > MAX_MODEL_TERMS {
                return Err(ctx.error(format!(
                    "the graph up to this node has {graph_values} values and {graph_terms} terms, more than the {MAX_GRAPH_VALUES} values or {MAX_MODEL_TERMS} terms a model may have"
                )));
            }
            nodes.push(Node { name: ctx.name(), source_op: node.op_type.clone(), op: step.op, inputs: inputs.iter().map(|(t, _)| *t).collect() });
            produced.push((nodes.len(), shape));
        }
        match outs {
            None => {
                let last = produced.pop().ok_or_else(|| ctx.error("lowered to nothing"))?;
                acts.insert(out, last);
            }
            Some(outs) => {
                let mut made = Vec::with_capacity(outs.len());
                for (name, step) in node.output.iter().zip(outs) {
                    made.push((name.clone(), produced.get(step).cloned().ok_or_else(|| ctx.error(format!("internal: output step {step} not built")))?));
                }
                for (name, t) in made.into_iter().filter(|(n, _)| !n.is_empty()) {
                    acts.insert(name, t);
                }
            }
        }
    }
    let (output, output_shapes) = graph_outputs(path, graph, &acts, &mut nodes)?;
    Ok(Graph { source: PathBuf::from(path), input_shape, input_shapes: shapes, nodes, output, output_shapes })
}

/// The graph's output tensor and each graph output's shape. One output is itself; several are
/// concatenated, flattened, in graph order (a gather, no rows).
fn graph_outputs(path: &Path, graph: &pb::GraphProto, acts: &HashMap<String, (usize, Vec<usize>)>, nodes: &mut Vec<Node>) -> Result<(usize, Vec<Vec<usize>>)> {
    let bad = |message: String| ProverError::BadGraph { path: path.to_path_buf(), message };
    let names: Vec<&String> = graph.output.iter().map(|o| &o.name).collect();
    let mut found = Vec::with_capacity(names.len());
    for name in &names {
        let t = acts.get(*name).ok_or_else(|| {
            bad(format!("graph output '{name}' is not computed from the input (a constant output, or one of an unsupported node); outputs: {names:?}"))
        })?;
        found.push(t.clone());
    }
    match found.as_slice() {
        [] => Err(bad("the graph has no output".into())),
        [(t, shape)] => Ok((*t, vec![shape.clone()])),
        _ => {
            let shapes: Vec<Vec<usize>> = found.iter().map(|(_, s)| s.clone()).collect();
            let total = shapes.iter().try_fold(0usize, |n, s| n.checked_add(s.iter().product::<usize>())).filter(|n| *n <= MAX_TENSOR_VALUES);
            let total = total.ok_or_else(|| bad(format!("the graph outputs {shapes:?} have more than {MAX_TENSOR_VALUES} values together")))?;
            let gather = AffineMap::gather(total, (0..total).collect());
            nodes.push(Node { name: "graph outputs".into(), source_op: "graph output".into(), op: Op::Affine(gather, vec![total]), inputs: found.iter().map(|(t, _)| *t).collect() });
            Ok((nodes.len(), shapes))
        }
    }
}

/// Checks what an initializer or a `Constant` claims before tract reads it: a numeric data type
/// (tract's raw loader has no case for the others and panics) and dimensions within
/// [`MAX_TENSOR_VALUES`].
fn check_tensor_proto(t: &pb::TensorProto) -> std::result::Result<(), String> {
    use pb::tensor_proto::DataType as D;
    let numeric = matches!(
        D::try_from(t.data_type),
        Ok(D::Float | D::Double | D::Float16 | D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::Uint8 | D::Uint16 | D::Uint32 | D::Uint64 | D::Bool)
    );
    if !numeric {
        return Err(format!("data type {} is not a supported numeric type", t.data_type));
    }
    let dims: Option<Vec<usize>> = t.dims.iter().map(|d| usize::try_from(*d).ok()).collect();
    if dims.and_then(|d| limits::volume(&d, MAX_TENSOR_VALUES)).is_none() {
        return Err(format!(
            "dims {:?}: a constant has non-negative dimensions, at most {} of them, and at most {MAX_TENSOR_VALUES} values",
            t.dims,
            limits::MAX_RANK
        ));
    }
    Ok(())
}

pub(crate) fn to_const(t: &pb::TensorProto, dir: Option<&str>) -> std::result::Result<ConstTensor, String> {
    check_tensor_proto(t)?;
    let tensor = tract_onnx::tensor::load_tensor(&tract_onnx::data_resolver::MmapDataResolver, t, dir)
        .map_err(|e| format!("{e:#}"))?;
    let shape = tensor.shape().to_vec();
    if limits::volume(&shape, MAX_TENSOR_VALUES).is_none() {
        return Err(format!("shape {shape:?} has more than {MAX_TENSOR_VALUES} values"));
    }
    let f = tensor.cast_to::<f32>().map_err(|e| format!("{e:#}"))?;
    let data = f.to_plain_array_view::<f32>().map_err(|e| format!("{e:#}"))?.iter().copied().collect();
    use pb::tensor_proto::DataType as D;
    let integer = !matches!(D::try_from(t.data_type), Ok(D::Float | D::Double | D::Float16 | D::Bfloat16));
    Ok(ConstTensor { shape, data, integer })
}

fn input_shape(input: &pb::ValueInfoProto) -> std::result::Result<Vec<usize>, String> {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    let Some(pb::type_proto::Value::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err("not a tensor".into());
    };
    let shape = t.shape.as_ref().ok_or("no shape")?;
    let mut dims = Vec::with_capacity(shape.dim.len());
    for (i, d) in shape.dim.iter().enumerate() {
        match &d.value {
            Some(Dim::DimValue(v)) if *v > 0 && *v <= MAX_TENSOR_VALUES as i64 => dims.push(*v as usize),
            // A symbolic or unknown leading dimension is the batch: one sample is proven.
            Some(Dim::DimParam(_)) | None if i == 0 => dims.push(1),
            other => return Err(format!("dimension {i} is {other:?}; only fixed dimensions (and a symbolic batch) are supported, each at most {MAX_TENSOR_VALUES}")),
        }
    }
    if limits::volume(&dims, MAX_TENSOR_VALUES).is_none() {
        return Err(format!("shape {dims:?} has more than {MAX_TENSOR_VALUES} values (or more than {} dimensions)", limits::MAX_RANK));
    }
    Ok(dims)
}
