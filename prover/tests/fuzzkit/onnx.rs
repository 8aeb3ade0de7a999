//! Structure-aware ONNX mutation: decode the model with tract-onnx's protobuf types, change one
//! thing a loader reads as a size or an index (a graph input's or an initializer's dims, an
//! attribute's ints — pads, strides, kernel_shape, axes, perm —, an initializer's values — Slice
//! steps, Reshape shapes, Gather indices —, its data type, a node's op, inputs or order), encode.

use super::mutate::{interesting, Rng};
use tract_onnx::pb;

const OPS: &[&str] = &[
    "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Concat", "Softmax", "LayerNormalization", "ReduceMean", "ReduceSum", "ReduceMax",
    "BatchNormalization", "Conv", "AveragePool", "MaxPool", "GlobalAveragePool", "Relu", "Sigmoid", "Tanh", "Exp", "Erf", "Gelu", "Sqrt",
    "Reciprocal", "Clip", "Flatten", "Reshape", "Transpose", "Slice", "Gather", "Squeeze", "Unsqueeze", "Cast", "Identity", "Constant", "Softsign",
];

const ATTRS: &[&str] = &["pads", "strides", "kernel_shape", "dilations", "axes", "perm", "axis", "group", "transB", "transA", "keepdims", "to", "epsilon", "alpha", "starts", "ends", "ceil_mode", "count_include_pad"];

const FLOATS: &[f32] = &[0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, 1e-30, 1e30, -1e30, f32::MAX, f32::MIN, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 9.2e18, 3.0e9];

/// One structural mutation of `m`; a description of it.
pub fn mutate(rng: &mut Rng, m: &mut pb::ModelProto) -> String {
    let Some(g) = m.graph.as_mut() else { return "no graph".into() };
    match rng.below(9) {
        0 => input_dims(rng, g),
        1 | 2 => initializer(rng, g),
        3 | 4 => attribute(rng, g),
        5 => node_structure(rng, g),
        6 => {
            let names = tensor_names(g);
            match g.output.first_mut() {
                Some(o) if rng.one_in(2) => {
                    o.name = rng.pick(&names).clone();
                    format!("graph output renamed to {}", o.name)
                }
                _ => {
                    let copy = g.output.first().cloned().unwrap_or_default();
                    g.output.push(copy);
                    "graph output duplicated".into()
                }
            }
        }
        7 => {
            // A Constant node's tensor, like an initializer.
            let consts: Vec<usize> = (0..g.node.len()).filter(|i| g.node[*i].attribute.iter().any(|a| a.t.is_some())).collect();
            if consts.is_empty() {
                return initializer(rng, g);
            }
            let n = &mut g.node[*rng.pick(&consts)];
            let Some(t) = n.attribute.iter_mut().find_map(|a| a.t.as_mut()) else { return "no-op".into() };
            tensor(rng, t)
        }
        _ => {
            let all_ints: usize = g.initializer.iter().map(|t| t.int64_data.len()).sum();
            if all_ints == 0 {
                return attribute(rng, g);
            }
            // Every int64 initializer value at once (all steps, all shape entries, all indices).
            let v = interesting(rng);
            g.initializer.iter_mut().for_each(|t| t.int64_data.iter_mut().for_each(|x| *x = v));
            format!("every int64 initializer value := {v}")
        }
    }
}

fn tensor_names(g: &pb::GraphProto) -> Vec<String> {
    let mut v: Vec<String> = g.node.iter().flat_map(|n| n.output.iter().cloned()).collect();
    v.extend(g.initializer.iter().map(|t| t.name.clone()));
    v.extend(g.input.iter().map(|i| i.name.clone()));
    v.push(String::new());
    v.push("nonexistent".into());
    v
}

fn input_dims(rng: &mut Rng, g: &mut pb::GraphProto) -> String {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    let Some(input) = g.input.first_mut() else { return "no input".into() };
    let Some(pb::type_proto::Value::TensorType(t)) = input.r#type.as_mut().and_then(|t| t.value.as_mut()) else { return "input not a tensor".into() };
    let Some(shape) = t.shape.as_mut() else { return "input without shape".into() };
    match rng.below(5) {
        0 if !shape.dim.is_empty() => {
            shape.dim.pop();
            "input rank - 1".into()
        }
        1 => {
            shape.dim.push(pb::tensor_shape_proto::Dimension { value: Some(Dim::DimValue(interesting(rng))), ..Default::default() });
            "input rank + 1".into()
        }
        2 => {
            t.elem_type = rng.below(20) as i32;
            format!("input elem_type := {}", t.elem_type)
        }
        _ if !shape.dim.is_empty() => {
            let i = rng.below(shape.dim.len());
            let v = if rng.one_in(6) { Dim::DimParam("N".into()) } else { Dim::DimValue(interesting(rng)) };
            let what = format!("input dim {i} := {v:?}");
            shape.dim[i].value = Some(v);
            what
        }
        _ => "no-op".into(),
    }
}

fn initializer(rng: &mut Rng, g: &mut pb::GraphProto) -> String {
    if g.initializer.is_empty() {
        return "no initializer".into();
    }
    let i = rng.below(g.initializer.len());
    let name = g.initializer[i].name.clone();
    format!("initializer '{name}': {}", tensor(rng, &mut g.initializer[i]))
}

fn tensor(rng: &mut Rng, t: &mut pb::TensorProto) -> String {
    match rng.below(8) {
        0 | 1 if !t.dims.is_empty() => {
            let d = rng.below(t.dims.len());
            t.dims[d] = interesting(rng);
            format!("dims[{d}] := {}", t.dims[d])
        }
        2 => {
            if rng.one_in(2) {
                t.dims.push(interesting(rng));
            } else {
                t.dims.pop();
            }
            format!("dims := {:?}", t.dims)
        }
        3 if !t.int64_data.is_empty() => {
            let k = rng.below(t.int64_data.len());
            t.int64_data[k] = interesting(rng);
            format!("int64_data[{k}] := {}", t.int64_data[k])
        }
        3 | 4 if !t.float_data.is_empty() => {
            let k = rng.below(t.float_data.len());
            t.float_data[k] = *rng.pick(FLOATS);
            format!("float_data[{k}] := {}", t.float_data[k])
        }
        5 => {
            t.data_type = rng.below(20) as i32;
            format!("data_type := {}", t.data_type)
        }
        6 => {
            let keep = rng.below(t.float_data.len() + t.int64_data.len() + 1);
            t.float_data.truncate(keep);
            t.int64_data.truncate(keep);
            format!("data truncated to {keep}")
        }
        _ => {
            t.raw_data = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect();
            format!("raw_data := {} random bytes", t.raw_data.len())
        }
    }
}

fn attribute(rng: &mut Rng, g: &mut pb::GraphProto) -> String {
    if g.node.is_empty() {
        return "no node".into();
    }
    let n = rng.below(g.node.len());
    let node = &mut g.node[n];
    if node.attribute.is_empty() || rng.one_in(3) {
        let name = rng.pick(ATTRS).to_string();
        let len = rng.below(5);
        let ints: Vec<i64> = (0..len).map(|_| interesting(rng)).collect();
        let what = format!("node {n} ({}): added {name} = {ints:?}", node.op_type);
        node.attribute.push(pb::AttributeProto { name, i: interesting(rng), ints, r#type: 7, ..Default::default() });
        return what;
    }
    let a = rng.below(node.attribute.len());
    let attr = &mut node.attribute[a];
    let what = match rng.below(5) {
        0 | 1 if !attr.ints.is_empty() => {
            let k = rng.below(attr.ints.len());
            attr.ints[k] = interesting(rng);
            format!("ints[{k}] := {}", attr.ints[k])
        }
        2 => {
            attr.ints = (0..rng.below(9)).map(|_| interesting(rng)).collect();
            format!("ints := {:?}", attr.ints)
        }
        3 => {
            attr.f = *rng.pick(FLOATS);
            format!("f := {}", attr.f)
        }
        _ => {
            attr.i = interesting(rng);
            attr.s = rng.pick(&[&b"NOTSET"[..], b"SAME_UPPER", b"VALID", b"tanh", b"none", b""]).to_vec();
            format!("i := {}, s := {:?}", attr.i, String::from_utf8_lossy(&attr.s))
        }
    };
    format!("node {n} ({}) attribute {}: {what}", node.op_type, attr.name)
}

fn node_structure(rng: &mut Rng, g: &mut pb::GraphProto) -> String {
    if g.node.is_empty() {
        return "no node".into();
    }
    let names = tensor_names(g);
    let n = rng.below(g.node.len());
    match rng.below(6) {
        0 => {
            g.node[n].op_type = rng.pick(OPS).to_string();
            format!("node {n} op := {}", g.node[n].op_type)
        }
        1 => {
            g.node.remove(n);
            format!("node {n} removed")
        }
        2 => {
            let copy = g.node[n].clone();
            g.node.insert(rng.below(g.node.len() + 1), copy);
            format!("node {n} duplicated")
        }
        3 => {
            let m = rng.below(g.node.len());
            g.node.swap(n, m);
            format!("nodes {n} and {m} swapped")
        }
        4 if !g.node[n].input.is_empty() => {
            let i = rng.below(g.node[n].input.len());
            g.node[n].input[i] = rng.pick(&names).clone();
            format!("node {n} input {i} := {:?}", g.node[n].input[i])
        }
        _ => {
            let extra = rng.pick(&names).clone();
            g.node[n].input.push(extra);
            format!("node {n}: input added")
        }
    }
}
