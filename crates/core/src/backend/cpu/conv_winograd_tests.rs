// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! Winograd F(4x4, 3x3) against the f64 reference on random 3x3 stride-1 problems, with
//! its error bounded relative to the sum of |terms| of each output.

use proptest::prelude::*;

use super::conv_im2col::Plan;
use super::conv_tests::{data, params, Problem};
use super::conv_tile;
use super::conv_winograd as wino;
use crate::backend::params::Conv2dParams;
use crate::backend::reference::conv as naive;

/// `max |got - want| / max (sum over an output's terms of |x * w|)`: the error per unit
/// of the largest magnitude that went into a sum. Winograd's rounding error comes from
/// the transformed tiles, whose size follows the data around an output rather than the
/// output's own terms, so a per-output ratio would be meaningless where those cancel.
fn relative_error(got: &[f32], x: &[f32], w: &[f32], p: &Conv2dParams) -> f64 {
    let want = naive::forward(x, w, p);
    let (ax, aw): (Vec<f32>, Vec<f32>) = (x.iter().map(|v| v.abs()).collect(), w.iter().map(|v| v.abs()).collect());
    let mag = naive::forward(&ax, &aw, p).iter().fold(0.0f64, |m, &v| m.max(f64::from(v)));
    assert_eq!(got.len(), want.len());
    let err = got.iter().zip(&want).fold(0.0f64, |e, (g, w)| {
        assert!(g.is_finite(), "non-finite output {g}; {p:?}");
        e.max(f64::from((g - w).abs()))
    });
    err / (mag + 1e-30)
}

fn forward(x: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let mut out = vec![f32::NAN; p.n * p.h_out * p.w_out * p.c_out];
    wino::forward(x, w, p, &mut out);
    out
}

/// Bound on [`relative_error`]. Measured over 1,000 random problems: at most 3.2e-6 for
/// F(4x4, 3x3) and 1.6e-6 for F(2x2, 5x5) (the direct f32 sum stays near 1e-7); a wrong
/// transform coefficient gives O(1).
const BOUND: f64 = 1e-5;

/// 3x3 (F(4x4, 3x3)) and 5x5 (F(2x2, 5x5)) stride-1 problems.
fn winograd_problem() -> impl Strategy<Value = Problem> {
    (
        (1usize..=3, (1usize..=13, 1usize..=13), [0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2]),
        (1usize..=40, 1usize..=70, any::<bool>(), any::<u64>()),
    )
        .prop_filter_map("kernel larger than padded input", |((n, hw, pad), (cig, cog, five, seed))| {
            let k = if five { 5 } else { 3 };
            let p = params(n, hw, (k, k), (1, 1), (1, 1), pad, 1, (cig, cog))?;
            Some(Problem { p, plan: Plan::new(&p), seed })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn winograd_matches_reference_within_its_error_bound(pr in winograd_problem()) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        prop_assume!(wino::applies(&pr.p));
        let (x, w) = (pr.x(), pr.w());
        let err = relative_error(&forward(&x, &w, &pr.p), &x, &w, &pr.p);
        prop_assert!(err <= BOUND, "relative error {err:e} > {BOUND:e}; {:?}", pr.p);
    }
}

#[test]
fn winograd_error_on_a_go_board_layer_stays_within_the_bound() {
    // Batch 1 (panels split over threads, each transformed by its unit), 19x19 "same",
    // 96 -> 80 channels (a partial panel), kernel values at a realistic scale.
    let p = params(1, (19, 19), (3, 3), (1, 1), (1, 1), [1, 1, 1, 1], 1, (96, 80)).unwrap();
    if !wino::applies(&p) {
        return;
    }
    let x = data(19 * 19 * 96, 1);
    let w: Vec<f32> = data(9 * 96 * 80, 2).iter().map(|v| v * 0.05).collect();
    let err = relative_error(&forward(&x, &w, &p), &x, &w, &p);
    assert!(err <= BOUND, "relative error {err:e}");
    assert!(err > 0.0, "an exact match would mean the Winograd path did not run");
}

#[test]
fn winograd_5x5_error_on_an_alexnet_conv2_slice_stays_within_the_bound() {
    // F(2x2, 5x5) on 2 images of 27x27 "same" (a tile row per unit row, odd edge tiles).
    let p = params(2, (27, 27), (5, 5), (1, 1), (1, 1), [2, 2, 2, 2], 1, (48, 40)).unwrap();
    if !wino::applies(&p) {
        return;
    }
    let x = data(2 * 27 * 27 * 48, 3);
    let w: Vec<f32> = data(25 * 48 * 40, 4).iter().map(|v| v * 0.05).collect();
    let err = relative_error(&forward(&x, &w, &p), &x, &w, &p);
    assert!(err <= BOUND, "relative error {err:e}");
    assert!(err > 0.0, "an exact match would mean the Winograd path did not run");
}

/// [`relative_error`] for the kernel gradient: `max |got - want| / max sum |x * dy|`.
fn grad_kernel_error(got: &[f32], x: &[f32], dy: &[f32], p: &Conv2dParams) -> f64 {
    let want = naive::backward_kernel(x, dy, p);
    let (ax, ad): (Vec<f32>, Vec<f32>) = (x.iter().map(|v| v.abs()).collect(), dy.iter().map(|v| v.abs()).collect());
    let mag = naive::backward_kernel(&ax, &ad, p).iter().fold(0.0f64, |m, &v| m.max(f64::from(v)));
    assert_eq!(got.len(), want.len());
    let err = got.iter().zip(&want).fold(0.0f64, |e, (g, w)| {
        assert!(g.is_finite(), "non-finite gradient {g}; {p:?}");
        e.max(f64::from((g - w).abs()))
    });
    err / (mag + 1e-30)
}

fn grad_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let mut dw = vec![f32::NAN; p.kh * p.kw * p.c_in * p.c_out];
    super::conv_winograd_grad::backward_kernel(x, dy, p, &mut dw);
    dw
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn winograd_kernel_gradient_matches_reference_within_its_error_bound(pr in winograd_problem()) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        prop_assume!(wino::applies(&pr.p));
        let (x, dy) = (pr.x(), pr.dy());
        let err = grad_kernel_error(&grad_kernel(&x, &dy, &pr.p), &x, &dy, &pr.p);
        prop_assert!(err <= BOUND, "relative error {err:e} > {BOUND:e}; {:?}", pr.p);
    }
}

#[test]
fn winograd_kernel_gradient_summed_over_chunks_stays_within_the_bound() {
    // 5 images of 11x11 (3x3 tiles each, partial at the edge), 16 -> 24 channels: chunks
    // of 1, 2 and 7 tile rows (one image is 3) make the products accumulate across
    // chunks that start and end inside images.
    let p = params(5, (11, 11), (3, 3), (1, 1), (1, 1), [1, 1, 1, 1], 1, (16, 24)).unwrap();
    if !wino::applies(&p) {
        return;
    }
    let x = data(5 * 11 * 11 * 16, 5);
    let dy = data(5 * 11 * 11 * 24, 6);
    // One tile row of V plus dM: 3 tiles x 36 points x (16 + 32 spread floats).
    let row = 3 * 36 * (16 + 32);
    for rows in [1, 2, 7] {
        let mut dw = vec![f32::NAN; 9 * 16 * 24];
        super::conv_winograd_grad::backward_kernel_with(&x, &dy, &p, &mut dw, rows * row);
        let err = grad_kernel_error(&dw, &x, &dy, &p);
        assert!(err <= BOUND, "{rows} rows per chunk: relative error {err:e}");
        assert!(err > 0.0, "an exact match would mean the Winograd path did not run");
    }
}
