//! `fovea visualize`: the AlexNet paper's pictures for a network trained by
//! `fovea train alexnet` — conv1's filters (Figure 3), predictions with their top-5 bars
//! (Figure 4, left), nearest neighbours in FC7 space (Figure 4, right) and the confusion
//! matrix — drawn on fovea-nn's canvas.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use fovea_core::{no_grad, Rng, Tensor};
use fovea_nn::data::ImageFolder;
use fovea_nn::plot::Canvas;

use crate::evaluate_images::{load_image_model, ImageModel};

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Subcommand, Debug)]
pub enum VisualizeCommand {
    /// conv1's kernels as a grid of colour tiles (with --groups 2 the two halves apart).
    Filters(FiltersArgs),
    /// Test images with their top-5 classes and probabilities as bars.
    Predictions(DataArgs),
    /// For query images, the training images nearest in FC7 space.
    Neighbours(DataArgs),
    /// The confusion matrix on a split.
    Confusion(DataArgs),
    /// The feature maps of each convolution for one image.
    Activations(ActivationsArgs),
}

/// Options of `fovea visualize activations`.
#[derive(Args, Debug)]
pub struct ActivationsArgs {
    /// A model saved by `fovea train alexnet`.
    model: PathBuf,
    /// An image of any size and format (prepared as evaluation prepares it).
    image: PathBuf,
    /// The PNG to write.
    #[arg(short, long, default_value = "activations.png")]
    output: PathBuf,
}

/// Options of `fovea visualize filters`.
#[derive(Args, Debug)]
pub struct FiltersArgs {
    /// A model saved by `fovea train alexnet`.
    model: PathBuf,
    /// The PNG to write.
    #[arg(short, long, default_value = "conv1.png")]
    output: PathBuf,
}

/// Options of the pictures that read an image folder.
#[derive(Args, Debug)]
pub struct DataArgs {
    /// A model saved by `fovea train alexnet`.
    model: PathBuf,
    /// The image folder it was trained on.
    #[arg(long)]
    data: PathBuf,
    /// The split to show.
    #[arg(long, default_value = "test")]
    split: String,
    /// Images shown (predictions, neighbours).
    #[arg(long, default_value_t = 8)]
    count: usize,
    /// The PNG to write.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

const BLACK: [u8; 3] = [0, 0, 0];
const BAR: [u8; 3] = [31, 119, 180];
const RIGHT: [u8; 3] = [44, 160, 44];

pub fn run(command: &VisualizeCommand) -> CliResult<()> {
    let path = match command {
        VisualizeCommand::Filters(a) => filters(&a.model, &a.output)?,
        VisualizeCommand::Predictions(a) => predictions(a)?,
        VisualizeCommand::Neighbours(a) => neighbours(a)?,
        VisualizeCommand::Confusion(a) => confusion(a)?,
        VisualizeCommand::Activations(a) => activations(a)?,
    };
    println!("wrote {}", path.display());
    Ok(())
}

/// Scales `v` to bytes over its own range (each kernel on its own, as the paper shows them).
fn to_bytes(v: &[f32]) -> Vec<u8> {
    let (lo, hi) = v.iter().fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)));
    let span = (hi - lo).max(1e-12);
    v.iter().map(|&x| ((x - lo) / span * 255.0).round() as u8).collect()
}

fn filters(model: &Path, output: &Path) -> CliResult<PathBuf> {
    let m = load_image_model(model)?;
    let conv1 = m.model.layers().next().ok_or("the model has no layers")?;
    let kernel = conv1.weights().first().map(|w| w.value().clone()).ok_or("conv1 has no kernel")?;
    // HWIO: (kh, kw, 3, filters).
    let d = kernel.dims().to_vec();
    let (kh, kw, cin, f) = (d[0], d[1], d[2], d[3]);
    let v = kernel.to_vec_f32()?;
    let groups = m.groups.max(1);
    let (scale, pad, per_row) = (4i64, 4i64, 16usize.min(f / groups).max(1));
    let per_group = f / groups;
    let rows_per_group = per_group.div_ceil(per_row);
    let tile = (kw as i64 * scale + pad, kh as i64 * scale + pad);
    let width = (per_row as i64 * tile.0 + 2 * pad) as u32;
    let height = (40 + groups as i64 * (rows_per_group as i64 * tile.1 + 24)) as u32;
    let mut c = Canvas::new(width.max(420), height);
    c.text(pad, 8, &format!("conv1: {f} kernels {kh}x{kw}x{cin}"), 2, BLACK);
    for g in 0..groups {
        let y0 = 36 + g as i64 * (rows_per_group as i64 * tile.1 + 24);
        if groups > 1 {
            c.text(pad, y0, &format!("group {} (\"GPU {}\")", g + 1, g + 1), 1, BLACK);
        }
        for i in 0..per_group {
            let k = g * per_group + i;
            let rgb: Vec<f32> = (0..kh * kw * cin).map(|j| v[j * f + k]).collect();
            let rgb = if cin == 3 { rgb } else { rgb.iter().flat_map(|&x| [x, x, x]).take(kh * kw * 3).collect() };
            let (x, y) = (pad + (i % per_row) as i64 * tile.0, y0 + 12 + (i / per_row) as i64 * tile.1);
            c.blit(x, y, kw, kh, &to_bytes(&rgb), scale);
        }
    }
    c.save_png(output)?;
    Ok(output.to_path_buf())
}

/// The split's images (full size) and labels, checked against the model's classes.
fn load(m: &ImageModel, data: &Path, split: &str) -> CliResult<(Tensor, Vec<i64>, Vec<String>)> {
    let folder = ImageFolder::open(data)?;
    if folder.classes() != m.classes.as_slice() {
        return Err(format!("{} has other classes than the model", data.display()).into());
    }
    let (set, _) = folder.load_split(split, m.input_size, m.shorter_side)?;
    Ok((set.features().clone(), set.labels().to_vec_i64()?, m.classes.clone()))
}

/// The network's outputs on `x` (centre crops, mean subtracted), and the inputs to its
/// last layer (FC7's activations).
fn forward(m: &ImageModel, x: &Tensor) -> CliResult<(Vec<f32>, Vec<f32>, usize)> {
    let mean = Tensor::from_vec(m.mean.to_vec(), [3])?;
    let mut probs = Vec::new();
    let mut fc7 = Vec::new();
    let mut width = 0;
    for start in (0..x.dims()[0]).step_by(100) {
        let len = 100.min(x.dims()[0] - start);
        let mut h = x.narrow(0, start, len)?.sub(&mean)?;
        let layers: Vec<_> = m.model.layers().collect();
        let mut ctx_rng = Rng::new(0);
        for (i, l) in layers.iter().enumerate() {
            let mut ctx = fovea_nn::CallContext::new(false, &mut ctx_rng);
            h = no_grad(|| l.call(std::slice::from_ref(&h), &mut ctx))?.remove(0);
            if i + 2 == layers.len() {
                width = h.dims()[1];
                fc7.extend(h.to_vec_f32()?);
            }
        }
        probs.extend(h.to_vec_f32()?);
    }
    Ok((probs, fc7, width))
}

fn image_bytes(x: &Tensor, i: usize) -> CliResult<(Vec<u8>, usize)> {
    let s = x.dims()[1];
    let v = x.narrow(0, i, 1)?.to_vec_f32()?;
    Ok((v.iter().map(|p| (p.clamp(0.0, 1.0) * 255.0).round() as u8).collect(), s))
}

fn predictions(a: &DataArgs) -> CliResult<PathBuf> {
    let m = load_image_model(&a.model)?;
    let (x, labels, classes) = load(&m, &a.data, &a.split)?;
    let n = a.count.min(labels.len());
    let picks: Vec<usize> = (0..n).map(|i| i * labels.len() / n.max(1)).collect();
    let (probs, _, _) = forward(&m, &x)?;
    let k = classes.len();
    let (cell_w, cell_h) = (300i64, m.input_size as i64 + 90);
    let mut c = Canvas::new((cell_w * 4) as u32, (30 + cell_h * n.div_ceil(4) as i64) as u32);
    c.text(8, 8, "top-5 predictions (true class in green)", 2, BLACK);
    for (j, &i) in picks.iter().enumerate() {
        let (x0, y0) = ((j % 4) as i64 * cell_w + 8, 30 + (j / 4) as i64 * cell_h);
        let (img, s) = image_bytes(&x, i)?;
        c.blit(x0, y0, s, s, &img, 1);
        c.text(x0, y0 + s as i64 + 4, &classes[labels[i] as usize], 1, BLACK);
        let row = &probs[i * k..(i + 1) * k];
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&p, &q| row[q].total_cmp(&row[p]));
        for (r, &cls) in order.iter().take(5).enumerate() {
            let y = y0 + s as i64 + 16 + r as i64 * 13;
            let colour = if cls == labels[i] as usize { RIGHT } else { BAR };
            c.rect(x0, y, (row[cls] * 120.0) as i64 + 1, 9, colour);
            c.text(x0 + 126, y + 1, &format!("{} {:.2}", classes[cls], row[cls]), 1, BLACK);
        }
    }
    let out = a.output.clone().unwrap_or_else(|| PathBuf::from("predictions.png"));
    c.save_png(&out)?;
    Ok(out)
}

fn neighbours(a: &DataArgs) -> CliResult<PathBuf> {
    let m = load_image_model(&a.model)?;
    let (qx, qlabels, _) = load(&m, &a.data, &a.split)?;
    let (tx, _, _) = load(&m, &a.data, "train")?;
    // A slice of the training set keeps this a few seconds on two cores.
    let pool = tx.dims()[0].min(3000);
    let tx = tx.narrow(0, 0, pool)?;
    let n = a.count.min(qlabels.len());
    let picks: Vec<usize> = (0..n).map(|i| i * qlabels.len() / n.max(1)).collect();
    let (_, q7, w) = forward(&m, &qx)?;
    let (_, t7, _) = forward(&m, &tx)?;
    let s = m.input_size as i64;
    let shown = 6;
    let mut c = Canvas::new(((s + 6) * (shown + 1) + 20) as u32, (30 + (s + 6) * n as i64) as u32);
    c.text(8, 8, "query, then the training images nearest in FC7 space", 2, BLACK);
    for (j, &i) in picks.iter().enumerate() {
        let y = 30 + j as i64 * (s + 6);
        let (img, side) = image_bytes(&qx, i)?;
        c.blit(4, y, side, side, &img, 1);
        let q = &q7[i * w..(i + 1) * w];
        let mut d: Vec<(f32, usize)> = (0..pool)
            .map(|t| (t7[t * w..(t + 1) * w].iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum(), t))
            .collect();
        d.sort_by(|p, q| p.0.total_cmp(&q.0));
        for (r, &(_, t)) in d.iter().take(shown as usize).enumerate() {
            let (img, side) = image_bytes(&tx, t)?;
            c.blit(20 + (r as i64 + 1) * (s + 6), y, side, side, &img, 1);
        }
    }
    let out = a.output.clone().unwrap_or_else(|| PathBuf::from("neighbours.png"));
    c.save_png(&out)?;
    Ok(out)
}

fn confusion(a: &DataArgs) -> CliResult<PathBuf> {
    let m = load_image_model(&a.model)?;
    let (x, labels, classes) = load(&m, &a.data, &a.split)?;
    let (probs, _, _) = forward(&m, &x)?;
    let k = classes.len();
    let mut counts = vec![0usize; k * k];
    for (i, &t) in labels.iter().enumerate() {
        let row = &probs[i * k..(i + 1) * k];
        let p = (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0);
        counts[t as usize * k + p] += 1;
    }
    let cell = 18i64;
    let left = 8 + (classes.iter().map(|c| c.len()).max().unwrap_or(4) as i64 + 3) * 6 + 8;
    let top = 40;
    let mut c = Canvas::new((left + cell * k as i64 + 20) as u32, (top + cell * k as i64 + 40) as u32);
    let correct: usize = (0..k).map(|i| counts[i * k + i]).sum();
    c.text(
        8,
        8,
        &format!(
            "confusion on {} ({:.1}% right): rows true, columns predicted",
            a.split,
            100.0 * correct as f64 / labels.len().max(1) as f64
        ),
        1,
        BLACK,
    );
    for t in 0..k {
        let total: usize = counts[t * k..(t + 1) * k].iter().sum();
        c.text(8, top + t as i64 * cell + 5, &format!("{t:>2} {}", classes[t]), 1, BLACK);
        for p in 0..k {
            let share = counts[t * k + p] as f32 / total.max(1) as f32;
            let v = (255.0 * (1.0 - share)).round() as u8;
            c.rect(left + p as i64 * cell, top + t as i64 * cell, cell - 1, cell - 1, [v, v, 255]);
        }
    }
    for p in 0..k {
        c.text(left + p as i64 * cell + 3, top + k as i64 * cell + 4, &format!("{p}"), 1, BLACK);
    }
    let out = a.output.clone().unwrap_or_else(|| PathBuf::from("confusion.png"));
    c.save_png(&out)?;
    Ok(out)
}

/// Each convolution's feature maps for one image, one row of grey tiles per layer (each
/// map scaled to its own range), up to 32 maps a layer.
fn activations(a: &ActivationsArgs) -> CliResult<PathBuf> {
    let m = load_image_model(&a.model)?;
    let (img, mut h) = m.prepare(&a.image)?;
    let mut maps: Vec<(String, Tensor)> = Vec::new();
    let mut rng = Rng::new(0);
    for l in m.model.layers() {
        let mut ctx = fovea_nn::CallContext::new(false, &mut rng);
        h = no_grad(|| l.call(std::slice::from_ref(&h), &mut ctx))?.remove(0);
        if l.class_name() == "Conv2D" {
            maps.push((l.name().to_string(), h.clone()));
        }
    }
    const SHOWN: usize = 32;
    let tile = |side: usize| ((48 / side).max(1) * side) as i64;
    let rows: Vec<i64> = maps.iter().map(|(_, t)| tile(t.dims()[1]) + 22).collect();
    let width = 8 + SHOWN as i64 * (tile(maps.iter().map(|(_, t)| t.dims()[1]).min().unwrap_or(1)) + 4);
    let width = width.max(8 + m.input_size as i64 * 2 + 300);
    let mut c = Canvas::new(width as u32, (40 + m.input_size as i64 * 2 + rows.iter().sum::<i64>()) as u32);
    c.text(8, 8, &format!("activations of {}", a.image.display()), 2, BLACK);
    let raw = img.into_raw();
    c.blit(8, 32, m.input_size, m.input_size, &raw, 2);
    let mut y = 40 + m.input_size as i64 * 2;
    for ((name, t), row) in maps.iter().zip(&rows) {
        let d = t.dims();
        let (side_h, side_w, channels) = (d[1], d[2], d[3]);
        let v = t.to_vec_f32()?;
        c.text(8, y, &format!("{name}: {side_h}x{side_w}x{channels}"), 1, BLACK);
        let scale = (48 / side_h.max(1)).max(1) as i64;
        for ch in 0..channels.min(SHOWN) {
            let grey: Vec<f32> = (0..side_h * side_w).map(|p| v[p * channels + ch]).collect();
            let bytes: Vec<u8> = to_bytes(&grey).into_iter().flat_map(|g| [g, g, g]).collect();
            c.blit(8 + ch as i64 * (side_w as i64 * scale + 4), y + 12, side_w, side_h, &bytes, scale);
        }
        y += row;
    }
    c.save_png(&a.output)?;
    Ok(a.output.clone())
}
