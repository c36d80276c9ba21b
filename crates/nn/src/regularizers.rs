//! Weight and activity regularizers: penalties added to the training loss.

use fovea_core::{Result, Tensor};

/// `l1 * sum(|w|) + l2 * sum(w^2)`. Keras's `L1()` and `L2()` default to 0.01.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regularizer {
    /// Weight of the L1 term.
    pub l1: f32,
    /// Weight of the L2 term.
    pub l2: f32,
}

impl Regularizer {
    /// Keras `L1(l1)`.
    pub fn l1(l1: f32) -> Self {
        Regularizer { l1, l2: 0.0 }
    }
    /// Keras `L2(l2)`.
    pub fn l2(l2: f32) -> Self {
        Regularizer { l1: 0.0, l2 }
    }
    /// Keras `L1L2(l1, l2)`.
    pub fn l1_l2(l1: f32, l2: f32) -> Self {
        Regularizer { l1, l2 }
    }

    /// The penalty for `w`, a scalar tensor that gradients flow through.
    pub fn penalty(&self, w: &Tensor) -> Result<Tensor> {
        let mut total = Tensor::scalar(0.0);
        if self.l1 != 0.0 {
            total = total.add(&w.abs()?.sum_all()?.mul_scalar(self.l1)?)?;
        }
        if self.l2 != 0.0 {
            total = total.add(&w.square()?.sum_all()?.mul_scalar(self.l2)?)?;
        }
        Ok(total)
    }
}
