//! The kernel gradient of a Winograd-shaped conv (see `conv_winograd::applies`) by the
//! adjoint of the forward algorithm: with `V[t] = B^T d_t B` the input tiles as in the
//! forward pass and `dM[t] = A dY_t A^T` the output-gradient tiles,
//!
//! `dU[xi] = sum over tiles t of V[t][xi]^T dM[t][xi]`, then `dW = G^T dU G`,
//!
//! 36 products of `[c_in, tiles] x [tiles, c_out]`, so the kernel gradient costs the
//! same 36 multiplies per tile as the forward conv instead of `m^2 r^2`.
//!
//! Like the batched forward schedule, each step runs over a chunk of the batch: input
//! and output-gradient transforms, then the products (threads over `xi`, each reducing
//! over every tile of the chunk into its own `dU[xi]`), and after the last chunk the
//! back-transform of `dU` into `dw` (threads over input channels).
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `dy` `(n, h_out, w_out, c_out)`, `dw` `(r, r, c_in, c_out)`.

use rayon::prelude::*;

use super::conv_direct::column_tiles;
use super::conv_tile::{self, Geom, Seg, LANES, MAX_COLS};
use super::conv_winograd::{input_tiles_to, spread, v_stride, TileGrid};
use super::conv_winograd_xform::{self as xform, Grid, Points, POINTS};
use super::scratch;
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Floats of `V` plus `dM` per chunk.
const CHUNK_FLOATS: usize = 8 << 20;
/// Tiles per block of the products' reduction (measured on one thread, ms for
/// go3_b16 / mnist: 16 -> 18.1 / 11.7, 64 -> 16.0 / 10.9, unblocked 17.2 / 11.9).
const TILE_BLOCK: usize = 64;

/// `dw = conv_backward_kernel(x, dy)` for a conv that `conv_winograd::applies` to,
/// overwriting `dw`.
pub(crate) fn backward_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32]) {
    backward_kernel_with(x, dy, p, dw, CHUNK_FLOATS);
}

/// [`backward_kernel`] with chunks of at most `chunk_floats` of `V` plus `dM` (at least
/// one tile row); tests force several chunks with a small value.
pub(crate) fn backward_kernel_with(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32], chunk_floats: usize) {
    if dw.is_empty() {
        return;
    }
    let m = 6 + 1 - p.kh;
    let g = TileGrid { m, th: p.h_out.div_ceil(m), tw: p.w_out.div_ceil(m), h_out: p.h_out };
    let (c_in, c_out) = (p.c_in, p.c_out);
    let us = spread(c_in * c_out);
    let (vs, ms) = (v_stride(c_in), spread(c_out));
    let rows = p.n * g.th;
    let chunk_rows = (chunk_floats / (g.tw * POINTS * (vs + ms))).clamp(1, rows);
    let par = threads::num_threads() > 1;
    scratch::with(&scratch::BATCH_U, POINTS * us, |du| {
        let mut r0 = 0;
        while r0 < rows {
            let r1 = (r0 + chunk_rows).min(rows);
            chunk(x, dy, p, g, (r0, r1), du, r0 > 0);
            r0 = r1;
        }
        // dw[i][j][ci][co..co+16] = (G^T dU[.][ci][co..] G)[i][j].
        let du = &*du;
        let taps = |(ci, row): (usize, &mut [f32])| {
            for co in (0..c_out).step_by(LANES) {
                let g = Grid { offset: co, row_stride: p.kw * c_out, col_stride: c_out };
                xform::kernel_grad(du, (ci * c_out + co, us), p.kh, LANES.min(c_out - co), row, g);
            }
        };
        // Gradients per input channel into `[ci][i][j][co]`, reordered to HWIO after.
        let per_ci = p.kh * p.kw * c_out;
        scratch::with(&scratch::GRAD_TAPS, c_in * per_ci, |by_ci| {
            if par {
                threads::run(|| by_ci.par_chunks_mut(per_ci).enumerate().for_each(taps));
            } else {
                by_ci.chunks_mut(per_ci).enumerate().for_each(taps);
            }
            for (ci, src) in by_ci.chunks_exact(per_ci).enumerate() {
                for (tap, s) in src.chunks_exact(c_out).enumerate() {
                    dw[(tap * c_in + ci) * c_out..][..c_out].copy_from_slice(s);
                }
            }
        });
    });
}

/// Adds batch tile rows `r0..r1`'s products into `du` (`[xi][c_in][c_out]`, points
/// `spread(c_in * c_out)` apart), or overwrites it when `accumulate` is false.
///
/// `V` and `dM` are point-major here (`[xi][t][c]`), so that each product streams its
/// rows contiguously from L2; the transforms write 36 such streams per tile. The
/// threads split the transforms by points (each computes every tile's transform and
/// keeps its own points, so each writes one contiguous range), then the products by `xi`.
fn chunk(
    x: &[f32],
    dy: &[f32],
    p: &Conv2dParams,
    g: TileGrid,
    (r0, r1): (usize, usize),
    du: &mut [f32],
    accumulate: bool,
) {
    let (c_in, c_out) = (p.c_in, p.c_out);
    let tiles = (r1 - r0) * g.tw;
    let (vs, ms, us) = (v_stride(c_in), spread(c_out), spread(c_in * c_out));
    // Floats between the points of V and of dM.
    let (vx, mx) = (spread(tiles * vs), spread(tiles * ms));
    let threads = threads::num_threads();
    let per = POINTS.div_ceil(threads.clamp(1, POINTS));
    scratch::with(&scratch::BATCH_V, POINTS * vx, |v| {
        scratch::with(&scratch::BATCH_M, POINTS * mx, |dm| {
            let transforms = |(part, (vp, mp)): (usize, (&mut [f32], &mut [f32]))| {
                let (xi0, xi1) = (part * per, ((part + 1) * per).min(POINTS));
                let to_v = |t: usize, c: usize| Points { xi0, xi1, offset: t * vs + c, stride: vx };
                input_tiles_to(x, p, g, (r0, r1), vp, to_v);
                for r in r0..r1 {
                    output_grad_tiles(dy, p, g, (r, r0), mp, (xi0, xi1, mx));
                }
            };
            let parts = v.chunks_mut(per * vx).zip(dm.chunks_mut(per * mx));
            if threads > 1 {
                let parts: Vec<_> = parts.collect();
                threads::run(|| parts.into_par_iter().enumerate().for_each(transforms));
            } else {
                parts.enumerate().for_each(transforms);
            }

            let (v, dm) = (&*v, &*dm);
            // dU[xi][ci][co]: rows are input channels (consecutive floats of V), the
            // reduction runs over the chunk's tiles.
            let geom = Geom { a_rs: 1, a_ks: vs, b_ks: ms, c_rs: c_out, c_vs: LANES };
            let tb = TILE_BLOCK;
            let product = |(xi, dux): (usize, &mut [f32])| {
                // Blocks of tiles, so that a block of dM (tb x 32) stays in L1 while every
                // row tile of dU meets it.
                for t0 in (0..tiles).step_by(tb) {
                    let seg = [Seg { a: t0 * vs, b: t0 * ms, len: tb.min(tiles - t0) }];
                    for c0 in (0..c_out).step_by(MAX_COLS) {
                        let cols = MAX_COLS.min(c_out - c0);
                        for (ci0, n) in column_tiles(c_in, conv_tile::max_rows(cols)) {
                            let a = &v[xi * vx + ci0..];
                            let b = &dm[xi * mx + c0..];
                            let c = &mut dux[ci0 * c_out + c0..];
                            conv_tile::tile(n, cols, a, b, &seg, &geom, c, accumulate || t0 > 0);
                        }
                    }
                }
            };
            if threads > 1 {
                threads::run(|| du.par_chunks_mut(us).enumerate().for_each(product));
            } else {
                du.chunks_mut(us).enumerate().for_each(product);
            }
        })
    })
}

/// Writes `dM = A dY A^T` of the tiles of batch tile row `r` (tile `t = (r - r0) * tw + tx`
/// of the chunk) into `dm` for points `xi0..xi1`: point `xi` of tile `t`, channel `c` at
/// `(xi - xi0) * stride + t * spread(c_out) + c`. Outputs past the image edge count as zero.
fn output_grad_tiles(
    dy: &[f32],
    p: &Conv2dParams,
    g: TileGrid,
    (r, r0): (usize, usize),
    dm: &mut [f32],
    (xi0, xi1, stride): (usize, usize, usize),
) {
    let c_out = p.c_out;
    let ms = spread(c_out);
    let (b, ty) = (r / g.th, r % g.th);
    let rows = (p.h_out - ty * g.m).min(g.m);
    let img = &dy[b * p.h_out * p.w_out * c_out..][..p.h_out * p.w_out * c_out];
    for tx in 0..g.tw {
        let t = (r - r0) * g.tw + tx;
        let cols = (p.w_out - tx * g.m).min(g.m);
        for c in (0..c_out).step_by(LANES) {
            let grid = Grid {
                offset: (ty * g.m * p.w_out + tx * g.m) * c_out + c,
                row_stride: p.w_out * c_out,
                col_stride: c_out,
            };
            let to = Points { xi0, xi1, offset: t * ms + c, stride };
            xform::output_grad(img, grid, (g.m, rows, cols), LANES.min(c_out - c), dm, to);
        }
    }
}
