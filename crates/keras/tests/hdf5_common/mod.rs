//! Shared by the HDF5 tests: fixture paths and an error-tolerant walk over a file.
#![allow(dead_code)]

use std::path::PathBuf;

use fovea_keras::hdf5::{Group, H5File};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hdf5")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// What a walk saw: objects opened and errors met (the walk goes on past errors).
#[derive(Debug, Default)]
pub struct Walk {
    pub objects: usize,
    pub errors: usize,
}

/// Opens every reachable object, reads every attribute and every dataset, and goes on
/// after errors; depth- and count-limited because hard links may form cycles.
pub fn walk_bytes(bytes: Vec<u8>) -> Walk {
    let mut w = Walk::default();
    match H5File::from_bytes(bytes) {
        Ok(file) => match file.root() {
            Ok(root) => walk_group(&root, 0, &mut w),
            Err(_) => w.errors += 1,
        },
        Err(_) => w.errors += 1,
    }
    w
}

fn walk_group(g: &Group<'_>, depth: usize, w: &mut Walk) {
    w.objects += 1;
    if depth > 8 || w.objects > 2000 {
        return;
    }
    match g.attr_names() {
        Ok(names) => {
            for n in names {
                if g.attr(&n).is_err() {
                    w.errors += 1;
                }
            }
        }
        Err(_) => w.errors += 1,
    }
    let Ok(members) = g.member_names() else {
        w.errors += 1;
        return;
    };
    for m in members {
        match g.dataset(&m) {
            Ok(Some(ds)) => {
                w.objects += 1;
                w.errors += usize::from(ds.read_f32().is_err());
                if let Ok(names) = ds.attr_names() {
                    for n in names {
                        w.errors += usize::from(ds.attr(&n).is_err());
                    }
                }
            }
            Ok(None) => w.errors += 1,
            Err(_) => match g.group(&m) {
                Ok(Some(child)) => walk_group(&child, depth + 1, w),
                _ => w.errors += 1,
            },
        }
    }
}
