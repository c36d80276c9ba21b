//! Element-wise functions of one tensor: math, and the activations Keras 3 defines.
//!
//! # Shapes
//! Output shape = input shape. Each backward is the fused `grad * f'(x)` kernel.

use crate::autodiff::record;
use crate::backend::{self, BinaryOp, UnaryOp};
use crate::{Error, Result, Tensor};

fn unary(x: &Tensor, op: UnaryOp) -> Result<Tensor> {
    let out = backend::unary(op, x)?;
    Ok(record(out, op.name(), &[x], || {
        let xd = x.detach();
        Box::new(move |g, _| Ok(vec![Some(super::binary::binary_untracked(BinaryOp::UnaryBackward(op), &xd, g)?)]))
    }))
}

fn finite(op: &'static str, name: &str, v: f32) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::arg(op, format!("{name} must be finite, got {v}")))
    }
}

impl Tensor {
    /// `-x`
    pub fn neg(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Neg)
    }
    /// `|x|` (gradient 0 at 0)
    pub fn abs(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Abs)
    }
    /// `e^x`; also Keras's `exponential` activation.
    pub fn exp(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Exp)
    }
    /// Natural logarithm.
    pub fn log(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Log)
    }
    /// Square root.
    pub fn sqrt(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Sqrt)
    }
    /// `1 / sqrt(x)`
    pub fn rsqrt(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Rsqrt)
    }
    /// `x * x`
    pub fn square(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Square)
    }
    /// `1 / x`
    pub fn recip(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Recip)
    }
    /// Hyperbolic tangent.
    pub fn tanh(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Tanh)
    }
    /// `1 / (1 + e^-x)`, computed without overflow.
    pub fn sigmoid(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Sigmoid)
    }
    /// `max(x, 0)` (gradient 0 at 0).
    pub fn relu(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Relu)
    }
    /// `min(max(x, 0), 6)`
    pub fn relu6(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Relu6)
    }
    /// `x` for `x > 0`, else `negative_slope * x` (Keras's default slope is 0.2).
    pub fn leaky_relu(&self, negative_slope: f32) -> Result<Tensor> {
        finite("leaky_relu", "negative_slope", negative_slope)?;
        unary(self, UnaryOp::LeakyRelu { alpha: negative_slope })
    }
    /// `x` for `x > 0`, else `alpha * (e^x - 1)` (Keras's default alpha is 1).
    pub fn elu(&self, alpha: f32) -> Result<Tensor> {
        finite("elu", "alpha", alpha)?;
        unary(self, UnaryOp::Elu { alpha })
    }
    /// Scaled ELU with Keras's constants (alpha 1.67326..., scale 1.05070...).
    pub fn selu(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Selu)
    }
    /// GELU: `x * Phi(x)` exactly when `approximate` is false, else the tanh form.
    pub fn gelu(&self, approximate: bool) -> Result<Tensor> {
        unary(self, if approximate { UnaryOp::GeluTanh } else { UnaryOp::Gelu })
    }
    /// `ln(1 + e^x)`, stable for large |x|.
    pub fn softplus(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Softplus)
    }
    /// `x / (1 + |x|)`
    pub fn softsign(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Softsign)
    }
    /// Keras 3's hard sigmoid: `relu6(x + 3) / 6`.
    pub fn hard_sigmoid(&self) -> Result<Tensor> {
        unary(self, UnaryOp::HardSigmoid)
    }
    /// `x * sigmoid(x)` (Keras's silu / swish).
    pub fn silu(&self) -> Result<Tensor> {
        unary(self, UnaryOp::Silu)
    }
    /// Limits values to `[min, max]`; the gradient is 0 outside.
    pub fn clamp(&self, min: f32, max: f32) -> Result<Tensor> {
        if min.is_nan() || max.is_nan() || min > max {
            return Err(Error::arg("clamp", format!("need min <= max, got min={min}, max={max}")));
        }
        unary(self, UnaryOp::Clamp { min, max })
    }
    /// `x ^ p` for a constant exponent.
    pub fn powf(&self, p: f32) -> Result<Tensor> {
        finite("powf", "exponent", p)?;
        unary(self, UnaryOp::PowScalar { p })
    }
    /// `x + c` for a constant.
    pub fn add_scalar(&self, c: f32) -> Result<Tensor> {
        unary(self, UnaryOp::AddScalar { c })
    }
    /// `x * c` for a constant.
    pub fn mul_scalar(&self, c: f32) -> Result<Tensor> {
        unary(self, UnaryOp::MulScalar { c })
    }
}
