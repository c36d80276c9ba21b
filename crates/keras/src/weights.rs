//! Loading weights from HDF5 into a built model, in both of Keras's layouts.
//!
//! - Keras 3 (`model.weights.h5` in a `.keras` archive): groups are named after the
//!   layer *class* with a counter in creation order (`layers/conv2d`,
//!   `layers/conv2d_1`, ...), not after the layer's own name; Functional models list
//!   their `InputLayer`s too (empty groups), Sequential models do not; a nested model's
//!   layers sit under its group (`layers/functional/layers/dense`); each layer's
//!   variables are datasets `vars/0`, `vars/1`, ... in the layer's weight order, and a
//!   recurrent layer keeps them under `cell/vars`.
//! - Keras 2 / legacy `.h5` (`model_weights` group): attribute `layer_names` lists the
//!   layer groups; each has `weight_names` (`conv2d/kernel:0`, `lstm/lstm_cell/bias:0`,
//!   a nested model's `dense/kernel:0`) naming datasets inside it. Layers with weights
//!   are matched in order, as Keras does; inside a layer, weights by name.
//!
//! Every shape is checked against the built layer's variable before it is assigned.

use std::collections::HashMap;

use fovea_core::Tensor;
use fovea_nn::layer::snake_case;
use fovea_nn::{Layer, Model, Variable};

use crate::config::{ModelKind, ModelSpec};
use crate::{Error, Result};

/// What the weight loaders need from an HDF5 file (paths are `/`-separated, relative
/// to the root; `""` is the root).
pub trait WeightSource {
    /// The member names of group `path` (sorted), `None` if there is no such group.
    fn members(&self, path: &str) -> Result<Option<Vec<String>>>;
    /// The dataset at `path` as `(shape, values)`, `None` if there is none.
    fn read(&self, path: &str) -> Result<Option<(Vec<usize>, Vec<f32>)>>;
    /// A string (or string list) attribute of group `path`; an empty numeric list (how
    /// h5py stores an empty `weight_names`) reads as an empty list.
    fn strings_attr(&self, path: &str, name: &str) -> Result<Option<Vec<String>>>;
}

/// Classes whose variables live in their `cell` child (Keras 3 layout).
fn has_cell(class: &str) -> bool {
    matches!(class, "SimpleRNN" | "LSTM" | "GRU")
}

/// Loads Keras 3 weights (`model.weights.h5`) into `model`, built from `spec`.
/// Non-finite values load, and each layer holding some is reported in `warnings`.
pub fn load_keras3(src: &dyn WeightSource, spec: &ModelSpec, model: &Model, warnings: &mut Vec<String>) -> Result<()> {
    load_container(src, "", spec, model, warnings)
}

fn load_container(
    src: &dyn WeightSource,
    prefix: &str,
    spec: &ModelSpec,
    model: &Model,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let mut used: HashMap<String, usize> = HashMap::new();
    for l in &spec.layers {
        // Keras's `Sequential.layers` leaves its InputLayer out; `Functional.layers` keeps it.
        if spec.kind == ModelKind::Sequential && l.class_name == "InputLayer" {
            continue;
        }
        let base = snake_case(&l.class_name);
        let group = match used.get_mut(&base) {
            Some(n) => {
                *n += 1;
                format!("{base}_{n}")
            }
            None => {
                used.insert(base.clone(), 0);
                base
            }
        };
        let path = format!("{prefix}layers/{group}");
        if l.class_name == "InputLayer" {
            continue;
        }
        let layer =
            model.layer(&l.name).ok_or_else(|| Error::weights(l.describe(), "is missing from the built model"))?;
        if let Some(nested) = &l.nested {
            let inner = layer
                .as_any()
                .downcast_ref::<Model>()
                .ok_or_else(|| Error::weights(l.describe(), "was not built as a nested model"))?;
            load_container(src, &format!("{path}/"), nested, inner, warnings)?;
            continue;
        }
        let vars = if has_cell(&l.class_name) { format!("{path}/cell/vars") } else { format!("{path}/vars") };
        assign_vars(src, &vars, layer, warnings)?;
    }
    Ok(())
}

/// Assigns `vars/0..n` to the layer's weights in order.
fn assign_vars(src: &dyn WeightSource, vars: &str, layer: &dyn Layer, warnings: &mut Vec<String>) -> Result<()> {
    let at = format!("layer '{}' ({})", layer.name(), layer.class_name());
    let weights = layer.weights();
    let members = match src.members(vars)? {
        Some(m) => m,
        None if weights.is_empty() => return Ok(()),
        None => return Err(Error::weights(&at, format!("the weights file has no group '{vars}'"))),
    };
    let expected: Vec<String> = (0..weights.len()).map(|i| i.to_string()).collect();
    let mut found = members.clone();
    found.sort_by_key(|m| m.parse::<usize>().unwrap_or(usize::MAX));
    if found != expected {
        return Err(Error::weights(
            &at,
            format!(
                "'{vars}' holds {} weights ({}) but the layer has {} ({})",
                members.len(),
                members.join(", "),
                weights.len(),
                names(&weights)
            ),
        ));
    }
    for (i, w) in weights.iter().enumerate() {
        let path = format!("{vars}/{i}");
        let (shape, data) =
            src.read(&path)?.ok_or_else(|| Error::weights(&at, format!("'{path}' is not a dataset")))?;
        assign(&at, w, &shape, data, warnings)?;
    }
    Ok(())
}

fn names(weights: &[&Variable]) -> String {
    weights.iter().map(|w| w.name()).collect::<Vec<_>>().join(", ")
}

/// Checks the shape and assigns; non-finite values are loaded and reported.
fn assign(at: &str, w: &Variable, shape: &[usize], data: Vec<f32>, warnings: &mut Vec<String>) -> Result<()> {
    if shape != w.dims() {
        return Err(Error::weights(
            at,
            format!("weight '{}' has shape {shape:?} but the config implies {:?}", w.name(), w.dims()),
        ));
    }
    let bad = data.iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        warnings.push(format!("{at}: weight '{}' has {bad} NaN or infinite value(s)", w.name()));
    }
    let t = Tensor::from_vec(data, shape)?;
    w.assign(&t).map_err(|e| Error::weights(at, e.to_string()))
}

/// Loads legacy (Keras 2 / tf.keras, or Keras 3's `.h5`) weights from `root` (the
/// `model_weights` group of a full-model file, or `""` for a weights-only file).
pub fn load_legacy(src: &dyn WeightSource, root: &str, model: &Model, warnings: &mut Vec<String>) -> Result<()> {
    let at_root = if root.is_empty() { "/".to_string() } else { root.to_string() };
    let layer_names = src
        .strings_attr(root, "layer_names")?
        .ok_or_else(|| Error::weights(&at_root, "has no 'layer_names' attribute"))?;
    let join = |a: &str, b: &str| if a.is_empty() { b.to_string() } else { format!("{a}/{b}") };
    let mut file_layers = Vec::new();
    for name in &layer_names {
        let group = join(root, name);
        let weight_names = src
            .strings_attr(&group, "weight_names")?
            .ok_or_else(|| Error::weights(&group, "has no 'weight_names' attribute"))?;
        if !weight_names.is_empty() {
            file_layers.push((name, group, weight_names));
        }
    }
    let model_layers: Vec<&dyn Layer> = model.layers().filter(|l| !l.weights().is_empty()).collect();
    if file_layers.len() != model_layers.len() {
        return Err(Error::weights(
            &at_root,
            format!(
                "the file has weights for {} layers ({}) but the model has {} layers with weights ({})",
                file_layers.len(),
                file_layers.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                model_layers.len(),
                model_layers.iter().map(|l| l.name()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    for ((_, group, weight_names), layer) in file_layers.into_iter().zip(model_layers) {
        let mut values = Vec::with_capacity(weight_names.len());
        for wn in &weight_names {
            let path = join(&group, wn);
            let (shape, data) = src.read(&path)?.ok_or_else(|| {
                Error::weights(describe_at(layer), format!("weight '{path}' is missing from the file"))
            })?;
            values.push((wn.as_str(), shape, data));
        }
        assign_named(layer, values, warnings)?;
    }
    Ok(())
}

fn describe_at(layer: &dyn Layer) -> String {
    format!("layer '{}' ({})", layer.name(), layer.class_name())
}

/// `lstm/lstm_cell/kernel:0` -> (`[lstm, lstm_cell]`, `kernel`): the scopes the
/// variable was created under (the owning layer is one of them: the first in Keras 2,
/// after the nested model's name in Keras 3's `.h5`) and the variable's name.
fn split_weight_name(n: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = n.split('/').collect();
    let last = parts.pop().unwrap_or(n);
    let var = last.rsplit_once(':').map_or(last, |(v, _)| v);
    (parts, var)
}

/// Assigns one legacy layer group: a plain layer by variable name (or, if the names
/// do not match, in order); a nested model by owning layer and variable name.
fn assign_named(
    layer: &dyn Layer,
    values: Vec<(&str, Vec<usize>, Vec<f32>)>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let at = describe_at(layer);
    let targets: Vec<(String, &Variable)> = match layer.as_any().downcast_ref::<Model>() {
        Some(m) => leaves(m),
        None => layer.weights().into_iter().map(|w| (String::new(), w)).collect(),
    };
    let nested = layer.as_any().is::<Model>();
    if values.len() != targets.len() {
        return Err(Error::weights(
            &at,
            format!(
                "the file has {} weights ({}) but the layer has {}",
                values.len(),
                values.iter().map(|v| v.0).collect::<Vec<_>>().join(", "),
                targets.len()
            ),
        ));
    }
    let find = |scopes: &[&str], var: &str| -> Vec<usize> {
        (0..targets.len())
            .filter(|&i| targets[i].1.name() == var && (!nested || scopes.contains(&targets[i].0.as_str())))
            .collect()
    };
    let by_name: Option<Vec<usize>> = values
        .iter()
        .map(|(n, _, _)| split_weight_name(n))
        .map(|(scopes, v)| match find(&scopes, v)[..] {
            [i] => Some(i),
            _ => None,
        })
        .collect();
    let order: Vec<usize> = match by_name {
        Some(idx)
            if {
                let mut s = idx.clone();
                s.sort_unstable();
                s.dedup();
                s.len() == idx.len()
            } =>
        {
            idx
        }
        _ if !nested => (0..targets.len()).collect(),
        _ => {
            return Err(Error::weights(
                &at,
                format!(
                    "cannot match the file's weights ({}) to the nested model's ({})",
                    values.iter().map(|v| v.0).collect::<Vec<_>>().join(", "),
                    targets.iter().map(|(o, w)| format!("{o}/{}", w.name())).collect::<Vec<_>>().join(", ")
                ),
            ))
        }
    };
    for ((name, shape, data), i) in values.into_iter().zip(order) {
        let (owner, w) = &targets[i];
        let at = if owner.is_empty() { at.clone() } else { format!("{at} layer '{owner}'") };
        assign(&at, w, &shape, data, warnings).map_err(|e| match e {
            Error::Weights { at, msg } => Error::Weights { at, msg: format!("{msg} (file weight '{name}')") },
            other => other,
        })?;
    }
    Ok(())
}

/// Every variable of a (possibly nested) model with the name of the layer that owns it.
fn leaves(m: &Model) -> Vec<(String, &Variable)> {
    let mut out = Vec::new();
    for l in m.layers() {
        match l.as_any().downcast_ref::<Model>() {
            Some(inner) => out.extend(leaves(inner)),
            None => out.extend(l.weights().into_iter().map(|w| (l.name().to_string(), w))),
        }
    }
    out
}

#[cfg(test)]
#[path = "weights_tests.rs"]
mod tests;
