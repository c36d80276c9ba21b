//! Errors of the Go crate: every one names what was wrong and where.

/// What can go wrong with a Go position, file or protocol line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A vertex that cannot be read or lies off the board.
    #[error("vertex '{vertex}' on a {size}x{size} board: {msg}")]
    Vertex { vertex: String, size: usize, msg: String },
    /// A move the rules forbid.
    #[error("illegal move {mv} by {color}: {msg}")]
    IllegalMove { color: crate::Color, mv: String, msg: String },
    /// A board size outside 2..=25, or a bad komi or handicap.
    #[error("{0}")]
    Setup(String),
    /// A malformed SGF or kifu file: where, and what was expected.
    #[error("{file}:{line}:{column}: {msg}")]
    Parse { file: String, line: usize, column: usize, msg: String },
    /// A file that cannot be read or written.
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
    /// The network or the tensor engine failed.
    #[error(transparent)]
    Nn(#[from] fovea_nn::Error),
    /// Anything else, said in words.
    #[error("{0}")]
    Other(String),
}

/// This crate's result.
pub type Result<T> = std::result::Result<T, Error>;
