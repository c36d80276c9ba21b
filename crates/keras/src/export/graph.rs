//! A fovea [`Model`] as a Keras 3 model config (`config.json`): `Sequential` models as
//! Keras `Sequential`, graphs as `Functional` with Keras's `inbound_nodes` /
//! `keras_history` form, nested models recursively. Layers are listed in Keras's own
//! operation order ([`super::order`]), which also names the weight groups.

use fovea_nn::model::ModelKind;
use fovea_nn::{Layer, Model, ShapeSpec, TensorRef};
use serde_json::{json, Map, Value};

use super::layers::{dtype_policy, layer_config};
use super::order::{keras_operation_order, OrderGraph};
use crate::{Error, Result};

/// One entry of a Functional model's operation list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Model input `i` (an `InputLayer`).
    Input(usize),
    /// Layer `i` of [`Model::layers`].
    Layer(usize),
}

/// The model's operations in Keras's order: every op of a Sequential model in stack
/// order (inputs first), a Functional model's in `map_graph` order.
pub(crate) fn operations(model: &Model) -> Vec<Op> {
    let n_in = model.input_names().len();
    let n_layers = model.layers().count();
    if model.kind() == ModelKind::Sequential {
        return (0..n_in).map(Op::Input).chain((0..n_layers).map(Op::Layer)).collect();
    }
    // Nodes: one per input, then one per layer call; ops: inputs, then layers.
    let calls = model.layer_calls();
    let node_of = |t: &TensorRef| -> usize {
        match *t {
            TensorRef::Input(i) => i,
            TensorRef::Layer { layer, call, .. } => {
                n_in + calls.iter().position(|c| c.layer == layer && c.call == call).unwrap_or(0)
            }
        }
    };
    let mut nodes: Vec<(usize, Vec<usize>)> = (0..n_in).map(|i| (i, Vec::new())).collect();
    for c in &calls {
        nodes.push((n_in + c.layer, c.inputs.iter().map(node_of).collect()));
    }
    let g =
        OrderGraph { nodes, outputs: model.output_refs().iter().map(node_of).collect(), inputs: (0..n_in).collect() };
    keras_operation_order(&g).into_iter().map(|o| if o < n_in { Op::Input(o) } else { Op::Layer(o - n_in) }).collect()
}

/// Keras's name for model input `i`: its input layer's name.
fn input_name(model: &Model, i: usize) -> String {
    model.input_names().get(i).map(|s| s.to_string()).unwrap_or_else(|| format!("input_layer_{i}"))
}

fn shape_json(s: &ShapeSpec) -> Value {
    json!(s.0)
}

/// One layer call's shapes: `(layer, call)`, its input specs, its output specs.
type CallShapes = ((usize, usize), Vec<ShapeSpec>, Vec<ShapeSpec>);

/// The output specs of every layer call, from the input specs (what Keras records as
/// each tensor's `shape` and each layer's `build_config`).
struct Shapes {
    inputs: Vec<ShapeSpec>,
    calls: Vec<CallShapes>,
}

impl Shapes {
    fn of(model: &Model) -> Result<Shapes> {
        let layers: Vec<&dyn Layer> = model.layers().collect();
        let mut s = Shapes { inputs: model.input_specs(), calls: Vec::new() };
        for c in model.layer_calls() {
            let ins: Vec<ShapeSpec> = c.inputs.iter().map(|t| s.spec(t)).collect::<Result<_>>()?;
            let layer = layers.get(c.layer).ok_or_else(|| Error::config("model graph", "a call names no layer"))?;
            let outs = layer.output_shape(&ins)?;
            s.calls.push(((c.layer, c.call), ins, outs));
        }
        Ok(s)
    }

    fn spec(&self, t: &TensorRef) -> Result<ShapeSpec> {
        let missing = || Error::config("model graph", format!("tensor {t:?} is read before it is made"));
        match *t {
            TensorRef::Input(i) => self.inputs.get(i).cloned().ok_or_else(missing),
            TensorRef::Layer { layer, call, output } => self
                .calls
                .iter()
                .find(|(k, _, _)| *k == (layer, call))
                .and_then(|(_, _, outs)| outs.get(output).cloned())
                .ok_or_else(missing),
        }
    }

    fn first_inputs(&self, layer: usize) -> Option<&Vec<ShapeSpec>> {
        self.calls.iter().find(|((l, c), _, _)| *l == layer && *c == 0).map(|(_, ins, _)| ins)
    }
}

fn input_layer_entry(name: &str, spec: &ShapeSpec, with_graph: bool) -> Value {
    let mut e = json!({
        "module": "keras.layers", "class_name": "InputLayer",
        "config": {"batch_shape": shape_json(spec), "dtype": "float32", "sparse": false, "ragged": false,
                   "name": name, "optional": false},
        "registered_name": null,
    });
    if with_graph {
        e["name"] = json!(name);
        e["inbound_nodes"] = json!([]);
    }
    e
}

/// A layer's entry without graph keys: a nested model's full config, or
/// `{module, class_name, config, registered_name, build_config}`.
fn layer_entry(layer: &dyn Layer, first_inputs: Option<&Vec<ShapeSpec>>) -> Result<Value> {
    if let Some(inner) = layer.as_any().downcast_ref::<Model>() {
        return model_config(inner);
    }
    let mut e = Map::new();
    e.insert("module".into(), json!("keras.layers"));
    e.insert("class_name".into(), json!(layer.class_name()));
    e.insert("config".into(), Value::Object(layer_config(layer)?));
    e.insert("registered_name".into(), Value::Null);
    if let Some(ins) = first_inputs {
        let shape = match ins.as_slice() {
            [one] => shape_json(one),
            many => Value::Array(many.iter().map(shape_json).collect()),
        };
        e.insert("build_config".into(), json!({ "input_shape": shape }));
    }
    Ok(Value::Object(e))
}

/// The config of `model` as Keras 3 writes it (`{"module", "class_name", "config", ...}`).
pub(crate) fn model_config(model: &Model) -> Result<Value> {
    let shapes = Shapes::of(model)?;
    let layers: Vec<&dyn Layer> = model.layers().collect();
    let ops = operations(model);
    if model.kind() == ModelKind::Sequential {
        let input = shapes.inputs.first().ok_or_else(|| Error::config("model", "a Sequential model without input"))?;
        let mut entries = vec![input_layer_entry(&input_name(model, 0), input, false)];
        for (i, l) in layers.iter().enumerate() {
            entries.push(layer_entry(*l, shapes.first_inputs(i))?);
        }
        return Ok(json!({
            "module": "keras", "class_name": "Sequential",
            "config": {"name": model.name(), "trainable": true, "dtype": dtype_policy(), "layers": entries,
                       "build_input_shape": shape_json(input)},
            "registered_name": null, "build_config": {"input_shape": shape_json(input)}, "compile_config": null,
        }));
    }
    let name_of = |t: &TensorRef| -> (String, usize, usize) {
        match *t {
            TensorRef::Input(i) => (input_name(model, i), 0, 0),
            TensorRef::Layer { layer, call, output } => {
                (layers.get(layer).map(|l| l.name().to_string()).unwrap_or_default(), call, output)
            }
        }
    };
    let tensor = |t: &TensorRef| -> Result<Value> {
        let (n, node, idx) = name_of(t);
        Ok(json!({"class_name": "__keras_tensor__",
                  "config": {"shape": shape_json(&shapes.spec(t)?), "dtype": "float32", "keras_history": [n, node, idx]}}))
    };
    let calls = model.layer_calls();
    let mut entries = Vec::new();
    for op in ops {
        match op {
            Op::Input(i) => entries.push(input_layer_entry(&input_name(model, i), &shapes.inputs[i], true)),
            Op::Layer(li) => {
                let layer = layers[li];
                let mut e = layer_entry(layer, shapes.first_inputs(li))?;
                let mut nodes = Vec::new();
                for c in calls.iter().filter(|c| c.layer == li) {
                    let args: Vec<Value> = c.inputs.iter().map(&tensor).collect::<Result<_>>()?;
                    // Merge layers (and models with several inputs) take one list argument.
                    let many = args.len() > 1 || is_list_input(layer);
                    let args = if many { json!([args]) } else { Value::Array(args) };
                    nodes.push(json!({"args": args, "kwargs": {}}));
                }
                e["name"] = json!(layer.name());
                e["inbound_nodes"] = Value::Array(nodes);
                entries.push(e);
            }
        }
    }
    let refs =
        |ts: Vec<Value>| if ts.len() == 1 { ts.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(ts) };
    let input_layers: Vec<Value> = (0..shapes.inputs.len()).map(|i| json!([input_name(model, i), 0, 0])).collect();
    let output_layers: Vec<Value> = model.output_refs().iter().map(|t| json!(name_of(t))).collect();
    Ok(json!({
        "module": "keras.src.models.functional", "class_name": "Functional",
        "config": {"name": model.name(), "trainable": true, "layers": entries,
                   "input_layers": refs(input_layers), "output_layers": refs(output_layers)},
        "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": null,
    }))
}

/// Layers whose call takes a list even of one tensor.
fn is_list_input(layer: &dyn Layer) -> bool {
    matches!(layer.class_name(), "Add" | "Subtract" | "Multiply" | "Average" | "Maximum" | "Minimum" | "Concatenate")
}
