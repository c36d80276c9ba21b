//! Export round trip over the Keras corpus: every model `fovea_keras::load` opens is
//! exported with `fovea_keras::save`, loaded again, and must give bit-identical
//! predictions. The weight file of an exported Keras 3 model must also hold the same
//! datasets (paths and shapes) as the file Keras wrote: that pins Keras's group naming
//! and order. With `FOVEA_EXPORT_DIR=DIR` the exports and fovea's outputs are kept in
//! DIR for tools/golden/keras_roundtrip.py, which loads them with real Keras.

mod common;

use std::path::Path;

use common::{catching, inputs_for, manifest, run, write_npy_f32, Entry};
use fovea_keras::hdf5::H5File;

fn datasets(file: &H5File) -> Vec<(String, Vec<usize>)> {
    fn walk(file: &H5File, path: &str, out: &mut Vec<(String, Vec<usize>)>) {
        let group = if path.is_empty() { Some(file.root().unwrap()) } else { file.group(path).unwrap() };
        let Some(group) = group else { return };
        for m in group.member_names().unwrap() {
            let p = if path.is_empty() { m.clone() } else { format!("{path}/{m}") };
            // Each lookup is an error for the other kind of object.
            if let Ok(Some(_)) = file.group(&p) {
                walk(file, &p, out);
            } else if let Ok(Some(d)) = file.dataset(&p) {
                out.push((p, d.shape.clone()));
            }
        }
    }
    let mut out = Vec::new();
    walk(file, "", &mut out);
    out.sort();
    out
}

fn member(archive: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut v = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut v).unwrap();
    v
}

/// Models Keras 3 cannot express, with the text the export error must contain: Keras 2's
/// `hard_sigmoid` (slope 0.2) has no Keras 3 activation string.
const NOT_EXPORTABLE: &[(&str, &str)] =
    &[("legacy_lstm_modes", "hard_sigmoid"), ("legacy_activations", "hard_sigmoid")];

fn round_trip(entry: &Entry, dir: &Path) -> Result<(), String> {
    if let Some(why) = &entry.expect_error {
        // fovea refuses to load it (keras_corpus.rs checks the error).
        return not_exported(dir, entry, &format!("fovea refuses to load it ({why})"));
    }
    let model = fovea_keras::load(entry.path()).map_err(|e| format!("load: {e}"))?;
    let inputs = inputs_for(&model, entry)?;
    let before = run(&model, &inputs)?;
    let out = dir.join(format!("{}.keras", entry.name));
    if let Some((_, want)) = NOT_EXPORTABLE.iter().find(|(n, _)| *n == entry.name) {
        return match fovea_keras::save(&model, &out) {
            Err(e) if e.to_string().contains(want) => not_exported(dir, entry, &e.to_string()),
            Err(e) => Err(format!("expected an export error naming '{want}', got: {e}")),
            Ok(()) => Err(format!("exported, but Keras 3 has no '{want}' to write")),
        };
    }
    fovea_keras::save(&model, &out).map_err(|e| format!("save: {e}"))?;
    let again = fovea_keras::load(&out).map_err(|e| format!("load of the export: {e}"))?;
    let after = run(&again, &inputs_for(&again, entry)?)?;
    if before.len() != after.len() {
        return Err(format!("{} outputs before, {} after", before.len(), after.len()));
    }
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if b.dims() != a.dims() || b.to_vec_f32().unwrap() != a.to_vec_f32().unwrap() {
            return Err(format!("output {i} changed through export"));
        }
        write_npy_f32(&dir.join(format!("{}.fovea.out{i}.npy", entry.name)), b);
    }
    let nested = entry.features.iter().any(|f| f.starts_with("nested:"));
    if entry.file.ends_with(".keras") && !nested {
        let original = datasets(&H5File::from_bytes(member(&entry.path(), "model.weights.h5")).unwrap());
        let exported = datasets(&H5File::from_bytes(member(&out, "model.weights.h5")).unwrap());
        if original != exported {
            return Err(format!("weight layout differs from Keras's:\n  keras {original:?}\n  fovea {exported:?}"));
        }
    }
    Ok(())
}

/// Tells keras_roundtrip.py that a model is left out on purpose, and why.
fn not_exported(dir: &Path, entry: &Entry, why: &str) -> Result<(), String> {
    std::fs::write(dir.join(format!("{}.not_exported.txt", entry.name)), why).map_err(|e| e.to_string())
}

#[test]
fn export_then_load_reproduces_every_corpus_model() {
    let keep = std::env::var("FOVEA_EXPORT_DIR").ok();
    let dir = match &keep {
        Some(d) => Path::new(d).to_path_buf(),
        None => std::env::temp_dir().join(format!("fovea-export-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let entries = manifest();
    let failures: Vec<String> = entries
        .iter()
        .filter_map(|e| catching(|| round_trip(e, &dir)).err().map(|m| format!("{}: {m}", e.name)))
        .collect();
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    eprintln!("{} of {} corpus models survive export", entries.len() - failures.len(), entries.len());
    assert!(failures.is_empty(), "{} of {} fail:\n{}", failures.len(), entries.len(), failures.join("\n"));
}
