//! Input JSON: zkinfer's own `{"input": [..]}` and ezkl's `{"input_data": [[..]]}`.

use crate::error::{ProverError, Result};
use std::path::Path;

/// Reads one input vector from a JSON file.
pub fn read_input(path: &Path) -> Result<Vec<f32>> {
    let text = std::fs::read_to_string(path).map_err(|e| ProverError::io(path, e))?;
    parse_input(&text).map_err(|e| match e {
        ProverError::BadInput(m) => ProverError::BadInput(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Parses one input vector. Accepts `{"input": [...]}` (nested arrays are flattened) and ezkl's
/// `{"input_data": [[...]]}` (exactly one input tensor).
pub fn parse_input(text: &str) -> Result<Vec<f32>> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ProverError::BadInput(format!("not valid JSON: {e}")))?;
    let (field, data) = if let Some(d) = v.get("input") {
        ("input", d)
    } else if let Some(d) = v.get("input_data") {
        let arr = d.as_array().ok_or_else(|| ProverError::BadInput("field 'input_data' must be an array of tensors".into()))?;
        match arr.as_slice() {
            [one] => ("input_data[0]", one),
            _ => {
                return Err(ProverError::BadInput(format!(
                    "field 'input_data' has {} tensors; this model takes exactly one",
                    arr.len()
                )))
            }
        }
    } else {
        return Err(ProverError::BadInput("expected a field 'input' (zkinfer) or 'input_data' (ezkl)".into()));
    };
    let mut out = Vec::new();
    flatten(data, field, &mut out)?;
    Ok(out)
}

/// Reads a test set, `{"inputs": [[...], ...], "labels": [class, ...]}` (an accuracy circuit's
/// input; see [`crate::accuracy`]).
pub fn read_test_set(path: &Path) -> Result<crate::accuracy::TestSet> {
    let text = std::fs::read_to_string(path).map_err(|e| ProverError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        ProverError::BadInput(format!("{}: not a test set ({e}); expected {{\"inputs\": [[...], ...], \"labels\": [class, ...]}}", path.display()))
    })
}

fn flatten(v: &serde_json::Value, field: &str, out: &mut Vec<f32>) -> Result<()> {
    match v {
        serde_json::Value::Number(n) => {
            let f = n.as_f64().ok_or_else(|| ProverError::BadInput(format!("field '{field}': bad number {n}")))?;
            out.push(f as f32);
            Ok(())
        }
        serde_json::Value::Array(a) => a.iter().try_for_each(|x| flatten(x, field, out)),
        other => Err(ProverError::BadInput(format!("field '{field}': expected numbers, found {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_formats() {
        assert_eq!(parse_input(r#"{"input": [1, 2.5]}"#).unwrap(), vec![1.0, 2.5]);
        assert_eq!(parse_input(r#"{"input_data": [[1, [2, 3]]]}"#).unwrap(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn names_the_problem() {
        let e = parse_input(r#"{"input_data": [[1], [2]]}"#).unwrap_err().to_string();
        assert!(e.contains("2 tensors"), "{e}");
        let e = parse_input(r#"{"inputs": [1]}"#).unwrap_err().to_string();
        assert!(e.contains("'input'"), "{e}");
        let e = parse_input(r#"{"input": [1, "x"]}"#).unwrap_err().to_string();
        assert!(e.contains("expected numbers"), "{e}");
    }
}
