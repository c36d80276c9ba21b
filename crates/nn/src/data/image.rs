//! PNG and JPEG decoding into NHWC f32 tensors in `[0, 1]`.

use std::io::Cursor;
use std::path::Path;

use ::image::{DynamicImage, ImageReader};
use fovea_core::Tensor;

use super::data_error;
use crate::Result;

/// The channels to decode into, as Keras's `load_img(color_mode=...)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorMode {
    /// Three channels, red, green, blue (alpha dropped, grey replicated).
    #[default]
    Rgb,
    /// One luma channel.
    Grayscale,
}

impl ColorMode {
    fn channels(self) -> usize {
        match self {
            ColorMode::Rgb => 3,
            ColorMode::Grayscale => 1,
        }
    }
}

/// Decodes a PNG or JPEG held in memory (the format is guessed from its bytes); `what`
/// names the source in errors. 8-bit samples become `value / 255`, 16-bit PNG samples
/// `value / 65535`.
///
/// # Shapes
/// Returns `(1, H, W, C)`, `C` = 3 for [`ColorMode::Rgb`], 1 for grayscale.
pub fn decode_image(bytes: &[u8], mode: ColorMode, what: &str) -> Result<Tensor> {
    to_tensor(&decode_dynamic(bytes, what)?, mode)
}

/// Decodes an image held in memory, whatever its pixel type; the format is guessed
/// from its bytes, never from a file name, so a misnamed file still decodes.
pub(super) fn decode_dynamic(bytes: &[u8], what: &str) -> Result<DynamicImage> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| data_error(what, format!("cannot read image: {e}")))?;
    if reader.format().is_none() {
        return Err(data_error(what, "not a PNG or JPEG image (unrecognised signature)"));
    }
    reader.decode().map_err(|e| data_error(what, format!("cannot decode image: {e}")))
}

fn to_tensor(img: &DynamicImage, mode: ColorMode) -> Result<Tensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let sixteen = matches!(
        img,
        DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
            | DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_)
    );
    let data: Vec<f32> = match (mode, sixteen) {
        (ColorMode::Rgb, false) => img.to_rgb8().into_raw().iter().map(|&v| v as f32 / 255.0).collect(),
        (ColorMode::Rgb, true) => img.to_rgb16().into_raw().iter().map(|&v| v as f32 / 65535.0).collect(),
        (ColorMode::Grayscale, false) => img.to_luma8().into_raw().iter().map(|&v| v as f32 / 255.0).collect(),
        (ColorMode::Grayscale, true) => img.to_luma16().into_raw().iter().map(|&v| v as f32 / 65535.0).collect(),
    };
    Ok(Tensor::from_vec(data, [1, h, w, mode.channels()])?)
}

/// Reads and decodes a PNG or JPEG file; errors name the file.
///
/// # Shapes
/// Returns `(1, H, W, C)`.
pub fn load_image(path: impl AsRef<Path>, mode: ColorMode) -> Result<Tensor> {
    let path = path.as_ref();
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| data_error(&what, format!("cannot read: {e}")))?;
    decode_image(&bytes, mode, &what)
}

/// Loads several images of one size into a batch; errors name the file whose size
/// differs from the first.
///
/// # Shapes
/// Returns `(N, H, W, C)`.
pub fn load_images<P: AsRef<Path>>(paths: &[P], mode: ColorMode) -> Result<Tensor> {
    let Some(first) = paths.first().map(|p| p.as_ref()) else {
        return Err(data_error("load_images", "no image paths given"));
    };
    let head = load_image(first, mode)?;
    let dims = head.dims().to_vec();
    let mut data = head.to_vec_f32()?;
    for p in &paths[1..] {
        let t = load_image(p, mode)?;
        if t.dims() != &dims[..] {
            return Err(data_error(
                p.as_ref().display().to_string(),
                format!(
                    "image is {}x{} but {} is {}x{}; resize images to one size before batching",
                    t.dims()[1],
                    t.dims()[2],
                    first.display(),
                    dims[1],
                    dims[2]
                ),
            ));
        }
        data.extend(t.to_vec_f32()?);
    }
    Ok(Tensor::from_vec(data, [paths.len(), dims[1], dims[2], dims[3]])?)
}
