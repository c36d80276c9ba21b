//! A Functional model with two inputs (a small image and five word ids) and two outputs
//! (a class and a score), trained by `fit` with a loss, a weight and metrics per output,
//! inputs and targets given by name.
//!
//! The Keras program it mirrors (16 lines; this one's `main` is 23):
//!
//! ```python
//! img = keras.Input((8, 8, 1), name="img")
//! words = keras.Input((5,), name="words")
//! a = layers.Flatten()(layers.Conv2D(4, 3, activation="relu")(img))
//! b = layers.Flatten()(layers.Embedding(20, 4)(words))
//! h = layers.Dense(16, activation="relu")(layers.Concatenate()([a, b]))
//! cls = layers.Dense(3, activation="softmax", name="class")(h)
//! score = layers.Dense(1, name="score")(h)
//! model = keras.Model([img, words], [cls, score])
//! model.compile(optimizer="adam",
//!               loss={"class": "sparse_categorical_crossentropy", "score": "mse"},
//!               loss_weights={"score": 0.5}, metrics={"class": ["accuracy"]})
//! x_img = np.random.uniform(size=(64, 8, 8, 1)); x_words = np.arange(320).reshape(64, 5) % 20
//! y_class = x_words[:, 0] % 3; y_score = x_img.mean(axis=(1, 2))
//! history = model.fit({"img": x_img, "words": x_words}, {"class": y_class, "score": y_score},
//!                     batch_size=16, epochs=2, validation_split=0.25)
//! print(sorted(history.history))
//! ```

use fovea_core::{Rng, Tensor};
use fovea_nn::layers::{Concatenate, Conv2D, Dense, Embedding, Flatten};
use fovea_nn::losses::{MeanSquaredError, SparseCategoricalCrossentropy};
use fovea_nn::metrics::accuracy;
use fovea_nn::optimizers::Adam;
use fovea_nn::training::{FitOptions, Losses, Metrics};
use fovea_nn::Activation::{Relu, Softmax};
use fovea_nn::{Functional, Layer};

fn main() -> fovea_nn::Result<()> {
    let mut f = Functional::new("two_in_two_out");
    let (img, words) = (f.named_input("img", &[8, 8, 1]), f.named_input("words", &[5]));
    let a = f.apply(Conv2D::new(4, 3).activation(Relu), &[img])?;
    let a = f.apply(Flatten::new(), &[a])?;
    let b = f.apply(Embedding::new(20, 4), &[words])?;
    let b = f.apply(Flatten::new(), &[b])?;
    let h = f.apply(Concatenate::new(-1), &[a, b])?;
    let h = f.apply(Dense::new(16).activation(Relu), &[h])?;
    let class = f.apply(Dense::new(3).activation(Softmax).named("class"), &[h])?;
    let score = f.apply(Dense::new(1).named("score"), &[h])?;
    let losses = Losses::per_output().output("class", SparseCategoricalCrossentropy::default());
    let losses = losses.output("score", MeanSquaredError).weight("score", 0.5);
    let metrics = Metrics::per_output().output("class", accuracy());
    let mut model = f.build(&[class, score], &mut Rng::new(0))?.compile(Adam::default(), losses, metrics);
    let x_img = Rng::new(1).uniform([64, 8, 8, 1], 0.0, 1.0)?;
    let ids: Vec<f32> = (0..320).map(|i| (i % 20) as f32).collect();
    let y_class = Tensor::from_vec_i64(ids.iter().step_by(5).map(|&w| w as i64 % 3).collect(), [64])?;
    let (x_words, y_score) = (Tensor::from_vec(ids, [64, 5])?, x_img.mean(&[1, 2], false)?);
    let options = FitOptions { batch_size: 16, epochs: 2, validation_split: 0.25, ..Default::default() };
    let (x, y) = ([("img", x_img), ("words", x_words)], [("class", y_class), ("score", y_score)]);
    let history = model.fit(x, y, &options, &mut [])?;
    println!("{:?}", history.history.keys().collect::<Vec<_>>());
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
