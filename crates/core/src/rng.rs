//! A seeded, counter-based random generator.
//!
//! Element `i` of a draw is a pure function of (seed, draw number, i), so results are
//! the same whatever the thread count or chunking: the property Keras's seeded
//! generators have and that reproducible training needs.

use rayon::prelude::*;

use crate::storage::try_alloc;
use crate::{threads, Error, Result, Shape, Tensor};

/// A seeded random generator. Each call advances it by one draw.
#[derive(Clone, Debug)]
pub struct Rng {
    seed: u64,
    draws: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `i`-th 64 random bits of the stream `key` (splitmix64 at position `i`).
fn bits(key: u64, i: u64) -> u64 {
    mix(key.wrapping_add(i.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// A uniform f32 in [0, 1) from 24 random bits.
fn unit(b: u64) -> f32 {
    (b >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
}

/// A standard normal from the stream `key` at position `i` (Box-Muller on two draws).
fn standard_normal(key: u64, i: u64) -> f32 {
    // 1 - u keeps the logarithm's argument in (0, 1].
    let u1 = 1.0 - ((bits(key, 2 * i) >> 11) as f64 * (1.0 / (1u64 << 53) as f64));
    let u2 = (bits(key, 2 * i + 1) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { seed, draws: 0 }
    }

    /// The seed this generator started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A fresh stream key; advances the generator.
    fn next_key(&mut self) -> u64 {
        self.draws += 1;
        mix(self.seed ^ mix(self.draws.wrapping_mul(GOLDEN)))
    }

    /// A new generator split off this one (for a layer or a data pipeline).
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_key())
    }

    /// Random 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        bits(self.next_key(), 0)
    }

    fn fill(&mut self, op: &'static str, shape: Shape, f: impl Fn(u64, u64) -> f32 + Sync) -> Result<Tensor> {
        let key = self.next_key();
        let mut data = try_alloc(op, &shape, 0.0f32)?;
        const CHUNK: usize = 1 << 14;
        threads::run(|| {
            data.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
                for (k, v) in chunk.iter_mut().enumerate() {
                    *v = f(key, (c * CHUNK + k) as u64);
                }
            })
        });
        Tensor::from_vec(data, shape)
    }

    /// Uniform in `[low, high)`.
    pub fn uniform(&mut self, shape: impl Into<Shape>, low: f32, high: f32) -> Result<Tensor> {
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return Err(Error::arg("uniform", format!("need finite low <= high, got low={low}, high={high}")));
        }
        self.fill("uniform", shape.into(), move |k, i| low + (high - low) * unit(bits(k, i)))
    }

    /// Normal with the given mean and standard deviation.
    pub fn normal(&mut self, shape: impl Into<Shape>, mean: f32, std: f32) -> Result<Tensor> {
        if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
            return Err(Error::arg("normal", format!("need finite mean and std >= 0, got mean={mean}, std={std}")));
        }
        self.fill("normal", shape.into(), move |k, i| mean + std * standard_normal(k, i))
    }

    /// Normal with values further than two standard deviations from the mean redrawn,
    /// as Keras's `TruncatedNormal`.
    pub fn truncated_normal(&mut self, shape: impl Into<Shape>, mean: f32, std: f32) -> Result<Tensor> {
        if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
            return Err(Error::arg(
                "truncated_normal",
                format!("need finite mean and std >= 0, got mean={mean}, std={std}"),
            ));
        }
        self.fill("truncated_normal", shape.into(), move |k, i| {
            // Each element owns an independent sub-stream; ~95% accept on the first try.
            let sub = mix(k ^ i.wrapping_mul(GOLDEN));
            let mut attempt = 0;
            loop {
                let z = standard_normal(sub, attempt);
                if z.abs() <= 2.0 {
                    return mean + std * z;
                }
                attempt += 1;
            }
        })
    }

    /// 1.0 with probability `p`, else 0.0 (dropout masks).
    pub fn bernoulli(&mut self, shape: impl Into<Shape>, p: f32) -> Result<Tensor> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::arg("bernoulli", format!("probability must be in [0, 1], got {p}")));
        }
        self.fill("bernoulli", shape.into(), move |k, i| if unit(bits(k, i)) < p { 1.0 } else { 0.0 })
    }

    /// A uniformly random permutation of `0..n` (Fisher-Yates), for shuffling.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let key = self.next_key();
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (bits(key, i as u64) % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_regardless_of_threads() {
        let a = Rng::new(7).normal([1000], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let b = pool.install(|| Rng::new(7).normal([1000], 0.0, 1.0).unwrap().to_vec_f32().unwrap());
        assert_eq!(a, b);
        let c = Rng::new(8).normal([1000], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn normal_has_the_requested_moments() {
        let v = Rng::new(1).normal([100_000], 2.0, 3.0).unwrap().to_vec_f32().unwrap();
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!((mean - 2.0).abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - 3.0).abs() < 0.05, "std {}", var.sqrt());
    }

    #[test]
    fn truncated_normal_stays_within_two_std() {
        let v = Rng::new(3).truncated_normal([20_000], 1.0, 0.5).unwrap().to_vec_f32().unwrap();
        assert!(v.iter().all(|&x| (x - 1.0).abs() <= 1.0 + 1e-6));
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        assert!((mean - 1.0).abs() < 0.02);
    }

    #[test]
    fn uniform_and_bernoulli_respect_their_ranges() {
        let u = Rng::new(4).uniform([10_000], -2.0, 3.0).unwrap().to_vec_f32().unwrap();
        assert!(u.iter().all(|&x| (-2.0..3.0).contains(&x)));
        let m = Rng::new(5).bernoulli([10_000], 0.3).unwrap().to_vec_f32().unwrap();
        let frac = m.iter().sum::<f32>() / m.len() as f32;
        assert!((frac - 0.3).abs() < 0.02, "{frac}");
        assert!(Rng::new(5).bernoulli([3], 1.5).is_err());
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(9).permutation(100);
        assert_ne!(p, (0..100).collect::<Vec<_>>());
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<_>>());
    }
}
