//! The policy network as a Go component: a zoo network plus the feature encoder, saved
//! as one safetensors checkpoint whose architecture JSON names its size.
//!
//! Checkpoint architecture: `{"format": "fovea-zoo", "model": "alphago-policy",
//! "filters": k, "layers": L, "board": 19, "planes": 48}`.

use std::path::{Path, PathBuf};

use fovea_core::{no_grad, Rng, Tensor};
use fovea_nn::{load_checkpoint, load_weights, Model};
use fovea_zoo::go::{alphago_policy_with, PolicyConfig, BOARD, FEATURE_PLANES};

use crate::features::{Encoder, PLANES};
use crate::{Board, Error, Result};

/// Where the shipped network lives, relative to the repository root.
pub const SHIPPED_MODEL: &str = "models/go-policy.safetensors";

/// A policy network ready to score positions.
pub struct PolicyNet {
    model: Model,
    config: PolicyConfig,
}

/// Rank of move `target` under `probs`: how many points the network prefers to it
/// (ties go to the lower index), so 0 is a top-1 hit and < 5 a top-5 hit.
pub fn rank_of(probs: &[f32], target: usize) -> usize {
    let mine = probs.get(target).copied().unwrap_or(f32::NEG_INFINITY);
    probs.iter().enumerate().filter(|&(i, &q)| q > mine || (q == mine && i < target)).count()
}

/// The architecture JSON stored in a policy checkpoint.
pub fn architecture_json(config: &PolicyConfig) -> String {
    serde_json::json!({
        "format": "fovea-zoo",
        "model": "alphago-policy",
        "filters": config.filters,
        "layers": config.layers,
        "board": BOARD,
        "planes": FEATURE_PLANES,
    })
    .to_string()
}

/// The policy configuration a checkpoint's architecture JSON describes.
pub fn config_from_architecture(json: &str, path: &Path) -> Result<PolicyConfig> {
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let arch: serde_json::Value =
        serde_json::from_str(json).map_err(|e| bad(format!("the architecture is not JSON ({e}): {json}")))?;
    if arch["model"] != "alphago-policy" {
        return Err(bad(format!("not a Go policy network (architecture {json})")));
    }
    let number = |key: &str| arch[key].as_u64().map(|n| n as usize);
    let filters = number("filters").ok_or_else(|| bad(format!("no filters in {json}")))?;
    let layers = number("layers").ok_or_else(|| bad(format!("no layers in {json}")))?;
    for (key, want) in [("board", BOARD), ("planes", FEATURE_PLANES)] {
        if let Some(got) = number(key) {
            if got != want {
                return Err(bad(format!("{key} is {got}; this version knows {want}")));
            }
        }
    }
    Ok(PolicyConfig { filters, layers, ..PolicyConfig::default() })
}

impl PolicyNet {
    /// A freshly initialised network.
    pub fn build(config: &PolicyConfig, rng: &mut Rng) -> Result<PolicyNet> {
        Ok(PolicyNet { model: alphago_policy_with(config, rng)?, config: config.clone() })
    }

    /// Wraps an already built network of the given configuration.
    pub fn from_model(model: Model, config: PolicyConfig) -> PolicyNet {
        PolicyNet { model, config }
    }

    /// A network saved by `fovea train go-policy` (a checkpoint or its weights).
    pub fn load(path: impl AsRef<Path>) -> Result<PolicyNet> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(Error::Io {
                path: path.display().to_string(),
                msg:
                    "no such model file; train one with `fovea train go-policy --data ../shared/go/tom --out runs/go` \
                      or pass --model"
                        .into(),
            });
        }
        let ckpt = load_checkpoint(path)?;
        let config = config_from_architecture(&ckpt.architecture, path)?;
        let net = PolicyNet::build(&config, &mut Rng::new(0))?;
        load_weights(&net.model, path)?;
        Ok(net)
    }

    /// The shipped network's path: `models/go-policy.safetensors` under the current
    /// directory or any of its parents, else beside the executable's repository
    /// (`target/release/fovea` -> `../../models/...`).
    pub fn default_path() -> PathBuf {
        let mut candidates = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            candidates.extend(cwd.ancestors().map(|d| d.join(SHIPPED_MODEL)));
        }
        if let Ok(exe) = std::env::current_exe() {
            candidates.extend(exe.ancestors().skip(1).map(|d| d.join(SHIPPED_MODEL)));
        }
        candidates.iter().find(|p| p.is_file()).cloned().unwrap_or_else(|| PathBuf::from(SHIPPED_MODEL))
    }

    pub fn model(&self) -> &Model {
        &self.model
    }
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Move probabilities for the side to move: `size * size` values indexed
    /// `y * size + x` (rows from the top), summing to 1 over the board.
    pub fn probabilities(&self, board: &Board) -> Result<Vec<f32>> {
        Ok(self.probabilities_batch(std::slice::from_ref(board))?.pop().unwrap_or_default())
    }

    /// [`probabilities`](Self::probabilities) for several positions in one batch.
    pub fn probabilities_batch(&self, boards: &[Board]) -> Result<Vec<Vec<f32>>> {
        if boards.is_empty() {
            return Ok(Vec::new());
        }
        let per = BOARD * BOARD * PLANES;
        let mut x = vec![0f32; boards.len() * per];
        let mut encoder = Encoder::new();
        for (b, chunk) in boards.iter().zip(x.chunks_exact_mut(per)) {
            if b.size() != BOARD {
                return Err(Error::Other(format!(
                    "the policy network plays on {BOARD}x{BOARD} boards only, not {}x{}",
                    b.size(),
                    b.size()
                )));
            }
            encoder.encode(b, chunk);
        }
        let x = Tensor::from_vec(x, [boards.len(), BOARD, BOARD, PLANES]).map_err(fovea_nn::Error::from)?;
        let probs = self.predict_planes(&x)?;
        Ok(probs.chunks_exact(BOARD * BOARD).map(<[f32]>::to_vec).collect())
    }

    /// The network on encoded planes `(n, 19, 19, 48)`: `n * 361` probabilities.
    pub fn predict_planes(&self, x: &Tensor) -> Result<Vec<f32>> {
        let mut rng = Rng::new(0);
        let y = no_grad(|| fovea_core::on_pool(|| self.model.forward(x, false, &mut rng)))?;
        Ok(y.to_vec_f32().map_err(fovea_nn::Error::from)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_round_trips_through_its_json() {
        let config = PolicyConfig { filters: 32, layers: 3, ..PolicyConfig::default() };
        let json = architecture_json(&config);
        let back = config_from_architecture(&json, Path::new("x")).unwrap();
        assert_eq!((back.filters, back.layers), (32, 3));
        assert!(config_from_architecture(r#"{"model":"lenet"}"#, Path::new("x")).is_err());
        let wrong = json.replace("\"planes\":48", "\"planes\":12");
        assert!(wrong.contains("\"planes\":12"), "{json}");
        assert!(config_from_architecture(&wrong, Path::new("x")).unwrap_err().to_string().contains("planes"));
    }

    #[test]
    fn probabilities_cover_the_board_and_sum_to_one() {
        let net =
            PolicyNet::build(&PolicyConfig { filters: 4, layers: 2, ..PolicyConfig::default() }, &mut Rng::new(1))
                .unwrap();
        let board = Board::new(19).unwrap();
        let p = net.probabilities(&board).unwrap();
        assert_eq!(p.len(), 361);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert!(net.probabilities(&Board::new(9).unwrap()).is_err());
    }
}
