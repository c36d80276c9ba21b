//! The HDF5 writer: round trips through our reader, byte-stable output against the
//! committed files that tools/golden/hdf5_writer_check.py verifies with h5py and
//! Keras 3, and clear errors for bad input.
//!
//! After a deliberate change to the writer, regenerate the committed files with
//! `FOVEA_BLESS_HDF5=1 cargo test -p fovea-keras --test hdf5_write`, then rerun
//! `tools/golden/hdf5_writer_check.py` (see tools/golden/README.md).

mod hdf5_common;

use fovea_keras::hdf5::{AttrValue, Group, H5File, H5Writer};
use hdf5_common::{fixture, fixture_dir};

fn long_text() -> String {
    (0..9_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
}

fn kernel() -> Vec<f32> {
    (0..24).map(|i| i as f32 * 0.5 - 3.0).collect()
}

/// Every writer feature; hdf5_writer_check.py checks the same contents with h5py.
fn features() -> H5Writer {
    let mut w = H5Writer::new();
    w.set_attr("/", "title", AttrValue::String("written by fovea".into())).unwrap();
    w.set_attr("/", "long", AttrValue::String(long_text())).unwrap();
    let names = ["conv2d", "dense_1", "bn", "ünï"].map(String::from).to_vec();
    w.set_attr("/", "layer_names", AttrValue::Strings(names)).unwrap();
    w.set_attr("/", "ints", AttrValue::Ints(vec![1, -2, i64::MAX])).unwrap();
    w.set_attr("/", "one_int", AttrValue::Ints(vec![7])).unwrap();
    w.set_attr("/", "floats", AttrValue::Floats(vec![0.5, -1e300])).unwrap();
    w.set_attr("/", "no_floats", AttrValue::Floats(vec![])).unwrap();
    w.set_attr("/", "no_strings", AttrValue::Strings(vec![])).unwrap();
    w.create_group("a/b/c").unwrap();
    w.set_attr("a", "note", AttrValue::String("ä group".into())).unwrap();
    w.write_dataset_f32("a/b/kernel", &[2, 3, 4], &kernel()).unwrap();
    w.set_attr("a/b/kernel", "unit", AttrValue::String("m/s".into())).unwrap();
    w.write_dataset_f32("scalar", &[], &[3.25]).unwrap();
    w.write_dataset_f32("empty", &[0, 3], &[]).unwrap();
    // 260 members need 33 symbol-table nodes: more than one B-tree node (32) holds.
    for i in 0..260 {
        w.write_dataset_f32(&format!("wide/d{i:03}"), &[1], &[i as f32]).unwrap();
    }
    w
}

fn check_features(file: &H5File) {
    let root = file.root().unwrap();
    assert_eq!(root.member_names().unwrap(), ["a", "empty", "scalar", "wide"]);
    assert_eq!(
        root.attr_names().unwrap(),
        ["title", "long", "layer_names", "ints", "one_int", "floats", "no_floats", "no_strings"]
    );
    assert_eq!(root.attr("title").unwrap(), Some(AttrValue::String("written by fovea".into())));
    assert_eq!(root.attr("long").unwrap(), Some(AttrValue::String(long_text())));
    let names = ["conv2d", "dense_1", "bn", "ünï"].map(String::from).to_vec();
    assert_eq!(root.attr("layer_names").unwrap(), Some(AttrValue::Strings(names)));
    assert_eq!(root.attr("ints").unwrap(), Some(AttrValue::Ints(vec![1, -2, i64::MAX])));
    assert_eq!(root.attr("one_int").unwrap(), Some(AttrValue::Ints(vec![7])));
    assert_eq!(root.attr("floats").unwrap(), Some(AttrValue::Floats(vec![0.5, -1e300])));
    assert_eq!(root.attr("no_floats").unwrap(), Some(AttrValue::Floats(vec![])));
    assert_eq!(root.attr("no_strings").unwrap(), Some(AttrValue::Strings(vec![])));
    let a = file.group("a").unwrap().unwrap();
    assert_eq!(a.attr("note").unwrap(), Some(AttrValue::String("ä group".into())));
    assert_eq!(a.member_names().unwrap(), ["b"]);
    assert!(file.group("a/b/c").unwrap().unwrap().member_names().unwrap().is_empty());
    let k = file.dataset("a/b/kernel").unwrap().unwrap();
    assert_eq!(k.shape, [2, 3, 4]);
    assert_eq!(k.read_f32().unwrap(), kernel());
    assert_eq!(k.attr("unit").unwrap(), Some(AttrValue::String("m/s".into())));
    let s = file.dataset("scalar").unwrap().unwrap();
    assert!(s.shape.is_empty());
    assert_eq!(s.read_f32().unwrap(), [3.25]);
    let e = file.dataset("empty").unwrap().unwrap();
    assert_eq!((e.shape.as_slice(), e.len()), (&[0, 3][..], 0));
    assert!(e.read_f32().unwrap().is_empty());
    let wide = file.group("wide").unwrap().unwrap();
    let members = wide.member_names().unwrap();
    assert_eq!(members.len(), 260);
    for (i, m) in members.iter().enumerate() {
        assert_eq!(m, &format!("d{i:03}"));
        assert_eq!(wide.dataset(m).unwrap().unwrap().read_f32().unwrap(), [i as f32]);
    }
}

/// Compares `bytes` with a committed file, or rewrites it when blessing.
fn assert_same_as_committed(bytes: &[u8], name: &str) {
    let path = fixture_dir().join(name);
    if std::env::var_os("FOVEA_BLESS_HDF5").is_some() {
        std::fs::write(&path, bytes).unwrap();
    }
    let committed = std::fs::read(&path).unwrap();
    assert!(committed == bytes, "writer output differs from {name}; see this file's header");
}

#[test]
fn written_file_reads_back_with_every_feature() {
    let bytes = features().to_bytes().unwrap();
    check_features(&H5File::from_bytes(bytes).unwrap());
}

#[test]
fn writer_output_is_byte_stable_against_the_h5py_checked_file() {
    let bytes = features().to_bytes().unwrap();
    assert_same_as_committed(&bytes, "writer_features.h5");
    check_features(&H5File::from_bytes(fixture("writer_features.h5")).unwrap());
}

/// Copies a whole file through the reader into a writer (f32 datasets only).
fn copy(src: &Group<'_>, dst: &mut H5Writer) {
    let path = src.name();
    dst.create_group(path).unwrap();
    for a in src.attr_names().unwrap() {
        dst.set_attr(path, &a, src.attr(&a).unwrap().unwrap()).unwrap();
    }
    for m in src.member_names().unwrap() {
        if let Ok(Some(ds)) = src.dataset(&m) {
            dst.write_dataset_f32(&ds.name, &ds.shape, &ds.read_f32().unwrap()).unwrap();
            for a in ds.attr_names().unwrap() {
                dst.set_attr(&ds.name, &a, ds.attr(&a).unwrap().unwrap()).unwrap();
            }
        } else {
            copy(&src.group(&m).unwrap().unwrap(), dst);
        }
    }
}

#[test]
fn keras3_weights_copied_through_reader_and_writer_are_stable() {
    let source = H5File::from_bytes(fixture("keras3.weights.h5")).unwrap();
    let mut w = H5Writer::new();
    copy(&source.root().unwrap(), &mut w);
    let bytes = w.to_bytes().unwrap();
    // Keras 3 loads this file (tools/golden/hdf5_writer_check.py).
    assert_same_as_committed(&bytes, "writer_keras.weights.h5");
    let copied = H5File::from_bytes(bytes).unwrap();
    let layer = "layers/conv2d/vars";
    assert_eq!(copied.group(layer).unwrap().unwrap().attr("name").unwrap(), Some(AttrValue::String("conv2d".into())));
    for path in ["layers/conv2d/vars/0", "layers/batch_normalization/vars/3", "layers/dense/vars/1"] {
        let a = source.dataset(path).unwrap().unwrap();
        let b = copied.dataset(path).unwrap().unwrap();
        assert_eq!((&a.shape, a.read_f32().unwrap()), (&b.shape, b.read_f32().unwrap()), "{path}");
    }
}

#[test]
fn bad_paths_shapes_and_names_are_refused() {
    let mut w = H5Writer::new();
    let err = |r: Result<(), fovea_keras::hdf5::H5Error>| r.unwrap_err().to_string();
    let e = err(w.write_dataset_f32("a/x", &[2, 2], &[1.0; 3]));
    assert!(e.contains("a/x") && e.contains("[2, 2]") && e.contains("3 were given"), "{e}");
    w.write_dataset_f32("a/x", &[1], &[1.0]).unwrap();
    let e = err(w.write_dataset_f32("a/x", &[1], &[1.0]));
    assert!(e.contains("already exists"), "{e}");
    let e = err(w.create_group("a/x/y"));
    assert!(e.contains("'x' is a dataset"), "{e}");
    let e = err(w.write_dataset_f32("a//y", &[1], &[1.0]));
    assert!(e.contains("invalid member name"), "{e}");
    let e = err(w.write_dataset_f32("/", &[1], &[1.0]));
    assert!(e.contains("needs a name"), "{e}");
    let e = err(w.set_attr("nope", "n", AttrValue::Ints(vec![1])));
    assert!(e.contains("nope") && e.contains("no such group or dataset"), "{e}");
    let e = err(w.set_attr("a", "", AttrValue::Ints(vec![1])));
    assert!(e.contains("invalid attribute name"), "{e}");
    let e = err(w.set_attr("a", "s", AttrValue::String("nul\0".into())));
    assert!(e.contains("NUL"), "{e}");
    let big = AttrValue::Strings(vec!["x".repeat(100); 1000]);
    let e = err(w.set_attr("a", "big", big));
    assert!(e.contains("'big'") && e.contains("65528"), "{e}");
    // Setting an attribute twice replaces it.
    w.set_attr("a/x", "v", AttrValue::Ints(vec![1])).unwrap();
    w.set_attr("a/x", "v", AttrValue::Floats(vec![2.0])).unwrap();
    let file = H5File::from_bytes(w.to_bytes().unwrap()).unwrap();
    let x = file.dataset("a/x").unwrap().unwrap();
    assert_eq!(x.attr_names().unwrap(), ["v"]);
    assert_eq!(x.attr("v").unwrap(), Some(AttrValue::Floats(vec![2.0])));
}

#[test]
fn save_writes_through_a_temporary_file() {
    let dir = std::env::temp_dir().join(format!("fovea-h5-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.h5");
    let mut w = H5Writer::new();
    w.write_dataset_f32("v", &[2], &[1.0, 2.0]).unwrap();
    w.save(&path).unwrap();
    let file = H5File::open(&path).unwrap();
    assert_eq!(file.dataset("v").unwrap().unwrap().read_f32().unwrap(), [1.0, 2.0]);
    assert!(!dir.join("out.h5.tmp").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
