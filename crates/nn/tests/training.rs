//! The training loop: fit / evaluate / predict with Keras semantics, against minimal
//! stand-in loss, metric and optimizer implementations.

mod training_support;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use fovea_core::Tensor;
use fovea_nn::training::{
    Callback, CsvLogger, EarlyStopping, EarlyStoppingConfig, FitOptions, LambdaCallback, ModelCheckpoint,
    ModelCheckpointConfig, TerminateOnNaN,
};
use training_support::*;

fn opts(epochs: usize, batch_size: usize) -> FitOptions {
    FitOptions { epochs, batch_size, verbose: 0, seed: 3, ..FitOptions::default() }
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea_training_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dense_regression_loss_drops_tenfold() {
    let (x, y) = linear_data(64, 1);
    let mut m = compiled(linear_model(0), 0.05);
    let h: fovea_nn::History = m.fit(&x, &y, &opts(20, 8), &mut []).unwrap();
    // One History type: fit's result is what plot_history takes.
    let _: &fovea_nn::training::History = &h;
    let loss = &h.history["loss"];
    assert_eq!(h.epochs, (0..20).collect::<Vec<_>>());
    assert_eq!(loss.len(), 20);
    assert!(loss[19] * 10.0 < loss[0], "loss {loss:?}");
    assert!(h.history["mean_absolute_error"][19] < h.history["mean_absolute_error"][0]);
    // 64 samples in batches of 8: eight steps per epoch.
    assert_eq!(m.optimizer().iterations(), 160);
}

#[test]
fn fit_evaluate_predict_shapes_and_keys() {
    let (x, y) = linear_data(10, 2);
    let mut m = compiled(linear_model(0), 0.01);
    let h = m.fit(&x, &y, &FitOptions { validation_split: 0.3, ..opts(2, 4) }, &mut []).unwrap();
    let keys: Vec<&str> = h.history.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]);
    // 7 training samples in batches of 4: two steps per epoch (the last one partial).
    assert_eq!(m.optimizer().iterations(), 4);
    let p = m.predict(&x, 3).unwrap();
    assert_eq!(p.dims(), &[10, 1]);
    let logs = m.evaluate(&x, &y, 4).unwrap();
    assert_eq!(logs.keys().collect::<Vec<_>>(), ["loss", "mean_absolute_error"]);
    // Batched evaluation weights batches by size: it equals the loss over everything.
    let (pv, yv) = (p.to_vec_f32().unwrap(), y.to_vec_f32().unwrap());
    let mse: f64 = pv.iter().zip(&yv).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / 10.0;
    assert!((logs["loss"] - mse).abs() < 1e-5 * mse.max(1.0), "{} vs {mse}", logs["loss"]);
}

#[test]
fn validation_split_holds_out_the_tail_before_shuffling() {
    let (x, y) = linear_data(8, 3);
    // Poison the last 2 targets: if training touched them the weights would be NaN.
    let mut yv = y.to_vec_f32().unwrap();
    yv[6] = f32::NAN;
    yv[7] = f32::NAN;
    let y = Tensor::from_vec(yv, [8, 1]).unwrap();
    let mut m = compiled(linear_model(0), 0.01);
    let h = m.fit(&x, &y, &FitOptions { validation_split: 0.25, ..opts(3, 2) }, &mut []).unwrap();
    assert!(h.history["loss"].iter().all(|l| l.is_finite()));
    assert!(h.history["val_loss"].iter().all(|l| l.is_nan()));
    assert!(weights(m.model()).iter().flatten().all(|w| w.is_finite()));
    assert_eq!(m.optimizer().iterations(), 9);

    // The held-out logs are an evaluation of the tail with the end-of-epoch weights.
    let (x, y) = linear_data(8, 3);
    let mut m = compiled(linear_model(0), 0.01);
    let h = m.fit(&x, &y, &FitOptions { validation_split: 0.25, ..opts(2, 2) }, &mut []).unwrap();
    let tail = m.evaluate(x.narrow(0, 6, 2).unwrap(), y.narrow(0, 6, 2).unwrap(), 2).unwrap();
    assert_eq!(h.history["val_loss"][1], tail["loss"]);
}

#[test]
fn validation_split_too_small_is_keras_error() {
    let (x, y) = linear_data(3, 3);
    let mut m = compiled(linear_model(0), 0.01);
    let err = m.fit(&x, &y, &FitOptions { validation_split: 0.7, ..opts(1, 2) }, &mut []).unwrap_err().to_string();
    assert!(err.contains("Training data contains 3 samples") && err.contains("validation_split=0.7"), "{err}");
    let err = m.fit(&x, y.narrow(0, 0, 2).unwrap(), &opts(1, 2), &mut []).unwrap_err().to_string();
    assert!(err.contains("Data cardinality is ambiguous"), "{err}");
}

#[test]
fn resuming_with_initial_epoch_reproduces_an_uninterrupted_run() {
    let (x, y) = linear_data(20, 4);
    let o = |epochs, initial_epoch| FitOptions { epochs, initial_epoch, seed: 11, ..opts(epochs, 6) };
    let mut full = compiled(dropout_model(5), 0.05);
    let h_full = full.fit(&x, &y, &o(4, 0), &mut []).unwrap();

    let mut parts = compiled(dropout_model(5), 0.05);
    let h1 = parts.fit(&x, &y, &o(2, 0), &mut []).unwrap();
    let h2 = parts.fit(&x, &y, &o(4, 2), &mut []).unwrap();
    assert_eq!(h2.epochs, [2, 3]);
    assert_eq!(weights(full.model()), weights(parts.model()));
    let joined: Vec<f64> = h1.history["loss"].iter().chain(&h2.history["loss"]).copied().collect();
    assert_eq!(h_full.history["loss"], joined);

    // The seed matters (shuffling and dropout), so the comparison above can fail.
    let mut other = compiled(dropout_model(5), 0.05);
    other.fit(&x, &y, &FitOptions { seed: 12, ..o(4, 0) }, &mut []).unwrap();
    assert_ne!(weights(full.model()), weights(other.model()));
}

/// Overwrites `val_loss` with a scripted sequence (runs before the callback under test).
fn scripted_val_loss(values: Vec<f64>) -> LambdaCallback {
    LambdaCallback::new().adds_logs(&["val_loss"]).on_epoch_end(move |epoch, logs, _| {
        logs.insert("val_loss".into(), values[epoch]);
        Ok(())
    })
}

#[test]
fn early_stopping_stops_and_restores_best_weights() {
    let (x, y) = linear_data(16, 5);
    let mut m = compiled(linear_model(0), 0.05);
    let per_epoch: Rc<RefCell<Vec<Vec<Vec<f32>>>>> = Rc::default();
    let seen = per_epoch.clone();
    let mut record = LambdaCallback::new().on_epoch_end(move |_, _, ctl| {
        seen.borrow_mut().push(weights(ctl.model()));
        Ok(())
    });
    let mut script = scripted_val_loss(vec![1.0, 0.5, 0.7, 0.6, 0.4, 0.3, 0.2]);
    let mut stop =
        EarlyStopping::new(EarlyStoppingConfig { patience: 2, restore_best_weights: true, ..Default::default() })
            .unwrap();
    let h = m.fit(&x, &y, &opts(7, 4), &mut [&mut script, &mut record, &mut stop]).unwrap();
    // Best at epoch 1; epochs 2 and 3 do not improve: stop after epoch 3.
    assert_eq!(h.epochs, [0, 1, 2, 3]);
    assert_eq!(h.history["val_loss"], [1.0, 0.5, 0.7, 0.6]);
    assert_eq!((stop.stopped_epoch, stop.best_epoch), (3, 1));
    let per_epoch = per_epoch.borrow();
    assert_eq!(weights(m.model()), per_epoch[1]);
    assert_ne!(per_epoch[1], per_epoch[3]);
}

#[test]
fn csv_logger_writes_a_row_per_epoch() {
    let dir = temp_path("csv");
    let path = dir.join("log.csv");
    let (x, y) = linear_data(8, 6);
    let mut m = compiled(linear_model(0), 0.05);
    let mut csv = CsvLogger::new(&path);
    let h = m.fit(&x, &y, &FitOptions { validation_split: 0.25, ..opts(3, 4) }, &mut [&mut csv]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "epoch,loss,mean_absolute_error,val_loss,val_mean_absolute_error");
    assert_eq!(lines.len(), 5, "{text:?}");
    let row: Vec<f64> = lines[2].split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(row[0], 1.0);
    assert_eq!(row[1], h.history["loss"][1]);
    assert_eq!(row[3], h.history["val_loss"][1]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn terminate_on_nan_stops_at_the_nan_batch() {
    let (x, y) = linear_data(8, 7);
    let mut yv = y.to_vec_f32().unwrap();
    yv[5] = f32::NAN; // in batch 2 of 4 (batch size 2, no shuffling)
    let y = Tensor::from_vec(yv, [8, 1]).unwrap();
    let batches: Rc<RefCell<Vec<usize>>> = Rc::default();
    let b2 = batches.clone();
    let mut count = LambdaCallback::new().on_batch_end(move |b, _, _| {
        b2.borrow_mut().push(b);
        Ok(())
    });
    let o = FitOptions { shuffle: false, ..opts(5, 2) };
    let mut m = compiled(linear_model(0), 0.05);
    let h = m.fit(&x, &y, &o, &mut [&mut count, &mut TerminateOnNaN::new()]).unwrap();
    assert_eq!(*batches.borrow(), [0, 1, 2]);
    assert_eq!(h.epochs, [0]);
    assert!(h.history["loss"][0].is_nan());

    // Without the callback Keras keeps going.
    let mut m = compiled(linear_model(0), 0.05);
    assert_eq!(m.fit(&x, &y, &o, &mut []).unwrap().epochs.len(), 5);

    let mut strict = TerminateOnNaN { raise_error: true };
    let mut m = compiled(linear_model(0), 0.05);
    let err = m.fit(&x, &y, &o, &mut [&mut strict]).unwrap_err().to_string();
    assert!(err.contains("NaN or Inf loss encountered at batch 2"), "{err}");
}

#[test]
fn model_checkpoint_saves_best_only_with_formatted_names() {
    let dir = temp_path("ckpt");
    let saved: Rc<RefCell<Vec<String>>> = Rc::default();
    let s2 = saved.clone();
    let save = Box::new(move |model: &fovea_nn::Model, path: &std::path::Path| {
        assert_eq!(model.count_params(), 3);
        s2.borrow_mut().push(path.file_name().unwrap().to_string_lossy().into_owned());
        Ok(())
    });
    let pattern = format!("{}/sub/w.{{epoch:02d}}-{{val_loss:.2f}}.bin", dir.display());
    let cfg = ModelCheckpointConfig { save_best_only: true, ..Default::default() };
    let mut ckpt = ModelCheckpoint::new(&pattern, save, cfg).unwrap();
    let mut script = scripted_val_loss(vec![0.9, 0.5, 0.7, 0.25, 0.3]);
    let (x, y) = linear_data(8, 8);
    let mut m = compiled(linear_model(0), 0.05);
    m.fit(&x, &y, &opts(5, 4), &mut [&mut script, &mut ckpt]).unwrap();
    assert_eq!(*saved.borrow(), ["w.01-0.90.bin", "w.02-0.50.bin", "w.04-0.25.bin"]);
    assert!(dir.join("sub").is_dir());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn callbacks_can_change_the_learning_rate_and_stop() {
    struct Halve;
    impl Callback for Halve {
        fn on_epoch_begin(
            &mut self,
            epoch: usize,
            ctl: &mut fovea_nn::training::TrainingControl,
        ) -> fovea_nn::Result<()> {
            if epoch == 2 {
                ctl.stop_training();
            }
            let lr = ctl.learning_rate();
            ctl.set_learning_rate(lr / 2.0)
        }
    }
    let (x, y) = linear_data(8, 9);
    let mut m = compiled(linear_model(0), 0.08);
    let h = m.fit(&x, &y, &opts(10, 8), &mut [&mut Halve]).unwrap();
    // Stopping during epoch 2 still completes that epoch's first batch and logs.
    assert_eq!(h.epochs, [0, 1, 2]);
    assert_eq!(m.optimizer().learning_rate(), 0.01);
}

#[test]
fn loss_includes_weight_regularization_and_activity_penalties() {
    use fovea_nn::layers::{Dense, DenseConfig};
    use fovea_nn::{Regularizer, Sequential};
    let layer = Dense::with_config(DenseConfig {
        units: 1,
        kernel_regularizer: Some(Regularizer::l2(0.5)),
        activity_regularizer: Some(Regularizer::l1(0.25)),
        ..DenseConfig::default()
    });
    let model = Sequential::new(&[2]).add(layer).build(&mut fovea_core::Rng::new(0)).unwrap();
    let (x, y) = linear_data(6, 10);
    // A zero learning rate keeps the weights, so the logged loss is checkable by hand.
    let mut m = model.compile(PlainSgd::new(0.0), Mse, ());
    let h = m.fit(&x, &y, &FitOptions { shuffle: false, ..opts(1, 6) }, &mut []).unwrap();
    let p = m.predict(&x, 6).unwrap().to_vec_f32().unwrap();
    let yv = y.to_vec_f32().unwrap();
    let mse = p.iter().zip(&yv).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / 6.0;
    let kernel = m.model().weights()[0].value().to_vec_f32().unwrap();
    let l2 = 0.5 * kernel.iter().map(|w| (w * w) as f64).sum::<f64>();
    let activity = 0.25 * p.iter().map(|v| v.abs() as f64).sum::<f64>() / 6.0;
    let expected = mse + l2 + activity;
    assert!((h.history["loss"][0] - expected).abs() < 1e-5, "{} vs {expected}", h.history["loss"][0]);
    let eval = m.evaluate(&x, &y, 4).unwrap();
    // Batch means weighted by batch size: uneven batches (4 + 2) give the same total.
    assert!((eval["loss"] - expected).abs() < 1e-5, "{} vs {expected}", eval["loss"]);
}

#[test]
fn reduce_lr_on_plateau_in_fit_logs_the_rate_into_history() {
    use fovea_nn::training::{ReduceLROnPlateau, ReduceLROnPlateauConfig};
    let mut script = scripted_val_loss(vec![1.0, 1.0, 1.0, 1.0]);
    let cfg = ReduceLROnPlateauConfig { patience: 1, factor: 0.5, ..Default::default() };
    let mut plateau = ReduceLROnPlateau::new(cfg).unwrap();
    let (x, y) = linear_data(8, 11);
    let mut m = compiled(linear_model(0), 0.25);
    let h = m.fit(&x, &y, &opts(4, 8), &mut [&mut script, &mut plateau]).unwrap();
    // Each epoch logs the rate it trained with; epoch 0 sets the best, and each later
    // epoch without improvement (patience 1) halves the rate for the next one.
    assert_eq!(h.history["learning_rate"], [0.25, 0.25, 0.125, 0.0625]);
    assert_eq!(m.optimizer().learning_rate(), 0.03125);
}

/// Counts the batches it sees and zeroes them.
struct ZeroAndCount(std::sync::atomic::AtomicUsize);

impl fovea_nn::data::Augment for ZeroAndCount {
    fn apply(&self, batch: &Tensor, _rng: &mut fovea_core::Rng) -> fovea_nn::Result<Tensor> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(batch.zeros_like()?)
    }
}

#[test]
fn augmentation_applies_to_training_batches_only() {
    let (x, y) = linear_data(20, 4);
    let counter = std::sync::Arc::new(ZeroAndCount(Default::default()));
    let aug = fovea_nn::training::TrainAugment(counter.clone());
    let mut m = compiled(linear_model(0), 0.05);
    let o = FitOptions { augment: Some(aug), validation_split: 0.2, ..opts(3, 4) };
    m.fit(&x, &y, &o, &mut []).unwrap();
    // 16 training samples in batches of 4, 3 epochs; validation batches are untouched.
    assert_eq!(counter.0.load(std::sync::atomic::Ordering::SeqCst), 12);
    // Inputs were zeroed, so only the bias learned: the kernel is still its initial value.
    let fresh = weights(&linear_model(0));
    assert_eq!(weights(m.model())[0], fresh[0]);
    assert_ne!(weights(m.model())[1], fresh[1]);
}
