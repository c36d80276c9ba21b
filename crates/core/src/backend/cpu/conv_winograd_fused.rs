//! The Winograd schedule: each unit of tile rows runs the input transform, the 36
//! products and the output transform back to back, with its `V` and one panel of `M`
//! in this thread's scratch (L2), while `U` streams past once per unit.
//!
//! Units are batch tile rows (spanning images), sized so that `V` and `M` stay near
//! 1 MiB. When there are fewer units than threads (batch 1) each unit is also split by
//! output-channel panels, each part written to its own buffer and copied out, and each
//! panel of `U` is transformed by the unit that uses it, straight into L2.
//!
//! (A schedule that ran each step over the whole batch, reading each `U[xi]` once, was
//! measured no faster on AlexNet conv3 or the Go layers and slower on small channels.)
//!
//! # Shapes
//! As `conv_winograd`.

use rayon::prelude::*;

use super::conv_direct::column_tiles;
use super::conv_tile::LANES;
use super::conv_tile::{self, Geom, Seg};
use super::conv_winograd::{input_tiles, output_tiles, transform_panel, with_transformed_kernel};
use super::conv_winograd::{v_stride, KernelGeom, ProductLayout, TileGrid, PIECE};
use super::conv_winograd_xform::POINTS;
use super::scratch;
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Tiles per unit at least: two 14-row register tiles.
const UNIT_TILES: usize = 28;
/// Bytes of `V` plus one panel of `M` a unit aims for.
const UNIT_BYTES: usize = 1 << 20;

/// A unit of work: batch tile rows `r0..r1` (possibly spanning images), output panels
/// `blk0..blk1`.
#[derive(Clone, Copy, Debug)]
struct Unit {
    r0: usize,
    r1: usize,
    blk0: usize,
    blk1: usize,
}

fn units(n: usize, g: TileGrid, c_in: usize, width: usize, blocks: usize, threads: usize) -> Vec<Unit> {
    let per_tile = POINTS * (c_in + width) * std::mem::size_of::<f32>();
    let tiles = (UNIT_BYTES / per_tile).max(UNIT_TILES);
    let rows = n * g.th;
    let per = (tiles / g.tw).clamp(1, rows);
    // A multiple of the thread count, so that no thread idles at the end.
    let mut chunks = rows.div_ceil(per).div_ceil(threads) * threads;
    if chunks > rows || (rows.div_ceil(per) < threads && blocks >= threads) {
        // Too few rows to go round: split the output panels instead.
        chunks = rows.div_ceil(per);
    }
    let split = if threads > 1 && chunks < threads { threads.min(blocks) } else { 1 };
    let mut out = Vec::new();
    for c in 0..chunks {
        let (r0, r1) = (rows * c / chunks, rows * (c + 1) / chunks);
        if r0 == r1 {
            continue;
        }
        for s in 0..split {
            let (blk0, blk1) = (blocks * s / split, blocks * (s + 1) / split);
            out.push(Unit { r0, r1, blk0, blk1 });
        }
    }
    out
}

pub(super) fn forward(xs: &[f32], w: &[f32], p: &Conv2dParams, g: TileGrid, out: &mut [f32]) {
    let k = KernelGeom::new(p.kh, p.c_in, p.c_out);
    let list = units(p.n, g, p.c_in, k.width, k.blocks, threads::num_threads());
    // With one unit of rows each panel of U is used by one unit only: transform it there,
    // into L2, instead of writing all of U out and reading it back (batch 1).
    if list.iter().all(|x| (x.r0, x.r1) == (0, p.n * g.th)) {
        run_units(xs, &Kernel { w, k, pre: None }, p, g, list, out);
    } else {
        with_transformed_kernel(w, k, |u| run_units(xs, &Kernel { w, k, pre: Some(u) }, p, g, list, out));
    }
}

fn run_units(xs: &[f32], kernel: &Kernel, p: &Conv2dParams, g: TileGrid, list: Vec<Unit>, out: &mut [f32]) {
    let k = kernel.k;
    let split = list.iter().any(|x| x.blk0 > 0 || x.blk1 < k.blocks);
    let out_row = p.w_out * p.c_out;
    if !split {
        // Each unit owns whole output rows: hand out disjoint slices of `out`.
        let mut parts = Vec::with_capacity(list.len());
        let mut rest = &mut *out;
        for x in &list {
            let (head, tail) = rest.split_at_mut((g.out_end(x.r1) - g.out_row(x.r0)) * out_row);
            parts.push(head);
            rest = tail;
        }
        let run = |x: Unit, part: &mut [f32]| unit(x, xs, kernel, p, g, part, p.c_out);
        if list.len() > 1 && threads::num_threads() > 1 {
            threads::run(|| list.into_par_iter().zip(parts).for_each(|(x, part)| run(x, part)));
        } else {
            list.into_iter().zip(parts).for_each(|(x, part)| run(x, part));
        }
    } else {
        // Units share output rows: each fills a private `[rows, w_out, its channels]`
        // buffer, copied into place afterwards.
        let results: Vec<(Unit, usize, Vec<f32>)> = threads::run(|| {
            list.into_par_iter()
                .map(|x| {
                    let ch = (x.blk1 * k.width).min(p.c_out) - x.blk0 * k.width;
                    let mut buf = vec![0.0f32; (g.out_end(x.r1) - g.out_row(x.r0)) * p.w_out * ch];
                    unit(x, xs, kernel, p, g, &mut buf, ch);
                    (x, ch, buf)
                })
                .collect()
        });
        for (x, ch, buf) in results {
            let c0 = x.blk0 * k.width;
            let first = g.out_row(x.r0) * p.w_out;
            for (px, src) in buf.chunks_exact(ch).enumerate() {
                out[(first + px) * p.c_out + c0..][..ch].copy_from_slice(src);
            }
        }
    }
}

/// The kernel as a unit sees it: all of `U` transformed up front, or the raw kernel to
/// transform one panel at a time.
struct Kernel<'a> {
    w: &'a [f32],
    k: KernelGeom,
    pre: Option<&'a [f32]>,
}

impl Kernel<'_> {
    /// Calls `f` with panel `blk` of `U` (`[xi][c_in][width]`).
    fn with_panel<R>(&self, blk: usize, f: impl FnOnce(&[f32]) -> R) -> R {
        let len = self.k.panel_len();
        match self.pre {
            Some(u) => f(&u[blk * len..][..len]),
            None => scratch::with(&scratch::KERNEL, len, |buf| {
                transform_panel(self.w, self.k, blk, buf);
                f(buf)
            }),
        }
    }
}

/// Computes unit `x` into `dst`: its output rows `(rows, w_out, ch)`, panel `blk0`'s
/// first channel at channel 0.
fn unit(x: Unit, xs: &[f32], kernel: &Kernel, p: &Conv2dParams, g: TileGrid, dst: &mut [f32], ch: usize) {
    let (c_in, k) = (p.c_in, kernel.k);
    let tiles = (x.r1 - x.r0) * g.tw;
    let pout = k.width / LANES;
    let vs = v_stride(c_in);
    scratch::with(&scratch::TILES, tiles * POINTS * vs, |v| {
        input_tiles(xs, p, g, x.r0, x.r1, v);
        scratch::with(&scratch::PRODUCT, tiles * pout * PIECE, |m| {
            // A row of a product is one tile's point xi: 16-channel segments PIECE apart.
            let segs = [Seg { a: 0, b: 0, len: c_in }];
            let geom = Geom { a_rs: POINTS * vs, a_ks: 1, b_ks: k.width, c_rs: pout * PIECE, c_vs: PIECE };
            for blk in x.blk0..x.blk1 {
                let cols = k.cols(blk);
                kernel.with_panel(blk, |u| {
                    for xi in 0..POINTS {
                        let panel = k.point(u, xi);
                        for (t0, n) in column_tiles(tiles, conv_tile::max_rows(k.width)) {
                            let a = &v[(t0 * POINTS + xi) * vs..];
                            let c = &mut m[t0 * pout * PIECE + xi * LANES..];
                            conv_tile::tile(n, cols, a, panel, &segs, &geom, c, false);
                        }
                    }
                });
                let c0 = (blk - x.blk0) * k.width;
                let l = ProductLayout { t_stride: pout * PIECE, piece_stride: PIECE, xi_stride: LANES };
                output_tiles(m, l, cols, p, g, (x.r0, x.r1), dst, (ch, c0));
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_one_splits_output_panels_over_the_threads() {
        // A Go board: 5x5 tiles, one unit of rows, so its 6 panels are split in two.
        let g = TileGrid { m: 4, th: 5, tw: 5, h_out: 19 };
        let u = units(1, g, 192, 32, 6, 2);
        assert_eq!(u.len(), 2);
        assert_eq!((u[0].blk0, u[0].blk1, u[1].blk0, u[1].blk1), (0, 3, 3, 6));
        assert!(u.iter().all(|x| (x.r0, x.r1) == (0, 5)));
        // 16 boards: units of whole tile rows spanning boards, every panel, rows covered once.
        let u = units(16, g, 192, 32, 6, 2);
        assert!(u.len() >= 4 && u.len().is_multiple_of(2) && u.iter().all(|x| (x.blk0, x.blk1) == (0, 6)));
        assert!(u.windows(2).all(|w| w[0].r1 == w[1].r0) && u[0].r0 == 0 && u.last().unwrap().r1 == 80);
    }
}
