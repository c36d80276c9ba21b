//! Export: a fovea [`Model`] as a Keras 3 `.keras` archive that Keras 3.15 loads with
//! `keras.saving.load_model` and runs with the same numbers (checked over the model
//! corpus by `tools/golden/keras_roundtrip.py`).
//!
//! The archive holds, as Keras writes them (members stored, uncompressed):
//! `metadata.json`, `config.json` (`graph.rs`: the model config in Keras 3 form) and
//! `model.weights.h5` (`weights.rs`: Keras's group layout). The file is written to a
//! temporary path next to the target and renamed, so a crash never leaves half a file.

mod graph;
mod layers;
mod order;
mod weights;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use fovea_nn::Model;
use serde_json::json;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::{Error, Result};

/// The Keras version whose format the archive follows (its `metadata.json`).
pub const KERAS_VERSION: &str = "3.15.1";

/// Writes `model` to `path` as a `.keras` archive, atomically. Its error converts into
/// fovea-nn's, so it serves as a `ModelCheckpoint` save function as it is:
///
/// ```no_run
/// use fovea_nn::training::{ModelCheckpoint, ModelCheckpointConfig};
/// let ckpt = ModelCheckpoint::new(
///     "runs/model-{epoch:02d}.keras",
///     Box::new(|model, path| Ok(fovea_keras::save(model, path)?)),
///     ModelCheckpointConfig::default(),
/// )?;
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub fn save(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let bytes = to_keras_bytes(model)?;
    write_atomic(path.as_ref(), &bytes)
}

/// The bytes of a `.keras` archive holding `model`.
pub fn to_keras_bytes(model: &Model) -> Result<Vec<u8>> {
    let config = serde_json::to_string(&graph::model_config(model)?)
        .map_err(|e| Error::config("config.json", format!("cannot serialise: {e}")))?;
    let metadata = json!({"keras_version": KERAS_VERSION, "date_saved": date_saved()}).to_string();
    let weights = weights::weights_h5(model)?;
    let zip_err = |e: zip::result::ZipError| Error::Archive { path: "<export>".into(), msg: e.to_string() };
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, data) in
        [("metadata.json", metadata.as_bytes()), ("config.json", config.as_bytes()), ("model.weights.h5", &weights[..])]
    {
        z.start_file(name, opts).map_err(zip_err)?;
        z.write_all(data).map_err(|e| Error::Archive { path: name.into(), msg: e.to_string() })?;
    }
    Ok(z.finish().map_err(zip_err)?.into_inner())
}

/// Keras's `date_saved` (`%Y-%m-%d@%H:%M:%S`, UTC here).
fn date_saved() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}@{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Writes to `<path>.tmp` and renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp: PathBuf = path.to_path_buf();
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    tmp.set_file_name(name);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn date_saved_has_keras_form() {
        let d = super::date_saved();
        assert_eq!(d.len(), 19, "{d}");
        assert_eq!(&d[10..11], "@");
        assert!(d.starts_with("20"), "{d}");
    }
}
