//! Convolution as im2col + gemm, forward and both backwards.
//!
//! For one image and one group the patch matrix `cols` is `[h_out * w_out, kh * kw * cig]`
//! (row = output pixel, column = kernel tap `(i, j, ci)` in HWIO order), so the HWIO
//! kernel flattened to `[kh * kw * cig, c_out]` is already the right-hand matrix and a
//! group's output channels are a strided column slice of it. Every product goes through
//! [`sgemm`] with strides, so neither kernel nor output is ever transposed or copied:
//! - forward:      `y_g  = cols @ w_g`, written straight into NHWC (row stride `c_out`)
//! - grad-input:   `dcols = dy_g @ w_g^T`, then col2im scatter-adds `dcols` into `dx`
//! - grad-kernel:  `dw_g += cols^T @ dy_g`, accumulated over the batch
//!
//! `cig = c_in / groups`, `cog = c_out / groups`. All slices are dense NHWC / HWIO.

use rayon::prelude::*;

use crate::backend::cpu::gemm::{sgemm, MatMut, MatRef};
use crate::backend::params::Conv2dParams;
use crate::threads;

/// Upper bound on one thread's patch-matrix scratch; larger images are processed in
/// chunks of output rows so memory stays flat however big the image.
const SCRATCH_BYTES: usize = 32 << 20;

/// How one call splits its work. Tests force each choice on small problems.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Rows of the patch matrix built at a time.
    pub chunk_rows: usize,
    /// Images in parallel, each product on one thread; otherwise images in order and
    /// gemm parallelises each product (better for batch 1, where there is nothing to split).
    pub batch_parallel: bool,
}

impl Plan {
    pub(crate) fn new(p: &Conv2dParams) -> Plan {
        let per_row = kcols(p).max(1) * std::mem::size_of::<f32>();
        let chunk_rows = (SCRATCH_BYTES / per_row).clamp(1, (p.h_out * p.w_out).max(1));
        Plan { chunk_rows, batch_parallel: p.n >= 2 && threads::num_threads() > 1 }
    }
}

/// Columns of the patch matrix: the taps of one group's kernel.
fn kcols(p: &Conv2dParams) -> usize {
    p.kh * p.kw * (p.c_in / p.groups)
}

/// A 1x1, stride-1, unpadded conv: the NHWC input already is the `[n*h*w, c_in]` patch
/// matrix, so no im2col is needed.
pub(crate) fn is_pointwise(p: &Conv2dParams) -> bool {
    p.kh == 1
        && p.kw == 1
        && p.stride_h == 1
        && p.stride_w == 1
        && p.pad_top == 0
        && p.pad_bottom == 0
        && p.pad_left == 0
        && p.pad_right == 0
}

/// `y = conv(x, w)`. `out` is `(n, h_out, w_out, c_out)` and is overwritten.
pub(crate) fn forward(x: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    forward_with(x, w, p, out, Plan::new(p));
}

/// `dx = conv_backward_input(dy, w)`. `dx` is `(n, h, w, c_in)` and must be zero on entry.
pub(crate) fn backward_input(dy: &[f32], w: &[f32], p: &Conv2dParams, dx: &mut [f32]) {
    backward_input_with(dy, w, p, dx, Plan::new(p));
}

/// `dw = conv_backward_kernel(x, dy)`. `dw` is `(kh, kw, cig, c_out)`, zero on entry.
pub(crate) fn backward_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32]) {
    backward_kernel_with(x, dy, p, dw, Plan::new(p));
}

pub(crate) fn forward_with(x: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32], plan: Plan) {
    let (cig, cog, kc) = (p.c_in / p.groups, p.c_out / p.groups, kcols(p));
    if out.is_empty() || kc == 0 {
        out.fill(0.0);
        return;
    }
    if is_pointwise(p) {
        let m = p.n * p.h * p.w;
        for g in 0..p.groups {
            let a = MatRef { data: &x[g * cig..], rs: p.c_in, cs: 1 };
            let b = MatRef { data: &w[g * cog..], rs: p.c_out, cs: 1 };
            let c = MatMut { data: &mut out[g * cog..], rs: p.c_out, cs: 1 };
            sgemm(m, cog, cig, a, b, c, false, true);
        }
        return;
    }
    let (in_img, out_img) = (p.h * p.w * p.c_in, p.h_out * p.w_out * p.c_out);
    let par = !plan.batch_parallel;
    for_each_image(plan, out, out_img, plan.chunk_rows * kc, |b, y, cols| {
        let x = &x[b * in_img..][..in_img];
        for_each_chunk(p, plan.chunk_rows, |r0, rows| {
            let cols = &mut cols[..rows * kc];
            for g in 0..p.groups {
                im2col(x, p, g, r0, cols);
                let a = MatRef { data: cols, rs: kc, cs: 1 };
                let b = MatRef { data: &w[g * cog..], rs: p.c_out, cs: 1 };
                let c = MatMut { data: &mut y[r0 * p.c_out + g * cog..], rs: p.c_out, cs: 1 };
                sgemm(rows, cog, kc, a, b, c, false, par);
            }
        });
    });
}

pub(crate) fn backward_input_with(dy: &[f32], w: &[f32], p: &Conv2dParams, dx: &mut [f32], plan: Plan) {
    let (cig, cog, kc) = (p.c_in / p.groups, p.c_out / p.groups, kcols(p));
    if dx.is_empty() || dy.is_empty() {
        return;
    }
    if is_pointwise(p) {
        let m = p.n * p.h * p.w;
        for g in 0..p.groups {
            let a = MatRef { data: &dy[g * cog..], rs: p.c_out, cs: 1 };
            // w_g^T: a strided view of the kernel, element (o, i) = w[i * c_out + g * cog + o].
            let b = MatRef { data: &w[g * cog..], rs: 1, cs: p.c_out };
            let c = MatMut { data: &mut dx[g * cig..], rs: p.c_in, cs: 1 };
            sgemm(m, cig, cog, a, b, c, false, true);
        }
        return;
    }
    let (in_img, out_img) = (p.h * p.w * p.c_in, p.h_out * p.w_out * p.c_out);
    let par = !plan.batch_parallel;
    for_each_image(plan, dx, in_img, plan.chunk_rows * kc, |b, dx, dcols| {
        let dy = &dy[b * out_img..][..out_img];
        for_each_chunk(p, plan.chunk_rows, |r0, rows| {
            let dcols = &mut dcols[..rows * kc];
            for g in 0..p.groups {
                let a = MatRef { data: &dy[r0 * p.c_out + g * cog..], rs: p.c_out, cs: 1 };
                let b = MatRef { data: &w[g * cog..], rs: 1, cs: p.c_out };
                let c = MatMut { data: dcols, rs: kc, cs: 1 };
                sgemm(rows, kc, cog, a, b, c, false, par);
                col2im_add(dcols, p, g, r0, dx);
            }
        });
    });
}

pub(crate) fn backward_kernel_with(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32], plan: Plan) {
    let (cig, cog, kc) = (p.c_in / p.groups, p.c_out / p.groups, kcols(p));
    if dw.is_empty() || dy.is_empty() {
        return;
    }
    if is_pointwise(p) {
        let m = p.n * p.h * p.w;
        for g in 0..p.groups {
            let a = MatRef { data: &x[g * cig..], rs: 1, cs: p.c_in };
            let b = MatRef { data: &dy[g * cog..], rs: p.c_out, cs: 1 };
            let c = MatMut { data: &mut dw[g * cog..], rs: p.c_out, cs: 1 };
            sgemm(cig, cog, m, a, b, c, false, true);
        }
        return;
    }
    let (in_img, out_img) = (p.h * p.w * p.c_in, p.h_out * p.w_out * p.c_out);
    let scratch = plan.chunk_rows * kc;
    // Adds image `b`'s contribution to `dw`.
    let image = |b: usize, dw: &mut [f32], cols: &mut [f32], par: bool| {
        let x = &x[b * in_img..][..in_img];
        let dy = &dy[b * out_img..][..out_img];
        for_each_chunk(p, plan.chunk_rows, |r0, rows| {
            let cols = &mut cols[..rows * kc];
            for g in 0..p.groups {
                im2col(x, p, g, r0, cols);
                let a = MatRef { data: cols, rs: 1, cs: kc };
                let b = MatRef { data: &dy[r0 * p.c_out + g * cog..], rs: p.c_out, cs: 1 };
                let c = MatMut { data: &mut dw[g * cog..], rs: p.c_out, cs: 1 };
                sgemm(kc, cog, rows, a, b, c, true, par);
            }
        });
    };
    if plan.batch_parallel && p.n >= 2 {
        // Each block of images sums into its own partial kernel gradient; the partials are
        // added at the end, so no two threads ever write the same buffer.
        let per_block = p.n.div_ceil(threads::num_threads().clamp(1, p.n));
        let len = dw.len();
        let partials: Vec<Vec<f32>> = threads::run(|| {
            (0..p.n.div_ceil(per_block))
                .into_par_iter()
                .map(|blk| {
                    let mut part = vec![0.0f32; len];
                    let mut cols = vec![0.0f32; scratch];
                    for b in blk * per_block..((blk + 1) * per_block).min(p.n) {
                        image(b, &mut part, &mut cols, false);
                    }
                    part
                })
                .collect()
        });
        for part in partials {
            dw.iter_mut().zip(&part).for_each(|(d, s)| *d += s);
        }
    } else {
        let mut cols = vec![0.0f32; scratch];
        for b in 0..p.n {
            image(b, dw, &mut cols, true);
        }
    }
}

/// Calls `f(image_index, image_slice_of_out, scratch)` for each image of a batch whose
/// per-image slices of `out` are `img_len` long: in parallel blocks (one scratch buffer
/// per block, one block per thread) or in order with a single scratch buffer.
fn for_each_image(
    plan: Plan,
    out: &mut [f32],
    img_len: usize,
    scratch_len: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync,
) {
    if img_len == 0 {
        return;
    }
    let n = out.len() / img_len;
    if plan.batch_parallel && n >= 2 {
        let per_block = n.div_ceil(threads::num_threads().clamp(1, n));
        threads::run(|| {
            out.par_chunks_mut(per_block * img_len).enumerate().for_each(|(blk, block)| {
                let mut scratch = vec![0.0f32; scratch_len];
                for (i, img) in block.chunks_mut(img_len).enumerate() {
                    f(blk * per_block + i, img, &mut scratch);
                }
            })
        });
    } else {
        let mut scratch = vec![0.0f32; scratch_len];
        for (b, img) in out.chunks_mut(img_len).enumerate() {
            f(b, img, &mut scratch);
        }
    }
}

/// Calls `f(first_row, rows)` over the output pixels `0..h_out*w_out` in chunks.
fn for_each_chunk(p: &Conv2dParams, chunk_rows: usize, mut f: impl FnMut(usize, usize)) {
    let total = p.h_out * p.w_out;
    let mut r0 = 0;
    while r0 < total {
        let rows = chunk_rows.max(1).min(total - r0);
        f(r0, rows);
        r0 += rows;
    }
}

/// The input index one axis reads for output `o` and tap `k`; `None` in the padding.
#[inline]
fn source(o: usize, k: usize, stride: usize, dil: usize, pad: usize, n: usize) -> Option<usize> {
    (o * stride + k * dil).checked_sub(pad).filter(|&i| i < n)
}

/// Fills `cols` (`[rows, kh*kw*cig]`, rows = output pixels from `r0`) with group `g`'s
/// patches of one image `x` (`(h, w, c_in)`); taps in the padding are zero.
fn im2col(x: &[f32], p: &Conv2dParams, g: usize, r0: usize, cols: &mut [f32]) {
    let cig = p.c_in / p.groups;
    let kc = kcols(p);
    for (r, row) in cols.chunks_exact_mut(kc).enumerate() {
        let (oh, ow) = ((r0 + r) / p.w_out, (r0 + r) % p.w_out);
        for (i, taps) in row.chunks_exact_mut(p.kw * cig).enumerate() {
            let ih = source(oh, i, p.stride_h, p.dil_h, p.pad_top, p.h);
            for (j, dst) in taps.chunks_exact_mut(cig).enumerate() {
                match (ih, source(ow, j, p.stride_w, p.dil_w, p.pad_left, p.w)) {
                    (Some(ih), Some(iw)) => dst.copy_from_slice(&x[(ih * p.w + iw) * p.c_in + g * cig..][..cig]),
                    _ => dst.fill(0.0),
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each entry of `dcols` to the input element it was
/// copied from; padding taps are dropped.
fn col2im_add(dcols: &[f32], p: &Conv2dParams, g: usize, r0: usize, dx: &mut [f32]) {
    let cig = p.c_in / p.groups;
    let kc = kcols(p);
    for (r, row) in dcols.chunks_exact(kc).enumerate() {
        let (oh, ow) = ((r0 + r) / p.w_out, (r0 + r) % p.w_out);
        for (i, taps) in row.chunks_exact(p.kw * cig).enumerate() {
            let Some(ih) = source(oh, i, p.stride_h, p.dil_h, p.pad_top, p.h) else { continue };
            for (j, src) in taps.chunks_exact(cig).enumerate() {
                let Some(iw) = source(ow, j, p.stride_w, p.dil_w, p.pad_left, p.w) else { continue };
                let dst = &mut dx[(ih * p.w + iw) * p.c_in + g * cig..][..cig];
                dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
            }
        }
    }
}
