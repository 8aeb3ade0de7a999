//! Issue 15: calibration that covers its samples, compiles that leave nothing behind when they
//! fail, range errors that name the flag, the accuracy circuit's count and test-set calibration,
//! bench's progress and summary, and the layout report. Real models made with `onnx.helper`
//! (`cli/tests/fixtures/gen-calib.py`), real keys and proofs.

#![allow(clippy::unwrap_used)]

mod common;

use common::zkinfer;
use std::path::Path;

const TINY: &str = "cli/tests/fixtures/tiny_linear.onnx";
/// Largest input 0.6 (and a 0.5): issue 15's sample.
const SAMPLE: &str = "cli/tests/fixtures/tiny_linear.input.json";
/// Largest input 300.0: beyond the range the sample above calibrates.
const WIDE: &str = "cli/tests/fixtures/tiny_linear.wide.json";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn circuit(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("circuit.json")).unwrap()).unwrap()
}

/// Issue 15, bug 2: a sample whose largest input is 0.6 chose `range ±2^7 (values ±0.49609375)`
/// (the range followed the layer values only), then failed on the hashed input's packing and left
/// a circuit.json behind. The range now holds every value of the sample's run (inputs included)
/// with 2x headroom, the summary says so, and the sample proves.
#[test]
fn regression_calibration_range_covers_a_sample_of_0_6() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = zkinfer(&["compile", TINY, "--calibrate", SAMPLE, "--scale-bits", "8", "--dir", d]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}{out}", text(&o.stderr));
    let params = &circuit(dir.path())["model"]["params"];
    assert_eq!(params["range_limbs"], 2, "{params}");
    assert!(out.contains("range ±2^15 (values ±127.99609375) (2 limbs of 8 bits: the fewest holding 2x the largest value of the 1 calibration samples' fixed-point runs, 0.6015625)"), "{out}");
    assert!(o.stderr.is_empty() || !text(&o.stderr).contains("error"), "{}", text(&o.stderr));
    assert!(zkinfer(&["setup", "--dir", d]).status.success());
    let o = zkinfer(&["prove", "--input", SAMPLE, "--dir", d]);
    assert!(o.status.success(), "the calibration sample itself proves: {}", text(&o.stderr));
    assert!(zkinfer(&["verify", "--dir", d]).status.success());

    // An input wider than the calibration: refused before proving, naming the flag and the
    // limbs that would hold it (300.0 = 76800 at scale 2^8 needs 3 limbs of 8 bits).
    let o = zkinfer(&["prove", "--input", WIDE, "--dir", d, "--out", dir.path().join("wide.json").to_str().unwrap()]);
    let e = text(&o.stderr);
    assert!(!o.status.success());
    assert!(e.contains("value out of range in the input (value 3): 300 (76800 at scale 2^8) is outside the circuit's range"), "{e}");
    assert!(e.contains("`--range-limbs 3`") && e.contains("`--calibrate`"), "{e}");
    assert!(!dir.path().join("wide.json").exists());
}

/// Issue 15, bug 2: a compile that fails writes nothing (no circuit.json, no temporary file), an
/// earlier circuit.json stays as it was (and the error says so), and the range error names the
/// flag that fixes it with the limbs that fit.
#[test]
fn regression_failed_compile_leaves_no_artifact_and_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let narrow = ["compile", TINY, "--calibrate", SAMPLE, "--range-limbs", "1", "--dir", d];
    let o = zkinfer(&narrow);
    let e = text(&o.stderr);
    assert!(!o.status.success(), "{}", text(&o.stdout));
    assert!(e.contains("calibration sample 0") && e.contains("in the input (value 3): 0.6015625 (154 at scale 2^8)"), "{e}");
    assert!(e.contains("`--range-limbs 2`"), "the error names the flag and the limbs that fit: {e}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|f| f.unwrap().file_name()).collect();
    assert!(left.is_empty(), "a failed compile left {left:?}");

    // Over an earlier compile: untouched, and said so.
    assert!(zkinfer(&["compile", TINY, "--calibrate", SAMPLE, "--scale-bits", "8", "--dir", d]).status.success());
    let before = std::fs::read(dir.path().join("circuit.json")).unwrap();
    let o = zkinfer(&narrow);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(dir.path().join("circuit.json")).unwrap(), before, "the earlier circuit.json changed");
    assert!(text(&o.stderr).contains("is from an earlier compile, unchanged"), "{}", text(&o.stderr));
    let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|f| f.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["circuit.json", "circuit.public.json"], "only the earlier compile's files");
}

/// Issue 15, accuracy circuits: the test set an accuracy circuit proves with calibrates it
/// (`--calibrate TESTSET.json`), and `prove` prints the count (`12/16 right`), not the count read
/// as a fixed-point value.
#[test]
fn regression_accuracy_calibrates_on_the_test_set_and_prove_prints_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = zkinfer(&["compile", "models/mlp_small.onnx", "--accuracy-samples", "16", "--calibrate", "models/mlp_small.testset.json", "--dir", d]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("of the 16 calibration samples' fixed-point runs"), "every test-set input is a sample: {}", text(&o.stdout));
    assert!(zkinfer(&["setup", "--dir", d]).status.success());
    let o = zkinfer(&["prove", "--input", "models/mlp_small.testset.json", "--model", "models/mlp_small_b.onnx", "--dir", d]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains("12/16 right"), "{out}");
    assert!(!out.contains("outputs: ["), "no fixed-point reading of the count: {out}");
    // A file that is neither an input nor a test set is named as such.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"samples": [1, 2]}"#).unwrap();
    let o = zkinfer(&["compile", "models/mlp_small.onnx", "--calibrate", bad.to_str().unwrap(), "--scale-bits", "8", "--dir", d]);
    let e = text(&o.stderr);
    assert!(!o.status.success() && e.contains("--calibrate") && e.contains("bad.json") && e.contains("nor is it a test set"), "{e}");
}

/// Issue 15, layout report: a legend for the layer notation; the rejected layouts are the
/// fastest five (plus any faster than the chosen one), each with why it lost (the budget and by
/// how much), the rest counted.
#[test]
fn regression_layout_report_explains_notation_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = zkinfer(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dir", d]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains("layers: 16x8+relu, 8x24+relu, 3x32"), "{out}");
    assert!(out.contains("(OUTxIN+ACT: a layer's outputs x the wires it may read"), "{out}");
    let table: Vec<&str> = out.lines().skip_while(|l| !l.contains("rejected layouts")).skip(2).take_while(|l| l.starts_with("     ")).collect();
    assert!(!table.is_empty() && table.len() <= 5, "the fastest five: {out}");
    assert!(table.iter().all(|l| !l.trim_end().ends_with(" s")), "every row says why: {table:?}");
    assert!(table.iter().any(|l| l.contains("over budget: verify gas") && l.contains("> --max-verify-gas 350000")), "{out}");
    assert!(out.contains("slower layouts not shown"), "{out}");
    // Without budgets, a forced width: the faster layouts are all listed, with the reason.
    let o = zkinfer(&["compile", "models/mlp_small.onnx", "--calibrate", "models/mlp_small.input.json", "--scale-bits", "8", "--dot-width", "16", "--max-verify-gas", "0", "--max-proof-bytes", "0", "--dir", d]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains("not the --dot-width"), "{out}");
}

/// Issue 15, progress and output: `bench` prints its stages with times on stderr, and by
/// default a readable summary (JSON only with `--json`).
#[test]
fn regression_bench_shows_progress_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = zkinfer(&["bench", TINY, "--input", SAMPLE, "--dir", d]);
    let (out, e) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{e}");
    assert!(e.contains("[1/12] compiling the ONNX model to a circuit ...") && e.contains("s elapsed)"), "{e}");
    assert!(e.contains("proving") && e.contains("done in"), "{e}");
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_err(), "the default is not JSON: {out}");
    assert!(out.contains("zkinfer bench: ") && out.contains("verify gas") && out.contains("proof "), "{out}");
}

/// Issue 16, accuracy at the defaults: `compile --calibrate` without `--scale-bits` chooses the
/// scale from the samples (the balanced target: the most accurate scale predicted to prove
/// within 2x the time of 2^8, or 1 s), reports every candidate, and proves; the chosen circuit is
/// closer to the float model than 2^8 on the bundled MLP. `--scale-bits 8` keeps 2^8, and a model
/// the float reference cannot run keeps 2^8 with a note rather than failing.
#[test]
fn calibrate_chooses_the_scale_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (model, input) = ("models/mlp_small.onnx", "models/mlp_small.input.json");
    let o = zkinfer(&["compile", model, "--calibrate", input, "--dir", d]);
    let (out, e) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{e}");
    assert!(e.contains("choosing the scale (--target balanced, the default with --calibrate"), "{e}");
    assert!(out.contains("scale chosen by --target balanced"), "{out}");
    let err_at = |scale: &str| -> f64 {
        let line = out.lines().find(|l| l.trim_start().starts_with(&format!("2^{scale:<2}  max abs error"))).unwrap_or_else(|| panic!("2^{scale}: {out}"));
        line.split("max abs error").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
    };
    let chosen = out.lines().find(|l| l.contains("<- chosen")).unwrap_or_else(|| panic!("{out}"));
    let scale = chosen.trim_start().trim_start_matches("2^").split_whitespace().next().unwrap().to_string();
    assert_ne!(scale, "8", "2^8 is not the most accurate within the allowance here: {out}");
    assert!(err_at(&scale) < err_at("8") / 4.0, "the chosen scale 2^{scale} is not much closer to the float model than 2^8: {out}");
    assert!(out.contains(&format!("fixed point: scale 2^{scale},")), "{out}");
    for step in [&["setup", "--dir", d][..], &["prove", "--input", input, "--dir", d], &["verify", "--dir", d]] {
        let o = zkinfer(step);
        assert!(o.status.success(), "{step:?}: {}", text(&o.stderr));
    }
    // Pinned: nothing is chosen.
    let o = zkinfer(&["compile", model, "--calibrate", input, "--scale-bits", "8", "--dir", d]);
    let out = text(&o.stdout);
    assert!(o.status.success() && out.contains("fixed point: scale 2^8,") && !out.contains("scale chosen"), "{out}");
    // tract cannot run skl2onnx's SVMClassifier: 2^8, and the report says why.
    let o = zkinfer(&["compile", "models/corpus/skl_svc_linear_iris.onnx", "--calibrate", "models/corpus/skl_svc_linear_iris.input.json", "--dir", d]);
    let (out, e) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{e}");
    assert!(e.contains("note: keeping the default scale 2^8") && e.contains("float reference"), "{e}");
    assert!(out.contains("fixed point: scale 2^8,") && out.contains("not chosen from the samples"), "{out}");
}
