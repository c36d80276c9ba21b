//! Writing the scene world to disk: an image folder for classification and a
//! Karpathy-style caption file.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use fovea_nn::{Error, Result};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};
use rayon::prelude::*;

use super::kinds::{KINDS, NOVEL};
use super::{captions, render, scene};

/// What `fovea data scenes` writes.
#[derive(Clone, Debug)]
pub struct ScenesConfig {
    /// The folder to write into (created; existing files of the same names are replaced).
    pub out: PathBuf,
    /// Images per split.
    pub train: usize,
    /// Images per split.
    pub val: usize,
    /// Images per split.
    pub test: usize,
    /// Images of held-out attribute-object pairs ([`NOVEL`]).
    pub novel: usize,
    /// Width and height in pixels.
    pub size: usize,
    /// Every image is a function of this and its split and index.
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenesReport {
    /// Images written.
    pub images: usize,
    /// Captions written (five per image).
    pub sentences: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), msg: e.to_string() }
}

/// `seed` mixed with the split and the index (splitmix64 steps), so images do not
/// depend on which thread draws them or on the other splits' sizes.
fn image_seed(seed: u64, split: u64, index: u64) -> u64 {
    let mut d = super::Draw::new(seed ^ split.wrapping_mul(0xA24B_AED4_963E_E407));
    d.next() ^ index.wrapping_mul(0x9FB2_1C65_1E98_DF25) ^ d.next().rotate_left(17)
}

/// Encodes and writes one PNG through a temporary name (a crash leaves no half file).
fn write_png(path: &Path, rgb: &[u8], size: usize) -> Result<()> {
    let tmp = path.with_extension("png.tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
    let mut w = BufWriter::new(file);
    PngEncoder::new_with_quality(&mut w, CompressionType::Fast, FilterType::Sub)
        .write_image(rgb, size as u32, size as u32, ExtendedColorType::Rgb8)
        .map_err(|e| io_error(path, e))?;
    w.flush().map_err(|e| io_error(&tmp, e))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

/// One image's entry for the caption file.
struct Entry {
    filename: String,
    split: &'static str,
    class: &'static str,
    sentences: Vec<String>,
}

/// Draws and writes every image of every split (in parallel; the files are the same for
/// any thread count), then `dataset_scenes.json`: Karpathy's layout (`images[].filename`
/// relative to `out`, `split`, `sentences[].raw`, `sentences[].tokens`, `imgid`,
/// `sentid`), plus each image's `class`.
pub fn write_dataset(config: &ScenesConfig) -> Result<ScenesReport> {
    if config.size < 32 {
        return Err(Error::Data {
            what: "scenes".into(),
            msg: format!("--size must be at least 32, got {}", config.size),
        });
    }
    let start = std::time::Instant::now();
    let splits: [(&'static str, usize, bool); 4] = [
        ("train", config.train, false),
        ("val", config.val, false),
        ("test", config.test, false),
        ("novel", config.novel, true),
    ];
    let mut entries: Vec<Entry> = Vec::new();
    for (split_id, &(split, count, novel)) in splits.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let classes: Vec<&str> =
            if novel { NOVEL.iter().map(|&(k, _)| k).collect() } else { KINDS.iter().map(|k| k.name).collect() };
        for class in &classes {
            let dir = config.out.join(split).join(class);
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        let made: Vec<Result<Entry>> = (0..count)
            .into_par_iter()
            .map(|i| {
                // Classes in turn, so every split holds every class.
                let class = classes[i % classes.len()];
                let kind = KINDS.iter().position(|k| k.name == class).unwrap_or(0);
                let seed = image_seed(config.seed, split_id as u64, i as u64);
                let sc = scene(seed, config.size, kind, novel)?;
                let filename = format!("{split}/{class}/{split}_{i:06}.png");
                write_png(&config.out.join(&filename), &render(&sc, config.size), config.size)?;
                Ok(Entry { filename, split, class, sentences: captions(&sc, seed) })
            })
            .collect();
        for e in made {
            entries.push(e?);
        }
    }
    let mut sentid = 0;
    let images: Vec<serde_json::Value> = entries
        .iter()
        .enumerate()
        .map(|(imgid, e)| {
            let sentences: Vec<serde_json::Value> = e
                .sentences
                .iter()
                .map(|raw| {
                    sentid += 1;
                    let tokens: Vec<&str> = raw.split_whitespace().collect();
                    serde_json::json!({"raw": raw, "tokens": tokens, "imgid": imgid, "sentid": sentid - 1})
                })
                .collect();
            let ids: Vec<usize> = (sentid - sentences.len()..sentid).collect();
            serde_json::json!({
                "filename": e.filename, "filepath": "", "split": e.split, "class": e.class,
                "imgid": imgid, "sentids": ids, "sentences": sentences,
            })
        })
        .collect();
    let json = serde_json::json!({"dataset": "scenes", "size": config.size, "seed": config.seed, "images": images});
    let path = config.out.join("dataset_scenes.json");
    let tmp = config.out.join("dataset_scenes.json.tmp");
    let text = serde_json::to_string(&json).map_err(|e| io_error(&path, e))?;
    std::fs::write(&tmp, text).map_err(|e| io_error(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
    Ok(ScenesReport { images: entries.len(), sentences: sentid, seconds: start.elapsed().as_secs_f64() })
}
