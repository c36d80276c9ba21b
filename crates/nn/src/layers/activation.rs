//! Activation layers: `Activation` (any [`crate::Activation`]), `ReLU`, `LeakyReLU`,
//! `Softmax`. None has weights; all keep the input shape.

use std::any::Any;

use fovea_core::{normalize_axes, Tensor};

use crate::layer::{layer_error, single};
use crate::{Activation, CallContext, Layer, Result, ShapeSpec};

/// Keras's `Activation` layer: applies an [`Activation`] element-wise (softmax variants
/// over the last axis). Named `ActivationLayer` because [`Activation`] is the function
/// enum; its Keras class name is `Activation`.
///
/// # Shapes
/// Output shape = input shape (any rank).
pub struct ActivationLayer {
    name: String,
    activation: Activation,
}

impl ActivationLayer {
    /// A layer applying `activation`.
    pub fn new(activation: Activation) -> Self {
        ActivationLayer { name: String::new(), activation }
    }

    /// Keras's `activation`.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl Layer for ActivationLayer {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Activation"
    }
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        Ok(vec![single(self, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let y = self.activation.apply(x).map_err(|e| layer_error(self, e.to_string()))?;
        Ok(vec![y])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Keras's `ReLU` arguments, with its defaults (a plain `max(x, 0)`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ReLUConfig {
    /// Largest output (`None`, the default, is unbounded); must be >= 0.
    pub max_value: Option<f32>,
    /// Slope below the threshold (default 0); must be >= 0.
    pub negative_slope: f32,
    /// Where the function switches from the slope to the identity (default 0); must be
    /// >= 0.
    pub threshold: f32,
}

/// Keras's `ReLU` layer, with `keras.activations.relu`'s exact piecewise formula:
///
/// ```text
/// f(x) = min(x, max_value)                        if x > threshold
/// f(x) = negative_slope * (x - threshold)         if x <= threshold
/// ```
///
/// So the slope applies below the threshold, not below 0: with `threshold = 1` and
/// `negative_slope = 0.1`, `f(0.5) = -0.05`. The jump at the threshold is Keras's (its
/// `where(x > threshold, x, 0)` plus `-negative_slope * relu(threshold - x)`). With
/// `max_value` below the threshold the upper branch is clipped to `max_value`.
///
/// # Shapes
/// Output shape = input shape (any rank).
pub struct ReLU {
    name: String,
    config: ReLUConfig,
}

impl ReLU {
    /// A plain ReLU (`max(x, 0)`).
    pub fn new() -> Self {
        Self::with_config(ReLUConfig::default())
    }

    /// A ReLU from a full configuration.
    pub fn with_config(config: ReLUConfig) -> Self {
        ReLU { name: String::new(), config }
    }

    /// The configuration.
    pub fn config(&self) -> &ReLUConfig {
        &self.config
    }

    fn validate(&self) -> Result<()> {
        let c = &self.config;
        if let Some(m) = c.max_value.filter(|m| m.is_nan() || *m < 0.0) {
            return Err(layer_error(self, format!("max_value cannot be a negative value, received max_value={m}")));
        }
        if !(c.negative_slope >= 0.0 && c.negative_slope.is_finite()) {
            return Err(layer_error(
                self,
                format!("negative_slope cannot be a negative value, received negative_slope={}", c.negative_slope),
            ));
        }
        if !(c.threshold >= 0.0 && c.threshold.is_finite()) {
            return Err(layer_error(
                self,
                format!("threshold cannot be a negative value, received threshold={}", c.threshold),
            ));
        }
        Ok(())
    }

    /// Keras's `ReLU.static_call`, op for op, so values and gradients (including which
    /// side of a boundary gets the gradient) match.
    fn relu(&self, x: &Tensor) -> fovea_core::Result<Tensor> {
        let ReLUConfig { max_value, negative_slope, threshold } = self.config;
        if negative_slope != 0.0 && max_value.is_none() && threshold == 0.0 {
            return x.leaky_relu(negative_slope);
        }
        let mut clip_max = max_value;
        let mut y = if threshold != 0.0 {
            // x where x > threshold, else 0; the mask carries no gradient.
            x.mul(&x.gt(&Tensor::scalar(threshold))?)?
        } else if max_value == Some(6.0) {
            clip_max = None;
            x.relu6()?
        } else {
            x.relu()?
        };
        if let Some(m) = clip_max {
            y = y.clamp(0.0, m)?;
        }
        if negative_slope != 0.0 {
            // relu(threshold - x): how far below the threshold x is.
            let below = x.neg()?.add_scalar(threshold)?.relu()?;
            y = y.sub(&below.mul_scalar(negative_slope)?)?;
        }
        Ok(y)
    }
}

impl Default for ReLU {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for ReLU {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "ReLU"
    }
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.validate()?;
        Ok(vec![x.clone()])
    }
    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        self.validate()?;
        Ok(vec![self.relu(x)?])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Keras's `LeakyReLU` layer: `x` for `x >= 0`, else `negative_slope * x`.
///
/// The layer's default slope is 0.3, while the `leaky_relu` activation function's is
/// 0.2 ([`Activation::leaky_relu`]); both are Keras 3's defaults.
///
/// # Shapes
/// Output shape = input shape (any rank).
pub struct LeakyReLU {
    name: String,
    negative_slope: f32,
}

impl LeakyReLU {
    /// Keras's default layer: slope 0.3.
    pub fn new() -> Self {
        Self::with_negative_slope(0.3)
    }

    /// A leaky ReLU with this slope (must be >= 0).
    pub fn with_negative_slope(negative_slope: f32) -> Self {
        LeakyReLU { name: String::new(), negative_slope }
    }

    /// Keras's `negative_slope`.
    pub fn negative_slope(&self) -> f32 {
        self.negative_slope
    }

    fn validate(&self) -> Result<()> {
        if !(self.negative_slope >= 0.0 && self.negative_slope.is_finite()) {
            return Err(layer_error(
                self,
                format!("negative_slope cannot be None or negative, received negative_slope={}", self.negative_slope),
            ));
        }
        Ok(())
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for LeakyReLU {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "LeakyReLU"
    }
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.validate()?;
        Ok(vec![x.clone()])
    }
    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        self.validate()?;
        Ok(vec![x.leaky_relu(self.negative_slope)?])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Keras's `Softmax` layer over one axis (default `-1`) or several jointly
/// (`exp(x - logsumexp(x, axes))`, as Keras computes a multi-axis softmax).
///
/// Keras's call also takes a `mask` (masked positions get -1e9 before the softmax and 0
/// after); fovea has no masks yet, so that argument is not supported.
///
/// # Shapes
/// Output shape = input shape; the output sums to 1 over `axis`.
pub struct Softmax {
    name: String,
    axis: Vec<isize>,
}

impl Softmax {
    /// Softmax over the last axis (Keras's default).
    pub fn new() -> Self {
        Self::with_axis(&[-1])
    }

    /// Softmax over `axis` (one or more axes; negative counts from the end).
    pub fn with_axis(axis: &[isize]) -> Self {
        Softmax { name: String::new(), axis: axis.to_vec() }
    }

    /// Keras's `axis`.
    pub fn axis(&self) -> &[isize] {
        &self.axis
    }

    fn axes(&self, rank: usize, shape: &dyn std::fmt::Display) -> Result<Vec<usize>> {
        if self.axis.is_empty() {
            return Err(layer_error(self, "axis must name at least one axis, received an empty list"));
        }
        normalize_axes("softmax", &self.axis, rank)
            .map_err(|_| layer_error(self, format!("axis={:?} is out of range for the input shape {shape}", self.axis)))
    }
}

impl Default for Softmax {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for Softmax {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Softmax"
    }
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.axes(x.rank(), x)?;
        Ok(vec![x.clone()])
    }
    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let axes = self.axes(x.rank(), x.shape())?;
        if let [a] = axes[..] {
            return Ok(vec![x.softmax(a as isize)?]);
        }
        let axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        // logsumexp with the max taken out for stability; the max is a constant shift
        // that cancels exactly, so it needs no gradient.
        let m = x.detach().max(&axes, true)?;
        let lse = x.sub(&m)?.exp()?.sum(&axes, true)?.log()?.add(&m)?;
        Ok(vec![x.sub(&lse)?.exp()?])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
