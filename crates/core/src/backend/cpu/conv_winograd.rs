//! Stride-1 convolution by Winograd's minimal filtering on 6x6 tiles: F(4x4, 3x3) for
//! 3x3 kernels (36 multiplies per (input, output) channel pair for 16 outputs instead of
//! 144) and F(2x2, 5x5) for 5x5 kernels (36 for 4 outputs instead of 100).
//!
//! The output is cut into `m x m` tiles (`m` = 4 or 2); tile `t` reads the 6x6 input
//! patch at `m * t` (in padded coordinates). Then, with `xi` one of the 36 points,
//! - `U[xi] = G g G^T` per `(c_in, c_out)` pair: the kernel, once per call;
//! - `V[xi][t] = B^T d_t B` per input channel: the input tiles;
//! - `M[xi] = V[xi] @ U[xi]`: 36 independent `[tiles, c_in] x [c_in, c_out]` products,
//!   run on the same register tiles as the direct conv;
//! - `y_t = A^T M[.][t] A`: the `m x m` outputs (cropped at the image edge).
//!
//! Layouts keep each transform's 36 results contiguous: `V` is `[t][c_in / 16][xi][16]`
//! and `M` is `[t][c_out / 16][xi][16]`, so a transform streams one 2.3 KiB block per
//! tile and 16 channels; the products read `V` in 16-channel segments. `U` is
//! `[panel][xi][c_in][32]`, so one product's `B` is a contiguous `c_in x 32` block.
//!
//! The schedule is in `conv_winograd_fused`.
//!
//! Error: the transforms scale values by up to ~10 (input) and ~20 (output) per axis;
//! a test bounds the result against the f64 reference.
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `w` `(3, 3, c_in, c_out)`, `out` `(n, h_out, w_out, c_out)`.

use rayon::prelude::*;

use super::conv_direct::{pad_rows, PadGeom};
use super::conv_tile::{self, LANES, MAX_COLS};
use super::conv_winograd_fused as fused;
use super::conv_winograd_xform::{self as xform, Grid, POINTS};
use super::scratch;
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Input points per tile side.
const IN: usize = 6;
/// Floats of one transformed 16-channel piece of a tile: `[xi][16]`.
pub(super) const PIECE: usize = POINTS * LANES;

/// Whether Winograd applies: a 3x3 or 5x5 kernel, stride 1, no dilation, one group,
/// AVX-512.
pub(crate) fn applies(p: &Conv2dParams) -> bool {
    p.kh == p.kw
        && (p.kh == 3 || p.kh == 5)
        && (p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.groups) == (1, 1, 1, 1, 1)
        && conv_tile::available()
}

/// `out = conv(x, w)` for a conv that [`applies`], overwriting `out`.
pub(crate) fn forward(xs: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    if out.is_empty() {
        return;
    }
    let m = IN + 1 - p.kh;
    let g = TileGrid { m, th: p.h_out.div_ceil(m), tw: p.w_out.div_ceil(m), h_out: p.h_out };
    fused::forward(xs, w, p, g, out);
}

/// How the transformed kernel is cut: panels of `width` output channels; `r` taps per
/// side.
#[derive(Clone, Copy, Debug)]
pub(super) struct KernelGeom {
    pub r: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub width: usize,
    pub blocks: usize,
}

impl KernelGeom {
    pub(super) fn new(r: usize, c_in: usize, c_out: usize) -> KernelGeom {
        let width = if c_out <= LANES { LANES } else { MAX_COLS };
        KernelGeom { r, c_in, c_out, width, blocks: c_out.div_ceil(width) }
    }

    /// Floats of one panel's `U`: `[xi][c_in][width]`.
    pub(super) fn panel_len(&self) -> usize {
        POINTS * self.c_in * self.width
    }

    /// Output channels of panel `blk`.
    pub(super) fn cols(&self, blk: usize) -> usize {
        self.width.min(self.c_out - blk * self.width)
    }
}

/// Writes panel `blk` of `U` into `dst` (`[xi][c_in][width]`; lanes past the panel's
/// channels are left as they were, and never read).
pub(super) fn transform_panel(w: &[f32], k: KernelGeom, blk: usize, dst: &mut [f32]) {
    let (c_in, c_out) = (k.c_in, k.c_out);
    let cols = k.cols(blk);
    for ci in 0..c_in {
        for v in (0..cols).step_by(LANES) {
            let co = blk * k.width + v;
            let g = Grid { offset: ci * c_out + co, row_stride: k.r * c_in * c_out, col_stride: c_in * c_out };
            xform::kernel(w, g, k.r, LANES.min(cols - v), dst, ci * k.width + v, c_in * k.width);
        }
    }
}

/// Every panel of `U`, `[panel][xi][c_in][width]`, transformed in parallel.
pub(super) fn transform_kernel(w: &[f32], k: KernelGeom) -> Vec<f32> {
    let mut data = vec![0.0f32; k.blocks * k.panel_len()];
    if k.blocks > 1 && threads::num_threads() > 1 && k.c_in * k.c_out >= 4096 {
        threads::run(|| {
            data.par_chunks_mut(k.panel_len()).enumerate().for_each(|(b, panel)| transform_panel(w, k, b, panel))
        });
    } else {
        data.chunks_mut(k.panel_len()).enumerate().for_each(|(b, panel)| transform_panel(w, k, b, panel));
    }
    data
}

/// The tile grid of a conv: `th x tw` tiles of `m x m` outputs per image; "tile row"
/// `r` of the batch is tile row `r % th` of image `r / th`.
#[derive(Clone, Copy, Debug)]
pub(super) struct TileGrid {
    pub m: usize,
    pub th: usize,
    pub tw: usize,
    pub h_out: usize,
}

impl TileGrid {
    /// Index of the first output pixel row (over the whole batch, `b * h_out + oy`) of
    /// batch tile row `r`.
    pub(super) fn out_row(&self, r: usize) -> usize {
        let (b, ty) = (r / self.th, r % self.th);
        b * self.h_out + ty * self.m
    }

    /// One past the last output row of batch tile rows `..r1`.
    pub(super) fn out_end(&self, r1: usize) -> usize {
        let (b, ty) = ((r1 - 1) / self.th, (r1 - 1) % self.th);
        b * self.h_out + ((ty + 1) * self.m).min(self.h_out)
    }
}

/// Writes the transformed input tiles of batch tile rows `r0..r1` into `v`, laid out
/// `[t][c_in / 16][xi][16]` with tile `t = (r - r0) * tw + tx`.
pub(super) fn input_tiles(xs: &[f32], p: &Conv2dParams, g: TileGrid, r0: usize, r1: usize, v: &mut [f32]) {
    let c_in = p.c_in;
    let pieces = c_in.div_ceil(LANES);
    // A tile row reads 6 padded input rows and columns 0 .. tw*m + 6 - m (padded coordinates).
    let width = g.tw * g.m + IN - g.m;
    let pad = PadGeom { h: p.h, w: p.w, c: c_in, top: p.pad_top, left: p.pad_left, width };
    let in_img = p.h * p.w * c_in;
    scratch::with(&scratch::PADDED, IN * width * c_in, |rows| {
        for r in r0..r1 {
            let (b, ty) = (r / g.th, r % g.th);
            pad_rows(&xs[b * in_img..][..in_img], &pad, ty * g.m, ty * g.m + IN, rows);
            for tx in 0..g.tw {
                let t = (r - r0) * g.tw + tx;
                for q in 0..pieces {
                    let c = q * LANES;
                    let grid = Grid { offset: tx * g.m * c_in + c, row_stride: width * c_in, col_stride: c_in };
                    xform::input(rows, grid, LANES.min(c_in - c), v, (t * pieces + q) * PIECE, LANES);
                }
            }
        }
    });
}

/// Output transform of the tiles of batch tile rows `r0..r1` (tile `t` counted from
/// `r0`) for `cols` channels of `m`, laid out `[t][pieces][xi][16]` (`pieces >= cols /
/// 16`). `dst` starts at output row `out_row(r0)` with `ch` channels per pixel; the
/// results go to channels `c0 .. c0 + cols`.
#[allow(clippy::too_many_arguments)]
pub(super) fn output_tiles(
    m: &[f32],
    (cols, stride): (usize, usize),
    p: &Conv2dParams,
    g: TileGrid,
    (r0, r1): (usize, usize),
    dst: &mut [f32],
    (ch, c0): (usize, usize),
) {
    let pieces = cols.div_ceil(LANES);
    debug_assert!(pieces <= stride);
    let base = g.out_row(r0);
    for r in r0..r1 {
        let oy = g.out_row(r) - base;
        let rows_left = (p.h_out - (r % g.th) * g.m).min(g.m);
        for tx in 0..g.tw {
            let t = (r - r0) * g.tw + tx;
            let ox = tx * g.m;
            let cols_left = (p.w_out - ox).min(g.m);
            for q in 0..pieces {
                let c = q * LANES;
                let grid = Grid { offset: (oy * p.w_out + ox) * ch + c0 + c, row_stride: p.w_out * ch, col_stride: ch };
                let src = (t * stride + q) * PIECE;
                xform::output(m, (src, LANES), g.m, LANES.min(cols - c), dst, grid, rows_left, cols_left);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_rows_of_tile_rows_stop_at_the_image_edge() {
        // 19 output rows: tile rows 0..5 cover rows 0..4, .., 16..19 of each image.
        let g = TileGrid { m: 4, th: 5, tw: 5, h_out: 19 };
        assert_eq!((g.out_row(0), g.out_end(1), g.out_end(5)), (0, 4, 19));
        assert_eq!((g.out_row(5), g.out_row(7), g.out_end(10)), (19, 27, 38));
    }
}
