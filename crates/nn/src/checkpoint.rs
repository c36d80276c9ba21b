//! Training checkpoints and weight files: one safetensors file, written atomically.
//!
//! Layout of the file:
//! - tensors `weights/<name>` (names like `conv2d/kernel`) and `optimizer/<name>`;
//! - the safetensors `__metadata__` map holds `format` (`fovea-checkpoint/1`),
//!   `architecture` (the caller's JSON, stored verbatim), `epoch`, `weights` and
//!   `optimizer` (JSON arrays of the names in order: safetensors itself sorts tensors,
//!   so Keras's weight order has to be recorded separately) and the caller's metadata
//!   under `metadata/<key>`.
//!
//! Loading checks everything before it builds a tensor: the header against the file
//! length (safetensors does this, so a corrupt size cannot make us allocate more than
//! the file holds), the format tag, that the listed names and the stored tensors are the
//! same set, and the dtypes (F32 or I64).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use fovea_core::{DType, Shape, Tensor};
use safetensors::{Dtype, SafeTensors, View};

use crate::atomic::{io_error, write_atomic_until};
use crate::layer::describe;
use crate::{Error, Model, Result};

/// The value of the `format` metadata entry; bump it when the layout changes.
const FORMAT: &str = "fovea-checkpoint/1";
const WEIGHTS: &str = "weights/";
const OPTIMIZER: &str = "optimizer/";
const META: &str = "metadata/";

/// Everything needed to resume training.
#[derive(Clone, Debug, Default)]
pub struct Checkpoint {
    /// The model's architecture as JSON (a Keras config); stored verbatim, never parsed.
    pub architecture: String,
    /// Weights in Keras's order, named `<layer>/<weight>` (`conv2d/kernel`).
    pub weights: Vec<(String, Tensor)>,
    /// Optimizer state (slot variables, iteration counters), in the optimizer's order.
    pub optimizer: Vec<(String, Tensor)>,
    /// Epochs completed.
    pub epoch: usize,
    /// Free-form annotations (git commit, dataset, ...).
    pub metadata: BTreeMap<String, String>,
}

/// Writes `ckpt` to `path` atomically: readers see the previous file or the new one,
/// never a partial write.
///
/// Tensors must be F32 or I64; F16 and BF16 tensors are widened to F32 (losslessly).
/// Names must be unique within `weights` and within `optimizer`.
pub fn save_checkpoint(path: impl AsRef<Path>, ckpt: &Checkpoint) -> Result<()> {
    save_checkpoint_until(path.as_ref(), ckpt, None)
}

/// [`save_checkpoint`] with the crash hook of [`write_atomic_until`].
fn save_checkpoint_until(path: &Path, ckpt: &Checkpoint, crash_after: Option<usize>) -> Result<()> {
    let bytes = encode(path, ckpt)?;
    write_atomic_until(path, &bytes, crash_after)
}

/// Reads a checkpoint written by [`save_checkpoint`]. A truncated or corrupt file, a
/// wrong dtype or a missing entry is an [`Error::Io`] naming the file.
pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<Checkpoint> {
    let path = path.as_ref();
    // Only regular files: reading a device or FIFO (`/dev/zero`) would never end.
    let info = std::fs::metadata(path).map_err(|e| io_error(path, format!("cannot read: {e}")))?;
    if !info.is_file() {
        return Err(io_error(path, "not a regular file"));
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(path, format!("cannot read: {e}")))?;
    decode(path, &bytes)
}

/// Saves the model's weights (all of them, trainable or not) as a checkpoint with no
/// architecture, no optimizer state and epoch 0. Names are `<layer>/<weight>`. The file
/// is written to a temporary name and renamed, so a crash never leaves half a file.
///
/// ```
/// use fovea_core::Rng;
/// use fovea_nn::layers::Dense;
/// use fovea_nn::{load_weights, save_weights, Sequential};
/// let path = std::env::temp_dir().join("fovea-doc-weights.safetensors");
/// let model = Sequential::new(&[4]).add(Dense::new(2)).build(&mut Rng::new(0))?;
/// save_weights(&model, &path)?;
/// let twin = Sequential::new(&[4]).add(Dense::new(2)).build(&mut Rng::new(1))?;
/// load_weights(&twin, &path)?;
/// assert_eq!(twin.get_weights()?[0].to_vec_f32()?, model.get_weights()?[0].to_vec_f32()?);
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub fn save_weights(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    save_checkpoint(path, &Checkpoint { weights: named_weights(model), ..Checkpoint::default() })
}

/// Every weight of `model` in Keras's order, named `<layer>/<weight>` as checkpoints
/// store them (detached copies of the values).
pub fn named_weights(model: &Model) -> Vec<(String, Tensor)> {
    let mut weights = Vec::new();
    for layer in model.layers() {
        for w in layer.weights() {
            weights.push((format!("{}/{}", layer.name(), w.name()), w.value().detach()));
        }
    }
    weights
}

/// Loads weights saved by [`save_weights`] (or the weights of a full checkpoint) into
/// `model`, matching them by `<layer>/<weight>` name.
///
/// Every weight of the model must be in the file with the same shape and dtype, and the
/// file must hold no weight the model lacks. Nothing is assigned unless everything fits.
pub fn load_weights(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let ckpt = load_checkpoint(path)?;
    let mut stored: HashMap<&str, &Tensor> = ckpt.weights.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut plan = Vec::new();
    for layer in model.layers() {
        for w in layer.weights() {
            let name = format!("{}/{}", layer.name(), w.name());
            let layer_error = |msg: String| Error::Layer { layer: describe(layer), msg };
            let Some(t) = stored.remove(name.as_str()) else {
                return Err(layer_error(format!("weight '{}' is missing from {}", w.name(), path.display())));
            };
            if t.dims() != w.dims() {
                return Err(layer_error(format!(
                    "weight '{}' has shape {} in the model but {} in {}",
                    w.name(),
                    Shape::new(w.dims()),
                    t.shape(),
                    path.display()
                )));
            }
            if t.dtype() != w.value().dtype() {
                return Err(layer_error(format!(
                    "weight '{}' has dtype {:?} in the model but {:?} in {}",
                    w.name(),
                    w.value().dtype(),
                    t.dtype(),
                    path.display()
                )));
            }
            plan.push((w, t));
        }
    }
    if !stored.is_empty() {
        let mut extra: Vec<&str> = stored.into_keys().collect();
        extra.sort_unstable();
        return Err(Error::Model {
            model: model.name().to_string(),
            msg: format!("{} holds weights for no layer of this model: {}", path.display(), extra.join(", ")),
        });
    }
    for (w, t) in plan {
        w.assign(t)?;
    }
    Ok(())
}

/// A tensor's bytes in safetensors form (little-endian).
struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn to_raw(t: &Tensor) -> Result<Raw> {
    let shape = t.dims().to_vec();
    Ok(match t.dtype() {
        DType::I64 => {
            Raw { dtype: Dtype::I64, shape, bytes: t.to_vec_i64()?.iter().flat_map(|x| x.to_le_bytes()).collect() }
        }
        DType::F32 | DType::F16 | DType::BF16 => {
            Raw { dtype: Dtype::F32, shape, bytes: t.to_vec_f32()?.iter().flat_map(|x| x.to_le_bytes()).collect() }
        }
    })
}

fn encode(path: &Path, ckpt: &Checkpoint) -> Result<Vec<u8>> {
    let mut tensors: Vec<(String, Raw)> = Vec::with_capacity(ckpt.weights.len() + ckpt.optimizer.len());
    let mut meta = HashMap::new();
    for (prefix, list, key) in [(WEIGHTS, &ckpt.weights, "weights"), (OPTIMIZER, &ckpt.optimizer, "optimizer")] {
        let mut seen = HashSet::new();
        for (name, t) in list {
            if !seen.insert(name.as_str()) {
                return Err(io_error(path, format!("{key} name '{name}' appears twice")));
            }
            tensors.push((format!("{prefix}{name}"), to_raw(t)?));
        }
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        meta.insert(key.to_string(), serde_json::Value::from(names).to_string());
    }
    meta.insert("format".to_string(), FORMAT.to_string());
    meta.insert("architecture".to_string(), ckpt.architecture.clone());
    meta.insert("epoch".to_string(), ckpt.epoch.to_string());
    for (k, v) in &ckpt.metadata {
        meta.insert(format!("{META}{k}"), v.clone());
    }
    safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), Some(meta))
        .map_err(|e| io_error(path, format!("cannot encode checkpoint: {e}")))
}

fn decode(path: &Path, bytes: &[u8]) -> Result<Checkpoint> {
    let err = |msg: String| io_error(path, msg);
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| err(format!("not a valid safetensors file (truncated or corrupt): {e}")))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| err(format!("corrupt header: {e}")))?;
    let meta = header.metadata().as_ref().ok_or_else(|| err("no __metadata__: not a fovea checkpoint".into()))?;
    let get = |k: &str| meta.get(k).ok_or_else(|| err(format!("metadata entry '{k}' is missing")));
    let format = get("format")?;
    if format != FORMAT {
        return Err(err(format!("format is '{format}', expected '{FORMAT}'")));
    }
    let epoch = get("epoch")?;
    let epoch = epoch.parse().map_err(|_| err(format!("epoch '{epoch}' is not a non-negative integer")))?;
    let mut lists = Vec::new();
    for (prefix, key) in [(WEIGHTS, "weights"), (OPTIMIZER, "optimizer")] {
        let names: Vec<String> = serde_json::from_str(get(key)?)
            .map_err(|e| err(format!("metadata entry '{key}' is not a list of names: {e}")))?;
        let mut list = Vec::with_capacity(names.len());
        for name in names {
            let full = format!("{prefix}{name}");
            let view = st.tensor(&full).map_err(|_| err(format!("tensor '{full}' is listed but not stored")))?;
            let t = from_view(&view).map_err(|msg| err(format!("tensor '{full}': {msg}")))?;
            list.push((name, t));
        }
        lists.push(list);
    }
    let listed = lists.iter().map(Vec::len).sum::<usize>();
    if st.len() != listed {
        return Err(err(format!("file stores {} tensors but its metadata lists {listed}", st.len())));
    }
    let optimizer = lists.pop().unwrap_or_default();
    let weights = lists.pop().unwrap_or_default();
    let metadata = meta.iter().filter_map(|(k, v)| k.strip_prefix(META).map(|k| (k.to_string(), v.clone()))).collect();
    Ok(Checkpoint { architecture: get("architecture")?.clone(), weights, optimizer, epoch, metadata })
}

fn from_view(view: &safetensors::tensor::TensorView<'_>) -> std::result::Result<Tensor, String> {
    let shape = view.shape().to_vec();
    let data = view.data();
    let t = match view.dtype() {
        Dtype::F32 => Tensor::from_vec(
            data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            shape,
        ),
        Dtype::I64 => Tensor::from_vec_i64(
            data.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            shape,
        ),
        other => return Err(format!("dtype {other:?} is not supported (fovea checkpoints hold F32 and I64)")),
    };
    t.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
