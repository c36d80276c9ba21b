//! Feeds arbitrary bytes to the GTP engine as a command stream (a network-free random
//! player, `loadsgf` turned off so that no input reads files). Error responses are the
//! expected outcome; any panic, hang or runaway allocation is a bug, and so is a
//! response that breaks GTP's framing.
#![no_main]

use fovea_go::gtp::{serve, Engine};
use fovea_go::player::RandomPlayer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut engine = Engine::new(Box::new(RandomPlayer::new(0))).without_files();
    let mut out = Vec::new();
    if serve(&mut engine, data, &mut out).is_err() {
        return;
    }
    // Every response is `=` or `?`, then text without blank lines, then a blank line.
    let out = String::from_utf8(out).expect("responses are UTF-8");
    if !out.is_empty() {
        assert!(out.ends_with("\n\n"), "unterminated response: {out:?}");
        for r in out[..out.len() - 2].split("\n\n") {
            assert!(r.starts_with('=') || r.starts_with('?'), "bad response: {r:?}");
        }
    }
});
