//! Direct convolution as an implicit GEMM over NHWC, no im2col buffer.
//!
//! Each output row of one image is cut into tiles of up to 14 pixels x 32 output
//! channels held in registers ([`conv_tile`]). A tile's reduction walks the kernel taps
//! straight through the (zero-padded) input rows: with unit dilation along the width
//! and one group, the `kw * c_in` values under one kernel row are contiguous in NHWC,
//! so a kernel row is one segment of the reduction; otherwise each tap `(i, j)` is a
//! segment of `c_in / groups` values. The kernel is packed once per call into panels of
//! 32 output channels (`[k][32]`, zero beyond `c_out`), so the tile's `B` row is one
//! cache line pair however `c_out` is laid out.
//!
//! Work is split over (image, block of output rows) units, one padded copy of the rows a
//! unit reads in that thread's scratch: the copy is small and L2-resident, the input is
//! read from memory once either way, and the pool keeps both cores busy at batch 1.
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `w` `(kh, kw, c_in / groups, c_out)`, `out` `(n, h_out, w_out, c_out)`.

use rayon::prelude::*;

use super::conv_tile::{self, Geom, Seg, LANES};
use super::scratch;
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Output channels per packed kernel panel: the widest tile.
const PANEL: usize = conv_tile::MAX_COLS;

/// The kernel packed into panels: panel `(g, blk)` holds, for every reduction index
/// `k = (i * kw + j) * cig + ci`, the `width` output channels `g * cog + blk * width ..`
/// (zeros past `cog`).
pub(crate) struct Packed {
    data: Vec<f32>,
    /// Floats per panel row: 16 when a group has at most 16 output channels, else 32.
    width: usize,
    /// Reduction length `kh * kw * cig`.
    k: usize,
    /// Panels per group.
    blocks: usize,
}

impl Packed {
    /// Packs an HWIO kernel, seen as `groups` matrices `[kh * kw * cig, cog]` that are
    /// column slices of `[kh * kw * cig, c_out]`.
    pub(crate) fn new(w: &[f32], p: &Conv2dParams) -> Packed {
        let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
        let k = p.kh * p.kw * cig;
        let width = if cog <= LANES { LANES } else { PANEL };
        let blocks = cog.div_ceil(width);
        let mut data = vec![0.0f32; p.groups * blocks * k * width];
        for (pi, panel) in data.chunks_exact_mut(k * width).enumerate() {
            let (g, blk) = (pi / blocks, pi % blocks);
            let c0 = blk * width;
            let cols = width.min(cog - c0);
            for (r, dst) in panel.chunks_exact_mut(width).enumerate() {
                dst[..cols].copy_from_slice(&w[r * p.c_out + g * cog + c0..][..cols]);
            }
        }
        Packed { data, width, k, blocks }
    }

    fn panel(&self, g: usize, blk: usize) -> &[f32] {
        &self.data[(g * self.blocks + blk) * self.k * self.width..][..self.k * self.width]
    }
}

/// Whether the input needs a zero-padded copy.
fn padded(p: &Conv2dParams) -> bool {
    p.pad_top + p.pad_bottom + p.pad_left + p.pad_right > 0
}

/// Width of the (padded) rows the tiles read.
pub(crate) fn row_width(p: &Conv2dParams) -> usize {
    p.w + p.pad_left + p.pad_right
}

/// The reduction of one tile as segments relative to the tile's first input pixel, for
/// rows of `wp` pixels and kernel panels `width` floats wide.
fn segments(p: &Conv2dParams, wp: usize, width: usize) -> Vec<Seg> {
    let cig = p.c_in / p.groups;
    let mut segs = Vec::new();
    for i in 0..p.kh {
        let row = i * p.dil_h * wp;
        if p.groups == 1 && p.dil_w == 1 {
            // The taps of a kernel row are kw neighbouring pixels: contiguous in NHWC.
            segs.push(Seg { a: row * p.c_in, b: i * p.kw * cig * width, len: p.kw * cig });
        } else {
            for j in 0..p.kw {
                let b = (i * p.kw + j) * cig * width;
                segs.push(Seg { a: (row + j * p.dil_w) * p.c_in, b, len: cig });
            }
        }
    }
    segs
}

/// `(first column, columns)` of the tiles of one output row: as few as the tile height
/// allows, balanced so that no tile is much shorter than the others.
pub(crate) fn column_tiles(w_out: usize, max_rows: usize) -> impl Iterator<Item = (usize, usize)> {
    let n = w_out.div_ceil(max_rows.max(1)).max(1);
    let (base, extra) = (w_out / n, w_out % n);
    (0..n).scan(0, move |start, t| {
        let len = base + usize::from(t < extra);
        let s = *start;
        *start += len;
        Some((s, len))
    })
}

/// A unit of parallel work: output rows `oh0..oh1` of image `b`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    pub b: usize,
    pub oh0: usize,
    pub oh1: usize,
}

/// Whole images when the batch divides evenly over the threads (or is large), else each
/// image cut into row blocks so that every thread has work.
pub(crate) fn units(n: usize, h_out: usize, threads: usize) -> Vec<Unit> {
    let per_image = if threads <= 1 || n.is_multiple_of(threads) || n >= 4 * threads {
        1
    } else {
        (4 * threads).div_ceil(n).min(h_out).max(1)
    };
    let mut out = Vec::with_capacity(n * per_image);
    for b in 0..n {
        let (base, extra) = (h_out / per_image, h_out % per_image);
        let mut oh = 0;
        for c in 0..per_image {
            let len = base + usize::from(c < extra);
            if len > 0 {
                out.push(Unit { b, oh0: oh, oh1: oh + len });
            }
            oh += len;
        }
    }
    out
}

/// Where a padded copy puts an image: `top` zero rows and `left` zero columns before
/// the data, rows `width` pixels wide (zeros after the data up to `width`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PadGeom {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub top: usize,
    pub left: usize,
    pub width: usize,
}

/// Copies padded rows `r0..r1` (padded coordinates) of one NHWC image into `dst`
/// (`(r1 - r0) x width x c`), zeros in the padding.
pub(crate) fn pad_rows(img: &[f32], g: &PadGeom, r0: usize, r1: usize, dst: &mut [f32]) {
    let (left, data) = (g.left * g.c, g.w * g.c);
    for (r, row) in (r0..r1).zip(dst.chunks_exact_mut(g.width * g.c)) {
        match r.checked_sub(g.top).filter(|&ih| ih < g.h) {
            Some(ih) => {
                row[..left].fill(0.0);
                row[left..left + data].copy_from_slice(&img[ih * data..][..data]);
                row[left + data..].fill(0.0);
            }
            None => row.fill(0.0),
        }
    }
}

/// Calls `f(rows)` with the input rows unit `u` reads: padded rows from padded row
/// `u.oh0 * stride_h` (in this thread's scratch) if the conv pads, else a slice of `x`
/// from that row. `x` is NHWC with `c` channels.
pub(crate) fn with_unit_rows<R>(x: &[f32], p: &Conv2dParams, c: usize, u: Unit, f: impl FnOnce(&[f32]) -> R) -> R {
    let in_img = p.h * p.w * c;
    let img = &x[u.b * in_img..][..in_img];
    let r0 = u.oh0 * p.stride_h;
    let r1 = (u.oh1 - 1) * p.stride_h + (p.kh - 1) * p.dil_h + 1;
    if padded(p) {
        let wp = row_width(p);
        scratch::with(&scratch::PADDED, (r1 - r0) * wp * c, |buf| {
            let g = PadGeom { h: p.h, w: p.w, c, top: p.pad_top, left: p.pad_left, width: wp };
            pad_rows(img, &g, r0, r1, buf);
            f(buf)
        })
    } else {
        f(&img[r0 * p.w * c..])
    }
}

/// Calls `f(unit, rows, out_rows)` for each unit in parallel, where `rows` are the input
/// rows the unit reads (see [`with_unit_rows`]) and `out_rows` is the unit's part of `out`.
pub(crate) fn for_each_unit(
    x: &[f32],
    p: &Conv2dParams,
    c: usize,
    out: &mut [f32],
    out_row: usize,
    f: impl Fn(Unit, &[f32], &mut [f32]) + Sync,
) {
    let list = units(p.n, p.h_out, threads::num_threads());
    let mut parts = Vec::with_capacity(list.len());
    let mut rest = out;
    for u in &list {
        let (head, tail) = rest.split_at_mut((u.oh1 - u.oh0) * out_row);
        parts.push(head);
        rest = tail;
    }
    let run = |u: Unit, part: &mut [f32]| with_unit_rows(x, p, c, u, |rows| f(u, rows, part));
    if list.len() > 1 && threads::num_threads() > 1 {
        threads::run(|| list.into_par_iter().zip(parts).for_each(|(u, part)| run(u, part)));
    } else {
        list.into_iter().zip(parts).for_each(|(u, part)| run(u, part));
    }
}

/// `out = conv(x, w)`, overwriting `out`. Needs [`conv_tile::available`].
pub(crate) fn forward(x: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    if out.is_empty() {
        return;
    }
    let packed = Packed::new(w, p);
    forward_packed(x, &packed, p, out);
}

/// [`forward`] with the kernel already packed.
pub(crate) fn forward_packed(x: &[f32], packed: &Packed, p: &Conv2dParams, out: &mut [f32]) {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    if packed.k == 0 {
        out.fill(0.0);
        return;
    }
    let wp = row_width(p);
    let segs = segments(p, wp, packed.width);
    let geom = Geom { a_rs: p.stride_w * p.c_in, a_ks: 1, b_ks: packed.width, c_rs: p.c_out, c_vs: LANES };
    let out_row = p.w_out * p.c_out;
    let tile_rows = conv_tile::max_rows(packed.width);
    for_each_unit(x, p, p.c_in, out, out_row, |u, rows, part| {
        for g in 0..p.groups {
            for blk in 0..packed.blocks {
                let c0 = g * cog + blk * packed.width;
                let cols = packed.width.min(cog - blk * packed.width);
                let panel = packed.panel(g, blk);
                for oh in u.oh0..u.oh1 {
                    let a_row = (oh - u.oh0) * p.stride_h * wp * p.c_in;
                    let y_row = &mut part[(oh - u.oh0) * out_row..][..out_row];
                    for (ow0, n) in column_tiles(p.w_out, tile_rows) {
                        let a = &rows[a_row + ow0 * p.stride_w * p.c_in + g * cig..];
                        let y = &mut y_row[ow0 * p.c_out + c0..];
                        conv_tile::tile(n, cols, a, panel, &segs, &geom, y, false);
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_tiles_cover_the_row_in_balanced_pieces() {
        let t: Vec<_> = column_tiles(19, 14).collect();
        assert_eq!(t, vec![(0, 10), (10, 9)]);
        let t: Vec<_> = column_tiles(55, 14).collect();
        assert_eq!(t, vec![(0, 14), (14, 14), (28, 14), (42, 13)]);
        assert_eq!(column_tiles(1, 14).collect::<Vec<_>>(), vec![(0, 1)]);
    }

    #[test]
    fn units_split_rows_when_the_batch_does_not_fill_the_threads() {
        let u = units(1, 19, 2);
        assert_eq!(u.len(), 8);
        assert_eq!((u[0].oh0, u[0].oh1, u[7].oh1), (0, 3, 19));
        assert_eq!(units(16, 19, 2).len(), 16);
        assert!(units(3, 2, 2).iter().all(|u| u.oh1 > u.oh0));
    }
}
