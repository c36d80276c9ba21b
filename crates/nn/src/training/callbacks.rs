//! Keras's callback interface, the control a callback has over training, and the
//! callbacks that monitor nothing: [`TerminateOnNaN`], [`CsvLogger`],
//! [`LambdaCallback`]. The monitoring ones live in `monitor.rs`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use fovea_core::Tensor;

use super::Logs;
use crate::optimizers::Optimizer;
use crate::{Error, Model, Result};

/// What a callback may do to the run: stop it, change the learning rate, read and
/// replace the weights (Keras's `self.model.stop_training`, `optimizer.learning_rate`,
/// `get_weights`/`set_weights`).
pub struct TrainingControl<'a> {
    pub(crate) model: &'a Model,
    pub(crate) optimizer: &'a mut dyn Optimizer,
    stop_training: bool,
    /// Every name the epoch logs will hold (empty when unknown: a control made by hand).
    pub(crate) log_keys: Vec<String>,
    warnings: Vec<String>,
}

impl<'a> TrainingControl<'a> {
    /// Control over `model` trained by `optimizer` (the loop makes one per `fit`; tests
    /// make their own to drive callbacks directly).
    pub fn new(model: &'a Model, optimizer: &'a mut dyn Optimizer) -> Self {
        TrainingControl { model, optimizer, stop_training: false, log_keys: Vec::new(), warnings: Vec::new() }
    }

    /// The names `fit` will log each epoch (`loss`, metrics, `val_` entries, and what
    /// callbacks add), known before the first epoch; empty for a control made with
    /// [`TrainingControl::new`].
    pub fn log_keys(&self) -> &[String] {
        &self.log_keys
    }

    /// Reports a problem that does not stop training (Keras's `warnings.warn`): printed
    /// to stderr at once and kept in the run's [`History::warnings`](crate::History).
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        eprintln!("UserWarning: {message}");
        self.warnings.push(message);
    }

    /// The warnings so far, in order.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Asks the loop to stop after the current batch (the epoch still ends, with its
    /// validation pass and `on_epoch_end`, as in Keras).
    pub fn stop_training(&mut self) {
        self.stop_training = true;
    }

    /// Whether some callback asked to stop.
    pub fn should_stop(&self) -> bool {
        self.stop_training
    }

    /// The optimizer's current learning rate.
    pub fn learning_rate(&self) -> f32 {
        self.optimizer.learning_rate()
    }

    /// Sets the optimizer's learning rate (an error when it follows a schedule).
    pub fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        self.optimizer.set_learning_rate(lr)
    }

    /// The optimizer (its state, for a callback that writes checkpoints).
    pub fn optimizer(&self) -> &dyn Optimizer {
        &*self.optimizer
    }

    /// The model being trained.
    pub fn model(&self) -> &Model {
        self.model
    }

    /// Copies of all weights, in `Model::weights` order, that later training steps do
    /// not change (Keras returns numpy copies).
    pub fn get_weights(&self) -> Result<Vec<Tensor>> {
        // `Model::get_weights` may share storage with the variables, which optimizers
        // update in place; a snapshot must own its data.
        self.model.weights().iter().map(|w| Ok(Tensor::from_vec(w.value().to_vec_f32()?, w.dims())?)).collect()
    }

    /// Replaces all weights, in `Model::weights` order.
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        self.model.set_weights(values)
    }
}

/// Hooks called by `fit`, Keras's `keras.callbacks.Callback`. Every hook defaults to
/// doing nothing.
///
/// `on_epoch_end` gets the logs mutably because Keras callbacks add entries that later
/// callbacks and the History see (ReduceLROnPlateau adds `learning_rate`).
pub trait Callback {
    /// The log entries this callback adds in `on_epoch_end` (ReduceLROnPlateau adds
    /// `learning_rate`), so that callbacks watching them pass the check of monitored
    /// names at the start of training.
    fn added_logs(&self) -> Vec<String> {
        Vec::new()
    }

    /// Before the first epoch.
    fn on_train_begin(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        let _ = ctl;
        Ok(())
    }

    /// Before each epoch (`epoch` counts from 0, starting at `initial_epoch`).
    fn on_epoch_begin(&mut self, epoch: usize, ctl: &mut TrainingControl) -> Result<()> {
        let _ = (epoch, ctl);
        Ok(())
    }

    /// After each training batch; `logs` hold the running averages of the epoch so far.
    fn on_batch_end(&mut self, batch: usize, logs: &Logs, ctl: &mut TrainingControl) -> Result<()> {
        let _ = (batch, logs, ctl);
        Ok(())
    }

    /// After each epoch and its validation pass.
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, ctl: &mut TrainingControl) -> Result<()> {
        let _ = (epoch, logs, ctl);
        Ok(())
    }

    /// After the last epoch (also when a callback stopped training).
    fn on_train_end(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        let _ = ctl;
        Ok(())
    }
}

/// An error raised by a callback.
pub(crate) fn callback_error(callback: &'static str, msg: impl Into<String>) -> Error {
    Error::Core(fovea_core::Error::Argument { op: callback, msg: msg.into() })
}

/// Stops training at the first batch whose running loss is NaN or infinite (Keras's
/// `TerminateOnNaN()`; with `raise_error` the run fails instead).
#[derive(Clone, Debug, Default)]
pub struct TerminateOnNaN {
    /// Return an error at once instead of stopping gracefully (Keras default false).
    pub raise_error: bool,
}

impl TerminateOnNaN {
    /// Keras's default: stop gracefully.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Callback for TerminateOnNaN {
    fn on_batch_end(&mut self, batch: usize, logs: &Logs, ctl: &mut TrainingControl) -> Result<()> {
        if let Some(&loss) = logs.get("loss") {
            if !loss.is_finite() {
                if self.raise_error {
                    return Err(callback_error(
                        "TerminateOnNaN",
                        format!("NaN or Inf loss encountered at batch {batch}. Loss value: {loss}."),
                    ));
                }
                ctl.stop_training();
            }
        }
        Ok(())
    }
}

type EpochHook = Box<dyn FnMut(usize, &mut Logs, &mut TrainingControl) -> Result<()>>;
type BatchHook = Box<dyn FnMut(usize, &Logs, &mut TrainingControl) -> Result<()>>;
type TrainHook = Box<dyn FnMut(&mut TrainingControl) -> Result<()>>;
type EpochBeginHook = Box<dyn FnMut(usize, &mut TrainingControl) -> Result<()>>;

/// A callback made of closures, Keras's `LambdaCallback`: the quick way to write your
/// own.
///
/// ```
/// use fovea_nn::training::LambdaCallback;
/// let mut seen = Vec::new();
/// let cb = LambdaCallback::new().on_epoch_end(move |epoch, logs, _| {
///     seen.push((epoch, logs.get("loss").copied()));
///     Ok(())
/// });
/// # drop(cb);
/// ```
#[derive(Default)]
pub struct LambdaCallback {
    train_begin: Option<TrainHook>,
    epoch_begin: Option<EpochBeginHook>,
    batch_end: Option<BatchHook>,
    epoch_end: Option<EpochHook>,
    train_end: Option<TrainHook>,
    adds: Vec<String>,
}

impl LambdaCallback {
    /// Declares the log entries `on_epoch_end` adds, so that callbacks monitoring them
    /// pass the check made when training starts.
    pub fn adds_logs(mut self, names: &[&str]) -> Self {
        self.adds.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// A callback that does nothing until hooks are added.
    pub fn new() -> Self {
        Self::default()
    }
    /// Runs `f` before training.
    pub fn on_train_begin(mut self, f: impl FnMut(&mut TrainingControl) -> Result<()> + 'static) -> Self {
        self.train_begin = Some(Box::new(f));
        self
    }
    /// Runs `f(epoch, ctl)` before each epoch.
    pub fn on_epoch_begin(mut self, f: impl FnMut(usize, &mut TrainingControl) -> Result<()> + 'static) -> Self {
        self.epoch_begin = Some(Box::new(f));
        self
    }
    /// Runs `f(batch, logs, ctl)` after each batch.
    pub fn on_batch_end(mut self, f: impl FnMut(usize, &Logs, &mut TrainingControl) -> Result<()> + 'static) -> Self {
        self.batch_end = Some(Box::new(f));
        self
    }
    /// Runs `f(epoch, logs, ctl)` after each epoch.
    pub fn on_epoch_end(
        mut self,
        f: impl FnMut(usize, &mut Logs, &mut TrainingControl) -> Result<()> + 'static,
    ) -> Self {
        self.epoch_end = Some(Box::new(f));
        self
    }
    /// Runs `f` after training.
    pub fn on_train_end(mut self, f: impl FnMut(&mut TrainingControl) -> Result<()> + 'static) -> Self {
        self.train_end = Some(Box::new(f));
        self
    }
}

impl Callback for LambdaCallback {
    fn added_logs(&self) -> Vec<String> {
        self.adds.clone()
    }

    fn on_train_begin(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        self.train_begin.as_mut().map_or(Ok(()), |f| f(ctl))
    }
    fn on_epoch_begin(&mut self, epoch: usize, ctl: &mut TrainingControl) -> Result<()> {
        self.epoch_begin.as_mut().map_or(Ok(()), |f| f(epoch, ctl))
    }
    fn on_batch_end(&mut self, batch: usize, logs: &Logs, ctl: &mut TrainingControl) -> Result<()> {
        self.batch_end.as_mut().map_or(Ok(()), |f| f(batch, logs, ctl))
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, ctl: &mut TrainingControl) -> Result<()> {
        self.epoch_end.as_mut().map_or(Ok(()), |f| f(epoch, logs, ctl))
    }
    fn on_train_end(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        self.train_end.as_mut().map_or(Ok(()), |f| f(ctl))
    }
}

/// Writes one CSV row per epoch, Keras's `CSVLogger(filename, separator=",",
/// append=False)`: header `epoch,<log keys sorted>` (plus `val_<key>` columns when the
/// first epoch has no validation entries), epochs counted from 0, missing values `NA`,
/// numbers as Python prints floats.
pub struct CsvLogger {
    filename: PathBuf,
    separator: char,
    append: bool,
    file: Option<File>,
    keys: Option<Vec<String>>,
    write_header: bool,
}

impl CsvLogger {
    /// A logger writing to `filename` with Keras's defaults (`,`, overwrite).
    pub fn new(filename: impl Into<PathBuf>) -> Self {
        CsvLogger {
            filename: filename.into(),
            separator: ',',
            append: false,
            file: None,
            keys: None,
            write_header: true,
        }
    }
    /// Keras `separator`.
    pub fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }
    /// Keras `append`: add to an existing file (its header is kept if it has one).
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }
    fn io_error(&self, e: std::io::Error) -> Error {
        callback_error("CSVLogger", format!("cannot write {}: {e}", self.filename.display()))
    }
}

impl Callback for CsvLogger {
    fn on_train_begin(&mut self, _ctl: &mut TrainingControl) -> Result<()> {
        let file = if self.append {
            // Keras writes the header only when the file's first line is empty.
            self.write_header = match File::open(&self.filename) {
                Ok(f) => {
                    let mut first = String::new();
                    BufReader::new(f).read_line(&mut first).map_err(|e| self.io_error(e))?;
                    first.is_empty()
                }
                Err(_) => true,
            };
            OpenOptions::new().create(true).append(true).open(&self.filename)
        } else {
            self.write_header = true;
            File::create(&self.filename)
        };
        self.file = Some(file.map_err(|e| self.io_error(e))?);
        self.keys = None;
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, _ctl: &mut TrainingControl) -> Result<()> {
        let keys = self.keys.get_or_insert_with(|| {
            let mut keys: Vec<String> = logs.keys().cloned().collect();
            if !keys.iter().any(|k| k.starts_with("val_")) {
                let val: Vec<String> = keys.iter().map(|k| format!("val_{k}")).collect();
                keys.extend(val);
            }
            keys
        });
        let sep = self.separator.to_string();
        let mut text = String::new();
        if self.write_header {
            text.push_str(&format!("epoch{sep}{}\r\n", keys.join(&sep)));
            self.write_header = false;
        }
        let row: Vec<String> =
            keys.iter().map(|k| logs.get(k).map_or_else(|| "NA".to_string(), |v| python_float(*v))).collect();
        // Python's csv module ends rows with \r\n (the excel dialect).
        text.push_str(&format!("{epoch}{sep}{}\r\n", row.join(&sep)));
        let Some(file) = self.file.as_mut() else {
            return Err(callback_error("CSVLogger", "on_epoch_end called before on_train_begin"));
        };
        let res = file.write_all(text.as_bytes()).and_then(|_| file.flush());
        res.map_err(|e| self.io_error(e))
    }

    fn on_train_end(&mut self, _ctl: &mut TrainingControl) -> Result<()> {
        self.file = None;
        Ok(())
    }
}

/// `repr(float)` as Python writes it: shortest round-trip digits, `1.0` not `1`,
/// exponent form below 1e-4 and from 1e16 (`1e-05`, `1e+16`).
pub(crate) fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::python_float;

    #[test]
    fn floats_print_as_python_repr() {
        for (v, s) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (123.25, "123.25"),
            (0.1f32 as f64, "0.10000000149011612"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(python_float(v), s);
        }
    }
}
