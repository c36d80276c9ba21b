//! Adam and AdamW (Keras `Adam`, `AdamW`), with Keras's bias-correction form.

use super::base::{impl_optimizer, impl_short_constructors, Base, LearningRate, OptimizerOptions, UpdateRule};
use crate::error::training_error;
use crate::Result;

/// [`Adam`]'s arguments, with Keras's names and defaults.
#[derive(Debug)]
pub struct AdamConfig {
    /// Keras default 0.001.
    pub learning_rate: LearningRate,
    /// Decay of the first moment (Keras default 0.9). f64 because Keras forms
    /// `1 - beta_1` in Python's double precision before rounding to f32; rounding beta
    /// first would move `1 - 0.999` by 1e-5 relative.
    pub beta_1: f64,
    /// Decay of the second moment (Keras default 0.999); f64 as `beta_1`.
    pub beta_2: f64,
    /// Added to `sqrt(v)` (Keras default 1e-7).
    pub epsilon: f32,
    /// Use the running maximum of `v` (Keras default false).
    pub amsgrad: bool,
    /// Weight decay and clipping.
    pub options: OptimizerOptions,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: LearningRate::Constant(0.001),
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
            options: OptimizerOptions::default(),
        }
    }
}

pub(super) struct Rule {
    beta_1: f64,
    beta_2: f64,
    epsilon: f32,
    amsgrad: bool,
}

impl UpdateRule for Rule {
    fn slot_names(&self) -> Vec<&'static str> {
        if self.amsgrad {
            vec!["momentum", "velocity", "velocity_hat"]
        } else {
            vec!["momentum", "velocity"]
        }
    }
    fn update(&self, iterations: u64, lr: f32, g: &[f32], w: &mut [f32], slots: &mut [Vec<f32>]) {
        // The powers use beta rounded to f32 (Keras casts it); `1 - beta` is formed in
        // f64 and then rounded, as Python does.
        let (b1, b2) = (self.beta_1 as f32, self.beta_2 as f32);
        let (c1, c2) = ((1.0 - self.beta_1) as f32, (1.0 - self.beta_2) as f32);
        let t = (iterations + 1) as f32;
        // Keras folds both bias corrections into the step size.
        let alpha = lr * (1.0 - b2.powf(t)).sqrt() / (1.0 - b1.powf(t));
        let (m, rest) = slots.split_at_mut(1);
        let (v, v_hat) = rest.split_at_mut(1);
        let (m, v, eps) = (&mut m[0], &mut v[0], self.epsilon);
        // Zipped slices without a branch inside: the loop vectorises (square roots and
        // divisions included), the same operations in the same order per element.
        let mvw = w.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()));
        match v_hat.first_mut() {
            Some(h) => mvw.zip(h.iter_mut()).for_each(|(((w, &g), (m, v)), h)| {
                *m += (g - *m) * c1;
                *v += (g * g - *v) * c2;
                *h = h.max(*v);
                *w -= *m * alpha / (h.sqrt() + eps);
            }),
            None => mvw.for_each(|((w, &g), (m, v))| {
                *m += (g - *m) * c1;
                *v += (g * g - *v) * c2;
                *w -= *m * alpha / (v.sqrt() + eps);
            }),
        }
    }
}

fn rule(c: &AdamConfig, name: &str) -> Result<Rule> {
    for (arg, v) in [("beta_1", c.beta_1), ("beta_2", c.beta_2)] {
        if !(0.0..1.0).contains(&v) {
            return Err(training_error(name, format!("`{arg}` must be in [0, 1), received {arg}={v}")));
        }
    }
    Ok(Rule { beta_1: c.beta_1, beta_2: c.beta_2, epsilon: c.epsilon, amsgrad: c.amsgrad })
}

/// Keras's `Adam`.
pub struct Adam {
    base: Base,
    rule: Rule,
}

impl Adam {
    /// Checks a finite non-negative learning rate, betas in [0, 1) and at most one
    /// clipping option.
    pub fn new(config: AdamConfig) -> Result<Self> {
        let rule = rule(&config, "Adam")?;
        Ok(Adam { base: Base::new("Adam", config.learning_rate, config.options)?, rule })
    }
}

impl_optimizer!(Adam);
impl_short_constructors!(Adam, AdamConfig, "Adam");

/// Keras's `AdamW`: Adam with decoupled weight decay, `weight_decay` defaulting to
/// 0.004 (the `weight_decay` of `options` is ignored in favour of this one).
pub struct AdamW {
    base: Base,
    rule: Rule,
}

/// [`AdamW`]'s arguments: Adam's plus `weight_decay`.
#[derive(Debug)]
pub struct AdamWConfig {
    /// Adam's arguments (Keras's defaults).
    pub adam: AdamConfig,
    /// Decoupled weight decay (Keras default 0.004).
    pub weight_decay: f32,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { adam: AdamConfig::default(), weight_decay: 0.004 }
    }
}

impl AdamW {
    /// As [`Adam::new`], with the weight decay set.
    pub fn new(config: AdamWConfig) -> Result<Self> {
        let rule = rule(&config.adam, "AdamW")?;
        let options = OptimizerOptions { weight_decay: Some(config.weight_decay), ..config.adam.options };
        Ok(AdamW { base: Base::new("AdamW", config.adam.learning_rate, options)?, rule })
    }
}

impl_optimizer!(AdamW);
