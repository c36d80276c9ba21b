//! Every `.keras` fixture's config (written by real Keras, tools/golden/keras_configs.py)
//! builds, with Keras's input names and output shapes.

use std::path::{Path, PathBuf};

use fovea_keras::archive::read_archive;
use fovea_keras::build_model;
use fovea_keras::config::parse_config;
use fovea_keras::npy::read_npy;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixture's output files in output order, as the script names them.
fn expected_shapes(case: &str, names: &[String]) -> Vec<Vec<usize>> {
    let dir = fixtures();
    if names.len() == 1 {
        return vec![read_npy(dir.join(format!("{case}.out.npy"))).unwrap().shape];
    }
    names.iter().map(|n| read_npy(dir.join(format!("{case}.out.{n}.npy"))).unwrap().shape).collect()
}

#[test]
fn every_keras_fixture_config_builds_with_keras_output_shapes() {
    let mut cases: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".keras")).map(String::from))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 8, "{cases:?}");
    for case in cases {
        let archive = read_archive(fixtures().join(format!("{case}.keras"))).unwrap();
        let spec = parse_config(&archive.config, None).unwrap_or_else(|e| panic!("{case}: {e}"));
        let model = build_model(&spec).unwrap_or_else(|e| panic!("{case}: {e}"));
        let names = spec.output_names();
        let want = expected_shapes(&case, &names);
        let got: Vec<Vec<Option<usize>>> = model.output_specs().into_iter().map(|s| s.0).collect();
        assert_eq!(got.len(), want.len(), "{case}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g[1..], w[1..].iter().map(|&d| Some(d)).collect::<Vec<_>>(), "{case}");
        }
    }
}
