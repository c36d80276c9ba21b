//! Cross-entropy losses with Keras 3's JAX-backend formulas: probabilities are
//! renormalised (categorical) and clipped to `[1e-7, 1 - 1e-7]` before the log; logits
//! go through a stable log-softmax / log-sigmoid instead.

use fovea_core::{normalize_axis, Tensor};

use super::{align, float_labels, Loss, EPSILON};
use crate::error::training_error;
use crate::Result;

/// `log` of the class probabilities along `axis`, as Keras computes it.
fn log_probs(y_pred: &Tensor, from_logits: bool, axis: isize) -> Result<Tensor> {
    if from_logits {
        return Ok(y_pred.log_softmax(axis)?);
    }
    // Keras divides by the sum first, so un-normalised scores are accepted.
    let p = y_pred.div(&y_pred.sum(&[axis], true)?)?;
    Ok(p.clamp(EPSILON, 1.0 - EPSILON)?.log()?)
}

fn check_smoothing(name: &str, label_smoothing: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&label_smoothing) {
        return Err(training_error(name, format!("`label_smoothing` must be in [0, 1], received {label_smoothing}")));
    }
    Ok(())
}

/// Cross-entropy against one-hot (or soft) targets (Keras `CategoricalCrossentropy`).
///
/// # Shapes
/// `y_true` and `y_pred` `(batch, ..., classes)` (classes along `axis`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CategoricalCrossentropy {
    /// `y_pred` holds logits rather than probabilities (Keras default false).
    pub from_logits: bool,
    /// In [0, 1]: targets become `y (1 - s) + s / classes` (Keras default 0).
    pub label_smoothing: f32,
    /// The class axis (Keras default -1).
    pub axis: isize,
}

impl Default for CategoricalCrossentropy {
    fn default() -> Self {
        CategoricalCrossentropy { from_logits: false, label_smoothing: 0.0, axis: -1 }
    }
}

impl Loss for CategoricalCrossentropy {
    fn name(&self) -> &str {
        "categorical_crossentropy"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let name = self.name();
        check_smoothing(name, self.label_smoothing)?;
        let t = float_labels(y_true)?;
        if t.dims() != y_pred.dims() || y_pred.rank() == 0 {
            return Err(training_error(
                name,
                format!(
                    "y_true and y_pred must have the same shape of rank >= 1, received y_true.shape={} and y_pred.shape={}",
                    y_true.shape(),
                    y_pred.shape()
                ),
            ));
        }
        let axis = normalize_axis("categorical_crossentropy", self.axis, y_pred.rank())? as isize;
        let mut t = t;
        if self.label_smoothing > 0.0 {
            // Keras uses the last axis of y_true for the class count, whatever `axis` is.
            let classes = t.dims()[t.rank() - 1] as f32;
            let s = self.label_smoothing;
            t = t.mul_scalar(1.0 - s)?.add_scalar(s / classes)?;
        }
        let per_sample = t.mul(&log_probs(y_pred, self.from_logits, axis)?)?.sum(&[axis], false)?.neg()?;
        Ok(per_sample.mean_all()?)
    }
}

/// Cross-entropy against integer class ids (Keras `SparseCategoricalCrossentropy`).
///
/// # Shapes
/// `y_pred` `(batch, ..., classes)`; `y_true` `(batch, ...)` or `(batch, ..., 1)`,
/// f32 or int64 class ids.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SparseCategoricalCrossentropy {
    /// `y_pred` holds logits rather than probabilities (Keras default false).
    pub from_logits: bool,
    /// A label (such as -1 or 255) whose samples add nothing; the mean is then over the
    /// other samples only (Keras default none).
    pub ignore_class: Option<i64>,
}

impl Loss for SparseCategoricalCrossentropy {
    fn name(&self) -> &str {
        "sparse_categorical_crossentropy"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let name = self.name();
        let mut t = float_labels(y_true)?;
        if t.rank() == y_pred.rank() && t.rank() > 0 && t.dims()[t.rank() - 1] == 1 {
            t = t.squeeze(-1)?;
        }
        let rp = y_pred.rank();
        if rp == 0 || t.dims() != &y_pred.dims()[..rp - 1] {
            return Err(training_error(
                name,
                format!(
                    "y_true must have y_pred's shape without its last (class) axis, received y_true.shape={} and y_pred.shape={}",
                    y_true.shape(),
                    y_pred.shape()
                ),
            ));
        }
        let classes = y_pred.dims()[rp - 1];
        let labels = t.to_vec_f32()?;
        let mut one_hot = vec![0f32; labels.len() * classes];
        let mut valid = 0usize;
        for (i, &l) in labels.iter().enumerate() {
            let id = l as i64;
            if Some(id) == self.ignore_class {
                continue;
            }
            if l.fract() != 0.0 || id < 0 || id >= classes as i64 {
                return Err(training_error(
                    name,
                    format!(
                        "label {l} at position {i} is not a class id in [0, {classes}) (y_pred.shape={})",
                        y_pred.shape()
                    ),
                ));
            }
            one_hot[i * classes + id as usize] = 1.0;
            valid += 1;
        }
        let one_hot = Tensor::from_vec(one_hot, y_pred.shape().clone())?;
        // Ignored samples have an all-zero target row, so their loss and gradient are 0.
        let per_sample = one_hot.mul(&log_probs(y_pred, self.from_logits, -1)?)?.sum(&[-1], false)?.neg()?;
        match self.ignore_class {
            None => Ok(per_sample.mean_all()?),
            // Keras weights the valid samples by total/valid, i.e. averages over them;
            // divide_no_nan makes an all-ignored batch give 0.
            Some(_) if valid == 0 => Ok(per_sample.sum_all()?.mul_scalar(0.0)?),
            Some(_) => Ok(per_sample.sum_all()?.mul_scalar(1.0 / valid as f32)?),
        }
    }
}

/// Binary cross-entropy per element (Keras `BinaryCrossentropy`).
///
/// # Shapes
/// `y_true` and `y_pred` `(batch, ...)`, same shape (`(batch,)` labels work against
/// `(batch, 1)` predictions).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BinaryCrossentropy {
    /// `y_pred` holds logits rather than probabilities (Keras default false).
    pub from_logits: bool,
    /// In [0, 1]: targets become `y (1 - s) + 0.5 s` (Keras default 0).
    pub label_smoothing: f32,
}

impl Loss for BinaryCrossentropy {
    fn name(&self) -> &str {
        "binary_crossentropy"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        check_smoothing(self.name(), self.label_smoothing)?;
        let (mut t, p) = align(self.name(), y_true, y_pred)?;
        if self.label_smoothing > 0.0 {
            let s = self.label_smoothing;
            t = t.mul_scalar(1.0 - s)?.add_scalar(0.5 * s)?;
        }
        let one_minus_t = t.neg()?.add_scalar(1.0)?;
        let per_element = if self.from_logits {
            // -t log(sigmoid(x)) - (1 - t) log(sigmoid(-x)), with log(sigmoid(x)) = -softplus(-x).
            t.mul(&p.neg()?.softplus()?)?.add(&one_minus_t.mul(&p.softplus()?)?)?
        } else {
            let p = p.clamp(EPSILON, 1.0 - EPSILON)?;
            let log_p = p.log()?;
            let log_1mp = p.neg()?.add_scalar(1.0)?.log()?;
            t.mul(&log_p)?.add(&one_minus_t.mul(&log_1mp)?)?.neg()?
        };
        Ok(per_element.mean_all()?)
    }
}
