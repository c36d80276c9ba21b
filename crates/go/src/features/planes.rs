//! What a stone of the side to move at one empty point would do, read from the
//! neighbouring strings without playing it: legality, stones captured, and the
//! liberties and size of the string it joins; planes 20-43 and 46 come from it. The
//! encoding loop lives here too.

use crate::board::{Board, Cell, Point};
use crate::Color;

use super::{
    Encoder, CAPTURE_SIZE, LADDER_CAPTURE, LADDER_ESCAPE, LIBERTIES, LIBERTIES_AFTER, ONES, PLANES, SELF_ATARI_SIZE,
    SENSIBLENESS, STONES, TURNS_SINCE,
};

/// Words of the largest liberty bit set: a 27 x 27 padded array (25 x 25 board).
const MAX_WORDS: usize = (27 * 27usize).div_ceil(64);

/// The outcome of a legal move, as [`analyse`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MoveInfo {
    /// Opponent stones captured (all strings together).
    pub captured: u32,
    /// Liberties of the string holding the new stone, captures included (>= 1).
    pub liberties: u32,
    /// Stones of that string, the new one included.
    pub size: u32,
}

/// Up to four distinct string heads (the strings next to one point).
#[derive(Default)]
struct Heads {
    h: [Point; 4],
    n: usize,
}

impl Heads {
    #[inline]
    fn insert(&mut self, head: Point) {
        if !self.h[..self.n].contains(&head) {
            self.h[self.n] = head;
            self.n += 1;
        }
    }
    #[inline]
    fn as_slice(&self) -> &[Point] {
        &self.h[..self.n]
    }
}

/// What `color` playing at empty `p` would do; `None` where the move is illegal
/// (banned by simple ko, or suicide). Agrees with [`Board::check`] on every empty
/// point; positional superko is the game's business and is not seen here.
#[inline]
pub(crate) fn analyse(board: &Board, color: Color, p: Point) -> Option<MoveInfo> {
    debug_assert_eq!(board.cell(p), Cell::Empty);
    if board.ko() == Some((p, color)) {
        return None;
    }
    let own = cell_of(color);
    let mut friends = Heads::default();
    let mut prey = Heads::default();
    let mut empty = 0u32;
    let mut safe_friend = false;
    for q in board.neighbours(p) {
        match board.cell(q) {
            Cell::Empty => empty += 1,
            Cell::Border => {}
            c if c == own => {
                friends.insert(board.string_head(q));
                safe_friend |= board.liberties(q) > 1;
            }
            _ => {
                if board.liberties(q) == 1 {
                    prey.insert(board.string_head(q));
                }
            }
        }
    }
    if empty == 0 && !safe_friend && prey.n == 0 {
        return None;
    }
    let captured: u32 = prey.as_slice().iter().map(|&h| board.string_size(h) as u32).sum();
    let size = 1 + friends.as_slice().iter().map(|&h| board.string_size(h) as u32).sum::<u32>();
    // A lone stone that captures nothing: its liberties are its empty neighbours.
    if friends.n == 0 && prey.n == 0 {
        return Some(MoveInfo { captured, liberties: empty, size });
    }
    // Joining one string and capturing nothing: its liberties but `p`, plus the empty
    // neighbours of `p` it lacks.
    if friends.n == 1 && prey.n == 0 {
        let h = friends.h[0];
        let set = board.liberty_set(h);
        let new = board
            .neighbours(p)
            .iter()
            .filter(|&&q| board.cell(q) == Cell::Empty && set[q / 64] & (1 << (q % 64)) == 0)
            .count();
        return Some(MoveInfo { captured, liberties: (board.liberties(h) - 1 + new) as u32, size });
    }
    let words = board.liberty_words();
    let mut set = [0u64; MAX_WORDS];
    let set = &mut set[..words];
    for q in board.neighbours(p) {
        if board.cell(q) == Cell::Empty {
            set[q / 64] |= 1 << (q % 64);
        }
    }
    for &h in friends.as_slice() {
        for (s, l) in set.iter_mut().zip(board.liberty_set(h)) {
            *s |= l;
        }
    }
    // A captured stone becomes a liberty where it touches the new stone or a friend
    // that the new stone joins.
    for &h in prey.as_slice() {
        for s in board.string_stones(h) {
            let touches = board
                .neighbours(s)
                .iter()
                .any(|&r| r == p || (board.cell(r) == own && friends.as_slice().contains(&board.string_head(r))));
            if touches {
                set[s / 64] |= 1 << (s % 64);
            }
        }
    }
    set[p / 64] &= !(1 << (p % 64));
    let liberties = set.iter().map(|w| w.count_ones()).sum();
    Some(MoveInfo { captured, liberties, size })
}

#[inline]
pub(crate) fn cell_of(color: Color) -> Cell {
    match color {
        Color::Black => Cell::Black,
        Color::White => Cell::White,
    }
}

impl Encoder {
    /// Writes the 48 planes of `board` for the side to move into `out`, HWC (see
    /// [`Encoder`]).
    ///
    /// # Shapes
    /// `out` is `(size, size, PLANES)` row-major: `out[(y * size + x) * PLANES + plane]`.
    pub fn encode(&mut self, board: &Board, out: &mut [f32]) {
        let size = board.size();
        assert_eq!(
            out.len(),
            size * size * PLANES,
            "encode: out holds {} values but a {size}x{size} board's planes are (1, {size}, {size}, {PLANES})",
            out.len()
        );
        out.fill(0.0);
        let stride = board.stride();
        if self.seen.len() < stride * stride || self.stamp == u32::MAX {
            self.seen.clear();
            self.seen.resize(stride * stride, 0);
            self.stamp = 0;
        }
        self.stamp += 1;
        self.in_atari.clear();
        self.two_liberties.clear();

        let me = board.to_move();
        let own = cell_of(me);
        let now = board.move_number();
        for y in 0..size {
            for x in 0..size {
                let p = (y + 1) * stride + x + 1;
                let o = &mut out[(y * size + x) * PLANES..][..PLANES];
                o[ONES] = 1.0;
                let cell = board.cell(p);
                if cell == Cell::Empty {
                    o[STONES + 2] = 1.0;
                    if let Some(m) = analyse(board, me, p) {
                        o[CAPTURE_SIZE + (m.captured as usize).min(7)] = 1.0;
                        if m.liberties == 1 {
                            o[SELF_ATARI_SIZE + (m.size as usize).min(8) - 1] = 1.0;
                        }
                        o[LIBERTIES_AFTER + (m.liberties as usize).min(8) - 1] = 1.0;
                        if !board.is_eye(me, p) {
                            o[SENSIBLENESS] = 1.0;
                        }
                    }
                    continue;
                }
                o[STONES + usize::from(cell != own)] = 1.0;
                let placed = board.placed_at(p);
                let age = if placed == 0 { 8 } else { (now - placed + 1).min(8) as usize };
                o[TURNS_SINCE + age - 1] = 1.0;
                let libs = board.liberties(p);
                o[LIBERTIES + libs.min(8) - 1] = 1.0;
                let head = board.string_head(p);
                if self.seen[head] != self.stamp {
                    self.seen[head] = self.stamp;
                    if cell == own && libs == 1 {
                        self.in_atari.push(head);
                    } else if cell != own && libs == 2 {
                        self.two_liberties.push(head);
                    }
                }
            }
        }
        if self.in_atari.is_empty() && self.two_liberties.is_empty() {
            return;
        }
        self.ladders.load(board);
        let at = |p: Point| ((p / stride - 1) * size + p % stride - 1) * PLANES;
        for &prey in &self.two_liberties {
            let mut libs = board.string_liberties(prey);
            let (l1, l2) = (libs.next().unwrap(), libs.next().unwrap());
            for (mv, run) in [(l1, l2), (l2, l1)] {
                if out[at(mv) + LADDER_CAPTURE] != 0.0 {
                    continue;
                }
                // Most ataris are answered by running into the open. A run that
                // captures nothing keeps the liberties it would have now except `mv`
                // (captures by the hunter's stone only add some), so three or more
                // besides `mv` settle it without reading. Not so for a run that
                // captures: the hunter's stone may first capture the stones around
                // its victim and so save it (`ladder_tests::RESCUE`).
                let open = analyse(board, me.opponent(), run).is_some_and(|m| m.captured == 0 && m.liberties >= 4);
                if !open && self.ladders.is_capture(me, mv, prey) {
                    out[at(mv) + LADDER_CAPTURE] = 1.0;
                }
            }
        }
        for &prey in &self.in_atari {
            let mut moves = [0; 16];
            let n = escape_moves(board, prey, &mut moves);
            for (i, &mv) in moves[..n].iter().enumerate() {
                if out[at(mv) + LADDER_ESCAPE] != 0.0 {
                    continue;
                }
                // moves[0] extends the prey, whose liberties afterwards are known.
                let escaped = match analyse(board, me, mv) {
                    Some(m) if i == 0 && m.liberties != 2 => m.liberties >= 3,
                    _ => self.ladders.is_escape(me, mv, prey),
                };
                if escaped {
                    out[at(mv) + LADDER_ESCAPE] = 1.0;
                }
            }
        }
    }
}

/// The moves that may save the string through `prey`, which is in atari: its liberty,
/// then the liberty of each opponent string in atari touching it (distinct, at most
/// `out.len()` in all). Returns how many.
pub(super) fn escape_moves(board: &Board, prey: Point, out: &mut [Point]) -> usize {
    out[0] = board.string_liberties(prey).next().expect("a string in atari has a liberty");
    let mut n = 1;
    let other = board.cell(prey).color().expect("prey is a stone").opponent();
    for s in board.string_stones(prey) {
        for q in board.neighbours(s) {
            if board.cell(q).color() == Some(other) && board.liberties(q) == 1 {
                let lib = board.string_liberties(q).next().expect("a string in atari has a liberty");
                if n < out.len() && !out[..n].contains(&lib) {
                    out[n] = lib;
                    n += 1;
                }
            }
        }
    }
    n
}
