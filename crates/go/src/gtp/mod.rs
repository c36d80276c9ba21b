//! A GTP version 2 engine (<http://www.lysator.liu.se/~gunnar/gtp/>) around any
//! [`Player`]: what `fovea gtp` runs for GoGui, Sabaki, twogtp and go servers.
//!
//! [`serve`] reads commands from any `BufRead` and answers on any `Write`;
//! [`Engine::respond`] answers one line. No input line can make it panic: a bad
//! command, colour, vertex, size or number is answered `? message`.
//!
//! Choices the spec leaves open:
//!
//! * **Rules**: area scoring with positional superko (Chinese rules); `final_score` is
//!   the Tromp-Taylor count of the board as it stands (no dead-stone removal), so
//!   `final_status_list dead` is empty.
//! * **Board sizes**: any size from 2 to 25 can be set up and played on; `genmove` asks
//!   the player, and the policy network answers only on 19x19 (an error elsewhere).
//! * **Empty results** are framed `=\n\n` (no space); a board starts on its own line.
//! * **Files**: `loadsgf` reads at most [`MAX_SGF_BYTES`]; `printsgf` prints and writes
//!   no files. [`Engine::without_files`] turns `loadsgf` off (the fuzz target does).
//! * **Analysis**: `gogui-analyze_commands` offers the player's move probabilities as a
//!   GoGui `gfx` heat map (INFLUENCE squares and LABEL percentages), a `cboard` colour
//!   board and an `sboard` of percentages; `policy_top N` lists the top moves as text.

mod analyze;
mod commands;
mod protocol;

#[cfg(test)]
mod tests;

use std::io::{self, BufRead, Read, Write};

use crate::player::Player;
use crate::Game;

pub use commands::COMMANDS;

/// Komi of a fresh engine, and of `fovea go match`: Chinese rules' 7.5.
pub const DEFAULT_KOMI: f32 = 7.5;

/// Board side of a fresh engine.
pub const DEFAULT_SIZE: usize = 19;

/// The largest SGF file `loadsgf` reads.
pub const MAX_SGF_BYTES: u64 = 16 << 20;

/// The longest command line [`serve`] accepts; longer lines are answered with an error
/// and skipped, so a stream without line breaks cannot fill the memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Time control as `time_settings` and `time_left` report it. The policy player
/// answers in well under a second, so this is kept for the record only.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeControl {
    pub main_time: u32,
    pub byo_yomi_time: u32,
    pub byo_yomi_stones: u32,
    /// Per colour: seconds and stones left, as the last `time_left` said.
    pub left: [Option<(u32, u32)>; 2],
}

/// The engine: a game, a player, and the protocol state.
pub struct Engine {
    game: Game,
    player: Box<dyn Player>,
    files: bool,
    time: TimeControl,
    quit: bool,
}

impl Engine {
    /// A 19x19 game with komi 7.5 and positional superko, `player` to generate moves.
    pub fn new(player: Box<dyn Player>) -> Engine {
        Engine {
            game: new_game(DEFAULT_SIZE, DEFAULT_KOMI),
            player,
            files: true,
            time: TimeControl::default(),
            quit: false,
        }
    }

    /// Refuses `loadsgf` (nothing else touches files).
    pub fn without_files(mut self) -> Engine {
        self.files = false;
        self
    }

    /// The game as the commands so far have left it.
    pub fn game(&self) -> &Game {
        &self.game
    }

    pub fn time_control(&self) -> TimeControl {
        self.time
    }

    /// Whether `quit` has been answered (the caller should stop reading).
    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// The full response to one raw input line (`=... \n\n` or `?...\n\n`), or `None`
    /// for a line GTP ignores (empty, white space, a comment).
    pub fn respond(&mut self, raw: &str) -> Option<String> {
        let request = protocol::parse(&protocol::preprocess(raw))?;
        let outcome = if request.name.is_empty() {
            Err("missing command name".to_string())
        } else {
            let args: Vec<&str> = request.args.iter().map(String::as_str).collect();
            self.execute(&request.name, &args)
        };
        Some(protocol::frame(request.id.as_deref(), &outcome))
    }
}

/// A fresh game of the engine's rules; `size` and `komi` must already be valid.
fn new_game(size: usize, komi: f32) -> Game {
    match Game::new(size, komi) {
        Ok(game) => game.with_superko(true),
        // Only reached with a size or komi the callers checked; fall back to the default.
        Err(_) => new_game(DEFAULT_SIZE, DEFAULT_KOMI),
    }
}

/// Answers GTP commands from `input` on `output` until `quit` or the end of the input.
/// Lines are read as bytes and decoded as UTF-8 with invalid sequences replaced; each
/// response is flushed at once. Only I/O errors stop it early.
pub fn serve(engine: &mut Engine, mut input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut line = Vec::new();
    while !engine.quit_requested() {
        line.clear();
        let n = (&mut input).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let response = if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            skip_line(&mut input)?;
            let head = String::from_utf8_lossy(&line[..64]);
            let id = protocol::parse(&protocol::preprocess(&head)).and_then(|r| r.id);
            Some(protocol::frame(id.as_deref(), &Err(format!("line longer than {MAX_LINE_BYTES} bytes"))))
        } else {
            engine.respond(&String::from_utf8_lossy(&line))
        };
        if let Some(response) = response {
            output.write_all(response.as_bytes())?;
            output.flush()?;
        }
    }
    Ok(())
}

/// Reads and drops the rest of a line.
fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}
