use super::*;
use crate::player::sensible_moves;
use crate::{Color, Error, Move, Result};

/// Plays the first sensible move from the top left (or passes); its policy, when it
/// has one, is fixed.
struct FirstMove {
    policy: Option<Vec<f32>>,
}

impl Player for FirstMove {
    fn genmove(&mut self, game: &Game, color: Color) -> Result<Move> {
        Ok(sensible_moves(game, color).first().map_or(Move::Pass, |&v| Move::Play(v)))
    }
    fn name(&self) -> String {
        "first".into()
    }
    fn policy(&mut self, game: &Game, _color: Color) -> Result<Vec<f32>> {
        match &self.policy {
            Some(p) if p.len() == game.size() * game.size() => Ok(p.clone()),
            _ => Err(Error::Other("no policy for this board".into())),
        }
    }
}

/// A player that fails the way the network does off 19x19.
struct Failing;

impl Player for Failing {
    fn genmove(&mut self, game: &Game, _color: Color) -> Result<Move> {
        Err(Error::Other(format!("the policy network only knows 19x19 boards; this board is {0}x{0}", game.size())))
    }
    fn name(&self) -> String {
        "failing".into()
    }
}

fn engine() -> Engine {
    Engine::new(Box::new(FirstMove { policy: None }))
}

/// Feeds `script` through [`serve`] and returns everything written.
fn run(engine: &mut Engine, script: &str) -> String {
    let mut out = Vec::new();
    serve(engine, script.as_bytes(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn framing_echoes_ids_and_ignores_comments_and_blank_lines() {
    let mut e = engine();
    let out = run(&mut e, "1 protocol_version\n# a comment\n\n   \t \n2 name\nversion # trailing comment\n");
    assert_eq!(out, format!("=1 2\n\n=2 fovea (first)\n\n= {}\n\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn control_characters_are_dropped_and_tabs_separate_words() {
    let mut e = engine();
    let out = run(&mut e, "proto\x07col_version\r\n\x1b3\tplay\tb\tD4\r\nlist_stones black\n");
    assert_eq!(out, "= 2\n\n=3\n\n= D4\n\n");
}

#[test]
fn bad_input_gets_an_error_and_changes_nothing() {
    let mut e = engine();
    let script = "\
        foo\n\
        7 play b Z99\n\
        play x D4\n\
        play b\n\
        play b I5\n\
        boardsize 1\n\
        boardsize 26\n\
        boardsize -3\n\
        boardsize nineteen\n\
        komi abc\n\
        komi inf\n\
        genmove purple\n\
        undo\n\
        fixed_handicap 10\n\
        fixed_handicap 99999999999999999999999\n\
        time_left b -1 0\n\
        42\n";
    let expected = "\
        ? unknown command\n\n\
        ?7 syntax error: Z99 is not a vertex of a 19x19 board\n\n\
        ? syntax error: x is not a colour (b, w, black, white)\n\n\
        ? syntax error: play COLOR VERTEX\n\n\
        ? syntax error: I5 is not a vertex of a 19x19 board\n\n\
        ? unacceptable size\n\n\
        ? unacceptable size\n\n\
        ? syntax error: boardsize SIZE\n\n\
        ? syntax error: boardsize SIZE\n\n\
        ? syntax error: komi NUMBER\n\n\
        ? syntax error: komi inf is not a finite number\n\n\
        ? syntax error: purple is not a colour (b, w, black, white)\n\n\
        ? cannot undo\n\n\
        ? invalid number of stones\n\n\
        ? syntax error: the number of stones is not a whole number\n\n\
        ? syntax error: time_left takes whole numbers >= 0\n\n\
        ?42 missing command name\n\n";
    assert_eq!(run(&mut e, script), expected);
    assert!(e.game().moves().is_empty());
    assert_eq!((e.game().size(), e.game().komi()), (19, 7.5));
}

#[test]
fn play_and_showboard_draw_the_position() {
    let mut e = engine();
    let out = run(&mut e, "boardsize 5\nkomi 0.5\nplay b C3\nplay w d4\nshowboard\n");
    let board = "\
\n   A B C D E\n 5 . . . . . 5\n 4 . . . O . 4\n 3 . . X . . 3\n 2 . . . . . 2\n 1 . . . . . 1\n   A B C D E\n\
Black to move, komi 0.5, captured by black 0, by white 0";
    assert_eq!(out, format!("=\n\n=\n\n=\n\n=\n\n= {board}\n\n"));
}

#[test]
fn illegal_moves_are_refused_occupied_suicide_ko_and_superko() {
    let mut e = engine();
    // A ko on 4x4 (see player's superko test): B3 takes C3.
    let setup = "boardsize 4\nplay b B4\nplay w C4\nplay b A3\nplay w D3\nplay b B2\nplay w C2\nplay b C3\nplay w B3\n";
    run(&mut e, setup);
    let out = run(&mut e, "play b C3\nplay b B3\nplay b pass\nplay w pass\nplay b C3\nplay b pass\n");
    // Retake at once: ko. B3: occupied. After two passes the retake repeats the
    // position after black's C3: positional superko.
    assert_eq!(out, "? illegal move\n\n? illegal move\n\n=\n\n=\n\n? illegal move\n\n=\n\n");
    // White in the corner between two black stones captures nothing: suicide.
    let out = run(&mut e, "boardsize 3\nplay b A2\nplay b B1\nplay w A1\nis_legal w A1\n");
    assert_eq!(out, "=\n\n=\n\n=\n\n? illegal move\n\n= 0\n\n");
}

#[test]
fn genmove_plays_and_undo_takes_it_back() {
    let mut e = engine();
    let out = run(&mut e, "boardsize 3\ngenmove b\nreg_genmove w\ngenmove w\nlist_stones w\nundo\nlist_stones w\n");
    assert_eq!(out, "=\n\n= A3\n\n= B3\n\n= B3\n\n= B3\n\n=\n\n=\n\n");
    assert_eq!(e.game().moves().len(), 1);
}

#[test]
fn genmove_reports_the_players_error() {
    let mut e = Engine::new(Box::new(Failing));
    let out = run(&mut e, "boardsize 9\n5 genmove b\n");
    assert_eq!(out, "=\n\n?5 the policy network only knows 19x19 boards; this board is 9x9\n\n");
    assert!(e.game().moves().is_empty());
}

#[test]
fn handicaps_go_on_an_empty_board_only() {
    let mut e = engine();
    let script = "fixed_handicap 2\nfixed_handicap 2\nclear_board\nfixed_handicap 5\nlist_stones b\n\
        clear_board\nplay b A1\nset_free_handicap C3 D4\nclear_board\nset_free_handicap C3 C3\n\
        set_free_handicap C3 Z1\nset_free_handicap C3 D4 E5\nplace_free_handicap 12\n";
    let expected = "= D4 Q16\n\n? board not empty\n\n=\n\n= D4 Q16 D16 Q4 K10\n\n= D16 Q16 K10 D4 Q4\n\n\
        =\n\n=\n\n? board not empty\n\n=\n\n? bad vertex list\n\n? bad vertex list\n\n= C3 D4 E5\n\n\
        ? board not empty\n\n";
    assert_eq!(run(&mut e, script), expected);
    assert_eq!(e.game().to_move(), Color::White);
    // place_free_handicap places as many as the board has points for.
    let mut e = engine();
    assert_eq!(run(&mut e, "boardsize 9\nplace_free_handicap 12\n"), "=\n\n= C3 G7 C7 G3 C5 G5 E3 E7 E5\n\n");
}

#[test]
fn queries_answer_about_the_position() {
    let mut e = engine();
    // White captures the black stone at A1.
    let script = "boardsize 5\nkomi 0.5\nplay b A1\nplay w A2\nplay b E5\nplay w B1\n\
        captures white\ncaptures b\nlist_stones black\nis_legal b A1\nis_legal w B1\nis_legal b pass\n\
        is_legal b K9\nfinal_score\nfinal_status_list dead\nfinal_status_list alive\nknown_command play\n\
        known_command frobnicate\ntime_settings 600 30 5\ntime_left w 120 3\n";
    let expected = "=\n\n=\n\n=\n\n=\n\n=\n\n=\n\n= 1\n\n= 0\n\n= E5\n\n= 0\n\n= 0\n\n= 1\n\n\
        ? syntax error: K9 is not a vertex of a 5x5 board\n\n= W+2.5\n\n=\n\n= E5 A2 B1\n\n= true\n\n= false\n\n\
        =\n\n=\n\n";
    assert_eq!(run(&mut e, script), expected);
    let time = e.time_control();
    assert_eq!((time.main_time, time.byo_yomi_time, time.byo_yomi_stones), (600, 30, 5));
    assert_eq!(time.left, [None, Some((120, 3))]);
}

#[test]
fn list_commands_names_every_known_command() {
    let mut e = engine();
    let out = run(&mut e, "list_commands\n");
    let body = out.strip_prefix("= ").unwrap().strip_suffix("\n\n").unwrap();
    let names: Vec<&str> = body.lines().collect();
    assert_eq!(names, COMMANDS);
    for name in COMMANDS {
        assert_eq!(e.respond(&format!("known_command {name}")).unwrap(), "= true\n\n");
    }
}

#[test]
fn quit_answers_and_stops_reading() {
    let mut e = engine();
    assert_eq!(run(&mut e, "quit\nplay b D4\n"), "=\n\n");
    assert!(e.quit_requested());
    assert!(e.game().moves().is_empty());
}

#[test]
fn an_overlong_line_is_refused_and_reading_goes_on() {
    let mut e = engine();
    let long = format!("9 name {}\nprotocol_version\n", "x".repeat(MAX_LINE_BYTES + 10));
    assert_eq!(run(&mut e, &long), format!("?9 line longer than {MAX_LINE_BYTES} bytes\n\n= 2\n\n"));
}

#[test]
fn invalid_utf8_is_replaced_not_fatal() {
    let mut e = engine();
    let mut out = Vec::new();
    serve(&mut e, &b"pl\xffay b D4\nprotocol_version\n"[..], &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "? unknown command\n\n= 2\n\n");
}

/// A 3x3 policy: B2 (the centre) 0.6, A3 0.3, C1 0.095, the rest 0.001.
fn small_policy() -> Vec<f32> {
    let mut p = vec![0.001f32; 9];
    p[4] = 0.6;
    p[0] = 0.3;
    p[8] = 0.095;
    p
}

#[test]
fn analyze_commands_draw_the_policy_for_gogui() {
    let mut e = Engine::new(Box::new(FirstMove { policy: Some(small_policy()) }));
    run(&mut e, "boardsize 3\n");
    let out = run(&mut e, "gogui-analyze_commands\n");
    assert_eq!(
        out,
        "= gfx/Policy heat map/fovea-policy_heatmap %c\ncboard/Policy colours/fovea-policy_colors %c\n\
         sboard/Policy percent/fovea-policy_percent %c\nhstring/Policy top moves/policy_top 10 %c\n\n"
    );
    let out = run(&mut e, "fovea-policy_heatmap b\n");
    assert_eq!(out, "= INFLUENCE A3 0.500 B2 1.000 C1 0.158\nLABEL A3 30 B2 60 C1 10\nTEXT black best B2 60.0%\n\n");
    // White's squares are drawn negative (white).
    assert!(run(&mut e, "fovea-policy_heatmap w\n").starts_with("= INFLUENCE A3 -0.500 B2 -1.000"));
    let out = run(&mut e, "fovea-policy_colors\n");
    // sqrt(0.5) of the way to red at A3, sqrt(0.095 / 0.6) at C1.
    assert_eq!(out, "= \n#b4284b \"\" \"\"\n\"\" #ff2800 \"\"\n\"\" \"\" #65289a\n\n");
    let out = run(&mut e, "fovea-policy_percent\n");
    assert_eq!(out, "= \n30 \"\" \"\"\n\"\" 60 \"\"\n\"\" \"\" 10\n\n");
}

#[test]
fn policy_top_lists_sensible_moves_by_probability() {
    let mut e = Engine::new(Box::new(FirstMove { policy: Some(small_policy()) }));
    run(&mut e, "boardsize 3\n");
    assert_eq!(run(&mut e, "policy_top 2\n"), "= B2 0.6000\nA3 0.3000\n\n");
    // Once B2 is taken it is no longer listed; a huge N lists every sensible move.
    run(&mut e, "play b B2\n");
    let out = run(&mut e, "policy_top 1000000 w\n");
    assert_eq!(out.lines().count(), 8 + 1, "{out}");
    assert!(out.starts_with("= A3 0.3000\nC1 0.0950\n"));
    assert_eq!(run(&mut e, "policy_top x\n"), "? syntax error: policy_top N [COLOR]\n\n");
    // A player without a policy says so.
    let mut e = engine();
    assert_eq!(run(&mut e, "policy_top 3\n"), "? no policy for this board\n\n");
}

#[test]
fn loadsgf_replays_the_main_line_up_to_a_move() {
    let dir = std::env::temp_dir().join(format!("fovea-gtp-loadsgf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("game.sgf");
    std::fs::write(&file, "(;GM[1]SZ[9]KM[6.5]AB[cc][gg];W[ee];B[ce](;W[ec])(;W[dd]))").unwrap();
    let path = file.display().to_string();
    let mut e = engine();
    let out = run(&mut e, &format!("loadsgf {path}\nlist_stones w\nloadsgf {path} 2\nlist_stones w\nlist_stones b\n"));
    assert_eq!(out, "= black\n\n= E7 E5\n\n= black\n\n= E5\n\n= C7 G3\n\n");
    assert_eq!((e.game().size(), e.game().komi()), (9, 6.5));
    let out = run(&mut e, &format!("loadsgf {}\nloadsgf {path} x\n", dir.join("missing.sgf").display()));
    assert!(out.starts_with("? cannot load file: "), "{out}");
    assert!(out.ends_with("? syntax error: loadsgf FILE [MOVE_NUMBER]\n\n"), "{out}");
    // A folder is refused before reading.
    assert!(run(&mut e, &format!("loadsgf {}\n", dir.display())).contains("not a regular file"));
    let mut locked = engine().without_files();
    assert_eq!(run(&mut locked, &format!("loadsgf {path}\n")), "? loadsgf is turned off\n\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn printsgf_writes_the_game_that_loadsgf_reads_back() {
    let mut e = engine();
    let out = run(&mut e, "boardsize 9\nkomi 5.5\nfixed_handicap 2\nplay w E5\nplay b pass\nprintsgf\n");
    let sgf = out.rsplit("= ").next().unwrap().trim_end().to_string();
    assert!(sgf.starts_with("(;FF[4]GM[1]SZ[9]KM[5.5]HA[2]"), "{sgf}");
    let record = crate::sgf::parse_collection(&sgf, "printed").unwrap().games[0].main_line().unwrap();
    let game = commands::game_from_record(&record, 5.5, None).unwrap();
    assert_eq!(game.moves(), e.game().moves());
    assert_eq!(game.handicap().len(), 2);
}

/// A cheap in-tree fuzz: lines built from command names, colours, vertices, numbers and
/// random bytes. Every non-blank line gets exactly one well-framed response.
#[test]
fn random_command_lines_always_get_one_framed_answer() {
    let mut rng = fovea_core::Rng::new(2024);
    let mut pick = |n: usize| (rng.next_u64() % n as u64) as usize;
    let words = [
        "b", "w", "white", "pass", "A1", "C3", "D4", "J9", "T19", "Z25", "0", "2", "3", "9", "19", "25", "-1", "7.5",
        "nan", "1e9", "#", "\t", "x",
    ];
    let mut engine = Engine::new(Box::new(crate::player::RandomPlayer::new(9))).without_files();
    for _ in 0..3000 {
        let mut line = String::new();
        if pick(4) == 0 {
            line.push_str(&pick(1000).to_string());
            line.push(' ');
        }
        line.push_str(COMMANDS[pick(COMMANDS.len())]);
        for _ in 0..pick(4) {
            line.push(' ');
            if pick(8) == 0 {
                line.push(char::from_u32(pick(0x250) as u32).unwrap_or('?'));
            } else {
                line.push_str(words[pick(words.len())]);
            }
        }
        if line.contains("quit") {
            continue;
        }
        let Some(response) = engine.respond(&line) else { continue };
        assert!(response.ends_with("\n\n"), "{line:?} -> {response:?}");
        let body = &response[..response.len() - 2];
        assert!(!body.contains("\n\n") && (body.starts_with('=') || body.starts_with('?')), "{line:?} -> {response:?}");
    }
    assert!((2..=25).contains(&engine.game().size()));
}
