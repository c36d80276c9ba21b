// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! Old (im2col) against chosen conv kernels on the issue-6 shapes, interleaved rep by rep
//! so that a shared machine's load hits both alike. Not a test of speed (nothing is
//! asserted); a measuring tool:
//!
//! `cargo test --release -p fovea-core --lib conv_speed::old_vs_new -- --ignored --nocapture --test-threads=1`
//! (one test thread: the other measuring tests in this module would otherwise run on
//! the other core at the same time).
//! (`CONV_SPEED=name,name` picks shapes by name, `CONV_REPS` sets the repetitions,
//! `CONV_MIN` reports minima instead of medians, `CONV_PASS=fwd,dx,dw` picks passes,
//! `CONV_OLD=0` skips the old kernels, for profiling the new; `CONV_CPU` times by this
//! thread's CPU time, for `FOVEA_NUM_THREADS=1` runs on a busy machine).

use std::time::Instant;

use super::conv_im2col as old;
use super::conv_tests::{data, params};
use crate::backend::conv as new;
use crate::backend::params::Conv2dParams;

/// (name, n, h, w, c_in, c_out, k, stride, pad)
type Shape = (&'static str, usize, usize, usize, usize, usize, usize, usize, usize);

const SHAPES: &[Shape] = &[
    ("alex1", 8, 227, 227, 3, 96, 11, 4, 0),
    ("alex2", 8, 27, 27, 96, 256, 5, 1, 2),
    ("alex3", 8, 13, 13, 256, 384, 3, 1, 1),
    ("go3_b1", 1, 19, 19, 192, 192, 3, 1, 1),
    ("go3_b16", 16, 19, 19, 192, 192, 3, 1, 1),
    ("go5_b16", 16, 19, 19, 48, 192, 5, 1, 2),
    ("go5_b1", 1, 19, 19, 48, 192, 5, 1, 2),
    ("pw", 8, 28, 28, 256, 64, 1, 1, 0),
    ("mnist", 64, 28, 28, 32, 64, 3, 1, 1),
    ("lenet1", 64, 28, 28, 1, 6, 5, 1, 2),
    ("lenet2", 64, 14, 14, 6, 16, 5, 1, 0),
];

/// This thread's time on a CPU in ms (Linux schedstat): unlike wall time it does not
/// count the time other processes hold the core, so one-thread runs measure the
/// kernel, not the machine's load.
fn cpu_ms() -> f64 {
    // The kernel updates the counter when the thread is scheduled: yield to make it current.
    std::thread::yield_now();
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1e6
}

/// Milliseconds since some start: CPU time of this thread with `CONV_CPU` set (for
/// one-thread runs), else wall time.
fn now_ms() -> f64 {
    thread_local! { static START: Instant = Instant::now(); }
    if std::env::var("CONV_CPU").is_ok() {
        cpu_ms()
    } else {
        START.with(|s| s.elapsed().as_secs_f64() * 1e3)
    }
}

/// Whether shape `name` is picked by the comma-separated `filter`: an entry naming a
/// shape exactly picks only that shape, any other entry picks the shapes containing it.
fn picked(filter: &str, name: &str) -> bool {
    filter.split(',').any(|f| if SHAPES.iter().any(|s| s.0 == f) { name == f } else { name.contains(f) })
}

/// Medians in ms of `a` and `b`, run alternately.
fn pair(reps: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let skip_old = std::env::var("CONV_OLD").is_ok_and(|v| v == "0");
    let mut a = move || {
        if !skip_old {
            a()
        }
    };
    a();
    b();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let s = now_ms();
        a();
        ta.push(now_ms() - s);
        let s = now_ms();
        b();
        tb.push(now_ms() - s);
    }
    ta.sort_by(f64::total_cmp);
    tb.sort_by(f64::total_cmp);
    // The minimum is the run least disturbed by other work on a shared machine.
    if std::env::var("CONV_MIN").is_ok() {
        (ta[0], tb[0])
    } else {
        (ta[reps / 2], tb[reps / 2])
    }
}

fn report(name: &str, pass: &str, p: &Conv2dParams, (o, n): (f64, f64)) {
    let gflop = 2.0 * (p.n * p.h_out * p.w_out * p.c_out * p.kh * p.kw * p.c_in / p.groups) as f64 / 1e9;
    println!("{name:8} {pass:5} old {o:8.3} ms  new {n:8.3} ms ({:6.1} GF/s)  speedup {:5.2}x", gflop / n * 1e3, o / n);
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn old_vs_new() {
    let filter = std::env::var("CONV_SPEED").unwrap_or_default();
    let passes = std::env::var("CONV_PASS").unwrap_or_else(|_| "fwd,dx,dw".into());
    let reps = std::env::var("CONV_REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(10);
    for &(name, n, h, w, ci, co, k, s, pad) in SHAPES {
        if !picked(&filter, name) {
            continue;
        }
        let p = params(n, (h, w), (k, k), (s, s), (1, 1), [pad; 4], 1, (ci, co)).unwrap();
        let x = data(n * h * w * ci, 1);
        let wt: Vec<f32> = data(k * k * ci * co, 2).iter().map(|v| v * 0.1).collect();
        let dy = data(n * p.h_out * p.w_out * co, 3);
        let y_len = dy.len();
        if passes.contains("fwd") {
            let fwd = pair(
                reps,
                || old::forward(&x, &wt, &p, &mut vec![0.0; y_len]),
                || new::forward(&x, &wt, &p, &mut vec![0.0; y_len]),
            );
            report(name, "fwd", &p, fwd);
        }
        if passes.contains("dx") {
            let dx = pair(
                reps,
                || old::backward_input(&dy, &wt, &p, &mut vec![0.0; x.len()]),
                || new::backward_input(&dy, &wt, &p, &mut vec![0.0; x.len()]),
            );
            report(name, "dx", &p, dx);
        }
        if passes.contains("dw") {
            let dw = pair(
                reps,
                || old::backward_kernel(&x, &dy, &p, &mut vec![0.0; wt.len()]),
                || new::backward_kernel(&x, &dy, &p, &mut vec![0.0; wt.len()]),
            );
            report(name, "dw", &p, dw);
        }
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn tile_speed() {
    use super::conv_tile::{tile, Geom, Seg};
    // One 14x32 register tile over K = 256 with A and B in L1/L2: the kernel's ceiling.
    for (rows, cols, k) in [
        (14, 32, 256),
        (12, 32, 256),
        (10, 32, 256),
        (24, 16, 256),
        (20, 16, 256),
        (16, 16, 256),
        (14, 16, 256),
        (12, 16, 256),
        (14, 32, 32),
    ] {
        let a = data(rows * k, 1);
        let b = data(k * 32, 2);
        let mut c = vec![0.0f32; rows * 32];
        let g = Geom { a_rs: k, a_ks: 1, b_ks: 32, c_rs: 32, c_vs: 16 };
        let segs = [Seg { a: 0, b: 0, len: k }];
        let iters = 200_000_000 / (rows * cols * k);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let s = Instant::now();
            for _ in 0..iters {
                tile(rows, cols, &a, &b, &segs, &g, &mut c, true);
            }
            best = best.min(s.elapsed().as_secs_f64());
        }
        let gf = 2.0 * (rows * cols * k * iters) as f64 / best / 1e9;
        println!("tile {rows}x{cols} k={k}: {gf:.1} GF/s on one thread");
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn tile_memory_speed() {
    use super::conv_tile::{tile, Geom, Seg};
    // A 14x32 tile whose B panel (k x 32) lives in L1, L2 or L3, and whose A rows are
    // NHWC pixels (c = 96 channels apart), as in the direct conv.
    for k in [128usize, 480, 2400, 9600] {
        let c = 96;
        let a = data(14 * c + k, 1);
        let b = data(k * 32, 2);
        let mut out = vec![0.0f32; 14 * 32];
        let g = Geom { a_rs: c, a_ks: 1, b_ks: 32, c_rs: 32, c_vs: 16 };
        let segs = [Seg { a: 0, b: 0, len: k }];
        let iters = 400_000_000 / (14 * 32 * k);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let s = Instant::now();
            for _ in 0..iters {
                tile(14, 32, &a, &b, &segs, &g, &mut out, true);
            }
            best = best.min(s.elapsed().as_secs_f64());
        }
        let gf = 2.0 * (14 * 32 * k * iters) as f64 / best / 1e9;
        println!("tile 14x32, B panel {} KiB: {gf:.1} GF/s on one thread", k * 32 * 4 / 1024);
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn direct_speed() {
    // The direct kernel alone on each shape, output buffer reused (no page faults).
    let filter = std::env::var("CONV_SPEED").unwrap_or_default();
    for &(name, n, h, w, ci, co, k, s, pad) in SHAPES {
        if !picked(&filter, name) {
            continue;
        }
        let p = params(n, (h, w), (k, k), (s, s), (1, 1), [pad; 4], 1, (ci, co)).unwrap();
        let x = data(n * h * w * ci, 1);
        let wt = data(k * k * ci * co, 2);
        let mut out = vec![0.0; n * p.h_out * p.w_out * co];
        let (t, _) = pair(9, || super::conv_direct::forward(&x, &wt, &p, &mut out), || {});
        let gflop = 2.0 * (n * p.h_out * p.w_out * co * k * k * ci) as f64 / 1e9;
        println!("{name:8} direct {t:8.3} ms  {:6.1} GF/s", gflop / t * 1e3);
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn tile_alex2_speed() {
    use super::conv_tile::{tile, Geom, Seg};
    // Four output rows of AlexNet conv2 (27 pixels: tiles of 14 and 13) on one 32-channel
    // panel: a padded 31-wide, 96-channel image, 5 kernel rows of 5 x 96 contiguous taps,
    // B panel 2400 x 32 (300 KiB). Use CONV_CPU=1 on a busy machine.
    let (c, wp, kw, kh, rows) = (96, 31, 5, 5, 4);
    let a = data((kh + rows) * wp * c, 1);
    let b = data(kh * kw * c * 32, 2);
    let mut out = vec![0.0f32; rows * 27 * 32];
    let g = Geom { a_rs: c, a_ks: 1, b_ks: 32, c_rs: 32, c_vs: 16 };
    let segs: Vec<Seg> = (0..kh).map(|i| Seg { a: i * wp * c, b: i * kw * c * 32, len: kw * c }).collect();
    let iters = 300;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let s = now_ms();
        for _ in 0..iters {
            for r in 0..rows {
                for (ow0, n) in [(0, 14), (14, 13)] {
                    let a = &a[(r * wp + ow0) * c..];
                    tile(n, 32, a, &b, &segs, &g, &mut out[(r * 27 + ow0) * 32..], false);
                }
            }
        }
        best = best.min(now_ms() - s);
    }
    let gf = 2.0 * (rows * 27 * 32 * kh * kw * c * iters) as f64 / best / 1e6;
    println!("tile alex2: {gf:.1} GF/s on one thread");
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn winograd_schedules_speed() {
    use super::conv_winograd::{applies, forward_with, Schedule};
    let filter = std::env::var("CONV_SPEED").unwrap_or_default();
    let reps = std::env::var("CONV_REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(10);
    for &(name, n, h, w, ci, co, k, s, pad) in SHAPES {
        let p = params(n, (h, w), (k, k), (s, s), (1, 1), [pad; 4], 1, (ci, co)).unwrap();
        if !applies(&p) || !picked(&filter, name) {
            continue;
        }
        let x = data(n * h * w * ci, 1);
        let wt = data(k * k * ci * co, 2);
        let len = n * p.h_out * p.w_out * co;
        let only_batched = std::env::var("CONV_OLD").is_ok_and(|v| v == "0");
        let (f, b) = pair(
            reps,
            || {
                if !only_batched {
                    forward_with(&x, &wt, &p, &mut vec![0.0; len], Schedule::Fused)
                }
            },
            || forward_with(&x, &wt, &p, &mut vec![0.0; len], Schedule::Batched),
        );
        println!("{name:8} winograd fused {f:8.3} ms  batched {b:8.3} ms");
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn winograd_gemm_speed() {
    use super::conv_tile::{tile, Geom, Seg, LANES};
    // One fused Winograd unit's 36 products (V tile-major [t][xi][c_in], M [t][2][xi][16]
    // per 32-channel panel), U for all panels streaming (from L3 when large).
    for (tiles, c_in, c_out) in [(25usize, 192usize, 192usize), (112, 48, 96), (112, 32, 64)] {
        let width = 32;
        let piece = 36 * LANES;
        let v = data(tiles * 36 * c_in, 1);
        let u = data(36 * c_in * c_out, 2);
        let mut m = vec![0.0f32; tiles * 2 * piece];
        let segs = [Seg { a: 0, b: 0, len: c_in }];
        let geom = Geom { a_rs: 36 * c_in, a_ks: 1, b_ks: width, c_rs: 2 * piece, c_vs: piece };
        let rows: Vec<(usize, usize)> = super::conv_direct::column_tiles(tiles, 14).collect();
        let iters = 4_000_000_000 / (tiles * 36 * c_in * c_out * 2);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let s = now_ms();
            for _ in 0..iters {
                for blk in 0..c_out / width {
                    for xi in 0..36 {
                        let panel = &u[(blk * 36 + xi) * c_in * width..][..c_in * width];
                        for &(t0, n) in &rows {
                            let a = &v[(t0 * 36 + xi) * c_in..];
                            let c = &mut m[t0 * 2 * piece + xi * LANES..];
                            tile(n, width, a, panel, &segs, &geom, c, false);
                        }
                    }
                }
            }
            best = best.min(now_ms() - s);
        }
        let gf = 2.0 * (tiles * 36 * c_in * c_out * iters) as f64 / best / 1e6;
        println!("winograd gemm {tiles} tiles {c_in} -> {c_out}: {gf:.1} GF/s on one thread");
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn winograd_kernel_transform_speed() {
    use super::conv_winograd::{transform_panel, KernelGeom};
    // The kernel transform of a Go layer (3x3, 192 -> 192), panel by panel into a buffer
    // that stays in L2, as the batch-1 schedule does.
    let k = KernelGeom::new(3, 192, 192);
    let w = data(9 * 192 * 192, 1);
    let iters = 50;
    let mut best = f64::MAX;
    super::scratch::with(&super::scratch::KERNEL, k.panel_len(), |panel| {
        for _ in 0..5 {
            let s = now_ms();
            for _ in 0..iters {
                for blk in 0..k.blocks {
                    transform_panel(&w, k, blk, panel);
                }
            }
            best = best.min(now_ms() - s);
        }
    });
    println!("winograd kernel transform 192x192: {:.3} ms per kernel", best / iters as f64);
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn flip_kernel_speed() {
    // The grad-input kernel of AlexNet conv3 (3x3, 256 -> 384).
    let p = params(1, (13, 13), (3, 3), (1, 1), (1, 1), [1; 4], 1, (256, 384)).unwrap();
    let w = data(9 * 256 * 384, 1);
    let mut out = vec![0.0; w.len()];
    let (t, _) = pair(9, || super::conv_grad::flip_kernel(&w, &p, &mut out), || {});
    println!("flip_kernel 3x3x256x384: {t:.3} ms");
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn winograd_grad_gemm_speed() {
    use super::conv_direct::column_tiles;
    use super::conv_tile::{tile, Geom, Seg};
    // One point's product of the Winograd kernel gradient on a Go batch of 16:
    // dU (192 x 192) = V^T (192 x 400) dM (400 x 192), V and dM point-major in L2.
    let (tiles, c_in, c_out) = (400usize, 192usize, 192usize);
    let v = data(tiles * c_in, 1);
    let dm = data(tiles * c_out, 2);
    let mut du = vec![0.0f32; c_in * c_out];
    let geom = Geom { a_rs: 1, a_ks: c_in, b_ks: c_out, c_rs: c_out, c_vs: 16 };
    for tb in [32usize, 64, 400] {
        let iters = 30;
        let mut best = f64::MAX;
        for _ in 0..5 {
            let s = now_ms();
            for _ in 0..iters {
                for t0 in (0..tiles).step_by(tb) {
                    let seg = [Seg { a: t0 * c_in, b: t0 * c_out, len: tb.min(tiles - t0) }];
                    for c0 in (0..c_out).step_by(32) {
                        for (ci0, n) in column_tiles(c_in, 14) {
                            tile(n, 32, &v[ci0..], &dm[c0..], &seg, &geom, &mut du[ci0 * c_out + c0..], t0 > 0);
                        }
                    }
                }
            }
            best = best.min(now_ms() - s);
        }
        let gf = 2.0 * (tiles * c_in * c_out * iters) as f64 / best / 1e6;
        println!("winograd grad gemm tb={tb}: {gf:.1} GF/s on one thread");
    }
}

#[test]
#[ignore = "measures speed; run by hand in release mode"]
fn tile_alex1_speed() {
    use super::conv_tile::{tile, Geom, Seg};
    // One output row of AlexNet conv1 on one 32-channel panel: 11 input rows of 227 x 3,
    // stride 4 (A rows 12 floats apart), 11 kernel rows of 33 contiguous taps.
    let (c, wp, k, s) = (3usize, 227usize, 11usize, 4usize);
    let a = data(k * wp * c, 1);
    let b = data(k * k * c * 32, 2);
    let mut out = vec![0.0f32; 55 * 32];
    let g = Geom { a_rs: s * c, a_ks: 1, b_ks: 32, c_rs: 32, c_vs: 16 };
    let segs: Vec<Seg> = (0..k).map(|i| Seg { a: i * wp * c, b: i * k * c * 32, len: k * c }).collect();
    for rows in [14usize, 11, 8] {
        let tiles: Vec<(usize, usize)> = (0..55).step_by(rows).map(|o| (o, rows.min(55 - o))).collect();
        let iters = 2000;
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = now_ms();
            for _ in 0..iters {
                for &(ow0, n) in &tiles {
                    tile(n, 32, &a[ow0 * s * c..], &b, &segs, &g, &mut out[ow0 * 32..], false);
                }
            }
            best = best.min(now_ms() - t);
        }
        let gf = 2.0 * (55 * 32 * k * k * c * iters) as f64 / best / 1e6;
        println!("tile alex1 rows={rows}: {gf:.1} GF/s on one thread");
    }
}
