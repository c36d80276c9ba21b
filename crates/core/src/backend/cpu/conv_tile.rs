//! The register-tile product every fast conv path runs on: a small block of `C` held in
//! AVX-512 registers while a reduction streams through it,
//!
//! `C[r, c] (+)= sum over segments s, steps k < s.len of A[s.a + r*a_rs + k*a_ks] * B[s.b + k*b_ks + c]`
//!
//! (`C[r, c]` at `r*c_rs + (c / 16)*c_vs + c % 16`, so a row may be split in 16-lane pieces)
//!
//! for `r < rows` (at most [`MAX_ROWS`]) and `c < cols` (at most [`MAX_COLS`]). `A` is read
//! one scalar at a time (broadcast), `B` one row of `cols` contiguous floats at a time, so
//! `A` can be an NHWC image read in place (rows = output pixels, `a_rs = stride * c_in`) and
//! `B` a packed kernel panel, or `A` an image with rows = channels and `B` the output
//! gradient. Segments let one tile walk the kernel taps of a conv without an im2col copy.
//!
//! The kernel is only compiled for x86-64 and only called when the CPU has AVX-512F;
//! [`available`] says which. Callers fall back to the portable im2col path otherwise.

/// One contiguous run of the reduction: `len` steps from offset `a` into `A`, `b` into `B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seg {
    pub a: usize,
    pub b: usize,
    pub len: usize,
}

/// Strides of a tile product (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    /// Step between rows of `A` (one per row of `C`).
    pub a_rs: usize,
    /// Step along the reduction in `A`.
    pub a_ks: usize,
    /// Step along the reduction in `B` (its row length when packed).
    pub b_ks: usize,
    /// Step between rows of `C`.
    pub c_rs: usize,
    /// Step between the 16-lane registers of one row of `C` (16 for a dense row).
    pub c_vs: usize,
}

/// f32 lanes of one register.
pub(crate) const LANES: usize = 16;
/// Widest tile: two registers per row keeps 14 rows x 2 accumulators + 2 `B` registers
/// inside the 32 vector registers.
pub(crate) const MAX_COLS: usize = 2 * LANES;

/// Most rows a tile of `cols` columns may have: accumulators (rows x registers per row)
/// plus the `B` row must fit the 32 registers without spilling.
pub(crate) const fn max_rows(cols: usize) -> usize {
    if cols <= LANES {
        MAX_ROWS_NARROW
    } else {
        MAX_ROWS
    }
}
/// Rows of a two-register tile.
pub(crate) const MAX_ROWS: usize = 14;
/// Rows of a one-register tile.
const MAX_ROWS_NARROW: usize = 24;

/// Whether [`tile`] runs on this CPU.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One past the largest index of `A` and `B` the segments read (0 when they read nothing).
fn extents(rows: usize, cols: usize, segs: &[Seg], g: &Geom) -> (usize, usize) {
    segs.iter().filter(|s| s.len > 0).fold((0, 0), |(ea, eb), s| {
        let a = s.a + (s.len - 1) * g.a_ks + (rows - 1) * g.a_rs + 1;
        let b = s.b + (s.len - 1) * g.b_ks + cols;
        (ea.max(a), eb.max(b))
    })
}

/// `C (+)= A * B` over the segments for one `rows x cols` tile (see the module docs);
/// `accumulate` adds to `c`, otherwise `c` is overwritten.
///
/// Panics if a segment or the tile reaches outside its slice, or if the shape is larger
/// than one tile, or if the CPU lacks AVX-512F: those are bugs in the caller, which
/// sized every slice from the conv params and checked [`available`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn tile(
    rows: usize,
    cols: usize,
    a: &[f32],
    b: &[f32],
    segs: &[Seg],
    g: &Geom,
    c: &mut [f32],
    accumulate: bool,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    let (ea, eb) = extents(rows, cols, segs, g);
    // ok: internal invariants; the unsafe kernel below relies on them for memory safety.
    assert!(
        rows <= max_rows(cols)
            && cols <= MAX_COLS
            && ea <= a.len()
            && eb <= b.len()
            && (rows - 1) * g.c_rs + (cols - 1) / LANES * g.c_vs + (cols - 1) % LANES < c.len()
            && available(),
        "conv tile: {rows}x{cols} tile reaches outside its buffers or the CPU lacks AVX-512"
    );
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the assert above bounds every read of `a` and `b` and every write of `c`,
    // and checked that the CPU supports AVX-512F.
    unsafe {
        avx512::dispatch(rows, cols, a.as_ptr(), b.as_ptr(), segs, g, c.as_mut_ptr(), accumulate)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{Geom, Seg, LANES};

    /// Lanes `0..n` of a register (`n` in 1..=16).
    fn mask(n: usize) -> __mmask16 {
        if n >= LANES {
            0xffff
        } else {
            (1u16 << n) - 1
        }
    }

    macro_rules! rows_table {
        ($nv:literal; $rows:expr; $($r:literal)*) => {
            match $rows {
                $($r => tile::<$r, $nv>,)*
                _ => unreachable!(),
            }
        };
    }

    /// # Safety
    /// The caller checked the bounds described in [`super::tile`] and AVX-512F support.
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn dispatch(
        rows: usize,
        cols: usize,
        a: *const f32,
        b: *const f32,
        segs: &[Seg],
        g: &Geom,
        c: *mut f32,
        acc: bool,
    ) {
        let last = mask(cols - (cols - 1) / LANES * LANES);
        let f = if cols <= LANES {
            rows_table!(1; rows; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24)
        } else {
            rows_table!(2; rows; 1 2 3 4 5 6 7 8 9 10 11 12 13 14)
        };
        f(a, b, segs, g, c, last, acc)
    }

    /// # Safety
    /// As [`dispatch`]; `last` masks the valid lanes of the last register of a row.
    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const MR: usize, const NV: usize>(
        a: *const f32,
        b: *const f32,
        segs: &[Seg],
        g: &Geom,
        c: *mut f32,
        last: __mmask16,
        accumulate: bool,
    ) {
        let mut acc = [[_mm512_setzero_ps(); NV]; MR];
        if accumulate {
            for (r, row) in acc.iter_mut().enumerate() {
                for (v, reg) in row.iter_mut().enumerate() {
                    let m = if v + 1 == NV { last } else { 0xffff };
                    *reg = _mm512_maskz_loadu_ps(m, c.add(r * g.c_rs + v * g.c_vs));
                }
            }
        }
        for s in segs {
            let mut pa = a.add(s.a);
            let mut pb = b.add(s.b);
            for _ in 0..s.len {
                let mut bv = [_mm512_setzero_ps(); NV];
                for (v, reg) in bv.iter_mut().enumerate() {
                    // Only the last register can run past the valid columns.
                    *reg = if v + 1 == NV {
                        _mm512_maskz_loadu_ps(last, pb.add(v * LANES))
                    } else {
                        _mm512_loadu_ps(pb.add(v * LANES))
                    };
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*pa.add(r * g.a_rs));
                    for (v, reg) in row.iter_mut().enumerate() {
                        *reg = _mm512_fmadd_ps(av, bv[v], *reg);
                    }
                }
                pa = pa.add(g.a_ks);
                pb = pb.add(g.b_ks);
            }
        }
        for (r, row) in acc.iter().enumerate() {
            for (v, reg) in row.iter().enumerate() {
                let m = if v + 1 == NV { last } else { 0xffff };
                _mm512_mask_storeu_ps(c.add(r * g.c_rs + v * g.c_vs), m, *reg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, term by term.
    #[allow(clippy::too_many_arguments)]
    fn naive(rows: usize, cols: usize, a: &[f32], b: &[f32], segs: &[Seg], g: &Geom, c: &mut [f32], acc: bool) {
        for r in 0..rows {
            for j in 0..cols {
                let at = r * g.c_rs + j / LANES * g.c_vs + j % LANES;
                let mut s = if acc { c[at] } else { 0.0 };
                for seg in segs {
                    for k in 0..seg.len {
                        s += a[seg.a + r * g.a_rs + k * g.a_ks] * b[seg.b + k * g.b_ks + j];
                    }
                }
                c[at] = s;
            }
        }
    }

    #[test]
    fn every_tile_shape_matches_the_definition() {
        if !available() {
            return;
        }
        let val = |i: usize| ((i * 7919) % 23) as f32 / 11.0 - 1.0;
        let a: Vec<f32> = (0..4000).map(val).collect();
        let b: Vec<f32> = (0..4000).map(|i| val(i + 5)).collect();
        let segs = [Seg { a: 3, b: 1, len: 5 }, Seg { a: 40, b: 300, len: 0 }, Seg { a: 17, b: 200, len: 3 }];
        for cols in 1..=MAX_COLS {
            for rows in 1..=max_rows(cols) {
                for acc in [false, true] {
                    // Rows 70 apart, each split in two 16-lane pieces 35 apart.
                    let g = Geom { a_rs: 9, a_ks: 2, b_ks: 37, c_rs: 70, c_vs: 35 };
                    let c0: Vec<f32> = (0..rows * g.c_rs).map(|i| val(i + 1)).collect();
                    let (mut got, mut want) = (c0.clone(), c0.clone());
                    tile(rows, cols, &a, &b, &segs, &g, &mut got, acc);
                    naive(rows, cols, &a, &b, &segs, &g, &mut want, acc);
                    for (i, (x, y)) in got.iter().zip(&want).enumerate() {
                        assert!((x - y).abs() < 1e-5, "{rows}x{cols} acc={acc} [{i}]: {x} vs {y}");
                    }
                    // Floats between the pieces of a row are left alone.
                    assert_eq!(got[cols.min(LANES)..g.c_vs], c0[cols.min(LANES)..g.c_vs]);
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "reaches outside")]
    fn a_segment_past_the_end_of_a_is_refused() {
        if !available() {
            panic!("reaches outside (no AVX-512 here; the check is the same)");
        }
        let (a, b, mut c) = (vec![0.0; 10], vec![0.0; 100], vec![0.0; 16]);
        let g = Geom { a_rs: 1, a_ks: 1, b_ks: 16, c_rs: 16, c_vs: 16 };
        tile(1, 16, &a, &b, &[Seg { a: 5, b: 0, len: 6 }], &g, &mut c, false);
    }
}
