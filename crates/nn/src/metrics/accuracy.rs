//! Accuracy metrics with Keras 3's definitions (keras/src/metrics/accuracy_metrics.py),
//! computed on the host: metrics need no gradients.

use fovea_core::Tensor;

use super::{Metric, RunningMean};
use crate::error::training_error;
use crate::losses::float_labels;
use crate::Result;

/// Per-element match values (1.0 or 0.0) and the shape they have.
type Matches = (Vec<f32>, Vec<usize>);

fn shape_error(name: &str, what: &str, y_true: &Tensor, y_pred: &Tensor) -> crate::Error {
    training_error(
        name,
        format!("{what}, received y_true.shape={} and y_pred.shape={}", y_true.shape(), y_pred.shape()),
    )
}

/// Keras's `squeeze_or_expand_to_same_rank`, then equal shapes are required.
fn aligned(name: &str, y_true: &Tensor, y_pred: &Tensor) -> Result<(Vec<f32>, Vec<f32>, Vec<usize>)> {
    let (t, p) = crate::losses::align(name, y_true, y_pred)?;
    Ok((t.to_vec_f32()?, p.to_vec_f32()?, p.dims().to_vec()))
}

/// Index of the first maximum of each row of length `n`.
fn argmax_rows(v: &[f32], n: usize) -> Vec<usize> {
    v.chunks(n.max(1))
        .map(|row| {
            let mut best = 0;
            for (i, &x) in row.iter().enumerate() {
                if x > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}

/// Keras's `in_top_k` (JAX backend): the rank of the label's score is 1 + the number of
/// strictly larger scores, so ties count in the label's favour; a NaN score at the label
/// never counts.
fn in_top_k(row: &[f32], label: usize, k: usize) -> bool {
    let at = row[label];
    let at = if at.is_nan() { f32::NEG_INFINITY } else { at };
    row.iter().filter(|&&x| x > at).count() < k
}

/// Class ids from sparse labels whose shape must be `y_pred`'s without the class axis
/// (a trailing 1 is squeezed first).
fn sparse_labels(name: &str, y_true: &Tensor, y_pred: &Tensor) -> Result<(Vec<f32>, Vec<usize>)> {
    let mut t = float_labels(y_true)?;
    if t.rank() == y_pred.rank() && t.rank() > 0 && t.dims()[t.rank() - 1] == 1 {
        t = t.squeeze(-1)?;
    }
    let rp = y_pred.rank();
    if rp == 0 || t.dims() != &y_pred.dims()[..rp - 1] {
        return Err(shape_error(name, "y_true must have y_pred's shape without its last (class) axis", y_true, y_pred));
    }
    Ok((t.to_vec_f32()?, t.dims().to_vec()))
}

fn one_hot_argmax(name: &str, y_true: &Tensor, y_pred: &Tensor) -> Result<(Vec<usize>, Vec<usize>)> {
    if y_true.dims() != y_pred.dims() || y_pred.rank() == 0 {
        return Err(shape_error(name, "y_true and y_pred must have the same shape", y_true, y_pred));
    }
    let n = y_pred.dims()[y_pred.rank() - 1];
    Ok((argmax_rows(&float_labels(y_true)?.to_vec_f32()?, n), y_pred.dims()[..y_pred.rank() - 1].to_vec()))
}

fn label_index(name: &str, label: f32, classes: usize) -> Result<usize> {
    if label.fract() != 0.0 || label < 0.0 || label >= classes as f32 {
        return Err(training_error(name, format!("label {label} is not a class id in [0, {classes})")));
    }
    Ok(label as usize)
}

macro_rules! accuracy_metric {
    ($(#[$doc:meta])* $ty:ident, $keras:literal { $($(#[$fdoc:meta])* $field:ident : $fty:ty = $default:expr),* }, |$s:ident, $yt:ident, $yp:ident| $body:block) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $ty {
            name: String,
            state: RunningMean,
            $($(#[$fdoc])* pub $field: $fty,)*
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty { name: $keras.to_string(), state: RunningMean::default(), $($field: $default,)* }
            }
        }

        impl $ty {
            /// The same metric under another name (Keras names the metric resolved from
            /// `"accuracy"` by that string).
            pub fn with_name(mut self, name: impl Into<String>) -> Self {
                self.name = name.into();
                self
            }

            fn values(&self, $yt: &Tensor, $yp: &Tensor) -> Result<Matches> {
                let $s = self;
                $body
            }
        }

        impl_mean_metric!($ty);
    };
}

accuracy_metric!(
    /// How often `y_pred` equals `y_true` exactly (Keras `Accuracy`).
    ///
    /// # Shapes
    /// `y_true` and `y_pred` the same shape (up to a trailing 1).
    Accuracy, "accuracy" {},
    |s, y_true, y_pred| {
        let (t, p, dims) = aligned(&s.name, y_true, y_pred)?;
        Ok((t.iter().zip(&p).map(|(a, b)| f32::from(a == b)).collect(), dims))
    }
);

accuracy_metric!(
    /// How often `y_pred > threshold` equals the 0/1 label (Keras `BinaryAccuracy`).
    ///
    /// # Shapes
    /// `y_true` and `y_pred` the same shape (up to a trailing 1).
    BinaryAccuracy, "binary_accuracy" {
        /// Predictions above it count as 1 (Keras default 0.5).
        threshold: f32 = 0.5
    },
    |s, y_true, y_pred| {
        let (t, p, dims) = aligned(&s.name, y_true, y_pred)?;
        Ok((t.iter().zip(&p).map(|(&a, &b)| f32::from(a == f32::from(u8::from(b > s.threshold)))).collect(), dims))
    }
);

accuracy_metric!(
    /// How often the arg-max of `y_pred` is the arg-max of the one-hot `y_true` (Keras
    /// `CategoricalAccuracy`).
    ///
    /// # Shapes
    /// `y_true` and `y_pred` `(batch, ..., classes)`.
    CategoricalAccuracy, "categorical_accuracy" {},
    |s, y_true, y_pred| {
        let (t, dims) = one_hot_argmax(&s.name, y_true, y_pred)?;
        let n = y_pred.dims()[y_pred.rank() - 1];
        let p = argmax_rows(&y_pred.to_vec_f32()?, n);
        Ok((t.iter().zip(&p).map(|(a, b)| f32::from(u8::from(a == b))).collect(), dims))
    }
);

accuracy_metric!(
    /// How often the arg-max of `y_pred` is the integer label (Keras
    /// `SparseCategoricalAccuracy`).
    ///
    /// # Shapes
    /// `y_pred` `(batch, ..., classes)`; `y_true` `(batch, ...)` or `(batch, ..., 1)`.
    SparseCategoricalAccuracy, "sparse_categorical_accuracy" {},
    |s, y_true, y_pred| {
        let (t, dims) = sparse_labels(&s.name, y_true, y_pred)?;
        let n = y_pred.dims()[y_pred.rank() - 1];
        let p = argmax_rows(&y_pred.to_vec_f32()?, n);
        // Keras compares the float label with the arg-max cast to float.
        Ok((t.iter().zip(&p).map(|(&a, &b)| f32::from(u8::from(a == b as f32))).collect(), dims))
    }
);

accuracy_metric!(
    /// How often the one-hot target is among the `k` highest scores (Keras
    /// `TopKCategoricalAccuracy`; AlexNet's top-5 error is 1 minus it).
    ///
    /// # Shapes
    /// `y_true` and `y_pred` `(batch, ..., classes)`.
    TopKCategoricalAccuracy, "top_k_categorical_accuracy" {
        /// How many of the highest scores count (Keras default 5).
        k: usize = 5
    },
    |s, y_true, y_pred| {
        let (t, dims) = one_hot_argmax(&s.name, y_true, y_pred)?;
        let n = y_pred.dims()[y_pred.rank() - 1];
        let p = y_pred.to_vec_f32()?;
        Ok((t.iter().zip(p.chunks(n.max(1))).map(|(&l, row)| f32::from(u8::from(in_top_k(row, l, s.k)))).collect(), dims))
    }
);

accuracy_metric!(
    /// How often the integer label is among the `k` highest scores (Keras
    /// `SparseTopKCategoricalAccuracy`).
    ///
    /// # Shapes
    /// `y_pred` `(batch, ..., classes)`; `y_true` `(batch, ...)` or `(batch, ..., 1)`.
    SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy" {
        /// How many of the highest scores count (Keras default 5).
        k: usize = 5
    },
    |s, y_true, y_pred| {
        let (t, dims) = sparse_labels(&s.name, y_true, y_pred)?;
        let n = y_pred.dims()[y_pred.rank() - 1];
        let p = y_pred.to_vec_f32()?;
        let mut out = Vec::with_capacity(t.len());
        for (&l, row) in t.iter().zip(p.chunks(n.max(1))) {
            out.push(f32::from(u8::from(in_top_k(row, label_index(&s.name, l, n)?, s.k))));
        }
        Ok((out, dims))
    }
);

/// The metric Keras's `compile(metrics=["accuracy"])` picks (compile_utils
/// `get_metric`): binary when `y_pred`'s last axis is 1, else sparse categorical when
/// `y_true` has lower rank or a last axis of 1, else categorical. Keras decides from the
/// shapes of the first batch only, not from the loss. The metric is named `identifier`
/// (`"accuracy"` or `"acc"`), as in Keras.
///
/// # Shapes
/// `y_true_shape` and `y_pred_shape` are the shapes of a batch (rank >= 1).
pub fn accuracy_for(identifier: &str, y_true_shape: &[usize], y_pred_shape: &[usize]) -> Box<dyn Metric> {
    let last = |s: &[usize]| s.last().copied().unwrap_or(1);
    let is_binary = last(y_pred_shape) == 1;
    let is_sparse = y_true_shape.len() < y_pred_shape.len() || (last(y_true_shape) == 1 && last(y_pred_shape) > 1);
    if is_binary {
        Box::new(BinaryAccuracy::default().with_name(identifier))
    } else if is_sparse {
        Box::new(SparseCategoricalAccuracy::default().with_name(identifier))
    } else {
        Box::new(CategoricalAccuracy::default().with_name(identifier))
    }
}

impl BinaryAccuracy {
    /// Binary accuracy at `threshold`.
    pub fn new(threshold: f32) -> Self {
        BinaryAccuracy { threshold, ..Default::default() }
    }
}

impl TopKCategoricalAccuracy {
    /// Top-`k` accuracy against one-hot targets.
    pub fn new(k: usize) -> Self {
        TopKCategoricalAccuracy { k, ..Default::default() }
    }
}

impl SparseTopKCategoricalAccuracy {
    /// Top-`k` accuracy against integer labels.
    pub fn new(k: usize) -> Self {
        SparseTopKCategoricalAccuracy { k, ..Default::default() }
    }
}

/// Keras's `metrics=["accuracy"]`: an accuracy logged as `accuracy` that becomes the
/// binary, sparse categorical or categorical accuracy on its first batch, by the rule of
/// [`accuracy_for`] (Keras resolves the string the same way when it first sees the
/// targets and predictions), so no shapes are needed up front.
///
/// ```
/// use fovea_core::Tensor;
/// use fovea_nn::metrics::{accuracy, Metric};
/// let mut m = accuracy();
/// // Integer labels against 3 class scores: sparse categorical accuracy.
/// let y_true = Tensor::from_vec_i64(vec![0, 2], [2])?;
/// let y_pred = Tensor::from_vec(vec![0.8, 0.1, 0.1, 0.3, 0.5, 0.2], [2, 3])?;
/// m.update(&y_true, &y_pred)?;
/// assert_eq!((m.name(), m.result()), ("accuracy", 0.5));
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub fn accuracy() -> AutoAccuracy {
    AutoAccuracy { name: "accuracy".into(), resolved: None }
}

/// The metric [`accuracy()`] returns.
pub struct AutoAccuracy {
    name: String,
    resolved: Option<Box<dyn Metric>>,
}

impl AutoAccuracy {
    /// Logs under `name` instead of `accuracy` (Keras's `"acc"` logs as `acc`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

impl Metric for AutoAccuracy {
    fn name(&self) -> &str {
        &self.name
    }
    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor) -> Result<()> {
        let name = &self.name;
        self.resolved.get_or_insert_with(|| accuracy_for(name, y_true.dims(), y_pred.dims())).update(y_true, y_pred)
    }
    fn result(&self) -> f64 {
        self.resolved.as_ref().map_or(0.0, |m| m.result())
    }
    fn reset(&mut self) {
        if let Some(m) = self.resolved.as_mut() {
            m.reset();
        }
    }
}
