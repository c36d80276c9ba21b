//! The batch loader: shuffles per epoch from a seed, gathers batches, applies training
//! augmentations, and prepares the next batches on a background thread.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use fovea_core::{Rng, Tensor};

use super::{data_error, Augment, Dataset};
use crate::Result;

/// How many prepared batches wait in the prefetch channel: one being consumed by the
/// model, one ready, one in preparation keeps the worker just ahead without hoarding
/// memory.
const PREFETCH_DEPTH: usize = 2;

/// Options of a [`Loader`], with Keras `fit`'s defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct LoaderConfig {
    /// Samples per batch (Keras's default 32).
    pub batch_size: usize,
    /// Shuffle the sample order every epoch (Keras `fit(shuffle=True)`).
    pub shuffle: bool,
    /// Drop the last batch when it is smaller than `batch_size`. Keras keeps it.
    pub drop_remainder: bool,
    /// Seed of the shuffle order and of the augmentations' randomness.
    pub seed: u64,
    /// Prepare batches on a background thread while the model trains.
    pub prefetch: bool,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        LoaderConfig { batch_size: 32, shuffle: true, drop_remainder: false, seed: 0, prefetch: true }
    }
}

/// Iterates a [`Dataset`] in batches, one epoch at a time.
///
/// Epoch `e`'s order and augmentations depend only on `(seed, e)`, so training resumed
/// at epoch `e` sees exactly the batches an uninterrupted run would have seen, and the
/// thread count never changes them.
#[derive(Clone)]
pub struct Loader {
    dataset: Arc<Dataset>,
    config: LoaderConfig,
    augment: Option<Arc<dyn Augment>>,
    preprocess: Option<Arc<dyn Augment>>,
}

impl Loader {
    /// A loader over `dataset`. Errors when `batch_size` is 0.
    pub fn new(dataset: Dataset, config: LoaderConfig) -> Result<Loader> {
        if config.batch_size == 0 {
            return Err(data_error("Loader", "batch_size must be at least 1, got 0"));
        }
        Ok(Loader { dataset: Arc::new(dataset), config, augment: None, preprocess: None })
    }

    /// Applies `augment` to every feature batch of a training epoch (never at inference).
    pub fn with_augment(mut self, augment: impl Augment + 'static) -> Loader {
        self.augment = Some(Arc::new(augment));
        self
    }

    /// Applies `preprocess` (e.g. [`Normalize`](super::Normalize)) to every feature
    /// batch, in training and at inference, after any augmentation.
    pub fn with_preprocess(mut self, preprocess: impl Augment + 'static) -> Loader {
        self.preprocess = Some(Arc::new(preprocess));
        self
    }

    /// The dataset being iterated.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The options in use.
    pub fn config(&self) -> &LoaderConfig {
        &self.config
    }

    /// Batches per epoch: `ceil(N / batch_size)`, or `floor` with `drop_remainder`.
    pub fn num_batches(&self) -> usize {
        let (n, b) = (self.dataset.len(), self.config.batch_size);
        if self.config.drop_remainder {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// The sample order of epoch `epoch` (`0..N` when not shuffling).
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let n = self.dataset.len();
        if self.config.shuffle {
            epoch_rng(self.config.seed, epoch).permutation(n)
        } else {
            (0..n).collect()
        }
    }

    /// The batches of epoch `epoch`. With `training`, the order is shuffled (if
    /// configured) and augmentations are applied; without it the order is `0..N` and
    /// features are returned as stored, as Keras's `evaluate`/`predict` do.
    ///
    /// # Shapes
    /// Each item is `(x: (B, ...), y: (B, ...))` with `B = batch_size` except a smaller
    /// last batch when `drop_remainder` is false.
    pub fn epoch(&self, epoch: usize, training: bool) -> Result<Batches> {
        let mut rng = epoch_rng(self.config.seed, epoch);
        let order = if training && self.config.shuffle { rng.permutation(self.dataset.len()) } else { Vec::new() };
        let order = if order.is_empty() { (0..self.dataset.len()).collect() } else { order };
        // Augmentation draws come from a stream forked after the permutation, so the
        // order is the same with or without augmentation.
        let aug_rng = rng.fork();
        let work = Work {
            dataset: Arc::clone(&self.dataset),
            augment: if training { self.augment.clone() } else { None },
            preprocess: self.preprocess.clone(),
            order,
            batch_size: self.config.batch_size,
            num_batches: self.num_batches(),
            next: 0,
            rng: aug_rng,
        };
        if !self.config.prefetch {
            return Ok(Batches { inner: Inner::Direct(work) });
        }
        let (tx, rx) = sync_channel(PREFETCH_DEPTH);
        let handle = std::thread::Builder::new()
            .name("fovea-prefetch".into())
            .spawn(move || {
                let mut work = work;
                while let Some(batch) = work.next_batch() {
                    let failed = batch.is_err();
                    // A closed channel means the consumer dropped the iterator: stop.
                    if tx.send(batch).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|e| data_error("Loader", format!("cannot start the prefetch thread: {e}")))?;
        Ok(Batches { inner: Inner::Prefetch { rx: Some(rx), handle: Some(handle) } })
    }
}

/// The random stream of one epoch: a pure function of `(seed, epoch)`.
fn epoch_rng(seed: u64, epoch: usize) -> Rng {
    // splitmix64 finaliser over seed and epoch, so neighbouring epochs get unrelated keys.
    let mut z = seed ^ (epoch as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Rng::new(z ^ (z >> 31))
}

/// The state of one epoch's batch production, run on the caller's or the worker thread.
struct Work {
    dataset: Arc<Dataset>,
    augment: Option<Arc<dyn Augment>>,
    preprocess: Option<Arc<dyn Augment>>,
    order: Vec<usize>,
    batch_size: usize,
    num_batches: usize,
    next: usize,
    rng: Rng,
}

impl Work {
    fn next_batch(&mut self) -> Option<Result<(Tensor, Tensor)>> {
        if self.next >= self.num_batches {
            return None;
        }
        let start = self.next * self.batch_size;
        let end = (start + self.batch_size).min(self.order.len());
        self.next += 1;
        // One fork per batch, taken in batch order, whichever thread runs this.
        let mut rng = self.rng.fork();
        Some(self.make(start, end, &mut rng))
    }

    fn make(&self, start: usize, end: usize, rng: &mut Rng) -> Result<(Tensor, Tensor)> {
        let (x, y) = self.dataset.take(&self.order[start..end])?;
        let x = match &self.augment {
            Some(a) => fovea_core::no_grad(|| a.apply(&x, rng))?,
            None => x,
        };
        let x = match &self.preprocess {
            Some(p) => fovea_core::no_grad(|| p.apply(&x, rng))?,
            None => x,
        };
        Ok((x, y))
    }
}

/// The batches of one epoch; see [`Loader::epoch`]. Dropping it stops and joins the
/// prefetch thread.
pub struct Batches {
    inner: Inner,
}

enum Inner {
    Direct(Work),
    Prefetch { rx: Option<Receiver<Result<(Tensor, Tensor)>>>, handle: Option<JoinHandle<()>> },
}

impl Iterator for Batches {
    type Item = Result<(Tensor, Tensor)>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Direct(work) => work.next_batch(),
            Inner::Prefetch { rx, handle } => {
                if let Some(item) = rx.as_ref().and_then(|r| r.recv().ok()) {
                    return Some(item);
                }
                // The worker finished or died; a panic must not look like a short epoch.
                *rx = None;
                match handle.take().map(|h| h.join()) {
                    Some(Err(_)) => Some(Err(data_error("Loader", "the prefetch thread panicked"))),
                    _ => None,
                }
            }
        }
    }
}

impl Drop for Batches {
    fn drop(&mut self) {
        if let Inner::Prefetch { rx, handle } = &mut self.inner {
            // Closing the channel first unblocks a worker waiting to send.
            rx.take();
            if let Some(h) = handle.take() {
                let _ = h.join();
            }
        }
    }
}
