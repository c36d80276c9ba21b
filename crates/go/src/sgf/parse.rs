//! The SGF reader: text to game trees, one game at a time, each failure a warning that
//! names the file, line and column.
//!
//! The parser walks bytes (the markup is ASCII) and counts lines and characters as it
//! goes, so every property carries its position for later errors (a bad move in
//! [`GameTree::main_line`](super::GameTree::main_line)). It keeps the open trees on
//! its own stack rather than recursing, so hostile nesting cannot overflow the stack.

use std::sync::Arc;

use super::{Collection, GameTree, Node, Property, MAX_DEPTH};
use crate::{Error, Result};

/// Parses SGF text holding one or more games. `file` names the source in errors and
/// warnings. A game with a syntax error is skipped and recorded in
/// [`Collection::warnings`]; the result is an error only when no game could be read
/// (an empty file, or every game bad: then the first game's error).
pub fn parse_collection(text: &str, file: &str) -> Result<Collection> {
    let mut p = Parser::new(text, file);
    let mut coll = Collection::default();
    let mut first_error = None;
    let mut number = 0;
    while p.skip_to_game() {
        number += 1;
        let (line, column) = (p.line, p.column);
        match p.game() {
            Ok(tree) => coll.games.push(tree),
            Err(e) => {
                coll.warnings.push(format!("game {number} (from line {line}, column {column}) skipped: {e}"));
                first_error.get_or_insert(e);
                p.recover();
            }
        }
    }
    coll.warnings.append(&mut p.warnings);
    if coll.games.is_empty() {
        return Err(first_error.unwrap_or_else(|| Error::Parse {
            file: file.to_string(),
            line: p.line,
            column: p.column,
            msg: "no SGF game found: expected '(' then ';'".into(),
        }));
    }
    Ok(coll)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Position of `pos`, from 1; the column counts characters, not bytes.
    line: usize,
    column: usize,
    file: Arc<str>,
    /// How many trees of the current game are open (for recovery after an error).
    depth: usize,
    warnings: Vec<String>,
}

/// A tree being read, and where its `(` was.
struct Open {
    tree: GameTree,
    line: usize,
    column: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, file: &str) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            column: 1,
            file: Arc::from(file),
            depth: 0,
            warnings: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            // Continuation bytes of a UTF-8 character do not start a new column.
            self.column += 1;
        }
        Some(b)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.bump();
        }
    }

    fn error(&self, line: usize, column: usize, msg: String) -> Error {
        Error::Parse { file: self.file.to_string(), line, column, msg }
    }

    fn error_here(&self, msg: String) -> Error {
        self.error(self.line, self.column, msg)
    }

    /// Moves to the next `(` that is followed by `;`; false at the end of the text.
    fn skip_to_game(&mut self) -> bool {
        loop {
            match self.peek() {
                None => return false,
                Some(b'(') => {
                    let rest = &self.bytes[self.pos + 1..];
                    if rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b';') {
                        return true;
                    }
                }
                Some(_) => {}
            }
            self.bump();
        }
    }

    /// After an error: skips to the `)` that closes the failed game, stepping over
    /// bracketed values so that parentheses inside them do not count.
    fn recover(&mut self) {
        let mut depth = self.depth;
        while depth > 0 {
            match self.bump() {
                None => return,
                Some(b'[') => {
                    self.skip_value();
                }
                Some(b'(') => depth += 1,
                Some(b')') => depth -= 1,
                Some(_) => {}
            }
        }
    }

    /// Skips past the `]` that ends a value whose `[` was just read; false at the end.
    fn skip_value(&mut self) -> bool {
        loop {
            match self.bump() {
                None => return false,
                Some(b'\\') => {
                    self.bump();
                }
                Some(b']') => return true,
                Some(_) => {}
            }
        }
    }

    /// One game: from its `(` to the matching `)`.
    fn game(&mut self) -> Result<GameTree> {
        let mut stack: Vec<Open> = Vec::new();
        self.depth = 0;
        loop {
            self.skip_ws();
            let (line, column) = (self.line, self.column);
            match self.peek() {
                Some(b'(') => {
                    if stack.last().is_some_and(|open| open.tree.nodes.is_empty()) {
                        return Err(self.error_here("a variation before any node: expected ';'".into()));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.error_here(format!("variations nested deeper than {MAX_DEPTH} levels")));
                    }
                    self.bump();
                    let tree = GameTree { file: self.file.clone(), ..GameTree::default() };
                    stack.push(Open { tree, line, column });
                    self.depth = stack.len();
                }
                Some(b';') => {
                    if stack.last().is_some_and(|open| !open.tree.variations.is_empty()) {
                        return Err(self
                            .error_here("a node after a variation: a tree's nodes come before its variations".into()));
                    }
                    self.bump();
                    let node = self.node()?;
                    if let Some(open) = stack.last_mut() {
                        open.tree.nodes.push(node);
                    }
                }
                Some(b')') => {
                    self.bump();
                    let Some(open) = stack.pop() else {
                        return Err(self.error(line, column, "')' closes no game tree".into()));
                    };
                    self.depth = stack.len();
                    if let Some(done) = self.close(open, &mut stack)? {
                        return Ok(done);
                    }
                }
                None => {
                    let Some(first) = stack.first() else {
                        return Err(self.error_here("end of file where a game tree was expected".into()));
                    };
                    self.warnings.push(format!(
                        "{}:{}:{}: game tree not closed by the end of the file; read as if closed there",
                        self.file, first.line, first.column
                    ));
                    while let Some(open) = stack.pop() {
                        if let Some(done) = self.close(open, &mut stack)? {
                            return Ok(done);
                        }
                    }
                    return Err(self.error_here("end of file where a game tree was expected".into()));
                }
                Some(_) => {
                    let found = self.text.get(self.pos..).and_then(|s| s.chars().next()).unwrap_or('?');
                    return Err(self.error_here(format!("expected ';', '(' or ')', found {found:?}")));
                }
            }
        }
    }

    /// Ends a tree: into its parent's variations, or out as the finished game.
    fn close(&self, open: Open, stack: &mut [Open]) -> Result<Option<GameTree>> {
        if open.tree.nodes.is_empty() {
            return Err(self.error(open.line, open.column, "empty game tree: expected ';' after '('".into()));
        }
        match stack.last_mut() {
            Some(parent) => {
                parent.tree.variations.push(open.tree);
                Ok(None)
            }
            None => Ok(Some(open.tree)),
        }
    }

    /// The properties of a node whose `;` was just read.
    fn node(&mut self) -> Result<Node> {
        let mut node = Node::default();
        loop {
            self.skip_ws();
            if !self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                return Ok(node);
            }
            node.props.push(self.property()?);
        }
    }

    fn property(&mut self) -> Result<Property> {
        let (line, column, start) = (self.line, self.column, self.pos);
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.bump();
        }
        let word = self.text.get(start..self.pos).unwrap_or("");
        // FF[3] allowed lowercase letters in identifiers (`AddBlack` is `AB`).
        let ident: String = word.chars().filter(char::is_ascii_uppercase).collect();
        if ident.is_empty() {
            return Err(self.error(line, column, format!("property identifier {word:?} has no uppercase letter")));
        }
        let mut values = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() != Some(b'[') {
                break;
            }
            let (vline, vcolumn) = (self.line, self.column);
            self.bump();
            let from = self.pos;
            if !self.skip_value() {
                return Err(self.error(
                    vline,
                    vcolumn,
                    format!("value of {ident} not closed: no ']' before the end of the file"),
                ));
            }
            values.push(self.text.get(from..self.pos - 1).unwrap_or("").to_string());
        }
        if values.is_empty() {
            return Err(self.error_here(format!("property {ident} has no value: expected '['")));
        }
        Ok(Property { ident, values, line, column })
    }
}
