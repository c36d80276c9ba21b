//! ReduceLROnPlateau, EarlyStopping and CSVLogger driven epoch by epoch with scripted
//! logs, against the sequences the real Keras 3 callbacks produce
//! (tools/golden/callbacks.py -> fixtures/training_callbacks.json).

mod training_support;

use fovea_nn::training::{
    Callback, CsvLogger, EarlyStopping, EarlyStoppingConfig, Logs, MonitorMode, ReduceLROnPlateau,
    ReduceLROnPlateauConfig, TrainingControl,
};
use serde_json::Value;
use training_support::*;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/training_callbacks.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn mode(cfg: &Value) -> MonitorMode {
    match cfg["mode"].as_str() {
        Some("max") => MonitorMode::Max,
        Some("min") => MonitorMode::Min,
        _ => MonitorMode::Auto,
    }
}

fn f(cfg: &Value, key: &str, default: f64) -> f64 {
    cfg[key].as_f64().unwrap_or(default)
}

fn u(cfg: &Value, key: &str, default: usize) -> usize {
    cfg[key].as_u64().map_or(default, |v| v as usize)
}

#[test]
fn reduce_lr_on_plateau_matches_keras_sequences() {
    let fx = fixture();
    let cases = fx["reduce_lr_on_plateau"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    let model = linear_model(0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cfg = &case["config"];
        let d = ReduceLROnPlateauConfig::default();
        let config = ReduceLROnPlateauConfig {
            monitor: cfg["monitor"].as_str().unwrap_or("val_loss").to_string(),
            factor: f(cfg, "factor", d.factor),
            patience: u(cfg, "patience", d.patience),
            mode: mode(cfg),
            min_delta: f(cfg, "min_delta", d.min_delta),
            cooldown: u(cfg, "cooldown", d.cooldown),
            min_lr: f(cfg, "min_lr", d.min_lr),
            ..d
        };
        // The AlexNet case is pinned with mode="max"; auto must agree for val_accuracy.
        let mut modes = vec![config.mode];
        if config.monitor == "val_accuracy" {
            modes.push(MonitorMode::Auto);
        }
        for m in modes {
            let mut opt = PlainSgd::new(case["lr"].as_f64().unwrap() as f32);
            let mut ctl = TrainingControl::new(&model, &mut opt);
            let mut cb = ReduceLROnPlateau::new(ReduceLROnPlateauConfig { mode: m, ..config.clone() }).unwrap();
            cb.on_train_begin(&mut ctl).unwrap();
            for (epoch, v) in case["values"].as_array().unwrap().iter().enumerate() {
                let mut logs = Logs::from([("loss".to_string(), 1.0)]);
                if let Some(v) = v.as_f64() {
                    logs.insert(config.monitor.clone(), v);
                }
                cb.on_epoch_end(epoch, &mut logs, &mut ctl).unwrap();
                // Rates are float32 values (Keras's variable); serde_json's default parser
                // may misround the last f64 bit, so compare in f32.
                let logged = logs["learning_rate"];
                assert_eq!(logged, logged as f32 as f64);
                assert_eq!(
                    logged as f32,
                    case["logged"][epoch].as_f64().unwrap() as f32,
                    "{name} epoch {epoch} logged"
                );
                assert_eq!(
                    ctl.learning_rate(),
                    case["lr_after"][epoch].as_f64().unwrap() as f32,
                    "{name} ({m:?}) epoch {epoch}"
                );
            }
        }
    }
}

#[test]
fn reduce_lr_on_plateau_rejects_factor_of_one() {
    let err = ReduceLROnPlateau::new(ReduceLROnPlateauConfig { factor: 1.0, ..Default::default() });
    let msg = err.err().unwrap().to_string();
    assert!(msg.contains("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1"), "{msg}");
}

#[test]
fn early_stopping_matches_keras_stop_epochs() {
    let fx = fixture();
    let cases = fx["early_stopping"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    let model = linear_model(0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cfg = &case["config"];
        let config = EarlyStoppingConfig {
            monitor: cfg["monitor"].as_str().unwrap_or("val_loss").to_string(),
            min_delta: f(cfg, "min_delta", 0.0),
            patience: u(cfg, "patience", 0),
            mode: mode(cfg),
            baseline: cfg["baseline"].as_f64(),
            start_from_epoch: u(cfg, "start_from_epoch", 0),
            ..Default::default()
        };
        let mut opt = PlainSgd::new(0.01);
        let mut ctl = TrainingControl::new(&model, &mut opt);
        let mut cb = EarlyStopping::new(config.clone()).unwrap();
        cb.on_train_begin(&mut ctl).unwrap();
        let mut stop_at = None;
        for (epoch, v) in case["values"].as_array().unwrap().iter().enumerate() {
            let mut logs = Logs::from([(config.monitor.clone(), v.as_f64().unwrap())]);
            cb.on_epoch_end(epoch, &mut logs, &mut ctl).unwrap();
            if ctl.should_stop() {
                stop_at = Some(epoch);
                break;
            }
        }
        assert_eq!(stop_at, case["stop_at"].as_u64().map(|v| v as usize), "{name}");
        assert_eq!(cb.best_epoch, case["best_epoch"].as_u64().unwrap() as usize, "{name}");
        assert_eq!(cb.stopped_epoch, case["stopped_epoch"].as_u64().unwrap() as usize, "{name}");
    }
}

#[test]
fn auto_mode_without_a_known_direction_is_an_error() {
    let model = linear_model(0);
    let mut opt = PlainSgd::new(0.01);
    let mut ctl = TrainingControl::new(&model, &mut opt);
    let mut cb =
        EarlyStopping::new(EarlyStoppingConfig { monitor: "val_widgets".into(), ..Default::default() }).unwrap();
    cb.on_train_begin(&mut ctl).unwrap();
    let mut logs = Logs::from([("val_widgets".to_string(), 1.0)]);
    let msg = cb.on_epoch_end(0, &mut logs, &mut ctl).unwrap_err().to_string();
    assert!(msg.contains("monitor=val_widgets") && msg.contains("maximized or minimized"), "{msg}");
}

#[test]
fn csv_logger_text_matches_keras() {
    let fx = fixture();
    let cases = fx["csv_logger"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    let model = linear_model(0);
    let dir = std::env::temp_dir().join(format!("fovea_csv_golden_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let path = dir.join(format!("{name}.csv"));
        let _ = std::fs::remove_file(&path);
        let runs = case["append_runs"].as_u64().unwrap();
        for _ in 0..runs {
            let sep = case["separator"].as_str().unwrap().chars().next().unwrap();
            let mut cb = CsvLogger::new(&path).separator(sep).append(runs > 1);
            let mut opt = PlainSgd::new(0.01);
            let mut ctl = TrainingControl::new(&model, &mut opt);
            cb.on_train_begin(&mut ctl).unwrap();
            for (epoch, logs) in case["logs"].as_array().unwrap().iter().enumerate() {
                let mut logs: Logs =
                    logs.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap())).collect();
                cb.on_epoch_end(epoch, &mut logs, &mut ctl).unwrap();
            }
            cb.on_train_end(&mut ctl).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), case["text"].as_str().unwrap(), "{name}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
