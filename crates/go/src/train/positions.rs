//! Training positions: real games checked by replaying them once, stored compactly,
//! split into training and held-out games by game (never by position).
//!
//! A position is `(game, move index)`: the board before that move, the player who made
//! it to move, and the move as the label. Positions are rebuilt on demand by replaying
//! the game's first moves, which costs less than encoding the planes and keeps the whole
//! Tom set (10.7 million positions) in about 25 MB instead of terabytes of planes.

use std::collections::HashSet;

use crate::features::Symmetry;
use crate::sgf::GameRecord;
use crate::{Board, Color, Move, Vertex};

/// Board side the policy network plays on.
pub const SIZE: usize = 19;

/// Which games take part, and why the others do not.
#[derive(Clone, Debug)]
pub struct Selection {
    /// Keep handicap games (AlphaGo's data skipped them; so do we by default).
    pub handicap: bool,
    /// Games with fewer moves are skipped (the default: 50).
    pub min_moves: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Selection { handicap: false, min_moves: 50 }
    }
}

/// What the intake counted: real records are messy, so games are skipped, not fatal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntakeReport {
    pub games_in: usize,
    pub games_used: usize,
    pub not_19x19: usize,
    pub handicap: usize,
    pub too_short: usize,
    /// Games cut at their first illegal move (occupied point, suicide, ko retake); the
    /// moves before it are kept.
    pub truncated: usize,
    /// Games whose first move was already illegal, or bad setup.
    pub unplayable: usize,
    pub positions: usize,
}

/// A game as the trainer keeps it: moves as `colour bit << 15 | point` (point =
/// `y * 19 + x`, 361 for a pass).
#[derive(Clone, Debug)]
pub struct StoredGame {
    pub source: String,
    setup: Vec<(u16, Color)>,
    moves: Vec<u16>,
}

const PASS: u16 = (SIZE * SIZE) as u16;
const WHITE_BIT: u16 = 1 << 15;

fn pack(color: Color, mv: Move) -> u16 {
    let point = match mv {
        Move::Pass => PASS,
        Move::Play(v) => (v.y as usize * SIZE + v.x as usize) as u16,
    };
    point | if color == Color::White { WHITE_BIT } else { 0 }
}

fn unpack(m: u16) -> (Color, Option<usize>) {
    let color = if m & WHITE_BIT != 0 { Color::White } else { Color::Black };
    let point = (m & !WHITE_BIT) as usize;
    (color, (point != PASS as usize).then_some(point))
}

fn vertex(point: usize) -> Vertex {
    Vertex::new(point % SIZE, point / SIZE)
}

impl StoredGame {
    /// Checks a record by replaying it; `Err(reason)` for games that are skipped.
    fn from_record(source: String, record: &GameRecord, sel: &Selection, report: &mut IntakeReport) -> Option<Self> {
        if record.size != SIZE {
            report.not_19x19 += 1;
            return None;
        }
        if record.handicap > 0 && !sel.handicap {
            report.handicap += 1;
            return None;
        }
        let plays = record.moves.iter().filter(|(_, m)| *m != Move::Pass).count();
        if plays < sel.min_moves {
            report.too_short += 1;
            return None;
        }
        let mut board = Board::new(SIZE).ok()?;
        let mut setup = Vec::new();
        for &(v, c) in &record.setup {
            if let Some(c) = c {
                if v.x as usize >= SIZE || v.y as usize >= SIZE || board.set_stone(v, Some(c)).is_err() {
                    report.unplayable += 1;
                    return None;
                }
                setup.push(((v.y as usize * SIZE + v.x as usize) as u16, c));
            }
        }
        let mut moves = Vec::with_capacity(record.moves.len());
        for &(color, mv) in &record.moves {
            if board.play(color, mv).is_err() {
                report.truncated += 1;
                break;
            }
            moves.push(pack(color, mv));
        }
        if moves.iter().all(|&m| unpack(m).1.is_none()) {
            report.unplayable += 1;
            return None;
        }
        Some(StoredGame { source, setup, moves })
    }

    /// Moves in the record (passes included).
    pub fn len(&self) -> usize {
        self.moves.len()
    }
    pub fn is_empty(&self) -> bool {
        self.moves.is_empty()
    }

    /// The board before move `index`, with that move's player to move, and the move's
    /// point (`y * 19 + x`); `None` when the move is a pass.
    pub fn position(&self, index: usize) -> Option<(Board, usize)> {
        let (color, point) = unpack(*self.moves.get(index)?);
        let point = point?;
        let mut board = Board::new(SIZE).ok()?;
        for &(p, c) in &self.setup {
            board.set_stone(vertex(p as usize), Some(c)).ok()?;
        }
        for &m in &self.moves[..index] {
            match unpack(m) {
                (c, None) => board.pass(c),
                (c, Some(p)) => {
                    let q = board.point(vertex(p));
                    board.play_unchecked(c, q);
                }
            }
        }
        board.set_to_move(color);
        Some((board, point))
    }

    /// Indices of the moves that are stones (passes are no training targets).
    pub fn play_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.moves.iter().enumerate().filter(|(_, &m)| unpack(m).1.is_some()).map(|(i, _)| i)
    }

    /// The game as a one-game SGF record (`FF[4]`, its source in GN), for `fovea go eval`.
    pub fn to_sgf(&self) -> String {
        let escape = |s: &str| s.replace('\\', "\\\\").replace(']', "\\]");
        let mut out = format!("(;FF[4]GM[1]SZ[{SIZE}]GN[{}]", escape(&self.source));
        let setup = |c: Color, tag: &str| -> String {
            let pts: String = self
                .setup
                .iter()
                .filter(|s| s.1 == c)
                .map(|s| format!("[{}]", vertex(s.0 as usize).to_sgf()))
                .collect();
            if pts.is_empty() {
                String::new()
            } else {
                format!("{tag}{pts}")
            }
        };
        out.push_str(&setup(Color::Black, "AB"));
        out.push_str(&setup(Color::White, "AW"));
        for &m in &self.moves {
            let (c, p) = unpack(m);
            let at = p.map(|p| vertex(p).to_sgf()).unwrap_or_default();
            out.push_str(&format!(";{}[{at}]", c.letter()));
        }
        out.push_str(")\n");
        out
    }

    /// A key shared by games that open alike under any of the 8 symmetries: the
    /// smallest hash over the symmetries of the first `n` moves.
    pub fn opening_key(&self, n: usize) -> u64 {
        Symmetry::ALL
            .iter()
            .map(|&s| {
                self.moves.iter().take(n).fold(0xcbf2_9ce4_8422_2325u64, |h, &m| {
                    let (c, p) = unpack(m);
                    let code = match p {
                        None => PASS as u64,
                        Some(p) => {
                            let v = s.apply(SIZE, vertex(p));
                            (v.y as usize * SIZE + v.x as usize) as u64
                        }
                    } | ((c == Color::White) as u64) << 15;
                    (h ^ code).wrapping_mul(0x100_0000_01b3)
                })
            })
            .min()
            .unwrap_or(0)
    }
}

/// The games of a training run, split by game.
pub struct PositionSet {
    pub train: Vec<StoredGame>,
    pub heldout: Vec<StoredGame>,
    /// `(game, move)` of every training position, in game order.
    pub train_positions: Vec<(u32, u16)>,
    pub report: IntakeReport,
    /// Training games dropped because they open like a held-out game (duplicates).
    pub dropped_duplicates: usize,
}

/// Splits `games` into training and `heldout_games` held-out games chosen by a
/// seeded draw; training games whose first 60 moves match a held-out game's under any
/// symmetry (the Tom set has 74 exact copies and 191 shared openings) are dropped, so
/// the held-out accuracy is measured on games the network never saw.
pub fn build(games: Vec<(String, GameRecord)>, sel: &Selection, heldout_games: usize, seed: u64) -> PositionSet {
    let mut report = IntakeReport { games_in: games.len(), ..Default::default() };
    let stored: Vec<StoredGame> =
        games.into_iter().filter_map(|(src, rec)| StoredGame::from_record(src, &rec, sel, &mut report)).collect();
    let mut rng = fovea_core::Rng::new(seed ^ 0x5EED_0F60);
    let order = rng.permutation(stored.len());
    let n_held = heldout_games.min(stored.len() / 2);
    let held_set: HashSet<usize> = order[..n_held].iter().copied().collect();
    let held_keys: HashSet<u64> = order[..n_held].iter().map(|&i| stored[i].opening_key(60)).collect();
    let (mut train, mut heldout, mut dropped) = (Vec::new(), Vec::new(), 0);
    for (i, g) in stored.into_iter().enumerate() {
        if held_set.contains(&i) {
            heldout.push(g);
        } else if held_keys.contains(&g.opening_key(60)) {
            dropped += 1;
        } else {
            train.push(g);
        }
    }
    let mut train_positions = Vec::new();
    for (gi, g) in train.iter().enumerate() {
        train_positions.extend(g.play_indices().map(|m| (gi as u32, m as u16)));
    }
    report.games_used = train.len() + heldout.len();
    report.positions = train_positions.len();
    PositionSet { train, heldout, train_positions, report, dropped_duplicates: dropped }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(moves: &[&str]) -> GameRecord {
        let mut r = GameRecord::new(19);
        let mut color = Color::Black;
        for m in moves {
            let mv = if m.is_empty() { Move::Pass } else { Move::Play(Vertex::parse_sgf(m).unwrap()) };
            r.moves.push((color, mv));
            color = color.opponent();
        }
        r
    }

    #[test]
    fn positions_replay_to_the_board_before_the_move() {
        let sel = Selection { min_moves: 1, ..Default::default() };
        let mut report = IntakeReport::default();
        let g = StoredGame::from_record("t".into(), &record(&["pd", "dp", "", "qp"]), &sel, &mut report).unwrap();
        assert_eq!(g.play_indices().collect::<Vec<_>>(), [0, 1, 3]);
        let (board, point) = g.position(3).unwrap();
        assert_eq!(board.to_move(), Color::White);
        assert_eq!(point, 15 * SIZE + 16);
        assert_eq!(board.color_at(Vertex::parse_sgf("pd").unwrap()), Some(Color::Black));
        assert!(g.position(2).is_none(), "a pass is no position");
    }

    #[test]
    fn illegal_moves_truncate_and_short_games_are_counted() {
        let sel = Selection { min_moves: 2, ..Default::default() };
        let mut report = IntakeReport::default();
        let g = StoredGame::from_record("t".into(), &record(&["pd", "dp", "pd", "aa"]), &sel, &mut report).unwrap();
        assert_eq!((g.len(), report.truncated), (2, 1));
        assert!(StoredGame::from_record("t".into(), &record(&["pd"]), &sel, &mut report).is_none());
        assert_eq!(report.too_short, 1);
    }

    #[test]
    fn mirrored_openings_share_a_key_and_the_split_drops_them() {
        let a = record(&["pd", "dp", "qp", "dd"]);
        // The same game mirrored left-right (x -> 18 - x).
        let b = record(&["dd", "pp", "cp", "pd"]);
        let c = record(&["qq", "dd", "pc", "cp"]);
        let sel = Selection { min_moves: 1, ..Default::default() };
        let mut report = IntakeReport::default();
        let ga = StoredGame::from_record("a".into(), &a, &sel, &mut report).unwrap();
        let gb = StoredGame::from_record("b".into(), &b, &sel, &mut report).unwrap();
        let gc = StoredGame::from_record("c".into(), &c, &sel, &mut report).unwrap();
        assert_eq!(ga.opening_key(60), gb.opening_key(60));
        assert_ne!(ga.opening_key(60), gc.opening_key(60));
        let set = build(vec![("a".into(), a), ("b".into(), b), ("c".into(), c)], &sel, 1, 3);
        assert_eq!(set.heldout.len(), 1);
        assert_eq!(set.train.len() + set.dropped_duplicates, 2);
    }
}
