//! Max-pool backward for windows that tile the input: stride equal to the pool size and
//! no padding before the first row or column (Keras's default `MaxPool2D(2)`, LeNet's
//! pools, any `valid` or `same` pool whose stride is its size). Each input cell then
//! lies in at most one window, so one pass per window finds its first maximum and
//! writes the whole window of the input gradient: the gradient at the maximum, zero
//! elsewhere. No argmax buffer, no zero fill, no per-cell division, as the general
//! gather in `pool.rs` needs for overlapping windows.

use rayon::prelude::*;

use super::pool::argmax_takes as takes;
use crate::backend::params::Pool2dParams;
use crate::threads;

/// Channels per register block.
const LANES: usize = 16;

/// Whether [`max_pool2d_backward`] handles `p`.
pub(crate) fn applies(p: &Pool2dParams) -> bool {
    p.stride_h == p.ph && p.stride_w == p.pw && p.pad_top == 0 && p.pad_left == 0
}

/// The backward of max pooling where [`applies`] holds; every element of `gx` is written.
///
/// # Shapes
/// `x` and `gx` dense `(n, h, w, c)`; `g` dense `(n, h_out, w_out, c)`.
/// `simd` picks the AVX-512 window kernel (it must be available) over the portable
/// loop; tests run both.
pub(crate) fn max_pool2d_backward(x: &[f32], g: &[f32], p: &Pool2dParams, simd: bool, gx: &mut [f32]) {
    let plane = p.h * p.w * p.c;
    if plane == 0 || gx.is_empty() {
        return;
    }
    let image = |(b, gimg): (usize, &mut [f32])| image_backward(&x[b * plane..][..plane], g, b, p, simd, gimg);
    if p.n > 1 && gx.len() >= 1 << 14 && threads::num_threads() > 1 {
        threads::run(|| gx.par_chunks_mut(plane).enumerate().for_each(image));
    } else {
        gx.chunks_mut(plane).enumerate().for_each(image);
    }
}

fn image_backward(img: &[f32], g: &[f32], b: usize, p: &Pool2dParams, simd: bool, gimg: &mut [f32]) {
    let c = p.c;
    let at = |ih: usize, iw: usize| (ih * p.w + iw) * c;
    // Rows and columns past the last window (a `valid` pool over an odd size) get none.
    let (covered_h, covered_w) = ((p.h_out * p.ph).min(p.h), (p.w_out * p.pw).min(p.w));
    gimg[at(covered_h, 0)..].fill(0.0);
    for ih in 0..covered_h {
        gimg[at(ih, covered_w)..at(ih + 1, 0)].fill(0.0);
    }
    for oh in 0..p.h_out {
        let (h0, h1) = (oh * p.ph, (oh * p.ph + p.ph).min(p.h));
        for ow in 0..p.w_out {
            let (w0, w1) = (ow * p.pw, (ow * p.pw + p.pw).min(p.w));
            let go = &g[((b * p.h_out + oh) * p.w_out + ow) * c..][..c];
            #[cfg(target_arch = "x86_64")]
            if simd {
                // ok: internal invariant that the unsafe reads and writes below rely on.
                assert!(img.len() >= at(h1 - 1, w1) && gimg.len() >= at(h1 - 1, w1), "pool_tiled: window out of range");
                // SAFETY: every access is at at(ih, iw) + j with h0 <= ih < h1, w0 <= iw < w1,
                // j < c (masked), inside both images by the assert; AVX-512F was detected.
                unsafe { avx512::window(img, go, gimg, (h0, h1), (w0, w1), p.w, c) };
                continue;
            }
            let _ = simd;
            let mut j0 = 0;
            while j0 + LANES <= c {
                let block = |ih: usize, iw: usize| -> &[f32; LANES] {
                    img[at(ih, iw) + j0..][..LANES].try_into().expect("16 lanes")
                };
                let mut best = *block(h0, w0);
                let mut arg = [0u32; LANES];
                let mut k = 0u32;
                for ih in h0..h1 {
                    for iw in w0..w1 {
                        let cell = block(ih, iw);
                        for l in 0..LANES {
                            let t = takes(cell[l], best[l]);
                            best[l] = if t { cell[l] } else { best[l] };
                            arg[l] = if t { k } else { arg[l] };
                        }
                        k += 1;
                    }
                }
                let gb: &[f32; LANES] = go[j0..][..LANES].try_into().expect("16 lanes");
                let mut k = 0u32;
                for ih in h0..h1 {
                    for iw in w0..w1 {
                        let d: &mut [f32; LANES] =
                            (&mut gimg[at(ih, iw) + j0..][..LANES]).try_into().expect("16 lanes");
                        for l in 0..LANES {
                            d[l] = if arg[l] == k { gb[l] } else { 0.0 };
                        }
                        k += 1;
                    }
                }
                j0 += LANES;
            }
            for j in j0..c {
                let (mut best, mut arg) = (img[at(h0, w0) + j], (h0, w0));
                for ih in h0..h1 {
                    for iw in w0..w1 {
                        gimg[at(ih, iw) + j] = 0.0;
                        let v = img[at(ih, iw) + j];
                        if takes(v, best) {
                            (best, arg) = (v, (ih, iw));
                        }
                    }
                }
                gimg[at(arg.0, arg.1) + j] = go[j];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// One window of the tiled backward over all `c` channels, 16 at a time with masked
    /// tails (LeNet's 6 channels are one masked block instead of a scalar loop).
    ///
    /// # Safety
    /// AVX-512F present; `img` and `gimg` hold every cell `(ih * w + iw) * c + j` of the
    /// window, `go` holds `c` values.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn window(
        img: &[f32],
        go: &[f32],
        gimg: &mut [f32],
        (h0, h1): (usize, usize),
        (w0, w1): (usize, usize),
        w: usize,
        c: usize,
    ) {
        let (src, dst) = (img.as_ptr(), gimg.as_mut_ptr());
        let at = |ih: usize, iw: usize| (ih * w + iw) * c;
        let mut j0 = 0;
        while j0 < c {
            let m: __mmask16 = if c - j0 >= 16 { 0xffff } else { (1u16 << (c - j0)) - 1 };
            let mut best = _mm512_maskz_loadu_ps(m, src.add(at(h0, w0) + j0));
            let mut arg = _mm512_setzero_si512();
            let mut k = 0;
            for ih in h0..h1 {
                for iw in w0..w1 {
                    let v = _mm512_maskz_loadu_ps(m, src.add(at(ih, iw) + j0));
                    // Greater, or a NaN arriving; never once the maximum is NaN.
                    let greater = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                    let take = greater & _mm512_cmp_ps_mask::<_CMP_ORD_Q>(best, best);
                    best = _mm512_mask_mov_ps(best, take, v);
                    arg = _mm512_mask_mov_epi32(arg, take, _mm512_set1_epi32(k));
                    k += 1;
                }
            }
            let gv = _mm512_maskz_loadu_ps(m, go.as_ptr().add(j0));
            let mut k = 0;
            for ih in h0..h1 {
                for iw in w0..w1 {
                    let hit = _mm512_cmpeq_epi32_mask(arg, _mm512_set1_epi32(k));
                    _mm512_mask_storeu_ps(dst.add(at(ih, iw) + j0), m, _mm512_maskz_mov_ps(hit, gv));
                    k += 1;
                }
            }
            j0 += 16;
        }
    }
}
