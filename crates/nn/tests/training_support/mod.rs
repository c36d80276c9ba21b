//! Minimal stand-ins for the real losses, metrics and optimizers (written elsewhere), so
//! the training loop is tested against the traits alone: plain SGD, MSE, MAE.
#![allow(dead_code)]

use fovea_core::{no_grad, Rng, Tensor};
use fovea_nn::layers::{Dense, Dropout};
use fovea_nn::losses::Loss;
use fovea_nn::metrics::Metric;
use fovea_nn::optimizers::Optimizer;
use fovea_nn::{Activation, Model, Result, Sequential, Variable};

/// `w -= lr * g`.
pub struct PlainSgd {
    pub lr: f32,
    pub steps: u64,
}

impl PlainSgd {
    pub fn new(lr: f32) -> Self {
        PlainSgd { lr, steps: 0 }
    }
}

impl Optimizer for PlainSgd {
    fn name(&self) -> &str {
        "SGD"
    }
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, &Variable)]) -> Result<()> {
        no_grad(|| {
            for (g, v) in grads_and_vars {
                v.assign(&v.value().sub(&g.mul_scalar(self.lr)?)?)?;
            }
            Ok::<_, fovea_nn::Error>(())
        })?;
        self.steps += 1;
        Ok(())
    }
    fn learning_rate(&self) -> f32 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        self.lr = lr;
        Ok(())
    }
    fn iterations(&self) -> u64 {
        self.steps
    }
    fn state(&self) -> Result<Vec<(String, Tensor)>> {
        Ok(vec![])
    }
    fn load_state(&mut self, _state: &[(String, Tensor)]) -> Result<()> {
        Ok(())
    }
}

/// Mean squared error over all elements.
pub struct Mse;

impl Loss for Mse {
    fn name(&self) -> &str {
        "mean_squared_error"
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        Ok(y_pred.sub(y_true)?.square()?.mean_all()?)
    }
}

/// Running mean absolute error, weighted by element count.
#[derive(Default)]
pub struct Mae {
    sum: f64,
    count: f64,
}

impl Metric for Mae {
    fn name(&self) -> &str {
        "mean_absolute_error"
    }
    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor) -> Result<()> {
        let d = y_pred.sub(y_true)?.abs()?.to_vec_f32()?;
        self.sum += d.iter().map(|&v| v as f64).sum::<f64>();
        self.count += d.len() as f64;
        Ok(())
    }
    fn result(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.sum / self.count
        }
    }
    fn reset(&mut self) {
        *self = Mae::default();
    }
}

/// `y = 2 x0 - 3 x1 + 0.5`: `n` samples, `x (n, 2)`, `y (n, 1)`.
pub fn linear_data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let x = Rng::new(seed).normal([n, 2], 0.0, 1.0).unwrap();
    let xs = x.to_vec_f32().unwrap();
    let y: Vec<f32> = xs.chunks(2).map(|r| 2.0 * r[0] - 3.0 * r[1] + 0.5).collect();
    (x, Tensor::from_vec(y, [n, 1]).unwrap())
}

/// Dense(1) on 2 features.
pub fn linear_model(seed: u64) -> Model {
    Sequential::new(&[2]).add(Dense::new(1)).build(&mut Rng::new(seed)).unwrap()
}

/// Dense(8, relu) -> Dropout(0.5) -> Dense(1): training draws randomness.
pub fn dropout_model(seed: u64) -> Model {
    Sequential::new(&[2])
        .add(Dense::new(8).activation(Activation::Relu))
        .add(Dropout::new(0.5))
        .add(Dense::new(1))
        .build(&mut Rng::new(seed))
        .unwrap()
}

pub fn compiled(model: Model, lr: f32) -> fovea_nn::training::CompiledModel {
    model.compile(PlainSgd::new(lr), Mse, Mae::default())
}

pub fn weights(model: &Model) -> Vec<Vec<f32>> {
    model.get_weights().unwrap().iter().map(|w| w.to_vec_f32().unwrap()).collect()
}
