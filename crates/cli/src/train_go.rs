//! `fovea train go-policy`: the AlphaGo policy network on real games (a thin layer over
//! `fovea_go::train`).

use std::path::PathBuf;

use clap::Args;
use fovea_go::train::{train, OptimizerKind, Selection, TrainConfig};
use fovea_zoo::go::PolicyConfig;

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Options of `fovea train go-policy`.
#[derive(Args, Debug)]
pub struct GoPolicyArgs {
    /// SGF files, folders of them (searched recursively), or the Tom kifu folder
    /// (`../shared/go/tom`); several may be given.
    #[arg(long, num_args = 1.., required = true)]
    data: Vec<PathBuf>,
    /// k, the filters of every hidden convolution (the paper's match network: 192).
    #[arg(long, default_value_t = 128)]
    filters: usize,
    /// Hidden convolutions (one 5x5, then 3x3s); the paper's: 12.
    #[arg(long, default_value_t = 12)]
    layers: usize,
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Total training steps of the run.
    #[arg(long, default_value_t = 400_000)]
    steps: u64,
    /// Steps between held-out evaluations, checkpoints and curve points.
    #[arg(long, default_value_t = 2_000)]
    epoch_steps: u64,
    /// sgd (momentum 0.9), alphago (plain SGD, lr 0.003, halved every 80 million
    /// steps: the paper's recipe) or adam.
    #[arg(long, default_value = "sgd")]
    optimizer: String,
    /// Learning rate (default: sgd 0.01, adam 0.0005, alphago 0.003).
    #[arg(long)]
    lr: Option<f32>,
    /// Halve the learning rate every this many steps.
    #[arg(long)]
    lr_halve_every: Option<u64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Games held out for evaluation (chosen by game, never by position).
    #[arg(long, default_value_t = 500)]
    heldout_games: usize,
    /// Held-out positions scored at each epoch's end.
    #[arg(long, default_value_t = 4_000)]
    val_positions: usize,
    /// Minutes between checkpoints within an epoch.
    #[arg(long, default_value_t = 5.0)]
    checkpoint_minutes: f64,
    /// Threads that encode positions ahead of the trainer.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Keep handicap games (skipped by default).
    #[arg(long)]
    handicap: bool,
    /// Skip games with fewer moves.
    #[arg(long, default_value_t = 50)]
    min_moves: usize,
    /// The run's folder: checkpoint, model, curves, held-out games.
    #[arg(long, default_value = "runs/go")]
    out: PathBuf,
    /// Continue the run in DIR from its checkpoint (starts it when there is none);
    /// DIR replaces --out.
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
    /// 0 silent, 1 progress bar, 2 one line per epoch.
    #[arg(long, default_value_t = 1)]
    verbose: u8,
}

/// Runs `fovea train go-policy`.
pub fn run(args: &GoPolicyArgs) -> CliResult<()> {
    let (optimizer, default_lr, default_halve) = match args.optimizer.as_str() {
        "sgd" => (OptimizerKind::SGD { momentum: 0.9 }, 0.01, None),
        "alphago" => (OptimizerKind::SGD { momentum: 0.0 }, 0.003, Some(80_000_000)),
        "adam" => (OptimizerKind::Adam, 0.0005, None),
        other => {
            return Err(format!("train go-policy: unknown --optimizer '{other}' (expected sgd, alphago or adam)").into())
        }
    };
    let config = TrainConfig {
        data: args.data.clone(),
        out: args.resume.clone().unwrap_or_else(|| args.out.clone()),
        resume: args.resume.is_some(),
        policy: PolicyConfig { filters: args.filters, layers: args.layers, ..PolicyConfig::default() },
        batch: args.batch,
        steps: args.steps,
        epoch_steps: args.epoch_steps,
        optimizer,
        lr: args.lr.unwrap_or(default_lr),
        lr_halve_every: args.lr_halve_every.or(default_halve),
        seed: args.seed,
        heldout_games: args.heldout_games,
        val_positions: args.val_positions,
        checkpoint_minutes: args.checkpoint_minutes,
        workers: args.workers,
        selection: Selection { handicap: args.handicap, min_moves: args.min_moves },
        verbose: args.verbose,
    };
    let summary = train(&config, &mut std::io::stdout())?;
    println!(
        "step {}: held-out top-1 {:.4}, top-5 {:.4} ({:.0} positions/s); saved {}",
        summary.step,
        summary.top1,
        summary.top5,
        summary.positions_per_second,
        config.out.join("model.safetensors").display()
    );
    Ok(())
}
