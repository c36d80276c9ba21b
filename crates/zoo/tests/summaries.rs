//! The zoo networks' summaries, line by line against real Keras 3 building the same
//! architectures (fixtures from tools/golden/summaries.py): every output shape and
//! parameter count of the lecture's tables.

use fovea_core::Rng;
use fovea_nn::Model;
use fovea_zoo::{alexnet, go::alphago_policy, lenet, lenet_with, AlexNetConfig, LeNetConfig, LENET5_FILTERS};

fn assert_matches_keras(model: &Model, fixture: &str) {
    let path = format!("{}/tests/fixtures/summary_{fixture}.txt", env!("CARGO_MANIFEST_DIR"));
    let keras = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let ours = model.summary();
    for (i, (a, b)) in ours.lines().zip(keras.lines()).enumerate() {
        assert_eq!(a, b, "line {} of {fixture}\nfovea:\n{ours}\nkeras:\n{keras}", i + 1);
    }
    assert_eq!(ours.lines().count(), keras.lines().count(), "fovea:\n{ours}\nkeras:\n{keras}");
}

#[test]
fn alexnet_two_gpu_split_has_the_lectures_shapes_and_60_965_224_parameters() {
    let m = alexnet(&AlexNetConfig { groups: 2, ..Default::default() }, &mut Rng::new(0)).unwrap();
    assert_eq!(m.count_params(), 60_965_224);
    assert_matches_keras(&m, "alexnet_groups2");
}

#[test]
fn alexnet_single_tower_has_62_378_344_parameters() {
    let m = alexnet(&AlexNetConfig::default(), &mut Rng::new(0)).unwrap();
    assert_eq!(m.count_params(), 62_378_344);
    assert_matches_keras(&m, "alexnet");
}

#[test]
fn alexnet_options_change_the_head_and_input() {
    let m =
        alexnet(&AlexNetConfig { num_classes: 10, input_size: 227, groups: 1, ..Default::default() }, &mut Rng::new(0))
            .unwrap();
    assert_eq!(m.output_specs()[0].to_string(), "(None, 10)");
    assert!(alexnet(&AlexNetConfig { groups: 3, ..Default::default() }, &mut Rng::new(0)).is_err());
    // Too small an input for the three stride-2 pools is an error naming a layer.
    let e = alexnet(&AlexNetConfig { input_size: 32, ..Default::default() }, &mut Rng::new(0)).err().unwrap();
    assert!(e.to_string().contains("max_pooling2d"), "{e}");
}

#[test]
fn alphago_policy_k192_has_about_3_88m_parameters() {
    let m = alphago_policy(192, &mut Rng::new(0)).unwrap();
    assert_eq!(m.count_params(), 3_882_793);
    assert_matches_keras(&m, "alphago_policy_192");
    let m = alphago_policy(128, &mut Rng::new(0)).unwrap();
    assert_matches_keras(&m, "alphago_policy_128");
}

#[test]
fn lenet_matches_keras() {
    let m = lenet(10, &mut Rng::new(0)).unwrap();
    assert_matches_keras(&m, "lenet");
}

#[test]
fn lenet_training_recipe_matches_keras() {
    let m = lenet_with(&LeNetConfig::default(), &mut Rng::new(0)).unwrap();
    assert_matches_keras(&m, "lenet_recipe");
    let narrow = LeNetConfig { filters: LENET5_FILTERS, ..Default::default() };
    assert_matches_keras(&lenet_with(&narrow, &mut Rng::new(0)).unwrap(), "lenet_bn");
}

#[test]
fn lenet_rejects_bad_options() {
    let e = lenet_with(&LeNetConfig { dropout: 1.0, ..Default::default() }, &mut Rng::new(0)).err().unwrap();
    assert!(e.to_string().contains("dropout must be in [0, 1), got 1"), "{e}");
    let e = lenet_with(&LeNetConfig { num_classes: 0, ..Default::default() }, &mut Rng::new(0)).err().unwrap();
    assert!(e.to_string().contains("num_classes"), "{e}");
    let e = lenet_with(&LeNetConfig { filters: [6, 0], ..Default::default() }, &mut Rng::new(0)).err().unwrap();
    assert!(e.to_string().contains("filters and units must be at least 1, got [6, 0]"), "{e}");
    let e = lenet_with(&LeNetConfig { units: [0, 84], ..Default::default() }, &mut Rng::new(0)).err().unwrap();
    assert!(e.to_string().contains("[0, 84]"), "{e}");
}
