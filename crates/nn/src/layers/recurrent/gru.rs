//! `GRU`: gated recurrent unit with Keras's gate order `z, r, h`, in both of Keras's
//! variants (`reset_after` true, the default and cuDNN's, or false, the original).

use std::any::Any;

use fovea_core::{Rng, Tensor};

use super::{
    activity_penalties, assemble, call_input, check_spec, clamp_rate, dropout_masks, gate_cols, masked, output_specs,
    project_inputs, project_state, step, time_order, Params, SequenceArgs,
};
use crate::layers::common::kernel_variable;
use crate::{Activation, CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `GRU` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct GRUConfig {
    /// Size of the state and the output.
    pub units: usize,
    /// Applied to the candidate state (default tanh).
    pub activation: Activation,
    /// Applied to the update and reset gates (default sigmoid).
    pub recurrent_activation: Activation,
    /// Whether to add biases (default true).
    pub use_bias: bool,
    /// Default `glorot_uniform`.
    pub kernel_initializer: Initializer,
    /// Default `orthogonal` (gain 1).
    pub recurrent_initializer: Initializer,
    /// Default zeros.
    pub bias_initializer: Initializer,
    /// Penalty on the kernel.
    pub kernel_regularizer: Option<Regularizer>,
    /// Penalty on the recurrent kernel.
    pub recurrent_regularizer: Option<Regularizer>,
    /// Penalty on the bias.
    pub bias_regularizer: Option<Regularizer>,
    /// Penalty on every output (the state too, with `return_state`), each divided by
    /// the batch size, as Keras's `Layer.__call__` adds it.
    pub activity_regularizer: Option<Regularizer>,
    /// Projection of the kernel after each update.
    pub kernel_constraint: Option<Constraint>,
    /// Projection of the recurrent kernel after each update.
    pub recurrent_constraint: Option<Constraint>,
    /// Projection of the bias after each update.
    pub bias_constraint: Option<Constraint>,
    /// Fraction of the input features dropped in training (masks drawn once per call;
    /// applied only for rates strictly between 0 and 1, as Keras's cell does).
    pub dropout: f32,
    /// Fraction of the previous state dropped in training, likewise. When non-zero,
    /// each gate gets its own input and recurrent mask (Keras's `implementation=1`).
    pub recurrent_dropout: f32,
    /// Apply the reset gate after the recurrent matmul (default true), with separate
    /// input and recurrent biases `(2, 3 * units)`; false applies it to the state before
    /// the matmul, with one bias `(3 * units,)`.
    pub reset_after: bool,
    /// Return the whole output sequence instead of the last output.
    pub return_sequences: bool,
    /// Also return the final state.
    pub return_state: bool,
    /// Process the sequence from the last timestep to the first (the returned sequence
    /// stays in processing order, i.e. reversed).
    pub go_backwards: bool,
    /// Not supported: `build` and `output_shape` return an error when true.
    pub stateful: bool,
    /// Accepted for Keras compatibility; fovea always runs the same loop.
    pub unroll: bool,
    /// Keras's dropout seed, kept for configs; fovea draws masks from the call's rng.
    pub seed: Option<u64>,
}

impl Default for GRUConfig {
    fn default() -> Self {
        GRUConfig {
            units: 0,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            use_bias: true,
            kernel_initializer: Initializer::glorot_uniform(),
            recurrent_initializer: Initializer::Orthogonal { gain: 1.0 },
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            recurrent_regularizer: None,
            bias_regularizer: None,
            activity_regularizer: None,
            kernel_constraint: None,
            recurrent_constraint: None,
            bias_constraint: None,
            dropout: 0.0,
            recurrent_dropout: 0.0,
            reset_after: true,
            return_sequences: false,
            return_state: false,
            go_backwards: false,
            stateful: false,
            unroll: false,
            seed: None,
        }
    }
}

/// Gated recurrent unit (Cho et al., 2014) as Keras computes it (`ra` is
/// `recurrent_activation`, `W`/`U` the kernel and recurrent kernel blocks):
///
/// ```text
/// z = ra(x W_z + b_z + h U_z + b'_z)    r = ra(x W_r + b_r + h U_r + b'_r)
/// reset_after:   hh = act(x W_h + b_h + r * (h U_h + b'_h))
/// reset before:  hh = act(x W_h + b_h + (r * h) U_h)        (no b')
/// h = z * h + (1 - z) * hh
/// ```
///
/// # Shapes
/// Input `(batch, timesteps, features)`; kernel `(features, 3 * units)`,
/// recurrent_kernel `(units, 3 * units)` (column blocks z, r, h); bias `(2, 3 * units)`
/// (row 0 input, row 1 recurrent) with `reset_after`, else `(3 * units,)`. Output
/// `(batch, units)`, or `(batch, timesteps, units)` with `return_sequences`;
/// `return_state` appends the final state `(batch, units)`.
#[allow(clippy::upper_case_acronyms)] // Keras's class name
pub struct GRU {
    name: String,
    config: GRUConfig,
    kernel: Option<Variable>,
    recurrent_kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl GRU {
    /// A layer of `units` with Keras's other defaults.
    pub fn new(units: usize) -> Self {
        Self::with_config(GRUConfig { units, ..Default::default() })
    }

    /// A layer from a full configuration.
    pub fn with_config(config: GRUConfig) -> Self {
        GRU { name: String::new(), config, kernel: None, recurrent_kernel: None, bias: None }
    }

    /// Sets `return_sequences` (builder style).
    pub fn return_sequences(mut self, on: bool) -> Self {
        self.config.return_sequences = on;
        self
    }

    /// Sets `return_state` (builder style).
    pub fn return_state(mut self, on: bool) -> Self {
        self.config.return_state = on;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &GRUConfig {
        &self.config
    }

    fn seq(&self) -> SequenceArgs {
        let c = &self.config;
        SequenceArgs { return_sequences: c.return_sequences, return_state: c.return_state, stateful: c.stateful }
    }

    /// The forward pass with explicit weights.
    pub(crate) fn forward(&self, inputs: &[Tensor], p: &Params, ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let c = &self.config;
        let u = c.units;
        let features = p.kernel.dims()[0];
        let (x, batch, steps) = call_input(self, inputs, features)?;
        let (rate, rec_rate) = (clamp_rate(c.dropout), clamp_rate(c.recurrent_dropout));
        // As in LSTMCell: a mask per gate once recurrent_dropout is non-zero, and masks
        // only for rates strictly inside (0, 1).
        let count = if rec_rate != 0.0 { 3 } else { 1 };
        let dp = dropout_masks(ctx, [batch, features], rate, rate > 0.0 && rate < 1.0, count)?;
        let rdp = dropout_masks(ctx, [batch, u], rec_rate, rec_rate > 0.0 && rec_rate < 1.0, 3)?;
        let (input_bias, recurrent_bias) = match p.bias {
            Some(b) if c.reset_after => (Some(b.narrow(0, 0, 1)?.squeeze(0)?), Some(b.narrow(0, 1, 1)?.squeeze(0)?)),
            Some(b) => (Some(b.clone()), None),
            None => (None, None),
        };
        // (batch, timesteps, 3 * units)
        let xw = project_inputs(x, p.kernel, input_bias.as_ref(), dp.as_deref(), u)?;
        // Only the reset-before variant multiplies by this block alone (a view either way).
        let candidate_kernel = gate_cols(p.recurrent_kernel, 2, u)?;
        let mut h = Tensor::zeros([batch, u])?;
        let mut outputs = Vec::with_capacity(steps);
        for t in time_order(steps, c.go_backwards) {
            let xs = step(&xw, t)?.split(&[u, u, u], -1)?;
            let (z, hh) = if c.reset_after {
                // (batch, 3 * units): all three blocks, the reset gate applied after.
                let mut inner = project_state(&h, p.recurrent_kernel, rdp.as_deref(), 3, u)?;
                if let Some(b) = &recurrent_bias {
                    inner = inner.add(b)?;
                }
                let rs = inner.split(&[u, u, u], -1)?;
                let z = c.recurrent_activation.apply(&xs[0].add(&rs[0])?)?;
                let r = c.recurrent_activation.apply(&xs[1].add(&rs[1])?)?;
                (z, c.activation.apply(&xs[2].add(&r.mul(&rs[2])?)?)?)
            } else {
                // (batch, 2 * units): only z and r; the candidate sees the reset state.
                let inner = project_state(&h, p.recurrent_kernel, rdp.as_deref(), 2, u)?;
                let rs = inner.split(&[u, u], -1)?;
                let z = c.recurrent_activation.apply(&xs[0].add(&rs[0])?)?;
                let r = c.recurrent_activation.apply(&xs[1].add(&rs[1])?)?;
                let h_h = match &rdp {
                    Some(ms) => masked(&h, ms, 2)?,
                    None => h.clone(),
                };
                (z, c.activation.apply(&xs[2].add(&r.mul(&h_h)?.matmul(&candidate_kernel)?)?)?)
            };
            let keep = z.neg()?.add_scalar(1.0)?;
            h = z.mul(&h)?.add(&keep.mul(&hh)?)?;
            outputs.push(h.clone());
        }
        let ys = assemble(self, outputs, vec![h], self.seq())?;
        activity_penalties(&c.activity_regularizer, &ys, ctx)?;
        Ok(ys)
    }
}

impl Layer for GRU {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "GRU"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        check_spec(self, self.config.units, self.seq(), inputs)?;
        Ok(output_specs(&inputs[0], self.config.units, self.seq(), 1))
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        let f = check_spec(self, self.config.units, self.seq(), inputs)?;
        let c = &self.config;
        let u = c.units;
        let kernel = kernel_variable(
            "kernel",
            &[f, 3 * u],
            &c.kernel_initializer,
            c.kernel_regularizer,
            &c.kernel_constraint,
            rng,
        )?;
        let recurrent = kernel_variable(
            "recurrent_kernel",
            &[u, 3 * u],
            &c.recurrent_initializer,
            c.recurrent_regularizer,
            &c.recurrent_constraint,
            rng,
        )?;
        let bias_shape: &[usize] = if c.reset_after { &[2, 3 * u] } else { &[3 * u] };
        let bias = if c.use_bias {
            Some(kernel_variable("bias", bias_shape, &c.bias_initializer, c.bias_regularizer, &c.bias_constraint, rng)?)
        } else {
            None
        };
        self.kernel = Some(kernel);
        self.recurrent_kernel = Some(recurrent);
        self.bias = bias;
        Ok(())
    }

    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let p = Params::of(self, &self.kernel, &self.recurrent_kernel, &self.bias)?;
        self.forward(inputs, &p, ctx)
    }

    fn weights(&self) -> Vec<&Variable> {
        self.kernel.iter().chain(self.recurrent_kernel.iter()).chain(self.bias.iter()).collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::recurrent::testing::check_weight_gradients;

    #[test]
    fn weight_gradients_match_finite_differences() {
        for (reset_after, go_backwards, use_bias) in [(true, false, true), (false, true, true), (true, true, false)] {
            let layer = GRU::with_config(GRUConfig {
                units: 2,
                reset_after,
                go_backwards,
                use_bias,
                return_sequences: true,
                return_state: true,
                ..Default::default()
            });
            let bias: &[usize] = if reset_after { &[2, 6] } else { &[6] };
            let shapes: Vec<&[usize]> =
                [&[2, 3, 2][..], &[2, 6], &[2, 6]].into_iter().chain(use_bias.then_some(bias)).collect();
            check_weight_gradients(&shapes, |x, p, ctx| layer.forward(std::slice::from_ref(x), p, ctx));
        }
    }
}
