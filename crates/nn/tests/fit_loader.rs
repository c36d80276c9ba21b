//! `fit_loader`: Keras's `fit(dataset)` over a [`Loader`] — the same loop as `fit` on
//! tensors, with the loader's batching, shuffling, augmentation and prefetching.

mod training_support;

use fovea_nn::data::{Dataset, Loader, LoaderConfig, RandomFlip};
use fovea_nn::losses::MeanSquaredError;
use fovea_nn::optimizers::Adam;
use fovea_nn::training::{CompiledModel, FitOptions, TrainAugment};
use fovea_nn::Model;
use training_support::{dropout_model, linear_data, weights};

fn adam_compiled(model: Model) -> CompiledModel {
    model.compile(Adam::default(), MeanSquaredError, ())
}

fn options(epochs: usize, initial_epoch: usize) -> FitOptions {
    FitOptions { epochs, initial_epoch, batch_size: 6, seed: 21, verbose: 0, ..Default::default() }
}

fn loader(shuffle: bool, prefetch: bool) -> Loader {
    let (x, y) = linear_data(30, 8);
    let config = LoaderConfig { batch_size: 6, shuffle, seed: 5, prefetch, ..Default::default() };
    Loader::new(Dataset::new(x, y).unwrap(), config).unwrap()
}

#[test]
fn unshuffled_loader_trains_exactly_like_unshuffled_tensors() {
    let (x, y) = linear_data(30, 8);
    let mut on_tensors = adam_compiled(dropout_model(3));
    let opts = FitOptions { shuffle: false, ..options(3, 0) };
    let h1 = on_tensors.fit(&x, &y, &opts, &mut []).unwrap();
    let mut on_loader = adam_compiled(dropout_model(3));
    let h2 = on_loader.fit_loader(&loader(false, true), &opts, &mut []).unwrap();
    assert_eq!(weights(on_tensors.model()), weights(on_loader.model()));
    assert_eq!(h1.history["loss"], h2.history["loss"]);
}

#[test]
fn prefetching_does_not_change_training() {
    let mut a = adam_compiled(dropout_model(3));
    a.fit_loader(&loader(true, true), &options(3, 0), &mut []).unwrap();
    let mut b = adam_compiled(dropout_model(3));
    b.fit_loader(&loader(true, false), &options(3, 0), &mut []).unwrap();
    assert_eq!(weights(a.model()), weights(b.model()));
}

#[test]
fn resuming_a_loader_run_matches_an_uninterrupted_one() {
    let data = loader(true, true);
    let mut full = adam_compiled(dropout_model(3));
    full.fit_loader(&data, &options(4, 0), &mut []).unwrap();
    let mut part = adam_compiled(dropout_model(3));
    part.fit_loader(&data, &options(2, 0), &mut []).unwrap();
    part.fit_loader(&data, &options(4, 2), &mut []).unwrap();
    assert_eq!(weights(full.model()), weights(part.model()));
    // A different loader seed gives a different run, so the check can fail.
    let (x, y) = linear_data(30, 8);
    let other = Loader::new(Dataset::new(x, y).unwrap(), LoaderConfig { batch_size: 6, seed: 6, ..Default::default() })
        .unwrap();
    let mut diff = adam_compiled(dropout_model(3));
    diff.fit_loader(&other, &options(4, 0), &mut []).unwrap();
    assert_ne!(weights(full.model()), weights(diff.model()));
}

#[test]
fn validation_data_is_evaluated_each_epoch() {
    let (xv, yv) = linear_data(12, 9);
    let opts = FitOptions { validation_data: Some((xv.into(), yv.into())), ..options(2, 0) };
    let mut m = adam_compiled(dropout_model(3));
    let h = m.fit_loader(&loader(true, true), &opts, &mut []).unwrap();
    assert_eq!(h.history["val_loss"].len(), 2);
    assert!(h.history["val_loss"].iter().all(|v| v.is_finite() && *v > 0.0));
}

#[test]
fn options_that_belong_to_tensors_are_errors() {
    let mut m = adam_compiled(dropout_model(3));
    let split = FitOptions { validation_split: 0.2, ..options(1, 0) };
    let e = m.fit_loader(&loader(true, true), &split, &mut []).unwrap_err().to_string();
    assert!(e.contains("validation_split"), "{e}");
    let aug = FitOptions { augment: Some(TrainAugment(std::sync::Arc::new(RandomFlip))), ..options(1, 0) };
    let e = m.fit_loader(&loader(true, true), &aug, &mut []).unwrap_err().to_string();
    assert!(e.contains("Loader::with_augment"), "{e}");
}
