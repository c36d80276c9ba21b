//! Replays hostile GTP input (`tests/fixtures/gtp_corpus/*.gtp`: bad numbers,
//! vertices, ids, control characters, invalid UTF-8, misuse of the game commands,
//! files that are devices or folders, very long words) through the engine. Each file
//! ends with `999 protocol_version`: the engine must get there without panicking and
//! frame every response correctly. Inputs kept from the fuzz target (`gtp_engine`, see
//! fuzz/README.md) are in `fuzz/` below it and replayed the way the target runs them.

use std::path::PathBuf;

use fovea_go::gtp::{serve, Engine};
use fovea_go::player::RandomPlayer;

/// Splits an output stream into responses, checking each one's framing.
fn responses(out: &str) -> Vec<&str> {
    assert!(out.ends_with("\n\n"), "output does not end with a blank line: {out:?}");
    let parts: Vec<&str> = out[..out.len() - 2].split("\n\n").collect();
    for r in &parts {
        assert!(r.starts_with('=') || r.starts_with('?'), "response without = or ?: {r:?}");
        assert!(!r.chars().any(|c| c.is_control() && c != '\n'), "control character in {r:?}");
    }
    parts
}

#[test]
fn hostile_lines_get_framed_answers_and_never_crash_the_engine() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gtp_corpus");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is missing from {}", dir.display());
    for path in files {
        let input = std::fs::read(&path).unwrap();
        let mut engine = Engine::new(Box::new(RandomPlayer::new(1)));
        let mut out = Vec::new();
        serve(&mut engine, &input[..], &mut out).unwrap();
        let out = String::from_utf8(out).unwrap_or_else(|e| panic!("{}: output is not UTF-8: {e}", path.display()));
        let parts = responses(&out);
        assert_eq!(parts.last(), Some(&"=999 2"), "{} did not reach its last line:\n{out}", path.display());
        // The rules state survived whatever came before.
        let game = engine.game();
        assert!((2..=25).contains(&game.size()) && game.komi().is_finite(), "{}", path.display());
    }
}

#[test]
fn hostile_lines_one_at_a_time_each_get_exactly_one_answer() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gtp_corpus");
    let mut engine = Engine::new(Box::new(RandomPlayer::new(2)));
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let input = std::fs::read(path).unwrap();
        for line in input.split(|&b| b == b'\n') {
            let text = String::from_utf8_lossy(line);
            if let Some(r) = engine.respond(&text) {
                assert_eq!(responses(&r).len(), 1, "{text:?} -> {r:?}");
            }
        }
    }
}

#[test]
fn inputs_kept_from_fuzzing_replay_with_framed_answers() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gtp_corpus/fuzz");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!files.is_empty());
    for path in files {
        let input = std::fs::read(&path).unwrap();
        let mut engine = Engine::new(Box::new(RandomPlayer::new(0))).without_files();
        let mut out = Vec::new();
        serve(&mut engine, &input[..], &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        if !out.is_empty() {
            responses(&out);
        }
    }
}
