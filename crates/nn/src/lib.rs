//! fovea-nn: Keras-semantics layers, models, `summary()`, losses, optimizers and the
//! training loop, built on fovea-core. The layer library lands with the layers issue;
//! this crate is laid out now so the workspace has its final shape.

#![warn(missing_docs)]

pub mod initializers;

pub use initializers::Initializer;
pub mod activations;
pub mod constraints;
pub mod regularizers;

pub use activations::Activation;
pub use constraints::Constraint;
pub use regularizers::Regularizer;
