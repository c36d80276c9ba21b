//! The `Layer` trait every Keras layer implements, and what a call receives.

use std::any::Any;

use fovea_core::{Rng, Tensor};

use crate::{Error, Result, ShapeSpec, Variable};

/// What a layer's `call` gets besides its inputs. State travels here as arguments,
/// never through globals: training mode, randomness, and the activity-regularizer
/// penalties the call adds for the training loss.
pub struct CallContext<'a> {
    /// Training mode: dropout drops, batch normalization uses batch statistics and
    /// updates its moving ones.
    pub training: bool,
    /// Randomness (dropout masks).
    pub rng: &'a mut Rng,
    /// Penalties added by activity regularizers during this call.
    pub losses: Vec<Tensor>,
}

impl<'a> CallContext<'a> {
    /// A context for one forward pass.
    pub fn new(training: bool, rng: &'a mut Rng) -> Self {
        CallContext { training, rng, losses: Vec::new() }
    }
}

/// A Keras layer: configuration, weights created by `build`, and a forward `call`.
///
/// Inputs and outputs are slices so that merge layers (several inputs) and recurrent
/// layers with `return_state` (several outputs) share one interface; most layers take
/// and return one tensor.
///
/// A custom layer writes what is its own; the name and the rest have defaults:
///
/// ```
/// use fovea_core::{Rng, Tensor};
/// use fovea_nn::{CallContext, Layer, Result, Sequential};
///
/// /// Keras: `class Double(Layer): def call(self, x): return 2 * x`
/// struct Double;
/// impl Layer for Double {
///     fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
///         Ok(vec![inputs[0].mul_scalar(2.0)?])
///     }
/// }
///
/// let model = Sequential::new(&[3]).add(Double).build(&mut Rng::new(0))?;
/// assert_eq!(model.layers().next().unwrap().name(), "double");
/// let y = model.forward(&Tensor::ones([1, 3])?, false, &mut Rng::new(0))?;
/// assert_eq!(y.to_vec_f32()?, [2.0, 2.0, 2.0]);
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub trait Layer: Send + Sync {
    /// The layer's name (`conv2d_1`); empty until a model names it.
    ///
    /// A custom layer may leave `name` and `set_name` out: the model then keeps the name
    /// for it (Keras's default name from the class name, `my_layer_1`).
    fn name(&self) -> &str {
        ""
    }

    /// Sets the name (models give unnamed layers Keras's default names). The default
    /// ignores it; see [`Layer::name`].
    fn set_name(&mut self, name: &str) {
        let _ = name;
    }

    /// The layer named `name` (Keras's `name=` argument), builder style:
    /// `Dense::new(3).named("class")`.
    fn named(mut self, name: &str) -> Self
    where
        Self: Sized,
    {
        self.set_name(name);
        self
    }

    /// The Keras class name shown by `summary()` (`Conv2D`). The default is the Rust
    /// type's name without its path (`Scale` for `my_crate::layers::Scale`).
    fn class_name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let path = full.split('<').next().unwrap_or(full);
        path.rsplit("::").next().unwrap_or(path)
    }

    /// The output shapes for these input shapes, without building. Errors name the
    /// layer, what it expected and what it got.
    ///
    /// The default keeps the input shapes (one output per input), which suits
    /// element-wise layers; a layer that changes shapes overrides it. Models check
    /// every call's outputs against it, so a wrong shape is an error naming the layer.
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        Ok(inputs.to_vec())
    }

    /// Creates the weights for these input shapes. Called once, before the first call.
    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        let _ = (inputs, rng);
        Ok(())
    }

    /// The forward pass.
    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>>;

    /// The weights in Keras's order (`kernel`, `bias`; `gamma`, `beta`, `moving_mean`,
    /// `moving_variance`; ...). Empty before `build`.
    fn weights(&self) -> Vec<&Variable> {
        Vec::new()
    }

    /// For code that needs the concrete layer type (export to Keras configs), which
    /// implements it as `self`. The default, for custom layers, is `()`: such a layer is
    /// never mistaken for a built-in one.
    fn as_any(&self) -> &dyn Any {
        &()
    }
}

/// `name (Class)`, how errors and summaries identify a layer.
pub fn describe(layer: &dyn Layer) -> String {
    format!("{} ({})", if layer.name().is_empty() { "<unnamed>" } else { layer.name() }, layer.class_name())
}

/// An error naming `layer`.
pub fn layer_error(layer: &dyn Layer, msg: impl Into<String>) -> Error {
    Error::Layer { layer: describe(layer), msg: msg.into() }
}

/// The single input of a one-input layer.
pub fn single<'a, T>(layer: &dyn Layer, inputs: &'a [T]) -> Result<&'a T> {
    match inputs {
        [x] => Ok(x),
        _ => Err(layer_error(layer, format!("expects 1 input, got {}", inputs.len()))),
    }
}

/// Keras's `to_snake_case`, which makes default layer names: `Conv2D` -> `conv2d`,
/// `MaxPooling2D` -> `max_pooling2d`, `ReLU` -> `re_lu`, `SimpleRNN` -> `simple_rnn`.
pub fn snake_case(class: &str) -> String {
    let c: Vec<char> = class.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    // Pass 1: "(.)([A-Z][a-z]+)" -> "\1_\2".
    let mut s1: Vec<char> = Vec::with_capacity(c.len() + 4);
    for i in 0..c.len() {
        if i > 0 && c[i].is_ascii_uppercase() && c.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()) {
            s1.push('_');
        }
        s1.push(c[i]);
    }
    // Pass 2: "([a-z])([A-Z])" -> "\1_\2".
    let mut out = String::with_capacity(s1.len() + 4);
    for i in 0..s1.len() {
        if i > 0 && s1[i].is_ascii_uppercase() && s1[i - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(s1[i]);
    }
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn default_names_follow_keras() {
        for (class, name) in [
            ("Conv2D", "conv2d"),
            ("MaxPooling2D", "max_pooling2d"),
            ("ReLU", "re_lu"),
            ("LeakyReLU", "leaky_re_lu"),
            ("SimpleRNN", "simple_rnn"),
            ("BatchNormalization", "batch_normalization"),
            ("GlobalAveragePooling2D", "global_average_pooling2d"),
            ("LSTM", "lstm"),
            ("Dense", "dense"),
            ("InputLayer", "input_layer"),
        ] {
            assert_eq!(snake_case(class), name);
        }
    }
}
