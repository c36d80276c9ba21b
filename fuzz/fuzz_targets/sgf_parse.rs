//! Parses arbitrary bytes as an SGF collection (decoded as UTF-8 with invalid bytes
//! replaced, as `fovea_go::sgf::read_file` does). Errors are the expected outcome; a
//! panic, a hang or a runaway allocation is a bug, and so is a collection that does
//! not survive write -> read, or a main-line record that does not survive
//! `to_sgf` -> read.
#![no_main]

use fovea_go::sgf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(coll) = sgf::parse_collection(&text, "fuzz") else { return };
    let written = sgf::write_collection(&coll.games);
    let again = sgf::parse_collection(&written, "rewritten").expect("a written collection parses");
    assert_eq!(again.games, coll.games, "write -> read changed the trees");
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    for tree in &coll.games {
        let Ok(rec) = tree.main_line() else { continue };
        let back = sgf::parse_collection(&rec.to_sgf(), "record").and_then(|c| c.games[0].main_line());
        assert_eq!(back.ok(), Some(rec), "to_sgf -> read changed the record");
    }
});
