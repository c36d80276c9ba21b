//! One SGF file per match game, written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sgf::{GameRecord, Property};
use crate::{Color, Error, Game, Result};

/// The game as SGF: FF[4] with size, komi, Chinese rules, the players' names, the
/// result (SGF's `B+3.5`, `W+R`, `B+F`, `0`) and a root comment saying how it ended.
pub(crate) fn game_sgf(game: &Game, names: [&str; 2], result: &str, comment: &str) -> String {
    let mut record = GameRecord::new(game.size());
    record.komi = Some(game.komi());
    record.moves = game.moves().to_vec();
    record.black = Some(names[Color::Black.index()].to_string());
    record.white = Some(names[Color::White.index()].to_string());
    record.result = Some(result.to_string());
    let mut tree = record.to_tree();
    if let Some(root) = tree.nodes.first_mut() {
        root.props.push(Property::text("RU", "Chinese"));
        root.props.push(Property::text("C", comment));
    }
    crate::sgf::write_tree(&tree)
}

/// `dir/game-NNN.sgf` for game `index` (from 0; files count from 1).
pub(crate) fn sgf_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("game-{:03}.sgf", index + 1))
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames it over
/// `path`, so a crash never leaves half a game record.
pub(crate) fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let io = |e: std::io::Error| Error::Io { path: path.display().to_string(), msg: e.to_string() };
    let name = path.file_name().map_or("game.sgf".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}
