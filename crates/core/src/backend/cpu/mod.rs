//! Fast CPU kernels: plain functions over slices and a params struct.

pub(crate) mod elementwise;
#[cfg(test)]
mod elementwise_tests;
pub(crate) mod gemm;
pub(crate) mod movement;
pub(crate) mod reduce;
#[cfg(test)]
mod reduce_tests;
