//! Stochastic gradient descent with optional (Nesterov) momentum (Keras `SGD`).

use super::base::{impl_optimizer, impl_short_constructors, Base, LearningRate, OptimizerOptions, UpdateRule};
use crate::error::training_error;
use crate::Result;

/// [`SGD`]'s arguments, with Keras's names and defaults.
#[derive(Debug)]
pub struct SGDConfig {
    /// Keras default 0.01.
    pub learning_rate: LearningRate,
    /// In [0, 1] (Keras default 0: plain SGD, no slot).
    pub momentum: f32,
    /// Nesterov momentum (Keras default false).
    pub nesterov: bool,
    /// Weight decay and clipping.
    pub options: OptimizerOptions,
}

impl Default for SGDConfig {
    fn default() -> Self {
        SGDConfig {
            learning_rate: LearningRate::Constant(0.01),
            momentum: 0.0,
            nesterov: false,
            options: OptimizerOptions::default(),
        }
    }
}

struct Rule {
    momentum: f32,
    nesterov: bool,
}

impl UpdateRule for Rule {
    fn slot_names(&self) -> Vec<&'static str> {
        if self.momentum != 0.0 {
            vec!["momentum"]
        } else {
            vec![]
        }
    }
    fn update(&self, _iterations: u64, lr: f32, g: &[f32], w: &mut [f32], slots: &mut [Vec<f32>]) {
        let Some(m) = slots.first_mut() else {
            w.iter_mut().zip(g).for_each(|(w, g)| *w -= g * lr);
            return;
        };
        let mu = self.momentum;
        for ((w, &g), m) in w.iter_mut().zip(g).zip(m.iter_mut()) {
            // Keras: m = m * momentum - g * lr; then w += m, or with Nesterov
            // w += m * momentum - g * lr (using the new m).
            *m = *m * mu - g * lr;
            *w += if self.nesterov { *m * mu - g * lr } else { *m };
        }
    }
}

/// Keras's `SGD`.
#[allow(clippy::upper_case_acronyms)] // Keras's class name
pub struct SGD {
    base: Base,
    rule: Rule,
}

impl SGD {
    /// Checks the arguments as Keras does (`momentum` in [0, 1]), plus a finite
    /// non-negative learning rate and at most one clipping option.
    pub fn new(config: SGDConfig) -> Result<Self> {
        if !(0.0..=1.0).contains(&config.momentum) {
            return Err(training_error(
                "SGD",
                format!("`momentum` must be a float between [0, 1], received momentum={}", config.momentum),
            ));
        }
        let base = Base::new("SGD", config.learning_rate, config.options)?;
        Ok(SGD { base, rule: Rule { momentum: config.momentum, nesterov: config.nesterov } })
    }
}

impl_optimizer!(SGD);
impl_short_constructors!(SGD, SGDConfig, "SGD");
