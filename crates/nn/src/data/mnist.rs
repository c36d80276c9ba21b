//! MNIST-layout folders: the four standard IDX files, gzipped or not.

use std::path::{Path, PathBuf};

use super::{data_error, read_idx_images, read_idx_labels, Dataset};
use crate::Result;

/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// `stem` inside `dir`, plain or with `.gz`, whichever exists (plain first).
fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let plain = dir.join(stem);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(data_error(dir.display().to_string(), format!("missing {stem} (or {stem}.gz)")))
}

fn load_pair(dir: &Path, images: &str, labels: &str) -> Result<Dataset> {
    let x = read_idx_images(find(dir, images)?)?;
    let y = read_idx_labels(find(dir, labels)?)?;
    Dataset::new(x, y).map_err(|e| data_error(dir.display().to_string(), format!("{images} and {labels}: {e}")))
}

/// Loads a folder holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` (each optionally `.gz`), as
/// MNIST and Fashion-MNIST are distributed.
///
/// # Shapes
/// Returns `(train, test)`, features `(N, 28, 28, 1)` f32 in `[0, 1]`, labels `(N,)`
/// int64.
pub fn load_mnist_dir(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset)> {
    let dir = dir.as_ref();
    if !dir.is_dir() {
        return Err(data_error(dir.display().to_string(), "is not a directory"));
    }
    let train = load_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let test = load_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    Ok((train, test))
}

/// Fashion-MNIST (60000 training and 10000 test images of 10 clothing classes) from
/// [`FASHION_MNIST_DIR`]. Errors with the install command when the package is absent.
///
/// # Shapes
/// As [`load_mnist_dir`]: `(60000, 28, 28, 1)` and `(10000, 28, 28, 1)`.
pub fn fashion_mnist() -> Result<(Dataset, Dataset)> {
    let dir = Path::new(FASHION_MNIST_DIR);
    if !dir.is_dir() {
        return Err(data_error(
            FASHION_MNIST_DIR,
            "Fashion-MNIST is not installed; install it with `apt-get install -y dataset-fashion-mnist`",
        ));
    }
    load_mnist_dir(dir)
}
