//! The bias epilogue of conv and dense layers: `y = x + b` along the last axis with an
//! optional ReLU, and its backward, each in one pass over the rows.
//!
//! Rows are split into fixed blocks (not per thread), and the bias gradient sums each
//! block's partial in block order, so results do not depend on the thread count.

use rayon::prelude::*;

use super::batch_norm::{period, repeat};
use crate::threads;

/// Rows per task: the unit of both the parallel split and the bias-gradient partials.
const BLOCK_ROWS: usize = 256;
/// Below this many elements one thread does it all.
const PAR_MIN: usize = 1 << 15;

fn parallel(len: usize) -> bool {
    len >= PAR_MIN && threads::num_threads() > 1
}

/// `out = x + b` (rows of `b.len()`), then `max(out, 0)` when `relu`.
///
/// # Shapes
/// `x` and `out` dense `(rows, c)`, `b` `(c,)`.
pub(crate) fn forward(x: &[f32], b: &[f32], relu: bool, out: &mut [f32]) {
    let c = b.len();
    if c == 0 || out.is_empty() {
        return;
    }
    // Walk periods of lcm(c, 16) elements over which the bias repeats: full-width
    // vector loops even for LeNet's 6 channels.
    let l = period(c);
    let bl = repeat(b, l);
    let block = |(xs, os): (&[f32], &mut [f32])| {
        for (xr, or) in xs.chunks(l).zip(os.chunks_mut(l)) {
            if relu {
                or.iter_mut().zip(xr).zip(&bl).for_each(|((o, &v), &bv)| *o = (v + bv).max(0.0));
            } else {
                or.iter_mut().zip(xr).zip(&bl).for_each(|((o, &v), &bv)| *o = v + bv);
            }
        }
    };
    let n = BLOCK_ROWS * c;
    if parallel(out.len()) {
        threads::run(|| x.par_chunks(n).zip(out.par_chunks_mut(n)).for_each(block));
    } else {
        x.chunks(n).zip(out.chunks_mut(n)).for_each(block);
    }
}

/// The backward of [`forward`] from its output `y` and the output gradient `g`:
/// `dx = g` where `y > 0` (everywhere without `relu`, when `dx` is `None` the caller
/// reuses `g`), and `db` the column sums of `dx`.
///
/// # Shapes
/// `y`, `g` and `dx` dense `(rows, c)`, `db` `(c,)`.
pub(crate) fn backward(y: &[f32], g: &[f32], dx: Option<&mut [f32]>, db: &mut [f32]) {
    let c = db.len();
    db.fill(0.0);
    if c == 0 || g.is_empty() {
        return;
    }
    let (n, l) = (BLOCK_ROWS * c, period(c));
    // Per block, lanes of one period accumulate; they fold into channels at the end.
    let partial = |gs: &[f32], ys: &[f32], mut ds: Option<&mut [f32]>| -> Vec<f32> {
        let mut acc = vec![0f32; l];
        for (i, gr) in gs.chunks(l).enumerate() {
            match ds.as_deref_mut() {
                Some(ds) => {
                    let (yr, dr) = (&ys[i * l..], &mut ds[i * l..]);
                    for (((a, d), &gv), &yv) in acc.iter_mut().zip(dr).zip(gr).zip(yr) {
                        *d = if yv > 0.0 { gv } else { 0.0 };
                        *a += *d;
                    }
                }
                None => acc.iter_mut().zip(gr).for_each(|(a, &gv)| *a += gv),
            }
        }
        acc
    };
    let partials: Vec<Vec<f32>> = match dx {
        Some(dx) if parallel(g.len()) => threads::run(|| {
            g.par_chunks(n)
                .zip(y.par_chunks(n))
                .zip(dx.par_chunks_mut(n))
                .map(|((gs, ys), ds)| partial(gs, ys, Some(ds)))
                .collect()
        }),
        Some(dx) => {
            g.chunks(n).zip(y.chunks(n)).zip(dx.chunks_mut(n)).map(|((gs, ys), ds)| partial(gs, ys, Some(ds))).collect()
        }
        None if parallel(g.len()) => threads::run(|| g.par_chunks(n).map(|gs| partial(gs, &[], None)).collect()),
        None => g.chunks(n).map(|gs| partial(gs, &[], None)).collect(),
    };
    for p in partials {
        for (i, &v) in p.iter().enumerate() {
            db[i % c] += v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(x: &[f32], b: &[f32], relu: bool, g: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let c = b.len();
        let y: Vec<f32> =
            x.iter().enumerate().map(|(i, &v)| if relu { (v + b[i % c]).max(0.0) } else { v + b[i % c] }).collect();
        let dx: Vec<f32> = g.iter().zip(&y).map(|(&gv, &yv)| if !relu || yv > 0.0 { gv } else { 0.0 }).collect();
        let mut db = vec![0f64; c];
        dx.iter().enumerate().for_each(|(i, &d)| db[i % c] += d as f64);
        (y, dx, db.into_iter().map(|v| v as f32).collect())
    }

    #[test]
    fn matches_reference_in_one_block_and_across_threads() {
        let mut rng = crate::Rng::new(3);
        for (rows, c) in [(1, 1), (7, 6), (300, 16), (2100, 17), (4096, 64)] {
            let x = rng.normal([rows * c], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
            let b = rng.normal([c], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
            let g = rng.normal([rows * c], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
            for relu in [false, true] {
                let (y_ref, dx_ref, db_ref) = reference(&x, &b, relu, &g);
                let mut y = vec![f32::NAN; x.len()];
                forward(&x, &b, relu, &mut y);
                assert_eq!(y, y_ref, "forward rows {rows} c {c} relu {relu}");
                let (mut dx, mut db) = (vec![f32::NAN; x.len()], vec![f32::NAN; c]);
                backward(&y, &g, relu.then_some(&mut dx[..]), &mut db);
                if relu {
                    assert_eq!(dx, dx_ref);
                }
                for (a, e) in db.iter().zip(&db_ref) {
                    assert!((a - e).abs() <= 1e-4 * (1.0 + e.abs()) * (rows as f32).sqrt(), "db {a} vs {e}");
                }
            }
        }
    }
}
