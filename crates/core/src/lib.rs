//! fovea-core: the tensor engine under fovea.
//!
//! - [`Tensor`]: any-rank arrays (f32 compute; f16/bf16 storage; i64 indices) with
//!   shared storage and strided views, and reverse-mode autodiff ([`Tensor::backward`]).
//! - Ops in [`ops`]: element-wise with numpy broadcasting, reductions, softmax, matmul,
//!   movement, and NHWC convolution and pooling with Keras's padding rules
//!   ([`ops::geometry`]).
//! - [`Rng`]: seeded, thread-count independent random numbers.
//! - [`set_num_threads`]: the size of the kernel thread pool (`FOVEA_NUM_THREADS`).
//!
//! Every function that can meet bad input returns [`Result`]; the error names the op and
//! the shapes or values involved.
//!
//! ```
//! use fovea_core::Tensor;
//! let w = Tensor::from_vec(vec![1.0, -2.0, 3.0], [3])?.requires_grad();
//! let loss = w.mul(&w)?.sum_all()?; // sum of squares
//! let grads = loss.backward()?;
//! assert_eq!(grads.get(&w).unwrap().to_vec_f32()?, vec![2.0, -4.0, 6.0]);
//! # Ok::<(), fovea_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod autodiff;
pub(crate) mod backend;
pub mod bench;
mod dtype;
mod error;
mod layout;
pub mod ops;
mod rng;
mod shape;
mod storage;
mod tensor;
mod threads;

pub use autodiff::{check_gradients, is_grad_enabled, no_grad, GradCheck, Gradients, NoGradGuard};
pub use dtype::DType;
pub use error::{Error, Result};
pub use layout::Layout;
pub use ops::conv::{Conv1dOptions, Conv2dOptions};
pub use ops::pool::{Pool1dOptions, Pool2dOptions};
pub use rng::Rng;
pub use shape::{broadcast_shapes, normalize_axes, normalize_axis, Shape};
pub use storage::Device;
pub use tensor::{Tensor, TensorId};
pub use threads::{flush_denormals_from_env, num_threads, num_threads_from_env, on_pool, set_num_threads};
