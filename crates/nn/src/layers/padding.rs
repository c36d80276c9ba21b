//! `ZeroPadding2D` and `Cropping2D`: add zero rows/columns around, or cut them from, the
//! spatial axes of an image batch.

use std::any::Any;

use fovea_core::Tensor;

use crate::layer::{layer_error, single};
use crate::layers::common::{expect_ndim, DataFormat};
use crate::{CallContext, Layer, Result, ShapeSpec};

/// The forms Keras accepts for `ZeroPadding2D(padding=...)` and `Cropping2D(cropping=...)`,
/// normalised to `[(top, bottom), (left, right)]`:
/// - `p: usize`: `p` on all four sides;
/// - `(h, w)`: `h` above and below, `w` left and right;
/// - `((top, bottom), (left, right))` or `[(top, bottom), (left, right)]`: as given.
pub trait Pairs2D {
    /// `[(top, bottom), (left, right)]`.
    fn pairs(self) -> [(usize, usize); 2];
}

impl Pairs2D for usize {
    fn pairs(self) -> [(usize, usize); 2] {
        [(self, self), (self, self)]
    }
}

impl Pairs2D for (usize, usize) {
    fn pairs(self) -> [(usize, usize); 2] {
        [(self.0, self.0), (self.1, self.1)]
    }
}

impl Pairs2D for ((usize, usize), (usize, usize)) {
    fn pairs(self) -> [(usize, usize); 2] {
        [self.0, self.1]
    }
}

impl Pairs2D for [(usize, usize); 2] {
    fn pairs(self) -> [(usize, usize); 2] {
        self
    }
}

/// Keras's `ZeroPadding2D` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeroPadding2DConfig {
    /// `[(top, bottom), (left, right)]` zero rows and columns (default one on every side).
    pub padding: [(usize, usize); 2],
    /// Where the channels sit (default channels-last).
    pub data_format: DataFormat,
}

impl Default for ZeroPadding2DConfig {
    fn default() -> Self {
        ZeroPadding2DConfig { padding: [(1, 1), (1, 1)], data_format: DataFormat::ChannelsLast }
    }
}

/// Keras's `Cropping2D` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Cropping2DConfig {
    /// `[(top, bottom), (left, right)]` rows and columns removed (default none).
    pub cropping: [(usize, usize); 2],
    /// Where the channels sit (default channels-last).
    pub data_format: DataFormat,
}

/// Adds zero rows above and below and zero columns left and right.
///
/// # Shapes
/// `(N, H, W, C)` -> `(N, H + top + bottom, W + left + right, C)`; channels-first
/// `(N, C, H, W)` likewise on its last two axes. Unknown sizes stay unknown.
#[derive(Default)]
pub struct ZeroPadding2D {
    name: String,
    config: ZeroPadding2DConfig,
}

/// Removes rows from the top and bottom and columns from the left and right.
///
/// # Shapes
/// `(N, H, W, C)` -> `(N, H - top - bottom, W - left - right, C)`; channels-first
/// `(N, C, H, W)` likewise. Each axis must keep at least one cell.
#[derive(Default)]
pub struct Cropping2D {
    name: String,
    config: Cropping2DConfig,
}

impl ZeroPadding2D {
    /// Pads by `padding` in any form Keras accepts (see [`Pairs2D`]), channels-last.
    pub fn new(padding: impl Pairs2D) -> Self {
        Self::with_config(ZeroPadding2DConfig { padding: padding.pairs(), ..Default::default() })
    }
    /// A layer from a full configuration.
    pub fn with_config(config: ZeroPadding2DConfig) -> Self {
        ZeroPadding2D { name: String::new(), config }
    }
    /// Sets `data_format` (builder style).
    pub fn data_format(mut self, data_format: DataFormat) -> Self {
        self.config.data_format = data_format;
        self
    }
    /// The configuration.
    pub fn config(&self) -> &ZeroPadding2DConfig {
        &self.config
    }
}

impl Cropping2D {
    /// Crops by `cropping` in any form Keras accepts (see [`Pairs2D`]), channels-last.
    pub fn new(cropping: impl Pairs2D) -> Self {
        Self::with_config(Cropping2DConfig { cropping: cropping.pairs(), ..Default::default() })
    }
    /// A layer from a full configuration.
    pub fn with_config(config: Cropping2DConfig) -> Self {
        Cropping2D { name: String::new(), config }
    }
    /// Sets `data_format` (builder style).
    pub fn data_format(mut self, data_format: DataFormat) -> Self {
        self.config.data_format = data_format;
        self
    }
    /// The configuration.
    pub fn config(&self) -> &Cropping2DConfig {
        &self.config
    }
}

fn pairs_text(p: &[(usize, usize); 2]) -> String {
    format!("(({}, {}), ({}, {}))", p[0].0, p[0].1, p[1].0, p[1].1)
}

impl Layer for ZeroPadding2D {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "ZeroPadding2D"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        expect_ndim(self, x, 4)?;
        let mut out = x.clone();
        for (ax, (before, after)) in self.config.data_format.spatial_axes(4).zip(self.config.padding) {
            out.0[ax] = x.dims()[ax].map(|n| n.saturating_add(before).saturating_add(after));
        }
        Ok(vec![out])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        expect_ndim(self, &ShapeSpec::of(x.shape()), 4)?;
        let [h, w] = self.config.padding;
        let pads = match self.config.data_format {
            DataFormat::ChannelsLast => [(0, 0), h, w, (0, 0)],
            DataFormat::ChannelsFirst => [(0, 0), (0, 0), h, w],
        };
        Ok(vec![x.pad(&pads, 0.0)?])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Cropping2D {
    /// Keras's check: each axis keeps at least one cell (unknown sizes pass).
    fn check(&self, x: &ShapeSpec) -> Result<()> {
        expect_ndim(self, x, 4)?;
        let too_much = self
            .config
            .data_format
            .spatial_axes(4)
            .zip(self.config.cropping)
            .any(|(ax, (a, b))| x.dims()[ax].is_some_and(|n| a + b >= n));
        if too_much {
            return Err(layer_error(
                self,
                format!(
                    "Values in `cropping` argument should be smaller than the corresponding spatial dimension \
                     of the input. Received: input_shape={x}, cropping={}",
                    pairs_text(&self.config.cropping)
                ),
            ));
        }
        Ok(())
    }
}

impl Layer for Cropping2D {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Cropping2D"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.check(x)?;
        let mut out = x.clone();
        for (ax, (a, b)) in self.config.data_format.spatial_axes(4).zip(self.config.cropping) {
            out.0[ax] = x.dims()[ax].map(|n| n - a - b);
        }
        Ok(vec![out])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        self.check(&ShapeSpec::of(x.shape()))?;
        let mut y = x.clone();
        for (ax, (a, b)) in self.config.data_format.spatial_axes(4).zip(self.config.cropping) {
            y = y.narrow(ax as isize, a, x.dims()[ax] - a - b)?;
        }
        Ok(vec![y])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
