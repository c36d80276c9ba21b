//! Fast CPU kernels: plain functions over slices and a params struct.

pub(crate) mod batch_norm;
pub(crate) mod bias;
pub(crate) mod conv_direct;
#[cfg(test)]
mod conv_direct_tests;
pub(crate) mod conv_grad;
pub(crate) mod conv_grad_kernel;
pub(crate) mod conv_im2col;
pub(crate) mod conv_planar;
#[cfg(test)]
mod conv_planar_tests;
pub(crate) mod conv_s2d;
#[cfg(test)]
mod conv_s2d_tests;
#[cfg(test)]
mod conv_speed;
#[cfg(test)]
mod conv_tests;
pub(crate) mod conv_tile;
pub(crate) mod conv_winograd;
pub(crate) mod conv_winograd_batched;
pub(crate) mod conv_winograd_fused;
pub(crate) mod conv_winograd_grad;
#[cfg(test)]
mod conv_winograd_tests;
pub(crate) mod conv_winograd_xform;
pub(crate) mod elementwise;
#[cfg(test)]
mod elementwise_tests;
pub(crate) mod gemm;
pub(crate) mod lrn;
pub(crate) mod matmul;
pub(crate) mod movement;
pub(crate) mod pool;
pub(crate) mod pool_avx512;
pub(crate) mod pool_tiled;
pub(crate) mod reduce;
#[cfg(test)]
mod reduce_tests;
pub(crate) mod scratch;
pub(crate) mod softmax;
