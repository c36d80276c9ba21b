//! Resuming from a checkpoint file: weights and Adam's state saved after 2 epochs,
//! loaded into a fresh model and optimizer, training continued with initial_epoch=2,
//! ends with exactly the weights of an uninterrupted 4-epoch run with the same seed.

mod training_support;

use fovea_nn::losses::MeanSquaredError;
use fovea_nn::optimizers::{Adam, AdamConfig};
use fovea_nn::training::{CompiledModel, FitOptions};
use fovea_nn::{load_checkpoint, load_weights, save_checkpoint, Checkpoint, Model, Optimizer};
use training_support::{dropout_model, linear_data, weights};

fn adam_compiled(model: Model) -> CompiledModel {
    model.compile(Adam::default(), MeanSquaredError, ())
}

fn options(epochs: usize, initial_epoch: usize) -> FitOptions {
    FitOptions { epochs, initial_epoch, batch_size: 6, seed: 21, verbose: 0, ..Default::default() }
}

#[test]
fn resume_from_checkpoint_file_matches_uninterrupted_training() {
    let (x, y) = linear_data(30, 8);
    let mut full = adam_compiled(dropout_model(3));
    full.fit(&x, &y, &options(4, 0), &mut []).unwrap();

    let dir = std::env::temp_dir().join(format!("fovea-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ckpt.safetensors");
    {
        let mut first = adam_compiled(dropout_model(3));
        first.fit(&x, &y, &options(2, 0), &mut []).unwrap();
        let mut named = Vec::new();
        for layer in first.model().layers() {
            for w in layer.weights() {
                named.push((format!("{}/{}", layer.name(), w.name()), w.value().detach()));
            }
        }
        let ckpt = Checkpoint {
            architecture: "{}".into(),
            weights: named,
            optimizer: first.optimizer().state().unwrap(),
            epoch: 2,
            metadata: Default::default(),
        };
        save_checkpoint(&path, &ckpt).unwrap();
    }
    // A fresh process would build the model from scratch with other initial weights.
    let model = dropout_model(99);
    load_weights(&model, &path).unwrap();
    let ckpt = load_checkpoint(&path).unwrap();
    let mut adam = Adam::new(AdamConfig::default()).unwrap();
    adam.load_state(&ckpt.optimizer).unwrap();
    assert_eq!(adam.iterations(), 10, "2 epochs of 5 batches");
    let mut resumed = model.compile(adam, MeanSquaredError, ());
    resumed.fit(&x, &y, &options(4, ckpt.epoch), &mut []).unwrap();
    assert_eq!(weights(full.model()), weights(resumed.model()));

    // Without the optimizer state (fresh moments) the result differs: the check can fail.
    let model = dropout_model(99);
    load_weights(&model, &path).unwrap();
    let mut cold = adam_compiled(model);
    cold.fit(&x, &y, &options(4, 2), &mut []).unwrap();
    assert_ne!(weights(full.model()), weights(cold.model()));
    std::fs::remove_dir_all(&dir).ok();
}
