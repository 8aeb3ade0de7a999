//! The fuzzer's parts (see `tests/fuzz.rs` and docs/fuzz.md).
#![allow(dead_code)]

pub mod build;
pub mod mutate;
pub mod onnx;
