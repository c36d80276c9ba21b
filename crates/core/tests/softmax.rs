//! `softmax` and `log_softmax`: exact values, stability at extreme inputs, axis handling,
//! errors, and finite-difference gradients along every axis of a 3-D tensor.

use fovea_core::{check_gradients, GradCheck, Rng, Tensor};

fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "element {i}: got {g}, want {w}");
    }
}

#[test]
fn softmax_of_a_row_matches_the_formula() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap();
    let e: Vec<f32> = [1.0f32, 2.0, 3.0].iter().map(|v| v.exp()).collect();
    let s: f32 = e.iter().sum();
    let want: Vec<f32> = e.iter().map(|v| v / s).collect();
    assert_close(&x.softmax(-1).unwrap().to_vec_f32().unwrap(), &want, 1e-6);
    let want_log: Vec<f32> = [1.0f32, 2.0, 3.0].iter().map(|v| v - s.ln()).collect();
    assert_close(&x.log_softmax(0).unwrap().to_vec_f32().unwrap(), &want_log, 1e-6);
}

#[test]
fn extreme_inputs_do_not_overflow() {
    let x = Tensor::from_vec(vec![1000.0, 0.0], [2]).unwrap();
    assert_eq!(x.softmax(0).unwrap().to_vec_f32().unwrap(), vec![1.0, 0.0]);
    let ls = x.log_softmax(0).unwrap().to_vec_f32().unwrap();
    assert!(ls.iter().all(|v| v.is_finite()), "{ls:?}");
    assert_close(&ls, &[0.0, -1000.0], 1e-3);
    let y = Tensor::from_vec(vec![-1000.0, -1000.0, -1001.0], [3]).unwrap();
    let s = y.softmax(0).unwrap().to_vec_f32().unwrap();
    let (a, b) = (1.0 / (2.0 + (-1.0f32).exp()), (-1.0f32).exp() / (2.0 + (-1.0f32).exp()));
    assert_close(&s, &[a, a, b], 1e-6);
}

#[test]
fn softmax_along_axis_zero_normalises_columns() {
    // Columns [0, 0] and [0, ln 3]: softmax gives [0.5, 0.5] and [0.25, 0.75].
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 3.0f32.ln()], [2, 2]).unwrap();
    assert_close(&x.softmax(0).unwrap().to_vec_f32().unwrap(), &[0.5, 0.25, 0.5, 0.75], 1e-6);
    // A transposed view is normalised along its own axes.
    let xt = x.transpose(0, 1).unwrap();
    assert_close(&xt.softmax(-1).unwrap().to_vec_f32().unwrap(), &[0.5, 0.5, 0.25, 0.75], 1e-6);
}

#[test]
fn each_lane_sums_to_one_on_every_axis() {
    let x = Rng::new(3).normal([3, 4, 5], 0.0, 3.0).unwrap();
    for axis in [0isize, 1, 2, -1] {
        let sums = x.softmax(axis).unwrap().sum(&[axis], false).unwrap().to_vec_f32().unwrap();
        assert_close(&sums, &vec![1.0; sums.len()], 1e-5);
        let ls = x.log_softmax(axis).unwrap().exp().unwrap().sum(&[axis], false).unwrap().to_vec_f32().unwrap();
        assert_close(&ls, &vec![1.0; ls.len()], 1e-5);
    }
}

#[test]
fn bad_axes_are_errors_naming_the_op() {
    let x = Tensor::zeros([2, 3]).unwrap();
    assert_eq!(x.softmax(2).unwrap_err().to_string(), "softmax: axis 2 is out of range for a tensor of rank 2");
    assert_eq!(
        Tensor::scalar(1.0).log_softmax(-1).unwrap_err().to_string(),
        "log_softmax: axis -1 is out of range for a tensor of rank 0"
    );
}

#[test]
fn empty_tensors_pass_through() {
    let x = Tensor::zeros([0, 3]).unwrap();
    assert_eq!(x.softmax(1).unwrap().dims(), &[0, 3]);
    assert_eq!(Tensor::zeros([2, 0]).unwrap().log_softmax(1).unwrap().dims(), &[2, 0]);
}

#[test]
fn gradients_of_softmax_along_each_axis() {
    let x = Rng::new(11).normal([2, 3, 4], 0.0, 1.0).unwrap();
    for axis in [0isize, 1, -1] {
        let n = check_gradients(|v| v[0].softmax(axis), std::slice::from_ref(&x), GradCheck::default())
            .unwrap_or_else(|e| panic!("axis {axis}: {e}"));
        assert_eq!(n, 24);
    }
}

#[test]
fn gradients_of_log_softmax_along_each_axis() {
    let x = Rng::new(12).normal([2, 3, 4], 0.0, 1.0).unwrap();
    for axis in [0isize, 1, -1] {
        let n = check_gradients(|v| v[0].log_softmax(axis), std::slice::from_ref(&x), GradCheck::default())
            .unwrap_or_else(|e| panic!("axis {axis}: {e}"));
        assert_eq!(n, 24);
    }
}

#[test]
fn softmax_gradient_vanishes_for_a_uniform_upstream() {
    // sum(softmax(x)) is constant, so its gradient is exactly zero.
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.0], [2, 2]).unwrap().requires_grad();
    let g = x.softmax(-1).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(&g.get(&x).unwrap().to_vec_f32().unwrap(), &[0.0; 4], 1e-7);
}
