//! The commands: each takes the arguments as words and answers a result or an error
//! message (GTP's standard messages where the spec names one: `unacceptable size`,
//! `illegal move`, `cannot undo`, `board not empty`, ...).

use std::path::Path;

use super::{analyze, new_game, Engine, MAX_SGF_BYTES};
use crate::board::{MAX_SIZE, MIN_SIZE};
use crate::player::sensible_moves;
use crate::sgf::{self, GameRecord};
use crate::{fixed_handicap, Color, Game, Move, Vertex};

/// Every command the engine knows, as `list_commands` prints them.
pub const COMMANDS: &[&str] = &[
    "protocol_version",
    "name",
    "version",
    "known_command",
    "list_commands",
    "quit",
    "boardsize",
    "clear_board",
    "komi",
    "play",
    "genmove",
    "reg_genmove",
    "undo",
    "showboard",
    "final_score",
    "final_status_list",
    "fixed_handicap",
    "place_free_handicap",
    "set_free_handicap",
    "loadsgf",
    "printsgf",
    "time_settings",
    "time_left",
    "is_legal",
    "list_stones",
    "captures",
    "policy_top",
    "gogui-analyze_commands",
    "gogui_analyze_commands",
    "fovea-policy_heatmap",
    "fovea-policy_colors",
    "fovea-policy_percent",
];

type Answer = Result<String, String>;

impl Engine {
    /// Runs one command.
    pub(super) fn execute(&mut self, name: &str, args: &[&str]) -> Answer {
        match name {
            "protocol_version" => Ok("2".into()),
            "name" => Ok(match self.player.name() {
                name if name == "fovea" => name,
                other => format!("fovea ({other})"),
            }),
            "version" => Ok(env!("CARGO_PKG_VERSION").into()),
            "known_command" => {
                let [command] = args else { return Err(syntax("known_command COMMAND")) };
                Ok(COMMANDS.contains(command).to_string())
            }
            "list_commands" => Ok(COMMANDS.join("\n")),
            "quit" => {
                self.quit = true;
                Ok(String::new())
            }
            "boardsize" => self.boardsize(args),
            "clear_board" => {
                self.game = new_game(self.game.size(), self.game.komi());
                Ok(String::new())
            }
            "komi" => {
                let [komi] = args else { return Err(syntax("komi NUMBER")) };
                let komi: f32 = komi.parse().map_err(|_| syntax("komi NUMBER"))?;
                self.game.set_komi(komi).map_err(|e| format!("syntax error: {e}"))?;
                Ok(String::new())
            }
            "play" => self.play(args),
            "genmove" => self.genmove(args, true),
            "reg_genmove" => self.genmove(args, false),
            "undo" => {
                if args.is_empty() && self.game.undo() {
                    Ok(String::new())
                } else {
                    Err("cannot undo".into())
                }
            }
            "showboard" => Ok(self.showboard()),
            "final_score" => Ok(self.game.result_string()),
            "final_status_list" => self.final_status_list(args),
            "fixed_handicap" => self.fixed_handicap(args, false),
            "place_free_handicap" => self.fixed_handicap(args, true),
            "set_free_handicap" => self.set_free_handicap(args),
            "loadsgf" => self.loadsgf(args),
            "printsgf" => Ok(record_of(&self.game).to_sgf()),
            "time_settings" => {
                let [main, byo_time, byo_stones] = args else {
                    return Err(syntax("time_settings MAIN_TIME BYO_YOMI_TIME BYO_YOMI_STONES"));
                };
                let count = |s: &str| s.parse::<u32>().map_err(|_| syntax("time_settings takes whole numbers >= 0"));
                self.time.main_time = count(main)?;
                self.time.byo_yomi_time = count(byo_time)?;
                self.time.byo_yomi_stones = count(byo_stones)?;
                Ok(String::new())
            }
            "time_left" => {
                let [color, time, stones] = args else { return Err(syntax("time_left COLOR TIME STONES")) };
                let color = parse_color(color)?;
                let count = |s: &str| s.parse::<u32>().map_err(|_| syntax("time_left takes whole numbers >= 0"));
                self.time.left[color.index()] = Some((count(time)?, count(stones)?));
                Ok(String::new())
            }
            "is_legal" => {
                let [color, vertex] = args else { return Err(syntax("is_legal COLOR VERTEX")) };
                let (color, mv) = (parse_color(color)?, self.parse_move(vertex)?);
                Ok(if self.game.is_legal(color, mv) { "1" } else { "0" }.into())
            }
            "list_stones" => {
                let [color] = args else { return Err(syntax("list_stones COLOR")) };
                let stones = self.game.board().stones_of(parse_color(color)?);
                Ok(self.vertex_list(&stones))
            }
            "captures" => {
                let [color] = args else { return Err(syntax("captures COLOR")) };
                Ok(self.game.board().captures(parse_color(color)?).to_string())
            }
            "policy_top" => self.policy_top(args),
            "gogui-analyze_commands" | "gogui_analyze_commands" => Ok(analyze::ANALYZE_COMMANDS.join("\n")),
            "fovea-policy_heatmap" | "fovea-policy_colors" | "fovea-policy_percent" => {
                let color = self.optional_color(args)?;
                let probs = self.player.policy(&self.game, color).map_err(|e| e.to_string())?;
                let size = self.game.size();
                Ok(match name {
                    "fovea-policy_heatmap" => analyze::gfx(&probs, size, color),
                    "fovea-policy_colors" => analyze::cboard(&probs, size),
                    _ => analyze::sboard(&probs, size),
                })
            }
            _ => Err("unknown command".into()),
        }
    }

    fn boardsize(&mut self, args: &[&str]) -> Answer {
        let [size] = args else { return Err(syntax("boardsize SIZE")) };
        let size: usize = size.parse().map_err(|_| syntax("boardsize SIZE"))?;
        if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
            return Err("unacceptable size".into());
        }
        self.game = new_game(size, self.game.komi());
        Ok(String::new())
    }

    fn play(&mut self, args: &[&str]) -> Answer {
        let [color, vertex] = args else { return Err(syntax("play COLOR VERTEX")) };
        let (color, mv) = (parse_color(color)?, self.parse_move(vertex)?);
        self.game.play(color, mv).map_err(|_| "illegal move".to_string())?;
        Ok(String::new())
    }

    fn genmove(&mut self, args: &[&str], play: bool) -> Answer {
        let [color] = args else { return Err(syntax("genmove COLOR")) };
        let color = parse_color(color)?;
        let mv = self.player.genmove(&self.game, color).map_err(|e| e.to_string())?;
        // A player handing back an illegal move is a bug; it must not corrupt the game.
        if !self.game.is_legal(color, mv) {
            return Err(format!("{} generated the illegal move {}", self.player.name(), mv.to_gtp(self.game.size())));
        }
        if play {
            self.game.play(color, mv).map_err(|e| e.to_string())?;
        }
        Ok(mv.to_gtp(self.game.size()))
    }

    fn showboard(&self) -> String {
        let board = self.game.board();
        format!(
            "\n{}{} to move, komi {}, captured by black {}, by white {}",
            board.render(),
            capitalised(self.game.to_move()),
            self.game.komi(),
            board.captures(Color::Black),
            board.captures(Color::White)
        )
    }

    fn final_status_list(&self, args: &[&str]) -> Answer {
        let [status] = args else { return Err(syntax("final_status_list alive|dead|seki")) };
        match *status {
            // Tromp-Taylor: every stone on the board counts as alive.
            "alive" => {
                let mut stones = self.game.board().stones_of(Color::Black);
                stones.extend(self.game.board().stones_of(Color::White));
                stones.sort_by_key(|v| (v.y, v.x));
                Ok(self.vertex_list(&stones))
            }
            "dead" | "seki" => Ok(String::new()),
            _ => Err(syntax("final_status_list alive|dead|seki")),
        }
    }

    /// `fixed_handicap N` (the spec's placements) and `place_free_handicap N` (the
    /// engine's choice: the same points, as many as the board has a layout for).
    fn fixed_handicap(&mut self, args: &[&str], free: bool) -> Answer {
        let [n] = args else { return Err(syntax("fixed_handicap NUMBER_OF_STONES")) };
        let n: usize = n.parse().map_err(|_| syntax("the number of stones is not a whole number"))?;
        let size = self.game.size();
        let n = if free && n >= 2 { n.min(if size % 2 == 1 { 9 } else { 4 }) } else { n };
        let stones = fixed_handicap(size, n).ok_or("invalid number of stones")?;
        self.handicap(&stones)
    }

    fn set_free_handicap(&mut self, args: &[&str]) -> Answer {
        let size = self.game.size();
        let stones: Vec<Vertex> =
            args.iter().map(|a| Vertex::parse_gtp(a, size)).collect::<Result<_, _>>().map_err(|_| "bad vertex list")?;
        if stones.len() < 2 || stones.len() >= size * size {
            return Err("bad vertex list".into());
        }
        self.handicap(&stones)
    }

    fn handicap(&mut self, stones: &[Vertex]) -> Answer {
        if !self.game.moves().is_empty() || !self.game.handicap().is_empty() || self.game.board().area() != (0, 0) {
            return Err("board not empty".into());
        }
        self.game.place_handicap(stones).map_err(|_| "bad vertex list".to_string())?;
        Ok(self.vertex_list(stones))
    }

    /// `loadsgf FILE [MOVE_NUMBER]`: the position before move MOVE_NUMBER (from 1) of
    /// the file's first game, or after the last move; answers the colour to play.
    fn loadsgf(&mut self, args: &[&str]) -> Answer {
        if !self.files {
            return Err("loadsgf is turned off".into());
        }
        let (file, before) = match args {
            [file] => (*file, None),
            [file, n] => (*file, Some(n.parse::<usize>().map_err(|_| syntax("loadsgf FILE [MOVE_NUMBER]"))?)),
            _ => return Err(syntax("loadsgf FILE [MOVE_NUMBER]")),
        };
        let record = read_record(Path::new(file)).map_err(|e| format!("cannot load file: {e}"))?;
        let komi = record.komi.unwrap_or(self.game.komi());
        let game = game_from_record(&record, komi, before).map_err(|e| format!("cannot load file: {e}"))?;
        let to_move = game.to_move();
        self.game = game;
        Ok(to_move.to_string())
    }

    fn policy_top(&mut self, args: &[&str]) -> Answer {
        let usage = || syntax("policy_top N [COLOR]");
        let (n, color) = match args {
            [n] => (n, self.game.to_move()),
            [n, color] => (n, parse_color(color)?),
            _ => return Err(usage()),
        };
        let n: usize = n.parse().map_err(|_| usage())?;
        let probs = self.player.policy(&self.game, color).map_err(|e| e.to_string())?;
        let candidates = sensible_moves(&self.game, color);
        Ok(analyze::top_lines(&probs, self.game.size(), &candidates, n))
    }

    fn optional_color(&self, args: &[&str]) -> Result<Color, String> {
        match args {
            [] => Ok(self.game.to_move()),
            [color] => parse_color(color),
            _ => Err(syntax("expected at most a colour")),
        }
    }

    fn parse_move(&self, vertex: &str) -> Result<Move, String> {
        let size = self.game.size();
        Move::parse_gtp(vertex, size)
            .map_err(|_| format!("syntax error: {vertex} is not a vertex of a {size}x{size} board"))
    }

    fn vertex_list(&self, stones: &[Vertex]) -> String {
        let size = self.game.size();
        stones.iter().map(|v| v.to_gtp(size)).collect::<Vec<_>>().join(" ")
    }
}

fn syntax(usage: &str) -> String {
    format!("syntax error: {usage}")
}

fn parse_color(word: &str) -> Result<Color, String> {
    Color::parse(word).ok_or_else(|| format!("syntax error: {word} is not a colour (b, w, black, white)"))
}

fn capitalised(color: Color) -> &'static str {
    match color {
        Color::Black => "Black",
        Color::White => "White",
    }
}

/// The first game of an SGF file, read under [`MAX_SGF_BYTES`] (a FIFO or a device is
/// refused before anything is read).
fn read_record(path: &Path) -> crate::Result<GameRecord> {
    let io = |msg: String| crate::Error::Io { path: path.display().to_string(), msg };
    let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
    if !meta.is_file() {
        return Err(io("not a regular file".into()));
    }
    if meta.len() > MAX_SGF_BYTES {
        return Err(io(format!("larger than {} MiB", MAX_SGF_BYTES >> 20)));
    }
    let collection = sgf::read_file(path)?;
    let tree = collection.games.first().ok_or_else(|| io("no game in the file".into()))?;
    tree.main_line()
}

/// Replays a record into a game of the engine's rules, stopping before move `before`
/// (from 1). Setup must be black stones only (a handicap): a [`Game`] has no other.
pub(crate) fn game_from_record(record: &GameRecord, komi: f32, before: Option<usize>) -> crate::Result<Game> {
    let mut game = Game::new(record.size, komi)?.with_superko(true);
    let mut stones = Vec::new();
    for &(v, color) in &record.setup {
        match color {
            Some(Color::Black) => stones.push(v),
            Some(Color::White) => return Err(crate::Error::Setup("white setup stones (AW) are not supported".into())),
            None => {}
        }
    }
    match stones.len() {
        0 => {}
        1 => return Err(crate::Error::Setup("a single black setup stone is not a handicap".into())),
        _ => game.place_handicap(&stones)?,
    }
    let upto = before.map_or(record.moves.len(), |n| n.saturating_sub(1).min(record.moves.len()));
    for &(color, mv) in &record.moves[..upto] {
        game.play(color, mv)?;
    }
    Ok(game)
}

/// The game as an SGF record: size, komi, handicap stones, moves, and the result once
/// two passes have ended it. GTP never says which colour the engine plays, so no
/// player names.
pub(crate) fn record_of(game: &Game) -> GameRecord {
    let mut record = GameRecord::new(game.size());
    record.komi = Some(game.komi());
    record.handicap = game.handicap().len();
    record.setup = game.handicap().iter().map(|&v| (v, Some(Color::Black))).collect();
    record.setup.sort_by_key(|s| s.0);
    record.moves = game.moves().to_vec();
    record.result = game.is_over().then(|| game.result_string());
    record
}
