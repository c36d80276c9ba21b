//! Metrics: running statistics over the batches of an epoch, as Keras's stateful
//! metrics (`update_state`, `result`, `reset_state`).
//!
//! Every metric here is a Keras `MeanMetricWrapper`: a batch gives one value per element,
//! those are averaged per sample (over the non-batch axes), and the result is the sum of
//! the per-sample values divided by the number of samples seen, so batches count by
//! their size, as in Keras.

use fovea_core::Tensor;

use crate::Result;

pub use accuracy::{
    accuracy, accuracy_for, Accuracy, AutoAccuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
};
pub use regression::{MeanAbsoluteError, MeanSquaredError};

/// A metric accumulated over batches.
pub trait Metric: Send {
    /// Keras's name (`accuracy`, `top_k_categorical_accuracy`), used in logs and History.
    fn name(&self) -> &str;
    /// Adds one batch.
    ///
    /// # Shapes
    /// Each metric documents the shapes it takes; `(batch, ...)` both.
    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor) -> Result<()>;
    /// The value over everything since the last reset (0 before any update, as Keras's
    /// `divide_no_nan`).
    fn result(&self) -> f64;
    /// Starts over (each epoch, and before evaluation).
    fn reset(&mut self);
}

/// A boxed metric is a metric, so lists of boxes and single values mix freely.
impl<M: Metric + ?Sized> Metric for Box<M> {
    fn name(&self) -> &str {
        self.as_ref().name()
    }
    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor) -> Result<()> {
        self.as_mut().update(y_true, y_pred)
    }
    fn result(&self) -> f64 {
        self.as_ref().result()
    }
    fn reset(&mut self) {
        self.as_mut().reset()
    }
}

/// [`Metric`] for a struct with fields `name: String` and `state: RunningMean` and a
/// method `values(&self, y_true, y_pred) -> Result<(values, dims)>` giving one value per
/// element: Keras's `MeanMetricWrapper`.
macro_rules! impl_mean_metric {
    ($ty:ident) => {
        impl $crate::metrics::Metric for $ty {
            fn name(&self) -> &str {
                &self.name
            }
            fn update(&mut self, y_true: &Tensor, y_pred: &Tensor) -> Result<()> {
                let (values, dims) = self.values(y_true, y_pred)?;
                self.state.add_batch(&values, &dims);
                Ok(())
            }
            fn result(&self) -> f64 {
                self.state.result()
            }
            fn reset(&mut self) {
                self.state = RunningMean::default();
            }
        }
    };
}
// Defined before the modules below, which use it by textual scope.
mod accuracy;
mod regression;

/// Keras's `total` / `count` pair.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct RunningMean {
    total: f64,
    count: f64,
}

impl RunningMean {
    /// Adds the values of one batch of shape `dims` (Keras `reduce_to_samplewise_values`:
    /// mean over the non-batch axes, then each sample counts once; a scalar counts once).
    pub(crate) fn add_batch(&mut self, values: &[f32], dims: &[usize]) {
        let samples = dims.first().copied().unwrap_or(1);
        if samples == 0 {
            return;
        }
        let per_sample = values.len() / samples;
        let sum: f64 = values.iter().map(|&v| v as f64).sum();
        if per_sample > 0 {
            self.total += sum / per_sample as f64;
        }
        self.count += samples as f64;
    }

    pub(crate) fn add_weighted(&mut self, value: f64, weight: f64) {
        self.total += value * weight;
        self.count += weight;
    }

    pub(crate) fn result(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.total / self.count
        }
    }
}

/// The running mean of a value (Keras `Mean`); the training loop tracks the loss with
/// one, weighting each batch's loss by its batch size as Keras does.
#[derive(Clone, Debug, PartialEq)]
pub struct Mean {
    name: String,
    state: RunningMean,
}

impl Mean {
    /// A mean named `name` (Keras's default name is `mean`; the loss tracker's is `loss`).
    pub fn new(name: impl Into<String>) -> Self {
        Mean { name: name.into(), state: RunningMean::default() }
    }

    /// Adds `value` with weight `weight` (Keras `update_state(value, sample_weight=w)`
    /// for a scalar value).
    pub fn update_value(&mut self, value: f64, weight: f64) {
        self.state.add_weighted(value, weight);
    }
}

impl Default for Mean {
    fn default() -> Self {
        Mean::new("mean")
    }
}

impl Metric for Mean {
    fn name(&self) -> &str {
        &self.name
    }
    /// Averages the values in `y_pred` (Keras `Mean.update_state(values)`); `y_true` is
    /// not used.
    fn update(&mut self, _y_true: &Tensor, y_pred: &Tensor) -> Result<()> {
        let v = y_pred.to_vec_f32()?;
        self.state.add_batch(&v, y_pred.dims());
        Ok(())
    }
    fn result(&self) -> f64 {
        self.state.result()
    }
    fn reset(&mut self) {
        self.state = RunningMean::default();
    }
}
