//! fovea-nn's error type: core errors plus errors that name a layer or a model.

/// What can go wrong building, calling or saving a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tensor op failed (its message names the op and shapes).
    #[error(transparent)]
    Core(#[from] fovea_core::Error),
    /// A layer rejected its configuration or input. `layer` reads like
    /// `conv2d_1 (Conv2D)`, as Keras's summary names layers.
    #[error("{layer}: {msg}")]
    Layer {
        /// The layer's name and class.
        layer: String,
        /// What is wrong, with the values and shapes involved.
        msg: String,
    },
    /// A model-level problem: graph wiring, unknown layer names, weights that do not fit.
    #[error("model '{model}': {msg}")]
    Model {
        /// The model's name.
        model: String,
        /// What is wrong.
        msg: String,
    },
    /// A loss, metric, optimizer or schedule rejected its arguments or inputs.
    /// `component` is its Keras name (`SGD`, `categorical_crossentropy`).
    #[error("{component}: {msg}")]
    Training {
        /// The loss, metric or optimizer.
        component: String,
        /// What is wrong, with the values involved.
        msg: String,
    },
    /// A data-pipeline problem: a file that cannot be read or decoded, features and
    /// labels that disagree, a bad batch size. `what` names the file or component.
    #[error("{what}: {msg}")]
    Data {
        /// The file path or pipeline component involved.
        what: String,
        /// What is wrong, with the values and shapes involved.
        msg: String,
    },
    /// Reading or writing a file failed, or the file is not what it claims to be
    /// (truncated, corrupt header, wrong dtype or shape).
    #[error("{path}: {msg}")]
    Io {
        /// The file involved.
        path: String,
        /// What went wrong.
        msg: String,
    },
    /// An error from a crate built on fovea-nn (fovea-keras's file errors, a user's
    /// own), carried unchanged so that one `?` works across them.
    #[error(transparent)]
    External(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// `Result` with fovea-nn's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Adds the layer's identity to an error raised while it ran, unless it already
    /// carries one.
    pub fn in_layer(self, layer: &str) -> Error {
        match self {
            e @ Error::Layer { .. } => e,
            other => Error::Layer { layer: layer.to_string(), msg: other.to_string() },
        }
    }
}

/// An [`Error::Training`] for `component`.
pub(crate) fn training_error(component: &str, msg: impl Into<String>) -> Error {
    Error::Training { component: component.to_string(), msg: msg.into() }
}
