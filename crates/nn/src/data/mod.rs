//! The data pipeline: in-memory datasets, a shuffling, prefetching batch loader,
//! image augmentations, and readers for IDX (MNIST), PNG and JPEG files.
//!
//! Everything here produces NHWC f32 feature tensors, as the layers expect, and labels
//! as f32 (regression, one-hot) or int64 (sparse class ids).
//!
//! ```no_run
//! use fovea_nn::data::{fashion_mnist, Loader, LoaderConfig, RandomFlip};
//! # fn main() -> fovea_nn::Result<()> {
//! let (train, _test) = fashion_mnist()?;
//! let (train, val) = train.split(0.1)?;
//! let loader = Loader::new(train, LoaderConfig { batch_size: 128, ..Default::default() })?
//!     .with_augment(RandomFlip);
//! for batch in loader.epoch(0, true)? {
//!     let (x, y) = batch?; // x: (128, 28, 28, 1) f32, y: (128,) int64
//! #   let _ = (x, y);
//! }
//! # let _ = val;
//! # Ok(())
//! # }
//! ```

mod augment;
mod digits_csv;
mod folder;
mod idx;
mod image;
mod loader;
mod mnist;
mod pca;

use std::sync::Arc;

use fovea_core::{DType, Tensor};

use crate::{Error, Result};

pub use self::image::{decode_image, load_image, load_images, ColorMode};
pub use augment::{Augment, Normalize, Pipeline, RandomCrop, RandomFlip, RandomTranslation};
pub use digits_csv::load_digits_csv;
pub use folder::{
    center_crop, flip_horizontal, load_rgb, random_crop, resize_shorter_side, rgb_to_tensor, ImageFolder, LoadReport,
    RgbImage,
};
pub use idx::{read_idx, read_idx_images, read_idx_labels, IdxArray};
pub use loader::{Batches, Loader, LoaderConfig};
pub use mnist::{fashion_mnist, load_mnist_dir, FASHION_MNIST_DIR};
pub use pca::PcaColor;

/// A data-pipeline error naming `what` (a file or a component).
pub(crate) fn data_error(what: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::Data { what: what.into(), msg: msg.into() }
}

/// Features and labels held in memory, sample axis first.
///
/// Int64 tensors are gathered from a cached copy of their elements, since the core's
/// `index_select` works on f32 data.
///
/// # Shapes
/// `x`: `(N, ...)` f32 or int64; `y`: `(N, ...)` f32 or int64, with the same `N`.
#[derive(Clone)]
pub struct Dataset {
    x: Column,
    y: Column,
    len: usize,
}

/// One side of a dataset: the tensor, and for int64 its elements in row-major order.
#[derive(Clone)]
struct Column {
    tensor: Tensor,
    ints: Option<Arc<Vec<i64>>>,
}

impl Column {
    fn new(tensor: Tensor, role: &str) -> Result<Column> {
        if tensor.rank() == 0 {
            return Err(data_error("Dataset", format!("{role} must have a sample axis, got a scalar")));
        }
        let ints = match tensor.dtype() {
            DType::F32 => None,
            DType::I64 => Some(Arc::new(tensor.to_vec_i64()?)),
            other => {
                return Err(data_error(
                    "Dataset",
                    format!("{role} must be f32 or int64, got {other:?} (shape {})", tensor.shape()),
                ))
            }
        };
        let tensor = tensor.detach();
        Ok(Column { tensor, ints })
    }

    /// Rows `start..start + len` as a new column (a view for f32).
    fn slice(&self, start: usize, len: usize) -> Result<Column> {
        match &self.ints {
            None => Ok(Column { tensor: self.tensor.narrow(0, start, len)?, ints: None }),
            Some(ints) => {
                let row = row_size(&self.tensor);
                let data = ints[start * row..(start + len) * row].to_vec();
                let mut dims = self.tensor.dims().to_vec();
                dims[0] = len;
                Column::new(Tensor::from_vec_i64(data, dims)?, "slice")
            }
        }
    }

    /// Rows `indices`, in that order.
    ///
    /// # Shapes
    /// `(N, ...)` -> `(indices.len(), ...)`.
    fn take(&self, indices: &[usize]) -> Result<Tensor> {
        let n = self.tensor.dims()[0];
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(data_error("Dataset::take", format!("index {bad} is out of range for {n} samples")));
        }
        let mut dims = self.tensor.dims().to_vec();
        dims[0] = indices.len();
        match &self.ints {
            None => {
                let idx: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
                let idx = Tensor::from_vec_i64(idx, [indices.len()])?;
                Ok(self.tensor.index_select(0, &idx)?)
            }
            Some(ints) => {
                let row = row_size(&self.tensor);
                let mut data = Vec::with_capacity(indices.len() * row);
                for &i in indices {
                    data.extend_from_slice(&ints[i * row..(i + 1) * row]);
                }
                Ok(Tensor::from_vec_i64(data, dims)?)
            }
        }
    }
}

/// Elements per sample.
fn row_size(t: &Tensor) -> usize {
    t.dims()[1..].iter().product()
}

impl Dataset {
    /// A dataset of `x` (features) and `y` (labels). Errors when either is a scalar, is
    /// not f32/int64, or when their sample counts differ.
    pub fn new(x: Tensor, y: Tensor) -> Result<Dataset> {
        let x = Column::new(x, "features")?;
        let y = Column::new(y, "labels")?;
        let (nx, ny) = (x.tensor.dims()[0], y.tensor.dims()[0]);
        if nx != ny {
            return Err(data_error(
                "Dataset",
                format!(
                    "features and labels have different sample counts: x shape {}, y shape {}",
                    x.tensor.shape(),
                    y.tensor.shape()
                ),
            ));
        }
        Ok(Dataset { x, y, len: nx })
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole feature tensor, `(N, ...)`.
    pub fn features(&self) -> &Tensor {
        &self.x.tensor
    }

    /// The whole label tensor, `(N, ...)`.
    pub fn labels(&self) -> &Tensor {
        &self.y.tensor
    }

    /// Gathers the samples `indices` (in that order) into one batch.
    ///
    /// # Shapes
    /// Returns `x: (indices.len(), ...)`, `y: (indices.len(), ...)`.
    pub fn take(&self, indices: &[usize]) -> Result<(Tensor, Tensor)> {
        Ok((self.x.take(indices)?, self.y.take(indices)?))
    }

    /// Splits off the LAST `validation_split` fraction of samples as validation data,
    /// as Keras's `fit(validation_split=...)` does (before any shuffling):
    /// `split_at = floor(N * (1 - validation_split))`. Errors, as Keras does, when
    /// the fraction is outside (0, 1) or leaves either side empty.
    ///
    /// Returns `(train, validation)`.
    pub fn split(&self, validation_split: f64) -> Result<(Dataset, Dataset)> {
        if !(validation_split > 0.0 && validation_split < 1.0) {
            return Err(data_error(
                "Dataset::split",
                format!("`validation_split` must be between 0 and 1 (exclusive), got {validation_split}"),
            ));
        }
        let n = self.len;
        let split_at = (n as f64 * (1.0 - validation_split)).floor() as usize;
        if split_at == 0 || split_at >= n {
            return Err(data_error(
                "Dataset::split",
                format!(
                    "the data contains {n} samples, which is not sufficient to split it into a validation and \
                     training set as specified by `validation_split={validation_split}`"
                ),
            ));
        }
        let part = |start: usize, len: usize| -> Result<Dataset> {
            Ok(Dataset { x: self.x.slice(start, len)?, y: self.y.slice(start, len)?, len })
        };
        Ok((part(0, split_at)?, part(split_at, n - split_at)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize) -> Dataset {
        let x = Tensor::from_vec((0..n * 2).map(|v| v as f32).collect(), [n, 2]).unwrap();
        let y = Tensor::from_vec_i64((0..n as i64).collect(), [n]).unwrap();
        Dataset::new(x, y).unwrap()
    }

    #[test]
    fn take_gathers_rows_in_order_for_f32_and_int64() {
        let (x, y) = toy(5).take(&[3, 0, 3]).unwrap();
        assert_eq!(x.dims(), &[3, 2]);
        assert_eq!(x.to_vec_f32().unwrap(), vec![6.0, 7.0, 0.0, 1.0, 6.0, 7.0]);
        assert_eq!(y.dtype(), DType::I64);
        assert_eq!(y.to_vec_i64().unwrap(), vec![3, 0, 3]);
    }

    #[test]
    fn take_out_of_range_is_an_error() {
        let err = toy(3).take(&[3]).err().unwrap().to_string();
        assert!(err.contains("index 3 is out of range for 3 samples"), "{err}");
    }

    #[test]
    fn mismatched_sample_counts_are_an_error() {
        let x = Tensor::zeros([4, 2]).unwrap();
        let y = Tensor::zeros([3]).unwrap();
        let err = Dataset::new(x, y).err().unwrap().to_string();
        assert!(err.contains("x shape (4, 2), y shape (3,)"), "{err}");
    }

    #[test]
    fn split_uses_python_float_floor() {
        // Keras: floor(10 * (1 - 0.1)) = 9 in f64 (an f32 0.1 would give 8).
        let (train, val) = toy(10).split(0.1).unwrap();
        assert_eq!((train.len(), val.len()), (9, 1));
        assert!(toy(1).split(0.5).is_err());
        assert!(toy(10).split(1.0).is_err());
    }
}
