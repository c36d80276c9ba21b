//! Normalization layers beyond the golden fixtures: errors (with their text), which
//! weights exist, moving statistics in training vs inference, and finite-difference
//! gradients with respect to inputs and weights.

use fovea_core::{check_gradients, no_grad, GradCheck, Rng, Tensor};
use fovea_nn::layers::{
    BatchNormalization, BatchNormalizationConfig, DataFormat, LayerNormalization, LayerNormalizationConfig,
    LocalResponseNormalization, LocalResponseNormalizationConfig, RenormClipping,
};
use fovea_nn::{CallContext, Layer, ShapeSpec};

fn built(mut layer: impl Layer, dims: &[usize], name: &str) -> impl Layer {
    layer.set_name(name);
    layer.build(&[ShapeSpec::batched(dims)], &mut Rng::new(0)).unwrap();
    layer
}

fn call(layer: &dyn Layer, x: &Tensor, training: bool) -> fovea_nn::Result<Tensor> {
    let mut rng = Rng::new(1);
    let mut ctx = CallContext::new(training, &mut rng);
    Ok(layer.call(std::slice::from_ref(x), &mut ctx)?.remove(0))
}

fn names(layer: &dyn Layer) -> Vec<(String, bool)> {
    layer.weights().iter().map(|w| (w.name().to_string(), w.trainable())).collect()
}

fn values(layer: &dyn Layer, name: &str) -> Vec<f32> {
    layer.weights().iter().find(|w| w.name() == name).unwrap().value().to_vec_f32().unwrap()
}

fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "element {i}: got {g}, want {w}");
    }
}

/// Central differences of `sum(layer(x) * r)` with respect to every trainable weight,
/// against autodiff. The weights are perturbed in place.
fn check_weight_gradients(layer: &dyn Layer, x: &Tensor, training: bool) {
    let y = call(layer, x, training).unwrap();
    let r = Rng::new(9).normal(y.shape().clone(), 0.0, 1.0).unwrap();
    let grads = y.mul(&r).unwrap().sum_all().unwrap().backward().unwrap();
    let loss = || -> f64 {
        no_grad(|| call(layer, x, training).unwrap().mul(&r).unwrap().sum_all().unwrap().to_scalar().unwrap()) as f64
    };
    let eps = 1e-2f32;
    let mut checked = 0;
    for w in layer.weights().into_iter().filter(|w| w.trainable()) {
        let analytic = grads.get(w.value()).unwrap().to_vec_f32().unwrap();
        for (j, &a) in analytic.iter().enumerate() {
            w.value().update_f32(|d| d[j] += eps).unwrap();
            let plus = loss();
            w.value().update_f32(|d| d[j] -= 2.0 * eps).unwrap();
            let minus = loss();
            w.value().update_f32(|d| d[j] += eps).unwrap();
            let numeric = (plus - minus) / (2.0 * f64::from(eps));
            let a = f64::from(a);
            assert!(
                (a - numeric).abs() <= 2e-3 + 2e-2 * a.abs().max(numeric.abs()),
                "{}[{j}]: autodiff {a}, numeric {numeric}",
                w.name()
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

// ----- BatchNormalization -------------------------------------------------------------

#[test]
fn batchnorm_defaults_are_keras() {
    let c = BatchNormalizationConfig::default();
    assert_eq!((c.axis, c.momentum, c.epsilon, c.center, c.scale, c.renorm), (-1, 0.99, 1e-3, true, true, false));
    assert_eq!(c.renorm_momentum, 0.99);
    assert_eq!(c.renorm_clipping, RenormClipping::default());
}

#[test]
fn batchnorm_weights_depend_on_center_scale_and_renorm() {
    let all = built(BatchNormalization::new(), &[4, 3], "bn");
    let t = |n: &str, tr: bool| (n.to_string(), tr);
    assert_eq!(names(&all), [t("gamma", true), t("beta", true), t("moving_mean", false), t("moving_variance", false)]);
    assert!(all.weights().iter().all(|w| w.dims() == [3]));
    assert_eq!(values(&all, "gamma"), [1.0; 3]);
    assert_eq!(values(&all, "moving_variance"), [1.0; 3]);
    let cfg = |center, scale| BatchNormalizationConfig { center, scale, ..Default::default() };
    let no_scale = built(BatchNormalization::with_config(cfg(true, false)), &[3], "bn");
    assert_eq!(names(&no_scale), [t("beta", true), t("moving_mean", false), t("moving_variance", false)]);
    let no_center = built(BatchNormalization::with_config(cfg(false, true)), &[3], "bn");
    assert_eq!(names(&no_center), [t("gamma", true), t("moving_mean", false), t("moving_variance", false)]);
    let neither = built(BatchNormalization::with_config(cfg(false, false)), &[3], "bn");
    assert_eq!(names(&neither), [t("moving_mean", false), t("moving_variance", false)]);
    let renorm = built(
        BatchNormalization::with_config(BatchNormalizationConfig { renorm: true, ..Default::default() }),
        &[2],
        "bn",
    );
    let n: Vec<String> = names(&renorm).into_iter().map(|(n, _)| n).collect();
    assert_eq!(n, ["gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]);
    assert_eq!(values(&renorm, "renorm_stddev"), [1.0; 2]);
    // axis=1 on NCHW-like input: one weight per index of axis 1.
    let axis1 = built(BatchNormalization::new().axis(1), &[5, 2, 2], "bn");
    assert!(axis1.weights().iter().all(|w| w.dims() == [5]));
}

#[test]
fn batchnorm_inference_uses_and_keeps_the_moving_statistics() {
    let layer = built(BatchNormalization::new(), &[2], "bn");
    layer.weights()[2].assign(&Tensor::from_vec(vec![1.0, -1.0], [2]).unwrap()).unwrap(); // moving_mean
    layer.weights()[3].assign(&Tensor::from_vec(vec![4.0, 0.25], [2]).unwrap()).unwrap(); // moving_variance
    let x = Tensor::from_vec(vec![3.0, 0.0, 5.0, 1.0], [2, 2]).unwrap();
    let y = call(&layer, &x, false).unwrap();
    let (a, b) = ((4.0f32 + 1e-3).sqrt(), (0.25f32 + 1e-3).sqrt());
    assert_close(&y.to_vec_f32().unwrap(), &[2.0 / a, 1.0 / b, 4.0 / a, 2.0 / b], 1e-6);
    assert_eq!(values(&layer, "moving_mean"), [1.0, -1.0]);
    assert_eq!(values(&layer, "moving_variance"), [4.0, 0.25]);
}

#[test]
fn batchnorm_training_normalises_by_the_batch_and_updates_moving_statistics() {
    let cfg = BatchNormalizationConfig { momentum: 0.9, ..Default::default() };
    let layer = built(BatchNormalization::with_config(cfg), &[2], "bn");
    // Channel 0: [1, 3] (mean 2, biased variance 1); channel 1: [4, 4] (mean 4, variance 0).
    let x = Tensor::from_vec(vec![1.0, 4.0, 3.0, 4.0], [2, 2]).unwrap();
    let y = call(&layer, &x, true).unwrap();
    let s = (1.0f32 + 1e-3).sqrt();
    assert_close(&y.to_vec_f32().unwrap(), &[-1.0 / s, 0.0, 1.0 / s, 0.0], 1e-6);
    // moving = moving * 0.9 + batch * 0.1, with the biased variance (Keras 3).
    assert_close(&values(&layer, "moving_mean"), &[0.2, 0.4], 1e-6);
    assert_close(&values(&layer, "moving_variance"), &[1.0, 0.9], 1e-6);
    call(&layer, &x, true).unwrap();
    assert_close(&values(&layer, "moving_mean"), &[0.38, 0.76], 1e-6);
}

#[test]
fn batchnorm_renorm_updates_its_standard_deviations() {
    let cfg = BatchNormalizationConfig { renorm: true, momentum: 0.5, renorm_momentum: 0.5, ..Default::default() };
    let layer = built(BatchNormalization::with_config(cfg), &[1], "bn");
    let x = Tensor::from_vec(vec![1.0, 3.0], [2, 1]).unwrap();
    call(&layer, &x, true).unwrap();
    let sd = (1.0f32 + 1e-3).sqrt();
    assert_close(&values(&layer, "moving_stddev"), &[0.5 + 0.5 * sd], 1e-6);
    assert_close(&values(&layer, "renorm_stddev"), &[0.5 + 0.5 * sd], 1e-6);
    assert_close(&values(&layer, "renorm_mean"), &[1.0], 1e-6);
    let m = 0.5 + 0.5 * sd;
    assert_close(&values(&layer, "moving_variance"), &[m * m - 1e-3], 1e-6);
}

#[test]
fn batchnorm_training_gradient_flows_through_the_batch_statistics() {
    // Per channel, sum(y) = n * beta whatever x is, so its input gradient vanishes in
    // training mode; in inference it is gamma / sqrt(moving_variance + eps) everywhere.
    let layer = built(BatchNormalization::new(), &[3], "bn");
    let x = Rng::new(4).normal([5, 3], 0.0, 2.0).unwrap().requires_grad();
    let g = call(&layer, &x, false).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(&g.get(&x).unwrap().to_vec_f32().unwrap(), &[1.0 / (1.0f32 + 1e-3).sqrt(); 15], 1e-6);
    let g = call(&layer, &x, true).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(&g.get(&x).unwrap().to_vec_f32().unwrap(), &[0.0; 15], 1e-5);
}

#[test]
fn batchnorm_gradients_match_finite_differences() {
    // Not renorm: Keras stops the gradient through its corrections r and d, so autodiff
    // is deliberately not the derivative there (the golden fixtures pin it instead), and
    // each training call moves the renorm statistics that r and d are computed from.
    for (axis, training) in [(-1isize, true), (1, true), (-1, false), (2, true)] {
        let cfg = BatchNormalizationConfig { axis, ..Default::default() };
        let layer = built(BatchNormalization::with_config(cfg), &[3, 2, 2], "bn");
        for (i, w) in layer.weights().iter().enumerate() {
            let v = Rng::new(i as u64).uniform(w.dims().to_vec(), 0.5, 1.5).unwrap();
            w.assign(&v).unwrap();
        }
        let x = Rng::new(5).normal([2, 3, 2, 2], 0.5, 1.0).unwrap();
        let n = check_gradients(
            |v| call(&layer, &v[0], training).map_err(|e| fovea_core::Error::Autodiff(e.to_string())),
            std::slice::from_ref(&x),
            GradCheck::default(),
        )
        .unwrap_or_else(|e| panic!("axis {axis}, training {training}: {e}"));
        assert_eq!(n, 24);
        check_weight_gradients(&layer, &x, training);
    }
}

#[test]
fn batchnorm_errors_name_the_layer_and_shapes() {
    let mut bn = BatchNormalization::new().axis(3);
    bn.set_name("batch_normalization");
    let e = bn.output_shape(&[ShapeSpec::batched(&[4, 5])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "batch_normalization (BatchNormalization): Axis 3 is out of bounds for input shape (None, 4, 5). Received: axis=3"
    );
    let e = bn.build(&[ShapeSpec(vec![None, None])], &mut Rng::new(0)).unwrap_err();
    assert!(e.to_string().contains("Axis 3 is out of bounds"), "{e}");
    let mut unknown = BatchNormalization::new();
    unknown.set_name("bn");
    let e = unknown.build(&[ShapeSpec(vec![None, None])], &mut Rng::new(0)).unwrap_err();
    assert_eq!(e.to_string(), "bn (BatchNormalization): axis -1 of the input shape (None, None) must be known");
    let layer = built(BatchNormalization::new(), &[4], "bn");
    let e = call(&layer, &Tensor::zeros([2, 5]).unwrap(), true).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bn (BatchNormalization): expected an input of rank 2 with 4 features on axis -1, got shape (2, 5)"
    );
    let e = call(&layer, &Tensor::zeros([2, 1, 4]).unwrap(), false).unwrap_err();
    assert!(e.to_string().contains("expected an input of rank 2"), "{e}");
    let clip = |rmax, rmin, dmax| BatchNormalizationConfig {
        renorm: true,
        renorm_clipping: RenormClipping { rmax, rmin, dmax },
        ..Default::default()
    };
    let mut bad = BatchNormalization::with_config(clip(Some(0.5), Some(2.0), None));
    bad.set_name("bn");
    let e = bad.build(&[ShapeSpec::batched(&[3])], &mut Rng::new(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bn (BatchNormalization): rmax should be greater than rmin in the `renorm_clipping` argument. Received: rmax=0.5, rmin=2"
            .to_string()
            + "."
    );
    let mut bad = BatchNormalization::with_config(clip(None, None, Some(-1.0)));
    let e = bad.build(&[ShapeSpec::batched(&[3])], &mut Rng::new(0)).unwrap_err();
    assert!(
        e.to_string().ends_with("dmax should be non-negative in the `renorm_clipping` argument. Received: dmax=-1."),
        "{e}"
    );
    let fresh = BatchNormalization::new();
    assert!(call(&fresh, &Tensor::zeros([2, 3]).unwrap(), false)
        .unwrap_err()
        .to_string()
        .contains("called before build"));
}

// ----- LayerNormalization -------------------------------------------------------------

#[test]
fn layernorm_weights_depend_on_center_scale_and_rms_scaling() {
    let t = |n: &str| (n.to_string(), true);
    let cfg =
        |center, scale, rms_scaling| LayerNormalizationConfig { center, scale, rms_scaling, ..Default::default() };
    assert_eq!(names(&built(LayerNormalization::new(), &[2, 3], "ln")), [t("gamma"), t("beta")]);
    assert_eq!(names(&built(LayerNormalization::with_config(cfg(false, true, false)), &[3], "ln")), [t("gamma")]);
    assert_eq!(names(&built(LayerNormalization::with_config(cfg(true, false, false)), &[3], "ln")), [t("beta")]);
    assert!(names(&built(LayerNormalization::with_config(cfg(false, false, false)), &[3], "ln")).is_empty());
    // rms_scaling keeps gamma even without scale, and never has beta.
    assert_eq!(names(&built(LayerNormalization::with_config(cfg(true, false, true)), &[3], "ln")), [t("gamma")]);
    let multi = built(LayerNormalization::new().axis(&[2, 1]), &[3, 4, 5], "ln");
    assert!(multi.weights().iter().all(|w| w.dims() == [3, 4]));
    // Keras sorts [1, -1] to [-1, 1], so the weights are (d[-1], d[1]).
    let mixed = built(LayerNormalization::new().axis(&[1, -1]), &[3, 5], "ln");
    assert!(mixed.weights().iter().all(|w| w.dims() == [5, 3]));
}

#[test]
fn layernorm_normalises_each_sample_alike_in_both_modes() {
    let layer = built(LayerNormalization::new(), &[4], "ln");
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0], [2, 4]).unwrap();
    let y = call(&layer, &x, false).unwrap();
    let s = (1.25f32 + 1e-3).sqrt();
    assert_close(&y.to_vec_f32().unwrap(), &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0.0, 0.0, 0.0, 0.0], 1e-6);
    assert_eq!(call(&layer, &x, true).unwrap().to_vec_f32().unwrap(), y.to_vec_f32().unwrap());
}

#[test]
fn layernorm_gradients_match_finite_differences() {
    for (axis, rms_scaling) in [(vec![-1isize], false), (vec![1, 2], false), (vec![-1], true)] {
        let cfg = LayerNormalizationConfig { axis: axis.clone(), rms_scaling, ..Default::default() };
        let layer = built(LayerNormalization::with_config(cfg), &[3, 4], "ln");
        for (i, w) in layer.weights().iter().enumerate() {
            w.assign(&Rng::new(i as u64).uniform(w.dims().to_vec(), 0.5, 1.5).unwrap()).unwrap();
        }
        let x = Rng::new(6).normal([2, 3, 4], 0.5, 1.0).unwrap();
        let n = check_gradients(
            |v| call(&layer, &v[0], false).map_err(|e| fovea_core::Error::Autodiff(e.to_string())),
            std::slice::from_ref(&x),
            GradCheck::default(),
        )
        .unwrap_or_else(|e| panic!("axis {axis:?}: {e}"));
        assert_eq!(n, 24);
        check_weight_gradients(&layer, &x, false);
    }
}

#[test]
fn layernorm_errors_name_the_layer_and_shapes() {
    let mut ln = LayerNormalization::new().axis(&[1, 3]);
    ln.set_name("layer_normalization");
    let e = ln.output_shape(&[ShapeSpec::batched(&[4, 5])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "layer_normalization (LayerNormalization): Axis 3 is out of bounds for input shape (None, 4, 5). Received: axis=[1, 3]"
    );
    let mut dup = LayerNormalization::new().axis(&[2, -1]);
    dup.set_name("ln");
    let e = dup.build(&[ShapeSpec::batched(&[4, 5])], &mut Rng::new(0)).unwrap_err();
    assert_eq!(e.to_string(), "ln (LayerNormalization): axis [2, -1] names axis 2 twice (input shape (None, 4, 5))");
    let layer = built(LayerNormalization::new().axis(&[1, 2]), &[3, 4], "ln");
    let e = call(&layer, &Tensor::zeros([2, 3, 5]).unwrap(), false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ln (LayerNormalization): expected an input of rank 3 shaped (_, 3, 4) on axis [1, 2], got shape (2, 3, 5)"
    );
    // Without weights the normalised extents may be unknown at build time.
    let bare = LayerNormalizationConfig { center: false, scale: false, ..Default::default() };
    let mut layer = LayerNormalization::with_config(bare);
    layer.build(&[ShapeSpec(vec![None, None])], &mut Rng::new(0)).unwrap();
    assert_eq!(call(&layer, &Tensor::ones([2, 7]).unwrap(), false).unwrap().dims(), &[2, 7]);
}

// ----- LocalResponseNormalization -----------------------------------------------------

#[test]
fn lrn_presets_are_tensorflow_and_alexnet() {
    let d = LocalResponseNormalizationConfig::default();
    assert_eq!((d.depth_radius, d.bias, d.alpha, d.beta, d.data_format), (5, 1.0, 1.0, 0.5, DataFormat::ChannelsLast));
    let a = *LocalResponseNormalization::alexnet().config();
    assert_eq!((a.depth_radius, a.bias, a.alpha, a.beta), (2, 2.0, 1e-4, 0.75));
    assert!(LocalResponseNormalization::new().weights().is_empty());
}

#[test]
fn lrn_channels_first_equals_channels_last_on_transposed_input() {
    let x = Rng::new(3).normal([2, 6, 3, 4], 0.0, 1.0).unwrap();
    let cfg = LocalResponseNormalizationConfig {
        depth_radius: 1,
        data_format: DataFormat::ChannelsFirst,
        ..Default::default()
    };
    let first = call(&LocalResponseNormalization::with_config(cfg), &x, false).unwrap();
    let last = LocalResponseNormalizationConfig { data_format: DataFormat::ChannelsLast, ..cfg };
    let want = call(&LocalResponseNormalization::with_config(last), &x.permute(&[0, 2, 3, 1]).unwrap(), false)
        .unwrap()
        .permute(&[0, 3, 1, 2])
        .unwrap();
    assert_eq!(first.dims(), &[2, 6, 3, 4]);
    assert_close(&first.to_vec_f32().unwrap(), &want.to_vec_f32().unwrap(), 1e-6);
}

#[test]
fn lrn_gradients_match_finite_differences() {
    let x = Rng::new(7).normal([2, 2, 2, 6], 0.0, 1.0).unwrap();
    for cfg in [
        LocalResponseNormalizationConfig::alexnet(),
        LocalResponseNormalizationConfig {
            depth_radius: 1,
            beta: 0.8,
            data_format: DataFormat::ChannelsFirst,
            ..Default::default()
        },
    ] {
        let layer = LocalResponseNormalization::with_config(cfg);
        let n = check_gradients(
            |v| call(&layer, &v[0], true).map_err(|e| fovea_core::Error::Autodiff(e.to_string())),
            std::slice::from_ref(&x),
            GradCheck::default(),
        )
        .unwrap();
        assert_eq!(n, 48);
    }
}

#[test]
fn lrn_errors_name_the_layer() {
    let mut lrn = LocalResponseNormalization::new();
    lrn.set_name("lrn");
    let e = lrn.output_shape(&[ShapeSpec(vec![None])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "lrn (LocalResponseNormalization): expects an input of rank >= 2 (batch, ..., channels), got shape (None,)"
    );
    let e = call(&lrn, &Tensor::zeros([3]).unwrap(), false).unwrap_err();
    assert!(e.to_string().contains("rank >= 2"), "{e}");
    let mut bad = LocalResponseNormalization::with_config(LocalResponseNormalizationConfig {
        beta: f32::INFINITY,
        ..Default::default()
    });
    bad.set_name("lrn");
    let e = bad.output_shape(&[ShapeSpec::batched(&[3])]).unwrap_err();
    assert_eq!(e.to_string(), "lrn (LocalResponseNormalization): beta must be finite, got inf");
}
