//! AlexNet's "fancy PCA" colour augmentation (Krizhevsky et al. 2012, section 4.1).

use fovea_core::{Rng, Tensor};

use super::augment::{Augment, Images};
use super::data_error;
use crate::Result;

/// Adds `eigenvectors @ (alpha * eigenvalues)` to every RGB pixel of an image, with a
/// fresh `alpha ~ N(0, std)` (3 values) per image, as AlexNet does to vary lighting.
///
/// The eigen-decomposition is of the 3x3 covariance of RGB pixel values over the
/// training set; [`PcaColor::fit`] computes it.
///
/// # Shapes
/// `(N, H, W, 3)` -> `(N, H, W, 3)`.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaColor {
    /// Standard deviation of `alpha` (AlexNet: 0.1).
    pub std: f32,
    /// The covariance's eigenvalues, largest first.
    pub eigenvalues: [f32; 3],
    /// Eigenvectors as columns: `eigenvectors[c][k]` is channel `c` of vector `k`.
    pub eigenvectors: [[f32; 3]; 3],
}

impl PcaColor {
    /// Fits the eigen-decomposition of the RGB covariance of `images` (f64 accumulation,
    /// Jacobi rotations), with `std` 0.1. Errors unless `images` is NHWC with 3
    /// channels and at least two pixels.
    pub fn fit(images: &Tensor) -> Result<PcaColor> {
        let x = Images::read(images, "PcaColor::fit")?;
        let pixels = x.n * x.h * x.w;
        if x.c != 3 || pixels < 2 {
            return Err(data_error(
                "PcaColor::fit",
                format!("need RGB images with at least 2 pixels, got shape {}", images.shape()),
            ));
        }
        let mut mean = [0f64; 3];
        for px in x.data.chunks(3) {
            for c in 0..3 {
                mean[c] += px[c] as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= pixels as f64);
        let mut cov = [[0f64; 3]; 3];
        for px in x.data.chunks(3) {
            let d = [px[0] as f64 - mean[0], px[1] as f64 - mean[1], px[2] as f64 - mean[2]];
            for i in 0..3 {
                for j in 0..3 {
                    cov[i][j] += d[i] * d[j];
                }
            }
        }
        cov.iter_mut().flatten().for_each(|v| *v /= (pixels - 1) as f64);
        let (vals, vecs) = jacobi_eigen3(cov);
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| vals[b].total_cmp(&vals[a]));
        let mut eigenvalues = [0f32; 3];
        let mut eigenvectors = [[0f32; 3]; 3];
        for (k, &src) in order.iter().enumerate() {
            eigenvalues[k] = vals[src] as f32;
            for c in 0..3 {
                eigenvectors[c][k] = vecs[c][src] as f32;
            }
        }
        Ok(PcaColor { std: 0.1, eigenvalues, eigenvectors })
    }

    /// The RGB shift for one draw of `alpha`.
    pub fn shift(&self, alpha: [f32; 3]) -> [f32; 3] {
        let mut out = [0f32; 3];
        for (c, o) in out.iter_mut().enumerate() {
            *o = (0..3).map(|k| self.eigenvectors[c][k] * alpha[k] * self.eigenvalues[k]).sum();
        }
        out
    }
}

impl Augment for PcaColor {
    fn apply(&self, batch: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let mut x = Images::read(batch, "PcaColor")?;
        if x.c != 3 {
            return Err(data_error("PcaColor", format!("needs 3 (RGB) channels, got input shape {}", batch.shape())));
        }
        let alphas = rng.normal([x.n, 3], 0.0, self.std)?.to_vec_f32()?;
        let per = x.h * x.w * 3;
        if per == 0 {
            return x.into_tensor();
        }
        for (img, a) in x.data.chunks_mut(per).zip(alphas.chunks(3)) {
            let s = self.shift([a[0], a[1], a[2]]);
            for px in img.chunks_mut(3) {
                for c in 0..3 {
                    px[c] += s[c];
                }
            }
        }
        x.into_tensor()
    }
}

/// Eigenvalues and eigenvectors (columns of the second result) of a symmetric 3x3
/// matrix by cyclic Jacobi rotations: exact to f64 rounding for this size, with no
/// dependency on a linear-algebra crate.
fn jacobi_eigen3(mut a: [[f64; 3]; 3]) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _sweep in 0..50 {
        let off = a[0][1].powi(2) + a[0][2].powi(2) + a[1][2].powi(2);
        let scale = a[0][0].powi(2) + a[1][1].powi(2) + a[2][2].powi(2);
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q] == 0.0 {
                continue;
            }
            // Rotation angle that zeroes a[p][q] (Numerical Recipes' stable form).
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A <- J^T A J: columns p, q, then rows p, q.
            for row in a.iter_mut() {
                let (akp, akq) = (row[p], row[q]);
                row[p] = c * akp - s * akq;
                row[q] = s * akp + c * akq;
            }
            let (rp, rq) = (a[p], a[q]);
            a[p] = std::array::from_fn(|k| c * rp[k] - s * rq[k]);
            a[q] = std::array::from_fn(|k| s * rp[k] + c * rq[k]);
            for row in v.iter_mut() {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    ([a[0][0], a[1][1], a[2][2]], v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_reconstructs_the_matrix() {
        let m = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]];
        let (l, v) = jacobi_eigen3(m);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| v[i][k] * l[k] * v[j][k]).sum();
                assert!((r - m[i][j]).abs() < 1e-12, "({i},{j}): {r} vs {}", m[i][j]);
                let dot: f64 = (0..3).map(|k| v[k][i] * v[k][j]).sum();
                assert!((dot - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fit_finds_the_dominant_colour_axis() {
        // Pixels vary along (1, 1, 0)/sqrt2 with variance 2 and along blue with 0.5.
        let mut rng = Rng::new(1);
        let a = rng.normal([4000], 0.0, 2f32.sqrt()).unwrap().to_vec_f32().unwrap();
        let b = rng.normal([4000], 0.0, 0.5f32.sqrt()).unwrap().to_vec_f32().unwrap();
        let mut data = Vec::new();
        for i in 0..4000 {
            let u = a[i] / 2f32.sqrt();
            data.extend_from_slice(&[u + 0.3, u + 0.3, b[i] + 0.3]);
        }
        let x = Tensor::from_vec(data, [40, 10, 10, 3]).unwrap();
        let p = PcaColor::fit(&x).unwrap();
        assert!((p.eigenvalues[0] - 2.0).abs() < 0.15, "{:?}", p.eigenvalues);
        assert!((p.eigenvalues[1] - 0.5).abs() < 0.05, "{:?}", p.eigenvalues);
        assert!(p.eigenvalues[2].abs() < 1e-4, "{:?}", p.eigenvalues);
        let v0 = [p.eigenvectors[0][0], p.eigenvectors[1][0], p.eigenvectors[2][0]];
        assert!((v0[0].abs() - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.01 && (v0[1] - v0[0]).abs() < 1e-3, "{v0:?}");
        assert_eq!(p.std, 0.1);
    }

    #[test]
    fn fit_rejects_grey_images() {
        let err = PcaColor::fit(&Tensor::zeros([2, 2, 2, 1]).unwrap()).err().unwrap().to_string();
        assert!(err.contains("need RGB images"), "{err}");
    }
}
