//! A custom layer with its own trainable weight, used in a Sequential model and trained
//! by `fit`. A custom layer writes only what is its own: `build`, `call` and its
//! weights. The class name comes from the type, the model keeps the layer's name, and
//! the output shape defaults to the input's (checked on every call; a layer that
//! changes shapes implements `output_shape`).
//!
//! The Keras program it mirrors (11 lines; this one is 26 from `struct` to the end of
//! `main`: Rust spends three lines on each method):
//!
//! ```python
//! class Scale(keras.layers.Layer):
//!     def build(self, input_shape):
//!         self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="ones")
//!     def call(self, x):
//!         return x * self.gamma
//!
//! x = np.random.uniform(size=(32, 4)); y = x @ np.array([[1.0], [2.0], [0.0], [-1.0]])
//! model = keras.Sequential([keras.Input((4,)), Scale(), keras.layers.Dense(1)])
//! model.compile(optimizer="sgd", loss="mse")
//! history = model.fit(x, y, epochs=5, verbose=0)
//! assert model.layers[0].name == "scale"
//! print(history.history["loss"])
//! ```

use fovea_core::{Rng, Tensor};
use fovea_nn::layers::Dense;
use fovea_nn::losses::MeanSquaredError;
use fovea_nn::optimizers::SGD;
use fovea_nn::training::FitOptions;
use fovea_nn::{CallContext, Layer, Result, Sequential, ShapeSpec, Variable};

#[derive(Default)]
struct Scale(Vec<Variable>);

impl Layer for Scale {
    fn build(&mut self, inputs: &[ShapeSpec], _rng: &mut Rng) -> Result<()> {
        let channels = inputs[0].known_dim(-1).unwrap_or(1);
        self.0 = vec![Variable::new("gamma", Tensor::ones([channels])?, true)];
        Ok(())
    }
    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![inputs[0].mul(self.0[0].value())?])
    }
    fn weights(&self) -> Vec<&Variable> {
        self.0.iter().collect()
    }
}

fn main() -> Result<()> {
    let mut rng = Rng::new(0);
    let x = rng.uniform([32, 4], 0.0, 1.0)?;
    let y = x.matmul(&Tensor::from_vec(vec![1.0, 2.0, 0.0, -1.0], [4, 1])?)?;
    let model = Sequential::new(&[4]).add(Scale::default()).add(Dense::new(1)).build(&mut rng)?;
    let mut model = model.compile(SGD::default(), MeanSquaredError, ());
    let history = model.fit(&x, &y, &FitOptions { epochs: 5, verbose: 0, ..Default::default() }, &mut [])?;
    assert_eq!(model.model().layers().next().map(|l| l.name()), Some("scale"));
    println!("loss by epoch: {:?}", history.history["loss"]);
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
