//! Input JSON: zkinfer's own `{"input": [..]}` and ezkl's `{"input_data": [[..]]}`.

use crate::error::{ProverError, Result};
use crate::limits::{self, MAX_DATA_JSON_BYTES, MAX_TENSOR_VALUES};
use std::path::Path;

/// Reads one input vector from a JSON file (at most [`MAX_DATA_JSON_BYTES`]).
pub fn read_input(path: &Path) -> Result<Vec<f32>> {
    let text = limits::read_text(path, MAX_DATA_JSON_BYTES)?;
    parse_input(&text).map_err(|e| match e {
        ProverError::BadInput(m) => ProverError::BadInput(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Parses one input vector. Accepts `{"input": [...]}` (nested arrays are flattened) and ezkl's
/// `{"input_data": [[...], ...]}` (one tensor per graph input, concatenated in graph order). Values are streamed into the vector (no
/// JSON tree is built), at most [`MAX_TENSOR_VALUES`] of them.
pub fn parse_input(text: &str) -> Result<Vec<f32>> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = InputFile.deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    match parsed {
        Ok(Ok(values)) => Ok(values),
        Ok(Err(message)) => Err(ProverError::BadInput(message)),
        Err(e) if e.is_data() => Err(ProverError::BadInput(e.to_string())),
        Err(e) => Err(ProverError::BadInput(format!("not valid JSON: {e}"))),
    }
}

/// Largest test set read (a test set has at most [`crate::accuracy::MAX_SAMPLES`] samples).
pub const MAX_TEST_SET_BYTES: u64 = 16 << 20;

/// Reads a test set, `{"inputs": [[...], ...], "labels": [class, ...]}` (an accuracy circuit's
/// input; see [`crate::accuracy`]).
pub fn read_test_set(path: &Path) -> Result<crate::accuracy::TestSet> {
    let text = limits::read_text(path, MAX_TEST_SET_BYTES)?;
    let set: crate::accuracy::TestSet = serde_json::from_str(&text).map_err(|e| {
        ProverError::BadInput(format!("{}: not a test set ({e}); expected {{\"inputs\": [[...], ...], \"labels\": [class, ...]}}", path.display()))
    })?;
    let max = crate::accuracy::MAX_SAMPLES;
    if set.inputs.len() > max || set.labels.len() > max {
        return Err(ProverError::invalid(path, "inputs", format!("{} inputs and {} labels: a test set has at most {max} samples", set.inputs.len(), set.labels.len())));
    }
    Ok(set)
}

/// The input file's top level: an object with `input` or `input_data`; `Ok(Err(message))` when
/// it is valid JSON but not an input.
struct InputFile;

impl<'de> serde::de::DeserializeSeed<'de> for InputFile {
    type Value = std::result::Result<Vec<f32>, String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for InputFile {
    type Value = std::result::Result<Vec<f32>, String>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object with a field 'input' (zkinfer) or 'input_data' (ezkl)")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut input: Option<Vec<f32>> = None;
        let mut input_data: Option<Self::Value> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "input" if input.is_none() => {
                    let mut out = Vec::new();
                    map.next_value_seed(Flatten { field: "input", out: &mut out })?;
                    input = Some(out);
                }
                "input_data" if input_data.is_none() => input_data = Some(map.next_value_seed(Tensors)?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(match (input, input_data) {
            (Some(v), _) => Ok(v),
            (None, Some(v)) => v,
            (None, None) => Err("expected a field 'input' (zkinfer) or 'input_data' (ezkl)".into()),
        })
    }
}

/// ezkl's `input_data`: a list of tensors, one per graph input in graph order, concatenated
/// (a model with several inputs reads each from its part).
struct Tensors;

impl<'de> serde::de::DeserializeSeed<'de> for Tensors {
    type Value = std::result::Result<Vec<f32>, String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Tensors {
    type Value = std::result::Result<Vec<f32>, String>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field 'input_data' to be an array of tensors")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut count = 0usize;
        while seq.next_element_seed(Flatten { field: "input_data", out: &mut out })?.is_some() {
            count += 1;
        }
        Ok(if count == 0 { Err("field 'input_data' has no tensors".to_string()) } else { Ok(out) })
    }
}

/// Appends every number of a (nested) array to `out`, naming `field` in errors.
struct Flatten<'a> {
    field: &'static str,
    out: &'a mut Vec<f32>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Flatten<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Flatten<'_> {
    fn push<E: serde::de::Error>(self, v: f64) -> std::result::Result<(), E> {
        if self.out.len() >= MAX_TENSOR_VALUES {
            return Err(E::custom(format!("field '{}': more than {MAX_TENSOR_VALUES} values", self.field)));
        }
        self.out.push(v as f32);
        Ok(())
    }
    fn wrong<E: serde::de::Error>(&self, found: std::fmt::Arguments<'_>) -> E {
        E::custom(format!("field '{}': expected numbers, found {found}", self.field))
    }
}

impl<'de> serde::de::Visitor<'de> for Flatten<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "numbers in field '{}'", self.field)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.push(v)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.push(v as f64)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<(), E> {
        self.push(v as f64)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Flatten { field: self.field, out: &mut *self.out })?.is_some() {}
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<(), E> {
        Err(self.wrong(format_args!("{v:?}")))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<(), E> {
        // A boolean input's values.
        self.push(f64::from(u8::from(v)))
    }
    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        Err(self.wrong(format_args!("null")))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.wrong(format_args!("an object")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_formats() {
        assert_eq!(parse_input(r#"{"input": [1, 2.5]}"#).unwrap(), vec![1.0, 2.5]);
        assert_eq!(parse_input(r#"{"input_data": [[1, [2, 3]]]}"#).unwrap(), vec![1.0, 2.0, 3.0]);
        // Several graph inputs, in graph order; booleans are 0 and 1.
        assert_eq!(parse_input(r#"{"input_data": [[1, 2], [[3]], [true, false]]}"#).unwrap(), vec![1.0, 2.0, 3.0, 1.0, 0.0]);
    }

    #[test]
    fn names_the_problem() {
        let e = parse_input(r#"{"input_data": []}"#).unwrap_err().to_string();
        assert!(e.contains("no tensors"), "{e}");
        let e = parse_input(r#"{"inputs": [1]}"#).unwrap_err().to_string();
        assert!(e.contains("'input'"), "{e}");
        let e = parse_input(r#"{"input": [1, "x"]}"#).unwrap_err().to_string();
        assert!(e.contains("expected numbers"), "{e}");
    }
}
