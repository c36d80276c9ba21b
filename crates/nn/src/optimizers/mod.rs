//! Optimizers with Keras 3's update rules and defaults: [`Sgd`], [`Adam`], [`AdamW`],
//! [`RmsProp`], [`Adagrad`], sharing Keras's base-optimizer options
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
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedules::LearningRateSchedule;
pub use sgd::{Sgd, SgdConfig};

use fovea_core::Tensor;

use crate::{Result, Variable};

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
}
