//! RMSprop (Keras `RMSprop`), optionally centred and with momentum.

use super::base::{impl_optimizer, impl_short_constructors, Base, LearningRate, OptimizerOptions, UpdateRule};
use crate::error::training_error;
use crate::Result;

/// [`RMSprop`]'s arguments, with Keras's names and defaults.
#[derive(Debug)]
pub struct RMSpropConfig {
    /// Keras default 0.001.
    pub learning_rate: LearningRate,
    /// Decay of the squared-gradient average (Keras default 0.9). f64 because Keras
    /// forms `1 - rho` in Python's double precision before rounding to f32.
    pub rho: f64,
    /// Momentum on the increments (Keras default 0: no slot).
    pub momentum: f32,
    /// Added under the square root (Keras default 1e-7).
    pub epsilon: f32,
    /// Normalise by the variance rather than the second moment (Keras default false).
    pub centered: bool,
    /// Weight decay and clipping.
    pub options: OptimizerOptions,
}

impl Default for RMSpropConfig {
    fn default() -> Self {
        RMSpropConfig {
            learning_rate: LearningRate::Constant(0.001),
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
            options: OptimizerOptions::default(),
        }
    }
}

struct Rule {
    rho: f64,
    momentum: f32,
    epsilon: f32,
    centered: bool,
}

impl UpdateRule for Rule {
    fn slot_names(&self) -> Vec<&'static str> {
        let mut s = vec!["velocity"];
        if self.momentum > 0.0 {
            s.push("momentum");
        }
        if self.centered {
            s.push("average_gradient");
        }
        s
    }
    fn update(&self, _iterations: u64, lr: f32, g: &[f32], w: &mut [f32], slots: &mut [Vec<f32>]) {
        let (rho, one_minus_rho) = (self.rho as f32, (1.0 - self.rho) as f32);
        let (vel, rest) = slots.split_at_mut(1);
        let vel = &mut vel[0];
        let (mom, rest) = if self.momentum > 0.0 { rest.split_at_mut(1) } else { rest.split_at_mut(0) };
        for i in 0..w.len() {
            vel[i] = rho * vel[i] + one_minus_rho * (g[i] * g[i]);
            let denominator = match rest.first_mut() {
                Some(avg) => {
                    avg[i] = rho * avg[i] + one_minus_rho * g[i];
                    vel[i] - avg[i] * avg[i] + self.epsilon
                }
                None => vel[i] + self.epsilon,
            };
            let increment = lr * g[i] / denominator.sqrt();
            match mom.first_mut() {
                Some(m) => {
                    m[i] = self.momentum * m[i] + increment;
                    w[i] -= m[i];
                }
                None => w[i] -= increment,
            }
        }
    }
}

/// Keras's `RMSprop`.
pub struct RMSprop {
    base: Base,
    rule: Rule,
}

impl RMSprop {
    /// Checks a finite non-negative learning rate, `rho` in [0, 1], `momentum` >= 0 and
    /// at most one clipping option.
    pub fn new(config: RMSpropConfig) -> Result<Self> {
        if !(0.0..=1.0).contains(&config.rho) {
            return Err(training_error("RMSprop", format!("`rho` must be in [0, 1], received rho={}", config.rho)));
        }
        if !(0.0..=1.0).contains(&config.momentum) {
            return Err(training_error(
                "RMSprop",
                format!("`momentum` must be a float between [0, 1], received momentum={}", config.momentum),
            ));
        }
        let rule =
            Rule { rho: config.rho, momentum: config.momentum, epsilon: config.epsilon, centered: config.centered };
        Ok(RMSprop { base: Base::new("RMSprop", config.learning_rate, config.options)?, rule })
    }
}

impl_optimizer!(RMSprop);
impl_short_constructors!(RMSprop, RMSpropConfig, "RMSprop");
