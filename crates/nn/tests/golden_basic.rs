//! Reshaping, dropout, activation, merge and embedding layers against real Keras 3
//! (fixtures from tools/golden/layers_basic.py).

mod common;

use common::{activation, check_layer, load_family, report, Fixture};
use fovea_nn::layers::{
    ActivationLayer, Add, Average, Concatenate, DataFormat, Dropout, DropoutConfig, Embedding, EmbeddingConfig,
    Flatten, LeakyReLU, Maximum, Minimum, Multiply, Permute, ReLU, ReLUConfig, Reshape, Softmax, Subtract,
};
use fovea_nn::Layer;
use serde_json::Value;

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect()
}

fn f32_of(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

/// The fovea layer for a fixture's Keras class and config.
fn layer_for(fx: &Fixture) -> Box<dyn Layer> {
    let c = &fx.config;
    match fx.class.as_str() {
        "Flatten" => Box::new(Flatten::with_data_format(match c["data_format"].as_str().unwrap() {
            "channels_first" => DataFormat::ChannelsFirst,
            _ => DataFormat::ChannelsLast,
        })),
        "Reshape" => {
            let t: Vec<isize> = ints(&c["target_shape"]).into_iter().map(|d| d as isize).collect();
            Box::new(Reshape::new(&t))
        }
        "Permute" => {
            let d: Vec<usize> = ints(&c["dims"]).into_iter().map(|d| d as usize).collect();
            Box::new(Permute::new(&d))
        }
        "Dropout" => Box::new(Dropout::with_config(DropoutConfig {
            rate: f32_of(&c["rate"]),
            noise_shape: c["noise_shape"]
                .as_array()
                .map(|a| a.iter().map(|d| d.as_u64().map(|d| d as usize)).collect()),
            seed: c["seed"].as_u64(),
        })),
        "Activation" => Box::new(ActivationLayer::new(activation(&c["activation"]))),
        "ReLU" => Box::new(ReLU::with_config(ReLUConfig {
            max_value: c["max_value"].as_f64().map(|m| m as f32),
            negative_slope: f32_of(&c["negative_slope"]),
            threshold: f32_of(&c["threshold"]),
        })),
        "LeakyReLU" => Box::new(LeakyReLU::with_negative_slope(f32_of(&c["negative_slope"]))),
        "Softmax" => {
            let axis: Vec<isize> = match &c["axis"] {
                Value::Array(_) => ints(&c["axis"]).into_iter().map(|a| a as isize).collect(),
                v => vec![v.as_i64().unwrap() as isize],
            };
            Box::new(Softmax::with_axis(&axis))
        }
        "Add" => Box::new(Add::new()),
        "Subtract" => Box::new(Subtract::new()),
        "Multiply" => Box::new(Multiply::new()),
        "Average" => Box::new(Average::new()),
        "Maximum" => Box::new(Maximum::new()),
        "Minimum" => Box::new(Minimum::new()),
        "Concatenate" => Box::new(Concatenate::new(c["axis"].as_i64().unwrap() as isize)),
        "Embedding" => Box::new(Embedding::with_config(EmbeddingConfig {
            input_dim: c["input_dim"].as_u64().unwrap() as usize,
            output_dim: c["output_dim"].as_u64().unwrap() as usize,
            mask_zero: c["mask_zero"].as_bool().unwrap(),
            ..Default::default()
        })),
        other => panic!("{}: no fovea layer for class {other}", fx.name),
    }
}

/// Checks every fixture of `family` (there must be `expected` of them).
fn check_family(family: &str, expected: usize) {
    let fixtures = load_family(family);
    assert_eq!(fixtures.len(), expected, "{family} fixtures");
    let mut failures = Vec::new();
    for fx in &fixtures {
        let mut layer = layer_for(fx);
        assert_eq!(layer.class_name(), fx.class, "{}", fx.name);
        failures.extend(check_layer(layer.as_mut(), fx));
    }
    report(failures);
}

#[test]
fn reshaping_layers_match_keras() {
    check_family("reshaping", 13);
}

#[test]
fn dropout_matches_keras_at_inference_and_at_rates_zero_and_one() {
    check_family("dropout", 5);
}

#[test]
fn activation_layers_match_keras() {
    // 17 activation names, 16 ReLU configurations, 3 LeakyReLU, 3 Softmax.
    check_family("activation", 39);
}

#[test]
fn merge_layers_match_keras() {
    check_family("merge", 18);
}

#[test]
fn embedding_matches_keras_with_accumulated_gradients() {
    check_family("embedding", 4);
}
