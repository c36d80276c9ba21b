//! Losses with Keras 3's definitions and defaults. A loss maps `(y_true, y_pred)` of a
//! batch to a scalar: the mean over the batch of the per-sample loss
//! (Keras's `sum_over_batch_size` reduction).

use fovea_core::Tensor;

use crate::Result;

/// A training objective.
pub trait Loss: Send + Sync {
    /// Keras's name for it (`categorical_crossentropy`), used in logs and History.
    fn name(&self) -> &str;

    /// The scalar loss of a batch; gradients flow to `y_pred`.
    ///
    /// # Shapes
    /// `y_pred` is `(batch, ...)`; `y_true` is the same shape, or for sparse losses the
    /// class ids `(batch,)` (f32 or int64).
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor>;
}
