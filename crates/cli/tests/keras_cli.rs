//! `fovea predict` and `fovea summary` on real Keras models (fixtures of fovea-keras):
//! Keras's numbers in the output files, clear errors (never a panic) otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use fovea_keras::npy::read_npy;

fn fovea(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fovea")).args(args).env_remove("FOVEA_NUM_THREADS").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../keras/tests/fixtures").join(name).display().to_string()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-keras-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn assert_close(got: &Path, want: &str) {
    let (g, w) = (read_npy(got).unwrap(), read_npy(Path::new(&fixture(want))).unwrap());
    assert_eq!(g.shape, w.shape, "{want}");
    let scale = w.data.iter().fold(1f32, |m, v| m.max(v.abs()));
    for (a, b) in g.data.iter().zip(&w.data) {
        assert!((a - b).abs() <= 1e-4 * scale, "{want}: {a} vs {b}");
    }
}

#[test]
fn predict_a_single_input_keras_model() {
    let out = tmp("seq.npy");
    let (ok, stdout, err) =
        fovea(&["predict", &fixture("seq_convnet.keras"), &fixture("seq_convnet.in.npy"), "-o", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(stdout.contains("[3, 5]"), "{stdout}");
    assert_close(&out, "seq_convnet.out.npy");
}

#[test]
fn predict_with_named_inputs_writes_one_file_per_output() {
    let out = tmp("merge.npy");
    let a = format!("a={}", fixture("functional_merge.in.a.npy"));
    let b = format!("b={}", fixture("functional_merge.in.b.npy"));
    let model = fixture("functional_merge.keras");
    let (ok, _, err) = fovea(&["predict", &model, "--input", &b, "--input", &a, "-o", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    for name in ["score", "attention", "clipped"] {
        assert_close(&out.with_file_name(format!("merge_{name}.npy")), &format!("functional_merge.out.{name}.npy"));
    }
}

#[test]
fn predict_a_legacy_h5_model() {
    let out = tmp("stack.npy");
    let (ok, _, err) = fovea(&[
        "predict",
        &fixture("tfkeras_stack.h5"),
        &fixture("tfkeras_stack.in.npy"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert_close(&out, "tfkeras_stack.out.npy");
}

#[test]
fn summary_of_a_keras_file() {
    let (ok, out, err) = fovea(&["summary", &fixture("nested.keras")]);
    assert!(ok, "{err}");
    assert!(out.contains("inner_seq (Sequential)") && out.contains("Model: \"nested\""), "{out}");
}

#[test]
fn keras_predict_errors_are_clear() {
    let out = tmp("never.npy");
    let o = out.to_str().unwrap();
    let merge = fixture("functional_merge.keras");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![merge.clone(), fixture("functional_merge.in.a.npy"), "-o".into(), o.into()],
            "give each as --input NAME=FILE.npy",
        ),
        (
            vec![
                merge.clone(),
                "--input".into(),
                format!("a={}", fixture("functional_merge.in.a.npy")),
                "-o".into(),
                o.into(),
            ],
            "no array for input 'b'",
        ),
        (
            vec![merge.clone(), "--input".into(), "zz=x.npy".into(), "-o".into(), o.into()],
            "no input 'zz' (its inputs: a, b)",
        ),
        (vec![fixture("seq_convnet.keras"), fixture("seq_convnet.in.npy")], "needs -o OUTPUT.npy"),
        (vec![fixture("seq_convnet.keras"), fixture("rnns.in.npy"), "-o".into(), o.into()], "expects shape"),
        (vec![fixture("nowhere.keras"), fixture("rnns.in.npy"), "-o".into(), o.into()], "nowhere.keras"),
        (vec![fixture("missing.h5"), "x.npy".into(), "-o".into(), o.into()], "missing.h5"),
        (vec![fixture("seq_convnet.keras"), fixture("missing.npy"), "-o".into(), o.into()], "missing.npy"),
    ];
    for (args, want) in cases {
        let mut all = vec!["predict".to_string()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let (ok, _, err) = fovea(&refs);
        assert!(!ok && err.contains(want) && !err.contains("panicked"), "{refs:?}: {err}");
    }
    assert!(!out.exists());
    // A file that is not a model at all.
    let bad = tmp("bad.keras");
    std::fs::write(&bad, b"\x93NUMPY not a model").unwrap();
    let (ok, _, err) = fovea(&["predict", bad.to_str().unwrap(), "y.npy", "-o", o]);
    assert!(!ok && err.contains("neither a .keras archive"), "{err}");
}
