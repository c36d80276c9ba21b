//! `fit`: Keras 3's training loop over in-memory tensors.

use std::io::Write;

use fovea_core::{Rng, Tensor};

use super::callbacks::{Callback, TrainingControl};
use super::compile::{evaluate, logs_of, model_error, samples, single_output, total_loss, MeanTracker};
use super::{derive_seed, CompiledModel, FitOptions, History, Logs, Rows, STREAM_AUGMENT, STREAM_SHUFFLE, STREAM_STEP};
use crate::data::Loader;
use crate::losses::Loss;
use crate::progress::{Progbar, ProgbarConfig, Verbosity};
use crate::{CallContext, Error, Model, Optimizer, Result, Variable};

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
        x: &Tensor,
        y: &Tensor,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History> {
        let bs = options.batch_size;
        let model = &self.model;
        let total = samples(model, x, Some(y), bs)?;

        // Keras holds out the tail before shuffling; validation_data wins over a split.
        let split;
        let (x_train, y_train, validation) = match (&options.validation_data, options.validation_split) {
            (Some((xv, yv)), _) => (x.clone(), y.clone(), Some((xv, yv))),
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
                split = (x.narrow(0, at, total - at)?, y.narrow(0, at, total - at)?);
                (x.narrow(0, 0, at)?, y.narrow(0, 0, at)?, Some((&split.0, &split.1)))
            }
            (None, _) => (x.clone(), y.clone(), None),
        };
        let source = BatchSource::Tensors {
            rows: (Rows::new(&x_train)?, Rows::new(&y_train)?),
            x: &x_train,
            y: &y_train,
            n: x_train.dims()[0],
        };
        self.train_loop(&source, validation, options, callbacks)
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
        samples(&self.model, train.dataset().features(), Some(train.dataset().labels()), options.batch_size)?;
        let validation = options.validation_data.as_ref().map(|(xv, yv)| (xv, yv));
        self.train_loop(&BatchSource::Loader(train), validation, options, callbacks)
    }

    /// The epoch loop shared by [`fit`](Self::fit) and [`fit_loader`](Self::fit_loader).
    fn train_loop(
        &mut self,
        source: &BatchSource,
        validation: Option<(&Tensor, &Tensor)>,
        options: &FitOptions,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History> {
        let CompiledModel { model, optimizer, loss, metrics } = self;
        let bs = options.batch_size;
        let batches = source.num_batches(bs);
        let mut ctl = TrainingControl::new(model, optimizer.as_mut());
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(&mut ctl)?;
        }
        let mut history = History::default();
        // Keras's ProgbarLogger makes every metric stateful: the logs already hold
        // running means, so the bar shows them as they are.
        let stateful: Vec<String> =
            std::iter::once("loss".to_string()).chain(metrics.iter().map(|m| m.name().to_string())).collect();
        let bar_verbosity = match options.verbose {
            1 => Some(Verbosity::ProgressBar),
            2 => Some(Verbosity::OneLine),
            _ => None,
        };
        for epoch in options.initial_epoch..options.epochs {
            for m in metrics.iter_mut() {
                m.reset();
            }
            let mut tracker = MeanTracker::default();
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
                let len = xb.dims().first().copied().unwrap_or(0);
                let seed = derive_seed(options.seed, STREAM_STEP, epoch as u64, b as u64);
                let optimizer = &mut *ctl.optimizer;
                let model: &Model = ctl.model;
                let (loss_value, y_pred) =
                    fovea_core::on_pool(|| train_step(model, optimizer, loss.as_ref(), &xb, &yb, seed))?;
                for m in metrics.iter_mut() {
                    m.update(&yb, &y_pred)?;
                }
                tracker.add(loss_value, len);
                let batch_logs = logs_of(&tracker, metrics);
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
            let mut logs = logs_of(&tracker, metrics);
            if let Some((xv, yv)) = validation {
                let val = evaluate(ctl.model, loss.as_ref(), metrics, xv, yv, bs)?;
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

/// One training epoch's `(x, y)` batches, in order.
type EpochBatches<'s> = Box<dyn Iterator<Item = Result<(Tensor, Tensor)>> + 's>;

/// Where a training epoch's batches come from.
enum BatchSource<'a> {
    /// In-memory tensors, shuffled and augmented per `FitOptions`.
    Tensors { x: &'a Tensor, y: &'a Tensor, rows: (Rows<'a>, Rows<'a>), n: usize },
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

    /// The `(x, y)` batches of training epoch `epoch`, in order.
    fn epoch<'s>(&'s self, epoch: usize, options: &'s FitOptions) -> Result<EpochBatches<'s>> {
        match self {
            BatchSource::Loader(loader) => Ok(Box::new(loader.epoch(epoch, true)?)),
            BatchSource::Tensors { x, y, rows, n } => {
                let (n, bs) = (*n, options.batch_size);
                let order: Option<Vec<usize>> = options
                    .shuffle
                    .then(|| Rng::new(derive_seed(options.seed, STREAM_SHUFFLE, epoch as u64, 0)).permutation(n));
                Ok(Box::new((0..n.div_ceil(bs)).map(move |b| {
                    let (start, len) = (b * bs, bs.min(n - b * bs));
                    let (xb, yb) = match &order {
                        Some(p) => (rows.0.take(&p[start..start + len])?, rows.1.take(&p[start..start + len])?),
                        None => (x.narrow(0, start, len)?, y.narrow(0, start, len)?),
                    };
                    let xb = match &options.augment {
                        Some(a) => {
                            let mut arng = Rng::new(derive_seed(options.seed, STREAM_AUGMENT, epoch as u64, b as u64));
                            a.0.apply(&xb, &mut arng)?
                        }
                        None => xb,
                    };
                    Ok((xb, yb))
                })))
            }
        }
    }
}

/// One training step: forward in training mode, the loss with its penalties, backward,
/// and the optimizer's update. Returns the batch's loss and the (detached) predictions.
/// Runs on fovea's pool (see [`fovea_core::on_pool`]), so the step's many short
/// parallel kernels fork from inside it.
fn train_step(
    model: &Model,
    optimizer: &mut dyn Optimizer,
    loss: &dyn Loss,
    xb: &Tensor,
    yb: &Tensor,
    seed: u64,
) -> Result<(f64, Tensor)> {
    let mut rng = Rng::new(seed);
    let mut ctx = CallContext::new(true, &mut rng);
    let y_pred = single_output(model, xb, &mut ctx)?;
    let batch_loss = total_loss(model, loss, yb, &y_pred, &ctx.losses)?;
    let loss_value = batch_loss.to_scalar()? as f64;
    // A model with nothing to train still reports its loss, as in Keras.
    if batch_loss.tracks_grad() {
        let mut grads = batch_loss.backward()?;
        let trainable = model.trainable_weights();
        let pairs: Vec<(Tensor, &Variable)> =
            trainable.into_iter().filter_map(|w| grads.remove(w.value()).map(|g| (g, w))).collect();
        if !pairs.is_empty() {
            optimizer.apply_gradients(&pairs)?;
        }
    }
    Ok((loss_value, y_pred.detach()))
}
