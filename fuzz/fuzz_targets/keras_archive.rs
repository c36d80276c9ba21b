//! Loads arbitrary bytes as a `.keras` archive, the whole way: zip members, the
//! config, the model build (under the loader's weight budget) and the HDF5 weights.
//! Errors are the expected outcome; any panic, hang or runaway allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fovea_keras::archive::read_archive_bytes(data, "fuzz.keras");
    let _ = fovea_keras::load_keras_bytes(data, "fuzz.keras");
});
