//! `fovea bench go`: the Go engine's hot loops on one thread: random playouts on 19x19
//! and 9x9 (moves/s and playouts/s, from the empty board, komi 7.5) and the 48-plane
//! AlphaGo feature encoding of 19x19 mid-game positions (positions/s).
//!
//! Every repetition replays the same seeded playouts (or encodes the same positions),
//! so the repetitions do identical work and their median time is the rate's measure.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use fovea_go::features::{Encoder, PLANES};
use fovea_go::kifu;
use fovea_go::playout::{Playout, PlayoutRng};
use fovea_go::{Board, Game};
use serde_json::{json, Value};

use crate::bench_timing::Timing;

/// Options of `fovea bench go`.
#[derive(Args, Debug)]
pub struct GoArgs {
    /// Playouts per timed repetition on 19x19 (9x9 runs eight times as many).
    #[arg(long, default_value_t = 200)]
    playouts: usize,
    /// Timed repetitions of each case; the median counts.
    #[arg(long, default_value_t = 9)]
    reps: usize,
    /// 19x19 mid-game positions encoded per repetition.
    #[arg(long, default_value_t = 400)]
    positions: usize,
    /// Take the positions from a Tom month file (`../shared/go/tom/kifu/2010-01`) instead
    /// of random playouts; each game is replayed to a move between 100 and 199.
    #[arg(long)]
    kifu: Option<PathBuf>,
    /// Seed of the playouts.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

const KOMI: f32 = 7.5;

/// The CPU's name as /proc/cpuinfo gives it (`model name`), or `unknown`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// `count` playouts from the empty `size` board, seeded by `seed`: the total of their
/// moves (passes included).
fn playouts(size: usize, count: usize, seed: u64) -> fovea_go::Result<usize> {
    let empty = Board::new(size)?;
    let playout = Playout::new(size, KOMI);
    let mut rng = PlayoutRng::new(seed);
    let mut moves = 0;
    for _ in 0..count {
        let mut board = empty.clone();
        moves += playout.run(&mut board, &mut rng).moves;
    }
    Ok(moves)
}

/// This thread's CPU time in ms: on a busy host it shows what the work costs when the
/// wall clock also counts the time other processes held the core.
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 * 1e-6
    } else {
        f64::NAN
    }
}

/// Wall-clock and thread-CPU timings of `reps` runs of `run` after one untimed run.
fn time_runs(reps: usize, mut run: impl FnMut()) -> (Timing, Timing) {
    run();
    let (mut wall, mut cpu) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    for _ in 0..reps {
        let (start, cpu_start) = (Instant::now(), thread_cpu_ms());
        run();
        cpu.push(thread_cpu_ms() - cpu_start);
        wall.push(start.elapsed().as_secs_f64() * 1e3);
    }
    (Timing::from_samples(wall), Timing::from_samples(cpu))
}

/// The JSON fields every case shares: `items` done per repetition, their rate by the
/// median wall time and by the median thread CPU time.
fn timing_json(name: &str, wall: &Timing, cpu: &Timing, items: usize, unit: &str) -> Value {
    json!({
        "name": name, "median_ms": wall.median_ms, "min_ms": wall.min_ms, "cpu_median_ms": cpu.median_ms,
        "reps": wall.reps, unit: items,
        format!("{unit}_per_s"): items as f64 / (wall.median_ms * 1e-3),
        format!("{unit}_per_cpu_s"): items as f64 / (cpu.median_ms * 1e-3),
    })
}

fn time_playouts(size: usize, count: usize, reps: usize, seed: u64) -> fovea_go::Result<Value> {
    let moves = playouts(size, count, seed)?;
    let (wall, cpu) = time_runs(reps, || {
        std::hint::black_box(playouts(size, count, seed).ok());
    });
    let mut v = timing_json(&format!("playout-{size}x{size}"), &wall, &cpu, count, "playouts");
    v["moves"] = json!(moves);
    v["moves_per_playout"] = json!(moves as f64 / count as f64);
    v["moves_per_s"] = json!(moves as f64 / (wall.median_ms * 1e-3));
    v["moves_per_cpu_s"] = json!(moves as f64 / (cpu.median_ms * 1e-3));
    Ok(v)
}

/// Where each encoded position stops: moves 100..=199, spread evenly.
fn stop_move(i: usize) -> usize {
    100 + i % 100
}

/// 19x19 positions at moves 100..=199 of seeded random playouts.
fn playout_positions(count: usize, seed: u64) -> fovea_go::Result<Vec<Board>> {
    let mut rng = PlayoutRng::new(seed ^ 0x5EED);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let mut board = Board::new(19)?;
        Playout { komi: KOMI, max_moves: stop_move(out.len()) }.run(&mut board, &mut rng);
        out.push(board);
    }
    Ok(out)
}

/// The first `count` games of a Tom month file long enough to reach their stopping
/// move, each replayed to it.
fn kifu_positions(path: &Path, count: usize) -> Result<Vec<Board>, Box<dyn std::error::Error>> {
    let set = kifu::read_month(path, None)?;
    let mut out = Vec::with_capacity(count);
    for game in &set.games {
        if out.len() == count {
            break;
        }
        let stop = stop_move(out.len());
        if game.record.size != 19 || game.record.moves.len() < stop {
            continue;
        }
        let mut replay = Game::new(19, KOMI)?;
        for &(color, mv) in &game.record.moves[..stop] {
            replay.play(color, mv).map_err(|e| format!("bench go: {} game {}: {e}", path.display(), game.id))?;
        }
        out.push(replay.board().clone());
    }
    if out.len() < count {
        let found = out.len();
        return Err(format!("bench go: {} has {found} games of 100+ moves, {count} asked", path.display()).into());
    }
    Ok(out)
}

fn time_encoding(positions: &[Board], reps: usize, source: &str) -> Value {
    let mut encoder = Encoder::new();
    // One (19, 19, PLANES) HWC position, overwritten by each encoding.
    let mut planes = vec![0.0f32; 19 * 19 * PLANES];
    let (wall, cpu) = time_runs(reps, || {
        for board in positions {
            encoder.encode(board, &mut planes);
            std::hint::black_box(&planes);
        }
    });
    let mut v = timing_json("encode-19x19", &wall, &cpu, positions.len(), "positions");
    v["source"] = json!(source);
    v
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// Runs `fovea bench go`.
pub fn run(args: &GoArgs) -> Result<(), Box<dyn std::error::Error>> {
    if args.reps == 0 || args.playouts == 0 || args.positions == 0 {
        return Err("bench go: --reps, --playouts and --positions must be at least 1".into());
    }
    let cpu = cpu_model();
    let playouts = [
        time_playouts(19, args.playouts, args.reps, args.seed)?,
        time_playouts(9, 8 * args.playouts, args.reps, args.seed)?,
    ];
    let (positions, source) = match &args.kifu {
        Some(path) => (kifu_positions(path, args.positions)?, path.display().to_string()),
        None => (playout_positions(args.positions, args.seed)?, "random playouts".to_string()),
    };
    let encoding = time_encoding(&positions, args.reps, &source);
    if args.json {
        let results: Vec<&Value> = playouts.iter().chain([&encoding]).collect();
        println!("{}", json!({ "bench": "go", "cpu": cpu, "threads": 1, "results": results }));
        return Ok(());
    }
    println!("CPU: {cpu}; one thread; rates by the median wall time (and by thread CPU time)");
    for r in &playouts {
        println!(
            "{:<14} {:>4} playouts/rep  {:>9.3} ms  {:>6.0} playouts/s  {:>5.2} M moves/s ({:.2} M/s CPU)  {:.1} moves/playout",
            r["name"].as_str().unwrap_or(""),
            r["playouts"],
            num(r, "median_ms"),
            num(r, "playouts_per_s"),
            num(r, "moves_per_s") * 1e-6,
            num(r, "moves_per_cpu_s") * 1e-6,
            num(r, "moves_per_playout"),
        );
    }
    println!(
        "{:<14} {:>4} positions/rep {:>9.3} ms  {:>6.0} positions/s ({:.0}/s CPU), positions from {source}, moves 100-199",
        "encode-19x19",
        positions.len(),
        num(&encoding, "median_ms"),
        num(&encoding, "positions_per_s"),
        num(&encoding, "positions_per_cpu_s"),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playout_positions_stop_at_moves_from_100_up() {
        let boards = playout_positions(3, 0).unwrap();
        let stops: Vec<u32> = boards.iter().map(Board::move_number).collect();
        assert_eq!(stops, [100, 101, 102]);
        assert!(boards.iter().all(|b| b.empty_points().len() < 361));
    }

    #[test]
    fn rates_divide_the_items_by_the_median_wall_and_cpu_times() {
        let wall = Timing::from_samples(vec![200.0, 100.0, 300.0]);
        let cpu = Timing::from_samples(vec![50.0]);
        let v = timing_json("encode-19x19", &wall, &cpu, 40, "positions");
        assert_eq!((num(&v, "positions_per_s"), num(&v, "positions_per_cpu_s")), (200.0, 800.0));
        assert_eq!((v["positions"].as_u64(), num(&v, "min_ms")), (Some(40), 100.0));
    }

    #[test]
    fn a_kifu_file_without_enough_long_games_is_refused_with_the_count() {
        let path = std::env::temp_dir().join(format!("fovea-bench-go-{}.kifu", std::process::id()));
        std::fs::write(&path, "1\t;B[pd];W[dp];B[pp];W[dd]\n").unwrap();
        let err = kifu_positions(&path, 2).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(err.contains("has 0 games of 100+ moves, 2 asked"), "{err}");
    }
}
