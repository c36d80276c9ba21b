use super::*;
use crate::{Color, Move, Vertex};

fn v(sgf: &str) -> Vertex {
    Vertex::parse_sgf(sgf).unwrap()
}

fn one(text: &str) -> GameRecord {
    let coll = parse_collection(text, "t.sgf").unwrap();
    assert_eq!(coll.games.len(), 1, "{:?}", coll.warnings);
    coll.games[0].main_line().unwrap()
}

fn parse_error(text: &str) -> (usize, usize, String) {
    match parse_collection(text, "bad.sgf") {
        Err(Error::Parse { file, line, column, msg }) => {
            assert_eq!(file, "bad.sgf");
            (line, column, msg)
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn main_line_error(text: &str) -> (usize, usize, String) {
    let coll = parse_collection(text, "bad.sgf").unwrap();
    match coll.games[0].main_line() {
        Err(Error::Parse { line, column, msg, .. }) => (line, column, msg),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn root_properties_fill_the_record() {
    let rec = one("(;FF[4]GM[1]SZ[19]KM[6.5]HA[0]PB[Lee Sedol]BR[9p]PW[AlphaGo]WR[-]\
         DT[2016-03-09]RE[W+Resign]CA[UTF-8];B[qd];W[dd])");
    assert_eq!((rec.size, rec.komi, rec.handicap), (19, Some(6.5), 0));
    assert_eq!(rec.black.as_deref(), Some("Lee Sedol"));
    assert_eq!(rec.white.as_deref(), Some("AlphaGo"));
    assert_eq!((rec.black_rank.as_deref(), rec.white_rank.as_deref()), (Some("9p"), Some("-")));
    assert_eq!(rec.date.as_deref(), Some("2016-03-09"));
    assert_eq!(rec.result.as_deref(), Some("W+Resign"));
    assert_eq!(rec.moves, [(Color::Black, Move::Play(v("qd"))), (Color::White, Move::Play(v("dd")))]);
    assert_eq!(rec.player_to_move, None);
}

#[test]
fn missing_size_means_19_and_missing_komi_means_none() {
    let rec = one("(;GM[1];B[ss])");
    assert_eq!((rec.size, rec.komi), (19, None));
    assert_eq!(rec.moves, [(Color::Black, Move::Play(v("ss")))]);
}

#[test]
fn escapes_and_soft_line_breaks_decode_in_text() {
    let coll = parse_collection("(;PB[a\\]b\\\\c]C[one\\\ntwo\\\r\nthree\nfour]PW[x\\\ny\tz\n w])", "t").unwrap();
    let root = &coll.games[0].nodes[0];
    assert_eq!(root.value("PB"), Some("a\\]b\\\\c"), "kept raw");
    assert_eq!(unescape(root.value("C").unwrap()), "onetwothree\nfour");
    let rec = coll.games[0].main_line().unwrap();
    assert_eq!(rec.black.as_deref(), Some("a]b\\c"));
    assert_eq!(rec.white.as_deref(), Some("xy z  w"), "SimpleText: breaks and tabs become spaces");
}

#[test]
fn written_text_is_escaped() {
    let mut rec = GameRecord::new(9);
    rec.black = Some("name]with\\odd".into());
    rec.result = Some("B+R".into());
    let text = rec.to_sgf();
    assert!(text.contains("PB[name\\]with\\\\odd]"), "{text}");
    assert_eq!(one(&text), rec);
}

#[test]
fn compressed_point_lists_expand_to_rectangles() {
    let rec = one("(;SZ[9]AB[aa:bc][ee]AW[cc:bb]AE[ee])");
    let black: Vec<Vertex> = rec.setup.iter().filter(|s| s.1 == Some(Color::Black)).map(|s| s.0).collect();
    let white: Vec<Vertex> = rec.setup.iter().filter(|s| s.1 == Some(Color::White)).map(|s| s.0).collect();
    // aa:bc is columns a-b by rows a-c; cc:bb is the square b-c by b-c, given from its
    // lower right, and takes bb from black.
    let want_black: Vec<Vertex> = ["aa", "ab", "ac", "ba"].map(v).to_vec();
    let want_white: Vec<Vertex> = ["bb", "bc", "cb", "cc"].map(v).to_vec();
    assert_eq!(black, want_black);
    assert_eq!(white, want_white);
    assert!(rec.setup.contains(&(v("ee"), None)), "AE after AB empties the point: {:?}", rec.setup);
}

#[test]
fn passes_are_empty_or_tt_up_to_19_and_tt_is_a_point_above() {
    let rec = one("(;SZ[19];B[];W[tt];B[ aa ])");
    assert_eq!(
        rec.moves,
        [(Color::Black, Move::Pass), (Color::White, Move::Pass), (Color::Black, Move::Play(v("aa")))]
    );
    let big = one("(;SZ[21];B[tt];W[])");
    assert_eq!(big.moves, [(Color::Black, Move::Play(v("tt"))), (Color::White, Move::Pass)]);
    let (line, column, msg) = main_line_error("(;SZ[9]\n;B[ee];W[jj])");
    assert_eq!((line, column), (2, 8));
    assert!(msg.contains("W[jj]") && msg.contains("9x9"), "{msg}");
}

#[test]
fn lowercase_letters_in_ff3_identifiers_are_dropped() {
    let coll = parse_collection("(;GaMe[1]SiZe[9]AddBlack[cc]AddWhite[gg];Black[ee];White[])", "t").unwrap();
    let idents: Vec<&str> = coll.games[0].nodes[0].props.iter().map(|p| p.ident.as_str()).collect();
    assert_eq!(idents, ["GM", "SZ", "AB", "AW"]);
    let rec = coll.games[0].main_line().unwrap();
    assert_eq!(rec.size, 9);
    assert_eq!(rec.setup, [(v("cc"), Some(Color::Black)), (v("gg"), Some(Color::White))]);
    assert_eq!(rec.moves, [(Color::Black, Move::Play(v("ee"))), (Color::White, Move::Pass)]);
    let (_, _, msg) = parse_error("(;add[aa])");
    assert!(msg.contains("no uppercase letter"), "{msg}");
}

#[test]
fn a_node_with_two_moves_is_an_error() {
    let (line, column, msg) = main_line_error("(;SZ[9];B[ee]W[cc])");
    assert_eq!((line, column), (1, 14));
    assert!(msg.contains("second move"), "{msg}");
}

#[test]
fn non_square_boards_are_an_error_naming_sz() {
    let (line, column, msg) = main_line_error("(;GM[1]\r\nSZ[19:13];B[aa])");
    assert_eq!((line, column), (2, 1));
    assert!(msg.starts_with("SZ[19:13]") && msg.contains("non-square"), "{msg}");
    assert_eq!(one("(;SZ[13:13])").size, 13);
}

#[test]
fn bad_komi_handicap_and_player_are_errors() {
    assert!(main_line_error("(;KM[six])").2.contains("komi"));
    assert!(main_line_error("(;HA[-2])").2.contains("handicap"));
    assert!(main_line_error("(;PL[X])").2.contains("PL[X]"));
    assert!(main_line_error("(;GM[2])").2.contains("GM"));
    assert_eq!(one("(;KM[5,5]HA[2]PL[W])").komi, Some(5.5), "a decimal comma is read");
    assert_eq!(one("(;KM[]PL[w])").player_to_move, Some(Color::White));
}

#[test]
fn setup_before_the_first_move_is_merged_and_after_it_refused() {
    let rec = one("(;SZ[9]HA[2];AB[cc][gg]PL[W];W[ee])");
    assert_eq!(rec.handicap, 2);
    assert_eq!(rec.setup.len(), 2);
    assert_eq!(rec.player_to_move, Some(Color::White));
    let (line, column, msg) = main_line_error("(;SZ[9];B[ee];AW[cc])");
    assert_eq!((line, column), (1, 15));
    assert!(msg.contains("setup after move 1"), "{msg}");
}

#[test]
fn main_line_takes_the_first_variation_and_variations_survive_a_round_trip() {
    let text = "(;SZ[9];B[ee](;W[cc];B[gg](;W[cg])(;W[gc]C[side])) (;W[gg]LB[cc:x\\]y]))";
    let coll = parse_collection(text, "t").unwrap();
    let tree = &coll.games[0];
    assert_eq!(tree.variations.len(), 2);
    assert_eq!(tree.variations[0].variations.len(), 2);
    let rec = tree.main_line().unwrap();
    let points: Vec<Move> = rec.moves.iter().map(|m| m.1).collect();
    assert_eq!(points, ["ee", "cc", "gg", "cg"].map(|p| Move::Play(v(p))));
    let written = write_collection(&coll.games);
    let again = parse_collection(&written, "t2").unwrap();
    assert_eq!(again.games, coll.games);
    assert!(written.contains("LB[cc:x\\]y]"), "{written}");
}

#[test]
fn records_round_trip_through_sgf() {
    let mut rec = GameRecord::new(19);
    rec.komi = Some(7.5);
    rec.handicap = 2;
    rec.setup = vec![(v("dp"), Some(Color::Black)), (v("pd"), Some(Color::Black)), (v("qq"), Some(Color::White))];
    rec.moves = (0..200)
        .map(|i| {
            let color = if i % 2 == 0 { Color::White } else { Color::Black };
            let mv = if i == 199 { Move::Pass } else { Move::Play(Vertex::new(i % 19, i / 19)) };
            (color, mv)
        })
        .collect();
    rec.white = Some("白".into());
    rec.date = Some("2003.09.25 20:21".into());
    rec.player_to_move = Some(Color::White);
    let text = rec.to_sgf();
    assert!(text.starts_with("(;FF[4]GM[1]SZ[19]KM[7.5]HA[2]"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 100), "{text}");
    assert_eq!(one(&text), rec);
}

#[test]
fn a_collection_yields_every_game() {
    let text = "header text (not a game)\n(;SZ[9];B[aa])\n(;SZ[13];B[bb])junk(;SZ[19];W[cc])\ntrailer";
    let coll = parse_collection(text, "t").unwrap();
    let sizes: Vec<usize> = coll.games.iter().map(|g| g.main_line().unwrap().size).collect();
    assert_eq!(sizes, [9, 13, 19]);
    assert!(coll.warnings.is_empty(), "{:?}", coll.warnings);
}

#[test]
fn a_bad_game_is_skipped_with_a_warning_naming_where() {
    // Recovery skips to the `)` that closes the bad game, not counting parentheses
    // inside values.
    let text = "(;SZ[9];B[aa])\n(;SZ[9];B[bb]\n;W (;B[x)y])C[(])\n(;SZ[9];B[cc])";
    let coll = parse_collection(text, "mixed.sgf").unwrap();
    let moves: Vec<Move> = coll.games.iter().map(|g| g.main_line().unwrap().moves[0].1).collect();
    assert_eq!(moves, [Move::Play(v("aa")), Move::Play(v("cc"))]);
    assert_eq!(coll.warnings.len(), 1, "{:?}", coll.warnings);
    let w = &coll.warnings[0];
    assert!(w.starts_with("game 2 (from line 2, column 1) skipped: mixed.sgf:3:4: property W has no value"), "{w}");
}

#[test]
fn error_positions_count_lines_and_characters() {
    let (line, column, msg) = parse_error("(;C[día] ?)");
    assert_eq!((line, column), (1, 10), "í is one column");
    assert!(msg.contains("found '?'"), "{msg}");
    let (line, column, _) = parse_error("(;C[día]\n  PB[x] ?)");
    assert_eq!((line, column), (2, 9));
    let (line, column, msg) = parse_error("(;SZ[9]\n;B[aa\n");
    assert_eq!((line, column), (2, 3), "an unclosed value is reported where it opens");
    assert!(msg.contains("not closed"), "{msg}");
    let (line, column, _) = parse_error("(;B[aa];W[bb](;B[cc])\n;W[dd])");
    assert_eq!((line, column), (2, 1), "a node after a variation");
    let (line, column, _) = parse_error("(;B[aa]()");
    assert_eq!((line, column), (1, 8), "an empty tree");
}

#[test]
fn empty_and_gameless_files_are_errors() {
    assert!(parse_error("").2.contains("no SGF game"));
    assert!(parse_error("just (text)").2.contains("no SGF game"));
}

#[test]
fn an_unclosed_game_at_the_end_of_the_file_is_closed_with_a_warning() {
    let coll = parse_collection("(;SZ[9];B[aa](;W[bb];B[cc]", "cut.sgf").unwrap();
    assert_eq!(coll.games[0].main_line().unwrap().moves.len(), 3);
    assert_eq!(coll.warnings, ["cut.sgf:1:1: game tree not closed by the end of the file; read as if closed there"]);
}

#[test]
fn nesting_beyond_the_limit_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "(;B[aa]".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(parse_error(&deep).2.contains("nested deeper"));
    let ok = format!("{}{}", "(;B[aa]".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    let coll = parse_collection(&ok, "t").unwrap();
    assert_eq!(coll.games[0].main_line().unwrap().moves.len(), MAX_DEPTH);
    assert_eq!(parse_collection(&write_collection(&coll.games), "t").unwrap().games, coll.games);
}

#[test]
fn the_writer_escapes_raw_values_built_in_code() {
    let node = Node { props: vec![Property::raw("C", vec!["a]b\\".into()]), Property::text("GN", "x]")] };
    let tree = GameTree { nodes: vec![node], ..GameTree::default() };
    let text = write_tree(&tree);
    assert_eq!(text, "(;C[a\\]b\\\\]GN[x\\]])\n");
    let back = parse_collection(&text, "t").unwrap();
    assert_eq!(unescape(back.games[0].nodes[0].value("C").unwrap()), "a]b\\");
    assert_eq!(simple_text(back.games[0].nodes[0].value("GN").unwrap()), "x]");
}

#[test]
fn gzipped_files_are_read() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("fovea-go-sgf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.sgf.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"(;SZ[9];B[ee])").unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let loaded = load_games(std::slice::from_ref(&dir)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((loaded.files, loaded.games.len()), (1, 1));
    assert_eq!(loaded.games[0].source, format!("{}#1", path.display()));
    assert_eq!(loaded.games[0].record.moves, [(Color::Black, Move::Play(v("ee")))]);
}

#[test]
fn invalid_utf8_is_replaced_not_refused() {
    let dir = std::env::temp_dir().join(format!("fovea-go-gb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gb.sgf");
    // "黑" in GB2312 is 0xBA 0xDA: not UTF-8.
    std::fs::write(&path, b"(;CA[gb2312]PB[\xBA\xDA];B[aa])").unwrap();
    let coll = read_file(&path);
    std::fs::remove_dir_all(&dir).unwrap();
    let rec = coll.unwrap().games[0].main_line().unwrap();
    assert_eq!(rec.black.as_deref(), Some("\u{FFFD}\u{FFFD}"));
    assert_eq!(rec.moves.len(), 1);
}
