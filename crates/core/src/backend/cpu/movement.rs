//! Data movement kernels: strided copies, take (gather along an axis) and its
//! scatter-add backward.

use crate::Layout;

/// Copies the view `sl` of `src` into the view `dl` of `dst` (same shape), element by
/// element in row-major order.
pub(crate) fn copy_strided(src: &[f32], sl: &Layout, dst: &mut [f32], dl: &Layout) {
    if let (Some(rs), Some(rd)) = (sl.contiguous_range(), dl.contiguous_range()) {
        dst[rd].copy_from_slice(&src[rs]);
        return;
    }
    let mut offs = Vec::with_capacity(sl.shape().numel());
    dl.for_each_offset(|o| offs.push(o));
    let mut it = offs.into_iter();
    sl.for_each_offset(|o| {
        if let Some(d) = it.next() {
            dst[d] = src[o];
        }
    });
}

/// `out[o, j, i] = x[o, idx[j], i]` with `x` dense `(outer, n, inner)` and `idx` already
/// checked to lie in `0..n`.
pub(crate) fn take(x: &[f32], outer: usize, n: usize, inner: usize, idx: &[usize], out: &mut [f32]) {
    let m = idx.len();
    for o in 0..outer {
        for (j, &k) in idx.iter().enumerate() {
            let src = &x[(o * n + k) * inner..(o * n + k + 1) * inner];
            out[(o * m + j) * inner..(o * m + j + 1) * inner].copy_from_slice(src);
        }
    }
}

/// The backward of [`take`]: `gx[o, idx[j], i] += g[o, j, i]`.
pub(crate) fn take_backward(g: &[f32], outer: usize, n: usize, inner: usize, idx: &[usize], gx: &mut [f32]) {
    let m = idx.len();
    for o in 0..outer {
        for (j, &k) in idx.iter().enumerate() {
            let src = &g[(o * m + j) * inner..(o * m + j + 1) * inner];
            let dst = &mut gx[(o * n + k) * inner..(o * n + k + 1) * inner];
            dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
        }
    }
}
