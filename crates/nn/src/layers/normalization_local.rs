//! Normalisations whose statistics come from within one sample and that keep no state:
//! `LayerNormalization` (Keras 3) and `LocalResponseNormalization` (AlexNet's "NORM",
//! TensorFlow's `tf.nn.local_response_normalization`; not a Keras layer).

use std::any::Any;

use fovea_core::ops::lrn::LrnOptions;
use fovea_core::{Rng, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::{dim_known, kernel_variable, DataFormat};
use crate::{CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras 3's `LayerNormalization` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNormalizationConfig {
    /// The axes to normalise over (negative count from the end). Default `[-1]`; Keras's
    /// integer `axis` is the one-element list.
    pub axis: Vec<isize>,
    /// Added to the variance before the square root. Default 1e-3.
    pub epsilon: f32,
    /// Whether to add `beta` (and create it). Default true.
    pub center: bool,
    /// Whether to multiply by `gamma` (and create it). Default true.
    pub scale: bool,
    /// Keras's deprecated `rms_scaling` (still accepted and saved by Keras 3.15): the
    /// output is `x * rsqrt(variance + epsilon) * gamma`, without subtracting the mean
    /// and without `beta`; `gamma` exists even when `scale` is false. Default false.
    pub rms_scaling: bool,
    /// Default zeros.
    pub beta_initializer: Initializer,
    /// Default ones.
    pub gamma_initializer: Initializer,
    /// Penalty on `beta`.
    pub beta_regularizer: Option<Regularizer>,
    /// Penalty on `gamma`.
    pub gamma_regularizer: Option<Regularizer>,
    /// Projection of `beta` after each update.
    pub beta_constraint: Option<Constraint>,
    /// Projection of `gamma` after each update.
    pub gamma_constraint: Option<Constraint>,
}

impl Default for LayerNormalizationConfig {
    fn default() -> Self {
        LayerNormalizationConfig {
            axis: vec![-1],
            epsilon: 1e-3,
            center: true,
            scale: true,
            rms_scaling: false,
            beta_initializer: Initializer::Zeros,
            gamma_initializer: Initializer::Ones,
            beta_regularizer: None,
            gamma_regularizer: None,
            beta_constraint: None,
            gamma_constraint: None,
        }
    }
}

/// What `build` fixed: the input rank, the axes (Keras's sorted order, as given, signs
/// included) and the shape `gamma`/`beta` broadcast to.
struct Built {
    rank: usize,
    axes: Vec<isize>,
    broadcast: Vec<usize>,
    gamma: Option<Variable>,
    beta: Option<Variable>,
}

/// Normalises each sample over `axis`:
/// `y = (x - mean) / sqrt(variance + epsilon) * gamma + beta`, with the mean and the
/// (biased) variance taken over the `axis` axes of each sample. Training and inference
/// are the same.
///
/// Weights, in Keras's order: `gamma` (if `scale` or `rms_scaling`), `beta` (if `center`
/// and not `rms_scaling`), both trainable, shaped by the `axis` dimensions.
///
/// Keras sorts `axis` as given, so `[1, -1]` becomes `[-1, 1]` and `gamma` is shaped
/// `(d[-1], d[1])`; it then *reshapes* (not transposes) `gamma` to the broadcast shape.
/// fovea does the same, so weights load identically.
///
/// # Shapes
/// Input of any rank whose `axis` dimensions are known (when there are weights); output
/// the same shape; `gamma`/`beta` `(d[axis[0]], d[axis[1]], ...)` in sorted-axis order.
pub struct LayerNormalization {
    name: String,
    config: LayerNormalizationConfig,
    built: Option<Built>,
}

impl LayerNormalization {
    /// Layer normalization over the last axis with Keras's defaults.
    pub fn new() -> Self {
        Self::with_config(LayerNormalizationConfig::default())
    }

    /// Layer normalization from a full configuration.
    pub fn with_config(config: LayerNormalizationConfig) -> Self {
        LayerNormalization { name: String::new(), config, built: None }
    }

    /// Sets the axes to normalise over (builder style).
    pub fn axis(mut self, axis: &[isize]) -> Self {
        self.config.axis = axis.to_vec();
        self
    }

    /// The configuration.
    pub fn config(&self) -> &LayerNormalizationConfig {
        &self.config
    }

    /// The axes resolved against `rank` (non-negative, in Keras's sorted order), or
    /// Keras's error for an axis out of bounds.
    fn resolve_axes(&self, rank: usize, shape: &ShapeSpec) -> Result<Vec<usize>> {
        let r = rank as isize;
        let given = &self.config.axis;
        if given.is_empty() {
            return Err(layer_error(self, "axis must name at least one axis, got []"));
        }
        let mut sorted = given.clone();
        sorted.sort_unstable();
        let mut out = Vec::with_capacity(sorted.len());
        for &a in &sorted {
            if a >= r || a < -r {
                return Err(layer_error(
                    self,
                    format!("Axis {a} is out of bounds for input shape {shape}. Received: axis={given:?}"),
                ));
            }
            let a = if a < 0 { (a + r) as usize } else { a as usize };
            if out.contains(&a) {
                return Err(layer_error(self, format!("axis {given:?} names axis {a} twice (input shape {shape})")));
            }
            out.push(a);
        }
        Ok(out)
    }

    fn has_gamma(&self) -> bool {
        self.config.scale || self.config.rms_scaling
    }

    fn has_beta(&self) -> bool {
        self.config.center && !self.config.rms_scaling
    }
}

impl Default for LayerNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for LayerNormalization {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "LayerNormalization"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.resolve_axes(x.rank(), x)?;
        Ok(vec![x.clone()])
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        let x = single(self, inputs)?;
        let axes = self.resolve_axes(x.rank(), x)?;
        let needs_weights = self.has_gamma() || self.has_beta();
        let mut shape = Vec::with_capacity(axes.len());
        let mut broadcast = vec![1usize; x.rank()];
        for &a in &axes {
            // Without weights the normalised extents may stay unknown until the call.
            let d = if needs_weights { dim_known(self, x, a as isize)? } else { x.0[a].unwrap_or(1) };
            shape.push(d);
            broadcast[a] = d;
        }
        let c = &self.config;
        let gamma = if self.has_gamma() {
            Some(kernel_variable("gamma", &shape, &c.gamma_initializer, c.gamma_regularizer, &c.gamma_constraint, rng)?)
        } else {
            None
        };
        let beta = if self.has_beta() {
            Some(kernel_variable("beta", &shape, &c.beta_initializer, c.beta_regularizer, &c.beta_constraint, rng)?)
        } else {
            None
        };
        let mut sorted = c.axis.clone();
        sorted.sort_unstable();
        self.built = Some(Built { rank: x.rank(), axes: sorted, broadcast, gamma, beta });
        Ok(())
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let b = self.built.as_ref().ok_or_else(|| layer_error(self, "called before build"))?;
        let fits = x.rank() == b.rank
            && (b.gamma.is_none() && b.beta.is_none()
                || b.axes.iter().all(|&a| {
                    let a = if a < 0 { (a + b.rank as isize) as usize } else { a as usize };
                    x.dims()[a] == b.broadcast[a]
                }));
        if !fits {
            let want: Vec<String> =
                b.broadcast.iter().map(|&d| if d == 1 { "_".to_string() } else { d.to_string() }).collect();
            return Err(layer_error(
                self,
                format!(
                    "expected an input of rank {} shaped ({}) on axis {:?}, got shape {}",
                    b.rank,
                    want.join(", "),
                    self.config.axis,
                    x.shape()
                ),
            ));
        }
        let param = |v: &Option<Variable>| v.as_ref().map(|v| v.value().reshape(b.broadcast.clone())).transpose();
        let (gamma, beta) = (param(&b.gamma)?, param(&b.beta)?);
        let mean = x.mean(&b.axes, true)?;
        let variance = x.sub(&mean)?.square()?.mean(&b.axes, true)?;
        let mut inv = variance.add_scalar(self.config.epsilon)?.rsqrt()?;
        if self.config.rms_scaling {
            // Keras's deprecated path: scales by the variance but does not centre.
            let mut y = x.mul(&inv)?;
            if let Some(g) = &gamma {
                y = y.mul(g)?;
            }
            return Ok(vec![y]);
        }
        // Keras's order of operations: inv = rsqrt(var + eps) * gamma; y = x * inv + (beta - mean * inv).
        if let Some(g) = &gamma {
            inv = inv.mul(g)?;
        }
        let mut res = mean.neg()?.mul(&inv)?;
        if let Some(bt) = &beta {
            res = res.add(bt)?;
        }
        Ok(vec![x.mul(&inv)?.add(&res)?])
    }

    fn weights(&self) -> Vec<&Variable> {
        self.built.as_ref().map(|b| b.gamma.iter().chain(b.beta.iter()).collect()).unwrap_or_default()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `LocalResponseNormalization` arguments: TensorFlow's `tf.nn.local_response_normalization`
/// names and defaults (`depth_radius = 5`, `bias = 1`, `alpha = 1`, `beta = 0.5`), plus
/// where the channels are.
///
/// The AlexNet paper's `k = 2, n = 5, alpha = 1e-4, beta = 0.75` is `depth_radius = 2`
/// (the window is `2 * depth_radius + 1 = n` channels), `bias = 2`, `alpha = 1e-4`,
/// `beta = 0.75`: [`LocalResponseNormalizationConfig::alexnet`]. TensorFlow does **not**
/// divide `alpha` by the window size (Caffe does); neither does fovea.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalResponseNormalizationConfig {
    /// Half-width of the channel window. Default 5.
    pub depth_radius: usize,
    /// Added to the scaled sum of squares (the paper's `k`). Default 1.
    pub bias: f32,
    /// Scale of the sum of squares. Default 1.
    pub alpha: f32,
    /// Exponent. Default 0.5.
    pub beta: f32,
    /// Where the channel axis is. Default channels-last (TensorFlow's op is NHWC only).
    pub data_format: DataFormat,
}

impl Default for LocalResponseNormalizationConfig {
    fn default() -> Self {
        let o = LrnOptions::default();
        LocalResponseNormalizationConfig {
            depth_radius: o.depth_radius,
            bias: o.bias,
            alpha: o.alpha,
            beta: o.beta,
            data_format: DataFormat::ChannelsLast,
        }
    }
}

impl LocalResponseNormalizationConfig {
    /// AlexNet's `k = 2, n = 5, alpha = 1e-4, beta = 0.75`, channels last.
    pub fn alexnet() -> Self {
        let o = LrnOptions::alexnet();
        LocalResponseNormalizationConfig {
            depth_radius: o.depth_radius,
            bias: o.bias,
            alpha: o.alpha,
            beta: o.beta,
            ..Default::default()
        }
    }

    fn options(&self) -> LrnOptions {
        LrnOptions { depth_radius: self.depth_radius, bias: self.bias, alpha: self.alpha, beta: self.beta }
    }
}

/// Local response normalization across channels (AlexNet's "NORM" layers), exactly
/// TensorFlow's `tf.nn.local_response_normalization`:
///
/// ```text
/// sqr_sum[n, h, w, d] = sum(x[n, h, w, d - depth_radius ..= d + depth_radius]^2)   (window clipped)
/// y[n, h, w, d]       = x[n, h, w, d] / (bias + alpha * sqr_sum[n, h, w, d])^beta
/// ```
///
/// Keras 3 has no such layer; its class name here is `LocalResponseNormalization`. No
/// weights; training and inference are the same. For the paper's settings use
/// [`LocalResponseNormalization::alexnet`].
///
/// # Shapes
/// Input `(batch, ..., channels)` (channels-last) or `(batch, channels, ...)`
/// (channels-first), rank >= 2; output the same shape.
pub struct LocalResponseNormalization {
    name: String,
    config: LocalResponseNormalizationConfig,
}

impl LocalResponseNormalization {
    /// TensorFlow's defaults: `depth_radius = 5, bias = 1, alpha = 1, beta = 0.5`.
    pub fn new() -> Self {
        Self::with_config(LocalResponseNormalizationConfig::default())
    }

    /// AlexNet's normalization: `depth_radius = 2` (n = 5), `bias = 2` (k), `alpha = 1e-4`,
    /// `beta = 0.75`.
    pub fn alexnet() -> Self {
        Self::with_config(LocalResponseNormalizationConfig::alexnet())
    }

    /// From a full configuration.
    pub fn with_config(config: LocalResponseNormalizationConfig) -> Self {
        LocalResponseNormalization { name: String::new(), config }
    }

    /// The configuration.
    pub fn config(&self) -> &LocalResponseNormalizationConfig {
        &self.config
    }

    fn check(&self, rank: usize, shape: &dyn std::fmt::Display) -> Result<()> {
        if rank < 2 {
            return Err(layer_error(
                self,
                format!("expects an input of rank >= 2 (batch, ..., channels), got shape {shape}"),
            ));
        }
        let c = &self.config;
        for (what, v) in [("bias", c.bias), ("alpha", c.alpha), ("beta", c.beta)] {
            if !v.is_finite() {
                return Err(layer_error(self, format!("{what} must be finite, got {v}")));
            }
        }
        Ok(())
    }
}

impl Default for LocalResponseNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for LocalResponseNormalization {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "LocalResponseNormalization"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.check(x.rank(), x)?;
        Ok(vec![x.clone()])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        self.check(x.rank(), x.shape())?;
        let opts = self.config.options();
        let rank = x.rank();
        if self.config.data_format == DataFormat::ChannelsFirst && rank > 2 {
            // Move the channels last for the kernel and back again.
            let mut to_last: Vec<usize> = (0..rank).filter(|&a| a != 1).collect();
            to_last.push(1);
            let mut back: Vec<usize> = vec![0];
            back.push(rank - 1);
            back.extend(1..rank - 1);
            return Ok(vec![x.permute(&to_last)?.local_response_norm(&opts)?.permute(&back)?]);
        }
        Ok(vec![x.local_response_norm(&opts)?])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
