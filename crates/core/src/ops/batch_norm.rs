//! Training-mode batch normalisation over every axis but the last (channels-last
//! layouts, Keras's default `axis=-1`), as one op with a closed-form backward.
//!
//! The composite form (mean, subtract, square, mean, rsqrt, multiply, add) costs about
//! six passes forward and a dozen back with broadcast reductions; this is three passes
//! forward (mean, variance, normalise) and three back (two sums, the input gradient).
//! The arithmetic follows Keras: `inv = rsqrt(var + eps) * gamma`,
//! `y = x * inv + (beta - mean * inv)`, with the biased batch variance.

use crate::autodiff::record;
use crate::backend::cpu::batch_norm as kernel;
use crate::{DType, Error, Result, Tensor};

/// What [`Tensor::batch_norm_train`] returns.
pub struct BatchNormTrain {
    /// The normalised output, shaped like the input, tracked for gradients.
    pub y: Tensor,
    /// The batch mean of each channel, `(c,)`, untracked.
    pub mean: Tensor,
    /// The biased batch variance of each channel, `(c,)`, untracked.
    pub variance: Tensor,
}

impl Tensor {
    /// Batch normalisation with this batch's statistics over all axes but the last;
    /// `gamma` and `beta` (`(c,)`, each optional as Keras's `scale` / `center`) are
    /// trainable. Gradients flow to the input, `gamma` and `beta`, through the
    /// statistics too.
    ///
    /// # Shapes
    /// `self` `(..., c)` with at least one row; `gamma`, `beta` `(c,)`.
    pub fn batch_norm_train(
        &self,
        gamma: Option<&Tensor>,
        beta: Option<&Tensor>,
        epsilon: f32,
    ) -> Result<BatchNormTrain> {
        const OP: &str = "batch_norm";
        let c = self.dims().last().copied().unwrap_or(0);
        if self.rank() < 2 || c == 0 || self.numel() == 0 {
            return Err(Error::shape(
                OP,
                format!("expected an input (..., c) with rows and channels, got {}", self.shape()),
            ));
        }
        for (name, p) in [("gamma", gamma), ("beta", beta)] {
            if let Some(p) = p.filter(|p| p.dims() != [c]) {
                return Err(Error::shape(OP, format!("{name} of shape {} for {c} channels", p.shape())));
            }
        }
        if self.dtype() != DType::F32 {
            return Err(Error::arg(OP, format!("expected f32, got {:?}", self.dtype())));
        }
        if !(epsilon.is_finite() && epsilon >= 0.0) {
            return Err(Error::arg(OP, format!("epsilon must be finite and >= 0, got {epsilon}")));
        }
        // Read in place (a contiguous input shares its storage; no copy) and kept so for
        // the backward, as the other ops keep their saved inputs.
        let xt = self.detach().contiguous()?;
        let x = xt.f32_data(OP)?;
        let gamma_v = gamma.map(|g| g.to_vec_f32()).transpose()?.unwrap_or_else(|| vec![1f32; c]);
        let beta_v = beta.map(|b| b.to_vec_f32()).transpose()?;
        let (mean, var) = kernel::moments(&x, c);
        let rstd: Vec<f32> = var.iter().map(|&v| 1.0 / (v + epsilon).sqrt()).collect();
        let scale: Vec<f32> = rstd.iter().zip(&gamma_v).map(|(&r, &g)| r * g).collect();
        let shift: Vec<f32> = match &beta_v {
            Some(b) => mean.iter().zip(&scale).zip(b).map(|((&m, &s), &b)| -m * s + b).collect(),
            None => mean.iter().zip(&scale).map(|(&m, &s)| -m * s).collect(),
        };
        let mut y = vec![0f32; x.len()];
        kernel::normalize(&x, &scale, &shift, &mut y);
        let y = Tensor::from_vec(y, self.shape().clone())?;
        let (mean_t, var_t) = (Tensor::from_vec(mean.clone(), [c])?, Tensor::from_vec(var, [c])?);
        drop(x);

        let mut inputs = vec![self];
        inputs.extend(gamma);
        inputs.extend(beta);
        let (has_gamma, has_beta) = (gamma.is_some(), beta.is_some());
        let shape = self.shape().clone();
        let y = record(y, OP, &inputs, move || {
            Box::new(move |g, _| {
                let (x, gt) = (xt.f32_data(OP)?, g.contiguous()?);
                let g = gt.f32_data(OP)?;
                let mut dx = vec![0f32; x.len()];
                let (dgamma, dbeta) = kernel::backward(&x, &g, &mean, &rstd, &gamma_v, &mut dx);
                let mut grads = vec![Some(Tensor::from_vec(dx, shape.clone())?)];
                if has_gamma {
                    grads.push(Some(Tensor::from_vec(dgamma, [c])?));
                }
                if has_beta {
                    grads.push(Some(Tensor::from_vec(dbeta, [c])?));
                }
                Ok(grads)
            })
        });
        Ok(BatchNormTrain { y, mean: mean_t, variance: var_t })
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_gradients, GradCheck, Rng, Tensor};

    /// The composite form the layer used before this op, Keras's order of operations.
    fn composite(x: &Tensor, gamma: Option<&Tensor>, beta: Option<&Tensor>, eps: f32) -> crate::Result<Tensor> {
        let axes: Vec<isize> = (0..x.rank() as isize - 1).collect();
        let mean = x.mean(&axes, true)?;
        let var = x.sub(&mean)?.square()?.mean(&axes, true)?;
        let mut inv = var.add_scalar(eps)?.rsqrt()?;
        if let Some(g) = gamma {
            inv = inv.mul(g)?;
        }
        let mut res = mean.neg()?.mul(&inv)?;
        if let Some(b) = beta {
            res = res.add(b)?;
        }
        x.mul(&inv)?.add(&res)
    }

    #[test]
    fn matches_the_composite_form_and_its_gradients() {
        let mut rng = Rng::new(5);
        for dims in [vec![7, 3], vec![2, 5, 4, 6], vec![2100, 17]] {
            let c = *dims.last().unwrap();
            let x = rng.normal(dims.clone(), 0.5, 2.0).unwrap();
            let gamma = rng.normal([c], 1.0, 0.3).unwrap();
            let beta = rng.normal([c], 0.0, 1.0).unwrap();
            for (g, b) in [(Some(&gamma), Some(&beta)), (None, Some(&beta)), (Some(&gamma), None), (None, None)] {
                let out = x.batch_norm_train(g, b, 1e-3).unwrap();
                let want = composite(&x, g, b, 1e-3).unwrap().to_vec_f32().unwrap();
                for (a, e) in out.y.to_vec_f32().unwrap().iter().zip(&want) {
                    assert!((a - e).abs() <= 1e-5 * (1.0 + e.abs()), "{dims:?}: {a} vs {e}");
                }
            }
            if dims[0] < 100 {
                let f = |t: &[Tensor]| Ok(t[0].batch_norm_train(Some(&t[1]), Some(&t[2]), 1e-3)?.y);
                check_gradients(f, &[x.clone(), gamma.clone(), beta.clone()], GradCheck::default()).unwrap();
                let f = |t: &[Tensor]| Ok(t[0].batch_norm_train(None, None, 1e-3)?.y);
                check_gradients(f, std::slice::from_ref(&x), GradCheck::default()).unwrap();
            }
        }
    }

    #[test]
    fn statistics_are_the_batch_mean_and_biased_variance() {
        let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 20.0], [2, 2]).unwrap();
        let out = x.batch_norm_train(None, None, 0.0).unwrap();
        assert_eq!(out.mean.to_vec_f32().unwrap(), [2.0, 15.0]);
        assert_eq!(out.variance.to_vec_f32().unwrap(), [1.0, 25.0]);
        assert_eq!(out.y.to_vec_f32().unwrap(), [-1.0, -1.0, 1.0, 1.0]);
    }

    #[test]
    fn bad_shapes_are_errors_naming_the_op() {
        let x = Tensor::zeros([4, 3]).unwrap();
        let msg = x.batch_norm_train(Some(&Tensor::zeros([2]).unwrap()), None, 1e-3).err().unwrap().to_string();
        assert!(msg.contains("batch_norm") && msg.contains("gamma"), "{msg}");
        assert!(Tensor::zeros([3]).unwrap().batch_norm_train(None, None, 1e-3).is_err());
        assert!(Tensor::zeros([0, 3]).unwrap().batch_norm_train(None, None, 1e-3).is_err());
    }
}
