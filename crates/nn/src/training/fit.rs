//! `fit`: Keras 3's training loop over in-memory tensors.

use std::io::Write;

use fovea_core::{Rng, Tensor};

use super::callbacks::{Callback, TrainingControl};
use super::compile::{
    batch_losses, evaluate, logs_of, loss_values, model_error, narrow_all, samples, update_metrics, LossTrackers,
};
use super::data::Data;
use super::outputs::Head;
use super::{derive_seed, CompiledModel, FitOptions, History, Logs, Rows, STREAM_AUGMENT, STREAM_SHUFFLE, STREAM_STEP};
use crate::data::Loader;
use crate::progress::{Progbar, ProgbarConfig, Verbosity};
use crate::{CallContext, Error, Model, Optimizer, Result};

impl CompiledModel {
    /// Keras's `fit(x, y, ...)`: trains for epochs `initial_epoch..epochs` and returns
    /// the per-epoch logs.
    ///
    /// Each epoch: callbacks' `on_epoch_begin`; the training samples (after holding out
    /// the last `validation_split` of them, before any shuffling) are shuffled with a
    /// generator seeded by `(seed, epoch)`; each batch runs forward in training mode
    /// with a generator seeded by `(seed, epoch, batch)`, takes the loss plus weight
    /// regularization and activity penalties, back-propagates, and lets the optimizer
    /// step the trainable variables that received a gradient; metrics and the
    /// batch-size-weighted mean loss are updated and `on_batch_end` sees them. The
    /// epoch's logs (`loss`, metrics, and `val_`-prefixed results of an evaluation
    /// pass) go to `on_epoch_end` and then into the History. A callback may stop
    /// training; the current epoch still finishes its logs.
    ///
    /// With `verbose` set, output goes to `options.output` as Keras's `ProgbarLogger`
    /// writes it, after the callbacks have run: `Epoch e/E` at each epoch's start
    /// (only when `epochs > 1`), then a [`Progbar`] whose target is the number of
    /// batches, updated after each batch with the running loss and metrics (shown as
    /// given, not re-averaged) and finalized with the epoch's logs, validation
    /// included. The validation pass itself prints nothing.
    ///
    /// # Shapes
    /// `x` is `(n, ...)` as the model's input; `y` is `(n, ...)` as the loss expects
    /// (f32, or int64 class ids for sparse losses).
    pub fn fit(
        &mut self,
        x: impl Into<Data>,
        y: impl Into<Data>,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History> {
        let bs = options.batch_size;
        let (xs, ys, targets) = self.resolve_data(&x.into(), &y.into())?;
        let model = &self.model;
        let total = samples(model, &xs, &ys, bs)?;

        // Keras holds out the tail before shuffling; validation_data wins over a split.
        let (x_train, y_train, validation) = match (&options.validation_data, options.validation_split) {
            (Some((xv, yv)), _) => {
                let (xv, yv, _) = self.resolve_data(xv, yv)?;
                (xs, ys, Some((xv, yv)))
            }
            (None, s) if s > 0.0 => {
                if s >= 1.0 {
                    return Err(model_error(model, format!("validation_split must be in [0, 1), got {s}")));
                }
                let at = (total as f64 * (1.0 - s)).floor() as usize;
                if at == 0 || at == total {
                    return Err(model_error(
                        model,
                        format!(
                            "Training data contains {total} samples, which is not sufficient to split it into a \
                             validation and training set as specified by `validation_split={s}`. Either provide \
                             more data, or a different value for the `validation_split` argument."
                        ),
                    ));
                }
                let val = (narrow_all(&xs, at, total - at)?, narrow_all(&ys, at, total - at)?);
                (narrow_all(&xs, 0, at)?, narrow_all(&ys, 0, at)?, Some(val))
            }
            (None, _) => (xs, ys, None),
        };
        let source = BatchSource::Tensors {
            rows: (
                x_train.iter().map(Rows::new).collect::<Result<_>>()?,
                y_train.iter().map(Rows::new).collect::<Result<_>>()?,
            ),
            x: &x_train,
            y: &y_train,
            n: x_train[0].dims()[0],
        };
        let validation = validation.as_ref().map(|(xv, yv)| (xv.as_slice(), yv.as_slice()));
        self.train_loop(&source, &targets, validation, options, callbacks)
    }

    /// Keras's `fit(dataset, ...)`: trains on the batches a [`Loader`] produces (its
    /// own batch size, shuffling, augmentation and background prefetching), with the
    /// same loop, callbacks, progress output and History as [`fit`](Self::fit).
    ///
    /// `options.batch_size` applies only to the `validation_data` pass; the per-step
    /// randomness (dropout) is still derived from `(options.seed, epoch, batch)`, and the
    /// loader's order and augmentation from `(loader seed, epoch)`, so resuming with
    /// `initial_epoch` reproduces an uninterrupted run. As in Keras, `validation_split`
    /// is an error with a dataset; so is `options.augment` (augment in the loader).
    ///
    /// # Shapes
    /// The loader's batches are `(x: (B, ...), y: (B, ...))` as for [`fit`](Self::fit).
    pub fn fit_loader(
        &mut self,
        train: &Loader,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History> {
        if options.validation_split > 0.0 {
            return Err(model_error(
                &self.model,
                format!(
                    "`validation_split` is only supported for tensors, not a Loader (got validation_split={}); \
                     pass validation_data instead",
                    options.validation_split
                ),
            ));
        }
        if options.augment.is_some() {
            return Err(model_error(
                &self.model,
                "fit_loader: FitOptions::augment is for in-memory data; give the Loader its augmentation \
                 (Loader::with_augment)",
            ));
        }
        if options.batch_size == 0 {
            return Err(model_error(&self.model, "batch_size must be at least 1, got 0"));
        }
        if train.num_batches() == 0 {
            return Err(model_error(
                &self.model,
                format!(
                    "the training Loader yields no batches ({} samples, batch_size {}, drop_remainder {})",
                    train.dataset().len(),
                    train.config().batch_size,
                    train.config().drop_remainder
                ),
            ));
        }
        let targets = self.checked_targets()?;
        if self.model.input_names().len() != 1 || targets != [0] {
            return Err(model_error(
                &self.model,
                format!(
                    "fit_loader trains single-input, single-output models (one x and one y per batch); this one \
                     has inputs {} and outputs {}: use fit with named tensors",
                    self.model.input_names().join(", "),
                    self.model.output_names().join(", ")
                ),
            ));
        }
        let (features, labels) = (train.dataset().features().clone(), train.dataset().labels().clone());
        samples(&self.model, &[features], &[labels], options.batch_size)?;
        let validation = match &options.validation_data {
            Some((xv, yv)) => {
                let (xv, yv, _) = self.resolve_data(xv, yv)?;
                Some((xv, yv))
            }
            None => None,
        };
        let validation = validation.as_ref().map(|(xv, yv)| (xv.as_slice(), yv.as_slice()));
        self.train_loop(&BatchSource::Loader(train), &targets, validation, options, callbacks)
    }

    /// The epoch loop shared by [`fit`](Self::fit) and [`fit_loader`](Self::fit_loader).
    /// `targets` are the outputs whose targets the batches carry, in that order.
    fn train_loop(
        &mut self,
        source: &BatchSource,
        targets: &[usize],
        validation: Option<(&[Tensor], &[Tensor])>,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History> {
        let mut log_keys = self.log_names(validation.is_some());
        for cb in callbacks.iter() {
            log_keys.extend(cb.added_logs());
        }
        let CompiledModel { model, optimizer, heads, metrics, .. } = self;
        let metrics = metrics.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bs = options.batch_size;
        let batches = source.num_batches(bs);
        let mut ctl = TrainingControl::new(model, optimizer.as_mut());
        ctl.log_keys = log_keys;
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(&mut ctl)?;
        }
        let mut history = History::default();
        // Keras's ProgbarLogger makes every metric stateful: the logs already hold
        // running means, so the bar shows them as they are.
        let stateful: Vec<String> = logs_of(heads, &LossTrackers::new(heads.len()), metrics).into_keys().collect();
        let bar_verbosity = match options.verbose {
            1 => Some(Verbosity::ProgressBar),
            2 => Some(Verbosity::OneLine),
            _ => None,
        };
        for epoch in options.initial_epoch..options.epochs {
            for m in metrics.iter_mut().flatten() {
                m.reset();
            }
            let mut trackers = LossTrackers::new(heads.len());
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(epoch, &mut ctl)?;
            }
            if options.verbose > 0 && options.epochs > 1 {
                let mut out = options.output.handle();
                writeln!(out, "Epoch {}/{}", epoch + 1, options.epochs).map_err(output_error)?;
                out.flush().map_err(output_error)?;
            }
            let mut bar = bar_verbosity.map(|verbose| {
                let config = ProgbarConfig {
                    target: Some(batches),
                    verbose,
                    stateful_metrics: stateful.clone(),
                    ..ProgbarConfig::default()
                };
                Progbar::new(config, options.output.handle(), options.output.is_dynamic())
            });
            for (b, batch) in source.epoch(epoch, options)?.enumerate() {
                let (xb, yb) = batch?;
                let len = xb.first().and_then(|t| t.dims().first().copied()).unwrap_or(0);
                let seed = derive_seed(options.seed, STREAM_STEP, epoch as u64, b as u64);
                let optimizer = &mut *ctl.optimizer;
                let model: &Model = ctl.model;
                let step = fovea_core::on_pool(|| train_step(model, optimizer, heads, targets, &xb, &yb, seed))?;
                update_metrics(metrics, targets, &yb, &step.preds)?;
                trackers.add(len, step.total, targets, &step.each);
                let batch_logs = logs_of(heads, &trackers, metrics);
                if let Some(bar) = bar.as_mut() {
                    bar.update_with(b + 1, &entries(&batch_logs), false).map_err(output_error)?;
                }
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(b, &batch_logs, &mut ctl)?;
                }
                if ctl.should_stop() {
                    break;
                }
            }
            let mut logs = logs_of(heads, &trackers, metrics);
            if let Some((xv, yv)) = validation {
                let val = evaluate(ctl.model, heads, targets, metrics, xv, yv, bs)?;
                logs.extend(val.into_iter().map(|(k, v)| (format!("val_{k}"), v)));
            }
            for cb in callbacks.iter_mut() {
                cb.on_epoch_end(epoch, &mut logs, &mut ctl)?;
            }
            if let Some(bar) = bar.as_mut() {
                bar.update_with(batches, &entries(&logs), true).map_err(output_error)?;
            }
            history.record(epoch, &entries(&logs));
            if ctl.should_stop() {
                break;
            }
        }
        for cb in callbacks.iter_mut() {
            cb.on_train_end(&mut ctl)?;
        }
        history.warnings = ctl.take_warnings();
        Ok(history)
    }
}

/// The logs as the `(name, value)` pairs that Progbar and History take.
fn entries(logs: &Logs) -> Vec<(&str, f64)> {
    logs.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// A failed write to `FitOptions::output`.
fn output_error(e: std::io::Error) -> Error {
    Error::Io { path: "fit output".into(), msg: e.to_string() }
}

/// One training epoch's batches, in order: the inputs (model input order) and the
/// targets (of the outputs that take one).
type EpochBatches<'s> = Box<dyn Iterator<Item = Result<(Vec<Tensor>, Vec<Tensor>)>> + 's>;

/// Where a training epoch's batches come from.
enum BatchSource<'a> {
    /// In-memory tensors, shuffled and augmented per `FitOptions`.
    Tensors { x: &'a [Tensor], y: &'a [Tensor], rows: (Vec<Rows<'a>>, Vec<Rows<'a>>), n: usize },
    /// A loader with its own batching, shuffling, augmentation and prefetching.
    Loader(&'a Loader),
}

impl BatchSource<'_> {
    fn num_batches(&self, batch_size: usize) -> usize {
        match self {
            BatchSource::Tensors { n, .. } => n.div_ceil(batch_size),
            BatchSource::Loader(loader) => loader.num_batches(),
        }
    }

    /// The batches of training epoch `epoch`, in order. Augmentation applies to the
    /// first input only (the image of an image-and-words model).
    fn epoch<'s>(&'s self, epoch: usize, options: &'s FitOptions) -> Result<EpochBatches<'s>> {
        match self {
            BatchSource::Loader(loader) => {
                Ok(Box::new(loader.epoch(epoch, true)?.map(|b| b.map(|(x, y)| (vec![x], vec![y])))))
            }
            BatchSource::Tensors { x, y, rows, n } => {
                let (n, bs) = (*n, options.batch_size);
                let order: Option<Vec<usize>> = options
                    .shuffle
                    .then(|| Rng::new(derive_seed(options.seed, STREAM_SHUFFLE, epoch as u64, 0)).permutation(n));
                Ok(Box::new((0..n.div_ceil(bs)).map(move |b| {
                    let (start, len) = (b * bs, bs.min(n - b * bs));
                    let take = |rows: &[Rows], ts: &[Tensor]| -> Result<Vec<Tensor>> {
                        match &order {
                            Some(p) => rows.iter().map(|r| r.take(&p[start..start + len])).collect(),
                            None => narrow_all(ts, start, len),
                        }
                    };
                    let (mut xb, yb) = (take(&rows.0, x)?, take(&rows.1, y)?);
                    if let Some(a) = &options.augment {
                        let mut arng = Rng::new(derive_seed(options.seed, STREAM_AUGMENT, epoch as u64, b as u64));
                        xb[0] = a.0.apply(&xb[0], &mut arng)?;
                    }
                    Ok((xb, yb))
                })))
            }
        }
    }
}

/// What one training step reports.
struct Step {
    /// The batch's total loss (what was minimised).
    total: f64,
    /// Each target's own loss (`None` for outputs without a loss).
    each: Vec<Option<f64>>,
    /// Every output, detached.
    preds: Vec<Tensor>,
}

/// One training step: forward in training mode, the losses with their penalties,
/// backward, and the optimizer's update. Runs on fovea's pool (see
/// [`fovea_core::on_pool`]), so the step's many short parallel kernels fork from inside
/// it.
fn train_step(
    model: &Model,
    optimizer: &mut dyn Optimizer,
    heads: &[Head],
    targets: &[usize],
    xb: &[Tensor],
    yb: &[Tensor],
    seed: u64,
) -> Result<Step> {
    let mut rng = Rng::new(seed);
    let mut ctx = CallContext::new(true, &mut rng);
    let preds = model.call(xb, &mut ctx)?;
    let (batch_loss, each) = batch_losses(model, heads, targets, yb, &preds, &ctx.losses)?;
    let total = batch_loss.to_scalar()? as f64;
    let each = loss_values(&each)?;
    // A model with nothing to train still reports its loss, as in Keras.
    if batch_loss.tracks_grad() {
        optimizer.step(model, &batch_loss.backward()?)?;
    }
    Ok(Step { total, each, preds: preds.iter().map(Tensor::detach).collect() })
}
