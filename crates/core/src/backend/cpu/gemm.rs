//! The one wrapper around the `gemm` crate: a bounds-checked single-precision matrix
//! product over strided slices. Matmul, convolution (im2col) and their backwards all
//! come through here, so a faster micro-kernel later changes one file.

use crate::threads;

/// A read-only strided matrix: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

/// A writable strided matrix.
pub(crate) struct MatMut<'a> {
    pub data: &'a mut [f32],
    pub rs: usize,
    pub cs: usize,
}

/// Largest index touched by a `rows x cols` matrix with these strides, plus one.
fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    }
}

/// `c = a * b` (or `c += a * b` when `accumulate`), `a` is `m x k`, `b` is `k x n`,
/// `c` is `m x n`. `parallel` lets gemm split the work over fovea's pool; callers that
/// already run one product per thread pass false.
///
/// Panics if a stride pattern reaches outside its slice: that is a bug in the caller
/// (the op computed the strides), never something a user's input can cause.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: MatMut, accumulate: bool, parallel: bool) {
    // ok: internal invariant; an out-of-bounds product would be memory-unsafe.
    assert!(
        extent(m, k, a.rs, a.cs) <= a.data.len()
            && extent(k, n, b.rs, b.cs) <= b.data.len()
            && extent(m, n, c.rs, c.cs) <= c.data.len(),
        "sgemm: strides reach outside the buffers"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    c.data[i * c.rs + j * c.cs] = 0.0;
                }
            }
        }
        return;
    }
    let run = |par: gemm::Parallelism| {
        // SAFETY: the assert above keeps every index the product touches inside the
        // slices, and `c` is borrowed mutably for the duration of the call.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.data.as_ptr() as *mut f32,
                c.cs as isize,
                c.rs as isize,
                accumulate,
                a.data.as_ptr(),
                a.cs as isize,
                a.rs as isize,
                b.data.as_ptr(),
                b.cs as isize,
                b.rs as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                par,
            )
        }
    };
    let work = m.saturating_mul(n).saturating_mul(k);
    // Below ~1 MFLOP the fork/join costs more than it gains.
    if parallel && work >= 1 << 18 && threads::num_threads() > 1 {
        threads::run(|| run(gemm::Parallelism::Rayon(threads::num_threads())));
    } else {
        run(gemm::Parallelism::None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_product_matches_naive() {
        // a: 3x2 stored transposed (column-major), b: 2x4 row-major.
        let a_t = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // a = [[1,4],[2,5],[3,6]]
        let b = [1.0, 0.0, 2.0, -1.0, 0.5, 1.0, 0.0, 3.0];
        let mut c = vec![1.0; 12];
        sgemm(
            3,
            4,
            2,
            MatRef { data: &a_t, rs: 1, cs: 3 },
            MatRef { data: &b, rs: 4, cs: 1 },
            MatMut { data: &mut c, rs: 4, cs: 1 },
            true,
            false,
        );
        let mut expect = vec![0.0f32; 12];
        for i in 0..3 {
            for j in 0..4 {
                expect[i * 4 + j] = 1.0 + (0..2).map(|p| a_t[i + 3 * p] * b[p * 4 + j]).sum::<f32>();
            }
        }
        assert_eq!(c, expect);
        assert_eq!(&c[..4], &[4.0, 5.0, 3.0, 12.0]);
    }
}
