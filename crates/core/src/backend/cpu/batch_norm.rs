//! Batch normalisation over the rows of a channels-last tensor (training mode): the
//! per-channel statistics, the normalisation, and the closed-form backward, each a
//! pass or two over the data instead of the dozen broadcast ops of the composite form.
//!
//! Channel counts are small where this matters (LeNet's 6 and 16), so the loops do not
//! walk rows of `c`: they walk the data in periods of `l = lcm(c, 16)` elements, over
//! which every per-channel parameter is repeated, so each inner loop is a full-width
//! vector loop whatever `c` is. Sums gather their `l` lanes back into `c` channels at
//! the end.
//!
//! Work goes in fixed blocks of rows; every per-channel sum adds its blocks' f32
//! partials in block order in f64, so results do not depend on the thread count.

use rayon::prelude::*;

use crate::threads;

const BLOCK_ROWS: usize = 256;
const PAR_MIN: usize = 1 << 15;

/// The period over which channel parameters repeat: `lcm(c, 16)` when that is small
/// enough to hold, else `c`. Always a multiple of `c` that divides `BLOCK_ROWS * c`.
pub(super) fn period(c: usize) -> usize {
    let (mut a, mut b) = (c, 16);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let l = c / a * 16;
    if l <= 4096 {
        l
    } else {
        c
    }
}

/// `v` (per channel) repeated to the period `l`.
pub(super) fn repeat(v: &[f32], l: usize) -> Vec<f32> {
    v.iter().copied().cycle().take(l).collect()
}

/// Per-channel sums over `n` elements: `f(offset, acc)` adds the `acc.len()` elements
/// from `offset` (a multiple of the period) into the lanes of `acc`.
fn lane_sums(n: usize, c: usize, f: impl Fn(usize, &mut [f32]) + Sync) -> Vec<f64> {
    let l = period(c);
    let block_len = BLOCK_ROWS * c;
    let block = |b: usize| {
        let mut acc = vec![0f32; l];
        let end = ((b + 1) * block_len).min(n);
        for off in (b * block_len..end).step_by(l) {
            f(off, &mut acc[..l.min(end - off)]);
        }
        acc
    };
    let blocks = n.div_ceil(block_len);
    let partials: Vec<Vec<f32>> = if n >= PAR_MIN && threads::num_threads() > 1 {
        threads::run(|| (0..blocks).into_par_iter().map(block).collect())
    } else {
        (0..blocks).map(block).collect()
    };
    let mut out = vec![0f64; c];
    for p in partials {
        for (i, &v) in p.iter().enumerate() {
            out[i % c] += v as f64;
        }
    }
    out
}

/// Writes `out` period by period: `f(offset, chunk)`, in parallel when large.
fn lanes_mut(out: &mut [f32], c: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let (l, block_len) = (period(c), BLOCK_ROWS * c);
    let block = |(b, o): (usize, &mut [f32])| {
        for (i, chunk) in o.chunks_mut(l).enumerate() {
            f(b * block_len + i * l, chunk);
        }
    };
    if out.len() >= PAR_MIN && threads::num_threads() > 1 {
        threads::run(|| out.par_chunks_mut(block_len).enumerate().for_each(block));
    } else {
        out.chunks_mut(block_len).enumerate().for_each(block);
    }
}

/// The batch mean and (biased) variance of each channel, two-pass as Keras computes it.
///
/// # Shapes
/// `x` dense `(rows, c)` with rows >= 1; returns two `(c,)` vectors.
pub(crate) fn moments(x: &[f32], c: usize) -> (Vec<f32>, Vec<f32>) {
    let rows = (x.len() / c) as f64;
    let sums = lane_sums(x.len(), c, |off, acc| acc.iter_mut().zip(&x[off..]).for_each(|(a, &v)| *a += v));
    let mean: Vec<f32> = sums.into_iter().map(|s| (s / rows) as f32).collect();
    let m = repeat(&mean, period(c));
    let dev = lane_sums(x.len(), c, |off, acc| {
        for ((a, &v), &m) in acc.iter_mut().zip(&x[off..]).zip(&m) {
            *a += (v - m) * (v - m);
        }
    });
    (mean, dev.into_iter().map(|s| (s / rows) as f32).collect())
}

/// `y = x * scale + shift` per channel.
pub(crate) fn normalize(x: &[f32], scale: &[f32], shift: &[f32], y: &mut [f32]) {
    let l = period(scale.len());
    let (s, t) = (repeat(scale, l), repeat(shift, l));
    lanes_mut(y, scale.len(), |off, out| {
        for (((o, &v), &s), &t) in out.iter_mut().zip(&x[off..]).zip(&s).zip(&t) {
            *o = v * s + t;
        }
    });
}

/// The backward of `y = gamma * (x - mean) * rstd + beta` with batch statistics:
/// returns `(dgamma, dbeta)` and writes
/// `dx = gamma * rstd / R * (R * g - dbeta - xhat * dgamma)`.
///
/// # Shapes
/// `x`, `g`, `dx` dense `(rows, c)`; `mean`, `rstd`, `gamma` `(c,)`.
pub(crate) fn backward(
    x: &[f32],
    g: &[f32],
    mean: &[f32],
    rstd: &[f32],
    gamma: &[f32],
    dx: &mut [f32],
) -> (Vec<f32>, Vec<f32>) {
    let c = mean.len();
    let (l, rows) = (period(c), (x.len() / c) as f32);
    let (m, s) = (repeat(mean, l), repeat(rstd, l));
    let dbeta = lane_sums(g.len(), c, |off, acc| acc.iter_mut().zip(&g[off..]).for_each(|(a, &v)| *a += v));
    let dgamma = lane_sums(g.len(), c, |off, acc| {
        for ((((a, &v), &gv), &m), &s) in acc.iter_mut().zip(&x[off..]).zip(&g[off..]).zip(&m).zip(&s) {
            *a += gv * (v - m) * s;
        }
    });
    let (dbeta, dgamma): (Vec<f32>, Vec<f32>) =
        (dbeta.into_iter().map(|v| v as f32).collect(), dgamma.into_iter().map(|v| v as f32).collect());
    let k: Vec<f32> = gamma.iter().zip(rstd).map(|(&gm, &s)| gm * s / rows).collect();
    let (k, db, dg) = (repeat(&k, l), repeat(&dbeta, l), repeat(&dgamma, l));
    lanes_mut(dx, c, |off, out| {
        let lanes = out.iter_mut().zip(&x[off..]).zip(&g[off..]).zip(&m).zip(&s).zip(&k).zip(&db).zip(&dg);
        for (((((((o, &v), &gv), &m), &s), &k), &db), &dg) in lanes {
            *o = k * (rows * gv - db - (v - m) * s * dg);
        }
    });
    (dgamma, dbeta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_repeats_channels_and_tiles_the_blocks() {
        for c in [1, 3, 6, 16, 17, 84, 120, 384, 1000] {
            let l = period(c);
            assert_eq!(l % c, 0, "c {c}");
            assert_eq!((BLOCK_ROWS * c) % l, 0, "c {c}");
        }
        assert_eq!(period(6), 48);
        assert_eq!(period(16), 16);
    }
}
