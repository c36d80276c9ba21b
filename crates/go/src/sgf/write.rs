//! The SGF writer: game trees to text that [`parse_collection`](super::parse_collection)
//! reads back to equal trees.
//!
//! Layout: the root node on the first line, moves run on until a line passes 72
//! characters, each variation starts a new line. Values go out raw (they are kept
//! escaped), except that a `]` or a final `\` left unescaped by code that built the
//! property is escaped, so the output always parses.

use super::GameTree;

/// Where the writer starts a new line between nodes.
const LINE_WIDTH: usize = 72;

/// SGF text for several games, one after the other, each ending in a line break.
pub fn write_collection(games: &[GameTree]) -> String {
    let mut w = Writer::default();
    for game in games {
        w.tree(game, true);
        w.newline();
    }
    w.out
}

/// SGF text for one game tree, ending in a line break.
pub fn write_tree(tree: &GameTree) -> String {
    write_collection(std::slice::from_ref(tree))
}

#[derive(Default)]
struct Writer {
    out: String,
    /// Byte offset where the current line starts.
    line_start: usize,
}

impl Writer {
    fn newline(&mut self) {
        self.out.push('\n');
        self.line_start = self.out.len();
    }

    fn tree(&mut self, tree: &GameTree, top: bool) {
        self.out.push('(');
        for (i, node) in tree.nodes.iter().enumerate() {
            if self.out.len() - self.line_start > LINE_WIDTH {
                self.newline();
            }
            self.out.push(';');
            for prop in &node.props {
                self.out.push_str(&prop.ident);
                if prop.values.is_empty() {
                    self.out.push_str("[]");
                }
                for value in &prop.values {
                    self.out.push('[');
                    self.value(value);
                    self.out.push(']');
                }
            }
            if top && i == 0 && tree.nodes.len() > 1 {
                self.newline();
            }
        }
        for variation in &tree.variations {
            self.newline();
            self.tree(variation, false);
        }
        self.out.push(')');
    }

    fn value(&mut self, raw: &str) {
        let mut escaped = false;
        for c in raw.chars() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == ']' {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        if escaped {
            self.out.push('\\');
        }
        if let Some(i) = raw.rfind('\n') {
            self.line_start = self.out.len() - (raw.len() - i - 1);
        }
    }
}
