//! A model's weights as Keras 3's `model.weights.h5`: the group layout of
//! `keras.src.saving.saving_lib._save_state`. Each container lists its operations in
//! Keras's order under `layers/`, each group named after the class in snake case with
//! a counter (`dense`, `dense_1`); a layer's variables are `vars/0`, `vars/1`, ... in
//! its weight order (a recurrent layer's under `cell/vars`, its own `vars` empty);
//! every `vars` group carries the layer's name as attribute `name`. Functional models
//! list their input layers (empty groups); Sequential models do not.

use std::collections::HashMap;

use fovea_nn::layer::snake_case;
use fovea_nn::model::ModelKind;
use fovea_nn::{Layer, Model};

use super::graph::{operations, Op};
use crate::hdf5::{AttrValue, H5Writer};
use crate::{Error, Result};

/// The bytes of `model.weights.h5` for `model`.
pub(crate) fn weights_h5(model: &Model) -> Result<Vec<u8>> {
    let mut w = H5Writer::new();
    write_container(&mut w, "", model)?;
    w.to_bytes().map_err(|e| Error::weights("model.weights.h5", e.to_string()))
}

fn h5(e: impl std::fmt::Display) -> Error {
    Error::weights("model.weights.h5", e.to_string())
}

fn vars_group(w: &mut H5Writer, path: &str, name: &str) -> Result<()> {
    w.create_group(path).map_err(h5)?;
    w.set_attr(path, "name", AttrValue::String(name.to_string())).map_err(h5)
}

/// `prefix` is `""` for the file root or `layers/<group>/` for a nested model.
fn write_container(w: &mut H5Writer, prefix: &str, model: &Model) -> Result<()> {
    let layers: Vec<&dyn Layer> = model.layers().collect();
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut unique = |class: &str| -> String {
        let base = snake_case(class);
        match used.get_mut(&base) {
            Some(n) => {
                *n += 1;
                format!("{base}_{n}")
            }
            None => {
                used.insert(base.clone(), 0);
                base
            }
        }
    };
    w.create_group(&format!("{prefix}layers")).map_err(h5)?;
    for op in operations(model) {
        match op {
            Op::Input(i) => {
                if model.kind() == ModelKind::Functional {
                    let group = unique("InputLayer");
                    let name = model.input_names().get(i).map(|s| s.to_string()).unwrap_or_default();
                    vars_group(w, &format!("{prefix}layers/{group}/vars"), &name)?;
                }
            }
            Op::Layer(li) => {
                let Some(layer) = layers.get(li).copied() else { continue };
                let path = format!("{prefix}layers/{}", unique(layer.class_name()));
                if let Some(inner) = layer.as_any().downcast_ref::<Model>() {
                    write_container(w, &format!("{path}/"), inner)?;
                    continue;
                }
                let vars = if matches!(layer.class_name(), "SimpleRNN" | "LSTM" | "GRU") {
                    vars_group(w, &format!("{path}/vars"), layer.name())?;
                    let cell = format!("{}_cell", snake_case(layer.class_name()));
                    vars_group(w, &format!("{path}/cell/vars"), &cell)?;
                    format!("{path}/cell/vars")
                } else {
                    vars_group(w, &format!("{path}/vars"), layer.name())?;
                    format!("{path}/vars")
                };
                for (i, v) in layer.weights().iter().enumerate() {
                    let data = v.value().to_vec_f32()?;
                    w.write_dataset_f32(&format!("{vars}/{i}"), v.dims(), &data).map_err(h5)?;
                }
            }
        }
    }
    vars_group(w, &format!("{prefix}vars"), model.name())
}
