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
    (d > tol || d.is_nan())
        .then(|| format!("{what}: element {i} differs by {d:e} (tolerance {tol:e}): got {}, expected {}", g[i], w[i]))
}

/// Panics listing every failure, if any.
pub fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Keras activation name (a string in a layer config) as fovea's enum.
pub fn activation(v: &Value) -> fovea_nn::Activation {
    use fovea_nn::Activation as A;
    match v.as_str().unwrap_or("linear") {
        "linear" => A::Linear,
        "relu" => A::Relu,
        "relu6" => A::Relu6,
        "sigmoid" => A::Sigmoid,
        "hard_sigmoid" => A::HardSigmoid,
        "tanh" => A::Tanh,
        "softmax" => A::Softmax,
        "log_softmax" => A::LogSoftmax,
        "elu" => A::elu(),
        "selu" => A::Selu,
        "gelu" => A::gelu(),
        "softplus" => A::Softplus,
        "softsign" => A::Softsign,
        "silu" | "swish" => A::Silu,
        "exponential" => A::Exponential,
        "leaky_relu" => A::leaky_relu(),
        other => panic!("unknown activation {other}"),
    }
}

/// Builds `layer` for the fixture's input shapes (batch axis unknown), loads the
/// fixture's weights, runs it in the fixture's mode and compares outputs, input
/// gradients, trainable-weight gradients and the non-trainable weights after the call.
/// Returns the list of mismatches (empty when all match).
pub fn check_layer(layer: &mut dyn fovea_nn::Layer, fx: &Fixture) -> Vec<String> {
    use fovea_nn::{CallContext, ShapeSpec};
    let mut out = Vec::new();
    let specs: Vec<ShapeSpec> = fx
        .inputs
        .iter()
        .map(|t| {
            let mut s = ShapeSpec::of(t.shape());
            s.0[0] = None;
            s
        })
        .collect();
    let mut rng = fovea_core::Rng::new(0);
    if let Err(e) = layer.build(&specs, &mut rng) {
        return vec![format!("{}: build failed: {e}", fx.name)];
    }
    let weights = layer.weights();
    if weights.len() != fx.weights.len() {
        return vec![format!("{}: {} weights, Keras has {}", fx.name, weights.len(), fx.weights.len())];
    }
    for (w, (path, trainable, value)) in weights.iter().zip(&fx.weights) {
        if w.trainable() != *trainable {
            out.push(format!("{}: weight {path} trainable={} but Keras says {trainable}", fx.name, w.trainable()));
        }
        if let Err(e) = w.assign(value) {
            out.push(format!("{}: weight {path}: {e}", fx.name));
        }
    }
    if !out.is_empty() {
        return out;
    }
    let grad_inputs = fx.d_inputs.is_some();
    let inputs: Vec<Tensor> =
        fx.inputs.iter().map(|t| if grad_inputs { t.requires_grad() } else { t.clone() }).collect();
    let inputs: Vec<Tensor> = if grad_inputs {
        inputs
    } else {
        // Integer ids arrive as int64.
        inputs.iter().map(|t| t.to_dtype(fovea_core::DType::I64).unwrap()).collect()
    };
    let mut ctx = CallContext::new(fx.training, &mut rng);
    let ys = match layer.call(&inputs, &mut ctx) {
        Ok(ys) => ys,
        Err(e) => return vec![format!("{}: call failed: {e}", fx.name)],
    };
    if ys.len() != fx.outputs.len() {
        return vec![format!("{}: {} outputs, Keras has {}", fx.name, ys.len(), fx.outputs.len())];
    }
    for (i, (y, want)) in ys.iter().zip(&fx.outputs).enumerate() {
        out.extend(mismatch(&format!("{}: output {i}", fx.name), y, want));
    }
    let mut loss = Tensor::scalar(0.0);
    for (y, r) in ys.iter().zip(&fx.r) {
        loss = loss.add(&y.mul(r).unwrap().sum_all().unwrap()).unwrap();
    }
    let trainable: Vec<&fovea_nn::Variable> = layer.weights().into_iter().filter(|w| w.trainable()).collect();
    if loss.tracks_grad() {
        let grads = loss.backward().unwrap();
        if let Some(d_inputs) = &fx.d_inputs {
            for (i, (x, want)) in inputs.iter().zip(d_inputs).enumerate() {
                let got = grads.get(x).cloned().unwrap_or_else(|| x.zeros_like().unwrap());
                out.extend(mismatch(&format!("{}: d_input {i}", fx.name), &got, want));
            }
        }
        for (w, want) in trainable.iter().zip(&fx.d_trainable) {
            let got = grads.get(w.value()).cloned().unwrap_or_else(|| w.value().zeros_like().unwrap());
            out.extend(mismatch(&format!("{}: d_{}", fx.name, w.name()), &got, want));
        }
    }
    let non_trainable: Vec<&fovea_nn::Variable> = layer.weights().into_iter().filter(|w| !w.trainable()).collect();
    for (w, want) in non_trainable.iter().zip(&fx.non_trainable_after) {
        out.extend(mismatch(&format!("{}: {} after the call", fx.name, w.name()), w.value(), want));
    }
    out
}
