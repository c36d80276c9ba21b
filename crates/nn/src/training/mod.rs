//! The Keras training loop: `model.compile(optimizer, loss, metrics)` gives a
//! [`CompiledModel`] whose `fit`, `evaluate` and `predict` follow Keras 3's semantics,
//! plus Keras's callbacks ([`ReduceLROnPlateau`], [`EarlyStopping`],
//! [`ModelCheckpoint`], [`CsvLogger`], [`TerminateOnNaN`], [`LambdaCallback`]).
//!
//! Data is in memory: `x` and `y` are tensors whose first axis is the sample axis.

mod callbacks;
mod compile;
mod data;
mod fit;
mod monitor;
mod output;
mod outputs;

use std::collections::BTreeMap;

use fovea_core::{DType, Tensor};

pub use callbacks::{Callback, CsvLogger, LambdaCallback, TerminateOnNaN, TrainingControl};
pub use compile::CompiledModel;
pub use data::Data;
pub use monitor::{
    EarlyStopping, EarlyStoppingConfig, ModelCheckpoint, ModelCheckpointConfig, Monitor, MonitorMode,
    ReduceLROnPlateau, ReduceLROnPlateauConfig, SaveFn,
};
pub use output::FitOutput;
pub use outputs::{Losses, Metrics, OutputKey};

pub use crate::history::History;
use crate::Result;

/// What an epoch (or a batch, or `evaluate`) reports: `loss`, each metric by name, and
/// `val_`-prefixed entries for the validation pass. Sorted by name, as Keras's CSV
/// logger writes them.
pub type Logs = BTreeMap<String, f64>;

/// Keras `fit()` arguments for in-memory data.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// Samples per gradient step; the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// The epoch to stop before (training runs epochs `initial_epoch..epochs`).
    pub epochs: usize,
    /// Fraction of the samples, taken from the END of `x`/`y` before any shuffling, held
    /// out for validation. Ignored when `validation_data` is given (as in Keras).
    pub validation_split: f64,
    /// `(x_val, y_val)` evaluated after each epoch (tensors, lists or names as for
    /// `fit`'s `x` and `y`: `Some((x_val.into(), y_val.into()))`).
    pub validation_data: Option<(Data, Data)>,
    /// Reshuffle the training samples before each epoch.
    pub shuffle: bool,
    /// The epoch to start at (to resume an earlier run).
    pub initial_epoch: usize,
    /// Fixes the shuffling order and the randomness of each training step (dropout):
    /// epoch `e` always shuffles and draws the same way, so resuming with
    /// `initial_epoch` reproduces an uninterrupted run.
    pub seed: u64,
    /// Keras's `verbose`: 0 silent; 1 `Epoch e/E` (when `epochs > 1`) then a
    /// progress bar per epoch over its batches, updated after each batch with the
    /// running loss and metrics and finished with the epoch's logs (validation
    /// included); 2 the header and one summary line per epoch. Larger values print
    /// only the headers, as Keras's `ProgbarLogger` does.
    pub verbose: u8,
    /// Where the headers and bars go (stdout by default).
    pub output: FitOutput,
    /// Applied to each training batch (never to validation or evaluation), with
    /// randomness derived from `(seed, epoch, batch)` so resuming stays exact.
    pub augment: Option<TrainAugment>,
}

/// A training-time augmentation for [`FitOptions::augment`] (shared, so the options
/// stay cheap to clone).
#[derive(Clone)]
pub struct TrainAugment(pub std::sync::Arc<dyn crate::data::Augment>);

impl std::fmt::Debug for TrainAugment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrainAugment(..)")
    }
}

impl Default for FitOptions {
    /// Keras's defaults: `batch_size=32, epochs=1, validation_split=0.0, shuffle=True,
    /// initial_epoch=0`, verbose 1.
    fn default() -> Self {
        FitOptions {
            batch_size: 32,
            epochs: 1,
            validation_split: 0.0,
            validation_data: None,
            shuffle: true,
            initial_epoch: 0,
            seed: 0,
            verbose: 1,
            output: FitOutput::default(),
            augment: None,
        }
    }
}

/// Streams of randomness the loop derives from the user's seed.
const STREAM_SHUFFLE: u64 = 1;
const STREAM_STEP: u64 = 2;
const STREAM_AUGMENT: u64 = 3;

/// A seed that is a pure function of `(seed, stream, epoch, batch)` (splitmix64 mixing),
/// so no state needs to survive between `fit` calls for resumption to be exact.
pub(crate) fn derive_seed(seed: u64, stream: u64, epoch: u64, batch: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    [stream, epoch, batch].iter().fold(mix(seed), |acc, &v| mix(acc ^ mix(v)))
}

/// Row access to a tensor along axis 0, for f32 and int64 tensors (sparse labels).
/// int64 tensors are read to the host once, not once per batch (`index_select` on an
/// int64 tensor would copy all of it out for every batch).
pub(crate) enum Rows<'a> {
    F32(&'a Tensor),
    I64 { data: Vec<i64>, dims: Vec<usize> },
}

impl<'a> Rows<'a> {
    pub(crate) fn new(t: &'a Tensor) -> Result<Self> {
        if t.dtype() == DType::I64 {
            return Ok(Rows::I64 { data: t.to_vec_i64()?, dims: t.dims().to_vec() });
        }
        Ok(Rows::F32(t))
    }

    /// Rows `idx`.
    ///
    /// # Shapes
    /// The source is `(n, ...)`; the result is `(idx.len(), ...)`.
    pub(crate) fn take(&self, idx: &[usize]) -> Result<Tensor> {
        match self {
            Rows::I64 { data, dims } => {
                let row: usize = dims[1..].iter().product();
                let mut out = Vec::with_capacity(idx.len() * row);
                for &i in idx {
                    out.extend_from_slice(&data[i * row..(i + 1) * row]);
                }
                let mut d = dims.clone();
                d[0] = idx.len();
                Ok(Tensor::from_vec_i64(out, d)?)
            }
            Rows::F32(t) => {
                let ids = Tensor::from_vec_i64(idx.iter().map(|&i| i as i64).collect(), [idx.len()])?;
                Ok(t.index_select(0, &ids)?)
            }
        }
    }
}

/// Rows `idx` of `t` (axis 0), for f32 and int64 tensors.
#[cfg(test)]
pub(crate) fn take_rows(t: &Tensor, idx: &[usize]) -> Result<Tensor> {
    Rows::new(t)?.take(idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_rows_gathers_f32_and_int64_rows() {
        let f = Tensor::from_vec((0..6).map(|v| v as f32).collect(), [3, 2]).unwrap();
        assert_eq!(take_rows(&f, &[2, 0]).unwrap().to_vec_f32().unwrap(), [4.0, 5.0, 0.0, 1.0]);
        let i = Tensor::from_vec_i64(vec![7, 8, 9], [3]).unwrap();
        let t = take_rows(&i, &[1, 1, 2]).unwrap();
        assert_eq!((t.dims(), t.to_vec_i64().unwrap()), (&[3usize][..], vec![8, 8, 9]));
    }

    #[test]
    fn derived_seeds_differ_per_coordinate() {
        let base = derive_seed(1, STREAM_STEP, 2, 3);
        assert_eq!(base, derive_seed(1, STREAM_STEP, 2, 3));
        for other in [
            derive_seed(2, STREAM_STEP, 2, 3),
            derive_seed(1, STREAM_SHUFFLE, 2, 3),
            derive_seed(1, STREAM_STEP, 3, 3),
            derive_seed(1, STREAM_STEP, 2, 4),
            derive_seed(1, STREAM_STEP, 3, 2),
        ] {
            assert_ne!(base, other);
        }
    }
}
