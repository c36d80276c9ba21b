use super::planes::analyse;
use super::*;
use crate::{Move, Vertex};

use Color::{Black as B, White as W};

/// A board from a diagram, rows from the top: `X` black, `O` white, `.` empty
/// (spaces ignored). The stones are played row by row, with passes where a colour
/// plays twice, so they are some moves old; a valid diagram captures nothing on the
/// way, since a string's final liberties stay empty throughout.
///
/// Not `Board::set_stone`: its rebuild (`place_setup`) gives the new stone's later
/// empty neighbours to the stone instead of to its string's head once it has joined a
/// larger string, so setup strings of three stones or more can lose liberties.
pub(super) fn diagram(rows: &[&str], to_move: Color) -> Board {
    let mut b = Board::new(rows.len()).unwrap();
    for (y, row) in rows.iter().enumerate() {
        for (x, c) in row.chars().filter(|c| !c.is_whitespace()).enumerate() {
            match c {
                'X' => put(&mut b, x, y, B),
                'O' => put(&mut b, x, y, W),
                _ => {}
            }
        }
    }
    b.set_to_move(to_move);
    b
}

/// Plays a `color` stone at `(x, y)`, passing first if the other side is to move.
pub(super) fn put(b: &mut Board, x: usize, y: usize, color: Color) {
    if b.to_move() != color {
        b.pass(b.to_move());
    }
    play(b, color, x, y);
}

pub(super) fn planes(b: &Board) -> Vec<f32> {
    let mut out = vec![f32::NAN; b.size() * b.size() * PLANES];
    encode(b, &mut out);
    out
}

/// The value of `plane` at `(x, y)`.
pub(super) fn at(b: &Board, out: &[f32], x: usize, y: usize, plane: usize) -> f32 {
    out[(y * b.size() + x) * PLANES + plane]
}

/// Which plane of the `len`-plane group from `first` is set at `(x, y)` (0-based in the
/// group), `None` when none is; panics if more than one is.
pub(super) fn one_hot(b: &Board, out: &[f32], x: usize, y: usize, first: usize, len: usize) -> Option<usize> {
    let set: Vec<usize> = (0..len).filter(|&i| at(b, out, x, y, first + i) == 1.0).collect();
    assert!(set.len() <= 1, "planes {first}+{set:?} all set at ({x}, {y})");
    set.first().copied()
}

pub(super) fn play(b: &mut Board, c: Color, x: usize, y: usize) {
    b.play(c, Move::Play(Vertex::new(x, y))).unwrap();
}

/// A small deterministic generator (SplitMix64) for random games.
pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// The moves of a random game of `moves` plies on a `size` board: sensible moves,
/// with an occasional pass, and never an eye filled.
pub(super) fn random_game(size: usize, moves: usize, rng: &mut Rng) -> Vec<(Color, Move)> {
    let mut b = Board::new(size).unwrap();
    let mut out = Vec::new();
    for _ in 0..moves {
        let c = b.to_move();
        let options = sensible_moves(&b, c);
        let mv = if options.is_empty() || rng.below(40) == 0 {
            Move::Pass
        } else {
            Move::Play(b.vertex(options[rng.below(options.len())]))
        };
        b.play(c, mv).unwrap();
        out.push((c, mv));
    }
    out
}

pub(super) fn replay(size: usize, moves: &[(Color, Move)], sym: Symmetry) -> Board {
    let mut b = Board::new(size).unwrap();
    for &(c, mv) in moves {
        b.play(c, sym.apply_move(size, mv)).unwrap();
    }
    b
}

#[test]
fn stone_planes_are_relative_to_the_side_to_move() {
    let mut b = diagram(&[". . .", ". X .", ". . O"], B);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 1, 1, STONES, 3), Some(0));
    assert_eq!(one_hot(&b, &out, 2, 2, STONES, 3), Some(1));
    assert_eq!(one_hot(&b, &out, 0, 0, STONES, 3), Some(2));
    b.set_to_move(W);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 1, 1, STONES, 3), Some(1));
    assert_eq!(one_hot(&b, &out, 2, 2, STONES, 3), Some(0));
    for (y, x) in [(0, 0), (1, 1), (2, 2), (0, 2)] {
        assert_eq!(at(&b, &out, x, y, ONES), 1.0);
        assert_eq!(at(&b, &out, x, y, ZEROS), 0.0);
    }
}

#[test]
fn turns_since_counts_moves_back_from_the_last_and_passes_count() {
    let mut b = Board::new(9).unwrap();
    b.set_stone(Vertex::new(8, 8), Some(B)).unwrap();
    // Ten moves along the top rows: (0,0) first, (0,1) ... (4,1) last.
    for i in 0..10 {
        let c = if i % 2 == 0 { B } else { W };
        play(&mut b, c, i / 2, i % 2);
    }
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 4, 1, TURNS_SINCE, 8), Some(0), "the last move is 1 move old");
    assert_eq!(one_hot(&b, &out, 4, 0, TURNS_SINCE, 8), Some(1));
    assert_eq!(one_hot(&b, &out, 1, 1, TURNS_SINCE, 8), Some(6), "the 4th move is 7 moves old");
    assert_eq!(one_hot(&b, &out, 1, 0, TURNS_SINCE, 8), Some(7), "the 3rd move is 8 old");
    assert_eq!(one_hot(&b, &out, 0, 0, TURNS_SINCE, 8), Some(7), "the first is 10 old");
    assert_eq!(one_hot(&b, &out, 8, 8, TURNS_SINCE, 8), Some(7), "setup stones count as old");
    assert_eq!(one_hot(&b, &out, 5, 5, TURNS_SINCE, 8), None, "empty points have no age");
    b.pass(B);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 4, 1, TURNS_SINCE, 8), Some(1), "a pass is a move");
}

#[test]
fn turns_since_forgets_captured_stones_and_ages_a_stone_replayed_there_afresh() {
    // A ko shape: black takes the white stone at (1,1) by playing (2,1).
    let mut b = diagram(&[". X O . .", "X O . O .", ". X O . .", ". . . . .", ". . . . ."], B);
    play(&mut b, B, 2, 1);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 1, 1, STONES, 3), Some(2));
    assert_eq!(one_hot(&b, &out, 1, 1, TURNS_SINCE, 8), None);
    assert_eq!(one_hot(&b, &out, 2, 1, TURNS_SINCE, 8), Some(0));
    play(&mut b, W, 4, 4);
    play(&mut b, B, 1, 1);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 1, 1, TURNS_SINCE, 8), Some(0), "the new stone on the captured point");
    assert_eq!(one_hot(&b, &out, 4, 4, TURNS_SINCE, 8), Some(1));
    assert_eq!(one_hot(&b, &out, 2, 1, TURNS_SINCE, 8), Some(2));
    assert_eq!(one_hot(&b, &out, 1, 0, TURNS_SINCE, 8), Some(7));
}

#[test]
fn liberty_planes_count_the_strings_liberties_up_to_eight_or_more() {
    let b = diagram(&[".....", "XXXO.", "..OX.", ".....", "X...."], W);
    let out = planes(&b);
    // The black row has liberties (0,0) (1,0) (2,0) (0,2) (1,2): 5.
    assert_eq!(one_hot(&b, &out, 1, 1, LIBERTIES, 8), Some(4));
    assert_eq!(one_hot(&b, &out, 3, 1, LIBERTIES, 8), Some(1), "white (3,1): (3,0) and (4,1)");
    assert_eq!(one_hot(&b, &out, 3, 2, LIBERTIES, 8), Some(1));
    assert_eq!(one_hot(&b, &out, 0, 4, LIBERTIES, 8), Some(1));
    assert_eq!(one_hot(&b, &out, 2, 2, LIBERTIES, 8), Some(1), "white (2,2): (2,3) (1,2)");
    assert_eq!(one_hot(&b, &out, 4, 4, LIBERTIES, 8), None);
    let b = diagram(&[".......", ".......", ".......", ".XXX...", ".......", ".......", "......."], B);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 2, 3, LIBERTIES, 8), Some(7), "8 liberties");
    // Extending to four stones gives 10 liberties: the last plane of liberties after.
    assert_eq!(one_hot(&b, &out, 4, 3, LIBERTIES_AFTER, 8), Some(7));
    assert_eq!(one_hot(&b, &out, 0, 0, LIBERTIES_AFTER, 8), Some(1), "a corner stone has 2");
}

#[test]
fn capture_size_sums_every_string_one_move_takes() {
    // Black at (2,2) takes the two white stones above it and the one to its right.
    let b = diagram(&[".XOX.", ".XOX.", "...OX", "..XX.", "....."], B);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 2, 2, CAPTURE_SIZE, 8), Some(3));
    // The new stone joins (2,3)-(3,3). Liberties: the captured (2,1) and (3,2), which
    // touch the string, the empty (1,2) (1,3) (2,4) (3,4) (4,3); not the captured
    // (2,0), which touches none of it. 7 in all.
    assert_eq!(one_hot(&b, &out, 2, 2, LIBERTIES_AFTER, 8), Some(6));
    assert_eq!(one_hot(&b, &out, 0, 4, CAPTURE_SIZE, 8), Some(0), "a legal non-capture is plane 20");
    assert_eq!(one_hot(&b, &out, 2, 0, CAPTURE_SIZE, 8), None, "occupied");
}

#[test]
fn seven_or_more_captured_stones_share_the_last_capture_plane() {
    // Eight white stones in atari, taken at (4,0).
    let b = diagram(&["OOOO.", "OOOOX", "XXXXX", ".....", "....."], B);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 4, 0, CAPTURE_SIZE, 8), Some(7));
}

#[test]
fn self_atari_size_counts_the_whole_string_left_with_one_liberty() {
    let b = diagram(&["XXO..", ".O...", ".....", ".....", "....."], B);
    let out = planes(&b);
    // (0,1) joins the two black stones: three stones, one liberty (0,2).
    assert_eq!(one_hot(&b, &out, 0, 1, SELF_ATARI_SIZE, 8), Some(2));
    assert_eq!(one_hot(&b, &out, 0, 1, LIBERTIES_AFTER, 8), Some(0));
    // Safe moves leave the self-atari group empty.
    assert_eq!(one_hot(&b, &out, 3, 3, SELF_ATARI_SIZE, 8), None);
    assert_eq!(one_hot(&b, &out, 3, 3, LIBERTIES_AFTER, 8), Some(3));
    // White at (0,1) would have one liberty: a one-stone self-atari that captures.
    let b = diagram(&["XXO..", ".O...", "X....", ".....", "....."], W);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 0, 1, CAPTURE_SIZE, 8), Some(2));
    assert_eq!(one_hot(&b, &out, 0, 1, SELF_ATARI_SIZE, 8), None, "the capture frees (0,0) and (1,0)");
}

#[test]
fn the_point_banned_by_ko_has_no_move_planes() {
    let mut b = diagram(&[". X O . .", "X O . O .", ". X O . .", ". . . . .", ". . . . ."], B);
    play(&mut b, B, 2, 1);
    let ko = b.point(Vertex::new(1, 1));
    assert_eq!(b.ko(), Some((ko, W)));
    let out = planes(&b);
    assert_eq!(at(&b, &out, 1, 1, STONES + 2), 1.0);
    for plane in CAPTURE_SIZE..PLANES {
        assert_eq!(at(&b, &out, 1, 1, plane), 0.0, "plane {plane} at the ko point");
    }
    // Elsewhere white's moves are legal and the capture back is not banned after a pass.
    assert_eq!(at(&b, &out, 4, 4, SENSIBLENESS), 1.0);
    b.pass(W);
    b.pass(B);
    let out = planes(&b);
    assert_eq!(one_hot(&b, &out, 1, 1, CAPTURE_SIZE, 8), Some(1));
}

#[test]
fn sensibleness_refuses_to_fill_own_eyes_in_the_corner_on_the_edge_and_in_the_centre() {
    let rows = [
        ".X.X.X...",
        "X...X....",
        ".........",
        "....X....",
        "...X.X...",
        "....X....",
        ".........",
        ".........",
        ".........",
    ];
    let b = diagram(&rows, B);
    let out = planes(&b);
    assert_eq!(at(&b, &out, 0, 0, SENSIBLENESS), 0.0, "corner eye");
    assert_eq!(one_hot(&b, &out, 0, 0, LIBERTIES_AFTER, 8), Some(2), "but legal");
    assert_eq!(at(&b, &out, 4, 0, SENSIBLENESS), 0.0, "edge eye");
    assert_eq!(at(&b, &out, 4, 4, SENSIBLENESS), 0.0, "centre eye");
    assert_eq!(at(&b, &out, 2, 0, SENSIBLENESS), 1.0, "(2,0) lacks (2,1)");
    // One opponent diagonal spoils an edge or corner eye; the centre survives one.
    let mut spoilt = b.clone();
    // The sensible planes are for black: white plays the spoilers.
    for (x, y) in [(1, 1), (5, 1), (3, 3)] {
        put(&mut spoilt, x, y, W);
    }
    let out = planes(&spoilt);
    assert_eq!(at(&spoilt, &out, 0, 0, SENSIBLENESS), 1.0, "false corner eye");
    assert_eq!(at(&spoilt, &out, 4, 0, SENSIBLENESS), 1.0, "false edge eye");
    assert_eq!(at(&spoilt, &out, 4, 4, SENSIBLENESS), 0.0, "centre eye with one white diagonal");
    put(&mut spoilt, 5, 5, W);
    let out = planes(&spoilt);
    assert_eq!(at(&spoilt, &out, 4, 4, SENSIBLENESS), 1.0, "two white diagonals");
    // For white, black's eyes are suicide: illegal, so not sensible either.
    let mut w = b.clone();
    w.set_to_move(W);
    let out = planes(&w);
    assert_eq!(at(&w, &out, 4, 4, SENSIBLENESS), 0.0);
    assert_eq!(one_hot(&w, &out, 4, 4, LIBERTIES_AFTER, 8), None);
    let listed: Vec<Point> = sensible_moves(&b, B);
    assert!(!listed.contains(&b.point(Vertex::new(4, 4))));
    assert!(listed.contains(&b.point(Vertex::new(2, 0))));
}

#[test]
fn move_planes_are_never_set_on_occupied_or_illegal_points() {
    let mut rng = Rng(7);
    for (size, moves) in [(9, 60), (19, 150), (13, 200), (5, 40)] {
        let game = random_game(size, moves, &mut rng);
        let b = replay(size, &game, Symmetry::IDENTITY);
        let out = planes(&b);
        for p in b.points() {
            let v = b.vertex(p);
            let (x, y) = (v.x as usize, v.y as usize);
            let legal = b.cell(p) == Cell::Empty && b.is_legal(b.to_move(), p);
            if !legal {
                for plane in CAPTURE_SIZE..PLANES {
                    assert_eq!(at(&b, &out, x, y, plane), 0.0, "plane {plane} at illegal ({x}, {y})");
                }
            }
            assert_eq!(one_hot(&b, &out, x, y, CAPTURE_SIZE, 8).is_some(), legal);
            assert_eq!(one_hot(&b, &out, x, y, LIBERTIES_AFTER, 8).is_some(), legal);
            assert!(one_hot(&b, &out, x, y, STONES, 3).is_some());
            assert_eq!(one_hot(&b, &out, x, y, TURNS_SINCE, 8).is_some(), b.cell(p) != Cell::Empty);
            assert_eq!(one_hot(&b, &out, x, y, LIBERTIES, 8).is_some(), b.cell(p) != Cell::Empty);
        }
    }
}

#[test]
fn move_analysis_agrees_with_playing_the_move() {
    let mut rng = Rng(11);
    for (size, moves) in [(7, 50), (19, 120), (19, 250), (9, 90)] {
        let game = random_game(size, moves, &mut rng);
        let b = replay(size, &game, Symmetry::IDENTITY);
        for color in [B, W] {
            for &p in b.empty_points() {
                let p = p as Point;
                let got = analyse(&b, color, p);
                assert_eq!(got.is_some(), b.is_legal(color, p));
                let Some(got) = got else { continue };
                let mut after = b.clone();
                let captured = after.play_unchecked(color, p);
                assert_eq!(got.captured, captured);
                assert_eq!(got.liberties as usize, after.liberties(p));
                assert_eq!(got.size as usize, after.string_size(p));
            }
        }
    }
}

#[test]
fn the_planes_of_a_transformed_position_are_the_transformed_planes() {
    let mut rng = Rng(3);
    for (size, moves) in [(19, 120), (19, 220), (9, 70), (13, 100)] {
        let game = random_game(size, moves, &mut rng);
        let b = replay(size, &game, Symmetry::IDENTITY);
        let out = planes(&b);
        for s in Symmetry::ALL {
            let tb = replay(size, &game, s);
            let mut moved = vec![0.0; out.len()];
            s.transform_planes(size, PLANES, &out, &mut moved);
            assert!(moved == planes(&tb), "symmetry {s:?} on a {size}x{size} game of {moves} moves");
        }
    }
}

#[test]
fn an_encoder_reused_across_board_sizes_matches_a_fresh_one() {
    let mut rng = Rng(5);
    let mut enc = Encoder::new();
    for size in (2..=25).chain([19, 9, 19]) {
        let game = random_game(size, size * size / 2, &mut rng);
        let b = replay(size, &game, Symmetry::IDENTITY);
        let mut out = vec![f32::NAN; size * size * PLANES];
        enc.encode(&b, &mut out);
        assert!(out == planes(&b), "size {size}");
        let sensible = (0..size * size).filter(|i| out[i * PLANES + SENSIBLENESS] == 1.0).count();
        assert_eq!(sensible, sensible_moves(&b, b.to_move()).len());
        assert!(out.iter().skip(ONES).step_by(PLANES).all(|&v| v == 1.0));
        assert!(out.iter().skip(ZEROS).step_by(PLANES).all(|&v| v == 0.0));
    }
}

#[test]
#[should_panic(expected = "(1, 9, 9, 48)")]
fn encode_names_the_shape_it_needs() {
    let b = Board::new(9).unwrap();
    let mut out = vec![0.0; 19 * 19 * PLANES];
    encode(&b, &mut out);
}

/// The Tom 9-dan games of one month, as move lists; `None` without the data set.
pub(super) fn tom_games(games: usize) -> Option<Vec<Vec<(Color, Move)>>> {
    let text = std::fs::read_to_string("/work/shared/go/tom/kifu/2005-01").ok()?;
    let mut out = Vec::new();
    for line in text.lines().take(games) {
        let (_, record) = line.split_once('\t')?;
        let moves = record
            .split(';')
            .filter(|n| n.len() >= 4)
            .map(|node| {
                let color = if node.starts_with('B') { B } else { W };
                (color, Vertex::parse_sgf(&node[2..node.len() - 1]).map_or(Move::Pass, Move::Play))
            })
            .collect();
        out.push(moves);
    }
    Some(out)
}

/// This thread's CPU time in seconds (user + system, in 10 ms clock ticks), from
/// `/proc`; `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Encodes the mid-game positions (moves 40..=200) of 200 Tom games as they are
/// replayed, the way a trainer walks its records (the board is fresh in cache). Each
/// position is encoded 3 times in a row and timed each time: the fastest of the 3
/// shuts out the other processes of a shared machine, the first is also reported,
/// and so is the thread's CPU time. Ladder points are counted to show the reader
/// works.
#[test]
#[ignore = "timing: cargo test --release -p fovea-go features_speed -- --ignored --nocapture"]
fn features_speed_on_tom_positions() {
    let Some(games) = tom_games(200) else {
        eprintln!("no Tom games under /work/shared/go/tom; skipped");
        return;
    };
    let mut enc = Encoder::new();
    let mut out = vec![0.0; 19 * 19 * PLANES];
    let (mut positions, mut ladders, mut escapes) = (0usize, 0usize, 0usize);
    let (mut best, mut first, mut cpu) = (0.0f64, 0.0f64, 0.0f64);
    for game in &games {
        let cpu_start = thread_cpu_seconds().unwrap_or(f64::NAN);
        let mut b = Board::new(19).unwrap();
        for (i, &(color, mv)) in game.iter().enumerate() {
            if b.play(color, mv).is_err() {
                break;
            }
            if !(40..=200).contains(&(i + 1)) {
                continue;
            }
            let mut fastest = f64::INFINITY;
            for pass in 0..3 {
                let start = std::time::Instant::now();
                enc.encode(&b, &mut out);
                let secs = start.elapsed().as_secs_f64();
                fastest = fastest.min(secs);
                if pass == 0 {
                    first += secs;
                }
            }
            best += fastest;
            positions += 1;
            ladders += out.iter().skip(LADDER_CAPTURE).step_by(PLANES).filter(|&&v| v == 1.0).count();
            escapes += out.iter().skip(LADDER_ESCAPE).step_by(PLANES).filter(|&&v| v == 1.0).count();
        }
        cpu += thread_cpu_seconds().unwrap_or(f64::NAN) - cpu_start;
    }
    let n = positions as f64;
    println!(
        "{positions} mid-game 19x19 Tom positions: {:.0} positions/s ({:.1} us each) fastest of 3, {:.0} positions/s \
         first encodings, {:.0} positions/s of CPU time (replay included); ladder-capture points {ladders}, \
         ladder-escape points {escapes}",
        n / best,
        best * 1e6 / n,
        n / first,
        3.0 * n / cpu
    );
}
