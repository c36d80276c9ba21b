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
use fovea_nn::layers::{Conv2D, Dense, Dropout, Flatten, LocalResponseNormalization, MaxPooling2D, Padding};
use fovea_nn::{Activation, Error, Model, Result, Sequential};

/// AlexNet's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlexNetConfig {
    /// Output classes (ImageNet: 1000).
    pub num_classes: usize,
    /// Input height and width (the lecture's 227).
    pub input_size: usize,
    /// 2 reproduces the two-GPU split of CONV2, CONV4 and CONV5; 1 is the single-tower net.
    pub groups: usize,
}

impl Default for AlexNetConfig {
    fn default() -> Self {
        AlexNetConfig { num_classes: 1000, input_size: 227, groups: 1 }
    }
}

/// Builds AlexNet with freshly initialised weights.
pub fn alexnet(config: &AlexNetConfig, rng: &mut Rng) -> Result<Model> {
    if config.groups != 1 && config.groups != 2 {
        return Err(Error::Model {
            model: "alexnet".into(),
            msg: format!("groups must be 1 or 2, got {}", config.groups),
        });
    }
    if config.num_classes == 0 {
        return Err(Error::Model { model: "alexnet".into(), msg: "num_classes must be at least 1".into() });
    }
    let g = config.groups;
    let pool = || MaxPooling2D::new([3, 3]).strides([2, 2]);
    let conv = |filters: usize, k: usize, groups: usize| {
        Conv2D::new(filters, [k, k]).padding(Padding::Same).groups(groups).activation(Activation::Relu)
    };
    Sequential::new(&[config.input_size, config.input_size, 3])
        .name("alexnet")
        .add(Conv2D::new(96, [11, 11]).strides([4, 4]).activation(Activation::Relu))
        .add(pool())
        .add(LocalResponseNormalization::alexnet())
        // 'same' on a stride-1 5x5 is the lecture's pad 2 (and 3x3 'same' is pad 1).
        .add(conv(256, 5, g))
        .add(pool())
        .add(LocalResponseNormalization::alexnet())
        .add(conv(384, 3, 1))
        .add(conv(384, 3, g))
        .add(conv(256, 3, g))
        .add(pool())
        .add(Flatten::new())
        .add(Dropout::new(0.5))
        .add(Dense::new(4096).activation(Activation::Relu))
        .add(Dropout::new(0.5))
        .add(Dense::new(4096).activation(Activation::Relu))
        .add(Dense::new(config.num_classes).activation(Activation::Softmax))
        .build(rng)
}
