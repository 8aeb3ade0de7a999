//! Hand-built ONNX models (tract-onnx's protobuf types, encoded with prost): the regression tests'
//! hostile models and the fuzzer's extra seeds.
#![allow(dead_code)]

use prost::Message;
use std::path::{Path, PathBuf};
use tract_onnx::pb;

/// ONNX `TensorProto.DataType` codes used here.
pub const FLOAT: i32 = 1;
/// `INT64`.
pub const INT64: i32 = 7;
/// `STRING`.
pub const STRING: i32 = 8;

/// A float initializer.
pub fn tensor_f32(name: &str, dims: &[i64], data: &[f32]) -> pb::TensorProto {
    pb::TensorProto { name: name.into(), dims: dims.to_vec(), data_type: FLOAT, float_data: data.to_vec(), ..Default::default() }
}

/// An int64 initializer.
pub fn tensor_i64(name: &str, dims: &[i64], data: &[i64]) -> pb::TensorProto {
    pb::TensorProto { name: name.into(), dims: dims.to_vec(), data_type: INT64, int64_data: data.to_vec(), ..Default::default() }
}

/// A float tensor value info with fixed dimensions.
pub fn value_info(name: &str, dims: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension::Value as Dim, Dimension};
    let shape = pb::TensorShapeProto { dim: dims.iter().map(|d| Dimension { value: Some(Dim::DimValue(*d)), ..Default::default() }).collect() };
    let t = pb::type_proto::Tensor { elem_type: FLOAT, shape: Some(shape) };
    pb::ValueInfoProto { name: name.into(), r#type: Some(pb::TypeProto { value: Some(pb::type_proto::Value::TensorType(t)), ..Default::default() }), ..Default::default() }
}

/// A node.
pub fn node(op: &str, inputs: &[&str], outputs: &[&str], attribute: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        name: format!("{op}_{}", outputs.first().copied().unwrap_or("")),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute,
        ..Default::default()
    }
}

/// An `INTS` attribute.
pub fn ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), ints: v.to_vec(), r#type: 7, ..Default::default() }
}

/// An `INT` attribute.
pub fn int(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), i, r#type: 2, ..Default::default() }
}

/// A model: one input `x` of `dims`, the nodes, the initializers, one output `y`.
pub fn model(dims: &[i64], nodes: Vec<pb::NodeProto>, initializer: Vec<pb::TensorProto>) -> pb::ModelProto {
    let graph = pb::GraphProto {
        name: "hostile".into(),
        node: nodes,
        initializer,
        input: vec![value_info("x", dims)],
        output: vec![value_info("y", &[])],
        ..Default::default()
    };
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: 13 }],
        producer_name: "zkinfer-hostile-tests".into(),
        graph: Some(graph),
        ..Default::default()
    }
}

/// Writes `m` to `dir/name`.
pub fn write(dir: &Path, name: &str, m: &pb::ModelProto) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, m.encode_to_vec()).expect("write model");
    p
}

/// Decodes an ONNX file.
pub fn decode(bytes: &[u8]) -> Option<pb::ModelProto> {
    pb::ModelProto::decode(bytes).ok()
}

/// Encodes a model.
pub fn encode(m: &pb::ModelProto) -> Vec<u8> {
    m.encode_to_vec()
}
