//! The Tom kifu format: the 50,956 nine-dan games of the Tom server
//! (`/work/shared/go/tom`, see its README), from yenw/computer-go-dataset.
//!
//! A Tom folder holds an index and one file per month:
//!
//! ```text
//! Kifu.index     id date white black komi result round time   (tab-separated)
//!                354460  2003.09.25 20:21  忧郁的孤影  楚阳春  6.5  B+0.5  321  30/3 5m
//! kifu/2003-09   id ;B[qd];W[dp];...;B[]    (id, a tab, SGF move nodes; B[] is a pass)
//! ```
//!
//! Komi, result, players and date live only in the index, joined by id. Every game is
//! 19x19, even, between 9-dan players (the dataset's documented defaults, which the
//! records carry as `BR`/`WR` = `9d`). `round` is the server's move count and is not
//! checked against the moves (319 games differ by a move or two).
//!
//! Malformed lines are counted and skipped with a warning (the first
//! [`WARNINGS_PER_FILE`] of each file are spelled out); a game missing from the index
//! still loads, with no komi, result or players, and is counted. Nothing but an
//! unreadable file or folder is an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::sgf::GameRecord;
use crate::{Color, Error, Move, Result, Vertex};

/// How many warnings one file spells out; the rest are counted in a last line.
pub const WARNINGS_PER_FILE: usize = 20;

/// One line of `Kifu.index`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    /// `YYYY.MM.DD HH:MM`.
    pub date: String,
    pub white: String,
    pub black: String,
    pub komi: f32,
    /// `B+Resign`, `W+0.5`, `B+Time`, `W+Offline`, ...
    pub result: String,
    /// The server's move count; `None` when the column is missing.
    pub round: Option<u32>,
    /// Time control, e.g. `30/3 5m`; empty when missing.
    pub time: String,
}

/// The index: entries by game id, and what was skipped.
#[derive(Clone, Debug, Default)]
pub struct Index {
    pub entries: HashMap<u64, IndexEntry>,
    pub warnings: Vec<String>,
    /// Lines skipped: too few columns, a bad id, komi or round, or a repeated id.
    pub malformed: usize,
}

/// A game of a month file with its id and the file it came from.
#[derive(Clone, Debug)]
pub struct KifuGame {
    pub id: u64,
    pub file: Arc<str>,
    pub record: GameRecord,
}

/// Games read from month files, and what was skipped on the way.
#[derive(Clone, Debug, Default)]
pub struct KifuSet {
    pub games: Vec<KifuGame>,
    pub warnings: Vec<String>,
    /// Month files read.
    pub files: usize,
    /// Kifu lines skipped (bad id, bad move).
    pub malformed: usize,
    /// Games loaded although the index has no line for them (komi unknown).
    pub missing_from_index: usize,
}

/// Reads `Kifu.index`.
pub fn read_index(path: impl AsRef<Path>) -> Result<Index> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    Ok(parse_index(&String::from_utf8_lossy(&bytes), &path.display().to_string()))
}

/// Parses the text of an index; `file` names it in warnings.
pub fn parse_index(text: &str, file: &str) -> Index {
    let mut index = Index::default();
    let mut warn = Warnings::new(file);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match parse_index_line(line) {
            Ok((id, entry)) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = index.entries.entry(id) {
                    slot.insert(entry);
                } else {
                    warn.push(n + 1, 1, format!("game {id} is listed again; keeping its first line"));
                }
            }
            Err(msg) => warn.push(n + 1, 1, msg),
        }
    }
    index.malformed = warn.count;
    index.warnings = warn.finish();
    index
}

fn parse_index_line(line: &str) -> std::result::Result<(u64, IndexEntry), String> {
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.len() < 6 {
        return Err(format!("expected 8 tab-separated columns, found {}", cols.len()));
    }
    let id = cols[0].trim().parse().map_err(|_| format!("game id {:?} is not a number", cols[0]))?;
    let komi = cols[4].trim().parse::<f32>().ok().filter(|k| k.is_finite());
    let komi = komi.ok_or_else(|| format!("komi {:?} is not a number", cols[4]))?;
    let round = match cols.get(6).map(|r| r.trim()) {
        None | Some("") => None,
        Some(r) => Some(r.parse().map_err(|_| format!("round {r:?} is not a number"))?),
    };
    let entry = IndexEntry {
        date: cols[1].to_string(),
        white: cols[2].to_string(),
        black: cols[3].to_string(),
        komi,
        result: cols[5].to_string(),
        round,
        time: cols.get(7).unwrap_or(&"").to_string(),
    };
    Ok((id, entry))
}

/// True when `dir` looks like a Tom folder: a `Kifu.index` file and a `kifu` folder.
pub fn is_kifu_dir(dir: &Path) -> bool {
    dir.join("Kifu.index").is_file() && dir.join("kifu").is_dir()
}

/// Reads a Tom folder: its index, then every month file under `kifu/` in name order.
/// A missing index is a warning (every game then lacks komi and result).
pub fn read_games(dir: impl AsRef<Path>) -> Result<KifuSet> {
    let dir = dir.as_ref();
    let index_path = dir.join("Kifu.index");
    let mut set = KifuSet::default();
    let index = if index_path.is_file() {
        let index = read_index(&index_path)?;
        set.warnings.extend(index.warnings.iter().cloned());
        Some(index)
    } else {
        set.warnings.push(format!("{}: no Kifu.index; games load without komi or result", dir.display()));
        None
    };
    let kifu = dir.join("kifu");
    let mut months: Vec<PathBuf> = std::fs::read_dir(&kifu)
        .map_err(|e| io(&kifu, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    months.sort();
    for month in &months {
        let bytes = std::fs::read(month).map_err(|e| io(month, e))?;
        parse_month(&String::from_utf8_lossy(&bytes), &month.display().to_string(), index.as_ref(), &mut set);
    }
    Ok(set)
}

/// Reads one month file, joining the index when given.
pub fn read_month(path: impl AsRef<Path>, index: Option<&Index>) -> Result<KifuSet> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    let mut set = KifuSet::default();
    parse_month(&String::from_utf8_lossy(&bytes), &path.display().to_string(), index, &mut set);
    Ok(set)
}

/// Parses the text of a month file into `set`; `file` names it in sources and warnings.
pub fn parse_month(text: &str, file: &str, index: Option<&Index>, set: &mut KifuSet) {
    let name: Arc<str> = Arc::from(file);
    let mut warn = Warnings::new(file);
    let mut missing = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches(['\r', ' ', '\t']);
        if line.is_empty() {
            continue;
        }
        let Some((id_text, moves_text)) = line.split_once('\t') else {
            warn.push(n + 1, 1, "expected the game id, a tab, then the moves".into());
            continue;
        };
        let Ok(id) = id_text.trim().parse::<u64>() else {
            warn.push(n + 1, 1, format!("game id {id_text:?} is not a number"));
            continue;
        };
        let moves = match parse_moves(moves_text.as_bytes()) {
            Ok(moves) => moves,
            Err((at, msg)) => {
                // Ids and moves are ASCII, so a byte offset is a column.
                warn.push(n + 1, id_text.len() + 2 + at, format!("game {id}: {msg}"));
                continue;
            }
        };
        let mut record = GameRecord::new(19);
        record.moves = moves;
        record.black_rank = Some("9d".into());
        record.white_rank = Some("9d".into());
        match index.and_then(|ix| ix.entries.get(&id)) {
            Some(entry) => {
                record.komi = Some(entry.komi);
                record.result = Some(entry.result.clone()).filter(|r| !r.is_empty());
                record.black = Some(entry.black.clone()).filter(|r| !r.is_empty());
                record.white = Some(entry.white.clone()).filter(|r| !r.is_empty());
                record.date = Some(entry.date.clone()).filter(|r| !r.is_empty());
            }
            None => missing += 1,
        }
        set.games.push(KifuGame { id, file: name.clone(), record });
    }
    set.files += 1;
    set.malformed += warn.count;
    set.missing_from_index += missing;
    set.warnings.extend(warn.finish());
    if missing > 0 {
        let why = if index.is_some() { "not in the index" } else { "read without an index" };
        set.warnings.push(format!("{file}: {missing} games {why}: no komi, result or players"));
    }
}

/// The moves of a kifu line, `;B[qd];W[dp];B[]`; on failure the byte offset and why.
/// `tt` is a pass as in FF[3] SGF.
fn parse_moves(s: &[u8]) -> std::result::Result<Vec<(Color, Move)>, (usize, String)> {
    let mut moves = Vec::with_capacity(s.len() / 6);
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let color = match rest {
            [b';', b'B', b'[', ..] => Color::Black,
            [b';', b'W', b'[', ..] => Color::White,
            _ => return Err((i, format!("move {}: expected ;B[..] or ;W[..]", moves.len() + 1))),
        };
        let (mv, len) = match rest[3..] {
            [b']', ..] => (Move::Pass, 4),
            [b't', b't', b']', ..] => (Move::Pass, 6),
            [x @ b'a'..=b's', y @ b'a'..=b's', b']', ..] => (Move::Play(Vertex { x: x - b'a', y: y - b'a' }), 6),
            _ => return Err((i, format!("move {}: expected a point aa..ss, or [] for a pass", moves.len() + 1))),
        };
        moves.push((color, mv));
        i += len;
    }
    Ok(moves)
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), msg: e.to_string() }
}

/// Warnings of one file: the first few in full, then a count.
struct Warnings<'a> {
    file: &'a str,
    lines: Vec<String>,
    count: usize,
}

impl<'a> Warnings<'a> {
    fn new(file: &'a str) -> Warnings<'a> {
        Warnings { file, lines: Vec::new(), count: 0 }
    }

    fn push(&mut self, line: usize, column: usize, msg: String) {
        self.count += 1;
        if self.lines.len() < WARNINGS_PER_FILE {
            self.lines.push(format!("{}:{line}:{column}: {msg}; line skipped", self.file));
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.count > self.lines.len() {
            self.lines.push(format!("{}: {} more malformed lines skipped", self.file, self.count - self.lines.len()));
        }
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "354460\t2003.09.25 20:21\t忧郁的孤影\t楚阳春\t6.5\tB+0.5\t321\t30/3 5m\n\
                         355131\t2003.09.25 21:36\tw2\tb2\t7.5\tW+Resign\t4\t30/3 20m\n\
                         bogus line\n\
                         355132\t2003.09.25\tw\tb\tsix\tB+1\t9\t\n";

    #[test]
    fn index_lines_give_komi_names_and_result_and_bad_lines_are_counted() {
        let index = parse_index(INDEX, "Kifu.index");
        assert_eq!(index.entries.len(), 2);
        let e = &index.entries[&354460];
        assert_eq!((e.white.as_str(), e.black.as_str(), e.komi), ("忧郁的孤影", "楚阳春", 6.5));
        assert_eq!((e.result.as_str(), e.round, e.time.as_str()), ("B+0.5", Some(321), "30/3 5m"));
        assert_eq!(index.malformed, 2);
        assert!(index.warnings[0].starts_with("Kifu.index:3:1: expected 8"), "{:?}", index.warnings);
        assert!(index.warnings[1].contains("komi \"six\""), "{:?}", index.warnings);
    }

    #[test]
    fn month_lines_join_the_index_and_bad_lines_are_skipped() {
        let index = parse_index(INDEX, "Kifu.index");
        let text = "354460\t;B[qd];W[dp];B[];W[tt]\r\n\
                    355131\t;B[qd];W[zz]\n\
                    999\t;B[aa];W[ss]\n\
                    \n\
                    x\t;B[aa]\n";
        let mut set = KifuSet::default();
        parse_month(text, "kifu/2003-09", Some(&index), &mut set);
        assert_eq!(set.games.len(), 2);
        assert_eq!((set.malformed, set.missing_from_index, set.files), (2, 1, 1));
        let first = &set.games[0];
        assert_eq!(first.id, 354460);
        let qd = Vertex::parse_sgf("qd").unwrap();
        assert_eq!(first.record.moves[0], (Color::Black, Move::Play(qd)));
        assert_eq!(first.record.moves[2..], [(Color::Black, Move::Pass), (Color::White, Move::Pass)]);
        assert_eq!(first.record.komi, Some(6.5));
        assert_eq!(first.record.black.as_deref(), Some("楚阳春"));
        assert_eq!(first.record.result.as_deref(), Some("B+0.5"));
        let lost = &set.games[1];
        assert_eq!((lost.id, lost.record.komi, lost.record.moves.len()), (999, None, 2));
        // The bad move `;W[zz]` is byte 6 of the moves, which start in column 8.
        assert!(set.warnings[0].starts_with("kifu/2003-09:2:14: game 355131: move 2"), "{:?}", set.warnings);
        assert!(set.warnings.iter().any(|w| w.contains("1 games not in the index")), "{:?}", set.warnings);
    }

    #[test]
    fn only_the_first_warnings_of_a_file_are_spelled_out() {
        let text = "junk\n".repeat(WARNINGS_PER_FILE + 5);
        let mut set = KifuSet::default();
        parse_month(&text, "m", None, &mut set);
        assert_eq!(set.malformed, WARNINGS_PER_FILE + 5);
        assert_eq!(set.warnings.len(), WARNINGS_PER_FILE + 1);
        assert_eq!(set.warnings.last().unwrap(), "m: 5 more malformed lines skipped");
    }
}
