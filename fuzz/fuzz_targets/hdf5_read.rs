//! Parses arbitrary bytes as an HDF5 file and reads everything reachable: every
//! group's members and attributes, every dataset's values and attributes. Any
//! panic, hang or runaway allocation is a bug; errors are the expected outcome.
#![no_main]

use fovea_keras::hdf5::{Group, H5File};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = H5File::from_bytes(data.to_vec()) else { return };
    let _ = file.dataset("a/b/c");
    let _ = file.group("/layers/x/vars");
    if let Ok(root) = file.root() {
        let mut budget = 500;
        walk(&root, 0, &mut budget);
    }
});

/// Depth- and count-limited: hard links may legally form cycles.
fn walk(g: &Group<'_>, depth: usize, budget: &mut usize) {
    if depth > 8 || *budget == 0 {
        return;
    }
    *budget -= 1;
    if let Ok(names) = g.attr_names() {
        for n in names {
            let _ = g.attr(&n);
        }
    }
    let Ok(members) = g.member_names() else { return };
    for m in members {
        match g.dataset(&m) {
            Ok(Some(ds)) => {
                let _ = ds.read_f32();
                let _ = ds.read_i64();
                if let Ok(names) = ds.attr_names() {
                    for n in names {
                        let _ = ds.attr(&n);
                    }
                }
            }
            _ => {
                if let Ok(Some(child)) = g.group(&m) {
                    walk(&child, depth + 1, budget);
                }
            }
        }
    }
}
