//! The game of Go for fovea: the rules (`board`, `game`), SGF and kifu records
//! (`sgf`), AlphaGo's 48 feature planes (`features`), the network player, the GTP
//! engine and the match runner.
//!
//! The rules and the record formats know nothing of tensors; only the feature encoder
//! writes planes and only the player runs a network.

pub mod board;
mod error;
pub mod features;
pub mod game;
pub mod gtp;
pub mod kifu;
pub mod matchplay;
pub mod player;
pub mod playout;
pub mod policy;
pub mod sgf;
pub mod train;
mod vertex;

pub use board::{Board, Cell, Illegal, Point};
pub use error::{Error, Result};
pub use game::{fixed_handicap, format_score, Game};
pub use sgf::{load_games, GameRecord, Loaded, LoadedGame};
pub use vertex::{Color, Move, Vertex};
