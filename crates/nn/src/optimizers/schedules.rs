//! Learning-rate schedules with Keras 3.15's formulas
//! (keras/src/optimizers/schedules/learning_rate_schedule.py). Values are computed in
//! f32, as Keras does on its float32 tensors.

use std::f32::consts::PI;

use crate::error::training_error;
use crate::Result;

/// The learning rate as a function of the optimizer's `iterations` (steps taken so far).
pub trait LearningRateSchedule: Send + Sync {
    /// The rate for the step that starts after `step` completed steps.
    fn value(&self, step: u64) -> f32;
}

fn check_decay_steps(name: &str, decay_steps: u64) -> Result<()> {
    if decay_steps == 0 {
        return Err(training_error(name, "Argument `decay_steps` must be > 0. Received: decay_steps=0"));
    }
    Ok(())
}

/// `initial_learning_rate * decay_rate ^ (step / decay_steps)`, the exponent floored when
/// `staircase` (Keras `ExponentialDecay`).
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f32,
    /// Steps per factor of `decay_rate`.
    pub decay_steps: u64,
    /// The factor per `decay_steps`.
    pub decay_rate: f32,
    /// Decay in whole steps of `decay_steps` (Keras default false).
    pub staircase: bool,
}

impl ExponentialDecay {
    /// Checks `decay_steps > 0`, as Keras does.
    pub fn new(initial_learning_rate: f32, decay_steps: u64, decay_rate: f32, staircase: bool) -> Result<Self> {
        check_decay_steps("ExponentialDecay", decay_steps)?;
        Ok(ExponentialDecay { initial_learning_rate, decay_steps, decay_rate, staircase })
    }
}

impl LearningRateSchedule for ExponentialDecay {
    fn value(&self, step: u64) -> f32 {
        let mut p = step as f32 / self.decay_steps as f32;
        if self.staircase {
            p = p.floor();
        }
        self.initial_learning_rate * self.decay_rate.powf(p)
    }
}

/// `values[0]` for `step <= boundaries[0]`, `values[i]` for
/// `boundaries[i-1] < step <= boundaries[i]`, and the last value after the last boundary
/// (Keras `PiecewiseConstantDecay`).
#[derive(Clone, Debug, PartialEq)]
pub struct PiecewiseConstantDecay {
    /// Step boundaries, increasing.
    pub boundaries: Vec<u64>,
    /// One more value than boundaries.
    pub values: Vec<f32>,
}

impl PiecewiseConstantDecay {
    /// Checks that there is one more value than boundaries (and that boundaries
    /// increase, which Keras assumes without checking).
    pub fn new(boundaries: Vec<u64>, values: Vec<f32>) -> Result<Self> {
        if boundaries.len() + 1 != values.len() {
            return Err(training_error(
                "PiecewiseConstantDecay",
                format!(
                    "The length of boundaries should be 1 less than the length of values. Received: boundaries={boundaries:?} of length {}, and values={values:?} of length {}.",
                    boundaries.len(),
                    values.len()
                ),
            ));
        }
        if boundaries.windows(2).any(|w| w[0] >= w[1]) {
            return Err(training_error(
                "PiecewiseConstantDecay",
                format!("boundaries must increase, received {boundaries:?}"),
            ));
        }
        Ok(PiecewiseConstantDecay { boundaries, values })
    }
}

impl LearningRateSchedule for PiecewiseConstantDecay {
    fn value(&self, step: u64) -> f32 {
        let i = self.boundaries.iter().take_while(|&&b| step > b).count();
        self.values.get(i).copied().unwrap_or(0.0)
    }
}

/// Cosine decay from `initial_learning_rate` (or, after a linear warmup to
/// `warmup_target`, from that) down to `alpha` times it over `decay_steps`, constant
/// afterwards (Keras `CosineDecay`).
#[derive(Clone, Debug, PartialEq)]
pub struct CosineDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f32,
    /// Length of the cosine part.
    pub decay_steps: u64,
    /// The final rate as a fraction of the decayed-from rate (Keras default 0).
    pub alpha: f32,
    /// With warmup, the rate reached after `warmup_steps` (Keras default none).
    pub warmup_target: Option<f32>,
    /// Length of the linear warmup (Keras default 0).
    pub warmup_steps: u64,
}

impl CosineDecay {
    /// Keras's defaults (`alpha` 0, no warmup); checks `decay_steps > 0`.
    pub fn new(initial_learning_rate: f32, decay_steps: u64) -> Result<Self> {
        check_decay_steps("CosineDecay", decay_steps)?;
        Ok(CosineDecay { initial_learning_rate, decay_steps, alpha: 0.0, warmup_target: None, warmup_steps: 0 })
    }

    fn decay(&self, step: f32, from: f32) -> f32 {
        let cosine = 0.5 * (1.0 + (PI * (step / self.decay_steps as f32)).cos());
        from * ((1.0 - self.alpha) * cosine + self.alpha)
    }
}

impl LearningRateSchedule for CosineDecay {
    fn value(&self, step: u64) -> f32 {
        let decay_steps = self.decay_steps as f32;
        let step = step as f32;
        match self.warmup_target {
            None => self.decay(step.min(decay_steps), self.initial_learning_rate),
            Some(target) => {
                let warmup = self.warmup_steps as f32;
                let step = step.min(decay_steps + warmup);
                if step < warmup {
                    (target - self.initial_learning_rate) * (step / warmup) + self.initial_learning_rate
                } else {
                    self.decay(step - warmup, target)
                }
            }
        }
    }
}
