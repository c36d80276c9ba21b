//! Public tensor ops. Each file is one family: it validates its inputs, computes the
//! output shape, calls the backend, and records its backward beside its forward.
//! Most ops are also methods on [`crate::Tensor`].

pub mod batch_norm;
pub mod bias;
pub mod binary;
pub mod conv;
pub mod geometry;
pub mod lrn;
pub mod matmul;
pub mod movement;
pub mod pool;
pub mod reduce;
pub mod softmax;
pub mod unary;
