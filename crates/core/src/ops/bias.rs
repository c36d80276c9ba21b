//! The bias epilogue of a conv or dense layer: `x + bias` along the last axis, with an
//! optional ReLU, as one op. Written as `x.add(&bias)?.relu()?` it is three passes
//! forward (add, relu) and three back (relu mask, the add's broadcast reduction, a
//! copy); fused it is one each way, which is most of a small network's non-conv time.

use crate::autodiff::record;
use crate::{backend, DType, Error, Result, Tensor};

impl Tensor {
    /// `x + bias` broadcast along the last axis, then `max(., 0)` when `relu`: equal to
    /// `self.add(bias)` (and `.relu()`), gradients included, in one pass each way.
    ///
    /// # Shapes
    /// `self` `(..., c)` with rank >= 1, `bias` `(c,)`; the result has `self`'s shape.
    pub fn add_bias(&self, bias: &Tensor, relu: bool) -> Result<Tensor> {
        let name = if relu { "add_bias_relu" } else { "add_bias" };
        let c = self.dims().last().copied().unwrap_or(0);
        if self.rank() == 0 || bias.dims() != [c] {
            return Err(Error::shape(
                name,
                format!("bias of shape {} for an input of shape {}: expected ({c},)", bias.shape(), self.shape()),
            ));
        }
        if self.dtype() != DType::F32 || bias.dtype() != DType::F32 {
            return Err(Error::arg(
                name,
                format!("expected f32 tensors, got {:?} and {:?}", self.dtype(), bias.dtype()),
            ));
        }
        let y = backend::bias::forward(&self.detach().contiguous()?, &bias.detach().contiguous()?, relu, name)?;
        let saved = y.clone();
        Ok(record(y, name, &[self, bias], || {
            Box::new(move |g, _| {
                let (dx, db) = backend::bias::backward(&saved, &g.contiguous()?, c, relu, name)?;
                Ok(vec![Some(dx), Some(db)])
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_gradients, GradCheck};
    use crate::{Rng, Tensor};

    #[test]
    fn equals_add_then_relu_with_gradients() {
        let mut rng = Rng::new(11);
        for dims in [vec![5], vec![3, 4], vec![2, 3, 5, 7]] {
            let c = *dims.last().unwrap();
            let x = rng.normal(dims.clone(), 0.0, 1.0).unwrap();
            let b = rng.normal([c], 0.0, 1.0).unwrap();
            for relu in [false, true] {
                let fused = x.add_bias(&b, relu).unwrap().to_vec_f32().unwrap();
                let plain = x.add(&b).unwrap();
                let plain = if relu { plain.relu().unwrap() } else { plain };
                assert_eq!(fused, plain.to_vec_f32().unwrap(), "{dims:?} relu {relu}");
                // Finite differences stay clear of ReLU's kink (no x + b near 0 here).
                let away: Vec<f32> =
                    x.to_vec_f32().unwrap().into_iter().map(|v| if v.abs() < 0.1 { v + 0.3 } else { v }).collect();
                let x = Tensor::from_vec(away, dims.clone()).unwrap();
                let b0 = Tensor::zeros([c]).unwrap();
                check_gradients(|t| t[0].add_bias(&t[1], relu), &[x, b0], GradCheck::default()).unwrap();
            }
        }
    }

    #[test]
    fn bad_bias_shapes_are_errors_naming_the_op() {
        let x = Tensor::zeros([2, 3]).unwrap();
        let msg = x.add_bias(&Tensor::zeros([4]).unwrap(), true).unwrap_err().to_string();
        assert!(msg.contains("add_bias_relu") && msg.contains("(3,)"), "{msg}");
        assert!(Tensor::zeros([0usize; 0]).unwrap().add_bias(&Tensor::zeros([1]).unwrap(), false).is_err());
    }
}
