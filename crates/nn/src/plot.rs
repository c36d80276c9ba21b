//! Training curves as a PNG: one panel per metric family (`loss` with `val_loss`,
//! `accuracy` with `val_accuracy`, ...), drawn with a built-in 5x7 bitmap font so no
//! font files or plotting libraries are needed.

use std::collections::BTreeMap;
use std::path::Path;

mod canvas;

#[cfg(test)]
use canvas::glyph;
use canvas::text_width;
pub use canvas::Canvas;

use crate::atomic::io_error;
use crate::{History, Result};

/// Width of one panel in pixels.
pub const PANEL_WIDTH: u32 = 400;
/// Height of the image in pixels.
pub const PANEL_HEIGHT: u32 = 300;
/// Colour of training curves (matplotlib's first colour, as Keras examples show them).
pub const TRAIN_RGB: [u8; 3] = [31, 119, 180];
/// Colour of validation curves (matplotlib's second colour).
pub const VAL_RGB: [u8; 3] = [255, 127, 14];

const WHITE: [u8; 3] = [255, 255, 255];
const BLACK: [u8; 3] = [0, 0, 0];
const GRID: [u8; 3] = [225, 225, 225];
const LEFT: i64 = 64;
const RIGHT: i64 = 14;
const TOP: i64 = 30;
const BOTTOM: i64 = 40;

/// Writes `history` as a PNG to `path` (atomically: temp file, then rename).
///
/// # Layout
/// One panel per family, `loss` first, then the other metrics in name order; a metric
/// `m` and `val_m` share a panel (train in [`TRAIN_RGB`], validation in [`VAL_RGB`]).
/// The image is `PANEL_WIDTH * families` by [`PANEL_HEIGHT`] pixels. NaN and infinite
/// values leave gaps in the curves; every finite value is also marked with a dot, so a
/// one-epoch history still shows its points.
pub fn plot_history(history: &History, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let n = history.epochs.len();
    for (name, values) in &history.history {
        if values.len() != n {
            return Err(io_error(path, format!("metric '{name}' has {} values for {n} epochs", values.len())));
        }
    }
    let families = families(history);
    if families.is_empty() || n == 0 {
        return Err(io_error(path, "the history has no epochs or no metrics: nothing to plot"));
    }
    let mut canvas = Canvas::new(PANEL_WIDTH * families.len() as u32, PANEL_HEIGHT);
    for (i, (title, train, val)) in families.iter().enumerate() {
        let x0 = i as i64 * PANEL_WIDTH as i64;
        draw_panel(&mut canvas, x0, title, &history.epochs, [*train, *val]);
    }
    canvas.save_png(path)
}

type Series<'a> = Option<(&'a str, &'a [f64])>;

/// `(title, train, val)` per panel: `loss` first, then by name.
fn families(history: &History) -> Vec<(String, Series<'_>, Series<'_>)> {
    let mut map: BTreeMap<&str, (Series, Series)> = BTreeMap::new();
    for (name, values) in &history.history {
        match name.strip_prefix("val_") {
            Some(base) => map.entry(base).or_default().1 = Some((name.as_str(), values.as_slice())),
            None => map.entry(name.as_str()).or_default().0 = Some((name.as_str(), values.as_slice())),
        }
    }
    let mut out: Vec<_> = map.into_iter().map(|(k, (t, v))| (k.to_string(), t, v)).collect();
    out.sort_by_key(|(k, _, _)| k != "loss");
    out
}

fn draw_panel(c: &mut Canvas, x0: i64, title: &str, epochs: &[usize], series: [Series; 2]) {
    let (left, right) = (x0 + LEFT, x0 + PANEL_WIDTH as i64 - RIGHT);
    let (top, bottom) = (TOP, PANEL_HEIGHT as i64 - BOTTOM);
    let finite = series.iter().flatten().flat_map(|(_, v)| v.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = padded_range(lo, hi);
    let e_lo = epochs.iter().copied().min().unwrap_or(0) as f64;
    let e_hi = epochs.iter().copied().max().unwrap_or(0) as f64;
    let (e_lo, e_hi) = if e_hi > e_lo { (e_lo, e_hi) } else { (e_lo - 1.0, e_hi + 1.0) };
    let px = |e: f64| left + ((e - e_lo) / (e_hi - e_lo) * (right - left) as f64).round() as i64;
    let py = |v: f64| bottom - ((v - lo) / (hi - lo) * (bottom - top) as f64).round() as i64;

    // Grid and tick labels first, so curves draw over them.
    let y_step = nice_step((hi - lo) / 6.0);
    let decimals = (-y_step.log10().floor()).clamp(0.0, 8.0) as usize;
    let mut v = (lo / y_step).ceil() * y_step;
    while v <= hi + y_step * 1e-9 {
        let y = py(v);
        c.hline(left, right, y, GRID);
        c.hline(left - 4, left, y, BLACK);
        let label = format_tick(v, decimals);
        c.text(left - 7 - text_width(&label, 1), y - 3, &label, 1, BLACK);
        v += y_step;
    }
    let x_step = nice_step((e_hi - e_lo) / 6.0).max(1.0);
    let mut e = (e_lo / x_step).ceil() * x_step;
    while e <= e_hi + 1e-9 {
        let x = px(e);
        c.vline(x, top, bottom, GRID);
        c.vline(x, bottom, bottom + 4, BLACK);
        let label = format!("{e:.0}");
        c.text(x - text_width(&label, 1) / 2, bottom + 8, &label, 1, BLACK);
        e += x_step;
    }
    c.hline(left, right, bottom, BLACK);
    c.vline(left, top, bottom, BLACK);
    c.text((left + right) / 2 - text_width("epoch", 1) / 2, bottom + 22, "epoch", 1, BLACK);
    c.text((left + right) / 2 - text_width(title, 2) / 2, 8, title, 2, BLACK);

    for (s, colour) in series.iter().zip([TRAIN_RGB, VAL_RGB]) {
        let Some((_, values)) = s else { continue };
        let points: Vec<Option<(i64, i64)>> =
            epochs.iter().zip(values.iter()).map(|(&e, &v)| v.is_finite().then(|| (px(e as f64), py(v)))).collect();
        for pair in points.windows(2) {
            if let [Some(a), Some(b)] = pair {
                c.line(*a, *b, colour);
            }
        }
        for &(x, y) in points.iter().flatten() {
            c.rect(x - 2, y - 2, 5, 5, colour);
        }
    }

    // Legend: one row per curve, in whichever corner of the plot area covers the
    // fewest data points.
    let names: Vec<(&str, [u8; 3])> =
        series.iter().zip([TRAIN_RGB, VAL_RGB]).filter_map(|(s, c)| s.map(|(n, _)| (n, c))).collect();
    let box_w = names.iter().map(|(n, _)| text_width(n, 1)).max().unwrap_or(0) + 32;
    let box_h = names.len() as i64 * 14 + 4;
    let corners = [
        (right - box_w - 4, top + 4),
        (right - box_w - 4, bottom - box_h - 4),
        (left + 6, top + 4),
        (left + 6, bottom - box_h - 4),
    ];
    let covered = |&(bx, by): &(i64, i64)| {
        series
            .iter()
            .flatten()
            .flat_map(|(_, v)| epochs.iter().zip(v.iter()))
            .filter(|(_, v)| v.is_finite())
            .filter(|&(&e, &v)| {
                let (x, y) = (px(e as f64), py(v));
                x >= bx - 3 && x <= bx + box_w + 3 && y >= by - 3 && y <= by + box_h + 3
            })
            .count()
    };
    let (bx, by) = corners.iter().copied().min_by_key(covered).unwrap_or(corners[0]);
    c.rect(bx, by, box_w, box_h, WHITE);
    for (i, (name, colour)) in names.iter().enumerate() {
        let y = by + 4 + i as i64 * 14;
        c.rect(bx + 4, y + 2, 16, 3, *colour);
        c.text(bx + 26, y, name, 1, BLACK);
    }
}

/// The y range with 5% headroom; a flat or empty series gets a unit-sized range.
fn padded_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi - lo < f64::EPSILON * hi.abs().max(1.0) {
        let pad = (lo.abs() * 0.1).max(0.5);
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(10.0 * mag)
}

fn format_tick(v: f64, decimals: usize) -> String {
    if v.abs() >= 1e5 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.decimals$}");
    // "-0.00" reads as a bug on an axis.
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests;
