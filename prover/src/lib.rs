//! zkinfer prover: ONNX → graph IR → fixed-point model → halo2 KZG circuit → keys and proofs.
//!
//! Pipeline: [`onnx::load`] maps the ONNX graph through one op registry onto the IR
//! ([`ir::Graph`]); [`ir::Graph::lower`] turns it into dense layers; [`quant::QuantModel`]
//! quantises them; [`circuit::ModelCircuit`] proves the fixed-point execution.
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]

pub mod accuracy;
pub mod artifact;
pub mod binding;
pub mod calibrate;
pub mod circuit;
pub mod compile;
pub mod costmodel;
pub mod error;
pub mod hash;
pub mod input;
pub mod limits;
pub mod ir;
pub mod onnx;
pub mod optimise;
pub mod proving;
pub mod quant;
pub mod reference;
pub mod srs;
pub mod visibility;
pub mod weights;

pub use circuit::{plan, CircuitPlan, CircuitShape, ModelCircuit};
pub use error::{ProverError, Result};
pub use quant::{Interp, QuantModel, QuantParams, Trace};
pub use binding::{Binding, Claimant, PaymentContract};
pub use visibility::{GraphInputs, InputWires, Visibilities, Visibility, VisibilityOverrides};
pub use compile::{compile, CompileOptions, Compiled};
