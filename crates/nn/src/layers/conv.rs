//! `Conv2D` and `Conv1D`, Keras 3's convolution layers with every argument.
//!
//! Both share one rank-independent path ([`ConvGeometry`]): Keras's argument checks from
//! `BaseConv.__init__`/`build`, its output shapes (`compute_conv_output_shape`), and the
//! forward pass. fovea computes in channels-last with HWIO kernels; a channels-first
//! layer transposes its input at the edge and its output back, so the kernel has the
//! same shape `(*kernel_size, in_channels / groups, filters)` in both formats, as in
//! Keras. The activation runs on the output as laid out: softmax on a channels-first
//! conv normalises the last axis (width), exactly as Keras's `activations.softmax`.

use std::any::Any;

use fovea_core::ops::geometry::{axis_geometry, AxisGeometry};
use fovea_core::{Conv1dOptions, Conv2dOptions, Rng, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::{activity_penalty, dim_known, expect_ndim, kernel_variable, DataFormat, Size2};
use crate::layers::Padding;
use crate::{Activation, CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `Conv2D` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2DConfig {
    /// Number of output channels (required in Keras; `new` sets it).
    pub filters: usize,
    /// Window `[height, width]` (required in Keras; `new` sets it).
    pub kernel_size: [usize; 2],
    /// Step `[height, width]` (default `[1, 1]`). Keras refuses any stride > 1 together
    /// with any dilation > 1.
    pub strides: [usize; 2],
    /// `Valid` (default) or `Same` (TensorFlow's rule: the odd padding cell goes after).
    pub padding: Padding,
    /// Where the channels sit (default channels-last).
    pub data_format: DataFormat,
    /// Spacing between kernel taps `[height, width]` (default `[1, 1]`).
    pub dilation_rate: [usize; 2],
    /// Channel groups; input channels and `filters` must divide by it (default 1).
    pub groups: usize,
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

impl Default for Conv2DConfig {
    fn default() -> Self {
        Conv2DConfig {
            filters: 0,
            kernel_size: [1, 1],
            strides: [1, 1],
            padding: Padding::Valid,
            data_format: DataFormat::ChannelsLast,
            dilation_rate: [1, 1],
            groups: 1,
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

/// Keras's `Conv1D` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv1DConfig {
    /// Number of output channels (required in Keras; `new` sets it).
    pub filters: usize,
    /// Window length (required in Keras; `new` sets it).
    pub kernel_size: usize,
    /// Step (default 1). Keras refuses a stride > 1 together with a dilation > 1.
    pub strides: usize,
    /// `Valid` (default), `Same`, or `Causal` (left padding `dilation_rate * (kernel_size - 1)`).
    pub padding: Padding,
    /// Where the channels sit (default channels-last, `(batch, steps, channels)`).
    pub data_format: DataFormat,
    /// Spacing between kernel taps (default 1).
    pub dilation_rate: usize,
    /// Channel groups; input channels and `filters` must divide by it (default 1).
    pub groups: usize,
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

impl Default for Conv1DConfig {
    fn default() -> Self {
        let c = Conv2DConfig::default();
        Conv1DConfig {
            filters: c.filters,
            kernel_size: 1,
            strides: 1,
            padding: c.padding,
            data_format: c.data_format,
            dilation_rate: 1,
            groups: c.groups,
            activation: c.activation,
            use_bias: c.use_bias,
            kernel_initializer: c.kernel_initializer,
            bias_initializer: c.bias_initializer,
            kernel_regularizer: None,
            bias_regularizer: None,
            activity_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
        }
    }
}

/// 2-D convolution: `y = activation(conv(x, kernel) + bias)`.
///
/// # Shapes
/// Input `(N, H, W, C)` (channels-last) or `(N, C, H, W)` (channels-first); kernel
/// `(KH, KW, C / groups, filters)` and bias `(filters,)` in both formats; output
/// `(N, H_out, W_out, filters)` or `(N, filters, H_out, W_out)`, with
/// `H_out = ceil(H / sh)` for `Same` and `floor((H - dh * (KH - 1) - 1) / sh) + 1` for `Valid`.
pub struct Conv2D {
    name: String,
    config: Conv2DConfig,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

/// 1-D convolution over steps: `y = activation(conv(x, kernel) + bias)`.
///
/// # Shapes
/// Input `(N, W, C)` (channels-last) or `(N, C, W)` (channels-first); kernel
/// `(K, C / groups, filters)`, bias `(filters,)`; output `(N, W_out, filters)` or
/// `(N, filters, W_out)`, with `W_out = ceil(W / s)` for `Same` and `Causal`.
pub struct Conv1D {
    name: String,
    config: Conv1DConfig,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl Conv2D {
    /// `filters` output channels with a window of `kernel_size` (`3` for 3x3, or
    /// `[kh, kw]`) and Keras's other defaults: `Conv2D::new(8, 3)` is Keras's
    /// `Conv2D(8, 3)`.
    pub fn new(filters: usize, kernel_size: impl Into<Size2>) -> Self {
        Self::with_config(Conv2DConfig { filters, kernel_size: kernel_size.into().0, ..Default::default() })
    }
    /// A layer from a full configuration (checked when shapes are first asked for).
    pub fn with_config(config: Conv2DConfig) -> Self {
        Conv2D { name: String::new(), config, kernel: None, bias: None }
    }
    /// Sets `strides` (builder style).
    pub fn strides(mut self, strides: [usize; 2]) -> Self {
        self.config.strides = strides;
        self
    }
    /// Sets `padding`.
    pub fn padding(mut self, padding: Padding) -> Self {
        self.config.padding = padding;
        self
    }
    /// Sets `data_format`.
    pub fn data_format(mut self, data_format: DataFormat) -> Self {
        self.config.data_format = data_format;
        self
    }
    /// Sets `dilation_rate`.
    pub fn dilation_rate(mut self, dilation_rate: [usize; 2]) -> Self {
        self.config.dilation_rate = dilation_rate;
        self
    }
    /// Sets `groups`.
    pub fn groups(mut self, groups: usize) -> Self {
        self.config.groups = groups;
        self
    }
    /// Sets `activation`.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.config.activation = activation;
        self
    }
    /// Sets `use_bias`.
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.config.use_bias = use_bias;
        self
    }
    /// The configuration.
    pub fn config(&self) -> &Conv2DConfig {
        &self.config
    }
    fn geometry(&self) -> ConvGeometry<'_> {
        let c = &self.config;
        ConvGeometry {
            filters: c.filters,
            kernel_size: &c.kernel_size,
            strides: &c.strides,
            dilation_rate: &c.dilation_rate,
            padding: c.padding,
            data_format: c.data_format,
            groups: c.groups,
        }
    }
}

impl Conv1D {
    /// `filters` output channels with a window of `kernel_size` and Keras's other defaults.
    pub fn new(filters: usize, kernel_size: usize) -> Self {
        Self::with_config(Conv1DConfig { filters, kernel_size, ..Default::default() })
    }
    /// A layer from a full configuration (checked when shapes are first asked for).
    pub fn with_config(config: Conv1DConfig) -> Self {
        Conv1D { name: String::new(), config, kernel: None, bias: None }
    }
    /// Sets `strides` (builder style).
    pub fn strides(mut self, strides: usize) -> Self {
        self.config.strides = strides;
        self
    }
    /// Sets `padding`.
    pub fn padding(mut self, padding: Padding) -> Self {
        self.config.padding = padding;
        self
    }
    /// Sets `data_format`.
    pub fn data_format(mut self, data_format: DataFormat) -> Self {
        self.config.data_format = data_format;
        self
    }
    /// Sets `dilation_rate`.
    pub fn dilation_rate(mut self, dilation_rate: usize) -> Self {
        self.config.dilation_rate = dilation_rate;
        self
    }
    /// Sets `groups`.
    pub fn groups(mut self, groups: usize) -> Self {
        self.config.groups = groups;
        self
    }
    /// Sets `activation`.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.config.activation = activation;
        self
    }
    /// Sets `use_bias`.
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.config.use_bias = use_bias;
        self
    }
    /// The configuration.
    pub fn config(&self) -> &Conv1DConfig {
        &self.config
    }
    fn geometry(&self) -> ConvGeometry<'_> {
        let c = &self.config;
        ConvGeometry {
            filters: c.filters,
            kernel_size: std::slice::from_ref(&c.kernel_size),
            strides: std::slice::from_ref(&c.strides),
            dilation_rate: std::slice::from_ref(&c.dilation_rate),
            padding: c.padding,
            data_format: c.data_format,
            groups: c.groups,
        }
    }
}

/// The arguments that decide shapes, for any number of spatial axes.
struct ConvGeometry<'a> {
    filters: usize,
    kernel_size: &'a [usize],
    strides: &'a [usize],
    dilation_rate: &'a [usize],
    padding: Padding,
    data_format: DataFormat,
    groups: usize,
}

/// `(2, 3)` or `3`, as the values appear in Keras's messages.
fn tuple(v: &[usize]) -> String {
    match v {
        [x] => x.to_string(),
        _ => format!("({})", v.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

impl ConvGeometry<'_> {
    fn rank(&self) -> usize {
        self.kernel_size.len()
    }

    /// Keras's checks in `BaseConv.__init__`, in its order and with its wording.
    fn check_config(&self, layer: &dyn Layer) -> Result<()> {
        let err = |msg: String| Err(layer_error(layer, msg));
        if self.filters == 0 {
            return err(
                "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=0.".into(),
            );
        }
        if self.groups == 0 {
            return err("The number of groups must be a positive integer. Received: groups=0.".into());
        }
        if !self.filters.is_multiple_of(self.groups) {
            return err(format!(
                "The number of filters must be evenly divisible by the number of groups. Received: groups={}, filters={}.",
                self.groups, self.filters
            ));
        }
        for (name, v) in
            [("kernel_size", self.kernel_size), ("strides", self.strides), ("dilation_rate", self.dilation_rate)]
        {
            if v.contains(&0) {
                return err(format!("The argument `{name}` cannot contain 0. Received {name}={}.", tuple(v)));
            }
        }
        // Keras's exact condition: any stride > 1 with any dilation > 1, even on other axes.
        if self.strides.iter().any(|&s| s > 1) && self.dilation_rate.iter().any(|&d| d > 1) {
            return err(format!(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides={} and dilation_rate={}",
                tuple(self.strides),
                tuple(self.dilation_rate)
            ));
        }
        if self.padding == Padding::Causal && self.rank() != 1 {
            return err("The `padding` argument must be Valid or Same; Causal padding exists only for Conv1D.".into());
        }
        Ok(())
    }

    /// The input channels, after checking the rank and Keras's `build` rules.
    fn input_channels(&self, layer: &dyn Layer, x: &ShapeSpec) -> Result<usize> {
        self.check_config(layer)?;
        expect_ndim(layer, x, self.rank() + 2)?;
        let c = dim_known(layer, x, self.data_format.channel_axis(x.rank()) as isize)?;
        if !c.is_multiple_of(self.groups) {
            return Err(layer_error(
                layer,
                format!(
                    "The number of input channels must be evenly divisible by the number of groups. \
                     Received groups={}, but the input has {c} channels (full input shape is {x}).",
                    self.groups
                ),
            ));
        }
        Ok(c)
    }

    /// Size and padding of each spatial axis (`None` where the size is unknown).
    fn spatial(&self, layer: &dyn Layer, x: &ShapeSpec, c: usize) -> Result<Vec<Option<AxisGeometry>>> {
        let dims = &x.dims()[self.data_format.spatial_axes(x.rank())];
        dims.iter()
            .enumerate()
            .map(|(i, n)| {
                let Some(n) = *n else { return Ok(None) };
                let (k, s, d) = (self.kernel_size[i], self.strides[i], self.dilation_rate[i]);
                let g = axis_geometry("conv", n, k, s, d, self.padding).map_err(|_| {
                    let mut kernel = self.kernel_size.to_vec();
                    kernel.extend([c / self.groups, self.filters]);
                    layer_error(
                        layer,
                        format!(
                            "Computed output size would be zero or negative. Received inputs shape={x}, \
                             kernel shape={}, dilation_rate={}, strides={}, padding={:?}.",
                            tuple(&kernel),
                            tuple(self.dilation_rate),
                            tuple(self.strides),
                            self.padding
                        ),
                    )
                })?;
                Ok(Some(g))
            })
            .collect()
    }

    fn output_shape(&self, layer: &dyn Layer, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(layer, inputs)?;
        let c = self.input_channels(layer, x)?;
        let spatial: Vec<Option<usize>> = self.spatial(layer, x, c)?.iter().map(|g| g.map(|g| g.out)).collect();
        let mut out = vec![x.dims()[0]];
        match self.data_format {
            DataFormat::ChannelsLast => out.extend(spatial.iter().copied().chain([Some(self.filters)])),
            DataFormat::ChannelsFirst => out.extend([Some(self.filters)].into_iter().chain(spatial)),
        }
        Ok(vec![ShapeSpec(out)])
    }

    /// The kernel `(*kernel_size, c / groups, filters)` and the bias `(filters,)`.
    fn build(
        &self,
        layer: &dyn Layer,
        inputs: &[ShapeSpec],
        w: WeightArgs<'_>,
        rng: &mut Rng,
    ) -> Result<(Variable, Option<Variable>)> {
        self.output_shape(layer, inputs)?;
        let c = self.input_channels(layer, &inputs[0])?;
        let mut shape = self.kernel_size.to_vec();
        shape.extend([c / self.groups, self.filters]);
        let kernel = kernel_variable("kernel", &shape, w.kernel_init, w.kernel_reg, w.kernel_con, rng)?;
        let bias = if w.use_bias {
            Some(kernel_variable("bias", &[self.filters], w.bias_init, w.bias_reg, w.bias_con, rng)?)
        } else {
            None
        };
        Ok((kernel, bias))
    }

    /// The convolution plus bias, in the layer's data format (before the activation).
    /// The conv, its bias and, when `relu`, a ReLU fused into the bias pass.
    fn forward(
        &self,
        layer: &dyn Layer,
        x: &Tensor,
        kernel: &Variable,
        bias: Option<&Variable>,
        relu: bool,
    ) -> Result<Tensor> {
        let spec = ShapeSpec::of(x.shape());
        let c = self.input_channels(layer, &spec)?;
        let kc = kernel.dims()[self.rank()] * self.groups;
        if c != kc {
            return Err(layer_error(
                layer,
                format!(
                    "the layer was built for {kc} input channels but the input has {c} (input shape {})",
                    x.shape()
                ),
            ));
        }
        let geo: Vec<AxisGeometry> = self.spatial(layer, &spec, c)?.into_iter().flatten().collect();
        let xl = self.data_format.to_channels_last(x)?;
        let mut y = match geo.as_slice() {
            [h, w] => xl.conv2d(
                kernel.value(),
                &Conv2dOptions {
                    strides: [self.strides[0], self.strides[1]],
                    dilation: [self.dilation_rate[0], self.dilation_rate[1]],
                    padding: [(h.pad_before, h.pad_after), (w.pad_before, w.pad_after)],
                    groups: self.groups,
                },
            )?,
            [w] => xl.conv1d(
                kernel.value(),
                &Conv1dOptions {
                    stride: self.strides[0],
                    dilation: self.dilation_rate[0],
                    padding: (w.pad_before, w.pad_after),
                    groups: self.groups,
                },
            )?,
            _ => return Err(layer_error(layer, format!("unsupported input shape {}", x.shape()))),
        };
        // Channels are last here, so the bias (and ReLU) is one fused pass each way.
        if let Some(b) = bias {
            y = y.add_bias(b.value(), relu)?;
        } else if relu {
            y = y.relu()?;
        }
        Ok(self.data_format.from_channels_last(&y)?)
    }
}

/// The weight arguments both configs share.
struct WeightArgs<'a> {
    use_bias: bool,
    kernel_init: &'a Initializer,
    bias_init: &'a Initializer,
    kernel_reg: Option<Regularizer>,
    bias_reg: Option<Regularizer>,
    kernel_con: &'a Option<Constraint>,
    bias_con: &'a Option<Constraint>,
}

/// The `Layer` impl both convolutions share; only the config type differs.
macro_rules! conv_layer {
    ($ty:ident, $class:literal) => {
        impl Layer for $ty {
            fn name(&self) -> &str {
                &self.name
            }
            fn set_name(&mut self, name: &str) {
                self.name = name.to_string();
            }
            fn class_name(&self) -> &'static str {
                $class
            }
            fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
                self.geometry().output_shape(self, inputs)
            }
            fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
                let c = &self.config;
                let w = WeightArgs {
                    use_bias: c.use_bias,
                    kernel_init: &c.kernel_initializer,
                    bias_init: &c.bias_initializer,
                    kernel_reg: c.kernel_regularizer,
                    bias_reg: c.bias_regularizer,
                    kernel_con: &c.kernel_constraint,
                    bias_con: &c.bias_constraint,
                };
                let (kernel, bias) = self.geometry().build(self, inputs, w, rng)?;
                self.kernel = Some(kernel);
                self.bias = bias;
                Ok(())
            }
            fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
                let x = single(self, inputs)?;
                let kernel = self.kernel.as_ref().ok_or_else(|| layer_error(self, "called before build"))?;
                let relu = matches!(self.config.activation, Activation::Relu);
                let y = self.geometry().forward(self, x, kernel, self.bias.as_ref(), relu)?;
                let y = if relu { y } else { self.config.activation.apply(&y)? };
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
    };
}

conv_layer!(Conv2D, "Conv2D");
conv_layer!(Conv1D, "Conv1D");
