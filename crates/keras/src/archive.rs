//! Reading `.keras` archives: a zip holding `config.json`, `metadata.json` and
//! `model.weights.h5`.
//!
//! Every member's declared size is checked before anything is allocated: against a
//! fixed cap, and against what its compressed bytes could possibly expand to, so a
//! forged header cannot make us reserve gigabytes. The zip reader checks each member's
//! CRC as it is read, so truncated or corrupted data is an error too.

use std::io::{Cursor, Read};
use std::path::Path;

use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use crate::{Error, Result};

/// The largest `config.json` / `metadata.json` accepted (real ones are kilobytes).
const MAX_JSON: u64 = 64 << 20;
/// The largest `model.weights.h5` accepted.
const MAX_WEIGHTS: u64 = 16 << 30;
/// Deflate cannot expand data by more than about 1032:1; a member declaring more is
/// lying about its size.
const MAX_DEFLATE_RATIO: u64 = 1100;

/// The members of a `.keras` archive that fovea reads.
#[derive(Clone, Debug)]
pub struct KerasArchive {
    /// `config.json`, the model's architecture.
    pub config: String,
    /// `metadata.json` (Keras version, date), if present.
    pub metadata: Option<String>,
    /// `model.weights.h5`, if present (an architecture-only archive has none).
    pub weights: Option<Vec<u8>>,
}

/// Reads the archive at `path`.
pub fn read_archive(path: impl AsRef<Path>) -> Result<KerasArchive> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_archive_bytes(&bytes, &path.display().to_string())
}

/// Reads an archive held in memory; `name` is used in error messages.
pub fn read_archive_bytes(bytes: &[u8], name: &str) -> Result<KerasArchive> {
    let err = |msg: String| Error::Archive { path: name.to_string(), msg };
    if bytes.len() < 4 || &bytes[..2] != b"PK" {
        return Err(err(format!(
            "not a .keras archive (a zip file starts with 'PK'; this one starts with {:02x?})",
            &bytes[..bytes.len().min(4)]
        )));
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(format!("not a readable zip archive: {e}")))?;
    let config = read_member(&mut zip, name, "config.json", MAX_JSON, bytes.len())?
        .ok_or_else(|| err(format!("has no config.json (members: {})", members(&zip))))?;
    let config = utf8(config, name, "config.json")?;
    let metadata = match read_member(&mut zip, name, "metadata.json", MAX_JSON, bytes.len())? {
        Some(m) => Some(utf8(m, name, "metadata.json")?),
        None => None,
    };
    let weights = read_member(&mut zip, name, "model.weights.h5", MAX_WEIGHTS, bytes.len())?;
    if weights.is_none() && member_names(&zip).iter().any(|n| n == "model.weights.json") {
        return Err(err("holds sharded weights (model.weights.json), which fovea does not read".into()));
    }
    Ok(KerasArchive { config, metadata, weights })
}

fn member_names(zip: &ZipArchive<Cursor<&[u8]>>) -> Vec<String> {
    zip.file_names().filter_map(|n| n.ok().map(|n| n.to_string())).collect()
}

fn members(zip: &ZipArchive<Cursor<&[u8]>>) -> String {
    let mut names = member_names(zip);
    names.sort_unstable();
    names.truncate(20);
    names.join(", ")
}

fn utf8(bytes: Vec<u8>, archive: &str, member: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| Error::Archive {
        path: format!("{archive}/{member}"),
        msg: format!("is not UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })
}

/// The member's bytes, `None` if the archive has no such member.
fn read_member(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    archive: &str,
    member: &str,
    cap: u64,
    archive_len: usize,
) -> Result<Option<Vec<u8>>> {
    let at = format!("{archive}/{member}");
    let err = |msg: String| Error::Archive { path: at.clone(), msg };
    let mut file = match zip.by_name(member) {
        Ok(f) => f,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(err(format!("cannot be opened: {e}"))),
    };
    let (size, packed) = (file.size(), file.compressed_size());
    if size > cap {
        return Err(err(format!("declares {size} bytes, more than the {cap} fovea accepts")));
    }
    if packed > archive_len as u64 {
        return Err(err(format!(
            "declares {packed} compressed bytes, but the whole archive has only {archive_len} (truncated?)"
        )));
    }
    let possible = match file.compression() {
        CompressionMethod::Stored => packed,
        CompressionMethod::Deflated => packed.saturating_mul(MAX_DEFLATE_RATIO),
        other => return Err(err(format!("uses compression {other:?}; only stored and deflate are supported"))),
    };
    if size > possible {
        return Err(err(format!("declares {size} bytes, which {packed} compressed bytes cannot hold")));
    }
    let mut out = Vec::with_capacity(size as usize);
    // One byte more than declared, to notice a member longer than its header says.
    file.by_ref()
        .take(size + 1)
        .read_to_end(&mut out)
        .map_err(|e| err(format!("cannot be read (truncated or corrupt?): {e}")))?;
    if out.len() as u64 != size {
        return Err(err(format!("declares {size} bytes but holds {}", out.len())));
    }
    Ok(Some(out))
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
