// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! Strided convs run by space-to-depth (then Winograd) against the reference, forward and
//! both gradients, through the dispatched kernels.

use proptest::prelude::*;

use super::conv_im2col::Plan;
use super::conv_tests::{assert_close, params, Problem};
use super::conv_tile;
use crate::backend::conv::{self as chosen, forward_algo, Algo};
use crate::backend::reference::conv as naive;

/// Strides 2..=4 with kernels that space-to-depth turns into 3x3 or 5x5, enough channels
/// for Winograd after the rewrite, odd sizes and asymmetric padding.
fn s2d_problem() -> impl Strategy<Value = Problem> {
    (
        (1usize..=3, 2usize..=4, any::<bool>(), 0usize..4),
        ((0usize..=13, 0usize..=13), [0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2]),
        (1usize..=6, 16usize..=40, any::<u64>()),
    )
        .prop_filter_map("needs the space-to-depth path", |((n, s, five, dk), (extra, pad), (ci, co, seed))| {
            let kp = if five { 5 } else { 3 };
            // k in ((kp - 1) * s, kp * s]: exactly kp blocks of s.
            let k = (kp - 1) * s + 1 + dk.min(s - 1);
            let p = params(n, (k + extra.0, k + extra.1), (k, k), (s, s), (1, 1), pad, 1, (ci, co))?;
            // Without AVX-512 the dispatch picks another algorithm: check that one instead.
            (forward_algo(&p) == Algo::SpaceToDepth || !conv_tile::available()).then_some(Problem {
                p,
                plan: Plan::new(&p),
                seed,
            })
        })
}

fn check(pr: &Problem) {
    let p = &pr.p;
    let mut y = vec![f32::NAN; p.n * p.h_out * p.w_out * p.c_out];
    chosen::forward(&pr.x(), &pr.w(), p, &mut y);
    assert_close(&y, &naive::forward(&pr.x(), &pr.w(), p), "s2d forward", p);
    let mut dx = vec![0.0; pr.x().len()];
    chosen::backward_input(&pr.dy(), &pr.w(), p, &mut dx);
    assert_close(&dx, &naive::backward_input(&pr.dy(), &pr.w(), p), "s2d grad-input", p);
    let mut dw = vec![0.0; pr.w().len()];
    chosen::backward_kernel(&pr.x(), &pr.dy(), p, &mut dw);
    assert_close(&dw, &naive::backward_kernel(&pr.x(), &pr.dy(), p), "s2d grad-kernel", p);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn space_to_depth_conv_and_gradients_match_reference(pr in s2d_problem()) {
        check(&pr);
    }
}

#[test]
fn alexnet_conv1_runs_as_a_3x3_winograd_conv_on_48_channels() {
    let p = params(1, (227, 227), (11, 11), (4, 4), (1, 1), [0; 4], 1, (3, 96)).unwrap();
    if !super::conv_tile::available() {
        return;
    }
    assert_eq!(forward_algo(&p), Algo::SpaceToDepth);
    let q = super::conv_s2d::params(&p).unwrap();
    assert_eq!((q.h, q.w, q.c_in, q.kh, q.h_out), (57, 57, 48, 3, 55));
    assert_eq!(forward_algo(&q), Algo::Winograd);
    // A smaller image of the same kind, checked in full: 31x30 outputs, 8x8 tiles per
    // image, so the kernel gradient takes the Winograd path too.
    let p = params(2, (131, 127), (11, 11), (4, 4), (1, 1), [2, 1, 0, 3], 1, (3, 16)).unwrap();
    let q = super::conv_s2d::params(&p).unwrap();
    assert!(q.n * q.h_out.div_ceil(4) * q.w_out.div_ceil(4) >= 64);
    check(&Problem { p, plan: Plan::new(&p), seed: 8 });
}
