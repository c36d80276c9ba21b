//! Behaviour of the reshaping, dropout, activation, merge and embedding layers that the
//! golden fixtures do not pin: shape errors and their messages, dropout's randomness,
//! and finite-difference gradient checks through each layer.

use fovea_core::{check_gradients, GradCheck, Rng, Tensor};
use fovea_nn::layers::{
    Add, Average, Concatenate, DataFormat, Dropout, DropoutConfig, Embedding, Flatten, LeakyReLU, Maximum, Minimum,
    Multiply, Permute, ReLU, ReLUConfig, Reshape, Softmax, Subtract,
};
use fovea_nn::{CallContext, Layer, ShapeSpec};

fn spec(dims: &[Option<usize>]) -> ShapeSpec {
    ShapeSpec(dims.to_vec())
}

fn named<L: Layer>(mut layer: L, name: &str) -> L {
    layer.set_name(name);
    layer
}

/// The error message of `output_shape`, which must fail.
fn shape_err(layer: &dyn Layer, inputs: &[ShapeSpec]) -> String {
    match layer.output_shape(inputs) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn call(layer: &dyn Layer, inputs: &[Tensor], training: bool, rng: &mut Rng) -> fovea_nn::Result<Vec<Tensor>> {
    let mut ctx = CallContext::new(training, rng);
    layer.call(inputs, &mut ctx)
}

fn call1(layer: &dyn Layer, x: &Tensor, training: bool, seed: u64) -> Tensor {
    call(layer, std::slice::from_ref(x), training, &mut Rng::new(seed)).unwrap().remove(0)
}

fn randn(dims: &[usize], seed: u64) -> Tensor {
    Rng::new(seed).normal(dims.to_vec(), 0.0, 1.0).unwrap()
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

// ----- shapes and shape errors ---------------------------------------------------------

#[test]
fn flatten_shapes_follow_keras() {
    let f = Flatten::new();
    assert_eq!(f.output_shape(&[ShapeSpec::batched(&[3, 4, 5])]).unwrap()[0], ShapeSpec::batched(&[60]));
    assert_eq!(f.output_shape(&[spec(&[None])]).unwrap()[0], ShapeSpec::batched(&[1]));
    assert_eq!(f.output_shape(&[spec(&[None, Some(3), None])]).unwrap()[0], spec(&[None, None]));
    let cf = Flatten::with_data_format(DataFormat::ChannelsFirst);
    // (1, 2, 3) channels-first: channel 0 = [0 1 2], channel 1 = [3 4 5]; flattened in
    // channels-last order the channels interleave.
    let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), [1, 2, 3]).unwrap();
    assert_eq!(call1(&cf, &x, false, 0).to_vec_f32().unwrap(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(call1(&Flatten::new(), &x, false, 0).to_vec_f32().unwrap(), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn reshape_infers_minus_one_and_rejects_sizes_that_do_not_fit() {
    let r = Reshape::new(&[-1, 2]);
    assert_eq!(r.output_shape(&[ShapeSpec::batched(&[3, 4])]).unwrap()[0], ShapeSpec::batched(&[6, 2]));
    // Unknown sample size: the -1 stays unknown.
    assert_eq!(r.output_shape(&[spec(&[None, None, Some(4)])]).unwrap()[0], spec(&[None, None, Some(2)]));

    let msg = shape_err(&named(Reshape::new(&[5, 2]), "reshape_1"), &[ShapeSpec::batched(&[3, 4])]);
    assert_contains(&msg, &["reshape_1 (Reshape)", "must be unchanged", "(None, 3, 4)", "[5, 2]"]);
    let msg = shape_err(&named(Reshape::new(&[-1, 5]), "reshape_2"), &[ShapeSpec::batched(&[12])]);
    assert_contains(&msg, &["reshape_2 (Reshape)", "cannot be divided", "[-1, 5]", "(None, 12)"]);
    let msg = shape_err(&Reshape::new(&[-1, -1]), &[ShapeSpec::batched(&[12])]);
    assert_contains(&msg, &["(Reshape)", "at most one unknown dimension", "[-1, -1]"]);
    let msg = shape_err(&Reshape::new(&[-2, 6]), &[ShapeSpec::batched(&[12])]);
    assert_contains(&msg, &["non-negative integer", "[-2, 6]"]);
    // The check also runs at call time on concrete shapes.
    let err = call(&Reshape::new(&[5]), &[randn(&[2, 4], 0)], false, &mut Rng::new(0)).unwrap_err();
    assert_contains(&err.to_string(), &["must be unchanged", "[5]"]);
}

#[test]
fn permute_is_one_based_and_checks_its_dims() {
    let p = Permute::new(&[3, 1, 2]);
    assert_eq!(p.output_shape(&[ShapeSpec::batched(&[4, 5, 6])]).unwrap()[0], ShapeSpec::batched(&[6, 4, 5]));
    let msg = shape_err(&named(Permute::new(&[0, 1]), "permute"), &[ShapeSpec::batched(&[4, 5])]);
    assert_contains(&msg, &["permute (Permute)", "consecutive and start from 1", "[0, 1]"]);
    let msg = shape_err(&Permute::new(&[2, 1]), &[ShapeSpec::batched(&[4, 5, 6])]);
    assert_contains(&msg, &["rank 3", "(None, 4, 5, 6)"]);
}

#[test]
fn merge_shapes_broadcast_like_keras_and_errors_list_every_input() {
    let add = Add::new();
    // Lower rank gets axes after the batch: (4,) merges with (3, 4) as (1, 4).
    let out = add.output_shape(&[ShapeSpec::batched(&[3, 4]), ShapeSpec::batched(&[4])]).unwrap();
    assert_eq!(out[0], ShapeSpec::batched(&[3, 4]));
    let out = add.output_shape(&[ShapeSpec::batched(&[3, 1]), spec(&[Some(2), Some(1), Some(5)])]).unwrap();
    assert_eq!(out[0], spec(&[Some(2), Some(3), Some(5)]));

    let shapes = [ShapeSpec::batched(&[3, 4]), ShapeSpec::batched(&[3, 4]), ShapeSpec::batched(&[3, 5])];
    let msg = shape_err(&named(Add::new(), "add_7"), &shapes);
    assert_contains(&msg, &["add_7 (Add)", "incompatible shapes", "(None, 3, 4), (None, 3, 4), (None, 3, 5)"]);
    for layer in [&Multiply::new() as &dyn Layer, &Average::new(), &Maximum::new(), &Minimum::new()] {
        let msg = shape_err(layer, &shapes);
        assert_contains(&msg, &[layer.class_name(), "(None, 3, 5)"]);
    }
    let msg = shape_err(&Add::new(), &[spec(&[Some(2), Some(3)]), spec(&[Some(4), Some(3)])]);
    assert_contains(&msg, &["different batch sizes", "(2, 3), (4, 3)"]);

    let three = [ShapeSpec::batched(&[3]), ShapeSpec::batched(&[3]), ShapeSpec::batched(&[3])];
    let msg = shape_err(&named(Subtract::new(), "subtract"), &three);
    assert_contains(&msg, &["subtract (Subtract)", "exactly 2 inputs", "received 3"]);
    assert!(shape_err(&Add::new(), &[]).contains("at least 1 input"));
    // The same checks guard the call.
    let err = call(&Add::new(), &[randn(&[2, 3], 0), randn(&[2, 4], 1)], false, &mut Rng::new(0)).unwrap_err();
    assert_contains(&err.to_string(), &["(Add)", "(2, 3), (2, 4)"]);
}

#[test]
fn concatenate_sums_its_axis_and_rejects_other_mismatches() {
    let c = Concatenate::new(1);
    let out = c.output_shape(&[ShapeSpec::batched(&[2, 3]), ShapeSpec::batched(&[5, 3])]).unwrap();
    assert_eq!(out[0], ShapeSpec::batched(&[7, 3]));
    let out = c.output_shape(&[ShapeSpec::batched(&[2, 3]), spec(&[None, None, Some(3)])]).unwrap();
    assert_eq!(out[0], spec(&[None, None, Some(3)]));

    let msg = shape_err(
        &named(Concatenate::default(), "concatenate"),
        &[ShapeSpec::batched(&[2, 3]), ShapeSpec::batched(&[4, 3])],
    );
    assert_contains(&msg, &["concatenate (Concatenate)", "axis=-1", "(None, 2, 3), (None, 4, 3)"]);
    let msg = shape_err(&Concatenate::default(), &[ShapeSpec::batched(&[2, 3]), ShapeSpec::batched(&[3])]);
    assert_contains(&msg, &["matching shapes", "(None, 2, 3), (None, 3)"]);
    let msg = shape_err(&Concatenate::new(3), &[ShapeSpec::batched(&[2, 3])]);
    assert_contains(&msg, &["axis=3 is out of range", "rank 3"]);
}

#[test]
fn activation_layers_reject_keras_invalid_arguments() {
    let x = [ShapeSpec::batched(&[3])];
    let relu = |max_value, negative_slope, threshold| {
        named(ReLU::with_config(ReLUConfig { max_value, negative_slope, threshold }), "re_lu")
    };
    assert_contains(&shape_err(&relu(Some(-1.0), 0.0, 0.0), &x), &["re_lu (ReLU)", "max_value=-1"]);
    assert_contains(&shape_err(&relu(None, -0.5, 0.0), &x), &["negative_slope=-0.5"]);
    assert_contains(&shape_err(&relu(None, 0.0, -2.0), &x), &["threshold=-2"]);
    assert_contains(&shape_err(&LeakyReLU::with_negative_slope(-0.1), &x), &["(LeakyReLU)", "negative_slope=-0.1"]);
    assert_contains(&shape_err(&Softmax::with_axis(&[2]), &x), &["(Softmax)", "axis=[2]", "(None, 3)"]);
    assert_eq!(LeakyReLU::default().negative_slope(), 0.3);
}

#[test]
fn relu_slope_applies_below_the_threshold_not_below_zero() {
    let x = Tensor::from_vec(vec![-1.0, 0.5, 1.0, 1.5, 3.0], [1, 5]).unwrap();
    let layer = ReLU::with_config(ReLUConfig { max_value: Some(2.0), negative_slope: 0.1, threshold: 1.0 });
    let y = call1(&layer, &x, false, 0).to_vec_f32().unwrap();
    let want = [-0.2, -0.05, 0.0, 1.5, 2.0];
    for (a, b) in y.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{y:?}");
    }
}

// ----- dropout ---------------------------------------------------------------------

#[test]
fn dropout_rejects_rates_outside_zero_one_and_bad_noise_shapes() {
    let x = [ShapeSpec::batched(&[3])];
    for rate in [-0.1, 1.5, f32::NAN] {
        let msg = shape_err(&named(Dropout::new(rate), "dropout"), &x);
        assert_contains(&msg, &["dropout (Dropout)", "between 0 and 1", &format!("rate={rate}")]);
    }
    // Keras accepts rate = 1 (training output is all zeros).
    let ones = Tensor::ones([2, 3]).unwrap();
    assert_eq!(call1(&Dropout::new(1.0), &ones, true, 0).to_vec_f32().unwrap(), vec![0.0; 6]);

    let zero = Dropout::with_config(DropoutConfig { rate: 0.5, noise_shape: Some(vec![None, Some(0)]), seed: None });
    assert_contains(&shape_err(&zero, &x), &["positive integers or None", "index 1"]);
    let bad = Dropout::with_config(DropoutConfig { rate: 0.5, noise_shape: Some(vec![None, Some(4)]), seed: None });
    let err = call(&bad, &[ones], true, &mut Rng::new(0)).unwrap_err().to_string();
    assert_contains(&err, &["noise_shape=(None, 4)", "(2, 3)"]);
}

#[test]
fn dropout_is_the_identity_at_inference() {
    let x = randn(&[4, 5], 1);
    let y = call1(&Dropout::new(0.6), &x, false, 3);
    assert_eq!(y.to_vec_f32().unwrap(), x.to_vec_f32().unwrap());
}

#[test]
fn dropout_keeps_one_minus_rate_and_scales_kept_values_exactly() {
    let rate = 0.3f32;
    let keep = 1.0 - rate;
    let x = Rng::new(2).uniform([200, 500], 0.5, 2.0).unwrap(); // no zeros in x
    let y = call1(&Dropout::new(rate), &x, true, 11).to_vec_f32().unwrap();
    let xs = x.to_vec_f32().unwrap();
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
    assert!((kept - keep as f64).abs() < 0.01, "kept fraction {kept}");
    for (a, b) in xs.iter().zip(&y) {
        assert!(*b == 0.0 || *b == a / keep, "{b} is neither 0 nor {a} / {keep}");
    }
}

#[test]
fn dropout_masks_repeat_with_the_same_seed() {
    let x = Tensor::ones([50, 40]).unwrap();
    let layer = Dropout::new(0.5);
    let a = call1(&layer, &x, true, 5).to_vec_f32().unwrap();
    assert_eq!(a, call1(&layer, &x, true, 5).to_vec_f32().unwrap(), "same context seed, same mask");
    assert_ne!(a, call1(&layer, &x, true, 6).to_vec_f32().unwrap(), "another context seed, another mask");

    // A layer seed fixes the masks whatever the context's Rng, and advances per call.
    let seeded = || Dropout::with_config(DropoutConfig { rate: 0.5, noise_shape: None, seed: Some(42) });
    let (l1, l2) = (seeded(), seeded());
    let first = call1(&l1, &x, true, 1).to_vec_f32().unwrap();
    assert_eq!(first, call1(&l2, &x, true, 99).to_vec_f32().unwrap());
    assert_ne!(first, call1(&l1, &x, true, 1).to_vec_f32().unwrap(), "the layer's stream advances");
}

#[test]
fn dropout_noise_shape_broadcasts_one_mask_over_size_one_axes() {
    let x = Tensor::ones([4, 6, 8]).unwrap();
    let layer =
        Dropout::with_config(DropoutConfig { rate: 0.5, noise_shape: Some(vec![None, Some(1), None]), seed: None });
    let y = call1(&layer, &x, true, 7).to_vec_f32().unwrap();
    for b in 0..4 {
        for t in 1..6 {
            for f in 0..8 {
                assert_eq!(y[(b * 6 + t) * 8 + f], y[b * 6 * 8 + f], "mask differs along the shared axis");
            }
        }
    }
    let zeros = y.iter().filter(|&&v| v == 0.0).count();
    assert!(zeros > 0 && zeros < y.len());
}

#[test]
fn dropout_gradient_is_the_scaled_mask() {
    let layer = Dropout::new(0.4);
    let f = |ts: &[Tensor]| -> fovea_core::Result<Tensor> {
        // A fresh context Rng per evaluation: every evaluation uses the same mask.
        Ok(call(&layer, ts, true, &mut Rng::new(3)).map_err(|e| fovea_core::Error::Autodiff(e.to_string()))?.remove(0))
    };
    check_gradients(f, &[randn(&[3, 4], 4)], GradCheck::default()).unwrap();
}

// ----- embedding ---------------------------------------------------------------------

fn built_embedding(input_dim: usize, output_dim: usize) -> Embedding {
    let mut e = named(Embedding::new(input_dim, output_dim), "embedding");
    e.build(&[spec(&[None, Some(3)])], &mut Rng::new(0)).unwrap();
    e
}

#[test]
fn embedding_rejects_out_of_range_ids_naming_the_id_and_input_dim() {
    let e = built_embedding(5, 2);
    for bad in [5i64, 17, -1] {
        let ids = Tensor::from_vec_i64(vec![0, bad, 2], [1, 3]).unwrap();
        let err = call(&e, &[ids], false, &mut Rng::new(0)).unwrap_err().to_string();
        assert_contains(&err, &["embedding (Embedding)", &format!("id {bad}"), "input_dim=5"]);
    }
    assert_eq!(
        e.output_shape(&[spec(&[None, Some(2), Some(3)])]).unwrap()[0],
        spec(&[None, Some(2), Some(3), Some(2)])
    );
    assert!(shape_err(&Embedding::new(0, 3), &[ShapeSpec::batched(&[2])]).contains("input_dim"));
}

#[test]
fn embedding_truncates_float_ids_like_a_cast() {
    let e = built_embedding(4, 3);
    let ids = Tensor::from_vec_i64(vec![1, 3], [1, 2]).unwrap();
    let floats = Tensor::from_vec(vec![1.7, 3.2], [1, 2]).unwrap();
    let a = call1(&e, &ids, false, 0).to_vec_f32().unwrap();
    assert_eq!(a, call1(&e, &floats, false, 0).to_vec_f32().unwrap());
    let table = e.weights()[0].value().to_vec_f32().unwrap();
    assert_eq!(a, [&table[3..6], &table[9..12]].concat());
}

/// Central differences of `sum(embedding(ids) * r)` in each table entry, against the
/// autodiff gradient of the layer's variable.
#[test]
fn embedding_table_gradient_matches_finite_differences() {
    let e = built_embedding(4, 3);
    let ids = Tensor::from_vec_i64(vec![2, 0, 2, 3, 2, 1], [2, 3]).unwrap();
    let r = randn(&[2, 3, 3], 9);
    let loss = || call1(&e, &ids, true, 0).mul(&r).unwrap().sum_all().unwrap();
    let table = e.weights()[0].value().clone();
    let analytic = loss().backward().unwrap().get(&table).unwrap().to_vec_f32().unwrap();
    let base = table.to_vec_f32().unwrap();
    let eps = 1e-2;
    for j in 0..base.len() {
        let at = |v: f32| {
            let mut d = base.clone();
            d[j] = v;
            table.assign(&Tensor::from_vec(d, [4, 3]).unwrap()).unwrap();
            loss().to_scalar().unwrap()
        };
        let numeric = (at(base[j] + eps) - at(base[j] - eps)) / (2.0 * eps);
        assert!((numeric - analytic[j]).abs() < 1e-3, "entry {j}: autodiff {}, numeric {numeric}", analytic[j]);
    }
    // Id 2 sits at flat positions 0, 2 and 4: its row's gradient is the sum of those r rows.
    let rv = r.to_vec_f32().unwrap();
    for k in 0..3 {
        let want = rv[k] + rv[2 * 3 + k] + rv[4 * 3 + k];
        assert!((analytic[2 * 3 + k] - want).abs() < 1e-6, "row 2: {:?} vs {want}", &analytic[6..9]);
    }
}

// ----- gradients through weightless layers ------------------------------------------

fn grad_check(layer: &dyn Layer, inputs: &[Tensor]) {
    let f = |ts: &[Tensor]| -> fovea_core::Result<Tensor> {
        let mut ys =
            call(layer, ts, false, &mut Rng::new(0)).map_err(|e| fovea_core::Error::Autodiff(e.to_string()))?;
        Ok(ys.remove(0))
    };
    if let Err(e) = check_gradients(f, inputs, GradCheck::default()) {
        panic!("{}: {e}", layer.class_name());
    }
}

#[test]
fn gradients_flow_through_reshaping_layers() {
    let x = randn(&[2, 3, 4, 2], 1);
    grad_check(&Flatten::with_data_format(DataFormat::ChannelsFirst), std::slice::from_ref(&x));
    grad_check(&Reshape::new(&[-1, 4]), std::slice::from_ref(&x));
    grad_check(&Permute::new(&[3, 1, 2]), &[x]);
}

#[test]
fn gradients_flow_through_merges_with_broadcasting() {
    let (a, b, c) = (randn(&[2, 3, 4], 1), randn(&[2, 4], 2), randn(&[2, 3, 1], 3));
    grad_check(&Add::new(), &[a.clone(), b.clone(), c.clone()]);
    grad_check(&Subtract::new(), &[a.clone(), c.clone()]);
    grad_check(&Multiply::new(), &[a.clone(), b.clone(), c.clone()]);
    grad_check(&Average::new(), &[a.clone(), b.clone()]);
    grad_check(&Maximum::new(), &[a.clone(), b.clone(), c.clone()]);
    grad_check(&Minimum::new(), &[a.clone(), c.clone()]);
    grad_check(&Concatenate::new(1), &[a.clone(), randn(&[2, 2, 4], 4)]);
    grad_check(&Concatenate::default(), &[a, c]);
}

#[test]
fn gradients_flow_through_relu_variants_and_multi_axis_softmax() {
    // Inputs at least 0.05 away from every kink (0, 0.7, 1.5) so differences are smooth.
    let vals: Vec<f32> = (0..24).map(|i| -2.0 + 0.17 * i as f32 + 0.013).collect();
    assert!(vals.iter().all(|v| [0.0f32, 0.7, 1.5].iter().all(|k| (v - k).abs() > 0.02)));
    let x = Tensor::from_vec(vals, [2, 3, 4]).unwrap();
    for (max_value, negative_slope, threshold) in [(None, 0.2, 0.0), (Some(1.5), 0.2, 0.7), (Some(1.5), 0.0, 0.0)] {
        grad_check(&ReLU::with_config(ReLUConfig { max_value, negative_slope, threshold }), std::slice::from_ref(&x));
    }
    grad_check(&LeakyReLU::new(), std::slice::from_ref(&x));
    grad_check(&Softmax::with_axis(&[1, 2]), &[randn(&[2, 3, 4], 5)]);
}
