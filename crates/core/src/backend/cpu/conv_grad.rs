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
/// the grad-input conv, shape `(kh, kw, cog, c_in)`.
pub(crate) fn flip_kernel(w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let mut out = vec![0.0f32; w.len()];
    for i in 0..p.kh {
        for j in 0..p.kw {
            let src = &w[((p.kh - 1 - i) * p.kw + (p.kw - 1 - j)) * cig * p.c_out..][..cig * p.c_out];
            let dst = &mut out[(i * p.kw + j) * cog * p.c_in..][..cog * p.c_in];
            for g in 0..p.groups {
                for ci in 0..cig {
                    for co in 0..cog {
                        dst[co * p.c_in + g * cig + ci] = src[ci * p.c_out + g * cog + co];
                    }
                }
            }
        }
    }
    out
}
