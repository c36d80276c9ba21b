//! `local_response_norm`: hand-computed values of TensorFlow's formula, window clipping at
//! the lane ends, errors, and finite-difference gradients.

use fovea_core::ops::lrn::LrnOptions;
use fovea_core::{check_gradients, GradCheck, Rng, Tensor};

fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "element {i}: got {g}, want {w}");
    }
}

fn opts(depth_radius: usize, bias: f32, alpha: f32, beta: f32) -> LrnOptions {
    LrnOptions { depth_radius, bias, alpha, beta }
}

#[test]
fn defaults_are_tensorflows() {
    assert_eq!(LrnOptions::default(), opts(5, 1.0, 1.0, 0.5));
    assert_eq!(LrnOptions::alexnet(), opts(2, 2.0, 1e-4, 0.75));
}

#[test]
fn values_follow_the_formula_with_clipped_windows() {
    // One lane [1, 2, 3, 4], radius 1: window sums of squares 5, 14, 29, 25.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 4]).unwrap();
    let y = x.local_response_norm(&opts(1, 2.0, 0.5, 0.75)).unwrap();
    let want: Vec<f32> = [(1.0f32, 5.0f32), (2.0, 14.0), (3.0, 29.0), (4.0, 25.0)]
        .iter()
        .map(|&(v, s)| v / (2.0 + 0.5 * s).powf(0.75))
        .collect();
    assert_close(&y.to_vec_f32().unwrap(), &want, 1e-6);
}

#[test]
fn alpha_is_not_divided_by_the_window_size() {
    // Radius 5 covers the whole lane of 3: s = 1 + 1 * (1 + 4 + 9) = 15 everywhere.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap();
    let y = x.local_response_norm(&LrnOptions::default()).unwrap();
    let r = 15.0f32.sqrt();
    assert_close(&y.to_vec_f32().unwrap(), &[1.0 / r, 2.0 / r, 3.0 / r], 1e-6);
}

#[test]
fn normalises_only_along_the_last_axis() {
    // Radius 0: each element is divided by (1 + x^2)^0.5, independent of its neighbours.
    let data = vec![0.5, -1.0, 2.0, 3.0, 0.0, -4.0];
    let x = Tensor::from_vec(data.clone(), [1, 2, 1, 3]).unwrap();
    let y = x.local_response_norm(&opts(0, 1.0, 1.0, 0.5)).unwrap();
    let want: Vec<f32> = data.iter().map(|v| v / (1.0 + v * v).sqrt()).collect();
    assert_eq!(y.dims(), &[1, 2, 1, 3]);
    assert_close(&y.to_vec_f32().unwrap(), &want, 1e-6);
    // A strided (transposed) view is normalised along its own last axis.
    let xt = Tensor::from_vec(vec![1.0, 3.0, 2.0, 4.0], [2, 2]).unwrap().transpose(0, 1).unwrap();
    let yt = xt.local_response_norm(&opts(1, 1.0, 1.0, 1.0)).unwrap();
    assert_close(&yt.to_vec_f32().unwrap(), &[1.0 / 6.0, 2.0 / 6.0, 3.0 / 26.0, 4.0 / 26.0], 1e-6);
}

#[test]
fn bad_input_is_an_error_naming_the_op() {
    let e = Tensor::scalar(1.0).local_response_norm(&LrnOptions::default()).unwrap_err();
    assert_eq!(e.to_string(), "local_response_norm: expected an input of rank >= 1 (channels last), got a scalar");
    let e = Tensor::zeros([2, 3]).unwrap().local_response_norm(&opts(2, f32::NAN, 1.0, 0.5)).unwrap_err();
    assert_eq!(e.to_string(), "local_response_norm: bias must be finite, got NaN");
}

#[test]
fn empty_tensors_pass_through() {
    assert_eq!(Tensor::zeros([0, 3]).unwrap().local_response_norm(&LrnOptions::default()).unwrap().dims(), &[0, 3]);
    assert_eq!(Tensor::zeros([2, 0]).unwrap().local_response_norm(&LrnOptions::default()).unwrap().dims(), &[2, 0]);
}

#[test]
fn gradients_match_finite_differences() {
    let x = Rng::new(7).normal([2, 2, 3, 7], 0.0, 1.0).unwrap();
    for o in [LrnOptions::default(), LrnOptions::alexnet(), opts(1, 0.5, 0.3, 1.3), opts(0, 1.0, 2.0, 0.5)] {
        let n = check_gradients(|v| v[0].local_response_norm(&o), std::slice::from_ref(&x), GradCheck::default())
            .unwrap_or_else(|e| panic!("{o:?}: {e}"));
        assert_eq!(n, 84);
    }
}

#[test]
fn gradients_with_a_wide_sliding_window() {
    // Radius 9 takes the fast kernel's sliding-sum path.
    let x = Rng::new(8).normal([3, 25], 0.0, 1.0).unwrap();
    let o = opts(9, 1.0, 0.2, 0.75);
    let n = check_gradients(|v| v[0].local_response_norm(&o), std::slice::from_ref(&x), GradCheck::default()).unwrap();
    assert_eq!(n, 75);
}
