//! Keras 3's `model.summary()` text, reproduced cell for cell: the same box-drawing
//! table rich draws (88 columns for sequential-like models, 108 with "Connected to"),
//! the same shape and number formats, the same word wrapping in narrow cells.

use super::{Model, ModelKind, NodeOp};
use crate::ShapeSpec;

/// Keras's `format_shape`: `(None, 55, 55, 96)`, and `(None)` for rank 1 (no comma).
fn format_shape(s: &ShapeSpec) -> String {
    let parts: Vec<String> = s.dims().iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    format!("({})", parts.join(", "))
}

/// Several outputs print as a list: `[(None, 5), (None, 5)]`.
fn format_outputs(specs: &[ShapeSpec]) -> String {
    match specs {
        [one] => format_shape(one),
        many => format!("[{}]", many.iter().map(format_shape).collect::<Vec<_>>().join(", ")),
    }
}

/// `1234567` -> `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Keras's `readable_memory_size`: divide by 1024 until below it, two decimals.
fn readable_memory(bytes: usize) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut size = bytes as f64;
    for unit in units {
        if size / 1024.0 < 1.0 {
            return format!("{size:.2} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.2} PB")
}

/// Greedy word wrap into lines of at most `width` chars; a word longer than the width
/// is folded, as rich does.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        let len = |l: &String| l.chars().count();
        if !line.is_empty() && len(&line) + 1 + word.len() <= width {
            line.push(' ');
            line.extend(word.iter());
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line = word.into_iter().collect();
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

struct Row {
    cells: Vec<String>,
}

/// Whether Keras would print the model without a "Connected to" column: a single chain
/// from one input, every layer called once on one tensor.
fn sequential_like(m: &Model) -> bool {
    if m.kind == ModelKind::Sequential {
        return true;
    }
    if m.inputs.len() != 1 {
        return false;
    }
    let mut consumers = vec![0usize; m.nodes.len()];
    for n in &m.nodes {
        if let NodeOp::Call { call, .. } = n.op {
            if call > 0 || n.inputs.len() != 1 {
                return false;
            }
        }
        for t in &n.inputs {
            consumers[t.node] += 1;
        }
    }
    consumers.iter().all(|&c| c <= 1)
}

/// The name shown for the producer of a node's tensor (input or layer).
fn source_name(m: &Model, node: usize) -> (String, usize) {
    match m.nodes[node].op {
        NodeOp::Input(i) => (m.inputs[i].name.clone(), 0),
        NodeOp::Call { layer, call } => (m.layers[layer].name().to_string(), call),
    }
}

pub(crate) fn render(m: &Model) -> String {
    let seq = sequential_like(m);
    let (line_length, positions): (usize, &[f64]) =
        if seq { (88, &[0.45, 0.80, 1.0]) } else { (108, &[0.3, 0.56, 0.74, 1.0]) };
    // rich draws each column as its width plus one padding space either side; the
    // borders take one character each. Keras hands rich these widths.
    let mut widths = Vec::new();
    let mut current = 0usize;
    for p in positions {
        let w = (p * line_length as f64) as usize - current;
        widths.push(w);
        current += w;
    }
    let widths = fit_columns(&widths, line_length);

    let mut header = vec!["Layer (type)".to_string(), "Output Shape".into(), "Param #".into()];
    if !seq {
        header.push("Connected to".into());
    }
    let mut rows = Vec::new();
    for n in &m.nodes {
        let (name, class, outputs, params, layer_index) = match n.op {
            NodeOp::Input(i) => {
                if m.kind == ModelKind::Sequential {
                    continue;
                }
                (m.inputs[i].name.clone(), "InputLayer", n.outputs.clone(), 0, None)
            }
            NodeOp::Call { layer, call } => {
                if call > 0 {
                    continue;
                }
                let l = &m.layers[layer];
                let params = l.weights().iter().map(|w| w.numel()).sum();
                (l.name().to_string(), l.class_name(), n.outputs.clone(), params, Some(layer))
            }
        };
        let mut cells = vec![format!("{name} ({class})"), format_outputs(&outputs), thousands(params)];
        if !seq {
            let mut conns = Vec::new();
            if let Some(li) = layer_index {
                for node in m.nodes.iter().filter(|x| matches!(x.op, NodeOp::Call { layer, .. } if layer == li)) {
                    for t in &node.inputs {
                        let (src, call) = source_name(m, t.node);
                        conns.push(format!("{src}[{call}][{}]", t.index));
                    }
                }
            }
            cells.push(if conns.is_empty() { "-".into() } else { conns.join(", ") });
        }
        rows.push(Row { cells });
    }

    let right = |i: usize| i == 2;
    let rule = |l: char, mid: char, r: char, fill: char| {
        let mut s = String::new();
        s.push(l);
        for (i, w) in widths.iter().enumerate() {
            s.extend(std::iter::repeat_n(fill, w + 2));
            s.push(if i + 1 == widths.len() { r } else { mid });
        }
        s
    };
    let line = |cells: &[String], sep: char, out: &mut Vec<String>| {
        let wrapped: Vec<Vec<String>> = cells.iter().zip(&widths).map(|(c, &w)| wrap(c, w)).collect();
        let height = wrapped.iter().map(|c| c.len()).max().unwrap_or(1);
        for k in 0..height {
            let mut s = String::new();
            s.push(sep);
            for (i, (cell, &w)) in wrapped.iter().zip(&widths).enumerate() {
                let text = cell.get(k).map(String::as_str).unwrap_or("");
                let pad = w.saturating_sub(text.chars().count());
                if right(i) {
                    s.push_str(&format!(" {}{} ", " ".repeat(pad), text));
                } else {
                    s.push_str(&format!(" {}{} ", text, " ".repeat(pad)));
                }
                s.push(sep);
            }
            out.push(s);
        }
    };

    let mut out = vec![format!("Model: \"{}\"", m.name)];
    out.push(rule('┏', '┳', '┓', '━'));
    line(&header, '┃', &mut out);
    out.push(rule('┡', '╇', '┩', '━'));
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(rule('├', '┼', '┤', '─'));
        }
        line(&r.cells, '│', &mut out);
    }
    out.push(rule('└', '┴', '┘', '─'));
    let trainable: usize = m.trainable_weights().iter().map(|w| w.numel()).sum();
    let frozen: usize = m.non_trainable_weights().iter().map(|w| w.numel()).sum();
    let total = trainable + frozen;
    out.push(format!(" Total params: {} ({})", thousands(total), readable_memory(total * 4)));
    out.push(format!(" Trainable params: {} ({})", thousands(trainable), readable_memory(trainable * 4)));
    out.push(format!(" Non-trainable params: {} ({})", thousands(frozen), readable_memory(frozen * 4)));
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// rich's fitting of Keras's fixed column widths into a table of `line_length`: each
/// column is its width plus two padding spaces, the borders take `columns + 1`, and the
/// excess comes off the columns evenly by rich's `ratio_reduce` (Python's round, ties
/// to even). Returns the content widths.
fn fit_columns(widths: &[usize], line_length: usize) -> Vec<usize> {
    let padded: Vec<usize> = widths.iter().map(|w| w + 2).collect();
    let available = line_length.saturating_sub(widths.len() + 1);
    let total: usize = padded.iter().sum();
    if total <= available {
        return widths.to_vec();
    }
    let mut remaining = (total - available) as f64;
    let mut ratio_left = padded.len() as f64;
    padded
        .iter()
        .map(|&w| {
            let cut = (remaining / ratio_left).round_ties_even().min(w as f64);
            remaining -= cut;
            ratio_left -= 1.0;
            (w - cut as usize).saturating_sub(2)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_sizes_print_like_keras() {
        assert_eq!(thousands(60_965_224), "60,965,224");
        assert_eq!(thousands(999), "999");
        assert_eq!(readable_memory(60_965_224 * 4), "232.56 MB");
        assert_eq!(readable_memory(0), "0.00 B");
        assert_eq!(readable_memory(288), "288.00 B");
    }

    #[test]
    fn column_widths_match_rich() {
        assert_eq!(fit_columns(&[39, 31, 18], 88), vec![36, 27, 15]);
        assert_eq!(fit_columns(&[32, 28, 19, 29], 108), vec![29, 25, 15, 26]);
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_folds_long_words() {
        assert_eq!(
            wrap("batch_normalization (BatchNormalization)", 36),
            vec!["batch_normalization", "(BatchNormalization)"]
        );
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("", 4), vec![""]);
    }
}
