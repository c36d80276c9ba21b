//! The kernel gradient of any conv on the AVX-512 register tiles, without an im2col
//! buffer: `dw[i, j, ci, co] = sum over pixels of x[pixel + tap(i, j), ci] * dy[pixel, co]`.
//!
//! A tile holds up to 14 rows of `dw` (consecutive `(j, ci)` of one kernel row, which
//! are consecutive floats of an NHWC input row when the width is not dilated and there
//! is one group) by 32 output channels; its reduction runs over output pixels, one
//! segment per output row: `A` is the (padded) input read in place, `B` is `dy` read in
//! place (rows `c_out` apart). Work is split like the forward conv into (image, row
//! block) units; each thread sums its units into its own copy of `dw` and the copies are
//! added at the end.
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `dy` `(n, h_out, w_out, c_out)`, `dw` `(kh, kw, c_in / groups,
//! c_out)`, zero on entry.

use rayon::prelude::*;

use super::conv_direct::{column_tiles, row_width, units, with_unit_rows, Unit};
use super::conv_tile::{self, Geom, Seg, LANES, MAX_COLS};
use crate::backend::params::Conv2dParams;
use crate::threads;

/// `dw += conv_backward_kernel(x, dy)`. Needs [`conv_tile::available`].
pub(crate) fn backward_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32]) {
    if dw.is_empty() || dy.is_empty() {
        return;
    }
    let threads = threads::num_threads();
    let list = units(p.n, p.h_out, threads);
    let groups = threads.min(list.len()).max(1);
    if groups == 1 {
        list.into_iter().for_each(|u| accumulate(u, x, dy, p, dw));
        return;
    }
    // Contiguous runs of units, one per thread, each summed into its own partial.
    let runs: Vec<&[Unit]> =
        (0..groups).map(|g| &list[list.len() * g / groups..list.len() * (g + 1) / groups]).collect();
    let len = dw.len();
    let partials: Vec<Vec<f32>> = threads::run(|| {
        runs.into_par_iter()
            .map(|run| {
                let mut part = vec![0.0f32; len];
                run.iter().for_each(|&u| accumulate(u, x, dy, p, &mut part));
                part
            })
            .collect()
    });
    for part in partials {
        dw.iter_mut().zip(&part).for_each(|(d, s)| *d += s);
    }
}

/// Adds unit `u`'s pixels' contribution to `dw`.
fn accumulate(u: Unit, x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32]) {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let wp = row_width(p);
    with_unit_rows(x, p, p.c_in, u, |rows| {
        // One segment per output row: w_out pixels, `stride_w` input pixels apart.
        let segs: Vec<Seg> = (u.oh0..u.oh1)
            .map(|oh| Seg {
                a: (oh - u.oh0) * p.stride_h * wp * p.c_in,
                b: ((u.b * p.h_out + oh) * p.w_out) * p.c_out,
                len: p.w_out,
            })
            .collect();
        let geom = Geom { a_rs: 1, a_ks: p.stride_w * p.c_in, b_ks: p.c_out, c_rs: p.c_out, c_vs: LANES };
        // (offset of the block's first tap in a padded row run, first dw row, rows, group)
        let mut blocks = Vec::new();
        for i in 0..p.kh {
            let row = i * p.dil_h * wp * p.c_in;
            if p.groups == 1 && p.dil_w == 1 {
                // The taps of a kernel row are kw neighbouring pixels: kw * c_in floats.
                blocks.push((row, i * p.kw * cig, p.kw * cig, 0));
            } else {
                for j in 0..p.kw {
                    for g in 0..p.groups {
                        blocks.push((row + j * p.dil_w * p.c_in + g * cig, (i * p.kw + j) * cig, cig, g));
                    }
                }
            }
        }
        for (a_off, dw_row, nrows, g) in blocks {
            for c0 in (g * cog..(g + 1) * cog).step_by(MAX_COLS) {
                let cols = MAX_COLS.min((g + 1) * cog - c0);
                for (r0, n) in column_tiles(nrows, conv_tile::max_rows(cols)) {
                    let a = &rows[a_off + r0..];
                    let c = &mut dw[(dw_row + r0) * p.c_out + c0..];
                    conv_tile::tile(n, cols, a, &dy[c0..], &segs, &geom, c, true);
                }
            }
        }
    })
}
