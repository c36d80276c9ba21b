//! The layer library. One file per layer family; each layer has a config struct whose
//! fields are Keras's argument names, with Keras's defaults.

pub(crate) mod common;
mod dense;

mod activation;
mod dropout;
mod embedding;
mod merge;
mod reshaping;

pub use common::DataFormat;
pub use dense::{Dense, DenseConfig};
pub use fovea_core::ops::geometry::Padding;

pub use activation::{ActivationLayer, LeakyReLU, ReLU, ReLUConfig, Softmax};
pub use dropout::{Dropout, DropoutConfig};
pub use embedding::{Embedding, EmbeddingConfig};
pub use merge::{Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract};
pub use reshaping::{Flatten, Permute, Reshape};
