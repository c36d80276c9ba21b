//! The data pipeline: loader determinism and coverage, augmentation statistics, IDX,
//! MNIST folders and image decoding.

use std::io::Write;
use std::path::{Path, PathBuf};

use fovea_core::{Rng, Tensor};
use fovea_nn::data::*;

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-data-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `n` samples of shape (2, 2, 3) whose values encode the sample index; labels 0..n.
fn toy(n: usize) -> Dataset {
    let x: Vec<f32> = (0..n).flat_map(|i| (0..12).map(move |k| i as f32 + k as f32 / 100.0)).collect();
    let x = Tensor::from_vec(x, [n, 2, 2, 3]).unwrap();
    let y = Tensor::from_vec_i64((0..n as i64).collect(), [n]).unwrap();
    Dataset::new(x, y).unwrap()
}

fn config(batch_size: usize, seed: u64) -> LoaderConfig {
    LoaderConfig { batch_size, seed, ..Default::default() }
}

/// All batches of an epoch as plain vectors.
fn collect(loader: &Loader, epoch: usize, training: bool) -> Vec<(Vec<f32>, Vec<i64>)> {
    loader
        .epoch(epoch, training)
        .unwrap()
        .map(|b| {
            let (x, y) = b.unwrap();
            (x.to_vec_f32().unwrap(), y.to_vec_i64().unwrap())
        })
        .collect()
}

fn labels(batches: &[(Vec<f32>, Vec<i64>)]) -> Vec<i64> {
    batches.iter().flat_map(|b| b.1.clone()).collect()
}

fn augmented(n: usize, seed: u64, prefetch: bool) -> Loader {
    let cfg = LoaderConfig { prefetch, ..config(4, seed) };
    let pca =
        PcaColor { std: 0.1, eigenvalues: [0.2, 0.1, 0.05], eigenvectors: [[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]] };
    Loader::new(toy(n), cfg).unwrap().with_augment(Pipeline::new().then(RandomFlip).then(pca))
}

#[test]
fn same_seed_gives_the_same_order_and_other_seeds_or_epochs_differ() {
    let a = labels(&collect(&Loader::new(toy(50), config(8, 7)).unwrap(), 0, true));
    let b = labels(&collect(&Loader::new(toy(50), config(8, 7)).unwrap(), 0, true));
    let c = labels(&collect(&Loader::new(toy(50), config(8, 8)).unwrap(), 0, true));
    let d = labels(&collect(&Loader::new(toy(50), config(8, 7)).unwrap(), 1, true));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, d);
    assert_ne!(a, (0..50).collect::<Vec<_>>());
}

#[test]
fn resuming_at_an_epoch_reproduces_its_batches() {
    let run = augmented(30, 3, true);
    let _ = (collect(&run, 0, true), collect(&run, 1, true));
    let third = collect(&run, 2, true);
    let resumed = collect(&augmented(30, 3, true), 2, true);
    assert_eq!(third, resumed);
}

#[test]
fn every_sample_is_seen_once_per_epoch() {
    let loader = Loader::new(toy(37), config(5, 1)).unwrap();
    for epoch in 0..3 {
        let batches = collect(&loader, epoch, true);
        let mut seen = labels(&batches);
        seen.sort();
        assert_eq!(seen, (0..37).collect::<Vec<_>>());
        // Features travel with their labels.
        for (x, y) in &batches {
            for (i, &label) in y.iter().enumerate() {
                assert_eq!(x[i * 12], label as f32);
            }
        }
    }
}

#[test]
fn last_partial_batch_is_kept_unless_drop_remainder() {
    let loader = Loader::new(toy(10), config(4, 0)).unwrap();
    let sizes: Vec<usize> = collect(&loader, 0, true).iter().map(|b| b.1.len()).collect();
    assert_eq!((sizes, loader.num_batches()), (vec![4, 4, 2], 3));
    let drop = Loader::new(toy(10), LoaderConfig { drop_remainder: true, ..config(4, 0) }).unwrap();
    let sizes: Vec<usize> = collect(&drop, 0, true).iter().map(|b| b.1.len()).collect();
    assert_eq!((sizes, drop.num_batches()), (vec![4, 4], 2));
}

#[test]
fn prefetch_gives_the_same_batches_as_direct_iteration() {
    for epoch in 0..2 {
        assert_eq!(collect(&augmented(23, 5, true), epoch, true), collect(&augmented(23, 5, false), epoch, true));
    }
}

#[test]
fn batches_do_not_depend_on_the_thread_count() {
    // Big enough that the augmentation's normal draws span several parallel chunks.
    let make = || {
        let x = Rng::new(9).uniform([64, 32, 32, 3], 0.0, 1.0).unwrap();
        let y = Tensor::from_vec_i64((0..64).collect(), [64]).unwrap();
        let pca = PcaColor { std: 0.1, eigenvalues: [0.2, 0.1, 0.05], eigenvectors: [[1., 0., 0.]; 3] };
        let aug = Pipeline::new()
            .then(RandomCrop { height: 28, width: 28, padding: 2 })
            .then(RandomFlip)
            .then(RandomTranslation { height_factor: 0.1, width_factor: 0.1 })
            .then(pca);
        Loader::new(Dataset::new(x, y).unwrap(), config(16, 4)).unwrap().with_augment(aug)
    };
    fovea_core::set_num_threads(1).unwrap();
    let one = collect(&make(), 0, true);
    fovea_core::set_num_threads(2).unwrap();
    let two = collect(&make(), 0, true);
    assert_eq!(one, two);
}

#[test]
fn inference_epochs_keep_order_skip_augmentation_but_preprocess() {
    let norm = Normalize { mean: vec![0.0; 3], std: vec![0.5; 3] };
    let loader = Loader::new(toy(9), config(4, 2)).unwrap().with_augment(RandomFlip).with_preprocess(norm);
    let batches = collect(&loader, 0, false);
    assert_eq!(labels(&batches), (0..9).collect::<Vec<_>>());
    let (x, _) = toy(9).take(&[0, 1, 2, 3]).unwrap();
    let doubled: Vec<f32> = x.to_vec_f32().unwrap().iter().map(|v| v * 2.0).collect();
    assert_eq!(batches[0].0, doubled);
}

#[test]
fn worker_errors_arrive_as_err_and_end_the_epoch() {
    let bad = Normalize { mean: vec![0.0], std: vec![1.0] }; // 1 channel for 3-channel data
    for prefetch in [true, false] {
        let cfg = LoaderConfig { prefetch, ..config(4, 0) };
        let loader = Loader::new(toy(9), cfg).unwrap().with_preprocess(bad.clone());
        let mut it = loader.epoch(0, true).unwrap();
        let err = it.next().unwrap().err().unwrap().to_string();
        assert!(err.contains("Normalize: got 1 means and 1 stds for 3 channels"), "{err}");
        if prefetch {
            assert!(it.next().is_none(), "the worker stops after an error");
        }
    }
}

#[test]
fn dropping_a_half_read_epoch_stops_the_worker() {
    let loader = Loader::new(toy(200), config(2, 0)).unwrap();
    let mut it = loader.epoch(0, true).unwrap();
    assert!(it.next().unwrap().is_ok());
    drop(it); // joins; would hang if the worker stayed blocked on a full channel
}

#[test]
fn zero_batch_size_is_an_error() {
    let err = Loader::new(toy(3), config(0, 0)).err().unwrap().to_string();
    assert!(err.contains("batch_size must be at least 1"), "{err}");
}

#[test]
fn validation_split_takes_the_tail() {
    let (train, val) = toy(10).split(0.25).unwrap();
    // floor(10 * 0.75) = 7 training samples.
    assert_eq!(train.labels().to_vec_i64().unwrap(), (0..7).collect::<Vec<_>>());
    assert_eq!(val.labels().to_vec_i64().unwrap(), vec![7, 8, 9]);
    assert_eq!(val.features().dims(), &[3, 2, 2, 3]);
    assert_eq!(val.features().to_vec_f32().unwrap()[0], 7.0);
    let err = toy(10).split(0.0).err().unwrap().to_string();
    assert!(err.contains("`validation_split` must be between 0 and 1"), "{err}");
}

#[test]
fn pca_colour_shift_has_the_requested_std_along_each_eigenvector() {
    // A rotation as eigenvectors, so the projection onto vector k is alpha_k * lambda_k.
    let (c, s) = (0.6f32, 0.8f32);
    let pca =
        PcaColor { std: 0.1, eigenvalues: [2.0, 1.0, 0.5], eigenvectors: [[c, -s, 0.], [s, c, 0.], [0., 0., 1.]] };
    let n = 20000;
    let x = Tensor::zeros([n, 2, 2, 3]).unwrap();
    let y = pca.apply(&x, &mut Rng::new(11)).unwrap().to_vec_f32().unwrap();
    for k in 0..3 {
        let proj: Vec<f64> = y
            .chunks(12)
            .map(|img| {
                // Every pixel of an image gets the same shift.
                assert_eq!(img[..3], img[9..]);
                (0..3).map(|ch| (img[ch] * pca.eigenvectors[ch][k]) as f64).sum()
            })
            .collect();
        let mean = proj.iter().sum::<f64>() / n as f64;
        let std = (proj.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let want = 0.1 * pca.eigenvalues[k] as f64;
        assert!(mean.abs() < 4.0 * want / (n as f64).sqrt(), "k={k}: mean {mean}");
        assert!((std / want - 1.0).abs() < 0.03, "k={k}: std {std}, want {want}");
    }
}

#[test]
fn random_crop_without_padding_gives_alexnet_227_from_256() {
    let x = Rng::new(0).uniform([2, 256, 256, 3], 0.0, 1.0).unwrap();
    let y = RandomCrop { height: 227, width: 227, padding: 0 }.apply(&x, &mut Rng::new(1)).unwrap();
    assert_eq!(y.dims(), &[2, 227, 227, 3]);
}

// ----- IDX -----------------------------------------------------------------------------

fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn idx_round_trips_plain_and_gzipped() {
    let dir = scratch("idx-round-trip");
    let pixels: Vec<u8> = (0..12).map(|v| v * 20).collect();
    let raw = idx_bytes(&[2, 3, 2], &pixels);
    for (name, bytes) in [("img", raw.clone()), ("img.gz", gzip(&raw))] {
        let p = write(&dir, name, &bytes);
        assert_eq!(read_idx(&p).unwrap(), IdxArray { dims: vec![2, 3, 2], data: pixels.clone() });
        let t = read_idx_images(&p).unwrap();
        assert_eq!(t.dims(), &[2, 3, 2, 1]);
        let want: Vec<f32> = pixels.iter().map(|&v| v as f32 / 255.0).collect();
        assert_eq!(t.to_vec_f32().unwrap(), want);
    }
    let p = write(&dir, "lab.gz", &gzip(&idx_bytes(&[3], &[9, 0, 4])));
    let y = read_idx_labels(&p).unwrap();
    assert_eq!((y.dtype(), y.to_vec_i64().unwrap()), (fovea_core::DType::I64, vec![9, 0, 4]));
}

#[test]
fn broken_idx_files_are_errors_naming_the_file() {
    let dir = scratch("idx-broken");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", idx_bytes(&[2, 3], &[1, 2, 3]), "(6 bytes of data) but the file holds 3 bytes"),
        ("truncated.gz", gzip(&idx_bytes(&[2, 3], &[1, 2, 3])), "(6 bytes of data) but the data holds 3 bytes"),
        ("trailing.gz", gzip(&idx_bytes(&[2], &[1, 2, 3])), "but the data holds more bytes"),
        ("absurd", idx_bytes(&[u32::MAX, u32::MAX], &[0; 8]), "but the file holds 8 bytes"),
        ("overflow", idx_bytes(&[u32::MAX, u32::MAX, u32::MAX], &[0; 8]), "overflow the element count"),
        ("absurd.gz", gzip(&idx_bytes(&[u32::MAX, u32::MAX], &[0; 8])), "the data holds 8 bytes"),
        ("magic", vec![1, 0, 8, 1, 0, 0, 0, 1, 7], "bad IDX magic number"),
        ("dtype", vec![0, 0, 0x0d, 1, 0, 0, 0, 1, 7, 7, 7, 7], "element type 0x0d is not supported"),
        ("short", vec![0, 0, 8], "too short for an IDX header"),
        ("dims", vec![0, 0, 8, 2, 0, 0, 0, 1], "too short for the 2 dimension sizes"),
    ];
    for (name, bytes, want) in cases {
        let p = write(&dir, name, &bytes);
        let err = read_idx(&p).err().unwrap().to_string();
        assert!(err.contains(want) && err.contains(name), "{name}: {err}");
    }
    let err = read_idx(dir.join("absent")).err().unwrap().to_string();
    assert!(err.contains("absent: cannot open"), "{err}");
    let p = write(&dir, "labels-as-images", &idx_bytes(&[3], &[1, 2, 3]));
    let err = read_idx_images(&p).err().unwrap().to_string();
    assert!(err.contains("expected 3 IDX dimensions (N, H, W) for images, got [3]"), "{err}");
}

#[test]
fn mnist_folder_loads_train_and_test_and_names_missing_files() {
    let dir = scratch("mnist-dir");
    write(&dir, "train-images-idx3-ubyte.gz", &gzip(&idx_bytes(&[2, 2, 2], &[0, 255, 0, 255, 1, 2, 3, 4])));
    write(&dir, "train-labels-idx1-ubyte", &idx_bytes(&[2], &[3, 5]));
    write(&dir, "t10k-images-idx3-ubyte", &idx_bytes(&[1, 2, 2], &[9, 9, 9, 9]));
    let err = load_mnist_dir(&dir).err().unwrap().to_string();
    assert!(err.contains("missing t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)"), "{err}");
    write(&dir, "t10k-labels-idx1-ubyte.gz", &gzip(&idx_bytes(&[1], &[7])));
    let (train, test) = load_mnist_dir(&dir).unwrap();
    assert_eq!((train.len(), test.len()), (2, 1));
    assert_eq!(train.features().dims(), &[2, 2, 2, 1]);
    assert_eq!(train.features().to_vec_f32().unwrap()[..2], [0.0, 1.0]);
    assert_eq!(test.labels().to_vec_i64().unwrap(), vec![7]);
}

#[test]
fn fashion_mnist_loads_from_the_debian_package() {
    if !Path::new(FASHION_MNIST_DIR).is_dir() {
        let err = fashion_mnist().err().unwrap().to_string();
        assert!(err.contains("apt-get install -y dataset-fashion-mnist") && err.contains(FASHION_MNIST_DIR));
        println!("note: {FASHION_MNIST_DIR} is absent; skipping the Fashion-MNIST load test");
        return;
    }
    let (train, test) = fashion_mnist().unwrap();
    assert_eq!((train.len(), test.len()), (60000, 10000));
    assert_eq!(train.features().dims(), &[60000, 28, 28, 1]);
    for ds in [&train, &test] {
        let mut counts = [0usize; 10];
        for l in ds.labels().to_vec_i64().unwrap() {
            counts[usize::try_from(l).unwrap()] += 1;
        }
        // Both splits are balanced: 6000 / 1000 per class.
        assert!(counts.iter().all(|&c| c == ds.len() / 10), "{counts:?}");
    }
    let px = test.features().to_vec_f32().unwrap();
    let (lo, hi) = px.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    assert_eq!((lo, hi), (0.0, 1.0));
}

// ----- images --------------------------------------------------------------------------

#[test]
fn png_and_jpeg_decode_into_nhwc_in_unit_range() {
    let dir = scratch("images");
    // 3 wide, 2 high; pixel (x, y) = (40x, 100y, 200).
    let rgb = image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([(40 * x) as u8, (100 * y) as u8, 200]));
    let png = dir.join("a.png");
    rgb.save(&png).unwrap();
    let t = load_image(&png, ColorMode::Rgb).unwrap();
    assert_eq!(t.dims(), &[1, 2, 3, 3]);
    let v = t.to_vec_f32().unwrap();
    // Pixel (x=2, y=1) sits at row 1, column 2.
    assert_eq!(v[(3 + 2) * 3..(3 + 2) * 3 + 3], [80.0 / 255.0, 100.0 / 255.0, 200.0 / 255.0]);
    let grey = load_image(&png, ColorMode::Grayscale).unwrap();
    assert_eq!(grey.dims(), &[1, 2, 3, 1]);

    // JPEG is lossy: a flat colour comes back within a few levels.
    let flat = image::RgbImage::from_pixel(16, 8, image::Rgb([200, 100, 50]));
    let jpg = dir.join("b.jpg");
    flat.save(&jpg).unwrap();
    let t = load_image(&jpg, ColorMode::Rgb).unwrap();
    assert_eq!(t.dims(), &[1, 8, 16, 3]);
    let v = t.to_vec_f32().unwrap();
    for (i, want) in [200.0f32, 100.0, 50.0].iter().enumerate() {
        assert!((v[i] * 255.0 - want).abs() <= 3.0, "channel {i}: {}", v[i] * 255.0);
    }

    let both = load_images(&[&png, &png], ColorMode::Rgb).unwrap();
    assert_eq!(both.dims(), &[2, 2, 3, 3]);
    let err = load_images(&[&png, &jpg], ColorMode::Rgb).err().unwrap().to_string();
    assert!(err.contains("b.jpg: image is 8x16 but") && err.contains("a.png is 2x3"), "{err}");
}

#[test]
fn undecodable_images_are_errors_naming_the_file() {
    let dir = scratch("bad-images");
    let p = write(&dir, "junk.png", b"not an image at all");
    let err = load_image(&p, ColorMode::Rgb).err().unwrap().to_string();
    assert!(err.contains("junk.png") && err.contains("not a PNG or JPEG"), "{err}");
    let mut truncated = Vec::new();
    image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]))
        .write_to(&mut std::io::Cursor::new(&mut truncated), image::ImageFormat::Png)
        .unwrap();
    let p = write(&dir, "cut.png", &truncated[..truncated.len() / 2]);
    let err = load_image(&p, ColorMode::Rgb).err().unwrap().to_string();
    assert!(err.contains("cut.png: cannot decode image"), "{err}");
    let err = load_image(dir.join("nope.jpg"), ColorMode::Rgb).err().unwrap().to_string();
    assert!(err.contains("nope.jpg: cannot read"), "{err}");
}
