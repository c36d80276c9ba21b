//! The layer library. One file per layer family; each layer has a config struct whose
//! fields are Keras's argument names, with Keras's defaults.

pub(crate) mod common;
mod dense;
mod recurrent;

mod activation;
mod dropout;
mod embedding;
mod merge;
mod normalization;
mod normalization_local;
mod reshaping;

pub use common::{DataFormat, Size2};
pub use dense::{Dense, DenseConfig};
pub use fovea_core::ops::geometry::Padding;

mod conv;
mod padding;
mod pooling;
pub use activation::{ActivationLayer, LeakyReLU, ReLU, ReLUConfig, Softmax};
pub use conv::{Conv1D, Conv1DConfig, Conv2D, Conv2DConfig};
pub use dropout::{Dropout, DropoutConfig};
pub use embedding::{Embedding, EmbeddingConfig};
pub use merge::{Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract};
pub use normalization::{BatchNormalization, BatchNormalizationConfig, RenormClipping};
pub use normalization_local::{
    LayerNormalization, LayerNormalizationConfig, LocalResponseNormalization, LocalResponseNormalizationConfig,
};
pub use padding::{Cropping2D, Cropping2DConfig, Pairs2D, ZeroPadding2D, ZeroPadding2DConfig};
pub use pooling::{
    AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalPoolingConfig, MaxPooling1D, MaxPooling2D, Pooling1DConfig, Pooling2DConfig,
};
pub use recurrent::{GRUConfig, LSTMConfig, SimpleRNN, SimpleRNNConfig, GRU, LSTM};

/// The recurrent layers go by Keras's class names; these are the names they had before.
#[deprecated(note = "use GRU, Keras's class name")]
pub type Gru = GRU;
#[deprecated(note = "use GRUConfig")]
/// The earlier name.
pub type GruConfig = GRUConfig;
#[deprecated(note = "use LSTM, Keras's class name")]
/// The earlier name.
pub type Lstm = LSTM;
#[deprecated(note = "use LSTMConfig")]
/// The earlier name.
pub type LstmConfig = LSTMConfig;
#[deprecated(note = "use SimpleRNN, Keras's class name")]
/// The earlier name.
pub type SimpleRnn = SimpleRNN;
#[deprecated(note = "use SimpleRNNConfig")]
/// The earlier name.
pub type SimpleRnnConfig = SimpleRNNConfig;
pub use reshaping::{Flatten, Permute, Reshape};
