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
//! Layouts: `V` is tile-major `[t][xi][c_in]`, so a product's row is one contiguous run
//! of `c_in` (cutting it into 16-channel pieces, which would make the input transform's
//! stores contiguous, cost the products ~20% in segment overhead); `U` is
//! `[panel][xi][c_in][32]`, so one product's `B` is a contiguous `c_in x 32` block.
//! All scratch starts on a cache line, so 16-float vectors fill whole lines.
//!
//! Two schedules: `conv_winograd_fused` runs all steps per unit of tiles in L2 (small
//! `U`, or batch 1); `conv_winograd_batched` runs each step over the whole batch so
//! that a large `U` is read once per call.
//!
//! Error: the transforms scale values by up to ~10 (input) and ~20 (output) per axis;
//! a test bounds the result against the f64 reference.
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `w` `(3, 3, c_in, c_out)`, `out` `(n, h_out, w_out, c_out)`.

use rayon::prelude::*;

use super::conv_direct::{pad_rows, PadGeom};
use super::conv_tile::{self, LANES, MAX_COLS};
use super::conv_winograd_xform::{self as xform, Grid, Points, POINTS};
use super::scratch;
use super::{conv_winograd_batched as batched, conv_winograd_fused as fused};
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

/// How the steps are ordered (see `conv_winograd_fused` and `conv_winograd_batched`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schedule {
    Fused,
    Batched,
}

/// The schedule for a conv that [`applies`]. Fused reads all of `U` (`36 c_in c_out`)
/// once per unit of ~28 tiles; batched writes and reads `V` and `M` (`36 (c_in + c_out)`
/// per tile) once more through L3. Per tile that is `c_in c_out / 28` against
/// `2 (c_in + c_out)`, but measured, batched only wins well past the break-even:
/// AlexNet conv3 (256 -> 384: 9.9 ms against 11.3 fused) and not the Go layers
/// (192 -> 192: 16.6 against 12.0) or AlexNet conv2 (96 -> 256: 41 against 26).
pub(crate) fn schedule(p: &Conv2dParams) -> Schedule {
    let m = IN + 1 - p.kh;
    let tiles = p.n * p.h_out.div_ceil(m) * p.w_out.div_ceil(m);
    if p.c_in * p.c_out > 128 * (p.c_in + p.c_out) && tiles > 32 {
        Schedule::Batched
    } else {
        Schedule::Fused
    }
}

/// `out = conv(x, w)` for a conv that [`applies`], overwriting `out`.
pub(crate) fn forward(xs: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    forward_with(xs, w, p, out, schedule(p));
}

/// [`forward`] with the schedule given (tests run both).
pub(crate) fn forward_with(xs: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32], s: Schedule) {
    if out.is_empty() {
        return;
    }
    let m = IN + 1 - p.kh;
    let g = TileGrid { m, th: p.h_out.div_ceil(m), tw: p.w_out.div_ceil(m), h_out: p.h_out };
    match s {
        Schedule::Fused => fused::forward(xs, w, p, g, out),
        Schedule::Batched => batched::forward(xs, w, p, g, out),
    }
}

/// `n` floats rounded up to an odd number of 64-byte lines. The transforms read or write
/// 36 points a fixed stride apart; a stride of an even number of lines (a multiple of
/// 4 KiB, say, as `192 x 32` floats is) would put all 36 in a few L1 sets, so every
/// point-to-point stride is spread this way (measured: the kernel transform of a Go
/// layer 0.29 ms -> see the commit).
pub(super) fn spread(n: usize) -> usize {
    let lines = n.div_ceil(LANES);
    (lines | 1) * LANES
}

/// How the transformed kernel is cut: panels of `width` output channels; `r` taps per
/// side; the `[c_in][width]` blocks of a panel's 36 points `xi_stride` floats apart.
#[derive(Clone, Copy, Debug)]
pub(super) struct KernelGeom {
    pub r: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub width: usize,
    pub blocks: usize,
    pub xi_stride: usize,
}

impl KernelGeom {
    pub(super) fn new(r: usize, c_in: usize, c_out: usize) -> KernelGeom {
        let width = if c_out <= LANES { LANES } else { MAX_COLS };
        KernelGeom { r, c_in, c_out, width, blocks: c_out.div_ceil(width), xi_stride: spread(c_in * width) }
    }

    /// Floats of one panel's `U`: 36 points of `[c_in][width]`, `xi_stride` apart.
    pub(super) fn panel_len(&self) -> usize {
        POINTS * self.xi_stride
    }

    /// Point `xi` of a panel: the `[c_in][width]` block a product reads as `B`.
    pub(super) fn point<'a>(&self, panel: &'a [f32], xi: usize) -> &'a [f32] {
        &panel[xi * self.xi_stride..][..self.c_in * self.width]
    }

    /// Output channels of panel `blk`.
    pub(super) fn cols(&self, blk: usize) -> usize {
        self.width.min(self.c_out - blk * self.width)
    }
}

/// Writes panel `blk` of `U` into `dst` (`[xi][c_in][width]`; lanes past the panel's
/// channels are left as they were, and never read).
pub(super) fn transform_panel(w: &[f32], k: KernelGeom, blk: usize, dst: &mut [f32]) {
    xform::kernel_panel(w, k.r, (k.c_in, k.c_out), (blk * k.width, k.cols(blk)), dst, (k.width, k.xi_stride));
}

/// Calls `f` with every panel of `U`, `[panel][xi][c_in][width]`, transformed in
/// parallel into the calling thread's scratch (no page faults or zeroing per call).
pub(super) fn with_transformed_kernel<R>(w: &[f32], k: KernelGeom, f: impl FnOnce(&[f32]) -> R) -> R {
    scratch::with(&scratch::KERNEL_ALL, k.blocks * k.panel_len(), |data| {
        if k.blocks > 1 && threads::num_threads() > 1 && k.c_in * k.c_out >= 4096 {
            threads::run(|| {
                data.par_chunks_mut(k.panel_len()).enumerate().for_each(|(b, panel)| transform_panel(w, k, b, panel))
            });
        } else {
            data.chunks_mut(k.panel_len()).enumerate().for_each(|(b, panel)| transform_panel(w, k, b, panel));
        }
        f(data)
    })
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

/// Floats between the points of one transformed input tile: `c_in`, [`spread`].
pub(super) fn v_stride(c_in: usize) -> usize {
    spread(c_in)
}

/// Writes the transformed input tiles of batch tile rows `r0..r1` into `v`, laid out
/// `[t][xi][v_stride]` with tile `t = (r - r0) * tw + tx`.
pub(super) fn input_tiles(xs: &[f32], p: &Conv2dParams, g: TileGrid, r0: usize, r1: usize, v: &mut [f32]) {
    let vs = v_stride(p.c_in);
    input_tiles_to(xs, p, g, (r0, r1), v, |t, c| Points::all(t * POINTS * vs + c, vs));
}

/// [`input_tiles`] with the destination of tile `t`'s channels `c..c + 16` given by `to(t, c)`.
pub(super) fn input_tiles_to(
    xs: &[f32],
    p: &Conv2dParams,
    g: TileGrid,
    (r0, r1): (usize, usize),
    v: &mut [f32],
    to: impl Fn(usize, usize) -> Points,
) {
    let c_in = p.c_in;
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
                for c in (0..c_in).step_by(LANES) {
                    let grid = Grid { offset: tx * g.m * c_in + c, row_stride: width * c_in, col_stride: c_in };
                    xform::input(rows, grid, LANES.min(c_in - c), v, to(t, c));
                }
            }
        }
    });
}

/// Where a product `M` lives: tile `t`, 16-channel piece `q`, point `xi` at
/// `t * t_stride + q * piece_stride + xi * xi_stride`.
#[derive(Clone, Copy, Debug)]
pub(super) struct ProductLayout {
    pub t_stride: usize,
    pub piece_stride: usize,
    pub xi_stride: usize,
}

/// Output transform of the tiles of batch tile rows `r0..r1` (tile `t` counted from
/// `r0`) for `cols` channels of `m`. `dst` starts at output row `out_row(r0)` with `ch`
/// channels per pixel; the results go to channels `c0 .. c0 + cols`.
#[allow(clippy::too_many_arguments)]
pub(super) fn output_tiles(
    m: &[f32],
    l: ProductLayout,
    cols: usize,
    p: &Conv2dParams,
    g: TileGrid,
    (r0, r1): (usize, usize),
    dst: &mut [f32],
    (ch, c0): (usize, usize),
) {
    let base = g.out_row(r0);
    for r in r0..r1 {
        let oy = g.out_row(r) - base;
        let rows_left = (p.h_out - (r % g.th) * g.m).min(g.m);
        for tx in 0..g.tw {
            let t = (r - r0) * g.tw + tx;
            let ox = tx * g.m;
            let cols_left = (p.w_out - ox).min(g.m);
            for q in 0..cols.div_ceil(LANES) {
                let c = q * LANES;
                let grid = Grid { offset: (oy * p.w_out + ox) * ch + c0 + c, row_stride: p.w_out * ch, col_stride: ch };
                let src = (t * l.t_stride + q * l.piece_stride, l.xi_stride);
                xform::output(m, src, g.m, LANES.min(cols - c), dst, grid, rows_left, cols_left);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_strides_are_an_odd_number_of_lines() {
        assert_eq!(spread(1), 16);
        assert_eq!(spread(192 * 32), 192 * 32 + 16);
        assert_eq!(spread(48), 48);
        assert_eq!(spread(100), 112);
    }

    #[test]
    fn output_rows_of_tile_rows_stop_at_the_image_edge() {
        // 19 output rows: tile rows 0..5 cover rows 0..4, .., 16..19 of each image.
        let g = TileGrid { m: 4, th: 5, tw: 5, h_out: 19 };
        assert_eq!((g.out_row(0), g.out_end(1), g.out_end(5)), (0, 4, 19));
        assert_eq!((g.out_row(5), g.out_row(7), g.out_end(10)), (19, 27, 38));
    }
}
