//! Metrics: running statistics over the batches of an epoch, as Keras's stateful
//! metrics (`update_state`, `result`, `reset_state`).

use fovea_core::Tensor;

use crate::Result;

/// A metric accumulated over batches.
pub trait Metric: Send {
    /// Keras's name (`accuracy`, `top_k_categorical_accuracy`), used in logs and History.
    fn name(&self) -> &str;
    /// Adds one batch.
    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor) -> Result<()>;
    /// The value over everything since the last reset.
    fn result(&self) -> f64;
    /// Starts over (each epoch, and before evaluation).
    fn reset(&mut self);
}
