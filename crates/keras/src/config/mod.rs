//! Keras model configs (`config.json`, or a legacy `.h5` file's `model_config`):
//! parsing into plain data ([`ModelSpec`]), and the per-layer option parsing the
//! registry's builders use.

pub(crate) mod args;
pub(crate) mod layers_basic;
pub(crate) mod layers_conv;
pub(crate) mod layers_norm_rnn;
pub(crate) mod objects;
mod spec;

pub use args::Dialect;
pub use spec::{parse_config, LayerSpec, ModelKind, ModelSpec, NodeSpec, TensorRef};
