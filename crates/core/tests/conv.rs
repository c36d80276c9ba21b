//! conv1d / conv2d: finite-difference gradients, hand-computed values, and Keras-style
//! error messages.

use fovea_core::{check_gradients, Conv1dOptions, Conv2dOptions, DType, GradCheck, Rng, Tensor};

fn uniform(seed: u64, shape: &[usize]) -> Tensor {
    Rng::new(seed).uniform(shape.to_vec(), -1.0, 1.0).unwrap()
}

/// Checks d(conv2d)/d(input) and d(conv2d)/d(kernel) against central differences.
fn check_conv2d(x: &[usize], k: &[usize], opts: Conv2dOptions) {
    let inputs = [uniform(1, x), uniform(2, k)];
    let checked = check_gradients(|v| v[0].conv2d(&v[1], &opts), &inputs, GradCheck::default())
        .unwrap_or_else(|e| panic!("{opts:?}: {e}"));
    assert_eq!(checked, inputs[0].numel() + inputs[1].numel());
}

#[test]
fn conv2d_gradients_with_stride_2() {
    check_conv2d(&[2, 7, 6, 3], &[3, 3, 3, 2], Conv2dOptions { strides: [2, 2], ..Default::default() });
}

#[test]
fn conv2d_gradients_with_dilation_2_and_padding() {
    let opts = Conv2dOptions { dilation: [2, 2], padding: [(1, 0), (0, 2)], ..Default::default() };
    check_conv2d(&[1, 7, 7, 2], &[2, 3, 2, 3], opts);
}

#[test]
fn conv2d_gradients_with_groups_2() {
    let opts = Conv2dOptions { groups: 2, padding: [(1, 1), (1, 1)], ..Default::default() };
    check_conv2d(&[2, 5, 5, 4], &[3, 3, 2, 4], opts);
}

#[test]
fn conv2d_gradients_with_asymmetric_padding_stride_and_dilation_together() {
    // Keras layers reject strides > 1 with dilation > 1; the op supports it.
    let opts = Conv2dOptions { strides: [2, 3], dilation: [2, 1], padding: [(0, 2), (3, 1)], groups: 1 };
    check_conv2d(&[1, 6, 8, 2], &[3, 2, 2, 2], opts);
}

#[test]
fn conv2d_gradients_batch_1_pointwise() {
    check_conv2d(&[1, 4, 5, 3], &[1, 1, 3, 4], Conv2dOptions::default());
}

#[test]
fn conv2d_gradients_flow_through_a_strided_input_view() {
    // An NCHW tensor permuted to NHWC is not contiguous; the op copies it and the
    // gradient must still reach the original.
    let inputs = [uniform(3, &[2, 3, 5, 4]), uniform(4, &[2, 2, 3, 2])];
    let f = |v: &[Tensor]| v[0].permute(&[0, 2, 3, 1])?.conv2d(&v[1], &Conv2dOptions::default());
    check_gradients(f, &inputs, GradCheck::default()).unwrap();
}

#[test]
fn conv1d_gradients_with_stride_dilation_groups_and_padding() {
    let opts = Conv1dOptions { stride: 2, dilation: 2, padding: (2, 1), groups: 2 };
    let inputs = [uniform(5, &[2, 9, 4]), uniform(6, &[3, 2, 4])];
    let n = check_gradients(|v| v[0].conv1d(&v[1], &opts), &inputs, GradCheck::default()).unwrap();
    assert_eq!(n, 72 + 24);
}

#[test]
fn conv1d_gradients_batch_1_causal_padding() {
    let opts = Conv1dOptions { padding: (2, 0), ..Default::default() };
    let inputs = [uniform(7, &[1, 6, 3]), uniform(8, &[3, 3, 2])];
    check_gradients(|v| v[0].conv1d(&v[1], &opts), &inputs, GradCheck::default()).unwrap();
}

#[test]
fn kernel_gradient_alone_when_input_is_constant() {
    let x = uniform(9, &[2, 5, 5, 2]);
    let k = uniform(10, &[3, 3, 2, 3]).requires_grad();
    let opts = Conv2dOptions { strides: [2, 1], ..Default::default() };
    let grads = x.conv2d(&k, &opts).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.len(), 1);
    let both = x.requires_grad();
    let grads_both = both.conv2d(&k, &opts).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.get(&k).unwrap().to_vec_f32().unwrap(), grads_both.get(&k).unwrap().to_vec_f32().unwrap());
    assert_eq!(grads_both.get(&both).unwrap().dims(), &[2, 5, 5, 2]);
}

#[test]
fn lecture_7x7_input_3x3_filter_stride_2_gives_3x3() {
    // x is the ramp 7r + c. Output channel 0 (a kernel of ones) sums each 3x3 block, 9
    // times its centre (2*oh + 1) * 7 + 2*ow + 1; channel 1 (a Sobel x-filter) sees a
    // constant slope of 1 per column and gives -8 everywhere.
    let x = Tensor::arange(49).unwrap().reshape([1, 7, 7, 1]).unwrap();
    let sobel = [1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0];
    let k: Vec<f32> = sobel.iter().flat_map(|&s| [1.0, s]).collect();
    let k = Tensor::from_vec(k, [3, 3, 1, 2]).unwrap();
    let y = x.conv2d(&k, &Conv2dOptions { strides: [2, 2], ..Default::default() }).unwrap();
    assert_eq!(y.dims(), &[1, 3, 3, 2]);
    let sums = [72.0, 90.0, 108.0, 198.0, 216.0, 234.0, 324.0, 342.0, 360.0];
    let want: Vec<f32> = sums.iter().flat_map(|&s| [s, -8.0]).collect();
    assert_eq!(y.to_vec_f32().unwrap(), want);
}

#[test]
fn conv1d_with_padding_stride_and_dilation_by_hand() {
    // Padded input [0, 1, 2, 3, 4, 5], taps 2 apart, stride 2:
    // out[0] = 0*1 + 2*10 = 20, out[1] = 2*1 + 4*10 = 42.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0], [1, 5, 1]).unwrap();
    let k = Tensor::from_vec(vec![1.0, 10.0], [2, 1, 1]).unwrap();
    let y = x.conv1d(&k, &Conv1dOptions { stride: 2, dilation: 2, padding: (1, 0), groups: 1 }).unwrap();
    assert_eq!(y.dims(), &[1, 2, 1]);
    assert_eq!(y.to_vec_f32().unwrap(), vec![20.0, 42.0]);
}

#[test]
fn groups_keep_channel_blocks_apart() {
    // Group 0 maps channels (0, 1) to output 0, group 1 maps (2, 3) to output 1.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 1, 1, 4]).unwrap();
    let k = Tensor::from_vec(vec![1.0, 10.0, 100.0, 1000.0], [1, 1, 2, 2]).unwrap();
    let y = x.conv2d(&k, &Conv2dOptions { groups: 2, ..Default::default() }).unwrap();
    assert_eq!(y.to_vec_f32().unwrap(), vec![1.0 + 200.0, 30.0 + 4000.0]);
}

fn err2(x: &[usize], k: &[usize], opts: Conv2dOptions) -> String {
    let (x, k) = (Tensor::zeros(x.to_vec()).unwrap(), Tensor::zeros(k.to_vec()).unwrap());
    x.conv2d(&k, &opts).unwrap_err().to_string()
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{msg:?} does not mention {p:?}");
    }
}

#[test]
fn groups_not_dividing_input_channels_is_an_error_naming_them() {
    let e = err2(&[1, 8, 8, 4], &[3, 3, 1, 3], Conv2dOptions { groups: 3, ..Default::default() });
    assert_mentions(&e, &["conv2d", "groups=3", "4 channels", "(1, 8, 8, 4)"]);
}

#[test]
fn groups_not_dividing_output_channels_is_an_error() {
    let e = err2(&[1, 8, 8, 4], &[3, 3, 2, 3], Conv2dOptions { groups: 2, ..Default::default() });
    assert_mentions(&e, &["conv2d", "groups=2", "3 output channels", "(3, 3, 2, 3)"]);
}

#[test]
fn kernel_in_channels_must_be_input_channels_over_groups() {
    let e = err2(&[1, 8, 8, 4], &[3, 3, 4, 8], Conv2dOptions { groups: 2, ..Default::default() });
    assert_mentions(&e, &["conv2d", "kernel has 4 input channels", "(3, 3, 4, 8)", "(1, 8, 8, 4)", "needs 2"]);
}

#[test]
fn wrong_ranks_are_errors_naming_the_shapes() {
    let e = err2(&[8, 8, 4], &[3, 3, 4, 8], Conv2dOptions::default());
    assert_mentions(&e, &["conv2d", "rank 4", "(8, 8, 4)", "(3, 3, 4, 8)"]);
    let x = Tensor::zeros([1, 8, 8, 4]).unwrap();
    let e = x.conv1d(&Tensor::zeros([3, 4, 2]).unwrap(), &Conv1dOptions::default()).unwrap_err().to_string();
    assert_mentions(&e, &["conv1d", "rank 3", "(1, 8, 8, 4)"]);
}

#[test]
fn input_smaller_than_the_kernel_span_is_an_error() {
    let e = err2(&[1, 2, 8, 1], &[3, 3, 1, 1], Conv2dOptions::default());
    assert_mentions(&e, &["conv2d", "input size 2", "span 3", "height", "(1, 2, 8, 1)"]);
    // Dilation widens the span: 3 taps 2 apart cover 5 > 4 columns.
    let e = err2(&[1, 8, 4, 1], &[3, 3, 1, 1], Conv2dOptions { dilation: [1, 2], ..Default::default() });
    assert_mentions(&e, &["input size 4", "span 5", "width"]);
    // Padding can make it fit.
    let ok = Conv2dOptions { dilation: [1, 2], padding: [(0, 0), (1, 0)], ..Default::default() };
    let y = Tensor::zeros([1, 8, 4, 1]).unwrap().conv2d(&Tensor::zeros([3, 3, 1, 1]).unwrap(), &ok).unwrap();
    assert_eq!(y.dims(), &[1, 6, 1, 1]);
}

#[test]
fn zero_strides_dilation_or_groups_are_errors() {
    let e = err2(&[1, 8, 8, 1], &[3, 3, 1, 1], Conv2dOptions { strides: [0, 1], ..Default::default() });
    assert_mentions(&e, &["conv2d", "strides must be >= 1", "[0, 1]"]);
    let e = err2(&[1, 8, 8, 1], &[3, 3, 1, 1], Conv2dOptions { dilation: [1, 0], ..Default::default() });
    assert_mentions(&e, &["dilation must be >= 1", "[1, 0]"]);
    let e = err2(&[1, 8, 8, 1], &[3, 3, 1, 1], Conv2dOptions { groups: 0, ..Default::default() });
    assert_mentions(&e, &["groups must be >= 1"]);
    let x = Tensor::zeros([1, 8, 1]).unwrap();
    let e = x.conv1d(&Tensor::zeros([3, 1, 1]).unwrap(), &Conv1dOptions { stride: 0, ..Default::default() });
    assert_mentions(&e.unwrap_err().to_string(), &["conv1d", "stride must be >= 1, got stride=0"]);
}

#[test]
fn non_f32_input_is_a_dtype_error() {
    let x = Tensor::zeros([1, 4, 4, 1]).unwrap().to_dtype(DType::F16).unwrap();
    let e = x.conv2d(&Tensor::zeros([3, 3, 1, 1]).unwrap(), &Conv2dOptions::default()).unwrap_err().to_string();
    assert_mentions(&e, &["conv2d", "F16"]);
}

#[test]
fn strides_with_dilation_are_supported_and_sized_by_the_geometry_rule() {
    // H: (9 - (2*2 + 1)) / 2 + 1 = 3; W: (10 + 1 - (3*1 + 1)) / 3 + 1 = 3.
    let x = Tensor::ones([1, 9, 10, 1]).unwrap();
    let k = Tensor::ones([3, 2, 1, 1]).unwrap();
    let opts = Conv2dOptions { strides: [2, 3], dilation: [2, 3], padding: [(0, 0), (1, 0)], groups: 1 };
    let y = x.conv2d(&k, &opts).unwrap();
    assert_eq!(y.dims(), &[1, 3, 3, 1]);
    // The first column's window starts in the left padding: one tap of each row is zero.
    assert_eq!(y.to_vec_f32().unwrap(), vec![3.0, 6.0, 6.0, 3.0, 6.0, 6.0, 3.0, 6.0, 6.0]);
}

#[test]
fn empty_batch_and_input_made_only_of_padding_are_well_defined() {
    let k = Tensor::ones([2, 2, 1, 3]).unwrap().requires_grad();
    let y = Tensor::zeros([0, 4, 4, 1]).unwrap().conv2d(&k, &Conv2dOptions::default()).unwrap();
    assert_eq!(y.dims(), &[0, 3, 3, 3]);
    let g = y.sum_all().unwrap().backward().unwrap();
    assert_eq!(g.get(&k).unwrap().to_vec_f32().unwrap(), vec![0.0; 12]);
    // Height 0 padded to 2: every tap reads padding.
    let x = Tensor::zeros([1, 0, 3, 1]).unwrap();
    let opts = Conv2dOptions { padding: [(1, 1), (0, 0)], ..Default::default() };
    let y = x.conv2d(&k, &opts).unwrap();
    assert_eq!(y.dims(), &[1, 1, 2, 3]);
    assert_eq!(y.to_vec_f32().unwrap(), vec![0.0; 6]);
}
