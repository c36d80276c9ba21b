//! Pieces shared by many layers: weight creation, shape checks, activity penalties.

use fovea_core::{Rng, Tensor};

use crate::layer::layer_error;
use crate::{CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

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
/// and inference alike, as Keras does; the training loop decides what to use).
pub fn activity_penalty(reg: &Option<Regularizer>, output: &Tensor, ctx: &mut CallContext) -> Result<()> {
    if let Some(r) = reg {
        ctx.losses.push(r.penalty(output)?);
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
