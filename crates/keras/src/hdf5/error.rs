//! The one error type of the HDF5 reader and writer.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing an HDF5 file.
///
/// Messages name the object path (`/layers/conv2d/vars/0`) or the file structure
/// (`superblock`, `local heap`) and, for corruption, the byte offset in the file, so a
/// bad file can be inspected with a hex dump.
#[derive(Debug, thiserror::Error)]
pub enum H5Error {
    /// The file could not be read or written.
    #[error("HDF5 file '{path}': {source}")]
    Io {
        /// The file's path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes do not follow the HDF5 format: truncated, damaged or hostile input.
    #[error("corrupt HDF5 file: {context}, at byte {offset:#x}: {detail}")]
    Corrupt {
        /// The object path and structure being read, e.g. `object '/a/b', dataspace message`.
        context: String,
        /// File offset of the structure (or field) that is wrong.
        offset: u64,
        /// What is wrong, with the offending values.
        detail: String,
    },
    /// Valid HDF5 that this reader does not implement (dense link storage, szip, ...).
    #[error("unsupported HDF5 feature: {context}: {detail}")]
    Unsupported {
        /// The object path and structure being read.
        context: String,
        /// The feature, with the value that selects it.
        detail: String,
    },
    /// The object exists but is not what was asked for: a group where a dataset was
    /// expected, strings read as numbers, a soft link.
    #[error("HDF5 object '{path}': {detail}")]
    Kind {
        /// Full path of the object.
        path: String,
        /// What was expected and what was found.
        detail: String,
    },
    /// The writer was given an invalid path, shape or value.
    #[error("HDF5 writer, '{path}': {detail}")]
    Write {
        /// Path of the object being written.
        path: String,
        /// What is wrong, with the values.
        detail: String,
    },
}

impl H5Error {
    pub(crate) fn corrupt(context: impl Into<String>, offset: u64, detail: impl Into<String>) -> Self {
        H5Error::Corrupt { context: context.into(), offset, detail: detail.into() }
    }

    pub(crate) fn unsupported(context: impl Into<String>, detail: impl Into<String>) -> Self {
        H5Error::Unsupported { context: context.into(), detail: detail.into() }
    }

    pub(crate) fn kind(path: impl Into<String>, detail: impl Into<String>) -> Self {
        H5Error::Kind { path: path.into(), detail: detail.into() }
    }

    pub(crate) fn write(path: impl Into<String>, detail: impl Into<String>) -> Self {
        H5Error::Write { path: path.into(), detail: detail.into() }
    }
}

/// Shorthand for results of this module.
pub type H5Result<T> = Result<T, H5Error>;
