//! Reductions over any set of axes in one pass over the input in memory order: each
//! input element is folded into the output cell it maps to (the output viewed with
//! stride 0 along reduced axes). Sums accumulate in f64.

use crate::Layout;

/// The folding functions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ReduceOp {
    Sum,
    Max,
    Min,
}

/// Reduces the view `xl` of `x` into `out` (dense, `out_strides` = strides of the
/// output broadcast back to the input shape, 0 on reduced axes).
pub(crate) fn reduce(op: ReduceOp, x: &[f32], xl: &Layout, out_strides: &[usize], out: &mut [f32]) {
    match op {
        ReduceOp::Sum => {
            let mut acc = vec![0f64; out.len()];
            walk(x, xl, out_strides, |o, v| acc[o] += v as f64);
            out.iter_mut().zip(&acc).for_each(|(o, &a)| *o = a as f32);
        }
        ReduceOp::Max => {
            out.fill(f32::NEG_INFINITY);
            // NaN wins, as numpy's max.
            walk(x, xl, out_strides, |o, v| {
                if v > out[o] || v.is_nan() {
                    out[o] = v
                }
            });
        }
        ReduceOp::Min => {
            out.fill(f32::INFINITY);
            walk(x, xl, out_strides, |o, v| {
                if v < out[o] || v.is_nan() {
                    out[o] = v
                }
            });
        }
    }
}

/// Calls `f(out_offset, value)` for every element of the view in row-major order.
fn walk(x: &[f32], xl: &Layout, out_strides: &[usize], mut f: impl FnMut(usize, f32)) {
    let dims = xl.dims();
    let rank = dims.len();
    if xl.shape().numel() == 0 {
        return;
    }
    if rank == 0 {
        f(0, x[xl.offset()]);
        return;
    }
    let inner = dims[rank - 1];
    let (sx, so) = (xl.strides()[rank - 1], out_strides[rank - 1]);
    let rows = xl.shape().numel() / inner;
    let mut idx = vec![0usize; rank];
    let (mut ox, mut oo) = (xl.offset(), 0usize);
    for _ in 0..rows {
        for k in 0..inner {
            f(oo + k * so, x[ox + k * sx]);
        }
        for ax in (0..rank - 1).rev() {
            idx[ax] += 1;
            ox += xl.strides()[ax];
            oo += out_strides[ax];
            if idx[ax] < dims[ax] {
                break;
            }
            ox -= xl.strides()[ax] * dims[ax];
            oo -= out_strides[ax] * dims[ax];
            idx[ax] = 0;
        }
    }
}

/// Index of the first maximum (or minimum when `max` is false) along one axis.
/// `x` is dense of shape `(outer, n, inner)`; `out` has `outer * inner` entries.
pub(crate) fn arg_reduce(x: &[f32], outer: usize, n: usize, inner: usize, max: bool, out: &mut [i64]) {
    for o in 0..outer {
        for i in 0..inner {
            let mut best = 0usize;
            let mut best_v = x[o * n * inner + i];
            for k in 1..n {
                let v = x[(o * n + k) * inner + i];
                let better = if max { v > best_v } else { v < best_v };
                // The first NaN counts as the extreme, as numpy's argmax.
                if (better || v.is_nan()) && !best_v.is_nan() {
                    best = k;
                    best_v = v;
                }
            }
            out[o * inner + i] = best as i64;
        }
    }
}
