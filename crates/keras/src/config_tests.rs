//! Config parsing: what builds, and the errors for what does not.

use fovea_nn::ShapeSpec;

use super::*;
use crate::Error;

/// A Keras 3 Sequential config with an input of `shape` and these layer entries
/// (`{"class_name": ..., "config": {...}}`).
fn sequential(shape: &str, layers: &[&str]) -> String {
    let input = format!(
        r#"{{"module": "keras.layers", "class_name": "InputLayer", "config": {{"batch_shape": [null, {shape}],
        "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}}}}"#
    );
    let all: Vec<String> = std::iter::once(input).chain(layers.iter().map(|l| l.to_string())).collect();
    format!(
        r#"{{"module": "keras", "class_name": "Sequential", "config": {{"name": "seq", "trainable": true,
        "dtype": {{"module": "keras", "class_name": "DTypePolicy", "config": {{"name": "float32"}}}},
        "layers": [{}]}}}}"#,
        all.join(",")
    )
}

fn err(json: &str) -> String {
    match model_from_json(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_sequential_conv_net_builds_with_keras_output_shapes() {
    let m = model_from_json(&sequential(
        "28, 28, 1",
        &[
            r#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
              "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
              "activation": "relu", "use_bias": true,
              "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null},
              "bias_initializer": "zeros", "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2",
                "config": {"l2": 0.009999999776482582}}, "bias_regularizer": null, "activity_regularizer": null,
              "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1, 2]}},
              "bias_constraint": null}}"#,
            r#"{"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": [2, 2], "padding": "valid",
              "strides": null, "data_format": "channels_last"}}"#,
            r#"{"class_name": "Flatten", "config": {"name": "f", "data_format": "channels_last"}}"#,
            r#"{"class_name": "Dropout", "config": {"name": "d", "rate": 0.30000001192092896, "seed": null,
              "noise_shape": null}}"#,
            r#"{"class_name": "Dense", "config": {"name": "out", "units": 10, "activation": "softmax",
              "quantization_config": null}}"#,
        ],
    ))
    .unwrap();
    assert_eq!(m.name(), "seq");
    assert_eq!(m.output_specs(), vec![ShapeSpec::batched(&[10])]);
    assert_eq!(m.count_params(), 3 * 3 * 4 + 4 + 14 * 14 * 4 * 10 + 10);
    let c = m.layer("c").unwrap().as_any().downcast_ref::<fovea_nn::layers::Conv2D>().unwrap();
    assert_eq!(c.config().kernel_regularizer, Some(fovea_nn::Regularizer::l2(0.01)));
    assert_eq!(c.config().activation, fovea_nn::Activation::Relu);
}

#[test]
fn an_unknown_class_is_an_error_naming_it_and_the_layer() {
    let e = err(&sequential("4", &[r#"{"class_name": "Bidirectional", "config": {"name": "bi"}}"#]));
    assert!(e.contains("layer 'bi' (Bidirectional)") && e.contains("unknown layer class 'Bidirectional'"), "{e}");
}

#[test]
fn an_unknown_key_is_an_error_naming_it_and_the_layer() {
    let e = err(&sequential("4", &[r#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "fancy": 1}}"#]));
    assert!(e.contains("layer 'd' (Dense)") && e.contains("unknown config key 'fancy'"), "{e}");
    let e = err(&sequential(
        "4",
        &[r#"{"class_name": "Dense", "config": {"name": "d", "units": 2,
            "kernel_initializer": {"class_name": "RandomNormal", "config": {"mean": 0, "stdev": 1}}}}"#],
    ));
    assert!(e.contains("layer 'd' (Dense)") && e.contains("'stdev'"), "{e}");
}

#[test]
fn options_that_change_the_numbers_are_refused() {
    for (entry, want) in [
        (r#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "mish"}}"#, "activation='mish'"),
        (
            r#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": {"module": "keras",
              "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}}}"#,
            "mixed_float16",
        ),
        (
            r#"{"class_name": "Embedding", "config": {"name": "e", "input_dim": 5, "output_dim": 2, "mask_zero": true}}"#,
            "mask_zero",
        ),
        (r#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "lora_rank": 4}}"#, "lora_rank"),
    ] {
        let e = err(&sequential("4", &[entry]));
        assert!(e.contains(want) && e.contains("layer '"), "{e}");
    }
}

#[test]
fn bad_json_and_bad_structure_are_errors() {
    assert!(err("{not json").contains("not valid JSON"));
    assert!(err("[]").contains("must be an object"));
    assert!(err(r#"{"class_name": "Bogus", "config": {}}"#).contains("model class 'Bogus'"));
    let e = err(&sequential("4", &[r#"{"class_name": "Dense", "config": {"name": "d"}}"#]));
    assert!(e.contains("layer 'd' (Dense)") && e.contains("no 'units'"), "{e}");
    let e = err(&sequential("4", &[r#"{"class_name": "Dense", "config": {"name": "d", "units": "two"}}"#]));
    assert!(e.contains("'units' must be a non-negative integer, got \"two\""), "{e}");
}

#[test]
fn a_shape_that_does_not_fit_is_an_error_naming_the_layer() {
    let e = err(&sequential(
        "4",
        &[r#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3}}"#],
    ));
    assert!(e.contains("c (Conv2D)"), "{e}");
}

/// Keras 2's wiring (`[[["layer", node, tensor, {}]]]`), a merge, and a nested model
/// whose construction counts as its node 0.
const KERAS2: &str = r#"{"class_name": "Functional", "config": {"name": "model", "layers": [
  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false,
    "ragged": false, "name": "x"}, "name": "x", "inbound_nodes": []},
  {"class_name": "Sequential", "config": {"name": "inner", "layers": [
     {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "input_1"}},
     {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 4,
       "activation": "linear", "use_bias": true}}]},
   "name": "inner", "inbound_nodes": [[["x", 0, 0, {}]]]},
  {"class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": "float32"}, "name": "add",
   "inbound_nodes": [[["inner", 1, 0, {}], ["x", 0, 0, {}]]]},
  {"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": 0.30000001192092896}, "name": "lr",
   "inbound_nodes": [[["add", 0, 0, {}]]]}
 ], "input_layers": [["x", 0, 0]], "output_layers": [["lr", 0, 0], ["inner", 1, 0]]},
 "keras_version": "2.21.0", "backend": "tensorflow"}"#;

#[test]
fn keras2_wiring_and_nested_models_build() {
    let m = model_from_json(KERAS2).unwrap();
    assert_eq!(m.input_names(), vec!["x"]);
    assert_eq!(m.output_specs().len(), 2);
    assert_eq!(m.layer("inner").unwrap().class_name(), "Sequential");
    let lr = m.layer("lr").unwrap().as_any().downcast_ref::<fovea_nn::layers::LeakyReLU>().unwrap();
    assert_eq!(lr.negative_slope(), 0.3f32);
    assert_eq!(m.count_params(), 20);
}

#[test]
fn keras2_hard_sigmoid_is_the_legacy_one() {
    // Keras 2's hard_sigmoid is clip(0.2 * x + 0.5, 0, 1), not Keras 3's relu6(x + 3) / 6.
    let json = KERAS2.replace(r#""activation": "linear""#, r#""activation": "hard_sigmoid""#);
    let m = model_from_json(&json).unwrap();
    let inner = m.layer("inner").unwrap().as_any().downcast_ref::<fovea_nn::Model>().unwrap();
    let dense = inner.layer("dense").unwrap().as_any().downcast_ref::<fovea_nn::layers::Dense>().unwrap();
    assert_eq!(dense.config().activation, fovea_nn::Activation::HardSigmoidLegacy);
}

#[test]
fn a_graph_with_a_missing_tensor_is_an_error() {
    let json = KERAS2.replace(r#"[["add", 0, 0, {}]]"#, r#"[["nowhere", 0, 0, {}]]"#);
    let e = err(&json);
    assert!(e.contains("layer 'lr' (LeakyReLU) waiting for [nowhere, 0, 0]"), "{e}");
    assert!(matches!(model_from_json(&json), Err(Error::Config { .. })));
}

#[test]
fn training_true_in_a_call_is_refused() {
    let json = KERAS2.replace(r#"[["add", 0, 0, {}]]"#, r#"[["add", 0, 0, {"training": true}]]"#);
    assert!(err(&json).contains("training=true"));
}

#[test]
fn sequential_input_from_build_input_shape_or_first_layer_hints() {
    // Keras 3: no InputLayer, built by a call.
    let m = model_from_json(
        r#"{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 3}}],
        "build_input_shape": [null, 4]}}"#,
    )
    .unwrap();
    assert_eq!(m.input_specs(), vec![ShapeSpec::batched(&[4])]);
    // Keras 2.2: the config is the bare list of layers, the first carrying batch_input_shape.
    let m = model_from_json(
        r#"{"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "batch_input_shape": [null, 5]}},
        {"class_name": "Dense", "config": {"name": "e", "units": 2, "input_dim": 3}}]}"#,
    )
    .unwrap();
    assert_eq!((m.input_specs(), m.count_params()), (vec![ShapeSpec::batched(&[5])], 5 * 3 + 3 + 3 * 2 + 2));
    let e = err(
        r#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 3}}]}}"#,
    );
    assert!(e.contains("never built"), "{e}");
}

#[test]
fn every_fovea_nn_layer_class_has_a_builder() {
    for class in [
        "Dense",
        "Conv1D",
        "Conv2D",
        "MaxPooling1D",
        "MaxPooling2D",
        "AveragePooling1D",
        "AveragePooling2D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalAveragePooling1D",
        "GlobalAveragePooling2D",
        "ZeroPadding2D",
        "Cropping2D",
        "Flatten",
        "Reshape",
        "Permute",
        "Dropout",
        "Activation",
        "ReLU",
        "LeakyReLU",
        "Softmax",
        "Add",
        "Subtract",
        "Multiply",
        "Average",
        "Maximum",
        "Minimum",
        "Concatenate",
        "Embedding",
        "BatchNormalization",
        "LayerNormalization",
        "LocalResponseNormalization",
        "SimpleRNN",
        "LSTM",
        "GRU",
    ] {
        assert!(crate::registry::is_supported(class), "{class}");
    }
    assert!(crate::registry::is_supported("Convolution2D"));
    assert!(!crate::registry::is_supported("Lambda"));
}

/// A real Keras 3 config (the nested fixture's) for the robustness tests.
fn real_config() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nested.keras");
    crate::archive::read_archive(&path).unwrap().config
}

#[test]
fn every_truncation_of_a_real_config_is_an_error_not_a_panic() {
    let json = real_config();
    assert!(model_from_json(&json).is_ok());
    for cut in (0..json.len()).step_by(7) {
        if json.is_char_boundary(cut) {
            assert!(model_from_json(&json[..cut]).is_err(), "cut at {cut}");
        }
    }
}

#[test]
fn mutated_real_configs_never_panic() {
    let json = real_config();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Replace one JSON scalar by another: structure stays valid, values go wrong.
    let replacements = ["null", "0", "-1", "1e300", "\"x\"", "[]", "{}", "true", "99999999999999999999"];
    let tokens: Vec<usize> = json.match_indices([':', ',']).map(|(i, _)| i + 1).collect();
    for _ in 0..400 {
        let at = tokens[next() as usize % tokens.len()];
        let rest = &json[at..];
        let end = rest.find([',', '}', ']']).unwrap_or(0);
        let mutated = format!("{}{}{}", &json[..at], replacements[next() as usize % replacements.len()], &rest[end..]);
        let _ = model_from_json(&mutated);
    }
}
