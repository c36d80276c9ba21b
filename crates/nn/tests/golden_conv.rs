//! Conv2D, Conv1D, pooling, ZeroPadding2D and Cropping2D against real Keras 3 (fixtures
//! from tools/golden/layers_conv.py): outputs, input gradients and weight gradients.

mod common;

use common::{activation, check_layer, load_family, report, Fixture};
use fovea_nn::layers::{
    AveragePooling1D, AveragePooling2D, Conv1D, Conv1DConfig, Conv2D, Conv2DConfig, Cropping2D, DataFormat,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalPoolingConfig,
    MaxPooling1D, MaxPooling2D, Padding, Pooling1DConfig, Pooling2DConfig, ZeroPadding2D,
};
use fovea_nn::Layer;
use serde_json::Value;

fn padding(v: &Value) -> Padding {
    match v.as_str().unwrap() {
        "valid" => Padding::Valid,
        "same" => Padding::Same,
        "causal" => Padding::Causal,
        other => panic!("unknown padding {other}"),
    }
}

fn data_format(v: &Value) -> DataFormat {
    match v.as_str().unwrap() {
        "channels_last" => DataFormat::ChannelsLast,
        "channels_first" => DataFormat::ChannelsFirst,
        other => panic!("unknown data_format {other}"),
    }
}

fn sizes(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn pair(v: &Value) -> [usize; 2] {
    let s = sizes(v);
    [s[0], s[1]]
}

fn pairs(v: &Value) -> [(usize, usize); 2] {
    let a = v.as_array().unwrap();
    let (h, w) = (sizes(&a[0]), sizes(&a[1]));
    [(h[0], h[1]), (w[0], w[1])]
}

fn run_family(family: &str, expected: usize, make: impl Fn(&Fixture) -> Box<dyn Layer>) {
    let fixtures = load_family(family);
    assert_eq!(fixtures.len(), expected, "{family} fixtures");
    let mut failures = Vec::new();
    for fx in &fixtures {
        let mut layer = make(fx);
        assert_eq!(layer.class_name(), fx.class, "{}", fx.name);
        failures.extend(check_layer(layer.as_mut(), fx));
    }
    report(failures);
}

#[test]
fn conv2d_matches_keras_outputs_and_gradients() {
    run_family("conv2d", 16, |fx| {
        let c = &fx.config;
        Box::new(Conv2D::with_config(Conv2DConfig {
            filters: c["filters"].as_u64().unwrap() as usize,
            kernel_size: pair(&c["kernel_size"]),
            strides: pair(&c["strides"]),
            padding: padding(&c["padding"]),
            data_format: data_format(&c["data_format"]),
            dilation_rate: pair(&c["dilation_rate"]),
            groups: c["groups"].as_u64().unwrap() as usize,
            activation: activation(&c["activation"]),
            use_bias: c["use_bias"].as_bool().unwrap(),
            ..Default::default()
        }))
    });
}

#[test]
fn conv1d_matches_keras_outputs_and_gradients() {
    run_family("conv1d", 15, |fx| {
        let c = &fx.config;
        Box::new(Conv1D::with_config(Conv1DConfig {
            filters: c["filters"].as_u64().unwrap() as usize,
            kernel_size: sizes(&c["kernel_size"])[0],
            strides: sizes(&c["strides"])[0],
            padding: padding(&c["padding"]),
            data_format: data_format(&c["data_format"]),
            dilation_rate: sizes(&c["dilation_rate"])[0],
            groups: c["groups"].as_u64().unwrap() as usize,
            activation: activation(&c["activation"]),
            use_bias: c["use_bias"].as_bool().unwrap(),
            ..Default::default()
        }))
    });
}

#[test]
fn pooling_matches_keras_outputs_and_gradients() {
    run_family("pooling", 32, |fx| {
        let c = &fx.config;
        let df = data_format(&c["data_format"]);
        if fx.class.starts_with("Global") {
            let g = GlobalPoolingConfig { data_format: df, keepdims: c["keepdims"].as_bool().unwrap() };
            return match fx.class.as_str() {
                "GlobalMaxPooling2D" => Box::new(GlobalMaxPooling2D::with_config(g)),
                "GlobalAveragePooling2D" => Box::new(GlobalAveragePooling2D::with_config(g)),
                "GlobalMaxPooling1D" => Box::new(GlobalMaxPooling1D::with_config(g)),
                "GlobalAveragePooling1D" => Box::new(GlobalAveragePooling1D::with_config(g)),
                other => panic!("unexpected class {other}"),
            };
        }
        let (pool, strides) = (sizes(&c["pool_size"]), sizes(&c["strides"]));
        // Keras records the resolved strides; where they equal the pool size, use the
        // default (None) so that the default is what is tested.
        let explicit = strides != pool;
        let pad = padding(&c["padding"]);
        if pool.len() == 2 {
            let cfg = Pooling2DConfig {
                pool_size: [pool[0], pool[1]],
                strides: explicit.then(|| [strides[0], strides[1]]),
                padding: pad,
                data_format: df,
            };
            match fx.class.as_str() {
                "MaxPooling2D" => Box::new(MaxPooling2D::with_config(cfg)),
                "AveragePooling2D" => Box::new(AveragePooling2D::with_config(cfg)),
                other => panic!("unexpected class {other}"),
            }
        } else {
            let cfg = Pooling1DConfig {
                pool_size: pool[0],
                strides: explicit.then_some(strides[0]),
                padding: pad,
                data_format: df,
            };
            match fx.class.as_str() {
                "MaxPooling1D" => Box::new(MaxPooling1D::with_config(cfg)),
                "AveragePooling1D" => Box::new(AveragePooling1D::with_config(cfg)),
                other => panic!("unexpected class {other}"),
            }
        }
    });
}

#[test]
fn padding_and_cropping_match_keras_in_all_argument_forms() {
    run_family("padding", 12, |fx| {
        let c = &fx.config;
        let df = data_format(&c["data_format"]);
        let want = pairs(if fx.class == "ZeroPadding2D" { &c["padding"] } else { &c["cropping"] });
        let [(t, b), (l, r)] = want;
        // The fixture name says in which form the Keras script passed the argument; pass
        // it in the same form and check it normalises as Keras's did.
        let layer: Box<dyn Layer> = match (fx.class.as_str(), fx.name.split('_').nth(2).unwrap()) {
            ("ZeroPadding2D", "int") => Box::new(ZeroPadding2D::new(t).data_format(df)),
            ("ZeroPadding2D", "sym") => Box::new(ZeroPadding2D::new((t, l)).data_format(df)),
            ("ZeroPadding2D", "pairs") => Box::new(ZeroPadding2D::new(((t, b), (l, r))).data_format(df)),
            ("Cropping2D", "int") => Box::new(Cropping2D::new(t).data_format(df)),
            ("Cropping2D", "sym") => Box::new(Cropping2D::new((t, l)).data_format(df)),
            ("Cropping2D", "pairs") => Box::new(Cropping2D::new(((t, b), (l, r))).data_format(df)),
            other => panic!("unexpected fixture {other:?}"),
        };
        let got = match layer.as_any().downcast_ref::<ZeroPadding2D>() {
            Some(z) => z.config().padding,
            None => layer.as_any().downcast_ref::<Cropping2D>().unwrap().config().cropping,
        };
        assert_eq!(got, want, "{}: argument normalised differently from Keras", fx.name);
        layer
    });
}
