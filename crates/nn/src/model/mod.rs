//! Models: a graph of layer calls built either as a [`Sequential`] stack or with the
//! [`Functional`] builder (several inputs and outputs, shared layers). Both produce a
//! [`Model`], which runs the graph, owns the layers, and prints Keras's `summary()`.

mod functional;
mod nested;
mod sequential;
mod summary;

pub use functional::{Functional, LayerId, SymbolicTensor};
pub use sequential::Sequential;

use fovea_core::{Rng, Tensor};

use crate::layer::describe;
use crate::{CallContext, Error, Layer, Result, ShapeSpec, Variable};

/// How the model was made; Keras prints the two kinds differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A linear stack: `summary()` lists no input row.
    Sequential,
    /// A graph: `summary()` lists the input layers too.
    Functional,
}

/// An input of a model (Keras's `InputLayer`).
#[derive(Clone, Debug)]
pub(crate) struct InputDef {
    name: String,
    spec: ShapeSpec,
}

/// One step of the graph.
#[derive(Clone, Debug)]
pub(crate) enum NodeOp {
    /// Model input `i`.
    Input(usize),
    /// A call of layer `layer`; `call` counts that layer's calls (Keras's node index).
    Call { layer: usize, call: usize },
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    op: NodeOp,
    inputs: Vec<SymbolicTensor>,
    outputs: Vec<ShapeSpec>,
}

/// Where a tensor of a model's graph comes from (Keras's `keras_history`): what an
/// exporter needs to write `inbound_nodes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TensorRef {
    /// Model input `i` (in [`Model::input_names`] order).
    Input(usize),
    /// Output `output` of the `call`-th call (0-based: Keras's node index) of layer
    /// `layer` (an index into [`Model::layers`]).
    Layer {
        /// Index of the layer.
        layer: usize,
        /// Which call of that layer.
        call: usize,
        /// Which of that call's outputs.
        output: usize,
    },
}

/// One call of a layer in a model's graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerCall {
    /// Index of the layer in [`Model::layers`].
    pub layer: usize,
    /// Which call of that layer (0 for the first).
    pub call: usize,
    /// The tensors passed to it, in order.
    pub inputs: Vec<TensorRef>,
}

/// A built model: layers, the graph of their calls, and its inputs and outputs.
///
/// A `Model` runs ([`Model::forward`], [`Model::call`]) and prints its
/// [`summary`](Model::summary); to train it, call [`compile`](Model::compile) first,
/// which gives the [`CompiledModel`](crate::training::CompiledModel) that has `fit`,
/// `evaluate` and `predict`, as in Keras.
///
/// ```
/// use fovea_core::{Rng, Tensor};
/// use fovea_nn::layers::Dense;
/// use fovea_nn::losses::MeanSquaredError;
/// use fovea_nn::optimizers::SGD;
/// use fovea_nn::Sequential;
/// let model = Sequential::new(&[2]).add(Dense::new(1)).build(&mut Rng::new(0))?;
/// let y = model.forward(&Tensor::ones([3, 2])?, false, &mut Rng::new(0))?; // inference
/// assert_eq!(y.dims(), &[3, 1]);
/// let compiled = model.compile(SGD::default(), MeanSquaredError, ()); // to train
/// assert_eq!(compiled.model().count_params(), 3);
/// # Ok::<(), fovea_nn::Error>(())
/// ```
pub struct Model {
    name: String,
    kind: ModelKind,
    inputs: Vec<InputDef>,
    layers: Vec<Box<dyn Layer>>,
    /// In topological order (construction order).
    nodes: Vec<Node>,
    /// Node ids of the inputs, in input order.
    #[allow(dead_code)] // kept for export to Keras configs (input_layers)
    input_nodes: Vec<usize>,
    outputs: Vec<SymbolicTensor>,
    /// Layers whose weights optimizers leave alone (Keras's `layer.trainable = False`).
    frozen: Vec<bool>,
}

impl Model {
    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sequential or Functional.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The layers in order (input layers are not included).
    pub fn layers(&self) -> impl Iterator<Item = &dyn Layer> {
        self.layers.iter().map(|l| l.as_ref())
    }

    /// The layer called `name`.
    pub fn layer(&self, name: &str) -> Option<&dyn Layer> {
        self.layers().find(|l| l.name() == name)
    }

    /// The shapes the model accepts, one per input.
    pub fn input_specs(&self) -> Vec<ShapeSpec> {
        self.inputs.iter().map(|i| i.spec.clone()).collect()
    }

    /// The names of the inputs (Keras's input layer names).
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs.iter().map(|i| i.name.as_str()).collect()
    }

    /// The shapes the model produces, one per output.
    pub fn output_specs(&self) -> Vec<ShapeSpec> {
        self.outputs.iter().map(|o| self.nodes[o.node].outputs[o.index].clone()).collect()
    }

    /// The names of the outputs, in output order (Keras's `model.output_names`): the
    /// name of the layer that makes each one. Logs of a multi-output model are prefixed
    /// with them (`class_loss`), and `fit` takes targets by them. An output taken twice
    /// from one layer (several outputs of an LSTM) is told apart by its index,
    /// `lstm_1`.
    pub fn output_names(&self) -> Vec<String> {
        let base: Vec<(String, usize)> = self
            .outputs
            .iter()
            .map(|o| match self.nodes[o.node].op {
                NodeOp::Input(i) => (self.inputs[i].name.clone(), o.index),
                NodeOp::Call { layer, .. } => (self.layers[layer].name().to_string(), o.index),
            })
            .collect();
        base.iter()
            .map(|(name, index)| {
                if base.iter().filter(|(n, _)| n == name).count() > 1 && *index > 0 {
                    format!("{name}_{index}")
                } else {
                    name.clone()
                }
            })
            .collect()
    }

    /// All weights in Keras's order: layer by layer, each layer's own order.
    pub fn weights(&self) -> Vec<&Variable> {
        self.layers.iter().flat_map(|l| l.weights()).collect()
    }

    /// The weights optimizers update: the trainable weights of layers that are not
    /// frozen.
    pub fn trainable_weights(&self) -> Vec<&Variable> {
        self.weights_where(true)
    }

    /// The weights optimizers leave alone: batch-norm moving statistics, and every
    /// weight of a frozen layer.
    pub fn non_trainable_weights(&self) -> Vec<&Variable> {
        self.weights_where(false)
    }

    fn weights_where(&self, trainable: bool) -> Vec<&Variable> {
        self.layers
            .iter()
            .zip(&self.frozen)
            .flat_map(|(l, &frozen)| l.weights().into_iter().filter(move |w| (w.trainable() && !frozen) == trainable))
            .collect()
    }

    /// Freezes (`false`) or unfreezes the layer `layer`, Keras's `layer.trainable =
    /// False`: a frozen layer's weights move to the non-trainable ones, so `fit` and
    /// [`Optimizer::step`](crate::Optimizer::step) leave them alone (fine-tuning a
    /// network's head on a frozen base). A frozen batch normalization still uses batch
    /// statistics in training mode, which Keras 3 does not; freeze with the model in
    /// inference, or do not freeze it.
    pub fn set_trainable(&mut self, layer: &str, trainable: bool) -> Result<()> {
        let i = self.layers.iter().position(|l| l.name() == layer).ok_or_else(|| {
            let names: Vec<&str> = self.layers.iter().map(|l| l.name()).collect();
            self.error(format!("no layer named '{layer}'; the layers are: {}", names.join(", ")))
        })?;
        self.frozen[i] = !trainable;
        Ok(())
    }

    /// Whether optimizers update the layer's weights (false once frozen).
    pub fn is_trainable(&self, layer: &str) -> Option<bool> {
        self.layers.iter().position(|l| l.name() == layer).map(|i| !self.frozen[i])
    }

    /// Total number of scalars in all weights.
    pub fn count_params(&self) -> usize {
        self.weights().iter().map(|w| w.numel()).sum()
    }

    /// Copies of all weights, in [`Model::weights`] order. Real copies: optimizers
    /// update the variables in place, and a snapshot must not follow them.
    pub fn get_weights(&self) -> Result<Vec<Tensor>> {
        self.weights().iter().map(|w| Ok(Tensor::from_vec(w.value().to_vec_f32()?, w.dims())?)).collect()
    }

    /// Loads all weights, in [`Model::weights`] order; counts and shapes must match.
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        let weights = self.weights();
        if weights.len() != values.len() {
            return Err(self.error(format!("expected {} weight arrays, got {}", weights.len(), values.len())));
        }
        for (w, v) in weights.iter().zip(values) {
            w.assign(v)?;
        }
        Ok(())
    }

    /// Loads one layer's weights (in that layer's Keras order).
    pub fn set_layer_weights(&self, layer: &str, values: &[Tensor]) -> Result<()> {
        let l = self.layer(layer).ok_or_else(|| self.error(format!("no layer named '{layer}'")))?;
        let weights = l.weights();
        if weights.len() != values.len() {
            return Err(Error::Layer {
                layer: describe(l),
                msg: format!("expected {} weight arrays, got {}", weights.len(), values.len()),
            });
        }
        for (w, v) in weights.iter().zip(values) {
            w.assign(v).map_err(|e| e.in_layer(&describe(l)))?;
        }
        Ok(())
    }

    /// Every layer call in the order the graph runs them (a topological order).
    pub fn layer_calls(&self) -> Vec<LayerCall> {
        self.nodes
            .iter()
            .filter_map(|n| match n.op {
                NodeOp::Call { layer, call } => {
                    Some(LayerCall { layer, call, inputs: n.inputs.iter().map(|t| self.tensor_ref(*t)).collect() })
                }
                NodeOp::Input(_) => None,
            })
            .collect()
    }

    /// Where each model output comes from, in output order.
    pub fn output_refs(&self) -> Vec<TensorRef> {
        self.outputs.iter().map(|t| self.tensor_ref(*t)).collect()
    }

    fn tensor_ref(&self, t: SymbolicTensor) -> TensorRef {
        match self.nodes[t.node].op {
            NodeOp::Input(i) => TensorRef::Input(i),
            NodeOp::Call { layer, call } => TensorRef::Layer { layer, call, output: t.index },
        }
    }

    fn error(&self, msg: impl Into<String>) -> Error {
        Error::Model { model: self.name.clone(), msg: msg.into() }
    }

    /// Runs the graph on `inputs` (one tensor per model input) and returns the outputs.
    /// Input shapes are checked against the input specs. Runs on fovea's thread pool
    /// (see [`fovea_core::on_pool`]), so the layers' parallel kernels fork from inside it.
    pub fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        fovea_core::on_pool(|| self.call_here(inputs, ctx))
    }

    fn call_here(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        if inputs.len() != self.inputs.len() {
            return Err(self.error(format!("expects {} inputs, got {}", self.inputs.len(), inputs.len())));
        }
        for (def, x) in self.inputs.iter().zip(inputs) {
            if !def.spec.accepts(x.shape()) {
                return Err(self.error(format!(
                    "input '{}' expects shape {}, got {}",
                    def.name,
                    def.spec,
                    ShapeSpec::of(x.shape())
                )));
            }
        }
        // How many later nodes (and outputs) read each node, so values can be dropped
        // as soon as nothing needs them: inference memory stays at the live frontier.
        let mut uses = vec![0usize; self.nodes.len()];
        for n in &self.nodes {
            for t in &n.inputs {
                uses[t.node] += 1;
            }
        }
        for o in &self.outputs {
            uses[o.node] += 1;
        }
        let mut values: Vec<Option<Vec<Tensor>>> = vec![None; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            let out = match node.op {
                NodeOp::Input(i) => vec![inputs[i].clone()],
                NodeOp::Call { layer, .. } => {
                    let args: Vec<Tensor> = node
                        .inputs
                        .iter()
                        .map(|t| {
                            values[t.node].as_ref().and_then(|v| v.get(t.index)).cloned().ok_or_else(|| {
                                self.error(format!("internal: node {} read before it was computed", t.node))
                            })
                        })
                        .collect::<Result<_>>()?;
                    for t in &node.inputs {
                        uses[t.node] -= 1;
                        if uses[t.node] == 0 {
                            values[t.node] = None;
                        }
                    }
                    let l = &self.layers[layer];
                    let out = l.call(&args, ctx).map_err(|e| e.in_layer(&describe(l.as_ref())))?;
                    check_outputs(l.as_ref(), &node.outputs, &out)?;
                    out
                }
            };
            values[id] = Some(out);
        }
        self.outputs
            .iter()
            .map(|o| {
                values[o.node]
                    .as_ref()
                    .and_then(|v| v.get(o.index))
                    .cloned()
                    .ok_or_else(|| self.error("internal: output not computed"))
            })
            .collect()
    }

    /// One input, one output: `model(x)`.
    pub fn forward(&self, x: &Tensor, training: bool, rng: &mut Rng) -> Result<Tensor> {
        let mut ctx = CallContext::new(training, rng);
        let mut out = self.call(std::slice::from_ref(x), &mut ctx)?;
        if out.len() != 1 {
            return Err(self.error(format!("forward() needs a single-output model; this one has {}", out.len())));
        }
        Ok(out.remove(0))
    }

    /// Keras's `model.summary()` table as a string (88 columns, or 108 with a
    /// "Connected to" column for non-sequential graphs).
    pub fn summary(&self) -> String {
        summary::render(self)
    }
}

/// A layer's outputs must be what its `output_shape` promised (the next layers were
/// built for those shapes); a custom layer that changes shapes without saying so is
/// caught here, by name.
fn check_outputs(layer: &dyn Layer, specs: &[ShapeSpec], out: &[Tensor]) -> Result<()> {
    let fits = out.len() == specs.len() && specs.iter().zip(out).all(|(s, t)| s.accepts(t.shape()));
    if fits {
        return Ok(());
    }
    let got: Vec<String> = out.iter().map(|t| ShapeSpec::of(t.shape()).to_string()).collect();
    let want: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
    Err(Error::Layer {
        layer: describe(layer),
        msg: format!(
            "call returned {} but output_shape promised {}; implement Layer::output_shape for a layer that changes shapes",
            got.join(", "),
            want.join(", ")
        ),
    })
}
