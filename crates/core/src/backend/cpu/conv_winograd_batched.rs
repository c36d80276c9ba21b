//! The batched Winograd schedule, for a transformed kernel `U` too large for L2 (AlexNet
//! conv3's is 14 MiB): each step runs over a whole chunk of the batch before the next,
//! so that each `U[xi]` is read once per chunk instead of once per unit of ~28 tiles.
//!
//! 1. input transform, threads over tile rows, into `V` (`[t][c_in / 16][xi][16]`);
//! 2. the 36 products, threads over `xi`, into `M` point-major (`[xi][t][c_out]`): one
//!    product's `U[xi]` panel (`c_in x 32`, in L1) meets every tile before the next,
//!    and the `V` rows of one `xi` stay in L2 across the panels;
//! 3. output transform, threads over tile rows, straight into the output.
//!
//! `V` and `M` live in the calling thread's scratch (reused across calls, so large
//! buffers are not page-faulted in each time); a chunk is bounded to 32 MiB of them.
//!
//! # Shapes
//! As `conv_winograd`.

use rayon::prelude::*;

use super::conv_direct::column_tiles;
use super::conv_tile::{self, Geom, Seg, LANES};
use super::conv_winograd::{input_tiles, output_tiles, spread, v_stride, with_transformed_kernel};
use super::conv_winograd::{KernelGeom, ProductLayout, TileGrid};
use super::conv_winograd_xform::POINTS;
use super::scratch;
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Floats of `V` plus `M` per chunk.
const CHUNK_FLOATS: usize = 8 << 20;

pub(super) fn forward(xs: &[f32], w: &[f32], p: &Conv2dParams, g: TileGrid, out: &mut [f32]) {
    let k = KernelGeom::new(p.kh, p.c_in, p.c_out);
    with_transformed_kernel(w, k, |u| chunks(xs, (u, k), p, g, out));
}

fn chunks(xs: &[f32], (u, k): (&[f32], KernelGeom), p: &Conv2dParams, g: TileGrid, out: &mut [f32]) {
    let rows = p.n * g.th;
    let per_row = g.tw * POINTS * (v_stride(p.c_in) + p.c_out);
    let chunk_rows = (CHUNK_FLOATS / per_row).clamp(1, rows);
    let out_row = p.w_out * p.c_out;
    let mut rest = out;
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + chunk_rows).min(rows);
        let (head, tail) = rest.split_at_mut((g.out_end(r1) - g.out_row(r0)) * out_row);
        chunk(xs, (u, k), p, g, (r0, r1), head);
        rest = tail;
        r0 = r1;
    }
}

/// Batch tile rows `r0..r1` into `out`, which starts at their first output row.
fn chunk(
    xs: &[f32],
    (u, k): (&[f32], KernelGeom),
    p: &Conv2dParams,
    g: TileGrid,
    (r0, r1): (usize, usize),
    out: &mut [f32],
) {
    let (c_in, c_out) = (p.c_in, p.c_out);
    let tiles = (r1 - r0) * g.tw;
    let par = threads::num_threads() > 1;
    let (vs, ms) = (v_stride(c_in), spread(tiles * c_out));
    scratch::with(&scratch::BATCH_V, tiles * POINTS * vs, |v| {
        scratch::with(&scratch::BATCH_M, POINTS * ms, |m| {
            let row_v = g.tw * POINTS * vs;
            let one_row = |(r, vr): (usize, &mut [f32])| input_tiles(xs, p, g, r, r + 1, vr);
            if par {
                threads::run(|| (r0..r1).into_par_iter().zip(v.par_chunks_mut(row_v)).for_each(one_row));
            } else {
                (r0..r1).zip(v.chunks_mut(row_v)).for_each(one_row);
            }

            let v = &*v;
            let segs = [Seg { a: 0, b: 0, len: c_in }];
            let geom = Geom { a_rs: POINTS * vs, a_ks: 1, b_ks: k.width, c_rs: c_out, c_vs: LANES };
            let product = |(xi, mx): (usize, &mut [f32])| {
                for blk in 0..k.blocks {
                    let panel = k.point(&u[blk * k.panel_len()..], xi);
                    let cols = k.cols(blk);
                    for (t0, n) in column_tiles(tiles, conv_tile::max_rows(k.width)) {
                        let a = &v[(t0 * POINTS + xi) * vs..];
                        let c = &mut mx[t0 * c_out + blk * k.width..];
                        conv_tile::tile(n, cols, a, panel, &segs, &geom, c, false);
                    }
                }
            };
            if par {
                threads::run(|| m.par_chunks_mut(ms).enumerate().for_each(product));
            } else {
                m.chunks_mut(ms).enumerate().for_each(product);
            }

            let m = &*m;
            let layout = ProductLayout { t_stride: c_out, piece_stride: LANES, xi_stride: ms };
            let out_row = p.w_out * c_out;
            let mut parts = Vec::with_capacity(r1 - r0);
            let mut rest = &mut *out;
            for r in r0..r1 {
                let (head, tail) = rest.split_at_mut((g.out_end(r + 1) - g.out_row(r)) * out_row);
                parts.push(head);
                rest = tail;
            }
            // Tile `t` of row `r` is tile `(r - r0) * tw + t` of the chunk.
            let one_row = |(r, part): (usize, &mut [f32])| {
                let m = &m[(r - r0) * g.tw * c_out..];
                output_tiles(m, layout, c_out, p, g, (r, r + 1), part, (c_out, 0));
            };
            if par {
                threads::run(|| (r0..r1).into_par_iter().zip(parts).for_each(one_row));
            } else {
                (r0..r1).zip(parts).for_each(one_row);
            }
        })
    })
}
