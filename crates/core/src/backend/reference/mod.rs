//! Naive kernels: the oracle that fast kernels are tested against. Never optimised.

pub(crate) mod elementwise;
pub(crate) mod reduce;
