//! `summary()` against the text real Keras 3 prints for the same models
//! (fixtures from tools/golden/summaries.py).

use fovea_core::Rng;
use fovea_nn::layers::Dense;
use fovea_nn::{Activation, Functional, Model, Sequential, ShapeSpec};

fn keras_text(name: &str) -> String {
    let path = format!("{}/tests/fixtures/summary_{name}.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_same(model: &Model, fixture: &str) {
    let ours = model.summary();
    let theirs = keras_text(fixture);
    for (i, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(a, b, "line {} of {fixture} differs\nfovea:\n{ours}\nkeras:\n{theirs}", i + 1);
    }
    assert_eq!(ours.lines().count(), theirs.lines().count(), "fovea:\n{ours}\nkeras:\n{theirs}");
}

#[test]
fn sequential_dense_stack_matches_keras() {
    let m = Sequential::new(&[784])
        .add(Dense::new(64).activation(Activation::Relu))
        .add(Dense::new(10).activation(Activation::Softmax))
        .build(&mut Rng::new(0))
        .unwrap();
    assert_same(&m, "dense_stack");
}

#[test]
fn dense_on_rank3_input_matches_keras() {
    let m = Sequential::new(&[5, 3]).name("rank3").add(Dense::new(4)).build(&mut Rng::new(0)).unwrap();
    assert_same(&m, "dense_rank3");
}

#[test]
fn functional_chain_lists_its_input_layer() {
    let mut f = Functional::new("");
    let x = f.input(&[8]);
    let h = f.apply(Dense::new(4), &[x]).unwrap();
    let y = f.apply(Dense::new(3), &[h]).unwrap();
    let m = f.build(&[y], &mut Rng::new(0)).unwrap();
    assert_same(&m, "functional_chain");
}

#[test]
fn shared_layer_graph_shows_connections() {
    let mut f = Functional::new("towers");
    let a = f.input_spec("a", ShapeSpec::batched(&[8]));
    let b = f.input_spec("b", ShapeSpec::batched(&[8]));
    let shared = f.add(Dense::new(4));
    let ya = f.call(shared, &[a]).unwrap()[0];
    let yb = f.call(shared, &[b]).unwrap()[0];
    let m = f.build(&[ya, yb], &mut Rng::new(0)).unwrap();
    assert_same(&m, "functional_shared");
}
