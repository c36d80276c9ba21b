//! Softmax and log-softmax along one axis of a dense tensor viewed as `(outer, n, inner)`,
//! and their closed-form backwards. Every lane (one `(outer, inner)` position, `n` values
//! `inner` apart) subtracts its maximum before `exp`, so no finite input overflows.
//!
//! When `inner > 1` the lanes are processed `TILE` at a time, walking the `n` rows of a
//! tile with unit stride instead of striding down one lane; the per-lane accumulators
//! live in a fixed scratch buffer allocated once per worker.

use rayon::prelude::*;

use crate::backend::params::SoftmaxParams;
use crate::threads;

/// Below this many elements a parallel split costs more than it saves.
const PAR_MIN: usize = 1 << 15;
/// Lanes handled together when `inner > 1`.
const TILE: usize = 256;

/// `y = softmax(x)` (or `log_softmax` when `p.log`) along the `n` axis.
///
/// # Shapes
/// `x` and `y` are dense `(outer, n, inner)`.
pub(crate) fn forward(p: &SoftmaxParams, x: &[f32], y: &mut [f32]) {
    for_each_block(p, x, x, y, |x, _, y, scratch| {
        if p.inner == 1 {
            forward_row(x, y, p.log)
        } else {
            forward_lanes(x, y, p.n, p.inner, p.log, scratch)
        }
    });
}

/// The gradient `dx` from the forward's output `y` and the output gradient `g`:
/// softmax `dx = y * (g - sum(g * y))`, log-softmax `dx = g - exp(y) * sum(g)`, sums
/// along the `n` axis.
///
/// # Shapes
/// `y`, `g` and `dx` are dense `(outer, n, inner)`.
pub(crate) fn backward(p: &SoftmaxParams, y: &[f32], g: &[f32], dx: &mut [f32]) {
    for_each_block(p, y, g, dx, |y, g, dx, scratch| backward_lanes(y, g, dx, p.n, p.inner, p.log, scratch));
}

/// Calls `f(a_block, b_block, out_block, scratch)` on each of the `outer` blocks of
/// `n * inner` elements, in parallel when the tensor is large.
fn for_each_block(
    p: &SoftmaxParams,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    f: impl Fn(&[f32], &[f32], &mut [f32], &mut [f32]) + Sync,
) {
    let block = p.n * p.inner;
    if block == 0 || out.is_empty() {
        return;
    }
    let scratch_len = 2 * TILE.min(p.inner);
    if out.len() >= PAR_MIN && p.outer > 1 && threads::num_threads() > 1 {
        threads::run(|| {
            out.par_chunks_mut(block)
                .zip(a.par_chunks(block).zip(b.par_chunks(block)))
                .for_each_init(|| vec![0.0f32; scratch_len], |s, (o, (a, b))| f(a, b, o, s));
        });
    } else {
        let mut s = vec![0.0f32; scratch_len];
        for (o, (a, b)) in out.chunks_mut(block).zip(a.chunks(block).zip(b.chunks(block))) {
            f(a, b, o, &mut s);
        }
    }
}

/// One contiguous lane (`inner == 1`).
fn forward_row(x: &[f32], y: &mut [f32], log: bool) {
    // f32::max skips NaN; a NaN input still reaches every output through the sum.
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    if log {
        let sum: f32 = x.iter().map(|&v| (v - max).exp()).sum();
        let log_sum = sum.ln();
        // (x - max) - log_sum, not x - (max + log_sum): the first is exact for x == max.
        y.iter_mut().zip(x).for_each(|(y, &v)| *y = (v - max) - log_sum);
    } else {
        let mut sum = 0.0f32;
        for (y, &v) in y.iter_mut().zip(x) {
            *y = (v - max).exp();
            sum += *y;
        }
        let scale = 1.0 / sum;
        y.iter_mut().for_each(|y| *y *= scale);
    }
}

/// One `(n, inner)` block, `TILE` lanes at a time. `scratch` holds `2 * min(TILE, inner)`.
fn forward_lanes(x: &[f32], y: &mut [f32], n: usize, inner: usize, log: bool, scratch: &mut [f32]) {
    for start in (0..inner).step_by(TILE) {
        let w = TILE.min(inner - start);
        let (max, sum) = scratch.split_at_mut(scratch.len() / 2);
        let (max, sum) = (&mut max[..w], &mut sum[..w]);
        max.fill(f32::NEG_INFINITY);
        sum.fill(0.0);
        let row = |r: usize| r * inner + start..r * inner + start + w;
        for r in 0..n {
            max.iter_mut().zip(&x[row(r)]).for_each(|(m, &v)| *m = m.max(v));
        }
        for r in 0..n {
            let (xr, yr) = (&x[row(r)], &mut y[row(r)]);
            for (((y, &v), &m), s) in yr.iter_mut().zip(xr).zip(max.iter()).zip(sum.iter_mut()) {
                let e = (v - m).exp();
                *s += e;
                *y = e;
            }
        }
        if log {
            sum.iter_mut().for_each(|s| *s = s.ln());
            for r in 0..n {
                let (xr, yr) = (&x[row(r)], &mut y[row(r)]);
                for (((y, &v), &m), &ls) in yr.iter_mut().zip(xr).zip(max.iter()).zip(sum.iter()) {
                    *y = (v - m) - ls;
                }
            }
        } else {
            sum.iter_mut().for_each(|s| *s = 1.0 / *s);
            for r in 0..n {
                y[row(r)].iter_mut().zip(sum.iter()).for_each(|(y, &scale)| *y *= scale);
            }
        }
    }
}

/// Backward of one `(n, inner)` block, `TILE` lanes at a time (`inner == 1` is one lane).
fn backward_lanes(y: &[f32], g: &[f32], dx: &mut [f32], n: usize, inner: usize, log: bool, scratch: &mut [f32]) {
    for start in (0..inner).step_by(TILE) {
        let w = TILE.min(inner - start);
        let acc = &mut scratch[..w];
        acc.fill(0.0);
        let row = |r: usize| r * inner + start..r * inner + start + w;
        for r in 0..n {
            let (yr, gr) = (&y[row(r)], &g[row(r)]);
            if log {
                acc.iter_mut().zip(gr).for_each(|(a, &gv)| *a += gv);
            } else {
                acc.iter_mut().zip(yr.iter().zip(gr)).for_each(|(a, (&yv, &gv))| *a += gv * yv);
            }
        }
        for r in 0..n {
            let (yr, gr, dr) = (&y[row(r)], &g[row(r)], &mut dx[row(r)]);
            for (((d, &yv), &gv), &a) in dr.iter_mut().zip(yr).zip(gr).zip(acc.iter()) {
                // log-softmax's y is log(softmax), so exp(y) recovers the softmax.
                *d = if log { gv - yv.exp() * a } else { yv * (gv - a) };
            }
        }
    }
}
