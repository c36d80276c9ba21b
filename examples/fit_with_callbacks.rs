//! A small CNN on 1,000 real MNIST digits (shipped in `data/`), trained by `fit` with
//! Keras's callbacks.
//!
//! The Keras program it mirrors (14 lines; this one's `main` is 20):
//!
//! ```python
//! x, y = load_digits("data/mnist_5k.csv.gz")[:1000]
//! model = keras.Sequential([
//!     keras.Input((28, 28, 1)),
//!     layers.Conv2D(8, 3, activation="relu"),
//!     layers.MaxPooling2D(2),
//!     layers.Flatten(),
//!     layers.Dense(10, activation="softmax"),
//! ])
//! model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
//! stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=2, restore_best_weights=True)
//! plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1)
//! best = keras.callbacks.ModelCheckpoint("best.weights.h5", save_best_only=True, save_weights_only=True)
//! history = model.fit(x, y, batch_size=64, epochs=3, validation_split=0.2, callbacks=[stop, plateau, best])
//! print(history.history["val_accuracy"][-1])
//! ```

use fovea_core::Rng;
use fovea_nn::data::load_digits_csv;
use fovea_nn::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::metrics::accuracy;
use fovea_nn::optimizers::Adam;
use fovea_nn::training::*;
use fovea_nn::Activation::{Relu, Softmax};
use fovea_nn::{save_weights, Sequential};

fn main() -> fovea_nn::Result<()> {
    let digits = load_digits_csv(fovea_examples::repo_file("data/mnist_5k.csv.gz"))?;
    let (x, y) = digits.take(&(0..1000).collect::<Vec<_>>())?;
    let mut model = Sequential::new(&[28, 28, 1])
        .add(Conv2D::new(8, 3).activation(Relu))
        .add(MaxPooling2D::new(2))
        .add(Flatten::new())
        .add(Dense::new(10).activation(Softmax))
        .build(&mut Rng::new(0))?
        .compile(Adam::default(), SparseCategoricalCrossentropy::default(), accuracy());
    let stop_config = EarlyStoppingConfig { patience: 2, restore_best_weights: true, ..Default::default() };
    let mut stop = EarlyStopping::new(EarlyStoppingConfig { monitor: "val_accuracy".into(), ..stop_config })?;
    let mut plateau =
        ReduceLROnPlateau::new(ReduceLROnPlateauConfig { factor: 0.5, patience: 1, ..Default::default() })?;
    let best_path = std::env::temp_dir().join("fovea-example-best.safetensors").display().to_string();
    let best_only = ModelCheckpointConfig { save_best_only: true, ..Default::default() };
    let mut best = ModelCheckpoint::new(&best_path, Box::new(|m, p| save_weights(m, p)), best_only)?;
    let options = FitOptions { batch_size: 64, epochs: 3, validation_split: 0.2, ..Default::default() };
    let history = model.fit(&x, &y, &options, &mut [&mut stop, &mut plateau, &mut best])?;
    println!("val_accuracy {:.3}", history.history["val_accuracy"][history.epochs.len() - 1]);
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
