//! Weight initializers with Keras 3's definitions and defaults.
//!
//! Fans follow Keras's `compute_fans`: a rank-2 kernel `(in, out)` has fans `in` and
//! `out`; a conv kernel `(..., in, out)` multiplies both by its receptive field (the
//! product of the leading spatial dims), so a 3x3x64->128 kernel has fan_in 576.

use fovea_core::{Error, Result, Rng, Tensor};

/// Which fan a [`Initializer::VarianceScaling`] divides by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Number of inputs per output unit.
    FanIn,
    /// Number of outputs per input unit.
    FanOut,
    /// Their mean.
    FanAvg,
}

/// The distribution of a [`Initializer::VarianceScaling`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// Normal truncated at two standard deviations, rescaled so its variance is `scale / n`.
    TruncatedNormal,
    /// Plain normal with variance `scale / n`.
    UntruncatedNormal,
    /// Uniform on `[-limit, limit]` with `limit = sqrt(3 * scale / n)`.
    Uniform,
}

/// How a weight is filled when a layer is built.
#[derive(Clone, Debug, PartialEq)]
pub enum Initializer {
    /// All zeros (Keras's default bias initializer).
    Zeros,
    /// All ones.
    Ones,
    /// Every element `value`.
    Constant {
        /// The fill value.
        value: f32,
    },
    /// Normal; Keras's defaults are mean 0, stddev 0.05.
    RandomNormal {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        stddev: f32,
    },
    /// Uniform on `[minval, maxval)`; Keras's defaults are -0.05 and 0.05.
    RandomUniform {
        /// Lower bound.
        minval: f32,
        /// Upper bound.
        maxval: f32,
    },
    /// Normal truncated at two standard deviations; defaults mean 0, stddev 0.05.
    TruncatedNormal {
        /// Mean.
        mean: f32,
        /// Standard deviation before truncation.
        stddev: f32,
    },
    /// Variance `scale / fan`; the Glorot, He and LeCun families are instances.
    VarianceScaling {
        /// Multiplier of the variance.
        scale: f32,
        /// Which fan divides the variance.
        mode: FanMode,
        /// The shape of the distribution.
        distribution: Distribution,
    },
    /// A (semi-)orthogonal matrix from the QR decomposition of a normal one, times `gain`.
    Orthogonal {
        /// Multiplier.
        gain: f32,
    },
    /// `gain` times the identity matrix (rank-2 shapes only).
    Identity {
        /// Multiplier.
        gain: f32,
    },
}

impl Default for Initializer {
    /// Keras's default kernel initializer, `glorot_uniform`.
    fn default() -> Self {
        Self::glorot_uniform()
    }
}

impl Initializer {
    /// Variance 1/fan_avg, uniform (Keras's default for kernels).
    pub fn glorot_uniform() -> Self {
        Self::VarianceScaling { scale: 1.0, mode: FanMode::FanAvg, distribution: Distribution::Uniform }
    }
    /// Variance 1/fan_avg, truncated normal.
    pub fn glorot_normal() -> Self {
        Self::VarianceScaling { scale: 1.0, mode: FanMode::FanAvg, distribution: Distribution::TruncatedNormal }
    }
    /// Variance 2/fan_in, uniform.
    pub fn he_uniform() -> Self {
        Self::VarianceScaling { scale: 2.0, mode: FanMode::FanIn, distribution: Distribution::Uniform }
    }
    /// Variance 2/fan_in, truncated normal.
    pub fn he_normal() -> Self {
        Self::VarianceScaling { scale: 2.0, mode: FanMode::FanIn, distribution: Distribution::TruncatedNormal }
    }
    /// Variance 1/fan_in, uniform.
    pub fn lecun_uniform() -> Self {
        Self::VarianceScaling { scale: 1.0, mode: FanMode::FanIn, distribution: Distribution::Uniform }
    }
    /// Variance 1/fan_in, truncated normal.
    pub fn lecun_normal() -> Self {
        Self::VarianceScaling { scale: 1.0, mode: FanMode::FanIn, distribution: Distribution::TruncatedNormal }
    }
    /// Keras's `RandomNormal()` defaults.
    pub fn random_normal() -> Self {
        Self::RandomNormal { mean: 0.0, stddev: 0.05 }
    }
    /// Keras's `RandomUniform()` defaults.
    pub fn random_uniform() -> Self {
        Self::RandomUniform { minval: -0.05, maxval: 0.05 }
    }
    /// Keras's `TruncatedNormal()` defaults.
    pub fn truncated_normal() -> Self {
        Self::TruncatedNormal { mean: 0.0, stddev: 0.05 }
    }

    /// A new tensor of `shape` drawn from this initializer.
    /// Its size is charged to the [`weight_budget`](crate::weight_budget) first, so a
    /// file declaring absurd layer sizes is an error before anything is allocated.
    pub fn init(&self, shape: &[usize], rng: &mut Rng) -> Result<Tensor> {
        crate::weight_budget::charge("initializer", shape)?;
        match *self {
            Self::Zeros => Tensor::zeros(shape),
            Self::Ones => Tensor::ones(shape),
            Self::Constant { value } => Tensor::full(shape, value),
            Self::RandomNormal { mean, stddev } => rng.normal(shape, mean, stddev),
            Self::RandomUniform { minval, maxval } => rng.uniform(shape, minval, maxval),
            Self::TruncatedNormal { mean, stddev } => rng.truncated_normal(shape, mean, stddev),
            Self::VarianceScaling { scale, mode, distribution } => {
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(Error::Argument {
                        op: "VarianceScaling",
                        msg: format!("scale must be positive, got {scale}"),
                    });
                }
                let (fan_in, fan_out) = compute_fans(shape);
                let n = match mode {
                    FanMode::FanIn => fan_in,
                    FanMode::FanOut => fan_out,
                    FanMode::FanAvg => (fan_in + fan_out) / 2.0,
                };
                let var = scale as f64 / n.max(1.0);
                match distribution {
                    // 0.8796... is the std of a unit normal truncated at +-2.
                    Distribution::TruncatedNormal => {
                        rng.truncated_normal(shape, 0.0, (var.sqrt() / 0.879_625_661_034_239_8) as f32)
                    }
                    Distribution::UntruncatedNormal => rng.normal(shape, 0.0, var.sqrt() as f32),
                    Distribution::Uniform => {
                        let limit = (3.0 * var).sqrt() as f32;
                        rng.uniform(shape, -limit, limit)
                    }
                }
            }
            Self::Orthogonal { gain } => orthogonal(shape, gain, rng),
            Self::Identity { gain } => {
                let [rows, cols] = shape else {
                    return Err(Error::Argument {
                        op: "Identity",
                        msg: format!("the identity initializer needs a 2-D shape, got {shape:?}"),
                    });
                };
                let mut v = vec![0.0; rows * cols];
                for i in 0..(*rows).min(*cols) {
                    v[i * cols + i] = gain;
                }
                Tensor::from_vec(v, shape)
            }
        }
    }
}

/// Keras's `compute_fans`: (fan_in, fan_out) of a weight shape.
pub fn compute_fans(shape: &[usize]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        r => {
            let receptive: usize = shape[..r - 2].iter().product();
            ((shape[r - 2] * receptive) as f64, (shape[r - 1] * receptive) as f64)
        }
    }
}

/// Keras's Orthogonal: QR of a normal `(max(rows, cols), min(rows, cols))` matrix with
/// `rows = prod(shape[..-1])`, `cols = shape[-1]`; Q's columns are sign-corrected by
/// R's diagonal so the result is uniformly distributed, then transposed if wide.
fn orthogonal(shape: &[usize], gain: f32, rng: &mut Rng) -> Result<Tensor> {
    if shape.len() < 2 {
        return Err(Error::Argument {
            op: "Orthogonal",
            msg: format!("the orthogonal initializer needs at least 2 dimensions, got {shape:?}"),
        });
    }
    let cols = shape[shape.len() - 1];
    let rows: usize = shape[..shape.len() - 1].iter().product();
    let (m, n) = (rows.max(cols), rows.min(cols));
    let a: Vec<f64> = rng.normal([m, n], 0.0, 1.0)?.to_vec_f32()?.into_iter().map(f64::from).collect();
    let q = thin_q(&a, m, n);
    let mut out = vec![0.0f32; rows * cols];
    for i in 0..m {
        for j in 0..n {
            let v = (q[i * n + j] * gain as f64) as f32;
            // (m, n) is (rows, cols) unless the matrix is wide, then it is transposed.
            if rows >= cols {
                out[i * cols + j] = v;
            } else {
                out[j * cols + i] = v;
            }
        }
    }
    Tensor::from_vec(out, shape)
}

/// Q of the thin QR decomposition of the row-major `m x n` matrix `a` (m >= n), by
/// Householder reflections in f64, with columns signed so that diag(R) >= 0.
fn thin_q(a: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut r = a.to_vec();
    let mut vs: Vec<Vec<f64>> = Vec::with_capacity(n);
    for k in 0..n {
        let norm = (k..m).map(|i| r[i * n + k].powi(2)).sum::<f64>().sqrt();
        let mut v: Vec<f64> = (k..m).map(|i| r[i * n + k]).collect();
        let alpha = if v[0] >= 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vnorm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if vnorm > 0.0 {
            v.iter_mut().for_each(|x| *x /= vnorm);
            for j in 0..n {
                let dot: f64 = (k..m).map(|i| v[i - k] * r[i * n + j]).sum();
                for i in k..m {
                    r[i * n + j] -= 2.0 * v[i - k] * dot;
                }
            }
        }
        vs.push(v);
    }
    // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
    let mut q = vec![0.0; m * n];
    for j in 0..n {
        q[j * n + j] = 1.0;
    }
    for k in (0..n).rev() {
        let v = &vs[k];
        for j in 0..n {
            let dot: f64 = (k..m).map(|i| v[i - k] * q[i * n + j]).sum();
            for i in k..m {
                q[i * n + j] -= 2.0 * v[i - k] * dot;
            }
        }
    }
    // Make diag(R) non-negative, as Keras does with q * sign(diag(r)).
    for j in 0..n {
        if r[j * n + j] < 0.0 {
            for i in 0..m {
                q[i * n + j] = -q[i * n + j];
            }
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(t: &Tensor) -> (f64, f64) {
        let v = t.to_vec_f32().unwrap();
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn conv_kernel_fans_include_the_receptive_field() {
        assert_eq!(compute_fans(&[3, 3, 64, 128]), (576.0, 1152.0));
        assert_eq!(compute_fans(&[9216, 4096]), (9216.0, 4096.0));
        assert_eq!(compute_fans(&[7]), (7.0, 7.0));
    }

    #[test]
    fn glorot_uniform_has_keras_limit_and_variance() {
        let mut rng = Rng::new(0);
        let shape = [5, 5, 32, 64];
        let t = Initializer::glorot_uniform().init(&shape, &mut rng).unwrap();
        let (fi, fo) = compute_fans(&shape);
        let limit = (6.0 / (fi + fo)).sqrt() as f32;
        assert!(t.to_vec_f32().unwrap().iter().all(|&x| x.abs() <= limit));
        let (_, var) = stats(&t);
        assert!((var / (2.0 / (fi + fo)) - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn he_normal_variance_is_two_over_fan_in_after_truncation() {
        let mut rng = Rng::new(1);
        let t = Initializer::he_normal().init(&[3, 3, 16, 256], &mut rng).unwrap();
        let (mean, var) = stats(&t);
        assert!(mean.abs() < 0.01);
        assert!((var / (2.0 / 144.0) - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn orthogonal_columns_are_orthonormal_tall_and_wide() {
        for shape in [[6usize, 4], [4, 6]] {
            let mut rng = Rng::new(2);
            let t = Initializer::Orthogonal { gain: 2.0 }.init(&shape, &mut rng).unwrap().to_vec_f32().unwrap();
            let (r, c) = (shape[0], shape[1]);
            // The smaller Gram matrix is 4 * I.
            let small = r.min(c);
            for a in 0..small {
                for b in 0..small {
                    let dot: f32 = if r >= c {
                        (0..r).map(|i| t[i * c + a] * t[i * c + b]).sum()
                    } else {
                        (0..c).map(|j| t[a * c + j] * t[b * c + j]).sum()
                    };
                    let want = if a == b { 4.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-4, "{shape:?} {a} {b} {dot}");
                }
            }
        }
    }

    #[test]
    fn identity_and_constants() {
        let mut rng = Rng::new(3);
        let t = Initializer::Identity { gain: 3.0 }.init(&[2, 3], &mut rng).unwrap();
        assert_eq!(t.to_vec_f32().unwrap(), vec![3.0, 0.0, 0.0, 0.0, 3.0, 0.0]);
        assert!(Initializer::Identity { gain: 1.0 }.init(&[2, 2, 2], &mut rng).is_err());
        let c = Initializer::Constant { value: 0.5 }.init(&[2], &mut rng).unwrap();
        assert_eq!(c.to_vec_f32().unwrap(), vec![0.5, 0.5]);
    }
}
