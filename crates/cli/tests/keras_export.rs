//! `fovea export`: a Keras model and a model trained by `fovea train` written as
//! `.keras` archives that fovea-keras loads back with the same predictions.

use std::process::Command;

use fovea_core::{Rng, Tensor};
use fovea_nn::CallContext;

fn fovea(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fovea")).args(args).env_remove("FOVEA_NUM_THREADS").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn predict(model: &fovea_nn::Model, x: &Tensor) -> Vec<f32> {
    let mut rng = Rng::new(0);
    let out = model.call(std::slice::from_ref(x), &mut CallContext::new(false, &mut rng)).unwrap();
    out[0].to_vec_f32().unwrap()
}

#[test]
fn export_keras_model_and_trained_lenet() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!("fovea-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // A Keras model: same predictions after export.
    let src = root.join("crates/keras/tests/fixtures/models/residual_cnn.keras");
    let out = dir.join("residual.keras");
    let (ok, stdout, err) = fovea(&["export", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(stdout.contains("wrote"), "{stdout}");
    let x = Rng::new(1).normal([2, 6, 6, 3], 0.0, 1.0).unwrap();
    let a = fovea_keras::load(&src).unwrap();
    let b = fovea_keras::load(&out).unwrap();
    assert_eq!(predict(&a, &x), predict(&b, &x));

    // A model trained by `fovea train`.
    let data = root.join("data/mnist_5k.csv.gz");
    let run = dir.join("run");
    let (ok, _, err) = fovea(&[
        "train",
        "lenet",
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        "1",
        "--verbose",
        "0",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let lenet = dir.join("lenet.keras");
    let (ok, _, err) =
        fovea(&["export", run.join("model.safetensors").to_str().unwrap(), "-o", lenet.to_str().unwrap()]);
    assert!(ok, "{err}");
    let exported = fovea_keras::load(&lenet).unwrap();
    assert_eq!(exported.input_specs()[0].to_string(), "(None, 28, 28, 1)");
    // `fovea predict` on the checkpoint prints the top classes of a blank image with
    // 4 decimals; the export must give the same numbers.
    let png = dir.join("blank.png");
    image::GrayImage::new(28, 28).save(&png).unwrap();
    let (ok, stdout, err) = fovea(&["predict", run.join("model.safetensors").to_str().unwrap(), png.to_str().unwrap()]);
    assert!(ok, "{err}");
    let probs = predict(&exported, &Tensor::zeros([1, 28, 28, 1]).unwrap());
    for line in stdout.lines() {
        let mut parts = line.split_whitespace();
        let k: usize = parts.next().unwrap().parse().unwrap();
        let p: f32 = parts.last().unwrap().parse().unwrap();
        assert!((probs[k] - p).abs() < 1e-4, "class {k}: checkpoint {p}, export {}", probs[k]);
    }

    // Errors, not panics.
    let (ok, _, err) = fovea(&["export", dir.join("missing.keras").to_str().unwrap(), "-o", lenet.to_str().unwrap()]);
    assert!(!ok && err.contains("missing.keras"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
