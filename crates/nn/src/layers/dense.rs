//! `Dense`: a fully connected layer on the last axis of any-rank input.

use std::any::Any;

use fovea_core::{Rng, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::{activity_penalty, dim_known, kernel_variable};
use crate::{Activation, CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `Dense` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseConfig {
    /// Output size.
    pub units: usize,
    /// Applied to the output (default linear).
    pub activation: Activation,
    /// Whether to add a bias (default true).
    pub use_bias: bool,
    /// Default `glorot_uniform`.
    pub kernel_initializer: Initializer,
    /// Default zeros.
    pub bias_initializer: Initializer,
    /// Penalty on the kernel.
    pub kernel_regularizer: Option<Regularizer>,
    /// Penalty on the bias.
    pub bias_regularizer: Option<Regularizer>,
    /// Penalty on the output.
    pub activity_regularizer: Option<Regularizer>,
    /// Projection of the kernel after each update.
    pub kernel_constraint: Option<Constraint>,
    /// Projection of the bias after each update.
    pub bias_constraint: Option<Constraint>,
}

impl Default for DenseConfig {
    fn default() -> Self {
        DenseConfig {
            units: 0,
            activation: Activation::Linear,
            use_bias: true,
            kernel_initializer: Initializer::glorot_uniform(),
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            activity_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
        }
    }
}

/// `y = activation(x @ kernel + bias)` over the last axis.
///
/// # Shapes
/// Input `(..., d)`, kernel `(d, units)`, bias `(units,)`, output `(..., units)`.
pub struct Dense {
    name: String,
    config: DenseConfig,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl Dense {
    /// A dense layer of `units` outputs with Keras's other defaults.
    pub fn new(units: usize) -> Self {
        Self::with_config(DenseConfig { units, ..Default::default() })
    }

    /// A dense layer from a full configuration.
    pub fn with_config(config: DenseConfig) -> Self {
        Dense { name: String::new(), config, kernel: None, bias: None }
    }

    /// Sets the activation (builder style).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.config.activation = activation;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &DenseConfig {
        &self.config
    }
}

impl Layer for Dense {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Dense"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        if self.config.units == 0 {
            return Err(layer_error(self, "units must be a positive integer, got 0"));
        }
        if x.rank() < 2 {
            return Err(layer_error(self, format!("expects an input of rank >= 2, got shape {x}")));
        }
        dim_known(self, x, -1)?;
        let mut out = x.clone();
        let last = out.0.len() - 1;
        out.0[last] = Some(self.config.units);
        Ok(vec![out])
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        self.output_shape(inputs)?;
        let d = dim_known(self, &inputs[0], -1)?;
        let c = &self.config;
        let kernel = kernel_variable(
            "kernel",
            &[d, c.units],
            &c.kernel_initializer,
            c.kernel_regularizer,
            &c.kernel_constraint,
            rng,
        )?;
        let bias = if c.use_bias {
            Some(kernel_variable("bias", &[c.units], &c.bias_initializer, c.bias_regularizer, &c.bias_constraint, rng)?)
        } else {
            None
        };
        self.kernel = Some(kernel);
        self.bias = bias;
        Ok(())
    }

    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let kernel = self.kernel.as_ref().ok_or_else(|| layer_error(self, "called before build"))?;
        let d = kernel.dims()[0];
        if x.rank() < 2 || x.dims()[x.rank() - 1] != d {
            return Err(layer_error(self, format!("expected an input of shape (..., {d}), got {}", x.shape())));
        }
        let y = x.matmul(kernel.value())?;
        // The bias (and a ReLU) in one fused pass each way.
        let y = match (&self.bias, &self.config.activation) {
            (Some(b), Activation::Relu) => y.add_bias(b.value(), true)?,
            (Some(b), act) => act.apply(&y.add_bias(b.value(), false)?)?,
            (None, act) => act.apply(&y)?,
        };
        activity_penalty(&self.config.activity_regularizer, &y, ctx)?;
        Ok(vec![y])
    }

    fn weights(&self) -> Vec<&Variable> {
        self.kernel.iter().chain(self.bias.iter()).collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
