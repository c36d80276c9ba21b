//! Local response normalization across channels (AlexNet's "NORM" layers), with
//! TensorFlow's `tf.nn.local_response_normalization` semantics, and its closed-form
//! backward.
//!
//! # Shapes
//! Output shape = input shape; each lane along the last axis (the channels, in NHWC) is
//! normalised independently.

use crate::autodiff::record;
use crate::backend::{self, params::LrnParams};
use crate::{Error, Result, Tensor};

/// Parameters of [`Tensor::local_response_norm`], named and defaulted as in TensorFlow's
/// `tf.nn.local_response_normalization` (`depth_radius=5, bias=1, alpha=1, beta=0.5`).
///
/// The AlexNet paper's `k = 2, n = 5, alpha = 1e-4, beta = 0.75` is
/// [`LrnOptions::alexnet`]: `depth_radius = 2` (a window of `n = 2 * 2 + 1` channels),
/// `bias = 2`, `alpha = 1e-4`, `beta = 0.75`. Unlike Caffe's LRN, `alpha` is **not**
/// divided by the window size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrnOptions {
    /// Half-width of the window: channels `d - depth_radius ..= d + depth_radius`.
    pub depth_radius: usize,
    /// Added to the scaled sum of squares (AlexNet's `k`).
    pub bias: f32,
    /// Scale of the sum of squares.
    pub alpha: f32,
    /// Exponent.
    pub beta: f32,
}

impl Default for LrnOptions {
    fn default() -> Self {
        LrnOptions { depth_radius: 5, bias: 1.0, alpha: 1.0, beta: 0.5 }
    }
}

impl LrnOptions {
    /// AlexNet's (Krizhevsky et al., 2012) `k = 2, n = 5, alpha = 1e-4, beta = 0.75`.
    pub fn alexnet() -> Self {
        LrnOptions { depth_radius: 2, bias: 2.0, alpha: 1e-4, beta: 0.75 }
    }
}

impl Tensor {
    /// Local response normalization along the last axis, as TensorFlow defines it:
    ///
    /// ```text
    /// sqr_sum[..., d] = sum(x[..., d - depth_radius ..= d + depth_radius]^2)   (window clipped)
    /// y[..., d]       = x[..., d] / (bias + alpha * sqr_sum[..., d])^beta
    /// ```
    ///
    /// TensorFlow's op takes only 4-D NHWC input; this one takes any rank >= 1 and
    /// normalises the last axis, which is the same thing on NHWC.
    ///
    /// # Shapes
    /// Input `(..., c)`, output `(..., c)`.
    ///
    /// # Errors
    /// A scalar input, or a non-finite `bias`, `alpha` or `beta`.
    pub fn local_response_norm(&self, opts: &LrnOptions) -> Result<Tensor> {
        let name = "local_response_norm";
        let Some(&c) = self.dims().last() else {
            return Err(Error::shape(name, "expected an input of rank >= 1 (channels last), got a scalar"));
        };
        for (what, v) in [("bias", opts.bias), ("alpha", opts.alpha), ("beta", opts.beta)] {
            if !v.is_finite() {
                return Err(Error::arg(name, format!("{what} must be finite, got {v}")));
            }
        }
        let outer = self.numel().checked_div(c).unwrap_or(0);
        let p = LrnParams {
            outer,
            c,
            depth_radius: opts.depth_radius,
            bias: opts.bias,
            alpha: opts.alpha,
            beta: opts.beta,
        };
        let x = self.detach().contiguous()?;
        let y = backend::lrn::forward(&x, &p, name)?;
        Ok(record(y, name, &[self], || {
            Box::new(move |g, _| Ok(vec![Some(backend::lrn::backward(&x, &g.contiguous()?, &p, name)?)]))
        }))
    }
}
