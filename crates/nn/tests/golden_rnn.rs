//! SimpleRNN, LSTM and GRU against real Keras 3 (fixtures from tools/golden/layers_rnn.py):
//! outputs, returned states, and gradients w.r.t. the input and every weight.

mod common;

use common::{activation, check_layer, load_family, report, Fixture};
use fovea_nn::layers::{GRUConfig, LSTMConfig, SimpleRNN, SimpleRNNConfig, GRU, LSTM};
use fovea_nn::Activation;
use serde_json::Value;

fn flag(c: &Value, key: &str) -> bool {
    c[key].as_bool().unwrap_or_else(|| panic!("config has no boolean {key}"))
}

fn units(c: &Value) -> usize {
    c["units"].as_u64().unwrap() as usize
}

fn recurrent_activation(c: &Value) -> Activation {
    activation(&c["recurrent_activation"])
}

fn run(fixtures: &[Fixture], mut make: impl FnMut(&Value) -> Box<dyn fovea_nn::Layer>) {
    let mut failures = Vec::new();
    for fx in fixtures {
        let mut layer = make(&fx.config);
        failures.extend(check_layer(layer.as_mut(), fx));
    }
    report(failures);
}

#[test]
fn simple_rnn_matches_keras_outputs_states_and_gradients() {
    let fixtures = load_family("simple_rnn");
    assert_eq!(fixtures.len(), 10, "simple_rnn fixtures");
    run(&fixtures, |c| {
        Box::new(SimpleRNN::with_config(SimpleRNNConfig {
            units: units(c),
            activation: activation(&c["activation"]),
            use_bias: flag(c, "use_bias"),
            return_sequences: flag(c, "return_sequences"),
            return_state: flag(c, "return_state"),
            go_backwards: flag(c, "go_backwards"),
            unroll: flag(c, "unroll"),
            ..Default::default()
        }))
    });
}

#[test]
fn lstm_matches_keras_outputs_states_and_gradients() {
    let fixtures = load_family("lstm");
    assert_eq!(fixtures.len(), 10, "lstm fixtures");
    run(&fixtures, |c| {
        Box::new(LSTM::with_config(LSTMConfig {
            units: units(c),
            activation: activation(&c["activation"]),
            recurrent_activation: recurrent_activation(c),
            use_bias: flag(c, "use_bias"),
            unit_forget_bias: flag(c, "unit_forget_bias"),
            return_sequences: flag(c, "return_sequences"),
            return_state: flag(c, "return_state"),
            go_backwards: flag(c, "go_backwards"),
            unroll: flag(c, "unroll"),
            ..Default::default()
        }))
    });
}

#[test]
fn gru_matches_keras_outputs_states_and_gradients() {
    let fixtures = load_family("gru");
    assert_eq!(fixtures.len(), 18, "gru fixtures");
    assert_eq!(fixtures.iter().filter(|f| !flag(&f.config, "reset_after")).count(), 9, "reset_after=false fixtures");
    run(&fixtures, |c| {
        Box::new(GRU::with_config(GRUConfig {
            units: units(c),
            activation: activation(&c["activation"]),
            recurrent_activation: recurrent_activation(c),
            use_bias: flag(c, "use_bias"),
            reset_after: flag(c, "reset_after"),
            return_sequences: flag(c, "return_sequences"),
            return_state: flag(c, "return_state"),
            go_backwards: flag(c, "go_backwards"),
            unroll: flag(c, "unroll"),
            ..Default::default()
        }))
    });
}
