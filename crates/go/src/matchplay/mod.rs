//! Matches: a [`Player`] against an external GTP engine, or two engines against each
//! other, under Chinese rules (area scoring, positional superko), with SGF records and
//! a win rate with its 95% interval.
//!
//! The runner keeps the authoritative game itself: it asks each side for a move
//! (`genmove` for an engine), checks it, plays it, and tells the other side (`play`).
//! Whatever goes wrong is charged to the side at fault and the match goes on:
//!
//! * an **illegal or unreadable move** loses the game (recorded `B+F`/`W+F`);
//! * an engine that **hangs** past the per-command timeout, **crashes**, or refuses the
//!   setup or the opponent's legal move forfeits the game; it is killed and started
//!   afresh for the next game;
//! * **resign** loses the game (`W+R`);
//! * otherwise the game ends at two passes or `max_moves` and is **scored** by the
//!   referee ([`Referee`]); when the referee cannot answer, by fovea's own
//!   Tromp-Taylor count ([`Game::score`]).
//!
//! Only the runner's own player may stop the match: an error from it is an error of
//! the whole match.
//!
//! [`evaluate_predictions`] measures the network the other way: against the moves of
//! recorded games (`fovea go eval`).

mod client;
mod eval;
mod record;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use crate::player::Player;
use crate::{format_score, Color, Error, Game, Move, Result};

pub use client::{split_command, Fault, GtpProcess, Reply};
pub use eval::{evaluate_predictions, EvalConfig, EvalReport};
pub use stats::{wilson_interval, Z95};

/// One side of a match.
pub enum Contestant {
    /// A player in this process (fovea's network).
    Player(Box<dyn Player>),
    /// An external GTP engine: the command that starts it, e.g.
    /// `gnugo --mode gtp --level 10 --chinese-rules`.
    Engine(String),
}

/// Who scores a game that ends by passes or by the move limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Referee {
    /// The opponent engine's `final_score` (in an engine-against-engine match, the
    /// second engine's).
    Opponent,
    /// fovea's Tromp-Taylor count of the final board (no dead-stone removal).
    TrompTaylor,
    /// A separate GTP engine, replayed the game and asked `final_score`.
    Engine(String),
}

/// How a match is played.
#[derive(Clone, Debug)]
pub struct MatchConfig {
    pub games: usize,
    pub size: usize,
    pub komi: f32,
    /// Moves (passes included) after which the game is scored as it stands.
    pub max_moves: usize,
    /// How long any engine may take over one command.
    pub move_timeout: Duration,
    /// Where `game-001.sgf`, ... go; none when `None`.
    pub sgf_dir: Option<PathBuf>,
    pub referee: Referee,
    /// Colours change every game (the first contestant takes black in games 1, 3, ...);
    /// otherwise the first contestant is always black.
    pub alternate: bool,
}

impl Default for MatchConfig {
    fn default() -> MatchConfig {
        MatchConfig {
            games: 10,
            size: 19,
            komi: crate::gtp::DEFAULT_KOMI,
            max_moves: 500,
            move_timeout: Duration::from_secs(30),
            sgf_dir: None,
            referee: Referee::Opponent,
            alternate: true,
        }
    }
}

/// How a game ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// Scored: `result` as GTP writes it (`B+3.5`, `0`), and who scored it.
    Score { result: String, scorer: String },
    /// `loser` resigned.
    Resign { loser: Color },
    /// `loser` could not go on: timeout, crash, refused command.
    Forfeit { loser: Color, why: String },
    /// `loser` answered a move the rules refuse, or no move at all.
    IllegalMove { loser: Color, mv: String, why: String },
}

/// One game of a match.
#[derive(Clone, Debug)]
pub struct GameOutcome {
    /// From 0.
    pub index: usize,
    /// The colour the first contestant played.
    pub first_color: Color,
    /// `None` for a draw.
    pub winner: Option<Color>,
    pub ending: Ending,
    /// Moves played, passes included.
    pub moves: usize,
    pub sgf: Option<PathBuf>,
}

impl GameOutcome {
    /// Whether the first contestant won; `None` for a draw.
    pub fn first_won(&self) -> Option<bool> {
        self.winner.map(|w| w == self.first_color)
    }

    /// SGF's RE value: `B+3.5`, `W+R`, `B+F`, `0`.
    pub fn result(&self) -> String {
        match (&self.ending, self.winner) {
            (Ending::Score { result, .. }, _) => result.clone(),
            (_, None) => "0".into(),
            (Ending::Resign { .. }, Some(w)) => format!("{}+R", w.letter()),
            (_, Some(w)) => format!("{}+F", w.letter()),
        }
    }

    /// One line: `game 3: fovea (white) won W+R after 211 moves (black resigned)`.
    pub fn describe(&self, names: [&str; 2]) -> String {
        let how = match &self.ending {
            Ending::Score { scorer, .. } => format!("scored by {scorer}"),
            Ending::Resign { loser } => format!("{loser} resigned"),
            Ending::Forfeit { loser, why } => format!("{loser} forfeits: {why}"),
            Ending::IllegalMove { loser, mv, why } => format!("{loser} played {mv}: {why}"),
        };
        let who = match self.first_won() {
            None => "draw".to_string(),
            Some(first) => {
                let (name, color) =
                    if first { (names[0], self.first_color) } else { (names[1], self.first_color.opponent()) };
                format!("{name} ({color}) won")
            }
        };
        format!("game {}: {who} {} after {} moves ({how})", self.index + 1, self.result(), self.moves)
    }
}

/// A finished match, counted for the first contestant.
#[derive(Clone, Debug)]
pub struct MatchReport {
    /// The two contestants' names (the first's, then the second's).
    pub names: [String; 2],
    pub outcomes: Vec<GameOutcome>,
}

impl MatchReport {
    pub fn games(&self) -> usize {
        self.outcomes.len()
    }
    pub fn wins(&self) -> usize {
        self.outcomes.iter().filter(|o| o.first_won() == Some(true)).count()
    }
    pub fn losses(&self) -> usize {
        self.outcomes.iter().filter(|o| o.first_won() == Some(false)).count()
    }
    pub fn draws(&self) -> usize {
        self.outcomes.iter().filter(|o| o.first_won().is_none()).count()
    }
    /// Wins plus half the draws, over the games; 0 for no games.
    pub fn win_rate(&self) -> f64 {
        if self.games() == 0 {
            return 0.0;
        }
        (self.wins() as f64 + 0.5 * self.draws() as f64) / self.games() as f64
    }
    /// Wilson's 95% interval of the win rate.
    pub fn interval95(&self) -> (f64, f64) {
        wilson_interval(self.wins() as f64 + 0.5 * self.draws() as f64, self.games() as f64, Z95)
    }
    /// `fovea vs gnugo: 7 wins, 3 losses in 10 games, win rate 0.700 (95% CI 0.397-0.892)`.
    pub fn summary(&self) -> String {
        let (lo, hi) = self.interval95();
        let draws = if self.draws() > 0 { format!(", {} draws", self.draws()) } else { String::new() };
        format!(
            "{} vs {}: {} wins, {} losses{draws} in {} games, win rate {:.3} (95% CI {lo:.3}-{hi:.3})",
            self.names[0],
            self.names[1],
            self.wins(),
            self.losses(),
            self.games(),
            self.win_rate()
        )
    }
}

/// Plays `config.games` games between `first` and `second` and counts them for
/// `first`; `progress` sees each game as it ends, with the two contestants' names. Errors: a bad configuration, an
/// engine program that cannot be started at all, an SGF that cannot be written, or
/// an error from a [`Contestant::Player`].
pub fn play_match(
    config: &MatchConfig,
    first: Contestant,
    second: Contestant,
    mut progress: impl FnMut(&GameOutcome, &[String; 2]),
) -> Result<MatchReport> {
    Game::new(config.size, config.komi)?;
    if config.max_moves == 0 || config.move_timeout.is_zero() {
        return Err(Error::Setup("max moves and the move timeout must be positive".into()));
    }
    if let Some(dir) = &config.sgf_dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.display().to_string(), msg: e.to_string() })?;
    }
    let mut runner = Runner {
        config,
        sides: [Side::start(first, config.move_timeout)?, Side::start(second, config.move_timeout)?],
        referee: match &config.referee {
            Referee::Engine(command) => Some(Side::start(Contestant::Engine(command.clone()), config.move_timeout)?),
            _ => None,
        },
    };
    let mut outcomes = Vec::with_capacity(config.games);
    if runner.sides[0].name == runner.sides[1].name {
        // Two copies of one engine: keep the reports and SGF names apart.
        runner.sides[0].name.push_str(" (1)");
        runner.sides[1].name.push_str(" (2)");
    }
    let names = [runner.sides[0].name.clone(), runner.sides[1].name.clone()];
    for index in 0..config.games {
        let outcome = runner.play_game(index)?;
        progress(&outcome, &names);
        outcomes.push(outcome);
    }
    Ok(MatchReport { names, outcomes })
}

/// A contestant during the match.
struct Side {
    name: String,
    kind: SideKind,
}

enum SideKind {
    Player(Box<dyn Player>),
    /// The process is `None` after a fault, until the next game starts a new one.
    Engine {
        command: String,
        process: Option<GtpProcess>,
        timeout: Duration,
    },
}

/// What a side answered to "your move".
enum Answer {
    Move(Move),
    Resign,
    /// Not a move: the text and why.
    Bad(String, String),
    Fault(String),
}

impl Side {
    /// Starts an engine (asking its `name`), or wraps a player.
    fn start(contestant: Contestant, timeout: Duration) -> Result<Side> {
        match contestant {
            Contestant::Player(p) => Ok(Side { name: p.name(), kind: SideKind::Player(p) }),
            Contestant::Engine(command) => {
                let mut process = GtpProcess::spawn(&command, timeout)?;
                let name = match process.send("name") {
                    Ok(Ok(name)) if !name.is_empty() => name.lines().next().unwrap_or_default().to_string(),
                    _ => split_command(&command)?.first().cloned().unwrap_or_else(|| command.clone()),
                };
                Ok(Side { name, kind: SideKind::Engine { command, process: Some(process), timeout } })
            }
        }
    }

    fn is_engine(&self) -> bool {
        matches!(self.kind, SideKind::Engine { .. })
    }

    /// Sends a command, restarting a dead engine first; a player side answers `Ok("")`.
    /// After a fault the process is killed.
    fn send(&mut self, command: &str) -> std::result::Result<Reply, String> {
        let SideKind::Engine { command: cmd, process, timeout } = &mut self.kind else { return Ok(Ok(String::new())) };
        if process.is_none() {
            *process = Some(GtpProcess::spawn(cmd, *timeout).map_err(|e| e.to_string())?);
        }
        let Some(p) = process.as_mut() else { return Err("no engine process".into()) };
        let reply = p.send(command);
        if reply.is_err() {
            if let Some(mut dead) = process.take() {
                dead.kill();
            }
        }
        reply.map_err(|fault| fault.to_string())
    }

    /// Sends a command that must succeed; `Err` says why the side forfeits.
    fn must(&mut self, command: &str) -> std::result::Result<(), String> {
        match self.send(command)? {
            Ok(_) => Ok(()),
            Err(msg) => Err(format!("refused '{command}': {msg}")),
        }
    }

    /// Kills the engine so the next game starts a fresh one.
    fn restart(&mut self) {
        if let SideKind::Engine { process, .. } = &mut self.kind {
            if let Some(mut p) = process.take() {
                p.kill();
            }
        }
    }

    fn genmove(&mut self, game: &Game, color: Color) -> Result<Answer> {
        if let SideKind::Player(p) = &mut self.kind {
            return Ok(Answer::Move(p.genmove(game, color)?));
        }
        let text = match self.send(&format!("genmove {color}")) {
            Err(fault) => return Ok(Answer::Fault(fault)),
            Ok(Err(msg)) => return Ok(Answer::Fault(format!("refused 'genmove {color}': {msg}"))),
            Ok(Ok(text)) => text,
        };
        if text.eq_ignore_ascii_case("resign") {
            return Ok(Answer::Resign);
        }
        Ok(match Move::parse_gtp(&text, game.size()) {
            Ok(mv) => Answer::Move(mv),
            Err(_) => Answer::Bad(text, "not a move on this board".into()),
        })
    }
}

struct Runner<'a> {
    config: &'a MatchConfig,
    sides: [Side; 2],
    referee: Option<Side>,
}

impl Runner<'_> {
    fn play_game(&mut self, index: usize) -> Result<GameOutcome> {
        let first_color = if self.config.alternate && index % 2 == 1 { Color::White } else { Color::Black };
        let side_of = |color: Color| usize::from(color != first_color);
        let mut game = Game::new(self.config.size, self.config.komi)?.with_superko(true);
        let setup = [
            format!("boardsize {}", self.config.size),
            "clear_board".to_string(),
            format!("komi {}", self.config.komi),
        ];
        for color in [Color::Black, Color::White] {
            let side = &mut self.sides[side_of(color)];
            if let Some(why) = setup.iter().find_map(|c| side.must(c).err()) {
                side.restart();
                return self.finish(
                    index,
                    first_color,
                    &game,
                    Some(color.opponent()),
                    Ending::Forfeit { loser: color, why },
                );
            }
        }
        let end = loop {
            if game.is_over() || game.moves().len() >= self.config.max_moves {
                break None;
            }
            let color = game.to_move();
            let (me, other) = (side_of(color), 1 - side_of(color));
            let mv = match self.sides[me].genmove(&game, color)? {
                Answer::Move(mv) => mv,
                Answer::Resign => break Some((color, Ending::Resign { loser: color })),
                Answer::Fault(why) => break Some((color, Ending::Forfeit { loser: color, why })),
                Answer::Bad(text, why) => break Some((color, Ending::IllegalMove { loser: color, mv: text, why })),
            };
            if let Err(e) = game.play(color, mv) {
                let why = match e {
                    Error::IllegalMove { msg, .. } => msg,
                    other => other.to_string(),
                };
                break Some((color, Ending::IllegalMove { loser: color, mv: mv.to_gtp(game.size()), why }));
            }
            if let Err(why) = self.sides[other].must(&format!("play {color} {}", mv.to_gtp(game.size()))) {
                self.sides[other].restart();
                let loser = color.opponent();
                break Some((loser, Ending::Forfeit { loser, why }));
            }
        };
        let (winner, ending) = match end {
            Some((loser, ending)) => (Some(loser.opponent()), ending),
            None => {
                let (winner, result, scorer) = self.score(&game);
                (winner, Ending::Score { result, scorer })
            }
        };
        self.finish(index, first_color, &game, winner, ending)
    }

    /// The referee's verdict, else fovea's count: (winner, result, who scored).
    fn score(&mut self, game: &Game) -> (Option<Color>, String, String) {
        let verdict = match &self.config.referee {
            Referee::TrompTaylor => None,
            Referee::Opponent => {
                // The engine that is not the first contestant, else the first.
                let i = if self.sides[1].is_engine() { 1 } else { 0 };
                let side = &mut self.sides[i];
                side.is_engine().then(|| ask_score(side, None)).flatten()
            }
            Referee::Engine(_) => self.referee.as_mut().and_then(|r| ask_score(r, Some(game))),
        };
        match verdict {
            Some((winner, result, scorer)) => (winner, result, scorer),
            None => {
                let score = game.score();
                let winner = (score != 0.0).then_some(if score > 0.0 { Color::Black } else { Color::White });
                (winner, format_score(score), "Tromp-Taylor count".into())
            }
        }
    }

    fn finish(
        &mut self,
        index: usize,
        first_color: Color,
        game: &Game,
        winner: Option<Color>,
        ending: Ending,
    ) -> Result<GameOutcome> {
        let mut outcome = GameOutcome { index, first_color, winner, ending, moves: game.moves().len(), sgf: None };
        if let Some(dir) = &self.config.sgf_dir {
            let names = [self.sides[0].name.as_str(), self.sides[1].name.as_str()];
            let by_color = if first_color == Color::Black { names } else { [names[1], names[0]] };
            let text = record::game_sgf(game, by_color, &outcome.result(), &outcome.describe(names));
            let path = record::sgf_path(dir, index);
            record::write_atomically(&path, &text)?;
            outcome.sgf = Some(path);
        }
        Ok(outcome)
    }
}

/// Asks `side` for `final_score` (first replaying `game` to it, for a separate
/// referee); `None` when it cannot say. A faulty referee is restarted.
fn ask_score(side: &mut Side, replay: Option<&Game>) -> Option<(Option<Color>, String, String)> {
    if let Some(game) = replay {
        let mut commands =
            vec![format!("boardsize {}", game.size()), "clear_board".into(), format!("komi {}", game.komi())];
        commands.extend(game.moves().iter().map(|(c, mv)| format!("play {c} {}", mv.to_gtp(game.size()))));
        if commands.iter().any(|c| side.must(c).is_err()) {
            side.restart();
            return None;
        }
    }
    let text = match side.send("final_score") {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return None,
        Err(_) => {
            side.restart();
            return None;
        }
    };
    let (winner, result) = parse_result(&text)?;
    Some((winner, result, format!("{}'s final_score", side.name)))
}

/// A `final_score` answer: `B+3.5`, `W+0.5`, `0` (also `Draw`, `Jigo`); `None` for
/// anything else.
pub fn parse_result(text: &str) -> Option<(Option<Color>, String)> {
    let word = text.split_whitespace().next()?;
    if word == "0" || word.eq_ignore_ascii_case("draw") || word.eq_ignore_ascii_case("jigo") {
        return Some((None, "0".into()));
    }
    let (color, margin) = word.split_once('+')?;
    let color = Color::parse(color)?;
    if margin.is_empty() {
        return None;
    }
    Some((Some(color), format!("{}+{margin}", color.letter())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_scores_parse_into_winner_and_result() {
        assert_eq!(parse_result("B+3.5"), Some((Some(Color::Black), "B+3.5".into())));
        assert_eq!(parse_result("w+12 (by territory)"), Some((Some(Color::White), "W+12".into())));
        assert_eq!(parse_result("0"), Some((None, "0".into())));
        assert_eq!(parse_result("Draw"), Some((None, "0".into())));
        assert_eq!(parse_result("B+"), None);
        assert_eq!(parse_result("?"), None);
        assert_eq!(parse_result(""), None);
    }

    fn outcome(first_color: Color, winner: Option<Color>, ending: Ending) -> GameOutcome {
        GameOutcome { index: 0, first_color, winner, ending, moves: 10, sgf: None }
    }

    #[test]
    fn reports_count_for_the_first_contestant_with_draws_as_halves() {
        let score = || Ending::Score { result: "B+1.5".into(), scorer: "x".into() };
        let outcomes = vec![
            outcome(Color::Black, Some(Color::Black), score()),
            outcome(Color::White, Some(Color::Black), score()),
            outcome(Color::White, Some(Color::White), Ending::Resign { loser: Color::Black }),
            outcome(Color::Black, None, Ending::Score { result: "0".into(), scorer: "x".into() }),
        ];
        let report = MatchReport { names: ["a".into(), "b".into()], outcomes };
        assert_eq!((report.games(), report.wins(), report.losses(), report.draws()), (4, 2, 1, 1));
        assert!((report.win_rate() - 0.625).abs() < 1e-12);
        assert!(report.summary().starts_with("a vs b: 2 wins, 1 losses, 1 draws in 4 games, win rate 0.625"));
        assert_eq!(report.outcomes[2].result(), "W+R");
        assert_eq!(
            outcome(Color::Black, Some(Color::Black), Ending::Forfeit { loser: Color::White, why: "x".into() })
                .result(),
            "B+F"
        );
    }
}
