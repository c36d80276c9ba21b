//! Random playouts: both sides play uniformly random legal moves that do not fill their
//! own eyes until neither has one left (two passes) or a move cap stops a ko cycle,
//! then the board is scored by Tromp-Taylor area.
//!
//! A move is drawn without building the legal-move list. A few draws go straight into
//! the board's empty-point list and keep the first playable point (rejection sampling,
//! uniform over the playable points); when they all miss, a copy of the list is shuffled
//! lazily, each miss swapped out of the candidate range, until a playable point turns
//! up or none is left. Either way every playable point is equally likely, and no move
//! allocates.

use crate::board::{Board, Point, MAX_SIZE};
use crate::Color;

/// Draws straight into the empty-point list before the exhaustive search. Early in a
/// playout nearly every empty point is playable and the first draw wins; late, when
/// most empty points are eyes, the search takes over after these few misses.
const QUICK_DRAWS: usize = 4;

/// A small, fast generator for playouts (splitmix64): one add and a mix per draw.
/// `fovea_core::Rng` costs three mixes a draw, being counter-based for tensor fills.
#[derive(Clone, Debug)]
pub struct PlayoutRng {
    state: u64,
}

impl PlayoutRng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> PlayoutRng {
        PlayoutRng { state: seed }
    }

    /// Random 64 bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index in `0..n` (`n >= 1`), by multiply-shift: no division, and a
    /// bias of at most n / 2^64.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// How a playout ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlayoutResult {
    /// Moves played in the playout, passes included.
    pub moves: usize,
    /// Tromp-Taylor score of the final board from black's side (`Board::score`).
    pub score: f32,
    /// Two consecutive passes ended it; false when the move cap did.
    pub finished: bool,
}

/// A playout's settings: the komi that scores it and the move cap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Playout {
    pub komi: f32,
    /// Moves (passes included) after which the playout stops unfinished; it bounds ko
    /// cycles, which simple ko does not forbid.
    pub max_moves: usize,
}

impl Playout {
    /// Playouts on a `size` board with the default cap of `3 * size * size` moves
    /// (random games on 19x19 end after about 450).
    pub fn new(size: usize, komi: f32) -> Playout {
        Playout { komi, max_moves: 3 * size * size }
    }

    /// Plays a random game on `board` from its position and side to move.
    pub fn run(&self, board: &mut Board, rng: &mut PlayoutRng) -> PlayoutResult {
        self.run_with(board, rng, |_, _, _| {})
    }

    /// [`run`](Self::run), calling `on_move(board, color, point)` before each move is
    /// played (`None` for a pass), with the board as it stands before that move.
    pub fn run_with(
        &self,
        board: &mut Board,
        rng: &mut PlayoutRng,
        mut on_move: impl FnMut(&Board, Color, Option<Point>),
    ) -> PlayoutResult {
        // Kept across moves only so that it is not zeroed on every fallback.
        let mut scratch = [0u16; MAX_SIZE * MAX_SIZE];
        let mut moves = 0;
        while board.consecutive_passes() < 2 && moves < self.max_moves {
            let color = board.to_move();
            let choice = select(board, color, rng, &mut scratch);
            on_move(board, color, choice);
            match choice {
                Some(p) => {
                    board.play_unchecked(color, p);
                }
                None => board.pass(color),
            }
            moves += 1;
        }
        PlayoutResult { moves, score: board.score(self.komi), finished: board.consecutive_passes() >= 2 }
    }
}

/// A random playout of `board` with `komi`, stopped after `max_moves` moves at most
/// (see [`Playout`]).
pub fn random_playout(board: &mut Board, rng: &mut PlayoutRng, komi: f32, max_moves: usize) -> PlayoutResult {
    Playout { komi, max_moves }.run(board, rng)
}

/// A uniformly random point where `color` may play without filling its own eye;
/// `None` when there is none (the playout passes).
pub fn random_move(board: &Board, color: Color, rng: &mut PlayoutRng) -> Option<Point> {
    let mut scratch = [0u16; MAX_SIZE * MAX_SIZE];
    select(board, color, rng, &mut scratch)
}

/// Whether a playout lets `color` play at empty `p`: legal and not its own eye.
#[inline]
fn playable(board: &Board, color: Color, p: Point) -> bool {
    !board.is_eye(color, p) && board.is_legal(color, p)
}

fn select(
    board: &Board,
    color: Color,
    rng: &mut PlayoutRng,
    scratch: &mut [u16; MAX_SIZE * MAX_SIZE],
) -> Option<Point> {
    let empties = board.empty_points();
    let n = empties.len();
    if n == 0 {
        return None;
    }
    for _ in 0..QUICK_DRAWS {
        let p = empties[rng.below(n)] as Point;
        if playable(board, color, p) {
            return Some(p);
        }
    }
    let candidates = &mut scratch[..n];
    candidates.copy_from_slice(empties);
    let mut left = n;
    while left > 0 {
        let i = rng.below(left);
        let p = candidates[i] as Point;
        if playable(board, color, p) {
            return Some(p);
        }
        left -= 1;
        candidates[i] = candidates[left];
    }
    None
}

#[cfg(test)]
#[path = "playout_tests.rs"]
mod tests;
