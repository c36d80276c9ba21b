//! The `fovea` binary end to end: output on success, clear errors (never a panic) on
//! bad arguments.

use std::process::Command;

fn fovea(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fovea")).args(args).env_remove("FOVEA_NUM_THREADS").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn summary_alexnet_groups2_prints_the_lecture_table() {
    let (ok, out, err) = fovea(&["summary", "alexnet", "--groups", "2"]);
    assert!(ok, "{err}");
    assert!(out.contains("│ conv2d (Conv2D)                      │ (None, 55, 55, 96)"), "{out}");
    assert!(out.contains(" Total params: 60,965,224 (232.56 MB)"), "{out}");
}

#[test]
fn summary_alphago_and_lenet() {
    let (ok, out, err) = fovea(&["summary", "alphago-policy", "--filters", "192"]);
    assert!(ok, "{err}");
    assert!(out.contains(" Total params: 3,882,793"), "{out}");
    assert!(out.contains("(None, 361)"), "{out}");
    let (ok, out, _) = fovea(&["summary", "lenet"]);
    assert!(ok);
    assert!(out.contains("Model: \"lenet\""), "{out}");
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    let (ok, _, err) = fovea(&["summary", "vgg"]);
    assert!(!ok);
    assert!(err.contains("unknown model 'vgg'"), "{err}");
    let (ok, _, err) = fovea(&["summary", "alexnet", "--groups", "3"]);
    assert!(!ok);
    assert!(err.contains("groups must be 1 or 2, got 3"), "{err}");
    let (ok, _, err) = fovea(&["summary", "lenet", "--filters", "8"]);
    assert!(!ok);
    assert!(err.contains("--filters does not apply to 'lenet'"), "{err}");
    assert!(!err.contains("panicked"));
    let out =
        Command::new(env!("CARGO_BIN_EXE_fovea")).args(["info"]).env("FOVEA_NUM_THREADS", "many").output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("FOVEA_NUM_THREADS: expected a positive integer, got \"many\"")
    );
}

#[test]
fn demo_trains_to_high_accuracy() {
    let (ok, out, err) = fovea(&["demo", "--epochs", "2", "--train-size", "1024"]);
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    let acc: f64 = last.split("test accuracy ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(acc > 0.9, "{out}");
}
