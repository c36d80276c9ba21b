//! The board and its rules: stones, strings with their liberties kept incrementally,
//! captures, no suicide, simple ko, Zobrist hashes.
//!
//! Points live in a padded array of side `size + 2` whose outer ring is a border, so a
//! neighbour is always `p ± 1` or `p ± stride` with no bounds checks. A string is a
//! circular list of its stones (`next`) with one representative, its head; the head
//! holds the stone count and the liberties as a bit set over the padded points, so
//! merging strings is an OR of a few words and a liberty count is a popcount. Nothing
//! floods the board after a move.

use std::sync::OnceLock;

use crate::{Color, Error, Move, Result, Vertex};

/// What is on a point of the padded array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Cell {
    Empty = 0,
    Black = 1,
    White = 2,
    Border = 3,
}

impl Cell {
    fn stone(color: Color) -> Cell {
        match color {
            Color::Black => Cell::Black,
            Color::White => Cell::White,
        }
    }

    /// The colour of a stone; `None` for empty points and the border.
    pub fn color(self) -> Option<Color> {
        match self {
            Cell::Black => Some(Color::Black),
            Cell::White => Some(Color::White),
            _ => None,
        }
    }
}

/// Smallest and largest board side: 25 keeps GTP's letters (A..Z without I) enough.
pub const MIN_SIZE: usize = 2;
pub const MAX_SIZE: usize = 25;
const MAX_PADDED: usize = (MAX_SIZE + 2) * (MAX_SIZE + 2);

/// A padded-array index of a point.
pub type Point = usize;

/// Why a move is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Illegal {
    Occupied,
    Suicide,
    Ko,
    Superko,
    OffBoard,
}

impl Illegal {
    pub fn describe(self) -> &'static str {
        match self {
            Illegal::Occupied => "the point is occupied",
            Illegal::Suicide => "suicide",
            Illegal::Ko => "the point is banned by ko",
            Illegal::Superko => "it repeats an earlier whole-board position (positional superko)",
            Illegal::OffBoard => "the point is off the board",
        }
    }
}

/// Zobrist keys, one per (padded point, colour), from a fixed generator so that hashes
/// are the same in every process.
fn zobrist() -> &'static [[u64; 2]] {
    static KEYS: OnceLock<Vec<[u64; 2]>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        (0..MAX_PADDED).map(|_| [next(), next()]).collect()
    })
}

/// A Go position: stones, strings, the ko ban, the side to move and the prisoners.
#[derive(Clone, Debug)]
pub struct Board {
    size: usize,
    stride: usize,
    /// Words of one liberty bit set.
    words: usize,
    cells: Vec<Cell>,
    /// The head of the string a stone belongs to.
    head: Vec<u16>,
    /// The next stone of the same string (circular).
    next: Vec<u16>,
    /// By head: the string's stone count.
    stones: Vec<u16>,
    /// By head: the string's liberty count (the popcount of its bit set).
    lib_count: Vec<u16>,
    /// By head: the string's liberties, `words` u64s per point.
    libs: Vec<u64>,
    /// Empty on-board points, in no order, and each empty point's index in it.
    empties: Vec<u16>,
    empty_at: Vec<u16>,
    /// The move number at which each stone was placed (for the history planes).
    placed: Vec<u32>,
    hash: u64,
    /// A point that `ko.1` may not play on its next move.
    ko: Option<(Point, Color)>,
    to_move: Color,
    /// Stones captured by black and by white (GTP's `captures black` is `[0]`).
    captures: [u32; 2],
    move_number: u32,
    consecutive_passes: u32,
}

impl Board {
    /// An empty board of side `size` (2..=25), black to move.
    pub fn new(size: usize) -> Result<Board> {
        if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
            return Err(Error::Setup(format!("board size {size} is outside {MIN_SIZE}..={MAX_SIZE}")));
        }
        let stride = size + 2;
        let n = stride * stride;
        let words = n.div_ceil(64);
        let mut cells = vec![Cell::Border; n];
        let mut empties = Vec::with_capacity(size * size);
        let mut empty_at = vec![u16::MAX; n];
        for y in 0..size {
            for x in 0..size {
                let p = (y + 1) * stride + x + 1;
                cells[p] = Cell::Empty;
                empty_at[p] = empties.len() as u16;
                empties.push(p as u16);
            }
        }
        Ok(Board {
            size,
            stride,
            words,
            cells,
            head: vec![0; n],
            next: vec![0; n],
            stones: vec![0; n],
            lib_count: vec![0; n],
            libs: vec![0; n * words],
            empties,
            empty_at,
            placed: vec![0; n],
            hash: 0,
            ko: None,
            to_move: Color::Black,
            captures: [0, 0],
            move_number: 0,
            consecutive_passes: 0,
        })
    }

    pub fn size(&self) -> usize {
        self.size
    }
    /// Side of the padded array (`size + 2`).
    pub fn stride(&self) -> usize {
        self.stride
    }
    pub fn to_move(&self) -> Color {
        self.to_move
    }
    /// Sets the side to move (SGF's PL, GTP's free colour order); lifts no ko ban.
    pub fn set_to_move(&mut self, color: Color) {
        self.to_move = color;
    }
    /// Zobrist hash of the stones alone (what positional superko compares).
    pub fn hash(&self) -> u64 {
        self.hash
    }
    /// Stones captured by `color` so far.
    pub fn captures(&self, color: Color) -> u32 {
        self.captures[color.index()]
    }
    /// Moves played so far, passes included.
    pub fn move_number(&self) -> u32 {
        self.move_number
    }
    pub fn consecutive_passes(&self) -> u32 {
        self.consecutive_passes
    }
    /// The point banned by ko and the colour it binds.
    pub fn ko(&self) -> Option<(Point, Color)> {
        self.ko
    }

    /// The padded index of a vertex (which must be on the board).
    #[inline]
    pub fn point(&self, v: Vertex) -> Point {
        (v.y as usize + 1) * self.stride + v.x as usize + 1
    }
    /// The vertex of an on-board padded index.
    #[inline]
    pub fn vertex(&self, p: Point) -> Vertex {
        Vertex::new(p % self.stride - 1, p / self.stride - 1)
    }
    pub fn contains(&self, v: Vertex) -> bool {
        (v.x as usize) < self.size && (v.y as usize) < self.size
    }
    #[inline]
    pub fn cell(&self, p: Point) -> Cell {
        self.cells[p]
    }
    /// The stone colour at a vertex, if any.
    pub fn color_at(&self, v: Vertex) -> Option<Color> {
        self.cells[self.point(v)].color()
    }
    #[inline]
    pub fn neighbours(&self, p: Point) -> [Point; 4] {
        [p - self.stride, p - 1, p + 1, p + self.stride]
    }
    #[inline]
    pub fn diagonals(&self, p: Point) -> [Point; 4] {
        [p - self.stride - 1, p - self.stride + 1, p + self.stride - 1, p + self.stride + 1]
    }
    /// Every on-board point, row by row from the top.
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        (0..self.size).flat_map(move |y| (0..self.size).map(move |x| (y + 1) * self.stride + x + 1))
    }
    /// The empty on-board points, in no particular order.
    pub fn empty_points(&self) -> &[u16] {
        &self.empties
    }
    /// The head of the string of the stone at `p`.
    #[inline]
    pub fn string_head(&self, p: Point) -> Point {
        self.head[p] as Point
    }
    /// Liberties of the string through `p` (a stone).
    #[inline]
    pub fn liberties(&self, p: Point) -> usize {
        self.lib_count[self.head[p] as usize] as usize
    }
    /// Stones of the string through `p` (a stone).
    #[inline]
    pub fn string_size(&self, p: Point) -> usize {
        self.stones[self.head[p] as usize] as usize
    }
    /// The stones of the string through `p`.
    pub fn string_stones(&self, p: Point) -> StringStones<'_> {
        StringStones { next: &self.next, start: p, at: Some(p) }
    }
    /// The liberties of the string through `p`, as padded indices in increasing order.
    pub fn string_liberties(&self, p: Point) -> impl Iterator<Item = Point> + '_ {
        let h = self.head[p] as usize;
        let set = &self.libs[h * self.words..(h + 1) * self.words];
        set.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let t = b.trailing_zeros() as usize;
                b &= b - 1;
                Some(w * 64 + t)
            })
        })
    }
    /// The move number at which the stone at `p` was placed (1 for the first move).
    pub fn placed_at(&self, p: Point) -> u32 {
        self.placed[p]
    }

    /// Whether `color` may play at `p` now: empty, not banned by ko, not suicide.
    pub fn check(&self, color: Color, p: Point) -> std::result::Result<(), Illegal> {
        if self.cells.get(p).copied() != Some(Cell::Empty) {
            return Err(if self.cells.get(p).copied() == Some(Cell::Border) || p >= self.cells.len() {
                Illegal::OffBoard
            } else {
                Illegal::Occupied
            });
        }
        if self.ko == Some((p, color)) {
            return Err(Illegal::Ko);
        }
        if self.is_suicide(color, p) {
            return Err(Illegal::Suicide);
        }
        Ok(())
    }

    /// Whether `color` may play at `p` now.
    #[inline]
    pub fn is_legal(&self, color: Color, p: Point) -> bool {
        self.check(color, p).is_ok()
    }

    /// A stone of `color` at empty `p` would have no liberty and capture nothing.
    fn is_suicide(&self, color: Color, p: Point) -> bool {
        let own = Cell::stone(color);
        for q in self.neighbours(p) {
            match self.cells[q] {
                Cell::Empty => return false,
                Cell::Border => {}
                c if c == own => {
                    if self.liberties(q) > 1 {
                        return false;
                    }
                }
                _ => {
                    if self.liberties(q) == 1 {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Plays `color`'s move (the side to move then becomes its opponent). Illegal moves
    /// change nothing and say why.
    pub fn play(&mut self, color: Color, mv: Move) -> Result<()> {
        match mv {
            Move::Pass => {
                self.pass(color);
                Ok(())
            }
            Move::Play(v) => {
                if !self.contains(v) {
                    return Err(Error::IllegalMove {
                        color,
                        mv: format!("({}, {})", v.x, v.y),
                        msg: Illegal::OffBoard.describe().into(),
                    });
                }
                let p = self.point(v);
                self.check(color, p).map_err(|why| Error::IllegalMove {
                    color,
                    mv: v.to_gtp(self.size),
                    msg: why.describe().into(),
                })?;
                self.play_unchecked(color, p);
                Ok(())
            }
        }
    }

    /// A pass by `color`: lifts any ko ban.
    pub fn pass(&mut self, color: Color) {
        self.ko = None;
        self.to_move = color.opponent();
        self.move_number += 1;
        self.consecutive_passes += 1;
    }

    /// Plays a stone that [`check`](Self::check) accepted. Returns the stones captured.
    pub fn play_unchecked(&mut self, color: Color, p: Point) -> u32 {
        debug_assert!(self.is_legal(color, p));
        let own = Cell::stone(color);
        self.move_number += 1;
        self.consecutive_passes = 0;
        self.put_stone(p, own);
        // The new stone is a one-stone string with its empty neighbours as liberties.
        self.start_string(p);
        let nbrs = self.neighbours(p);
        for q in nbrs {
            if self.cells[q] == Cell::Empty {
                self.add_liberty(p, q);
            }
        }
        let mut captured = 0;
        let mut captured_point = 0;
        for q in nbrs {
            let c = self.cells[q];
            if c == own {
                let (a, b) = (self.head[p] as usize, self.head[q] as usize);
                self.remove_liberty(b, p);
                if a != b {
                    self.merge(a, b);
                }
            } else if c != Cell::Empty && c != Cell::Border {
                let h = self.head[q] as usize;
                self.remove_liberty(h, p);
                if self.lib_count[h] == 0 {
                    captured += self.remove_string(h);
                    captured_point = q;
                }
            }
        }
        self.captures[color.index()] += captured;
        let h = self.head[p] as usize;
        self.ko = (captured == 1 && self.stones[h] == 1 && self.lib_count[h] == 1)
            .then_some((captured_point, color.opponent()));
        self.to_move = color.opponent();
        captured
    }

    fn put_stone(&mut self, p: Point, cell: Cell) {
        self.cells[p] = cell;
        self.placed[p] = self.move_number;
        self.hash ^= zobrist()[p][cell as usize - 1];
        let i = self.empty_at[p] as usize;
        let last = self.empties.pop().expect("an empty point is in the empty list");
        if last as usize != p {
            self.empties[i] = last;
            self.empty_at[last as usize] = i as u16;
        }
        self.empty_at[p] = u16::MAX;
    }

    /// Makes the stone at `p` a string of its own, with no liberties yet.
    #[inline]
    fn start_string(&mut self, p: Point) {
        let w = self.words;
        self.head[p] = p as u16;
        self.next[p] = p as u16;
        self.stones[p] = 1;
        self.libs[p * w..(p + 1) * w].fill(0);
        self.lib_count[p] = 0;
    }

    #[inline]
    fn add_liberty(&mut self, head: Point, lib: Point) {
        let word = &mut self.libs[head * self.words + lib / 64];
        let bit = 1u64 << (lib % 64);
        if *word & bit == 0 {
            *word |= bit;
            self.lib_count[head] += 1;
        }
    }

    #[inline]
    fn remove_liberty(&mut self, head: Point, lib: Point) {
        let word = &mut self.libs[head * self.words + lib / 64];
        let bit = 1u64 << (lib % 64);
        if *word & bit != 0 {
            *word &= !bit;
            self.lib_count[head] -= 1;
        }
    }

    /// Joins the strings headed by `a` and `b`; the larger keeps its head.
    fn merge(&mut self, a: Point, b: Point) {
        let (keep, gone) = if self.stones[a] >= self.stones[b] { (a, b) } else { (b, a) };
        let mut s = gone;
        loop {
            self.head[s] = keep as u16;
            s = self.next[s] as usize;
            if s == gone {
                break;
            }
        }
        self.next.swap(keep, gone);
        self.stones[keep] += self.stones[gone];
        let w = self.words;
        // Shared liberties are few (usually none): counting them bit by bit is cheaper
        // than a popcount of every word where the build has no POPCNT instruction.
        let mut shared = 0u16;
        for i in 0..w {
            let (a, b) = (self.libs[keep * w + i], self.libs[gone * w + i]);
            let mut both = a & b;
            while both != 0 {
                both &= both - 1;
                shared += 1;
            }
            self.libs[keep * w + i] = a | b;
        }
        self.lib_count[keep] = self.lib_count[keep] + self.lib_count[gone] - shared;
    }

    /// Takes the string headed by `h` off the board; its stones become liberties of
    /// the strings around them. Returns the number of stones removed.
    fn remove_string(&mut self, h: Point) -> u32 {
        let color = self.cells[h];
        let n = self.stones[h] as u32;
        let mut s = h;
        loop {
            self.hash ^= zobrist()[s][color as usize - 1];
            self.cells[s] = Cell::Empty;
            self.empty_at[s] = self.empties.len() as u16;
            self.empties.push(s as u16);
            s = self.next[s] as usize;
            if s == h {
                break;
            }
        }
        loop {
            for q in self.neighbours(s) {
                let c = self.cells[q];
                if c != Cell::Empty && c != Cell::Border {
                    let hq = self.head[q] as usize;
                    self.add_liberty(hq, s);
                }
            }
            s = self.next[s] as usize;
            if s == h {
                break;
            }
        }
        n
    }

    /// Whether empty `p` is an eye of `color`: every neighbour is `color`'s stone or the
    /// edge, and the diagonals hold at most one opponent stone (none on the edge or in
    /// the corner). The playout and the player never fill such a point.
    pub fn is_eye(&self, color: Color, p: Point) -> bool {
        if self.cells[p] != Cell::Empty {
            return false;
        }
        let own = Cell::stone(color);
        if self.neighbours(p).iter().any(|&q| self.cells[q] != own && self.cells[q] != Cell::Border) {
            return false;
        }
        let other = Cell::stone(color.opponent());
        let (mut bad, mut edge) = (0, 0);
        for q in self.diagonals(p) {
            match self.cells[q] {
                Cell::Border => edge = 1,
                c if c == other => bad += 1,
                _ => {}
            }
        }
        bad + edge < 2
    }

    /// Stones of each colour and the empty points that reach only one colour:
    /// `(black area, white area)` under area (Tromp-Taylor) scoring.
    pub fn area(&self) -> (usize, usize) {
        let mut area = [0usize; 2];
        let mut seen = vec![false; self.cells.len()];
        let mut stack = Vec::new();
        for p in self.points() {
            match self.cells[p] {
                Cell::Black => area[0] += 1,
                Cell::White => area[1] += 1,
                Cell::Empty if !seen[p] => {
                    // Flood this empty region and note which colours border it.
                    let (mut size, mut touches) = (0, [false; 2]);
                    seen[p] = true;
                    stack.push(p);
                    while let Some(q) = stack.pop() {
                        size += 1;
                        for r in self.neighbours(q) {
                            match self.cells[r] {
                                Cell::Empty if !seen[r] => {
                                    seen[r] = true;
                                    stack.push(r);
                                }
                                Cell::Black => touches[0] = true,
                                Cell::White => touches[1] = true,
                                _ => {}
                            }
                        }
                    }
                    match touches {
                        [true, false] => area[0] += size,
                        [false, true] => area[1] += size,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        (area[0], area[1])
    }

    /// Tromp-Taylor score from black's side: black's area minus white's minus komi.
    pub fn score(&self, komi: f32) -> f32 {
        let (b, w) = self.area();
        b as f32 - w as f32 - komi
    }

    /// The stones on the board, each colour's in GTP's vertex order (row by row).
    pub fn stones_of(&self, color: Color) -> Vec<Vertex> {
        let cell = Cell::stone(color);
        self.points().filter(|&p| self.cells[p] == cell).map(|p| self.vertex(p)).collect()
    }

    /// Places a setup stone (SGF's AB/AW, handicap) without capturing or changing the
    /// side to move; replaces whatever was there. Fails where the result would leave a
    /// string without liberties.
    pub fn set_stone(&mut self, v: Vertex, color: Option<Color>) -> Result<()> {
        if !self.contains(v) {
            return Err(Error::Setup(format!(
                "setup point ({}, {}) is off the {}x{} board",
                v.x, v.y, self.size, self.size
            )));
        }
        let mut stones: Vec<(Vertex, Color)> = Vec::new();
        for p in self.points() {
            if let Some(c) = self.cells[p].color() {
                stones.push((self.vertex(p), c));
            }
        }
        stones.retain(|&(s, _)| s != v);
        if let Some(c) = color {
            stones.push((v, c));
        }
        self.rebuild(&stones)
    }

    /// Rebuilds strings and liberties from scratch for the given stones (setup only).
    fn rebuild(&mut self, stones: &[(Vertex, Color)]) -> Result<()> {
        let mut fresh = Board::new(self.size)?;
        fresh.to_move = self.to_move;
        fresh.captures = self.captures;
        fresh.move_number = self.move_number;
        for &(v, c) in stones {
            let p = fresh.point(v);
            fresh.place_setup(c, p);
        }
        for p in fresh.points() {
            if fresh.cells[p] != Cell::Empty && fresh.liberties(p) == 0 {
                return Err(Error::Setup(format!(
                    "setup leaves the string at {} without liberties",
                    fresh.vertex(p).to_gtp(self.size)
                )));
            }
        }
        *self = fresh;
        Ok(())
    }

    /// A stone put down with no captures (setup).
    fn place_setup(&mut self, color: Color, p: Point) {
        let own = Cell::stone(color);
        self.put_stone(p, own);
        self.placed[p] = 0;
        self.start_string(p);
        for q in self.neighbours(p) {
            match self.cells[q] {
                // After a merge the string's head may be another stone.
                Cell::Empty => {
                    let h = self.head[p] as usize;
                    self.add_liberty(h, q)
                }
                Cell::Border => {}
                c => {
                    let hq = self.head[q] as usize;
                    self.remove_liberty(hq, p);
                    if c == own {
                        let hp = self.head[p] as usize;
                        if hp != hq {
                            self.merge(hp, hq);
                        }
                    }
                }
            }
        }
    }

    /// The board as text, row 19 at the top, as GTP's showboard prints it.
    pub fn render(&self) -> String {
        let letters: String =
            (0..self.size).map(|x| Vertex::new(x, 0).to_gtp(self.size).remove(0)).flat_map(|c| [' ', c]).collect();
        let mut out = format!("  {letters}\n");
        for y in 0..self.size {
            out.push_str(&format!("{:2}", self.size - y));
            for x in 0..self.size {
                let p = self.point(Vertex::new(x, y));
                out.push(' ');
                out.push(match self.cells[p] {
                    Cell::Black => 'X',
                    Cell::White => 'O',
                    _ => '.',
                });
            }
            out.push_str(&format!(" {}\n", self.size - y));
        }
        out.push_str(&format!("  {letters}\n"));
        out
    }
}

/// Walks a string's stones (see [`Board::string_stones`]).
pub struct StringStones<'a> {
    next: &'a [u16],
    start: Point,
    at: Option<Point>,
}

impl Iterator for StringStones<'_> {
    type Item = Point;
    fn next(&mut self) -> Option<Point> {
        let p = self.at?;
        let n = self.next[p] as usize;
        self.at = (n != self.start).then_some(n);
        Some(p)
    }
}

impl Move {
    /// The move's padded index on `board`, `None` for a pass.
    pub fn point(self, board: &Board) -> Option<Point> {
        match self {
            Move::Pass => None,
            Move::Play(v) => Some(board.point(v)),
        }
    }
}

/// Read-only views of the liberty bit sets, for the feature encoder's move analysis.
impl Board {
    /// Words in one liberty bit set: bit `q % 64` of word `q / 64` stands for padded
    /// point `q`.
    #[inline]
    pub fn liberty_words(&self) -> usize {
        self.words
    }
    /// The liberty bit set of the string through stone `p` ([`liberty_words`] words).
    ///
    /// [`liberty_words`]: Self::liberty_words
    #[inline]
    pub fn liberty_set(&self, p: Point) -> &[u64] {
        let h = self.head[p] as usize;
        &self.libs[h * self.words..(h + 1) * self.words]
    }
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
