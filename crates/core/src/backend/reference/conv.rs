//! The definitions of convolution, written as loops over every index. Sums are taken in
//! f64 so that the oracle is more accurate than the kernels it judges.
//!
//! # Shapes
//! `x` is `(n, h, w, c_in)`, `w` is `(kh, kw, c_in / groups, c_out)`, `y` is
//! `(n, h_out, w_out, c_out)`, all dense row-major.

use crate::backend::params::Conv2dParams;

/// The input position that output `o` and kernel tap `k` read on one axis, or `None`
/// where that falls in the padding.
fn source(o: usize, k: usize, stride: usize, dil: usize, pad: usize, n: usize) -> Option<usize> {
    (o * stride + k * dil).checked_sub(pad).filter(|&i| i < n)
}

/// Calls `f(x_index, w_index, y_index)` for every product term of the convolution.
fn for_each_term(p: &Conv2dParams, mut f: impl FnMut(usize, usize, usize)) {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    for b in 0..p.n {
        for oh in 0..p.h_out {
            for ow in 0..p.w_out {
                for co in 0..p.c_out {
                    let g = co / cog;
                    for i in 0..p.kh {
                        let Some(ih) = source(oh, i, p.stride_h, p.dil_h, p.pad_top, p.h) else { continue };
                        for j in 0..p.kw {
                            let Some(iw) = source(ow, j, p.stride_w, p.dil_w, p.pad_left, p.w) else { continue };
                            for ci in 0..cig {
                                let xi = ((b * p.h + ih) * p.w + iw) * p.c_in + g * cig + ci;
                                let wi = ((i * p.kw + j) * cig + ci) * p.c_out + co;
                                let yi = ((b * p.h_out + oh) * p.w_out + ow) * p.c_out + co;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn sum_into(p: &Conv2dParams, len: usize, mut term: impl FnMut(usize, usize, usize) -> (usize, f64)) -> Vec<f32> {
    let mut acc = vec![0.0f64; len];
    for_each_term(p, |xi, wi, yi| {
        let (at, v) = term(xi, wi, yi);
        acc[at] += v;
    });
    acc.into_iter().map(|v| v as f32).collect()
}

/// `y[b, oh, ow, co] = sum x[b, oh*s - pad + i*d, ow*s - pad + j*d, g*cig + ci] * w[i, j, ci, co]`.
pub(crate) fn forward(x: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let len = p.n * p.h_out * p.w_out * p.c_out;
    sum_into(p, len, |xi, wi, yi| (yi, f64::from(x[xi]) * f64::from(w[wi])))
}

/// `dx[x_index] = sum over the terms that read it of dy * w`.
pub(crate) fn backward_input(dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let len = p.n * p.h * p.w * p.c_in;
    sum_into(p, len, |xi, wi, yi| (xi, f64::from(dy[yi]) * f64::from(w[wi])))
}

/// `dw[w_index] = sum over the terms that use it of dy * x`.
pub(crate) fn backward_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let len = p.kh * p.kw * (p.c_in / p.groups) * p.c_out;
    sum_into(p, len, |xi, wi, yi| (wi, f64::from(dy[yi]) * f64::from(x[xi])))
}
