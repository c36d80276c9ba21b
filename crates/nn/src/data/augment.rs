//! Image augmentations on NHWC f32 batches. Each draws its randomness from the `Rng`
//! the loader hands it for that batch, so a seed fixes every crop and flip.
//!
//! Shifts and crops are whole pixels (no interpolation): the classic CIFAR and AlexNet
//! recipes crop at integer offsets, and integer shifts keep the effect exactly testable.

use fovea_core::{DType, Rng, Tensor};

use super::data_error;
use crate::Result;

/// A transformation of a feature batch.
///
/// # Shapes
/// `batch`: `(N, H, W, C)` f32 for the image augmentations here; the output may change
/// `H` and `W` (crops) but never `N`.
pub trait Augment: Send + Sync {
    /// Transforms `batch`, drawing any randomness from `rng`.
    fn apply(&self, batch: &Tensor, rng: &mut Rng) -> Result<Tensor>;
}

/// Several augmentations applied in order.
#[derive(Default)]
pub struct Pipeline {
    steps: Vec<Box<dyn Augment>>,
}

impl Pipeline {
    /// An empty pipeline (the identity).
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    /// Appends `step`.
    pub fn then(mut self, step: impl Augment + 'static) -> Pipeline {
        self.steps.push(Box::new(step));
        self
    }
}

impl Augment for Pipeline {
    fn apply(&self, batch: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let mut x = batch.clone();
        for step in &self.steps {
            x = step.apply(&x, rng)?;
        }
        Ok(x)
    }
}

/// An NHWC f32 batch read into memory.
pub(crate) struct Images {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Images {
    pub(crate) fn read(batch: &Tensor, who: &str) -> Result<Images> {
        if batch.rank() != 4 || batch.dtype() != DType::F32 {
            return Err(data_error(
                who,
                format!(
                    "expected an NHWC f32 batch of rank 4, got shape {} of dtype {:?}",
                    batch.shape(),
                    batch.dtype()
                ),
            ));
        }
        let d = batch.dims();
        Ok(Images { n: d[0], h: d[1], w: d[2], c: d[3], data: batch.to_vec_f32()? })
    }

    pub(crate) fn into_tensor(self) -> Result<Tensor> {
        Ok(Tensor::from_vec(self.data, [self.n, self.h, self.w, self.c])?)
    }
}

/// A uniform integer in `0..=max`.
fn below_incl(rng: &mut Rng, max: usize) -> usize {
    (rng.next_u64() % (max as u64 + 1)) as usize
}

/// Zero-pads each image by `padding` pixels on every side, then crops a random
/// `height x width` window, independently per image. With `padding: 4` and 32x32 this
/// is the CIFAR recipe; with `padding: 0` it crops AlexNet's 227x227 from 256x256.
///
/// # Shapes
/// `(N, H, W, C)` -> `(N, height, width, C)`; needs `height <= H + 2 padding` and the
/// same for width.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomCrop {
    /// Output height.
    pub height: usize,
    /// Output width.
    pub width: usize,
    /// Zero padding added on each side before cropping.
    pub padding: usize,
}

impl RandomCrop {
    /// Crops image `i` of `x` at `(top, left)` of its padded version.
    fn crop_at(&self, x: &Images, i: usize, top: usize, left: usize, out: &mut [f32]) {
        let (p, c) = (self.padding, x.c);
        for oy in 0..self.height {
            for ox in 0..self.width {
                // Position in the unpadded image; outside it the padding is zero.
                let (sy, sx) = ((top + oy).wrapping_sub(p), (left + ox).wrapping_sub(p));
                let dst = ((oy * self.width) + ox) * c;
                if sy < x.h && sx < x.w {
                    let src = ((i * x.h + sy) * x.w + sx) * c;
                    out[dst..dst + c].copy_from_slice(&x.data[src..src + c]);
                }
            }
        }
    }

    /// The crop with explicit per-image offsets `(top, left)` into the padded images;
    /// [`Augment::apply`] draws them uniformly.
    pub fn apply_at(&self, batch: &Tensor, offsets: &[(usize, usize)]) -> Result<Tensor> {
        let x = Images::read(batch, "RandomCrop")?;
        let (ph, pw) = (x.h + 2 * self.padding, x.w + 2 * self.padding);
        if self.height == 0 || self.width == 0 || self.height > ph || self.width > pw {
            return Err(data_error(
                "RandomCrop",
                format!(
                    "cannot crop {}x{} from images of {}x{} padded by {} (input shape {})",
                    self.height,
                    self.width,
                    x.h,
                    x.w,
                    self.padding,
                    batch.shape()
                ),
            ));
        }
        if offsets.len() != x.n || offsets.iter().any(|&(t, l)| t + self.height > ph || l + self.width > pw) {
            return Err(data_error("RandomCrop", format!("bad offsets {offsets:?} for input shape {}", batch.shape())));
        }
        let per = self.height * self.width * x.c;
        let mut out = vec![0.0f32; x.n * per];
        for (i, &(top, left)) in offsets.iter().enumerate() {
            self.crop_at(&x, i, top, left, &mut out[i * per..(i + 1) * per]);
        }
        Ok(Tensor::from_vec(out, [x.n, self.height, self.width, x.c])?)
    }
}

impl Augment for RandomCrop {
    fn apply(&self, batch: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let d = batch.dims();
        let (n, ph, pw) = match d {
            [n, h, w, _] => (*n, h + 2 * self.padding, w + 2 * self.padding),
            _ => return self.apply_at(batch, &[]),
        };
        let (max_top, max_left) = (ph.saturating_sub(self.height), pw.saturating_sub(self.width));
        let offsets: Vec<(usize, usize)> =
            (0..n).map(|_| (below_incl(rng, max_top), below_incl(rng, max_left))).collect();
        self.apply_at(batch, &offsets)
    }
}

/// Mirrors each image left-right with probability 1/2.
///
/// # Shapes
/// `(N, H, W, C)` -> `(N, H, W, C)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomFlip;

impl RandomFlip {
    /// Mirrors the images where `flip[i]` is true; [`Augment::apply`] draws the flags.
    pub fn apply_mask(&self, batch: &Tensor, flip: &[bool]) -> Result<Tensor> {
        let mut x = Images::read(batch, "RandomFlip")?;
        if flip.len() != x.n {
            return Err(data_error(
                "RandomFlip",
                format!("got {} flags for input shape {}", flip.len(), batch.shape()),
            ));
        }
        let (w, c) = (x.w, x.c);
        for (i, _) in flip.iter().enumerate().filter(|(_, &f)| f) {
            for row in x.data[i * x.h * w * c..(i + 1) * x.h * w * c].chunks_mut(w * c) {
                for j in 0..w / 2 {
                    for k in 0..c {
                        row.swap(j * c + k, (w - 1 - j) * c + k);
                    }
                }
            }
        }
        x.into_tensor()
    }
}

impl Augment for RandomFlip {
    fn apply(&self, batch: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let n = batch.dims().first().copied().unwrap_or(0);
        let flip: Vec<bool> = (0..n).map(|_| rng.next_u64() >> 63 == 1).collect();
        self.apply_mask(batch, &flip)
    }
}

/// Shifts each image by a random whole number of pixels, filling with zeros. The shift
/// is uniform in `[-round(height_factor * H), round(height_factor * H)]` rows (likewise
/// for columns); positive shifts move the content down / right.
///
/// # Shapes
/// `(N, H, W, C)` -> `(N, H, W, C)`.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomTranslation {
    /// Largest vertical shift as a fraction of the height, in `[0, 1]`.
    pub height_factor: f32,
    /// Largest horizontal shift as a fraction of the width, in `[0, 1]`.
    pub width_factor: f32,
}

impl RandomTranslation {
    /// Shifts image `i` by `shifts[i] = (dy, dx)` pixels; [`Augment::apply`] draws them.
    pub fn apply_shifts(&self, batch: &Tensor, shifts: &[(isize, isize)]) -> Result<Tensor> {
        let x = Images::read(batch, "RandomTranslation")?;
        if shifts.len() != x.n {
            return Err(data_error(
                "RandomTranslation",
                format!("got {} shifts for input shape {}", shifts.len(), batch.shape()),
            ));
        }
        let (h, w, c) = (x.h as isize, x.w as isize, x.c);
        let mut out = vec![0.0f32; x.data.len()];
        for (i, &(dy, dx)) in shifts.iter().enumerate() {
            let base = i * x.h * x.w * c;
            for y in 0..h {
                let sy = y - dy;
                if !(0..h).contains(&sy) {
                    continue;
                }
                for xx in 0..w {
                    let sx = xx - dx;
                    if (0..w).contains(&sx) {
                        let dst = base + ((y * w + xx) as usize) * c;
                        let src = base + ((sy * w + sx) as usize) * c;
                        out[dst..dst + c].copy_from_slice(&x.data[src..src + c]);
                    }
                }
            }
        }
        Ok(Tensor::from_vec(out, batch.dims())?)
    }
}

impl Augment for RandomTranslation {
    fn apply(&self, batch: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let ok = |f: f32| (0.0..=1.0).contains(&f);
        if !ok(self.height_factor) || !ok(self.width_factor) {
            return Err(data_error(
                "RandomTranslation",
                format!(
                    "factors must be in [0, 1], got height_factor={}, width_factor={}",
                    self.height_factor, self.width_factor
                ),
            ));
        }
        let d = batch.dims();
        let (n, h, w) = match d {
            [n, h, w, _] => (*n, *h, *w),
            _ => return self.apply_shifts(batch, &[]),
        };
        let max_dy = (self.height_factor * h as f32).round() as usize;
        let max_dx = (self.width_factor * w as f32).round() as usize;
        let shifts: Vec<(isize, isize)> = (0..n)
            .map(|_| {
                let dy = below_incl(rng, 2 * max_dy) as isize - max_dy as isize;
                let dx = below_incl(rng, 2 * max_dx) as isize - max_dx as isize;
                (dy, dx)
            })
            .collect();
        self.apply_shifts(batch, &shifts)
    }
}

/// `(x - mean[c]) / std[c]` per channel. Deterministic: use it at inference too (the
/// loader's `with_preprocess`).
///
/// # Shapes
/// `(N, H, W, C)` -> `(N, H, W, C)`, with `mean.len() == std.len() == C`.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalize {
    /// Per-channel mean.
    pub mean: Vec<f32>,
    /// Per-channel standard deviation (positive).
    pub std: Vec<f32>,
}

impl Augment for Normalize {
    fn apply(&self, batch: &Tensor, _rng: &mut Rng) -> Result<Tensor> {
        let mut x = Images::read(batch, "Normalize")?;
        if self.mean.len() != x.c || self.std.len() != x.c {
            return Err(data_error(
                "Normalize",
                format!(
                    "got {} means and {} stds for {} channels (input shape {})",
                    self.mean.len(),
                    self.std.len(),
                    x.c,
                    batch.shape()
                ),
            ));
        }
        if let Some(s) = self.std.iter().find(|s| !(**s > 0.0 && s.is_finite())) {
            return Err(data_error("Normalize", format!("std must be positive and finite, got {s}")));
        }
        let c = x.c;
        for px in x.data.chunks_mut(c) {
            for ((v, m), s) in px.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        x.into_tensor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 3x3 single-channel image holding 1..=9 row by row.
    fn img3() -> Tensor {
        Tensor::from_vec((1..=9).map(|v| v as f32).collect(), [1, 3, 3, 1]).unwrap()
    }

    #[test]
    fn flip_mirrors_rows_and_keeps_channels_together() {
        let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], [1, 1, 3, 2]).unwrap();
        let y = RandomFlip.apply_mask(&x, &[true]).unwrap();
        assert_eq!(y.to_vec_f32().unwrap(), vec![5., 6., 3., 4., 1., 2.]);
        let z = RandomFlip.apply_mask(&x, &[false]).unwrap();
        assert_eq!(z.to_vec_f32().unwrap(), x.to_vec_f32().unwrap());
    }

    #[test]
    fn crop_offsets_index_the_padded_image() {
        let crop = RandomCrop { height: 2, width: 2, padding: 1 };
        // Offset (0, 0) of the padded image: zero row, zero column, then 1.
        let y = crop.apply_at(&img3(), &[(0, 0)]).unwrap();
        assert_eq!(y.to_vec_f32().unwrap(), vec![0., 0., 0., 1.]);
        let y = crop.apply_at(&img3(), &[(2, 3)]).unwrap();
        assert_eq!(y.to_vec_f32().unwrap(), vec![6., 0., 9., 0.]);
        let no_pad = RandomCrop { height: 2, width: 2, padding: 0 };
        let y = no_pad.apply_at(&img3(), &[(1, 0)]).unwrap();
        assert_eq!(y.to_vec_f32().unwrap(), vec![4., 5., 7., 8.]);
    }

    #[test]
    fn crop_larger_than_padded_input_is_an_error() {
        let crop = RandomCrop { height: 6, width: 2, padding: 1 };
        let err = crop.apply(&img3(), &mut Rng::new(0)).err().unwrap().to_string();
        assert!(err.contains("cannot crop 6x2 from images of 3x3 padded by 1"), "{err}");
    }

    #[test]
    fn translation_moves_content_and_fills_zeros() {
        let t = RandomTranslation { height_factor: 0.5, width_factor: 0.5 };
        let y = t.apply_shifts(&img3(), &[(1, -1)]).unwrap();
        assert_eq!(y.to_vec_f32().unwrap(), vec![0., 0., 0., 2., 3., 0., 5., 6., 0.]);
    }

    #[test]
    fn random_translation_stays_within_the_factor() {
        // A single bright pixel in the centre of 5x5 may move at most round(0.2*5)=1.
        let mut data = [0.0; 25];
        data[12] = 1.0;
        let x = Tensor::from_vec(data.repeat(64), [64, 5, 5, 1]).unwrap();
        let t = RandomTranslation { height_factor: 0.2, width_factor: 0.2 };
        let y = t.apply(&x, &mut Rng::new(3)).unwrap().to_vec_f32().unwrap();
        let mut seen = std::collections::HashSet::new();
        for img in y.chunks(25) {
            let at = img.iter().position(|&v| v == 1.0).unwrap();
            let (dy, dx) = (at as isize / 5 - 2, at as isize % 5 - 2);
            assert!(dy.abs() <= 1 && dx.abs() <= 1);
            seen.insert((dy, dx));
        }
        assert_eq!(seen.len(), 9, "all nine shifts should occur in 64 draws");
    }

    #[test]
    fn normalize_is_per_channel_and_checks_lengths() {
        let x = Tensor::from_vec(vec![1., 10., 3., 30.], [1, 1, 2, 2]).unwrap();
        let n = Normalize { mean: vec![1., 10.], std: vec![2., 10.] };
        let y = n.apply(&x, &mut Rng::new(0)).unwrap();
        assert_eq!(y.to_vec_f32().unwrap(), vec![0., 0., 1., 2.]);
        let bad = Normalize { mean: vec![0.], std: vec![1.] };
        let err = bad.apply(&x, &mut Rng::new(0)).err().unwrap().to_string();
        assert!(err.contains("got 1 means and 1 stds for 2 channels"), "{err}");
    }

    #[test]
    fn pipeline_applies_steps_in_order() {
        let p = Pipeline::new()
            .then(Normalize { mean: vec![1.0], std: vec![1.0] })
            .then(Normalize { mean: vec![0.0], std: vec![2.0] });
        let y = p.apply(&img3(), &mut Rng::new(0)).unwrap();
        assert_eq!(y.to_vec_f32().unwrap()[..3], [0.0, 0.5, 1.0]);
    }

    #[test]
    fn non_nhwc_input_is_an_error() {
        let x = Tensor::zeros([2, 3]).unwrap();
        let err = RandomFlip.apply(&x, &mut Rng::new(0)).err().unwrap().to_string();
        assert!(err.contains("expected an NHWC f32 batch of rank 4, got shape (2, 3)"), "{err}");
    }
}
