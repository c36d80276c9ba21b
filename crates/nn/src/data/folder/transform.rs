//! One image at a time: decoding any supported file to 8-bit RGB, and AlexNet's
//! preprocessing (shorter-side resize, centre or random crop, mirror) on `RgbImage`s.
//!
//! Sizes follow torchvision's `Resize(int)` and Keras's `CenterCrop` so that a model
//! trained there sees the same pixels here; each function says which rule it copies.

use std::path::Path;

use ::image::imageops::{self, FilterType};
use fovea_core::{Rng, Tensor};

use super::super::data_error;
use super::super::image::decode_dynamic;
use crate::Result;

pub use ::image::RgbImage;

/// Reads and decodes a PNG, JPEG, BMP or WebP file into 8-bit RGB, whatever its pixel
/// type: grey is replicated, alpha dropped (not composited), 16-bit samples rounded to
/// 8 bits, and CMYK JPEGs come out of the decoder as RGB. Errors name the file.
///
/// The layout of [`RgbImage::into_raw`] is `(H, W, 3)` u8, row-major.
pub fn load_rgb(path: impl AsRef<Path>) -> Result<RgbImage> {
    let path = path.as_ref();
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| data_error(&what, format!("cannot read: {e}")))?;
    Ok(decode_dynamic(&bytes, &what)?.to_rgb8())
}

/// `value` as an image dimension, or an error naming `who`.
fn to_u32(value: usize, who: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| data_error(who, format!("size {value} is too large for an image")))
}

/// Resizes `img` so that its shorter side is `shorter_side` pixels, keeping the aspect
/// ratio, with the image crate's triangle (bilinear) filter, which widens its support
/// when shrinking, as PIL's bilinear does under torchvision. The longer side is
/// `floor(shorter_side * long / short)`, torchvision's `Resize(int)` rule. An image that
/// already has the target size is returned unchanged, not resampled.
pub fn resize_shorter_side(img: &RgbImage, shorter_side: usize) -> Result<RgbImage> {
    let (w, h) = img.dimensions();
    if shorter_side == 0 || w == 0 || h == 0 {
        return Err(data_error(
            "resize_shorter_side",
            format!("cannot resize a {w}x{h} image to a shorter side of {shorter_side}"),
        ));
    }
    let s = shorter_side as u64;
    let (nw, nh) =
        if w <= h { (s, s.saturating_mul(h as u64) / w as u64) } else { (s.saturating_mul(w as u64) / h as u64, s) };
    let too_large = |v: u64| {
        data_error(
            "resize_shorter_side",
            format!("a {w}x{h} image resized to a shorter side of {shorter_side} would be {v} pixels long"),
        )
    };
    let nw = u32::try_from(nw).map_err(|_| too_large(nw))?;
    let nh = u32::try_from(nh).map_err(|_| too_large(nh))?;
    if (nw, nh) == (w, h) {
        return Ok(img.clone());
    }
    Ok(imageops::resize(img, nw, nh, FilterType::Triangle))
}

/// Checks that a `width x height` window fits in `img`; returns the slack `(W - width,
/// H - height)` and the window as u32.
fn window(img: &RgbImage, width: usize, height: usize, who: &str) -> Result<(u32, u32, u32, u32)> {
    let (w, h) = img.dimensions();
    if width == 0 || height == 0 || width > w as usize || height > h as usize {
        return Err(data_error(who, format!("cannot crop {width}x{height} (width x height) from a {w}x{h} image")));
    }
    let (cw, ch) = (to_u32(width, who)?, to_u32(height, who)?);
    Ok((w - cw, h - ch, cw, ch))
}

/// The centre `width x height` window of `img`. An odd margin puts the extra pixel on
/// the right and bottom: the offset is `(W - width) / 2` rounded down, as Keras's
/// `CenterCrop` computes it.
pub fn center_crop(img: &RgbImage, width: usize, height: usize) -> Result<RgbImage> {
    let (slack_x, slack_y, cw, ch) = window(img, width, height, "center_crop")?;
    Ok(imageops::crop_imm(img, slack_x / 2, slack_y / 2, cw, ch).to_image())
}

/// A uniform integer in `0..=max`, drawn as the batch augmentations draw.
fn below_incl(rng: &mut Rng, max: u32) -> u32 {
    (rng.next_u64() % (max as u64 + 1)) as u32
}

/// A `width x height` window of `img` at a uniformly random whole-pixel offset, AlexNet's
/// training crop. Draws the top offset, then the left one, from `rng`.
pub fn random_crop(img: &RgbImage, width: usize, height: usize, rng: &mut Rng) -> Result<RgbImage> {
    let (slack_x, slack_y, cw, ch) = window(img, width, height, "random_crop")?;
    let top = below_incl(rng, slack_y);
    let left = below_incl(rng, slack_x);
    Ok(imageops::crop_imm(img, left, top, cw, ch).to_image())
}

/// `img` mirrored left to right.
pub fn flip_horizontal(img: &RgbImage) -> RgbImage {
    imageops::flip_horizontal(img)
}

/// Writes `img` as f32 values `v / 255` into `out`, in `(H, W, 3)` order.
pub(super) fn write_unit_floats(img: &RgbImage, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(img.as_raw()) {
        *o = v as f32 / 255.0;
    }
}

/// `img` as a one-image NHWC batch with values `v / 255` in `[0, 1]`. For the raw u8
/// bytes in the same `(H, W, 3)` order, use [`RgbImage::into_raw`].
///
/// # Shapes
/// Returns `(1, H, W, 3)` f32.
pub fn rgb_to_tensor(img: &RgbImage) -> Result<Tensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut data = vec![0.0f32; h * w * 3];
    write_unit_floats(img, &mut data);
    Ok(Tensor::from_vec(data, [1, h, w, 3])?)
}
