//! SGF (Smart Game Format, `FF[4]`, <https://www.red-bean.com/sgf/>) game records: read,
//! write, and the main line as a [`GameRecord`] for training.
//!
//! A file is a collection of game trees: `(;FF[4]SZ[19];B[pd];W[dp](;B[qp])(;B[dq]))`.
//! A tree is a sequence of nodes (`;` then properties) followed by its variations; the
//! main line takes the first variation at every branch. A property is an identifier of
//! uppercase letters and one or more bracketed values (`AB[dd][pp]`).
//!
//! Choices, where the format or the files in the wild leave room:
//!
//! * **Values are kept raw**: [`Property::values`] holds the text between the brackets
//!   as the file wrote it, escapes included, so unknown properties survive a
//!   write/read round trip byte for byte. [`unescape`] decodes a text value (`\]` is `]`,
//!   `\\` is `\`, a backslash before a line break removes both); the record fields
//!   ([`GameRecord::black`] and so on) are decoded as SimpleText (line breaks and tabs
//!   become spaces, then trimmed).
//! * **Lowercase letters in identifiers are dropped** (`FF[3]` files write `AddBlack` for
//!   `AB`); an identifier with no uppercase letter is an error.
//! * **Text outside game trees is skipped**: a game starts at `(` followed (after white
//!   space) by `;`, so mail headers and trailers do no harm.
//! * **A game with a syntax error is skipped with a warning**, and reading goes on after
//!   its closing parenthesis; only a file where no game can be read is an error.
//! * **A tree left open at the end of the file** (a truncated download) is closed there,
//!   with a warning.
//! * **Encodings**: files are read as bytes and decoded as UTF-8 with invalid sequences
//!   replaced (`CA[]` is not consulted; many files say GB2312 or Shift-JIS). The markup
//!   is ASCII, so only names and comments can suffer.
//! * **Nesting** deeper than [`MAX_DEPTH`] variations is an error (it keeps the
//!   recursive writer and `==` off the end of the stack).
//! * `.gz` files are decompressed ([`read_file`]).
//!
//! # Example
//!
//! ```
//! use fovea_go::sgf;
//! let coll = sgf::parse_collection("(;SZ[9]KM[7];B[ee];W[]) (;SZ[9];B[cc])", "two.sgf").unwrap();
//! assert_eq!(coll.games.len(), 2);
//! let rec = coll.games[0].main_line().unwrap();
//! assert_eq!((rec.size, rec.komi, rec.moves.len()), (9, Some(7.0), 2));
//! ```

mod load;
mod parse;
mod record;
mod write;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::{Error, Result};

pub use load::{load_games, Loaded, LoadedGame};
pub use parse::parse_collection;
pub use record::GameRecord;
pub use write::{write_collection, write_tree};

/// How deeply variations may nest: `(;a(;b(;c ...)))` 1000 levels down.
pub const MAX_DEPTH: usize = 1000;

/// The most a `.gz` file may inflate to (a guard against decompression bombs).
const MAX_INFLATED: u64 = 256 << 20;

/// One property of a node: its identifier and its values, raw (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Property {
    /// Uppercase letters only: `B`, `AB`, `KM`.
    pub ident: String,
    /// The text between each pair of brackets, escapes kept (`a\]b` for `[a\]b]`).
    pub values: Vec<String>,
    /// Where the identifier starts in the file, from 1; 0 for properties built in code.
    /// Not compared by `==`.
    pub line: usize,
    pub column: usize,
}

impl PartialEq for Property {
    fn eq(&self, other: &Property) -> bool {
        self.ident == other.ident && self.values == other.values
    }
}

impl Property {
    /// A property with raw values, as they will be written between brackets.
    pub fn raw(ident: &str, values: Vec<String>) -> Property {
        Property { ident: ident.to_string(), values, line: 0, column: 0 }
    }

    /// A property with one text value, escaped for SGF.
    pub fn text(ident: &str, text: &str) -> Property {
        Property::raw(ident, vec![escape(text)])
    }

    /// The first value, raw.
    pub fn first(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }
}

/// A node: its properties in file order (duplicates are kept as written).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub props: Vec<Property>,
}

impl Node {
    /// The first property named `ident`.
    pub fn get(&self, ident: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.ident == ident)
    }

    /// The first value of the first property named `ident`, raw.
    pub fn value(&self, ident: &str) -> Option<&str> {
        self.get(ident).map(Property::first)
    }
}

/// A game tree: a non-empty sequence of nodes, then its variations (each a tree). The
/// main line follows `variations[0]` at every branch.
#[derive(Clone, Debug, Default)]
pub struct GameTree {
    pub nodes: Vec<Node>,
    pub variations: Vec<GameTree>,
    /// The file it was read from, for error messages; empty for trees built in code.
    /// Not compared by `==`.
    pub file: Arc<str>,
}

impl PartialEq for GameTree {
    fn eq(&self, other: &GameTree) -> bool {
        self.nodes == other.nodes && self.variations == other.variations
    }
}

impl GameTree {
    /// The nodes of the main line: this tree's, then its first variation's, and so on.
    pub fn main_line_nodes(&self) -> impl Iterator<Item = &Node> {
        std::iter::successors(Some(self), |t| t.variations.first()).flat_map(|t| t.nodes.iter())
    }

    /// The root node (the first), holding the game's information (SZ, KM, PB, ...).
    pub fn root(&self) -> Option<&Node> {
        self.nodes.first()
    }
}

/// The games of one file, and what was skipped on the way.
#[derive(Clone, Debug, Default)]
pub struct Collection {
    pub games: Vec<GameTree>,
    /// One line per game skipped or repaired, naming file, line and column.
    pub warnings: Vec<String>,
}

/// Reads an SGF file (gzip-compressed when the name ends in `.gz`), decoding it as
/// UTF-8 with invalid bytes replaced, and parses its collection.
pub fn read_file(path: impl AsRef<Path>) -> Result<Collection> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    parse_collection(&String::from_utf8_lossy(&bytes), &path.display().to_string())
}

/// A file's bytes, inflated when its name ends in `.gz`.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::Io { path: path.display().to_string(), msg: e.to_string() };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        let mut gz = flate2::read::GzDecoder::new(file).take(MAX_INFLATED + 1);
        gz.read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > MAX_INFLATED {
            return Err(Error::Io {
                path: path.display().to_string(),
                msg: format!("inflates to more than {} MiB", MAX_INFLATED >> 20),
            });
        }
    } else {
        let mut file = file;
        file.read_to_end(&mut bytes).map_err(io)?;
    }
    Ok(bytes)
}

/// Escapes text for an SGF value: `\` and `]` get a backslash.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' || c == ']' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Decodes a raw Text value: a backslash makes the next character literal, and a
/// backslash before a line break (`\n`, `\r\n`, `\n\r` or `\r`) removes both (a soft
/// line break). Other white space is kept as written.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\n') => {
                chars.next_if_eq(&'\r');
            }
            Some('\r') => {
                chars.next_if_eq(&'\n');
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Decodes a raw SimpleText value (names, results, dates): as [`unescape`], then line
/// breaks and tabs become spaces and the ends are trimmed.
pub fn simple_text(raw: &str) -> String {
    let text = unescape(raw).replace("\r\n", " ");
    text.replace(['\n', '\r', '\t', '\x0b', '\x0c'], " ").trim().to_string()
}
