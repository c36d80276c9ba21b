//! Players: whatever picks a move for a colour in a game. The GTP engine and the match
//! runner drive a `Box<dyn Player>`; [`NetworkPlayer`] is fovea's policy network,
//! [`RandomPlayer`] a network-free stand-in for tests, fuzzing and baselines.
//!
//! Both play only *sensible* moves ([`sensible_moves`]): legal under the game's rules
//! (positional superko included when the game has it) and not filling one of the
//! player's own eyes. That is what keeps a policy-only player from killing its own
//! groups at the end of a game, and what makes it pass when the board is settled.

use fovea_core::Rng;

use crate::policy::PolicyNet;
use crate::{Color, Error, Game, Move, Result, Vertex};

/// Something that plays Go.
pub trait Player {
    /// `color`'s move in `game` (not necessarily the side to move: GTP's `genmove`
    /// names the colour). Never plays an illegal move.
    fn genmove(&mut self, game: &Game, color: Color) -> Result<Move>;

    /// A short name for GTP's `name`, SGF's PB/PW and match reports.
    fn name(&self) -> String;

    /// `color`'s move probabilities in `game`, `size * size` values indexed
    /// `y * size + x` (rows from the top). Players without a policy say so.
    fn policy(&mut self, game: &Game, color: Color) -> Result<Vec<f32>> {
        let _ = (game, color);
        Err(Error::Other(format!("{} has no move probabilities", self.name())))
    }
}

/// The moves `color` may sensibly play in `game`, in row-major order from the top
/// left: legal (superko respected when the game has it) and not into its own eye.
pub fn sensible_moves(game: &Game, color: Color) -> Vec<Vertex> {
    let board = game.board();
    let size = board.size();
    let mut out = Vec::new();
    for y in 0..size {
        for x in 0..size {
            let v = Vertex::new(x, y);
            if game.is_legal(color, Move::Play(v)) && !board.is_eye(color, board.point(v)) {
                out.push(v);
            }
        }
    }
    out
}

/// Whether `color` should pass now because passing wins: the opponent just passed
/// (so a pass ends the game) and the area score with komi is in `color`'s favour.
pub fn pass_wins(game: &Game, color: Color) -> bool {
    let opponent_passed = matches!(game.moves().last(), Some(&(c, Move::Pass)) if c == color.opponent());
    let black_lead = game.score();
    let lead = if color == Color::Black { black_lead } else { -black_lead };
    opponent_passed && lead > 0.0
}

/// Picks among `candidates` by their probabilities (`probs` indexed `y * size + x`):
/// the most probable at `temperature <= 0`, else a draw with weights `p^(1/T)`.
/// Non-finite or negative probabilities count as 0; `None` only when there is no
/// candidate.
pub fn choose(probs: &[f32], size: usize, candidates: &[Vertex], temperature: f32, rng: &mut Rng) -> Option<Vertex> {
    let p = |v: &Vertex| {
        let q = probs.get(v.y as usize * size + v.x as usize).copied().unwrap_or(0.0);
        if q.is_finite() && q > 0.0 {
            q as f64
        } else {
            0.0
        }
    };
    // Ties go to the first candidate, so greedy play is deterministic.
    let best = candidates.iter().copied().fold(None, |best: Option<(Vertex, f64)>, v| match best {
        Some((_, b)) if p(&v) <= b => best,
        _ => Some((v, p(&v))),
    })?;
    // NaN temperatures play greedily too.
    if temperature.is_nan() || temperature <= 0.0 || best.1 == 0.0 {
        return Some(best.0);
    }
    // Weights relative to the best in log space: p^(1/T) underflows for small T.
    let inv_t = 1.0 / temperature as f64;
    let weights: Vec<f64> =
        candidates.iter().map(|v| if p(v) > 0.0 { ((p(v).ln() - best.1.ln()) * inv_t).exp() } else { 0.0 }).collect();
    let total: f64 = weights.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Some(best.0);
    }
    let mut u = unit(rng) * total;
    for (v, w) in candidates.iter().zip(&weights) {
        if u < *w {
            return Some(*v);
        }
        u -= w;
    }
    Some(best.0)
}

/// A uniform draw from [0, 1).
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Plays a uniformly random sensible move; passes when none is left or passing wins.
/// Its [`policy`](Player::policy) is uniform over the sensible moves.
pub struct RandomPlayer {
    rng: Rng,
}

impl RandomPlayer {
    pub fn new(seed: u64) -> RandomPlayer {
        RandomPlayer { rng: Rng::new(seed) }
    }
}

impl Player for RandomPlayer {
    fn genmove(&mut self, game: &Game, color: Color) -> Result<Move> {
        let moves = sensible_moves(game, color);
        if moves.is_empty() || pass_wins(game, color) {
            return Ok(Move::Pass);
        }
        let i = (unit(&mut self.rng) * moves.len() as f64) as usize;
        Ok(Move::Play(moves[i.min(moves.len() - 1)]))
    }

    fn name(&self) -> String {
        "random".to_string()
    }

    fn policy(&mut self, game: &Game, color: Color) -> Result<Vec<f32>> {
        let size = game.size();
        let moves = sensible_moves(game, color);
        let mut probs = vec![0.0; size * size];
        for v in &moves {
            probs[v.y as usize * size + v.x as usize] = 1.0 / moves.len() as f32;
        }
        Ok(probs)
    }
}

/// fovea's policy network as a player: the most probable sensible move, or a draw at
/// a temperature. It passes when no sensible move is left, or when the opponent has
/// just passed and passing wins on the area count.
pub struct NetworkPlayer {
    net: PolicyNet,
    temperature: f32,
    rng: Rng,
}

impl NetworkPlayer {
    /// A greedy player (temperature 0).
    pub fn new(net: PolicyNet) -> NetworkPlayer {
        NetworkPlayer { net, temperature: 0.0, rng: Rng::new(0) }
    }

    /// Draws moves with weights `p^(1/temperature)` (0 keeps it greedy), seeded.
    pub fn with_temperature(mut self, temperature: f32, seed: u64) -> Result<NetworkPlayer> {
        if !temperature.is_finite() || temperature < 0.0 {
            return Err(Error::Setup(format!("temperature {temperature} must be a finite number >= 0")));
        }
        self.temperature = temperature;
        self.rng = Rng::new(seed);
        Ok(self)
    }

    pub fn net(&self) -> &PolicyNet {
        &self.net
    }

    /// The network's move probabilities for the side to move (`size * size`, index
    /// `y * size + x`): the heat map GTP's analyze commands draw.
    pub fn heatmap(&self, game: &Game) -> Result<Vec<f32>> {
        self.probabilities_for(game, game.to_move())
    }

    fn probabilities_for(&self, game: &Game, color: Color) -> Result<Vec<f32>> {
        let size = game.size();
        if size != 19 {
            return Err(Error::Other(format!(
                "the policy network only knows 19x19 boards; this board is {size}x{size}"
            )));
        }
        let mut board = game.board().clone();
        board.set_to_move(color);
        self.net.probabilities(&board)
    }
}

impl Player for NetworkPlayer {
    fn genmove(&mut self, game: &Game, color: Color) -> Result<Move> {
        let moves = sensible_moves(game, color);
        if moves.is_empty() || pass_wins(game, color) {
            return Ok(Move::Pass);
        }
        let probs = self.probabilities_for(game, color)?;
        Ok(choose(&probs, game.size(), &moves, self.temperature, &mut self.rng).map_or(Move::Pass, Move::Play))
    }

    fn name(&self) -> String {
        "fovea".to_string()
    }

    fn policy(&mut self, game: &Game, color: Color) -> Result<Vec<f32>> {
        self.probabilities_for(game, color)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(game: &mut Game, moves: &[(Color, &str)]) {
        for &(c, m) in moves {
            let mv = Move::parse_gtp(m, game.size()).unwrap();
            game.play(c, mv).unwrap();
        }
    }

    #[test]
    fn sensible_moves_leave_out_own_eyes_and_occupied_points() {
        let mut game = Game::new(5, 0.5).unwrap();
        // Black walls off A5 (an eye): B5 and A4.
        play(&mut game, &[(Color::Black, "B5"), (Color::White, "E1"), (Color::Black, "A4")]);
        let black = sensible_moves(&game, Color::Black);
        assert!(!black.contains(&Vertex::parse_gtp("A5", 5).unwrap()), "A5 is black's eye");
        assert!(!black.contains(&Vertex::parse_gtp("B5", 5).unwrap()));
        assert_eq!(black.len(), 25 - 3 - 1);
        // Nor may white: A5 has no liberty and captures nothing.
        let white = sensible_moves(&game, Color::White);
        assert!(!white.contains(&Vertex::parse_gtp("A5", 5).unwrap()), "suicide for white");
    }

    #[test]
    fn sensible_moves_respect_superko() {
        // A ko on a 4x4 board: after black takes and white fills elsewhere, recapture
        // that repeats a position is refused only under superko.
        let moves = [
            (Color::Black, "B4"),
            (Color::White, "C4"),
            (Color::Black, "A3"),
            (Color::White, "D3"),
            (Color::Black, "B2"),
            (Color::White, "C2"),
            (Color::Black, "C3"),
            (Color::White, "B3"), // captures C3: ko
        ];
        let mut plain = Game::new(4, 0.5).unwrap();
        play(&mut plain, &moves);
        let c3 = Vertex::parse_gtp("C3", 4).unwrap();
        assert!(!sensible_moves(&plain, Color::Black).contains(&c3), "simple ko bans the retake");
        let mut superko = Game::new(4, 0.5).unwrap().with_superko(true);
        play(&mut superko, &moves);
        // Both passes lift the simple ko; the retake would repeat the position after move 7.
        play(&mut plain, &[(Color::Black, "pass"), (Color::White, "pass")]);
        play(&mut superko, &[(Color::Black, "pass"), (Color::White, "pass")]);
        assert!(sensible_moves(&plain, Color::Black).contains(&c3));
        assert!(!sensible_moves(&superko, Color::Black).contains(&c3));
    }

    #[test]
    fn greedy_choice_takes_the_most_probable_candidate() {
        let mut rng = Rng::new(1);
        let probs = [0.1, 0.5, 0.3, 0.1];
        let cands = [Vertex::new(0, 0), Vertex::new(0, 1), Vertex::new(1, 0)];
        // (1, 0) is index 1 (0.5), (0, 1) index 2 (0.3).
        assert_eq!(choose(&probs, 2, &cands, 0.0, &mut rng), Some(Vertex::new(1, 0)));
        // Without (1, 0) the best left is (0, 1), even though (1, 0) scores higher.
        assert_eq!(choose(&probs, 2, &cands[..2], 0.0, &mut rng), Some(Vertex::new(0, 1)));
        assert_eq!(choose(&probs, 2, &[], 0.0, &mut rng), None);
        // NaN counts as 0 and ties keep the first.
        assert_eq!(choose(&[f32::NAN, 0.0, 0.0, 0.0], 2, &cands, 0.0, &mut rng), Some(Vertex::new(0, 0)));
    }

    #[test]
    fn sampling_follows_the_tempered_probabilities() {
        let mut rng = Rng::new(7);
        let probs = [0.75, 0.25];
        let cands = [Vertex::new(0, 0), Vertex::new(1, 0)];
        let draws = 4000;
        let first = (0..draws).filter(|_| choose(&probs, 2, &cands, 1.0, &mut rng) == Some(cands[0])).count();
        let share = first as f64 / draws as f64;
        assert!((share - 0.75).abs() < 0.03, "share {share} at T=1");
        // T = 0.5 squares the odds: 9:1.
        let first = (0..draws).filter(|_| choose(&probs, 2, &cands, 0.5, &mut rng) == Some(cands[0])).count();
        let share = first as f64 / draws as f64;
        assert!((share - 0.9).abs() < 0.03, "share {share} at T=0.5");
        // A tiny temperature stays finite (weights relative to the best).
        assert_eq!(choose(&probs, 2, &cands, 1e-6, &mut rng), Some(cands[0]));
    }

    #[test]
    fn a_player_passes_after_a_pass_only_when_passing_wins() {
        let mut game = Game::new(5, 0.5).unwrap();
        play(&mut game, &[(Color::Black, "C3"), (Color::White, "pass")]);
        // Black owns the whole board: a pass wins.
        assert!(pass_wins(&game, Color::Black));
        assert_eq!(RandomPlayer::new(1).genmove(&game, Color::Black).unwrap(), Move::Pass);
        // White, a move later, would not pass after black's pass while losing.
        play(&mut game, &[(Color::Black, "pass")]);
        assert!(!pass_wins(&game, Color::White));
        assert!(matches!(RandomPlayer::new(1).genmove(&game, Color::White).unwrap(), Move::Play(_)));
    }

    #[test]
    fn random_player_fills_the_board_but_never_its_eyes() {
        let mut game = Game::new(7, 7.5).unwrap().with_superko(true);
        let mut players = [RandomPlayer::new(3), RandomPlayer::new(4)];
        let mut color = Color::Black;
        let mut moves = 0;
        while !game.is_over() && moves < 1000 {
            let mv = players[color.index()].genmove(&game, color).unwrap();
            if let Move::Play(v) = mv {
                assert!(!game.board().is_eye(color, game.board().point(v)), "{color} filled its eye at {v:?}");
            }
            game.play(color, mv).unwrap();
            color = color.opponent();
            moves += 1;
        }
        assert!(game.is_over(), "random self-play on 7x7 ends by two passes ({moves} moves)");
    }

    fn tiny_net() -> PolicyNet {
        let config = fovea_zoo::go::PolicyConfig { filters: 4, layers: 2, ..Default::default() };
        PolicyNet::build(&config, &mut Rng::new(11)).unwrap()
    }

    #[test]
    fn network_player_plays_its_most_probable_sensible_move() {
        let mut game = Game::new(19, 7.5).unwrap().with_superko(true);
        play(&mut game, &[(Color::Black, "Q16"), (Color::White, "D4"), (Color::Black, "Q4")]);
        let mut player = NetworkPlayer::new(tiny_net());
        let probs = player.heatmap(&game).unwrap();
        assert_eq!(probs.len(), 361);
        let best = sensible_moves(&game, Color::White)
            .into_iter()
            .max_by(|a, b| probs[a.y as usize * 19 + a.x as usize].total_cmp(&probs[b.y as usize * 19 + b.x as usize]))
            .unwrap();
        assert_eq!(player.genmove(&game, Color::White).unwrap(), Move::Play(best));
        // The policy for the side not to move is the network's view with that side to move.
        let mut board = game.board().clone();
        board.set_to_move(Color::Black);
        assert_eq!(player.policy(&game, Color::Black).unwrap(), player.net().probabilities(&board).unwrap());
    }

    #[test]
    fn network_player_samples_reproducibly_and_refuses_other_board_sizes() {
        let game = Game::new(19, 7.5).unwrap();
        let draws = |seed| {
            let mut p = NetworkPlayer::new(tiny_net()).with_temperature(1.0, seed).unwrap();
            (0..20).map(|_| p.genmove(&game, Color::Black).unwrap()).collect::<Vec<_>>()
        };
        let a = draws(4);
        assert_eq!(a, draws(4));
        assert!(a.iter().collect::<std::collections::HashSet<_>>().len() > 1, "a random net at T=1 varies");
        assert!(NetworkPlayer::new(tiny_net()).with_temperature(-1.0, 0).is_err());
        let small = Game::new(9, 7.5).unwrap();
        let err = NetworkPlayer::new(tiny_net()).genmove(&small, Color::Black).unwrap_err();
        assert_eq!(err.to_string(), "the policy network only knows 19x19 boards; this board is 9x9");
    }

    #[test]
    fn random_policy_is_uniform_over_sensible_moves() {
        let game = Game::new(3, 0.5).unwrap();
        let p = RandomPlayer::new(0).policy(&game, Color::Black).unwrap();
        assert_eq!(p.len(), 9);
        assert!(p.iter().all(|&x| (x - 1.0 / 9.0).abs() < 1e-6));
    }
}
