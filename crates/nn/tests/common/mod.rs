//! Loader for the layer golden fixtures written by tools/golden/layer_fixtures.py, and
//! the comparison every golden test uses.
#![allow(dead_code)]

use std::path::PathBuf;

use fovea_core::Tensor;
use serde_json::Value;

/// One array from a fixture.
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f32> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap() as f32).collect();
    Tensor::from_vec(data, shape).unwrap()
}

/// One layer fixture.
pub struct Fixture {
    pub name: String,
    pub class: String,
    /// The layer's Keras `get_config()`.
    pub config: Value,
    pub training: bool,
    /// (path, trainable, value) in Keras's weight order.
    pub weights: Vec<(String, bool, Tensor)>,
    pub inputs: Vec<Tensor>,
    pub outputs: Vec<Tensor>,
    pub r: Vec<Tensor>,
    /// None when the inputs are integer ids (Embedding).
    pub d_inputs: Option<Vec<Tensor>>,
    /// Gradients of the trainable weights, in order.
    pub d_trainable: Vec<Tensor>,
    /// Non-trainable weights after the call (moving statistics).
    pub non_trainable_after: Vec<Tensor>,
}

fn list(v: &Value) -> Vec<Tensor> {
    v.as_array().map(|a| a.iter().map(tensor).collect()).unwrap_or_default()
}

/// All fixtures whose file name starts with `<family>_`, sorted by name.
pub fn load_family(family: &str) -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("{family}_")))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            Fixture {
                name: v["name"].as_str().unwrap().to_string(),
                class: v["class"].as_str().unwrap().to_string(),
                config: v["config"].clone(),
                training: v["training"].as_bool().unwrap(),
                weights: v["weights"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| (w["name"].as_str().unwrap().to_string(), w["trainable"].as_bool().unwrap(), tensor(w)))
                    .collect(),
                inputs: list(&v["inputs"]),
                outputs: list(&v["outputs"]),
                r: list(&v["r"]),
                d_inputs: v["d_inputs"].as_array().map(|a| a.iter().map(tensor).collect()),
                d_trainable: list(&v["d_trainable"]),
                non_trainable_after: list(&v["non_trainable_after"]),
            }
        })
        .collect()
}

/// Compares within 1e-4 * max(1, max|expected|); returns a description of the worst
/// element when it does not match.
pub fn mismatch(what: &str, got: &Tensor, want: &Tensor) -> Option<String> {
    if got.dims() != want.dims() {
        return Some(format!("{what}: shape {} != expected {}", got.shape(), want.shape()));
    }
    let (g, w) = (got.to_vec_f32().unwrap(), want.to_vec_f32().unwrap());
    let scale = w.iter().fold(1.0f32, |m, &x| m.max(x.abs()));
    let tol = 1e-4 * scale;
    let (i, d) = g.iter().zip(&w).map(|(a, b)| (a - b).abs()).enumerate().fold((0, 0.0f32), |acc, (i, d)| {
        if d > acc.1 || d.is_nan() {
            (i, d)
        } else {
            acc
        }
    });
    (d > tol || d.is_nan()).then(|| format!("{what}: element {i} differs by {d:e} (tolerance {tol:e}): got {}, expected {}", g[i], w[i]))
}

/// Panics listing every failure, if any.
pub fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}
