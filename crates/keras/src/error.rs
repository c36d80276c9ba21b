//! fovea-keras's error type. Every message names the file part, the layer and the
//! values involved: "layer 'conv2d_1' (Conv2D): weight 'kernel' has shape [3, 3, 4, 8]
//! but the config implies [3, 3, 3, 8]".

/// What can go wrong reading a Keras model or a `.npy` array.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Building or running the model failed in fovea-nn (its message names the layer).
    #[error(transparent)]
    Nn(#[from] fovea_nn::Error),
    /// The HDF5 weights file is unreadable (its message names the object path and byte
    /// offset).
    #[error(transparent)]
    Hdf5(#[from] crate::hdf5::H5Error),
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The `.keras` zip archive is not readable: not a zip, truncated, a member missing
    /// or of an absurd declared size.
    #[error("{path}: {msg}")]
    Archive {
        /// The archive (and member, where one is involved).
        path: String,
        /// What is wrong.
        msg: String,
    },
    /// `config.json` (or a legacy `.h5` file's `model_config`) is not a model Keras
    /// could have written: bad JSON, a missing key, a wrong type, a broken graph.
    /// `at` says where, e.g. `config.layers[3] 'conv2d_1' (Conv2D)`.
    #[error("{at}: {msg}")]
    Config {
        /// Where in the config.
        at: String,
        /// What is wrong, with the offending value.
        msg: String,
    },
    /// The config uses something fovea does not implement in a way that would change
    /// the numbers (an unknown layer class, an unknown config key, a mixed-precision
    /// policy). `at` names the layer.
    #[error("{at}: {msg}")]
    Unsupported {
        /// The layer (or config part) involved.
        at: String,
        /// What is not supported, naming the class, key or value.
        msg: String,
    },
    /// The weights file does not fit the model: a missing group, a wrong count, a
    /// weight shape that differs from what the config implies.
    #[error("{at}: {msg}")]
    Weights {
        /// The layer (and weight) involved, e.g. `layer 'conv2d_1' (Conv2D)`.
        at: String,
        /// What is wrong, with both shapes.
        msg: String,
    },
    /// A `.npy` file that cannot be read or written.
    #[error("{path}: {msg}")]
    Npy {
        /// The file.
        path: String,
        /// What is wrong (header, dtype, size).
        msg: String,
    },
}

/// `Result` with fovea-keras's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`Error::Config`] at `at`.
    pub(crate) fn config(at: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::Config { at: at.into(), msg: msg.into() }
    }

    /// An [`Error::Unsupported`] at `at`.
    pub(crate) fn unsupported(at: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::Unsupported { at: at.into(), msg: msg.into() }
    }

    /// An [`Error::Weights`] at `at`.
    pub(crate) fn weights(at: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::Weights { at: at.into(), msg: msg.into() }
    }

    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), source }
    }
}

impl From<fovea_core::Error> for Error {
    fn from(e: fovea_core::Error) -> Self {
        Error::Nn(fovea_nn::Error::Core(e))
    }
}

/// fovea-keras's errors travel through fovea-nn's `Result` (a `ModelCheckpoint` save
/// function, a user's training program): fovea-nn's own errors come back as they were,
/// the others keep their message and source.
impl From<Error> for fovea_nn::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Nn(e) => e,
            other => fovea_nn::Error::External(Box::new(other)),
        }
    }
}
