//! Pooling layers: `MaxPooling1D/2D`, `AveragePooling1D/2D` (sliding windows) and
//! `GlobalMaxPooling1D/2D`, `GlobalAveragePooling1D/2D` (one window over all steps).
//!
//! Keras semantics: `strides` defaults to `pool_size` (Keras's `strides=None`); `Same`
//! pads with TensorFlow's rule (odd cell after), padded cells never win a max, and a
//! `Same` average divides each window by its number of real cells, not by the window
//! size (the core ops implement both). Channels-first layers transpose at their edges.

use std::any::Any;

use fovea_core::ops::geometry::axis_geometry;
use fovea_core::{Pool1dOptions, Pool2dOptions, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::{expect_ndim, DataFormat, Size2};
use crate::layers::Padding;
use crate::{CallContext, Layer, Result, ShapeSpec};

/// Arguments of `MaxPooling2D` / `AveragePooling2D`, with `MaxPooling2D`'s defaults
/// (`AveragePooling2D` has no default `pool_size` in Keras; its `new` takes one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pooling2DConfig {
    /// Window `[height, width]` (default `[2, 2]`).
    pub pool_size: [usize; 2],
    /// Step `[height, width]`; `None` (default) means `pool_size`.
    pub strides: Option<[usize; 2]>,
    /// `Valid` (default) or `Same`.
    pub padding: Padding,
    /// Where the channels sit (default channels-last).
    pub data_format: DataFormat,
}

impl Default for Pooling2DConfig {
    fn default() -> Self {
        Pooling2DConfig {
            pool_size: [2, 2],
            strides: None,
            padding: Padding::Valid,
            data_format: DataFormat::ChannelsLast,
        }
    }
}

/// Arguments of `MaxPooling1D` / `AveragePooling1D`, with `MaxPooling1D`'s defaults
/// (`AveragePooling1D` has no default `pool_size` in Keras; its `new` takes one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pooling1DConfig {
    /// Window length (default 2).
    pub pool_size: usize,
    /// Step; `None` (default) means `pool_size`.
    pub strides: Option<usize>,
    /// `Valid` (default) or `Same`.
    pub padding: Padding,
    /// Where the channels sit (default channels-last).
    pub data_format: DataFormat,
}

impl Default for Pooling1DConfig {
    fn default() -> Self {
        Pooling1DConfig { pool_size: 2, strides: None, padding: Padding::Valid, data_format: DataFormat::ChannelsLast }
    }
}

/// Arguments of the global pooling layers, with Keras's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GlobalPoolingConfig {
    /// Where the channels sit (default channels-last).
    pub data_format: DataFormat,
    /// Keep the pooled axes with size 1 (default false).
    pub keepdims: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Max,
    Average,
}

/// Sliding or global window over `spatial` axes.
enum Window<'a> {
    Sliding { pool: &'a [usize], strides: &'a [usize], padding: Padding },
    Global { keepdims: bool },
}

struct PoolGeometry<'a> {
    spatial: usize,
    data_format: DataFormat,
    window: Window<'a>,
}

/// A window argument as a slice, whatever its rank.
trait Sizes {
    fn sizes(&self) -> &[usize];
}
impl Sizes for usize {
    fn sizes(&self) -> &[usize] {
        std::slice::from_ref(self)
    }
}
impl Sizes for [usize; 2] {
    fn sizes(&self) -> &[usize] {
        self
    }
}

fn tuple(v: &[usize]) -> String {
    match v {
        [x] => x.to_string(),
        _ => format!("({})", v.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

impl PoolGeometry<'_> {
    fn check(&self, layer: &dyn Layer, x: &ShapeSpec) -> Result<()> {
        if let Window::Sliding { pool, strides, padding } = &self.window {
            for (name, v) in [("pool_size", *pool), ("strides", *strides)] {
                if v.contains(&0) {
                    return Err(layer_error(
                        layer,
                        format!("The `{name}` argument cannot contain 0. Received {name}={}.", tuple(v)),
                    ));
                }
            }
            if *padding == Padding::Causal {
                return Err(layer_error(
                    layer,
                    "Argument `padding` must be either Valid or Same. Received: padding=Causal",
                ));
            }
        }
        expect_ndim(layer, x, self.spatial + 2)
    }

    /// The output spec; for sliding windows also each axis's `(before, after)` pads
    /// (zeros where the size is unknown).
    fn shapes(&self, layer: &dyn Layer, x: &ShapeSpec) -> Result<(ShapeSpec, Vec<(usize, usize)>)> {
        self.check(layer, x)?;
        let r = x.rank();
        let df = self.data_format;
        let mut out = x.clone();
        let mut pads = Vec::new();
        match &self.window {
            Window::Sliding { pool, strides, padding } => {
                for (i, ax) in df.spatial_axes(r).enumerate() {
                    let Some(n) = x.dims()[ax] else {
                        pads.push((0, 0));
                        continue;
                    };
                    let g = axis_geometry("pool", n, pool[i], strides[i], 1, *padding).map_err(|_| {
                        layer_error(
                            layer,
                            format!(
                                "Computed output size would be zero or negative. Received: inputs.shape={x}, \
                                 pool_size={}, strides={}, padding={padding:?}.",
                                tuple(pool),
                                tuple(strides)
                            ),
                        )
                    })?;
                    out.0[ax] = Some(g.out);
                    pads.push((g.pad_before, g.pad_after));
                }
            }
            Window::Global { keepdims: true } => df.spatial_axes(r).for_each(|ax| out.0[ax] = Some(1)),
            Window::Global { keepdims: false } => {
                let c = df.channel_axis(r);
                out = ShapeSpec(vec![x.dims()[0], x.dims()[c]]);
            }
        }
        Ok((out, pads))
    }

    fn forward(&self, layer: &dyn Layer, x: &Tensor, mode: Mode) -> Result<Tensor> {
        let (_, pads) = self.shapes(layer, &ShapeSpec::of(x.shape()))?;
        let df = self.data_format;
        let y = match (&self.window, mode) {
            (Window::Global { keepdims }, Mode::Max) => {
                x.max(&df.spatial_axes(x.rank()).map(|a| a as isize).collect::<Vec<_>>(), *keepdims)?
            }
            (Window::Global { keepdims }, Mode::Average) => {
                x.mean(&df.spatial_axes(x.rank()).map(|a| a as isize).collect::<Vec<_>>(), *keepdims)?
            }
            (Window::Sliding { pool, strides, .. }, _) => {
                let xl = df.to_channels_last(x)?;
                let y = match (pads.as_slice(), mode) {
                    ([h, w], m) => {
                        let o = Pool2dOptions {
                            pool_size: [pool[0], pool[1]],
                            strides: [strides[0], strides[1]],
                            padding: [*h, *w],
                        };
                        if m == Mode::Max {
                            xl.max_pool2d(&o)?
                        } else {
                            xl.avg_pool2d(&o)?
                        }
                    }
                    ([w], m) => {
                        let o = Pool1dOptions { pool_size: pool[0], stride: strides[0], padding: *w };
                        if m == Mode::Max {
                            xl.max_pool1d(&o)?
                        } else {
                            xl.avg_pool1d(&o)?
                        }
                    }
                    _ => return Err(layer_error(layer, format!("unsupported input shape {}", x.shape()))),
                };
                df.from_channels_last(&y)?
            }
        };
        Ok(y)
    }
}

/// The `Layer` impl every pooling layer shares (no weights; same in both modes).
macro_rules! pooling_layer_impl {
    ($ty:ident, $class:literal, $mode:expr) => {
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
                Ok(vec![self.geometry().shapes(self, single(self, inputs)?)?.0])
            }
            fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
                Ok(vec![self.geometry().forward(self, single(self, inputs)?, $mode)?])
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

/// A sliding-window pooling layer: struct, constructors, builder setters, `Layer`.
macro_rules! sliding_pooling {
    ($(#[$doc:meta])* $ty:ident, $class:literal, $config:ident, $size:ty, $arg:ty, $to_size:expr, $mode:expr, $spatial:literal) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $ty {
            name: String,
            config: $config,
        }

        impl $ty {
            /// A layer with window `pool_size`, `strides = pool_size`, `Valid`, channels-last
            /// (a 2-D window may be one int, `2` for 2x2, as in Keras).
            pub fn new(pool_size: $arg) -> Self {
                Self::with_config($config { pool_size: ($to_size)(pool_size.into()), ..Default::default() })
            }
            /// A layer from a full configuration.
            pub fn with_config(config: $config) -> Self {
                $ty { name: String::new(), config }
            }
            /// Sets `strides` (builder style).
            pub fn strides(mut self, strides: $size) -> Self {
                self.config.strides = Some(strides);
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
            /// The configuration.
            pub fn config(&self) -> &$config {
                &self.config
            }
            fn geometry(&self) -> PoolGeometry<'_> {
                let c = &self.config;
                let pool = c.pool_size.sizes();
                let strides = c.strides.as_ref().map_or(pool, |s| s.sizes());
                PoolGeometry {
                    spatial: $spatial,
                    data_format: c.data_format,
                    window: Window::Sliding { pool, strides, padding: c.padding },
                }
            }
        }

        pooling_layer_impl!($ty, $class, $mode);
    };
}

/// A global pooling layer: struct, constructors, builder setters, `Layer`.
macro_rules! global_pooling {
    ($(#[$doc:meta])* $ty:ident, $class:literal, $mode:expr, $spatial:literal) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $ty {
            name: String,
            config: GlobalPoolingConfig,
        }

        impl $ty {
            /// A layer with Keras's defaults (channels-last, `keepdims` false).
            pub fn new() -> Self {
                Self::default()
            }
            /// A layer from a full configuration.
            pub fn with_config(config: GlobalPoolingConfig) -> Self {
                $ty { name: String::new(), config }
            }
            /// Sets `data_format` (builder style).
            pub fn data_format(mut self, data_format: DataFormat) -> Self {
                self.config.data_format = data_format;
                self
            }
            /// Sets `keepdims`.
            pub fn keepdims(mut self, keepdims: bool) -> Self {
                self.config.keepdims = keepdims;
                self
            }
            /// The configuration.
            pub fn config(&self) -> &GlobalPoolingConfig {
                &self.config
            }
            fn geometry(&self) -> PoolGeometry<'_> {
                let c = &self.config;
                PoolGeometry { spatial: $spatial, data_format: c.data_format, window: Window::Global { keepdims: c.keepdims } }
            }
        }

        pooling_layer_impl!($ty, $class, $mode);
    };
}

sliding_pooling!(
    /// The maximum of each window.
    ///
    /// # Shapes
    /// `(N, H, W, C)` -> `(N, H_out, W_out, C)` (channels-first `(N, C, H, W)` ->
    /// `(N, C, H_out, W_out)`), `H_out = floor((H - ph) / sh) + 1` for `Valid`,
    /// `ceil(H / sh)` for `Same`.
    MaxPooling2D, "MaxPooling2D", Pooling2DConfig, [usize; 2], impl Into<Size2>, |s: Size2| s.0, Mode::Max, 2
);
sliding_pooling!(
    /// The mean of each window (over its real cells with `Same`).
    ///
    /// # Shapes
    /// As [`MaxPooling2D`].
    AveragePooling2D, "AveragePooling2D", Pooling2DConfig, [usize; 2], impl Into<Size2>, |s: Size2| s.0, Mode::Average, 2
);
sliding_pooling!(
    /// The maximum of each window along the steps axis.
    ///
    /// # Shapes
    /// `(N, W, C)` -> `(N, W_out, C)` (channels-first `(N, C, W)` -> `(N, C, W_out)`),
    /// `W_out = floor((W - p) / s) + 1` for `Valid`, `ceil(W / s)` for `Same`.
    MaxPooling1D, "MaxPooling1D", Pooling1DConfig, usize, usize, |s: usize| s, Mode::Max, 1
);
sliding_pooling!(
    /// The mean of each window along the steps axis (over its real cells with `Same`).
    ///
    /// # Shapes
    /// As [`MaxPooling1D`].
    AveragePooling1D, "AveragePooling1D", Pooling1DConfig, usize, usize, |s: usize| s, Mode::Average, 1
);
global_pooling!(
    /// The maximum over height and width.
    ///
    /// # Shapes
    /// `(N, H, W, C)` -> `(N, C)`, or `(N, 1, 1, C)` with `keepdims`; channels-first
    /// `(N, C, H, W)` -> `(N, C)` or `(N, C, 1, 1)`.
    GlobalMaxPooling2D, "GlobalMaxPooling2D", Mode::Max, 2
);
global_pooling!(
    /// The mean over height and width.
    ///
    /// # Shapes
    /// As [`GlobalMaxPooling2D`].
    GlobalAveragePooling2D, "GlobalAveragePooling2D", Mode::Average, 2
);
global_pooling!(
    /// The maximum over the steps axis.
    ///
    /// # Shapes
    /// `(N, W, C)` -> `(N, C)`, or `(N, 1, C)` with `keepdims`; channels-first
    /// `(N, C, W)` -> `(N, C)` or `(N, C, 1)`.
    GlobalMaxPooling1D, "GlobalMaxPooling1D", Mode::Max, 1
);
global_pooling!(
    /// The mean over the steps axis (Keras's optional mask is not supported yet).
    ///
    /// # Shapes
    /// As [`GlobalMaxPooling1D`].
    GlobalAveragePooling1D, "GlobalAveragePooling1D", Mode::Average, 1
);
