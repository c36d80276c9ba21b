//! Image-folder datasets in the layout ImageNet, torchvision's `ImageFolder` and Keras's
//! `image_dataset_from_directory` share: `ROOT/{train,val,test}/<class>/<image>`.
//!
//! ```no_run
//! use fovea_nn::data::ImageFolder;
//! # fn main() -> fovea_nn::Result<()> {
//! let folder = ImageFolder::open("data/imagenette")?;
//! let (val, report) = folder.load_split("val", 227, 256)?;
//! // val.features(): (n, 227, 227, 3) f32; val.labels(): (n,) int64
//! println!("{} classes, {} images, {} skipped", folder.classes().len(), report.loaded, report.skipped.len());
//! # let _ = val;
//! # Ok(())
//! # }
//! ```

mod transform;

use std::collections::BTreeSet;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use fovea_core::Tensor;

use super::{data_error, Dataset};
use crate::{Error, Result};

pub use transform::{
    center_crop, flip_horizontal, load_rgb, random_crop, resize_shorter_side, rgb_to_tensor, RgbImage,
};

/// The listing of an image-folder dataset: its classes and, per split, its image files
/// with their class indices. Opening reads only directory entries; images are decoded
/// by [`ImageFolder::load_split`] or by the caller from [`ImageFolder::files`].
#[derive(Clone, Debug)]
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    splits: Vec<Split>,
}

#[derive(Clone, Debug)]
struct Split {
    name: &'static str,
    files: Vec<(PathBuf, usize)>,
}

/// What [`ImageFolder::load_split`] decoded and what it had to skip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// The number of images in the dataset.
    pub loaded: usize,
    /// Each file that could not be read or decoded, with the reason, in listing order.
    pub skipped: Vec<(PathBuf, String)>,
}

/// One class folder of one split: its name and its image files, sorted.
type ClassFiles = (String, Vec<PathBuf>);

impl ImageFolder {
    /// The split folders looked for, in the order [`ImageFolder::splits`] lists them.
    pub const SPLITS: [&'static str; 3] = ["train", "val", "test"];

    /// The file extensions read as images, compared case-insensitively. Other files are
    /// ignored, so a README or a `.DS_Store` beside the images does no harm.
    pub const EXTENSIONS: [&'static str; 5] = ["png", "jpg", "jpeg", "bmp", "webp"];

    /// Lists `root`: the splits among `train`, `val` and `test` that are present (at
    /// least one), the classes (the sub-folder names of each split, sorted by byte order
    /// as Keras sorts them) and their image files (found by extension, in sub-folders
    /// too, sorted by path). Every split must have the same classes, so that a class
    /// index means the same class in each.
    ///
    /// Errors name the folder and the values involved: no split folder, a split with no
    /// class folders, a class folder with no images, a class present in one split but
    /// missing from another, a folder that cannot be listed or a non-UTF-8 class name.
    pub fn open(root: impl AsRef<Path>) -> Result<ImageFolder> {
        let root = root.as_ref();
        if !root.is_dir() {
            return Err(data_error(
                root.display().to_string(),
                "not a folder (expected ROOT/{train,val,test}/<class>/<image>)",
            ));
        }
        let mut found: Vec<(&'static str, Vec<ClassFiles>)> = Vec::new();
        for name in ImageFolder::SPLITS {
            let dir = root.join(name);
            if dir.is_dir() {
                found.push((name, scan_split(&dir)?));
            }
        }
        if found.is_empty() {
            let entries: Vec<String> = sorted_entries(root)?
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            return Err(data_error(
                root.display().to_string(),
                format!(
                    "no split folder: expected at least one of {} (found {:?}); the layout is \
                     ROOT/{{train,val,test}}/<class>/<image>",
                    ImageFolder::SPLITS.join(", "),
                    entries
                ),
            ));
        }
        let classes = shared_classes(root, &found)?;
        // Every split now has exactly `classes`, sorted, so position is the class index.
        let splits = found
            .into_iter()
            .map(|(name, per_class)| Split {
                name,
                files: per_class
                    .into_iter()
                    .enumerate()
                    .flat_map(|(label, (_, files))| files.into_iter().map(move |f| (f, label)))
                    .collect(),
            })
            .collect();
        Ok(ImageFolder { root: root.to_path_buf(), classes, splits })
    }

    /// The folder this dataset was opened from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The class names; a label is an index into this list.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The splits present, in the order `train`, `val`, `test`.
    pub fn splits(&self) -> Vec<&str> {
        self.splits.iter().map(|s| s.name).collect()
    }

    /// The image files of `split` with their class indices, grouped by class in class
    /// order and sorted within a class. Errors when the split is not present.
    pub fn files(&self, split: &str) -> Result<&[(PathBuf, usize)]> {
        match self.splits.iter().find(|s| s.name == split) {
            Some(s) => Ok(&s.files),
            None => Err(data_error(
                self.root.display().to_string(),
                format!("no split '{split}'; this folder has {}", self.splits().join(", ")),
            )),
        }
    }

    /// The number of image files in `split`. Errors when the split is not present.
    pub fn len(&self, split: &str) -> Result<usize> {
        Ok(self.files(split)?.len())
    }

    /// Decodes every image of `split` (on [`fovea_core::num_threads`] threads), resizes
    /// its shorter side to `shorter_side` and crops the centre `size x size`: AlexNet's
    /// evaluation preprocessing, with `size` 224 or 227 and `shorter_side` 256. The whole
    /// split is held in memory, 12 bytes a pixel; for ImageNet's training set, read
    /// [`ImageFolder::files`] a batch at a time instead.
    ///
    /// A file that cannot be read or decoded is skipped, not an error: a line
    /// `warning: <path>: <reason>, skipped` goes to stderr and the file is listed in the
    /// [`LoadReport`]. Errors when every file fails, when `size` is 0 or larger than
    /// `shorter_side`, or when the split is not present.
    ///
    /// # Shapes
    /// Returns features `(n, size, size, 3)` f32 in `[0, 1]` and labels `(n,)` int64,
    /// `n` the number of images decoded, in [`ImageFolder::files`] order.
    pub fn load_split(&self, split: &str, size: usize, shorter_side: usize) -> Result<(Dataset, LoadReport)> {
        let files = self.files(split)?;
        let what = self.root.join(split).display().to_string();
        if size == 0 || size > shorter_side {
            return Err(data_error(
                &what,
                format!(
                    "cannot crop {size}x{size} after resizing the shorter side to {shorter_side}; \
                     need 0 < size <= shorter_side"
                ),
            ));
        }
        let cannot_hold =
            || data_error(&what, format!("cannot hold {} images of {size}x{size}x3 f32 in memory", files.len()));
        let per = size.checked_mul(size).and_then(|v| v.checked_mul(3)).ok_or_else(cannot_hold)?;
        let total = files.len().checked_mul(per).ok_or_else(cannot_hold)?;
        // try_reserve so that a split too large for memory is an error, not an abort.
        let mut pixels: Vec<f32> = Vec::new();
        pixels.try_reserve_exact(total).map_err(|_| cannot_hold())?;
        pixels.resize(total, 0.0);

        let outcomes = decode_into_slots(files, &mut pixels, per, fovea_core::num_threads(), |path, out| {
            let img = load_rgb(path)?;
            let img = center_crop(&resize_shorter_side(&img, shorter_side)?, size, size)?;
            transform::write_unit_floats(&img, out);
            Ok(())
        });

        // Close the gaps that skipped files left, keeping listing order.
        let mut labels = Vec::with_capacity(files.len());
        let mut skipped = Vec::new();
        for (i, ((path, label), outcome)) in files.iter().zip(outcomes).enumerate() {
            match outcome {
                Ok(()) => {
                    let kept = labels.len();
                    pixels.copy_within(i * per..(i + 1) * per, kept * per);
                    labels.push(*label as i64);
                }
                Err(reason) => skipped.push((path.clone(), reason)),
            }
        }
        for (path, reason) in &skipped {
            eprintln!("warning: {}: {reason}, skipped", path.display());
        }
        let n = labels.len();
        if n == 0 {
            let first = skipped.first().map(|(p, r)| format!("{}: {r}", p.display())).unwrap_or_default();
            return Err(data_error(
                &what,
                format!("none of the {} images could be loaded; the first, {first}", files.len()),
            ));
        }
        pixels.truncate(n * per);
        let x = Tensor::from_vec(pixels, [n, size, size, 3])?;
        let y = Tensor::from_vec_i64(labels, [n])?;
        Ok((Dataset::new(x, y)?, LoadReport { loaded: n, skipped }))
    }
}

/// The entries of `dir`, sorted by name.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let cannot = |e: std::io::Error| data_error(dir.display().to_string(), format!("cannot list the folder: {e}"));
    let mut paths = fs::read_dir(dir)
        .map_err(cannot)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(cannot)?;
    paths.sort();
    Ok(paths)
}

/// The class folders of one split with their images, sorted by class name.
fn scan_split(dir: &Path) -> Result<Vec<ClassFiles>> {
    let mut classes = Vec::new();
    // is_dir follows links, as Keras's os.path.isdir does: a class may be a symlink.
    for class_dir in sorted_entries(dir)?.into_iter().filter(|p| p.is_dir()) {
        let name = match class_dir.file_name().and_then(|n| n.to_str()) {
            Some(name) => name.to_string(),
            None => return Err(data_error(class_dir.display().to_string(), "class folder name is not valid UTF-8")),
        };
        let mut files = Vec::new();
        collect_images(&class_dir, &mut files)?;
        if files.is_empty() {
            return Err(data_error(
                class_dir.display().to_string(),
                format!(
                    "class folder '{name}' holds no images (files ending in .{})",
                    ImageFolder::EXTENSIONS.join(", .")
                ),
            ));
        }
        files.sort();
        classes.push((name, files));
    }
    if classes.is_empty() {
        return Err(data_error(
            dir.display().to_string(),
            "split holds no images: expected class folders with images in them, as <split>/<class>/<image>",
        ));
    }
    // Byte order, as Keras sorts class names (so 'Zebra' comes before 'ant').
    classes.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(classes)
}

/// Appends the image files under `dir`, sub-folders included, as Keras and torchvision
/// walk a class folder.
fn collect_images(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for path in sorted_entries(dir)? {
        // symlink_metadata: a linked sub-folder is not walked, as Keras's
        // os.walk(followlinks=False) does, which also rules out link cycles.
        let real_dir = fs::symlink_metadata(&path).map(|m| m.is_dir()).unwrap_or(false);
        if real_dir {
            collect_images(&path, out)?;
        } else if has_image_extension(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn has_image_extension(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    ImageFolder::EXTENSIONS.iter().any(|known| known.eq_ignore_ascii_case(ext))
}

/// The sorted union of the splits' classes; errors on the first class (in class order)
/// that some split lacks, naming a split that has it and the one that lacks it.
fn shared_classes(root: &Path, found: &[(&'static str, Vec<ClassFiles>)]) -> Result<Vec<String>> {
    let all: BTreeSet<&str> = found.iter().flat_map(|(_, cs)| cs.iter().map(|c| c.0.as_str())).collect();
    for class in &all {
        let has = |cs: &[ClassFiles]| cs.iter().any(|c| c.0 == *class);
        if let Some((lacking, _)) = found.iter().find(|(_, cs)| !has(cs)) {
            let holder = found.iter().find(|(_, cs)| has(cs)).map_or("", |(name, _)| *name);
            return Err(data_error(
                root.display().to_string(),
                format!(
                    "class '{class}' is in split '{holder}' ({}) but missing from split '{lacking}' ({}); \
                     every split needs the same class folders",
                    root.join(holder).join(class).display(),
                    root.join(lacking).display()
                ),
            ));
        }
    }
    Ok(all.into_iter().map(String::from).collect())
}

/// The message of a data error without the file name that the warning line prints
/// beside it.
fn reason(e: Error) -> String {
    match e {
        Error::Data { msg, .. } => msg,
        other => other.to_string(),
    }
}

/// Runs `job(path, slot)` for every file on up to `threads` threads, where slot `i` is
/// `out[i * per..(i + 1) * per]`, and returns each file's outcome in file order. A file
/// writes only its own slot, so the pixels never depend on the thread count or on which
/// thread took which file. A panicking decoder fails only its own file.
fn decode_into_slots(
    files: &[(PathBuf, usize)],
    out: &mut [f32],
    per: usize,
    threads: usize,
    job: impl Fn(&Path, &mut [f32]) -> Result<()> + Sync,
) -> Vec<std::result::Result<(), String>> {
    // A shared queue rather than fixed shares: image sizes vary, so threads that
    // finish early take more files.
    let queue = Mutex::new(files.iter().zip(out.chunks_mut(per)).enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((i, ((path, _), slot))) = next else { return done };
            let outcome = match panic::catch_unwind(AssertUnwindSafe(|| job(path, slot))) {
                Ok(result) => result.map_err(reason),
                Err(_) => Err("the decoder panicked".to_string()),
            };
            done.push((i, outcome));
        }
    };
    let finished: Vec<(usize, std::result::Result<(), String>)> = std::thread::scope(|s| {
        // A helper that cannot be started leaves its share to the others and to this thread.
        let helpers: Vec<_> = (1..threads.min(files.len()))
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let mut finished = work();
        for helper in helpers {
            finished.extend(helper.join().unwrap_or_default());
        }
        finished
    });
    let mut outcomes: Vec<std::result::Result<(), String>> =
        vec![Err("the decoding thread stopped before reaching it".to_string()); files.len()];
    for (i, outcome) in finished {
        outcomes[i] = outcome;
    }
    outcomes
}
