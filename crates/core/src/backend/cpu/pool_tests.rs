// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! The fast pooling kernels against the naive ones in `backend::reference::pool`.

use proptest::prelude::*;

use super::*;
use crate::backend::reference::pool as reference;
use crate::ops::geometry::output_size;

/// Pseudo-random values; with `ties` they are small integers, so windows often hold
/// several equal maxima and the first-maximum rule is exercised.
fn values(len: usize, seed: u64, ties: bool) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let b = (s >> 33) as u32;
            if ties {
                (b % 7) as f32 - 3.0
            } else {
                b as f32 / (1u64 << 31) as f32 * 4.0 - 2.0
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn problem(
    n: usize,
    (h, ph, sh, (pt, pb)): (usize, usize, usize, (usize, usize)),
    (w, pw, sw, (pl, pr)): (usize, usize, usize, (usize, usize)),
    c: usize,
) -> Pool2dParams {
    Pool2dParams {
        n,
        h,
        w,
        c,
        ph,
        pw,
        stride_h: sh,
        stride_w: sw,
        pad_top: pt,
        pad_bottom: pb,
        pad_left: pl,
        pad_right: pr,
        h_out: output_size("test", h, ph, sh, 1, pt, pb).unwrap(),
        w_out: output_size("test", w, pw, sw, 1, pl, pr).unwrap(),
    }
}

/// One spatial axis: (size 1..=12, pool 1..=4, stride 1..=4, pads each < pool), with
/// the padded size holding at least one window.
fn axis() -> impl Strategy<Value = (usize, usize, usize, (usize, usize))> {
    (1usize..=12, 1usize..=4, 1usize..=4)
        .prop_flat_map(|(n, k, s)| (Just(n), Just(k), Just(s), (0..k, 0..k)))
        .prop_filter("the padded axis must hold a window", |&(n, k, _, (a, b))| n + a + b >= k)
}

fn problems(batch: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = (Pool2dParams, u64)> {
    // Few channels, and enough for full 16-lane blocks of argmax_pool2d plus a tail.
    let channels = prop_oneof![1usize..=5, 15usize..=37];
    (batch, axis(), axis(), channels, any::<u64>()).prop_map(|(n, ha, wa, c, seed)| (problem(n, ha, wa, c), seed))
}

fn in_len(p: &Pool2dParams) -> usize {
    p.n * p.h * p.w * p.c
}

fn out_len(p: &Pool2dParams) -> usize {
    p.n * p.h_out * p.w_out * p.c
}

fn assert_close(fast: &[f32], naive: &[f32], what: &str, p: &Pool2dParams) {
    assert_eq!(fast.len(), naive.len());
    for (i, (&a, &b)) in fast.iter().zip(naive).enumerate() {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{what}: element {i}: fast {a}, reference {b}; {p:?}");
    }
}

fn check_max(p: &Pool2dParams, seed: u64) {
    let x = values(in_len(p), seed, seed.is_multiple_of(2));
    let g = values(out_len(p), seed ^ 0xabc, false);
    let (mut fast, mut naive) = (vec![f32::NAN; out_len(p)], vec![f32::NAN; out_len(p)]);
    max_pool2d(&x, p, &mut fast);
    reference::max_pool2d(&x, p, &mut naive);
    assert_eq!(fast, naive, "max forward; {p:?}");
    let (mut gfast, mut gnaive) = (vec![f32::NAN; in_len(p)], vec![f32::NAN; in_len(p)]);
    let mut arg = vec![0u32; out_len(p)];
    max_pool2d_backward(&x, &g, p, &mut arg, &mut gfast);
    reference::max_pool2d_backward(&x, &g, p, &mut gnaive);
    // Same cells, same summation order: exactly equal.
    assert_eq!(gfast, gnaive, "max backward; {p:?}");
    // The portable loops too, where the SIMD ones ran above.
    let mut portable = vec![f32::NAN; out_len(p)];
    max_pool2d_on(&x, p, &mut portable, false);
    assert_eq!(portable, naive, "portable max forward; {p:?}");
    let mut gportable = vec![f32::NAN; in_len(p)];
    max_pool2d_backward_on(&x, &g, p, &mut arg, &mut gportable, false);
    assert_eq!(gportable, gnaive, "portable max backward; {p:?}");
    // The training path: the forward keeps each window's argmax, the backward gathers.
    for simd in [false, super::super::pool_avx512::available()] {
        let (mut with_arg, mut codes) = (vec![f32::NAN; out_len(p)], vec![u32::MAX; out_len(p)]);
        argmax_pool2d(&x, p, &mut codes, Some(&mut with_arg), simd);
        assert_eq!(with_arg, naive, "max forward with argmax (simd {simd}); {p:?}");
        let mut gsaved = vec![f32::NAN; in_len(p)];
        max_pool2d_backward_from_argmax(&g, p, &codes, &mut gsaved);
        assert_eq!(gsaved, gnaive, "max backward from saved argmax (simd {simd}); {p:?}");
    }
}

fn check_avg(p: &Pool2dParams, seed: u64) {
    let x = values(in_len(p), seed, false);
    let g = values(out_len(p), seed ^ 0xabc, false);
    let (mut fast, mut naive) = (vec![f32::NAN; out_len(p)], vec![f32::NAN; out_len(p)]);
    avg_pool2d(&x, p, &mut fast);
    reference::avg_pool2d(&x, p, &mut naive);
    assert_close(&fast, &naive, "avg forward", p);
    let (mut gfast, mut gnaive) = (vec![f32::NAN; in_len(p)], vec![f32::NAN; in_len(p)]);
    avg_pool2d_backward(&g, p, &mut gfast);
    reference::avg_pool2d_backward(&g, p, &mut gnaive);
    assert_close(&gfast, &gnaive, "avg backward", p);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fast_max_pool_matches_reference((p, seed) in problems(1..=3)) {
        check_max(&p, seed);
    }

    #[test]
    fn fast_avg_pool_matches_reference((p, seed) in problems(1..=3)) {
        check_avg(&p, seed);
    }
}

/// An axis whose windows tile it (stride = pool, no leading pad): `pool_tiled`'s case,
/// with a trailing pad (`same`) or an uncovered remainder (`valid` on odd sizes).
fn tiled_axis() -> impl Strategy<Value = (usize, usize, usize, (usize, usize))> {
    (1usize..=13, 1usize..=4)
        .prop_flat_map(|(n, k)| (Just(n), Just(k), Just(k), (Just(0), 0..k)))
        .prop_filter("the padded axis must hold a window", |&(n, k, _, (a, b))| n + a + b >= k)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tiled_max_pool_backward_matches_reference(
        n in 1usize..=3, ha in tiled_axis(), wa in tiled_axis(),
        c in prop_oneof![1usize..=5, 15usize..=37], seed in any::<u64>(),
    ) {
        let p = problem(n, ha, wa, c);
        prop_assert!(crate::backend::cpu::pool_tiled::applies(&p));
        check_max(&p, seed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn fast_pools_match_reference_for_batch_one((p, seed) in problems(1..=1)) {
        check_max(&p, seed);
        check_avg(&p, seed);
    }
}

#[test]
fn threaded_path_matches_reference() {
    // Large enough to cross PAR_MIN_WORK: overlapping windows (AlexNet's 3x3 stride 2)
    // with padding, and non-overlapping ones on a batch.
    let overlapping = problem(1, (45, 3, 2, (1, 1)), (44, 3, 2, (2, 0)), 16);
    let tiled = problem(3, (32, 2, 2, (0, 1)), (33, 2, 2, (1, 0)), 12);
    let lenet = problem(8, (28, 2, 2, (0, 0)), (27, 2, 2, (0, 0)), 6);
    for (p, seed) in [(overlapping, 7), (tiled, 8), (lenet, 9)] {
        assert!(out_len(&p) * p.ph * p.pw >= PAR_MIN_WORK);
        check_max(&p, seed);
        check_max(&p, seed + 1);
        check_avg(&p, seed);
    }
}

#[test]
fn nan_wins_the_max_and_takes_the_gradient() {
    // One 1x3 window over one channel: [1, NaN, 5].
    let p = problem(1, (1, 1, 1, (0, 0)), (3, 3, 3, (0, 0)), 1);
    let x = [1.0, f32::NAN, 5.0];
    let mut out = [0.0];
    max_pool2d(&x, &p, &mut out);
    assert!(out[0].is_nan());
    let (mut gx, mut arg) = ([9.0; 3], [0u32]);
    max_pool2d_backward(&x, &[2.0], &p, &mut arg, &mut gx);
    assert_eq!(gx, [0.0, 2.0, 0.0]);
    let mut naive = [0.0; 3];
    reference::max_pool2d_backward(&x, &[2.0], &p, &mut naive);
    assert_eq!(gx, naive);

    // The same inside a 16-lane block: 17 channels, NaN in channel 3 of the middle cell.
    let p = problem(1, (1, 1, 1, (0, 0)), (3, 3, 3, (0, 0)), 17);
    let mut x: Vec<f32> = (0..51).map(|i| (i % 7) as f32).collect();
    x[17 + 3] = f32::NAN;
    let mut out = vec![0.0; 17];
    max_pool2d(&x, &p, &mut out);
    assert!(out[3].is_nan() && !out[4].is_nan());
    let g = vec![1.0; 17];
    let (mut gx, mut arg, mut naive) = (vec![9.0; 51], vec![0u32; 17], vec![0.0; 51]);
    max_pool2d_backward(&x, &g, &p, &mut arg, &mut gx);
    reference::max_pool2d_backward(&x, &g, &p, &mut naive);
    assert_eq!(gx[17 + 3], 1.0);
    assert_eq!(
        gx.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        naive.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn covering_skips_cells_between_strided_windows() {
    // pool 1, stride 3 over 7 cells: windows at 0, 3, 6; cells 1, 2, 4, 5 are in none.
    let got: Vec<(usize, usize)> = (0..7).map(|i| covering(i, 3, 1, 0, 3)).collect();
    let sizes: Vec<usize> = got.iter().map(|&(lo, hi)| hi - lo).collect();
    assert_eq!(sizes, [1, 0, 0, 1, 0, 0, 1]);
    assert_eq!(got[3], (1, 2));
    // pool 3, stride 1, pad 1 over 4 cells (out 4): cell 0 is in windows 0 and 1.
    assert_eq!(covering(0, 1, 3, 1, 4), (0, 2));
    assert_eq!(covering(3, 1, 3, 1, 4), (2, 4));
}
