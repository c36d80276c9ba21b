//! Dense against real Keras 3 (fixtures from tools/golden/layers_core.py).

mod common;

use common::{activation, check_layer, load_family, report};
use fovea_nn::layers::{Dense, DenseConfig};

#[test]
fn dense_matches_keras_outputs_and_gradients() {
    let fixtures = load_family("dense");
    assert_eq!(fixtures.len(), 3, "dense fixtures");
    let mut failures = Vec::new();
    for fx in &fixtures {
        let c = &fx.config;
        let mut layer = Dense::with_config(DenseConfig {
            units: c["units"].as_u64().unwrap() as usize,
            activation: activation(&c["activation"]),
            use_bias: c["use_bias"].as_bool().unwrap(),
            ..Default::default()
        });
        failures.extend(check_layer(&mut layer, fx));
    }
    report(failures);
}
