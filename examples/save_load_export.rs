//! Saving and loading: weights to a safetensors file and back, and the whole model to a
//! Keras 3 `.keras` file (which Keras itself opens) and back.
//!
//! The Keras program it mirrors (10 lines; this one's `main` is 13, plus a 3-line `build`):
//!
//! ```python
//! model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
//! x = np.random.uniform(size=(5, 6))
//! model.save_weights("model.weights.h5")
//! twin = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
//! twin.load_weights("model.weights.h5")
//! np.testing.assert_allclose(twin.predict(x), model.predict(x))
//! model.save("model.keras")
//! loaded = keras.models.load_model("model.keras")
//! np.testing.assert_allclose(loaded.predict(x), model.predict(x))
//! loaded.summary()
//! ```

use fovea_core::Rng;
use fovea_nn::layers::Dense;
use fovea_nn::{load_weights, save_weights, Activation, Model, Sequential};

fn build(seed: u64) -> fovea_nn::Result<Model> {
    Sequential::new(&[6]).add(Dense::new(8).activation(Activation::Relu)).add(Dense::new(3)).build(&mut Rng::new(seed))
}

fn main() -> fovea_nn::Result<()> {
    let dir = std::env::temp_dir();
    let model = build(0)?;
    let x = Rng::new(1).uniform([5, 6], 0.0, 1.0)?;
    let y = model.forward(&x, false, &mut Rng::new(0))?;
    save_weights(&model, dir.join("model.safetensors"))?;
    let twin = build(7)?;
    load_weights(&twin, dir.join("model.safetensors"))?;
    assert_eq!(twin.forward(&x, false, &mut Rng::new(0))?.to_vec_f32()?, y.to_vec_f32()?);
    fovea_keras::save(&model, dir.join("model.keras"))?;
    let loaded = fovea_keras::load(dir.join("model.keras"))?;
    assert_eq!(loaded.forward(&x, false, &mut Rng::new(0))?.to_vec_f32()?, y.to_vec_f32()?);
    println!("{}", loaded.summary());
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
