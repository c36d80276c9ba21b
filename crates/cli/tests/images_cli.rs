//! The colour-image path end to end on a tiny scene world: `data scenes`, `train
//! alexnet` (one epoch of a tenth-width net, then `--resume`), `evaluate` (centre crop,
//! ten crops, an ensemble, `--json`) and every `visualize` picture.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fovea(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fovea")).args(args).env_remove("FOVEA_NUM_THREADS").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea_images_cli_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn scenes_train_evaluate_and_visualize() {
    let data = temp("data");
    let (ok, out) = fovea(&[
        "data",
        "scenes",
        "--out",
        s(&data),
        "--train",
        "75",
        "--val",
        "25",
        "--test",
        "25",
        "--novel",
        "5",
        "--size",
        "80",
        "--seed",
        "3",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("130 images (25 classes, 80x80) and 650 captions"), "{out}");
    assert!(data.join("dataset_scenes.json").exists());

    let run = temp("run");
    let train = |epochs: &str| {
        fovea(&[
            "train",
            "alexnet",
            "--data",
            s(&data),
            "--input-size",
            "67",
            "--width",
            "0.1",
            "--groups",
            "2",
            "--epochs",
            epochs,
            "--batch",
            "25",
            "--keras-init",
            "--out",
            s(&run),
            "--resume",
            "--verbose",
            "0",
        ])
    };
    let (ok, out) = train("1");
    assert!(ok, "{out}");
    assert!(
        out.contains("25 classes, 75 train / 25 val images (0 skipped)") && out.contains("trained 1 epochs"),
        "{out}"
    );
    let (ok, out) = train("2");
    assert!(
        ok && out.contains("resuming") && out.contains("after epoch 1") && out.contains("trained 1 epochs"),
        "{out}"
    );
    let model = run.join("model.safetensors");
    assert!(model.exists() && run.join("history.png").exists() && run.join("checkpoint.safetensors").exists());

    let (ok, out) = fovea(&["evaluate", s(&model), "--data", s(&data), "--split", "test", "--json"]);
    assert!(ok, "{out}");
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["images"], 25);
    assert!((0.0..=1.0).contains(&last["top1"].as_f64().unwrap()) && last["top5"].as_f64() >= last["top1"].as_f64());
    let (ok, out) = fovea(&["evaluate", s(&model), "--data", s(&data), "--ten-crop"]);
    assert!(ok && out.contains("ten crops"), "{out}");
    let ckpt = run.join("checkpoint.safetensors");
    let (ok, out) = fovea(&["evaluate", "--ensemble", s(&model), s(&ckpt), "--data", s(&data)]);
    assert!(ok && out.contains("2 models averaged"), "{out}");

    // Images of any size: resized, centre-cropped and mean-subtracted as evaluation does.
    let photo = data.join("test/apple/test_000000.png");
    let (ok, out) = fovea(&["predict", s(&model), s(&photo), s(&data.join("train/pear/train_000019.png"))]);
    assert!(ok, "{out}");
    assert_eq!(out.lines().count(), 12, "a header and the top 5 per image: {out}");

    for (what, extra) in [
        ("filters", vec![]),
        ("predictions", vec!["--data", s(&data)]),
        ("neighbours", vec!["--data", s(&data)]),
        ("confusion", vec!["--data", s(&data)]),
    ] {
        let png = run.join(format!("{what}.png"));
        let mut args = vec!["visualize", what, s(&model), "-o", s(&png)];
        args.extend(extra);
        let (ok, out) = fovea(&args);
        assert!(ok, "{what}: {out}");
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 500, "{what}");
    }
    let png = run.join("activations.png");
    let (ok, out) = fovea(&["visualize", "activations", s(&model), s(&photo), "-o", s(&png)]);
    assert!(ok && std::fs::read(&png).unwrap().starts_with(b"\x89PNG"), "{out}");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&run);
}

#[test]
fn train_alexnet_names_a_folder_that_is_not_an_image_folder() {
    let empty = temp("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, out) = fovea(&["train", "alexnet", "--data", s(&empty), "--out", s(&empty.join("run"))]);
    assert!(!ok && out.contains(s(&empty)), "{out}");
    let _ = std::fs::remove_dir_all(&empty);
}
