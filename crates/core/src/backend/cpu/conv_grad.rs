//! Gradients of a stride-1 conv written as forward convs, so that they run on the fast
//! forward paths (direct or Winograd) instead of a GEMM plus col2im scatter.
//!
//! Grad-input: with stride 1, `dx[ih] = sum_i dy[ih + top - i*d] * w[i]`, which is a
//! forward conv of `dy` with the kernel flipped in both spatial axes and its in/out
//! channels swapped, padded by `(k - 1) * d - pad` on each side. That padding must not
//! be negative (a pad wider than the dilated kernel reaches outputs that see no input);
//! [`grad_input_params`] returns `None` then and the caller keeps the im2col path.

use crate::backend::params::Conv2dParams;

/// The forward conv whose output is `dx`: input `dy` `(n, h_out, w_out, c_out)`, kernel
/// [`flip_kernel`] `(kh, kw, c_out / groups, c_in)`, output `(n, h, w, c_in)`. `None` for
/// strided convs and pads wider than the dilated kernel.
pub(crate) fn grad_input_params(p: &Conv2dParams) -> Option<Conv2dParams> {
    if p.stride_h != 1 || p.stride_w != 1 {
        return None;
    }
    let (eh, ew) = ((p.kh - 1) * p.dil_h, (p.kw - 1) * p.dil_w);
    Some(Conv2dParams {
        n: p.n,
        h: p.h_out,
        w: p.w_out,
        c_in: p.c_out,
        kh: p.kh,
        kw: p.kw,
        c_out: p.c_in,
        groups: p.groups,
        stride_h: 1,
        stride_w: 1,
        dil_h: p.dil_h,
        dil_w: p.dil_w,
        pad_top: eh.checked_sub(p.pad_top)?,
        pad_bottom: eh.checked_sub(p.pad_bottom)?,
        pad_left: ew.checked_sub(p.pad_left)?,
        pad_right: ew.checked_sub(p.pad_right)?,
        h_out: p.h,
        w_out: p.w,
    })
}

/// `w'[i, j, co, g*cig + ci] = w[kh-1-i, kw-1-j, ci, g*cog + co]`: the HWIO kernel of
/// the grad-input conv, shape `(kh, kw, cog, c_in)`, written into `out` (as long as `w`).
pub(crate) fn flip_kernel(w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    for i in 0..p.kh {
        for j in 0..p.kw {
            let src = &w[((p.kh - 1 - i) * p.kw + (p.kw - 1 - j)) * cig * p.c_out..][..cig * p.c_out];
            let dst = &mut out[(i * p.kw + j) * cog * p.c_in..][..cog * p.c_in];
            for g in 0..p.groups {
                transpose(&src[g * cog..], p.c_out, (cig, cog), &mut dst[g * cig..], p.c_in);
            }
        }
    }
}

/// `dst[c * dst_rs + r] = src[r * src_rs + c]` for `r < rows`, `c < cols`: 16 rows at a
/// time, each destination run of 16 gathered from a column of the source with AVX-512
/// (a plain loop nest strides one side by a whole row per element: ~3 ms for AlexNet
/// conv3's kernel, 16x16 scalar blocks ~1 ms).
fn transpose(src: &[f32], src_rs: usize, (rows, cols): (usize, usize), dst: &mut [f32], dst_rs: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    // ok: internal invariant, the gathers below rely on it for memory safety.
    assert!(
        (rows - 1) * src_rs + cols <= src.len() && (cols - 1) * dst_rs + rows <= dst.len(),
        "transpose: {rows}x{cols} reaches outside its buffers"
    );
    #[cfg(target_arch = "x86_64")]
    if super::conv_tile::available() && 15 * src_rs <= i32::MAX as usize {
        // SAFETY: the assert bounds every index read and written; AVX-512F is present.
        unsafe { avx512::transpose(src.as_ptr(), src_rs, (rows, cols), dst.as_mut_ptr(), dst_rs) };
        return;
    }
    for r in 0..rows {
        for c in 0..cols {
            dst[c * dst_rs + r] = src[r * src_rs + c];
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// # Safety
    /// As `super::transpose` checks: every `src[r * src_rs + c]` and `dst[c * dst_rs + r]`
    /// with `r < rows`, `c < cols` in bounds, `15 * src_rs` fits an `i32`, AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn transpose(
        src: *const f32,
        src_rs: usize,
        (rows, cols): (usize, usize),
        dst: *mut f32,
        dst_rs: usize,
    ) {
        let rs = src_rs as i32;
        let idx = _mm512_setr_epi32(
            0,
            rs,
            2 * rs,
            3 * rs,
            4 * rs,
            5 * rs,
            6 * rs,
            7 * rs,
            8 * rs,
            9 * rs,
            10 * rs,
            11 * rs,
            12 * rs,
            13 * rs,
            14 * rs,
            15 * rs,
        );
        for r0 in (0..rows).step_by(16) {
            let n = (rows - r0).min(16);
            let m: __mmask16 = if n == 16 { 0xffff } else { (1u16 << n) - 1 };
            for c in 0..cols {
                let v = _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), m, idx, src.add(r0 * src_rs + c));
                _mm512_mask_storeu_ps(dst.add(c * dst_rs + r0), m, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_matches_the_definition_at_odd_sizes() {
        for (rows, cols) in [(1, 1), (3, 17), (16, 16), (33, 5), (40, 70)] {
            let (src_rs, dst_rs) = (cols + 3, rows + 2);
            let src: Vec<f32> = (0..rows * src_rs).map(|i| i as f32).collect();
            let mut dst = vec![-1.0; cols * dst_rs];
            transpose(&src, src_rs, (rows, cols), &mut dst, dst_rs);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(dst[c * dst_rs + r], src[r * src_rs + c], "{rows}x{cols} at ({r}, {c})");
                }
            }
            // Padding between destination rows is left alone.
            if dst_rs > rows {
                assert_eq!(dst[rows], -1.0);
            }
        }
    }
}
