//! Builders for the normalization and recurrent layers.

use fovea_nn::layers::{
    BatchNormalization, BatchNormalizationConfig, GRUConfig, LSTMConfig, LayerNormalization, LayerNormalizationConfig,
    LocalResponseNormalization, LocalResponseNormalizationConfig, RenormClipping, SimpleRNN, SimpleRNNConfig, GRU,
    LSTM,
};
use fovea_nn::{Activation, Initializer, Layer};
use serde_json::Value;

use super::args::Args;
use super::objects::{activation_or, constraint, data_format, initializer, regularizer};
use crate::Result;

/// `BatchNormalization` (Keras 3, and Keras 2's options at their defaults).
pub fn batch_norm(a: &Args) -> Result<Box<dyn Layer>> {
    let axis = a.isize_list("axis", &[-1])?;
    let [axis] = axis[..] else {
        return Err(a.unsupported(format!("axis={axis:?}: fovea normalizes over one features axis")));
    };
    // `synchronized` only matters across replicas; `fused` picked a kernel in Keras 2.
    a.ignore(&["synchronized", "fused"]);
    a.require("virtual_batch_size", |_| false, "ghost batch normalization is not implemented")?;
    a.require("adjustment", |_| false, "adjustment functions are not implemented")?;
    let renorm_clipping = match a.opt("renorm_clipping") {
        None => RenormClipping::default(),
        Some(Value::Object(m)) => {
            let get = |k: &str| -> Result<Option<f32>> {
                match m.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v
                        .as_f64()
                        .map(|f| Some(f as f32))
                        .ok_or_else(|| a.err(format!("renorm_clipping.{k} must be a number, got {v}"))),
                }
            };
            if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "rmax" | "rmin" | "dmax")) {
                return Err(a.unsupported(format!("unknown renorm_clipping key '{k}'")));
            }
            RenormClipping { rmax: get("rmax")?, rmin: get("rmin")?, dmax: get("dmax")? }
        }
        Some(v) => return Err(a.err(format!("'renorm_clipping' must be an object, got {v}"))),
    };
    Ok(Box::new(BatchNormalization::with_config(BatchNormalizationConfig {
        axis,
        momentum: a.f32_or("momentum", 0.99)?,
        epsilon: a.f32_or("epsilon", 1e-3)?,
        center: a.bool_or("center", true)?,
        scale: a.bool_or("scale", true)?,
        beta_initializer: initializer(a, "beta_initializer", Initializer::Zeros)?,
        gamma_initializer: initializer(a, "gamma_initializer", Initializer::Ones)?,
        moving_mean_initializer: initializer(a, "moving_mean_initializer", Initializer::Zeros)?,
        moving_variance_initializer: initializer(a, "moving_variance_initializer", Initializer::Ones)?,
        beta_regularizer: regularizer(a, "beta_regularizer")?,
        gamma_regularizer: regularizer(a, "gamma_regularizer")?,
        beta_constraint: constraint(a, "beta_constraint")?,
        gamma_constraint: constraint(a, "gamma_constraint")?,
        renorm: a.bool_or("renorm", false)?,
        renorm_clipping,
        renorm_momentum: a.f32_or("renorm_momentum", 0.99)?,
    })))
}

/// `LayerNormalization`.
pub fn layer_norm(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(LayerNormalization::with_config(LayerNormalizationConfig {
        axis: a.isize_list("axis", &[-1])?,
        epsilon: a.f32_or("epsilon", 1e-3)?,
        center: a.bool_or("center", true)?,
        scale: a.bool_or("scale", true)?,
        rms_scaling: a.bool_or("rms_scaling", false)?,
        beta_initializer: initializer(a, "beta_initializer", Initializer::Zeros)?,
        gamma_initializer: initializer(a, "gamma_initializer", Initializer::Ones)?,
        beta_regularizer: regularizer(a, "beta_regularizer")?,
        gamma_regularizer: regularizer(a, "gamma_regularizer")?,
        beta_constraint: constraint(a, "beta_constraint")?,
        gamma_constraint: constraint(a, "gamma_constraint")?,
    })))
}

/// `LocalResponseNormalization`: not a Keras layer; fovea's own (AlexNet), with
/// TensorFlow's argument names, so fovea-written configs load back.
pub fn lrn(a: &Args) -> Result<Box<dyn Layer>> {
    let d = LocalResponseNormalizationConfig::default();
    Ok(Box::new(LocalResponseNormalization::with_config(LocalResponseNormalizationConfig {
        depth_radius: a.usize_or("depth_radius", d.depth_radius)?,
        bias: a.f32_or("bias", d.bias)?,
        alpha: a.f32_or("alpha", d.alpha)?,
        beta: a.f32_or("beta", d.beta)?,
        data_format: data_format(a)?,
    })))
}

/// The `RNN` wrapper's options every recurrent layer shares, and Keras 2's extras.
struct Seq {
    return_sequences: bool,
    return_state: bool,
    go_backwards: bool,
    stateful: bool,
    unroll: bool,
    seed: Option<u64>,
}

fn seq(a: &Args) -> Result<Seq> {
    a.require("time_major", |v| v == &Value::Bool(false), "inputs must be (batch, timesteps, features)")?;
    // `implementation` picks Keras's kernel, not the maths; `zero_output_for_mask`
    // only acts on masked steps, and fovea has no masks.
    a.ignore(&["implementation", "zero_output_for_mask"]);
    let seed = match a.opt("seed") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| a.err(format!("'seed' must be a non-negative integer, got {v}")))?),
    };
    Ok(Seq {
        return_sequences: a.bool_or("return_sequences", false)?,
        return_state: a.bool_or("return_state", false)?,
        go_backwards: a.bool_or("go_backwards", false)?,
        stateful: a.bool_or("stateful", false)?,
        unroll: a.bool_or("unroll", false)?,
        seed,
    })
}

/// `SimpleRNN`.
pub fn simple_rnn(a: &Args) -> Result<Box<dyn Layer>> {
    let s = seq(a)?;
    Ok(Box::new(SimpleRNN::with_config(SimpleRNNConfig {
        units: a.usize("units")?,
        activation: activation_or(a, "activation", Activation::Tanh)?,
        use_bias: a.bool_or("use_bias", true)?,
        kernel_initializer: initializer(a, "kernel_initializer", Initializer::glorot_uniform())?,
        recurrent_initializer: initializer(a, "recurrent_initializer", Initializer::Orthogonal { gain: 1.0 })?,
        bias_initializer: initializer(a, "bias_initializer", Initializer::Zeros)?,
        kernel_regularizer: regularizer(a, "kernel_regularizer")?,
        recurrent_regularizer: regularizer(a, "recurrent_regularizer")?,
        bias_regularizer: regularizer(a, "bias_regularizer")?,
        activity_regularizer: regularizer(a, "activity_regularizer")?,
        kernel_constraint: constraint(a, "kernel_constraint")?,
        recurrent_constraint: constraint(a, "recurrent_constraint")?,
        bias_constraint: constraint(a, "bias_constraint")?,
        dropout: a.f32_or("dropout", 0.0)?,
        recurrent_dropout: a.f32_or("recurrent_dropout", 0.0)?,
        return_sequences: s.return_sequences,
        return_state: s.return_state,
        go_backwards: s.go_backwards,
        stateful: s.stateful,
        unroll: s.unroll,
        seed: s.seed,
    })))
}

/// `LSTM`.
pub fn lstm(a: &Args) -> Result<Box<dyn Layer>> {
    let s = seq(a)?;
    Ok(Box::new(LSTM::with_config(LSTMConfig {
        units: a.usize("units")?,
        activation: activation_or(a, "activation", Activation::Tanh)?,
        recurrent_activation: activation_or(a, "recurrent_activation", Activation::Sigmoid)?,
        use_bias: a.bool_or("use_bias", true)?,
        kernel_initializer: initializer(a, "kernel_initializer", Initializer::glorot_uniform())?,
        recurrent_initializer: initializer(a, "recurrent_initializer", Initializer::Orthogonal { gain: 1.0 })?,
        bias_initializer: initializer(a, "bias_initializer", Initializer::Zeros)?,
        unit_forget_bias: a.bool_or("unit_forget_bias", true)?,
        kernel_regularizer: regularizer(a, "kernel_regularizer")?,
        recurrent_regularizer: regularizer(a, "recurrent_regularizer")?,
        bias_regularizer: regularizer(a, "bias_regularizer")?,
        activity_regularizer: regularizer(a, "activity_regularizer")?,
        kernel_constraint: constraint(a, "kernel_constraint")?,
        recurrent_constraint: constraint(a, "recurrent_constraint")?,
        bias_constraint: constraint(a, "bias_constraint")?,
        dropout: a.f32_or("dropout", 0.0)?,
        recurrent_dropout: a.f32_or("recurrent_dropout", 0.0)?,
        return_sequences: s.return_sequences,
        return_state: s.return_state,
        go_backwards: s.go_backwards,
        stateful: s.stateful,
        unroll: s.unroll,
        seed: s.seed,
    })))
}

/// `GRU`.
pub fn gru(a: &Args) -> Result<Box<dyn Layer>> {
    let s = seq(a)?;
    Ok(Box::new(GRU::with_config(GRUConfig {
        units: a.usize("units")?,
        activation: activation_or(a, "activation", Activation::Tanh)?,
        recurrent_activation: activation_or(a, "recurrent_activation", Activation::Sigmoid)?,
        use_bias: a.bool_or("use_bias", true)?,
        kernel_initializer: initializer(a, "kernel_initializer", Initializer::glorot_uniform())?,
        recurrent_initializer: initializer(a, "recurrent_initializer", Initializer::Orthogonal { gain: 1.0 })?,
        bias_initializer: initializer(a, "bias_initializer", Initializer::Zeros)?,
        kernel_regularizer: regularizer(a, "kernel_regularizer")?,
        recurrent_regularizer: regularizer(a, "recurrent_regularizer")?,
        bias_regularizer: regularizer(a, "bias_regularizer")?,
        activity_regularizer: regularizer(a, "activity_regularizer")?,
        kernel_constraint: constraint(a, "kernel_constraint")?,
        recurrent_constraint: constraint(a, "recurrent_constraint")?,
        bias_constraint: constraint(a, "bias_constraint")?,
        dropout: a.f32_or("dropout", 0.0)?,
        recurrent_dropout: a.f32_or("recurrent_dropout", 0.0)?,
        reset_after: a.bool_or("reset_after", true)?,
        return_sequences: s.return_sequences,
        return_state: s.return_state,
        go_backwards: s.go_backwards,
        stateful: s.stateful,
        unroll: s.unroll,
        seed: s.seed,
    })))
}
