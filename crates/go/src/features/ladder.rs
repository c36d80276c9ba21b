//! A ladder reader: the hunter ataris, the prey runs or captures an attacker, until the
//! prey is captured, reaches three liberties, or the reading gives up.
//!
//! It reads on copies of a bare position (the padded cells and the ko ban, under 1 KB)
//! rather than on cloned [`Board`]s: a `Board` carries a liberty bit set per point
//! (25 KB on 19 x 19), and cloning one per move read made the two ladder planes cost
//! eight times the other 46 together (230 us a position). Strings and liberties are
//! found by flood fill, which stops once it has seen the liberties the question needs.
//! The rules are the board's: captures, no suicide, simple ko.
//!
//! Two shortcuts skip moves whose outcome is plain: a prey that can run to a point
//! with three empty neighbours has escaped, so the atari that would send it there is
//! not tried; and of two ataris the one leaving the prey the more enclosed run is
//! tried first. Both are exact short of the depth limit; a test holds the reader to a
//! plain one on cloned boards without them.

use crate::board::{Board, Cell, Point};
use crate::Color;

use super::planes::cell_of;

/// Plies read at most (hunter and prey moves together). A ladder moves its prey one
/// point per prey move, alternately along each axis, so crossing a 25 x 25 board
/// corner to corner takes 96 plies; 100 reads every ladder to its end. A line read
/// this deep counts as captured, as RocAlphaGo counts it (it reads 80).
pub const LADDER_DEPTH: u32 = 100;

/// Positions played at most per question (a question is one candidate move of plane
/// 44 or 45). A straight ladder needs about one per ply; branchy positions where the
/// prey has several captures to try can blow up, and a question that runs out gets
/// "no" (neither a ladder capture nor a ladder escape is claimed).
pub const LADDER_NODES: u32 = 1000;

/// Points of the largest padded array (25 x 25 board).
const MAX_POINTS: usize = 27 * 27;

/// Most escape moves tried at one prey turn: the last liberty and the liberties of up
/// to 15 attacker strings in atari (a string rarely touches more than a few).
const MAX_ESCAPES: usize = 16;

/// Whether `hunter` playing at `mv` captures the string through `prey` (a stone) in a
/// ladder: the move is legal, leaves the prey one liberty, and no escape works. Sets up
/// a reader (a few KB) per call; the encoder keeps one.
pub fn is_ladder_capture(board: &Board, hunter: Color, mv: Point, prey: Point) -> bool {
    let mut r = Reader::new();
    r.load(board);
    r.is_capture(hunter, mv, prey)
}

/// Whether `color` playing at `mv` saves its string through `prey` (a stone): the move
/// is legal, and afterwards the string has three or more liberties, or two and no
/// ladder capture of it works.
pub fn is_ladder_escape(board: &Board, color: Color, mv: Point, prey: Point) -> bool {
    let mut r = Reader::new();
    r.load(board);
    r.is_escape(color, mv, prey)
}

/// A bare position: what the reader copies at each move.
#[derive(Clone, Copy)]
struct Position {
    cells: [Cell; MAX_POINTS],
    ko: Option<(Point, Color)>,
}

/// The reader and its scratch, reused from one question to the next.
#[derive(Clone)]
pub(crate) struct Reader {
    root: Box<Position>,
    stride: usize,
    /// Flood-fill marks: a point is seen when its mark equals `stamp`.
    mark: Vec<u32>,
    stamp: u32,
    /// Attacker stones already looked at in one scan: a stone is seen when its entry
    /// equals `scan`.
    seen: Vec<u32>,
    scan: u32,
    stack: Vec<Point>,
    /// The stones of the last string listed by `list_stones`.
    stones: Vec<Point>,
    /// Positions still allowed to be played for this question.
    nodes: u32,
    gave_up: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("stride", &self.stride).finish_non_exhaustive()
    }
}

impl Default for Reader {
    fn default() -> Reader {
        Reader::new()
    }
}

impl Reader {
    pub(crate) fn new() -> Reader {
        Reader {
            root: Box::new(Position { cells: [Cell::Border; MAX_POINTS], ko: None }),
            stride: 0,
            mark: vec![0; MAX_POINTS],
            stamp: 0,
            seen: vec![0; MAX_POINTS],
            scan: 0,
            stack: Vec::with_capacity(MAX_POINTS),
            stones: Vec::with_capacity(MAX_POINTS),
            nodes: 0,
            gave_up: false,
        }
    }

    /// Takes `board` as the position to read from.
    pub(crate) fn load(&mut self, board: &Board) {
        self.stride = board.stride();
        let n = self.stride * self.stride;
        for (p, c) in self.root.cells[..n].iter_mut().enumerate() {
            *c = board.cell(p);
        }
        self.root.ko = board.ko();
    }

    /// [`is_ladder_capture`] on the loaded position.
    pub(crate) fn is_capture(&mut self, hunter: Color, mv: Point, prey: Point) -> bool {
        self.nodes = LADDER_NODES;
        self.gave_up = false;
        let root = *self.root;
        let won = self.capture(&root, hunter, mv, prey, LADDER_DEPTH);
        won && !self.gave_up
    }

    /// [`is_ladder_escape`] on the loaded position.
    pub(crate) fn is_escape(&mut self, color: Color, mv: Point, prey: Point) -> bool {
        self.nodes = LADDER_NODES;
        self.gave_up = false;
        let root = *self.root;
        let saved = self.escape(&root, color, mv, prey, LADDER_DEPTH);
        saved && !self.gave_up
    }

    /// Whether the last question ran out of its [`LADDER_NODES`] (its answer is then
    /// "no").
    #[cfg(test)]
    pub(crate) fn gave_up(&self) -> bool {
        self.gave_up
    }

    /// Takes one position from the budget; false (and gives up) when none is left.
    fn spend(&mut self) -> bool {
        if self.nodes == 0 {
            self.gave_up = true;
            return false;
        }
        self.nodes -= 1;
        true
    }

    /// The hunter plays at `mv`; true when the prey is then lost whatever it does.
    fn capture(&mut self, pos: &Position, hunter: Color, mv: Point, prey: Point, depth: u32) -> bool {
        let mut next = *pos;
        if !self.play(&mut next, hunter, mv) {
            return false;
        }
        if depth == 0 {
            return true;
        }
        if !self.spend() {
            return false;
        }
        if next.cells[prey] == Cell::Empty {
            return true;
        }
        // One flood lists the prey's stones (for the attackers next to them) and its
        // liberties.
        let mut libs = [0; 4];
        if self.list_stones(&next, prey, &mut libs) != 1 {
            return false;
        }
        // Running to a point with three empty neighbours gets three liberties.
        if self.empty_neighbours(&next, libs[0], None) >= 3 && next.ko != Some((libs[0], hunter.opponent())) {
            return false;
        }
        let mut escapes = [0; MAX_ESCAPES];
        escapes[0] = libs[0];
        let n = 1 + self.attacker_captures(&next, hunter, &mut escapes[1..]);
        let defender = hunter.opponent();
        !escapes[..n].iter().any(|&e| self.escape(&next, defender, e, prey, depth - 1))
    }

    /// The prey's side plays at `mv`; true when the prey then gets away.
    fn escape(&mut self, pos: &Position, color: Color, mv: Point, prey: Point, depth: u32) -> bool {
        let mut next = *pos;
        if !self.play(&mut next, color, mv) {
            return false;
        }
        if depth == 0 || !self.spend() {
            return false;
        }
        let mut libs = [0; 4];
        match self.liberties(&next, prey, 2, &mut libs) {
            0 | 1 => false,
            2 => {
                // An atari at one liberty sends the prey to the other. Where that has
                // three empty neighbours besides the atari the prey gets away, so that
                // atari is not read; of the others the more enclosed run goes first.
                let hunter = color.opponent();
                let (a, b) = (libs[0], libs[1]);
                let (run_a, run_b) =
                    (self.empty_neighbours(&next, b, Some(a)), self.empty_neighbours(&next, a, Some(b)));
                let order = if run_a <= run_b { [(a, run_a), (b, run_b)] } else { [(b, run_b), (a, run_a)] };
                !order.iter().any(|&(atari, run)| run < 3 && self.capture(&next, hunter, atari, prey, depth - 1))
            }
            _ => true,
        }
    }

    /// The liberty of each `hunter` string in atari touching the string last listed by
    /// `list_stones`, distinct, at most `out.len()`; returns how many.
    fn attacker_captures(&mut self, pos: &Position, hunter: Color, out: &mut [Point]) -> usize {
        let hunter_cell = cell_of(hunter);
        if self.scan == u32::MAX {
            self.seen.fill(0);
            self.scan = 0;
        }
        self.scan += 1;
        let mut n = 0;
        for i in 0..self.stones.len() {
            let s = self.stones[i];
            for q in neighbours(s, self.stride) {
                if pos.cells[q] != hunter_cell || self.seen[q] == self.scan || self.two_empty_neighbours(pos, q) {
                    continue;
                }
                if let Some(lib) = self.atari_liberty(pos, q) {
                    if n < out.len() && !out[..n].contains(&lib) {
                        out[n] = lib;
                        n += 1;
                    }
                }
            }
        }
        n
    }

    /// The liberty of the string through `q` if it has exactly one. Marks the stones it
    /// visits as seen in this scan: a string left early had two liberties, one read to
    /// the end has been recorded, so either way its other stones need no second look.
    fn atari_liberty(&mut self, pos: &Position, q: Point) -> Option<Point> {
        let stamp = self.next_stamp();
        let color = pos.cells[q];
        self.stack.clear();
        self.stack.push(q);
        self.mark[q] = stamp;
        self.seen[q] = self.scan;
        let mut lib = None;
        while let Some(s) = self.stack.pop() {
            for r in neighbours(s, self.stride) {
                if self.mark[r] == stamp {
                    continue;
                }
                let c = pos.cells[r];
                if c == Cell::Empty {
                    if lib.is_some() {
                        return None;
                    }
                    self.mark[r] = stamp;
                    lib = Some(r);
                } else if c == color {
                    self.mark[r] = stamp;
                    self.seen[r] = self.scan;
                    self.stack.push(r);
                }
            }
        }
        lib
    }

    /// Plays `color` at `p` on `pos` if legal (empty, not the ko ban, not suicide),
    /// removing what it captures and setting the ko ban; false and no change if not.
    fn play(&mut self, pos: &mut Position, color: Color, p: Point) -> bool {
        if pos.cells[p] != Cell::Empty || pos.ko == Some((p, color)) {
            return false;
        }
        let own = cell_of(color);
        let other = cell_of(color.opponent());
        pos.cells[p] = own;
        let (mut captured, mut taken_at) = (0, 0);
        let mut none = [0; 4];
        for q in neighbours(p, self.stride) {
            // A stone with an empty neighbour is safe without flooding its string.
            if pos.cells[q] == other && !self.touches_empty(pos, q) && self.liberties(pos, q, 0, &mut none) == 0 {
                captured += self.remove(pos, q);
                taken_at = q;
            }
        }
        let empty = neighbours(p, self.stride).iter().filter(|&&q| pos.cells[q] == Cell::Empty).count();
        if empty == 0 && self.liberties(pos, p, 0, &mut none) == 0 {
            pos.cells[p] = Cell::Empty;
            return false;
        }
        // Simple ko: a lone stone that took one stone and has that point as its only
        // liberty (a lone stone's liberties are its empty neighbours).
        let alone = neighbours(p, self.stride).iter().all(|&q| pos.cells[q] != own);
        pos.ko = (captured == 1 && alone && empty == 1).then_some((taken_at, color.opponent()));
        true
    }

    /// Empty neighbours of `p`, not counting `except`.
    #[inline]
    fn empty_neighbours(&self, pos: &Position, p: Point, except: Option<Point>) -> usize {
        neighbours(p, self.stride).iter().filter(|&&q| pos.cells[q] == Cell::Empty && Some(q) != except).count()
    }

    #[inline]
    fn touches_empty(&self, pos: &Position, p: Point) -> bool {
        neighbours(p, self.stride).iter().any(|&q| pos.cells[q] == Cell::Empty)
    }

    /// Whether the stone at `p` shows two liberties without flooding its string.
    #[inline]
    fn two_empty_neighbours(&self, pos: &Position, p: Point) -> bool {
        neighbours(p, self.stride).iter().filter(|&&q| pos.cells[q] == Cell::Empty).count() >= 2
    }

    /// Empties the string through `p`; returns its size.
    fn remove(&mut self, pos: &mut Position, p: Point) -> usize {
        self.list_stones(pos, p, &mut [0; 4]);
        for &s in &self.stones {
            pos.cells[s] = Cell::Empty;
        }
        self.stones.len()
    }

    /// Lists the stones of the string through `p` in `self.stones` and counts its
    /// liberties, the first (up to 4) of which go in `libs`.
    fn list_stones(&mut self, pos: &Position, p: Point, libs: &mut [Point; 4]) -> usize {
        let stamp = self.next_stamp();
        let color = pos.cells[p];
        self.stones.clear();
        self.stones.push(p);
        self.mark[p] = stamp;
        let (mut i, mut n) = (0, 0);
        while i < self.stones.len() {
            let s = self.stones[i];
            i += 1;
            for q in neighbours(s, self.stride) {
                if self.mark[q] == stamp {
                    continue;
                }
                let c = pos.cells[q];
                if c == color {
                    self.mark[q] = stamp;
                    self.stones.push(q);
                } else if c == Cell::Empty {
                    self.mark[q] = stamp;
                    if n < libs.len() {
                        libs[n] = q;
                    }
                    n += 1;
                }
            }
        }
        n
    }

    /// Counts the liberties of the string through `p`, stopping once there are more
    /// than `max` (then returns `max + 1`); the first (up to 4) go in `libs`.
    fn liberties(&mut self, pos: &Position, p: Point, max: usize, libs: &mut [Point; 4]) -> usize {
        let stamp = self.next_stamp();
        let color = pos.cells[p];
        self.stack.clear();
        self.stack.push(p);
        self.mark[p] = stamp;
        let mut n = 0;
        while let Some(s) = self.stack.pop() {
            for q in neighbours(s, self.stride) {
                if self.mark[q] == stamp {
                    continue;
                }
                let c = pos.cells[q];
                if c == Cell::Empty {
                    self.mark[q] = stamp;
                    if n < libs.len() {
                        libs[n] = q;
                    }
                    n += 1;
                    if n > max {
                        return n;
                    }
                } else if c == color {
                    self.mark[q] = stamp;
                    self.stack.push(q);
                }
            }
        }
        n
    }

    fn next_stamp(&mut self) -> u32 {
        if self.stamp == u32::MAX {
            self.mark.fill(0);
            self.stamp = 0;
        }
        self.stamp += 1;
        self.stamp
    }
}

#[inline]
fn neighbours(p: Point, stride: usize) -> [Point; 4] {
    [p - stride, p - 1, p + 1, p + stride]
}
