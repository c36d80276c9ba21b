//! The layer library. One file per layer family; each layer has a config struct whose
//! fields are Keras's argument names, with Keras's defaults.

pub(crate) mod common;
mod dense;

pub use common::DataFormat;
pub use dense::{Dense, DenseConfig};
pub use fovea_core::ops::geometry::Padding;

mod conv;
mod padding;
mod pooling;
pub use conv::{Conv1D, Conv1DConfig, Conv2D, Conv2DConfig};
pub use padding::{Cropping2D, Cropping2DConfig, Pairs2D, ZeroPadding2D, ZeroPadding2DConfig};
pub use pooling::{
    AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalPoolingConfig, MaxPooling1D, MaxPooling2D, Pooling1DConfig, Pooling2DConfig,
};
