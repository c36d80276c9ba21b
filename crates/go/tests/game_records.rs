//! Loading real game collections: Debian's `goban-original-games` (596 professional
//! games in /usr/share/goban, SGF under `.sgf` and `.mgt` names) and the Tom kifu set
//! (/work/shared/go/tom, see its README for the counts checked here). Each test prints
//! a skip message and passes where its data is not installed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fovea_go::sgf::{self, GameRecord};
use fovea_go::{kifu, load_games, Board, Color, Move, Vertex};

const GOBAN: &str = "/usr/share/goban";

fn tom_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/go/tom");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} not present", dir.display());
        None
    }
}

/// How many moves of a record replay under simple ko before the first refusal.
fn replay(rec: &GameRecord) -> usize {
    let Ok(mut board) = Board::new(rec.size) else { return 0 };
    for &(v, color) in &rec.setup {
        if board.set_stone(v, color).is_err() {
            return 0;
        }
    }
    rec.moves.iter().take_while(|&&(color, mv)| board.play(color, mv).is_ok()).count()
}

#[test]
fn goban_original_games_all_load_and_replay() {
    if !Path::new(GOBAN).is_dir() {
        eprintln!("skipped: {GOBAN} not installed (Debian package goban-original-games)");
        return;
    }
    let loaded = load_games(&[PathBuf::from(GOBAN)]).unwrap();
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    assert_eq!((loaded.files, loaded.games.len()), (596, 596));
    let moves: usize = loaded.games.iter().map(|g| g.record.moves.len()).sum();
    assert_eq!(moves, 129_060);
    assert!(loaded.games.iter().all(|g| g.record.size == 19 && g.record.result.is_some()));
    // Files are read in path order.
    assert_eq!(loaded.games[0].source, format!("{GOBAN}/Hon-41-1.mgt#1"));
    // Five records carry a move onto an occupied point (transcription slips in the
    // package; Game and Board refuse them), all within their last few moves.
    let short: Vec<(&str, usize, usize)> = loaded
        .games
        .iter()
        .map(|g| (g.source.as_str(), replay(&g.record), g.record.moves.len()))
        .filter(|&(_, played, all)| played < all)
        .collect();
    assert_eq!(short.len(), 5, "{short:#?}");
    assert!(short.iter().all(|&(_, played, all)| all - played <= 7), "{short:#?}");
}

#[test]
fn a_goban_game_survives_a_record_round_trip() {
    let path = Path::new(GOBAN).join("Hon-85-2.mgt");
    if !path.is_file() {
        eprintln!("skipped: {} not installed", path.display());
        return;
    }
    let coll = sgf::read_file(&path).unwrap();
    let rec = coll.games[0].main_line().unwrap();
    assert_eq!(rec.white.as_deref(), Some("Takemiya Masaki"));
    assert_eq!(rec.black.as_deref(), Some("Rin Kaiho"));
    assert_eq!((rec.komi, rec.result.as_deref()), (Some(5.5), Some("W+R")));
    assert_eq!(rec.moves[0], (Color::Black, Move::Play(Vertex::parse_sgf("pd").unwrap())));
    let again = sgf::parse_collection(&rec.to_sgf(), "rewritten").unwrap();
    assert_eq!(again.games[0].main_line().unwrap(), rec);
    let tree_again = sgf::parse_collection(&sgf::write_collection(&coll.games), "rewritten").unwrap();
    assert_eq!(tree_again.games, coll.games);
}

#[test]
fn tom_index_reads_every_line() {
    let Some(dir) = tom_dir() else { return };
    let index = kifu::read_index(dir.join("Kifu.index")).unwrap();
    assert_eq!((index.entries.len(), index.malformed), (50_956, 0), "{:?}", index.warnings);
    let komi_75 = index.entries.values().filter(|e| e.komi == 7.5).count();
    let komi_65 = index.entries.values().filter(|e| e.komi == 6.5).count();
    assert_eq!((komi_75, komi_65), (43_493, 7_463));
    let first = &index.entries[&354_460];
    assert_eq!((first.white.as_str(), first.black.as_str()), ("忧郁的孤影", "楚阳春"));
    assert_eq!((first.date.as_str(), first.result.as_str(), first.round), ("2003.09.25 20:21", "B+0.5", Some(321)));
}

#[test]
fn a_tom_month_file_loads_joined_with_the_index() {
    let Some(dir) = tom_dir() else { return };
    let month = dir.join("kifu/2005-06");
    let loaded = load_games(std::slice::from_ref(&month)).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // Counted with grep: 484 lines, 105,567 `;`, one `[]`.
    assert_eq!((loaded.files, loaded.games.len()), (1, 484));
    let moves: usize = loaded.games.iter().map(|g| g.record.moves.len()).sum();
    let passes = loaded.games.iter().flat_map(|g| &g.record.moves).filter(|m| m.1 == Move::Pass).count();
    assert_eq!((moves, passes), (105_567, 1));
    let first = &loaded.games[0];
    assert_eq!(first.source, format!("{}#12473510", month.display()));
    let rec = &first.record;
    assert_eq!((rec.komi, rec.result.as_deref()), (Some(6.5), Some("W+11.5")));
    assert_eq!((rec.white.as_deref(), rec.black.as_deref()), (Some("无上慧坚固"), Some("侠客之猛")));
    assert_eq!(
        rec.moves[..2],
        [(Color::Black, Move::Play(Vertex::new(16, 3))), (Color::White, Move::Play(Vertex::new(3, 15)))]
    );
    assert!(loaded.games.iter().all(|g| g.record.komi.is_some() && g.record.handicap == 0));
}

/// The whole set (65 MB); run with `cargo test --release -p fovea-go --test
/// game_records -- --ignored --nocapture` to see the time.
#[test]
#[ignore = "reads all 100 month files: a few seconds unoptimised"]
fn tom_all_games_load() {
    let Some(dir) = tom_dir() else { return };
    let start = Instant::now();
    let set = kifu::read_games(&dir).unwrap();
    let took = start.elapsed();
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    assert_eq!((set.files, set.games.len(), set.malformed, set.missing_from_index), (100, 50_956, 0, 0));
    let moves: usize = set.games.iter().map(|g| g.record.moves.len()).sum();
    let passes = set.games.iter().flat_map(|g| &g.record.moves).filter(|m| m.1 == Move::Pass).count();
    assert_eq!((moves, passes), (10_726_867, 265));
    println!("tom: {} games, {moves} moves, {passes} passes in {took:?}", set.games.len());
}
