//! A strided conv rewritten as a stride-1 conv by space-to-depth, so that the fast
//! stride-1 paths (Winograd above all) can run it. With block `s` (the stride),
//!
//! `x'[b, I, J, (u * s + v) * c_in + ci] = x[b, I*s + u - top, J*s + v - left, ci]`
//! `w'[I, J, (u * s + v) * c_in + ci, co] = w[I*s + u, J*s + v, ci, co]`
//!
//! (zero outside `x` and past the kernel), and `conv_s(x, w) = conv_1(x', w')` with a
//! `ceil(k / s)` kernel and no padding. AlexNet's first layer (11x11 stride 4 on 3
//! channels) becomes a 3x3 conv on 48 channels: a Winograd conv with 1.2x the direct
//! multiplies (the zero taps) over 4, a third of the direct work. The gradients follow:
//! `dw` from `dw'` by the same index map, `dx` from `dx'` by its inverse (every input
//! element sits at exactly one place of `x'`).
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `x'` `(n, h_out + k' - 1, w_out + k' - 1, s^2 c_in)`,
//! `w` `(kh, kw, c_in, c_out)`, `w'` `(k', k', s^2 c_in, c_out)`.

use rayon::prelude::*;

use crate::backend::params::Conv2dParams;
use crate::threads;

/// The stride-1 conv that computes conv `p` by space-to-depth, when `p` has equal strides
/// above 1, no dilation, one group and a square kernel; `None` otherwise.
pub(crate) fn params(p: &Conv2dParams) -> Option<Conv2dParams> {
    let s = p.stride_h;
    if s < 2 || p.stride_w != s || (p.dil_h, p.dil_w, p.groups) != (1, 1, 1) || p.kh != p.kw {
        return None;
    }
    let k = p.kh.div_ceil(s);
    Some(Conv2dParams {
        n: p.n,
        h: p.h_out + k - 1,
        w: p.w_out + k - 1,
        c_in: s * s * p.c_in,
        kh: k,
        kw: k,
        c_out: p.c_out,
        groups: 1,
        stride_h: 1,
        stride_w: 1,
        dil_h: 1,
        dil_w: 1,
        pad_top: 0,
        pad_bottom: 0,
        pad_left: 0,
        pad_right: 0,
        h_out: p.h_out,
        w_out: p.w_out,
    })
}

/// The source of `x'[.., I, J, (u * s + v) * c_in ..]`: the pixel `(I*s + u - top,
/// J*s + v - left)` of `x` if it lies inside, for every `(I, J, u, v)`, as
/// `f(x' offset, Some(x offset))` or `f(x' offset, None)` per run of `c_in` channels.
fn for_each_run(p: &Conv2dParams, q: &Conv2dParams, img_row: usize, mut f: impl FnMut(usize, Option<usize>)) {
    let s = p.stride_h;
    let i = img_row;
    for u in 0..s {
        let ih = (i * s + u).checked_sub(p.pad_top).filter(|&h| h < p.h);
        for j in 0..q.w {
            for v in 0..s {
                let iw = (j * s + v).checked_sub(p.pad_left).filter(|&w| w < p.w);
                let dst = (j * q.c_in) + (u * s + v) * p.c_in;
                f(dst, ih.zip(iw).map(|(h, w)| (h * p.w + w) * p.c_in));
            }
        }
    }
}

/// Calls `f(b, image_of_dense, image_of_s2d)` over the batch, in parallel by image.
fn per_image(p: &Conv2dParams, q: &Conv2dParams, s2d: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync) {
    let img = q.h * q.w * q.c_in;
    if img == 0 {
        return;
    }
    if p.n > 1 && threads::num_threads() > 1 {
        threads::run(|| s2d.par_chunks_mut(img).enumerate().for_each(|(b, out)| f(b, out)));
    } else {
        s2d.chunks_mut(img).enumerate().for_each(|(b, out)| f(b, out));
    }
}

/// `x'` from `x` (`out` is `(n, q.h, q.w, q.c_in)`, overwritten).
pub(crate) fn input(x: &[f32], p: &Conv2dParams, q: &Conv2dParams, out: &mut [f32]) {
    let in_img = p.h * p.w * p.c_in;
    let row = q.w * q.c_in;
    per_image(p, q, out, |b, img| {
        let src = &x[b * in_img..][..in_img];
        for (i, dst_row) in img.chunks_exact_mut(row).enumerate() {
            for_each_run(p, q, i, |d, from| {
                let dst = &mut dst_row[d..][..p.c_in];
                match from {
                    Some(o) => dst.copy_from_slice(&src[o..][..p.c_in]),
                    None => dst.fill(0.0),
                }
            });
        }
    });
}

/// `dx` from `dx'` (`dx` is `(n, h, w, c_in)`, overwritten; padding positions of `dx'`
/// are dropped).
pub(crate) fn input_back(dxs: &[f32], p: &Conv2dParams, q: &Conv2dParams, dx: &mut [f32]) {
    let in_img = p.h * p.w * p.c_in;
    let (row, img) = (q.w * q.c_in, q.h * q.w * q.c_in);
    if in_img == 0 {
        return;
    }
    // Every input pixel comes from one place of x' (stride = block), and padding covers
    // the rest: zero first so that pixels x' never reaches (past the last output's
    // window) get a zero gradient.
    dx.fill(0.0);
    let one = |(b, dst): (usize, &mut [f32])| {
        let src = &dxs[b * img..][..img];
        for i in 0..q.h {
            for_each_run(p, q, i, |d, to| {
                if let Some(o) = to {
                    dst[o..][..p.c_in].copy_from_slice(&src[i * row + d..][..p.c_in]);
                }
            });
        }
    };
    if p.n > 1 && threads::num_threads() > 1 {
        threads::run(|| dx.par_chunks_mut(in_img).enumerate().for_each(one));
    } else {
        dx.chunks_mut(in_img).enumerate().for_each(one);
    }
}

/// Calls `f(w' offset, Some(w offset))` (or `None` for a tap past the kernel) for every
/// run of `c_out` values of the kernels.
fn for_each_tap(p: &Conv2dParams, q: &Conv2dParams, mut f: impl FnMut(usize, Option<usize>)) {
    let s = p.stride_h;
    for i in 0..q.kh {
        for j in 0..q.kw {
            for u in 0..s {
                for v in 0..s {
                    let (kh, kw) = (i * s + u, j * s + v);
                    for ci in 0..p.c_in {
                        let dst = ((i * q.kw + j) * q.c_in + (u * s + v) * p.c_in + ci) * p.c_out;
                        let src = (kh < p.kh && kw < p.kw).then(|| ((kh * p.kw + kw) * p.c_in + ci) * p.c_out);
                        f(dst, src);
                    }
                }
            }
        }
    }
}

/// `w'` from `w` (`out` is `(k', k', q.c_in, c_out)`, overwritten).
pub(crate) fn kernel(w: &[f32], p: &Conv2dParams, q: &Conv2dParams, out: &mut [f32]) {
    let c = p.c_out;
    for_each_tap(p, q, |d, from| match from {
        Some(o) => out[d..][..c].copy_from_slice(&w[o..][..c]),
        None => out[d..][..c].fill(0.0),
    });
}

/// `dw` from `dw'` (the gradients of the zero taps past the kernel are dropped).
pub(crate) fn kernel_back(dws: &[f32], p: &Conv2dParams, q: &Conv2dParams, dw: &mut [f32]) {
    let c = p.c_out;
    for_each_tap(p, q, |d, to| {
        if let Some(o) = to {
            dw[o..][..c].copy_from_slice(&dws[d..][..c]);
        }
    });
}
