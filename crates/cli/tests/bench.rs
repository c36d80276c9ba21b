//! `fovea bench conv` and `fovea bench model` on their smallest cases: the JSON that
//! bench/compare.py reads has the fields it expects, and bad arguments are clear errors.
//! Nothing here asserts a speed.

use std::process::Command;

use serde_json::Value;

fn fovea(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fovea")).args(args).env_remove("FOVEA_NUM_THREADS").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(args: &[&str]) -> Value {
    let (ok, out, err) = fovea(args);
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn positive(v: &Value) -> bool {
    v.as_f64().is_some_and(|x| x.is_finite() && x > 0.0)
}

#[test]
fn bench_conv_mnist_json_has_every_pass_with_flops_and_peak() {
    let v = json_of(&["--threads", "2", "bench", "conv", "--shape", "mnist", "--reps", "1", "--json"]);
    assert_eq!(v["bench"], "conv");
    assert_eq!(v["threads"], 2);
    assert_eq!(v["peak"]["threads"], 2);
    assert!(positive(&v["peak"]["gflops"]) && positive(&v["peak"]["gflops_per_core"]), "{v}");
    assert!(["avx512", "avx2+fma", "portable"].contains(&v["peak"]["isa"].as_str().unwrap()), "{v}");
    let results = v["results"].as_array().unwrap();
    let passes: Vec<&str> = results.iter().map(|r| r["pass"].as_str().unwrap()).collect();
    assert_eq!(passes, ["forward", "grad_input", "grad_kernel", "forward_backward"]);
    // 2 * N * Ho * Wo * Co * Ci * kh * kw for (64, 28, 28, 32) -> 64, 3x3 'same'.
    let gflop = 2.0 * 64.0 * 28.0 * 28.0 * 64.0 * 32.0 * 9.0 / 1e9;
    for r in results {
        assert_eq!(r["name"], "mnist");
        assert_eq!(r["op"], "conv2d");
        assert_eq!(r["reps"], 1);
        assert_eq!(r["params"]["c_in"], 32);
        assert!(positive(&r["median_ms"]) && positive(&r["min_ms"]) && positive(&r["gflops"]), "{r}");
        assert!(positive(&r["pct_peak"]), "{r}");
        let factor = if r["pass"] == "forward_backward" { 3.0 } else { 1.0 };
        assert!((r["gflop"].as_f64().unwrap() - factor * gflop).abs() < 1e-9, "{r}");
    }
}

#[test]
fn bench_conv_list_names_every_case_with_its_parameters() {
    let v = json_of(&["bench", "conv", "--list", "--json"]);
    let cases = v["cases"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    for want in ["alexnet-conv1", "alphago-3x3-b1", "alphago-3x3-b16", "alexnet-pool1", "alexnet-lrn1", "fc6"] {
        assert!(names.contains(&want), "{names:?}");
    }
    let conv1 = &cases[0];
    assert_eq!(conv1["params"]["kernel"], 11);
    assert_eq!(conv1["params"]["stride"], 4);
    let pool = cases.iter().find(|c| c["name"] == "alexnet-pool1").unwrap();
    assert_eq!(pool["passes"], serde_json::json!(["forward", "grad_input", "forward_backward"]));
}

#[test]
fn bench_conv_pooling_and_lrn_report_time_without_flops() {
    let v = json_of(&[
        "bench",
        "conv",
        "--shape",
        "alexnet-pool3,alexnet-lrn2",
        "--passes",
        "forward",
        "--reps",
        "1",
        "--json",
    ]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["pass"], "forward");
        assert!(positive(&r["median_ms"]), "{r}");
        assert!(r["gflop"].is_null() && r["gflops"].is_null() && r["pct_peak"].is_null(), "{r}");
    }
}

#[test]
fn bench_model_lenet_training_step_json() {
    let v = json_of(&["--threads", "2", "bench", "model", "--model", "lenet-train", "--reps", "2", "--json"]);
    assert_eq!(v["bench"], "model");
    let r = &v["results"][0];
    assert_eq!(r["name"], "lenet-train");
    assert_eq!(r["what"], "train_step");
    assert_eq!(r["batch"], 64);
    assert_eq!(r["reps"], 2);
    assert!(positive(&r["median_ms"]) && positive(&r["min_ms"]) && positive(&r["images_per_s"]), "{r}");
    let ips = r["images_per_s"].as_f64().unwrap();
    assert!((ips - 64.0 / (r["median_ms"].as_f64().unwrap() * 1e-3)).abs() < 1e-6 * ips, "{r}");
}

#[test]
fn bench_train_step_still_answers_compare_lenet() {
    let v = json_of(&["bench", "train-step", "--batch-size", "8", "--steps", "2", "--json"]);
    assert!(positive(&v["images_per_sec"]) && positive(&v["ms_per_step"]), "{v}");
    let v = json_of(&["bench", "train-step", "--model", "lenet-recipe", "--batch-size", "8", "--steps", "2", "--json"]);
    assert_eq!(v["model"], "lenet-recipe", "{v}");
    assert!(positive(&v["images_per_sec"]), "{v}");
}

#[test]
fn bad_bench_arguments_are_clear_errors() {
    let cases: [(&[&str], &str); 6] = [
        (&["bench", "train-step", "--model", "vgg"], "bench: unknown model 'vgg' (expected lenet or lenet-recipe)"),
        (&["bench", "conv", "--shape", "vgg16"], "bench conv: unknown shape 'vgg16'; known: alexnet-conv1"),
        (&["bench", "conv", "--shape", "mnist", "--reps", "0"], "bench conv: --reps must be at least 1"),
        (&["bench", "conv", "--passes", "backward"], "bench conv: unknown pass 'backward'"),
        (&["bench", "model", "--model", "resnet"], "bench model: unknown model 'resnet'; known: lenet-train"),
        (&["bench", "model", "--model", "lenet-train", "--reps", "0"], "bench model: --reps must be at least 1"),
    ];
    for (args, want) in cases {
        let (ok, _, err) = fovea(args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
