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
    let (ok, _, err) = fovea(&["train", "lenet", "--filters", "8", "--epochs", "1"]);
    assert!(!ok);
    assert!(err.contains("--filters takes two sizes such as 6,16, got [8]"), "{err}");
    let (ok, _, err) = fovea(&["train", "lenet", "--units", "0,84", "--epochs", "1"]);
    assert!(!ok);
    assert!(err.contains("filters and units must be at least 1, got [16, 32] and [0, 84]"), "{err}");
    let out =
        Command::new(env!("CARGO_BIN_EXE_fovea")).args(["info"]).env("FOVEA_NUM_THREADS", "many").output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("FOVEA_NUM_THREADS: expected a positive integer, got \"many\"")
    );
    let out =
        Command::new(env!("CARGO_BIN_EXE_fovea")).args(["info"]).env("FOVEA_DENORMALS", "sometimes").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FOVEA_DENORMALS: expected flush or keep, got \"sometimes\""));
}

#[test]
fn demo_trains_to_high_accuracy() {
    let (ok, out, err) = fovea(&["demo", "--epochs", "2", "--train-size", "1024"]);
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    let acc: f64 = last.split("test accuracy ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(acc > 0.9, "{out}");
}

#[test]
fn train_evaluate_predict_round_trip_on_the_shipped_digits() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = root.join("data/mnist_5k.csv.gz");
    let out = std::env::temp_dir().join(format!("fovea-cli-train-{}", std::process::id()));
    let (ok, stdout, err) = fovea(&[
        "train",
        "lenet",
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        "1",
        // 250 steps: enough for batch norm's moving statistics (momentum 0.99) to settle.
        "--batch-size",
        "16",
        "--verbose",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let acc: f64 = stdout.split("test accuracy: ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(acc > 0.8, "one epoch on 4,000 digits should pass 80%: {stdout}");
    let model = out.join("model.safetensors");
    assert!(model.is_file() && out.join("history.png").is_file());

    let (ok, stdout, err) = fovea(&["evaluate", model.to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(stdout.contains(&format!("test accuracy {acc:.4}")), "evaluate must agree with train: {stdout}");

    let png = out.join("blank.png");
    image::GrayImage::new(28, 28).save(&png).unwrap();
    let (ok, stdout, err) = fovea(&["predict", model.to_str().unwrap(), png.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    // Any size and colour: resized to 28x28 grey, as evaluation feeds the model.
    let wide = out.join("wide.png");
    image::RgbImage::new(60, 40).save(&wide).unwrap();
    let (ok, stdout, err) = fovea(&["predict", model.to_str().unwrap(), wide.to_str().unwrap(), png.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(stdout.lines().count(), 8, "a header and three classes per image: {stdout}");
    // The blank 60x40 image becomes the blank 28x28 one: the same answer.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[1..4], lines[5..8]);
    let (ok, _, err) = fovea(&["predict", model.to_str().unwrap(), out.join("missing.png").to_str().unwrap()]);
    assert!(!ok && err.contains("missing.png"), "{err}");
    std::fs::remove_dir_all(&out).ok();
}
