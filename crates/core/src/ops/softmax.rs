//! Softmax and log-softmax along one axis, with fused kernels and closed-form backwards.
//!
//! # Shapes
//! Output shape = input shape; each lane along `axis` is normalised independently.

use crate::autodiff::record;
use crate::backend::{self, params::SoftmaxParams};
use crate::{normalize_axis, Result, Tensor};

impl Tensor {
    /// Numerically stable softmax along `axis` (subtracts the max first), so inputs
    /// like 1000 or -1000 do not overflow. Negative `axis` counts from the end.
    ///
    /// # Shapes
    /// Any rank >= 1; the output has the input's shape and sums to 1 along `axis`.
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        softmax_op(self, axis, false)
    }

    /// `log(softmax(x))` computed stably as `x - max - log(sum(exp(x - max)))`: finite
    /// wherever the input is, even where softmax rounds to 0.
    ///
    /// # Shapes
    /// Any rank >= 1; the output has the input's shape.
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor> {
        softmax_op(self, axis, true)
    }
}

fn softmax_op(x: &Tensor, axis: isize, log: bool) -> Result<Tensor> {
    let name = if log { "log_softmax" } else { "softmax" };
    let a = normalize_axis(name, axis, x.rank())?;
    let dims = x.dims();
    // An empty tensor's other extents may overflow as a product; the kernel does nothing then.
    let product = |d: &[usize]| d.iter().try_fold(1usize, |acc, &v| acc.checked_mul(v)).unwrap_or(0);
    let p = SoftmaxParams { outer: product(&dims[..a]), n: dims[a], inner: product(&dims[a + 1..]), log };
    let y = backend::softmax::forward(&x.detach().contiguous()?, &p, name)?;
    // Both backwards need only the output (log-softmax recovers softmax as exp(y)).
    let saved = y.clone();
    Ok(record(y, name, &[x], || {
        Box::new(move |g, _| Ok(vec![Some(backend::softmax::backward(&saved, &g.contiguous()?, &p, name)?)]))
    }))
}
