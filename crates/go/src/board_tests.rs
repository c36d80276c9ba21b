use super::*;

fn v(s: &str, size: usize) -> Vertex {
    Vertex::parse_gtp(s, size).unwrap()
}

fn play(b: &mut Board, c: Color, s: &str) {
    let size = b.size();
    b.play(c, Move::Play(v(s, size))).unwrap();
}

use Color::{Black as B, White as W};

#[test]
fn a_lone_stone_in_the_corner_has_two_liberties_and_dies_in_two_moves() {
    let mut b = Board::new(9).unwrap();
    play(&mut b, B, "A1");
    let p = b.point(v("A1", 9));
    assert_eq!(b.liberties(p), 2);
    play(&mut b, W, "A2");
    assert_eq!(b.liberties(p), 1);
    play(&mut b, B, "E5");
    play(&mut b, W, "B1");
    assert_eq!(b.cell(p), Cell::Empty);
    assert_eq!(b.captures(W), 1);
    assert_eq!(b.captures(B), 0);
}

#[test]
fn merged_strings_share_liberties_counted_once() {
    let mut b = Board::new(9).unwrap();
    play(&mut b, B, "D4");
    play(&mut b, W, "A9");
    play(&mut b, B, "F4");
    play(&mut b, W, "B9");
    play(&mut b, B, "E4");
    let p = b.point(v("E4", 9));
    assert_eq!(b.string_size(p), 3);
    assert_eq!(b.liberties(p), 8);
    assert_eq!(b.string_stones(p).count(), 3);
    assert_eq!(b.string_liberties(p).count(), 8);
}

#[test]
fn suicide_is_illegal_but_a_capturing_fill_is_not() {
    let mut b = Board::new(9).unwrap();
    for (c, s) in [(W, "A2"), (B, "E5"), (W, "B1")] {
        play(&mut b, c, s);
    }
    assert_eq!(b.check(B, b.point(v("A1", 9))), Err(Illegal::Suicide));
    assert!(b.is_legal(W, b.point(v("A1", 9))));
    // Black surrounds the white corner stones: then A1 captures and is legal.
    let mut b = Board::new(9).unwrap();
    for (c, s) in [(W, "A2"), (B, "A3"), (W, "B1"), (B, "B2"), (W, "E5"), (B, "C1")] {
        play(&mut b, c, s);
    }
    assert!(b.is_legal(B, b.point(v("A1", 9))));
    play(&mut b, B, "A1");
    assert_eq!(b.captures(B), 2);
    assert_eq!(b.liberties(b.point(v("A1", 9))), 2);
}

#[test]
fn ko_binds_only_the_retaking_side_and_a_pass_lifts_it() {
    // . X O .
    // X O . O   black takes at the empty point between the white stones
    // . X O .
    let mut b = Board::new(9).unwrap();
    for (c, s) in [(B, "B5"), (W, "C5"), (B, "A4"), (W, "D4"), (B, "B3"), (W, "C3"), (B, "J9"), (W, "B4")] {
        play(&mut b, c, s);
    }
    play(&mut b, B, "C4");
    assert_eq!(b.captures(B), 1);
    let ko = b.point(v("B4", 9));
    assert_eq!(b.ko(), Some((ko, W)));
    assert_eq!(b.check(W, ko), Err(Illegal::Ko));
    assert!(b.is_legal(B, ko), "the ban binds white only");
    b.pass(W);
    assert!(b.is_legal(W, ko) || b.ko().is_none());
    assert_eq!(b.ko(), None);
}

#[test]
fn hash_returns_after_capture_and_recapture_cycle() {
    let mut b = Board::new(5).unwrap();
    let empty = b.hash();
    play(&mut b, B, "C3");
    assert_ne!(b.hash(), empty);
    let mut c = Board::new(5).unwrap();
    c.set_stone(v("C3", 5), Some(B)).unwrap();
    assert_eq!(b.hash(), c.hash());
}

#[test]
fn empty_list_tracks_stones_and_captures() {
    let mut b = Board::new(9).unwrap();
    assert_eq!(b.empty_points().len(), 81);
    for (c, s) in [(W, "A2"), (B, "E5"), (W, "B1"), (B, "A1")] {
        let size = b.size();
        let _ = b.play(c, Move::Play(v(s, size)));
    }
    // A1 was suicide for black: three stones on the board.
    assert_eq!(b.empty_points().len(), 78);
    let mut w = b.clone();
    play(&mut w, W, "A1");
    assert_eq!(w.empty_points().len(), 77);
}

#[test]
fn eyes_need_friendly_diagonals() {
    let mut b = Board::new(9).unwrap();
    for s in ["A2", "B1", "B2"] {
        b.set_stone(v(s, 9), Some(B)).unwrap();
    }
    assert!(b.is_eye(B, b.point(v("A1", 9))));
    assert!(!b.is_eye(W, b.point(v("A1", 9))));
    b.set_stone(v("B2", 9), Some(W)).unwrap();
    assert!(!b.is_eye(B, b.point(v("A1", 9))), "an opponent diagonal breaks a corner eye");
}

#[test]
fn area_counts_stones_and_surrounded_empty_points() {
    let mut b = Board::new(5).unwrap();
    for y in 0..5 {
        b.set_stone(Vertex::new(2, y), Some(B)).unwrap();
        b.set_stone(Vertex::new(3, y), Some(W)).unwrap();
    }
    assert_eq!(b.area(), (15, 10));
    assert_eq!(b.score(7.5), -2.5);
}

#[test]
fn board_sizes_outside_2_to_25_are_refused() {
    assert!(Board::new(1).is_err());
    assert!(Board::new(26).is_err());
    assert!(Board::new(2).is_ok());
    assert!(Board::new(25).is_ok());
}

#[test]
fn setup_strings_keep_all_their_liberties() {
    let mut b = Board::new(7).unwrap();
    for x in 1..4 {
        b.set_stone(Vertex::new(x, 3), Some(B)).unwrap();
    }
    assert_eq!(b.liberties(b.point(Vertex::new(2, 3))), 8);
}
