//! Pieces shared by many layers: weight creation, shape checks, activity penalties.

use fovea_core::{Rng, Tensor};

use crate::layer::layer_error;
use crate::{CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// A 2-D window, kernel or step as Keras takes it: one int for both axes (`3` is 3x3),
/// or a `[height, width]` pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size2(pub [usize; 2]);

impl From<usize> for Size2 {
    fn from(n: usize) -> Self {
        Size2([n, n])
    }
}

impl From<[usize; 2]> for Size2 {
    fn from(hw: [usize; 2]) -> Self {
        Size2(hw)
    }
}

impl From<(usize, usize)> for Size2 {
    fn from((h, w): (usize, usize)) -> Self {
        Size2([h, w])
    }
}

impl From<Size2> for [usize; 2] {
    fn from(s: Size2) -> Self {
        s.0
    }
}

/// A trainable weight drawn from `init`, carrying its regularizer and constraint.
pub fn kernel_variable(
    name: &str,
    shape: &[usize],
    init: &Initializer,
    regularizer: Option<Regularizer>,
    constraint: &Option<Constraint>,
    rng: &mut Rng,
) -> Result<Variable> {
    let mut v = Variable::new(name, init.init(shape, rng)?, true);
    v.regularizer = regularizer;
    v.constraint = constraint.clone();
    Ok(v)
}

/// Dimension `axis` of `spec`, which must exist and be known.
pub fn dim_known(layer: &dyn Layer, spec: &ShapeSpec, axis: isize) -> Result<usize> {
    match spec.dim(axis) {
        Some(Some(d)) => Ok(d),
        Some(None) => Err(layer_error(layer, format!("axis {axis} of the input shape {spec} must be known"))),
        None => Err(layer_error(layer, format!("input shape {spec} has no axis {axis}"))),
    }
}

/// Adds the activity regularizer's penalty on `output` to the call's losses (training
/// and inference alike, as Keras does; the training loop decides what to use). Keras 3
/// divides the penalty by the output's batch size (and an empty batch adds 0).
pub fn activity_penalty(reg: &Option<Regularizer>, output: &Tensor, ctx: &mut CallContext) -> Result<()> {
    if let Some(r) = reg {
        let mut p = r.penalty(output)?;
        if output.rank() > 0 {
            let batch = output.dims()[0];
            p = if batch == 0 { Tensor::scalar(0.0) } else { p.mul_scalar(1.0 / batch as f32)? };
        }
        ctx.losses.push(p);
    }
    Ok(())
}

/// Where the channel axis sits, Keras's `data_format`. fovea computes in channels-last
/// (NHWC); a channels-first layer transposes at its edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// `(batch, ..., channels)`, Keras's default.
    #[default]
    ChannelsLast,
    /// `(batch, channels, ...)`.
    ChannelsFirst,
}

impl DataFormat {
    /// The channel axis of a tensor of `rank` axes in this format.
    pub fn channel_axis(self, rank: usize) -> usize {
        match self {
            DataFormat::ChannelsLast => rank.saturating_sub(1),
            DataFormat::ChannelsFirst => 1,
        }
    }

    /// The spatial axes (everything but batch and channels) of a tensor of `rank` axes.
    pub fn spatial_axes(self, rank: usize) -> std::ops::Range<usize> {
        match self {
            DataFormat::ChannelsLast => 1..rank.saturating_sub(1),
            DataFormat::ChannelsFirst => 2..rank,
        }
    }

    /// `x` in channels-last order (`(N, C, H, W)` -> `(N, H, W, C)`), a view; channels-last
    /// input passes unchanged.
    pub fn to_channels_last(self, x: &Tensor) -> fovea_core::Result<Tensor> {
        match self {
            DataFormat::ChannelsLast => Ok(x.clone()),
            DataFormat::ChannelsFirst => {
                let r = x.rank();
                let perm: Vec<usize> = std::iter::once(0).chain(2..r).chain(std::iter::once(1)).collect();
                x.permute(&perm)
            }
        }
    }

    /// The inverse of [`DataFormat::to_channels_last`]: a channels-last result back in
    /// this format (`(N, H, W, C)` -> `(N, C, H, W)`).
    pub fn from_channels_last(self, x: &Tensor) -> fovea_core::Result<Tensor> {
        match self {
            DataFormat::ChannelsLast => Ok(x.clone()),
            DataFormat::ChannelsFirst => {
                let r = x.rank();
                let last = r.saturating_sub(1);
                let perm: Vec<usize> = [0, last].into_iter().chain(1..last).collect();
                x.permute(&perm)
            }
        }
    }
}

/// Keras's `InputSpec(ndim=...)` check, with Keras's wording.
pub fn expect_ndim(layer: &dyn Layer, spec: &ShapeSpec, ndim: usize) -> Result<()> {
    if spec.rank() != ndim {
        return Err(layer_error(
            layer,
            format!("expected ndim={ndim}, found ndim={}. Full shape received: {spec}", spec.rank()),
        ));
    }
    Ok(())
}
