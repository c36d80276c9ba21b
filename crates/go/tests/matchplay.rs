//! The match runner against scripted fake GTP engines (`tests/fake_gtp.py`, run with
//! python3), and one short game against GNU Go where it is installed.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fovea_go::matchplay::{play_match, Contestant, Ending, MatchConfig, MatchReport, Referee};
use fovea_go::player::RandomPlayer;
use fovea_go::{sgf, Color, Move};

fn have_python() -> bool {
    let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        println!("skipped: python3 is not on PATH (the fake engines are Python scripts)");
    }
    ok
}

fn fake(args: &str) -> Contestant {
    Contestant::Engine(fake_command(args))
}

fn fake_command(args: &str) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fake_gtp.py");
    format!("python3 '{}' {args}", script.display())
}

fn random() -> Contestant {
    Contestant::Player(Box::new(RandomPlayer::new(5)))
}

fn config(games: usize) -> MatchConfig {
    MatchConfig { games, size: 9, move_timeout: Duration::from_secs(20), ..MatchConfig::default() }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-match-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(config: &MatchConfig, first: Contestant, second: Contestant) -> MatchReport {
    play_match(config, first, second, |_, _| {}).unwrap()
}

#[test]
fn two_fake_engines_play_a_match_scored_by_the_white_engine_with_sgf_records() {
    if !have_python() {
        return;
    }
    let dir = temp_dir("fakes");
    let config = MatchConfig { alternate: false, sgf_dir: Some(dir.clone()), ..config(2) };
    let black = fake("--name black-fake --moves C3,D4");
    let white = fake("--name white-fake --moves E5 --score B+5");
    let report = run(&config, black, white);
    assert_eq!((report.games(), report.wins(), report.losses()), (2, 2, 0));
    assert_eq!(report.names, ["black-fake".to_string(), "white-fake".to_string()]);
    for (i, outcome) in report.outcomes.iter().enumerate() {
        assert_eq!(outcome.first_color, Color::Black);
        assert_eq!(outcome.ending, Ending::Score { result: "B+5".into(), scorer: "white-fake's final_score".into() });
        // B C3, W E5, B D4, W pass, B pass.
        assert_eq!(outcome.moves, 5);
        let path = outcome.sgf.clone().unwrap();
        assert_eq!(path, dir.join(format!("game-00{}.sgf", i + 1)));
        let text = std::fs::read_to_string(&path).unwrap();
        let record = sgf::parse_collection(&text, "match").unwrap().games[0].main_line().unwrap();
        assert_eq!((record.size, record.komi, record.moves.len()), (9, Some(7.5), 5));
        assert_eq!(record.result.as_deref(), Some("B+5"));
        assert_eq!((record.black.as_deref(), record.white.as_deref()), (Some("black-fake"), Some("white-fake")));
        assert_eq!(record.moves[4], (Color::Black, Move::Pass));
    }
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "no temporary files left behind: {names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_referee_answer_the_game_is_counted_tromp_taylor() {
    if !have_python() {
        return;
    }
    // The fake always passes and cannot score. Game 1: the random player (black) plays
    // one stone and, after white's pass, passes on a won board: B+73.5. Game 2: it is
    // white; black passes, and white passes on komi: W+7.5.
    let report = run(&config(2), random(), fake(""));
    assert_eq!((report.wins(), report.losses()), (2, 0));
    let results: Vec<String> = report.outcomes.iter().map(|o| o.result()).collect();
    assert_eq!(results, ["B+73.5", "W+7.5"]);
    assert_eq!(report.outcomes[1].first_color, Color::White);
    for o in &report.outcomes {
        assert!(matches!(&o.ending, Ending::Score { scorer, .. } if scorer == "Tromp-Taylor count"), "{o:?}");
    }
    assert!((report.win_rate() - 1.0).abs() < 1e-12);
}

#[test]
fn a_hanging_engine_forfeits_each_game_and_the_match_goes_on() {
    if !have_python() {
        return;
    }
    let config = MatchConfig { move_timeout: Duration::from_secs(2), ..config(2) };
    let started = Instant::now();
    let mut seen = Vec::new();
    let report = play_match(&config, random(), fake("--hang-on genmove"), |o, _| seen.push(o.index)).unwrap();
    assert_eq!(seen, [0, 1]);
    assert_eq!((report.wins(), report.losses()), (2, 0));
    for o in &report.outcomes {
        let engine = o.first_color.opponent();
        match &o.ending {
            Ending::Forfeit { loser, why } => {
                assert_eq!(*loser, engine);
                assert_eq!(why, &format!("no answer to 'genmove {engine}' within 2.0 s"));
            }
            other => panic!("expected a forfeit, got {other:?}"),
        }
        assert_eq!(o.result(), format!("{}+F", o.first_color.letter()));
    }
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[test]
fn a_crashing_engine_forfeits_and_is_restarted_for_the_next_game() {
    if !have_python() {
        return;
    }
    let dir = temp_dir("crash");
    let log = dir.join("commands.log");
    std::fs::create_dir_all(&dir).unwrap();
    let opponent = fake(&format!("--crash-on genmove --log '{}'", log.display()));
    let report = run(&config(3), random(), opponent);
    assert_eq!((report.wins(), report.losses()), (3, 0));
    for o in &report.outcomes {
        assert!(
            matches!(&o.ending, Ending::Forfeit { why, .. } if why.contains("engine died during 'genmove")),
            "{o:?}"
        );
    }
    // Every game set up a board again, in a fresh process (the log outlives them).
    let commands = std::fs::read_to_string(&log).unwrap();
    assert_eq!(commands.matches("boardsize 9").count(), 3, "{commands}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_engine_that_fails_the_setup_forfeits_before_any_move() {
    if !have_python() {
        return;
    }
    let report = run(&config(2), random(), fake("--crash-on boardsize"));
    assert_eq!(report.wins(), 2);
    assert!(report.outcomes.iter().all(|o| o.moves == 0 && matches!(o.ending, Ending::Forfeit { .. })));
}

#[test]
fn an_illegal_or_unreadable_move_loses_the_game() {
    if !have_python() {
        return;
    }
    let config = MatchConfig { alternate: false, ..config(1) };
    // Black plays C3 twice: the second is on an occupied point.
    let report = run(&config, fake("--moves C3,C3 --verbatim"), fake("--moves E5"));
    let o = &report.outcomes[0];
    assert_eq!(
        o.ending,
        Ending::IllegalMove { loser: Color::Black, mv: "C3".into(), why: "the point is occupied".into() }
    );
    assert_eq!((o.result().as_str(), o.moves, report.losses()), ("W+F", 2, 1));
    let report = run(&config, fake("--moves Z99 --verbatim"), fake(""));
    assert!(matches!(&report.outcomes[0].ending, Ending::IllegalMove { mv, .. } if mv == "Z99"));
}

#[test]
fn resigning_loses() {
    if !have_python() {
        return;
    }
    let config = MatchConfig { alternate: false, ..config(1) };
    let report = run(&config, fake("--moves C3,D4 --resign-after 1"), fake(""));
    let o = &report.outcomes[0];
    assert_eq!((o.ending.clone(), o.result(), o.moves), (Ending::Resign { loser: Color::Black }, "W+R".into(), 2));
}

#[test]
fn a_separate_referee_is_replayed_the_game_and_scores_it() {
    if !have_python() {
        return;
    }
    let dir = temp_dir("referee");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("referee.log");
    let referee = Referee::Engine(fake_command(&format!("--name judge --score W+9 --log '{}'", log.display())));
    let config = MatchConfig { alternate: false, referee, ..config(1) };
    let report = run(&config, fake("--moves C3"), fake("--moves E5 --score B+1"));
    assert_eq!(report.outcomes[0].ending, Ending::Score { result: "W+9".into(), scorer: "judge's final_score".into() });
    let commands = std::fs::read_to_string(&log).unwrap();
    assert!(
        commands.contains("play black C3\nplay white E5\nplay black pass\nplay white pass\nfinal_score\n"),
        "{commands}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_engine_that_cannot_start_is_an_error_of_the_match() {
    let err = play_match(&config(1), random(), Contestant::Engine("/nonexistent/gtp-engine".into()), |_, _| {})
        .err()
        .unwrap();
    assert!(err.to_string().contains("cannot start engine '/nonexistent/gtp-engine'"), "{err}");
}

/// GNU Go from PATH, else Debian's /usr/games.
fn gnugo() -> Option<String> {
    let found = |p: &str| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success());
    ["gnugo", "/usr/games/gnugo"].into_iter().find(|p| found(p)).map(str::to_string)
}

#[test]
fn a_short_game_against_gnugo_ends_cleanly() {
    let Some(gnugo) = gnugo() else {
        println!("skipped: gnugo is not installed (apt-get install gnugo)");
        return;
    };
    let dir = temp_dir("gnugo");
    let config = MatchConfig { max_moves: 120, sgf_dir: Some(dir.clone()), ..config(1) };
    let opponent = Contestant::Engine(format!("{gnugo} --mode gtp --level 1 --chinese-rules"));
    let report = run(&config, random(), opponent);
    let o = &report.outcomes[0];
    assert_eq!(report.names[1], "GNU Go");
    assert!(matches!(o.ending, Ending::Score { .. } | Ending::Resign { .. }), "{o:?}");
    assert!(o.moves > 2 && o.moves <= 120, "{o:?}");
    assert!(o.sgf.as_ref().is_some_and(|p| p.is_file()));
    std::fs::remove_dir_all(&dir).unwrap();
}
