//! Layer weights.

use fovea_core::Tensor;

use crate::{Constraint, Error, Regularizer, Result};

/// One weight of a layer: Keras's `kernel`, `bias`, `gamma`, `moving_mean`, ...
///
/// A trainable variable's tensor is an autodiff leaf, so the loss's gradients reach it.
/// Optimizers and `set_weights` update the tensor in place, so every holder of it (the
/// layer, the optimizer) sees the new values.
#[derive(Clone, Debug)]
pub struct Variable {
    name: String,
    value: Tensor,
    trainable: bool,
    /// Penalty added to the loss during training.
    pub regularizer: Option<Regularizer>,
    /// Projection applied after each update.
    pub constraint: Option<Constraint>,
}

impl Variable {
    /// A variable holding `value` (copied into a fresh leaf if it is trainable).
    pub fn new(name: impl Into<String>, value: Tensor, trainable: bool) -> Self {
        let value = if trainable { value.detach().requires_grad() } else { value.detach() };
        Variable { name: name.into(), value, trainable, regularizer: None, constraint: None }
    }

    /// The weight's name inside its layer (`kernel`, `bias`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current value (the autodiff leaf, for trainable variables).
    pub fn value(&self) -> &Tensor {
        &self.value
    }

    /// Whether optimizers update it.
    pub fn trainable(&self) -> bool {
        self.trainable
    }

    /// The shape of the weight.
    pub fn dims(&self) -> &[usize] {
        self.value.dims()
    }

    /// Number of scalars.
    pub fn numel(&self) -> usize {
        self.value.numel()
    }

    /// Overwrites the value in place; the shape must match.
    pub fn assign(&self, new: &Tensor) -> Result<()> {
        if new.dims() != self.value.dims() {
            return Err(Error::Core(fovea_core::Error::Shape {
                op: "set_weights",
                msg: format!(
                    "weight '{}' has shape {}, got a value of shape {}",
                    self.name,
                    self.value.shape(),
                    new.shape()
                ),
            }));
        }
        Ok(self.value.assign(new)?)
    }
}
