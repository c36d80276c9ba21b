//! Image-folder datasets: listing, class order, decoding of every pixel format to RGB,
//! AlexNet's resize and crops, skipping of corrupt files, and the error messages.

use std::path::{Path, PathBuf};

use fovea_core::{DType, Rng};
use fovea_nn::data::*;
use image::{GrayAlphaImage, GrayImage, ImageBuffer, LumaA, Rgb, Rgba, RgbaImage};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-folder-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a `w x h` image of one colour to `path` (format from the extension).
fn solid(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    RgbImage::from_pixel(w, h, Rgb(rgb)).save(path).unwrap();
}

/// Writes raw bytes to `path`.
fn junk(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// An image whose pixel (x, y) is (x, y, 7), so a crop's offset can be read off it.
fn coordinates(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([x as u8, y as u8, 7]))
}

/// `ROOT/{train,val}/{cat,dog}/` with two solid images per class in train and one in val.
fn two_class_folder(name: &str) -> PathBuf {
    let root = scratch(name);
    solid(&root.join("train/cat/a.png"), 6, 4, [255, 0, 0]);
    solid(&root.join("train/cat/b.png"), 4, 6, [250, 0, 0]);
    solid(&root.join("train/dog/a.png"), 5, 5, [0, 0, 255]);
    solid(&root.join("train/dog/b.png"), 8, 5, [0, 0, 250]);
    solid(&root.join("val/cat/c.png"), 5, 5, [255, 0, 0]);
    solid(&root.join("val/dog/c.png"), 5, 5, [0, 0, 255]);
    root
}

fn err_text<T>(r: fovea_nn::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn classes_are_sorted_in_byte_order_and_splits_in_train_val_test_order() {
    let root = scratch("order");
    for split in ["test", "train"] {
        for class in ["b", "B", "a", "_x"] {
            solid(&root.join(split).join(class).join("0.png"), 2, 2, [1, 2, 3]);
        }
    }
    let folder = ImageFolder::open(&root).unwrap();
    assert_eq!(folder.classes(), ["B", "_x", "a", "b"]);
    assert_eq!(folder.splits(), ["train", "test"]);
    let labels: Vec<(String, usize)> = folder
        .files("test")
        .unwrap()
        .iter()
        .map(|(p, l)| (p.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned(), *l))
        .collect();
    let expected: Vec<(String, usize)> =
        ["B", "_x", "a", "b"].iter().enumerate().map(|(i, c)| (c.to_string(), i)).collect();
    assert_eq!(labels, expected);
}

#[test]
fn files_are_found_by_extension_in_any_case_sorted_and_others_ignored() {
    let root = scratch("extensions");
    let class = root.join("train/only");
    solid(&class.join("e.PNG"), 2, 2, [0; 3]);
    solid(&class.join("a.jpg"), 2, 2, [0; 3]);
    solid(&class.join("c.JpEg"), 2, 2, [0; 3]);
    solid(&class.join("b.bmp"), 2, 2, [0; 3]);
    solid(&class.join("d.webp"), 2, 2, [0; 3]);
    solid(&class.join("nested/f.png"), 2, 2, [0; 3]);
    junk(&class.join("notes.txt"), b"not an image");
    junk(&class.join("g.gif"), b"GIF89a");
    junk(&root.join("train/stray.png"), b"a file directly in the split is not a class");
    let folder = ImageFolder::open(&root).unwrap();
    let names: Vec<String> = folder
        .files("train")
        .unwrap()
        .iter()
        .map(|(p, _)| p.strip_prefix(&class).unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.jpg", "b.bmp", "c.JpEg", "d.webp", "e.PNG", "nested/f.png"]);
    assert_eq!(folder.len("train").unwrap(), 6);
    assert_eq!(folder.classes(), ["only"]);
}

#[test]
fn load_split_gives_nhwc_features_and_int64_labels_in_listing_order() {
    let folder = ImageFolder::open(two_class_folder("shapes")).unwrap();
    let (train, report) = folder.load_split("train", 3, 4).unwrap();
    assert_eq!(train.features().dims(), &[4, 3, 3, 3]);
    assert_eq!(train.features().dtype(), DType::F32);
    assert_eq!(train.labels().dtype(), DType::I64);
    assert_eq!(train.labels().to_vec_i64().unwrap(), vec![0, 0, 1, 1]);
    assert_eq!(report, LoadReport { loaded: 4, skipped: vec![] });
    let (val, _) = folder.load_split("val", 5, 5).unwrap();
    assert_eq!(val.features().dims(), &[2, 5, 5, 3]);
    assert_eq!(val.labels().to_vec_i64().unwrap(), vec![0, 1]);
}

#[test]
fn a_solid_colour_image_keeps_its_colour_through_resize_and_crop() {
    let root = scratch("solid");
    solid(&root.join("val/x/wide.png"), 40, 30, [10, 200, 30]);
    solid(&root.join("val/x/tall.png"), 7, 19, [10, 200, 30]);
    let (ds, _) = ImageFolder::open(&root).unwrap().load_split("val", 8, 12).unwrap();
    let x = ds.features().to_vec_f32().unwrap();
    assert_eq!(x.len(), 2 * 8 * 8 * 3);
    for px in x.chunks(3) {
        for (got, want) in px.iter().zip([10.0f32, 200.0, 30.0]) {
            assert!((got * 255.0 - want).abs() < 0.5, "{px:?}");
        }
    }
}

#[test]
fn load_split_crops_the_centre_without_transposing_rows_and_columns() {
    let root = scratch("centre");
    std::fs::create_dir_all(root.join("train/x")).unwrap();
    // 12 wide, 4 high: the shorter side is already 4, so only the crop acts; it must
    // start at column (12 - 4) / 2 = 4.
    coordinates(12, 4).save(root.join("train/x/grid.png")).unwrap();
    let (ds, _) = ImageFolder::open(&root).unwrap().load_split("train", 4, 4).unwrap();
    let x = ds.features().to_vec_f32().unwrap();
    for y in 0..4 {
        for c in 0..4 {
            let at = (y * 4 + c) * 3;
            let got = [x[at] * 255.0, x[at + 1] * 255.0, x[at + 2] * 255.0];
            assert_eq!(got.map(|v| v.round() as u32), [c as u32 + 4, y as u32, 7], "pixel (row {y}, col {c})");
        }
    }
}

#[test]
fn every_pixel_format_decodes_to_8_bit_rgb() {
    let dir = scratch("formats");
    let cases: Vec<(&str, [u8; 3], u8)> = {
        GrayImage::from_pixel(3, 2, image::Luma([100])).save(dir.join("grey.png")).unwrap();
        GrayAlphaImage::from_pixel(3, 2, LumaA([50, 0])).save(dir.join("grey_alpha.png")).unwrap();
        RgbaImage::from_pixel(3, 2, Rgba([1, 2, 3, 0])).save(dir.join("rgba.png")).unwrap();
        ImageBuffer::<Rgb<u16>, Vec<u16>>::from_pixel(3, 2, Rgb([65535, 0, 32896])).save(dir.join("deep.png")).unwrap();
        solid(&dir.join("photo.jpg"), 3, 2, [200, 40, 40]);
        solid(&dir.join("bitmap.bmp"), 3, 2, [9, 99, 199]);
        solid(&dir.join("lossless.webp"), 3, 2, [7, 77, 177]);
        junk(&dir.join("cmyk.jpg"), &CMYK_JPEG);
        vec![
            ("grey.png", [100, 100, 100], 0),
            ("grey_alpha.png", [50, 50, 50], 0),
            ("rgba.png", [1, 2, 3], 0),
            ("deep.png", [255, 0, 128], 0),
            ("photo.jpg", [200, 40, 40], 3),
            ("bitmap.bmp", [9, 99, 199], 0),
            ("lossless.webp", [7, 77, 177], 0),
            ("cmyk.jpg", [200, 40, 40], 3),
        ]
    };
    for (name, want, tolerance) in cases {
        let img = load_rgb(dir.join(name)).unwrap();
        let (w, h) = if name == "cmyk.jpg" { (8, 8) } else { (3, 2) };
        assert_eq!(img.dimensions(), (w, h), "{name}");
        for px in img.pixels() {
            let close = px.0.iter().zip(want).all(|(&g, w)| g.abs_diff(w) <= tolerance);
            assert!(close, "{name}: got {:?}, want {want:?}", px.0);
        }
    }
}

/// An 8x8 CMYK JPEG of C=0, M=204, Y=204, K=55 (Adobe APP14 marker), which Pillow
/// shows as RGB (200, 40, 40). Made with Pillow 12:
/// `Image.new("CMYK", (8, 8), (0, 204, 204, 55)).save("cmyk.jpg", quality=95)`.
const CMYK_JPEG: [u8; 353] = hex(concat!(
    "ffd8ffee000e41646f626500640000000000ffdb00430002010101010102010101020202020204030202020205040403",
    "04060506060605060606070908060709070606080b08090a0a0a0a0a06080b0c0b0a0c090a0a0affc000140800080008",
    "044311004d11005911004b1100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc4",
    "00b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c115",
    "52d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566",
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2",
    "c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda000e0443004d005900",
    "4b00003f00fdfcafccbafccbafd20affd9",
));

const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        }
    }
    let s = s.as_bytes();
    assert!(s.len() == 2 * N);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

#[test]
fn resize_sets_the_shorter_side_and_truncates_the_longer_as_torchvision_does() {
    let sizes = |w, h, s| resize_shorter_side(&coordinates(w, h), s).unwrap().dimensions();
    assert_eq!(sizes(300, 200, 256), (384, 256));
    assert_eq!(sizes(100, 300, 50), (50, 150));
    // 100 * 201 / 200 = 100.5, truncated.
    assert_eq!(sizes(201, 200, 100), (100, 100));
    assert_eq!(sizes(20, 20, 20), (20, 20));
    let err = err_text(resize_shorter_side(&coordinates(4, 4), 0));
    assert!(err.contains("cannot resize a 4x4 image to a shorter side of 0"), "{err}");
}

#[test]
fn center_crop_rounds_the_offset_down_as_keras_does() {
    let crop = center_crop(&coordinates(8, 7), 5, 4).unwrap();
    assert_eq!(crop.dimensions(), (5, 4));
    // Offsets (8 - 5) / 2 = 1 and (7 - 4) / 2 = 1.
    assert_eq!(crop.get_pixel(0, 0).0, [1, 1, 7]);
    assert_eq!(crop.get_pixel(4, 3).0, [5, 4, 7]);
    let err = err_text(center_crop(&coordinates(8, 7), 9, 4));
    assert!(err.contains("center_crop: cannot crop 9x4 (width x height) from a 8x7 image"), "{err}");
}

#[test]
fn random_crop_is_fixed_by_the_seed_and_covers_the_offsets() {
    let img = coordinates(10, 6);
    let offsets = |seed| {
        let mut rng = Rng::new(seed);
        (0..200)
            .map(|_| {
                let crop = random_crop(&img, 4, 3, &mut rng).unwrap();
                assert_eq!(crop.dimensions(), (4, 3));
                let [left, top, _] = crop.get_pixel(0, 0).0;
                // The window is contiguous: its far corner is 3 right and 2 down.
                assert_eq!(crop.get_pixel(3, 2).0, [left + 3, top + 2, 7]);
                (left, top)
            })
            .collect::<Vec<_>>()
    };
    let a = offsets(5);
    assert_eq!(a, offsets(5));
    assert_ne!(a, offsets(6));
    // Every left offset 0..=6 and top offset 0..=3 appears, and no other.
    let lefts: std::collections::BTreeSet<u8> = a.iter().map(|o| o.0).collect();
    let tops: std::collections::BTreeSet<u8> = a.iter().map(|o| o.1).collect();
    assert_eq!(lefts.into_iter().collect::<Vec<_>>(), (0..=6).collect::<Vec<_>>());
    assert_eq!(tops.into_iter().collect::<Vec<_>>(), (0..=3).collect::<Vec<_>>());
    assert!(random_crop(&img, 11, 3, &mut Rng::new(0)).is_err());
}

#[test]
fn flip_horizontal_mirrors_columns_and_keeps_rows() {
    let flipped = flip_horizontal(&coordinates(5, 3));
    assert_eq!(flipped.dimensions(), (5, 3));
    assert_eq!(flipped.get_pixel(0, 2).0, [4, 2, 7]);
    assert_eq!(flipped.get_pixel(4, 0).0, [0, 0, 7]);
}

#[test]
fn rgb_to_tensor_is_one_nhwc_image_in_the_unit_range() {
    let t = rgb_to_tensor(&coordinates(3, 2)).unwrap();
    assert_eq!(t.dims(), &[1, 2, 3, 3]);
    let v = t.to_vec_f32().unwrap();
    // Row 1, column 2: (x, y, 7) = (2, 1, 7).
    let at = (3 + 2) * 3;
    assert_eq!(&v[at..at + 3], &[2.0 / 255.0, 1.0 / 255.0, 7.0 / 255.0]);
}

#[test]
fn corrupt_files_are_skipped_and_reported_and_the_rest_loaded() {
    let root = two_class_folder("corrupt");
    let junk_png = root.join("train/cat/0junk.png");
    junk(&junk_png, b"these bytes are not an image at all");
    let mut png = Vec::new();
    RgbImage::from_pixel(4, 4, Rgb([1, 1, 1]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let truncated = root.join("train/dog/0truncated.png");
    junk(&truncated, &png[..png.len() / 2]);
    let folder = ImageFolder::open(&root).unwrap();
    assert_eq!(folder.len("train").unwrap(), 6);
    let (ds, report) = folder.load_split("train", 3, 4).unwrap();
    assert_eq!(report.loaded, 4);
    assert_eq!(ds.len(), 4);
    let skipped: Vec<&PathBuf> = report.skipped.iter().map(|(p, _)| p).collect();
    assert_eq!(skipped, [&junk_png, &truncated]);
    assert!(report.skipped[0].1.contains("unrecognised signature"), "{:?}", report.skipped);
    assert!(report.skipped[1].1.contains("cannot decode image"), "{:?}", report.skipped);
    // The labels stay with their images once the gaps are closed: red cats, blue dogs.
    assert_eq!(ds.labels().to_vec_i64().unwrap(), vec![0, 0, 1, 1]);
    let x = ds.features().to_vec_f32().unwrap();
    let first_red: Vec<f32> = x.chunks(27).map(|img| img[0]).collect();
    assert!(first_red[0] > 0.9 && first_red[1] > 0.9 && first_red[2] < 0.1 && first_red[3] < 0.1, "{first_red:?}");
}

#[test]
fn a_split_whose_every_image_fails_is_an_error_naming_the_first() {
    let root = scratch("all-bad");
    junk(&root.join("val/x/a.jpg"), b"no");
    junk(&root.join("val/x/b.jpg"), b"no");
    let err = err_text(ImageFolder::open(&root).unwrap().load_split("val", 2, 2));
    assert!(err.contains("none of the 2 images could be loaded"), "{err}");
    assert!(err.contains("a.jpg"), "{err}");
}

#[test]
fn load_split_does_not_depend_on_the_thread_count() {
    let root = scratch("threads");
    for i in 0..12u32 {
        let img = RgbImage::from_fn(9 + i, 13 - i % 5, |x, y| Rgb([(x * 17 + i) as u8, (y * 29) as u8, (x * y) as u8]));
        let path = root.join(format!("train/c{}/{i:02}.png", i % 3));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        img.save(path).unwrap();
    }
    junk(&root.join("train/c1/05bad.png"), b"junk");
    let folder = ImageFolder::open(&root).unwrap();
    let mut runs = Vec::new();
    for threads in [1, 4] {
        fovea_core::set_num_threads(threads).unwrap();
        let (ds, report) = folder.load_split("train", 5, 6).unwrap();
        runs.push((ds.features().to_vec_f32().unwrap(), ds.labels().to_vec_i64().unwrap(), report));
    }
    assert_eq!(runs[0].2.skipped.len(), 1);
    assert_eq!(runs[0], runs[1]);
}

#[test]
fn a_folder_without_split_folders_is_an_error_listing_what_it_found() {
    let root = scratch("no-split");
    solid(&root.join("cat/a.png"), 2, 2, [0; 3]);
    let err = err_text(ImageFolder::open(&root));
    assert!(err.contains("no split folder: expected at least one of train, val, test"), "{err}");
    assert!(err.contains("[\"cat\"]") && err.contains("no-split"), "{err}");
    let err = err_text(ImageFolder::open(root.join("missing")));
    assert!(err.contains("missing: not a folder"), "{err}");
}

#[test]
fn a_split_without_class_folders_is_an_error_naming_it() {
    let root = scratch("empty-split");
    solid(&root.join("train/cat/a.png"), 2, 2, [0; 3]);
    solid(&root.join("val/loose.png"), 2, 2, [0; 3]);
    let err = err_text(ImageFolder::open(&root));
    assert!(err.contains(&format!("{}: split holds no images", root.join("val").display())), "{err}");
}

#[test]
fn an_empty_class_folder_is_an_error_naming_it() {
    let root = scratch("empty-class");
    solid(&root.join("train/cat/a.png"), 2, 2, [0; 3]);
    junk(&root.join("train/dog/readme.txt"), b"no images here");
    let err = err_text(ImageFolder::open(&root));
    let dog = root.join("train/dog");
    assert!(err.contains(&format!("{}: class folder 'dog' holds no images", dog.display())), "{err}");
    assert!(err.contains(".png, .jpg, .jpeg, .bmp, .webp"), "{err}");
}

#[test]
fn a_class_missing_from_one_split_is_an_error_naming_both_splits() {
    let root = two_class_folder("missing-class");
    solid(&root.join("val/emu/a.png"), 2, 2, [0; 3]);
    let err = err_text(ImageFolder::open(&root));
    assert!(err.contains("class 'emu' is in split 'val'"), "{err}");
    assert!(err.contains("but missing from split 'train'"), "{err}");
}

#[test]
fn an_absent_split_or_an_impossible_crop_is_an_error() {
    let folder = ImageFolder::open(two_class_folder("bad-args")).unwrap();
    let err = err_text(folder.files("test"));
    assert!(err.contains("no split 'test'; this folder has train, val"), "{err}");
    assert!(folder.len("test").is_err());
    let err = err_text(folder.load_split("train", 5, 4));
    assert!(err.contains("cannot crop 5x5 after resizing the shorter side to 4"), "{err}");
    assert!(folder.load_split("train", 0, 4).is_err());
}
