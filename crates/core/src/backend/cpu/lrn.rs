//! Local response normalization across the channels of each lane of a dense
//! `(outer, c)` tensor, and its closed-form backward.
//!
//! Each lane needs windowed sums over `2 * depth_radius + 1` neighbouring channels. Small
//! windows (AlexNet's has 5 channels) are summed directly; wide ones slide a running sum,
//! kept in f64 so that subtracting the squares that leave the window does not leave f32
//! cancellation error behind. Per-lane buffers live in scratch allocated once per worker.

use rayon::prelude::*;

use crate::backend::params::LrnParams;
use crate::threads;

/// Below this many elements a parallel split costs more than it saves.
const PAR_MIN: usize = 1 << 15;
/// Windows up to this many channels are summed directly.
const DIRECT_MAX: usize = 16;

/// `y = x * (bias + alpha * window_sum(x^2))^-beta`.
///
/// # Shapes
/// `x` and `y` are dense `(outer, c)`.
pub(crate) fn forward(p: &LrnParams, x: &[f32], y: &mut [f32]) {
    for_each_lane(p, x, x, y, 2, |x, _, y, scratch| {
        let (sq, sums) = scratch.split_at_mut(p.c);
        sq.iter_mut().zip(x).for_each(|(s, &v)| *s = f64::from(v) * f64::from(v));
        window_sums(sq, p.depth_radius, sums);
        for ((y, &v), &sum) in y.iter_mut().zip(x).zip(sums.iter()) {
            let s = p.bias + p.alpha * sum as f32;
            *y = v * pow_neg(s, p.beta);
        }
    });
}

/// The input gradient from the input `x` and the output gradient `g`:
/// `dx[j] = g[j] * s[j]^-beta - 2 * alpha * beta * x[j] * sum_{i in W(j)} g[i] * x[i] * s[i]^(-beta-1)`
/// (the window is symmetric, so `j` lies in `W(i)` exactly when `i` lies in `W(j)`).
///
/// # Shapes
/// `x`, `g` and `dx` are dense `(outer, c)`.
pub(crate) fn backward(p: &LrnParams, x: &[f32], g: &[f32], dx: &mut [f32]) {
    let k = 2.0 * f64::from(p.alpha) * f64::from(p.beta);
    for_each_lane(p, x, g, dx, 3, |x, g, dx, scratch| {
        let (sq, rest) = scratch.split_at_mut(p.c);
        let (sums, t) = rest.split_at_mut(p.c);
        sq.iter_mut().zip(x).for_each(|(s, &v)| *s = f64::from(v) * f64::from(v));
        window_sums(sq, p.depth_radius, sums);
        // Reuse `sq` for s^-beta and `t` for g * x * s^(-beta-1).
        for (((pw, t), &sum), (&v, &gv)) in sq.iter_mut().zip(t.iter_mut()).zip(sums.iter()).zip(x.iter().zip(g)) {
            let s = p.bias + p.alpha * sum as f32;
            let ps = pow_neg(s, p.beta);
            *pw = f64::from(ps);
            *t = f64::from(gv) * f64::from(v) * f64::from(ps) / f64::from(s);
        }
        window_sums(t, p.depth_radius, sums);
        for ((((d, &v), &gv), &ps), &tsum) in dx.iter_mut().zip(x).zip(g).zip(sq.iter()).zip(sums.iter()) {
            *d = (f64::from(gv) * ps - k * f64::from(v) * tsum) as f32;
        }
    });
}

/// `s^-beta`, with the common exponents done without `powf`.
fn pow_neg(s: f32, beta: f32) -> f32 {
    if beta == 0.5 {
        1.0 / s.sqrt()
    } else if beta == 0.75 {
        let r = s.sqrt();
        1.0 / (r * r.sqrt())
    } else if beta == 1.0 {
        1.0 / s
    } else {
        s.powf(-beta)
    }
}

/// `out[j] = sum(a[j - r ..= j + r])` with the window clipped to `a`.
fn window_sums(a: &[f64], r: usize, out: &mut [f64]) {
    let c = a.len();
    if 2 * r < DIRECT_MAX {
        for (j, o) in out.iter_mut().enumerate() {
            *o = a[j.saturating_sub(r)..(j + r + 1).min(c)].iter().sum();
        }
        return;
    }
    let mut acc: f64 = a[..(r + 1).min(c)].iter().sum();
    for j in 0..c {
        out[j] = acc;
        if j + r + 1 < c {
            acc += a[j + r + 1];
        }
        if j >= r {
            acc -= a[j - r];
        }
    }
}

/// Calls `f(a_lane, b_lane, out_lane, scratch)` on each of the `outer` lanes of `c`
/// elements, in parallel when the tensor is large; `scratch` holds `buffers * c` f64s.
fn for_each_lane(
    p: &LrnParams,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    buffers: usize,
    f: impl Fn(&[f32], &[f32], &mut [f32], &mut [f64]) + Sync,
) {
    let c = p.c;
    if c == 0 || out.is_empty() {
        return;
    }
    let run = |a: &[f32], b: &[f32], out: &mut [f32], s: &mut Vec<f64>| {
        for (o, (a, b)) in out.chunks_mut(c).zip(a.chunks(c).zip(b.chunks(c))) {
            f(a, b, o, s);
        }
    };
    if out.len() >= PAR_MIN && p.outer > 1 && threads::num_threads() > 1 {
        // Several lanes per task, so that narrow lanes do not drown in scheduling.
        let block = c * (4096 / c).max(1);
        threads::run(|| {
            out.par_chunks_mut(block)
                .zip(a.par_chunks(block).zip(b.par_chunks(block)))
                .for_each_init(|| vec![0.0f64; buffers * c], |s, (o, (a, b))| run(a, b, o, s));
        });
    } else {
        let mut s = vec![0.0f64; buffers * c];
        run(a, b, out, &mut s);
    }
}
