//! Regression metrics with Keras 3's definitions (keras/src/metrics/regression_metrics.py):
//! the mean over samples of a per-sample error, computed on the host.

use fovea_core::Tensor;

use super::RunningMean;
use crate::losses::align;
use crate::Result;

/// Per-element errors of `y_true` against `y_pred` after Keras's rank alignment, and
/// their shape.
fn errors(name: &str, y_true: &Tensor, y_pred: &Tensor, f: impl Fn(f32) -> f32) -> Result<(Vec<f32>, Vec<usize>)> {
    let (t, p) = align(name, y_true, &y_pred.detach())?;
    let dims = p.dims().to_vec();
    let (t, p) = (t.to_vec_f32()?, p.to_vec_f32()?);
    Ok((t.iter().zip(&p).map(|(a, b)| f(b - a)).collect(), dims))
}

macro_rules! regression_metric {
    ($(#[$doc:meta])* $ty:ident, $keras:literal, $f:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $ty {
            name: String,
            state: RunningMean,
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty { name: $keras.to_string(), state: RunningMean::default() }
            }
        }

        impl $ty {
            /// Logs under `name` (Keras's `"mae"` string gives a metric named `mae`).
            pub fn with_name(mut self, name: impl Into<String>) -> Self {
                self.name = name.into();
                self
            }

            fn values(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<(Vec<f32>, Vec<usize>)> {
                errors(&self.name, y_true, y_pred, $f)
            }
        }

        impl_mean_metric!($ty);
    };
}

regression_metric!(
    /// The mean absolute error (Keras `MeanAbsoluteError`, `"mae"`).
    ///
    /// # Shapes
    /// `y_true` and `y_pred` the same shape (up to a trailing 1), `(batch, ...)`.
    MeanAbsoluteError,
    "mean_absolute_error",
    f32::abs
);

regression_metric!(
    /// The mean squared error (Keras `MeanSquaredError`, `"mse"`).
    ///
    /// # Shapes
    /// `y_true` and `y_pred` the same shape (up to a trailing 1), `(batch, ...)`.
    MeanSquaredError,
    "mean_squared_error",
    |d: f32| d * d
);
