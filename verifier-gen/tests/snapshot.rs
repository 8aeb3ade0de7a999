//! Snapshot of the generated Solidity for one small circuit: any change in the generator's
//! output shows up as a diff of `tests/snapshots/small_circuit.sol`, to be reviewed like code.
//! `ZKINFER_UPDATE_SNAPSHOTS=1 cargo test -p zkinfer-verifier-gen --test snapshot` rewrites it.
#![allow(clippy::unwrap_used)]
mod common;

use common::*;
use std::path::Path;
use zkinfer_verifier_gen::{generate, InstanceCounts, VerifierOptions};

#[test]
fn generated_solidity_matches_the_reviewed_snapshot() {
    let circuit = TestCircuit::new(20);
    let s = setup(9, &circuit, true);
    // As zkinfer generates it: with the instance layout (the test circuit's 3 instances as 1
    // input, 0 outputs) and the SRS flagged development (the default).
    let opts = VerifierOptions { instance_counts: Some(InstanceCounts { inputs: 1, outputs: 0 }), ..Default::default() };
    let got = generate(&s.params, s.vk(), 3, &opts).unwrap().source;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/small_circuit.sol");
    if std::env::var_os("ZKINFER_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("snapshot missing: rerun with ZKINFER_UPDATE_SNAPSHOTS=1");
    if want != got {
        let (line, (w, g)) = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .find(|(_, (w, g))| w != g)
            .unwrap_or((want.lines().count().min(got.lines().count()), ("<end>", "<end>")));
        panic!(
            "generated Solidity differs from {} at line {}:\n  snapshot:  {w}\n  generated: {g}\n\
             review the change, then rerun with ZKINFER_UPDATE_SNAPSHOTS=1 to accept it",
            path.display(),
            line + 1
        );
    }
}
