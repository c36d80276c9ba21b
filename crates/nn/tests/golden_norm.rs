//! BatchNormalization and LayerNormalization against real Keras 3, LocalResponseNormalization
//! against TensorFlow (fixtures from tools/golden/layers_norm.py and lrn_tf.py).

mod common;

use common::{check_layer, load_family, report};
use fovea_nn::layers::{
    BatchNormalization, BatchNormalizationConfig, DataFormat, LayerNormalization, LayerNormalizationConfig,
    LocalResponseNormalization, LocalResponseNormalizationConfig, RenormClipping,
};
use fovea_nn::Layer;
use serde_json::Value;

fn f32_of(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

fn opt_f32(v: &Value, key: &str) -> Option<f32> {
    v.get(key).and_then(Value::as_f64).map(|x| x as f32)
}

#[test]
fn batchnorm_matches_keras_in_training_and_inference() {
    let fixtures = load_family("batchnorm");
    assert_eq!(fixtures.len(), 14, "batchnorm fixtures");
    assert_eq!(fixtures.iter().filter(|f| f.training).count(), 9, "training-mode batchnorm fixtures");
    let mut failures = Vec::new();
    for fx in &fixtures {
        let c = &fx.config;
        let clip = &c["renorm_clipping"];
        let mut layer = BatchNormalization::with_config(BatchNormalizationConfig {
            axis: c["axis"].as_i64().unwrap() as isize,
            momentum: f32_of(&c["momentum"]),
            epsilon: f32_of(&c["epsilon"]),
            center: c["center"].as_bool().unwrap(),
            scale: c["scale"].as_bool().unwrap(),
            renorm: c["renorm"].as_bool().unwrap(),
            renorm_clipping: RenormClipping {
                rmax: opt_f32(clip, "rmax"),
                rmin: opt_f32(clip, "rmin"),
                dmax: opt_f32(clip, "dmax"),
            },
            renorm_momentum: f32_of(&c["renorm_momentum"]),
            ..Default::default()
        });
        failures.extend(check_layer(&mut layer, fx));
        // check_layer compares the non-trainable weights it finds; make sure they all exist.
        let stats = layer.weights().iter().filter(|w| !w.trainable()).count();
        if stats != fx.non_trainable_after.len() {
            failures.push(format!("{}: {stats} statistics, Keras has {}", fx.name, fx.non_trainable_after.len()));
        }
    }
    report(failures);
}

#[test]
fn layernorm_matches_keras() {
    let fixtures = load_family("layernorm");
    assert_eq!(fixtures.len(), 10, "layernorm fixtures");
    let mut failures = Vec::new();
    for fx in &fixtures {
        let c = &fx.config;
        let axis = match &c["axis"] {
            Value::Array(a) => a.iter().map(|v| v.as_i64().unwrap() as isize).collect(),
            v => vec![v.as_i64().unwrap() as isize],
        };
        let mut layer = LayerNormalization::with_config(LayerNormalizationConfig {
            axis,
            epsilon: f32_of(&c["epsilon"]),
            center: c["center"].as_bool().unwrap(),
            scale: c["scale"].as_bool().unwrap(),
            rms_scaling: c["rms_scaling"].as_bool().unwrap(),
            ..Default::default()
        });
        failures.extend(check_layer(&mut layer, fx));
    }
    report(failures);
}

#[test]
fn lrn_matches_tensorflow() {
    let fixtures = load_family("lrn");
    assert_eq!(fixtures.len(), 6, "lrn fixtures");
    let mut failures = Vec::new();
    for fx in &fixtures {
        assert_eq!(fx.class, "LocalResponseNormalization");
        let c = &fx.config;
        let mut layer = LocalResponseNormalization::with_config(LocalResponseNormalizationConfig {
            depth_radius: c["depth_radius"].as_u64().unwrap() as usize,
            bias: f32_of(&c["bias"]),
            alpha: f32_of(&c["alpha"]),
            beta: f32_of(&c["beta"]),
            data_format: match c["data_format"].as_str().unwrap() {
                "channels_first" => DataFormat::ChannelsFirst,
                _ => DataFormat::ChannelsLast,
            },
        });
        failures.extend(check_layer(&mut layer, fx));
    }
    report(failures);
}
