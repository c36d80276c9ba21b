//! Atomic file replacement: a reader sees either the old file or the complete new one,
//! never a half-written file, even if the process dies mid-write.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// An [`Error::Io`] for `path`.
pub(crate) fn io_error(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), msg: msg.to_string() }
}

/// `<path>.tmp-<pid>`: in the target's own directory, because `rename` is only atomic
/// within one file system.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename over the target,
/// fsync the directory (so the rename itself survives a power cut).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_until(path, bytes, None)
}

/// [`write_atomic`], but with `crash_after = Some(n)` it writes only the first `n`
/// bytes to the temp file and returns before the rename, as a process killed mid-write
/// would. Tests use it to show that the previous file survives.
pub(crate) fn write_atomic_until(path: &Path, bytes: &[u8], crash_after: Option<usize>) -> Result<()> {
    if path.file_name().is_none() {
        return Err(io_error(path, "not a file path"));
    }
    let tmp = temp_path(path);
    let result = (|| -> std::io::Result<bool> {
        let mut f = File::create(&tmp)?;
        if let Some(n) = crash_after {
            f.write_all(&bytes[..n.min(bytes.len())])?;
            return Ok(false);
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        Ok(true)
    })();
    match result {
        Ok(true) => {}
        Ok(false) => return Err(io_error(path, "simulated crash before rename")),
        Err(e) => {
            // Best effort: a failed write should not leave litter next to the target.
            let _ = fs::remove_file(&tmp);
            return Err(io_error(path, format!("cannot write: {e}")));
        }
    }
    sync_dir(path);
    Ok(())
}

/// Flushes the directory entry created by the rename. Failure is not reported: some
/// platforms and file systems cannot open or fsync directories, and the data itself
/// is already on disk.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
