//! AlexNet as the lecture lists it (Krizhevsky, Sutskever & Hinton, 2012):
//!
//! ```text
//! [227x227x3]  INPUT
//! [55x55x96]   CONV1: 96 11x11 filters at stride 4, pad 0
//! [27x27x96]   MAX POOL1: 3x3 filters at stride 2
//! [27x27x96]   NORM1: local response normalization
//! [27x27x256]  CONV2: 256 5x5 filters at stride 1, pad 2
//! [13x13x256]  MAX POOL2: 3x3 filters at stride 2
//! [13x13x256]  NORM2
//! [13x13x384]  CONV3: 384 3x3 filters at stride 1, pad 1
//! [13x13x384]  CONV4: 384 3x3 filters at stride 1, pad 1
//! [13x13x256]  CONV5: 256 3x3 filters at stride 1, pad 1
//! [6x6x256]    MAX POOL3: 3x3 filters at stride 2
//! [4096]       FC6, [4096] FC7, [1000] FC8 (softmax)
//! ```
//! ReLU follows every convolution and hidden FC; dropout 0.5 precedes FC6 and FC7.
//! The original network was split over two GPUs, so CONV2, CONV4 and CONV5 each saw
//! only half of the previous layer's channels: `groups = 2` reproduces that
//! (60,965,224 parameters; ungrouped 62,378,344).
//!
//! The paper's recipe, for the training loop: SGD with momentum 0.9, batch 128,
//! weight decay 5e-4, learning rate 0.01 divided by 10 when validation accuracy stops
//! improving, dropout 0.5, data augmentation by crops, flips and PCA colour shifts.

use fovea_core::Rng;
use fovea_nn::layers::{
    Conv2D, Conv2DConfig, Dense, DenseConfig, Dropout, Flatten, LocalResponseNormalization, MaxPooling2D, Padding,
};
use fovea_nn::{Activation, Error, Initializer, Model, Result, Sequential};

/// AlexNet's options.
#[derive(Clone, Debug, PartialEq)]
pub struct AlexNetConfig {
    /// Output classes (ImageNet: 1000).
    pub num_classes: usize,
    /// Input height and width (the lecture's 227; 112 suits 128-pixel images).
    pub input_size: usize,
    /// 2 reproduces the two-GPU split of CONV2, CONV4 and CONV5; 1 is the single-tower net.
    pub groups: usize,
    /// Scales every layer's filters and units (0.25 gives a quarter-width AlexNet for two
    /// cores; the layer pattern stays AlexNet's). Counts are rounded to a multiple of
    /// `2 * groups` so the groups split evenly.
    pub width: f32,
    /// The paper's initialisation: weights from N(0, 0.01), biases 1 in CONV2, CONV4,
    /// CONV5 and the hidden FC layers (so their ReLUs start with positive inputs) and 0
    /// elsewhere. Off: Keras's defaults (Glorot uniform, zero biases).
    pub paper_init: bool,
}

impl Default for AlexNetConfig {
    fn default() -> Self {
        AlexNetConfig { num_classes: 1000, input_size: 227, groups: 1, width: 1.0, paper_init: false }
    }
}

/// Builds AlexNet with freshly initialised weights.
pub fn alexnet(config: &AlexNetConfig, rng: &mut Rng) -> Result<Model> {
    let fail = |msg: String| Err(Error::Model { model: "alexnet".into(), msg });
    if config.groups != 1 && config.groups != 2 {
        return fail(format!("groups must be 1 or 2, got {}", config.groups));
    }
    if config.num_classes == 0 {
        return fail("num_classes must be at least 1".into());
    }
    if !(config.width > 0.0 && config.width <= 4.0) {
        return fail(format!("width must be in (0, 4], got {}", config.width));
    }
    let g = config.groups;
    let scaled = |n: usize| {
        let step = 2 * g;
        (((n as f32 * config.width) / step as f32).round() as usize).max(1) * step
    };
    let (weights, one, zero) = if config.paper_init {
        (Initializer::RandomNormal { mean: 0.0, stddev: 0.01 }, Initializer::Ones, Initializer::Zeros)
    } else {
        (Initializer::glorot_uniform(), Initializer::Zeros, Initializer::Zeros)
    };
    let pool = || MaxPooling2D::new(3).strides([2, 2]);
    let conv = |filters: usize, k: usize, stride: usize, groups: usize, padding: Padding, bias: &Initializer| {
        Conv2D::with_config(Conv2DConfig {
            filters: scaled(filters),
            kernel_size: [k, k],
            strides: [stride, stride],
            padding,
            groups,
            activation: Activation::Relu,
            kernel_initializer: weights.clone(),
            bias_initializer: bias.clone(),
            ..Default::default()
        })
    };
    let dense = |units: usize, activation: Activation, bias: &Initializer| {
        Dense::with_config(DenseConfig {
            units,
            activation,
            kernel_initializer: weights.clone(),
            bias_initializer: bias.clone(),
            ..Default::default()
        })
    };
    Sequential::new(&[config.input_size, config.input_size, 3])
        .name("alexnet")
        .add(conv(96, 11, 4, 1, Padding::Valid, &zero))
        .add(pool())
        .add(LocalResponseNormalization::alexnet())
        // 'same' on a stride-1 5x5 is the lecture's pad 2 (and 3x3 'same' is pad 1).
        .add(conv(256, 5, 1, g, Padding::Same, &one))
        .add(pool())
        .add(LocalResponseNormalization::alexnet())
        .add(conv(384, 3, 1, 1, Padding::Same, &zero))
        .add(conv(384, 3, 1, g, Padding::Same, &one))
        .add(conv(256, 3, 1, g, Padding::Same, &one))
        .add(pool())
        .add(Flatten::new())
        .add(Dropout::new(0.5))
        .add(dense(scaled(4096), Activation::Relu, &one))
        .add(Dropout::new(0.5))
        .add(dense(scaled(4096), Activation::Relu, &one))
        .add(dense(config.num_classes, Activation::Softmax, &zero))
        .build(rng)
}
