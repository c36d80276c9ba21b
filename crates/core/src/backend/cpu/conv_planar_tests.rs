// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! The pixels-in-lanes kernels against the reference: widths around the 16-lane
//! boundaries, one- and two-row blocks, asymmetric padding, up to 8 / 16 channels.

use proptest::prelude::*;

use super::conv_im2col::Plan;
use super::conv_planar as planar;
use super::conv_tests::{assert_close, params, Problem};
use super::conv_tile;
use crate::backend::reference::conv as naive;

/// Stride-1 problems with few output channels; `wide_k` restricts kernels to 3 or 5
/// columns (the kernel gradient's tap block).
fn planar_problem(max_cout: usize, wide_k: bool) -> impl Strategy<Value = Problem> {
    (
        (1usize..=3, (1usize..=12, 1usize..=36), (1usize..=5, 0usize..2)),
        ([0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2], 1usize..=8, 1usize..=max_cout, any::<u64>()),
    )
        .prop_filter_map("kernel larger than padded input", move |((n, hw, (kh, kw5)), (pad, ci, co, seed))| {
            let kw = if wide_k { 3 + 2 * kw5 } else { kh };
            let p = params(n, hw, (kh, kw), (1, 1), (1, 1), pad, 1, (ci, co))?;
            Some(Problem { p, plan: Plan::new(&p), seed })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn planar_forward_matches_reference(pr in planar_problem(8, false)) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        prop_assume!(planar::applies_forward(&pr.p));
        let mut y = vec![f32::NAN; pr.dy().len()];
        planar::forward(&pr.x(), &pr.w(), &pr.p, &mut y);
        assert_close(&y, &naive::forward(&pr.x(), &pr.w(), &pr.p), "planar forward", &pr.p);
    }

    #[test]
    fn planar_grad_kernel_matches_reference(pr in planar_problem(16, true)) {
        if !conv_tile::available() {
            // The AVX-512 kernel cannot run on this CPU; the dispatch never picks it here.
            return Ok(());
        }
        prop_assume!(planar::applies_grad_kernel(&pr.p));
        let mut dw = vec![f32::NAN; pr.w().len()];
        planar::backward_kernel(&pr.x(), &pr.dy(), &pr.p, &mut dw);
        assert_close(&dw, &naive::backward_kernel(&pr.x(), &pr.dy(), &pr.p), "planar grad-kernel", &pr.p);
    }
}

#[test]
fn lenet_layers_match_reference() {
    // LeNet's first layer ("same", 1 -> 6) and the grad-input conv of its second (a
    // 14x14 output from 16 channels to 6, padded by 4), on 3 images.
    let first = params(3, (28, 28), (5, 5), (1, 1), (1, 1), [2; 4], 1, (1, 6)).unwrap();
    let second_dx = params(3, (10, 10), (5, 5), (1, 1), (1, 1), [4; 4], 1, (16, 6)).unwrap();
    for p in [first, second_dx] {
        if !planar::applies_forward(&p) {
            return;
        }
        let pr = Problem { p, plan: Plan::new(&p), seed: 12 };
        let mut y = vec![f32::NAN; pr.dy().len()];
        planar::forward(&pr.x(), &pr.w(), &p, &mut y);
        assert_close(&y, &naive::forward(&pr.x(), &pr.w(), &p), "planar forward", &p);
        let mut dw = vec![f32::NAN; pr.w().len()];
        planar::backward_kernel(&pr.x(), &pr.dy(), &p, &mut dw);
        assert_close(&dw, &naive::backward_kernel(&pr.x(), &pr.dy(), &p), "planar grad-kernel", &p);
    }
}
