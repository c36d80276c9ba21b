use super::*;
use crate::{Cell, Game, Move, Vertex};

use Color::{Black as B, White as W};

/// A board from rows, top row first: `X` black, `O` white, `.` empty.
fn board_from(rows: &[&str]) -> Board {
    let mut b = Board::new(rows.len()).unwrap();
    for (y, row) in rows.iter().enumerate() {
        for (x, c) in row.chars().enumerate() {
            let color = match c {
                'X' => Some(B),
                'O' => Some(W),
                _ => None,
            };
            if color.is_some() {
                b.set_stone(Vertex::new(x, y), color).unwrap();
            }
        }
    }
    b
}

/// The playout's moves as the game records them.
fn recorded_playout(size: usize, seed: u64) -> (Board, PlayoutResult, Vec<(Color, Move)>) {
    let mut board = Board::new(size).unwrap();
    let mut moves = Vec::new();
    let result = Playout::new(size, 7.5).run_with(&mut board, &mut PlayoutRng::new(seed), |b, color, p| {
        moves.push((color, p.map_or(Move::Pass, |p| Move::Play(b.vertex(p)))));
    });
    (board, result, moves)
}

/// The naive reference: every empty point, tested one by one.
fn playable_points(board: &Board, color: Color) -> Vec<Point> {
    board
        .points()
        .filter(|&p| board.cell(p) == Cell::Empty && board.is_legal(color, p) && !board.is_eye(color, p))
        .collect()
}

#[test]
fn the_generator_is_splitmix64() {
    // The published first outputs of splitmix64 seeded with 0.
    let mut rng = PlayoutRng::new(0);
    assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
}

#[test]
fn random_moves_are_uniform_over_the_playable_points_only() {
    // Black's eyes on top, white's at the bottom; for each side the other's eyes are
    // suicide, so 4 of the 10 empty points are playable: enough misses to exercise the
    // exhaustive search after the quick draws.
    let board = board_from(&[".X.X.", "XXXXX", "..O..", "OOOOO", ".O.O."]);
    let mut rng = PlayoutRng::new(7);
    for color in [B, W] {
        let expected = playable_points(&board, color);
        let names: Vec<String> = expected.iter().map(|&p| board.vertex(p).to_gtp(5)).collect();
        assert_eq!(names, ["A3", "B3", "D3", "E3"]);
        let draws = 40_000;
        let mut counts = vec![0usize; (5 + 2) * (5 + 2)];
        for _ in 0..draws {
            counts[random_move(&board, color, &mut rng).unwrap()] += 1;
        }
        for (p, &count) in counts.iter().enumerate() {
            if expected.contains(&p) {
                // 10,000 expected, standard deviation about 87.
                assert!((9_500..=10_500).contains(&count), "{color} drew {} {count} times", board.vertex(p).to_gtp(5));
            } else {
                assert_eq!(count, 0, "{color} drew an unplayable point");
            }
        }
    }
}

/// Two living groups, each with three eyes; the other side's eyes are suicide.
const DEAD: &[&str] = &[".XO.O", "XXOOO", ".XO.O", "XXOOO", ".XO.O"];

#[test]
fn a_side_with_only_eyes_and_suicides_gets_no_move() {
    let board = board_from(DEAD);
    let mut rng = PlayoutRng::new(1);
    for color in [B, W] {
        assert!(playable_points(&board, color).is_empty());
        assert_eq!(random_move(&board, color, &mut rng), None);
    }
}

#[test]
fn playouts_replay_as_legal_games_to_the_same_board_and_score() {
    for (size, seed) in [(9, 1), (9, 2), (13, 3), (19, 4)] {
        let (board, result, moves) = recorded_playout(size, seed);
        assert!(result.finished, "{size}x{size} seed {seed} hit the cap");
        assert_eq!(result.moves, moves.len());
        let mut game = Game::new(size, 7.5).unwrap();
        for (i, &(color, mv)) in moves.iter().enumerate() {
            assert_eq!(color, game.to_move());
            if let Some(p) = mv.point(game.board()) {
                assert!(!game.board().is_eye(color, p), "move {i} fills an eye of {color}");
            }
            game.play(color, mv).unwrap_or_else(|e| panic!("{size}x{size} seed {seed}, move {i}: {e}"));
        }
        assert!(game.is_over());
        assert_eq!(game.board().hash(), board.hash());
        assert_eq!(game.score(), result.score);
    }
}

#[test]
fn a_finished_playout_leaves_only_single_colour_eyes_so_the_score_is_the_area_difference() {
    for seed in 0..20 {
        let mut board = Board::new(9).unwrap();
        let result = random_playout(&mut board, &mut PlayoutRng::new(seed), 7.5, 3 * 81);
        assert!(result.finished);
        let mut area = [0i32; 2];
        for p in board.points() {
            let owner = match board.cell(p) {
                Cell::Black => B,
                Cell::White => W,
                _ => {
                    let colours: Vec<Cell> =
                        board.neighbours(p).into_iter().map(|q| board.cell(q)).filter(|&c| c != Cell::Border).collect();
                    assert!(colours.iter().all(|&c| c != Cell::Empty && c == colours[0]), "seed {seed}: {colours:?}");
                    colours[0].color().unwrap()
                }
            };
            area[owner.index()] += 1;
        }
        assert_eq!(result.score, (area[0] - area[1]) as f32 - 7.5, "seed {seed}");
    }
}

#[test]
fn playouts_with_the_same_seed_are_identical_and_others_differ() {
    let (a_board, a, a_moves) = recorded_playout(19, 42);
    let (b_board, b, b_moves) = recorded_playout(19, 42);
    let (_, _, c_moves) = recorded_playout(19, 43);
    assert_eq!((a, &a_moves), (b, &b_moves));
    assert_eq!(a_board.hash(), b_board.hash());
    assert_ne!(a_moves, c_moves);
}

#[test]
fn the_move_cap_stops_a_playout_unfinished() {
    let mut board = Board::new(19).unwrap();
    let result = random_playout(&mut board, &mut PlayoutRng::new(0), 7.5, 10);
    assert_eq!((result.moves, result.finished), (10, false));
    assert_eq!(board.move_number(), 10);
    assert_eq!(board.empty_points().len(), 361 - 10);
}

#[test]
fn a_playout_from_a_dead_position_is_two_passes() {
    let mut board = board_from(DEAD);
    let result = random_playout(&mut board, &mut PlayoutRng::new(0), 0.5, 100);
    assert_eq!((result.moves, result.finished), (2, true));
    // Black: 7 stones and 3 eyes; white: 12 stones and 3 eyes.
    assert_eq!(result.score, (7 + 3) as f32 - (12 + 3) as f32 - 0.5);
}
