//! Builders for the core layers: `Dense`, activations, `Dropout`, reshaping, merges
//! and `Embedding`.

use fovea_nn::layers::{
    ActivationLayer, Add, Average, Concatenate, Dense, DenseConfig, Dropout, DropoutConfig, Embedding, EmbeddingConfig,
    Flatten, LeakyReLU, Maximum, Minimum, Multiply, Permute, ReLU, ReLUConfig, Reshape, Softmax, Subtract,
};
use fovea_nn::{Initializer, Layer};
use serde_json::Value;

use super::args::Args;
use super::objects::{activation, constraint, data_format, initializer, regularizer};
use crate::Result;

/// Keras 3's LoRA and quantization options: only their off state is supported.
fn no_lora_or_quantization(a: &Args) -> Result<()> {
    a.require("lora_rank", |_| false, "LoRA adapters are not implemented")?;
    a.require("quantization_config", |_| false, "quantized layers are not implemented")?;
    a.ignore(&["lora_alpha"]);
    Ok(())
}

/// `Dense`.
pub fn dense(a: &Args) -> Result<Box<dyn Layer>> {
    no_lora_or_quantization(a)?;
    Ok(Box::new(Dense::with_config(DenseConfig {
        units: a.usize("units")?,
        activation: activation(a, "activation")?,
        use_bias: a.bool_or("use_bias", true)?,
        kernel_initializer: initializer(a, "kernel_initializer", Initializer::glorot_uniform())?,
        bias_initializer: initializer(a, "bias_initializer", Initializer::Zeros)?,
        kernel_regularizer: regularizer(a, "kernel_regularizer")?,
        bias_regularizer: regularizer(a, "bias_regularizer")?,
        activity_regularizer: regularizer(a, "activity_regularizer")?,
        kernel_constraint: constraint(a, "kernel_constraint")?,
        bias_constraint: constraint(a, "bias_constraint")?,
    })))
}

/// `Activation`.
pub fn activation_layer(a: &Args) -> Result<Box<dyn Layer>> {
    if a.opt("activation").is_none() {
        return Err(a.err("config has no 'activation'"));
    }
    Ok(Box::new(ActivationLayer::new(activation(a, "activation")?)))
}

/// `ReLU`.
pub fn relu(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(ReLU::with_config(ReLUConfig {
        max_value: a.opt_f32("max_value")?,
        negative_slope: a.f32_or("negative_slope", 0.0)?,
        threshold: a.f32_or("threshold", 0.0)?,
    })))
}

/// `LeakyReLU`: Keras 3 calls the slope `negative_slope` (default 0.3), Keras 2 `alpha`.
pub fn leaky_relu(a: &Args) -> Result<Box<dyn Layer>> {
    let slope = match a.opt_f32("negative_slope")? {
        Some(s) => s,
        None => a.f32_or("alpha", 0.3)?,
    };
    Ok(Box::new(LeakyReLU::with_negative_slope(slope)))
}

/// `Softmax`.
pub fn softmax(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(Softmax::with_axis(&a.isize_list("axis", &[-1])?)))
}

/// `Dropout`.
pub fn dropout(a: &Args) -> Result<Box<dyn Layer>> {
    let noise_shape = match a.opt("noise_shape") {
        None => None,
        Some(Value::Array(dims)) => Some(
            dims.iter()
                .map(|d| match d {
                    Value::Null => Ok(None),
                    v => {
                        v.as_u64().map(|n| Some(n as usize)).ok_or_else(|| a.err(format!("bad noise_shape entry {v}")))
                    }
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(v) => return Err(a.err(format!("'noise_shape' must be a list, got {v}"))),
    };
    let seed = match a.opt("seed") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| a.err(format!("'seed' must be a non-negative integer, got {v}")))?),
    };
    Ok(Box::new(Dropout::with_config(DropoutConfig { rate: a.f32_or("rate", 0.0)?, noise_shape, seed })))
}

/// `Flatten`.
pub fn flatten(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(Flatten::with_data_format(data_format(a)?)))
}

/// `Reshape`.
pub fn reshape(a: &Args) -> Result<Box<dyn Layer>> {
    if a.opt("target_shape").is_none() {
        return Err(a.err("config has no 'target_shape'"));
    }
    Ok(Box::new(Reshape::new(&a.isize_list("target_shape", &[])?)))
}

/// `Permute`.
pub fn permute(a: &Args) -> Result<Box<dyn Layer>> {
    let dims = a.isize_list("dims", &[])?;
    let dims: Vec<usize> = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| a.err(format!("'dims' must be positive axes, got {dims:?}"))))
        .collect::<Result<_>>()?;
    if dims.is_empty() {
        return Err(a.err("config has no 'dims'"));
    }
    Ok(Box::new(Permute::new(&dims)))
}

/// The merge layers; only `Concatenate` has an option.
pub fn merge(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(match a.class() {
        "Add" => Box::new(Add::new()),
        "Subtract" => Box::new(Subtract::new()),
        "Multiply" => Box::new(Multiply::new()),
        "Average" => Box::new(Average::new()),
        "Maximum" => Box::new(Maximum::new()),
        "Minimum" => Box::new(Minimum::new()),
        _ => Box::new(Concatenate::new(a.isize_or("axis", -1)?)),
    })
}

/// `Embedding`.
pub fn embedding(a: &Args) -> Result<Box<dyn Layer>> {
    no_lora_or_quantization(a)?;
    a.require(
        "mask_zero",
        |v| v == &Value::Bool(false),
        "fovea has no masks, and Keras's downstream layers would skip the masked steps",
    )?;
    a.require("sparse", |v| v == &Value::Bool(false), "sparse gradients are not implemented")?;
    // Keras 2's `input_length` only declared the input shape.
    a.ignore(&["input_length"]);
    Ok(Box::new(Embedding::with_config(EmbeddingConfig {
        input_dim: a.usize("input_dim")?,
        output_dim: a.usize("output_dim")?,
        embeddings_initializer: initializer(a, "embeddings_initializer", Initializer::random_uniform())?,
        embeddings_regularizer: regularizer(a, "embeddings_regularizer")?,
        activity_regularizer: regularizer(a, "activity_regularizer")?,
        embeddings_constraint: constraint(a, "embeddings_constraint")?,
        mask_zero: false,
    })))
}
