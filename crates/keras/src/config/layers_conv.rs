//! Builders for the spatial layers: convolutions, pooling, padding and cropping.

use fovea_nn::layers::{
    AveragePooling1D, AveragePooling2D, Conv1D, Conv1DConfig, Conv2D, Conv2DConfig, Cropping2D, Cropping2DConfig,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalPoolingConfig,
    MaxPooling1D, MaxPooling2D, Padding, Pooling1DConfig, Pooling2DConfig, ZeroPadding2D, ZeroPadding2DConfig,
};
use fovea_nn::{Initializer, Layer};
use serde_json::Value;

use super::args::Args;
use super::objects::{activation, constraint, data_format, initializer, padding, regularizer};
use crate::Result;

/// `Conv2D`.
pub fn conv2d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(Conv2D::with_config(Conv2DConfig {
        filters: a.usize("filters")?,
        kernel_size: a.sizes("kernel_size", None)?,
        strides: a.sizes("strides", Some([1, 1]))?,
        padding: padding(a, Padding::Valid)?,
        data_format: data_format(a)?,
        dilation_rate: a.sizes("dilation_rate", Some([1, 1]))?,
        groups: a.usize_or("groups", 1)?,
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

/// `Conv1D`.
pub fn conv1d(a: &Args) -> Result<Box<dyn Layer>> {
    let [kernel_size] = a.sizes::<1>("kernel_size", None)?;
    let [strides] = a.sizes::<1>("strides", Some([1]))?;
    let [dilation_rate] = a.sizes::<1>("dilation_rate", Some([1]))?;
    Ok(Box::new(Conv1D::with_config(Conv1DConfig {
        filters: a.usize("filters")?,
        kernel_size,
        strides,
        padding: padding(a, Padding::Valid)?,
        data_format: data_format(a)?,
        dilation_rate,
        groups: a.usize_or("groups", 1)?,
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

/// `strides`, where `null` means "the pool size" (Keras's default).
fn pool_strides<const N: usize>(a: &Args, pool: [usize; N]) -> Result<[usize; N]> {
    match a.opt("strides") {
        None => Ok(pool),
        Some(v) => a.opt_sizes::<N>("strides", v),
    }
}

fn pool2d(a: &Args) -> Result<Pooling2DConfig> {
    let pool_size = a.sizes("pool_size", Some([2, 2]))?;
    Ok(Pooling2DConfig {
        pool_size,
        strides: Some(pool_strides(a, pool_size)?),
        padding: padding(a, Padding::Valid)?,
        data_format: data_format(a)?,
    })
}

fn pool1d(a: &Args) -> Result<Pooling1DConfig> {
    let pool_size = a.sizes::<1>("pool_size", Some([2]))?;
    let [strides] = pool_strides(a, pool_size)?;
    Ok(Pooling1DConfig {
        pool_size: pool_size[0],
        strides: Some(strides),
        padding: padding(a, Padding::Valid)?,
        data_format: data_format(a)?,
    })
}

/// `MaxPooling2D`.
pub fn max_pool2d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(MaxPooling2D::with_config(pool2d(a)?)))
}
/// `AveragePooling2D`.
pub fn avg_pool2d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(AveragePooling2D::with_config(pool2d(a)?)))
}
/// `MaxPooling1D`.
pub fn max_pool1d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(MaxPooling1D::with_config(pool1d(a)?)))
}
/// `AveragePooling1D`.
pub fn avg_pool1d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(AveragePooling1D::with_config(pool1d(a)?)))
}

fn global(a: &Args) -> Result<GlobalPoolingConfig> {
    Ok(GlobalPoolingConfig { data_format: data_format(a)?, keepdims: a.bool_or("keepdims", false)? })
}

/// `GlobalMaxPooling2D`.
pub fn global_max2d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(GlobalMaxPooling2D::with_config(global(a)?)))
}
/// `GlobalAveragePooling2D`.
pub fn global_avg2d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(GlobalAveragePooling2D::with_config(global(a)?)))
}
/// `GlobalMaxPooling1D`.
pub fn global_max1d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(GlobalMaxPooling1D::with_config(global(a)?)))
}
/// `GlobalAveragePooling1D`.
pub fn global_avg1d(a: &Args) -> Result<Box<dyn Layer>> {
    Ok(Box::new(GlobalAveragePooling1D::with_config(global(a)?)))
}

/// Keras's 2-D padding/cropping forms: `p`, `[h, w]`, or `[[top, bottom], [left, right]]`.
fn pairs(a: &Args, key: &str, default: [(usize, usize); 2]) -> Result<[(usize, usize); 2]> {
    let Some(v) = a.opt(key) else { return Ok(default) };
    let bad = || a.err(format!("'{key}' must be an integer, [h, w] or [[top, bottom], [left, right]], got {v}"));
    match v {
        Value::Array(outer) if outer.len() == 2 && outer.iter().all(Value::is_array) => {
            let [t, b] = a.opt_sizes::<2>(key, &outer[0])?;
            let [l, r] = a.opt_sizes::<2>(key, &outer[1])?;
            Ok([(t, b), (l, r)])
        }
        Value::Array(outer) if outer.len() == 2 => {
            let [h, w] = a.opt_sizes::<2>(key, v)?;
            Ok([(h, h), (w, w)])
        }
        Value::Number(_) => {
            let [p] = a.opt_sizes::<1>(key, v)?;
            Ok([(p, p), (p, p)])
        }
        _ => Err(bad()),
    }
}

/// `ZeroPadding2D`.
pub fn zero_padding2d(a: &Args) -> Result<Box<dyn Layer>> {
    let padding = pairs(a, "padding", [(1, 1), (1, 1)])?;
    Ok(Box::new(ZeroPadding2D::with_config(ZeroPadding2DConfig { padding, data_format: data_format(a)? })))
}

/// `Cropping2D`.
pub fn cropping2d(a: &Args) -> Result<Box<dyn Layer>> {
    let cropping = pairs(a, "cropping", [(0, 0), (0, 0)])?;
    Ok(Box::new(Cropping2D::with_config(Cropping2DConfig { cropping, data_format: data_format(a)? })))
}
