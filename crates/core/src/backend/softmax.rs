//! Device dispatch for softmax and log-softmax.

use super::cpu;
use super::params::SoftmaxParams;
use crate::{Result, Tensor};

/// `softmax(x)` (or `log_softmax` when `p.log`) along the axis `p` describes. Untracked.
///
/// # Shapes
/// `x` is dense and `(outer, n, inner)` by `p`; the result has `x`'s shape.
pub(crate) fn forward(x: &Tensor, p: &SoftmaxParams, name: &'static str) -> Result<Tensor> {
    super::map_dense(x, name, |x, out| cpu::softmax::forward(p, x, out))
}

/// The input gradient from the forward's output `y` and the output gradient `g`.
///
/// # Shapes
/// `y` and `g` are dense, of one shape, `(outer, n, inner)` by `p`; so is the result.
pub(crate) fn backward(y: &Tensor, g: &Tensor, p: &SoftmaxParams, name: &'static str) -> Result<Tensor> {
    super::map_dense2(y, g, name, |a, g, out| cpu::softmax::backward(p, a, g, out))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::reference;
    use crate::Rng;

    fn close(got: &[f32], want: &[f32], tol: f32) -> std::result::Result<(), TestCaseError> {
        prop_assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            prop_assert!((g - w).abs() <= tol * (1.0 + w.abs()), "element {}: got {}, want {}", i, g, w);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn softmax_kernels_match_reference(
            dims in proptest::collection::vec(1usize..=6, 1..=4),
            axis_pick in any::<usize>(),
            wide_inner in any::<bool>(),
            log in any::<bool>(),
            scale in prop_oneof![Just(1.0f32), Just(30.0f32)],
            seed in any::<u64>(),
        ) {
            let mut dims = dims;
            let axis = axis_pick % dims.len();
            // Now and then an inner extent past one lane tile.
            if wide_inner && axis + 1 < dims.len() {
                *dims.last_mut().unwrap() = 300;
            }
            let p = SoftmaxParams {
                outer: dims[..axis].iter().product(),
                n: dims[axis],
                inner: dims[axis + 1..].iter().product(),
                log,
            };
            let mut rng = Rng::new(seed);
            let x = rng.uniform(dims.clone(), -scale, scale).unwrap();
            let g = rng.uniform(dims.clone(), -1.0, 1.0).unwrap();
            let xv = x.to_vec_f32().unwrap();
            let y = forward(&x, &p, "softmax").unwrap();
            close(&y.to_vec_f32().unwrap(), &reference::softmax::forward(&p, &xv), 1e-5)?;
            let dx = backward(&y, &g, &p, "softmax").unwrap();
            close(&dx.to_vec_f32().unwrap(), &reference::softmax::backward(&p, &xv, &g.to_vec_f32().unwrap()), 1e-4)?;
        }
    }
}
