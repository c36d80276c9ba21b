//! A LeNet-5 style network for 28x28 grey images (MNIST, Fashion-MNIST): two
//! convolution + pooling stages and three fully connected layers, with ReLU and max
//! pooling as modern reimplementations use.

use fovea_core::Rng;
use fovea_nn::layers::{Conv2D, Dense, Flatten, MaxPooling2D, Padding};
use fovea_nn::{Activation, Model, Result, Sequential};

/// LeNet-5 for `(28, 28, 1)` inputs and `num_classes` outputs (softmax):
/// conv 6@5x5 same -> pool -> conv 16@5x5 -> pool -> 120 -> 84 -> classes.
pub fn lenet(num_classes: usize, rng: &mut Rng) -> Result<Model> {
    Sequential::new(&[28, 28, 1])
        .name("lenet")
        .add(Conv2D::new(6, [5, 5]).padding(Padding::Same).activation(Activation::Relu))
        .add(MaxPooling2D::new([2, 2]))
        .add(Conv2D::new(16, [5, 5]).activation(Activation::Relu))
        .add(MaxPooling2D::new([2, 2]))
        .add(Flatten::new())
        .add(Dense::new(120).activation(Activation::Relu))
        .add(Dense::new(84).activation(Activation::Relu))
        .add(Dense::new(num_classes).activation(Activation::Softmax))
        .build(rng)
}
