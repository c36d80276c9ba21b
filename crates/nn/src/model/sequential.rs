//! A linear stack of layers (Keras's `Sequential`).

use fovea_core::Rng;

use super::{Functional, Model, ModelKind};
use crate::{Layer, Result, ShapeSpec};

/// A stack of single-input, single-output layers on one input.
///
/// ```
/// use fovea_nn::model::Sequential;
/// use fovea_nn::layers::Dense;
/// use fovea_nn::Activation;
/// let model = Sequential::new(&[784])
///     .add(Dense::new(64).activation(Activation::Relu))
///     .add(Dense::new(10).activation(Activation::Softmax))
///     .build(&mut fovea_core::Rng::new(0))?;
/// assert_eq!(model.count_params(), 784 * 64 + 64 + 64 * 10 + 10);
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub struct Sequential {
    name: String,
    input: ShapeSpec,
    layers: Vec<Box<dyn Layer>>,
}

impl Sequential {
    /// A stack on inputs of per-sample shape `input_shape` (batch axis unknown).
    pub fn new(input_shape: &[usize]) -> Self {
        Self::with_input_spec(ShapeSpec::batched(input_shape))
    }

    /// A stack on inputs of the full spec `input` (batch axis included).
    pub fn with_input_spec(input: ShapeSpec) -> Self {
        Sequential { name: "sequential".into(), input, layers: Vec::new() }
    }

    /// Sets the model's name (default `sequential`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Appends a layer (Keras's `model.add`).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Layer + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends an already boxed layer.
    pub fn add_boxed(mut self, layer: Box<dyn Layer>) -> Self {
        self.layers.push(layer);
        self
    }

    /// Infers every layer's input shape, builds the weights from `rng`, and returns the
    /// model. The first layer that cannot take its input is an error naming it and the
    /// shape it got.
    pub fn build(self, rng: &mut Rng) -> Result<Model> {
        let mut f = Functional::with_kind(&self.name, ModelKind::Sequential);
        let mut x = f.input_spec("", self.input);
        for layer in self.layers {
            x = f.apply_boxed(layer, &[x])?;
        }
        f.build(&[x], rng)
    }
}
