//! Behaviour of SimpleRNN, LSTM and GRU beyond the Keras fixtures: errors, shapes, weight
//! layouts, gradient checks through the public API, dropout statistics and activity
//! penalties.

use fovea_core::{check_gradients, GradCheck, Rng, Tensor};
use fovea_nn::layers::{GRUConfig, LSTMConfig, SimpleRNN, SimpleRNNConfig, GRU, LSTM};
use fovea_nn::{Activation, CallContext, Layer, Regularizer, ShapeSpec};

fn spec(dims: &[Option<usize>]) -> ShapeSpec {
    ShapeSpec(dims.to_vec())
}

fn built<L: Layer>(mut layer: L, features: usize) -> L {
    layer.build(&[ShapeSpec::batched(&[4, features])], &mut Rng::new(1)).unwrap();
    layer
}

fn call(layer: &dyn Layer, x: &Tensor, training: bool, seed: u64) -> Vec<Tensor> {
    let mut rng = Rng::new(seed);
    let mut ctx = CallContext::new(training, &mut rng);
    layer.call(std::slice::from_ref(x), &mut ctx).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.to_vec_f32().unwrap()
}

/// The three layer classes with the same sequence options, named as a model would.
fn all_three(units: usize, return_sequences: bool, return_state: bool) -> Vec<Box<dyn Layer>> {
    let mut layers: Vec<Box<dyn Layer>> = vec![
        Box::new(SimpleRNN::new(units).return_sequences(return_sequences).return_state(return_state)),
        Box::new(LSTM::new(units).return_sequences(return_sequences).return_state(return_state)),
        Box::new(GRU::new(units).return_sequences(return_sequences).return_state(return_state)),
    ];
    for (l, name) in layers.iter_mut().zip(["simple_rnn", "lstm", "gru"]) {
        l.set_name(name);
    }
    layers
}

#[test]
fn input_of_wrong_rank_is_rejected_with_the_shape() {
    for layer in all_three(5, false, false) {
        let err = layer.output_shape(&[spec(&[None, Some(3)])]).unwrap_err().to_string();
        let who = format!("{} ({})", layer.name(), layer.class_name());
        assert!(err.starts_with(&who), "{err}");
        assert!(err.contains("expected an input of rank 3 (batch, timesteps, features), found rank 2"), "{err}");
        assert!(err.contains("Full shape received: (None, 3)"), "{err}");
        let err = layer.output_shape(&[spec(&[None, Some(4), None])]).unwrap_err().to_string();
        assert!(err.contains("axis -1 of the input shape (None, 4, None) must be known"), "{err}");
    }
}

#[test]
fn zero_units_and_stateful_are_rejected() {
    let x = [ShapeSpec::batched(&[4, 3])];
    let err = LSTM::new(0).output_shape(&x).unwrap_err().to_string();
    assert!(err.contains("expected a positive integer, got 0"), "{err}");
    let mut g = GRU::with_config(GRUConfig { units: 5, stateful: true, ..Default::default() });
    let err = g.build(&x, &mut Rng::new(0)).unwrap_err().to_string();
    assert!(err.contains("stateful=true is not supported"), "{err}");
    assert!(g.weights().is_empty());
    let s = SimpleRNN::with_config(SimpleRNNConfig { units: 2, stateful: true, ..Default::default() });
    assert!(s.output_shape(&x).unwrap_err().to_string().contains("stateful=true is not supported"));
}

#[test]
fn calls_check_features_timesteps_and_build() {
    for mut layer in all_three(5, false, false) {
        let x = Tensor::zeros([2, 4, 3]).unwrap();
        let mut rng = Rng::new(0);
        let err = layer.call(std::slice::from_ref(&x), &mut CallContext::new(false, &mut rng)).unwrap_err().to_string();
        assert!(err.contains("called before build"), "{err}");
        layer.build(&[ShapeSpec::batched(&[4, 3])], &mut rng).unwrap();
        let wrong = Tensor::zeros([2, 4, 6]).unwrap();
        let err = layer.call(&[wrong], &mut CallContext::new(false, &mut rng)).unwrap_err().to_string();
        assert!(err.contains("expected an input of shape (batch, timesteps, 3), got (2, 4, 6)"), "{err}");
        let empty = Tensor::zeros([2, 0, 3]).unwrap();
        let err = layer.call(&[empty], &mut CallContext::new(false, &mut rng)).unwrap_err().to_string();
        assert!(err.contains("needs at least one timestep, got an input of shape (2, 0, 3)"), "{err}");
        let err = layer.call(&[x.clone(), x], &mut CallContext::new(false, &mut rng)).unwrap_err().to_string();
        assert!(err.contains("expects 1 input, got 2"), "{err}");
    }
}

#[test]
fn output_shapes_follow_the_sequence_options() {
    let x = [spec(&[None, None, Some(3)])];
    let last = spec(&[None, Some(5)]);
    let seq = spec(&[None, None, Some(5)]);
    for layer in all_three(5, false, false) {
        assert_eq!(layer.output_shape(&x).unwrap(), vec![last.clone()]);
    }
    for layer in all_three(5, true, false) {
        assert_eq!(layer.output_shape(&x).unwrap(), vec![seq.clone()]);
    }
    let states = [2, 3, 2]; // output + h (+ c for LSTM)
    for (layer, n) in all_three(5, true, true).into_iter().zip(states) {
        let got = layer.output_shape(&x).unwrap();
        assert_eq!(got.len(), n, "{}", layer.class_name());
        assert_eq!(got[0], seq);
        assert!(got[1..].iter().all(|s| *s == last));
    }
    // The shapes a call returns agree with output_shape.
    for mut layer in all_three(5, true, true) {
        layer.build(&[ShapeSpec::batched(&[4, 3])], &mut Rng::new(1)).unwrap();
        let ys = call(layer.as_ref(), &Tensor::zeros([2, 4, 3]).unwrap(), false, 0);
        let dims: Vec<Vec<usize>> = ys.iter().map(|y| y.dims().to_vec()).collect();
        assert_eq!(dims[0], vec![2, 4, 5]);
        assert!(dims[1..].iter().all(|d| *d == vec![2, 5]));
    }
}

#[test]
fn weights_have_keras_names_shapes_and_parameter_counts() {
    // (layer, weight shapes, parameter count)
    type Case = (Box<dyn Layer>, Vec<Vec<usize>>, usize);
    let cases: Vec<Case> = vec![
        (Box::new(SimpleRNN::new(5)), vec![vec![3, 5], vec![5, 5], vec![5]], 3 * 5 + 5 * 5 + 5),
        (Box::new(LSTM::new(5)), vec![vec![3, 20], vec![5, 20], vec![20]], 180),
        (Box::new(GRU::new(5)), vec![vec![3, 15], vec![5, 15], vec![2, 15]], 150),
        (
            Box::new(GRU::with_config(GRUConfig { units: 5, reset_after: false, ..Default::default() })),
            vec![vec![3, 15], vec![5, 15], vec![15]],
            3 * (3 * 5 + 5 * 5) + 15,
        ),
        (
            Box::new(LSTM::with_config(LSTMConfig { units: 5, use_bias: false, ..Default::default() })),
            vec![vec![3, 20], vec![5, 20]],
            160,
        ),
    ];
    for (mut layer, shapes, count) in cases {
        layer.build(&[ShapeSpec::batched(&[4, 3])], &mut Rng::new(0)).unwrap();
        let w = layer.weights();
        let names: Vec<&str> = w.iter().map(|v| v.name()).collect();
        assert_eq!(names, ["kernel", "recurrent_kernel", "bias"][..shapes.len()], "{}", layer.class_name());
        assert_eq!(w.iter().map(|v| v.dims().to_vec()).collect::<Vec<_>>(), shapes);
        assert_eq!(w.iter().map(|v| v.numel()).sum::<usize>(), count, "{}", layer.class_name());
        assert!(w.iter().all(|v| v.trainable()));
    }
}

#[test]
fn recurrent_kernel_starts_orthogonal_and_biases_zero() {
    let layer = built(SimpleRNN::new(4), 3);
    let r = values(layer.weights()[1].value());
    for a in 0..4 {
        for b in 0..4 {
            let dot: f32 = (0..4).map(|i| r[i * 4 + a] * r[i * 4 + b]).sum();
            assert!((dot - if a == b { 1.0 } else { 0.0 }).abs() < 1e-5, "{a} {b} {dot}");
        }
    }
    assert_eq!(values(layer.weights()[2].value()), vec![0.0; 4]);
}

#[test]
fn input_gradients_match_finite_differences() {
    let configs: Vec<Box<dyn Layer>> = vec![
        Box::new(SimpleRNN::with_config(SimpleRNNConfig {
            units: 3,
            return_sequences: true,
            go_backwards: true,
            ..Default::default()
        })),
        Box::new(LSTM::with_config(LSTMConfig { units: 3, return_state: true, ..Default::default() })),
        Box::new(GRU::with_config(GRUConfig {
            units: 3,
            return_sequences: true,
            return_state: true,
            ..Default::default()
        })),
        Box::new(GRU::with_config(GRUConfig {
            units: 3,
            reset_after: false,
            go_backwards: true,
            ..Default::default()
        })),
    ];
    for mut layer in configs {
        layer.build(&[ShapeSpec::batched(&[3, 2])], &mut Rng::new(3)).unwrap();
        let x = Rng::new(4).normal([2, 3, 2], 0.0, 1.0).unwrap();
        let f = |v: &[Tensor]| -> fovea_core::Result<Tensor> {
            let mut rng = Rng::new(0);
            let ys = layer.call(&[v[0].clone()], &mut CallContext::new(false, &mut rng)).unwrap();
            let flat: Vec<Tensor> = ys.iter().map(|y| y.reshape([y.numel()])).collect::<fovea_core::Result<_>>()?;
            Tensor::concat(&flat.iter().collect::<Vec<_>>(), 0)
        };
        assert_eq!(check_gradients(f, &[x], GradCheck::default()).unwrap(), 12, "{}", layer.class_name());
    }
}

const BATCH: usize = 64;
const UNITS: usize = 32;

fn eye(n: usize) -> Tensor {
    let mut v = vec![0.0; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    Tensor::from_vec(v, [n, n]).unwrap()
}

/// A `(rows, blocks * n)` matrix whose block `at` is the identity, the others zero.
fn block_eye(n: usize, blocks: usize, at: usize) -> Tensor {
    let parts: Vec<Tensor> =
        (0..blocks).map(|b| if b == at { eye(n) } else { Tensor::zeros([n, n]).unwrap() }).collect();
    Tensor::concat(&parts.iter().collect::<Vec<_>>(), 1).unwrap()
}

/// Gate biases: `value[g]` in block g.
fn block_bias(values: &[f32]) -> Tensor {
    Tensor::from_vec(values.iter().flat_map(|&v| vec![v; UNITS]).collect(), [values.len() * UNITS]).unwrap()
}

fn set(layer: &dyn Layer, ws: &[Tensor]) {
    for (v, w) in layer.weights().iter().zip(ws) {
        v.assign(w).unwrap();
    }
}

/// Fraction of entries equal to `a` (the rest must equal `b`).
fn fraction_of(v: &[f32], a: f32, b: f32) -> f64 {
    assert!(v.iter().all(|&x| (x - a).abs() < 1e-4 || (x - b).abs() < 1e-4), "values other than {a}, {b}");
    v.iter().filter(|&&x| (x - a).abs() < 1e-4).count() as f64 / v.len() as f64
}

/// Each layer wired so that its last output is `x * input_mask` (one step, linear).
fn input_passthrough(dropout: f32, recurrent_dropout: f32) -> Vec<Box<dyn Layer>> {
    let n = UNITS;
    let s = SimpleRNN::with_config(SimpleRNNConfig {
        units: n,
        activation: Activation::Linear,
        dropout,
        recurrent_dropout,
        ..Default::default()
    });
    let s = built(s, n);
    set(&s, &[eye(n), Tensor::zeros([n, n]).unwrap(), Tensor::zeros([n]).unwrap()]);
    // LSTM: i and o saturated open, the candidate reads x; c = x * mask, h = c.
    let l = LSTM::with_config(LSTMConfig {
        units: n,
        activation: Activation::Linear,
        dropout,
        recurrent_dropout,
        ..Default::default()
    });
    let l = built(l, n);
    set(&l, &[block_eye(n, 4, 2), Tensor::zeros([n, 4 * n]).unwrap(), block_bias(&[30.0, 0.0, 0.0, 30.0])]);
    // GRU: z saturated shut, so h = hh = x * mask.
    let g = GRU::with_config(GRUConfig {
        units: n,
        activation: Activation::Linear,
        dropout,
        recurrent_dropout,
        reset_after: false,
        ..Default::default()
    });
    let g = built(g, n);
    set(&g, &[block_eye(n, 3, 2), Tensor::zeros([n, 3 * n]).unwrap(), block_bias(&[-30.0, 0.0, 0.0])]);
    vec![Box::new(s), Box::new(l), Box::new(g)]
}

#[test]
fn input_dropout_zeroes_a_fraction_and_rescales_the_rest_in_training_only() {
    let x = Tensor::ones([BATCH, 1, UNITS]).unwrap();
    // recurrent_dropout 0.5 switches LSTM and GRU to a mask per gate; the result must
    // look the same from the outside.
    for rec in [0.0, 0.5] {
        for layer in input_passthrough(0.25, rec) {
            let name = layer.class_name();
            let y = values(&call(layer.as_ref(), &x, true, 11)[0]);
            let dropped = fraction_of(&y, 0.0, 1.0 / 0.75);
            assert!((dropped - 0.25).abs() < 0.05, "{name}: dropped {dropped}");
            let again = values(&call(layer.as_ref(), &x, true, 11)[0]);
            assert_eq!(y, again, "{name}: the call's rng decides the mask");
            let other = values(&call(layer.as_ref(), &x, true, 12)[0]);
            assert_ne!(y, other, "{name}: a new draw per call");
            let y = values(&call(layer.as_ref(), &x, false, 11)[0]);
            assert!(y.iter().all(|&v| (v - 1.0).abs() < 1e-6), "{name}: inference must not drop");
        }
    }
}

#[test]
fn input_mask_is_shared_by_all_timesteps() {
    let x = Tensor::ones([BATCH, 3, UNITS]).unwrap();
    let mut l = SimpleRNN::with_config(SimpleRNNConfig {
        units: UNITS,
        activation: Activation::Linear,
        dropout: 0.5,
        return_sequences: true,
        ..Default::default()
    });
    l.build(&[ShapeSpec::batched(&[3, UNITS])], &mut Rng::new(0)).unwrap();
    set(&l, &[eye(UNITS), Tensor::zeros([UNITS, UNITS]).unwrap(), Tensor::zeros([UNITS]).unwrap()]);
    let y = call(&l, &x, true, 5).remove(0);
    let first = values(&y.narrow(1, 0, 1).unwrap().contiguous().unwrap());
    for t in 1..3 {
        assert_eq!(values(&y.narrow(1, t, 1).unwrap().contiguous().unwrap()), first);
    }
}

#[test]
fn rate_one_zeroes_simple_rnn_input_but_disables_lstm_and_gru_dropout() {
    // Keras's SimpleRNNCell masks whenever the rate is positive; LSTMCell and GRUCell
    // only for rates strictly inside (0, 1).
    let x = Tensor::ones([BATCH, 1, UNITS]).unwrap();
    let layers = input_passthrough(1.0, 0.0);
    assert!(values(&call(layers[0].as_ref(), &x, true, 3)[0]).iter().all(|&v| v == 0.0));
    for layer in &layers[1..] {
        let y = values(&call(layer.as_ref(), &x, true, 3)[0]);
        assert!(y.iter().all(|&v| (v - 1.0).abs() < 1e-6), "{}", layer.class_name());
    }
    // Rates above 1 are clamped to 1, as Keras does.
    let layers = input_passthrough(7.0, 0.0);
    assert!(values(&call(layers[0].as_ref(), &x, true, 3)[0]).iter().all(|&v| v == 0.0));
}

#[test]
fn recurrent_dropout_masks_the_state_with_one_mask_per_call() {
    // Three steps on zero input with bias 1 and the identity recurrent kernel (linear):
    // h1 = 1, h2 = 1 + m*h1, h3 = 1 + m*h2. With the same mask m in {0, 2} at every
    // step, h3 is 1 or 7 (a fresh mask per step would also give 3 and 5).
    let n = UNITS;
    let x = Tensor::zeros([BATCH, 3, n]).unwrap();
    let s = built(
        SimpleRNN::with_config(SimpleRNNConfig {
            units: n,
            activation: Activation::Linear,
            recurrent_dropout: 0.5,
            ..Default::default()
        }),
        n,
    );
    set(&s, &[Tensor::zeros([n, n]).unwrap(), eye(n), Tensor::ones([n]).unwrap()]);
    let h3 = values(&call(&s, &x, true, 9)[0]);
    let p = fraction_of(&h3, 1.0, 7.0);
    assert!((p - 0.5).abs() < 0.05, "{p}");
    assert!(values(&call(&s, &x, false, 9)[0]).iter().all(|&v| (v - 3.0).abs() < 1e-5));

    // LSTM: i, f, o open; the candidate is 1 + (m*h) @ I, so c2 = 1 + (1 + m) in {2, 4}.
    let l = built(
        LSTM::with_config(LSTMConfig {
            units: n,
            activation: Activation::Linear,
            recurrent_dropout: 0.5,
            ..Default::default()
        }),
        n,
    );
    set(&l, &[Tensor::zeros([n, 4 * n]).unwrap(), block_eye(n, 4, 2), block_bias(&[30.0, 30.0, 1.0, 30.0])]);
    let x2 = Tensor::zeros([BATCH, 2, n]).unwrap();
    let p = fraction_of(&values(&call(&l, &x2, true, 9)[0]), 2.0, 4.0);
    assert!((p - 0.5).abs() < 0.05, "LSTM {p}");

    // GRU: z shut, r open; reset_after: hh = 1 + r * ((m*h) @ I), reset before:
    // hh = 1 + (r * (m*h)) @ I. Either way h2 is in {1, 3}.
    for reset_after in [true, false] {
        let g = built(
            GRU::with_config(GRUConfig {
                units: n,
                activation: Activation::Linear,
                recurrent_dropout: 0.5,
                reset_after,
                ..Default::default()
            }),
            n,
        );
        let input_bias = block_bias(&[-30.0, 30.0, 1.0]);
        let bias = if reset_after {
            Tensor::stack(&[&input_bias, &Tensor::zeros([3 * n]).unwrap()], 0).unwrap()
        } else {
            input_bias
        };
        set(&g, &[Tensor::zeros([n, 3 * n]).unwrap(), block_eye(n, 3, 2), bias]);
        let p = fraction_of(&values(&call(&g, &x2, true, 9)[0]), 1.0, 3.0);
        assert!((p - 0.5).abs() < 0.05, "GRU reset_after={reset_after}: {p}");
    }
}

#[test]
fn activity_penalty_covers_every_output_per_sample_except_in_simple_rnn() {
    let reg = Some(Regularizer::l2(0.1));
    let x = Rng::new(2).normal([2, 4, 3], 0.0, 1.0).unwrap();
    let layers: Vec<Box<dyn Layer>> = vec![
        Box::new(built(
            LSTM::with_config(LSTMConfig {
                units: 5,
                return_state: true,
                activity_regularizer: reg,
                ..Default::default()
            }),
            3,
        )),
        Box::new(built(
            GRU::with_config(GRUConfig {
                units: 5,
                return_sequences: true,
                return_state: true,
                activity_regularizer: reg,
                ..Default::default()
            }),
            3,
        )),
    ];
    for layer in layers {
        let mut rng = Rng::new(0);
        let mut ctx = CallContext::new(true, &mut rng);
        let ys = layer.call(std::slice::from_ref(&x), &mut ctx).unwrap();
        assert_eq!(ctx.losses.len(), ys.len(), "{}", layer.class_name());
        for (loss, y) in ctx.losses.iter().zip(&ys) {
            let want: f32 = 0.1 * values(y).iter().map(|v| v * v).sum::<f32>() / 2.0;
            assert!((values(loss)[0] - want).abs() < 1e-6, "{} {want}", layer.class_name());
        }
    }
    // Keras 3.15.1's SimpleRNN never hands activity_regularizer to its base layer.
    let s =
        built(SimpleRNN::with_config(SimpleRNNConfig { units: 5, activity_regularizer: reg, ..Default::default() }), 3);
    let mut rng = Rng::new(0);
    let mut ctx = CallContext::new(true, &mut rng);
    s.call(&[x], &mut ctx).unwrap();
    assert!(ctx.losses.is_empty());
}
