// Test-only module: declared under #[cfg(test)] in plot.rs.
//! The PNG decodes with the documented size and shows both curve colours, whatever
//! the history holds (NaN, infinities, one epoch).

use std::path::PathBuf;

use super::*;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-plot-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn history(rows: &[(&str, &[f64])]) -> History {
    let n = rows.first().map_or(0, |(_, v)| v.len());
    History {
        epochs: (0..n).collect(),
        history: rows.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect(),
        ..History::default()
    }
}

/// Plots to a file and decodes it again.
fn render(test: &str, h: &History) -> image::RgbImage {
    let dir = scratch(test);
    let path = dir.join("history.png");
    plot_history(h, &path).unwrap();
    let img = image::load_from_memory(&std::fs::read(&path).unwrap()).unwrap().to_rgb8();
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("history.png")], "temp file left behind");
    img
}

fn count(img: &image::RgbImage, rgb: [u8; 3], x_range: std::ops::Range<u32>) -> usize {
    img.enumerate_pixels().filter(|(x, _, p)| x_range.contains(x) && p.0 == rgb).count()
}

#[test]
fn one_panel_per_family_with_train_and_val_colours() {
    let h = history(&[
        ("accuracy", &[0.5, 0.7, 0.8, 0.85]),
        ("loss", &[1.2, 0.8, 0.5, 0.4]),
        ("val_accuracy", &[0.45, 0.6, 0.7, 0.72]),
        ("val_loss", &[1.3, 0.9, 0.7, 0.75]),
    ]);
    let img = render("two_panels", &h);
    assert_eq!(img.dimensions(), (2 * PANEL_WIDTH, PANEL_HEIGHT));
    for panel in 0..2 {
        let xs = panel * PANEL_WIDTH..(panel + 1) * PANEL_WIDTH;
        assert!(count(&img, TRAIN_RGB, xs.clone()) > 200, "panel {panel}: train curve missing");
        assert!(count(&img, VAL_RGB, xs.clone()) > 200, "panel {panel}: val curve missing");
        assert!(count(&img, BLACK, xs) > 500, "panel {panel}: axes and labels missing");
    }
}

#[test]
fn families_put_loss_first_and_pair_val_metrics() {
    let h = history(&[("accuracy", &[0.5]), ("loss", &[1.0]), ("val_auc", &[0.7]), ("val_loss", &[1.1])]);
    let f = families(&h);
    let names: Vec<(&str, Option<&str>, Option<&str>)> =
        f.iter().map(|(t, a, b)| (t.as_str(), a.map(|s| s.0), b.map(|s| s.0))).collect();
    assert_eq!(
        names,
        [
            ("loss", Some("loss"), Some("val_loss")),
            ("accuracy", Some("accuracy"), None),
            ("auc", None, Some("val_auc"))
        ]
    );
}

#[test]
fn nan_and_infinite_values_leave_gaps_without_panicking() {
    let nan = f64::NAN;
    let h = history(&[
        ("loss", &[1.0, nan, 0.5, f64::INFINITY, 0.25]),
        ("val_loss", &[nan, nan, nan, nan, nan]),
        ("accuracy", &[nan, nan, nan, nan, nan]),
    ]);
    let img = render("nan", &h);
    assert_eq!(img.dimensions(), (2 * PANEL_WIDTH, PANEL_HEIGHT));
    assert!(count(&img, TRAIN_RGB, 0..PANEL_WIDTH) > 50);
}

#[test]
fn one_epoch_and_flat_series_still_plot_points() {
    let h = history(&[("loss", &[0.3]), ("val_loss", &[0.3])]);
    let img = render("one_epoch", &h);
    assert_eq!(img.dimensions(), (PANEL_WIDTH, PANEL_HEIGHT));
    // Both dots sit on the same spot, so the val dot (drawn last) and the legend show.
    assert!(count(&img, VAL_RGB, 0..PANEL_WIDTH) >= 25);
    assert!(count(&img, TRAIN_RGB, 0..PANEL_WIDTH) >= 16, "train legend swatch missing");
    let big = history(&[("loss", &[1e9, 2e9, -3e9])]);
    render("big_values", &big);
}

#[test]
fn empty_or_ragged_histories_are_errors() {
    let dir = scratch("errors");
    let e = plot_history(&History::default(), dir.join("a.png")).unwrap_err();
    assert!(e.to_string().contains("nothing to plot"), "{e}");
    let mut h = history(&[("loss", &[1.0, 2.0])]);
    h.epochs.push(2);
    let e = plot_history(&h, dir.join("b.png")).unwrap_err();
    assert!(e.to_string().contains("metric 'loss' has 2 values for 3 epochs"), "{e}");
}

#[test]
fn ticks_are_round_numbers() {
    assert_eq!(nice_step(0.17), 0.2);
    assert_eq!(nice_step(3.0), 5.0);
    assert_eq!(nice_step(0.0), 1.0);
    assert_eq!(format_tick(-0.0001, 2), "0.00");
    assert_eq!(format_tick(0.25, 2), "0.25");
    assert_eq!(padded_range(f64::INFINITY, f64::NEG_INFINITY), (0.0, 1.0));
    assert_eq!(padded_range(2.0, 2.0), (1.5, 2.5));
}

#[test]
fn font_covers_digits_letters_and_punctuation_distinctly() {
    let chars: Vec<char> = ('0'..='9').chain('A'..='Z').chain(['.', '-', '_', '+']).collect();
    let unknown = glyph('#');
    for (i, a) in chars.iter().enumerate() {
        assert_ne!(glyph(*a), unknown, "{a} falls back to '?'");
        assert!(glyph(*a).iter().all(|row| row >> 5 == 0), "{a} is wider than 5 columns");
        for b in &chars[i + 1..] {
            assert_ne!(glyph(*a), glyph(*b), "{a} and {b} look alike");
        }
    }
    assert_eq!(glyph('x'), glyph('X'));
}
