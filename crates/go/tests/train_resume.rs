//! A training run stopped and resumed from its checkpoint ends with the same weights,
//! bit for bit, as one that ran straight through.

use std::path::{Path, PathBuf};

use fovea_go::playout::PlayoutRng;
use fovea_go::policy::PolicyNet;
use fovea_go::sgf::GameRecord;
use fovea_go::train::{train, OptimizerKind, Selection, TrainConfig};
use fovea_go::{Board, Color, Move};
use fovea_zoo::go::PolicyConfig;

/// `n` random legal 19x19 games of 70 moves, as one SGF collection.
fn random_games(dir: &Path, n: usize) -> PathBuf {
    let mut rng = PlayoutRng::new(5);
    let mut text = String::new();
    for _ in 0..n {
        let mut board = Board::new(19).unwrap();
        let mut record = GameRecord::new(19);
        let mut color = Color::Black;
        while record.moves.len() < 70 {
            let empties = board.empty_points().to_vec();
            let p = empties[rng.below(empties.len())] as usize;
            if board.is_legal(color, p) {
                let mv = Move::Play(board.vertex(p));
                board.play(color, mv).unwrap();
                record.moves.push((color, mv));
                color = color.opponent();
            }
        }
        text.push_str(&record.to_sgf());
    }
    let path = dir.join("games.sgf");
    std::fs::write(&path, text).unwrap();
    path
}

fn config(data: PathBuf, out: PathBuf, steps: u64) -> TrainConfig {
    TrainConfig {
        data: vec![data],
        out,
        resume: true,
        policy: PolicyConfig { filters: 4, layers: 2, ..PolicyConfig::default() },
        batch: 4,
        steps,
        epoch_steps: 3,
        optimizer: OptimizerKind::Adam,
        lr: 0.001,
        lr_halve_every: Some(4),
        seed: 7,
        heldout_games: 2,
        val_positions: 20,
        checkpoint_minutes: 60.0,
        workers: 2,
        selection: Selection { min_moves: 50, ..Selection::default() },
        verbose: 0,
    }
}

fn weights(path: &Path) -> Vec<Vec<f32>> {
    let net = PolicyNet::load(path).unwrap();
    net.model().get_weights().unwrap().iter().map(|t| t.to_vec_f32().unwrap()).collect()
}

#[test]
fn resumed_run_matches_an_uninterrupted_one_bitwise() {
    let dir = std::env::temp_dir().join(format!("fovea-go-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = random_games(&dir, 8);
    let mut log = Vec::new();
    let straight = train(&config(data.clone(), dir.join("straight"), 9), &mut log).unwrap();
    assert_eq!(straight.step, 9);
    // Stopped after the first epoch's checkpoint (step 3), then resumed twice.
    train(&config(data.clone(), dir.join("split"), 3), &mut log).unwrap();
    train(&config(data.clone(), dir.join("split"), 6), &mut log).unwrap();
    let resumed = train(&config(data.clone(), dir.join("split"), 9), &mut log).unwrap();
    assert_eq!(resumed.step, 9);
    let a = weights(&dir.join("straight/checkpoint.safetensors"));
    let b = weights(&dir.join("split/checkpoint.safetensors"));
    assert_eq!(a, b, "resumed weights differ");
    assert_eq!(straight.top1, resumed.top1);
    let log = String::from_utf8(log).unwrap();
    assert!(log.contains("resuming"), "{log}");
    assert!(dir.join("split/heldout.sgf").exists() && dir.join("split/model.safetensors").exists());
    // A resume with other options is refused, naming them.
    let mut other = config(data, dir.join("split"), 12);
    other.batch = 8;
    let err = train(&other, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("batch=4") && err.contains("batch=8"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
