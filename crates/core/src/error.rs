//! The one error type of fovea-core. Every message names the op and the shapes or values
//! involved, so that a user reading it knows which call to fix.

use crate::{DType, Shape};

/// Everything that can go wrong in a tensor operation. Field names say what each
/// value is; the `Display` text is the message users see.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Shapes that the op cannot combine, e.g. `matmul: (2, 3) x (4, 5)`.
    #[error("{op}: {msg}")]
    Shape { op: &'static str, msg: String },

    /// Two shapes that do not broadcast under numpy's rules.
    #[error("{op}: shapes {lhs} and {rhs} do not broadcast")]
    Broadcast { op: &'static str, lhs: Shape, rhs: Shape },

    /// An axis outside `-rank..rank`.
    #[error("{op}: axis {axis} is out of range for a tensor of rank {rank}")]
    Axis { op: &'static str, axis: isize, rank: usize },

    /// An argument outside its allowed range (stride 0, negative padding, ...).
    #[error("{op}: {msg}")]
    Argument { op: &'static str, msg: String },

    /// The op does not support this element type yet.
    #[error("{op}: dtype {dtype:?} is not supported (expected {expected})")]
    DType { op: &'static str, dtype: DType, expected: &'static str },

    /// The tensor would not fit in memory, or its element count overflows `usize`.
    #[error("{op}: cannot allocate a tensor of shape {shape} ({bytes} bytes)")]
    OutOfMemory { op: &'static str, shape: Shape, bytes: u128 },

    /// Misuse of the autodiff graph, e.g. backward on a non-scalar or a freed graph.
    #[error("backward: {0}")]
    Autodiff(String),

    /// An index outside its axis, e.g. in `index_select` or `gather`.
    #[error("{op}: index {index} is out of range for an axis of size {size}")]
    Index { op: &'static str, index: i64, size: usize },
}

/// `Result` with fovea-core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn shape(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Shape { op, msg: msg.into() }
    }
    pub(crate) fn arg(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Argument { op, msg: msg.into() }
    }
}
