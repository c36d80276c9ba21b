// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! The direct (implicit-GEMM) conv kernels against the reference on random problems:
//! the small problems of `conv_tests` (odd sizes, groups, dilation, strides, asymmetric
//! padding) and wider ones whose channel counts span several 32-channel panels and
//! leave partial panels and partial register tiles.

use proptest::prelude::*;

use super::conv_direct as direct;
use super::conv_im2col::Plan;
use super::conv_tests::{assert_close, params, problem, Problem};
use super::conv_tile;
use crate::backend::reference::conv as naive;

/// Problems with up to 40 input and 70 output channels per group on small images.
pub(super) fn wide_problem() -> impl Strategy<Value = Problem> {
    (
        (1usize..=3, (1usize..=9, 1usize..=17), (1usize..=3, 1usize..=3), (1usize..=2, 1usize..=2)),
        ((1usize..=2, 1usize..=2), [0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2], 1usize..=2),
        (1usize..=40, 1usize..=70, any::<u64>()),
    )
        .prop_filter_map(
            "kernel larger than padded input",
            |((n, hw, k, s), (d, pad, groups), (cig, cog, seed))| {
                let p = params(n, hw, k, s, d, pad, groups, (cig, cog))?;
                Some(Problem { p, plan: Plan::new(&p), seed })
            },
        )
}

fn forward(pr: &Problem) -> Vec<f32> {
    let mut out = vec![f32::NAN; pr.p.n * pr.p.h_out * pr.p.w_out * pr.p.c_out];
    direct::forward(&pr.x(), &pr.w(), &pr.p, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn direct_forward_matches_reference(pr in problem()) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        assert_close(&forward(&pr), &naive::forward(&pr.x(), &pr.w(), &pr.p), "direct forward", &pr.p);
    }

    #[test]
    fn direct_forward_with_many_channels_matches_reference(pr in wide_problem()) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        assert_close(&forward(&pr), &naive::forward(&pr.x(), &pr.w(), &pr.p), "direct forward", &pr.p);
    }

    #[test]
    fn direct_grad_kernel_matches_reference(pr in problem()) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        let want = naive::backward_kernel(&pr.x(), &pr.dy(), &pr.p);
        assert_close(&grad_kernel(&pr), &want, "direct grad-kernel", &pr.p);
    }

    #[test]
    fn direct_grad_kernel_with_many_channels_matches_reference(pr in wide_problem()) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        let want = naive::backward_kernel(&pr.x(), &pr.dy(), &pr.p);
        assert_close(&grad_kernel(&pr), &want, "direct grad-kernel", &pr.p);
    }
}

fn grad_kernel(pr: &Problem) -> Vec<f32> {
    let mut dw = vec![0.0; pr.w().len()];
    super::conv_grad_kernel::backward_kernel(&pr.x(), &pr.dy(), &pr.p, &mut dw);
    dw
}

#[test]
fn direct_forward_at_batch_one_splits_rows_and_matches_reference() {
    if !conv_tile::available() {
        return;
    }
    // 19x19x24 -> 40 with a 3x3 kernel: a Go board, two panels (32 + 8), 10 + 9 pixel tiles.
    let p = params(1, (19, 19), (3, 3), (1, 1), (1, 1), [1, 1, 1, 1], 1, (24, 40)).unwrap();
    let pr = Problem { p, plan: Plan::new(&p), seed: 3 };
    assert_close(&forward(&pr), &naive::forward(&pr.x(), &pr.w(), &pr.p), "direct forward", &pr.p);
}

/// The dispatched kernels (`backend::conv`), whatever algorithm each problem gets.
mod dispatched {
    use super::*;
    use crate::backend::conv as chosen;

    fn check(pr: &Problem) {
        let p = &pr.p;
        let mut y = vec![f32::NAN; p.n * p.h_out * p.w_out * p.c_out];
        chosen::forward(&pr.x(), &pr.w(), p, &mut y);
        assert_close(&y, &naive::forward(&pr.x(), &pr.w(), p), "forward", p);
        let mut dx = vec![0.0; pr.x().len()];
        chosen::backward_input(&pr.dy(), &pr.w(), p, &mut dx);
        assert_close(&dx, &naive::backward_input(&pr.dy(), &pr.w(), p), "grad-input", p);
        let mut dw = vec![0.0; pr.w().len()];
        chosen::backward_kernel(&pr.x(), &pr.dy(), p, &mut dw);
        assert_close(&dw, &naive::backward_kernel(&pr.x(), &pr.dy(), p), "grad-kernel", p);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn dispatched_conv_and_gradients_match_reference(pr in problem()) {
            check(&pr);
        }

        #[test]
        fn dispatched_conv_and_gradients_with_many_channels_match_reference(pr in wide_problem()) {
            check(&pr);
        }
    }

    #[test]
    fn stride_one_grad_input_runs_as_a_flipped_forward_conv() {
        use crate::backend::cpu::conv_grad::grad_input_params;
        // Dilated, asymmetric padding, two groups: still a forward conv of dy.
        let p = params(2, (9, 8), (3, 2), (1, 1), (2, 1), [1, 3, 0, 1], 2, (5, 7)).unwrap();
        let q = grad_input_params(&p).unwrap();
        assert_eq!((q.h, q.w, q.h_out, q.w_out, q.c_in, q.c_out), (p.h_out, p.w_out, p.h, p.w, 14, 10));
        assert_eq!((q.pad_top, q.pad_bottom, q.pad_left, q.pad_right), (3, 1, 1, 0));
        check(&Problem { p, plan: Plan::new(&p), seed: 4 });
        // A pad wider than the dilated kernel, and a stride, keep the im2col path.
        let wide = params(1, (5, 5), (1, 1), (1, 1), (1, 1), [1, 0, 0, 0], 1, (2, 3)).unwrap();
        let strided = params(1, (7, 7), (3, 3), (2, 2), (1, 1), [1; 4], 1, (2, 3)).unwrap();
        assert!(grad_input_params(&wide).is_none() && grad_input_params(&strided).is_none());
        for p in [wide, strided] {
            check(&Problem { p, plan: Plan::new(&p), seed: 6 });
        }
    }
}
