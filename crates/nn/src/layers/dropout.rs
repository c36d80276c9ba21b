//! `Dropout`: Keras's inverted dropout.

use std::any::Any;
use std::sync::Mutex;

use fovea_core::{Rng, Shape, Tensor};

use crate::layer::{layer_error, single};
use crate::{CallContext, Layer, Result, ShapeSpec};

/// Keras's `Dropout` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DropoutConfig {
    /// Fraction of the input units to drop, in `[0, 1]` (Keras accepts 1: everything is
    /// dropped and the output is zeros in training).
    pub rate: f32,
    /// Shape of the binary mask, broadcast against the input (Keras's `noise_shape`);
    /// `None` entries take the input's size on that axis, so `[None, Some(1), None]`
    /// shares one mask across the time steps of a `(batch, time, features)` input.
    /// `None` (the default) draws one mask entry per input element.
    pub noise_shape: Option<Vec<Option<usize>>>,
    /// Seed of the layer's own random stream. `None` (the default) draws masks from the
    /// call's [`CallContext::rng`].
    pub seed: Option<u64>,
}

/// Randomly zeroes inputs in training mode and scales the kept ones by `1 / (1 - rate)`,
/// so the expected sum is unchanged; the identity at inference.
///
/// Randomness: without a `seed`, each training call draws its mask from
/// [`CallContext::rng`], so a fit whose context Rng is seeded is reproducible. With a
/// `seed`, the layer owns a generator started from it that advances on every training
/// call, like Keras's per-layer `SeedGenerator`: two layers built with the same seed
/// drop the same units on their first call, whatever the context's Rng.
///
/// # Shapes
/// Output shape = input shape (any rank). The mask has the concrete `noise_shape` and
/// broadcasts against the input numpy-style.
pub struct Dropout {
    name: String,
    config: DropoutConfig,
    seeded: Option<Mutex<Rng>>,
}

impl Dropout {
    /// Dropout of `rate` with Keras's other defaults.
    pub fn new(rate: f32) -> Self {
        Self::with_config(DropoutConfig { rate, ..Default::default() })
    }

    /// Dropout from a full configuration.
    pub fn with_config(config: DropoutConfig) -> Self {
        let seeded = config.seed.map(|s| Mutex::new(Rng::new(s)));
        Dropout { name: String::new(), config, seeded }
    }

    /// The configuration.
    pub fn config(&self) -> &DropoutConfig {
        &self.config
    }

    /// Keras raises these in the constructor; fovea reports them on first use.
    fn validate(&self) -> Result<()> {
        let rate = self.config.rate;
        if !(0.0..=1.0).contains(&rate) {
            return Err(layer_error(self, format!("rate must be a float between 0 and 1, received rate={rate}")));
        }
        if let Some(ns) = &self.config.noise_shape {
            if let Some(i) = ns.iter().position(|d| *d == Some(0)) {
                return Err(layer_error(
                    self,
                    format!(
                        "noise_shape dimensions must be positive integers or None, received 0 at index {i} \
                         (noise_shape={})",
                        ShapeSpec(ns.clone())
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The concrete mask shape for an input of `dims` (Keras's
    /// `_get_concrete_noise_shape`: a `None` at index `i` takes `dims[i]`), checked to
    /// broadcast to `dims`.
    fn mask_shape(&self, dims: &[usize]) -> Result<Vec<usize>> {
        let Some(ns) = &self.config.noise_shape else {
            return Ok(dims.to_vec());
        };
        let bad = || {
            layer_error(
                self,
                format!(
                    "noise_shape={} does not broadcast to the input shape {}",
                    ShapeSpec(ns.clone()),
                    Shape::new(dims.to_vec())
                ),
            )
        };
        if ns.len() > dims.len() {
            return Err(bad());
        }
        let concrete: Vec<usize> = ns.iter().enumerate().map(|(i, d)| d.unwrap_or(dims[i])).collect();
        // Right-aligned, as jax.numpy.broadcast_to.
        let offset = dims.len() - concrete.len();
        if concrete.iter().enumerate().any(|(i, &m)| m != 1 && m != dims[offset + i]) {
            return Err(bad());
        }
        Ok(concrete)
    }
}

impl Layer for Dropout {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Dropout"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.validate()?;
        Ok(vec![x.clone()])
    }

    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        self.validate()?;
        let rate = self.config.rate;
        if !ctx.training || rate == 0.0 {
            return Ok(vec![x.clone()]);
        }
        if rate == 1.0 {
            // Keras returns zeros_like(inputs): no mask is drawn, no gradient flows.
            return Ok(vec![x.detach().zeros_like()?]);
        }
        let keep = 1.0 - rate;
        let shape = self.mask_shape(x.dims())?;
        let mask = match &self.seeded {
            Some(rng) => rng.lock().unwrap_or_else(|e| e.into_inner()).bernoulli(shape, keep)?,
            None => ctx.rng.bernoulli(shape, keep)?,
        };
        // x / keep (not x * (1 / keep)) so kept values are bit-equal to Keras's.
        let y = x.div(&Tensor::scalar(keep))?.mul(&mask)?;
        Ok(vec![y])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
