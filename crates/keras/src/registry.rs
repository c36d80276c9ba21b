//! The Keras `class_name` -> fovea layer builder table: the one place that knows which
//! Keras layer classes fovea implements.

use fovea_nn::Layer;

use crate::config::args::Args;
use crate::config::layers_basic as basic;
use crate::config::layers_conv as conv;
use crate::config::layers_norm_rnn as norm;
use crate::config::objects::check_float32;
use crate::Result;

/// Builds a layer from its parsed config.
type Builder = fn(&Args) -> Result<Box<dyn Layer>>;

/// Every layer class fovea reads, with its builder. `Sequential`, `Functional` (and
/// Keras 2's `Model`) and `InputLayer` are handled by the model builder.
const TABLE: &[(&str, Builder)] = &[
    ("Dense", basic::dense),
    ("Activation", basic::activation_layer),
    ("ReLU", basic::relu),
    ("LeakyReLU", basic::leaky_relu),
    ("Softmax", basic::softmax),
    ("Dropout", basic::dropout),
    ("Flatten", basic::flatten),
    ("Reshape", basic::reshape),
    ("Permute", basic::permute),
    ("Add", basic::merge),
    ("Subtract", basic::merge),
    ("Multiply", basic::merge),
    ("Average", basic::merge),
    ("Maximum", basic::merge),
    ("Minimum", basic::merge),
    ("Concatenate", basic::merge),
    ("Embedding", basic::embedding),
    ("Conv1D", conv::conv1d),
    ("Conv2D", conv::conv2d),
    ("MaxPooling1D", conv::max_pool1d),
    ("MaxPooling2D", conv::max_pool2d),
    ("AveragePooling1D", conv::avg_pool1d),
    ("AveragePooling2D", conv::avg_pool2d),
    ("GlobalMaxPooling1D", conv::global_max1d),
    ("GlobalMaxPooling2D", conv::global_max2d),
    ("GlobalAveragePooling1D", conv::global_avg1d),
    ("GlobalAveragePooling2D", conv::global_avg2d),
    ("ZeroPadding2D", conv::zero_padding2d),
    ("Cropping2D", conv::cropping2d),
    ("BatchNormalization", norm::batch_norm),
    ("LayerNormalization", norm::layer_norm),
    ("LocalResponseNormalization", norm::lrn),
    ("SimpleRNN", norm::simple_rnn),
    ("LSTM", norm::lstm),
    ("GRU", norm::gru),
];

/// Keras's aliases of class names (old spellings Keras 2 files still carry).
fn canonical(class: &str) -> &str {
    match class {
        "Convolution1D" => "Conv1D",
        "Convolution2D" => "Conv2D",
        "MaxPool1D" => "MaxPooling1D",
        "MaxPool2D" => "MaxPooling2D",
        "AvgPool1D" => "AveragePooling1D",
        "AvgPool2D" => "AveragePooling2D",
        "GlobalMaxPool1D" => "GlobalMaxPooling1D",
        "GlobalMaxPool2D" => "GlobalMaxPooling2D",
        "GlobalAvgPool1D" => "GlobalAveragePooling1D",
        "GlobalAvgPool2D" => "GlobalAveragePooling2D",
        other => other,
    }
}

/// The layer classes (besides models and `InputLayer`) that fovea reads.
pub fn supported_classes() -> Vec<&'static str> {
    TABLE.iter().map(|(c, _)| *c).collect()
}

/// Whether `class` is a layer class this table builds.
pub fn is_supported(class: &str) -> bool {
    TABLE.iter().any(|(c, _)| *c == canonical(class))
}

/// Builds the layer `args` describes, named `name`: checks its dtype, runs the
/// class's builder, then rejects any config key the builder did not read.
pub fn build_layer(args: Args, name: &str) -> Result<Box<dyn Layer>> {
    let class = canonical(args.class());
    let Some((_, build)) = TABLE.iter().find(|(c, _)| *c == class) else {
        return Err(args.unsupported(format!(
            "unknown layer class '{}'; fovea reads: {}",
            args.class(),
            supported_classes().join(", ")
        )));
    };
    check_float32(&args)?;
    let mut layer = build(&args)?;
    args.finish()?;
    layer.set_name(name);
    Ok(layer)
}
