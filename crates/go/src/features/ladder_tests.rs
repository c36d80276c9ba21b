//! The ladder planes on hand-built ladders, and the fast reader checked against a
//! plain one that plays every move on a cloned [`Board`].

use super::ladder::{Reader, LADDER_DEPTH};
use super::planes::escape_moves;
use super::tests::{at, diagram, one_hot, planes, put, random_game, replay, tom_games, Rng};
use super::*;
use crate::Vertex;

use Color::{Black as B, White as W};

/// White's stone at (4,4) with two liberties; black's atari from above starts a ladder
/// that runs up and right to the top-right corner.
const LADDER: [&str; 9] = [
    ".........",
    ".........",
    ".........",
    ".........",
    "...XO....",
    "....XX...",
    ".........",
    ".........",
    ".........",
];

fn with(rows: &[&str], stones: &[(usize, usize, Color)], to_move: Color) -> Board {
    let mut b = diagram(rows, to_move);
    for &(x, y, c) in stones {
        put(&mut b, x, y, c);
    }
    b.set_to_move(to_move);
    b
}

#[test]
fn a_ladder_to_the_edge_is_a_ladder_capture_and_the_wrong_atari_is_not() {
    let b = with(&LADDER, &[], B);
    let out = planes(&b);
    assert_eq!(at(&b, &out, 4, 3, LADDER_CAPTURE), 1.0);
    assert_eq!(at(&b, &out, 5, 4, LADDER_CAPTURE), 0.0, "white extends up to three liberties");
    assert_eq!(out.iter().skip(LADDER_CAPTURE).step_by(PLANES).filter(|&&v| v == 1.0).count(), 1);
    // After the atari, white's extension does not escape.
    let after = with(&LADDER, &[(4, 3, B)], W);
    let out = planes(&after);
    assert_eq!(at(&after, &out, 5, 4, LADDER_ESCAPE), 0.0);
    assert_eq!(one_hot(&after, &out, 5, 4, LIBERTIES_AFTER, 8), Some(1), "two liberties, still chased");
}

#[test]
fn a_prey_stone_on_the_ladders_path_breaks_it_and_a_hunter_stone_does_not() {
    let broken = with(&LADDER, &[(7, 1, W)], B);
    let out = planes(&broken);
    assert_eq!(at(&broken, &out, 4, 3, LADDER_CAPTURE), 0.0);
    let escaped = with(&LADDER, &[(7, 1, W), (4, 3, B)], W);
    let out = planes(&escaped);
    assert_eq!(at(&escaped, &out, 5, 4, LADDER_ESCAPE), 1.0);
    let helped = with(&LADDER, &[(7, 1, B)], B);
    let out = planes(&helped);
    assert_eq!(at(&helped, &out, 4, 3, LADDER_CAPTURE), 1.0);
}

#[test]
fn capturing_an_attacker_in_atari_escapes_even_away_from_the_prey() {
    // Black's (3,4) is in atari (last liberty (3,3)): the prey can take it at any time.
    let stones = [(2, 4, W), (3, 5, W)];
    let b = with(&LADDER, &stones, B);
    let out = planes(&b);
    assert_eq!(at(&b, &out, 4, 3, LADDER_CAPTURE), 0.0);
    assert_eq!(at(&b, &out, 3, 3, LADDER_ESCAPE), 1.0, "black saves (3,4) by extending");
    let after = with(&LADDER, &[(2, 4, W), (3, 5, W), (4, 3, B)], W);
    let out = planes(&after);
    // (3,3) touches neither the white stone nor its liberty, yet capturing there saves it.
    assert_eq!(at(&after, &out, 3, 3, LADDER_ESCAPE), 1.0);
    assert_eq!(one_hot(&after, &out, 3, 3, CAPTURE_SIZE, 8), Some(1));
    assert_eq!(at(&after, &out, 5, 4, LADDER_ESCAPE), 1.0, "extending works too: the capture stays open");
}

#[test]
fn a_ladder_across_the_whole_board_is_read_to_the_end() {
    let mut rows = vec!["..................."; 19];
    rows[16] = "..O................";
    let hunters = [(1, 16, B), (2, 17, B), (3, 17, B)];
    let b = with(&rows, &hunters, B);
    let out = planes(&b);
    assert_eq!(at(&b, &out, 2, 15, LADDER_CAPTURE), 1.0);
    // A white stone near the far corner, on the path, breaks it some 50 plies away.
    let mut stones = hunters.to_vec();
    stones.push((15, 4, W));
    let b = with(&rows, &stones, B);
    let out = planes(&b);
    assert_eq!(at(&b, &out, 2, 15, LADDER_CAPTURE), 0.0);
}

/// A shape from a Tom game (2005-01, black to move): white's E9-F9 has liberties E10
/// and G9. Running to E10 now would capture black's F10 and get four liberties, but
/// black's atari at G9 first captures the five white stones G10-H10-J10-H9-H8 beside
/// F10, which then has liberties to spare: the run gets two, the chase goes on, and
/// the ladder works.
const RESCUE: [&str; 19] = [
    "...................",
    "......X............",
    "...X.XO.XXOO..O....",
    ".....X.OOOX.....X..",
    "..........X....OO..",
    ".X.X....OOX........",
    "OO.XOO.X..X........",
    "XOOOXXXXOOO.O......",
    "XXXOOOXXXX.........",
    ".OXX.XOOOX.........",
    "...XOO.OXO.........",
    ".OOXXXXOXX.........",
    "OXOOOOOXO..........",
    "..XXXOXX...........",
    ".X.................",
    "...O...........O...",
    ".....O.............",
    "...................",
    "...................",
];

#[test]
fn an_atari_that_rescues_an_attacker_is_read_not_judged_from_the_run_now() {
    let b = diagram(&RESCUE, B);
    let p = |s: &str| b.point(Vertex::parse_gtp(s, 19).unwrap());
    let run_now = super::planes::analyse(&b, W, p("E10")).unwrap();
    assert!(run_now.captured > 0 && run_now.liberties >= 4, "{run_now:?}");
    assert!(is_ladder_capture(&b, B, p("G9"), p("F9")));
    let out = planes(&b);
    let v = Vertex::parse_gtp("G9", 19).unwrap();
    assert_eq!(at(&b, &out, v.x as usize, v.y as usize, LADDER_CAPTURE), 1.0);
}

/// The reference: the same search with no pruning, playing every move on a cloned
/// `Board` with the board's own rules.
struct Plain {
    nodes: u32,
    gave_up: bool,
}

impl Plain {
    fn spend(&mut self) -> bool {
        self.gave_up |= self.nodes == 0;
        self.nodes = self.nodes.saturating_sub(1);
        !self.gave_up
    }

    fn capture(&mut self, b: &Board, hunter: Color, mv: Point, prey: Point, depth: u32) -> bool {
        if b.cell(mv) != Cell::Empty || !b.is_legal(hunter, mv) {
            return false;
        }
        if depth == 0 {
            return true;
        }
        if !self.spend() {
            return false;
        }
        let mut next = b.clone();
        next.play_unchecked(hunter, mv);
        if next.cell(prey) == Cell::Empty {
            return true;
        }
        if next.liberties(prey) != 1 {
            return false;
        }
        let mut escapes: Vec<Point> = next.string_liberties(prey).collect();
        for s in next.string_stones(prey) {
            for q in next.neighbours(s) {
                if next.cell(q).color() == Some(hunter) && next.liberties(q) == 1 {
                    escapes.extend(next.string_liberties(q));
                }
            }
        }
        !escapes.iter().any(|&e| self.escape(&next, hunter.opponent(), e, prey, depth - 1))
    }

    fn escape(&mut self, b: &Board, color: Color, mv: Point, prey: Point, depth: u32) -> bool {
        if b.cell(mv) != Cell::Empty || !b.is_legal(color, mv) || depth == 0 || !self.spend() {
            return false;
        }
        let mut next = b.clone();
        next.play_unchecked(color, mv);
        match next.liberties(prey) {
            0 | 1 => false,
            2 => !next.string_liberties(prey).any(|l| self.capture(&next, color.opponent(), l, prey, depth - 1)),
            _ => true,
        }
    }
}

/// Every ladder question of `hunter` in `b`: `(mv, prey, is_capture)`, captures of the
/// opponent's two-liberty strings, then escapes of `hunter`'s strings in atari (there
/// `hunter` is the side that runs).
fn questions(b: &Board, hunter: Color) -> Vec<(Point, Point, bool)> {
    let mut out = Vec::new();
    for p in b.points() {
        let Some(c) = b.cell(p).color() else { continue };
        if b.string_head(p) != p {
            continue;
        }
        if c != hunter && b.liberties(p) == 2 {
            out.extend(b.string_liberties(p).map(|mv| (mv, p, true)));
        } else if c == hunter && b.liberties(p) == 1 {
            let mut moves = [0; 16];
            let n = escape_moves(b, p, &mut moves);
            out.extend(moves[..n].iter().map(|&mv| (mv, p, false)));
        }
    }
    out
}

/// Random games of several sizes and lengths, and some Tom positions when present.
fn test_positions() -> Vec<Board> {
    let mut rng = Rng(17);
    let mut out = Vec::new();
    for (size, moves) in [(7, 30), (9, 60), (9, 120), (13, 150), (19, 200), (19, 300), (19, 400)] {
        for _ in 0..6 {
            out.push(replay(size, &random_game(size, moves, &mut rng), Symmetry::IDENTITY));
        }
    }
    for game in tom_games(4).unwrap_or_default() {
        let mut b = Board::new(19).unwrap();
        for (i, &(c, mv)) in game.iter().enumerate() {
            if b.play(c, mv).is_err() {
                break;
            }
            if i % 7 == 0 {
                out.push(b.clone());
            }
        }
    }
    out
}

#[test]
fn the_fast_reader_answers_as_a_plain_reader_on_cloned_boards() {
    let mut reader = Reader::new();
    let (mut asked, mut yes) = (0, 0);
    for b in test_positions() {
        reader.load(&b);
        for hunter in [B, W] {
            for (mv, prey, capture) in questions(&b, hunter) {
                let mut plain = Plain { nodes: 20_000, gave_up: false };
                let (fast, slow) = if capture {
                    (reader.is_capture(hunter, mv, prey), plain.capture(&b, hunter, mv, prey, LADDER_DEPTH))
                } else {
                    (reader.is_escape(hunter, mv, prey), plain.escape(&b, hunter, mv, prey, LADDER_DEPTH))
                };
                if reader.gave_up() || plain.gave_up {
                    continue;
                }
                let what = if capture { "capture" } else { "escape" };
                assert_eq!(fast, slow, "{what} at {:?} of {:?}\n{}", b.vertex(mv), b.vertex(prey), b.render());
                asked += 1;
                yes += usize::from(fast);
            }
        }
    }
    assert!(asked > 500 && yes > 100, "only {asked} questions, {yes} answered yes");
}

/// Checks that planes 44 and 45 of `b` are the reader's answers to every question.
fn check_ladder_planes(b: &Board, reader: &mut Reader) {
    let me = b.to_move();
    let out = planes(b);
    let mut want = vec![[0.0f32; 2]; b.size() * b.size()];
    reader.load(b);
    for (mv, prey, capture) in questions(b, me) {
        let yes = if capture { reader.is_capture(me, mv, prey) } else { reader.is_escape(me, mv, prey) };
        assert!(!reader.gave_up(), "a question ran out of nodes\n{}", b.render());
        let v = b.vertex(mv);
        if yes {
            want[v.y as usize * b.size() + v.x as usize][usize::from(!capture)] = 1.0;
        }
    }
    for (i, w) in want.iter().enumerate() {
        let (x, y) = (i % b.size(), i / b.size());
        assert_eq!(at(b, &out, x, y, LADDER_CAPTURE), w[0], "capture at ({x}, {y})\n{}", b.render());
        assert_eq!(at(b, &out, x, y, LADDER_ESCAPE), w[1], "escape at ({x}, {y})\n{}", b.render());
    }
}

#[test]
fn the_ladder_planes_mark_exactly_the_moves_the_reader_accepts() {
    let mut reader = Reader::new();
    for b in test_positions() {
        check_ladder_planes(&b, &mut reader);
    }
    // Every position of some real games too: the encoder's shortcuts must hold in
    // rare shapes (an atari whose stone rescues an attacker) that random games lack.
    for game in tom_games(60).unwrap_or_default() {
        let mut b = Board::new(19).unwrap();
        for &(c, mv) in &game {
            if b.play(c, mv).is_err() {
                break;
            }
            check_ladder_planes(&b, &mut reader);
        }
    }
}
