//! Loading game records from any mix of paths: SGF files, folders searched for them,
//! Tom kifu folders and Tom month files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{read_file, GameRecord};
use crate::kifu::{self, Index, KifuSet};
use crate::{Error, Result};

/// A game and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedGame {
    /// `path#n` for the n-th game read from an SGF file (from 1; games skipped with a
    /// warning are not counted), `path#id` for a Tom game (its month file and game id).
    pub source: String,
    pub record: GameRecord,
}

/// What [`load_games`] found.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub games: Vec<LoadedGame>,
    /// Games and lines skipped, files that could not be read, repairs made.
    pub warnings: Vec<String>,
    /// Files read: SGF files and Tom month files.
    pub files: usize,
}

/// What one path turned out to be.
enum Item {
    Sgf(PathBuf),
    KifuDir(PathBuf),
    KifuMonth(PathBuf),
}

/// Loads the games under `paths`, each of which may be
///
/// * an SGF file (`.sgf`, `.mgt` as Many Faces of Go and Debian's `goban` name
///   theirs, either with `.gz`), every game of its collection's main lines;
/// * a Tom folder (holding `Kifu.index` and `kifu/`): [`kifu::read_games`];
/// * a Tom month file (a file whose first line is an id, a tab and `;`), joined with
///   the `Kifu.index` two folders up when there is one;
/// * any other folder: searched recursively, in path order, for the above (symbolic
///   links to folders are not followed). Other files in it are passed over.
///
/// A file named directly is read as SGF unless it looks like a month file. Bad games,
/// bad lines and unreadable files inside folders are warnings. Errors: a path that does
/// not exist, or no game found at all.
pub fn load_games(paths: &[PathBuf]) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut items = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
        if meta.is_dir() {
            collect(path, &mut items, &mut loaded.warnings)?;
        } else if is_sgf_name(path) || !looks_like_kifu(path) {
            items.push(Item::Sgf(path.clone()));
        } else {
            items.push(Item::KifuMonth(path.clone()));
        }
    }
    let mut indexes: HashMap<PathBuf, Option<Index>> = HashMap::new();
    for item in items {
        match item {
            Item::Sgf(path) => load_sgf(&path, &mut loaded),
            Item::KifuDir(dir) => match kifu::read_games(&dir) {
                Ok(set) => add_kifu(set, &mut loaded),
                Err(e) => loaded.warnings.push(e.to_string()),
            },
            Item::KifuMonth(path) => {
                let index_path = path.parent().and_then(Path::parent).map(|d| d.join("Kifu.index"));
                let index = match index_path.filter(|p| p.is_file()) {
                    None => None,
                    Some(p) => indexes
                        .entry(p.clone())
                        .or_insert_with(|| match kifu::read_index(&p) {
                            Ok(index) => Some(index),
                            Err(e) => {
                                loaded.warnings.push(e.to_string());
                                None
                            }
                        })
                        .as_ref(),
                };
                match kifu::read_month(&path, index) {
                    Ok(set) => add_kifu(set, &mut loaded),
                    Err(e) => loaded.warnings.push(e.to_string()),
                }
            }
        }
    }
    if loaded.games.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let why = loaded.warnings.first().map_or(String::new(), |w| format!(" ({w})"));
        return Err(Error::Other(format!("no games found in {}{why}", names.join(", "))));
    }
    Ok(loaded)
}

fn load_sgf(path: &Path, loaded: &mut Loaded) {
    loaded.files += 1;
    let coll = match read_file(path) {
        Ok(coll) => coll,
        Err(e) => {
            loaded.warnings.push(e.to_string());
            return;
        }
    };
    loaded.warnings.extend(coll.warnings);
    for (i, tree) in coll.games.iter().enumerate() {
        let source = format!("{}#{}", path.display(), i + 1);
        match tree.main_line() {
            Ok(record) => loaded.games.push(LoadedGame { source, record }),
            Err(e) => loaded.warnings.push(format!("{source} skipped: {e}")),
        }
    }
}

fn add_kifu(set: KifuSet, loaded: &mut Loaded) {
    loaded.files += set.files;
    loaded.warnings.extend(set.warnings);
    loaded
        .games
        .extend(set.games.into_iter().map(|g| LoadedGame { source: format!("{}#{}", g.file, g.id), record: g.record }));
}

/// Adds what a folder holds, sorted by path. Unreadable subfolders are warnings.
fn collect(dir: &Path, items: &mut Vec<Item>, warnings: &mut Vec<String>) -> Result<()> {
    if kifu::is_kifu_dir(dir) {
        items.push(Item::KifuDir(dir.to_path_buf()));
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            if let Err(e) = collect(&path, items, warnings) {
                warnings.push(e.to_string());
            }
        } else if is_sgf_name(&path) && path.is_file() {
            items.push(Item::Sgf(path));
        }
    }
    Ok(())
}

fn is_sgf_name(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".sgf") || name.ends_with(".mgt")
}

/// Whether a file starts like a Tom month file: digits, a tab, `;`.
fn looks_like_kifu(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 32];
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let Ok(n) = file.read(&mut head) else { return false };
    let head = &head[..n];
    let digits = head.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && head.get(digits..digits + 2) == Some(b"\t;")
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), msg: e.to_string() }
}
