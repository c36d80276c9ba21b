//! Max and average pooling over NHWC, forward and backward.
//!
//! Every loop nest keeps channels innermost: in NHWC one spatial cell is `c` contiguous
//! floats, so each window cell is a dense slice and the channel loop vectorises. Work is
//! split over rows (an image row of the buffer being written), so threads never share
//! an output cell.
//!
//! Both backwards are gathers over the input gradient rather than scatters from the
//! output gradient: each input cell sums over the few windows that cover it. That keeps
//! overlapping windows race-free without locks and fixes the summation order, so results
//! do not depend on the thread count.

use rayon::prelude::*;

use crate::backend::params::Pool2dParams;
use crate::threads;

/// Channels per register block of [`argmax_pool2d`].
const ARG_LANES: usize = 16;

/// Below this many cell visits the fork/join costs more than it gains.
const PAR_MIN_WORK: usize = 1 << 15;

/// The real input range `[lo, hi)` that output `o` reads on an axis of size `n`.
/// Never empty: the op keeps every pad below the pool size.
#[inline]
fn span(o: usize, stride: usize, k: usize, pad: usize, n: usize) -> (usize, usize) {
    let start = o * stride;
    (start.saturating_sub(pad), (start + k).saturating_sub(pad).min(n))
}

/// The outputs `[lo, hi)` whose windows hold input `i`; empty for a cell that a stride
/// larger than the pool skips.
#[inline]
fn covering(i: usize, stride: usize, k: usize, pad: usize, out: usize) -> (usize, usize) {
    let q = i + pad;
    let lo = (q + 1).saturating_sub(k).div_ceil(stride);
    let hi = (q / stride + 1).min(out);
    (lo, hi.max(lo))
}

/// The position of input `(ih, iw)` inside the window of output `(oh, ow)`, counted in
/// row-major order over the whole padded window: the argmax code of max backward.
#[inline]
fn window_index(p: &Pool2dParams, ih: usize, iw: usize, oh: usize, ow: usize) -> u32 {
    let r = ih + p.pad_top - oh * p.stride_h;
    let s = iw + p.pad_left - ow * p.stride_w;
    // The op checks that ph * pw fits in u32.
    (r * p.pw + s) as u32
}

/// Calls `f(scratch, r, row)` on each `row_len`-long row `r` of `out`, in parallel when
/// `work` is large. `init` makes one scratch value per task, not per element.
fn for_each_row<T: Send, S>(
    out: &mut [T],
    row_len: usize,
    work: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize, &mut [T]) + Sync + Send,
) {
    if row_len == 0 || out.is_empty() {
        return;
    }
    if work >= PAR_MIN_WORK && threads::num_threads() > 1 {
        threads::run(|| {
            out.par_chunks_mut(row_len).enumerate().for_each_init(&init, |s, (r, row)| f(s, r, row));
        });
    } else {
        let mut s = init();
        out.chunks_mut(row_len).enumerate().for_each(|(r, row)| f(&mut s, r, row));
    }
}

/// Max pooling; NaN wins, as in numpy's max.
///
/// # Shapes
/// `x` dense `(n, h, w, c)`, `out` dense `(n, h_out, w_out, c)`.
pub(crate) fn max_pool2d(x: &[f32], p: &Pool2dParams, out: &mut [f32]) {
    max_pool2d_on(x, p, out, super::pool_avx512::available())
}

/// [`max_pool2d`] with the AVX-512 window kernel (`simd`, which must be available) or
/// the portable loop; tests run both.
pub(crate) fn max_pool2d_on(x: &[f32], p: &Pool2dParams, out: &mut [f32], simd: bool) {
    let (c, plane) = (p.c, p.h * p.w * p.c);
    let work = out.len().saturating_mul(p.ph * p.pw);
    for_each_row(
        out,
        p.w_out * c,
        work,
        || (),
        |_, r, row| {
            let (b, oh) = (r / p.h_out, r % p.h_out);
            let img = &x[b * plane..(b + 1) * plane];
            let (h0, h1) = span(oh, p.stride_h, p.ph, p.pad_top, p.h);
            for (ow, o) in row.chunks_exact_mut(c).enumerate() {
                let (w0, w1) = span(ow, p.stride_w, p.pw, p.pad_left, p.w);
                if simd {
                    // ok: internal invariant that the unchecked reads rely on.
                    assert!((h1 - 1) * p.w + w1 <= p.h * p.w, "max_pool2d: window out of range");
                    // SAFETY: reads cells (ih, iw) with ih < h1 <= h, iw < w1 <= w of this
                    // image (asserted), channels < c (masked); AVX-512F was detected.
                    unsafe { super::pool_avx512::max_window(img, (h0, h1), (w0, w1), p.w, o) };
                    continue;
                }
                o.copy_from_slice(&img[(h0 * p.w + w0) * c..][..c]);
                for ih in h0..h1 {
                    for cell in img[(ih * p.w + w0) * c..(ih * p.w + w1) * c].chunks_exact(c) {
                        for (m, &v) in o.iter_mut().zip(cell) {
                            *m = if v > *m || v.is_nan() { v } else { *m };
                        }
                    }
                }
            }
        },
    );
}

/// Average pooling; each window divides by its count of real (unpadded) cells.
///
/// # Shapes
/// `x` dense `(n, h, w, c)`, `out` dense `(n, h_out, w_out, c)`.
pub(crate) fn avg_pool2d(x: &[f32], p: &Pool2dParams, out: &mut [f32]) {
    let (c, plane) = (p.c, p.h * p.w * p.c);
    let work = out.len().saturating_mul(p.ph * p.pw);
    for_each_row(
        out,
        p.w_out * c,
        work,
        || (),
        |_, r, row| {
            let (b, oh) = (r / p.h_out, r % p.h_out);
            let img = &x[b * plane..(b + 1) * plane];
            let (h0, h1) = span(oh, p.stride_h, p.ph, p.pad_top, p.h);
            for (ow, o) in row.chunks_exact_mut(c).enumerate() {
                let (w0, w1) = span(ow, p.stride_w, p.pw, p.pad_left, p.w);
                o.fill(0.0);
                for ih in h0..h1 {
                    for cell in img[(ih * p.w + w0) * c..(ih * p.w + w1) * c].chunks_exact(c) {
                        o.iter_mut().zip(cell).for_each(|(s, &v)| *s += v);
                    }
                }
                let inv = 1.0 / ((h1 - h0) * (w1 - w0)) as f32;
                o.iter_mut().for_each(|s| *s *= inv);
            }
        },
    );
}

/// For every output cell, the [`window_index`] of the first maximal input cell of its
/// window in row-major window order (the first NaN, if any), into `arg`; with `out`,
/// also the maximum itself (max pooling's output, the same values as [`max_pool2d`]).
/// `simd` picks the AVX-512 window kernel (it must be available; it runs where `out`
/// is given) over the portable loop; tests run both.
///
/// # Shapes
/// `x` dense `(n, h, w, c)`; `arg` and `out` dense `(n, h_out, w_out, c)`.
pub(crate) fn argmax_pool2d(x: &[f32], p: &Pool2dParams, arg: &mut [u32], out: Option<&mut [f32]>, simd: bool) {
    let (c, plane) = (p.c, p.h * p.w * p.c);
    let row_len = p.w_out * c;
    if row_len == 0 || arg.is_empty() {
        return;
    }
    let row = |r: usize, a: &mut [u32], o: Option<&mut [f32]>| {
        let (b, oh) = (r / p.h_out, r % p.h_out);
        argmax_row(&x[b * plane..(b + 1) * plane], p, oh, a, o, simd)
    };
    let parallel = arg.len().saturating_mul(p.ph * p.pw) >= PAR_MIN_WORK && threads::num_threads() > 1;
    match out {
        Some(out) if parallel => threads::run(|| {
            arg.par_chunks_mut(row_len)
                .zip(out.par_chunks_mut(row_len))
                .enumerate()
                .for_each(|(r, (a, o))| row(r, a, Some(o)))
        }),
        Some(out) => {
            arg.chunks_mut(row_len).zip(out.chunks_mut(row_len)).enumerate().for_each(|(r, (a, o))| row(r, a, Some(o)))
        }
        None if parallel => threads::run(|| arg.par_chunks_mut(row_len).enumerate().for_each(|(r, a)| row(r, a, None))),
        None => arg.chunks_mut(row_len).enumerate().for_each(|(r, a)| row(r, a, None)),
    }
}

/// One output row `oh` of [`argmax_pool2d`] over image `img`.
fn argmax_row(img: &[f32], p: &Pool2dParams, oh: usize, row: &mut [u32], mut out: Option<&mut [f32]>, simd: bool) {
    let c = p.c;
    let (h0, h1) = span(oh, p.stride_h, p.ph, p.pad_top, p.h);
    for (ow, a) in row.chunks_exact_mut(c).enumerate() {
        let (w0, w1) = span(ow, p.stride_w, p.pw, p.pad_left, p.w);
        let mut o = out.as_deref_mut().map(|o| &mut o[ow * c..(ow + 1) * c]);
        if let (true, Some(o)) = (simd, o.as_deref_mut()) {
            // ok: internal invariant that the unchecked reads rely on.
            assert!(
                (h1 - 1) * p.w + w1 <= p.h * p.w && img.len() >= p.h * p.w * c,
                "argmax_pool2d: window out of range"
            );
            let first = (window_index(p, h0, w0, oh, ow), p.pw as u32);
            // SAFETY: reads cells (ih, iw) with ih < h1 <= h, iw < w1 <= w of this image
            // (asserted), channels < c (masked); writes c values and codes; AVX-512F was
            // detected (the caller's `simd`).
            unsafe { super::pool_avx512::argmax_window(img, (h0, h1), (w0, w1), p.w, first, o, a) };
            continue;
        }
        // Blocks of 16 channels held in registers over the whole window: the select
        // vectorises on fixed-size arrays read in place (copying each cell into a stack
        // array first stalled on store forwarding).
        let mut j0 = 0;
        while j0 + ARG_LANES <= c {
            let block = |ih: usize, iw: usize| -> &[f32; ARG_LANES] {
                img[(ih * p.w + iw) * c + j0..][..ARG_LANES].try_into().expect("16 lanes")
            };
            let mut best = *block(h0, w0);
            let mut idx = [window_index(p, h0, w0, oh, ow); ARG_LANES];
            for ih in h0..h1 {
                for iw in w0..w1 {
                    let (k, cell) = (window_index(p, ih, iw, oh, ow), block(ih, iw));
                    for l in 0..ARG_LANES {
                        let take = argmax_takes(cell[l], best[l]);
                        best[l] = if take { cell[l] } else { best[l] };
                        idx[l] = if take { k } else { idx[l] };
                    }
                }
            }
            a[j0..j0 + ARG_LANES].copy_from_slice(&idx);
            if let Some(o) = o.as_deref_mut() {
                o[j0..j0 + ARG_LANES].copy_from_slice(&best);
            }
            j0 += ARG_LANES;
        }
        if j0 < c {
            let tail = &mut a[j0..];
            let mut best = img[(h0 * p.w + w0) * c + j0..][..c - j0].to_vec();
            tail.fill(window_index(p, h0, w0, oh, ow));
            for ih in h0..h1 {
                for iw in w0..w1 {
                    let k = window_index(p, ih, iw, oh, ow);
                    let cell = &img[(ih * p.w + iw) * c + j0..][..c - j0];
                    for ((m, ai), &v) in best.iter_mut().zip(tail.iter_mut()).zip(cell) {
                        let take = argmax_takes(v, *m);
                        *m = if take { v } else { *m };
                        *ai = if take { k } else { *ai };
                    }
                }
            }
            if let Some(o) = o {
                o[j0..].copy_from_slice(&best);
            }
        }
    }
}

/// Whether `v` replaces the running maximum `m`: strictly greater keeps the first of
/// equal maxima, and the first NaN wins for good.
#[inline(always)]
pub(super) fn argmax_takes(v: f32, m: f32) -> bool {
    (v > m || v.is_nan()) && !m.is_nan()
}

/// How long the `arg` scratch of [`max_pool2d_backward`] must be: the output's size,
/// or nothing where the windows tile the input (one pass, no codes).
pub(crate) fn argmax_scratch_len(p: &Pool2dParams) -> usize {
    if super::pool_tiled::applies(p) {
        0
    } else {
        p.n * p.h_out * p.w_out * p.c
    }
}

/// The backward of [`max_pool2d`] from its input: each output gradient goes to the first
/// maximal cell of its window; cells shared by overlapping windows sum what they
/// receive. `arg` is scratch of [`argmax_scratch_len`]. Training does not come here for
/// overlapping windows: their forward keeps the codes (`argmax_pool2d` with `out`) and
/// the backward is [`max_pool2d_backward_from_argmax`].
///
/// # Shapes
/// `x` and `gx` dense `(n, h, w, c)`; `g` dense `(n, h_out, w_out, c)`.
pub(crate) fn max_pool2d_backward(x: &[f32], g: &[f32], p: &Pool2dParams, arg: &mut [u32], gx: &mut [f32]) {
    max_pool2d_backward_on(x, g, p, arg, gx, super::pool_avx512::available())
}

/// [`max_pool2d_backward`] with the AVX-512 tiled kernel (`simd`, which must be
/// available) or the portable loops; tests run both.
pub(crate) fn max_pool2d_backward_on(
    x: &[f32],
    g: &[f32],
    p: &Pool2dParams,
    arg: &mut [u32],
    gx: &mut [f32],
    simd: bool,
) {
    if super::pool_tiled::applies(p) {
        return super::pool_tiled::max_pool2d_backward(x, g, p, simd, gx);
    }
    argmax_pool2d(x, p, arg, None, false);
    max_pool2d_backward_from_argmax(g, p, arg, gx)
}

/// The backward of max pooling from the argmax codes that [`argmax_pool2d`] recorded:
/// each input cell gathers the gradients of the windows whose argmax it is, in row-major
/// window order; every element of `gx` is written (no zero fill needed).
///
/// # Shapes
/// `g` and `arg` dense `(n, h_out, w_out, c)`; `gx` dense `(n, h, w, c)`.
pub(crate) fn max_pool2d_backward_from_argmax(g: &[f32], p: &Pool2dParams, arg: &[u32], gx: &mut [f32]) {
    let c = p.c;
    let cover = p.ph.div_ceil(p.stride_h) * p.pw.div_ceil(p.stride_w);
    for_each_row(
        gx,
        p.w * c,
        gx.len().saturating_mul(cover),
        || (),
        |_, r, row| {
            let (b, ih) = (r / p.h, r % p.h);
            let (oh0, oh1) = covering(ih, p.stride_h, p.ph, p.pad_top, p.h_out);
            for (iw, d) in row.chunks_exact_mut(c).enumerate() {
                let (ow0, ow1) = covering(iw, p.stride_w, p.pw, p.pad_left, p.w_out);
                d.fill(0.0);
                for oh in oh0..oh1 {
                    for ow in ow0..ow1 {
                        let k = window_index(p, ih, iw, oh, ow);
                        let off = ((b * p.h_out + oh) * p.w_out + ow) * c;
                        for ((d, &gv), &a) in d.iter_mut().zip(&g[off..off + c]).zip(&arg[off..off + c]) {
                            *d += if a == k { gv } else { 0.0 };
                        }
                    }
                }
            }
        },
    );
}

/// The backward of [`avg_pool2d`]: each real cell of a window receives the window's
/// gradient divided by its real-cell count.
///
/// # Shapes
/// `g` dense `(n, h_out, w_out, c)`, `gx` dense `(n, h, w, c)`.
pub(crate) fn avg_pool2d_backward(g: &[f32], p: &Pool2dParams, gx: &mut [f32]) {
    let c = p.c;
    let cover = p.ph.div_ceil(p.stride_h) * p.pw.div_ceil(p.stride_w);
    for_each_row(
        gx,
        p.w * c,
        gx.len().saturating_mul(cover),
        || (),
        |_, r, row| {
            let (b, ih) = (r / p.h, r % p.h);
            let (oh0, oh1) = covering(ih, p.stride_h, p.ph, p.pad_top, p.h_out);
            for (iw, d) in row.chunks_exact_mut(c).enumerate() {
                let (ow0, ow1) = covering(iw, p.stride_w, p.pw, p.pad_left, p.w_out);
                d.fill(0.0);
                for oh in oh0..oh1 {
                    let (h0, h1) = span(oh, p.stride_h, p.ph, p.pad_top, p.h);
                    for ow in ow0..ow1 {
                        let (w0, w1) = span(ow, p.stride_w, p.pw, p.pad_left, p.w);
                        let inv = 1.0 / ((h1 - h0) * (w1 - w0)) as f32;
                        let off = ((b * p.h_out + oh) * p.w_out + ow) * c;
                        d.iter_mut().zip(&g[off..off + c]).for_each(|(d, &gv)| *d += gv * inv);
                    }
                }
            }
        },
    );
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
