//! Helpers shared by the integration tests: tensors from literals, value comparisons,
//! inputs kept away from kinks, and the gradient-check assertion.
#![allow(dead_code)] // each test file uses a different subset

use fovea_core::{check_gradients, GradCheck, Result, Rng, Tensor};

/// A tensor from literal data.
pub fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(data, shape.to_vec()).unwrap()
}

/// Asserts `actual` holds `expected` within `tol` (absolute + relative).
pub fn assert_close(actual: &Tensor, expected: &[f32], tol: f32) {
    let got = actual.to_vec_f32().unwrap();
    assert_eq!(got.len(), expected.len(), "got {got:?}, expected {expected:?}");
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let ok = if e.is_nan() { g.is_nan() } else { g == e || (g - e).abs() <= tol * (1.0 + e.abs()) };
        assert!(ok, "element {i}: got {g}, expected {e} (all: {got:?})");
    }
}

/// Uniform values in `[lo, hi)` from `seed`.
pub fn uniform(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    Rng::new(seed).uniform(shape.to_vec(), lo, hi).unwrap()
}

/// Values drawn in turn from each band `(lo, hi)`: inputs kept off an op's kinks.
pub fn bands(shape: &[usize], bands: &[(f32, f32)], seed: u64) -> Tensor {
    let u = uniform(shape, 0.0, 1.0, seed).to_vec_f32().unwrap();
    let v: Vec<f32> = u
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let (lo, hi) = bands[(i * 7 + seed as usize) % bands.len()];
            lo + (hi - lo) * r
        })
        .collect();
    t(&v, shape)
}

/// Values with 0.3 <= |x| < 2 of both signs: away from the kink at 0.
pub fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    bands(shape, &[(-2.0, -0.3), (0.3, 2.0)], seed)
}

/// Values on a grid of tenths in [-2, 2] plus `offset`: two such tensors with offsets
/// 0 and 0.05 never tie, and always differ by at least 0.05.
pub fn grid(shape: &[usize], offset: f32, seed: u64) -> Tensor {
    let u = uniform(shape, -2.0, 2.0, seed).to_vec_f32().unwrap();
    let v: Vec<f32> = u.iter().map(|x| (x * 10.0).round() / 10.0 + offset).collect();
    t(&v, shape)
}

/// Asserts that autodiff agrees with central differences for every element of every
/// input, with the default tolerances.
pub fn assert_gradients(f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor]) {
    match check_gradients(f, inputs, GradCheck::default()) {
        Ok(n) => assert_eq!(n, inputs.iter().map(|t| t.numel()).sum::<usize>()),
        Err(e) => panic!("{e}"),
    }
}
