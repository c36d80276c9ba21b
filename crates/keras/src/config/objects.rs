//! Keras's serialized objects and option strings inside layer configs: activations,
//! initializers, regularizers, constraints, dtype policies, `padding` and
//! `data_format`. The Keras strings live here and nowhere else in fovea.
//!
//! An object is either a string (`"glorot_uniform"`, `"l2"`) or Keras's
//! `{"module", "class_name", "config", "registered_name"}` form (Keras 2 omits
//! `module`). Unknown classes and unknown keys inside them are errors naming the layer.

use fovea_nn::initializers::{Distribution, FanMode};
use fovea_nn::layers::{DataFormat, Padding};
use fovea_nn::{Activation, Constraint, Initializer, Regularizer};
use serde_json::{Map, Value};

use super::args::{Args, Dialect};
use crate::Result;

/// A serialized object: its class name and config (empty for a plain string).
struct Object<'a> {
    class: String,
    config: Option<&'a Map<String, Value>>,
}

fn object<'a>(args: &Args<'a>, key: &str, v: &'a Value) -> Result<Object<'a>> {
    match v {
        Value::String(s) => Ok(Object { class: s.clone(), config: None }),
        Value::Object(m) => {
            let class = m
                .get("class_name")
                .and_then(Value::as_str)
                .ok_or_else(|| args.err(format!("'{key}' has no class_name: {v}")))?;
            match m.get("config") {
                None | Some(Value::Null) => Ok(Object { class: class.to_string(), config: None }),
                Some(Value::Object(c)) => Ok(Object { class: class.to_string(), config: Some(c) }),
                // Keras 3 writes plain functions as {"class_name": "function", "config": "relu"}.
                Some(Value::String(s)) if class == "function" => Ok(Object { class: s.clone(), config: None }),
                Some(other) => Err(args.err(format!("'{key}' has a config that is not an object: {other}"))),
            }
        }
        other => Err(args.err(format!("'{key}' must be a string or an object, got {other}"))),
    }
}

/// An [`Args`] over an object's own config, so its unknown keys are caught too.
fn sub<'a>(args: &Args<'a>, key: &str, obj: &Object<'a>, empty: &'a Map<String, Value>) -> Args<'a> {
    Args::new(format!("{} {key} {}", args.at(), obj.class), args.class(), obj.config.unwrap_or(empty), args.dialect())
}

/// `activation`: missing or `null` is linear.
pub fn activation(args: &Args, key: &str) -> Result<Activation> {
    let Some(v) = args.opt(key) else { return Ok(Activation::Linear) };
    let obj = object(args, key, v)?;
    if obj.config.is_some_and(|c| !c.is_empty()) {
        return Err(
            args.unsupported(format!("'{key}' is a configured object ({v}); only named activations are supported"))
        );
    }
    activation_name(args, key, &obj.class)
}

/// `activation` with a default for a missing key (an explicit `null` is linear, as in
/// Keras).
pub fn activation_or(args: &Args, key: &str, default: Activation) -> Result<Activation> {
    match args.raw(key) {
        None => Ok(default),
        Some(_) => activation(args, key),
    }
}

/// An activation by Keras name.
pub fn activation_name(args: &Args, key: &str, name: &str) -> Result<Activation> {
    Ok(match name {
        "linear" | "Linear" => Activation::Linear,
        "relu" | "ReLU" => Activation::Relu,
        "relu6" => Activation::Relu6,
        "sigmoid" => Activation::Sigmoid,
        "hard_sigmoid" if args.dialect() == Dialect::Keras3 => Activation::HardSigmoid,
        // Keras 2 (and TensorFlow before 2.16): clip(0.2 * x + 0.5, 0, 1).
        "hard_sigmoid" => Activation::HardSigmoidLegacy,
        "tanh" => Activation::Tanh,
        "softmax" => Activation::Softmax,
        "log_softmax" => Activation::LogSoftmax,
        "elu" => Activation::elu(),
        "selu" => Activation::Selu,
        "gelu" => Activation::gelu(),
        "softplus" => Activation::Softplus,
        "softsign" => Activation::Softsign,
        "silu" | "swish" => Activation::Silu,
        "exponential" => Activation::Exponential,
        "leaky_relu" => Activation::leaky_relu(),
        other => return Err(args.unsupported(format!("unknown activation {key}='{other}'"))),
    })
}

/// An initializer; `default` when missing or `null`.
pub fn initializer(args: &Args, key: &str, default: Initializer) -> Result<Initializer> {
    let Some(v) = args.opt(key) else { return Ok(default) };
    let obj = object(args, key, v)?;
    let empty = Map::new();
    let c = sub(args, key, &obj, &empty);
    // Seeds only decide fresh random draws; loaded weights overwrite them.
    c.ignore(&["seed"]);
    let fan_axes = |c: &Args| -> Result<()> {
        for k in ["input_axes", "output_axes"] {
            c.require(k, |_| false, "fovea computes fans from the standard kernel layout")?;
        }
        Ok(())
    };
    let init = match obj.class.as_str() {
        "Zeros" | "zeros" => Initializer::Zeros,
        "Ones" | "ones" => Initializer::Ones,
        "Constant" | "constant" => Initializer::Constant { value: c.f32_or("value", 0.0)? },
        "RandomNormal" | "random_normal" => {
            Initializer::RandomNormal { mean: c.f32_or("mean", 0.0)?, stddev: c.f32_or("stddev", 0.05)? }
        }
        "RandomUniform" | "random_uniform" => {
            Initializer::RandomUniform { minval: c.f32_or("minval", -0.05)?, maxval: c.f32_or("maxval", 0.05)? }
        }
        "TruncatedNormal" | "truncated_normal" => {
            Initializer::TruncatedNormal { mean: c.f32_or("mean", 0.0)?, stddev: c.f32_or("stddev", 0.05)? }
        }
        "VarianceScaling" | "variance_scaling" => {
            let mode = match c.opt_str("mode")?.unwrap_or("fan_in") {
                "fan_in" => FanMode::FanIn,
                "fan_out" => FanMode::FanOut,
                "fan_avg" => FanMode::FanAvg,
                m => return Err(c.err(format!("unknown VarianceScaling mode '{m}'"))),
            };
            let distribution = match c.opt_str("distribution")?.unwrap_or("truncated_normal") {
                // Keras 2 spelled the truncated normal "normal".
                "truncated_normal" | "normal" => Distribution::TruncatedNormal,
                "untruncated_normal" => Distribution::UntruncatedNormal,
                "uniform" => Distribution::Uniform,
                d => return Err(c.err(format!("unknown VarianceScaling distribution '{d}'"))),
            };
            fan_axes(&c)?;
            Initializer::VarianceScaling { scale: c.f32_or("scale", 1.0)?, mode, distribution }
        }
        named @ ("GlorotUniform" | "glorot_uniform" | "GlorotNormal" | "glorot_normal" | "HeUniform" | "he_uniform"
        | "HeNormal" | "he_normal" | "LecunUniform" | "lecun_uniform" | "LecunNormal" | "lecun_normal") => {
            fan_axes(&c)?;
            match named.to_lowercase().replace('_', "").as_str() {
                "glorotuniform" => Initializer::glorot_uniform(),
                "glorotnormal" => Initializer::glorot_normal(),
                "heuniform" => Initializer::he_uniform(),
                "henormal" => Initializer::he_normal(),
                "lecununiform" => Initializer::lecun_uniform(),
                _ => Initializer::lecun_normal(),
            }
        }
        "Orthogonal" | "OrthogonalInitializer" | "orthogonal" => {
            Initializer::Orthogonal { gain: c.f32_or("gain", 1.0)? }
        }
        "Identity" | "IdentityInitializer" | "identity" => Initializer::Identity { gain: c.f32_or("gain", 1.0)? },
        other => return Err(args.unsupported(format!("unknown initializer {key}='{other}'"))),
    };
    c.finish()?;
    Ok(init)
}

/// A regularizer, `None` when missing or `null`.
pub fn regularizer(args: &Args, key: &str) -> Result<Option<Regularizer>> {
    let Some(v) = args.opt(key) else { return Ok(None) };
    let obj = object(args, key, v)?;
    let empty = Map::new();
    let c = sub(args, key, &obj, &empty);
    let r = match obj.class.as_str() {
        "L1" | "l1" => Regularizer::l1(c.f32_or("l1", 0.01)?),
        "L2" | "l2" => Regularizer::l2(c.f32_or("l2", 0.01)?),
        "L1L2" | "l1_l2" => Regularizer::l1_l2(c.f32_or("l1", 0.0)?, c.f32_or("l2", 0.0)?),
        other => return Err(args.unsupported(format!("unknown regularizer {key}='{other}'"))),
    };
    c.finish()?;
    Ok(Some(r))
}

/// A constraint, `None` when missing or `null`.
pub fn constraint(args: &Args, key: &str) -> Result<Option<Constraint>> {
    let Some(v) = args.opt(key) else { return Ok(None) };
    let obj = object(args, key, v)?;
    let empty = Map::new();
    let c = sub(args, key, &obj, &empty);
    let k = match obj.class.as_str() {
        "MaxNorm" | "max_norm" | "maxnorm" => {
            Constraint::MaxNorm { max_value: c.f32_or("max_value", 2.0)?, axis: c.isize_list("axis", &[0])? }
        }
        "MinMaxNorm" | "min_max_norm" => Constraint::MinMaxNorm {
            min_value: c.f32_or("min_value", 0.0)?,
            max_value: c.f32_or("max_value", 1.0)?,
            rate: c.f32_or("rate", 1.0)?,
            axis: c.isize_list("axis", &[0])?,
        },
        "NonNeg" | "non_neg" | "nonneg" => Constraint::NonNeg,
        "UnitNorm" | "unit_norm" | "unitnorm" => Constraint::UnitNorm { axis: c.isize_list("axis", &[0])? },
        other => return Err(args.unsupported(format!("unknown constraint {key}='{other}'"))),
    };
    c.finish()?;
    Ok(Some(k))
}

/// The compute dtype named by `dtype` (a string or a `DTypePolicy` object).
pub fn dtype_name<'a>(args: &Args<'a>, v: &'a Value) -> Result<&'a str> {
    match v {
        Value::String(s) => Ok(s),
        Value::Object(m) => {
            let class = m.get("class_name").and_then(Value::as_str).unwrap_or("");
            if !matches!(class, "DTypePolicy" | "FloatDTypePolicy" | "Policy") {
                return Err(args.unsupported(format!("dtype policy {class} is not supported")));
            }
            m.get("config")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| args.err(format!("dtype policy without a name: {v}")))
        }
        other => Err(args.err(format!("'dtype' must be a string or a policy object, got {other}"))),
    }
}

/// Checks a layer's `dtype`: fovea computes in float32, so anything else (float16,
/// bfloat16, mixed precision) would change the numbers.
pub fn check_float32(args: &Args) -> Result<()> {
    let Some(v) = args.opt("dtype") else { return Ok(()) };
    match dtype_name(args, v)? {
        "float32" => Ok(()),
        other => Err(args.unsupported(format!("dtype '{other}' is not supported: fovea computes in float32"))),
    }
}

/// `padding`: `valid`, `same` or (1-D convolutions) `causal`.
pub fn padding(args: &Args, default: Padding) -> Result<Padding> {
    match args.opt_str("padding")? {
        None => Ok(default),
        Some(p) => match p.to_lowercase().as_str() {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            "causal" => Ok(Padding::Causal),
            _ => Err(args.err(format!("unknown padding '{p}' (expected valid, same or causal)"))),
        },
    }
}

/// `data_format`; `null` is Keras's default image data format, channels-last.
pub fn data_format(args: &Args) -> Result<DataFormat> {
    match args.opt_str("data_format")? {
        None | Some("channels_last") => Ok(DataFormat::ChannelsLast),
        Some("channels_first") => Ok(DataFormat::ChannelsFirst),
        Some(f) => Err(args.err(format!("unknown data_format '{f}' (expected channels_last or channels_first)"))),
    }
}

// ---- The inverse direction, for export: fovea options as Keras 3 config values.

/// `activation` as Keras 3 writes it: the function's name. `Err` names an activation
/// whose parameters no Keras activation string carries (`elu` with alpha != 1,
/// `leaky_relu` with a slope other than 0.2, approximate `gelu`).
pub fn activation_to_keras(a: &Activation) -> std::result::Result<Value, String> {
    match *a {
        Activation::Elu { alpha } if alpha != 1.0 => return Err(format!("elu with alpha={alpha}")),
        Activation::LeakyRelu { negative_slope } if negative_slope != 0.2 => {
            return Err(format!("leaky_relu with negative_slope={negative_slope}"))
        }
        Activation::Gelu { approximate: true } => return Err("gelu with approximate=true".to_string()),
        Activation::HardSigmoidLegacy => {
            return Err("Keras 2's hard_sigmoid (clip(0.2 * x + 0.5, 0, 1); Keras 3's has slope 1/6)".to_string())
        }
        _ => {}
    }
    Ok(Value::String(
        match a {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::Sigmoid => "sigmoid",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::HardSigmoidLegacy => "hard_sigmoid", // refused above
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::LogSoftmax => "log_softmax",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::Gelu { .. } => "gelu",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Silu => "silu",
            Activation::Exponential => "exponential",
            Activation::LeakyRelu { .. } => "leaky_relu",
        }
        .to_string(),
    ))
}

fn keras_object(module: &str, class: &str, config: Value) -> Value {
    serde_json::json!({"module": module, "class_name": class, "config": config, "registered_name": null})
}

/// An initializer as Keras 3's serialized object.
pub fn initializer_to_keras(i: &Initializer) -> Value {
    use serde_json::json;
    let m = "keras.initializers";
    let vs = |scale: f32, mode: FanMode, distribution: Distribution| {
        let named = match (mode, distribution) {
            (FanMode::FanAvg, Distribution::Uniform) if scale == 1.0 => Some("GlorotUniform"),
            (FanMode::FanAvg, Distribution::TruncatedNormal) if scale == 1.0 => Some("GlorotNormal"),
            (FanMode::FanIn, Distribution::Uniform) if scale == 2.0 => Some("HeUniform"),
            (FanMode::FanIn, Distribution::TruncatedNormal) if scale == 2.0 => Some("HeNormal"),
            (FanMode::FanIn, Distribution::Uniform) if scale == 1.0 => Some("LecunUniform"),
            (FanMode::FanIn, Distribution::TruncatedNormal) if scale == 1.0 => Some("LecunNormal"),
            _ => None,
        };
        match named {
            Some(class) => keras_object(m, class, json!({"seed": null})),
            None => keras_object(
                m,
                "VarianceScaling",
                json!({
                    "scale": scale,
                    "mode": match mode { FanMode::FanIn => "fan_in", FanMode::FanOut => "fan_out", FanMode::FanAvg => "fan_avg" },
                    "distribution": match distribution {
                        Distribution::TruncatedNormal => "truncated_normal",
                        Distribution::UntruncatedNormal => "untruncated_normal",
                        Distribution::Uniform => "uniform",
                    },
                    "seed": null,
                }),
            ),
        }
    };
    match *i {
        Initializer::Zeros => keras_object(m, "Zeros", json!({})),
        Initializer::Ones => keras_object(m, "Ones", json!({})),
        Initializer::Constant { value } => keras_object(m, "Constant", json!({"value": value})),
        Initializer::RandomNormal { mean, stddev } => {
            keras_object(m, "RandomNormal", json!({"mean": mean, "stddev": stddev, "seed": null}))
        }
        Initializer::RandomUniform { minval, maxval } => {
            keras_object(m, "RandomUniform", json!({"minval": minval, "maxval": maxval, "seed": null}))
        }
        Initializer::TruncatedNormal { mean, stddev } => {
            keras_object(m, "TruncatedNormal", json!({"mean": mean, "stddev": stddev, "seed": null}))
        }
        Initializer::VarianceScaling { scale, mode, distribution } => vs(scale, mode, distribution),
        Initializer::Orthogonal { gain } => keras_object(m, "Orthogonal", json!({"gain": gain, "seed": null})),
        Initializer::Identity { gain } => keras_object(m, "Identity", json!({"gain": gain})),
    }
}

/// A regularizer as Keras 3's serialized object (`null` for none).
pub fn regularizer_to_keras(r: &Option<Regularizer>) -> Value {
    use serde_json::json;
    let m = "keras.regularizers";
    match r {
        None => Value::Null,
        Some(r) if r.l2 == 0.0 => keras_object(m, "L1", json!({"l1": r.l1})),
        Some(r) if r.l1 == 0.0 => keras_object(m, "L2", json!({"l2": r.l2})),
        Some(r) => keras_object(m, "L1L2", json!({"l1": r.l1, "l2": r.l2})),
    }
}

/// A constraint as Keras 3's serialized object (`null` for none).
pub fn constraint_to_keras(c: &Option<Constraint>) -> Value {
    use serde_json::json;
    let m = "keras.constraints";
    match c {
        None => Value::Null,
        Some(Constraint::MaxNorm { max_value, axis }) => {
            keras_object(m, "MaxNorm", json!({"max_value": max_value, "axis": axis_value(axis)}))
        }
        Some(Constraint::MinMaxNorm { min_value, max_value, rate, axis }) => keras_object(
            m,
            "MinMaxNorm",
            json!({"min_value": min_value, "max_value": max_value, "rate": rate, "axis": axis_value(axis)}),
        ),
        Some(Constraint::NonNeg) => keras_object(m, "NonNeg", json!({})),
        Some(Constraint::UnitNorm { axis }) => keras_object(m, "UnitNorm", json!({"axis": axis_value(axis)})),
    }
}

/// One axis as a number (Keras's default form), several as a list.
fn axis_value(axis: &[isize]) -> Value {
    match axis {
        [a] => serde_json::json!(a),
        many => serde_json::json!(many),
    }
}

/// `padding` as Keras's string.
pub fn padding_to_keras(p: Padding) -> Value {
    Value::String(
        match p {
            Padding::Valid => "valid",
            Padding::Same => "same",
            Padding::Causal => "causal",
        }
        .to_string(),
    )
}

/// `data_format` as Keras's string.
pub fn data_format_to_keras(f: DataFormat) -> Value {
    Value::String(
        match f {
            DataFormat::ChannelsLast => "channels_last",
            DataFormat::ChannelsFirst => "channels_first",
        }
        .to_string(),
    )
}
