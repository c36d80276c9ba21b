//! `fovea go match` (the network, or any GTP engine, against GTP engines) and
//! `fovea go eval` (move prediction on game records): thin layers over
//! `fovea_go::matchplay`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use fovea_go::matchplay::{
    evaluate_predictions, play_match, Contestant, EvalConfig, EvalReport, MatchConfig, MatchReport, Referee,
};
use fovea_go::policy::PolicyNet;

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Subcommand, Debug)]
pub enum GoCommand {
    /// Play the network against a GTP engine (`--opponent "gnugo --mode gtp"`), or two
    /// engines against each other (`--black CMD --white CMD`), under Chinese rules.
    Match(MatchArgs),
    /// Top-1 and top-5 move prediction of the network on SGF files, folders of them and
    /// Tom kifu files.
    Eval(EvalArgs),
}

/// Options of `fovea go match`.
#[derive(Args, Debug)]
pub struct MatchArgs {
    /// The opponent engine's command line, e.g. "gnugo --mode gtp --level 10
    /// --chinese-rules" (its stderr is discarded).
    #[arg(long, conflicts_with_all = ["black", "white"])]
    opponent: Option<String>,
    /// Engine playing black in an engine-against-engine match (wins are black's).
    #[arg(long, requires = "white")]
    black: Option<String>,
    /// Engine playing white in an engine-against-engine match.
    #[arg(long, requires = "black")]
    white: Option<String>,
    #[arg(long, default_value_t = 10)]
    games: usize,
    #[arg(long, default_value_t = 19)]
    size: usize,
    #[arg(long, default_value_t = 7.5, allow_negative_numbers = true)]
    komi: f32,
    /// Moves (passes included) after which a game is scored as it stands.
    #[arg(long, default_value_t = 500)]
    max_moves: usize,
    /// Who scores games that end by passes: a GTP engine's command line (replayed the
    /// game, asked final_score), or "tromp-taylor" for fovea's own area count. Default:
    /// the opponent's final_score (the white engine's with --black/--white), falling
    /// back to fovea's count.
    #[arg(long)]
    referee: Option<String>,
    /// Folder for one SGF record per game (game-001.sgf, ...).
    #[arg(long)]
    sgf_dir: Option<PathBuf>,
    /// Print only {"games", "wins", "losses", "win_rate", ...} as JSON on stdout (the
    /// per-game lines go to stderr).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    player: crate::gtp::PlayerArgs,
    /// Seconds an engine may take over one command before it forfeits the game.
    #[arg(long, default_value_t = 30.0)]
    move_timeout: f64,
}

/// Options of `fovea go eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// SGF files, folders (searched recursively) and Tom kifu folders or month files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The policy network (default: models/go-policy.safetensors).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Average the network over the 8 board symmetries (8) or not (1).
    #[arg(long, default_value_t = 1)]
    symmetries: usize,
    /// Count handicap games (and games with other setup stones) too.
    #[arg(long)]
    handicap: bool,
    /// Positions per network call.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Print only {"positions", "games", "top1", "top5"} as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(command: &GoCommand) -> CliResult<()> {
    match command {
        GoCommand::Match(args) => run_match(args),
        GoCommand::Eval(args) => run_eval(args),
    }
}

fn run_match(args: &MatchArgs) -> CliResult<()> {
    if !(args.move_timeout.is_finite() && args.move_timeout > 0.0) {
        return Err(format!("--move-timeout must be a positive number of seconds, not {}", args.move_timeout).into());
    }
    let (first, second, alternate) = match (&args.opponent, &args.black, &args.white) {
        (Some(opponent), None, None) => {
            if args.size != 19 {
                return Err(format!(
                    "the policy network plays 19x19 only, not {0}x{0}; engines of other sizes can play with \
                     --black CMD --white CMD",
                    args.size
                )
                .into());
            }
            let player = args.player.network_player()?;
            (Contestant::Player(Box::new(player)), Contestant::Engine(opponent.clone()), true)
        }
        (None, Some(black), Some(white)) => {
            (Contestant::Engine(black.clone()), Contestant::Engine(white.clone()), false)
        }
        _ => return Err("give --opponent CMD, or both --black CMD and --white CMD".into()),
    };
    let referee = match args.referee.as_deref() {
        None => Referee::Opponent,
        Some(r) if r.eq_ignore_ascii_case("tromp-taylor") => Referee::TrompTaylor,
        Some(command) => Referee::Engine(command.to_string()),
    };
    let config = MatchConfig {
        games: args.games,
        size: args.size,
        komi: args.komi,
        max_moves: args.max_moves,
        move_timeout: Duration::from_secs_f64(args.move_timeout),
        sgf_dir: args.sgf_dir.clone(),
        referee,
        alternate,
    };
    let json = args.json;
    let report = play_match(&config, first, second, |outcome, names| {
        let line = outcome.describe([names[0].as_str(), names[1].as_str()]);
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    })?;
    print_match(&report, json);
    Ok(())
}

fn print_match(report: &MatchReport, json: bool) {
    if json {
        // Written by hand to keep the keys in this order (serde_json sorts them).
        let (lo, hi) = report.interval95();
        println!(
            "{{\"games\": {}, \"wins\": {}, \"losses\": {}, \"win_rate\": {}, \"draws\": {}, \"ci95\": [{lo}, {hi}]}}",
            report.games(),
            report.wins(),
            report.losses(),
            report.win_rate(),
            report.draws()
        );
    } else {
        println!("{}", report.summary());
    }
}

fn run_eval(args: &EvalArgs) -> CliResult<()> {
    let path = args.model.clone().unwrap_or_else(PolicyNet::default_path);
    let net = PolicyNet::load(&path)?;
    let loaded = fovea_go::load_games(&args.paths)?;
    let config = EvalConfig { symmetries: args.symmetries, handicap: args.handicap, batch: args.batch.max(1) };
    let report = evaluate_predictions(&net, &loaded.games, &config)?;
    if args.json {
        println!(
            "{{\"positions\": {}, \"games\": {}, \"top1\": {}, \"top5\": {}}}",
            report.positions,
            report.games,
            report.top1(),
            report.top5()
        );
        return Ok(());
    }
    print_eval(&report, loaded.files, loaded.warnings.len());
    Ok(())
}

fn print_eval(report: &EvalReport, files: usize, warnings: usize) {
    println!(
        "read {files} files; skipped games: {} not 19x19, {} handicap, {} illegal, {} without moves; \
         {warnings} warnings; {} passes not counted",
        report.skipped_size, report.skipped_handicap, report.skipped_illegal, report.skipped_empty, report.passes
    );
    println!("top-5 accuracy: {:.4}", report.top5());
    println!("top-1 accuracy: {:.4} ({} positions, {} games)", report.top1(), report.positions, report.games);
}
