//! Naive kernels: the oracle that fast kernels are tested against. Never optimised.

pub(crate) mod matmul;
pub(crate) mod softmax;

pub(crate) mod pool;

pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod reduce;

pub(crate) mod lrn;
