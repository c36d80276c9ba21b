// Test-only module: declared under #[cfg(test)] in checkpoint.rs.
//! Round trips, corrupt and truncated files, interrupted writes, and weight files
//! loaded into models that do not fit.

use std::path::PathBuf;

use fovea_core::{Rng, Tensor};

use super::*;
use crate::layers::Dense;
use crate::Sequential;

/// A fresh directory under the system temp dir, unique per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-ckpt-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample(epoch: usize) -> Checkpoint {
    let mut metadata = BTreeMap::new();
    metadata.insert("commit".to_string(), "abc123".to_string());
    metadata.insert("note".to_string(), "é and \"quotes\"".to_string());
    Checkpoint {
        architecture: r#"{"class_name": "Sequential", "config": {"name": "m"}}"#.to_string(),
        // Deliberately not in alphabetical order: the file must keep Keras's order.
        weights: vec![
            (
                "dense/kernel".into(),
                Tensor::from_vec(vec![1.0, -2.5, 3.25, f32::MIN_POSITIVE, 5.0, 6.0], [2, 3]).unwrap(),
            ),
            ("dense/bias".into(), Tensor::from_vec(vec![0.5, epoch as f32, -0.0], [3]).unwrap()),
            ("batch_normalization/gamma".into(), Tensor::from_vec(vec![1.0], [1]).unwrap()),
            ("conv2d/kernel".into(), Tensor::zeros([0, 2]).unwrap()),
        ],
        optimizer: vec![
            ("iterations".into(), Tensor::from_vec_i64(vec![1234567890123], []).unwrap()),
            ("adam/m/dense/kernel".into(), Tensor::from_vec(vec![0.1; 6], [2, 3]).unwrap()),
        ],
        epoch,
        metadata,
    }
}

fn assert_same(a: &Checkpoint, b: &Checkpoint) {
    assert_eq!(a.architecture, b.architecture);
    assert_eq!(a.epoch, b.epoch);
    assert_eq!(a.metadata, b.metadata);
    for (x, y) in [(&a.weights, &b.weights), (&a.optimizer, &b.optimizer)] {
        assert_eq!(x.len(), y.len());
        for ((nx, tx), (ny, ty)) in x.iter().zip(y) {
            assert_eq!(nx, ny);
            assert_eq!(tx.dims(), ty.dims(), "{nx}");
            assert_eq!(tx.dtype(), ty.dtype(), "{nx}");
            if tx.dtype() == fovea_core::DType::I64 {
                assert_eq!(tx.to_vec_i64().unwrap(), ty.to_vec_i64().unwrap());
            } else {
                let bits = |t: &Tensor| t.to_vec_f32().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(tx), bits(ty), "{nx}");
            }
        }
    }
}

fn message(r: Result<Checkpoint>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip_keeps_order_values_dtypes_and_metadata() {
    let dir = scratch("round_trip");
    let path = dir.join("ckpt.safetensors");
    let ckpt = sample(7);
    save_checkpoint(&path, &ckpt).unwrap();
    assert_same(&ckpt, &load_checkpoint(&path).unwrap());
    // No temp file is left behind after a successful save.
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("ckpt.safetensors")]);
}

#[test]
fn file_is_plain_safetensors_with_prefixed_names() {
    let dir = scratch("plain");
    let path = dir.join("c.safetensors");
    save_checkpoint(&path, &sample(1)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "optimizer/adam/m/dense/kernel",
            "optimizer/iterations",
            "weights/batch_normalization/gamma",
            "weights/conv2d/kernel",
            "weights/dense/bias",
            "weights/dense/kernel"
        ]
    );
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().as_ref().unwrap();
    assert_eq!(meta["epoch"], "1");
    assert_eq!(meta["metadata/commit"], "abc123");
    assert_eq!(meta["format"], FORMAT);
}

#[test]
fn truncated_files_are_errors_at_every_offset_tried() {
    let dir = scratch("truncated");
    let path = dir.join("c.safetensors");
    save_checkpoint(&path, &sample(3)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.join("cut.safetensors");
    for len in [0, 1, 7, 8, 9, 50, bytes.len() / 2, bytes.len() - 5, bytes.len() - 1] {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let msg = message(load_checkpoint(&cut));
        assert!(msg.contains("cut.safetensors") && msg.contains("truncated or corrupt"), "len {len}: {msg}");
    }
    // Trailing garbage is as wrong as missing bytes.
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 3]);
    std::fs::write(&cut, &long).unwrap();
    assert!(message(load_checkpoint(&cut)).contains("truncated or corrupt"));
}

#[test]
fn flipped_header_bytes_are_errors_not_panics() {
    let dir = scratch("flipped");
    let path = dir.join("c.safetensors");
    save_checkpoint(&path, &sample(3)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let bad = dir.join("bad.safetensors");
    let mut errors = 0;
    for i in 0..8 + header_len {
        let mut b = bytes.clone();
        b[i] ^= 0xff;
        std::fs::write(&bad, &b).unwrap();
        // Some flips land in a metadata string and still make a valid file; none may panic.
        if let Err(e) = load_checkpoint(&bad) {
            assert!(e.to_string().starts_with(&bad.display().to_string()), "{e}");
            errors += 1;
        }
    }
    assert!(errors > 8 + header_len / 2, "only {errors} of {} flips were caught", 8 + header_len);
}

#[test]
fn absurd_declared_header_size_is_refused_without_allocating() {
    let dir = scratch("absurd");
    let bad = dir.join("bad.safetensors");
    let mut b = u64::MAX.to_le_bytes().to_vec();
    b.extend_from_slice(b"{}");
    std::fs::write(&bad, &b).unwrap();
    assert!(message(load_checkpoint(&bad)).contains("header too large"));
    // A header claiming a tensor of 2^40 elements in a tiny file.
    let header = r#"{"weights/x":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}"#;
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    std::fs::write(&bad, &b).unwrap();
    assert!(message(load_checkpoint(&bad)).contains("truncated or corrupt"));
}

#[test]
fn wrong_dtype_missing_tensor_and_foreign_files_are_named() {
    let dir = scratch("dtype");
    let bad = dir.join("bad.safetensors");
    let meta = |weights: &str| {
        let mut m = HashMap::new();
        m.insert("format".to_string(), FORMAT.to_string());
        m.insert("architecture".to_string(), String::new());
        m.insert("epoch".to_string(), "0".to_string());
        m.insert("weights".to_string(), weights.to_string());
        m.insert("optimizer".to_string(), "[]".to_string());
        m
    };
    let half = Raw { dtype: Dtype::F16, shape: vec![2], bytes: vec![0; 4] };
    let write = |m: Option<HashMap<String, String>>| {
        std::fs::write(&bad, safetensors::serialize([("weights/w", &half)], m).unwrap()).unwrap();
    };
    write(Some(meta(r#"["w"]"#)));
    let msg = message(load_checkpoint(&bad));
    assert!(msg.contains("tensor 'weights/w': dtype F16 is not supported"), "{msg}");
    write(Some(meta(r#"["v", "w"]"#)));
    assert!(message(load_checkpoint(&bad)).contains("tensor 'weights/v' is listed but not stored"));
    write(Some(meta("[]")));
    let msg = message(load_checkpoint(&bad));
    assert!(msg.contains("file stores 1 tensors but its metadata lists 0"), "{msg}");
    write(None);
    assert!(message(load_checkpoint(&bad)).contains("not a fovea checkpoint"));
    let mut m = meta(r#"["w"]"#);
    m.insert("epoch".to_string(), "-1".to_string());
    write(Some(m));
    assert!(message(load_checkpoint(&bad)).contains("epoch '-1'"));
    assert!(message(load_checkpoint(dir.join("absent.safetensors"))).contains("cannot read"));
    assert!(message(load_checkpoint(&dir)).contains("not a regular file"));
    if std::path::Path::new("/dev/zero").exists() {
        assert!(message(load_checkpoint("/dev/zero")).contains("not a regular file"));
    }
}

#[test]
fn duplicate_names_are_refused_on_save() {
    let dir = scratch("dup");
    let mut c = sample(0);
    c.weights.push(c.weights[0].clone());
    let e = save_checkpoint(dir.join("c.safetensors"), &c).unwrap_err();
    assert!(e.to_string().contains("weights name 'dense/kernel' appears twice"), "{e}");
}

#[test]
fn interrupted_write_leaves_previous_checkpoint_intact() {
    let dir = scratch("crash");
    let path = dir.join("c.safetensors");
    let old = sample(1);
    save_checkpoint(&path, &old).unwrap();
    let before = std::fs::read(&path).unwrap();
    let new = sample(2);
    for crash_after in [0, 10, 200, usize::MAX] {
        let e = save_checkpoint_until(&path, &new, Some(crash_after)).unwrap_err();
        assert!(e.to_string().contains("simulated crash"));
        assert_eq!(std::fs::read(&path).unwrap(), before, "target changed (crash after {crash_after} bytes)");
        assert_same(&old, &load_checkpoint(&path).unwrap());
        assert!(crate::atomic::temp_path(&path).exists(), "the crash should leave its temp file");
    }
    // The next successful save replaces the target and reuses (removes) the temp file.
    save_checkpoint(&path, &new).unwrap();
    assert_same(&new, &load_checkpoint(&path).unwrap());
    assert!(!crate::atomic::temp_path(&path).exists());
}

fn mlp(hidden: usize, seed: u64) -> Model {
    let mut rng = Rng::new(seed);
    Sequential::new(&[4]).add(Dense::new(hidden)).add(Dense::new(2)).build(&mut rng).unwrap()
}

#[test]
fn save_and_load_weights_round_trip_between_models() {
    let dir = scratch("weights");
    let path = dir.join("w.safetensors");
    let a = mlp(3, 1);
    let b = mlp(3, 2);
    assert_ne!(a.get_weights().unwrap()[0].to_vec_f32().unwrap(), b.get_weights().unwrap()[0].to_vec_f32().unwrap());
    save_weights(&a, &path).unwrap();
    let ckpt = load_checkpoint(&path).unwrap();
    let names: Vec<&str> = ckpt.weights.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]);
    load_weights(&b, &path).unwrap();
    for (x, y) in a.get_weights().unwrap().iter().zip(b.get_weights().unwrap()) {
        assert_eq!(x.to_vec_f32().unwrap(), y.to_vec_f32().unwrap());
    }
}

#[test]
fn load_weights_into_another_architecture_names_the_mismatch() {
    let dir = scratch("mismatch");
    let path = dir.join("w.safetensors");
    save_weights(&mlp(3, 1), &path).unwrap();
    let wider = mlp(5, 2);
    let before = wider.get_weights().unwrap()[0].to_vec_f32().unwrap();
    let e = load_weights(&wider, &path).unwrap_err().to_string();
    assert!(e.starts_with("dense (Dense): weight 'kernel' has shape (4, 5) in the model but (4, 3) in"), "{e}");
    // Nothing was assigned.
    assert_eq!(wider.get_weights().unwrap()[0].to_vec_f32().unwrap(), before);

    let mut rng = Rng::new(0);
    let deeper =
        Sequential::new(&[4]).add(Dense::new(3)).add(Dense::new(2)).add(Dense::new(2)).build(&mut rng).unwrap();
    let e = load_weights(&deeper, &path).unwrap_err().to_string();
    assert!(e.starts_with("dense_2 (Dense): weight 'kernel' is missing from"), "{e}");

    let shallower = Sequential::new(&[4]).add(Dense::new(3)).build(&mut rng).unwrap();
    let e = load_weights(&shallower, &path).unwrap_err().to_string();
    assert!(e.contains("holds weights for no layer of this model: dense_1/bias, dense_1/kernel"), "{e}");
}
