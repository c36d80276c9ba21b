//! Inputs from the `keras_archive` and `keras_config` fuzz targets (fuzz/README.md),
//! replayed on every `cargo test`: damaged archives and configs that reached new code
//! in the fuzzer must keep ending in an `Ok` or an `Err`, never a panic.

use std::path::{Path, PathBuf};

use fovea_keras::config::{parse_config, Dialect};
use fovea_nn::weight_budget::limit_weight_elements;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 8, "fuzzer inputs missing from {}", dir.display());
    out
}

#[test]
fn archive_fuzz_inputs_load_or_fail_cleanly() {
    for (path, bytes) in inputs("keras_archive") {
        let name = path.display().to_string();
        if let Err(e) = fovea_keras::load_keras_bytes(&bytes, &name) {
            assert!(!e.to_string().is_empty(), "{name}");
        }
    }
}

#[test]
fn config_fuzz_inputs_parse_and_build_or_fail_cleanly() {
    for (_, bytes) in inputs("keras_config") {
        let Ok(json) = std::str::from_utf8(&bytes) else { continue };
        for dialect in [None, Some(Dialect::Keras2), Some(Dialect::Keras3)] {
            if let Ok(spec) = parse_config(json, dialect) {
                let _budget = limit_weight_elements(1 << 20);
                let _ = fovea_keras::build_model(&spec);
            }
        }
    }
}
