//! Rewrites the ONNX-ML ops tract cannot run into standard ONNX ops, before tract runs the float
//! reference: `Scaler` → `Sub`, `Mul`; `Binarizer` → `Greater`, `Cast`; `ArrayFeatureExtractor`
//! → `Gather` on the last axis; `ZipMap` → `Identity` (its map's values in class order);
//! `TreeEnsembleRegressor` → a `TreeEnsembleClassifier` (which tract runs) with one class per
//! target after a class of nothing, its scores' columns from 1 (`AVERAGE` folded into the
//! weights). The prover's own lowering never sees this rewrite: it reads the original nodes.

use tract_onnx::pb;
use pb::attribute_proto::AttributeType;
use pb::tensor_proto::DataType;

const ML: &str = "ai.onnx.ml";

fn floats_attr(node: &pb::NodeProto, name: &str) -> Vec<f32> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.floats.clone()).unwrap_or_default()
}

fn float_attr(node: &pb::NodeProto, name: &str, default: f32) -> f32 {
    node.attribute.iter().find(|a| a.name == name).map_or(default, |a| a.f)
}

fn int_attr(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| (*s).to_string()).collect(),
        output: vec![output.to_string()],
        attribute,
        ..Default::default()
    }
}

fn float_tensor(name: &str, data: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto { name: name.into(), dims: vec![data.len() as i64], data_type: DataType::Float as i32, float_data: data, ..Default::default() }
}

fn ints_attr(node: &pb::NodeProto, name: &str) -> Vec<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.ints.clone()).unwrap_or_default()
}

fn int_tensor(name: &str, data: Vec<i64>) -> pb::TensorProto {
    pb::TensorProto { name: name.into(), dims: vec![data.len() as i64], data_type: DataType::Int64 as i32, int64_data: data, ..Default::default() }
}

/// `TreeEnsembleRegressor` → `TreeEnsembleClassifier` + `Slice`: target `k` is class `k + 1`
/// (so tract's two-class layout never applies), class 0 scores nothing and is sliced off.
fn regressor_as_classifier(mut n: pb::NodeProto, tmp: &str, y: &str, nodes: &mut Vec<pb::NodeProto>, inits: &mut Vec<pb::TensorProto>) {
    let targets = n.attribute.iter().find(|a| a.name == "n_targets").map_or(1, |a| a.i).max(1);
    let average = n.attribute.iter().any(|a| a.name == "aggregate_function" && a.s == b"AVERAGE");
    let trees = {
        let mut t = ints_attr(&n, "nodes_treeids");
        t.sort_unstable();
        t.dedup();
        t.len().max(1)
    };
    let base = floats_attr(&n, "base_values");
    let mut attrs = Vec::new();
    for mut a in std::mem::take(&mut n.attribute) {
        match a.name.as_str() {
            "n_targets" | "aggregate_function" | "post_transform" | "base_values" => continue,
            "target_ids" => a.ints.iter_mut().for_each(|k| *k += 1),
            "target_weights" if average => a.floats.iter_mut().for_each(|w| *w /= trees as f32),
            _ => {}
        }
        a.name = a.name.replace("target_", "class_");
        attrs.push(a);
    }
    attrs.push(pb::AttributeProto { name: "classlabels_int64s".into(), r#type: AttributeType::Ints as i32, ints: (0..=targets).collect(), ..Default::default() });
    if !base.is_empty() {
        let mut b = vec![0.0];
        b.extend(base);
        attrs.push(pb::AttributeProto { name: "base_values".into(), r#type: AttributeType::Floats as i32, floats: b, ..Default::default() });
    }
    n.attribute = attrs;
    n.op_type = "TreeEnsembleClassifier".into();
    n.output = vec![format!("{tmp}_label"), format!("{tmp}_scores")];
    let scores = n.output[1].clone();
    nodes.push(n);
    let (st, en, ax) = (format!("{tmp}_starts"), format!("{tmp}_ends"), format!("{tmp}_axes"));
    inits.push(int_tensor(&st, vec![1]));
    inits.push(int_tensor(&en, vec![targets + 1]));
    inits.push(int_tensor(&ax, vec![1]));
    nodes.push(node("Slice", &[&scores, &st, &en, &ax], y, Vec::new()));
}

/// Rewrites `proto` in place; returns whether anything changed.
pub fn desugar(proto: &mut pb::ModelProto) -> bool {
    let Some(graph) = proto.graph.as_mut() else { return false };
    let mut nodes = Vec::with_capacity(graph.node.len());
    let mut inits = Vec::new();
    let mut zipped = Vec::new();
    let mut changed = false;
    for (k, n) in std::mem::take(&mut graph.node).into_iter().enumerate() {
        if n.domain != ML {
            nodes.push(n);
            continue;
        }
        let (x, y) = (n.input.first().cloned().unwrap_or_default(), n.output.first().cloned().unwrap_or_default());
        let tmp = format!("zkinfer_desugar_{k}");
        let op = n.op_type.clone();
        match op.as_str() {
            "Scaler" => {
                let offset = floats_attr(&n, "offset");
                let scale = floats_attr(&n, "scale");
                let (o, s) = (format!("{tmp}_offset"), format!("{tmp}_scale"));
                inits.push(float_tensor(&o, if offset.is_empty() { vec![0.0] } else { offset }));
                inits.push(float_tensor(&s, if scale.is_empty() { vec![1.0] } else { scale }));
                nodes.push(node("Sub", &[&x, &o], &tmp, Vec::new()));
                nodes.push(node("Mul", &[&tmp, &s], &y, Vec::new()));
            }
            "Binarizer" => {
                let t = format!("{tmp}_threshold");
                inits.push(float_tensor(&t, vec![float_attr(&n, "threshold", 0.0)]));
                nodes.push(node("Greater", &[&x, &t], &tmp, Vec::new()));
                nodes.push(node("Cast", &[&tmp], &y, vec![int_attr("to", DataType::Float as i64)]));
            }
            "ArrayFeatureExtractor" => {
                let idx = n.input.get(1).cloned().unwrap_or_default();
                nodes.push(node("Gather", &[&x, &idx], &y, vec![int_attr("axis", -1)]));
            }
            "TreeEnsembleRegressor" => regressor_as_classifier(n, &tmp, &y, &mut nodes, &mut inits),
            "ZipMap" => {
                nodes.push(node("Identity", &[&x], &y, Vec::new()));
                zipped.push(y);
            }
            _ => {
                nodes.push(n);
                continue;
            }
        }
        changed = true;
    }
    graph.node = nodes;
    graph.initializer.extend(inits);
    // A ZipMap output is declared a sequence of maps: let tract infer the tensor instead.
    for o in graph.output.iter_mut().filter(|o| zipped.contains(&o.name)) {
        o.r#type = None;
    }
    changed
}
