//! Building a fovea [`Model`] from a [`ModelSpec`]: `InputLayer`s become model inputs,
//! every other layer goes through the registry (nested models recursively), and a
//! Functional config's calls are replayed in Keras's order: layer by layer in config
//! order, each layer's calls in order, deferring a call until its inputs exist (so a
//! layer shared at different depths works), until nothing is left.

use std::collections::HashMap;

use fovea_core::Rng;
use fovea_nn::model::{Functional, LayerId, Sequential, SymbolicTensor};
use fovea_nn::{Layer, Model, ShapeSpec};
use serde_json::Value;

use crate::config::args::Args;
use crate::config::objects::dtype_name;
use crate::config::{LayerSpec, ModelKind, ModelSpec, NodeSpec, TensorRef};
use crate::registry::build_layer;
use crate::{Error, Result};

/// Builds the model a config describes, with freshly initialised weights (drawn from
/// a fixed seed; loading replaces them).
pub fn build_model(spec: &ModelSpec) -> Result<Model> {
    build(spec, &mut Rng::new(0))
}

fn build(spec: &ModelSpec, rng: &mut Rng) -> Result<Model> {
    match spec.kind {
        ModelKind::Sequential => build_sequential(spec, rng),
        ModelKind::Functional => build_functional(spec, rng),
    }
}

fn at_model(spec: &ModelSpec) -> String {
    format!("model '{}'", spec.name)
}

/// A layer (or nested model) from its entry.
fn make_layer(l: &LayerSpec, spec: &ModelSpec, rng: &mut Rng) -> Result<Box<dyn Layer>> {
    if let Some(nested) = &l.nested {
        let mut m = build(nested, rng)?;
        Layer::set_name(&mut m, &l.name);
        return Ok(Box::new(m));
    }
    build_layer(Args::new(l.describe(), &l.class_name, &l.config, spec.dialect), &l.name)
}

/// A Keras shape list (`[null, 8, 8, 3]`) as a spec; the batch axis is left unknown
/// so any batch size runs.
fn shape_spec(v: &Value, at: &str, with_batch: bool) -> Result<ShapeSpec> {
    let dims = v.as_array().ok_or_else(|| Error::config(at, format!("a shape must be a list, got {v}")))?;
    let mut out: Vec<Option<usize>> = dims
        .iter()
        .map(|d| match d {
            Value::Null => Ok(None),
            d => d
                .as_u64()
                .map(|n| Some(n as usize))
                .ok_or_else(|| Error::config(at, format!("bad dimension {d} in shape {v}"))),
        })
        .collect::<Result<_>>()?;
    if !with_batch {
        out.insert(0, None);
    }
    match out.first_mut() {
        Some(b) => *b = None,
        None => return Err(Error::config(at, format!("shape {v} has no batch axis"))),
    }
    Ok(ShapeSpec(out))
}

/// The spec an `InputLayer` declares (and checks the rest of its config).
fn input_layer_spec(l: &LayerSpec, spec: &ModelSpec) -> Result<ShapeSpec> {
    let a = Args::new(l.describe(), &l.class_name, &l.config, spec.dialect);
    let s = if let Some(v) = a.opt("batch_shape").or_else(|| a.opt("batch_input_shape")) {
        shape_spec(v, a.at(), true)?
    } else if let Some(v) = a.opt("shape").or_else(|| a.opt("input_shape")) {
        shape_spec(v, a.at(), false)?
    } else {
        return Err(a.err("InputLayer has no batch_shape"));
    };
    if let Some(v) = a.opt("dtype") {
        let d = dtype_name(&a, v)?;
        // Integer inputs (token ids) arrive as floats and are exact below 2^24.
        if !(d.starts_with("float") || d.starts_with("int") || d.starts_with("uint")) {
            return Err(a.unsupported(format!("input dtype '{d}' is not supported")));
        }
    }
    for k in ["sparse", "ragged", "optional"] {
        a.require(k, |v| v == &Value::Bool(false), "fovea takes dense, required inputs")?;
    }
    a.ignore(&["batch_size"]);
    a.finish()?;
    Ok(s)
}

fn build_sequential(spec: &ModelSpec, rng: &mut Rng) -> Result<Model> {
    let mut layers = spec.layers.iter().peekable();
    let input = match layers.peek() {
        Some(l) if l.class_name == "InputLayer" => {
            let s = input_layer_spec(l, spec)?;
            layers.next();
            s
        }
        first => sequential_input(spec, first.copied())?,
    };
    let mut seq = Sequential::with_input_spec(input);
    if !spec.name.is_empty() {
        seq = seq.name(&spec.name);
    }
    for l in layers {
        if l.class_name == "InputLayer" {
            return Err(Error::config(l.describe(), "an InputLayer may only come first in a Sequential model"));
        }
        seq = seq.add_boxed(make_layer(l, spec, rng)?);
    }
    Ok(seq.build(rng)?)
}

/// The input of a Sequential config without an `InputLayer`: Keras 3's
/// `build_input_shape`, or Keras 2's shape hints on the first layer.
fn sequential_input(spec: &ModelSpec, first: Option<&LayerSpec>) -> Result<ShapeSpec> {
    let at = at_model(spec);
    if let Some(v) = &spec.build_input_shape {
        return shape_spec(v, &at, true);
    }
    if let Some(l) = first {
        let c = &l.config;
        if let Some(v) = c.get("batch_input_shape").or_else(|| c.get("batch_shape")).filter(|v| !v.is_null()) {
            return shape_spec(v, &l.describe(), true);
        }
        if let Some(v) = c.get("input_shape").filter(|v| !v.is_null()) {
            return shape_spec(v, &l.describe(), false);
        }
        if let Some(d) = c.get("input_dim").and_then(Value::as_u64) {
            return Ok(ShapeSpec::batched(&[d as usize]));
        }
    }
    Err(Error::config(at, "the Sequential model was never built: it has no InputLayer and no build_input_shape"))
}

fn build_functional(spec: &ModelSpec, rng: &mut Rng) -> Result<Model> {
    let at = at_model(spec);
    let mut f = Functional::new(&spec.name);
    // Outputs of every replayed call: (layer name, call index) -> tensors.
    let mut produced: HashMap<(String, usize), Vec<SymbolicTensor>> = HashMap::new();
    // Inputs are declared in `input_layers` order: that is the model's input order.
    for r in &spec.inputs {
        let l = spec
            .layers
            .iter()
            .find(|l| l.name == r.layer && l.class_name == "InputLayer")
            .ok_or_else(|| Error::config(&at, format!("input '{}' is not an InputLayer of the model", r.layer)))?;
        if produced.contains_key(&(r.layer.clone(), 0)) {
            return Err(Error::config(&at, format!("input '{}' is listed twice", r.layer)));
        }
        let t = f.input_spec(&l.name, input_layer_spec(l, spec)?);
        produced.insert((r.layer.clone(), 0), vec![t]);
    }
    let mut pending: Vec<(LayerId, &LayerSpec, &[NodeSpec])> = Vec::new();
    for l in &spec.layers {
        if l.class_name == "InputLayer" {
            if !produced.contains_key(&(l.name.clone(), 0)) {
                return Err(Error::config(l.describe(), "is not among the model's input_layers"));
            }
            continue;
        }
        let id = f.add_boxed(make_layer(l, spec, rng)?);
        pending.push((id, l, &l.inbound));
    }
    let mut calls: HashMap<&str, usize> = HashMap::new();
    while pending.iter().any(|(_, _, nodes)| !nodes.is_empty()) {
        let mut progress = false;
        for (id, l, nodes) in pending.iter_mut() {
            while let Some(node) = nodes.first() {
                let Some(inputs) = resolve(&produced, &node.inputs) else { break };
                check_kwargs(l, node)?;
                let outputs = f.call(*id, &inputs)?;
                let n = calls.entry(l.name.as_str()).or_insert(0);
                produced.insert((l.name.clone(), *n), outputs);
                *n += 1;
                *nodes = &nodes[1..];
                progress = true;
            }
        }
        if !progress {
            let stuck: Vec<String> = pending
                .iter()
                .filter_map(|(_, l, nodes)| {
                    nodes.first().map(|n| format!("{} waiting for {}", l.describe(), refs(&n.inputs)))
                })
                .collect();
            return Err(Error::config(&at, format!("the graph has a loop or a missing tensor: {}", stuck.join("; "))));
        }
    }
    let outputs = resolve(&produced, &spec.outputs).ok_or_else(|| {
        Error::config(&at, format!("output_layers name tensors no call produced: {}", refs(&spec.outputs)))
    })?;
    Ok(f.build(&outputs, rng)?)
}

fn resolve(
    produced: &HashMap<(String, usize), Vec<SymbolicTensor>>,
    refs: &[TensorRef],
) -> Option<Vec<SymbolicTensor>> {
    refs.iter().map(|r| produced.get(&(r.layer.clone(), r.node)).and_then(|ts| ts.get(r.tensor)).copied()).collect()
}

fn refs(refs: &[TensorRef]) -> String {
    refs.iter().map(|r| format!("[{}, {}, {}]", r.layer, r.node, r.tensor)).collect::<Vec<_>>().join(", ")
}

/// Keyword arguments of a call: only those that do not change an inference result.
fn check_kwargs(l: &LayerSpec, node: &NodeSpec) -> Result<()> {
    for (k, v) in &node.kwargs {
        let harmless = match k.as_str() {
            // No masks flow in fovea; an explicit null mask is the same thing.
            "mask" => v.is_null() || v.as_array().is_some_and(|m| m.iter().all(Value::is_null)),
            // Forcing training=True would keep dropout and batch statistics on.
            "training" => v.is_null() || v == &Value::Bool(false),
            _ => false,
        };
        if !harmless {
            return Err(Error::unsupported(l.describe(), format!("call argument {k}={v} is not supported")));
        }
    }
    Ok(())
}
