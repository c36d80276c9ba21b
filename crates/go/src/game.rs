//! A game: the board with its history, undo, komi, handicap, optional positional
//! superko, and the end of the game by two passes.

use std::collections::HashSet;

use crate::board::{Board, Illegal, Point};
use crate::{Color, Error, Move, Result, Vertex};

/// A game in progress: the current board, every move played, and what undo needs.
#[derive(Clone, Debug)]
pub struct Game {
    board: Board,
    komi: f32,
    /// The boards before each move, for undo.
    previous: Vec<Board>,
    moves: Vec<(Color, Move)>,
    /// Whole-board hashes of every position so far (for positional superko).
    seen: HashSet<u64>,
    superko: bool,
    handicap: Vec<Vertex>,
}

impl Game {
    /// An empty `size` x `size` board with `komi`, black to move, simple ko only.
    pub fn new(size: usize, komi: f32) -> Result<Game> {
        if !komi.is_finite() {
            return Err(Error::Setup(format!("komi {komi} is not a finite number")));
        }
        let board = Board::new(size)?;
        let seen = std::iter::once(board.hash()).collect();
        Ok(Game { board, komi, previous: Vec::new(), moves: Vec::new(), seen, superko: false, handicap: Vec::new() })
    }

    /// Forbids moves that recreate an earlier whole-board position (positional superko).
    pub fn with_superko(mut self, on: bool) -> Game {
        self.superko = on;
        self
    }

    pub fn board(&self) -> &Board {
        &self.board
    }
    pub fn size(&self) -> usize {
        self.board.size()
    }
    pub fn komi(&self) -> f32 {
        self.komi
    }
    pub fn set_komi(&mut self, komi: f32) -> Result<()> {
        if !komi.is_finite() {
            return Err(Error::Setup(format!("komi {komi} is not a finite number")));
        }
        self.komi = komi;
        Ok(())
    }
    pub fn to_move(&self) -> Color {
        self.board.to_move()
    }
    /// The moves played, in order.
    pub fn moves(&self) -> &[(Color, Move)] {
        &self.moves
    }
    /// Handicap stones placed at the start.
    pub fn handicap(&self) -> &[Vertex] {
        &self.handicap
    }
    /// Two passes in a row end the game.
    pub fn is_over(&self) -> bool {
        self.board.consecutive_passes() >= 2
    }

    /// Whether `color` may play `mv` now, and why not.
    pub fn check(&self, color: Color, mv: Move) -> std::result::Result<(), Illegal> {
        let Move::Play(v) = mv else { return Ok(()) };
        if !self.board.contains(v) {
            return Err(Illegal::OffBoard);
        }
        let p = self.board.point(v);
        self.board.check(color, p)?;
        if self.superko && self.repeats(color, p) {
            return Err(Illegal::Superko);
        }
        Ok(())
    }

    pub fn is_legal(&self, color: Color, mv: Move) -> bool {
        self.check(color, mv).is_ok()
    }

    /// Whether a legal stone of `color` at `p` would recreate a position seen before.
    fn repeats(&self, color: Color, p: Point) -> bool {
        let mut after = self.board.clone();
        after.play_unchecked(color, p);
        self.seen.contains(&after.hash())
    }

    /// Plays `color`'s move; an illegal move changes nothing and says why.
    pub fn play(&mut self, color: Color, mv: Move) -> Result<()> {
        self.check(color, mv).map_err(|why| Error::IllegalMove {
            color,
            mv: mv.to_gtp(self.size()),
            msg: why.describe().into(),
        })?;
        self.previous.push(self.board.clone());
        match mv {
            Move::Pass => self.board.pass(color),
            Move::Play(v) => {
                let p = self.board.point(v);
                self.board.play_unchecked(color, p);
            }
        }
        self.seen.insert(self.board.hash());
        self.moves.push((color, mv));
        Ok(())
    }

    /// Takes back the last move; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(board) = self.previous.pop() else { return false };
        self.moves.pop();
        self.board = board;
        // Rebuild the set: a position may have occurred more than once.
        self.seen = std::iter::once(self.board.hash()).chain(self.previous.iter().map(Board::hash)).collect();
        true
    }

    /// Puts down handicap stones on an empty board (GTP's `set_free_handicap` and the
    /// fixed placements); white moves next.
    pub fn place_handicap(&mut self, stones: &[Vertex]) -> Result<()> {
        if !self.moves.is_empty() || self.board.points().any(|p| self.board.cell(p).color().is_some()) {
            return Err(Error::Setup("handicap stones go on an empty board".into()));
        }
        let unique: HashSet<_> = stones.iter().collect();
        if stones.len() < 2 || unique.len() != stones.len() {
            return Err(Error::Setup(format!("a handicap is at least 2 distinct stones, got {}", stones.len())));
        }
        for &v in stones {
            self.board.set_stone(v, Some(Color::Black))?;
        }
        self.board.set_to_move(Color::White);
        self.handicap = stones.to_vec();
        self.seen = std::iter::once(self.board.hash()).collect();
        Ok(())
    }

    /// Tromp-Taylor area score from black's side (black's area - white's - komi):
    /// positive means black wins.
    pub fn score(&self) -> f32 {
        self.board.score(self.komi)
    }

    /// The score as GTP's `final_score` and SGF's RE write it: `B+3.5`, `W+0.5`, `0`.
    pub fn result_string(&self) -> String {
        format_score(self.score())
    }
}

/// `B+x`, `W+x` or `0` for a black-minus-white score.
pub fn format_score(score: f32) -> String {
    if score > 0.0 {
        format!("B+{score}")
    } else if score < 0.0 {
        format!("W+{}", -score)
    } else {
        "0".to_string()
    }
}

/// GTP's fixed handicap placement (GTP 2 spec, section 4.1.1): corners on the 4-4 points
/// (the 3-3 points below 13x13), then the sides, then the centre. `None` where the
/// spec defines no placement (boards under 7x7, more than 4 stones on even boards
/// and on 7x7, more than 9 stones, fewer than 2).
pub fn fixed_handicap(size: usize, stones: usize) -> Option<Vec<Vertex>> {
    if size < 7 || !(2..=9).contains(&stones) || ((size.is_multiple_of(2) || size == 7) && stones > 4) {
        return None;
    }
    let edge = if size >= 13 { 3 } else { 2 };
    let (lo, hi, mid) = (edge, size - 1 - edge, size / 2);
    // (x, y) with y from the top: D4 is (lo, hi) on 19x19.
    let v = |x: usize, y: usize| Vertex::new(x, y);
    let corners = [v(lo, hi), v(hi, lo), v(lo, lo), v(hi, hi)];
    let sides = [v(lo, mid), v(hi, mid), v(mid, hi), v(mid, lo)];
    let centre = v(mid, mid);
    let mut out: Vec<Vertex> = corners.iter().take(stones.min(4)).copied().collect();
    match stones {
        5 => out.push(centre),
        6 => out.extend_from_slice(&sides[..2]),
        7 => {
            out.extend_from_slice(&sides[..2]);
            out.push(centre);
        }
        8 => out.extend_from_slice(&sides),
        9 => {
            out.extend_from_slice(&sides);
            out.push(centre);
        }
        _ => {}
    }
    Some(out)
}

#[cfg(test)]
#[path = "game_tests.rs"]
mod tests;
