//! Max and average pooling: hand-computed values, padding semantics, gradient routing,
//! finite-difference gradients and error messages.

use fovea_core::ops::geometry::{axis_geometry, Padding};
use fovea_core::{check_gradients, Error, GradCheck, Pool1dOptions, Pool2dOptions, Rng, Tensor};

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(data, shape.to_vec()).unwrap()
}

/// `0.1 * (a shuffle of 0..n)`: distinct values 0.1 apart, far beyond the gradient
/// checker's step, so every window's argmax stays put under perturbation.
fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let perm = Rng::new(seed).permutation(n);
    let data: Vec<f32> = perm.iter().map(|&i| i as f32 * 0.1 - n as f32 * 0.05).collect();
    t(&data, shape)
}

fn grad_of(x: &Tensor, f: impl Fn(&Tensor) -> fovea_core::Result<Tensor>) -> Vec<f32> {
    let x = x.requires_grad();
    let grads = f(&x).unwrap().sum_all().unwrap().backward().unwrap();
    grads.get(&x).unwrap().to_vec_f32().unwrap()
}

fn opts2(pool: [usize; 2], strides: [usize; 2], padding: [(usize, usize); 2]) -> Pool2dOptions {
    Pool2dOptions { pool_size: pool, strides, padding }
}

fn opts1(pool: usize, stride: usize, padding: (usize, usize)) -> Pool1dOptions {
    Pool1dOptions { pool_size: pool, stride, padding }
}

// ----- values ------------------------------------------------------------------------

#[test]
fn new_options_use_the_pool_size_as_stride_and_no_padding() {
    assert_eq!(Pool2dOptions::new([3, 2]), opts2([3, 2], [3, 2], [(0, 0), (0, 0)]));
    assert_eq!(Pool1dOptions::new(4), opts1(4, 4, (0, 0)));
}

#[test]
fn max_pool_2x2_on_4x4_takes_each_quadrants_max_per_channel() {
    let a = [1., 3., 2., 4., 5., 6., 8., 7., 9., 12., 10., 11., 16., 13., 15., 14.];
    // Channel 1 is the negation of channel 0, so its maxima sit elsewhere.
    let data: Vec<f32> = a.iter().flat_map(|&v| [v, -v]).collect();
    let x = t(&data, &[1, 4, 4, 2]);
    let y = x.max_pool2d(&Pool2dOptions::new([2, 2])).unwrap();
    assert_eq!(y.dims(), &[1, 2, 2, 2]);
    assert_eq!(y.to_vec_f32().unwrap(), vec![6., -1., 8., -2., 16., -9., 15., -10.]);

    let gx = grad_of(&x, |x| x.max_pool2d(&Pool2dOptions::new([2, 2])));
    let ch0: Vec<f32> = gx.iter().step_by(2).copied().collect();
    let ch1: Vec<f32> = gx.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(ch0, vec![0., 0., 0., 0., 0., 1., 1., 0., 0., 0., 0., 0., 1., 0., 1., 0.]);
    assert_eq!(ch1, vec![1., 0., 1., 0., 0., 0., 0., 0., 1., 0., 1., 0., 0., 0., 0., 0.]);
}

#[test]
fn avg_pool_2x2_on_4x4_averages_each_quadrant() {
    let a = [1., 3., 2., 4., 5., 6., 8., 7., 9., 12., 10., 11., 16., 13., 15., 14.];
    let y = t(&a, &[1, 4, 4, 1]).avg_pool2d(&Pool2dOptions::new([2, 2])).unwrap();
    assert_eq!(y.to_vec_f32().unwrap(), vec![3.75, 5.25, 12.5, 12.5]);
}

#[test]
fn avg_pool_with_same_padding_divides_by_the_real_cell_count() {
    // Keras "same" for 5 cells, pool 2, stride 2 pads (0, 1): the last window of each
    // axis holds one real cell and one padded one.
    let g = axis_geometry("test", 5, 2, 2, 1, Padding::Same).unwrap();
    assert_eq!((g.pad_before, g.pad_after, g.out), (0, 1, 3));
    let x = Tensor::arange(25).unwrap().reshape([1, 5, 5, 1]).unwrap();
    let opts = opts2([2, 2], [2, 2], [(0, 1), (0, 1)]);
    let y = x.avg_pool2d(&opts).unwrap();
    assert_eq!(y.dims(), &[1, 3, 3, 1]);
    #[rustfmt::skip]
    let expect = vec![
        3.0, 5.0, 6.5,    // (4 + 9) / 2 at the right edge
        13.0, 15.0, 16.5,
        20.5, 22.5, 24.0, // the corner window averages x[4, 4] alone
    ];
    assert_eq!(y.to_vec_f32().unwrap(), expect);

    let gx = grad_of(&x, |x| x.avg_pool2d(&opts));
    #[rustfmt::skip]
    let expect = vec![
        0.25, 0.25, 0.25, 0.25, 0.5,
        0.25, 0.25, 0.25, 0.25, 0.5,
        0.25, 0.25, 0.25, 0.25, 0.5,
        0.25, 0.25, 0.25, 0.25, 0.5,
        0.5,  0.5,  0.5,  0.5,  1.0,
    ];
    assert_eq!(gx, expect);
}

#[test]
fn max_pool_never_lets_a_padded_cell_win_on_negative_input() {
    // -1 .. -9 in a 3x3 image, pool 2, stride 1, padding 1 all round: a padded zero
    // would beat every real value if it took part.
    let data: Vec<f32> = (1..=9).map(|v| -(v as f32)).collect();
    let x = t(&data, &[1, 3, 3, 1]);
    let opts = opts2([2, 2], [1, 1], [(1, 1), (1, 1)]);
    let y = x.max_pool2d(&opts).unwrap();
    assert_eq!(y.dims(), &[1, 4, 4, 1]);
    #[rustfmt::skip]
    let expect = vec![
        -1., -1., -2., -3.,
        -1., -1., -2., -3.,
        -4., -4., -5., -6.,
        -7., -7., -8., -9.,
    ];
    assert_eq!(y.to_vec_f32().unwrap(), expect);
    // Each window's max is its top-left real cell; x[0, 0] tops four windows.
    let gx = grad_of(&x, |x| x.max_pool2d(&opts));
    assert_eq!(gx, vec![4., 2., 2., 2., 1., 1., 2., 1., 1.]);
}

#[test]
fn max_pool1d_floors_and_padding_adds_a_last_window() {
    let x = t(&[1., 3., 2., 5., 4.], &[1, 5, 1]);
    assert_eq!(x.max_pool1d(&Pool1dOptions::new(2)).unwrap().to_vec_f32().unwrap(), vec![3., 5.]);
    let y = x.max_pool1d(&opts1(2, 2, (0, 1))).unwrap();
    assert_eq!(y.dims(), &[1, 3, 1]);
    assert_eq!(y.to_vec_f32().unwrap(), vec![3., 5., 4.]);
    let y = x.avg_pool1d(&opts1(2, 2, (0, 1))).unwrap();
    assert_eq!(y.to_vec_f32().unwrap(), vec![2., 3.5, 4.]);
}

#[test]
fn max_gradient_goes_to_the_first_of_tied_maxima() {
    let x = Tensor::full([1, 2, 2, 1], 7.0).unwrap();
    assert_eq!(grad_of(&x, |x| x.max_pool2d(&Pool2dOptions::new([2, 2]))), vec![1., 0., 0., 0.]);
    let x = t(&[2., 2., 2.], &[1, 3, 1]);
    assert_eq!(grad_of(&x, |x| x.max_pool1d(&Pool1dOptions::new(3))), vec![1., 0., 0.]);
}

#[test]
fn overlapping_windows_accumulate_gradient_on_a_shared_max() {
    // Windows [0, 5, 1] and [5, 1, 0] share their max.
    let x = t(&[0., 5., 1., 0.], &[1, 4, 1]);
    let opts = opts1(3, 1, (0, 0));
    assert_eq!(x.max_pool1d(&opts).unwrap().to_vec_f32().unwrap(), vec![5., 5.]);
    assert_eq!(grad_of(&x, |x| x.max_pool1d(&opts)), vec![0., 2., 0., 0.]);
    // Average: the inner cells are in both windows.
    let third = 1.0 / 3.0;
    assert_eq!(grad_of(&x, |x| x.avg_pool1d(&opts)), vec![third, 2.0 * third, 2.0 * third, third]);
}

#[test]
fn stride_larger_than_pool_skips_cells_and_their_gradient() {
    let x = t(&[1., 2., 3., 4., 5., 6.], &[1, 6, 1]);
    let opts = opts1(1, 2, (0, 0));
    assert_eq!(x.max_pool1d(&opts).unwrap().to_vec_f32().unwrap(), vec![1., 3., 5.]);
    assert_eq!(grad_of(&x, |x| x.avg_pool1d(&opts)), vec![1., 0., 1., 0., 1., 0.]);
}

#[test]
fn a_strided_view_pools_like_its_dense_copy() {
    let x = distinct(&[2, 3, 5, 4], 3);
    // (N, C, H, W) viewed as (N, H, W, C): a non-contiguous input.
    let nhwc = x.permute(&[0, 2, 3, 1]).unwrap();
    assert!(!nhwc.is_contiguous());
    let dense = Tensor::from_vec(nhwc.to_vec_f32().unwrap(), nhwc.shape().clone()).unwrap();
    let opts = opts2([2, 3], [1, 2], [(1, 0), (0, 2)]);
    for (a, b) in [
        (nhwc.max_pool2d(&opts).unwrap(), dense.max_pool2d(&opts).unwrap()),
        (nhwc.avg_pool2d(&opts).unwrap(), dense.avg_pool2d(&opts).unwrap()),
    ] {
        assert_eq!(a.to_vec_f32().unwrap(), b.to_vec_f32().unwrap());
    }
}

#[test]
fn an_empty_batch_pools_to_an_empty_batch() {
    let x = Tensor::zeros([0, 4, 4, 3]).unwrap();
    let y = x.max_pool2d(&Pool2dOptions::new([2, 2])).unwrap();
    assert_eq!(y.dims(), &[0, 2, 2, 3]);
}

// ----- gradients ---------------------------------------------------------------------

#[test]
fn max_pool2d_gradient_matches_finite_differences_with_padding() {
    let x = distinct(&[2, 5, 6, 3], 1);
    let opts = opts2([3, 2], [2, 2], [(1, 1), (0, 1)]);
    let n = check_gradients(|v| v[0].max_pool2d(&opts), &[x], GradCheck::default()).unwrap();
    assert_eq!(n, 180);
    // Overlapping windows: stride below the pool size on both axes.
    let x = distinct(&[1, 5, 5, 2], 2);
    let opts = opts2([3, 3], [1, 2], [(2, 0), (1, 1)]);
    check_gradients(|v| v[0].max_pool2d(&opts), &[x], GradCheck::default()).unwrap();
}

#[test]
fn avg_pool2d_gradient_matches_finite_differences_with_padding() {
    let x = Rng::new(11).normal([2, 5, 6, 3], 0.0, 1.0).unwrap();
    let opts = opts2([3, 2], [2, 1], [(1, 2), (1, 0)]);
    let n = check_gradients(|v| v[0].avg_pool2d(&opts), &[x], GradCheck::default()).unwrap();
    assert_eq!(n, 180);
}

#[test]
fn pool1d_gradients_match_finite_differences_with_padding() {
    let opts = opts1(3, 2, (1, 2));
    let x = distinct(&[2, 9, 3], 5);
    check_gradients(|v| v[0].max_pool1d(&opts), &[x], GradCheck::default()).unwrap();
    let x = Rng::new(12).normal([2, 9, 3], 0.0, 1.0).unwrap();
    check_gradients(|v| v[0].avg_pool1d(&opts), &[x], GradCheck::default()).unwrap();
}

// ----- errors ------------------------------------------------------------------------

fn err(r: fovea_core::Result<Tensor>) -> (String, Error) {
    let e = r.unwrap_err();
    (e.to_string(), e)
}

#[test]
fn wrong_rank_is_an_error_naming_the_op_and_shape() {
    let (m, _) = err(Tensor::zeros([4, 4, 1]).unwrap().max_pool2d(&Pool2dOptions::new([2, 2])));
    assert!(m.contains("max_pool2d") && m.contains("rank-4") && m.contains("(4, 4, 1)"), "{m}");
    let (m, _) = err(Tensor::zeros([1, 4, 4, 1]).unwrap().avg_pool1d(&Pool1dOptions::new(2)));
    assert!(m.contains("avg_pool1d") && m.contains("rank-3") && m.contains("(1, 4, 4, 1)"), "{m}");
}

#[test]
fn zero_pool_size_or_stride_is_an_argument_error() {
    let x = Tensor::zeros([1, 4, 4, 1]).unwrap();
    let (m, e) = err(x.avg_pool2d(&opts2([0, 2], [1, 1], [(0, 0); 2])));
    assert!(matches!(e, Error::Argument { op: "avg_pool2d", .. }), "{e:?}");
    assert!(m.contains("pool_size must be >= 1") && m.contains("[0, 2]") && m.contains("(1, 4, 4, 1)"), "{m}");
    let (m, _) = err(x.max_pool2d(&opts2([2, 2], [2, 0], [(0, 0); 2])));
    assert!(m.contains("strides must be >= 1") && m.contains("[2, 0]"), "{m}");
    let (m, _) = err(Tensor::zeros([1, 4, 1]).unwrap().max_pool1d(&opts1(2, 0, (0, 0))));
    assert!(m.contains("max_pool1d: stride must be >= 1, got 0"), "{m}");
}

#[test]
fn padding_not_smaller_than_the_pool_is_rejected() {
    let x = Tensor::zeros([1, 4, 4, 1]).unwrap();
    let (m, e) = err(x.max_pool2d(&opts2([2, 2], [2, 2], [(0, 0), (2, 0)])));
    assert!(matches!(e, Error::Argument { .. }), "{e:?}");
    assert!(
        m.contains("padding (2, 0) on the width axis must be smaller than pool_size 2") && m.contains("(1, 4, 4, 1)"),
        "{m}"
    );
    let (m, _) = err(Tensor::zeros([1, 6, 2]).unwrap().avg_pool1d(&opts1(3, 1, (1, 3))));
    assert!(m.contains("avg_pool1d") && m.contains("padding (1, 3)") && m.contains("pool_size 3"), "{m}");
}

#[test]
fn input_smaller_than_the_window_is_a_shape_error() {
    let x = Tensor::zeros([1, 1, 3, 1]).unwrap();
    let (m, e) = err(x.max_pool2d(&Pool2dOptions::new([2, 2])));
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    assert!(m.contains("input size 1") && m.contains("height axis") && m.contains("(1, 1, 3, 1)"), "{m}");
    // Padding can make room: one real cell and one padded one.
    let y = x.max_pool2d(&opts2([2, 2], [2, 2], [(0, 1), (0, 1)])).unwrap();
    assert_eq!(y.dims(), &[1, 1, 2, 1]);
}

#[test]
fn an_empty_spatial_axis_is_a_shape_error() {
    let (m, _) = err(Tensor::zeros([1, 0, 3, 1]).unwrap().avg_pool2d(&opts2([1, 1], [1, 1], [(0, 0); 2])));
    assert!(m.contains("avg_pool2d") && m.contains("height axis is empty") && m.contains("(1, 0, 3, 1)"), "{m}");
}
