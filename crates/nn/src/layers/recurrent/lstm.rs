//! `LSTM`: long short-term memory with Keras's gate order `i, f, c, o`.

use std::any::Any;

use fovea_core::{Rng, Tensor};

use super::{
    activity_penalties, assemble, call_input, check_spec, clamp_rate, dropout_masks, output_specs, project_inputs,
    project_state, step, time_order, Params, SequenceArgs,
};
use crate::layers::common::kernel_variable;
use crate::{Activation, CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `LSTM` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct LSTMConfig {
    /// Size of the hidden and carry states and of the output.
    pub units: usize,
    /// Applied to the cell candidate and to the carry before the output gate
    /// (default tanh).
    pub activation: Activation,
    /// Applied to the input, forget and output gates (default sigmoid).
    pub recurrent_activation: Activation,
    /// Whether to add a bias (default true).
    pub use_bias: bool,
    /// Default `glorot_uniform`.
    pub kernel_initializer: Initializer,
    /// Default `orthogonal` (gain 1).
    pub recurrent_initializer: Initializer,
    /// Default zeros.
    pub bias_initializer: Initializer,
    /// Initialise the forget gate's bias block to ones, whatever `bias_initializer`
    /// says (default true).
    pub unit_forget_bias: bool,
    /// Penalty on the kernel.
    pub kernel_regularizer: Option<Regularizer>,
    /// Penalty on the recurrent kernel.
    pub recurrent_regularizer: Option<Regularizer>,
    /// Penalty on the bias.
    pub bias_regularizer: Option<Regularizer>,
    /// Penalty on every output (the states too, with `return_state`), each divided by
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
    /// Fraction of the previous hidden state dropped in training, likewise. When
    /// non-zero, each gate gets its own input and recurrent mask (Keras switches to
    /// `implementation=1`).
    pub recurrent_dropout: f32,
    /// Return the whole output sequence instead of the last output.
    pub return_sequences: bool,
    /// Also return the final hidden and carry states.
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

impl Default for LSTMConfig {
    fn default() -> Self {
        LSTMConfig {
            units: 0,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            use_bias: true,
            kernel_initializer: Initializer::glorot_uniform(),
            recurrent_initializer: Initializer::Orthogonal { gain: 1.0 },
            bias_initializer: Initializer::Zeros,
            unit_forget_bias: true,
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

/// Long short-term memory (Hochreiter & Schmidhuber, 1997) as Keras computes it:
///
/// ```text
/// z = x_t @ kernel + h @ recurrent_kernel + bias       split into i, f, g, o
/// c = ra(f) * c + ra(i) * act(g);   h = ra(o) * act(c)  (ra = recurrent_activation)
/// ```
///
/// # Shapes
/// Input `(batch, timesteps, features)`; kernel `(features, 4 * units)`,
/// recurrent_kernel `(units, 4 * units)`, bias `(4 * units,)`, each with column blocks
/// in the order i, f, c, o. Output `(batch, units)`, or `(batch, timesteps, units)`
/// with `return_sequences`; `return_state` appends `h` and `c`, each `(batch, units)`.
#[allow(clippy::upper_case_acronyms)] // Keras's class name
pub struct LSTM {
    name: String,
    config: LSTMConfig,
    kernel: Option<Variable>,
    recurrent_kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl LSTM {
    /// A layer of `units` with Keras's other defaults.
    pub fn new(units: usize) -> Self {
        Self::with_config(LSTMConfig { units, ..Default::default() })
    }

    /// A layer from a full configuration.
    pub fn with_config(config: LSTMConfig) -> Self {
        LSTM { name: String::new(), config, kernel: None, recurrent_kernel: None, bias: None }
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
    pub fn config(&self) -> &LSTMConfig {
        &self.config
    }

    fn seq(&self) -> SequenceArgs {
        let c = &self.config;
        SequenceArgs { return_sequences: c.return_sequences, return_state: c.return_state, stateful: c.stateful }
    }

    /// The bias's initial value: with `unit_forget_bias`, Keras concatenates
    /// `bias_initializer((units,))`, ones, and `bias_initializer((2 * units,))`.
    fn initial_bias(&self, rng: &mut Rng) -> Result<Tensor> {
        let c = &self.config;
        let u = c.units;
        if !c.unit_forget_bias {
            return Ok(c.bias_initializer.init(&[4 * u], rng)?);
        }
        let i = c.bias_initializer.init(&[u], rng)?;
        let f = Tensor::ones([u])?;
        let co = c.bias_initializer.init(&[2 * u], rng)?;
        Ok(Tensor::concat(&[&i, &f, &co], 0)?)
    }

    /// The forward pass with explicit weights.
    pub(crate) fn forward(&self, inputs: &[Tensor], p: &Params, ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let c = &self.config;
        let u = c.units;
        let features = p.kernel.dims()[0];
        let (x, batch, steps) = call_input(self, inputs, features)?;
        let (rate, rec_rate) = (clamp_rate(c.dropout), clamp_rate(c.recurrent_dropout));
        // Keras's LSTMCell uses implementation 1 (a mask per gate) once recurrent_dropout
        // is non-zero, and applies masks only for rates strictly inside (0, 1).
        let count = if rec_rate != 0.0 { 4 } else { 1 };
        let dp = dropout_masks(ctx, [batch, features], rate, rate > 0.0 && rate < 1.0, count)?;
        let rdp = dropout_masks(ctx, [batch, u], rec_rate, rec_rate > 0.0 && rec_rate < 1.0, 4)?;
        // (batch, timesteps, 4 * units)
        let xw = project_inputs(x, p.kernel, p.bias, dp.as_deref(), u)?;
        let mut h = Tensor::zeros([batch, u])?;
        let mut carry = Tensor::zeros([batch, u])?;
        let mut outputs = Vec::with_capacity(steps);
        for t in time_order(steps, c.go_backwards) {
            // (batch, 4 * units)
            let z = step(&xw, t)?.add(&project_state(&h, p.recurrent_kernel, rdp.as_deref(), 4, u)?)?;
            let gates = z.split(&[u, u, u, u], -1)?;
            let i = c.recurrent_activation.apply(&gates[0])?;
            let f = c.recurrent_activation.apply(&gates[1])?;
            carry = f.mul(&carry)?.add(&i.mul(&c.activation.apply(&gates[2])?)?)?;
            let o = c.recurrent_activation.apply(&gates[3])?;
            h = o.mul(&c.activation.apply(&carry)?)?;
            outputs.push(h.clone());
        }
        let ys = assemble(self, outputs, vec![h, carry], self.seq())?;
        activity_penalties(&c.activity_regularizer, &ys, ctx)?;
        Ok(ys)
    }
}

impl Layer for LSTM {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "LSTM"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        check_spec(self, self.config.units, self.seq(), inputs)?;
        Ok(output_specs(&inputs[0], self.config.units, self.seq(), 2))
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        let f = check_spec(self, self.config.units, self.seq(), inputs)?;
        let c = &self.config;
        let u = c.units;
        let kernel = kernel_variable(
            "kernel",
            &[f, 4 * u],
            &c.kernel_initializer,
            c.kernel_regularizer,
            &c.kernel_constraint,
            rng,
        )?;
        let recurrent = kernel_variable(
            "recurrent_kernel",
            &[u, 4 * u],
            &c.recurrent_initializer,
            c.recurrent_regularizer,
            &c.recurrent_constraint,
            rng,
        )?;
        let bias = if c.use_bias {
            let mut b = Variable::new("bias", self.initial_bias(rng)?, true);
            b.regularizer = c.bias_regularizer;
            b.constraint = c.bias_constraint.clone();
            Some(b)
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
        for (go_backwards, use_bias) in [(false, true), (true, false)] {
            let layer = LSTM::with_config(LSTMConfig {
                units: 2,
                go_backwards,
                use_bias,
                return_sequences: true,
                return_state: true,
                ..Default::default()
            });
            let bias: &[usize] = &[8];
            let shapes: Vec<&[usize]> =
                [&[2, 3, 2][..], &[2, 8], &[2, 8]].into_iter().chain(use_bias.then_some(bias)).collect();
            check_weight_gradients(&shapes, |x, p, ctx| layer.forward(std::slice::from_ref(x), p, ctx));
        }
    }

    #[test]
    fn unit_forget_bias_sets_the_forget_block_to_ones() {
        let mut rng = Rng::new(0);
        let mut layer = LSTM::with_config(LSTMConfig {
            units: 2,
            bias_initializer: Initializer::Constant { value: 0.5 },
            ..Default::default()
        });
        layer.build(&[ShapeSpec::batched(&[4, 3])], &mut rng).unwrap();
        let b = layer.weights()[2].value().to_vec_f32().unwrap();
        assert_eq!(b, vec![0.5, 0.5, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]);
        let mut plain = LSTM::with_config(LSTMConfig { units: 2, unit_forget_bias: false, ..Default::default() });
        plain.build(&[ShapeSpec::batched(&[4, 3])], &mut rng).unwrap();
        assert_eq!(plain.weights()[2].value().to_vec_f32().unwrap(), vec![0.0; 8]);
    }
}
