//! Finite-difference gradient checking.
//!
//! The ops compute in f32, so the checker keeps its own arithmetic in f64: the scalar it
//! differentiates is `sum(f(x) * r)` for a fixed random `r`, accumulated in f64 on the
//! host, and the difference quotient is central. What remains is the ops' own f32
//! rounding, which the tolerances below absorb for inputs of order 1.

use crate::{no_grad, Error, Result, Rng, Tensor};

/// Settings for [`check_gradients`].
#[derive(Clone, Copy, Debug)]
pub struct GradCheck {
    /// Step of the central difference.
    pub eps: f32,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance, against the larger of the two magnitudes.
    pub rtol: f64,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck { eps: 1e-3, atol: 2e-3, rtol: 2e-2 }
    }
}

/// Compares the autodiff gradients of `f` at `inputs` with central differences.
/// Every input is treated as a variable. Returns an error describing the first
/// mismatching element, or the number of elements checked.
pub fn check_gradients(f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor], cfg: GradCheck) -> Result<usize> {
    let vars: Vec<Tensor> =
        inputs.iter().map(|t| t.detach().contiguous().map(|c| c.requires_grad())).collect::<Result<_>>()?;
    let out = f(&vars)?;
    let r = Rng::new(0x5eed).normal(out.shape().clone(), 0.0, 1.0)?;
    let r_host: Vec<f64> = r.to_vec_f32()?.into_iter().map(f64::from).collect();
    let grads = out.backward_with_grad(&r)?;

    let project = |vals: &[Tensor]| -> Result<f64> {
        let o = no_grad(|| f(vals))?;
        let v = o.to_vec_f32()?;
        Ok(v.iter().zip(&r_host).map(|(&a, &b)| f64::from(a) * b).sum())
    };

    let mut checked = 0;
    for (i, var) in vars.iter().enumerate() {
        let analytic = match grads.get(var) {
            Some(g) => g.to_vec_f32()?,
            None => vec![0.0; var.numel()],
        };
        let base = var.to_vec_f32()?;
        for j in 0..base.len() {
            let eval_at = |x: f32| -> Result<f64> {
                let mut data = base.clone();
                data[j] = x;
                let mut vals: Vec<Tensor> = vars.iter().map(|v| v.detach()).collect();
                vals[i] = Tensor::from_vec(data, var.shape().clone())?;
                project(&vals)
            };
            let plus = eval_at(base[j] + cfg.eps)?;
            let minus = eval_at(base[j] - cfg.eps)?;
            let step = f64::from(base[j] + cfg.eps) - f64::from(base[j] - cfg.eps);
            let numeric = (plus - minus) / step;
            let a = f64::from(analytic[j]);
            if (a - numeric).abs() > cfg.atol + cfg.rtol * a.abs().max(numeric.abs()) {
                return Err(Error::Autodiff(format!(
                    "gradient check failed for input {i} (shape {}) at element {j}: autodiff {a:.6}, finite difference {numeric:.6}",
                    var.shape()
                )));
            }
            checked += 1;
        }
    }
    Ok(checked)
}
