//! Regression losses: mean squared error, mean absolute error, Huber.

use fovea_core::Tensor;

use super::{align, Loss};
use crate::error::training_error;
use crate::Result;

/// `mean((y_true - y_pred)^2)` (Keras `MeanSquaredError`).
///
/// # Shapes
/// `y_true` and `y_pred` `(batch, ...)`, same shape (up to a trailing 1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanSquaredError;

impl Loss for MeanSquaredError {
    fn name(&self) -> &str {
        "mean_squared_error"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = align(self.name(), y_true, y_pred)?;
        // Keras takes the mean over the last axis, then over the batch; all lanes have
        // the same length, so that is the mean of everything.
        Ok(t.sub(&p)?.square()?.mean_all()?)
    }
}

/// `mean(|y_true - y_pred|)` (Keras `MeanAbsoluteError`).
///
/// # Shapes
/// `y_true` and `y_pred` `(batch, ...)`, same shape (up to a trailing 1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanAbsoluteError;

impl Loss for MeanAbsoluteError {
    fn name(&self) -> &str {
        "mean_absolute_error"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = align(self.name(), y_true, y_pred)?;
        Ok(t.sub(&p)?.abs()?.mean_all()?)
    }
}

/// Huber loss (Keras `Huber`, name `huber_loss`): `0.5 e^2` where `|e| <= delta`, else
/// `delta |e| - 0.5 delta^2`, with `e = y_pred - y_true`; the mean of that.
///
/// # Shapes
/// `y_true` and `y_pred` `(batch, ...)`, same shape (up to a trailing 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Huber {
    /// Where the loss turns from quadratic to linear (Keras default 1.0).
    pub delta: f32,
}

impl Default for Huber {
    fn default() -> Self {
        Huber { delta: 1.0 }
    }
}

impl Huber {
    /// A Huber loss with this `delta`; it must be finite and >= 0.
    pub fn new(delta: f32) -> Result<Self> {
        if !(delta.is_finite() && delta >= 0.0) {
            return Err(training_error(
                "huber_loss",
                format!("`delta` must be finite and >= 0, received delta={delta}"),
            ));
        }
        Ok(Huber { delta })
    }
}

impl Loss for Huber {
    fn name(&self) -> &str {
        "huber_loss"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = align(self.name(), y_true, y_pred)?;
        let e = p.sub(&t)?;
        let abs = e.abs()?;
        let quadratic = e.square()?.mul_scalar(0.5)?;
        let linear = abs.mul_scalar(self.delta)?.add_scalar(-0.5 * self.delta * self.delta)?;
        let inside = abs.le(&Tensor::scalar(self.delta))?;
        Ok(Tensor::where_(&inside, &quadratic, &linear)?.mean_all()?)
    }
}
