//! Conv, pooling and padding layers: Keras's shape rules and error messages, weight
//! shapes, regularizer penalties, and finite-difference gradient checks.

use fovea_core::{check_gradients, GradCheck, Rng, Tensor};
use fovea_nn::layers::{
    AveragePooling2D, Conv1D, Conv1DConfig, Conv2D, Conv2DConfig, Cropping2D, DataFormat, GlobalAveragePooling1D,
    GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D, Padding, ZeroPadding2D,
};
use fovea_nn::{Activation, CallContext, Constraint, Layer, Regularizer, ShapeSpec};

fn spec(dims: &[Option<usize>]) -> ShapeSpec {
    ShapeSpec(dims.to_vec())
}

fn named<L: Layer>(mut layer: L, name: &str) -> L {
    layer.set_name(name);
    layer
}

/// The error message of `output_shape`, which must fail.
fn shape_error(layer: &dyn Layer, input: ShapeSpec) -> String {
    match layer.output_shape(&[input]) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

fn out_shape(layer: &dyn Layer, input: ShapeSpec) -> String {
    layer.output_shape(&[input]).unwrap()[0].to_string()
}

#[test]
fn alexnet_conv1_output_shape() {
    let conv1 = Conv2D::new(96, [11, 11]).strides([4, 4]);
    assert_eq!(out_shape(&conv1, ShapeSpec::batched(&[227, 227, 3])), "(None, 55, 55, 96)");
    let pool1 = MaxPooling2D::new([3, 3]).strides([2, 2]);
    assert_eq!(out_shape(&pool1, ShapeSpec::batched(&[55, 55, 96])), "(None, 27, 27, 96)");
}

#[test]
fn output_shapes_follow_keras_in_both_formats_and_keep_unknown_sizes() {
    let same = Conv2D::new(8, [3, 2]).strides([2, 1]).padding(Padding::Same);
    assert_eq!(out_shape(&same, ShapeSpec::batched(&[7, 5, 3])), "(None, 4, 5, 8)");
    let cf = Conv2D::new(8, [3, 3]).data_format(DataFormat::ChannelsFirst);
    assert_eq!(out_shape(&cf, ShapeSpec::batched(&[3, 10, 12])), "(None, 8, 8, 10)");
    assert_eq!(out_shape(&cf, spec(&[None, Some(3), None, Some(12)])), "(None, 8, None, 10)");
    let dil = Conv2D::new(4, [3, 3]).dilation_rate([2, 2]);
    assert_eq!(out_shape(&dil, spec(&[None, None, Some(9), Some(2)])), "(None, None, 5, 4)");
    let causal = Conv1D::new(5, 3).padding(Padding::Causal).dilation_rate(4);
    assert_eq!(out_shape(&causal, ShapeSpec::batched(&[10, 2])), "(None, 10, 5)");
    let c1 = Conv1D::new(5, 3).strides(2).data_format(DataFormat::ChannelsFirst);
    assert_eq!(out_shape(&c1, ShapeSpec::batched(&[2, 9])), "(None, 5, 4)");
}

#[test]
fn pooling_and_padding_output_shapes() {
    // strides default to pool_size (Keras's strides=None).
    assert_eq!(out_shape(&MaxPooling2D::default(), ShapeSpec::batched(&[7, 6, 3])), "(None, 3, 3, 3)");
    let same = AveragePooling2D::new([3, 3]).strides([2, 1]).padding(Padding::Same);
    assert_eq!(out_shape(&same, spec(&[None, Some(5), None, Some(4)])), "(None, 3, None, 4)");
    let cf = MaxPooling1D::new(2).data_format(DataFormat::ChannelsFirst);
    assert_eq!(out_shape(&cf, ShapeSpec::batched(&[4, 9])), "(None, 4, 4)");
    let g = GlobalMaxPooling2D::new().data_format(DataFormat::ChannelsFirst);
    assert_eq!(out_shape(&g, ShapeSpec::batched(&[4, 5, 6])), "(None, 4)");
    assert_eq!(out_shape(&g.keepdims(true), ShapeSpec::batched(&[4, 5, 6])), "(None, 4, 1, 1)");
    let g1 = GlobalAveragePooling1D::new().keepdims(true);
    assert_eq!(out_shape(&g1, spec(&[None, None, Some(3)])), "(None, 1, 3)");
    let zp = ZeroPadding2D::new(((1, 2), (0, 3)));
    assert_eq!(out_shape(&zp, spec(&[None, Some(4), None, Some(2)])), "(None, 7, None, 2)");
    let crop = Cropping2D::new((1, 2)).data_format(DataFormat::ChannelsFirst);
    assert_eq!(out_shape(&crop, ShapeSpec::batched(&[3, 5, 6])), "(None, 3, 3, 2)");
}

#[test]
fn groups_must_divide_the_input_channels() {
    let layer = named(Conv2D::new(6, [3, 3]).groups(3), "conv2d");
    let msg = shape_error(&layer, ShapeSpec::batched(&[8, 8, 4]));
    assert_contains(&msg, &["conv2d (Conv2D)", "groups=3", "4 channels", "(None, 8, 8, 4)"]);
    // Channels-first reads the channels from axis 1.
    let cf = Conv2D::new(6, [3, 3]).groups(3).data_format(DataFormat::ChannelsFirst);
    assert!(cf.output_shape(&[ShapeSpec::batched(&[6, 8, 4])]).is_ok());
    assert_contains(&shape_error(&cf, ShapeSpec::batched(&[4, 8, 6])), &["groups=3", "4 channels"]);
}

#[test]
fn filters_must_divide_by_groups() {
    let layer = named(Conv1D::new(5, 3).groups(2), "conv1d");
    let msg = shape_error(&layer, ShapeSpec::batched(&[8, 4]));
    assert_contains(&msg, &["conv1d (Conv1D)", "number of filters must be evenly divisible", "groups=2, filters=5"]);
}

#[test]
fn strides_with_dilation_is_refused_even_on_different_axes() {
    // Keras's condition is max(strides) > 1 and max(dilation_rate) > 1.
    let layer = Conv2D::new(4, [3, 3]).strides([2, 1]).dilation_rate([1, 2]);
    let msg = shape_error(&layer, ShapeSpec::batched(&[9, 9, 3]));
    assert_contains(&msg, &["`strides > 1` not supported in conjunction with `dilation_rate > 1`", "strides=(2, 1)"]);
    let c1 = Conv1D::new(4, 3).strides(2).dilation_rate(2);
    assert_contains(&shape_error(&c1, ShapeSpec::batched(&[9, 3])), &["strides=2", "dilation_rate=2"]);
    assert!(Conv2D::new(4, [3, 3]).dilation_rate([2, 2]).output_shape(&[ShapeSpec::batched(&[9, 9, 3])]).is_ok());
}

#[test]
fn kernel_larger_than_a_valid_input_is_an_error() {
    let layer = named(Conv2D::new(8, [5, 5]), "conv2d");
    let msg = shape_error(&layer, ShapeSpec::batched(&[4, 6, 3]));
    assert_contains(&msg, &["conv2d (Conv2D)", "Computed output size would be zero or negative", "(None, 4, 6, 3)"]);
    // Same padding always fits; unknown sizes are not checked.
    assert!(Conv2D::new(8, [5, 5]).padding(Padding::Same).output_shape(&[ShapeSpec::batched(&[4, 6, 3])]).is_ok());
    assert!(layer.output_shape(&[spec(&[None, None, None, Some(3)])]).is_ok());
    // At call time too, for a built layer given a smaller input than it was built for.
    let mut built = Conv2D::new(2, [3, 3]);
    built.build(&[spec(&[None, None, None, Some(1)])], &mut Rng::new(0)).unwrap();
    let mut rng = Rng::new(0);
    let err = built.call(&[Tensor::ones([1, 2, 5, 1]).unwrap()], &mut CallContext::new(false, &mut rng)).unwrap_err();
    assert_contains(&err.to_string(), &["Computed output size would be zero or negative"]);
    let pool = MaxPooling2D::new([3, 3]);
    assert_contains(&shape_error(&pool, ShapeSpec::batched(&[2, 5, 1])), &["Computed output size", "pool_size=(3, 3)"]);
}

#[test]
fn wrong_rank_is_an_error_with_keras_wording() {
    let msg = shape_error(&named(Conv2D::new(4, [3, 3]), "conv2d"), ShapeSpec::batched(&[8, 3]));
    assert_contains(&msg, &["conv2d (Conv2D)", "expected ndim=4, found ndim=3", "(None, 8, 3)"]);
    let msg = shape_error(&Conv1D::new(4, 3), ShapeSpec::batched(&[8, 8, 3]));
    assert_contains(&msg, &["expected ndim=3, found ndim=4"]);
    assert_contains(&shape_error(&MaxPooling1D::new(2), ShapeSpec::batched(&[8, 8, 3])), &["expected ndim=3"]);
    assert_contains(&shape_error(&GlobalMaxPooling2D::new(), ShapeSpec::batched(&[8, 3])), &["expected ndim=4"]);
    assert_contains(&shape_error(&ZeroPadding2D::new(1), ShapeSpec::batched(&[8, 3])), &["expected ndim=4"]);
}

#[test]
fn other_argument_errors() {
    let causal2d = Conv2D::new(4, [3, 3]).padding(Padding::Causal);
    assert_contains(&shape_error(&causal2d, ShapeSpec::batched(&[8, 8, 3])), &["Causal"]);
    assert_contains(&shape_error(&Conv2D::new(0, [3, 3]), ShapeSpec::batched(&[8, 8, 3])), &["filters=0"]);
    assert_contains(&shape_error(&Conv2D::new(2, [0, 3]), ShapeSpec::batched(&[8, 8, 3])), &["kernel_size=(0, 3)"]);
    let pool = MaxPooling1D::new(2).padding(Padding::Causal);
    assert_contains(&shape_error(&pool, ShapeSpec::batched(&[8, 3])), &["padding=Causal"]);
    let crop = named(Cropping2D::new(((2, 2), (0, 0))), "cropping2d");
    let msg = shape_error(&crop, ShapeSpec::batched(&[4, 6, 3]));
    assert_contains(&msg, &["cropping2d (Cropping2D)", "should be smaller", "cropping=((2, 2), (0, 0))"]);
}

#[test]
fn kernel_shape_is_hwio_in_both_formats() {
    for (df, input) in [
        (DataFormat::ChannelsLast, ShapeSpec::batched(&[8, 8, 6])),
        (DataFormat::ChannelsFirst, ShapeSpec::batched(&[6, 8, 8])),
    ] {
        let mut layer = Conv2D::new(4, [3, 2]).groups(2).data_format(df);
        layer.build(&[input], &mut Rng::new(1)).unwrap();
        let w = layer.weights();
        assert_eq!((w[0].name(), w[0].dims()), ("kernel", &[3usize, 2, 3, 4][..]));
        assert_eq!((w[1].name(), w[1].dims()), ("bias", &[4usize][..]));
    }
    let mut no_bias = Conv1D::new(3, 2).use_bias(false);
    no_bias.build(&[ShapeSpec::batched(&[5, 2])], &mut Rng::new(1)).unwrap();
    assert_eq!(no_bias.weights().len(), 1);
    assert_eq!(no_bias.weights()[0].dims(), &[2, 2, 3]);
}

#[test]
fn regularizers_and_constraints_reach_the_weights_and_the_call_losses() {
    let mut layer = Conv2D::with_config(Conv2DConfig {
        filters: 2,
        kernel_size: [2, 2],
        kernel_regularizer: Some(Regularizer::l2(0.1)),
        bias_regularizer: Some(Regularizer::l1(0.2)),
        activity_regularizer: Some(Regularizer::l2(0.01)),
        kernel_constraint: Some(Constraint::NonNeg),
        ..Default::default()
    });
    layer.build(&[ShapeSpec::batched(&[3, 3, 1])], &mut Rng::new(2)).unwrap();
    let w = layer.weights();
    assert_eq!(w[0].regularizer, Some(Regularizer::l2(0.1)));
    assert_eq!(w[1].regularizer, Some(Regularizer::l1(0.2)));
    assert_eq!(w[0].constraint, Some(Constraint::NonNeg));
    let x = Rng::new(3).normal([2, 3, 3, 1], 0.0, 1.0).unwrap();
    let mut rng = Rng::new(0);
    let mut ctx = CallContext::new(true, &mut rng);
    let y = layer.call(&[x], &mut ctx).unwrap().remove(0);
    assert_eq!(ctx.losses.len(), 1);
    // Keras 3 divides an activity penalty by the batch size (2 here).
    let want: f32 = y.to_vec_f32().unwrap().iter().map(|v| 0.01 * v * v).sum::<f32>() / 2.0;
    let got = ctx.losses[0].to_vec_f32().unwrap()[0];
    assert!((got - want).abs() < 1e-5 * want.max(1.0), "{got} vs {want}");

    let mut conv1 = Conv1D::with_config(Conv1DConfig {
        filters: 2,
        kernel_size: 2,
        activity_regularizer: Some(Regularizer::l1(0.5)),
        ..Default::default()
    });
    conv1.build(&[ShapeSpec::batched(&[4, 1])], &mut Rng::new(2)).unwrap();
    let mut ctx = CallContext::new(false, &mut rng);
    conv1.call(&[Tensor::ones([1, 4, 1]).unwrap()], &mut ctx).unwrap();
    assert_eq!(ctx.losses.len(), 1);
}

/// Checks d(sum(y * r))/dx with central differences, and the kernel and bias gradients
/// against central differences computed by reassigning the weights.
fn check_layer_gradients(layer: &mut dyn Layer, x_dims: &[usize]) {
    let mut spec = ShapeSpec::batched(&x_dims[1..]);
    spec.0[0] = None;
    layer.build(&[spec], &mut Rng::new(4)).unwrap();
    let call = |layer: &dyn Layer, x: &Tensor| {
        let mut rng = Rng::new(0);
        layer.call(std::slice::from_ref(x), &mut CallContext::new(false, &mut rng)).map(|mut v| v.remove(0))
    };
    let x = Rng::new(5).normal(x_dims.to_vec(), 0.0, 1.0).unwrap();
    let n = check_gradients(
        |v| call(&*layer, &v[0]).map_err(|e| fovea_core::Error::Argument { op: "layer", msg: e.to_string() }),
        std::slice::from_ref(&x),
        GradCheck::default(),
    )
    .unwrap();
    assert_eq!(n, x.numel());

    // Weights: the layer's own leaves get the gradients, so perturb them in place.
    let y = call(&*layer, &x).unwrap();
    let r = Rng::new(6).normal(y.shape().clone(), 0.0, 1.0).unwrap();
    let grads = y.mul(&r).unwrap().sum_all().unwrap().backward().unwrap();
    let project = |layer: &dyn Layer| -> f64 {
        let y = fovea_core::no_grad(|| call(layer, &x)).unwrap().to_vec_f32().unwrap();
        y.iter().zip(r.to_vec_f32().unwrap()).map(|(&a, b)| f64::from(a) * f64::from(b)).sum()
    };
    for w in layer.weights() {
        let analytic = grads.get(w.value()).unwrap().to_vec_f32().unwrap();
        let base = w.value().detach().contiguous().unwrap().to_vec_f32().unwrap();
        let eps = 1e-3f32;
        for j in 0..base.len() {
            let at = |d: f32| {
                let mut v = base.clone();
                v[j] += d;
                w.assign(&Tensor::from_vec(v, w.dims().to_vec()).unwrap()).unwrap();
                project(&*layer)
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * f64::from(eps));
            let a = f64::from(analytic[j]);
            assert!(
                (a - numeric).abs() <= 2e-3 + 2e-2 * a.abs().max(numeric.abs()),
                "{} [{j}]: {a} vs {numeric}",
                w.name()
            );
        }
        w.assign(&Tensor::from_vec(base, w.dims().to_vec()).unwrap()).unwrap();
    }
}

#[test]
fn conv2d_gradients_match_finite_differences_in_both_formats() {
    let mut cl = Conv2D::new(4, [2, 3]).strides([2, 1]).padding(Padding::Same).groups(2).activation(Activation::Tanh);
    check_layer_gradients(&mut cl, &[2, 5, 4, 2]);
    // Softmax over the width axis of a channels-first output.
    let mut cf = Conv2D::new(3, [2, 2])
        .dilation_rate([1, 2])
        .data_format(DataFormat::ChannelsFirst)
        .activation(Activation::Softmax);
    check_layer_gradients(&mut cf, &[2, 2, 4, 5]);
}

#[test]
fn conv1d_gradients_match_finite_differences() {
    let mut causal = Conv1D::new(3, 3).padding(Padding::Causal).dilation_rate(2).activation(Activation::Tanh);
    check_layer_gradients(&mut causal, &[2, 6, 2]);
    let mut cf = Conv1D::new(2, 2).strides(2).padding(Padding::Same).data_format(DataFormat::ChannelsFirst);
    check_layer_gradients(&mut cf, &[2, 2, 7]);
}
