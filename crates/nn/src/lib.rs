//! fovea-nn: Keras-semantics layers, models, `summary()`, losses, optimizers and the
//! training loop, built on fovea-core.
//!
//! Options are Rust enums and config structs whose field names are Keras's argument
//! names (`filters`, `kernel_size`, `strides`, `padding`, ...); the Keras strings
//! themselves (`"same"`, `"glorot_uniform"`) belong to fovea-keras.

#![warn(missing_docs)]

pub mod activations;
pub mod constraints;
pub mod data;
mod error;
pub mod initializers;
pub mod layer;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod optimizers;
pub mod regularizers;
mod spec;
pub mod training;
mod variable;
pub mod weight_budget;

pub use activations::Activation;
pub use constraints::Constraint;
pub use error::{Error, Result};
pub use initializers::Initializer;
pub use layer::{CallContext, Layer};
pub use losses::Loss;
pub use metrics::Metric;
pub use model::{Functional, Model, Sequential};
pub use model::{LayerCall, TensorRef};
pub use optimizers::{LearningRate, Optimizer};
pub use regularizers::Regularizer;
pub use spec::ShapeSpec;
pub use variable::Variable;
pub mod checkpoint;
pub mod history;
pub mod plot;
pub mod progress;
pub use checkpoint::{load_checkpoint, load_weights, named_weights, save_checkpoint, save_weights, Checkpoint};
pub use history::History;
pub use plot::plot_history;
pub use progress::Progbar;
mod atomic;
