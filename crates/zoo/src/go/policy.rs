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
use fovea_nn::layers::{Conv2D, Flatten, Padding};
use fovea_nn::{Activation, Error, Model, Result, Sequential};

use super::PositionBias;

/// Board side.
pub const BOARD: usize = 19;
/// Input feature planes.
pub const FEATURE_PLANES: usize = 48;

/// The policy network with `filters` (k) filters in its hidden convolutions.
pub fn alphago_policy(filters: usize, rng: &mut Rng) -> Result<Model> {
    if filters == 0 {
        return Err(Error::Model { model: "alphago_policy".into(), msg: "filters must be at least 1".into() });
    }
    let mut s = Sequential::new(&[BOARD, BOARD, FEATURE_PLANES])
        .name("alphago_policy")
        .add(Conv2D::new(filters, [5, 5]).padding(Padding::Same).activation(Activation::Relu));
    for _ in 0..11 {
        s = s.add(Conv2D::new(filters, [3, 3]).padding(Padding::Same).activation(Activation::Relu));
    }
    s.add(Conv2D::new(1, [1, 1]).use_bias(false))
        .add(PositionBias::new())
        .add(Flatten::new())
        .add(fovea_nn::layers::ActivationLayer::new(Activation::Softmax))
        .build(rng)
}
