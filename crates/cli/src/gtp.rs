//! `fovea gtp`: the policy network as a GTP engine on stdin/stdout, for GoGui, Sabaki,
//! gogui-twogtp and go servers (a thin layer over `fovea_go::gtp`).

use std::io;
use std::path::PathBuf;

use clap::Args;
use fovea_go::gtp::{serve, Engine};
use fovea_go::player::{NetworkPlayer, Player, RandomPlayer};
use fovea_go::policy::PolicyNet;

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// How the network plays: shared by `fovea gtp` and `fovea go match`.
#[derive(Args, Debug)]
pub struct PlayerArgs {
    /// The policy network (default: models/go-policy.safetensors of the repository).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// 0 plays the most probable sensible move; above 0 draws moves with weights
    /// p^(1/T).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Seed of the draws at a temperature above 0.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl PlayerArgs {
    /// The network player these options describe.
    pub fn network_player(&self) -> CliResult<NetworkPlayer> {
        let path = self.model.clone().unwrap_or_else(PolicyNet::default_path);
        let net = PolicyNet::load(&path)?;
        Ok(NetworkPlayer::new(net).with_temperature(self.temperature, self.seed)?)
    }
}

/// Options of `fovea gtp`.
#[derive(Args, Debug)]
pub struct GtpArgs {
    #[command(flatten)]
    player: PlayerArgs,
    /// Play uniformly random sensible moves, no network (for trying out a controller).
    #[arg(long)]
    random: bool,
}

pub fn run(args: &GtpArgs) -> CliResult<()> {
    let player: Box<dyn Player> = if args.random {
        Box::new(RandomPlayer::new(args.player.seed))
    } else {
        Box::new(args.player.network_player()?)
    };
    let mut engine = Engine::new(player);
    serve(&mut engine, io::stdin().lock(), io::stdout().lock())?;
    Ok(())
}
