//! `SimpleRNN`: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

use std::any::Any;

use fovea_core::{Rng, Tensor};

use super::{
    assemble, call_input, check_spec, clamp_rate, dropout_masks, output_specs, project_inputs, project_state, step,
    time_order, Params, SequenceArgs,
};
use crate::layers::common::kernel_variable;
use crate::{Activation, CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `SimpleRNN` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleRNNConfig {
    /// Size of the state and the output.
    pub units: usize,
    /// Applied to each new state (default tanh).
    pub activation: Activation,
    /// Whether to add a bias (default true).
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
    /// Accepted but, as in Keras 3.15.1, never applied: Keras's `SimpleRNN` does not pass
    /// it on to its base layer (its `get_config()` even reports `None`).
    pub activity_regularizer: Option<Regularizer>,
    /// Projection of the kernel after each update.
    pub kernel_constraint: Option<Constraint>,
    /// Projection of the recurrent kernel after each update.
    pub recurrent_constraint: Option<Constraint>,
    /// Projection of the bias after each update.
    pub bias_constraint: Option<Constraint>,
    /// Fraction of the input features dropped in training (one mask per call, shared by
    /// all timesteps; clamped into `[0, 1]` as Keras does; 1 drops everything).
    pub dropout: f32,
    /// Fraction of the previous state dropped in training, likewise.
    pub recurrent_dropout: f32,
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

impl Default for SimpleRNNConfig {
    fn default() -> Self {
        SimpleRNNConfig {
            units: 0,
            activation: Activation::Tanh,
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
            return_sequences: false,
            return_state: false,
            go_backwards: false,
            stateful: false,
            unroll: false,
            seed: None,
        }
    }
}

/// A fully connected recurrent layer whose output is fed back as the next state.
///
/// # Shapes
/// Input `(batch, timesteps, features)`; kernel `(features, units)`, recurrent_kernel
/// `(units, units)`, bias `(units,)`. Output `(batch, units)`, or `(batch, timesteps,
/// units)` with `return_sequences`; `return_state` appends the final state `(batch,
/// units)`.
pub struct SimpleRNN {
    name: String,
    config: SimpleRNNConfig,
    kernel: Option<Variable>,
    recurrent_kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl SimpleRNN {
    /// A layer of `units` with Keras's other defaults.
    pub fn new(units: usize) -> Self {
        Self::with_config(SimpleRNNConfig { units, ..Default::default() })
    }

    /// A layer from a full configuration.
    pub fn with_config(config: SimpleRNNConfig) -> Self {
        SimpleRNN { name: String::new(), config, kernel: None, recurrent_kernel: None, bias: None }
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
    pub fn config(&self) -> &SimpleRNNConfig {
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
        // SimpleRNNCell applies a mask whenever its rate is positive (rate 1 zeroes).
        let (rate, rec_rate) = (clamp_rate(c.dropout), clamp_rate(c.recurrent_dropout));
        let dp = dropout_masks(ctx, [batch, features], rate, rate > 0.0, 1)?;
        let rdp = dropout_masks(ctx, [batch, u], rec_rate, rec_rate > 0.0, 1)?;
        // (batch, timesteps, units)
        let xw = project_inputs(x, p.kernel, p.bias, dp.as_deref(), u)?;
        let mut h = Tensor::zeros([batch, u])?;
        let mut outputs = Vec::with_capacity(steps);
        for t in time_order(steps, c.go_backwards) {
            let z = step(&xw, t)?.add(&project_state(&h, p.recurrent_kernel, rdp.as_deref(), 1, u)?)?;
            h = c.activation.apply(&z)?;
            outputs.push(h.clone());
        }
        assemble(self, outputs, vec![h], self.seq())
    }
}

impl Layer for SimpleRNN {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "SimpleRNN"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        check_spec(self, self.config.units, self.seq(), inputs)?;
        Ok(output_specs(&inputs[0], self.config.units, self.seq(), 1))
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        let f = check_spec(self, self.config.units, self.seq(), inputs)?;
        let c = &self.config;
        let u = c.units;
        let kernel =
            kernel_variable("kernel", &[f, u], &c.kernel_initializer, c.kernel_regularizer, &c.kernel_constraint, rng)?;
        let recurrent = kernel_variable(
            "recurrent_kernel",
            &[u, u],
            &c.recurrent_initializer,
            c.recurrent_regularizer,
            &c.recurrent_constraint,
            rng,
        )?;
        let bias = if c.use_bias {
            Some(kernel_variable("bias", &[u], &c.bias_initializer, c.bias_regularizer, &c.bias_constraint, rng)?)
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
        // No activity penalty: Keras 3.15.1's SimpleRNN drops its activity_regularizer.
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
        for (go_backwards, use_bias) in [(false, true), (true, false)] {
            let layer = SimpleRNN::with_config(SimpleRNNConfig {
                units: 3,
                go_backwards,
                use_bias,
                return_sequences: true,
                return_state: true,
                ..Default::default()
            });
            let bias: &[usize] = &[3];
            let shapes: Vec<&[usize]> =
                [&[2, 3, 2][..], &[2, 3], &[3, 3]].into_iter().chain(use_bias.then_some(bias)).collect();
            check_weight_gradients(&shapes, |x, p, ctx| layer.forward(std::slice::from_ref(x), p, ctx));
        }
    }
}
