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
