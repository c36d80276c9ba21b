//! `fit`'s printed progress: Keras's `ProgbarLogger` (epoch headers, one Progbar per
//! epoch over its batches), captured through `FitOptions::output`.

mod training_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use fovea_nn::training::{FitOptions, FitOutput, History};
use training_support::*;

/// A writer whose bytes the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Fits 16 samples (12 for training in batches of 8: two steps, 4 for validation).
fn run(verbose: u8, epochs: usize, dynamic: bool) -> (String, History) {
    let (x, y) = linear_data(16, 1);
    let mut m = compiled(linear_model(0), 0.05);
    let sink = Captured::default();
    let options = FitOptions {
        epochs,
        batch_size: 8,
        validation_split: 0.25,
        verbose,
        seed: 3,
        output: FitOutput::writer(sink.clone(), dynamic),
        ..FitOptions::default()
    };
    let h = m.fit(&x, &y, &options, &mut []).unwrap();
    (sink.text(), h)
}

/// Python's `f"{v:.4f}"` for the values these runs produce (all above 1e-3).
fn keras_value(v: f64) -> String {
    assert!(v.abs() > 1e-3);
    format!("{v:.4}")
}

/// The metric part Keras prints: ` - loss: 1.2345 - mean_absolute_error: ...`, training
/// logs first, then validation.
fn metrics_text(h: &History, epoch: usize) -> String {
    ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]
        .iter()
        .map(|k| format!(" - {k}: {}", keras_value(h.history[*k][epoch])))
        .collect()
}

/// `12s`, `3ms/step` style: digits then the given suffix.
fn is_time(s: &str, units: &[&str]) -> bool {
    units.iter().any(|u| s.strip_suffix(u).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())))
}

#[test]
fn verbose_1_prints_headers_and_one_final_bar_line_per_epoch_off_terminal() {
    let (text, h) = run(1, 2, false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text:?}");
    assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    for epoch in 0..2 {
        assert_eq!(lines[2 * epoch], format!("Epoch {}/2", epoch + 1));
        // `2/2 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 1.2345 - ...`
        let line = lines[2 * epoch + 1];
        let rest = line.strip_prefix(&format!("2/2 {} ", "━".repeat(20))).unwrap_or_else(|| panic!("{line:?}"));
        let (elapsed, rest) = rest.split_once(' ').unwrap();
        assert!(is_time(elapsed, &["s"]), "{line:?}");
        let (per_step, metrics) = rest.split_once(" - ").unwrap();
        assert!(is_time(per_step, &["us/step", "ms/step", "s/step"]), "{line:?}");
        assert_eq!(format!(" - {metrics}"), metrics_text(&h, epoch), "{line:?}");
    }
}

#[test]
fn verbose_2_prints_keras_one_line_summaries() {
    let (text, h) = run(2, 2, false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text:?}");
    for epoch in 0..2 {
        assert_eq!(lines[2 * epoch], format!("Epoch {}/2", epoch + 1));
        // `2/2 - 0s - 3ms/step - loss: 1.2345 - ...`
        let line = lines[2 * epoch + 1];
        let parts: Vec<&str> = line.splitn(4, " - ").collect();
        assert_eq!(parts[0], "2/2", "{line:?}");
        assert!(is_time(parts[1], &["s"]), "{line:?}");
        assert!(is_time(parts[2], &["us/step", "ms/step", "s/step"]), "{line:?}");
        assert_eq!(format!(" - {}", parts[3]), metrics_text(&h, epoch), "{line:?}");
    }
}

#[test]
fn single_epoch_has_no_header_and_verbose_0_prints_nothing() {
    let (text, _) = run(1, 1, false);
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert!(text.starts_with("2/2 "), "{text:?}");
    assert_eq!(run(0, 2, false).0, "");
    // Keras's ProgbarLogger prints headers for any truthy verbose, the bar only for 1 and 2.
    assert_eq!(run(3, 2, false).0, "Epoch 1/2\nEpoch 2/2\n");
}

#[test]
fn terminal_sinks_redraw_in_place_and_end_each_epoch_with_a_newline() {
    let (text, h) = run(1, 2, true);
    let epochs: Vec<&str> = text.split("Epoch ").filter(|s| !s.is_empty()).collect();
    assert_eq!(epochs.len(), 2, "{text:?}");
    for (epoch, chunk) in epochs.iter().enumerate() {
        assert!(chunk.starts_with(&format!("{}/2\n\r", epoch + 1)), "{chunk:?}");
        assert!(chunk.ends_with('\n') && chunk.matches('\n').count() == 2, "{chunk:?}");
        let last = chunk.rsplit('\r').next().unwrap();
        assert!(last.contains("\x1b[1m2/2\x1b[0m "), "{last:?}");
        // Trailing spaces may pad over a longer earlier draw.
        assert!(last.trim_end().ends_with(&metrics_text(&h, epoch)), "{last:?}");
    }
}
