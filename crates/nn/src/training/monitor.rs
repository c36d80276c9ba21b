//! Callbacks that watch one logged quantity: [`ReduceLROnPlateau`], [`EarlyStopping`],
//! [`ModelCheckpoint`], on the rules of Keras 3's `MonitorCallback`.

use std::path::Path;

use fovea_core::Tensor;

use super::callbacks::{callback_error, python_float, Callback, TrainingControl};
use super::Logs;
use crate::{Model, Result};

/// Which way a monitored quantity should go (Keras `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MonitorMode {
    /// From the name: losses and errors go down, accuracies go up.
    #[default]
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// The monitored quantity, its direction and the best value so far (Keras's
/// `MonitorCallback`).
#[derive(Clone, Debug)]
pub struct Monitor {
    /// The log entry watched (`val_loss`, `val_accuracy`).
    pub monitor: String,
    /// The direction, or `Auto`.
    pub mode: MonitorMode,
    /// Changes smaller than this do not count as improvements (sign ignored).
    pub min_delta: f64,
    /// The best value so far (`None` before the first).
    pub best: Option<f64>,
    /// True when higher is better, once resolved.
    higher_is_better: Option<bool>,
}

impl Monitor {
    /// Watches `monitor` in `mode`.
    pub fn new(monitor: &str, mode: MonitorMode, min_delta: f64) -> Self {
        Monitor { monitor: monitor.to_string(), mode, min_delta: min_delta.abs(), best: None, higher_is_better: None }
    }

    /// Resolves `Auto` from the name as Keras does from the metric's direction; like
    /// Keras, an error when the direction cannot be told.
    fn resolve(&mut self, callback: &'static str) -> Result<bool> {
        if let Some(h) = self.higher_is_better {
            return Ok(h);
        }
        let h = match self.mode {
            MonitorMode::Min => false,
            MonitorMode::Max => true,
            MonitorMode::Auto => {
                let name = self.monitor.strip_prefix("val_").unwrap_or(&self.monitor);
                const UP: [&str; 9] =
                    ["acc", "auc", "precision", "recall", "f1_score", "fbeta", "iou", "r2_score", "cosine_similarity"];
                const DOWN: [&str; 7] = ["loss", "error", "crossentropy", "hinge", "divergence", "poisson", "mae"];
                if name == "loss" || DOWN.iter().any(|d| name.contains(d)) || name == "mse" {
                    false
                } else if UP.iter().any(|u| name.contains(u)) {
                    true
                } else {
                    return Err(callback_error(
                        callback,
                        format!(
                            "{callback} callback received monitor={}, but it cannot automatically determine \
                             whether that metric should be maximized or minimized. Pass mode Max or Min.",
                            self.monitor
                        ),
                    ));
                }
            }
        };
        self.higher_is_better = Some(h);
        Ok(h)
    }

    /// At the start of training: an error when `fit` will never log the monitored
    /// quantity (a typo such as `val_los`, or `val_` entries without validation data),
    /// naming what it does log. Skipped when the logged names are unknown.
    fn check_available(&self, callback: &'static str, ctl: &TrainingControl) -> Result<()> {
        let keys = ctl.log_keys();
        if keys.is_empty() || keys.contains(&self.monitor) {
            return Ok(());
        }
        let mut msg = format!(
            "{callback} monitors '{}', which this training never logs; it logs: {}",
            self.monitor,
            keys.join(", ")
        );
        if let Some(c) = closest(&self.monitor, keys) {
            msg.push_str(&format!(". Did you mean '{c}'?"));
        }
        if self.monitor.starts_with("val_") && !keys.iter().any(|k| k.starts_with("val_")) {
            msg.push_str(" (`val_` entries need validation_data or validation_split)");
        }
        Err(callback_error(callback, msg))
    }

    /// Keras's `_is_improvement`: `current - min_delta > reference` (max) or
    /// `current + min_delta < reference` (min); anything beats `None`. Keras compares
    /// with `ops.greater`/`ops.less`, which cast both Python floats to float32.
    fn is_improvement(&mut self, callback: &'static str, current: f64, reference: Option<f64>) -> Result<bool> {
        let higher = self.resolve(callback)?;
        let Some(reference) = reference else { return Ok(true) };
        let delta = if higher { self.min_delta } else { -self.min_delta };
        let a = (current - delta) as f32;
        let b = reference as f32;
        Ok(if higher { a > b } else { a < b })
    }
}

/// The logged name nearest to `name` (at most 3 edits away).
fn closest<'k>(name: &str, keys: &'k [String]) -> Option<&'k str> {
    fn edits(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for j in 0..b.len() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    keys.iter().map(|k| (edits(name, k), k.as_str())).filter(|&(d, _)| d <= 3).min_by_key(|&(d, _)| d).map(|(_, k)| k)
}

/// The logged names as Keras lists them in its warnings (`loss,val_loss`).
fn available(logs: &Logs) -> String {
    logs.keys().map(String::as_str).collect::<Vec<_>>().join(",")
}

/// Keras `ReduceLROnPlateau` arguments and defaults.
#[derive(Clone, Debug)]
pub struct ReduceLROnPlateauConfig {
    /// Quantity watched (default `val_loss`).
    pub monitor: String,
    /// `new_lr = lr * factor` (default 0.1; must be < 1).
    pub factor: f64,
    /// Epochs without improvement before reducing (default 10).
    pub patience: usize,
    /// Prints a line when the rate is reduced (default 0).
    pub verbose: u8,
    /// Direction (default auto).
    pub mode: MonitorMode,
    /// Smallest change that counts as improvement (default 1e-4).
    pub min_delta: f64,
    /// Epochs to wait after a reduction before counting again (default 0).
    pub cooldown: usize,
    /// Floor of the rate (default 0).
    pub min_lr: f64,
}

impl Default for ReduceLROnPlateauConfig {
    fn default() -> Self {
        ReduceLROnPlateauConfig {
            monitor: "val_loss".into(),
            factor: 0.1,
            patience: 10,
            verbose: 0,
            mode: MonitorMode::Auto,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
        }
    }
}

/// Divides the learning rate when the monitored quantity stops improving (Keras's
/// `ReduceLROnPlateau`). Also logs `learning_rate` (the rate the epoch used) each epoch.
pub struct ReduceLROnPlateau {
    config: ReduceLROnPlateauConfig,
    monitor: Monitor,
    wait: usize,
    cooldown_counter: usize,
}

impl ReduceLROnPlateau {
    /// A callback from `config`; Keras's error for `factor >= 1`.
    pub fn new(config: ReduceLROnPlateauConfig) -> Result<Self> {
        if config.factor >= 1.0 {
            return Err(callback_error(
                "ReduceLROnPlateau",
                format!("ReduceLROnPlateau does not support a factor >= 1.0. Received factor={}", config.factor),
            ));
        }
        let monitor = Monitor::new(&config.monitor, config.mode, config.min_delta);
        Ok(ReduceLROnPlateau { config, monitor, wait: 0, cooldown_counter: 0 })
    }

    fn reduce(&mut self, epoch: usize, ctl: &mut TrainingControl) -> Result<bool> {
        let old = ctl.learning_rate() as f64;
        if old > self.config.min_lr as f32 as f64 {
            let new = (old * self.config.factor).max(self.config.min_lr);
            ctl.set_learning_rate(new as f32)?;
            if self.config.verbose > 0 {
                println!("\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.", epoch + 1, python_float(new));
            }
            return Ok(true);
        }
        Ok(false)
    }
}

impl Callback for ReduceLROnPlateau {
    fn added_logs(&self) -> Vec<String> {
        vec!["learning_rate".into()]
    }

    fn on_train_begin(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        self.monitor.check_available("ReduceLROnPlateau", ctl)?;
        self.monitor.best = None;
        self.cooldown_counter = 0;
        self.wait = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, ctl: &mut TrainingControl) -> Result<()> {
        logs.insert("learning_rate".into(), ctl.learning_rate() as f64);
        // Keras warns and does nothing when the quantity is missing.
        let Some(&current) = logs.get(&self.config.monitor) else {
            // Keras lists the keys in insertion order, `learning_rate` (added above) last.
            let mut keys: Vec<&str> = logs.keys().map(String::as_str).filter(|k| *k != "learning_rate").collect();
            keys.push("learning_rate");
            ctl.warn(format!(
                "Learning rate reduction is conditioned on metric `{}` which is not available. Available metrics are: {}.",
                self.config.monitor,
                keys.join(",")
            ));
            return Ok(());
        };
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.monitor.is_improvement("ReduceLROnPlateau", current, self.monitor.best)? {
            self.monitor.best = Some(current);
            self.wait = 0;
        } else if self.cooldown_counter == 0 {
            self.wait += 1;
            if self.wait >= self.config.patience && self.reduce(epoch, ctl)? {
                self.cooldown_counter = self.config.cooldown;
                self.wait = 0;
            }
        }
        Ok(())
    }
}

/// Keras `EarlyStopping` arguments and defaults.
#[derive(Clone, Debug)]
pub struct EarlyStoppingConfig {
    /// Quantity watched (default `val_loss`).
    pub monitor: String,
    /// Smallest change that counts as improvement (default 0).
    pub min_delta: f64,
    /// Epochs without improvement before stopping (default 0).
    pub patience: usize,
    /// Prints when stopping and restoring (default 0).
    pub verbose: u8,
    /// Direction (default auto).
    pub mode: MonitorMode,
    /// The value to beat: `wait` only restarts on epochs that beat it (default none).
    pub baseline: Option<f64>,
    /// At the end, restore the weights of the best epoch (default false).
    pub restore_best_weights: bool,
    /// Epochs to ignore before watching (default 0).
    pub start_from_epoch: usize,
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        EarlyStoppingConfig {
            monitor: "val_loss".into(),
            min_delta: 0.0,
            patience: 0,
            verbose: 0,
            mode: MonitorMode::Auto,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
        }
    }
}

/// Stops training when the monitored quantity stops improving (Keras's
/// `EarlyStopping`).
///
/// ```
/// use fovea_nn::training::{EarlyStopping, EarlyStoppingConfig};
/// // Keras: EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True)
/// let stop = EarlyStopping::new(EarlyStoppingConfig {
///     monitor: "val_accuracy".into(),
///     patience: 3,
///     restore_best_weights: true,
///     ..Default::default()
/// })?;
/// // model.fit(&x, &y, &options, &mut [&mut stop])?;
/// # let _ = stop;
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub struct EarlyStopping {
    config: EarlyStoppingConfig,
    monitor: Monitor,
    wait: usize,
    /// The epoch training stopped at (0 if it did not stop early), as Keras reports.
    pub stopped_epoch: usize,
    /// The best epoch seen.
    pub best_epoch: usize,
    best_weights: Option<Vec<Tensor>>,
}

impl EarlyStopping {
    /// A callback from `config`; an error for a non-finite `min_delta` or `baseline`
    /// (as every callback and optimizer constructor checks its arguments).
    pub fn new(config: EarlyStoppingConfig) -> Result<Self> {
        if !config.min_delta.is_finite() || config.baseline.is_some_and(|b| !b.is_finite()) {
            return Err(callback_error(
                "EarlyStopping",
                format!(
                    "min_delta and baseline must be finite, received min_delta={} and baseline={:?}",
                    config.min_delta, config.baseline
                ),
            ));
        }
        let monitor = Monitor::new(&config.monitor, config.mode, config.min_delta);
        Ok(EarlyStopping { config, monitor, wait: 0, stopped_epoch: 0, best_epoch: 0, best_weights: None })
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        self.monitor.check_available("EarlyStopping", ctl)?;
        // Keras resets `best` to None here, so `baseline` only gates the wait reset.
        self.wait = 0;
        self.stopped_epoch = 0;
        self.monitor.best = None;
        self.best_weights = None;
        self.best_epoch = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, ctl: &mut TrainingControl) -> Result<()> {
        let Some(&current) = logs.get(&self.config.monitor) else {
            ctl.warn(format!(
                "Early stopping conditioned on metric `{}` which is not available. Available metrics are: {}",
                self.config.monitor,
                available(logs)
            ));
            return Ok(());
        };
        if epoch < self.config.start_from_epoch {
            return Ok(());
        }
        if self.config.restore_best_weights && self.best_weights.is_none() {
            self.best_weights = Some(ctl.get_weights()?);
            self.best_epoch = epoch;
        }
        self.wait += 1;
        if self.monitor.is_improvement("EarlyStopping", current, self.monitor.best)? {
            self.monitor.best = Some(current);
            self.best_epoch = epoch;
            if self.config.restore_best_weights {
                self.best_weights = Some(ctl.get_weights()?);
            }
            let beats_baseline = match self.config.baseline {
                None => true,
                b @ Some(_) => self.monitor.is_improvement("EarlyStopping", current, b)?,
            };
            if beats_baseline {
                self.wait = 0;
            }
            return Ok(());
        }
        if self.wait >= self.config.patience && epoch > 0 {
            self.stopped_epoch = epoch;
            ctl.stop_training();
        }
        Ok(())
    }

    fn on_train_end(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        if self.stopped_epoch > 0 && self.config.verbose > 0 {
            println!("Epoch {}: early stopping", self.stopped_epoch + 1);
        }
        if self.config.restore_best_weights {
            if let Some(w) = &self.best_weights {
                if self.config.verbose > 0 {
                    println!("Restoring model weights from the end of the best epoch: {}.", self.best_epoch + 1);
                }
                ctl.set_weights(w)?;
            }
        }
        Ok(())
    }
}

/// Writes a checkpoint: `save(model, path)`. The format is the caller's choice.
pub type SaveFn = Box<dyn FnMut(&Model, &Path) -> Result<()>>;

/// Keras `ModelCheckpoint` arguments and defaults (saving once per epoch).
#[derive(Clone, Debug)]
pub struct ModelCheckpointConfig {
    /// Quantity watched for `save_best_only` (default `val_loss`).
    pub monitor: String,
    /// Prints a line per save (default 0).
    pub verbose: u8,
    /// Save only when the monitored quantity improves (default false).
    pub save_best_only: bool,
    /// Direction (default auto).
    pub mode: MonitorMode,
    /// The value the first save must beat (Keras `initial_value_threshold`).
    pub initial_value_threshold: Option<f64>,
}

impl Default for ModelCheckpointConfig {
    fn default() -> Self {
        ModelCheckpointConfig {
            monitor: "val_loss".into(),
            verbose: 0,
            save_best_only: false,
            mode: MonitorMode::Auto,
            initial_value_threshold: None,
        }
    }
}

/// Saves the model after each epoch (Keras's `ModelCheckpoint`). `filepath` may name
/// `{epoch}` (1-based) and any log entry, with Python format specs `{epoch:02d}`,
/// `{val_loss:.2f}`.
pub struct ModelCheckpoint {
    filepath: String,
    save: SaveFn,
    config: ModelCheckpointConfig,
    monitor: Monitor,
}

impl ModelCheckpoint {
    /// Saves to `filepath` with `save`; an error when `filepath` is not a valid
    /// pattern (an unclosed `{`, an unsupported format spec). Whether the names it uses
    /// are logged is checked when training starts.
    pub fn new(filepath: &str, save: SaveFn, config: ModelCheckpointConfig) -> Result<Self> {
        check_pattern(filepath)?;
        let mut monitor = Monitor::new(&config.monitor, config.mode, 0.0);
        monitor.best = config.initial_value_threshold;
        Ok(ModelCheckpoint { filepath: filepath.to_string(), save, config, monitor })
    }
}

/// Formats `pattern` once with placeholder values for every name it uses, so that
/// syntax errors surface before training.
fn check_pattern(pattern: &str) -> Result<()> {
    let mut logs = Logs::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        let field = &rest[i + 1..];
        let end = field.find(['}', ':']).unwrap_or(field.len());
        logs.insert(field[..end].to_string(), 0.0);
        rest = &rest[i + 1..];
    }
    format_filepath(pattern, 1, &logs).map(|_| ())
}

impl Callback for ModelCheckpoint {
    fn on_train_begin(&mut self, ctl: &mut TrainingControl) -> Result<()> {
        // Every name the pattern uses must be logged; checked now, not after an epoch
        // of training.
        if !ctl.log_keys().is_empty() {
            let logs: Logs = ctl.log_keys().iter().map(|k| (k.clone(), 0.0)).collect();
            format_filepath(&self.filepath, 1, &logs).map_err(|e| {
                callback_error("ModelCheckpoint", format!("{e}; the logged names are: {}", ctl.log_keys().join(", ")))
            })?;
        }
        if self.config.save_best_only {
            self.monitor.check_available("ModelCheckpoint", ctl)?;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, ctl: &mut TrainingControl) -> Result<()> {
        let path = format_filepath(&self.filepath, epoch + 1, logs)?;
        if self.config.save_best_only {
            // Keras saves anyway (with a warning) when the quantity is missing.
            match logs.get(&self.config.monitor) {
                Some(&current) => {
                    if !self.monitor.is_improvement("ModelCheckpoint", current, self.monitor.best)? {
                        return Ok(());
                    }
                    self.monitor.best = Some(current);
                }
                // Keras's text; it saves anyway.
                None => ctl.warn(format!("Can save best model only with {} available.", self.config.monitor)),
            }
        }
        let path = Path::new(&path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| callback_error("ModelCheckpoint", format!("cannot create {}: {e}", dir.display())))?;
        }
        (self.save)(ctl.model(), path)?;
        if self.config.verbose > 0 {
            println!("\nEpoch {}: finished saving model to {}", epoch + 1, path.display());
        }
        Ok(())
    }
}

/// Python's `filepath.format(epoch=epoch, **logs)` for the specs checkpoint names use:
/// none, `d` with width/zero fill for the epoch, `.Nf`/`.Ne` for floats.
pub(crate) fn format_filepath(pattern: &str, epoch: usize, logs: &Logs) -> Result<String> {
    let fail = |why: String| {
        callback_error(
            "ModelCheckpoint",
            format!("Failed to format this callback filepath: \"{pattern}\". Reason: {why}"),
        )
    };
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let c = &rest[i..];
        if c.starts_with("{{") || c.starts_with("}}") {
            out.push_str(&c[..1]);
            rest = &c[2..];
            continue;
        }
        if c.starts_with('}') {
            return Err(fail("single '}' encountered in format string".into()));
        }
        let end = c.find('}').ok_or_else(|| fail("expected '}' before end of string".into()))?;
        let field = &c[1..end];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        let text = if name == "epoch" {
            format_int(epoch as i64, spec).ok_or_else(|| fail(format!("unsupported format spec '{spec}' for epoch")))?
        } else {
            let v = logs.get(name).ok_or_else(|| fail(format!("'{name}'")))?;
            format_float(*v, spec).ok_or_else(|| fail(format!("unsupported format spec '{spec}' for {name}")))?
        };
        out.push_str(&text);
        rest = &c[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn format_int(v: i64, spec: &str) -> Option<String> {
    let spec = spec.strip_suffix('d').unwrap_or(spec);
    if spec.is_empty() {
        return Some(v.to_string());
    }
    let zero = spec.starts_with('0');
    let width: usize = spec.parse().ok()?;
    Some(if zero { format!("{v:0width$}") } else { format!("{v:width$}") })
}

fn format_float(v: f64, spec: &str) -> Option<String> {
    if spec.is_empty() {
        return Some(python_float(v));
    }
    let prec = spec.strip_prefix('.')?;
    if let Some(p) = prec.strip_suffix('f') {
        let p: usize = p.parse().ok()?;
        return Some(format!("{v:.p$}"));
    }
    let p: usize = prec.strip_suffix('e')?.parse().ok()?;
    let s = format!("{v:.p$e}");
    let (m, e) = s.split_once('e')?;
    let e: i32 = e.parse().ok()?;
    Some(format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filepath_formats_like_python() {
        let logs: Logs = [("val_loss".to_string(), 0.123456)].into_iter().collect();
        let p = format_filepath("ckpt/w.{epoch:02d}-{val_loss:.2f}.weights", 3, &logs).unwrap();
        assert_eq!(p, "ckpt/w.03-0.12.weights");
        assert_eq!(format_filepath("e{epoch}{{x}}", 12, &logs).unwrap(), "e12{x}");
        let err = format_filepath("{acc}", 1, &logs).unwrap_err().to_string();
        assert!(err.contains("Failed to format this callback filepath") && err.contains("'acc'"), "{err}");
    }
}
