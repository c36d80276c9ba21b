//! `fovea predict MODEL INPUT.npy -o OUT.npy` on models of the Keras corpus
//! (crates/keras/tests/fixtures/models, tools/golden/keras_models.py): the written
//! `.npy` holds Keras's outputs within `1e-4 * max(1, max|expected|)`.

#[path = "../../keras/tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::{compare, manifest, models_dir, read_npy};

/// Single-input, single-output models of several kinds and both file formats.
const MODELS: &[&str] = &[
    "conv2d_same_k4x2_s3x2",
    "conv2d_cf_dilation_groups",
    "lstm_options_stack",
    "embedding_int32_flatten",
    "dense_float64_input",
    "nested_sequential_in_sequential",
    "h5k3_cnn",
    "legacy_cnn_sequential",
    "legacy_embedding_lstm",
];

fn fovea(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fovea")).args(args).env_remove("FOVEA_NUM_THREADS").output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn predict_matches_keras_on_corpus_models() {
    let dir = std::env::temp_dir().join(format!("fovea-keras-predict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entries = manifest();
    let mut failures = Vec::new();
    for name in MODELS {
        let e = entries.iter().find(|e| e.name == *name).unwrap_or_else(|| panic!("{name} not in the manifest"));
        assert_eq!((e.inputs.len(), e.outputs.len()), (1, 1), "{name}");
        let out = dir.join(format!("{name}.npy"));
        let input = models_dir().join(&e.inputs[0].file);
        let (ok, err) =
            fovea(&["predict", e.path().to_str().unwrap(), input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        if !ok {
            failures.push(format!("{name}: fovea predict failed: {err}"));
            continue;
        }
        let expected = read_npy(&models_dir().join(&e.outputs[0].file));
        if let Err(msg) = compare(&expected, &read_npy(&out)) {
            failures.push(format!("{name}: {msg}"));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Several inputs by name (`--input NAME=FILE.npy`), one file per output
/// (`OUT_<output name>.npy`).
#[test]
fn predict_with_named_inputs_writes_one_file_per_output() {
    let dir = std::env::temp_dir().join(format!("fovea-keras-predict-multi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entries = manifest();
    let mut failures = Vec::new();
    for name in ["multi_input_multi_output", "dict_inputs_outputs", "legacy_merges"] {
        let e = entries.iter().find(|e| e.name == name).unwrap();
        let loaded = fovea_keras::load_with_warnings(e.path()).unwrap();
        let mut args: Vec<String> = vec!["predict".into(), e.path().display().to_string()];
        for (i, model_input) in loaded.model.input_names().iter().enumerate() {
            // By name where the manifest has it, else by position (Keras 2 input names).
            let a = e.inputs.iter().find(|a| a.name == *model_input).unwrap_or(&e.inputs[i]);
            args.push("--input".into());
            args.push(format!("{model_input}={}", models_dir().join(&a.file).display()));
        }
        let out = dir.join(format!("{name}.npy"));
        args.extend(["-o".into(), out.display().to_string()]);
        let (ok, err) = fovea(&args.iter().map(String::as_str).collect::<Vec<_>>());
        if !ok {
            failures.push(format!("{name}: fovea predict failed: {err}"));
            continue;
        }
        for (k, out_name) in loaded.output_names.iter().enumerate() {
            let got = read_npy(&dir.join(format!("{name}_{out_name}.npy")));
            if let Err(msg) = compare(&read_npy(&models_dir().join(&e.outputs[k].file)), &got) {
                failures.push(format!("{name} output {out_name}: {msg}"));
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
