//! A Keras model config as plain data: the layers in config order, each with its
//! class, its own `config` object and the calls (inbound nodes) that wire it, plus the
//! model's inputs and outputs. Both of Keras's wirings are read here:
//!
//! - Keras 3: `inbound_nodes: [{"args": [...], "kwargs": {...}}]`, tensors as
//!   `{"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}`;
//! - Keras 2: `inbound_nodes: [[[layer, node, index, kwargs], ...]]`.
//!
//! Node indices are normalized to "the n-th call of that layer in this model". Keras
//! counts a nested model's own construction as a node in some places (Keras 2
//! everywhere, Keras 3 only in `input_layers`/`output_layers` and only for
//! `Functional`), so those references are shifted down by one here.

use serde_json::{Map, Value};

use super::args::Dialect;
use crate::{Error, Result};

/// How the model's layers are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A stack: each layer takes the previous one's output.
    Sequential,
    /// A graph wired by inbound nodes.
    Functional,
}

/// A model config.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Sequential or Functional.
    pub kind: ModelKind,
    /// The model's name.
    pub name: String,
    /// The layers in config order (`InputLayer`s included).
    pub layers: Vec<LayerSpec>,
    /// Functional: the model inputs, in order.
    pub inputs: Vec<TensorRef>,
    /// Functional: the model outputs, in order.
    pub outputs: Vec<TensorRef>,
    /// Sequential: Keras 3's `build_input_shape`, used when no `InputLayer` is listed.
    pub build_input_shape: Option<Value>,
    /// Which Keras wrote it.
    pub dialect: Dialect,
}

/// One layer entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    /// Keras's class name (`Conv2D`, `InputLayer`, `Sequential`, ...).
    pub class_name: String,
    /// The layer's name.
    pub name: String,
    /// The layer's own `config` object.
    pub config: Map<String, Value>,
    /// Functional: the calls of this layer, in order.
    pub inbound: Vec<NodeSpec>,
    /// For a nested model (`Sequential`, `Functional`, Keras 2's `Model`), its config.
    pub nested: Option<Box<ModelSpec>>,
}

/// One call of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    /// The tensors passed, flattened (a merge layer's list is its inputs in order).
    pub inputs: Vec<TensorRef>,
    /// Keyword arguments that are not tensors (`training`, `mask`).
    pub kwargs: Map<String, Value>,
}

/// Output `tensor` of call `node` of layer `layer`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorRef {
    /// The producing layer's name.
    pub layer: String,
    /// Which call of it (0 = the first call in this model).
    pub node: usize,
    /// Which of that call's outputs.
    pub tensor: usize,
}

impl ModelSpec {
    /// A name for each model output: the producing layer's name, or `<layer>_<k>` for
    /// the k-th of several outputs that come from one layer (an LSTM's `return_state`,
    /// a nested model called twice). A Sequential model's one output is named after
    /// its last layer.
    pub fn output_names(&self) -> Vec<String> {
        match self.kind {
            ModelKind::Sequential => {
                vec![self
                    .layers
                    .iter()
                    .rev()
                    .find(|l| l.class_name != "InputLayer")
                    .map_or_else(String::new, |l| l.name.clone())]
            }
            ModelKind::Functional => self
                .outputs
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let same = |x: &&TensorRef| x.layer == o.layer;
                    if self.outputs.iter().filter(same).count() > 1 {
                        format!("{}_{}", o.layer, self.outputs[..i].iter().filter(same).count())
                    } else {
                        o.layer.clone()
                    }
                })
                .collect(),
        }
    }
}

impl LayerSpec {
    /// `layer 'conv2d_1' (Conv2D)`, how errors name a layer.
    pub fn describe(&self) -> String {
        format!("layer '{}' ({})", self.name, self.class_name)
    }
}

/// Parses a model config (the whole `config.json`). `dialect` overrides detection:
/// a config whose layer entries carry `module` keys, or whose nodes use Keras 3's
/// `args` form, is Keras 3; otherwise Keras 2.
pub fn parse_config(json: &str, dialect: Option<Dialect>) -> Result<ModelSpec> {
    let v: Value =
        serde_json::from_str(json).map_err(|e| Error::config("config.json", format!("is not valid JSON: {e}")))?;
    let dialect = dialect.unwrap_or_else(|| detect(&v));
    parse_model(&v, "config.json", dialect)
}

fn detect(v: &Value) -> Dialect {
    let layers = v.get("config").and_then(|c| c.get("layers").or(Some(c))).and_then(Value::as_array);
    let keras3 = v.get("module").is_some()
        || layers.is_some_and(|ls| {
            ls.iter().any(|l| {
                l.get("module").is_some()
                    || l.get("inbound_nodes").and_then(Value::as_array).is_some_and(|n| n.iter().any(Value::is_object))
            })
        });
    if keras3 {
        Dialect::Keras3
    } else {
        Dialect::Keras2
    }
}

fn obj<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| Error::config(at, format!("must be an object, got {}", short(v))))
}

/// A value for an error message, cut to a readable length.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}...", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

fn is_model_class(class: &str) -> bool {
    matches!(class, "Sequential" | "Functional" | "Model")
}

/// A `{"class_name": "Sequential" | "Functional" | "Model", "config": {...}}` object.
fn parse_model(v: &Value, at: &str, dialect: Dialect) -> Result<ModelSpec> {
    let top = obj(v, at)?;
    let class = top.get("class_name").and_then(Value::as_str).ok_or_else(|| Error::config(at, "has no class_name"))?;
    let config = top.get("config").ok_or_else(|| Error::config(at, "has no config"))?;
    let kind = match class {
        "Sequential" => ModelKind::Sequential,
        "Functional" | "Model" => ModelKind::Functional,
        other => {
            return Err(Error::unsupported(
                at,
                format!("model class '{other}' is not supported (only Sequential and Functional models)"),
            ))
        }
    };
    // Keras 2.2's Sequential config was the bare list of layers.
    let (name, layers_v, cfg) = match config {
        Value::Array(_) => (String::new(), config, None),
        Value::Object(c) => (
            c.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            c.get("layers").ok_or_else(|| Error::config(at, "model config has no 'layers'"))?,
            Some(c),
        ),
        other => return Err(Error::config(at, format!("model config must be an object, got {}", short(other)))),
    };
    let at = if name.is_empty() { at.to_string() } else { format!("model '{name}'") };
    let entries = layers_v.as_array().ok_or_else(|| Error::config(&at, "'layers' must be a list"))?;
    let mut layers = entries
        .iter()
        .enumerate()
        .map(|(i, e)| parse_layer(e, &format!("{at} layers[{i}]"), kind, dialect))
        .collect::<Result<Vec<_>>>()?;
    let mut spec = ModelSpec {
        kind,
        name,
        layers: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        build_input_shape: cfg.and_then(|c| c.get("build_input_shape")).filter(|v| !v.is_null()).cloned(),
        dialect,
    };
    if kind == ModelKind::Functional {
        let c = cfg.ok_or_else(|| Error::config(&at, "a Functional config must be an object"))?;
        for (key, list) in [("input_layers", &mut spec.inputs), ("output_layers", &mut spec.outputs)] {
            let v = c.get(key).ok_or_else(|| Error::config(&at, format!("has no '{key}'")))?;
            tensor_refs(v, &format!("{at} {key}"), list)?;
        }
        shift_construction_nodes(&mut spec, &mut layers);
    }
    spec.layers = layers;
    Ok(spec)
}

/// Keras counts a nested model's construction as its node 0 in Keras 2 wiring and in
/// Keras 3's `input_layers`/`output_layers` for `Functional`; make every index count
/// calls in this model.
fn shift_construction_nodes(spec: &mut ModelSpec, layers: &mut [LayerSpec]) {
    let shifted = |l: &LayerSpec, in_io: bool| -> bool {
        let Some(nested) = &l.nested else { return false };
        match spec.dialect {
            Dialect::Keras2 => nested.layers.first().is_some_and(|f| f.class_name == "InputLayer"),
            Dialect::Keras3 => in_io && l.class_name != "Sequential",
        }
    };
    let fix = |r: &mut TensorRef, layers: &[LayerSpec], in_io: bool| {
        if r.node > 0 && layers.iter().any(|l| l.name == r.layer && shifted(l, in_io)) {
            r.node -= 1;
        }
    };
    for r in spec.inputs.iter_mut().chain(spec.outputs.iter_mut()) {
        fix(r, layers, true);
    }
    let snapshot: Vec<LayerSpec> = layers.iter().map(|l| LayerSpec { inbound: Vec::new(), ..l.clone() }).collect();
    for l in layers.iter_mut() {
        for n in &mut l.inbound {
            for r in &mut n.inputs {
                fix(r, &snapshot, false);
            }
        }
    }
}

fn parse_layer(v: &Value, at: &str, kind: ModelKind, dialect: Dialect) -> Result<LayerSpec> {
    let e = obj(v, at)?;
    let class_name = e
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::config(at, "layer entry has no class_name"))?;
    let config = match e.get("config") {
        Some(Value::Object(c)) => c.clone(),
        Some(Value::Array(_)) if is_model_class(class_name) => Map::new(),
        _ => return Err(Error::config(at, format!("{class_name} entry has no config object"))),
    };
    let name = e.get("name").or_else(|| config.get("name")).and_then(Value::as_str).unwrap_or_default().to_string();
    let at = format!("{at} '{name}' ({class_name})");
    let nested = if is_model_class(class_name) { Some(Box::new(parse_model(v, &at, dialect)?)) } else { None };
    let mut inbound = Vec::new();
    if kind == ModelKind::Functional {
        let nodes = e
            .get("inbound_nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::config(&at, "has no inbound_nodes list"))?;
        for (i, n) in nodes.iter().enumerate() {
            inbound.push(parse_node(n, &format!("{at} inbound_nodes[{i}]"))?);
        }
    }
    Ok(LayerSpec { class_name: class_name.to_string(), name, config, inbound, nested })
}

fn parse_node(v: &Value, at: &str) -> Result<NodeSpec> {
    let mut node = NodeSpec { inputs: Vec::new(), kwargs: Map::new() };
    match v {
        // Keras 3: {"args": [...], "kwargs": {...}}.
        Value::Object(m) => {
            let args = m.get("args").ok_or_else(|| Error::config(at, "node has no 'args'"))?;
            keras_tensors(args, at, &mut node.inputs)?;
            if let Some(kw) = m.get("kwargs") {
                for (k, v) in obj(kw, at)? {
                    let mut found = Vec::new();
                    keras_tensors(v, at, &mut found).ok();
                    if !found.is_empty() {
                        return Err(Error::unsupported(at, format!("tensor keyword argument '{k}' is not supported")));
                    }
                    node.kwargs.insert(k.clone(), v.clone());
                }
            }
        }
        // Keras 2: [[layer, node, tensor, kwargs], ...].
        Value::Array(entries) => {
            for e in entries {
                let parts = e.as_array().ok_or_else(|| Error::config(at, format!("bad node entry {}", short(e))))?;
                node.inputs.push(tensor_ref(&parts[..parts.len().min(3)], at)?);
                if let Some(kw) = parts.get(3) {
                    for (k, v) in obj(kw, at)? {
                        node.kwargs.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        other => return Err(Error::config(at, format!("bad inbound node {}", short(other)))),
    }
    Ok(node)
}

/// Collects the `__keras_tensor__` objects in `v` (nested lists and dicts flattened in
/// order); anything else but `null` is an error.
fn keras_tensors(v: &Value, at: &str, out: &mut Vec<TensorRef>) -> Result<()> {
    match v {
        Value::Array(items) => items.iter().try_for_each(|x| keras_tensors(x, at, out)),
        Value::Object(m) if m.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") => {
            let h = m
                .get("config")
                .and_then(|c| c.get("keras_history"))
                .and_then(Value::as_array)
                .ok_or_else(|| Error::config(at, "keras tensor without keras_history"))?;
            out.push(tensor_ref(h, at)?);
            Ok(())
        }
        Value::Object(m) if !m.contains_key("class_name") => m.values().try_for_each(|x| keras_tensors(x, at, out)),
        other => Err(Error::unsupported(at, format!("call argument {} is not a tensor", short(other)))),
    }
}

fn tensor_ref(parts: &[Value], at: &str) -> Result<TensorRef> {
    let bad = || Error::config(at, format!("bad tensor reference {}", short(&Value::Array(parts.to_vec()))));
    match parts {
        [Value::String(layer), node, tensor] => Ok(TensorRef {
            layer: layer.clone(),
            node: node.as_u64().ok_or_else(bad)? as usize,
            tensor: tensor.as_u64().ok_or_else(bad)? as usize,
        }),
        _ => Err(bad()),
    }
}

/// `input_layers` / `output_layers`: one `[name, node, index]` or nested lists (or a
/// dict) of them, flattened in order, as Keras's `map_tensors` walks them.
fn tensor_refs(v: &Value, at: &str, out: &mut Vec<TensorRef>) -> Result<()> {
    match v {
        Value::Array(items) if items.len() == 3 && items[0].is_string() => {
            out.push(tensor_ref(items, at)?);
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|x| tensor_refs(x, at, out)),
        Value::Object(m) => m.values().try_for_each(|x| tensor_refs(x, at, out)),
        other => Err(Error::config(at, format!("bad tensor reference {}", short(other)))),
    }
}
