//! Building a model as a graph of layer calls (Keras's functional API).

use std::collections::{HashMap, HashSet};

use fovea_core::Rng;

use super::{InputDef, Model, ModelKind, Node, NodeOp};
use crate::layer::{describe, snake_case};
use crate::{Error, Layer, Result, ShapeSpec};

/// A tensor in a graph under construction: output `index` of graph node `node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SymbolicTensor {
    pub(crate) node: usize,
    pub(crate) index: usize,
}

/// A layer added to a [`Functional`] builder; call it several times to share weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayerId(usize);

/// Builds a graph of layer calls: inputs, then layers applied to symbolic tensors,
/// then [`Functional::build`] with the outputs. Shapes are inferred as each call is
/// added, so a layer that cannot take its input fails right there, naming itself.
///
/// ```
/// use fovea_nn::model::Functional;
/// use fovea_nn::layers::Dense;
/// let mut f = Functional::new("two_towers");
/// let a = f.input(&[8]);
/// let b = f.input(&[8]);
/// let shared = f.add(Dense::new(4));
/// let ya = f.call(shared, &[a])?[0];
/// let yb = f.call(shared, &[b])?[0];
/// let model = f.build(&[ya, yb], &mut fovea_core::Rng::new(0))?;
/// assert_eq!(model.count_params(), 36); // one kernel and bias, used twice
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub struct Functional {
    name: String,
    kind: ModelKind,
    inputs: Vec<InputDef>,
    layers: Vec<Box<dyn Layer>>,
    /// Input shapes of each layer's first call: what it is built for.
    first_call: Vec<Option<Vec<ShapeSpec>>>,
    calls: Vec<usize>,
    nodes: Vec<Node>,
    input_nodes: Vec<usize>,
    used_names: HashMap<String, usize>,
}

impl Functional {
    /// An empty graph; an empty `name` becomes Keras's default, `functional`.
    pub fn new(name: &str) -> Self {
        Self::with_kind(if name.is_empty() { "functional" } else { name }, ModelKind::Functional)
    }

    pub(crate) fn with_kind(name: &str, kind: ModelKind) -> Self {
        Functional {
            name: name.to_string(),
            kind,
            inputs: Vec::new(),
            layers: Vec::new(),
            first_call: Vec::new(),
            calls: Vec::new(),
            nodes: Vec::new(),
            input_nodes: Vec::new(),
            used_names: HashMap::new(),
        }
    }

    /// Keras's default naming: `conv2d`, then `conv2d_1`, `conv2d_2`, ...
    fn unique_name(&mut self, base: &str) -> String {
        let n = self.used_names.entry(base.to_string()).or_insert(0);
        let name = if *n == 0 { base.to_string() } else { format!("{base}_{n}") };
        *n += 1;
        name
    }

    /// A model input of per-sample shape `shape` (the batch axis is added, unknown).
    pub fn input(&mut self, shape: &[usize]) -> SymbolicTensor {
        self.input_spec("", ShapeSpec::batched(shape))
    }

    /// An input named `name` (Keras's `Input(shape, name=...)`) of per-sample shape
    /// `shape`: `fit` and `predict` take its data by this name.
    pub fn named_input(&mut self, name: &str, shape: &[usize]) -> SymbolicTensor {
        self.input_spec(name, ShapeSpec::batched(shape))
    }

    /// A named input with a full spec (including the batch axis).
    pub fn input_spec(&mut self, name: &str, spec: ShapeSpec) -> SymbolicTensor {
        let name = if name.is_empty() { self.unique_name("input_layer") } else { name.to_string() };
        self.inputs.push(InputDef { name, spec: spec.clone() });
        self.nodes.push(Node { op: NodeOp::Input(self.inputs.len() - 1), inputs: Vec::new(), outputs: vec![spec] });
        self.input_nodes.push(self.nodes.len() - 1);
        SymbolicTensor { node: self.nodes.len() - 1, index: 0 }
    }

    /// Adds a layer without calling it; unnamed layers get Keras's default name.
    pub fn add(&mut self, layer: impl Layer + 'static) -> LayerId {
        self.add_boxed(Box::new(layer))
    }

    /// Adds an already boxed layer (a layer made at run time, e.g. from a Keras
    /// config, or a built [`Model`] used as a layer).
    pub fn add_boxed(&mut self, mut layer: Box<dyn Layer>) -> LayerId {
        if layer.name().is_empty() {
            let name = self.unique_name(&snake_case(layer.class_name()));
            layer.set_name(&name);
            if layer.name() != name {
                // A custom layer that keeps no name: the model keeps it.
                layer = Box::new(Named { name, inner: layer });
            }
        }
        self.layers.push(layer);
        self.first_call.push(None);
        self.calls.push(0);
        LayerId(self.layers.len() - 1)
    }

    /// The shape of a symbolic tensor.
    pub fn spec(&self, t: SymbolicTensor) -> Option<&ShapeSpec> {
        self.nodes.get(t.node).and_then(|n| n.outputs.get(t.index))
    }

    /// Calls `layer` on `inputs`, returning its outputs.
    pub fn call(&mut self, layer: LayerId, inputs: &[SymbolicTensor]) -> Result<Vec<SymbolicTensor>> {
        let l = self.layers.get(layer.0).ok_or_else(|| self.error(format!("unknown layer id {}", layer.0)))?;
        let specs: Vec<ShapeSpec> = inputs
            .iter()
            .map(|&t| self.spec(t).cloned().ok_or_else(|| self.error("a symbolic tensor from another graph was used")))
            .collect::<Result<_>>()?;
        let outputs = l.output_shape(&specs).map_err(|e| e.in_layer(&describe(l.as_ref())))?;
        match &self.first_call[layer.0] {
            None => self.first_call[layer.0] = Some(specs),
            Some(first) if !same_sample_shapes(first, &specs) => {
                return Err(Error::Layer {
                    layer: describe(l.as_ref()),
                    msg: format!(
                        "a shared layer must see one input shape: first called on {}, now on {}",
                        list(first),
                        list(&specs)
                    ),
                });
            }
            Some(_) => {}
        }
        let call = self.calls[layer.0];
        self.calls[layer.0] += 1;
        let n = outputs.len();
        self.nodes.push(Node { op: NodeOp::Call { layer: layer.0, call }, inputs: inputs.to_vec(), outputs });
        let node = self.nodes.len() - 1;
        Ok((0..n).map(|index| SymbolicTensor { node, index }).collect())
    }

    /// Adds `layer` and calls it once; for layers with one output.
    pub fn apply(&mut self, layer: impl Layer + 'static, inputs: &[SymbolicTensor]) -> Result<SymbolicTensor> {
        self.apply_boxed(Box::new(layer), inputs)
    }

    /// As [`Functional::apply`], for an already boxed layer.
    pub fn apply_boxed(&mut self, layer: Box<dyn Layer>, inputs: &[SymbolicTensor]) -> Result<SymbolicTensor> {
        let id = self.add_boxed(layer);
        let mut out = self.call(id, inputs)?;
        if out.len() != 1 {
            let l = &self.layers[id.0];
            return Err(Error::Layer {
                layer: describe(l.as_ref()),
                msg: format!("has {} outputs; use call() to get all of them", out.len()),
            });
        }
        Ok(out.remove(0))
    }

    fn error(&self, msg: impl Into<String>) -> Error {
        Error::Model { model: self.name.clone(), msg: msg.into() }
    }

    /// Builds every layer for the shapes it was first called on (drawing initial
    /// weights from `rng`) and returns the model with these outputs. All inputs
    /// declared on the builder are the model's inputs.
    pub fn build(mut self, outputs: &[SymbolicTensor], rng: &mut Rng) -> Result<Model> {
        if self.inputs.is_empty() {
            return Err(self.error("has no inputs"));
        }
        if outputs.is_empty() {
            return Err(self.error("has no outputs"));
        }
        if let Some(o) = outputs.iter().find(|&&o| self.spec(o).is_none()) {
            return Err(self.error(format!("output {o:?} is not a tensor of this graph")));
        }
        let mut seen = HashSet::new();
        for name in self.inputs.iter().map(|i| i.name.as_str()).chain(self.layers.iter().map(|l| l.name())) {
            if !seen.insert(name.to_string()) {
                return Err(self.error(format!("all layer names must be unique, but '{name}' is used twice")));
            }
        }
        for (layer, first) in self.layers.iter_mut().zip(&self.first_call) {
            let Some(specs) = first else {
                return Err(Error::Layer { layer: describe(layer.as_ref()), msg: "was added but never called".into() });
            };
            let d = describe(layer.as_ref());
            layer.build(specs, rng).map_err(|e| e.in_layer(&d))?;
        }
        let frozen = vec![false; self.layers.len()];
        Ok(Model {
            frozen,
            name: self.name,
            kind: self.kind,
            inputs: self.inputs,
            layers: self.layers,
            nodes: self.nodes,
            input_nodes: self.input_nodes,
            outputs: outputs.to_vec(),
        })
    }
}

/// Equal apart from the batch axis.
fn same_sample_shapes(a: &[ShapeSpec], b: &[ShapeSpec]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.rank() == y.rank() && x.dims()[1..] == y.dims()[1..])
}

fn list(specs: &[ShapeSpec]) -> String {
    specs.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

/// A layer and the name the model gave it, for layers that keep no name themselves.
struct Named {
    name: String,
    inner: Box<dyn Layer>,
}

impl Layer for Named {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        self.inner.class_name()
    }
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        self.inner.output_shape(inputs)
    }
    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        self.inner.build(inputs, rng)
    }
    fn call(&self, inputs: &[fovea_core::Tensor], ctx: &mut crate::CallContext) -> Result<Vec<fovea_core::Tensor>> {
        self.inner.call(inputs, ctx)
    }
    fn weights(&self) -> Vec<&crate::Variable> {
        self.inner.weights()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self.inner.as_any()
    }
}
