//! Damaged and hostile HDF5 input: truncation, wrong signatures, bit flips, loops and
//! oversized declarations must give errors, never panics, hangs or huge allocations.
//! Also replays the inputs cargo-fuzz found (fixtures/hdf5/crashes/).

mod hdf5_common;

use fovea_keras::hdf5::{AttrValue, H5File, H5Writer};
use hdf5_common::{fixture, fixture_dir, walk_bytes};

const FIXTURES: [&str; 8] = [
    "basic.h5",
    "chunked.h5",
    "many.h5",
    "latest.h5",
    "keras3.weights.h5",
    "tf_legacy.h5",
    "writer_features.h5",
    "writer_keras.weights.h5",
];

/// Fixtures with a version-0 superblock, whose end-of-file field (offset 40) has no
/// checksum and can be patched to match a truncated length.
const V0_FIXTURES: [&str; 4] = ["basic.h5", "chunked.h5", "keras3.weights.h5", "tf_legacy.h5"];

#[test]
fn every_truncation_of_every_fixture_is_an_error() {
    for name in FIXTURES {
        let bytes = fixture(name);
        assert!(walk_bytes(bytes.clone()).objects > 0, "{name} must read whole");
        for len in 0..bytes.len() {
            let err = H5File::from_bytes(bytes[..len].to_vec()).expect_err(name).to_string();
            assert!(err.contains("truncated") || err.contains("signature") || err.contains("superblock"), "{err}");
        }
    }
}

#[test]
fn truncation_past_a_patched_eof_field_never_panics() {
    // With the end-of-file field rewritten to the truncated length the superblock
    // check passes and the damage is met deep inside the object tree.
    let mut errors = 0;
    for name in V0_FIXTURES {
        let bytes = fixture(name);
        // Every length through the metadata-dense start, then a stride through the rest.
        let lens = (96..bytes.len().min(4096)).chain((4096..bytes.len()).step_by(97));
        for len in lens {
            let mut cut = bytes[..len].to_vec();
            cut[40..48].copy_from_slice(&(len as u64).to_le_bytes());
            errors += walk_bytes(cut).errors;
        }
    }
    assert!(errors > 1000, "truncated files should mostly fail: {errors} errors");
}

#[test]
fn wrong_signature_is_reported() {
    let bytes = fixture("basic.h5");
    for i in 0..8 {
        let mut bad = bytes.clone();
        bad[i] ^= 0x20;
        let e = H5File::from_bytes(bad).unwrap_err().to_string();
        assert!(e.contains("no HDF5 signature"), "{e}");
    }
    assert!(H5File::from_bytes(Vec::new()).is_err());
    assert!(H5File::from_bytes(b"PK\x03\x04 not hdf5".to_vec()).is_err());
}

/// xorshift64*: a fixed, dependency-free random sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bit_flips_never_panic() {
    let mut rng = Rng(0x5eed_f00d);
    let (mut runs, mut failed) = (0, 0);
    for name in FIXTURES {
        let bytes = fixture(name);
        for _ in 0..300 {
            let mut bad = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                // Half the flips land in the first 4 KiB, where most metadata lives.
                let at = if rng.below(2) == 0 { rng.below(bad.len().min(4096)) } else { rng.below(bad.len()) };
                bad[at] ^= 1 << rng.below(8);
            }
            runs += 1;
            failed += usize::from(walk_bytes(bad).errors > 0);
        }
    }
    // Flips in raw data legitimately read fine; flips in metadata must fail cleanly.
    assert!(failed > runs / 10, "only {failed} of {runs} damaged files reported an error");
}

/// Root group object header address of a file from [`H5Writer`] (superblock v0).
fn root_header(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[64..72].try_into().unwrap()) as usize
}

#[test]
fn continuation_loop_is_an_error() {
    let mut w = H5Writer::new();
    w.create_group("g").unwrap();
    let mut bytes = w.to_bytes().unwrap();
    let h = root_header(&bytes);
    // Turn the root's symbol-table message (the first, at h + 16) into a continuation
    // message whose block is that very message.
    assert_eq!(bytes[h + 16], 0x11);
    bytes[h + 16] = 0x10;
    bytes[h + 24..h + 32].copy_from_slice(&((h + 16) as u64).to_le_bytes());
    bytes[h + 32..h + 40].copy_from_slice(&24u64.to_le_bytes());
    let e = H5File::from_bytes(bytes).unwrap_err().to_string();
    assert!(e.contains("object '/'") && e.contains("loop"), "{e}");
}

#[test]
fn btree_cycle_is_an_error() {
    let mut w = H5Writer::new();
    for i in 0..300 {
        w.create_group(&format!("m{i:03}")).unwrap();
    }
    let mut bytes = w.to_bytes().unwrap();
    let h = root_header(&bytes);
    let btree = u64::from_le_bytes(bytes[h + 24..h + 32].try_into().unwrap()) as usize;
    // The root node is at level 1; point its second child at its first.
    assert_eq!((&bytes[btree..btree + 4], bytes[btree + 5]), (&b"TREE"[..], 1));
    let first = btree + 24 + 8;
    let first_child = bytes[first..first + 8].to_vec();
    bytes[first + 16..first + 24].copy_from_slice(&first_child);
    let file = H5File::from_bytes(bytes).unwrap();
    let e = file.root().unwrap().member_names().unwrap_err().to_string();
    assert!(e.contains("group '/'") && e.contains("reached twice"), "{e}");
}

#[test]
fn huge_declared_shapes_are_refused_before_allocating() {
    let mut w = H5Writer::new();
    w.write_dataset_f32("v", &[2], &[1.0, 2.0]).unwrap();
    w.set_attr("v", "a", AttrValue::Ints(vec![5, 6])).unwrap();
    let bytes = w.to_bytes().unwrap();
    // The dataspace message: version 1, rank 1, max dims present, then dims [2], max [2].
    let space = [1u8, 1, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
    let at = bytes.windows(space.len()).position(|w| w == space).unwrap();
    for dim in [1u64 << 40, u64::MAX / 2] {
        let mut bad = bytes.clone();
        bad[at + 8..at + 16].copy_from_slice(&dim.to_le_bytes());
        let file = H5File::from_bytes(bad).unwrap();
        let ds = file.dataset("v").unwrap().unwrap();
        let e = ds.read_f32().unwrap_err().to_string();
        assert!(e.contains("'/v'") && e.contains("file can hold"), "{e}");
    }
    // The attribute's dataspace ([2], no max dims) claiming 2^40 elements.
    let attr_space = [1u8, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
    let at = bytes.windows(attr_space.len()).position(|w| w == attr_space).unwrap();
    let mut bad = bytes.clone();
    bad[at + 8..at + 16].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let file = H5File::from_bytes(bad).unwrap();
    let e = file.dataset("v").unwrap().unwrap().attr("a").unwrap_err().to_string();
    assert!(e.contains("/v, attribute 'a'") && e.contains("do not fit"), "{e}");
}

#[test]
fn fuzz_inputs_replay_without_panic() {
    let dir = fixture_dir().join("crashes");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        // Errors are expected; a panic fails the test.
        let w = walk_bytes(std::fs::read(&path).unwrap());
        assert!(w.errors + w.objects > 0, "{}", path.display());
        count += 1;
    }
    assert!(count >= 8, "fuzzer inputs missing from {}", dir.display());
}
