//! Replays every file of `tests/fixtures/sgf_corpus/` (small tricky inputs, and the
//! seeds of the `sgf_parse` fuzz target; inputs the fuzzer finds go here too) through
//! the SGF reader, checking what the fuzz target checks: no panic, trees survive
//! write -> read, and records survive `to_sgf` -> read. Files listed in `EXPECTED` must
//! also give their stated counts.

use std::path::Path;

use fovea_go::sgf;

/// What a file gives: (games read, warnings, games whose main line gives a record);
/// `None` when no game can be read (an error).
type Counts = Option<(usize, usize, usize)>;

const EXPECTED: &[(&str, Counts)] = &[
    ("bad_game_among_good.sgf", Some((2, 1, 2))),
    ("collection.sgf", Some((2, 0, 2))),
    ("compressed_lists.sgf", Some((1, 0, 1))),
    ("crlf_mail_header.sgf", Some((1, 0, 1))),
    ("deep_nesting.sgf", Some((1, 0, 1))),
    ("empty.sgf", None),
    ("escapes.sgf", Some((1, 0, 1))),
    ("ff3_lowercase.sgf", Some((1, 0, 1))),
    ("gb2312_names.sgf", Some((1, 0, 1))),
    ("main_line_errors.sgf", Some((3, 0, 0))),
    ("non_square.sgf", Some((1, 0, 0))),
    ("passes.sgf", Some((2, 0, 2))),
    ("property_without_value.sgf", None),
    ("truncated.sgf", Some((1, 1, 1))),
    ("unterminated_value.sgf", None),
    ("variations.sgf", Some((1, 0, 1))),
];

/// What the fuzz target asserts, for one input; the counts of what it read.
fn check(bytes: &[u8], name: &str) -> Counts {
    let text = String::from_utf8_lossy(bytes);
    let coll = sgf::parse_collection(&text, name).ok()?;
    let written = sgf::write_collection(&coll.games);
    let again = sgf::parse_collection(&written, "rewritten").unwrap_or_else(|e| panic!("{name}: {e}\n{written}"));
    assert_eq!(again.games, coll.games, "{name}: trees changed by write -> read\n{written}");
    assert!(again.warnings.is_empty(), "{name}: {:?}", again.warnings);
    let mut records = 0;
    for tree in &coll.games {
        let Ok(rec) = tree.main_line() else { continue };
        records += 1;
        let text = rec.to_sgf();
        let back = sgf::parse_collection(&text, "record").and_then(|c| c.games[0].main_line());
        assert_eq!(back.ok().as_ref(), Some(&rec), "{name}: record changed by to_sgf -> read\n{text}");
    }
    Some((coll.games.len(), coll.warnings.len(), records))
}

#[test]
fn corpus_files_parse_without_panic_and_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sgf_corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md"))
        .collect();
    names.sort();
    for &(name, _) in EXPECTED {
        assert!(names.iter().any(|n| n == name), "{name} is missing from {}", dir.display());
    }
    for name in &names {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let got = check(&bytes, name);
        if let Some(&(_, want)) = EXPECTED.iter().find(|e| e.0 == name) {
            assert_eq!(got, want, "{name}: (games, warnings, records)");
        }
    }
}
