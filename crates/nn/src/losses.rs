//! Losses with Keras 3's definitions and defaults. A loss maps `(y_true, y_pred)` of a
//! batch to a scalar: the mean over the batch of the per-sample loss
//! (Keras's `sum_over_batch_size` reduction).
//!
//! Like Keras, `y_true` is first cast to float and brought to `y_pred`'s rank when the
//! ranks differ by one with a trailing 1 (`squeeze_or_expand_to_same_rank`), so labels
//! `(batch,)` work against predictions `(batch, 1)`.

mod crossentropy;
mod regression;

use fovea_core::{DType, Tensor};

use crate::error::training_error;
use crate::Result;

pub use crossentropy::{BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy};
pub use regression::{Huber, MeanAbsoluteError, MeanSquaredError};

/// Keras's `backend.epsilon()`: probabilities are clipped to `[EPSILON, 1 - EPSILON]`
/// before their log is taken.
pub const EPSILON: f32 = 1e-7;

/// A training objective.
pub trait Loss: Send + Sync {
    /// Keras's name for it (`categorical_crossentropy`), used in logs and History.
    fn name(&self) -> &str;

    /// The scalar loss of a batch; gradients flow to `y_pred`.
    ///
    /// # Shapes
    /// `y_pred` is `(batch, ...)`; `y_true` is the same shape, or for sparse losses the
    /// class ids `(batch,)` (f32 or int64). Returns a scalar (shape `()`).
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor>;
}

/// A boxed loss is a loss (losses made at run time, from a name or a config).
impl<L: Loss + ?Sized> Loss for Box<L> {
    fn name(&self) -> &str {
        self.as_ref().name()
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        self.as_ref().call(y_true, y_pred)
    }
}

/// `y_true` as detached f32 (labels may be int64; they never receive gradients).
pub(crate) fn float_labels(y_true: &Tensor) -> Result<Tensor> {
    let t = y_true.detach();
    Ok(if t.dtype() == DType::F32 { t } else { t.to_dtype(DType::F32)? })
}

/// Keras's `squeeze_or_expand_to_same_rank(y_true, y_pred)` followed by the shape check
/// the Keras backends make: afterwards both have exactly the same shape.
pub(crate) fn align(name: &str, y_true: &Tensor, y_pred: &Tensor) -> Result<(Tensor, Tensor)> {
    let mut t = float_labels(y_true)?;
    let mut p = y_pred.clone();
    let (rt, rp) = (t.rank(), p.rank());
    if rt == rp + 1 && t.dims()[rt - 1] == 1 {
        if rp == 1 {
            p = p.unsqueeze(-1)?;
        } else {
            t = t.squeeze(-1)?;
        }
    } else if rp == rt + 1 && p.dims()[rp - 1] == 1 {
        if rt == 1 {
            t = t.unsqueeze(-1)?;
        } else {
            p = p.squeeze(-1)?;
        }
    }
    if t.dims() != p.dims() {
        return Err(training_error(
            name,
            format!(
                "y_true and y_pred must have the same shape, received y_true.shape={} and y_pred.shape={}",
                y_true.shape(),
                y_pred.shape()
            ),
        ));
    }
    Ok((t, p))
}
