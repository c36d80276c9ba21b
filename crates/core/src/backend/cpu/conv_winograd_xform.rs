//! The Winograd transforms on 6x6 tiles, 16 channels at a time with AVX-512, for the
//! two algorithms that share the interpolation points {0, 1, -1, 2, -2, inf} (Lavin &
//! Gray): F(4x4, 3x3) and F(2x2, 5x5) (`m` outputs per side, `r` taps, m + r - 1 = 6).
//! - kernel: `U = G g G^T`, an r x r tap grid to 6x6 (`G` row `p` is
//!   `[1, p, p^2, ..] / n_p` with `n = 4, -6, -6, 24, 24` for the finite points);
//! - input:  `V = B^T d B`, a 6x6 input tile to 6x6 (the same `B` for both);
//! - output: `Y = A^T m A`, a 6x6 product tile to the m x m outputs;
//!
//! and their adjoints for the kernel gradient:
//! - output gradient: `dM = A dY A^T`, an m x m tile of `dy` to 6x6;
//! - kernel gradient: `dW = G^T dU G`, 6x6 to the r x r taps.
//!
//! Each reads its grid of 16-lane vectors at `offset + row * row_stride + col *
//! col_stride` and writes point `xi = row * 6 + col` of the result at `dst + xi *
//! dst_stride` (outputs go through a grid); `lanes` (1..=16) says how many channels
//! are real. The safe wrappers check bounds before the vector code runs.

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

/// `U = G g G^T` for every input channel `ci < c_in` and output channels
/// `co0 .. co0 + cols` (`cols` at most 32) of an HWIO `r x r` kernel `w`: point `xi` of
/// `(ci, co0 + j)` lands at `dst[xi * xi_stride + ci * width + j]`; lanes past `cols`
/// are left as they were. One call per panel keeps the checks out of the loop.
pub(crate) fn kernel_panel(
    w: &[f32],
    r: usize,
    (c_in, c_out): (usize, usize),
    (co0, cols): (usize, usize),
    dst: &mut [f32],
    (width, xi_stride): (usize, usize),
) {
    check((r == 3 || r == 5) && (1..=32).contains(&cols) && cols <= width && co0 + cols <= c_out, "kernel");
    check(c_in * width <= xi_stride, "kernel");
    check(w.len() >= r * r * c_in * c_out && dst.len() >= (POINTS - 1) * xi_stride + c_in * width, "kernel");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: every read is `w[((i * r + j) * c_in + ci) * c_out + co0 + l]` with `l < cols`
    // and every write `dst[xi * xi_stride + ci * width + l]` with `l < cols <= width`, both
    // in bounds by the checks above, as is AVX-512F.
    unsafe {
        let (src, d) = (w.as_ptr(), dst.as_mut_ptr());
        for ci in 0..c_in {
            for v in (0..cols).step_by(16) {
                let g = Grid { offset: ci * c_out + co0 + v, row_stride: r * c_in * c_out, col_stride: c_in * c_out };
                let lanes = (cols - v).min(16);
                let out = d.add(ci * width + v);
                if r == 3 {
                    avx512::kernel::<3>(src, g, lanes, out, xi_stride)
                } else {
                    avx512::kernel::<5>(src, g, lanes, out, xi_stride)
                }
            }
        }
    }
}

/// Points `xi0..xi1` of a transform: point `xi` is stored at `offset + (xi - xi0) * stride`
/// of the destination (the others are computed and dropped, so that threads can split a
/// point-major buffer by points).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Points {
    pub xi0: usize,
    pub xi1: usize,
    pub offset: usize,
    pub stride: usize,
}

impl Points {
    /// All 36 points, `stride` apart from `offset`.
    pub(crate) fn all(offset: usize, stride: usize) -> Points {
        Points { xi0: 0, xi1: POINTS, offset, stride }
    }

    fn fits(&self, lanes: usize, len: usize) -> bool {
        self.xi0 < self.xi1
            && self.xi1 <= POINTS
            && self.offset + (self.xi1 - self.xi0 - 1) * self.stride + lanes <= len
    }
}

/// `V = B^T d B` for `lanes` channels of the 6x6 input tile `d` in `src`.
pub(crate) fn input(src: &[f32], g: Grid, lanes: usize, dst: &mut [f32], to: Points) {
    check((1..=16).contains(&lanes) && g.end(6, 6, lanes) <= src.len(), "input");
    check(to.fits(lanes, dst.len()), "input");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        avx512::input(src.as_ptr(), g, lanes, dst.as_mut_ptr(), to)
    }
}

/// `Y = A^T m A` for `lanes` channels and `m_out` (4 or 2) outputs per side: `m`'s point
/// `xi` is at `src[src_offset + xi * src_stride ..]`; output `(r, c)` for `r < rows`,
/// `c < cols` (the rest of the tile falls outside the image) is written through `g`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn output(
    src: &[f32],
    (src_offset, src_stride): (usize, usize),
    m_out: usize,
    lanes: usize,
    dst: &mut [f32],
    g: Grid,
    rows: usize,
    cols: usize,
) {
    check((1..=16).contains(&lanes) && src_offset + (POINTS - 1) * src_stride + lanes <= src.len(), "output");
    let fits = (m_out == 4 || m_out == 2) && (1..=m_out).contains(&rows) && (1..=m_out).contains(&cols);
    check(fits && g.end(rows, cols, lanes) <= dst.len(), "output");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        let s = src.as_ptr().add(src_offset);
        if m_out == 4 {
            avx512::output::<4>(s, src_stride, lanes, dst.as_mut_ptr(), g, rows, cols)
        } else {
            avx512::output::<2>(s, src_stride, lanes, dst.as_mut_ptr(), g, rows, cols)
        }
    }
}

/// `dM = A dY A^T` for `lanes` channels: `dY` is the `m_out x m_out` tile of `src` at
/// `g`, of which only `rows x cols` lie inside the image (the rest count as zero);
/// point `xi` lands at `dst[dst_offset + xi * dst_stride ..]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn output_grad(
    src: &[f32],
    g: Grid,
    (m_out, rows, cols): (usize, usize, usize),
    lanes: usize,
    dst: &mut [f32],
    to: Points,
) {
    let fits = (m_out == 4 || m_out == 2) && (1..=m_out).contains(&rows) && (1..=m_out).contains(&cols);
    check(fits && (1..=16).contains(&lanes) && g.end(rows, cols, lanes) <= src.len(), "output-gradient");
    check(to.fits(lanes, dst.len()), "output-gradient");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        let d = dst.as_mut_ptr();
        if m_out == 4 {
            avx512::output_grad::<4>(src.as_ptr(), g, (rows, cols), lanes, d, to)
        } else {
            avx512::output_grad::<2>(src.as_ptr(), g, (rows, cols), lanes, d, to)
        }
    }
}

/// `dW = G^T dU G` for `lanes` output channels: `dU`'s point `xi` is at
/// `src[src_offset + xi * src_stride ..]`; tap `(i, j)` (`r x r`, r = 3 or 5) is written
/// through `g` into `dst`.
pub(crate) fn kernel_grad(
    src: &[f32],
    (src_offset, src_stride): (usize, usize),
    r: usize,
    lanes: usize,
    dst: &mut [f32],
    g: Grid,
) {
    check((1..=16).contains(&lanes) && src_offset + (POINTS - 1) * src_stride + lanes <= src.len(), "kernel-gradient");
    check((r == 3 || r == 5) && g.end(r, r, lanes) <= dst.len(), "kernel-gradient");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: bounds and AVX-512F checked above.
    unsafe {
        let s = src.as_ptr().add(src_offset);
        if r == 3 {
            avx512::kernel_grad::<3>(s, src_stride, lanes, dst.as_mut_ptr(), g)
        } else {
            avx512::kernel_grad::<5>(s, src_stride, lanes, dst.as_mut_ptr(), g)
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{Grid, Points};

    fn mask(lanes: usize) -> __mmask16 {
        if lanes >= 16 {
            0xffff
        } else {
            (1u16 << lanes) - 1
        }
    }

    /// Stores the `m` lanes of `v` at `p`; a full mask takes the plain store, which
    /// measured faster than a masked one on the transforms' scattered stores.
    #[inline(always)]
    unsafe fn store(p: *mut f32, m: __mmask16, v: __m512) {
        if m == 0xffff {
            _mm512_storeu_ps(p, v)
        } else {
            _mm512_mask_storeu_ps(p, m, v)
        }
    }

    /// `t[j][i] = m[i][j]`.
    #[inline(always)]
    fn transpose<const R: usize, const C: usize>(m: [[__m512; C]; R]) -> [[__m512; R]; C] {
        std::array::from_fn(|j| std::array::from_fn(|i| m[i][j]))
    }

    /// `G g` along one axis: `R` (3 or 5) taps to 6 points.
    #[inline(always)]
    unsafe fn g_taps<const R: usize>(g: [__m512; R]) -> [__m512; 6] {
        let set = |v: f32| _mm512_set1_ps(v);
        // Even and odd powers of p at p = 1 and p = 2: u(+-p) = (even(p) +- odd(p)) / n.
        let (mut e1, mut o1, mut e2, mut o2) = (g[0], _mm512_setzero_ps(), g[0], _mm512_setzero_ps());
        let mut pow2 = 1.0f32;
        for (k, &gk) in g.iter().enumerate().skip(1) {
            pow2 *= 2.0;
            if k % 2 == 0 {
                e1 = _mm512_add_ps(e1, gk);
                e2 = _mm512_fmadd_ps(set(pow2), gk, e2);
            } else {
                o1 = _mm512_add_ps(o1, gk);
                o2 = _mm512_fmadd_ps(set(pow2), gk, o2);
            }
        }
        let (s6, s24) = (set(-1.0 / 6.0), set(1.0 / 24.0));
        [
            _mm512_mul_ps(g[0], set(0.25)),
            _mm512_mul_ps(_mm512_add_ps(e1, o1), s6),
            _mm512_mul_ps(_mm512_sub_ps(e1, o1), s6),
            _mm512_mul_ps(_mm512_add_ps(e2, o2), s24),
            _mm512_mul_ps(_mm512_sub_ps(e2, o2), s24),
            g[R - 1],
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

    /// `A^T m` along one axis: 6 points to `M` (4 or 2) outputs, rows `p^j` of the
    /// finite points plus the point at infinity in the last output.
    #[inline(always)]
    unsafe fn a_out<const M: usize>(m: [__m512; 6]) -> [__m512; M] {
        let [m0, m1, m2, m3, m4, m5] = m;
        let (s1, d1) = (_mm512_add_ps(m1, m2), _mm512_sub_ps(m1, m2));
        let (s2, d2) = (_mm512_add_ps(m3, m4), _mm512_sub_ps(m3, m4));
        let set = |v: f32| _mm512_set1_ps(v);
        let y0 = _mm512_add_ps(_mm512_add_ps(m0, s1), s2);
        if M == 2 {
            // [1 1 1 1 1 0] and [0 1 -1 2 -2 1].
            let y1 = _mm512_add_ps(_mm512_fmadd_ps(set(2.0), d2, d1), m5);
            std::array::from_fn(|j| if j == 0 { y0 } else { y1 })
        } else {
            let ys = [
                y0,
                _mm512_fmadd_ps(set(2.0), d2, d1),
                _mm512_fmadd_ps(set(4.0), s2, s1),
                _mm512_add_ps(_mm512_fmadd_ps(set(8.0), d2, d1), m5),
            ];
            std::array::from_fn(|j| ys[j])
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel<const R: usize>(
        src: *const f32,
        g: Grid,
        lanes: usize,
        dst: *mut f32,
        dst_stride: usize,
    ) {
        let m = mask(lanes);
        let at = |r: usize, c: usize| _mm512_maskz_loadu_ps(m, src.add(g.offset + r * g.row_stride + c * g.col_stride));
        // Columns first: cols[c][p] = (G g)[p][c], then rows: U[p][q] = ((G g) G^T)[p][q].
        let cols: [[__m512; 6]; R] = std::array::from_fn(|c| g_taps::<R>(std::array::from_fn(|r| at(r, c))));
        let rows: [[__m512; R]; 6] = transpose(cols);
        for (p, row) in rows.into_iter().enumerate() {
            for (q, v) in g_taps::<R>(row).into_iter().enumerate() {
                store(dst.add((p * 6 + q) * dst_stride), m, v);
            }
        }
    }

    /// Stores point `xi` of a transform where `to` puts it, if it is one of `to`'s points.
    #[inline(always)]
    unsafe fn store_point(dst: *mut f32, to: Points, xi: usize, m: __mmask16, v: __m512) {
        if (to.xi0..to.xi1).contains(&xi) {
            store(dst.add(to.offset + (xi - to.xi0) * to.stride), m, v);
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn input(src: *const f32, g: Grid, lanes: usize, dst: *mut f32, to: Points) {
        let m = mask(lanes);
        let at = |r: usize, c: usize| _mm512_maskz_loadu_ps(m, src.add(g.offset + r * g.row_stride + c * g.col_stride));
        let cols: [[__m512; 6]; 6] = std::array::from_fn(|c| b6(std::array::from_fn(|r| at(r, c))));
        let rows: [[__m512; 6]; 6] = transpose(cols);
        for (p, row) in rows.into_iter().enumerate() {
            for (q, v) in b6(row).into_iter().enumerate() {
                store_point(dst, to, p * 6 + q, m, v);
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn output<const M: usize>(
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
        let cols: [[__m512; M]; 6] = std::array::from_fn(|c| a_out::<M>(std::array::from_fn(|r| at(r * 6 + c))));
        let out: [[__m512; 6]; M] = transpose(cols);
        for (p, row) in out.into_iter().enumerate().take(rows) {
            for (q, v) in a_out::<M>(row).into_iter().enumerate().take(cols_n) {
                store(dst.add(g.offset + p * g.row_stride + q * g.col_stride), m, v);
            }
        }
    }

    /// `A y` along one axis: `M` (4 or 2) values to 6 points, the adjoint of [`a_out`]:
    /// `[y0, e1 + o1, e1 - o1, e2 + o2, e2 - o2, y_last]` with the even and odd powers of
    /// p = 1 and p = 2.
    #[inline(always)]
    unsafe fn a_in<const M: usize>(y: [__m512; M]) -> [__m512; 6] {
        let (mut e1, mut o1, mut e2, mut o2) = (y[0], _mm512_setzero_ps(), y[0], _mm512_setzero_ps());
        let mut pow2 = 1.0f32;
        for (k, &yk) in y.iter().enumerate().skip(1) {
            pow2 *= 2.0;
            if k % 2 == 0 {
                e1 = _mm512_add_ps(e1, yk);
                e2 = _mm512_fmadd_ps(_mm512_set1_ps(pow2), yk, e2);
            } else {
                o1 = _mm512_add_ps(o1, yk);
                o2 = _mm512_fmadd_ps(_mm512_set1_ps(pow2), yk, o2);
            }
        }
        [y[0], _mm512_add_ps(e1, o1), _mm512_sub_ps(e1, o1), _mm512_add_ps(e2, o2), _mm512_sub_ps(e2, o2), y[M - 1]]
    }

    /// `G^T x` along one axis: 6 points to `R` (3 or 5) taps, the adjoint of [`g_taps`].
    #[inline(always)]
    unsafe fn gt_taps<const R: usize>(x: [__m512; 6]) -> [__m512; R] {
        let set = |v: f32| _mm512_set1_ps(v);
        let (s12, d12) = (_mm512_add_ps(x[1], x[2]), _mm512_sub_ps(x[1], x[2]));
        let (s34, d34) = (_mm512_add_ps(x[3], x[4]), _mm512_sub_ps(x[3], x[4]));
        std::array::from_fn(|j| {
            let (a, b) = if j % 2 == 0 { (s12, s34) } else { (d12, d34) };
            let pow2 = (1u32 << j) as f32;
            let mut v = _mm512_fmadd_ps(set(-1.0 / 6.0), a, _mm512_mul_ps(set(pow2 / 24.0), b));
            if j == 0 {
                v = _mm512_fmadd_ps(set(0.25), x[0], v);
            }
            if j == R - 1 {
                v = _mm512_add_ps(v, x[5]);
            }
            v
        })
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn output_grad<const M: usize>(
        src: *const f32,
        g: Grid,
        (rows, cols): (usize, usize),
        lanes: usize,
        dst: *mut f32,
        to: Points,
    ) {
        let m = mask(lanes);
        let at = |r: usize, c: usize| {
            if r < rows && c < cols {
                _mm512_maskz_loadu_ps(m, src.add(g.offset + r * g.row_stride + c * g.col_stride))
            } else {
                _mm512_setzero_ps()
            }
        };
        let cols_t: [[__m512; 6]; M] = std::array::from_fn(|c| a_in::<M>(std::array::from_fn(|r| at(r, c))));
        let rows_t: [[__m512; M]; 6] = transpose(cols_t);
        for (p, row) in rows_t.into_iter().enumerate() {
            for (q, v) in a_in::<M>(row).into_iter().enumerate() {
                store_point(dst, to, p * 6 + q, m, v);
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel_grad<const R: usize>(
        src: *const f32,
        src_stride: usize,
        lanes: usize,
        dst: *mut f32,
        g: Grid,
    ) {
        let m = mask(lanes);
        let at = |xi: usize| _mm512_maskz_loadu_ps(m, src.add(xi * src_stride));
        let cols: [[__m512; R]; 6] = std::array::from_fn(|c| gt_taps::<R>(std::array::from_fn(|r| at(r * 6 + c))));
        let rows: [[__m512; 6]; R] = transpose(cols);
        for (i, row) in rows.into_iter().enumerate() {
            for (j, v) in gt_taps::<R>(row).into_iter().enumerate() {
                store(dst.add(g.offset + i * g.row_stride + j * g.col_stride), m, v);
            }
        }
    }
}
