//! Each fovea layer as a Keras 3 layer config: the inverse of the builders in
//! `config::layers_*`. The Keras strings come from the inverse functions next to the
//! parsing tables in `config::objects`.

use fovea_nn::layers::{
    ActivationLayer, Add, Average, AveragePooling1D, AveragePooling2D, BatchNormalization, Concatenate, Conv1D, Conv2D,
    Cropping2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalPoolingConfig, LayerNormalization, LeakyReLU, MaxPooling1D, MaxPooling2D, Maximum,
    Minimum, Multiply, Permute, Pooling1DConfig, Pooling2DConfig, ReLU, Reshape, SimpleRNN, Softmax, Subtract,
    ZeroPadding2D, GRU, LSTM,
};
use fovea_nn::{Activation, Layer};
use serde_json::{json, Map, Value};

use crate::config::objects::{
    activation_to_keras, constraint_to_keras, data_format_to_keras, initializer_to_keras, padding_to_keras,
    regularizer_to_keras,
};
use crate::{Error, Result};

/// Keras's float32 dtype policy object.
pub(crate) fn dtype_policy() -> Value {
    json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})
}

fn downcast<T: 'static>(layer: &dyn Layer) -> Result<&T> {
    layer.as_any().downcast_ref::<T>().ok_or_else(|| {
        Error::unsupported(
            format!("layer '{}' ({})", layer.name(), layer.class_name()),
            "is not the fovea layer type its class name says; it cannot be exported",
        )
    })
}

/// The `config` of `layer` in Keras 3 form (name, trainable, dtype and its arguments).
pub(crate) fn layer_config(layer: &dyn Layer) -> Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert("name".into(), json!(layer.name()));
    m.insert("trainable".into(), json!(true));
    m.insert("dtype".into(), dtype_policy());
    let args = arguments(layer)?;
    m.extend(args);
    Ok(m)
}

/// An activation, or an error naming the layer when Keras has no string for it.
fn act(layer: &dyn Layer, a: &Activation) -> Result<Value> {
    activation_to_keras(a).map_err(|what| {
        Error::unsupported(
            format!("layer '{}' ({})", layer.name(), layer.class_name()),
            format!("activation {what} has no Keras 3 activation string; it cannot be exported"),
        )
    })
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn arguments(layer: &dyn Layer) -> Result<Map<String, Value>> {
    let class = layer.class_name();
    Ok(obj(match class {
        "Dense" => {
            let c = downcast::<Dense>(layer)?.config();
            json!({
                "units": c.units, "activation": act(layer, &c.activation)?, "use_bias": c.use_bias,
                "kernel_initializer": initializer_to_keras(&c.kernel_initializer),
                "bias_initializer": initializer_to_keras(&c.bias_initializer),
                "kernel_regularizer": regularizer_to_keras(&c.kernel_regularizer),
                "bias_regularizer": regularizer_to_keras(&c.bias_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "kernel_constraint": constraint_to_keras(&c.kernel_constraint),
                "bias_constraint": constraint_to_keras(&c.bias_constraint),
            })
        }
        "Conv2D" => {
            let c = downcast::<Conv2D>(layer)?.config();
            json!({
                "filters": c.filters, "kernel_size": c.kernel_size, "strides": c.strides,
                "padding": padding_to_keras(c.padding), "data_format": data_format_to_keras(c.data_format),
                "dilation_rate": c.dilation_rate, "groups": c.groups,
                "activation": act(layer, &c.activation)?, "use_bias": c.use_bias,
                "kernel_initializer": initializer_to_keras(&c.kernel_initializer),
                "bias_initializer": initializer_to_keras(&c.bias_initializer),
                "kernel_regularizer": regularizer_to_keras(&c.kernel_regularizer),
                "bias_regularizer": regularizer_to_keras(&c.bias_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "kernel_constraint": constraint_to_keras(&c.kernel_constraint),
                "bias_constraint": constraint_to_keras(&c.bias_constraint),
            })
        }
        "Conv1D" => {
            let c = downcast::<Conv1D>(layer)?.config();
            json!({
                "filters": c.filters, "kernel_size": [c.kernel_size], "strides": [c.strides],
                "padding": padding_to_keras(c.padding), "data_format": data_format_to_keras(c.data_format),
                "dilation_rate": [c.dilation_rate], "groups": c.groups,
                "activation": act(layer, &c.activation)?, "use_bias": c.use_bias,
                "kernel_initializer": initializer_to_keras(&c.kernel_initializer),
                "bias_initializer": initializer_to_keras(&c.bias_initializer),
                "kernel_regularizer": regularizer_to_keras(&c.kernel_regularizer),
                "bias_regularizer": regularizer_to_keras(&c.bias_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "kernel_constraint": constraint_to_keras(&c.kernel_constraint),
                "bias_constraint": constraint_to_keras(&c.bias_constraint),
            })
        }
        "MaxPooling2D" => pool2d(downcast::<MaxPooling2D>(layer)?.config()),
        "AveragePooling2D" => pool2d(downcast::<AveragePooling2D>(layer)?.config()),
        "MaxPooling1D" => pool1d(downcast::<MaxPooling1D>(layer)?.config()),
        "AveragePooling1D" => pool1d(downcast::<AveragePooling1D>(layer)?.config()),
        "GlobalMaxPooling2D" => global(downcast::<GlobalMaxPooling2D>(layer)?.config()),
        "GlobalAveragePooling2D" => global(downcast::<GlobalAveragePooling2D>(layer)?.config()),
        "GlobalMaxPooling1D" => global(downcast::<GlobalMaxPooling1D>(layer)?.config()),
        "GlobalAveragePooling1D" => global(downcast::<GlobalAveragePooling1D>(layer)?.config()),
        "ZeroPadding2D" => {
            let c = downcast::<ZeroPadding2D>(layer)?.config();
            json!({"padding": pairs(&c.padding), "data_format": data_format_to_keras(c.data_format)})
        }
        "Cropping2D" => {
            let c = downcast::<Cropping2D>(layer)?.config();
            json!({"cropping": pairs(&c.cropping), "data_format": data_format_to_keras(c.data_format)})
        }
        "Flatten" => json!({"data_format": data_format_to_keras(downcast::<Flatten>(layer)?.data_format())}),
        "Reshape" => json!({"target_shape": downcast::<Reshape>(layer)?.target_shape()}),
        "Permute" => json!({"dims": downcast::<Permute>(layer)?.dims()}),
        "Dropout" => {
            let c = downcast::<Dropout>(layer)?.config();
            json!({"rate": c.rate, "seed": c.seed, "noise_shape": c.noise_shape})
        }
        "Activation" => json!({"activation": act(layer, &downcast::<ActivationLayer>(layer)?.activation())?}),
        "ReLU" => {
            let c = downcast::<ReLU>(layer)?.config();
            json!({"max_value": c.max_value, "negative_slope": c.negative_slope, "threshold": c.threshold})
        }
        "LeakyReLU" => json!({"negative_slope": downcast::<LeakyReLU>(layer)?.negative_slope()}),
        "Softmax" => {
            let axis = downcast::<Softmax>(layer)?.axis();
            if let [a] = axis {
                json!({"axis": a})
            } else {
                json!({"axis": axis})
            }
        }
        "Add" => merge::<Add>(layer)?,
        "Subtract" => merge::<Subtract>(layer)?,
        "Multiply" => merge::<Multiply>(layer)?,
        "Average" => merge::<Average>(layer)?,
        "Maximum" => merge::<Maximum>(layer)?,
        "Minimum" => merge::<Minimum>(layer)?,
        "Concatenate" => json!({"axis": downcast::<Concatenate>(layer)?.axis()}),
        "Embedding" => {
            let c = downcast::<Embedding>(layer)?.config();
            json!({
                "input_dim": c.input_dim, "output_dim": c.output_dim,
                "embeddings_initializer": initializer_to_keras(&c.embeddings_initializer),
                "embeddings_regularizer": regularizer_to_keras(&c.embeddings_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "embeddings_constraint": constraint_to_keras(&c.embeddings_constraint),
                "mask_zero": c.mask_zero,
            })
        }
        "BatchNormalization" => {
            let c = downcast::<BatchNormalization>(layer)?.config();
            let clip = &c.renorm_clipping;
            let clipping = if c.renorm && (clip.rmax.is_some() || clip.rmin.is_some() || clip.dmax.is_some()) {
                json!({"rmax": clip.rmax, "rmin": clip.rmin, "dmax": clip.dmax})
            } else {
                Value::Null
            };
            json!({
                "axis": c.axis, "momentum": c.momentum, "epsilon": c.epsilon, "center": c.center, "scale": c.scale,
                "beta_initializer": initializer_to_keras(&c.beta_initializer),
                "gamma_initializer": initializer_to_keras(&c.gamma_initializer),
                "moving_mean_initializer": initializer_to_keras(&c.moving_mean_initializer),
                "moving_variance_initializer": initializer_to_keras(&c.moving_variance_initializer),
                "beta_regularizer": regularizer_to_keras(&c.beta_regularizer),
                "gamma_regularizer": regularizer_to_keras(&c.gamma_regularizer),
                "beta_constraint": constraint_to_keras(&c.beta_constraint),
                "gamma_constraint": constraint_to_keras(&c.gamma_constraint),
                "synchronized": false, "renorm": c.renorm, "renorm_clipping": clipping,
                "renorm_momentum": c.renorm_momentum,
            })
        }
        "LayerNormalization" => {
            let c = downcast::<LayerNormalization>(layer)?.config();
            json!({
                "axis": c.axis, "epsilon": c.epsilon, "center": c.center, "scale": c.scale,
                "rms_scaling": c.rms_scaling,
                "beta_initializer": initializer_to_keras(&c.beta_initializer),
                "gamma_initializer": initializer_to_keras(&c.gamma_initializer),
                "beta_regularizer": regularizer_to_keras(&c.beta_regularizer),
                "gamma_regularizer": regularizer_to_keras(&c.gamma_regularizer),
                "beta_constraint": constraint_to_keras(&c.beta_constraint),
                "gamma_constraint": constraint_to_keras(&c.gamma_constraint),
            })
        }
        "SimpleRNN" => {
            let c = downcast::<SimpleRNN>(layer)?.config();
            json!({
                "return_sequences": c.return_sequences, "return_state": c.return_state,
                "go_backwards": c.go_backwards, "stateful": c.stateful, "unroll": c.unroll,
                "zero_output_for_mask": false, "units": c.units, "activation": act(layer, &c.activation)?,
                "use_bias": c.use_bias,
                "kernel_initializer": initializer_to_keras(&c.kernel_initializer),
                "recurrent_initializer": initializer_to_keras(&c.recurrent_initializer),
                "bias_initializer": initializer_to_keras(&c.bias_initializer),
                "kernel_regularizer": regularizer_to_keras(&c.kernel_regularizer),
                "recurrent_regularizer": regularizer_to_keras(&c.recurrent_regularizer),
                "bias_regularizer": regularizer_to_keras(&c.bias_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "kernel_constraint": constraint_to_keras(&c.kernel_constraint),
                "recurrent_constraint": constraint_to_keras(&c.recurrent_constraint),
                "bias_constraint": constraint_to_keras(&c.bias_constraint),
                "dropout": c.dropout, "recurrent_dropout": c.recurrent_dropout, "seed": c.seed,
            })
        }
        "LSTM" => {
            let c = downcast::<LSTM>(layer)?.config();
            json!({
                "return_sequences": c.return_sequences, "return_state": c.return_state,
                "go_backwards": c.go_backwards, "stateful": c.stateful, "unroll": c.unroll,
                "zero_output_for_mask": false, "units": c.units, "activation": act(layer, &c.activation)?,
                "recurrent_activation": act(layer, &c.recurrent_activation)?, "use_bias": c.use_bias,
                "kernel_initializer": initializer_to_keras(&c.kernel_initializer),
                "recurrent_initializer": initializer_to_keras(&c.recurrent_initializer),
                "bias_initializer": initializer_to_keras(&c.bias_initializer),
                "unit_forget_bias": c.unit_forget_bias,
                "kernel_regularizer": regularizer_to_keras(&c.kernel_regularizer),
                "recurrent_regularizer": regularizer_to_keras(&c.recurrent_regularizer),
                "bias_regularizer": regularizer_to_keras(&c.bias_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "kernel_constraint": constraint_to_keras(&c.kernel_constraint),
                "recurrent_constraint": constraint_to_keras(&c.recurrent_constraint),
                "bias_constraint": constraint_to_keras(&c.bias_constraint),
                "dropout": c.dropout, "recurrent_dropout": c.recurrent_dropout, "seed": c.seed,
            })
        }
        "GRU" => {
            let c = downcast::<GRU>(layer)?.config();
            json!({
                "return_sequences": c.return_sequences, "return_state": c.return_state,
                "go_backwards": c.go_backwards, "stateful": c.stateful, "unroll": c.unroll,
                "zero_output_for_mask": false, "units": c.units, "activation": act(layer, &c.activation)?,
                "recurrent_activation": act(layer, &c.recurrent_activation)?, "use_bias": c.use_bias,
                "kernel_initializer": initializer_to_keras(&c.kernel_initializer),
                "recurrent_initializer": initializer_to_keras(&c.recurrent_initializer),
                "bias_initializer": initializer_to_keras(&c.bias_initializer),
                "kernel_regularizer": regularizer_to_keras(&c.kernel_regularizer),
                "recurrent_regularizer": regularizer_to_keras(&c.recurrent_regularizer),
                "bias_regularizer": regularizer_to_keras(&c.bias_regularizer),
                "activity_regularizer": regularizer_to_keras(&c.activity_regularizer),
                "kernel_constraint": constraint_to_keras(&c.kernel_constraint),
                "recurrent_constraint": constraint_to_keras(&c.recurrent_constraint),
                "bias_constraint": constraint_to_keras(&c.bias_constraint),
                "dropout": c.dropout, "recurrent_dropout": c.recurrent_dropout, "seed": c.seed,
                "reset_after": c.reset_after,
            })
        }
        other => {
            return Err(Error::unsupported(
                format!("layer '{}' ({other})", layer.name()),
                format!("fovea cannot export {other} layers to Keras (it is not a Keras layer, or has no writer yet)"),
            ))
        }
    }))
}

fn pool2d(c: &Pooling2DConfig) -> Value {
    json!({
        "pool_size": c.pool_size, "padding": padding_to_keras(c.padding),
        "strides": c.strides.unwrap_or(c.pool_size), "data_format": data_format_to_keras(c.data_format),
    })
}

fn pool1d(c: &Pooling1DConfig) -> Value {
    json!({
        "pool_size": [c.pool_size], "padding": padding_to_keras(c.padding),
        "strides": [c.strides.unwrap_or(c.pool_size)], "data_format": data_format_to_keras(c.data_format),
    })
}

fn global(c: &GlobalPoolingConfig) -> Value {
    json!({"data_format": data_format_to_keras(c.data_format), "keepdims": c.keepdims})
}

fn pairs(p: &[(usize, usize); 2]) -> Value {
    json!([[p[0].0, p[0].1], [p[1].0, p[1].1]])
}

fn merge<T: 'static>(layer: &dyn Layer) -> Result<Value> {
    downcast::<T>(layer)?;
    Ok(json!({}))
}
