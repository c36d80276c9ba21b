//! Reverse-mode automatic differentiation over the dynamic graph.
//!
//! An op whose inputs track gradients returns a tensor carrying a `Node`: the op's
//! name, its inputs and a backward closure holding what it saved. `loss.backward()`
//! walks the nodes in reverse topological order, accumulating gradients, and frees each
//! node's saved tensors as it goes (like PyTorch without `retain_graph`).

mod gradcheck;

pub use gradcheck::{check_gradients, GradCheck};

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::{Error, Result, Tensor, TensorId};

/// Computes the gradients of an op's inputs from the gradient of its output.
/// `needs[i]` says whether input `i` wants a gradient, so that unused ones (e.g. the
/// grad-input of a network's first layer) are not computed. Returns one entry per input.
pub(crate) type BackwardFn = Box<dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

/// How a tensor takes part in autodiff.
pub(crate) enum GradKind {
    /// Constant: no gradient flows here.
    None,
    /// A variable whose gradient is collected.
    Leaf,
    /// The output of a recorded op.
    Op(Arc<Node>),
}

/// One recorded op.
pub(crate) struct Node {
    name: &'static str,
    state: Mutex<Option<NodeState>>,
}

struct NodeState {
    inputs: Vec<Tensor>,
    backward: BackwardFn,
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread record the graph.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Runs `f` without recording any op (inference, optimizer updates).
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}

/// Runs `f` with graph recording set to `enabled` on this thread, then restores it.
pub(crate) fn with_grad_enabled<R>(enabled: bool, f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|g| g.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|g| g.replace(enabled)));
    f()
}

/// Disables graph recording on this thread until dropped.
pub struct NoGradGuard {
    previous: bool,
}

impl NoGradGuard {
    /// Turns recording off until the guard is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let previous = GRAD_ENABLED.with(|g| g.replace(false));
        NoGradGuard { previous }
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Attaches a backward to `output` if recording is on and any input tracks gradients.
/// `make_backward` is only called when the op is recorded.
pub(crate) fn record(
    output: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    make_backward: impl FnOnce() -> BackwardFn,
) -> Tensor {
    if !is_grad_enabled() || !inputs.iter().any(|t| t.tracks_grad()) {
        return output;
    }
    let state = NodeState { inputs: inputs.iter().map(|t| (*t).clone()).collect(), backward: make_backward() };
    output.with_node(Node { name, state: Mutex::new(Some(state)) })
}

/// Gradients from one backward pass, keyed by the variables they belong to.
#[derive(Default)]
pub struct Gradients {
    grads: HashMap<TensorId, Tensor>,
}

impl Gradients {
    /// The gradient of the loss with respect to `var`, if it took part in the loss.
    pub fn get(&self, var: &Tensor) -> Option<&Tensor> {
        self.grads.get(&var.id())
    }

    /// Takes the gradient of `var` out of the store.
    pub fn remove(&mut self, var: &Tensor) -> Option<Tensor> {
        self.grads.remove(&var.id())
    }

    /// Number of variables with a gradient.
    pub fn len(&self) -> usize {
        self.grads.len()
    }

    /// True when no variable received a gradient.
    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }
}

impl Tensor {
    /// Gradients of this scalar with respect to every variable it depends on.
    /// Frees the graph: a second call on the same graph is an error.
    pub fn backward(&self) -> Result<Gradients> {
        if self.numel() != 1 {
            return Err(Error::Autodiff(format!(
                "the loss must have one element, got shape {}; reduce it first or use backward_with_grad",
                self.shape()
            )));
        }
        let seed = Tensor::ones(self.shape().clone())?;
        self.backward_with_grad(&seed)
    }

    /// Backward from a given output gradient `grad` (same shape as this tensor).
    pub fn backward_with_grad(&self, grad: &Tensor) -> Result<Gradients> {
        // The backward's kernels fork from inside the pool (see `on_pool`).
        crate::on_pool(|| self.backward_here(grad))
    }

    fn backward_here(&self, grad: &Tensor) -> Result<Gradients> {
        if grad.shape() != self.shape() {
            return Err(Error::Autodiff(format!(
                "seed gradient of shape {} for a tensor of shape {}",
                grad.shape(),
                self.shape()
            )));
        }
        let mut out = Gradients::default();
        if !self.tracks_grad() {
            return Err(Error::Autodiff("this tensor does not depend on any variable that requires a gradient".into()));
        }
        let order = topological_order(self);
        let mut pending: HashMap<TensorId, Tensor> = HashMap::new();
        pending.insert(self.id(), grad.detach());
        let _no_grad = NoGradGuard::new();
        for t in order {
            let Some(g) = pending.remove(&t.id()) else { continue };
            match t.grad_kind() {
                GradKind::Leaf => accumulate(&mut out.grads, t.id(), g)?,
                GradKind::None => {}
                GradKind::Op(node) => {
                    let state = node.state.lock().unwrap_or_else(|e| e.into_inner()).take().ok_or_else(|| {
                        Error::Autodiff(format!(
                            "the graph through `{}` was already freed by an earlier backward",
                            node.name
                        ))
                    })?;
                    let needs: Vec<bool> = state.inputs.iter().map(|i| i.tracks_grad()).collect();
                    let input_grads = (state.backward)(&g, &needs)?;
                    if input_grads.len() != state.inputs.len() {
                        return Err(Error::Autodiff(format!(
                            "internal: `{}` returned {} gradients for {} inputs",
                            node.name,
                            input_grads.len(),
                            state.inputs.len()
                        )));
                    }
                    for ((input, gi), need) in state.inputs.iter().zip(input_grads).zip(needs) {
                        let Some(gi) = gi else { continue };
                        if !need {
                            continue;
                        }
                        if gi.shape() != input.shape() {
                            return Err(Error::Autodiff(format!(
                                "internal: `{}` gave a gradient of shape {} for an input of shape {}",
                                node.name,
                                gi.shape(),
                                input.shape()
                            )));
                        }
                        accumulate(&mut pending, input.id(), gi)?;
                    }
                }
            }
        }
        Ok(out)
    }
}

fn accumulate(map: &mut HashMap<TensorId, Tensor>, id: TensorId, g: Tensor) -> Result<()> {
    match map.remove(&id) {
        Some(prev) => {
            map.insert(id, prev.add(&g)?);
        }
        None => {
            map.insert(id, g);
        }
    }
    Ok(())
}

/// Tensors reachable from `root` through recorded nodes, each before all of its inputs.
/// Iterative, so that long graphs (unrolled RNNs) cannot overflow the stack.
fn topological_order(root: &Tensor) -> Vec<Tensor> {
    let mut post = Vec::new();
    let mut seen: HashSet<TensorId> = HashSet::new();
    // (tensor, children pushed?)
    let mut stack = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            post.push(t);
            continue;
        }
        if !seen.insert(t.id()) {
            continue;
        }
        let inputs: Vec<Tensor> = match t.grad_kind() {
            GradKind::Op(node) => node
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|s| s.inputs.iter().filter(|i| i.tracks_grad()).cloned().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        stack.push((t, true));
        for i in inputs {
            if !seen.contains(&i.id()) {
                stack.push((i, false));
            }
        }
    }
    post.reverse();
    post
}
