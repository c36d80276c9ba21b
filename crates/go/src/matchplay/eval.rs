//! Move prediction against game records (`fovea go eval`): how often the network's
//! first choice, and any of its first five, is the move the player made.
//!
//! Every stone played in a counted game is one position; passes are not. Scores are
//! over the network's whole output (occupied points included), as the AlphaGo paper
//! reports its 57%. Games are counted or skipped whole: only 19x19 games (the network's
//! board), no handicap or other setup unless asked, and only records whose every move
//! is legal (a game that replays into an illegal move is skipped, not cut short).

use crate::features::{Encoder, Symmetry, PLANES};
use crate::policy::PolicyNet;
use crate::sgf::{GameRecord, LoadedGame};
use crate::{Board, Error, Move, Result};

/// The network's board side.
const SIZE: usize = 19;

/// How to evaluate.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// Average the network over the 8 board symmetries (8) or not (1).
    pub symmetries: usize,
    /// Count games with handicap or setup stones.
    pub handicap: bool,
    /// Positions per network call.
    pub batch: usize,
}

impl Default for EvalConfig {
    fn default() -> EvalConfig {
        EvalConfig { symmetries: 1, handicap: false, batch: 64 }
    }
}

/// What an evaluation counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalReport {
    pub positions: usize,
    /// Games that contributed positions.
    pub games: usize,
    pub top1_hits: usize,
    pub top5_hits: usize,
    /// Passes in counted games (not positions).
    pub passes: usize,
    pub skipped_size: usize,
    pub skipped_handicap: usize,
    /// Records that replay into an illegal move or bad setup.
    pub skipped_illegal: usize,
    /// Games without a single stone played.
    pub skipped_empty: usize,
}

impl EvalReport {
    pub fn top1(&self) -> f64 {
        ratio(self.top1_hits, self.positions)
    }
    pub fn top5(&self) -> f64 {
        ratio(self.top5_hits, self.positions)
    }
}

fn ratio(hits: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        hits as f64 / n as f64
    }
}

/// The positions of one record: boards before each stone, with that stone's index
/// (`y * 19 + x`), or why the game is skipped.
enum Replay {
    Positions(Vec<(Board, usize)>, usize),
    Size,
    Handicap,
    Illegal,
}

fn replay(record: &GameRecord, handicap: bool) -> Replay {
    if record.size != SIZE {
        return Replay::Size;
    }
    let has_setup = record.setup.iter().any(|s| s.1.is_some());
    if (record.handicap > 0 || has_setup) && !handicap {
        return Replay::Handicap;
    }
    let Ok(mut board) = Board::new(SIZE) else { return Replay::Illegal };
    for &(v, color) in &record.setup {
        if board.set_stone(v, color).is_err() {
            return Replay::Illegal;
        }
    }
    if let Some(color) = record.player_to_move {
        board.set_to_move(color);
    }
    let (mut positions, mut passes) = (Vec::new(), 0);
    for &(color, mv) in &record.moves {
        if let Move::Play(v) = mv {
            let mut before = board.clone();
            before.set_to_move(color);
            positions.push((before, v.y as usize * SIZE + v.x as usize));
        } else {
            passes += 1;
        }
        if board.play(color, mv).is_err() {
            return Replay::Illegal;
        }
    }
    Replay::Positions(positions, passes)
}

/// Scores `net` on every counted position of `games`, `config.batch` positions per
/// network call.
pub fn evaluate_predictions(net: &PolicyNet, games: &[LoadedGame], config: &EvalConfig) -> Result<EvalReport> {
    if config.symmetries != 1 && config.symmetries != 8 {
        return Err(Error::Setup(format!("symmetries must be 1 or 8, not {}", config.symmetries)));
    }
    let mut report = EvalReport::default();
    let mut pending: Vec<(Board, usize)> = Vec::new();
    let mut scorer = Scorer { net, symmetries: config.symmetries, encoder: Encoder::new() };
    for game in games {
        match replay(&game.record, config.handicap) {
            Replay::Size => report.skipped_size += 1,
            Replay::Handicap => report.skipped_handicap += 1,
            Replay::Illegal => report.skipped_illegal += 1,
            Replay::Positions(positions, _) if positions.is_empty() => report.skipped_empty += 1,
            Replay::Positions(positions, passes) => {
                report.games += 1;
                report.passes += passes;
                pending.extend(positions);
                while pending.len() >= config.batch.max(1) {
                    let rest = pending.split_off(config.batch.max(1));
                    scorer.score(&pending, &mut report)?;
                    pending = rest;
                }
            }
        }
    }
    scorer.score(&pending, &mut report)?;
    Ok(report)
}

struct Scorer<'a> {
    net: &'a PolicyNet,
    symmetries: usize,
    encoder: Encoder,
}

impl Scorer<'_> {
    fn score(&mut self, batch: &[(Board, usize)], report: &mut EvalReport) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let probs = if self.symmetries == 1 {
            let boards: Vec<Board> = batch.iter().map(|(b, _)| b.clone()).collect();
            self.net.probabilities_batch(&boards)?
        } else {
            self.averaged(batch)?
        };
        for (p, &(_, target)) in probs.iter().zip(batch) {
            let better = crate::policy::rank_of(p, target);
            report.positions += 1;
            report.top1_hits += usize::from(better == 0);
            report.top5_hits += usize::from(better < 5);
        }
        Ok(())
    }

    /// The network's probabilities averaged over the 8 symmetries: each position is
    /// encoded once, its planes transformed 8 ways, and each output mapped back.
    ///
    /// # Shapes
    /// Planes `(8 n, 19, 19, 48)` in; `n` vectors of 361 out.
    fn averaged(&mut self, batch: &[(Board, usize)]) -> Result<Vec<Vec<f32>>> {
        let per = SIZE * SIZE * PLANES;
        let mut planes = vec![0f32; per];
        let mut x = vec![0f32; batch.len() * 8 * per];
        for (i, (board, _)) in batch.iter().enumerate() {
            self.encoder.encode(board, &mut planes);
            for (s, sym) in Symmetry::ALL.iter().enumerate() {
                let at = (i * 8 + s) * per;
                sym.transform_planes(SIZE, PLANES, &planes, &mut x[at..at + per]);
            }
        }
        let x =
            fovea_core::Tensor::from_vec(x, [batch.len() * 8, SIZE, SIZE, PLANES]).map_err(fovea_nn::Error::from)?;
        let out = self.net.predict_planes(&x)?;
        let mut averaged = vec![vec![0f32; SIZE * SIZE]; batch.len()];
        for (i, avg) in averaged.iter_mut().enumerate() {
            for (s, sym) in Symmetry::ALL.iter().enumerate() {
                let q = &out[(i * 8 + s) * SIZE * SIZE..(i * 8 + s + 1) * SIZE * SIZE];
                for (point, a) in avg.iter_mut().enumerate() {
                    let t = sym.apply(SIZE, crate::Vertex::new(point % SIZE, point / SIZE));
                    *a += q[t.y as usize * SIZE + t.x as usize] / 8.0;
                }
            }
        }
        Ok(averaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sgf::parse_collection;
    use fovea_core::Rng;
    use fovea_zoo::go::PolicyConfig;

    fn games(sgf: &str) -> Vec<LoadedGame> {
        parse_collection(sgf, "test.sgf")
            .unwrap()
            .games
            .iter()
            .enumerate()
            .map(|(i, t)| LoadedGame { source: format!("test.sgf#{}", i + 1), record: t.main_line().unwrap() })
            .collect()
    }

    fn tiny_net() -> PolicyNet {
        PolicyNet::build(&PolicyConfig { filters: 4, layers: 2, ..PolicyConfig::default() }, &mut Rng::new(3)).unwrap()
    }

    #[test]
    fn games_are_counted_or_skipped_whole() {
        let sgf = "(;SZ[19];B[pd];W[dp];B[];W[pp])\
                   (;SZ[9];B[ee])\
                   (;SZ[19]HA[2]AB[pd][dp];W[dd])\
                   (;SZ[19];B[pd];W[pd])\
                   (;SZ[19];B[];W[])";
        let net = tiny_net();
        let report =
            evaluate_predictions(&net, &games(sgf), &EvalConfig { batch: 2, ..EvalConfig::default() }).unwrap();
        assert_eq!((report.positions, report.games, report.passes), (3, 1, 1));
        assert_eq!(
            (report.skipped_size, report.skipped_handicap, report.skipped_illegal, report.skipped_empty),
            (1, 1, 1, 1)
        );
        assert!(report.top1_hits <= report.top5_hits && report.top5_hits <= 3);
        let with_handicap = EvalConfig { handicap: true, ..EvalConfig::default() };
        let report = evaluate_predictions(&net, &games(sgf), &with_handicap).unwrap();
        assert_eq!((report.positions, report.games), (4, 2));
    }

    #[test]
    fn batching_and_symmetry_averaging_agree_with_one_position_at_a_time() {
        let sgf = "(;SZ[19];B[pd];W[dp];B[pq];W[dd];B[qk];W[fq];B[cn];W[jp])";
        let net = tiny_net();
        let one = evaluate_predictions(&net, &games(sgf), &EvalConfig { batch: 1, ..EvalConfig::default() }).unwrap();
        let all = evaluate_predictions(&net, &games(sgf), &EvalConfig { batch: 64, ..EvalConfig::default() }).unwrap();
        assert_eq!(one, all);
        assert_eq!(one.positions, 8);
        // Averaged over the 8 symmetries the network becomes equivariant: on the game
        // played mirrored and rotated, the average at the transformed point is the
        // average at the original one. (Mapping outputs back the wrong way round breaks
        // this, as D4 is not commutative.)
        let record = &games(sgf)[0].record;
        for sym in [Symmetry(1), Symmetry(5), Symmetry(6)] {
            let mut turned = record.clone();
            turned.moves = record.moves.iter().map(|&(c, m)| (c, sym.apply_move(SIZE, m))).collect();
            let (Replay::Positions(a, _), Replay::Positions(b, _)) = (replay(record, false), replay(&turned, false))
            else {
                panic!("both games replay");
            };
            let mut scorer = Scorer { net: &net, symmetries: 8, encoder: Encoder::new() };
            let pa = scorer.averaged(&a[3..4]).unwrap().remove(0);
            let pb = scorer.averaged(&b[3..4]).unwrap().remove(0);
            assert!((pa.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            for (point, &p) in pa.iter().enumerate() {
                let t = sym.apply(SIZE, crate::Vertex::new(point % SIZE, point / SIZE));
                let q = pb[t.y as usize * SIZE + t.x as usize];
                assert!((p - q).abs() < 1e-5, "{sym:?} at {point}: {p} vs {q}");
            }
        }
        let eight = EvalConfig { symmetries: 8, batch: 3, ..EvalConfig::default() };
        assert_eq!(evaluate_predictions(&net, &games(sgf), &eight).unwrap().positions, 8);
        assert!(
            evaluate_predictions(&net, &games(sgf), &EvalConfig { symmetries: 4, ..EvalConfig::default() }).is_err()
        );
    }
}
