//! Colours, points and moves: the words shared by the rules, SGF and GTP.
//!
//! A [`Vertex`] is `(x, y)` with `x` the column from the left and `y` the row from the
//! top, both from 0, as SGF writes points (`aa` is the top-left corner). GTP counts rows
//! from the bottom and skips the letter I; [`Vertex::to_gtp`] and [`Vertex::parse_gtp`]
//! convert.

use std::fmt;

use crate::{Error, Result};

/// A player, or the colour of a stone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Color {
    Black,
    White,
}

impl Color {
    /// The other player.
    pub fn opponent(self) -> Color {
        match self {
            Color::Black => Color::White,
            Color::White => Color::Black,
        }
    }

    /// 0 for black, 1 for white (index into per-colour arrays).
    pub fn index(self) -> usize {
        self as usize
    }

    /// `B` or `W`, as SGF and GTP write them.
    pub fn letter(self) -> char {
        match self {
            Color::Black => 'B',
            Color::White => 'W',
        }
    }

    /// GTP's colour words: `b`, `black`, `w`, `white`, any case.
    pub fn parse(s: &str) -> Option<Color> {
        match s.to_ascii_lowercase().as_str() {
            "b" | "black" => Some(Color::Black),
            "w" | "white" => Some(Color::White),
            _ => None,
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Color::Black => "black",
            Color::White => "white",
        })
    }
}

/// GTP's column letters: A..Z without I.
const GTP_COLUMNS: &[u8; 25] = b"ABCDEFGHJKLMNOPQRSTUVWXYZ";

/// A point of the board: column `x` from the left, row `y` from the top.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vertex {
    pub x: u8,
    pub y: u8,
}

impl Vertex {
    pub fn new(x: usize, y: usize) -> Vertex {
        Vertex { x: x as u8, y: y as u8 }
    }

    /// GTP's name on a board of side `size`: `D4`, `Q16` (rows from the bottom, no I).
    pub fn to_gtp(self, size: usize) -> String {
        format!("{}{}", GTP_COLUMNS[self.x as usize] as char, size - self.y as usize)
    }

    /// A GTP vertex (`D4`, `q16`; not `pass`) on a board of side `size`.
    pub fn parse_gtp(s: &str, size: usize) -> Result<Vertex> {
        let bad = |why: &str| Error::Vertex { vertex: s.to_string(), size, msg: why.to_string() };
        let bytes = s.as_bytes();
        if bytes.len() < 2 || bytes.len() > 3 {
            return Err(bad("expected a column letter and a row number such as D4"));
        }
        let letter = bytes[0].to_ascii_uppercase();
        let x = GTP_COLUMNS
            .iter()
            .position(|&c| c == letter)
            .ok_or_else(|| bad("the column is not a letter A-Z without I"))?;
        let row: usize = s[1..].parse().map_err(|_| bad("the row is not a number"))?;
        if x >= size || row == 0 || row > size {
            return Err(bad("off the board"));
        }
        Ok(Vertex::new(x, size - row))
    }

    /// SGF's two letters (`aa` top-left).
    pub fn to_sgf(self) -> String {
        format!("{}{}", (b'a' + self.x) as char, (b'a' + self.y) as char)
    }

    /// SGF's two letters, `a`-`z` then `A`-`Z` as `FF[4]` allows for big boards.
    pub fn parse_sgf(s: &str) -> Option<Vertex> {
        let b = s.as_bytes();
        if b.len() != 2 {
            return None;
        }
        let coord = |c: u8| match c {
            b'a'..=b'z' => Some(c - b'a'),
            b'A'..=b'Z' => Some(c - b'A' + 26),
            _ => None,
        };
        Some(Vertex { x: coord(b[0])?, y: coord(b[1])? })
    }
}

/// A move: a stone on a vertex, or a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Move {
    Pass,
    Play(Vertex),
}

impl Move {
    /// GTP's spelling: `pass` or a vertex such as `D4`.
    pub fn to_gtp(self, size: usize) -> String {
        match self {
            Move::Pass => "pass".to_string(),
            Move::Play(v) => v.to_gtp(size),
        }
    }

    /// A GTP move: `pass` (any case) or a vertex.
    pub fn parse_gtp(s: &str, size: usize) -> Result<Move> {
        if s.eq_ignore_ascii_case("pass") {
            return Ok(Move::Pass);
        }
        Vertex::parse_gtp(s, size).map(Move::Play)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtp_names_skip_i_and_count_rows_from_the_bottom() {
        assert_eq!(Vertex::new(0, 18).to_gtp(19), "A1");
        assert_eq!(Vertex::new(8, 0).to_gtp(19), "J19");
        assert_eq!(Vertex::parse_gtp("j19", 19).unwrap(), Vertex::new(8, 0));
        assert_eq!(Vertex::parse_gtp("Q16", 19).unwrap(), Vertex::parse_sgf("pd").unwrap());
        assert!(Vertex::parse_gtp("I5", 19).is_err());
        assert!(Vertex::parse_gtp("T20", 19).is_err());
        assert!(Vertex::parse_gtp("K10", 9).is_err());
        assert_eq!(Move::parse_gtp("PASS", 19).unwrap(), Move::Pass);
    }

    #[test]
    fn sgf_points_round_trip() {
        let v = Vertex::parse_sgf("qd").unwrap();
        assert_eq!((v.x, v.y), (16, 3));
        assert_eq!(v.to_sgf(), "qd");
        assert_eq!(Vertex::parse_sgf("Aa").unwrap().x, 26);
        assert!(Vertex::parse_sgf("a").is_none());
    }
}
