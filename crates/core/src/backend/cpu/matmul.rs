//! Batched matrix product over strided operands: one [`sgemm`] per batch entry. The pool
//! is spent either across the batch (many small products, each single-threaded) or inside
//! each product (few large ones, which gemm splits itself).

use rayon::prelude::*;

use super::gemm::{sgemm, MatMut, MatRef};
use crate::backend::params::MatmulParams;
use crate::threads;

/// Multiply-adds per product from which gemm's own split pays off (gemm.rs's threshold).
const PAR_PRODUCT: usize = 1 << 18;
/// Total multiply-adds below which the whole batch stays on the calling thread.
const PAR_BATCH: usize = 1 << 16;

/// `out[t] = a[t] @ b[t]` for the `p.batch` products described by `p`.
///
/// # Shapes
/// `out` is dense `(batch, m, n)`; `a_offsets` and `b_offsets` hold `batch` start
/// offsets into `a` and `b`, from which `p`'s row/column strides walk each matrix.
pub(crate) fn batched_matmul(
    p: &MatmulParams,
    a: &[f32],
    a_offsets: &[usize],
    b: &[f32],
    b_offsets: &[usize],
    out: &mut [f32],
) {
    let mn = p.m * p.n;
    if mn == 0 || out.is_empty() {
        return;
    }
    // An empty operand (k == 0) may start past its buffer's end; it is never read.
    let one = |c: &mut [f32], a_off: usize, b_off: usize, parallel: bool| {
        let a = MatRef { data: a.get(a_off..).unwrap_or(&[]), rs: p.a_rs, cs: p.a_cs };
        let b = MatRef { data: b.get(b_off..).unwrap_or(&[]), rs: p.b_rs, cs: p.b_cs };
        sgemm(p.m, p.n, p.k, a, b, MatMut { data: c, rs: p.n, cs: 1 }, false, parallel);
    };
    let per = mn.saturating_mul(p.k);
    let threads = threads::num_threads();
    let by_batch = p.batch > 1
        && threads > 1
        && per.saturating_mul(p.batch) >= PAR_BATCH
        && (per < PAR_PRODUCT || p.batch >= threads);
    if by_batch {
        threads::run(|| {
            out.par_chunks_mut(mn)
                .zip(a_offsets.par_iter().zip(b_offsets.par_iter()))
                .for_each(|(c, (&ao, &bo))| one(c, ao, bo, false));
        });
    } else {
        for (c, (&ao, &bo)) in out.chunks_mut(mn).zip(a_offsets.iter().zip(b_offsets)) {
            one(c, ao, bo, true);
        }
    }
}
