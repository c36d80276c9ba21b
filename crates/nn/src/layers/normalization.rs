//! `BatchNormalization`: normalisation by batch statistics in training and by moving
//! statistics in inference, with Keras 3's optional batch renormalization.
//!
//! `LayerNormalization` and `LocalResponseNormalization` live in
//! `normalization_local.rs`: their statistics come from within one sample and they keep
//! no state.

use std::any::Any;

use fovea_core::{no_grad, Rng, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::{dim_known, kernel_variable};
use crate::{CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `renorm_clipping`: bounds on the batch-renormalization corrections `r`
/// (clipped to `[rmin, rmax]`) and `d` (clipped to `[-dmax, dmax]`). A missing bound does
/// not clip, as Keras's missing keys mean `rmax = inf, rmin = 0, dmax = inf`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RenormClipping {
    /// Upper bound of `r`.
    pub rmax: Option<f32>,
    /// Lower bound of `r`.
    pub rmin: Option<f32>,
    /// Bound of `|d|`.
    pub dmax: Option<f32>,
}

/// Keras 3's `BatchNormalization` arguments, with its defaults.
///
/// Keras's `synchronized` is not here: it only means something for multi-replica
/// training on the TensorFlow backend (other backends reject `True`), and fovea trains
/// on one device, where both values compute the same thing.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchNormalizationConfig {
    /// The features axis, the one kept (negative counts from the end). Default -1.
    pub axis: isize,
    /// Momentum of the moving averages. Default 0.99.
    pub momentum: f32,
    /// Added to the variance before the square root. Default 1e-3.
    pub epsilon: f32,
    /// Whether to add `beta` (and create it). Default true.
    pub center: bool,
    /// Whether to multiply by `gamma` (and create it). Default true.
    pub scale: bool,
    /// Default zeros.
    pub beta_initializer: Initializer,
    /// Default ones.
    pub gamma_initializer: Initializer,
    /// Default zeros.
    pub moving_mean_initializer: Initializer,
    /// Default ones.
    pub moving_variance_initializer: Initializer,
    /// Penalty on `beta`.
    pub beta_regularizer: Option<Regularizer>,
    /// Penalty on `gamma`.
    pub gamma_regularizer: Option<Regularizer>,
    /// Projection of `beta` after each update.
    pub beta_constraint: Option<Constraint>,
    /// Projection of `gamma` after each update.
    pub gamma_constraint: Option<Constraint>,
    /// Batch renormalization (Ioffe, 2017). Default false. Adds three non-trainable
    /// weights: `moving_stddev`, `renorm_mean`, `renorm_stddev`.
    pub renorm: bool,
    /// Clipping of the renormalization corrections (only with `renorm`).
    pub renorm_clipping: RenormClipping,
    /// Momentum of `renorm_mean` and `renorm_stddev`. Default 0.99.
    pub renorm_momentum: f32,
}

impl Default for BatchNormalizationConfig {
    fn default() -> Self {
        BatchNormalizationConfig {
            axis: -1,
            momentum: 0.99,
            epsilon: 1e-3,
            center: true,
            scale: true,
            beta_initializer: Initializer::Zeros,
            gamma_initializer: Initializer::Ones,
            moving_mean_initializer: Initializer::Zeros,
            moving_variance_initializer: Initializer::Ones,
            beta_regularizer: None,
            gamma_regularizer: None,
            beta_constraint: None,
            gamma_constraint: None,
            renorm: false,
            renorm_clipping: RenormClipping::default(),
            renorm_momentum: 0.99,
        }
    }
}

/// The weights a built layer holds, in Keras's order.
struct Weights {
    gamma: Option<Variable>,
    beta: Option<Variable>,
    moving_mean: Variable,
    moving_variance: Variable,
    /// `moving_stddev`, `renorm_mean`, `renorm_stddev` when `renorm`.
    renorm: Option<[Variable; 3]>,
    /// The input rank and the axis (non-negative) the layer was built for.
    rank: usize,
    axis: usize,
}

/// Normalises each feature (each index along `axis`) over all other axes:
/// `y = gamma * (x - mean) / sqrt(variance + epsilon) + beta`.
///
/// - **Training** (`ctx.training`): `mean` and `variance` are the batch's (the biased
///   variance, dividing by the number of elements, as `jax.numpy.var`), gradients flow
///   through them, and the moving statistics are updated in place:
///   `moving = moving * momentum + batch_stat * (1 - momentum)`. Keras 3 updates
///   `moving_variance` with that same **biased** batch variance (Keras 2's fused kernel
///   used the unbiased one).
/// - **Inference**: `mean = moving_mean`, `variance = moving_variance`; nothing changes.
///
/// With `renorm`, training mode instead outputs `(x - mean) / sqrt(variance + epsilon) *
/// r * gamma + d * gamma + beta` with the corrections `r = stddev / max(renorm_stddev,
/// sqrt(epsilon))` and `d = (mean - renorm_mean) / max(renorm_stddev, sqrt(epsilon))`
/// (clipped by `renorm_clipping`, no gradient through them), and keeps `moving_stddev`,
/// deriving `moving_variance = relu(moving_stddev^2 - epsilon)`. Inference is unchanged.
///
/// Weights, in Keras's order: `gamma` (if `scale`), `beta` (if `center`), `moving_mean`,
/// `moving_variance`, then with `renorm` `moving_stddev`, `renorm_mean`, `renorm_stddev`;
/// only `gamma` and `beta` are trainable.
///
/// Keras runs a layer whose `trainable` is false in inference mode even when training;
/// fovea's `Layer` has no such switch yet, so here only `ctx.training` decides.
///
/// # Shapes
/// Input of any rank with a known `axis` dimension `c`; output the same shape; every
/// weight `(c,)`.
pub struct BatchNormalization {
    name: String,
    config: BatchNormalizationConfig,
    weights: Option<Weights>,
}

impl BatchNormalization {
    /// Batch normalization over the last axis with Keras's defaults.
    pub fn new() -> Self {
        Self::with_config(BatchNormalizationConfig::default())
    }

    /// Batch normalization from a full configuration.
    pub fn with_config(config: BatchNormalizationConfig) -> Self {
        BatchNormalization { name: String::new(), config, weights: None }
    }

    /// Sets the features axis (builder style).
    pub fn axis(mut self, axis: isize) -> Self {
        self.config.axis = axis;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &BatchNormalizationConfig {
        &self.config
    }

    /// The non-negative features axis for an input of `rank`, or Keras's error.
    fn resolve_axis(&self, rank: usize, shape: &dyn std::fmt::Display) -> Result<usize> {
        let (axis, r) = (self.config.axis, rank as isize);
        if axis >= r || axis < -r {
            return Err(layer_error(
                self,
                format!("Axis {axis} is out of bounds for input shape {shape}. Received: axis={axis}"),
            ));
        }
        Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
    }

    /// Training with batch statistics over a channels-last input: the fused core op
    /// (three passes each way), then Keras's moving-average update.
    fn train_channels_last(&self, x: &Tensor, w: &Weights, c: usize) -> Result<Vec<Tensor>> {
        let out = x.batch_norm_train(
            w.gamma.as_ref().map(|g| g.value()),
            w.beta.as_ref().map(|b| b.value()),
            self.config.epsilon,
        )?;
        debug_assert_eq!(out.mean.numel(), c);
        let m = self.config.momentum;
        no_grad(|| -> Result<()> {
            w.moving_mean.assign(&ema(w.moving_mean.value(), &out.mean, m)?)?;
            w.moving_variance.assign(&ema(w.moving_variance.value(), &out.variance, m)?)
        })?;
        Ok(vec![out.y])
    }

    fn check_clipping(&self) -> Result<()> {
        let c = &self.config.renorm_clipping;
        if let (Some(rmax), Some(rmin)) = (c.rmax, c.rmin) {
            if rmax < rmin {
                return Err(layer_error(
                    self,
                    format!("rmax should be greater than rmin in the `renorm_clipping` argument. Received: rmax={rmax}, rmin={rmin}."),
                ));
            }
        }
        if let Some(dmax) = c.dmax.filter(|&d| d < 0.0) {
            return Err(layer_error(
                self,
                format!("dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={dmax}."),
            ));
        }
        Ok(())
    }
}

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for BatchNormalization {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "BatchNormalization"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.resolve_axis(x.rank(), x)?;
        Ok(vec![x.clone()])
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        let x = single(self, inputs)?;
        let axis = self.resolve_axis(x.rank(), x)?;
        // Keras validates the clipping only when renorm is on.
        if self.config.renorm {
            self.check_clipping()?;
        }
        let c = dim_known(self, x, self.config.axis)?;
        let cfg = &self.config;
        let shape = [c];
        let state = |name: &str, init: &Initializer, rng: &mut Rng| -> Result<Variable> {
            Ok(Variable::new(name, init.init(&shape, rng)?, false))
        };
        let gamma = if cfg.scale {
            let (reg, con) = (cfg.gamma_regularizer, &cfg.gamma_constraint);
            Some(kernel_variable("gamma", &shape, &cfg.gamma_initializer, reg, con, rng)?)
        } else {
            None
        };
        let beta = if cfg.center {
            let (reg, con) = (cfg.beta_regularizer, &cfg.beta_constraint);
            Some(kernel_variable("beta", &shape, &cfg.beta_initializer, reg, con, rng)?)
        } else {
            None
        };
        let moving_mean = state("moving_mean", &cfg.moving_mean_initializer, rng)?;
        let moving_variance = state("moving_variance", &cfg.moving_variance_initializer, rng)?;
        let renorm = if cfg.renorm {
            // Keras starts both standard deviations at the square root of a fresh draw of
            // the variance initializer.
            let stddev = |name: &str, rng: &mut Rng| -> Result<Variable> {
                Ok(Variable::new(name, cfg.moving_variance_initializer.init(&shape, rng)?.sqrt()?, false))
            };
            let moving_stddev = stddev("moving_stddev", rng)?;
            let renorm_mean = state("renorm_mean", &cfg.moving_mean_initializer, rng)?;
            let renorm_stddev = stddev("renorm_stddev", rng)?;
            Some([moving_stddev, renorm_mean, renorm_stddev])
        } else {
            None
        };
        self.weights = Some(Weights { gamma, beta, moving_mean, moving_variance, renorm, rank: x.rank(), axis });
        Ok(())
    }

    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let w = self.weights.as_ref().ok_or_else(|| layer_error(self, "called before build"))?;
        let c = w.moving_mean.numel();
        if x.rank() != w.rank || x.dims()[w.axis] != c {
            return Err(layer_error(
                self,
                format!(
                    "expected an input of rank {} with {c} features on axis {}, got shape {}",
                    w.rank,
                    self.config.axis,
                    x.shape()
                ),
            ));
        }
        if ctx.training && w.renorm.is_none() && w.rank >= 2 && w.axis + 1 == w.rank && x.numel() > 0 {
            return self.train_channels_last(x, w, c);
        }
        let mut bshape = vec![1usize; w.rank];
        bshape[w.axis] = c;
        let param = |v: &Option<Variable>| v.as_ref().map(|v| v.value().reshape(bshape.clone())).transpose();
        let (mut gamma, mut beta) = (param(&w.gamma)?, param(&w.beta)?);
        let eps = self.config.epsilon;
        let (mean, variance) = if ctx.training {
            let axes: Vec<isize> = (0..w.rank).filter(|&a| a != w.axis).map(|a| a as isize).collect();
            let mean = x.mean(&axes, true)?;
            let variance = x.sub(&mean)?.square()?.mean(&axes, true)?;
            let (mean_c, var_c) = (mean.reshape([c])?, variance.reshape([c])?);
            if let Some(renorm) = &w.renorm {
                let (g, b) = renorm_transform(&self.config, renorm, &mean_c, &var_c, gamma.as_ref(), beta.as_ref())?;
                gamma = Some(g.reshape(bshape.clone())?);
                beta = Some(b.reshape(bshape.clone())?);
                update_renorm_statistics(&self.config, w, renorm, &mean_c, &var_c)?;
            } else {
                let m = self.config.momentum;
                no_grad(|| -> Result<()> {
                    w.moving_mean.assign(&ema(w.moving_mean.value(), &mean_c, m)?)?;
                    w.moving_variance.assign(&ema(w.moving_variance.value(), &var_c, m)?)
                })?;
            }
            (mean, variance)
        } else {
            (w.moving_mean.value().reshape(bshape.clone())?, w.moving_variance.value().reshape(bshape.clone())?)
        };
        // Keras's order of operations: inv = rsqrt(var + eps) * gamma; y = x * inv + (beta - mean * inv).
        let mut inv = variance.add_scalar(eps)?.rsqrt()?;
        if let Some(g) = &gamma {
            inv = inv.mul(g)?;
        }
        let mut res = mean.neg()?.mul(&inv)?;
        if let Some(b) = &beta {
            res = res.add(b)?;
        }
        Ok(vec![x.mul(&inv)?.add(&res)?])
    }

    fn weights(&self) -> Vec<&Variable> {
        let Some(w) = &self.weights else { return Vec::new() };
        let mut out: Vec<&Variable> = w.gamma.iter().chain(w.beta.iter()).collect();
        out.extend([&w.moving_mean, &w.moving_variance]);
        if let Some(r) = &w.renorm {
            out.extend(r.iter());
        }
        out
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `moving * momentum + stat * (1 - momentum)`, Keras's moving-average update.
fn ema(moving: &Tensor, stat: &Tensor, momentum: f32) -> Result<Tensor> {
    Ok(moving.mul_scalar(momentum)?.add(&stat.detach().mul_scalar(1.0 - momentum)?)?)
}

/// The effective `(gamma, beta)` of batch renormalization, `(r * gamma, d * gamma + beta)`
/// with `gamma`/`beta` taken as 1/0 when absent. `r` and `d` carry no gradient, as Keras
/// wraps them in `stop_gradient`. All shapes `(c,)` except `gamma`/`beta`, which are in
/// the broadcast shape and come back as `(c,)` flattened.
fn renorm_transform(
    cfg: &BatchNormalizationConfig,
    renorm: &[Variable; 3],
    mean: &Tensor,
    variance: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    let [_, renorm_mean, renorm_stddev] = renorm;
    let (r, d) = no_grad(|| -> Result<(Tensor, Tensor)> {
        let stddev = variance.detach().add_scalar(cfg.epsilon)?.sqrt()?;
        // Avoids dividing by zero early in training.
        let floor = Tensor::full(stddev.shape().clone(), cfg.epsilon.sqrt())?;
        let rs = renorm_stddev.value().maximum(&floor)?;
        let mut r = stddev.div(&rs)?;
        let mut d = mean.detach().sub(renorm_mean.value())?.div(&rs)?;
        let clip = &cfg.renorm_clipping;
        let shape = stddev.shape().clone();
        let bound = |v: f32| Tensor::full(shape.clone(), v);
        if let Some(rmin) = clip.rmin {
            r = r.maximum(&bound(rmin)?)?;
        }
        if let Some(rmax) = clip.rmax {
            r = r.minimum(&bound(rmax)?)?;
        }
        if let Some(dmax) = clip.dmax {
            d = d.clamp(-dmax, dmax)?;
        }
        Ok((r, d))
    })?;
    let shape = r.shape().clone();
    let flat = |t: &Tensor| t.reshape(shape.clone());
    let (g, b) = match gamma {
        Some(g) => {
            let g = flat(g)?;
            (r.mul(&g)?, d.mul(&g)?)
        }
        None => (r, d),
    };
    let b = match beta {
        Some(beta) => b.add(&flat(beta)?)?,
        None => b,
    };
    Ok((g, b))
}

/// Keras's `_update_renorm_statistics`: exponential averages of the batch mean and
/// standard deviation into `renorm_*` (with `renorm_momentum`) and `moving_*` (with
/// `momentum`), and `moving_variance = relu(moving_stddev^2 - epsilon)`.
fn update_renorm_statistics(
    cfg: &BatchNormalizationConfig,
    w: &Weights,
    renorm: &[Variable; 3],
    mean: &Tensor,
    variance: &Tensor,
) -> Result<()> {
    let [moving_stddev, renorm_mean, renorm_stddev] = renorm;
    no_grad(|| -> Result<()> {
        let stddev = variance.detach().add_scalar(cfg.epsilon)?.sqrt()?;
        renorm_mean.assign(&ema(renorm_mean.value(), mean, cfg.renorm_momentum)?)?;
        renorm_stddev.assign(&ema(renorm_stddev.value(), &stddev, cfg.renorm_momentum)?)?;
        w.moving_mean.assign(&ema(w.moving_mean.value(), mean, cfg.momentum)?)?;
        let new_stddev = ema(moving_stddev.value(), &stddev, cfg.momentum)?;
        moving_stddev.assign(&new_stddev)?;
        w.moving_variance.assign(&new_stddev.square()?.add_scalar(-cfg.epsilon)?.relu()?)
    })
}
