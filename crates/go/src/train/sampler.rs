//! The trainer's data stream: positions drawn across all games at once, a random
//! symmetry each, encoded on worker threads ahead of the trainer.
//!
//! Sample `i` of a run is a pure function of `(seed, i)`: epoch `i / N` visits the N
//! training positions in the order of a seeded permutation (a Feistel network over
//! `0..N`, so no N-sized table is kept per epoch), and its symmetry comes from a hash
//! of `(seed, i)`. A run resumed at step `s` therefore sees exactly the samples an
//! uninterrupted run would have seen from `s` on.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::positions::{PositionSet, SIZE};
use crate::features::{Encoder, Symmetry, PLANES};

/// splitmix64's finaliser: a well-mixed hash of one word.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded permutation of `0..n` without a table: a 4-round Feistel network on the
/// smallest even bit width covering `n`, walked until the value falls inside `0..n`.
#[derive(Clone, Copy, Debug)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    pub fn new(n: usize, seed: u64) -> Permutation {
        let bits = (64 - (n.max(2) as u64 - 1).leading_zeros()).max(2);
        let half_bits = bits.div_ceil(2);
        let keys = [mix(seed), mix(seed ^ 1), mix(seed ^ 2), mix(seed ^ 3)];
        Permutation { n: n as u64, half_bits, keys }
    }

    fn round(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut l, mut r) = (x >> self.half_bits, x & mask);
        for k in self.keys {
            let f = mix(r ^ k) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half_bits) | r
    }

    /// The image of `i` (< n).
    pub fn get(&self, i: usize) -> usize {
        let mut x = self.round(i as u64);
        while x >= self.n {
            x = self.round(x);
        }
        x as usize
    }
}

/// One batch: planes `(batch, 19, 19, 48)` as a flat HWC vector and the move labels.
pub struct Batch {
    pub index: u64,
    pub planes: Vec<f32>,
    pub labels: Vec<i64>,
}

/// Encodes sample `i` into `out` (19*19*48 values) and returns its label.
fn encode_sample(
    set: &PositionSet,
    seed: u64,
    i: u64,
    encoder: &mut Encoder,
    scratch: &mut [f32],
    out: &mut [f32],
) -> i64 {
    let n = set.train_positions.len() as u64;
    let (epoch, at) = (i / n, i % n);
    let perm = Permutation::new(n as usize, mix(seed ^ mix(epoch)));
    let (g, m) = set.train_positions[perm.get(at as usize)];
    let sym = Symmetry::ALL[(mix(seed ^ 0xA5A5 ^ mix(i)) % 8) as usize];
    let (board, point) = set.train[g as usize].position(m as usize).expect("training positions are stones");
    encoder.encode(&board, scratch);
    sym.transform_planes(SIZE, PLANES, scratch, out);
    let v = sym.apply(SIZE, crate::Vertex::new(point % SIZE, point / SIZE));
    (v.y as usize * SIZE + v.x as usize) as i64
}

/// Batches `start..` produced by `workers` threads, batch `b` by worker
/// `(b - start) % workers`, received in order.
pub struct Sampler {
    receivers: Vec<Receiver<Batch>>,
    handles: Vec<JoinHandle<()>>,
    start: u64,
    next: u64,
}

impl Sampler {
    pub fn start(set: Arc<PositionSet>, seed: u64, batch: usize, start: u64, workers: usize) -> Sampler {
        let workers = workers.max(1);
        let mut receivers = Vec::new();
        let mut handles = Vec::new();
        for w in 0..workers as u64 {
            let (tx, rx) = sync_channel::<Batch>(2);
            receivers.push(rx);
            let set = Arc::clone(&set);
            handles.push(std::thread::spawn(move || {
                let per = SIZE * SIZE * PLANES;
                let mut encoder = Encoder::new();
                let mut scratch = vec![0f32; per];
                let mut b = start + w;
                loop {
                    let mut planes = vec![0f32; batch * per];
                    let mut labels = Vec::with_capacity(batch);
                    for (j, out) in planes.chunks_exact_mut(per).enumerate() {
                        let i = b * batch as u64 + j as u64;
                        labels.push(encode_sample(&set, seed, i, &mut encoder, &mut scratch, out));
                    }
                    if tx.send(Batch { index: b, planes, labels }).is_err() {
                        return;
                    }
                    b += workers as u64;
                }
            }));
        }
        Sampler { receivers, handles, start, next: start }
    }

    /// The next batch in order (blocks while the workers are behind).
    pub fn next_batch(&mut self) -> Option<Batch> {
        let w = ((self.next - self.start) % self.receivers.len() as u64) as usize;
        let batch = self.receivers[w].recv().ok()?;
        self.next += 1;
        Some(batch)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        // Closing the channels ends the workers at their next send.
        self.receivers.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feistel_permutation_is_a_bijection_and_depends_on_the_seed() {
        for n in [1usize, 2, 7, 100, 1000, 4097] {
            let p = Permutation::new(n, 9);
            let mut seen: Vec<usize> = (0..n).map(|i| p.get(i)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n = {n}");
        }
        let (a, b) = (Permutation::new(1000, 1), Permutation::new(1000, 2));
        assert!((0..1000).any(|i| a.get(i) != b.get(i)));
    }
}
