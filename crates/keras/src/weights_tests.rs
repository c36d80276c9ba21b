use std::collections::BTreeMap;

use super::*;
use crate::build_model;
use crate::config::parse_config;

/// An in-memory HDF5 stand-in: datasets by path, string attributes by (group, name).
#[derive(Default)]
struct Mock {
    data: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    attrs: BTreeMap<(String, String), Vec<String>>,
}

impl Mock {
    fn put(&mut self, path: &str, shape: &[usize], fill: f32) {
        let n = shape.iter().product();
        self.data.insert(path.into(), (shape.to_vec(), vec![fill; n]));
    }
}

impl WeightSource for Mock {
    fn members(&self, path: &str) -> Result<Option<Vec<String>>> {
        let prefix = format!("{path}/");
        let mut names: Vec<String> = self
            .data
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_string())
            .collect();
        names.dedup();
        Ok((!names.is_empty()).then_some(names))
    }
    fn read(&self, path: &str) -> Result<Option<(Vec<usize>, Vec<f32>)>> {
        Ok(self.data.get(path).cloned())
    }
    fn strings_attr(&self, path: &str, name: &str) -> Result<Option<Vec<String>>> {
        Ok(self.attrs.get(&(path.to_string(), name.to_string())).cloned())
    }
}

const FUNCTIONAL: &str = r#"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {
  "name": "f", "trainable": true,
  "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32",
      "sparse": false, "ragged": false, "name": "x", "optional": false}, "name": "x", "inbound_nodes": []},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "first", "units": 3}, "name": "first",
      "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32",
        "keras_history": ["x", 0, 0]}}], "kwargs": {}}]},
    {"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "bn", "center": false}, "name": "bn",
      "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32",
        "keras_history": ["first", 0, 0]}}], "kwargs": {"mask": null}}]},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "second", "units": 2}, "name": "second",
      "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32",
        "keras_history": ["bn", 0, 0]}}], "kwargs": {}}]}
  ],
  "input_layers": [["x", 0, 0]], "output_layers": [["second", 0, 0]]}}"#;

fn functional() -> (ModelSpec, Model) {
    let spec = parse_config(FUNCTIONAL, None).unwrap();
    let model = build_model(&spec).unwrap();
    (spec, model)
}

fn keras3_file() -> Mock {
    let mut m = Mock::default();
    m.put("layers/dense/vars/0", &[4, 3], 0.5);
    m.put("layers/dense/vars/1", &[3], 0.25);
    m.put("layers/batch_normalization/vars/0", &[3], 2.0);
    m.put("layers/batch_normalization/vars/1", &[3], 0.0);
    m.put("layers/batch_normalization/vars/2", &[3], 1.0);
    m.put("layers/dense_1/vars/0", &[3, 2], -1.0);
    m.put("layers/dense_1/vars/1", &[2], 0.0);
    m
}

#[test]
fn keras3_groups_are_named_by_class_and_counter_not_layer_name() {
    let (spec, model) = functional();
    let mut warnings = Vec::new();
    load_keras3(&keras3_file(), &spec, &model, &mut warnings).unwrap();
    assert!(warnings.is_empty());
    let second = model.layer("second").unwrap().weights()[0].value().to_vec_f32().unwrap();
    assert_eq!(second, vec![-1.0; 6]);
    // BatchNormalization with center=False stores gamma, moving_mean, moving_variance.
    let bn: Vec<String> = model.layer("bn").unwrap().weights().iter().map(|w| w.name().to_string()).collect();
    assert_eq!(bn, ["gamma", "moving_mean", "moving_variance"]);
    assert_eq!(model.layer("bn").unwrap().weights()[0].value().to_vec_f32().unwrap(), vec![2.0; 3]);
}

#[test]
fn a_wrong_shape_names_layer_weight_and_both_shapes() {
    let (spec, model) = functional();
    let mut file = keras3_file();
    file.put("layers/dense_1/vars/0", &[4, 2], 0.0);
    let e = load_keras3(&file, &spec, &model, &mut Vec::new()).unwrap_err().to_string();
    assert_eq!(e, "layer 'second' (Dense): weight 'kernel' has shape [4, 2] but the config implies [3, 2]");
}

#[test]
fn missing_or_extra_variables_are_errors() {
    let (spec, model) = functional();
    let mut file = keras3_file();
    file.put("layers/batch_normalization/vars/3", &[3], 0.0);
    let e = load_keras3(&file, &spec, &model, &mut Vec::new()).unwrap_err().to_string();
    assert!(
        e.contains("layer 'bn' (BatchNormalization)") && e.contains("holds 4 weights") && e.contains("has 3"),
        "{e}"
    );
    let mut file = keras3_file();
    file.data.retain(|k, _| !k.starts_with("layers/dense_1/"));
    let e = load_keras3(&file, &spec, &model, &mut Vec::new()).unwrap_err().to_string();
    assert!(e.contains("layer 'second' (Dense)") && e.contains("no group 'layers/dense_1/vars'"), "{e}");
}

#[test]
fn non_finite_weights_load_with_a_warning_naming_the_layer() {
    let (spec, model) = functional();
    let mut file = keras3_file();
    file.data.get_mut("layers/dense/vars/1").unwrap().1[1] = f32::NAN;
    let mut warnings = Vec::new();
    load_keras3(&file, &spec, &model, &mut warnings).unwrap();
    assert_eq!(warnings, ["layer 'first' (Dense): weight 'bias' has 1 NaN or infinite value(s)"]);
    assert!(model.layer("first").unwrap().weights()[1].value().to_vec_f32().unwrap()[1].is_nan());
}

#[test]
fn legacy_layers_match_in_order_and_weights_by_name() {
    let (_, model) = functional();
    let mut file = Mock::default();
    let attr = |f: &mut Mock, g: &str, n: &str, v: &[&str]| {
        f.attrs.insert((g.into(), n.into()), v.iter().map(|s| s.to_string()).collect());
    };
    attr(&mut file, "model_weights", "layer_names", &["x", "first", "bn", "second"]);
    attr(&mut file, "model_weights/x", "weight_names", &[]);
    attr(&mut file, "model_weights/first", "weight_names", &["first/kernel:0", "first/bias:0"]);
    // Out of order on purpose: matched by name.
    attr(&mut file, "model_weights/bn", "weight_names", &["bn/moving_mean:0", "bn/gamma:0", "bn/moving_variance:0"]);
    attr(&mut file, "model_weights/second", "weight_names", &["second/kernel:0", "second/bias:0"]);
    file.put("model_weights/first/first/kernel:0", &[4, 3], 1.0);
    file.put("model_weights/first/first/bias:0", &[3], 1.0);
    file.put("model_weights/bn/bn/moving_mean:0", &[3], 5.0);
    file.put("model_weights/bn/bn/gamma:0", &[3], 6.0);
    file.put("model_weights/bn/bn/moving_variance:0", &[3], 7.0);
    file.put("model_weights/second/second/kernel:0", &[3, 2], 1.0);
    file.put("model_weights/second/second/bias:0", &[2], 1.0);
    load_legacy(&file, "model_weights", &model, &mut Vec::new()).unwrap();
    let bn: Vec<f32> =
        model.layer("bn").unwrap().weights().iter().map(|w| w.value().to_vec_f32().unwrap()[0]).collect();
    assert_eq!(bn, vec![6.0, 5.0, 7.0]);

    attr(&mut file, "model_weights", "layer_names", &["x", "first", "bn"]);
    let e = load_legacy(&file, "model_weights", &model, &mut Vec::new()).unwrap_err().to_string();
    assert!(e.contains("weights for 2 layers (first, bn)") && e.contains("3 layers with weights"), "{e}");
}
