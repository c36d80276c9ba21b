//! Parses arbitrary bytes as a Keras model config (`config.json` / `model_config`) in
//! both dialects and builds what parses, under a weight budget the size of a small
//! file (as `fovea_keras::load` sets one). Errors are the expected outcome; any panic,
//! hang or runaway allocation is a bug.
#![no_main]

use fovea_keras::config::{parse_config, Dialect};
use fovea_nn::weight_budget::limit_weight_elements;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    for dialect in [None, Some(Dialect::Keras2), Some(Dialect::Keras3)] {
        if let Ok(spec) = parse_config(json, dialect) {
            let _budget = limit_weight_elements(1 << 20);
            let _ = fovea_keras::build_model(&spec);
        }
    }
});
