//! `fovea evaluate` for networks trained on image folders (`fovea train alexnet`):
//! top-1 and top-5 on a split, from the centre crop or the paper's ten crops (four
//! corners and the centre, and their mirrors), of one model or the averaged softmax of
//! an ensemble.

use std::path::{Path, PathBuf};

use fovea_core::{no_grad, Rng, Tensor};
use fovea_nn::data::{center_crop, load_rgb, resize_shorter_side, rgb_to_tensor, ImageFolder, RgbImage};
use fovea_nn::{load_checkpoint, load_weights, Model};
use fovea_zoo::{alexnet, AlexNetConfig};

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// An AlexNet run's model with what its preprocessing needs.
pub struct ImageModel {
    pub model: Model,
    pub classes: Vec<String>,
    pub mean: [f32; 3],
    pub input_size: usize,
    pub shorter_side: usize,
    pub groups: usize,
}

/// Whether the checkpoint at `path` holds a network trained on image folders.
pub fn is_image_model(path: &Path) -> bool {
    load_checkpoint(path)
        .ok()
        .and_then(|c| serde_json::from_str::<serde_json::Value>(&c.architecture).ok())
        .is_some_and(|a| a["model"] == "alexnet")
}

/// Rebuilds the network recorded in `path` and loads its weights.
pub fn load_image_model(path: &Path) -> CliResult<ImageModel> {
    let ckpt = load_checkpoint(path)?;
    let a: serde_json::Value = serde_json::from_str(&ckpt.architecture)
        .map_err(|e| format!("{}: the architecture is not JSON: {e}", path.display()))?;
    let field =
        |k: &str| a[k].as_u64().map(|v| v as usize).ok_or_else(|| format!("{}: no '{k}' in {a}", path.display()));
    let config = AlexNetConfig {
        num_classes: field("num_classes")?,
        input_size: field("input_size")?,
        groups: field("groups")?,
        width: a["width"].as_f64().unwrap_or(1.0) as f32,
        paper_init: false,
    };
    let model = alexnet(&config, &mut Rng::new(0))?;
    load_weights(&model, path)?;
    let classes: Vec<String> = a["classes"]
        .as_array()
        .map(|c| c.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let m: Vec<f32> = a["mean"]
        .as_array()
        .map(|m| m.iter().filter_map(|v| v.as_f64()).map(|v| v as f32).collect())
        .unwrap_or_default();
    let shorter_side = field("shorter_side")?;
    if shorter_side < config.input_size {
        return Err(format!(
            "{}: shorter_side {shorter_side} is below input_size {}",
            path.display(),
            config.input_size
        )
        .into());
    }
    if m.len() != 3 || classes.len() != config.num_classes {
        return Err(format!("{}: the architecture lacks its classes or mean: {a}", path.display()).into());
    }
    Ok(ImageModel {
        model,
        classes,
        mean: [m[0], m[1], m[2]],
        input_size: config.input_size,
        shorter_side,
        groups: config.groups,
    })
}

impl ImageModel {
    /// An image file as evaluation feeds it: shorter side resized, centre crop, channel
    /// mean subtracted. Returns the crop too (for pictures).
    ///
    /// # Shapes
    /// The tensor is `(1, input_size, input_size, 3)`.
    pub fn prepare(&self, path: &Path) -> CliResult<(RgbImage, Tensor)> {
        prepare_image(path, self.input_size, self.shorter_side, self.mean)
    }
}

/// [`ImageModel::prepare`] with its three settings given.
pub fn prepare_image(path: &Path, size: usize, shorter_side: usize, mean: [f32; 3]) -> CliResult<(RgbImage, Tensor)> {
    let img = center_crop(&resize_shorter_side(&load_rgb(path)?, shorter_side)?, size, size)?;
    let x = rgb_to_tensor(&img)?.sub(&Tensor::from_vec(mean.to_vec(), [3])?)?;
    Ok((img, x))
}

/// The `(top, left)` of the centre crop, or of the ten crops' five positions.
fn crop_offsets(full: usize, size: usize, ten: bool) -> Vec<(usize, usize)> {
    let (c, e) = ((full - size) / 2, full - size);
    if ten {
        vec![(0, 0), (0, e), (e, 0), (e, e), (c, c)]
    } else {
        vec![(c, c)]
    }
}

/// Crop `(top, left)` of every image of `x` (`(n, full, full, 3)`), mirrored if asked,
/// mean subtracted: `(n, size, size, 3)`.
fn crop(x: &Tensor, top: usize, left: usize, size: usize, mirror: bool, mean: [f32; 3]) -> CliResult<Tensor> {
    let c = x.narrow(1, top, size)?.narrow(2, left, size)?.contiguous()?;
    let n = c.dims()[0];
    let v = c.to_vec_f32()?;
    let mut out = vec![0f32; v.len()];
    for i in 0..n {
        for y in 0..size {
            for xx in 0..size {
                let from = if mirror { size - 1 - xx } else { xx };
                let (o, s) = (((i * size + y) * size + xx) * 3, ((i * size + y) * size + from) * 3);
                for ch in 0..3 {
                    out[o + ch] = v[s + ch] - mean[ch];
                }
            }
        }
    }
    Ok(Tensor::from_vec(out, [n, size, size, 3])?)
}

/// The softmax outputs of `m` on `x` (full-size images), averaged over the crops.
fn probabilities(m: &ImageModel, x: &Tensor, ten: bool) -> CliResult<Vec<f32>> {
    let full = x.dims()[1];
    let offsets = crop_offsets(full, m.input_size, ten);
    let mirrors: &[bool] = if ten { &[false, true] } else { &[false] };
    let views = (offsets.len() * mirrors.len()) as f32;
    let mut sum: Option<Vec<f32>> = None;
    for &(top, left) in &offsets {
        for &mirror in mirrors {
            let batch = crop(x, top, left, m.input_size, mirror, m.mean)?;
            let p = no_grad(|| m.model.forward(&batch, false, &mut Rng::new(0)))?.to_vec_f32()?;
            match sum.as_mut() {
                None => sum = Some(p),
                Some(s) => s.iter_mut().zip(&p).for_each(|(a, b)| *a += b),
            }
        }
    }
    Ok(sum.unwrap_or_default().into_iter().map(|v| v / views).collect())
}

/// Top-1 and top-5 accuracy of `probs` (`(n, k)` row-major) against `labels`.
pub fn top_k(probs: &[f32], labels: &[i64], k: usize) -> (f64, f64) {
    let (mut top1, mut top5) = (0usize, 0usize);
    for (row, &label) in probs.chunks(k).zip(labels) {
        let truth = row[label as usize];
        let rank = row.iter().filter(|&&p| p > truth).count();
        top1 += usize::from(rank == 0);
        top5 += usize::from(rank < 5);
    }
    let n = labels.len().max(1) as f64;
    (top1 as f64 / n, top5 as f64 / n)
}

/// Runs the evaluation and prints it (and, with `json`, a JSON last line).
pub fn run(models: &[PathBuf], data: &Path, split: &str, ten_crop: bool, json: bool) -> CliResult<()> {
    let nets: Vec<ImageModel> = models.iter().map(|p| load_image_model(p)).collect::<CliResult<_>>()?;
    let first = &nets[0];
    for (n, p) in nets.iter().zip(models).skip(1) {
        if n.classes != first.classes || n.shorter_side != first.shorter_side {
            return Err(format!(
                "evaluate: {} was trained on other classes or image sizes than {}",
                p.display(),
                models[0].display()
            )
            .into());
        }
    }
    let folder = ImageFolder::open(data)?;
    if folder.classes() != first.classes.as_slice() {
        return Err(format!(
            "evaluate: {} has classes {:?}, the model {:?}",
            data.display(),
            folder.classes(),
            first.classes
        )
        .into());
    }
    let (set, report) = folder.load_split(split, first.shorter_side, first.shorter_side)?;
    let labels = set.labels().to_vec_i64()?;
    let k = first.classes.len();
    let mut total = vec![0f32; labels.len() * k];
    const BATCH: usize = 100;
    for net in &nets {
        for start in (0..labels.len()).step_by(BATCH) {
            let len = BATCH.min(labels.len() - start);
            let p = probabilities(net, &set.features().narrow(0, start, len)?, ten_crop)?;
            total[start * k..(start + len) * k].iter_mut().zip(&p).for_each(|(a, b)| *a += b);
        }
    }
    let (top1, top5) = top_k(&total, &labels, k);
    println!(
        "{split}: top-1 {top1:.4} (error {:.4}), top-5 {top5:.4} over {} images ({} skipped), {} model{}, {}",
        1.0 - top1,
        labels.len(),
        report.skipped.len(),
        nets.len(),
        if nets.len() == 1 { "" } else { "s averaged" },
        if ten_crop { "ten crops" } else { "centre crop" }
    );
    if json {
        println!("{}", serde_json::json!({"images": labels.len(), "top1": top1, "top5": top5}));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_crops_are_the_corners_and_the_centre() {
        assert_eq!(crop_offsets(128, 112, false), [(8, 8)]);
        assert_eq!(crop_offsets(128, 112, true), [(0, 0), (0, 16), (16, 0), (16, 16), (8, 8)]);
    }

    #[test]
    fn top_k_counts_ties_in_the_label_s_favour_and_ranks_within_five() {
        // Six classes, two samples: the first right, the second's true
        // class ranked third.
        let probs = [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.25, 0.2, 0.1, 0.1, 0.05];
        assert_eq!(top_k(&probs, &[0, 2], 6), (0.5, 1.0));
        // A sample whose class is ranked sixth misses the top 5.
        let probs = [0.3, 0.2, 0.2, 0.1, 0.1, 0.06, 0.04];
        assert_eq!(top_k(&probs, &[6], 7), (0.0, 0.0));
        // A tie with the top class counts as right.
        assert_eq!(top_k(&[0.5, 0.5], &[1], 2), (1.0, 1.0));
    }

    #[test]
    fn a_mirrored_crop_reverses_columns_and_subtracts_the_mean() {
        let x = Tensor::from_vec((0..2 * 2 * 3).map(|v| v as f32).collect(), [1, 2, 2, 3]).unwrap();
        let c = crop(&x, 0, 0, 2, true, [1.0, 1.0, 1.0]).unwrap().to_vec_f32().unwrap();
        assert_eq!(c, [2.0, 3.0, 4.0, -1.0, 0.0, 1.0, 8.0, 9.0, 10.0, 5.0, 6.0, 7.0]);
    }
}
