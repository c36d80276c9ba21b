//! Recurrent layers: `SimpleRNN`, `LSTM` and `GRU`, with Keras 3's cells and its `RNN`
//! wrapper's sequence options (`return_sequences`, `return_state`, `go_backwards`).
//!
//! All three compute the input projection `x @ kernel (+ bias)` for every timestep in
//! one matmul before the loop; each step then adds the recurrent projection of the
//! previous state. Everything is built from core ops, so autodiff runs through time.
//!
//! # Shapes
//! Input `(batch, timesteps, features)`. Output `(batch, units)` (the last processed
//! step) or, with `return_sequences`, `(batch, timesteps, units)` in processing order
//! (reversed when `go_backwards`, as Keras returns it). With `return_state` the final
//! states follow as extra outputs: `h` for `SimpleRNN` and `GRU`, `h, c` for `LSTM`,
//! each `(batch, units)`.

mod gru;
mod lstm;
mod simple_rnn;

pub use gru::{GRUConfig, GRU};
pub use lstm::{LSTMConfig, LSTM};
pub use simple_rnn::{SimpleRNN, SimpleRNNConfig};

use fovea_core::{Shape, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::dim_known;
use crate::{CallContext, Layer, Regularizer, Result, ShapeSpec, Variable};

/// The weights a cell computes with: the layer's variables in a call, or plain tensors
/// in tests that differentiate with respect to them.
pub(crate) struct Params<'a> {
    /// `(features, gates * units)`.
    pub kernel: &'a Tensor,
    /// `(units, gates * units)`.
    pub recurrent_kernel: &'a Tensor,
    /// `(gates * units,)`, or `(2, 3 * units)` for a `reset_after` GRU.
    pub bias: Option<&'a Tensor>,
}

impl<'a> Params<'a> {
    /// The variables of a built layer.
    pub fn of(
        layer: &dyn Layer,
        kernel: &'a Option<Variable>,
        recurrent_kernel: &'a Option<Variable>,
        bias: &'a Option<Variable>,
    ) -> Result<Self> {
        match (kernel, recurrent_kernel) {
            (Some(k), Some(r)) => {
                Ok(Params { kernel: k.value(), recurrent_kernel: r.value(), bias: bias.as_ref().map(|b| b.value()) })
            }
            _ => Err(layer_error(layer, "called before build")),
        }
    }
}

/// Keras's `RNN` arguments about the sequence, shared by the three layers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SequenceArgs {
    pub return_sequences: bool,
    pub return_state: bool,
    pub stateful: bool,
}

/// Keras clamps dropout rates into `[0, 1]` (`min(1, max(0, rate))`, NaN becoming 0).
pub(crate) fn clamp_rate(rate: f32) -> f32 {
    if rate > 0.0 {
        rate.min(1.0)
    } else {
        0.0
    }
}

/// Checks the configuration and the input spec; returns the number of features.
/// Keras raises for `units <= 0` in the constructor and for rank != 3 through its
/// `InputSpec(ndim=3)`; fovea reports both here, before any weight exists.
pub(crate) fn check_spec(layer: &dyn Layer, units: usize, seq: SequenceArgs, inputs: &[ShapeSpec]) -> Result<usize> {
    if units == 0 {
        return Err(layer_error(
            layer,
            "received an invalid value for argument `units`, expected a positive integer, got 0",
        ));
    }
    if seq.stateful {
        return Err(layer_error(
            layer,
            "stateful=true is not supported: fovea's recurrent layers keep no state between calls \
             (pass the sequence whole, or use stateful=false)",
        ));
    }
    let x = single(layer, inputs)?;
    if x.rank() != 3 {
        return Err(layer_error(
            layer,
            format!(
                "expected an input of rank 3 (batch, timesteps, features), found rank {}. Full shape received: {x}",
                x.rank()
            ),
        ));
    }
    dim_known(layer, x, -1)
}

/// The output specs: the output, then one `(batch, units)` per state if `return_state`.
pub(crate) fn output_specs(x: &ShapeSpec, units: usize, seq: SequenceArgs, states: usize) -> Vec<ShapeSpec> {
    let (batch, steps) = (x.0[0], x.0[1]);
    let out = if seq.return_sequences {
        ShapeSpec(vec![batch, steps, Some(units)])
    } else {
        ShapeSpec(vec![batch, Some(units)])
    };
    let n = if seq.return_state { states } else { 0 };
    std::iter::once(out).chain((0..n).map(|_| ShapeSpec(vec![batch, Some(units)]))).collect()
}

/// The single input of a call, checked against the kernel's feature count; returns
/// `(x, batch, timesteps)`.
pub(crate) fn call_input<'t>(
    layer: &dyn Layer,
    inputs: &'t [Tensor],
    features: usize,
) -> Result<(&'t Tensor, usize, usize)> {
    let x = single(layer, inputs)?;
    match *x.dims() {
        [b, t, f] if f == features && t > 0 => Ok((x, b, t)),
        [_, 0, f] if f == features => {
            Err(layer_error(layer, format!("needs at least one timestep, got an input of shape {}", x.shape())))
        }
        _ => Err(layer_error(
            layer,
            format!("expected an input of shape (batch, timesteps, {features}), got {}", x.shape()),
        )),
    }
}

/// Timestep indices in processing order.
pub(crate) fn time_order(steps: usize, go_backwards: bool) -> Vec<usize> {
    if go_backwards {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    }
}

/// Step `t` of a `(batch, timesteps, n)` tensor, as `(batch, n)` (a view).
pub(crate) fn step(xs: &Tensor, t: usize) -> Result<Tensor> {
    Ok(xs.narrow(1, t, 1)?.squeeze(1)?)
}

/// Keras's dropout masks for one call: `count` masks of `shape`, each entry `1 / (1 -
/// rate)` with probability `1 - rate`, else 0; all zeros for rate 1 (as
/// `backend.random.dropout` returns). `None` when no mask applies. The same masks serve
/// every timestep, as Keras's `DropoutRNNCell` caches them per call.
pub(crate) fn dropout_masks(
    ctx: &mut CallContext,
    shape: [usize; 2],
    rate: f32,
    active: bool,
    count: usize,
) -> Result<Option<Vec<Tensor>>> {
    if !(ctx.training && active) {
        return Ok(None);
    }
    let masks = (0..count)
        .map(|_| {
            if rate >= 1.0 {
                Tensor::zeros(Shape::new(shape))
            } else {
                ctx.rng.bernoulli(shape, 1.0 - rate)?.mul_scalar(1.0 / (1.0 - rate))
            }
        })
        .collect::<fovea_core::Result<Vec<_>>>()?;
    Ok(Some(masks))
}

/// Column block `g` of a `(rows, gates * units)` kernel (a view).
pub(crate) fn gate_cols(w: &Tensor, g: usize, units: usize) -> fovea_core::Result<Tensor> {
    w.narrow(-1, g * units, units)
}

/// `x @ kernel (+ bias)` for every timestep: `(batch, timesteps, gates * units)`.
/// With per-gate input masks (Keras's `implementation=1`, chosen when
/// `recurrent_dropout` is non-zero) each gate's block sees its own masked input;
/// a single mask multiplies the input once.
pub(crate) fn project_inputs(
    x: &Tensor,
    kernel: &Tensor,
    bias: Option<&Tensor>,
    masks: Option<&[Tensor]>,
    units: usize,
) -> Result<Tensor> {
    let xw = match masks {
        None => x.matmul(kernel)?,
        Some([m]) => x.mul(&m.unsqueeze(1)?)?.matmul(kernel)?,
        Some(ms) => {
            let blocks = ms
                .iter()
                .enumerate()
                .map(|(g, m)| x.mul(&m.unsqueeze(1)?)?.matmul(&gate_cols(kernel, g, units)?))
                .collect::<fovea_core::Result<Vec<_>>>()?;
            Tensor::concat(&blocks.iter().collect::<Vec<_>>(), -1)?
        }
    };
    Ok(match bias {
        Some(b) => xw.add(b)?,
        None => xw,
    })
}

/// `h @ recurrent_kernel` for the first `gates` column blocks; with recurrent masks each
/// block uses its own masked state.
pub(crate) fn project_state(
    h: &Tensor,
    recurrent_kernel: &Tensor,
    masks: Option<&[Tensor]>,
    gates: usize,
    units: usize,
) -> Result<Tensor> {
    let all = recurrent_kernel.dims()[1] == gates * units;
    match masks {
        None if all => Ok(h.matmul(recurrent_kernel)?),
        None => Ok(h.matmul(&recurrent_kernel.narrow(1, 0, gates * units)?)?),
        Some(ms) => {
            let blocks = (0..gates)
                .map(|g| masked(h, ms, g)?.matmul(&gate_cols(recurrent_kernel, g, units)?))
                .collect::<fovea_core::Result<Vec<_>>>()?;
            Ok(Tensor::concat(&blocks.iter().collect::<Vec<_>>(), -1)?)
        }
    }
}

/// `h` times mask `g` (the only mask when there is one).
pub(crate) fn masked(h: &Tensor, masks: &[Tensor], g: usize) -> fovea_core::Result<Tensor> {
    h.mul(&masks[g.min(masks.len() - 1)])
}

/// The layer's outputs from the per-step outputs (processing order) and final states.
pub(crate) fn assemble(
    layer: &dyn Layer,
    outputs: Vec<Tensor>,
    states: Vec<Tensor>,
    seq: SequenceArgs,
) -> Result<Vec<Tensor>> {
    let out = if seq.return_sequences {
        Tensor::stack(&outputs.iter().collect::<Vec<_>>(), 1)?
    } else {
        outputs.last().cloned().ok_or_else(|| layer_error(layer, "no timestep was processed"))?
    };
    let mut all = vec![out];
    if seq.return_state {
        all.extend(states);
    }
    Ok(all)
}

/// Keras's `Layer.__call__` activity penalty: the regularizer on every output (states
/// included), each divided by that output's batch size.
pub(crate) fn activity_penalties(reg: &Option<Regularizer>, outputs: &[Tensor], ctx: &mut CallContext) -> Result<()> {
    for y in outputs {
        crate::layers::common::activity_penalty(reg, y, ctx)?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    //! Finite-difference checks of the weight gradients, which the public API cannot
    //! reach (a `Variable`'s tensor is its own leaf).
    use fovea_core::{check_gradients, GradCheck, Rng, Tensor};

    use super::Params;
    use crate::{CallContext, Result};

    /// Checks d(sum of outputs . r)/d(x, kernel, recurrent_kernel, bias) of `forward`.
    pub fn check_weight_gradients(
        shapes: &[&[usize]],
        forward: impl Fn(&Tensor, &Params, &mut CallContext) -> Result<Vec<Tensor>>,
    ) {
        let mut rng = Rng::new(7);
        let vals: Vec<Tensor> = shapes.iter().map(|s| rng.normal(s.to_vec(), 0.0, 0.6).unwrap()).collect();
        let f = |v: &[Tensor]| -> fovea_core::Result<Tensor> {
            let mut r = Rng::new(0);
            let mut ctx = CallContext::new(false, &mut r);
            let p = Params { kernel: &v[1], recurrent_kernel: &v[2], bias: v.get(3) };
            let ys = forward(&v[0], &p, &mut ctx)
                .map_err(|e| fovea_core::Error::Argument { op: "rnn", msg: e.to_string() })?;
            // One scalar-valued projection of all outputs, so state gradients count too.
            let flat: Vec<Tensor> = ys.iter().map(|y| y.reshape([y.numel()])).collect::<fovea_core::Result<_>>()?;
            Tensor::concat(&flat.iter().collect::<Vec<_>>(), 0)
        };
        let n = check_gradients(f, &vals, GradCheck::default()).unwrap();
        assert_eq!(n, vals.iter().map(|v| v.numel()).sum::<usize>());
    }
}
