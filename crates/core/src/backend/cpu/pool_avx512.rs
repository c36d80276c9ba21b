//! AVX-512 max-pool forward, with or without each window's argmax: each output cell's
//! window is reduced 16 channels at a time in a register (masked for the channel
//! tail), where the portable loops in `pool.rs` update memory once per window cell.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Whether [`max_window`] may be called.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `o[j] = max over the window rows h0..h1, columns w0..w1 of img[(ih * w + iw) * c + j]`,
/// NaN winning as in the portable kernel.
///
/// # Safety
/// [`available`] returned true; `img` holds every cell of the window (checked by the
/// caller), `o` holds `c` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn max_window(
    img: &[f32],
    (h0, h1): (usize, usize),
    (w0, w1): (usize, usize),
    w: usize,
    o: &mut [f32],
) {
    let c = o.len();
    let src = img.as_ptr();
    let mut j0 = 0;
    while j0 < c {
        let m: __mmask16 = if c - j0 >= 16 { 0xffff } else { (1u16 << (c - j0)) - 1 };
        let mut best = _mm512_maskz_loadu_ps(m, src.add((h0 * w + w0) * c + j0));
        for ih in h0..h1 {
            for iw in w0..w1 {
                let v = _mm512_maskz_loadu_ps(m, src.add((ih * w + iw) * c + j0));
                let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                best = _mm512_mask_mov_ps(best, take, v);
            }
        }
        _mm512_mask_storeu_ps(o.as_mut_ptr().add(j0), m, best);
        j0 += 16;
    }
}

/// Never called: [`available`] is false off x86-64.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) unsafe fn max_window(_: &[f32], _: (usize, usize), _: (usize, usize), _: usize, _: &mut [f32]) {
    unreachable!("max_window without AVX-512")
}

/// [`max_window`] that also writes each channel's argmax into `a`: the window index
/// of the first maximal cell (the first NaN wins for good), `first + (ih - h0) * pw +
/// (iw - w0)` for cell `(ih, iw)` (the portable `argmax_pool2d`'s rule and codes).
///
/// # Safety
/// As [`max_window`]; `a` holds as many codes as `o` holds values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn argmax_window(
    img: &[f32],
    (h0, h1): (usize, usize),
    (w0, w1): (usize, usize),
    w: usize,
    (first, pw): (u32, u32),
    o: &mut [f32],
    a: &mut [u32],
) {
    let c = o.len();
    let src = img.as_ptr();
    let mut j0 = 0;
    while j0 < c {
        let m: __mmask16 = if c - j0 >= 16 { 0xffff } else { (1u16 << (c - j0)) - 1 };
        let mut best = _mm512_maskz_loadu_ps(m, src.add((h0 * w + w0) * c + j0));
        let mut arg = _mm512_set1_epi32(first as i32);
        for ih in h0..h1 {
            let row_k = first + (ih - h0) as u32 * pw;
            for iw in w0..w1 {
                let v = _mm512_maskz_loadu_ps(m, src.add((ih * w + iw) * c + j0));
                let greater = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                let take = greater & _mm512_cmp_ps_mask::<_CMP_ORD_Q>(best, best);
                best = _mm512_mask_mov_ps(best, take, v);
                arg = _mm512_mask_mov_epi32(arg, take, _mm512_set1_epi32((row_k + (iw - w0) as u32) as i32));
            }
        }
        _mm512_mask_storeu_ps(o.as_mut_ptr().add(j0), m, best);
        _mm512_mask_storeu_epi32(a.as_mut_ptr().add(j0).cast(), m, arg);
        j0 += 16;
    }
}

/// Never called: [`available`] is false off x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn argmax_window(
    _: &[f32],
    _: (usize, usize),
    _: (usize, usize),
    _: usize,
    _: (u32, u32),
    _: &mut [f32],
    _: &mut [u32],
) {
    unreachable!("argmax_window without AVX-512")
}
