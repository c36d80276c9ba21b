//! `fovea train go-policy`: supervised learning of the policy network on real games,
//! as AlphaGo's SL policy was trained, in a run that spans sittings.
//!
//! The run lives in one folder: `checkpoint.safetensors` (weights, optimizer state,
//! step, history; written atomically every few minutes and at each epoch's end),
//! `model.safetensors` (the weights alone, for `fovea gtp` and `fovea go eval`),
//! `history.png` (loss and held-out top-1/top-5 per epoch), and `heldout.sgf` (the
//! held-out games, so `fovea go eval` can measure them later). Resuming from the
//! checkpoint continues exactly: the data stream and the learning rate are functions of
//! the step, and the optimizer state is restored.

mod positions;
mod sampler;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use fovea_core::{Rng, Tensor};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::optimizers::{Adam, AdamConfig, SGDConfig, SGD};
use fovea_nn::progress::{ProgbarConfig, Verbosity};
use fovea_nn::{load_checkpoint, plot_history, save_checkpoint, CallContext, Checkpoint, History, LearningRate, Loss};
use fovea_nn::{named_weights, Optimizer, Progbar, Variable};
use fovea_zoo::go::PolicyConfig;

pub use positions::{build, IntakeReport, PositionSet, Selection, StoredGame, SIZE};
pub use sampler::{Permutation, Sampler};

use crate::features::{Encoder, PLANES};
use crate::policy::{architecture_json, config_from_architecture, rank_of, PolicyNet};
use crate::{Error, Result};

/// The optimizer of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// SGD with the given momentum (AlphaGo: plain SGD, momentum 0).
    SGD {
        momentum: f32,
    },
    Adam,
}

/// Everything that defines a training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub data: Vec<PathBuf>,
    /// The run's folder.
    pub out: PathBuf,
    /// Continue from `out/checkpoint.safetensors` when it exists.
    pub resume: bool,
    pub policy: PolicyConfig,
    pub batch: usize,
    /// Total training steps of the run (a resumed run stops at the same total).
    pub steps: u64,
    /// Steps between held-out evaluations (one "epoch" of the curves).
    pub epoch_steps: u64,
    pub optimizer: OptimizerKind,
    pub lr: f32,
    /// Halve the learning rate every this many steps (AlphaGo: every 80 million).
    pub lr_halve_every: Option<u64>,
    pub seed: u64,
    pub heldout_games: usize,
    /// Held-out positions scored at each epoch's end.
    pub val_positions: usize,
    pub checkpoint_minutes: f64,
    /// Threads that encode batches ahead of the trainer.
    pub workers: usize,
    pub selection: Selection,
    /// 0 silent, 1 progress bar, 2 one line per epoch.
    pub verbose: u8,
}

impl TrainConfig {
    /// Checks the options before any data is read.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Setup(format!("train go-policy: {m}")));
        if self.data.is_empty() {
            return bad("--data needs at least one SGF file, folder or kifu folder".into());
        }
        if self.batch == 0 || self.steps == 0 || self.epoch_steps == 0 {
            return bad(format!(
                "--batch, --steps and --epoch-steps must be at least 1 (got {}, {}, {})",
                self.batch, self.steps, self.epoch_steps
            ));
        }
        if self.lr.is_nan() || self.lr <= 0.0 || self.lr.is_infinite() {
            return bad(format!("--lr must be a positive number, got {}", self.lr));
        }
        if self.policy.filters == 0 || self.policy.layers == 0 {
            return bad(format!(
                "--filters and --layers must be at least 1 (got {} and {})",
                self.policy.filters, self.policy.layers
            ));
        }
        if self.checkpoint_minutes.is_nan() || self.checkpoint_minutes <= 0.0 {
            return bad(format!("--checkpoint-minutes must be positive, got {}", self.checkpoint_minutes));
        }
        if self.lr_halve_every == Some(0) {
            return bad("--lr-halve-every must be at least 1".into());
        }
        Ok(())
    }

    /// The learning rate at `step`: halved every `lr_halve_every` steps.
    pub fn lr_at(&self, step: u64) -> f32 {
        match self.lr_halve_every {
            Some(every) => self.lr * 0.5f32.powi((step / every).min(60) as i32),
            None => self.lr,
        }
    }

    /// The settings a resumed run must share with the one it continues.
    fn fingerprint(&self, positions: usize) -> String {
        format!(
            "batch={} seed={} optimizer={:?} lr={} halve={:?} heldout={} positions={}",
            self.batch, self.seed, self.optimizer, self.lr, self.lr_halve_every, self.heldout_games, positions
        )
    }
}

/// What a finished (or stopped) run reports.
#[derive(Clone, Debug)]
pub struct TrainSummary {
    pub step: u64,
    pub top1: f64,
    pub top5: f64,
    pub positions_per_second: f64,
}

fn make_optimizer(config: &TrainConfig) -> Result<Box<dyn Optimizer>> {
    let learning_rate = LearningRate::Constant(config.lr);
    Ok(match config.optimizer {
        OptimizerKind::SGD { momentum } => {
            Box::new(SGD::new(SGDConfig { learning_rate, momentum, ..Default::default() })?)
        }
        OptimizerKind::Adam => Box::new(Adam::new(AdamConfig { learning_rate, ..Default::default() })?),
    })
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), msg: e.to_string() }
}

/// Held-out positions scored each epoch: spread over the held-out games by a seeded
/// draw, the same in every epoch and every sitting.
fn validation_positions(set: &PositionSet, n: usize, seed: u64) -> Vec<(usize, usize)> {
    let all: Vec<(usize, usize)> =
        set.heldout.iter().enumerate().flat_map(|(g, game)| game.play_indices().map(move |m| (g, m))).collect();
    let perm = Permutation::new(all.len().max(1), seed ^ 0x0EDA);
    let mut picked: Vec<(usize, usize)> = (0..n.min(all.len())).map(|i| all[perm.get(i)]).collect();
    picked.sort_unstable();
    picked
}

/// Top-1, top-5 and mean loss of `net` on held-out positions.
pub fn evaluate_positions(net: &PolicyNet, games: &[StoredGame], picks: &[(usize, usize)]) -> Result<(f64, f64, f64)> {
    let per = SIZE * SIZE * PLANES;
    let mut encoder = Encoder::new();
    let (mut top1, mut top5, mut loss, mut n) = (0usize, 0usize, 0f64, 0usize);
    for chunk in picks.chunks(64) {
        let mut planes = vec![0f32; chunk.len() * per];
        let mut labels = Vec::with_capacity(chunk.len());
        for (&(g, m), out) in chunk.iter().zip(planes.chunks_exact_mut(per)) {
            let (board, point) = games[g].position(m).ok_or_else(|| Error::Other("held-out pass".into()))?;
            encoder.encode(&board, out);
            labels.push(point);
        }
        let x = Tensor::from_vec(planes, [chunk.len(), SIZE, SIZE, PLANES]).map_err(fovea_nn::Error::from)?;
        let probs = net.predict_planes(&x)?;
        for (p, &label) in probs.chunks_exact(SIZE * SIZE).zip(&labels) {
            let target = p[label];
            let better = rank_of(p, label);
            top1 += (better == 0) as usize;
            top5 += (better < 5) as usize;
            loss -= (target.max(1e-7) as f64).ln();
            n += 1;
        }
    }
    let n = n.max(1) as f64;
    Ok((top1 as f64 / n, top5 as f64 / n, loss / n))
}

/// One training step: forward in training mode, cross-entropy, backward, update.
/// Returns the loss and the number of correct top-1 predictions.
fn train_step(net: &PolicyNet, optimizer: &mut dyn Optimizer, x: &Tensor, y: &Tensor) -> Result<(f64, usize)> {
    let model = net.model();
    let mut rng = Rng::new(0);
    let mut ctx = CallContext::new(true, &mut rng);
    let y_pred = model.call(std::slice::from_ref(x), &mut ctx)?.remove(0);
    let loss = SparseCategoricalCrossentropy::default().call(y, &y_pred)?;
    let value = loss.to_scalar().map_err(fovea_nn::Error::from)? as f64;
    let mut grads = loss.backward().map_err(fovea_nn::Error::from)?;
    let pairs: Vec<(Tensor, &Variable)> =
        model.trainable_weights().into_iter().filter_map(|w| grads.remove(w.value()).map(|g| (g, w))).collect();
    optimizer.apply_gradients(&pairs)?;
    let probs = y_pred.detach().to_vec_f32().map_err(fovea_nn::Error::from)?;
    let labels = y.to_vec_i64().map_err(fovea_nn::Error::from)?;
    let correct = probs
        .chunks_exact(SIZE * SIZE)
        .zip(&labels)
        .filter(|(p, &l)| {
            let best = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
            best == Some(l as usize)
        })
        .count();
    Ok((value, correct))
}

/// The state a checkpoint carries besides weights and optimizer slots.
struct RunState {
    step: u64,
    history: History,
    seconds: f64,
}

fn save_run(path: &Path, net: &PolicyNet, opt: &dyn Optimizer, state: &RunState, fingerprint: &str) -> Result<()> {
    let weights = named_weights(net.model());
    let mut metadata = BTreeMap::new();
    metadata.insert("step".to_string(), state.step.to_string());
    metadata.insert("seconds".to_string(), format!("{:.1}", state.seconds));
    metadata.insert("fingerprint".to_string(), fingerprint.to_string());
    metadata.insert("history".to_string(), history_to_text(&state.history));
    let ckpt = Checkpoint {
        architecture: architecture_json(net.config()),
        weights,
        optimizer: opt.state()?,
        epoch: state.history.epochs.len(),
        metadata,
    };
    Ok(save_checkpoint(path, &ckpt)?)
}

/// History as `epoch name=value ...` lines (metadata values are strings).
fn history_to_text(h: &History) -> String {
    let mut out = String::new();
    for (i, e) in h.epochs.iter().enumerate() {
        out.push_str(&e.to_string());
        for (name, values) in &h.history {
            if let Some(v) = values.get(i) {
                out.push_str(&format!(" {name}={v}"));
            }
        }
        out.push('\n');
    }
    out
}

fn history_from_text(text: &str) -> History {
    let mut h = History::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let Some(Ok(epoch)) = parts.next().map(str::parse::<usize>) else { continue };
        let logs: Vec<(String, f64)> = parts
            .filter_map(|kv| kv.split_once('=').and_then(|(k, v)| Some((k.to_string(), v.parse().ok()?))))
            .collect();
        let refs: Vec<(&str, f64)> = logs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        h.record(epoch, &refs);
    }
    h
}

/// Loads the games of `config.data` and splits them.
pub fn load_positions(config: &TrainConfig, log: &mut dyn Write) -> Result<PositionSet> {
    let loaded = crate::sgf::load_games(&config.data)?;
    for w in loaded.warnings.iter().take(5) {
        let _ = writeln!(log, "warning: {w}");
    }
    if loaded.warnings.len() > 5 {
        let _ = writeln!(log, "warning: ... and {} more", loaded.warnings.len() - 5);
    }
    let games: Vec<_> = loaded.games.into_iter().map(|g| (g.source, g.record)).collect();
    let set = build(games, &config.selection, config.heldout_games, config.seed);
    if set.train_positions.is_empty() {
        return Err(Error::Setup(format!(
            "train go-policy: no training positions in {:?} ({:?})",
            config.data, set.report
        )));
    }
    Ok(set)
}

/// Trains (or resumes) the run `config` describes, printing progress to `log`.
pub fn train(config: &TrainConfig, log: &mut dyn Write) -> Result<TrainSummary> {
    config.validate()?;
    std::fs::create_dir_all(&config.out).map_err(|e| io_err(&config.out, e))?;
    let ckpt_path = config.out.join("checkpoint.safetensors");
    let t0 = Instant::now();
    let set = load_positions(config, log)?;
    let r = &set.report;
    let _ = writeln!(
        log,
        "fovea train go-policy: {} games read, {} used ({} train, {} held out, {} training games dropped as \
         duplicates of held-out openings); skipped: {} handicap, {} short, {} not 19x19, {} unplayable; {} cut \
         at an illegal move; {} training positions ({:.1} s)",
        r.games_in,
        r.games_used,
        set.train.len(),
        set.heldout.len(),
        set.dropped_duplicates,
        r.handicap,
        r.too_short,
        r.not_19x19,
        r.unplayable,
        r.truncated,
        r.positions,
        t0.elapsed().as_secs_f64()
    );
    let fingerprint = config.fingerprint(set.train_positions.len());
    let mut optimizer = make_optimizer(config)?;
    let (net, mut state) = if config.resume && ckpt_path.exists() {
        let ckpt = load_checkpoint(&ckpt_path)?;
        let arch = config_from_architecture(&ckpt.architecture, &ckpt_path)?;
        if (arch.filters, arch.layers) != (config.policy.filters, config.policy.layers) {
            return Err(Error::Setup(format!(
                "{}: the run has {} filters and {} layers, not the {} and {} asked for",
                ckpt_path.display(),
                arch.filters,
                arch.layers,
                config.policy.filters,
                config.policy.layers
            )));
        }
        let stored = ckpt.metadata.get("fingerprint").cloned().unwrap_or_default();
        if stored != fingerprint {
            return Err(Error::Setup(format!(
                "{}: the run was started with [{stored}], now [{fingerprint}]; resume with the same options",
                ckpt_path.display()
            )));
        }
        let net = PolicyNet::load(&ckpt_path)?;
        optimizer.load_state(&ckpt.optimizer)?;
        let step = ckpt.metadata.get("step").and_then(|s| s.parse().ok()).unwrap_or(0);
        let seconds = ckpt.metadata.get("seconds").and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let history = ckpt.metadata.get("history").map(|h| history_from_text(h)).unwrap_or_default();
        let _ = writeln!(log, "resuming {} at step {step} ({:.0} s trained so far)", ckpt_path.display(), seconds);
        (net, RunState { step, history, seconds })
    } else {
        let policy = PolicyConfig { kernel_initializer: fovea_nn::Initializer::he_normal(), ..config.policy.clone() };
        let net = PolicyNet::build(&policy, &mut Rng::new(config.seed))?;
        (net, RunState { step: 0, history: History::default(), seconds: 0.0 })
    };
    write_heldout(&config.out, &set)?;
    let picks = validation_positions(&set, config.val_positions, config.seed);
    let _ = writeln!(
        log,
        "network: {} filters, {} layers, {} parameters; batch {}, {:?}, lr {}; {} held-out positions per epoch; \
         {} threads + {} encoder workers",
        config.policy.filters,
        config.policy.layers,
        net.model().count_params(),
        config.batch,
        config.optimizer,
        config.lr,
        picks.len(),
        fovea_core::num_threads(),
        config.workers
    );
    let set = Arc::new(set);
    let mut sampler = Sampler::start(Arc::clone(&set), config.seed, config.batch, state.step, config.workers);
    let mut last_save = Instant::now();
    let mut summary = TrainSummary { step: state.step, top1: f64::NAN, top5: f64::NAN, positions_per_second: 0.0 };
    let epochs_total = config.steps.div_ceil(config.epoch_steps);
    while state.step < config.steps {
        let epoch = state.step / config.epoch_steps;
        let epoch_end = ((epoch + 1) * config.epoch_steps).min(config.steps);
        if config.verbose > 0 {
            let _ = writeln!(log, "Epoch {}/{}", epoch + 1, epochs_total);
        }
        let mut bar = (config.verbose > 0).then(|| {
            let verbose = if config.verbose == 1 { Verbosity::ProgressBar } else { Verbosity::OneLine };
            let cfg = ProgbarConfig {
                target: Some((epoch_end - epoch * config.epoch_steps) as usize),
                verbose,
                stateful_metrics: vec!["loss".into(), "accuracy".into(), "pos_per_s".into()],
                ..ProgbarConfig::default()
            };
            Progbar::new(cfg, std::io::stdout(), true)
        });
        let (mut loss_sum, mut correct, mut seen) = (0f64, 0usize, 0usize);
        let epoch_start = Instant::now();
        let mut waited = 0f64;
        while state.step < epoch_end {
            let wait = Instant::now();
            let batch = sampler.next_batch().ok_or_else(|| Error::Other("the batch workers stopped".into()))?;
            waited += wait.elapsed().as_secs_f64();
            debug_assert_eq!(batch.index, state.step);
            let n = batch.labels.len();
            let x = Tensor::from_vec(batch.planes, [n, SIZE, SIZE, PLANES]).map_err(fovea_nn::Error::from)?;
            let y = Tensor::from_vec_i64(batch.labels, [n]).map_err(fovea_nn::Error::from)?;
            optimizer.set_learning_rate(config.lr_at(state.step))?;
            let step_start = Instant::now();
            let (loss, ok) = fovea_core::on_pool(|| train_step(&net, optimizer.as_mut(), &x, &y))?;
            state.seconds += step_start.elapsed().as_secs_f64();
            if !loss.is_finite() {
                return Err(Error::Other(format!("train go-policy: the loss became {loss} at step {}", state.step)));
            }
            loss_sum += loss * n as f64;
            correct += ok;
            seen += n;
            state.step += 1;
            let rate = seen as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9);
            if let Some(bar) = bar.as_mut() {
                let done = (state.step - epoch * config.epoch_steps) as usize;
                let values =
                    [("loss", loss_sum / seen as f64), ("accuracy", correct as f64 / seen as f64), ("pos_per_s", rate)];
                let _ = bar.update_with(done, &values, false);
            }
            if last_save.elapsed().as_secs_f64() > config.checkpoint_minutes * 60.0 {
                save_run(&ckpt_path, &net, optimizer.as_ref(), &state, &fingerprint)?;
                last_save = Instant::now();
            }
        }
        let (top1, top5, val_loss) = evaluate_positions(&net, &set.heldout, &picks)?;
        let rate = seen as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9);
        let logs = [
            ("loss", loss_sum / seen.max(1) as f64),
            ("accuracy", correct as f64 / seen.max(1) as f64),
            ("val_loss", val_loss),
            ("val_top1", top1),
            ("val_top5", top5),
            ("pos_per_s", rate),
            ("data_wait", waited / epoch_start.elapsed().as_secs_f64().max(1e-9)),
        ];
        if let Some(bar) = bar.as_mut() {
            let _ = bar.update_with((epoch_end - epoch * config.epoch_steps) as usize, &logs, true);
        }
        if config.verbose == 0 {
            let _ = writeln!(log, "step {}: top-1 {top1:.4}, top-5 {top5:.4}", state.step);
        }
        state.history.record(epoch as usize, &logs);
        save_run(&ckpt_path, &net, optimizer.as_ref(), &state, &fingerprint)?;
        last_save = Instant::now();
        save_model(&config.out.join("model.safetensors"), &net, top1)?;
        if state.history.epochs.len() >= 2 {
            plot_history(&state.history, config.out.join("history.png"))?;
        }
        summary = TrainSummary { step: state.step, top1, top5, positions_per_second: rate };
    }
    Ok(summary)
}

/// The weights alone with their architecture (what `fovea gtp` loads).
pub fn save_model(path: &Path, net: &PolicyNet, top1: f64) -> Result<()> {
    let weights = named_weights(net.model());
    let mut metadata = BTreeMap::new();
    metadata.insert("heldout_top1".to_string(), format!("{top1:.4}"));
    let ckpt = Checkpoint { architecture: architecture_json(net.config()), weights, metadata, ..Checkpoint::default() };
    Ok(save_checkpoint(path, &ckpt)?)
}

/// Writes the held-out games as one SGF collection (once per run), so that
/// `fovea go eval OUT/heldout.sgf` measures exactly them.
fn write_heldout(out: &Path, set: &PositionSet) -> Result<()> {
    let path = out.join("heldout.sgf");
    if path.exists() {
        return Ok(());
    }
    let text: String = set.heldout.iter().map(StoredGame::to_sgf).collect();
    let tmp = out.join(".heldout.sgf.tmp");
    std::fs::write(&tmp, text).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_survives_its_text_form() {
        let mut h = History::default();
        h.record(0, &[("loss", 2.5), ("val_top1", 0.25)]);
        h.record(1, &[("loss", 2.0), ("val_top1", 0.3)]);
        let back = history_from_text(&history_to_text(&h));
        assert_eq!(back.epochs, h.epochs);
        assert_eq!(back.history, h.history);
    }

    #[test]
    fn learning_rate_halves_on_schedule() {
        let config = TrainConfig {
            data: vec!["x".into()],
            out: "o".into(),
            resume: false,
            policy: PolicyConfig::default(),
            batch: 16,
            steps: 10,
            epoch_steps: 5,
            optimizer: OptimizerKind::SGD { momentum: 0.0 },
            lr: 0.003,
            lr_halve_every: Some(100),
            seed: 1,
            heldout_games: 1,
            val_positions: 1,
            checkpoint_minutes: 5.0,
            workers: 1,
            selection: Selection::default(),
            verbose: 0,
        };
        assert_eq!(config.lr_at(99), 0.003);
        assert_eq!(config.lr_at(100), 0.0015);
        assert_eq!(config.lr_at(250), 0.00075);
        assert!(config.validate().is_ok());
        assert!(TrainConfig { batch: 0, ..config.clone() }.validate().is_err());
        assert!(TrainConfig { lr: -1.0, ..config }.validate().is_err());
    }
}
