//! [`GameRecord`]: the main line of a game with the information training needs, read
//! from a [`GameTree`] and written back as SGF.

use super::{simple_text, GameTree, Node, Property};
use crate::{Color, Error, Move, Result, Vertex};

/// One game as training reads it: the board, the setup and the moves of the main line.
#[derive(Clone, Debug, PartialEq)]
pub struct GameRecord {
    /// Board side (`SZ`; 19 when absent). Anything from 1 to 52, as SGF's letters allow;
    /// [`crate::Board`] itself takes 2 to 25.
    pub size: usize,
    /// `KM`; `None` when absent or empty.
    pub komi: Option<f32>,
    /// `HA`; 0 when absent. The stones themselves are in `setup`.
    pub handicap: usize,
    /// `AB` (`Some(Black)`), `AW` (`Some(White)`) and `AE` (`None`) before the first
    /// move, one entry per point (a later one overrides), sorted by point.
    pub setup: Vec<(Vertex, Option<Color>)>,
    /// The moves of the main line, in order.
    pub moves: Vec<(Color, Move)>,
    /// `RE`: `B+Resign`, `W+0.5`, `0`, `Void`, `?`, as written.
    pub result: Option<String>,
    /// `PB` / `PW`: the players' names.
    pub black: Option<String>,
    pub white: Option<String>,
    /// `BR` / `WR`: the players' ranks.
    pub black_rank: Option<String>,
    pub white_rank: Option<String>,
    /// `DT`, as written.
    pub date: Option<String>,
    /// `PL` before the first move: who moves first.
    pub player_to_move: Option<Color>,
}

impl GameRecord {
    /// An empty record: a `size` x `size` board, nothing else known.
    pub fn new(size: usize) -> GameRecord {
        GameRecord {
            size,
            komi: None,
            handicap: 0,
            setup: Vec::new(),
            moves: Vec::new(),
            result: None,
            black: None,
            white: None,
            black_rank: None,
            white_rank: None,
            date: None,
            player_to_move: None,
        }
    }

    /// The record as a one-line-of-play SGF tree: a root node with `FF[4] GM[1]` SZ, KM,
    /// HA, the players, RE, DT, PL and the setup, then one node per move (passes as
    /// `B[]`). Text is escaped.
    pub fn to_tree(&self) -> GameTree {
        let mut root = Node::default();
        let mut put = |ident: &str, text: &str| root.props.push(Property::text(ident, text));
        put("FF", "4");
        put("GM", "1");
        put("SZ", &self.size.to_string());
        if let Some(komi) = self.komi {
            put("KM", &komi.to_string());
        }
        if self.handicap > 0 {
            put("HA", &self.handicap.to_string());
        }
        let texts = [
            ("PB", &self.black),
            ("BR", &self.black_rank),
            ("PW", &self.white),
            ("WR", &self.white_rank),
            ("DT", &self.date),
            ("RE", &self.result),
        ];
        for (ident, text) in texts {
            if let Some(text) = text {
                put(ident, text);
            }
        }
        if let Some(color) = self.player_to_move {
            put("PL", &color.letter().to_string());
        }
        for (ident, color) in [("AB", Some(Color::Black)), ("AW", Some(Color::White)), ("AE", None)] {
            let points: Vec<String> = self.setup.iter().filter(|s| s.1 == color).map(|s| point_to_sgf(s.0)).collect();
            if !points.is_empty() {
                root.props.push(Property::raw(ident, points));
            }
        }
        let mut nodes = vec![root];
        for &(color, mv) in &self.moves {
            let value = match mv {
                Move::Pass => String::new(),
                Move::Play(v) => point_to_sgf(v),
            };
            nodes.push(Node { props: vec![Property::raw(&color.letter().to_string(), vec![value])] });
        }
        GameTree { nodes, ..GameTree::default() }
    }

    /// The record as an SGF file (see [`GameRecord::to_tree`]).
    pub fn to_sgf(&self) -> String {
        super::write_tree(&self.to_tree())
    }
}

/// SGF's two letters for a point: `a`-`z` then `A`-`Z` (FF[4] for boards over 26).
fn point_to_sgf(v: Vertex) -> String {
    let letter = |c: u8| match c {
        0..=25 => (b'a' + c) as char,
        26..=51 => (b'A' + c - 26) as char,
        // Not a point any SGF board has; written so that reading it fails loudly.
        _ => '?',
    };
    [letter(v.x), letter(v.y)].iter().collect()
}

impl GameTree {
    /// The main line as a [`GameRecord`]: the root's game information, the setup
    /// (`AB`/`AW`/`AE`, and `PL`) of every node before the first move, and the moves
    /// (`B`/`W`) of the first variation at each branch; nodes without a move (comments,
    /// markup) are passed over. Errors name the property's line and column: a board
    /// that is not square, a malformed KM/HA/PL, a point off the board, a node with two
    /// moves, or setup after the first move (which the record cannot hold). Text
    /// properties with several values keep the first.
    pub fn main_line(&self) -> Result<GameRecord> {
        let Some(root) = self.root() else {
            return Err(Error::Parse {
                file: self.file.to_string(),
                line: 0,
                column: 0,
                msg: "empty game tree".into(),
            });
        };
        let at = At { file: &self.file };
        let bad = |p: &Property, msg: String| at.bad(p, msg);
        if let Some(gm) = root.get("GM") {
            if at.one(gm)? != "1" {
                return Err(bad(gm, "not a game of Go (GM[1])".into()));
            }
        }
        let size = match root.get("SZ") {
            None => 19,
            Some(p) => parse_size(at.one(p)?).map_err(|msg| bad(p, msg))?,
        };
        let mut rec = GameRecord::new(size);
        if let Some(p) = root.get("KM") {
            let text = at.one(p)?.replace(',', ".");
            if !text.is_empty() {
                match text.parse::<f32>() {
                    Ok(komi) if komi.is_finite() => rec.komi = Some(komi),
                    _ => return Err(bad(p, "komi is not a number".into())),
                }
            }
        }
        if let Some(p) = root.get("HA") {
            let text = at.one(p)?;
            if !text.is_empty() {
                rec.handicap = text.parse().map_err(|_| bad(p, "handicap is not a count of stones".into()))?;
            }
        }
        let text = |ident: &str| root.get(ident).map(|p| simple_text(p.first())).filter(|t| !t.is_empty());
        rec.result = text("RE");
        rec.black = text("PB");
        rec.white = text("PW");
        rec.black_rank = text("BR");
        rec.white_rank = text("WR");
        rec.date = text("DT");

        let point = |p: &Property, raw: &str| {
            Vertex::parse_sgf(raw.trim())
                .filter(|v| (v.x as usize) < size && (v.y as usize) < size)
                .ok_or_else(|| bad(p, format!("point {raw:?} is not on the {size}x{size} board")))
        };
        let mut setup = Vec::new();
        for node in self.main_line_nodes() {
            let mut mv = None;
            for p in &node.props {
                let stone = match p.ident.as_str() {
                    "AB" => Some(Color::Black),
                    "AW" => Some(Color::White),
                    "AE" => None,
                    "PL" if rec.moves.is_empty() => {
                        rec.player_to_move = Some(Color::parse(at.one(p)?).ok_or_else(|| bad(p, "not B or W".into()))?);
                        continue;
                    }
                    "B" | "W" => {
                        if mv.is_some() {
                            return Err(bad(p, "a second move in the same node".into()));
                        }
                        let color = if p.ident == "B" { Color::Black } else { Color::White };
                        let raw = at.one(p)?;
                        // FF[3] wrote a pass as `tt`, which is a point only on bigger boards.
                        mv = Some(if raw.is_empty() || (raw == "tt" && size <= 19) {
                            (color, Move::Pass)
                        } else {
                            (color, Move::Play(point(p, raw)?))
                        });
                        continue;
                    }
                    _ => continue,
                };
                if !rec.moves.is_empty() {
                    return Err(bad(p, format!("setup after move {} is not supported", rec.moves.len())));
                }
                for raw in &p.values {
                    expand_points(raw, |r| point(p, r), |v| setup.push((v, stone)))?;
                }
            }
            rec.moves.extend(mv);
        }
        // One entry per point, the last assignment winning: a stable sort keeps file
        // order among equal points, then the last of each run is kept.
        setup.sort_by_key(|s| s.0);
        setup.reverse();
        setup.dedup_by_key(|s| s.0);
        setup.reverse();
        rec.setup = setup;
        Ok(rec)
    }
}

/// Errors about a property of a tree read from `file`.
struct At<'a> {
    file: &'a str,
}

impl At<'_> {
    fn bad(&self, p: &Property, msg: String) -> Error {
        let mut value = p.first().to_string();
        if value.chars().count() > 40 {
            value = value.chars().take(40).chain("...".chars()).collect();
        }
        Error::Parse {
            file: self.file.to_string(),
            line: p.line,
            column: p.column,
            msg: format!("{}[{value}]: {msg}", p.ident),
        }
    }

    /// The one value of a property that takes one, trimmed.
    fn one<'p>(&self, p: &'p Property) -> Result<&'p str> {
        match p.values.len() {
            1 => Ok(p.first().trim()),
            n => Err(self.bad(p, format!("expected one value, found {n}"))),
        }
    }
}

/// `SZ`'s value: `19`, or FF[4]'s `19:19` (a rectangle is refused).
fn parse_size(text: &str) -> std::result::Result<usize, String> {
    let number = |t: &str| t.trim().parse::<usize>().ok().filter(|n| (1..=52).contains(n));
    let size = match text.split_once(':') {
        None => number(text),
        Some((cols, rows)) => match (number(cols), number(rows)) {
            (Some(c), Some(r)) if c == r => Some(c),
            (Some(_), Some(_)) => return Err("non-square boards are not supported".into()),
            _ => None,
        },
    };
    size.ok_or_else(|| "board size is not a number from 1 to 52".into())
}

/// Calls `each` for every point of a point-list value: one point (`dd`) or a compressed
/// rectangle (`aa:cc`, any two opposite corners). An empty value adds nothing.
fn expand_points(raw: &str, point: impl Fn(&str) -> Result<Vertex>, mut each: impl FnMut(Vertex)) -> Result<()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(());
    }
    let Some((a, b)) = raw.split_once(':') else {
        each(point(raw)?);
        return Ok(());
    };
    let (a, b) = (point(a)?, point(b)?);
    for y in a.y.min(b.y)..=a.y.max(b.y) {
        for x in a.x.min(b.x)..=a.x.max(b.x) {
            each(Vertex { x, y });
        }
    }
    Ok(())
}
