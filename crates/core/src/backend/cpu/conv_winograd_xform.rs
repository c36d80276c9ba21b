//! The three Winograd F(4x4, 3x3) transforms (Lavin & Gray's matrices), 16 channels at a
//! time with AVX-512:
//! - kernel: `U = G g G^T`, a 3x3 tap grid to 6x6
//! - input:  `V = B^T d B`, a 6x6 input tile to 6x6
//! - output: `Y = A^T m A`, a 6x6 product tile to the 4x4 outputs
//!
//! Each reads its 3x3 / 6x6 grid of 16-lane vectors at `base + row * row_stride + col *
//! col_stride` and writes point `xi = row * 6 + col` (or `row * 4 + col` for outputs) of
//! the result at `dst + xi * dst_stride`; `lanes` (1..=16) says how many channels are real.
//! Bounds are checked by the safe wrappers before the vector code runs.

/// Points of the transformed tile.
pub(crate) const POINTS: usize = 36;

/// Where one transform reads or writes: element `(r, c)` of the grid, lane `l` is
/// `offset + r * row_stride + c * col_stride + l`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    pub offset: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl Grid {
    /// One past the last element a `rows x cols` grid of `lanes` lanes touches.
    fn end(&self, rows: usize, cols: usize, lanes: usize) -> usize {
        self.offset + (rows - 1) * self.row_stride + (cols - 1) * self.col_stride + lanes
    }
}

fn check(ok: bool, what: &str) {
    // ok: internal invariant; the vector code below relies on it for memory safety.
    assert!(ok && super::conv_tile::available(), "winograd {what} transform reaches outside its buffers");
}

/// `U = G g G^T` for `lanes` output channels: `g` is the 3x3 taps grid in `src`, `U`'s
/// point `xi` lands at `dst[dst_offset + xi * dst_stride ..]`.
pub(crate) fn kernel(src: &[f32], g: Grid, lanes: usize, dst: &mut [f32], dst_offset: usize, dst_stride: usize) {
    check((1..=16).contains(&lanes) && g.end(3, 3, lanes) <= src.len(), "kernel");
    check(dst_offset + (POINTS - 1) * dst_stride + lanes <= dst.len(), "kernel");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        avx512::kernel(src.as_ptr(), g, lanes, dst.as_mut_ptr().add(dst_offset), dst_stride)
    }
}

/// `V = B^T d B` for `lanes` channels of the 6x6 input tile `d` in `src`.
pub(crate) fn input(src: &[f32], g: Grid, lanes: usize, dst: &mut [f32], dst_offset: usize, dst_stride: usize) {
    check((1..=16).contains(&lanes) && g.end(6, 6, lanes) <= src.len(), "input");
    check(dst_offset + (POINTS - 1) * dst_stride + lanes <= dst.len(), "input");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        avx512::input(src.as_ptr(), g, lanes, dst.as_mut_ptr().add(dst_offset), dst_stride)
    }
}

/// `Y = A^T m A` for `lanes` channels: `m`'s point `xi` is at `src[src_offset + xi *
/// src_stride ..]`; output `(r, c)` for `r < rows`, `c < cols` (the rest of the 4x4
/// tile falls outside the image) is written through `g` into `dst`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn output(
    src: &[f32],
    src_offset: usize,
    src_stride: usize,
    lanes: usize,
    dst: &mut [f32],
    g: Grid,
    rows: usize,
    cols: usize,
) {
    check((1..=16).contains(&lanes) && src_offset + (POINTS - 1) * src_stride + lanes <= src.len(), "output");
    check((1..=4).contains(&rows) && (1..=4).contains(&cols) && g.end(rows, cols, lanes) <= dst.len(), "output");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        avx512::output(src.as_ptr().add(src_offset), src_stride, lanes, dst.as_mut_ptr(), g, rows, cols)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::Grid;

    fn mask(lanes: usize) -> __mmask16 {
        if lanes >= 16 {
            0xffff
        } else {
            (1u16 << lanes) - 1
        }
    }

    /// `t[j][i] = m[i][j]`.
    #[inline(always)]
    fn transpose<const R: usize, const C: usize>(m: [[__m512; C]; R]) -> [[__m512; R]; C] {
        std::array::from_fn(|j| std::array::from_fn(|i| m[i][j]))
    }

    /// `G g` along one axis: 3 taps to 6 points.
    #[inline(always)]
    unsafe fn g3(g: [__m512; 3]) -> [__m512; 6] {
        let [g0, g1, g2] = g;
        let (q, s, e) = (_mm512_set1_ps(0.25), _mm512_set1_ps(1.0 / 6.0), _mm512_set1_ps(1.0 / 24.0));
        let even = _mm512_add_ps(g0, g2);
        // u1, u2 = -(g0 + g2 +- g1) / 6; u3, u4 = (g0 + 4 g2 +- 2 g1) / 24.
        let u12a = _mm512_mul_ps(_mm512_add_ps(even, g1), s);
        let u12b = _mm512_mul_ps(_mm512_sub_ps(even, g1), s);
        let big = _mm512_fmadd_ps(_mm512_set1_ps(4.0), g2, g0);
        let g1x2 = _mm512_add_ps(g1, g1);
        [
            _mm512_mul_ps(g0, q),
            _mm512_sub_ps(_mm512_setzero_ps(), u12a),
            _mm512_sub_ps(_mm512_setzero_ps(), u12b),
            _mm512_mul_ps(_mm512_add_ps(big, g1x2), e),
            _mm512_mul_ps(_mm512_sub_ps(big, g1x2), e),
            g2,
        ]
    }

    /// `B^T d` along one axis: 6 points to 6.
    #[inline(always)]
    unsafe fn b6(d: [__m512; 6]) -> [__m512; 6] {
        let [d0, d1, d2, d3, d4, d5] = d;
        let (four, five) = (_mm512_set1_ps(4.0), _mm512_set1_ps(5.0));
        let t0 = _mm512_fnmadd_ps(four, d2, d4);
        let t1 = _mm512_fnmadd_ps(four, d1, d3);
        let t2 = _mm512_sub_ps(d4, d2);
        let t3 = _mm512_sub_ps(d3, d1);
        let t3 = _mm512_add_ps(t3, t3);
        [
            _mm512_fmadd_ps(four, d0, _mm512_fnmadd_ps(five, d2, d4)),
            _mm512_add_ps(t0, t1),
            _mm512_sub_ps(t0, t1),
            _mm512_add_ps(t2, t3),
            _mm512_sub_ps(t2, t3),
            _mm512_fmadd_ps(four, d1, _mm512_fnmadd_ps(five, d3, d5)),
        ]
    }

    /// `A^T m` along one axis: 6 points to 4 outputs.
    #[inline(always)]
    unsafe fn a6(m: [__m512; 6]) -> [__m512; 4] {
        let [m0, m1, m2, m3, m4, m5] = m;
        let (s1, d1) = (_mm512_add_ps(m1, m2), _mm512_sub_ps(m1, m2));
        let (s2, d2) = (_mm512_add_ps(m3, m4), _mm512_sub_ps(m3, m4));
        [
            _mm512_add_ps(_mm512_add_ps(m0, s1), s2),
            _mm512_fmadd_ps(_mm512_set1_ps(2.0), d2, d1),
            _mm512_fmadd_ps(_mm512_set1_ps(4.0), s2, s1),
            _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0), d2, d1), m5),
        ]
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel(src: *const f32, g: Grid, lanes: usize, dst: *mut f32, dst_stride: usize) {
        let m = mask(lanes);
        let at = |r: usize, c: usize| _mm512_maskz_loadu_ps(m, src.add(g.offset + r * g.row_stride + c * g.col_stride));
        // Columns first: cols[c][p] = (G g)[p][c], then rows: U[p][q] = ((G g) G^T)[p][q].
        let cols: [[__m512; 6]; 3] = std::array::from_fn(|c| g3([at(0, c), at(1, c), at(2, c)]));
        let rows: [[__m512; 3]; 6] = transpose(cols);
        for (p, row) in rows.into_iter().enumerate() {
            for (q, v) in g3(row).into_iter().enumerate() {
                _mm512_mask_storeu_ps(dst.add((p * 6 + q) * dst_stride), m, v);
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn input(src: *const f32, g: Grid, lanes: usize, dst: *mut f32, dst_stride: usize) {
        let m = mask(lanes);
        let at = |r: usize, c: usize| _mm512_maskz_loadu_ps(m, src.add(g.offset + r * g.row_stride + c * g.col_stride));
        let cols: [[__m512; 6]; 6] =
            std::array::from_fn(|c| b6([at(0, c), at(1, c), at(2, c), at(3, c), at(4, c), at(5, c)]));
        let rows: [[__m512; 6]; 6] = transpose(cols);
        for (p, row) in rows.into_iter().enumerate() {
            for (q, v) in b6(row).into_iter().enumerate() {
                _mm512_mask_storeu_ps(dst.add((p * 6 + q) * dst_stride), m, v);
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn output(
        src: *const f32,
        src_stride: usize,
        lanes: usize,
        dst: *mut f32,
        g: Grid,
        rows: usize,
        cols_n: usize,
    ) {
        let m = mask(lanes);
        let at = |xi: usize| _mm512_maskz_loadu_ps(m, src.add(xi * src_stride));
        let cols: [[__m512; 4]; 6] =
            std::array::from_fn(|c| a6([at(c), at(6 + c), at(12 + c), at(18 + c), at(24 + c), at(30 + c)]));
        let out: [[__m512; 6]; 4] = transpose(cols);
        for (p, row) in out.into_iter().enumerate().take(rows) {
            for (q, v) in a6(row).into_iter().enumerate().take(cols_n) {
                _mm512_mask_storeu_ps(dst.add(g.offset + p * g.row_stride + q * g.col_stride), m, v);
            }
        }
    }
}
