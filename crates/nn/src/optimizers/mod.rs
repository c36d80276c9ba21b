//! Optimizers with Keras 3's update rules and defaults: [`SGD`], [`Adam`], [`AdamW`],
//! [`RMSprop`], [`Adagrad`], sharing Keras's base-optimizer options
//! ([`OptimizerOptions`]: weight decay, clipping) and learning rates that may follow a
//! schedule ([`schedules`]).

mod adagrad;
mod adam;
mod base;
mod rmsprop;
pub mod schedules;
mod sgd;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use base::{LearningRate, OptimizerOptions};
pub use rmsprop::{RMSprop, RMSpropConfig};
pub use schedules::LearningRateSchedule;
pub use sgd::{SGDConfig, SGD};

/// The optimizers go by Keras's class names; these are the names they had before.
#[deprecated(note = "use SGD, Keras's class name")]
/// The earlier name.
pub type Sgd = SGD;
#[deprecated(note = "use SGDConfig")]
/// The earlier name.
pub type SgdConfig = SGDConfig;
#[deprecated(note = "use RMSprop, Keras's class name")]
/// The earlier name.
pub type RmsProp = RMSprop;
#[deprecated(note = "use RMSpropConfig")]
/// The earlier name.
pub type RmsPropConfig = RMSpropConfig;

use fovea_core::{Gradients, Tensor};

use crate::{Model, Result, Variable};

/// Updates variables from their gradients.
pub trait Optimizer: Send {
    /// Keras's name (`SGD`, `Adam`, ...).
    fn name(&self) -> &str;

    /// One step: updates each variable in place from its gradient (after clipping and
    /// weight decay as configured), applies each variable's constraint, and advances
    /// `iterations`. As in Keras, an empty list does nothing (the step is not counted),
    /// and the learning rate (and weight decay) use the value at `iterations` before
    /// the step.
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, &Variable)]) -> Result<()>;

    /// The learning rate the next step will use.
    fn learning_rate(&self) -> f32;

    /// Overrides the learning rate (ReduceLROnPlateau). An error when the rate comes
    /// from a schedule, as in Keras.
    fn set_learning_rate(&mut self, lr: f32) -> Result<()>;

    /// Steps taken so far.
    fn iterations(&self) -> u64;

    /// Everything needed to resume: named state tensors (slots per variable, in the
    /// order of the variables first seen, plus scalars such as `iterations`).
    fn state(&self) -> Result<Vec<(String, Tensor)>>;

    /// Restores what [`Optimizer::state`] returned; an error names any missing or
    /// mismatched entry.
    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()>;

    /// One step of a custom training loop: pairs each trainable weight of `model` with
    /// its gradient from `grads` (a `backward()` result) and applies them, as Keras's
    /// `optimizer.apply(grads, model.trainable_variables)`. Weights that took no part in
    /// the loss are left alone; when none did, nothing happens and the step is not
    /// counted.
    ///
    /// ```
    /// use fovea_core::{Rng, Tensor};
    /// use fovea_nn::layers::Dense;
    /// use fovea_nn::optimizers::SGD;
    /// use fovea_nn::{Optimizer, Sequential};
    /// let model = Sequential::new(&[3]).add(Dense::new(1)).build(&mut Rng::new(0))?;
    /// let mut sgd = SGD::with_learning_rate(0.1)?;
    /// let x = Tensor::ones([4, 3])?;
    /// let loss = model.forward(&x, true, &mut Rng::new(1))?.square()?.mean_all()?;
    /// sgd.step(&model, &loss.backward()?)?;
    /// assert_eq!(sgd.iterations(), 1);
    /// # Ok::<(), fovea_nn::Error>(())
    /// ```
    fn step(&mut self, model: &Model, grads: &Gradients) -> Result<()> {
        let pairs: Vec<(Tensor, &Variable)> = model
            .trainable_weights()
            .into_iter()
            .filter_map(|w| grads.get(w.value()).map(|g| (g.clone(), w)))
            .collect();
        if pairs.is_empty() {
            return Ok(());
        }
        self.apply_gradients(&pairs)
    }
}

/// A boxed optimizer is an optimizer (optimizers chosen at run time).
impl<O: Optimizer + ?Sized> Optimizer for Box<O> {
    fn name(&self) -> &str {
        self.as_ref().name()
    }
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, &Variable)]) -> Result<()> {
        self.as_mut().apply_gradients(grads_and_vars)
    }
    fn learning_rate(&self) -> f32 {
        self.as_ref().learning_rate()
    }
    fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        self.as_mut().set_learning_rate(lr)
    }
    fn iterations(&self) -> u64 {
        self.as_ref().iterations()
    }
    fn state(&self) -> Result<Vec<(String, Tensor)>> {
        self.as_ref().state()
    }
    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        self.as_mut().load_state(state)
    }
}
