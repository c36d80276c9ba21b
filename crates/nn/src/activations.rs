//! Keras 3's activation functions as one enum, applied by layers' `activation` argument
//! and by the `Activation` layer. Defaults are Keras's (`leaky_relu` slope 0.2, `elu`
//! alpha 1.0, `gelu` exact).

use fovea_core::{Result, Tensor};

/// An activation function.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Activation {
    /// Identity (Keras's `linear` / `None`).
    #[default]
    Linear,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `relu6(x + 3) / 6`.
    HardSigmoid,
    /// `clip(0.2 * x + 0.5, 0, 1)`: the older piecewise-linear sigmoid (Keras 2 and
    /// TensorFlow before 2.16 meant this by `hard_sigmoid`; its slope is 0.2, not 1/6).
    HardSigmoidLegacy,
    /// `tanh(x)`.
    Tanh,
    /// Softmax over the last axis.
    Softmax,
    /// Log-softmax over the last axis.
    LogSoftmax,
    /// `x` if positive, else `alpha * (e^x - 1)`.
    Elu {
        /// Scale of the negative part.
        alpha: f32,
    },
    /// Scaled ELU.
    Selu,
    /// GELU, exact or with the tanh approximation.
    Gelu {
        /// Use the tanh approximation.
        approximate: bool,
    },
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `x * sigmoid(x)` (also called swish).
    Silu,
    /// `e^x`.
    Exponential,
    /// `x` if positive, else `negative_slope * x`.
    LeakyRelu {
        /// Slope of the negative part.
        negative_slope: f32,
    },
}

impl Activation {
    /// Keras's `elu` with alpha 1.
    pub fn elu() -> Self {
        Self::Elu { alpha: 1.0 }
    }
    /// Keras's exact `gelu`.
    pub fn gelu() -> Self {
        Self::Gelu { approximate: false }
    }
    /// Keras's `leaky_relu` with slope 0.2.
    pub fn leaky_relu() -> Self {
        Self::LeakyRelu { negative_slope: 0.2 }
    }

    /// Applies the activation element-wise (softmax variants over the last axis).
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        match *self {
            Self::Linear => Ok(x.clone()),
            Self::Relu => x.relu(),
            Self::Relu6 => x.relu6(),
            Self::Sigmoid => x.sigmoid(),
            Self::HardSigmoid => x.hard_sigmoid(),
            Self::HardSigmoidLegacy => x.mul_scalar(0.2)?.add_scalar(0.5)?.clamp(0.0, 1.0),
            Self::Tanh => x.tanh(),
            Self::Softmax => x.softmax(-1),
            Self::LogSoftmax => x.log_softmax(-1),
            Self::Elu { alpha } => x.elu(alpha),
            Self::Selu => x.selu(),
            Self::Gelu { approximate } => x.gelu(approximate),
            Self::Softplus => x.softplus(),
            Self::Softsign => x.softsign(),
            Self::Silu => x.silu(),
            Self::Exponential => x.exp(),
            Self::LeakyRelu { negative_slope } => x.leaky_relu(negative_slope),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Activation;
    use fovea_core::Tensor;

    #[test]
    fn legacy_hard_sigmoid_has_slope_one_fifth_and_saturates_at_2_5() {
        let x = Tensor::from_vec(vec![-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0], [7]).unwrap();
        let y = Activation::HardSigmoidLegacy.apply(&x).unwrap().to_vec_f32().unwrap();
        let want = [0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{y:?}");
        }
        // Keras 3's hard_sigmoid differs: relu6(1 + 3) / 6 = 2/3 at x = 1.
        let k3 = Activation::HardSigmoid.apply(&x).unwrap().to_vec_f32().unwrap();
        assert!((k3[4] - 2.0 / 3.0).abs() < 1e-6);
    }
}
