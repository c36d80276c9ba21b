//! Models: running graphs, shared layers, weights in Keras order, and the errors that
//! name the layer or model at fault.

use fovea_core::{Rng, Tensor};
use fovea_nn::layers::{Dense, DenseConfig};
use fovea_nn::{Activation, CallContext, Functional, Initializer, Sequential, ShapeSpec};

fn ones_dense(units: usize) -> Dense {
    Dense::with_config(DenseConfig {
        units,
        kernel_initializer: Initializer::Ones,
        bias_initializer: Initializer::Constant { value: 0.5 },
        ..Default::default()
    })
}

#[test]
fn sequential_runs_its_layers_in_order() {
    let m = Sequential::new(&[3]).add(ones_dense(2)).add(ones_dense(1)).build(&mut Rng::new(0)).unwrap();
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0, 0.0, 1.0], [2, 3]).unwrap();
    let y = m.forward(&x, false, &mut Rng::new(0)).unwrap();
    // Row 0: hidden 6.5 each -> 13.5; row 1: 0.5 each -> 1.5.
    assert_eq!(y.to_vec_f32().unwrap(), vec![13.5, 1.5]);
}

#[test]
fn shared_layer_uses_one_set_of_weights_and_gets_both_gradients() {
    let mut f = Functional::new("shared");
    let a = f.input(&[2]);
    let b = f.input(&[2]);
    let d = f.add(ones_dense(1));
    let ya = f.call(d, &[a]).unwrap()[0];
    let yb = f.call(d, &[b]).unwrap()[0];
    let m = f.build(&[ya, yb], &mut Rng::new(0)).unwrap();
    assert_eq!(m.weights().len(), 2);
    let xa = Tensor::from_vec(vec![1.0, 2.0], [1, 2]).unwrap();
    let xb = Tensor::from_vec(vec![3.0, 4.0], [1, 2]).unwrap();
    let mut rng = Rng::new(0);
    let mut ctx = CallContext::new(true, &mut rng);
    let out = m.call(&[xa, xb], &mut ctx).unwrap();
    assert_eq!(out[0].to_vec_f32().unwrap(), vec![3.5]);
    assert_eq!(out[1].to_vec_f32().unwrap(), vec![7.5]);
    let loss = out[0].add(&out[1]).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    let kernel = m.weights()[0].value().clone();
    // d(loss)/d(kernel) = xa + xb, summed over both calls.
    assert_eq!(grads.get(&kernel).unwrap().to_vec_f32().unwrap(), vec![4.0, 6.0]);
}

#[test]
fn weights_round_trip_in_keras_order() {
    let m = Sequential::new(&[3]).add(Dense::new(4)).add(Dense::new(2)).build(&mut Rng::new(1)).unwrap();
    let names: Vec<&str> = m.weights().iter().map(|w| w.name()).collect();
    assert_eq!(names, vec!["kernel", "bias", "kernel", "bias"]);
    let w = m.get_weights().unwrap();
    let zeros: Vec<Tensor> = w.iter().map(|t| t.zeros_like().unwrap()).collect();
    m.set_weights(&zeros).unwrap();
    assert!(m.get_weights().unwrap().iter().all(|t| t.to_vec_f32().unwrap().iter().all(|&v| v == 0.0)));
    m.set_layer_weights("dense_1", &w[2..]).unwrap();
    assert_eq!(m.get_weights().unwrap()[2].to_vec_f32().unwrap(), w[2].to_vec_f32().unwrap());
    let e = m.set_weights(&w[..3]).unwrap_err().to_string();
    assert!(e.contains("expected 4 weight arrays, got 3"), "{e}");
    let bad = Tensor::zeros([5, 5]).unwrap();
    let e = m.set_layer_weights("dense", &[bad, w[1].clone()]).unwrap_err().to_string();
    assert!(e.contains("dense (Dense)") && e.contains("(3, 4)") && e.contains("(5, 5)"), "{e}");
    assert!(m.set_layer_weights("nope", &[]).unwrap_err().to_string().contains("no layer named 'nope'"));
}

#[test]
fn incompatible_layer_is_an_error_naming_it() {
    // Dense needs a known last axis.
    let e = Sequential::with_input_spec(ShapeSpec(vec![None, None]))
        .add(Dense::new(3))
        .build(&mut Rng::new(0))
        .err()
        .unwrap()
        .to_string();
    assert!(e.starts_with("dense (Dense)"), "{e}");
    assert!(e.contains("(None, None)"), "{e}");
}

#[test]
fn wrong_input_shape_at_call_names_the_input() {
    let m = Sequential::new(&[3]).add(Dense::new(2)).build(&mut Rng::new(0)).unwrap();
    let e = m.forward(&Tensor::zeros([2, 4]).unwrap(), false, &mut Rng::new(0)).unwrap_err().to_string();
    assert!(e.contains("input 'input_layer' expects shape (None, 3), got (2, 4)"), "{e}");
}

#[test]
fn duplicate_and_dangling_layers_are_errors() {
    let mut f = Functional::new("dup");
    let x = f.input(&[2]);
    let mut a = Dense::new(2);
    fovea_nn::Layer::set_name(&mut a, "same");
    let mut b = Dense::new(2);
    fovea_nn::Layer::set_name(&mut b, "same");
    let h = f.apply(a, &[x]).unwrap();
    let y = f.apply(b, &[h]).unwrap();
    let e = f.build(&[y], &mut Rng::new(0)).err().unwrap().to_string();
    assert!(e.contains("'same' is used twice"), "{e}");

    let mut f = Functional::new("dangling");
    let x = f.input(&[2]);
    let y = f.apply(Dense::new(2), &[x]).unwrap();
    f.add(Dense::new(3));
    let e = f.build(&[y], &mut Rng::new(0)).err().unwrap().to_string();
    assert!(e.contains("dense_1 (Dense): was added but never called"), "{e}");
}

#[test]
fn shared_layer_on_a_different_shape_is_an_error() {
    let mut f = Functional::new("m");
    let a = f.input(&[2]);
    let b = f.input(&[3]);
    let d = f.add(Dense::new(1).activation(Activation::Relu));
    f.call(d, &[a]).unwrap();
    let e = f.call(d, &[b]).unwrap_err().to_string();
    assert!(e.contains("shared layer must see one input shape"), "{e}");
}

#[test]
fn get_weights_is_a_snapshot_not_a_view() {
    let m = Sequential::new(&[2]).add(ones_dense(1)).build(&mut Rng::new(0)).unwrap();
    let snap = m.get_weights().unwrap();
    m.weights()[0].value().update_f32(|w| w.iter_mut().for_each(|v| *v = 7.0)).unwrap();
    assert_eq!(snap[0].to_vec_f32().unwrap(), vec![1.0, 1.0]);
}

#[test]
fn layer_calls_describe_the_graph_for_export() {
    use fovea_nn::layers::Add;
    use fovea_nn::{LayerCall, TensorRef};
    let mut f = Functional::new("g");
    let a = f.input(&[3]);
    let b = f.input(&[3]);
    let shared = f.add(Dense::new(3));
    let ya = f.call(shared, &[a]).unwrap()[0];
    let yb = f.call(shared, &[b]).unwrap()[0];
    let sum = f.apply(Add::new(), &[ya, yb]).unwrap();
    let model = f.build(&[sum, yb], &mut Rng::new(0)).unwrap();
    let dense = TensorRef::Layer { layer: 0, call: 1, output: 0 };
    assert_eq!(
        model.layer_calls(),
        vec![
            LayerCall { layer: 0, call: 0, inputs: vec![TensorRef::Input(0)] },
            LayerCall { layer: 0, call: 1, inputs: vec![TensorRef::Input(1)] },
            LayerCall { layer: 1, call: 0, inputs: vec![TensorRef::Layer { layer: 0, call: 0, output: 0 }, dense] },
        ]
    );
    assert_eq!(model.output_refs(), vec![TensorRef::Layer { layer: 1, call: 0, output: 0 }, dense]);
}
