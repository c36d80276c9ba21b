//! LeNet-5 style networks for 28x28 grey images (MNIST, Fashion-MNIST): two
//! convolution + pooling stages and three fully connected layers, with ReLU and max
//! pooling as modern reimplementations use.

use fovea_core::Rng;
use fovea_nn::layers::{BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D, Padding, ReLU};
use fovea_nn::{Activation, Error, Model, Result, Sequential};

/// LeNet-5's convolution filters.
pub const LENET5_FILTERS: [usize; 2] = [6, 16];
/// LeNet-5's hidden dense units.
pub const LENET5_UNITS: [usize; 2] = [120, 84];

/// Options of [`lenet_with`]. [`LeNetConfig::classic`] is LeNet-5 as the lecture draws
/// it; [`Default`] is the recipe `fovea train lenet` uses: LeNet-5's layout with
/// batch normalisation after each convolution, `same` padding in both, dropout after
/// each hidden fully connected layer, and 16 and 32 filters instead of 6 and 16. With
/// LeNet-5's filters the recipe plateaus at 91.2-91.6% on Fashion-MNIST in fovea and in
/// Keras alike; the wider convolutions reach about 92.5% (issue 4's note).
#[derive(Clone, Debug, PartialEq)]
pub struct LeNetConfig {
    /// Output classes (softmax).
    pub num_classes: usize,
    /// Conv -> BatchNormalization -> ReLU instead of a conv with a ReLU activation
    /// (the convolutions then have no bias: batch norm's beta replaces it).
    pub batch_norm: bool,
    /// Dropout rate after the 120- and 84-unit layers; 0 adds no Dropout layers.
    pub dropout: f32,
    /// `same` padding in the second convolution too (LeNet-5's is `valid`).
    pub same_padding: bool,
    /// Filters of the two convolutions (LeNet-5: 6 and 16).
    pub filters: [usize; 2],
    /// Units of the two hidden dense layers (LeNet-5: 120 and 84).
    pub units: [usize; 2],
}

impl LeNetConfig {
    /// LeNet-5 with ReLU and max pooling, nothing else.
    pub fn classic(num_classes: usize) -> Self {
        LeNetConfig {
            num_classes,
            batch_norm: false,
            dropout: 0.0,
            same_padding: false,
            filters: LENET5_FILTERS,
            units: LENET5_UNITS,
        }
    }
}

impl Default for LeNetConfig {
    fn default() -> Self {
        LeNetConfig {
            num_classes: 10,
            batch_norm: true,
            dropout: 0.1,
            same_padding: true,
            filters: [16, 32],
            units: LENET5_UNITS,
        }
    }
}

/// Classic LeNet-5 for `(28, 28, 1)` inputs and `num_classes` outputs (softmax):
/// conv 6@5x5 same -> pool -> conv 16@5x5 valid -> pool -> 120 -> 84 -> classes.
pub fn lenet(num_classes: usize, rng: &mut Rng) -> Result<Model> {
    lenet_with(&LeNetConfig::classic(num_classes), rng)
}

/// A LeNet-5 style network as `config` describes, for `(28, 28, 1)` inputs.
pub fn lenet_with(config: &LeNetConfig, rng: &mut Rng) -> Result<Model> {
    if config.num_classes == 0 {
        return Err(Error::Model { model: "lenet".into(), msg: "num_classes must be at least 1, got 0".into() });
    }
    if !(0.0..1.0).contains(&config.dropout) {
        return Err(Error::Model {
            model: "lenet".into(),
            msg: format!("dropout must be in [0, 1), got {}", config.dropout),
        });
    }
    if config.filters.contains(&0) || config.units.contains(&0) {
        return Err(Error::Model {
            model: "lenet".into(),
            msg: format!("filters and units must be at least 1, got {:?} and {:?}", config.filters, config.units),
        });
    }
    let mut net = Sequential::new(&[28, 28, 1]).name("lenet");
    let second = if config.same_padding { Padding::Same } else { Padding::Valid };
    for (filters, padding) in [(config.filters[0], Padding::Same), (config.filters[1], second)] {
        let conv = Conv2D::new(filters, [5, 5]).padding(padding);
        net = if config.batch_norm {
            net.add(conv.use_bias(false)).add(BatchNormalization::new()).add(ReLU::new())
        } else {
            net.add(conv.activation(Activation::Relu))
        };
        net = net.add(MaxPooling2D::new([2, 2]));
    }
    net = net.add(Flatten::new());
    for units in config.units {
        net = net.add(Dense::new(units).activation(Activation::Relu));
        if config.dropout > 0.0 {
            net = net.add(Dropout::new(config.dropout));
        }
    }
    net.add(Dense::new(config.num_classes).activation(Activation::Softmax)).build(rng)
}
