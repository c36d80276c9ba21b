//! Keras's `History`: the per-epoch values that `fit` returns.

use std::collections::BTreeMap;

/// What `fit` recorded, epoch by epoch: Keras's `history.epoch` and `history.history`.
///
/// `history` maps a name (`loss`, `accuracy`, `val_loss`, `val_accuracy`, ...) to one
/// value per entry of `epochs`; a metric missing in some epoch holds NaN there, so all
/// series stay aligned with `epochs`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Epoch indices (Keras counts from 0; a resumed run starts at `initial_epoch`).
    pub epochs: Vec<usize>,
    /// Values per log name (`loss`, metrics, `val_`-prefixed validation results,
    /// `learning_rate` when ReduceLROnPlateau is used), aligned with `epochs`.
    pub history: BTreeMap<String, Vec<f64>>,
    /// What callbacks warned about during the run, in order (also printed to stderr):
    /// a monitored quantity missing from an epoch's logs, for example.
    pub warnings: Vec<String>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one epoch's logs. Metrics seen for the first time are back-filled with NaN
    /// for earlier epochs, and metrics absent from `logs` get NaN for this one.
    pub fn record(&mut self, epoch: usize, logs: &[(&str, f64)]) {
        let n = self.epochs.len();
        self.epochs.push(epoch);
        for (name, value) in logs {
            let series = self.history.entry((*name).to_string()).or_insert_with(|| vec![f64::NAN; n]);
            series.push(*value);
        }
        for series in self.history.values_mut() {
            series.resize(n + 1, f64::NAN);
        }
    }

    /// The values of `name`, if recorded.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.history.get(name).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keeps_series_aligned_with_epochs() {
        let mut h = History::new();
        h.record(0, &[("loss", 1.0)]);
        h.record(1, &[("loss", 0.5), ("val_loss", 0.7)]);
        h.record(2, &[("val_loss", 0.6)]);
        assert_eq!(h.epochs, vec![0, 1, 2]);
        let loss = h.get("loss").unwrap();
        assert_eq!(&loss[..2], &[1.0, 0.5]);
        assert!(loss[2].is_nan());
        let val = h.get("val_loss").unwrap();
        assert!(val[0].is_nan());
        assert_eq!(&val[1..], &[0.7, 0.6]);
    }
}
