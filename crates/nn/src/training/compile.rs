//! `model.compile(...)`: a model with its optimizer, loss and metrics, and the
//! inference-side passes (`evaluate`, `predict`).

use fovea_core::{no_grad, Rng, Tensor};

use super::Logs;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::Optimizer;
use crate::{CallContext, Error, Model, Result};

/// A model ready to train: Keras's model after `compile()`.
pub struct CompiledModel {
    pub(crate) model: Model,
    pub(crate) optimizer: Box<dyn Optimizer>,
    pub(crate) loss: Box<dyn Loss>,
    pub(crate) metrics: Vec<Box<dyn Metric>>,
}

impl Model {
    /// Keras's `model.compile(optimizer, loss, metrics)`: the model with what `fit`
    /// needs. Logs name the loss `loss` and each metric by its `name()`.
    pub fn compile(
        self,
        optimizer: Box<dyn Optimizer>,
        loss: Box<dyn Loss>,
        metrics: Vec<Box<dyn Metric>>,
    ) -> CompiledModel {
        CompiledModel { model: self, optimizer, loss, metrics }
    }
}

impl CompiledModel {
    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The optimizer (its learning rate and state for checkpoints).
    pub fn optimizer(&self) -> &dyn Optimizer {
        self.optimizer.as_ref()
    }

    /// The optimizer, to change it between runs or load its state.
    pub fn optimizer_mut(&mut self) -> &mut dyn Optimizer {
        self.optimizer.as_mut()
    }

    /// The loss.
    pub fn loss(&self) -> &dyn Loss {
        self.loss.as_ref()
    }

    /// The metrics' names, in compile order.
    pub fn metric_names(&self) -> Vec<&str> {
        self.metrics.iter().map(|m| m.name()).collect()
    }

    /// Gives the model back.
    pub fn into_model(self) -> Model {
        self.model
    }

    /// Keras's `evaluate(x, y, batch_size)`: the loss (with regularization penalties)
    /// and each metric over all of `x`, in inference mode without gradients.
    ///
    /// # Shapes
    /// `x` is `(n, ...)` as the model's input; `y` is `(n, ...)` as the loss expects.
    pub fn evaluate(&mut self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Logs> {
        evaluate(&self.model, self.loss.as_ref(), &mut self.metrics, x, y, batch_size)
    }

    /// Keras's `predict(x, batch_size)`: the outputs for all of `x`, batched, in
    /// inference mode without gradients.
    ///
    /// # Shapes
    /// `x` is `(n, ...)`; the result is `(n, ...)` as the model's single output.
    pub fn predict(&self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        let n = samples(&self.model, x, None, batch_size)?;
        let model = &self.model;
        // On fovea's pool so that each batch's kernels fork from inside it.
        fovea_core::on_pool(|| {
            no_grad(|| {
                let mut rng = Rng::new(0);
                let mut outs = Vec::new();
                for start in (0..n).step_by(batch_size) {
                    let xb = x.narrow(0, start, batch_size.min(n - start))?;
                    let mut ctx = CallContext::new(false, &mut rng);
                    outs.push(single_output(model, &xb, &mut ctx)?);
                }
                let refs: Vec<&Tensor> = outs.iter().collect();
                Ok(Tensor::concat(&refs, 0)?)
            })
        })
    }
}

/// An error about `model`'s training data or configuration.
pub(crate) fn model_error(model: &Model, msg: impl Into<String>) -> Error {
    Error::Model { model: model.name().to_string(), msg: msg.into() }
}

/// The sample count after Keras's checks: a positive batch size, samples present, and
/// `x` and `y` of the same length.
pub(crate) fn samples(model: &Model, x: &Tensor, y: Option<&Tensor>, batch_size: usize) -> Result<usize> {
    if batch_size == 0 {
        return Err(model_error(model, "batch_size must be a positive integer, got 0"));
    }
    let n = x.dims().first().copied().unwrap_or(0);
    if let Some(y) = y {
        let m = y.dims().first().copied().unwrap_or(0);
        if m != n || x.rank() == 0 || y.rank() == 0 {
            return Err(model_error(
                model,
                format!(
                    "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. \
                     'x' sizes: {n} (shape {}), 'y' sizes: {m} (shape {})",
                    x.shape(),
                    y.shape()
                ),
            ));
        }
    }
    if n == 0 {
        return Err(model_error(model, format!("no samples to run on (x has shape {})", x.shape())));
    }
    Ok(n)
}

/// The model's output for one batch; losses and metrics take one output.
pub(crate) fn single_output(model: &Model, x: &Tensor, ctx: &mut CallContext) -> Result<Tensor> {
    let mut out = model.call(std::slice::from_ref(x), ctx)?;
    if out.len() != 1 {
        return Err(model_error(model, format!("training needs a single-output model; this one has {}", out.len())));
    }
    Ok(out.remove(0))
}

/// Keras's total loss: the compiled loss, plus each trainable weight's regularizer
/// penalty, plus the activity penalties the call collected in `ctx_losses`.
pub(crate) fn total_loss(
    model: &Model,
    loss: &dyn Loss,
    y: &Tensor,
    y_pred: &Tensor,
    ctx_losses: &[Tensor],
) -> Result<Tensor> {
    let mut total = loss.call(y, y_pred)?;
    for w in model.trainable_weights() {
        if let Some(r) = &w.regularizer {
            total = total.add(&r.penalty(w.value())?)?;
        }
    }
    for l in ctx_losses {
        total = total.add(l)?;
    }
    Ok(total)
}

/// A batch-size-weighted running mean (Keras's loss tracker, `Mean` with
/// `sample_weight=batch_size`).
#[derive(Default)]
pub(crate) struct MeanTracker {
    sum: f64,
    count: f64,
}

impl MeanTracker {
    pub(crate) fn add(&mut self, value: f64, weight: usize) {
        self.sum += value * weight as f64;
        self.count += weight as f64;
    }
    pub(crate) fn result(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.sum / self.count
        }
    }
}

/// `loss` and each metric's result.
pub(crate) fn logs_of(tracker: &MeanTracker, metrics: &[Box<dyn Metric>]) -> Logs {
    let mut logs = Logs::new();
    logs.insert("loss".into(), tracker.result());
    for m in metrics {
        logs.insert(m.name().to_string(), m.result());
    }
    logs
}

/// The evaluation pass shared by `evaluate` and `fit`'s validation.
pub(crate) fn evaluate(
    model: &Model,
    loss: &dyn Loss,
    metrics: &mut [Box<dyn Metric>],
    x: &Tensor,
    y: &Tensor,
    batch_size: usize,
) -> Result<Logs> {
    let n = samples(model, x, Some(y), batch_size)?;
    // On fovea's pool so that each batch's kernels fork from inside it.
    fovea_core::on_pool(|| {
        no_grad(|| {
            for m in metrics.iter_mut() {
                m.reset();
            }
            let mut tracker = MeanTracker::default();
            let mut rng = Rng::new(0);
            for start in (0..n).step_by(batch_size) {
                let len = batch_size.min(n - start);
                let (xb, yb) = (x.narrow(0, start, len)?, y.narrow(0, start, len)?);
                let mut ctx = CallContext::new(false, &mut rng);
                let y_pred = single_output(model, &xb, &mut ctx)?;
                let l = total_loss(model, loss, &yb, &y_pred, &ctx.losses)?;
                tracker.add(l.to_scalar()? as f64, len);
                for m in metrics.iter_mut() {
                    m.update(&yb, &y_pred)?;
                }
            }
            Ok(logs_of(&tracker, metrics))
        })
    })
}
