//! Reductions: values over axis sets with and without keepdims, arg-extremes, NaN and
//! empty-axis behaviour, errors, and gradient checks over several axis sets and views.

mod common;

use common::{assert_close, assert_gradients, t, uniform};
use fovea_core::{Error, Rng, Shape, Tensor};

/// 0, 1, ..., 23 as shape (2, 3, 4).
fn iota() -> Tensor {
    Tensor::arange(24).unwrap().reshape([2, 3, 4]).unwrap()
}

/// A (2, 3, 4) tensor of distinct values: no ties, so max/min are differentiable.
fn distinct(seed: u64) -> Tensor {
    let p = Rng::new(seed).permutation(24);
    let v: Vec<f32> = p.iter().map(|&i| i as f32 * 0.25 - 3.0).collect();
    t(&v, &[2, 3, 4])
}

// ----- values --------------------------------------------------------------------------

#[test]
fn sum_over_axis_sets_matches_hand_computed_values() {
    let x = iota();
    assert_close(&x.sum(&[0], false).unwrap(), &(0..12).map(|i| (2 * i + 12) as f32).collect::<Vec<_>>(), 0.0);
    let s = x.sum(&[2], true).unwrap();
    assert_eq!(s.dims(), &[2, 3, 1]);
    assert_close(&s, &[6.0, 22.0, 38.0, 54.0, 70.0, 86.0], 0.0);
    let s = x.sum(&[0, 2], false).unwrap();
    assert_eq!(s.dims(), &[3]);
    assert_close(&s, &[60.0, 92.0, 124.0], 0.0);
    let s = x.sum(&[-1, 0], true).unwrap();
    assert_eq!(s.dims(), &[1, 3, 1]);
    assert_close(&s, &[60.0, 92.0, 124.0], 0.0);
    assert_close(&x.sum_all().unwrap(), &[276.0], 0.0);
    assert_eq!(x.sum_all().unwrap().rank(), 0);
    // No axes: nothing is reduced.
    assert_close(&x.sum(&[], false).unwrap(), &x.to_vec_f32().unwrap(), 0.0);
}

#[test]
fn mean_and_var_match_numpy() {
    let x = iota();
    let m = x.mean(&[1], false).unwrap();
    assert_eq!(m.dims(), &[2, 4]);
    assert_close(&m, &[4.0, 5.0, 6.0, 7.0, 16.0, 17.0, 18.0, 19.0], 1e-7);
    assert_close(&x.mean_all().unwrap(), &[11.5], 1e-7);
    // Over axes (0, 2) each group is {4j + k, 12 + 4j + k : k < 4}: deviations from the
    // mean are (k - 1.5) -+ 6, so the population variance is (2 * 5 + 8 * 36) / 8.
    let v = x.var(&[0, 2], true).unwrap();
    assert_eq!(v.dims(), &[1, 3, 1]);
    assert_close(&v, &[37.25, 37.25, 37.25], 1e-6);
    assert_close(&t(&[1.0, 2.0, 3.0, 4.0], &[4]).var(&[0], false).unwrap(), &[1.25], 1e-7);
}

#[test]
fn max_and_min_over_axis_sets() {
    let x = t(&[3.0, -1.0, 7.0, 2.0, 0.0, -5.0], &[2, 3]);
    assert_close(&x.max(&[1], false).unwrap(), &[7.0, 2.0], 0.0);
    assert_close(&x.min(&[0], true).unwrap(), &[2.0, -1.0, -5.0], 0.0);
    assert_eq!(x.min(&[0], true).unwrap().dims(), &[1, 3]);
    assert_close(&x.max(&[0, 1], false).unwrap(), &[7.0], 0.0);
    assert_close(&x.min(&[-2, -1], false).unwrap(), &[-5.0], 0.0);
}

#[test]
fn reductions_read_strided_views_in_logical_order() {
    let x = iota();
    let view = x.permute(&[2, 0, 1]).unwrap().narrow(0, 1, 2).unwrap(); // (2, 2, 3)
    let dense = view.contiguous().unwrap();
    for axes in [&[0isize][..], &[1], &[2], &[0, 2], &[0, 1, 2]] {
        assert_close(&view.sum(axes, true).unwrap(), &dense.sum(axes, true).unwrap().to_vec_f32().unwrap(), 0.0);
        assert_close(&view.max(axes, false).unwrap(), &dense.max(axes, false).unwrap().to_vec_f32().unwrap(), 0.0);
    }
    // view[k, i, j] = x[i, j, k + 1] = 12i + 4j + k + 1, so the sum over (k, i) is 30 + 16j.
    assert_close(&view.sum(&[0, 1], false).unwrap(), &[30.0, 46.0, 62.0], 0.0);
}

#[test]
fn sums_accumulate_in_f64() {
    // In f32, 1e8 + 1 rounds back to 1e8 and the sum would be 0.
    assert_close(&t(&[1e8, 1.0, -1e8], &[3]).sum_all().unwrap(), &[1.0], 0.0);
    let ones = Tensor::ones([1 << 25]).unwrap();
    assert_close(&ones.sum_all().unwrap(), &[(1u32 << 25) as f32], 0.0);
}

#[test]
fn argmax_and_argmin_return_first_index_as_int64() {
    let x = t(&[1.0, 5.0, 5.0, -2.0, 0.0, -2.0], &[2, 3]);
    let am = x.argmax(1, false).unwrap();
    assert_eq!(am.dtype(), fovea_core::DType::I64);
    assert_eq!(am.to_vec_i64().unwrap(), vec![1, 1]);
    assert_eq!(x.argmin(-1, false).unwrap().to_vec_i64().unwrap(), vec![0, 0]);
    let am0 = x.argmax(0, true).unwrap();
    assert_eq!(am0.dims(), &[1, 3]);
    assert_eq!(am0.to_vec_i64().unwrap(), vec![0, 0, 0]);
    assert_eq!(x.argmin(0, false).unwrap().to_vec_i64().unwrap(), vec![1, 1, 1]);
    // On a permuted view.
    assert_eq!(x.transpose(0, 1).unwrap().argmax(0, false).unwrap().to_vec_i64().unwrap(), vec![1, 1]);
}

#[test]
fn nan_wins_max_min_and_their_arg_versions() {
    let x = t(&[1.0, f32::NAN, 3.0, 2.0], &[4]);
    assert!(x.max(&[0], false).unwrap().to_scalar().unwrap().is_nan());
    assert!(x.min(&[0], false).unwrap().to_scalar().unwrap().is_nan());
    assert_eq!(x.argmax(0, false).unwrap().to_vec_i64().unwrap(), vec![1]);
    assert_eq!(x.argmin(0, false).unwrap().to_vec_i64().unwrap(), vec![1]);
    assert!(x.sum_all().unwrap().to_scalar().unwrap().is_nan());
}

#[test]
fn empty_axes_sum_to_zero_and_refuse_mean_and_max() {
    let x = Tensor::zeros([2, 0, 3]).unwrap();
    let s = x.sum(&[1], false).unwrap();
    assert_eq!(s.dims(), &[2, 3]);
    assert_close(&s, &[0.0; 6], 0.0);
    assert_eq!(x.sum(&[0], false).unwrap().dims(), &[0, 3]);
    assert!(matches!(x.mean(&[1], false), Err(Error::Shape { op: "mean", .. })));
    assert!(matches!(x.max(&[1], false), Err(Error::Shape { op: "max", .. })));
    assert!(matches!(x.min(&[0, 1], false), Err(Error::Shape { op: "min", .. })));
    assert!(matches!(x.argmax(1, false), Err(Error::Shape { op: "argmax", .. })));
    // Reducing a non-empty axis of an empty tensor is fine and empty.
    assert_eq!(x.max(&[2], false).unwrap().dims(), &[2, 0]);
}

#[test]
fn bad_axes_are_errors_naming_the_axis_and_rank() {
    let x = Tensor::zeros([2, 3]).unwrap();
    let err = x.sum(&[2], false).unwrap_err();
    assert!(matches!(err, Error::Axis { op: "sum", axis: 2, rank: 2 }));
    assert_eq!(err.to_string(), "sum: axis 2 is out of range for a tensor of rank 2");
    assert_eq!(x.mean(&[1, -1], false).unwrap_err().to_string(), "mean: axis -1 is given twice in [1, -1]");
    assert!(matches!(x.max(&[-3], true), Err(Error::Axis { op: "max", axis: -3, .. })));
    assert!(matches!(x.argmin(5, false), Err(Error::Axis { op: "argmin", .. })));
    assert!(matches!(x.var(&[7], false), Err(Error::Axis { .. })));
}

#[test]
fn sum_to_shape_undoes_broadcasting() {
    let g = iota();
    assert_close(&g.sum_to_shape(&Shape::new([3, 1])).unwrap(), &[60.0, 92.0, 124.0], 0.0);
    assert_close(&g.sum_to_shape(&Shape::new([1, 4])).unwrap(), &[60.0, 66.0, 72.0, 78.0], 0.0);
    assert_close(&g.sum_to_shape(&Shape::scalar()).unwrap(), &[276.0], 0.0);
    let same = g.sum_to_shape(&Shape::new([2, 3, 4])).unwrap();
    assert_eq!(same.id(), g.id());
    let err = g.sum_to_shape(&Shape::new([5])).unwrap_err();
    assert_eq!(err.to_string(), "sum_to_shape: shape (5,) does not broadcast to (2, 3, 4)");
    assert!(matches!(g.sum_to_shape(&Shape::new([1, 2, 3, 4, 5])), Err(Error::Shape { .. })));
}

#[test]
fn max_gradient_is_shared_equally_between_ties() {
    let x = t(&[1.0, 3.0, 3.0, 2.0], &[4]).requires_grad();
    let g = x.max(&[0], false).unwrap().backward().unwrap();
    assert_close(g.get(&x).unwrap(), &[0.0, 0.5, 0.5, 0.0], 0.0);
}

// ----- gradient checks -------------------------------------------------------------------

const AXIS_SETS: [&[isize]; 7] = [&[0], &[1], &[-1], &[0, 2], &[1, 2], &[0, 1, 2], &[]];

#[test]
fn sum_gradient_matches_finite_differences_over_axis_sets() {
    for axes in AXIS_SETS {
        for keep in [false, true] {
            assert_gradients(|v| v[0].sum(axes, keep), &[uniform(&[2, 3, 4], -2.0, 2.0, 1)]);
        }
    }
    assert_gradients(|v| v[0].sum_all(), &[uniform(&[3, 2], -2.0, 2.0, 2)]);
}

#[test]
fn mean_gradient_matches_finite_differences_over_axis_sets() {
    for axes in AXIS_SETS {
        for keep in [false, true] {
            assert_gradients(|v| v[0].mean(axes, keep), &[uniform(&[2, 3, 4], -2.0, 2.0, 3)]);
        }
    }
    assert_gradients(|v| v[0].mean_all(), &[uniform(&[3, 2], -2.0, 2.0, 4)]);
}

#[test]
fn var_gradient_matches_finite_differences_over_axis_sets() {
    for axes in [&[0isize][..], &[-1], &[0, 2], &[0, 1, 2]] {
        for keep in [false, true] {
            assert_gradients(|v| v[0].var(axes, keep), &[uniform(&[2, 3, 4], -2.0, 2.0, 5)]);
        }
    }
}

#[test]
fn max_gradient_matches_finite_differences_over_axis_sets() {
    for axes in AXIS_SETS {
        for keep in [false, true] {
            assert_gradients(|v| v[0].max(axes, keep), &[distinct(6)]);
        }
    }
}

#[test]
fn min_gradient_matches_finite_differences_over_axis_sets() {
    for axes in AXIS_SETS {
        for keep in [false, true] {
            assert_gradients(|v| v[0].min(axes, keep), &[distinct(7)]);
        }
    }
}

#[test]
fn sum_to_shape_gradient_matches_finite_differences() {
    for target in [&[3usize, 1][..], &[4], &[2, 1, 4], &[]] {
        let s = Shape::new(target);
        assert_gradients(|v| v[0].sum_to_shape(&s), &[uniform(&[2, 3, 4], -2.0, 2.0, 8)]);
    }
}

#[test]
fn reductions_of_views_feed_later_ops_with_correct_gradients() {
    // permute -> narrow -> max, then a broadcast multiply and a mean.
    assert_gradients(
        |v| v[0].permute(&[2, 0, 1])?.narrow(0, 1, 3)?.max(&[1], true)?.mul(&v[1])?.mean(&[0], false),
        &[distinct(9), uniform(&[1, 3], -2.0, 2.0, 10)],
    );
    // sum of a transposed view, then a nonlinearity.
    assert_gradients(|v| v[0].transpose(0, 2)?.sum(&[0, 2], false)?.tanh(), &[uniform(&[2, 3, 4], -1.0, 1.0, 11)]);
    // var over a narrowed window.
    assert_gradients(|v| v[0].narrow(2, 1, 2)?.var(&[1, 2], false), &[uniform(&[2, 3, 4], -2.0, 2.0, 12)]);
}
