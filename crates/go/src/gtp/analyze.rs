//! The player's move probabilities as GoGui analyze responses (GoGui's manual,
//! "Analyze Commands"; Sabaki reads the same `gogui-analyze_commands`).
//!
//! Probabilities arrive as `size * size` values indexed `y * size + x`, rows from the
//! top. Board-shaped responses (`cboard`, `sboard`) are printed rows from the top with
//! `""` for an empty point, as GoGui's string-board parser expects.

use crate::{Color, Vertex};

/// `gogui-analyze_commands`: `type/label/command`, `%c` being the colour GoGui picks.
pub(super) const ANALYZE_COMMANDS: &[&str] = &[
    "gfx/Policy heat map/fovea-policy_heatmap %c",
    "cboard/Policy colours/fovea-policy_colors %c",
    "sboard/Policy percent/fovea-policy_percent %c",
    "hstring/Policy top moves/policy_top 10 %c",
];

/// Points under this share of the best move's probability are left blank, so the map
/// shows where the network looks, not a grey haze of 0.0001s.
const SHOWN: f32 = 0.01;

/// The probability at `v`, with anything not finite or negative as 0.
fn prob(probs: &[f32], size: usize, v: Vertex) -> f32 {
    let p = probs.get(v.y as usize * size + v.x as usize).copied().unwrap_or(0.0);
    if p.is_finite() && p > 0.0 {
        p
    } else {
        0.0
    }
}

fn vertices(size: usize) -> impl Iterator<Item = Vertex> {
    (0..size).flat_map(move |y| (0..size).map(move |x| Vertex::new(x, y)))
}

fn best(probs: &[f32], size: usize) -> Option<(Vertex, f32)> {
    vertices(size).map(|v| (v, prob(probs, size, v))).filter(|&(_, p)| p > 0.0).fold(None, |b, (v, p)| match b {
        Some((_, q)) if q >= p => b,
        _ => Some((v, p)),
    })
}

/// GoGui `gfx`: an INFLUENCE square on every shown point, sized by its probability
/// relative to the best (black squares for black's moves, white for white's), a
/// LABEL with the percentage on points of 1% or more, and a TEXT line naming the best.
pub(super) fn gfx(probs: &[f32], size: usize, color: Color) -> String {
    let Some((top, max)) = best(probs, size) else {
        return "TEXT no move has any probability".into();
    };
    let sign = if color == Color::Black { 1.0 } else { -1.0 };
    let mut influence = String::from("INFLUENCE");
    let mut label = String::from("LABEL");
    for v in vertices(size) {
        let p = prob(probs, size, v);
        if p >= SHOWN * max {
            influence.push_str(&format!(" {} {:.3}", v.to_gtp(size), sign * p / max));
        }
        if p >= 0.01 {
            label.push_str(&format!(" {} {}", v.to_gtp(size), (p * 100.0).round()));
        }
    }
    let mut out = influence;
    if label != "LABEL" {
        out.push('\n');
        out.push_str(&label);
    }
    out.push_str(&format!("\nTEXT {color} best {} {:.1}%", top.to_gtp(size), max * 100.0));
    out
}

/// GoGui `cboard`: a colour per shown point, from blue (rare) through purple to red
/// (the best move), on the square root of the relative probability so that the
/// second-tier moves still show.
pub(super) fn cboard(probs: &[f32], size: usize) -> String {
    let max = best(probs, size).map_or(0.0, |b| b.1);
    board(size, |v| {
        let p = prob(probs, size, v);
        if max == 0.0 || p < SHOWN * max {
            return "\"\"".into();
        }
        let t = (p / max).sqrt();
        format!("#{:02x}{:02x}{:02x}", (255.0 * t).round() as u8, 40, (255.0 * (1.0 - t)).round() as u8)
    })
}

/// GoGui `sboard`: the whole-number percentage on points of 1% or more.
pub(super) fn sboard(probs: &[f32], size: usize) -> String {
    board(size, |v| {
        let p = prob(probs, size, v);
        if p >= 0.01 {
            format!("{}", (p * 100.0).round())
        } else {
            "\"\"".into()
        }
    })
}

fn board(size: usize, mut cell: impl FnMut(Vertex) -> String) -> String {
    let mut out = String::new();
    for y in 0..size {
        let row: Vec<String> = (0..size).map(|x| cell(Vertex::new(x, y))).collect();
        out.push('\n');
        out.push_str(&row.join(" "));
    }
    out
}

/// `policy_top N`: the `n` most probable of `candidates`, one `VERTEX 0.xxxx` line each,
/// best first (ties in board order).
pub(super) fn top_lines(probs: &[f32], size: usize, candidates: &[Vertex], n: usize) -> String {
    let mut ranked: Vec<(Vertex, f32)> = candidates.iter().map(|&v| (v, prob(probs, size, v))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.iter().take(n).map(|(v, p)| format!("{} {p:.4}", v.to_gtp(size))).collect::<Vec<_>>().join("\n")
}
