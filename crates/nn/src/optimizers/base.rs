//! What every optimizer shares, as Keras's `BaseOptimizer.apply`: gradient clipping,
//! decoupled weight decay, the learning rate (constant or scheduled), per-variable slots,
//! constraints after the update, and the `iterations` counter.
//!
//! Updates run on the host in f32 in the order Keras's ops run, so the results match
//! Keras's float32 arithmetic.

use std::fmt;

use fovea_core::{Tensor, TensorId};

use super::schedules::LearningRateSchedule;
use crate::error::training_error;
use crate::{Result, Variable};

/// A learning rate: a constant or a schedule of `iterations`.
pub enum LearningRate {
    /// The same rate every step (settable with `set_learning_rate`).
    Constant(f32),
    /// A rate computed from the step count.
    Schedule(Box<dyn LearningRateSchedule>),
}

impl LearningRate {
    /// The rate for the step after `iterations` completed steps.
    pub fn at(&self, iterations: u64) -> f32 {
        match self {
            LearningRate::Constant(lr) => *lr,
            LearningRate::Schedule(s) => s.value(iterations),
        }
    }
}

impl From<f32> for LearningRate {
    fn from(lr: f32) -> Self {
        LearningRate::Constant(lr)
    }
}

impl fmt::Debug for LearningRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LearningRate::Constant(lr) => write!(f, "Constant({lr})"),
            LearningRate::Schedule(_) => write!(f, "Schedule(..)"),
        }
    }
}

/// Keras's base-optimizer arguments. At most one of the three clipping options may be
/// set; a clip value <= 0 means no clipping, as in Keras.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OptimizerOptions {
    /// Decoupled weight decay: before each update `w -= w * weight_decay * lr`.
    pub weight_decay: Option<f32>,
    /// Rescales each gradient whose L2 norm exceeds it.
    pub clipnorm: Option<f32>,
    /// Clips each gradient element to `[-clipvalue, clipvalue]`.
    pub clipvalue: Option<f32>,
    /// Rescales all gradients together when their joint L2 norm exceeds it.
    pub global_clipnorm: Option<f32>,
}

/// One optimizer's per-element rule (Keras's `update_step`).
pub(crate) trait UpdateRule: Send {
    /// Names of the slots kept per variable, in Keras's order.
    fn slot_names(&self) -> Vec<&'static str>;
    /// The initial value of a slot (0 but for Adagrad's accumulator).
    fn slot_init(&self, _slot: &str) -> f32 {
        0.0
    }
    /// Updates `w` and its `slots` (in `slot_names` order) from the gradient `g`;
    /// `iterations` counts the steps before this one.
    fn update(&self, iterations: u64, lr: f32, g: &[f32], w: &mut [f32], slots: &mut [Vec<f32>]);
}

/// The slots of one variable.
struct Slots {
    /// `None` for slots restored by `load_state` and not yet matched to a variable.
    id: Option<TensorId>,
    dims: Vec<usize>,
    values: Vec<Vec<f32>>,
}

fn opt_str(v: Option<f32>) -> String {
    v.map_or_else(|| "None".to_string(), |x| x.to_string())
}

/// The machinery every optimizer shares.
pub(crate) struct Base {
    pub(crate) name: &'static str,
    learning_rate: LearningRate,
    options: OptimizerOptions,
    iterations: u64,
    slots: Vec<Slots>,
}

fn check_lr(name: &str, lr: f32) -> Result<()> {
    if !(lr.is_finite() && lr >= 0.0) {
        return Err(training_error(
            name,
            format!("`learning_rate` must be a finite float >= 0, received learning_rate={lr}"),
        ));
    }
    Ok(())
}

impl Base {
    pub(crate) fn new(name: &'static str, learning_rate: LearningRate, options: OptimizerOptions) -> Result<Self> {
        if let LearningRate::Constant(lr) = learning_rate {
            check_lr(name, lr)?;
        }
        let o = options;
        if [o.clipnorm, o.clipvalue, o.global_clipnorm].iter().filter(|c| c.is_some()).count() > 1 {
            return Err(training_error(
                name,
                format!(
                    "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm={}, clipvalue={}, global_clipnorm={}",
                    opt_str(o.clipnorm),
                    opt_str(o.clipvalue),
                    opt_str(o.global_clipnorm)
                ),
            ));
        }
        if let Some(wd) = o.weight_decay {
            if !wd.is_finite() {
                return Err(training_error(name, format!("`weight_decay` must be finite, received weight_decay={wd}")));
            }
        }
        Ok(Base { name, learning_rate, options, iterations: 0, slots: Vec::new() })
    }

    pub(crate) fn learning_rate(&self) -> f32 {
        self.learning_rate.at(self.iterations)
    }

    pub(crate) fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        match self.learning_rate {
            LearningRate::Schedule(_) => Err(training_error(
                self.name,
                "This optimizer was created with a `LearningRateSchedule` as its `learning_rate`, hence its learning rate is not settable",
            )),
            LearningRate::Constant(_) => {
                check_lr(self.name, lr)?;
                self.learning_rate = LearningRate::Constant(lr);
                Ok(())
            }
        }
    }

    pub(crate) fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Keras's `_clip_gradients`.
    fn clip(&self, grads: &mut [Vec<f32>]) {
        let o = &self.options;
        if let Some(c) = o.clipnorm.filter(|&c| c > 0.0) {
            for g in grads.iter_mut() {
                let l2 = g.iter().map(|x| x * x).sum::<f32>().sqrt();
                let denom = l2.max(c);
                g.iter_mut().for_each(|x| *x = *x * c / denom);
            }
        } else if let Some(c) = o.global_clipnorm.filter(|&c| c > 0.0) {
            let norm = grads.iter().map(|g| g.iter().map(|x| x * x).sum::<f32>()).sum::<f32>().sqrt();
            // Keras's form: NaN when the norm is not finite, 1 when it is below `c`.
            let scale = if norm.is_finite() { c * (1.0 / norm).min(1.0 / c) } else { f32::NAN };
            grads.iter_mut().flatten().for_each(|x| *x *= scale);
        } else if let Some(c) = o.clipvalue.filter(|&c| c > 0.0) {
            grads.iter_mut().flatten().for_each(|x| *x = x.clamp(-c, c));
        }
    }

    /// The slot index for `var`, creating (or claiming restored) slots on first sight.
    fn slots_for(&mut self, rule: &dyn UpdateRule, var: &Variable) -> Result<usize> {
        let id = var.value().id();
        if let Some(i) = self.slots.iter().position(|s| s.id == Some(id)) {
            return Ok(i);
        }
        if let Some(i) = self.slots.iter().position(|s| s.id.is_none()) {
            let s = &mut self.slots[i];
            if s.dims != var.dims() {
                return Err(training_error(
                    self.name,
                    format!(
                        "restored slots #{i} have shape {:?} but variable '{}' has shape {:?}",
                        s.dims,
                        var.name(),
                        var.dims()
                    ),
                ));
            }
            s.id = Some(id);
            return Ok(i);
        }
        let n = var.numel();
        let values = rule.slot_names().iter().map(|s| vec![rule.slot_init(s); n]).collect();
        self.slots.push(Slots { id: Some(id), dims: var.dims().to_vec(), values });
        Ok(self.slots.len() - 1)
    }

    /// Keras's `BaseOptimizer.apply`.
    pub(crate) fn apply(&mut self, rule: &dyn UpdateRule, grads_and_vars: &[(Tensor, &Variable)]) -> Result<()> {
        // Keras returns before counting the step when there is nothing to apply.
        if grads_and_vars.is_empty() {
            return Ok(());
        }
        let mut grads = Vec::with_capacity(grads_and_vars.len());
        for (g, v) in grads_and_vars {
            if g.dims() != v.dims() {
                return Err(training_error(
                    self.name,
                    format!(
                        "gradient of shape {} does not match variable '{}' of shape {:?}",
                        g.shape(),
                        v.name(),
                        v.dims()
                    ),
                ));
            }
            grads.push(g.to_vec_f32()?);
        }
        self.clip(&mut grads);
        let lr = self.learning_rate();
        if let Some(wd) = self.options.weight_decay {
            for (_, v) in grads_and_vars {
                v.value().update_f32(|w| w.iter_mut().for_each(|x| *x -= *x * wd * lr))?;
            }
        }
        for (g, (_, v)) in grads.iter().zip(grads_and_vars) {
            let i = self.slots_for(rule, v)?;
            let iterations = self.iterations;
            let slots = &mut self.slots[i].values;
            v.value().update_f32(|w| rule.update(iterations, lr, g, w, slots))?;
        }
        for (_, v) in grads_and_vars {
            if let Some(c) = &v.constraint {
                let projected = c.apply(v.value())?;
                v.assign(&projected)?;
            }
        }
        self.iterations += 1;
        Ok(())
    }

    /// `iterations`, `learning_rate` (when constant), then `"<i>/<slot>"` per variable
    /// in the order first seen.
    pub(crate) fn state(&self, rule: &dyn UpdateRule) -> Result<Vec<(String, Tensor)>> {
        let mut out = vec![("iterations".to_string(), Tensor::from_vec_i64(vec![self.iterations as i64], [1])?)];
        if let LearningRate::Constant(lr) = self.learning_rate {
            out.push(("learning_rate".to_string(), Tensor::from_vec(vec![lr], [1])?));
        }
        for (i, s) in self.slots.iter().enumerate() {
            for (name, v) in rule.slot_names().iter().zip(&s.values) {
                out.push((format!("{i}/{name}"), Tensor::from_vec(v.clone(), s.dims.clone())?));
            }
        }
        Ok(out)
    }

    pub(crate) fn load_state(&mut self, rule: &dyn UpdateRule, state: &[(String, Tensor)]) -> Result<()> {
        let name = self.name;
        let find = |key: &str| state.iter().find(|(k, _)| k == key).map(|(_, t)| t);
        let iterations = find("iterations").ok_or_else(|| training_error(name, "state has no 'iterations' entry"))?;
        let iterations = iterations.to_vec_f32()?.first().copied().unwrap_or(0.0);
        let lr = find("learning_rate").map(|t| t.to_vec_f32()).transpose()?;
        let slot_names = rule.slot_names();
        let mut slots = Vec::new();
        let mut known = 1 + usize::from(lr.is_some());
        for i in 0.. {
            let entries: Vec<Option<&Tensor>> = slot_names.iter().map(|s| find(&format!("{i}/{s}"))).collect();
            if entries.iter().all(Option::is_none) {
                break;
            }
            let mut values = Vec::new();
            let mut dims: Option<Vec<usize>> = None;
            for (s, e) in slot_names.iter().zip(entries) {
                let t = e.ok_or_else(|| training_error(name, format!("state has no '{i}/{s}' entry")))?;
                if dims.as_deref().is_some_and(|d| d != t.dims()) {
                    return Err(training_error(
                        name,
                        format!("state entry '{i}/{s}' has shape {}, unlike its siblings", t.shape()),
                    ));
                }
                dims = Some(t.dims().to_vec());
                values.push(t.to_vec_f32()?);
                known += 1;
            }
            slots.push(Slots { id: None, dims: dims.unwrap_or_default(), values });
        }
        if known != state.len() {
            let unknown: Vec<&str> = state
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| {
                    *k != "iterations"
                        && *k != "learning_rate"
                        && !k.split_once('/').is_some_and(|(i, s)| {
                            i.parse::<usize>().is_ok_and(|i| i < slots.len()) && slot_names.contains(&s)
                        })
                })
                .collect();
            return Err(training_error(name, format!("state has entries this optimizer does not use: {unknown:?}")));
        }
        if let (Some(lr), LearningRate::Constant(_)) = (lr, &self.learning_rate) {
            self.set_learning_rate(lr.first().copied().unwrap_or(0.0))?;
        }
        self.iterations = iterations as u64;
        self.slots = slots;
        Ok(())
    }
}

/// Implements [`super::Optimizer`] for a struct with fields `base: Base` and `rule`.
macro_rules! impl_optimizer {
    ($ty:ty) => {
        impl $crate::optimizers::Optimizer for $ty {
            fn name(&self) -> &str {
                self.base.name
            }
            fn apply_gradients(
                &mut self,
                grads_and_vars: &[(fovea_core::Tensor, &$crate::Variable)],
            ) -> $crate::Result<()> {
                self.base.apply(&self.rule, grads_and_vars)
            }
            fn learning_rate(&self) -> f32 {
                self.base.learning_rate()
            }
            fn set_learning_rate(&mut self, lr: f32) -> $crate::Result<()> {
                self.base.set_learning_rate(lr)
            }
            fn iterations(&self) -> u64 {
                self.base.iterations()
            }
            fn state(&self) -> $crate::Result<Vec<(String, fovea_core::Tensor)>> {
                self.base.state(&self.rule)
            }
            fn load_state(&mut self, state: &[(String, fovea_core::Tensor)]) -> $crate::Result<()> {
                self.base.load_state(&self.rule, state)
            }
        }
    };
}
pub(crate) use impl_optimizer;

/// Keras's short forms for an optimizer whose config has `learning_rate` and
/// `Default`: `Adam()` is `Adam::default()`, `Adam(learning_rate=1e-3)` is
/// `Adam::with_learning_rate(1e-3)?`.
macro_rules! impl_short_constructors {
    ($ty:ident, $config:ident, $keras:literal) => {
        impl $ty {
            #[doc = concat!("Keras's `", $keras, "(learning_rate=lr)` with every other argument at its default; an error for a negative or non-finite rate.")]
            pub fn with_learning_rate(lr: f32) -> $crate::Result<Self> {
                Self::new($config { learning_rate: lr.into(), ..$config::default() })
            }
        }

        impl Default for $ty {
            #[doc = concat!("Keras's `", $keras, "()`: every argument at its default.")]
            fn default() -> Self {
                // Keras's defaults are valid arguments: `new` cannot refuse them.
                Self::new($config::default()).expect("the default arguments are valid")
            }
        }
    };
}
pub(crate) use impl_short_constructors;
