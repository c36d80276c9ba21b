//! Shared by the corpus tests (keras_corpus.rs, export_roundtrip.rs, the CLI tests):
//! the manifest of tools/golden/keras_models.py, a small `.npy` reader, and the
//! comparison with Keras's tolerance. Test code: it may panic on a bad fixture.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fovea_core::{Rng, Tensor};
use fovea_nn::{CallContext, Model};
use serde_json::Value;

/// The corpus folder.
pub fn models_dir() -> PathBuf {
    // The CLI's tests include this module too; from there the corpus is one crate over.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = here.join("tests/fixtures/models");
    if own.is_dir() {
        own
    } else {
        here.join("../keras/tests/fixtures/models")
    }
}

/// One input or output array of a corpus model.
#[derive(Clone, Debug)]
pub struct Array {
    /// Input layer name (inputs) or producing layer name (outputs).
    pub name: String,
    /// File name in [`models_dir`].
    pub file: String,
}

/// One corpus model.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    /// Model file name in [`models_dir`].
    pub file: String,
    pub inputs: Vec<Array>,
    pub outputs: Vec<Array>,
    pub features: Vec<String>,
    /// Set for a model fovea must refuse: text its load error must contain.
    pub expect_error: Option<String>,
}

impl Entry {
    pub fn path(&self) -> PathBuf {
        models_dir().join(&self.file)
    }
}

fn arrays(v: &Value, key: &str) -> Vec<Array> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| Array {
            name: a.get("name").or_else(|| a.get("layer")).and_then(Value::as_str).unwrap().to_string(),
            file: a["file"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// The manifest's entries (features from features.json); `FOVEA_KERAS_MODELS=substring`
/// keeps only matching names.
pub fn manifest() -> Vec<Entry> {
    let read =
        |f: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(models_dir().join(f)).unwrap()).unwrap() };
    let v = read("manifest.json");
    let features = read("features.json");
    let filter = std::env::var("FOVEA_KERAS_MODELS").unwrap_or_default();
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Entry {
            name: m["name"].as_str().unwrap().to_string(),
            file: m["file"].as_str().unwrap().to_string(),
            inputs: arrays(m, "inputs"),
            outputs: arrays(m, "outputs"),
            features: features[m["name"].as_str().unwrap()].as_str().unwrap().split(' ').map(str::to_string).collect(),
            expect_error: m.get("expect_error").and_then(Value::as_str).map(str::to_string),
        })
        .filter(|e| e.name.contains(&filter))
        .collect()
}

/// A `.npy` array (version 1/2/3, little-endian, C order): floats become f32 tensors,
/// integers i64 tensors (what `Embedding` takes).
pub fn read_npy(path: &Path) -> Tensor {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}: not a .npy file", path.display());
    let (hlen, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).unwrap();
    let data = &bytes[start + hlen..];
    let descr = header.split("'descr':").nth(1).unwrap().split('\'').nth(1).unwrap();
    assert!(header.contains("'fortran_order': False"), "{}: Fortran order", path.display());
    let shape_txt = header.split("'shape': (").nth(1).unwrap().split(')').next().unwrap();
    let shape: Vec<usize> =
        shape_txt.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    let n: usize = shape.iter().product();
    let chunks = |w: usize| data[..n * w].chunks_exact(w);
    match descr {
        "<f4" => Tensor::from_vec(chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(), shape),
        "<f8" => Tensor::from_vec(chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32).collect(), shape),
        "<i4" => {
            Tensor::from_vec_i64(chunks(4).map(|c| i32::from_le_bytes(c.try_into().unwrap()) as i64).collect(), shape)
        }
        "<i8" => Tensor::from_vec_i64(chunks(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect(), shape),
        other => panic!("{}: dtype {other} not handled by the test reader", path.display()),
    }
    .unwrap()
}

/// The entry's inputs in the model's input order: by input name where every model
/// input name is in the manifest, else in manifest order.
pub fn inputs_for(model: &Model, entry: &Entry) -> Result<Vec<Tensor>, String> {
    let names = model.input_names();
    if names.len() != entry.inputs.len() {
        return Err(format!("the model has {} inputs {names:?}, Keras had {}", names.len(), entry.inputs.len()));
    }
    let by_name: Option<Vec<&Array>> = names.iter().map(|n| entry.inputs.iter().find(|a| a.name == *n)).collect();
    let order = by_name.unwrap_or_else(|| entry.inputs.iter().collect());
    Ok(order.iter().map(|a| read_npy(&models_dir().join(&a.file))).collect())
}

/// Runs the model in inference mode.
pub fn run(model: &Model, inputs: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let mut rng = Rng::new(0);
    let mut ctx = CallContext::new(false, &mut rng);
    model.call(inputs, &mut ctx).map_err(|e| e.to_string())
}

/// Compares `got` with `expected` within `1e-4 * max(1, max|expected|)`; returns the
/// largest error, or a message when the shapes differ or the error is too large.
pub fn compare(expected: &Tensor, got: &Tensor) -> Result<f32, String> {
    if expected.dims() != got.dims() {
        return Err(format!("shape {:?}, Keras {:?}", got.dims(), expected.dims()));
    }
    let e = expected.to_vec_f32().unwrap();
    let g = got.to_vec_f32().map_err(|err| err.to_string())?;
    let scale = e.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let tol = 1e-4 * scale;
    let mut max_err = 0.0f32;
    for (a, b) in e.iter().zip(&g) {
        let d = (a - b).abs();
        if d.is_nan() || d > max_err {
            max_err = if d.is_nan() { f32::INFINITY } else { d };
        }
    }
    if max_err > tol {
        return Err(format!("max error {max_err:.3e} > tolerance {tol:.3e}"));
    }
    Ok(max_err)
}

/// Compares every output of `entry` with `outputs`; one message per bad output.
pub fn check_outputs(entry: &Entry, outputs: &[Tensor]) -> Vec<String> {
    if outputs.len() != entry.outputs.len() {
        return vec![format!("{} outputs, Keras has {}", outputs.len(), entry.outputs.len())];
    }
    let mut bad = Vec::new();
    for (i, (a, got)) in entry.outputs.iter().zip(outputs).enumerate() {
        let expected = read_npy(&models_dir().join(&a.file));
        if let Err(msg) = compare(&expected, got) {
            bad.push(format!("output {i} ('{}'): {msg}", a.name));
        }
    }
    bad
}

/// Runs `f`, turning a panic into an `Err` with its message, so one model cannot hide
/// the others' results.
pub fn catching<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// Writes `t` as a little-endian float32 `.npy` (version 1.0).
pub fn write_npy_f32(path: &Path, t: &Tensor) {
    let shape: Vec<String> = t.dims().iter().map(|d| d.to_string()).collect();
    let shape = if shape.len() == 1 { format!("({},)", shape[0]) } else { format!("({})", shape.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in t.to_vec_f32().unwrap() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}
