//! Adagrad (Keras `Adagrad`).

use super::base::{impl_optimizer, impl_short_constructors, Base, LearningRate, OptimizerOptions, UpdateRule};
use crate::error::training_error;
use crate::Result;

/// [`Adagrad`]'s arguments, with Keras's names and defaults.
#[derive(Debug)]
pub struct AdagradConfig {
    /// Keras default 0.001.
    pub learning_rate: LearningRate,
    /// Starting value of the squared-gradient accumulator (Keras default 0.1).
    pub initial_accumulator_value: f32,
    /// Added under the square root (Keras default 1e-7).
    pub epsilon: f32,
    /// Weight decay and clipping.
    pub options: OptimizerOptions,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            learning_rate: LearningRate::Constant(0.001),
            initial_accumulator_value: 0.1,
            epsilon: 1e-7,
            options: OptimizerOptions::default(),
        }
    }
}

struct Rule {
    initial_accumulator_value: f32,
    epsilon: f32,
}

impl UpdateRule for Rule {
    fn slot_names(&self) -> Vec<&'static str> {
        vec!["accumulator"]
    }
    fn slot_init(&self, _slot: &str) -> f32 {
        self.initial_accumulator_value
    }
    fn update(&self, _iterations: u64, lr: f32, g: &[f32], w: &mut [f32], slots: &mut [Vec<f32>]) {
        let acc = &mut slots[0];
        for i in 0..w.len() {
            acc[i] += g[i] * g[i];
            w[i] -= lr * g[i] / (acc[i] + self.epsilon).sqrt();
        }
    }
}

/// Keras's `Adagrad`.
pub struct Adagrad {
    base: Base,
    rule: Rule,
}

impl Adagrad {
    /// Checks a finite non-negative learning rate, a non-negative initial accumulator
    /// and at most one clipping option.
    pub fn new(config: AdagradConfig) -> Result<Self> {
        if config.initial_accumulator_value.is_nan() || config.initial_accumulator_value < 0.0 {
            return Err(training_error(
                "Adagrad",
                format!("`initial_accumulator_value` must be >= 0, received {}", config.initial_accumulator_value),
            ));
        }
        let rule = Rule { initial_accumulator_value: config.initial_accumulator_value, epsilon: config.epsilon };
        Ok(Adagrad { base: Base::new("Adagrad", config.learning_rate, config.options)?, rule })
    }
}

impl_optimizer!(Adagrad);
impl_short_constructors!(Adagrad, AdagradConfig, "Adagrad");
