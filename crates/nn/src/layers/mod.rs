//! The layer library. One file per layer family; each layer has a config struct whose
//! fields are Keras's argument names, with Keras's defaults.

pub(crate) mod common;
mod dense;
mod recurrent;

pub use common::DataFormat;
pub use dense::{Dense, DenseConfig};
pub use fovea_core::ops::geometry::Padding;
pub use recurrent::{Gru, GruConfig, Lstm, LstmConfig, SimpleRnn, SimpleRnnConfig};
