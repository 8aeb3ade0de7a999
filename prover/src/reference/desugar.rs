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

/// A tree ensemble with its `nodes_*` lists in (tree, node id) order (tract 0.23 misroutes
/// otherwise), and `x > t` / `x ≥ t` splits written as the negation of `x ≤ t` / `x < t` with
/// the branches swapped (tract 0.23 takes the wrong branch of BRANCH_GT and BRANCH_GTE).
fn sorted_nodes(mut n: pb::NodeProto) -> pb::NodeProto {
    let modes: Vec<Vec<u8>> = n.attribute.iter().find(|a| a.name == "nodes_modes").map(|a| a.strings.clone()).unwrap_or_default();
    let flip: Vec<bool> = modes.iter().map(|m| m == b"BRANCH_GT" || m == b"BRANCH_GTE").collect();
    let (yes, no) = (ints_attr(&n, "nodes_truenodeids"), ints_attr(&n, "nodes_falsenodeids"));
    if yes.len() == flip.len() && no.len() == flip.len() {
        for a in n.attribute.iter_mut() {
            match a.name.as_str() {
                "nodes_modes" => a.strings.iter_mut().for_each(|m| {
                    if m == b"BRANCH_GT" {
                        *m = b"BRANCH_LEQ".to_vec();
                    } else if m == b"BRANCH_GTE" {
                        *m = b"BRANCH_LT".to_vec();
                    }
                }),
                "nodes_truenodeids" => a.ints = (0..flip.len()).map(|i| if flip[i] { no[i] } else { yes[i] }).collect(),
                "nodes_falsenodeids" => a.ints = (0..flip.len()).map(|i| if flip[i] { yes[i] } else { no[i] }).collect(),
                "nodes_missing_value_tracks_true" if a.ints.len() == flip.len() => a.ints.iter_mut().zip(&flip).filter(|(_, f)| **f).for_each(|(v, _)| *v = i64::from(*v == 0)),
                _ => {}
            }
        }
    }
    let (trees, ids) = (ints_attr(&n, "nodes_treeids"), ints_attr(&n, "nodes_nodeids"));
    if trees.len() != ids.len() {
        return n;
    }
    let mut order: Vec<usize> = (0..trees.len()).collect();
    order.sort_by_key(|i| (trees[*i], ids[*i]));
    for a in n.attribute.iter_mut().filter(|a| a.name.starts_with("nodes_")) {
        if a.ints.len() == order.len() {
            a.ints = order.iter().map(|i| a.ints[*i]).collect();
        }
        if a.floats.len() == order.len() {
            a.floats = order.iter().map(|i| a.floats[*i]).collect();
        }
        if a.strings.len() == order.len() {
            a.strings = order.iter().map(|i| a.strings[*i].clone()).collect();
        }
    }
    n
}

/// `TreeEnsembleClassifier`: as is, except two classes scored by one column (the ONNX
/// reference's binary case), which tract 0.23 labels from a column it leaves empty. That one is
/// rewritten as the reference computes it: the score `s` (class 1 of three, sliced), the pair
/// `[1 − s, s]` (NONE) or `[−s, s]`, the post transform, and the label of the first maximum.
fn tree_classifier(mut n: pb::NodeProto, tmp: &str, nodes: &mut Vec<pb::NodeProto>, inits: &mut Vec<pb::TensorProto>) {
    let labels = ints_attr(&n, "classlabels_int64s");
    let binary = labels.len() == 2 && ints_attr(&n, "class_ids").iter().all(|k| *k == 0);
    if !binary || n.output.len() != 2 {
        nodes.push(n);
        return;
    }
    let post = n.attribute.iter().find(|a| a.name == "post_transform").map_or_else(|| "NONE".to_string(), |a| String::from_utf8_lossy(&a.s).into_owned());
    let base = floats_attr(&n, "base_values").first().copied().unwrap_or(0.0);
    let (label, probabilities) = (n.output[0].clone(), n.output[1].clone());
    let t = |k: &str| format!("{tmp}_{k}");
    n.attribute.retain(|a| !matches!(a.name.as_str(), "post_transform" | "base_values" | "classlabels_int64s"));
    for a in n.attribute.iter_mut().filter(|a| a.name == "class_ids") {
        a.ints.iter_mut().for_each(|k| *k = 1);
    }
    n.attribute.push(pb::AttributeProto { name: "classlabels_int64s".into(), r#type: AttributeType::Ints as i32, ints: vec![0, 1, 2], ..Default::default() });
    n.attribute.push(pb::AttributeProto { name: "base_values".into(), r#type: AttributeType::Floats as i32, floats: vec![0.0, base, 0.0], ..Default::default() });
    n.output = vec![t("label3"), t("scores3")];
    nodes.push(n);
    inits.push(int_tensor(&t("starts"), vec![1]));
    inits.push(int_tensor(&t("ends"), vec![2]));
    inits.push(int_tensor(&t("axes"), vec![1]));
    inits.push(float_tensor(&t("one"), vec![1.0]));
    inits.push(int_tensor(&t("labels"), labels));
    nodes.push(node("Slice", &[&t("scores3"), &t("starts"), &t("ends"), &t("axes")], &t("s"), Vec::new()));
    if post == "NONE" {
        nodes.push(node("Sub", &[&t("one"), &t("s")], &t("other"), Vec::new()));
    } else {
        nodes.push(node("Neg", &[&t("s")], &t("other"), Vec::new()));
    }
    nodes.push(node("Concat", &[&t("other"), &t("s")], &t("raw"), vec![int_attr("axis", 1)]));
    match post.as_str() {
        "LOGISTIC" => nodes.push(node("Sigmoid", &[&t("raw")], &probabilities, Vec::new())),
        "SOFTMAX" => nodes.push(node("Softmax", &[&t("raw")], &probabilities, vec![int_attr("axis", 1)])),
        _ => nodes.push(node("Identity", &[&t("raw")], &probabilities, Vec::new())),
    }
    nodes.push(node("ArgMax", &[&t("raw")], &t("index"), vec![int_attr("axis", 1), int_attr("keepdims", 0)]));
    nodes.push(node("Gather", &[&t("labels"), &t("index")], &label, Vec::new()));
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

fn float_matrix(name: &str, data: Vec<f32>, rows: usize) -> pb::TensorProto {
    let cols = data.len() / rows.max(1);
    pb::TensorProto { name: name.into(), dims: vec![rows as i64, cols as i64], data_type: DataType::Float as i32, float_data: data, ..Default::default() }
}

/// `SVMRegressor` → standard ops: `X·w + rho` (LINEAR), `exp(−γ Σ (X − sv)²)·coef + rho`
/// (RBF), `tanh(γ X·svᵀ + c0)·coef + rho` (SIGMOID); a one-class model's `±1` by `Greater`.
fn svm_regressor(n: &pb::NodeProto, x: &str, tmp: &str, y: &str, nodes: &mut Vec<pb::NodeProto>, inits: &mut Vec<pb::TensorProto>) {
    let coef = floats_attr(n, "coefficients");
    let rho = floats_attr(n, "rho").first().copied().unwrap_or(0.0);
    let params = floats_attr(n, "kernel_params");
    let (gamma, c0) = (params.first().copied().unwrap_or(0.0), params.get(1).copied().unwrap_or(0.0));
    let s = n.attribute.iter().find(|a| a.name == "n_supports").map_or(0, |a| a.i).max(0) as usize;
    let kernel = n.attribute.iter().find(|a| a.name == "kernel_type").map_or_else(|| "LINEAR".to_string(), |a| String::from_utf8_lossy(&a.s).into_owned());
    let sv = floats_attr(n, "support_vectors");
    let c = sv.len().checked_div(s).unwrap_or(coef.len());
    let name = |k: &str| format!("{tmp}_{k}");
    let f = name("f");
    inits.push(float_tensor(&name("rho"), vec![rho]));
    let kernel = if s == 0 { "LINEAR".to_string() } else { kernel };
    match kernel.as_str() {
        "RBF" => {
            inits.push(float_matrix(&name("sv"), sv, s));
            inits.push(float_tensor(&name("gamma"), vec![-gamma]));
            inits.push(float_matrix(&name("coef"), coef, s));
            inits.push(pb::TensorProto { name: name("axes"), dims: vec![1], data_type: DataType::Int64 as i32, int64_data: vec![2], ..Default::default() });
            inits.push(pb::TensorProto { name: name("shape"), dims: vec![3], data_type: DataType::Int64 as i32, int64_data: vec![-1, 1, c as i64], ..Default::default() });
            nodes.push(node("Reshape", &[x, &name("shape")], &name("x3"), Vec::new()));
            nodes.push(node("Sub", &[&name("x3"), &name("sv")], &name("d"), Vec::new()));
            nodes.push(node("Mul", &[&name("d"), &name("d")], &name("d2"), Vec::new()));
            nodes.push(node("ReduceSum", &[&name("d2"), &name("axes")], &name("ss"), vec![int_attr("keepdims", 0)]));
            nodes.push(node("Mul", &[&name("ss"), &name("gamma")], &name("g"), Vec::new()));
            nodes.push(node("Exp", &[&name("g")], &name("k"), Vec::new()));
            nodes.push(node("MatMul", &[&name("k"), &name("coef")], &name("m"), Vec::new()));
        }
        "SIGMOID" => {
            let svt: Vec<f32> = (0..c).flat_map(|f| (0..s).map(move |j| (f, j))).map(|(f, j)| gamma * sv[j * c + f]).collect();
            inits.push(float_matrix(&name("svt"), svt, c));
            inits.push(float_tensor(&name("c0"), vec![c0]));
            inits.push(float_matrix(&name("coef"), coef, s));
            nodes.push(node("MatMul", &[x, &name("svt")], &name("dot"), Vec::new()));
            nodes.push(node("Add", &[&name("dot"), &name("c0")], &name("a"), Vec::new()));
            nodes.push(node("Tanh", &[&name("a")], &name("k"), Vec::new()));
            nodes.push(node("MatMul", &[&name("k"), &name("coef")], &name("m"), Vec::new()));
        }
        _ => {
            let w: Vec<f32> = if s == 0 { coef } else { (0..c).map(|f| (0..s).map(|j| sv[j * c + f] * coef[j]).sum()).collect() };
            inits.push(float_matrix(&name("w"), w, c));
            nodes.push(node("MatMul", &[x, &name("w")], &name("m"), Vec::new()));
        }
    }
    let one_class = n.attribute.iter().any(|a| a.name == "one_class" && a.i != 0);
    nodes.push(node("Add", &[&name("m"), &name("rho")], if one_class { &f } else { y }, Vec::new()));
    if one_class {
        inits.push(float_tensor(&name("zero"), vec![0.0]));
        inits.push(float_tensor(&name("two"), vec![2.0]));
        inits.push(float_tensor(&name("one"), vec![1.0]));
        nodes.push(node("Greater", &[&f, &name("zero")], &name("pos"), Vec::new()));
        nodes.push(node("Cast", &[&name("pos")], &name("posf"), vec![int_attr("to", DataType::Float as i64)]));
        nodes.push(node("Mul", &[&name("posf"), &name("two")], &name("p2"), Vec::new()));
        nodes.push(node("Sub", &[&name("p2"), &name("one")], y, Vec::new()));
    }
}

/// Rewrites `proto` in place; returns whether anything changed.
pub fn desugar(proto: &mut pb::ModelProto) -> bool {
    let Some(graph) = proto.graph.as_mut() else { return false };
    let mut nodes = Vec::with_capacity(graph.node.len());
    let mut inits = Vec::new();
    let mut zipped = Vec::new();
    let mut changed = false;
    for (k, n) in std::mem::take(&mut graph.node).into_iter().enumerate() {
        let celu = n.domain.is_empty() && n.op_type == "Celu";
        if n.domain != ML && !celu {
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
            "TreeEnsembleRegressor" => regressor_as_classifier(sorted_nodes(n), &tmp, &y, &mut nodes, &mut inits),
            "TreeEnsembleClassifier" => tree_classifier(sorted_nodes(n), &tmp, &mut nodes, &mut inits),
            "Celu" => {
                // max(0, x) + min(0, α·(exp(x/α) − 1)): tract 0.23's Celu is off for α ≠ 1.
                let alpha = float_attr(&n, "alpha", 1.0);
                let t = |k: &str| format!("{tmp}_{k}");
                inits.push(float_tensor(&t("alpha"), vec![alpha]));
                inits.push(float_tensor(&t("one"), vec![1.0]));
                inits.push(float_tensor(&t("zero"), vec![0.0]));
                nodes.push(node("Relu", &[&x], &t("r"), Vec::new()));
                nodes.push(node("Div", &[&x, &t("alpha")], &t("q"), Vec::new()));
                nodes.push(node("Exp", &[&t("q")], &t("e"), Vec::new()));
                nodes.push(node("Sub", &[&t("e"), &t("one")], &t("e1"), Vec::new()));
                nodes.push(node("Mul", &[&t("e1"), &t("alpha")], &t("m"), Vec::new()));
                nodes.push(node("Min", &[&t("m"), &t("zero")], &t("mn"), Vec::new()));
                nodes.push(node("Add", &[&t("r"), &t("mn")], &y, Vec::new()));
            }
            "SVMRegressor" => svm_regressor(&n, &x, &tmp, &y, &mut nodes, &mut inits),
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
