//! The supervised-learning policy network of AlphaGo: 19x19x48 feature planes in, a
//! probability for each of the 361 points out.
//!
//! ```text
//! [19x19x48]   INPUT: 48 feature planes (stones, liberties, ladders, ...)
//! [19x19xk]    CONV1: k 5x5 filters, stride 1, 'same' (pad 2), ReLU
//! [19x19xk]    CONV2..CONV12: k 3x3 filters, stride 1, 'same' (pad 1), ReLU
//! [19x19x1]    CONV13: one 1x1 filter, no per-filter bias ...
//! [19x19x1]    ... but a separate bias for each board point
//! [361]        softmax over the moves
//! ```
//! The paper used k = 192 for the match network and tried 128, 256 and 384.

use fovea_core::Rng;
use fovea_nn::layers::{Conv2D, Conv2DConfig, Flatten, Padding};
use fovea_nn::{Activation, Error, Model, Result, Sequential};

use super::PositionBias;

/// Board side.
pub const BOARD: usize = 19;
/// Input feature planes.
pub const FEATURE_PLANES: usize = 48;

/// The policy network with `filters` (k) filters in its hidden convolutions: the
/// paper's 13 convolutional layers (12 with ReLU, then the 1x1 output) and Keras's
/// default glorot-uniform kernels.
pub fn alphago_policy(filters: usize, rng: &mut Rng) -> Result<Model> {
    alphago_policy_with(&PolicyConfig { filters, ..PolicyConfig::default() }, rng)
}

/// Options of the policy network beyond the paper's.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    /// k: filters of every hidden convolution (the paper: 192; tried 128 to 384).
    pub filters: usize,
    /// Hidden convolutions with ReLU: the 5x5 one and `layers - 1` 3x3 ones (the paper: 12).
    pub layers: usize,
    /// Kernel initializer of the hidden convolutions. He-normal keeps the activations'
    /// scale through twelve ReLU layers, where glorot halves their variance at each.
    pub kernel_initializer: fovea_nn::Initializer,
}

impl Default for PolicyConfig {
    /// The paper's network: k = 192, 12 hidden layers, Keras's glorot-uniform kernels.
    fn default() -> Self {
        PolicyConfig { filters: 192, layers: 12, kernel_initializer: fovea_nn::Initializer::glorot_uniform() }
    }
}

/// The policy network as `config` says.
pub fn alphago_policy_with(config: &PolicyConfig, rng: &mut Rng) -> Result<Model> {
    let fail = |msg: String| Err(Error::Model { model: "alphago_policy".into(), msg });
    if config.filters == 0 {
        return fail("filters must be at least 1".into());
    }
    if config.layers == 0 {
        return fail(format!("layers must be at least 1 (the 5x5 input convolution), got {}", config.layers));
    }
    let conv = |kernel: usize| {
        Conv2D::with_config(Conv2DConfig {
            filters: config.filters,
            kernel_size: [kernel, kernel],
            padding: Padding::Same,
            activation: Activation::Relu,
            kernel_initializer: config.kernel_initializer.clone(),
            ..Default::default()
        })
    };
    let mut s = Sequential::new(&[BOARD, BOARD, FEATURE_PLANES]).name("alphago_policy").add(conv(5));
    for _ in 1..config.layers {
        s = s.add(conv(3));
    }
    s.add(Conv2D::new(1, [1, 1]).use_bias(false))
        .add(PositionBias::new())
        .add(Flatten::new())
        .add(fovea_nn::layers::ActivationLayer::new(Activation::Softmax))
        .build(rng)
}
