use super::*;

fn mv(s: &str, size: usize) -> Move {
    Move::parse_gtp(s, size).unwrap()
}

#[test]
fn undo_restores_the_board_captures_and_ko() {
    let mut g = Game::new(9, 7.5).unwrap();
    let moves = ["B5", "C5", "A4", "D4", "B3", "C3", "J9", "B4", "C4"];
    let mut color = Color::Black;
    for m in moves {
        g.play(color, mv(m, 9)).unwrap();
        color = color.opponent();
    }
    let after = g.board().hash();
    assert!(g.board().ko().is_some());
    assert!(g.undo());
    assert_eq!(g.board().captures(Color::Black), 0);
    g.play(Color::Black, mv("C4", 9)).unwrap();
    assert_eq!(g.board().hash(), after);
    assert_eq!(g.moves().len(), 9);
}

#[test]
fn superko_forbids_repeating_a_whole_board_position() {
    // A ko fight where a pass by each side lets black retake: simple ko allows it,
    // positional superko does not when the board repeats.
    let mut g = Game::new(9, 7.5).unwrap().with_superko(true);
    let seq = ["B5", "C5", "A4", "D4", "B3", "C3", "J9", "B4", "C4"];
    let mut color = Color::Black;
    for m in seq {
        g.play(color, mv(m, 9)).unwrap();
        color = color.opponent();
    }
    // White passes (lifting the ban), black passes, white retakes: new position?
    g.play(Color::White, Move::Pass).unwrap();
    g.play(Color::Black, Move::Pass).unwrap();
    // White's retake at B4 recreates the position after white's B4 earlier.
    assert_eq!(g.check(Color::White, mv("B4", 9)), Err(Illegal::Superko));
    let mut simple = Game::new(9, 7.5).unwrap();
    let mut color = Color::Black;
    for m in seq {
        simple.play(color, mv(m, 9)).unwrap();
        color = color.opponent();
    }
    simple.play(Color::White, Move::Pass).unwrap();
    simple.play(Color::Black, Move::Pass).unwrap();
    assert!(simple.is_legal(Color::White, mv("B4", 9)));
}

#[test]
fn fixed_handicap_follows_the_gtp_spec_order() {
    let names = |n| -> Vec<String> { fixed_handicap(19, n).unwrap().iter().map(|v| v.to_gtp(19)).collect() };
    assert_eq!(names(2), ["D4", "Q16"]);
    assert_eq!(names(4), ["D4", "Q16", "D16", "Q4"]);
    assert_eq!(names(5), ["D4", "Q16", "D16", "Q4", "K10"]);
    assert_eq!(names(9).len(), 9);
    assert!(fixed_handicap(19, 10).is_none());
    assert!(fixed_handicap(10, 5).is_none());
    assert_eq!(fixed_handicap(9, 2).unwrap().iter().map(|v| v.to_gtp(9)).collect::<Vec<_>>(), ["C3", "G7"]);
}

#[test]
fn handicap_puts_white_to_move() {
    let mut g = Game::new(19, 0.5).unwrap();
    g.place_handicap(&fixed_handicap(19, 3).unwrap()).unwrap();
    assert_eq!(g.to_move(), Color::White);
    assert_eq!(g.board().stones_of(Color::Black).len(), 3);
    assert!(g.place_handicap(&fixed_handicap(19, 3).unwrap()).is_err());
}

#[test]
fn two_passes_end_the_game_and_score_by_area() {
    let mut g = Game::new(5, 0.5).unwrap();
    g.play(Color::Black, mv("C3", 5)).unwrap();
    g.play(Color::White, Move::Pass).unwrap();
    assert!(!g.is_over());
    g.play(Color::Black, Move::Pass).unwrap();
    assert!(g.is_over());
    assert_eq!(g.score(), 24.5);
    assert_eq!(g.result_string(), "B+24.5");
}
