//! Small-channel stride-1 convs vectorised over output pixels instead of channels.
//!
//! The register tiles put output channels in the 16 lanes; with LeNet's 1 -> 6 layer
//! (and the grad-input of its 6 -> 16 layer, a conv to 6 channels) 10 of 16 lanes idle.
//! Here the input is first copied per image into planar, zero-padded rows
//! (`[c][row][col]`), so that 16 neighbouring output pixels of one channel read 16
//! contiguous input floats per tap:
//! - forward: a register block of up to 8 output channels x 32 pixels (or 2 rows x 16)
//!   sums `w[i, j, ci, co] * x[ci, oh + i, ow + j .. + 16]` over the taps, and is
//!   scattered into the NHWC output;
//! - kernel gradient: `dy` is made planar too, and a block of `kw` taps x up to 6
//!   (kw = 3) or 4 (kw = 5) output channels sums `x[ci, oh + i, ow + j ..] * dy[co, oh, ow ..]` over pixels,
//!   reduced across lanes at the end.
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `w` `(kh, kw, c_in, c_out)`, `y`/`dy` `(n, h_out, w_out, c_out)`.

use rayon::prelude::*;

use super::conv_tile::{self, LANES};
use super::scratch;
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Whether the planar forward applies: stride 1, no dilation, one group, at most 8
/// output channels (one register block), AVX-512.
pub(crate) fn applies_forward(p: &Conv2dParams) -> bool {
    plain(p) && p.c_out <= 8
}

/// Whether the planar kernel gradient applies: as the forward, with a 3- or 5-wide kernel
/// (the register block is `kw` taps) and at most 16 output channels.
pub(crate) fn applies_grad_kernel(p: &Conv2dParams) -> bool {
    plain(p) && (p.kw == 3 || p.kw == 5) && p.c_out <= 16
}

fn plain(p: &Conv2dParams) -> bool {
    (p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.groups) == (1, 1, 1, 1, 1) && conv_tile::available()
}

/// Width of a planar row: every 16-pixel vector of every output row, shifted by every
/// tap, stays inside it.
fn plane_width(p: &Conv2dParams) -> usize {
    p.w_out.div_ceil(LANES) * LANES + p.kw - 1
}

/// Copies image `img` (NHWC, `c` channels, `h x w`) into `dst` as `c` planes of `rows x
/// width`, the pixel `(y, x)` at plane row `y + top`, column `x + left`, zeros elsewhere.
fn to_planar(
    img: &[f32],
    (h, w, c): (usize, usize, usize),
    (top, left): (usize, usize),
    (rows, width): (usize, usize),
    dst: &mut [f32],
) {
    dst.fill(0.0);
    let (h, w) = (h.min(rows.saturating_sub(top)), w.min(width.saturating_sub(left)));
    if h == 0 || w == 0 || c == 0 {
        return;
    }
    // ok: internal invariant; the gathers below rely on it for memory safety.
    assert!(img.len() >= h * w * c && dst.len() >= c * rows * width, "planar copy: buffers too small");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: every read is img[(y * w + x) * c + ci] and every write
    // dst[(ci * rows + y + top) * width + x + left] with y < h, x < w, ci < c, in bounds by
    // the clamps and assert above; AVX-512F was checked by the callers' `applies_*`.
    unsafe {
        avx512::to_planar(img, (h, w, c), (top, left), (rows, width), dst)
    }
}

/// Calls `f(image, output image)` for every image, in parallel when there is more than one.
fn per_image(n: usize, out: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync) {
    let len = out.len() / n.max(1);
    if len == 0 {
        return;
    }
    if n > 1 && threads::num_threads() > 1 {
        threads::run(|| out.par_chunks_mut(len).enumerate().for_each(|(b, o)| f(b, o)));
    } else {
        out.chunks_mut(len).enumerate().for_each(|(b, o)| f(b, o));
    }
}

/// `out = conv(x, w)` for a conv that [`applies_forward`], overwriting `out`.
pub(crate) fn forward(x: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    let (rows, width) = (p.h_out + p.kh - 1, plane_width(p));
    let in_img = p.h * p.w * p.c_in;
    // ok: internal invariant (the op sized every buffer from p); the vector code relies on it.
    assert!(
        applies_forward(p) && x.len() == p.n * in_img && w.len() == p.kh * p.kw * p.c_in * p.c_out,
        "planar conv: buffers do not match {p:?}"
    );
    per_image(p.n, out, |b, y| {
        scratch::with(&scratch::PADDED, p.c_in * rows * width, |planes| {
            to_planar(&x[b * in_img..][..in_img], (p.h, p.w, p.c_in), (p.pad_top, p.pad_left), (rows, width), planes);
            assert!(y.len() == p.h_out * p.w_out * p.c_out, "planar conv: output image size");
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `planes` is `c_in x rows x width` with rows = h_out + kh - 1 and width
            // covering every 16-pixel vector of an output row plus kw - 1; `w` and `y` have
            // the sizes asserted above; AVX-512F was checked by applies_forward.
            unsafe {
                avx512::forward(planes, (rows, width), w, p, y)
            }
        })
    });
}

/// `dw = conv_backward_kernel(x, dy)` for a conv that [`applies_grad_kernel`], overwriting `dw`.
pub(crate) fn backward_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32]) {
    let (rows, width) = (p.h_out + p.kh - 1, plane_width(p));
    let dwidth = p.w_out.div_ceil(LANES) * LANES;
    let (in_img, out_img) = (p.h * p.w * p.c_in, p.h_out * p.w_out * p.c_out);
    // ok: internal invariant (the op sized every buffer from p); the vector code relies on it.
    assert!(
        applies_grad_kernel(p)
            && x.len() == p.n * in_img
            && dy.len() == p.n * out_img
            && dw.len() == p.kh * p.kw * p.c_in * p.c_out,
        "planar conv gradient: buffers do not match {p:?}"
    );
    let threads = threads::num_threads().clamp(1, p.n.max(1));
    // Per-lane partial sums of every kernel element, reduced across lanes only once at
    // the end (a LeNet image is too small to pay a 16-lane reduction per element).
    let len = dw.len() * LANES;
    // Images in `threads` runs, each summed into its own partial gradient.
    let run = |t: usize| {
        let mut part = vec![0.0f32; len];
        for b in p.n * t / threads..p.n * (t + 1) / threads {
            scratch::with(&scratch::PADDED, p.c_in * rows * width, |xp| {
                to_planar(&x[b * in_img..][..in_img], (p.h, p.w, p.c_in), (p.pad_top, p.pad_left), (rows, width), xp);
                scratch::with(&scratch::TILES, p.c_out * p.h_out * dwidth, |dyp| {
                    let img = &dy[b * out_img..][..out_img];
                    to_planar(img, (p.h_out, p.w_out, p.c_out), (0, 0), (p.h_out, dwidth), dyp);
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `xp` is `c_in x rows x width`, `dyp` `c_out x h_out x dwidth`
                    // (zero past w_out), `part` is 16 lanes per kernel element; AVX-512F
                    // checked.
                    unsafe {
                        avx512::grad_kernel(xp, (rows, width), dyp, dwidth, p, &mut part)
                    }
                })
            });
        }
        part
    };
    let parts: Vec<Vec<f32>> =
        if threads > 1 { threads::run(|| (0..threads).into_par_iter().map(run).collect()) } else { vec![run(0)] };
    dw.fill(0.0);
    for part in parts {
        dw.iter_mut().zip(part.chunks_exact(LANES)).for_each(|(d, s)| *d += s.iter().sum::<f32>());
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::LANES;
    use crate::backend::params::Conv2dParams;

    fn mask(n: usize) -> __mmask16 {
        if n >= 16 {
            0xffff
        } else {
            (1u16 << n) - 1
        }
    }

    /// # Safety
    /// As `super::to_planar` checks.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn to_planar(
        img: &[f32],
        (h, w, c): (usize, usize, usize),
        (top, left): (usize, usize),
        (rows, width): (usize, usize),
        dst: &mut [f32],
    ) {
        // Sixteen pixels of one channel at a time: a gather `c` floats apart.
        let idx = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            _mm512_set1_epi32(c as i32),
        );
        for ci in 0..c {
            for y in 0..h {
                let src = img.as_ptr().add(y * w * c + ci);
                let out = dst.as_mut_ptr().add((ci * rows + y + top) * width + left);
                for x0 in (0..w).step_by(LANES) {
                    let m = mask(w - x0);
                    let v = _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), m, idx, src.add(x0 * c));
                    _mm512_mask_storeu_ps(out.add(x0), m, v);
                }
            }
        }
    }

    macro_rules! by_channels {
        ($co:expr, $f:ident, $nv:literal, $r:literal, $($args:expr),*) => {
            match $co {
                1 => $f::<1, $nv, $r>($($args),*),
                2 => $f::<2, $nv, $r>($($args),*),
                3 => $f::<3, $nv, $r>($($args),*),
                4 => $f::<4, $nv, $r>($($args),*),
                5 => $f::<5, $nv, $r>($($args),*),
                6 => $f::<6, $nv, $r>($($args),*),
                7 => $f::<7, $nv, $r>($($args),*),
                _ => $f::<8, $nv, $r>($($args),*),
            }
        };
    }

    /// # Safety
    /// As `super::forward` asserts; `planes` is `c_in x rows x width` (see there).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn forward(
        planes: &[f32],
        (rows, width): (usize, usize),
        w: &[f32],
        p: &Conv2dParams,
        y: &mut [f32],
    ) {
        debug_assert!(planes.len() >= p.c_in * rows * width && rows >= p.h_out + p.kh - 1);
        let vecs = p.w_out.div_ceil(LANES);
        let mut oh = 0;
        while oh < p.h_out {
            if vecs == 1 && oh + 1 < p.h_out {
                // One vector per row: two rows per block, for enough accumulators.
                by_channels!(p.c_out, block, 1, 2, planes, (rows, width), w, p, y, oh, 0);
                oh += 2;
                continue;
            }
            let mut v = 0;
            while v < vecs {
                if v + 1 < vecs {
                    by_channels!(p.c_out, block, 2, 1, planes, (rows, width), w, p, y, oh, v * LANES);
                    v += 2;
                } else {
                    by_channels!(p.c_out, block, 1, 1, planes, (rows, width), w, p, y, oh, v * LANES);
                    v += 1;
                }
            }
            oh += 1;
        }
    }

    /// Output rows `oh .. oh + R`, pixels `ow0 .. ow0 + 16 NV`, all `CO` channels.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const CO: usize, const NV: usize, const R: usize>(
        planes: &[f32],
        (rows, width): (usize, usize),
        w: &[f32],
        p: &Conv2dParams,
        y: &mut [f32],
        oh: usize,
        ow0: usize,
    ) {
        let mut acc = [[[_mm512_setzero_ps(); NV]; CO]; R];
        let (xp, wp) = (planes.as_ptr(), w.as_ptr());
        for ci in 0..p.c_in {
            for i in 0..p.kh {
                for j in 0..p.kw {
                    let wt = wp.add(((i * p.kw + j) * p.c_in + ci) * p.c_out);
                    let wv: [__m512; CO] = std::array::from_fn(|co| _mm512_set1_ps(*wt.add(co)));
                    for (r, acc_r) in acc.iter_mut().enumerate() {
                        let row = xp.add((ci * rows + oh + r + i) * width + ow0 + j);
                        let xv: [__m512; NV] = std::array::from_fn(|v| _mm512_loadu_ps(row.add(v * LANES)));
                        for (co, acc_c) in acc_r.iter_mut().enumerate() {
                            for (v, a) in acc_c.iter_mut().enumerate() {
                                *a = _mm512_fmadd_ps(wv[co], xv[v], *a);
                            }
                        }
                    }
                }
            }
        }
        // Scatter into NHWC: lane l of channel co's vector is pixel ow0 + 16 v + l.
        let c = p.c_out as i32;
        let idx = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            _mm512_set1_epi32(c),
        );
        for (r, acc_r) in acc.iter().enumerate() {
            for v in 0..NV {
                let px = ow0 + v * LANES;
                let m = mask(p.w_out.saturating_sub(px));
                let base = y.as_mut_ptr().add(((oh + r) * p.w_out + px) * p.c_out);
                for (co, acc_c) in acc_r.iter().enumerate() {
                    _mm512_mask_i32scatter_ps::<4>(base.add(co), m, idx, acc_c[v]);
                }
            }
        }
        debug_assert!(y.len() >= p.h_out * p.w_out * p.c_out && oh + R <= p.h_out);
    }

    macro_rules! by_taps {
        ($kw:expr, $cob:expr, $($args:expr),*) => {
            match ($kw, $cob) {
                (3, 1) => taps::<3, 1>($($args),*),
                (3, 2) => taps::<3, 2>($($args),*),
                (3, 3) => taps::<3, 3>($($args),*),
                (3, 4) => taps::<3, 4>($($args),*),
                (3, 5) => taps::<3, 5>($($args),*),
                (3, _) => taps::<3, 6>($($args),*),
                (_, 1) => taps::<5, 1>($($args),*),
                (_, 2) => taps::<5, 2>($($args),*),
                (_, 3) => taps::<5, 3>($($args),*),
                (_, _) => taps::<5, 4>($($args),*),
            }
        };
    }

    /// # Safety
    /// As `super::backward_kernel` states for `xp`, `dyp` and `dw`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn grad_kernel(
        xp: &[f32],
        (rows, width): (usize, usize),
        dyp: &[f32],
        dwidth: usize,
        p: &Conv2dParams,
        dw: &mut [f32],
    ) {
        debug_assert!(xp.len() >= p.c_in * rows * width && dyp.len() >= p.c_out * p.h_out * dwidth);
        // kw taps x a block of output channels: 18-20 accumulators plus the block's dy
        // vectors stay inside the 32 registers (5 x 6 spilled to the stack).
        let cob = if p.kw == 3 { 6 } else { 4 };
        for ci in 0..p.c_in {
            for i in 0..p.kh {
                for co0 in (0..p.c_out).step_by(cob) {
                    let n = cob.min(p.c_out - co0);
                    by_taps!(p.kw, n, xp, (rows, width), dyp, dwidth, p, dw, (ci, i, co0));
                }
            }
        }
    }

    /// Adds the lane-wise partial sums of `dw[i, j, ci, co0 + c]` (16 floats per element
    /// in `dw`) for every tap `j < KW` and channel `c < COB`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn taps<const KW: usize, const COB: usize>(
        xp: &[f32],
        (rows, width): (usize, usize),
        dyp: &[f32],
        dwidth: usize,
        p: &Conv2dParams,
        dw: &mut [f32],
        (ci, i, co0): (usize, usize, usize),
    ) {
        let at = |j: usize, c: usize| (((i * p.kw + j) * p.c_in + ci) * p.c_out + co0 + c) * LANES;
        let mut acc: [[__m512; COB]; KW] =
            std::array::from_fn(|j| std::array::from_fn(|c| _mm512_loadu_ps(dw.as_ptr().add(at(j, c)))));
        let (x, d) = (xp.as_ptr(), dyp.as_ptr());
        for oh in 0..p.h_out {
            let xrow = x.add((ci * rows + oh + i) * width);
            for ow in (0..p.w_out).step_by(LANES) {
                // dy is zero past w_out, so the x lanes there (real pixels or padding) add 0.
                let m = mask(p.w_out - ow);
                let dv: [__m512; COB] =
                    std::array::from_fn(|c| _mm512_loadu_ps(d.add(((co0 + c) * p.h_out + oh) * dwidth + ow)));
                for (j, acc_j) in acc.iter_mut().enumerate() {
                    let xv = _mm512_maskz_loadu_ps(m, xrow.add(ow + j));
                    for (c, a) in acc_j.iter_mut().enumerate() {
                        *a = _mm512_fmadd_ps(xv, dv[c], *a);
                    }
                }
            }
        }
        for (j, acc_j) in acc.iter().enumerate() {
            for (c, a) in acc_j.iter().enumerate() {
                _mm512_storeu_ps(dw.as_mut_ptr().add(at(j, c)), *a);
            }
        }
        debug_assert!(rows >= p.h_out + p.kh - 1 && width >= p.w_out.div_ceil(LANES) * LANES + KW - 1);
        debug_assert!(dw.len() >= p.kh * p.kw * p.c_in * p.c_out * LANES);
    }
}
