//! Device dispatch for local response normalization.

use super::cpu;
use super::params::LrnParams;
use crate::{Result, Tensor};

/// `y = x * (bias + alpha * window_sum(x^2))^-beta` along the last axis. Untracked.
///
/// # Shapes
/// `x` is dense and `(outer, c)` by `p`; the result has `x`'s shape.
pub(crate) fn forward(x: &Tensor, p: &LrnParams, name: &'static str) -> Result<Tensor> {
    super::map_dense(x, name, |x, out| cpu::lrn::forward(p, x, out))
}

/// The input gradient from the forward's input `x` and the output gradient `g`.
///
/// # Shapes
/// `x` and `g` are dense, of one shape, `(outer, c)` by `p`; so is the result.
pub(crate) fn backward(x: &Tensor, g: &Tensor, p: &LrnParams, name: &'static str) -> Result<Tensor> {
    super::map_dense2(x, g, name, |a, g, out| cpu::lrn::backward(p, a, g, out))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::reference;
    use crate::Rng;

    fn close(got: &[f32], want: &[f32], tol: f32) -> std::result::Result<(), TestCaseError> {
        prop_assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(1.0f32, |m, w| m.max(w.abs()));
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            prop_assert!((g - w).abs() <= tol * scale, "element {}: got {}, want {}", i, g, w);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn lrn_kernels_match_reference(
            outer in 1usize..=6,
            c in 1usize..=40,
            // Past 7 the fast kernel switches from direct sums to a sliding window.
            depth_radius in 0usize..=12,
            bias in prop_oneof![Just(1.0f32), Just(2.0f32), 0.1f32..3.0],
            alpha in prop_oneof![Just(1.0f32), Just(1e-4f32), 0.01f32..2.0],
            beta in prop_oneof![Just(0.5f32), Just(0.75f32), Just(1.0f32), 0.1f32..1.5],
            seed in any::<u64>(),
        ) {
            let p = LrnParams { outer, c, depth_radius, bias, alpha, beta };
            let mut rng = Rng::new(seed);
            let x = rng.uniform([outer, c], -2.0, 2.0).unwrap();
            let g = rng.uniform([outer, c], -1.0, 1.0).unwrap();
            let (xv, gv) = (x.to_vec_f32().unwrap(), g.to_vec_f32().unwrap());
            let y = forward(&x, &p, "local_response_norm").unwrap();
            close(&y.to_vec_f32().unwrap(), &reference::lrn::forward(&p, &xv), 1e-5)?;
            let dx = backward(&x, &g, &p, "local_response_norm").unwrap();
            close(&dx.to_vec_f32().unwrap(), &reference::lrn::backward(&p, &xv, &gv), 1e-4)?;
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]

        #[test]
        fn lrn_parallel_split_matches_reference(
            c in prop_oneof![Just(3usize), Just(96usize), Just(5000usize)],
            seed in any::<u64>(),
        ) {
            // Large enough to take the parallel path; lanes narrower and wider than a task block.
            let outer = (1usize << 15).div_ceil(c) + 1;
            let p = LrnParams { outer, c, depth_radius: 2, bias: 2.0, alpha: 1e-4, beta: 0.75 };
            let mut rng = Rng::new(seed);
            let x = rng.uniform([outer, c], -3.0, 3.0).unwrap();
            let g = rng.uniform([outer, c], -1.0, 1.0).unwrap();
            let (xv, gv) = (x.to_vec_f32().unwrap(), g.to_vec_f32().unwrap());
            close(&forward(&x, &p, "lrn").unwrap().to_vec_f32().unwrap(), &reference::lrn::forward(&p, &xv), 1e-5)?;
            close(&backward(&x, &g, &p, "lrn").unwrap().to_vec_f32().unwrap(), &reference::lrn::backward(&p, &xv, &gv), 1e-4)?;
        }
    }
}
