//! Loading whole models from files: `.keras` archives and legacy full-model `.h5`.

use std::path::Path;

use fovea_nn::weight_budget::limit_weight_elements;
use fovea_nn::Model;

use crate::archive::read_archive_bytes;
use crate::config::{parse_config, Dialect, ModelSpec};
use crate::hdf5::{AttrValue, H5File};
use crate::weights::{load_keras3, load_legacy, WeightSource};
use crate::{build_model, Error, Result};

/// A model loaded from a file, with what the loader noticed.
pub struct Loaded {
    /// The model, weights loaded.
    pub model: Model,
    /// Its parsed config (layer classes, wiring).
    pub spec: ModelSpec,
    /// One name per model output ([`ModelSpec::output_names`]).
    pub output_names: Vec<String>,
    /// Warnings: weights holding NaN or infinite values, each naming its layer.
    pub warnings: Vec<String>,
}

/// Loads a Keras model file: a `.keras` archive (Keras 3) or a legacy full-model
/// `.h5` (Keras 2 / tf.keras, or Keras 3's `.h5`), told apart by their first bytes.
/// Warnings (non-finite weights) are printed to stderr; use [`load_with_warnings`] to
/// get them instead.
pub fn load(path: impl AsRef<Path>) -> Result<Model> {
    let path = path.as_ref();
    let loaded = load_with_warnings(path)?;
    for w in &loaded.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(loaded.model)
}

/// Like [`load`], returning the warnings, the config and the output names.
pub fn load_with_warnings(path: impl AsRef<Path>) -> Result<Loaded> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let name = path.display().to_string();
    if bytes.starts_with(b"PK") {
        load_keras_bytes(&bytes, &name)
    } else if bytes.starts_with(b"\x89HDF\r\n\x1a\n") {
        load_h5_bytes(bytes, &name)
    } else {
        Err(Error::Archive {
            path: name,
            msg: format!(
                "is neither a .keras archive (zip) nor an HDF5 file; it starts with {:02x?}",
                &bytes[..bytes.len().min(8)]
            ),
        })
    }
}

/// Loads a `.keras` archive held in memory (`name` for messages).
pub fn load_keras_bytes(bytes: &[u8], name: &str) -> Result<Loaded> {
    let archive = read_archive_bytes(bytes, name)?;
    let spec = parse_config(&archive.config, None).map_err(|e| in_file(e, &format!("{name}/config.json")))?;
    let weights = archive.weights.ok_or_else(|| Error::Archive {
        path: name.to_string(),
        msg: "has no model.weights.h5 (an architecture-only archive); use model_from_json for the config alone".into(),
    })?;
    let model = build_within(&spec, weights.len())?;
    let file = H5File::from_bytes(weights)?;
    let mut warnings = Vec::new();
    load_keras3(&file, &spec, &model, &mut warnings)?;
    Ok(Loaded { output_names: spec.output_names(), model, spec, warnings })
}

/// Loads a legacy full-model `.h5` file held in memory (`name` for messages).
pub fn load_h5_bytes(bytes: Vec<u8>, name: &str) -> Result<Loaded> {
    let file_bytes = bytes.len();
    let file = H5File::from_bytes(bytes)?;
    let root = file.root()?;
    let config = match root.attr("model_config")? {
        Some(AttrValue::String(s)) => s,
        Some(AttrValue::Strings(v)) if v.len() == 1 => v.into_iter().next().unwrap_or_default(),
        Some(_) => return Err(Error::config(format!("{name} model_config"), "is not a string")),
        None => {
            return Err(Error::Archive {
                path: name.to_string(),
                msg: "has no model_config attribute: it holds weights only, not a whole model".into(),
            })
        }
    };
    let dialect = match root.attr("keras_version")? {
        Some(AttrValue::String(v)) if v.starts_with('2') || v.starts_with('1') => Some(Dialect::Keras2),
        Some(AttrValue::String(v)) if v.starts_with('3') => Some(Dialect::Keras3),
        _ => None,
    };
    let spec = parse_config(&config, dialect).map_err(|e| in_file(e, &format!("{name} model_config")))?;
    let model = build_within(&spec, file_bytes)?;
    if file.group("model_weights")?.is_none() {
        return Err(Error::Archive { path: name.to_string(), msg: "has no model_weights group".into() });
    }
    let mut warnings = Vec::new();
    load_legacy(&file, "model_weights", &model, &mut warnings)?;
    Ok(Loaded { output_names: spec.output_names(), model, spec, warnings })
}

/// Builds the model under a weight budget that a weights file of `file_bytes` bytes
/// could fill: a config declaring absurd layer sizes (units=10**12) is an error before
/// anything is allocated. Keras stores weights uncompressed, at least 2 bytes an element
/// (f16); the slack of 16x admits compressed HDF5 datasets of ordinary ratios.
fn build_within(spec: &ModelSpec, file_bytes: usize) -> Result<Model> {
    let budget = (file_bytes as u64).saturating_mul(8).saturating_add(1 << 20);
    let _guard = limit_weight_elements(budget);
    build_model(spec)
}

/// Says which file a config error comes from.
fn in_file(e: Error, file: &str) -> Error {
    match e {
        Error::Config { at, msg } if at == "config.json" => Error::Config { at: file.to_string(), msg },
        other => other,
    }
}

impl WeightSource for H5File {
    fn members(&self, path: &str) -> Result<Option<Vec<String>>> {
        let group = if path.is_empty() { Some(self.root()?) } else { self.group(path)? };
        Ok(group.map(|g| g.member_names()).transpose()?)
    }

    fn read(&self, path: &str) -> Result<Option<(Vec<usize>, Vec<f32>)>> {
        match self.dataset(path)? {
            None => Ok(None),
            Some(d) => {
                let values = d.read_f32()?;
                Ok(Some((d.shape.clone(), values)))
            }
        }
    }

    fn strings_attr(&self, path: &str, name: &str) -> Result<Option<Vec<String>>> {
        let group = if path.is_empty() { Some(self.root()?) } else { self.group(path)? };
        let Some(group) = group else { return Ok(None) };
        match group.attr(name)? {
            None => Ok(None),
            Some(AttrValue::String(s)) => Ok(Some(vec![s])),
            Some(AttrValue::Strings(v)) => Ok(Some(v)),
            Some(AttrValue::Ints(v)) if v.is_empty() => Ok(Some(Vec::new())),
            Some(AttrValue::Floats(v)) if v.is_empty() => Ok(Some(Vec::new())),
            Some(other) => {
                Err(Error::weights(format!("{path} @{name}"), format!("is not a list of strings: {other:?}")))
            }
        }
    }
}
