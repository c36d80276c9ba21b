//! AlphaGo's 48 input planes (Silver et al. 2016, Extended Data Table 2), seen from
//! the side to move ("player"; the other side is the "opponent").
//!
//! # Shapes
//! [`encode`] writes one position as `(size, size, PLANES)` HWC, rows from the top:
//! `out[(y * size + x) * PLANES + plane]`, the layout of an NHWC tensor
//! `(1, size, size, 48)`. Every plane is 0 or 1; each group below is one-hot where it
//! applies and all-zero elsewhere.
//!
//! # Planes
//! | planes | name | set on |
//! |---|---|---|
//! | 0-2 | stone colour | player's stone, opponent's stone, empty point |
//! | 3 | ones | every point |
//! | 4-11 | turns since | stones: placed 1, 2, ..., 7 moves ago, then 8 or more |
//! | 12-19 | liberties | stones: liberties of their string, 1..7, then 8 or more |
//! | 20-27 | capture size | legal moves: opponent stones captured, 0..6, then 7 or more |
//! | 28-35 | self-atari size | legal moves leaving the player's string one liberty: its size 1..7, then 8 or more |
//! | 36-43 | liberties after | legal moves: liberties of the player's string after the move, 1..7, then 8 or more |
//! | 44 | ladder capture | legal moves that win a ladder |
//! | 45 | ladder escape | legal moves that escape a ladder |
//! | 46 | sensibleness | legal moves that fill none of the player's eyes |
//! | 47 | zeros | nowhere |
//!
//! The decisions behind each group:
//!
//! * **Legal** is [`Board::check`]: empty, not banned by simple ko, not suicide. A
//!   `Board` keeps no history, so a move that only positional superko forbids still
//!   counts as legal here.
//! * **Turns since** counts moves, passes included: a stone's age is
//!   `move_number - placed_at + 1`, so the last move's stone is 1, and after a pass
//!   it is 2. Captured stones leave no trace, and a stone played where one was
//!   captured has its own new age. Setup stones (handicap, SGF's AB/AW,
//!   [`Board::set_stone`]) have no move number (`placed_at` 0) and go in the "8 or
//!   more" plane; `set_stone` rebuilds the whole board, so after it every stone counts
//!   as a setup stone. RocAlphaGo ages handicap stones from their placement instead.
//! * **Capture size** sums every string the move captures (a move taking two strings
//!   of 2 and 3 stones captures 5) and marks legal non-captures in plane 20, as
//!   RocAlphaGo does.
//! * **Self-atari size** and **liberties after** count the captured stones that touch
//!   the new string as its liberties; they are read from the liberty bit sets of the
//!   neighbouring strings without playing the move.
//! * **Ladder capture** (44): the player plays a liberty of an opponent string that has
//!   exactly two, and the string, in atari, cannot escape: neither by extending at its
//!   last liberty (3 or more liberties escapes; 2 go on being chased, the hunter trying
//!   both ataris) nor by capturing any player string in atari that touches it. This is
//!   RocAlphaGo's search. It is read to [`LADDER_DEPTH`] plies (a line that long counts
//!   as captured) with at most [`LADDER_NODES`] positions per candidate move (running
//!   out means "no"). The reader plays on bare copies of the cells rather than on
//!   cloned `Board`s, whose liberty bit sets made each copy cost more than the rest of
//!   the encoding; a test holds it to a plain reader on cloned boards.
//! * **Ladder escape** (45): for each player string in atari, its liberty and the
//!   liberty of each opponent string in atari touching it (capturing an attacker);
//!   such a move escapes when afterwards the string has 3 or more liberties, or 2 and
//!   no ladder capture of it works. RocAlphaGo tries only strings next to the move, so
//!   it misses a capture of an attacker away from the string; we count it.
//! * **Sensibleness**: legal and not [`Board::is_eye`] for the player: every neighbour
//!   the player's stone or the edge, and at most one opponent stone on the diagonals
//!   (none on the edge or in the corner). RocAlphaGo's eye test is recursive (an empty
//!   diagonal counts against the eye unless it is itself an eye); ours counts only
//!   opponent stones, as the board's own playout rule does.

mod ladder;
mod planes;
mod symmetry;

pub use ladder::{is_ladder_capture, is_ladder_escape, LADDER_DEPTH, LADDER_NODES};
pub use symmetry::Symmetry;

use crate::board::{Board, Cell, Point};
use crate::Color;

/// Input planes per point.
pub const PLANES: usize = 48;

/// First plane of each group (see the module's table).
pub const STONES: usize = 0;
pub const ONES: usize = 3;
pub const TURNS_SINCE: usize = 4;
pub const LIBERTIES: usize = 12;
pub const CAPTURE_SIZE: usize = 20;
pub const SELF_ATARI_SIZE: usize = 28;
pub const LIBERTIES_AFTER: usize = 36;
pub const LADDER_CAPTURE: usize = 44;
pub const LADDER_ESCAPE: usize = 45;
pub const SENSIBLENESS: usize = 46;
pub const ZEROS: usize = 47;

/// The planes of `board` for the side to move; `out` is `(size, size, PLANES)` HWC and
/// is overwritten. Allocates its scratch (a few KB) each call: reuse an [`Encoder`] in
/// loops.
pub fn encode(board: &Board, out: &mut [f32]) {
    Encoder::new().encode(board, out)
}

/// The moves `color` may sensibly play: legal and not filling one of its own eyes
/// (plane 46), row by row from the top. The player samples from these.
pub fn sensible_moves(board: &Board, color: Color) -> Vec<Point> {
    board
        .points()
        .filter(|&p| board.cell(p) == Cell::Empty && board.is_legal(color, p) && !board.is_eye(color, p))
        .collect()
}

/// Reusable scratch for [`Encoder::encode`]: after the first position of a board size
/// it allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    /// By padded point: the stamp of the encoding that last visited this string head.
    seen: Vec<u32>,
    stamp: u32,
    /// Heads of the player's strings in atari (ladder escape candidates).
    in_atari: Vec<Point>,
    /// Heads of the opponent's strings with two liberties (ladder capture candidates).
    two_liberties: Vec<Point>,
    ladders: ladder::Reader,
}

impl Encoder {
    pub fn new() -> Encoder {
        Encoder::default()
    }
}

#[cfg(test)]
mod ladder_tests;
#[cfg(test)]
mod tests;
