//! The layer library. One file per layer family; each layer has a config struct whose
//! fields are Keras's argument names, with Keras's defaults.

pub(crate) mod common;
mod dense;
mod normalization;
mod normalization_local;

pub use common::DataFormat;
pub use dense::{Dense, DenseConfig};
pub use fovea_core::ops::geometry::Padding;
pub use normalization::{BatchNormalization, BatchNormalizationConfig, RenormClipping};
pub use normalization_local::{
    LayerNormalization, LayerNormalizationConfig, LocalResponseNormalization, LocalResponseNormalizationConfig,
};
