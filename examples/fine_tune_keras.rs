//! Fine-tuning a network saved by Keras 3: open the `.keras` file, freeze every layer
//! but the classifier, and train the classifier on new data with `fit`.
//!
//! The Keras program it mirrors (10 lines; this one's `main` is 15):
//!
//! ```python
//! model = keras.models.load_model("crates/keras/tests/fixtures/seq_convnet.keras")
//! for layer in model.layers[:-1]:
//!     layer.trainable = False
//! frozen = [w.numpy() for w in model.layers[0].weights]
//! x = np.random.uniform(size=(40, 12, 12, 3)); y = np.random.randint(0, 5, size=40)
//! model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
//! history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
//! assert all((a == b.numpy()).all() for a, b in zip(frozen, model.layers[0].weights))
//! print(history.history["accuracy"])
//! model.summary()
//! ```

use fovea_core::{Rng, Tensor};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::metrics::accuracy;
use fovea_nn::optimizers::Adam;
use fovea_nn::training::FitOptions;

fn main() -> fovea_nn::Result<()> {
    let mut model = fovea_keras::load(fovea_examples::repo_file("crates/keras/tests/fixtures/seq_convnet.keras"))?;
    let names: Vec<String> = model.layers().map(|l| l.name().to_string()).collect();
    for name in &names[..names.len() - 1] {
        model.set_trainable(name, false)?;
    }
    let frozen = model.layer("conv2d").map(|l| l.weights()[0].value().to_vec_f32()).transpose()?;
    let x = Rng::new(0).uniform([40, 12, 12, 3], 0.0, 1.0)?;
    let y = Tensor::from_vec_i64((0..40).map(|i| i % 5).collect(), [40])?;
    let mut model = model.compile(Adam::default(), SparseCategoricalCrossentropy::default(), accuracy());
    let history =
        model.fit(&x, &y, &FitOptions { batch_size: 8, epochs: 2, verbose: 0, ..Default::default() }, &mut [])?;
    let after = model.model().layer("conv2d").map(|l| l.weights()[0].value().to_vec_f32()).transpose()?;
    assert_eq!(frozen, after, "the frozen base did not move");
    println!("accuracy by epoch: {:?}\n{}", history.history["accuracy"], model.model().summary());
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
