//! `model.compile(...)`: a model with its optimizer, loss and metrics, and the
//! inference-side passes (`evaluate`, `predict`).

use std::sync::{Mutex, MutexGuard};

use fovea_core::{no_grad, Rng, Tensor};

use super::data::Data;
use super::outputs::{log_name, resolve, Head, Losses, Metrics};
use super::Logs;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::Optimizer;
use crate::{CallContext, Error, Model, Result};

/// A model ready to train: Keras's model after `compile()`.
pub struct CompiledModel {
    pub(crate) model: Model,
    pub(crate) optimizer: Box<dyn Optimizer>,
    /// One per model output, in output order.
    pub(crate) heads: Vec<Head>,
    /// Each output's metrics; behind a lock so that `evaluate` takes `&self`, as
    /// `predict` does.
    pub(crate) metrics: Mutex<Vec<Vec<Box<dyn Metric>>>>,
    /// What was wrong with compile's arguments for this model: reported by the first
    /// `fit` or `evaluate`, as Keras reports it when it first builds the losses.
    pub(crate) config_error: Option<String>,
}

impl Model {
    /// Keras's `model.compile(optimizer, loss, metrics)`: the model with what `fit`
    /// needs. Values are taken as they are (no boxing): an optimizer, a loss (or
    /// [`Losses::per_output`]), and metrics as `()`, one metric, a tuple, or
    /// [`Metrics::per_output`]. A single-output model logs `loss` and each metric by
    /// its name; a multi-output model adds `<output>_loss` and `<output>_<metric>`.
    ///
    /// Arguments that do not fit the model (an output name it does not have, a flat
    /// metric list on a multi-output model) are reported by the first `fit` or
    /// `evaluate`.
    ///
    /// ```
    /// use fovea_core::{Rng, Tensor};
    /// use fovea_nn::layers::Dense;
    /// use fovea_nn::losses::SparseCategoricalCrossentropy;
    /// use fovea_nn::metrics::accuracy;
    /// use fovea_nn::optimizers::Adam;
    /// use fovea_nn::training::FitOptions;
    /// use fovea_nn::{Activation, Sequential};
    /// let mut model = Sequential::new(&[4])
    ///     .add(Dense::new(3).activation(Activation::Softmax))
    ///     .build(&mut Rng::new(0))?
    ///     .compile(Adam::default(), SparseCategoricalCrossentropy::default(), accuracy());
    /// let x = Tensor::ones([8, 4])?;
    /// let y = Tensor::from_vec_i64(vec![0, 1, 2, 0, 1, 2, 0, 1], [8])?;
    /// let history = model.fit(&x, &y, &FitOptions { epochs: 2, verbose: 0, ..FitOptions::default() }, &mut [])?;
    /// assert_eq!(history.history.keys().collect::<Vec<_>>(), ["accuracy", "loss"]);
    /// let logs = model.evaluate(&x, &y, 4)?;
    /// assert!(logs["accuracy"] >= 0.0 && logs["loss"] > 0.0);
    /// # Ok::<(), fovea_nn::Error>(())
    /// ```
    pub fn compile(
        self,
        optimizer: impl Optimizer + 'static,
        loss: impl Into<Losses>,
        metrics: impl Into<Metrics>,
    ) -> CompiledModel {
        let (heads, metrics, config_error) = match resolve(&self, loss.into(), metrics.into()) {
            Ok((heads, metrics)) => (heads, metrics, None),
            Err(e) => (Vec::new(), Vec::new(), Some(e)),
        };
        CompiledModel { model: self, optimizer: Box::new(optimizer), heads, metrics: Mutex::new(metrics), config_error }
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

    /// The loss of the first output that has one (the loss of a single-output model).
    pub fn loss(&self) -> Option<&dyn Loss> {
        self.heads.iter().find_map(|h| h.loss.as_deref())
    }

    /// The metrics' log names, in compile order (prefixed with the output name on a
    /// multi-output model).
    pub fn metric_names(&self) -> Vec<String> {
        let metrics = lock(&self.metrics);
        metrics
            .iter()
            .enumerate()
            .flat_map(|(i, ms)| ms.iter().map(move |m| (i, m.name().to_string())))
            .map(|(i, name)| log_name(&self.heads, i, &name))
            .collect()
    }

    /// The names of everything `fit` logs per epoch: `loss`, the per-output losses of
    /// a multi-output model, the metrics, and with `validation` the same with `val_`.
    pub fn log_names(&self, validation: bool) -> Vec<String> {
        let mut names = vec!["loss".to_string()];
        if self.heads.len() > 1 {
            names.extend(
                self.heads
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.loss.is_some())
                    .map(|(i, _)| log_name(&self.heads, i, "loss")),
            );
        }
        names.extend(self.metric_names());
        if validation {
            let val: Vec<String> = names.iter().map(|n| format!("val_{n}")).collect();
            names.extend(val);
        }
        names
    }

    /// Gives the model back.
    pub fn into_model(self) -> Model {
        self.model
    }

    /// The compile arguments' error, if any, and otherwise which outputs need a target
    /// (those with a loss or metrics).
    pub(crate) fn checked_targets(&self) -> Result<Vec<usize>> {
        if let Some(e) = &self.config_error {
            return Err(model_error(&self.model, e.clone()));
        }
        let metrics = lock(&self.metrics);
        Ok((0..self.heads.len()).filter(|&i| self.heads[i].loss.is_some() || !metrics[i].is_empty()).collect())
    }

    /// `x` in input order and `y` for the outputs that need one, after Keras's checks.
    pub(crate) fn resolve_data(&self, x: &Data, y: &Data) -> Result<(Vec<Tensor>, Vec<Tensor>, Vec<usize>)> {
        let targets = self.checked_targets()?;
        let inputs: Vec<String> = self.model.input_names().iter().map(|s| s.to_string()).collect();
        let xs = x.resolve(&self.model, "input", &inputs, &(0..inputs.len()).collect::<Vec<_>>())?;
        let ys = y.resolve(&self.model, "output", &self.model.output_names(), &targets)?;
        Ok((xs, ys, targets))
    }

    /// Keras's `evaluate(x, y, batch_size)`: the loss (with regularization penalties)
    /// and each metric over all of `x`, in inference mode without gradients. `x` and `y`
    /// are one tensor each, or lists or names for models with several inputs or
    /// outputs ([`Data`]).
    ///
    /// # Shapes
    /// Each input is `(n, ...)` as the model takes it; each target `(n, ...)` as its
    /// output's loss expects.
    pub fn evaluate(&self, x: impl Into<Data>, y: impl Into<Data>, batch_size: usize) -> Result<Logs> {
        let (xs, ys, targets) = self.resolve_data(&x.into(), &y.into())?;
        let mut metrics = lock(&self.metrics);
        evaluate(&self.model, &self.heads, &targets, &mut metrics, &xs, &ys, batch_size)
    }

    /// Keras's `predict(x, batch_size)` for a single-output model: the output for all
    /// of `x`, batched, in inference mode without gradients
    /// ([`predict_outputs`](Self::predict_outputs) gives every output of a multi-output
    /// model).
    ///
    /// # Shapes
    /// Each input is `(n, ...)`; the result is `(n, ...)` as the model's output.
    pub fn predict(&self, x: impl Into<Data>, batch_size: usize) -> Result<Tensor> {
        let mut outs = self.predict_outputs(x, batch_size)?;
        if outs.len() != 1 {
            return Err(model_error(
                &self.model,
                format!(
                    "predict() returns one tensor, but the model has {} outputs ({}); use predict_outputs()",
                    outs.len(),
                    self.model.output_names().join(", ")
                ),
            ));
        }
        Ok(outs.remove(0))
    }

    /// Keras's `predict(x, batch_size)`: every output for all of `x`, in output order.
    ///
    /// # Shapes
    /// Each input is `(n, ...)`; each result is `(n, ...)` as its output.
    pub fn predict_outputs(&self, x: impl Into<Data>, batch_size: usize) -> Result<Vec<Tensor>> {
        let model = &self.model;
        let inputs: Vec<String> = model.input_names().iter().map(|s| s.to_string()).collect();
        let xs = x.into().resolve(model, "input", &inputs, &(0..inputs.len()).collect::<Vec<_>>())?;
        let n = samples(model, &xs, &[], batch_size)?;
        // On fovea's pool so that each batch's kernels fork from inside it.
        fovea_core::on_pool(|| {
            no_grad(|| {
                let mut rng = Rng::new(0);
                let mut outs: Vec<Vec<Tensor>> = Vec::new();
                for start in (0..n).step_by(batch_size) {
                    let xb = narrow_all(&xs, start, batch_size.min(n - start))?;
                    let mut ctx = CallContext::new(false, &mut rng);
                    outs.push(model.call(&xb, &mut ctx)?);
                }
                let outputs = outs.first().map_or(0, Vec::len);
                (0..outputs)
                    .map(|o| {
                        let parts: Vec<&Tensor> = outs.iter().map(|b| &b[o]).collect();
                        Ok(Tensor::concat(&parts, 0)?)
                    })
                    .collect()
            })
        })
    }
}

/// The metrics, even if a thread panicked while holding them (they are reset before
/// every use, so no half-updated state can leak into a result).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Rows `start..start + len` of each tensor.
pub(crate) fn narrow_all(ts: &[Tensor], start: usize, len: usize) -> Result<Vec<Tensor>> {
    ts.iter().map(|t| Ok(t.narrow(0, start, len)?)).collect()
}

/// An error about `model`'s training data or configuration.
pub(crate) fn model_error(model: &Model, msg: impl Into<String>) -> Error {
    Error::Model { model: model.name().to_string(), msg: msg.into() }
}

/// The sample count after Keras's checks: a positive batch size, samples present, and
/// every input and target of the same length.
pub(crate) fn samples(model: &Model, xs: &[Tensor], ys: &[Tensor], batch_size: usize) -> Result<usize> {
    if batch_size == 0 {
        return Err(model_error(model, "batch_size must be a positive integer, got 0"));
    }
    let first = |t: &Tensor| t.dims().first().copied().unwrap_or(0);
    let n = xs.first().map_or(0, first);
    let scalar = xs.iter().chain(ys).any(|t| t.rank() == 0);
    if scalar || xs.iter().chain(ys).any(|t| first(t) != n) {
        let sizes = |ts: &[Tensor]| {
            ts.iter().map(|t| format!("{} (shape {})", first(t), t.shape())).collect::<Vec<_>>().join(", ")
        };
        let mut msg = format!(
            "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. \
             'x' sizes: {}",
            sizes(xs)
        );
        if !ys.is_empty() {
            msg.push_str(&format!(", 'y' sizes: {}", sizes(ys)));
        }
        return Err(model_error(model, msg));
    }
    if n == 0 {
        let shape = xs.first().map_or_else(|| "()".to_string(), |t| t.shape().to_string());
        return Err(model_error(model, format!("no samples to run on (x has shape {shape})")));
    }
    Ok(n)
}

/// A batch's losses: the total Keras minimises (each output's loss times its weight,
/// plus each trainable weight's regularizer penalty, plus the activity penalties the call
/// collected in `ctx_losses`) and each output's own, unweighted loss (for the logs of a
/// multi-output model), in `targets` order.
///
/// `ys[k]` is the target of output `targets[k]`; `preds` holds every output.
pub(crate) fn batch_losses(
    model: &Model,
    heads: &[Head],
    targets: &[usize],
    ys: &[Tensor],
    preds: &[Tensor],
    ctx_losses: &[Tensor],
) -> Result<(Tensor, Vec<Option<Tensor>>)> {
    let mut total: Option<Tensor> = None;
    let mut each = Vec::with_capacity(targets.len());
    for (&o, y) in targets.iter().zip(ys) {
        let Some(loss) = &heads[o].loss else {
            each.push(None);
            continue;
        };
        let value = loss.call(y, &preds[o]).map_err(|e| with_shape_hint(model, heads, o, e, y, &preds[o]))?;
        let weighted = if heads[o].weight == 1.0 { value.clone() } else { value.mul_scalar(heads[o].weight as f32)? };
        total = Some(match total {
            None => weighted,
            Some(t) => t.add(&weighted)?,
        });
        each.push(Some(value));
    }
    let mut total = total.ok_or_else(|| {
        model_error(
            model,
            format!(
                "no output has a loss (outputs: {}); give one in compile, e.g. Losses::per_output().output(\"{}\", ...)",
                model.output_names().join(", "),
                model.output_names().first().map_or("", String::as_str)
            ),
        )
    })?;
    for w in model.trainable_weights() {
        if let Some(r) = &w.regularizer {
            total = total.add(&r.penalty(w.value())?)?;
        }
    }
    for l in ctx_losses {
        total = total.add(l)?;
    }
    Ok((total, each))
}

/// A loss error, with a hint for the commonest cause: an image-shaped prediction
/// against one label per sample (a classifier missing its `Flatten`).
fn with_shape_hint(model: &Model, heads: &[Head], output: usize, e: Error, y: &Tensor, pred: &Tensor) -> Error {
    if pred.rank() >= 3 && y.rank() <= 2 {
        let hint = format!(
            "{e}\nThe output '{}' has shape {} but its targets have shape {}: did you forget a Flatten \
             (or GlobalAveragePooling2D) before the classifier's Dense layers?",
            heads[output].name,
            pred.shape(),
            y.shape()
        );
        return model_error(model, hint);
    }
    e
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

/// The running losses of an epoch or an evaluation: the total, and each output's.
pub(crate) struct LossTrackers {
    total: MeanTracker,
    /// Per output (in output order); used only for outputs with a loss.
    each: Vec<MeanTracker>,
}

impl LossTrackers {
    pub(crate) fn new(outputs: usize) -> Self {
        LossTrackers { total: MeanTracker::default(), each: (0..outputs).map(|_| MeanTracker::default()).collect() }
    }

    /// Adds a batch of `len` samples: its total loss and each target's loss.
    pub(crate) fn add(&mut self, len: usize, total: f64, targets: &[usize], each: &[Option<f64>]) {
        self.total.add(total, len);
        for (&o, v) in targets.iter().zip(each) {
            if let Some(v) = v {
                self.each[o].add(*v, len);
            }
        }
    }
}

/// `loss`, each output's loss (multi-output models), and each metric's result.
pub(crate) fn logs_of(heads: &[Head], trackers: &LossTrackers, metrics: &[Vec<Box<dyn Metric>>]) -> Logs {
    let mut logs = Logs::new();
    logs.insert("loss".into(), trackers.total.result());
    if heads.len() > 1 {
        for (i, h) in heads.iter().enumerate() {
            if h.loss.is_some() {
                logs.insert(log_name(heads, i, "loss"), trackers.each[i].result());
            }
        }
    }
    for (i, ms) in metrics.iter().enumerate() {
        for m in ms {
            logs.insert(log_name(heads, i, m.name()), m.result());
        }
    }
    logs
}

/// Updates the metrics of every output that has a target with one batch.
pub(crate) fn update_metrics(
    metrics: &mut [Vec<Box<dyn Metric>>],
    targets: &[usize],
    ys: &[Tensor],
    preds: &[Tensor],
) -> Result<()> {
    for (&o, y) in targets.iter().zip(ys) {
        for m in metrics[o].iter_mut() {
            m.update(y, &preds[o])?;
        }
    }
    Ok(())
}

/// Scalars of a batch's loss tensors, for the trackers.
pub(crate) fn loss_values(each: &[Option<Tensor>]) -> Result<Vec<Option<f64>>> {
    each.iter().map(|l| l.as_ref().map(|t| Ok(t.to_scalar()? as f64)).transpose()).collect()
}

/// The evaluation pass shared by `evaluate` and `fit`'s validation.
pub(crate) fn evaluate(
    model: &Model,
    heads: &[Head],
    targets: &[usize],
    metrics: &mut [Vec<Box<dyn Metric>>],
    xs: &[Tensor],
    ys: &[Tensor],
    batch_size: usize,
) -> Result<Logs> {
    let n = samples(model, xs, ys, batch_size)?;
    // On fovea's pool so that each batch's kernels fork from inside it.
    fovea_core::on_pool(|| {
        no_grad(|| {
            for m in metrics.iter_mut().flatten() {
                m.reset();
            }
            let mut trackers = LossTrackers::new(heads.len());
            let mut rng = Rng::new(0);
            for start in (0..n).step_by(batch_size) {
                let len = batch_size.min(n - start);
                let (xb, yb) = (narrow_all(xs, start, len)?, narrow_all(ys, start, len)?);
                let mut ctx = CallContext::new(false, &mut rng);
                let preds = model.call(&xb, &mut ctx)?;
                let (total, each) = batch_losses(model, heads, targets, &yb, &preds, &ctx.losses)?;
                trackers.add(len, total.to_scalar()? as f64, targets, &loss_values(&each)?);
                update_metrics(metrics, targets, &yb, &preds)?;
            }
            Ok(logs_of(heads, &trackers, metrics))
        })
    })
}
