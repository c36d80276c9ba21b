//! fovea-zoo: the lecture's reference networks, built on fovea-nn's public API.
//!
//! - [`alexnet`]: AlexNet (227x227x3 -> 1000), with the two-GPU `groups = 2` option.
//! - [`go::alphago_policy`]: the AlphaGo policy network (19x19x48 -> 361 moves).
//! - [`lenet`], [`lenet_with`]: LeNet-5 (and its batch-norm + dropout recipe) for 28x28x1 images.
//! - [`scenes`]: the procedural colour scene world (images, classes, captions).

#![warn(missing_docs)]

mod alexnet;
pub mod go;
mod lenet;
pub mod scenes;

pub use alexnet::{alexnet, AlexNetConfig};
pub use lenet::{lenet, lenet_with, LeNetConfig, LENET5_FILTERS, LENET5_UNITS};
