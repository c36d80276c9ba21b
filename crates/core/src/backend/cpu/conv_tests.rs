// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! The im2col kernels against the naive definitions on random conv problems
//! (tract's `ConvProblem` approach), over both work plans and tiny patch chunks.

use proptest::prelude::*;

use super::conv_im2col::{self as fast, Plan};
use crate::backend::params::Conv2dParams;
use crate::backend::reference::conv as naive;
use crate::ops::geometry::output_size;

/// Deterministic values in [-1, 1).
pub(super) fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[derive(Clone, Debug)]
pub(super) struct Problem {
    pub p: Conv2dParams,
    pub plan: Plan,
    pub seed: u64,
}

impl Problem {
    pub fn x(&self) -> Vec<f32> {
        data(self.p.n * self.p.h * self.p.w * self.p.c_in, self.seed)
    }
    pub fn w(&self) -> Vec<f32> {
        data(self.p.kh * self.p.kw * (self.p.c_in / self.p.groups) * self.p.c_out, self.seed + 1)
    }
    pub fn dy(&self) -> Vec<f32> {
        data(self.p.n * self.p.h_out * self.p.w_out * self.p.c_out, self.seed + 2)
    }
}

/// Params with output sizes from the geometry module, or `None` if the kernel does not fit.
#[allow(clippy::too_many_arguments)]
pub(super) fn params(
    n: usize,
    (h, w): (usize, usize),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (dh, dw): (usize, usize),
    [top, bottom, left, right]: [usize; 4],
    groups: usize,
    (cig, cog): (usize, usize),
) -> Option<Conv2dParams> {
    let h_out = output_size("t", h, kh, sh, dh, top, bottom).ok()?;
    let w_out = output_size("t", w, kw, sw, dw, left, right).ok()?;
    Some(Conv2dParams {
        n,
        h,
        w,
        c_in: cig * groups,
        kh,
        kw,
        c_out: cog * groups,
        groups,
        stride_h: sh,
        stride_w: sw,
        dil_h: dh,
        dil_w: dw,
        pad_top: top,
        pad_bottom: bottom,
        pad_left: left,
        pad_right: right,
        h_out,
        w_out,
    })
}

pub(super) fn problem() -> impl Strategy<Value = Problem> {
    (
        (1usize..=3, (1usize..=12, 1usize..=12), (1usize..=5, 1usize..=5), (1usize..=4, 1usize..=4)),
        ((1usize..=3, 1usize..=3), [0usize..=3, 0usize..=3, 0usize..=3, 0usize..=3], 1usize..=3, 1usize..=3),
        (1usize..=6, 0usize..4, any::<bool>(), any::<u64>()),
    )
        .prop_filter_map("kernel larger than padded input", |((n, hw, k, s), (d, pad, groups, cig), rest)| {
            let (c_out, chunk, batch_parallel, seed) = rest;
            // C_out in 1..=6, rounded up to a multiple of groups (6 is divisible by 1, 2, 3).
            let cog = c_out.div_ceil(groups);
            let p = params(n, hw, k, s, d, pad, groups, (cig, cog))?;
            // Chunks of 1, 2 or 3 patch rows exercise the row chunking; 0 means no chunking.
            let chunk_rows = if chunk == 0 { p.h_out * p.w_out } else { chunk };
            Some(Problem { p, plan: Plan { chunk_rows, batch_parallel }, seed })
        })
}

/// `|got - want| <= 1e-4 * (1 + max |want|)` element-wise, and equal lengths.
pub(super) fn assert_close(got: &[f32], want: &[f32], what: &str, p: &Conv2dParams) {
    assert_eq!(got.len(), want.len(), "{what}: length, {p:?}");
    let scale = 1.0 + want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-4 * scale, "{what}[{i}]: fast {g} vs reference {w}; {p:?}");
    }
}

fn run_forward(pr: &Problem) -> Vec<f32> {
    let mut out = vec![f32::NAN; pr.p.n * pr.p.h_out * pr.p.w_out * pr.p.c_out];
    fast::forward_with(&pr.x(), &pr.w(), &pr.p, &mut out, pr.plan);
    out
}

fn run_backward_input(pr: &Problem) -> Vec<f32> {
    let mut dx = vec![0.0; pr.x().len()];
    fast::backward_input_with(&pr.dy(), &pr.w(), &pr.p, &mut dx, pr.plan);
    dx
}

fn run_backward_kernel(pr: &Problem) -> Vec<f32> {
    let mut dw = vec![0.0; pr.w().len()];
    fast::backward_kernel_with(&pr.x(), &pr.dy(), &pr.p, &mut dw, pr.plan);
    dw
}

fn check_all(pr: &Problem) {
    assert_close(&run_forward(pr), &naive::forward(&pr.x(), &pr.w(), &pr.p), "forward", &pr.p);
    assert_close(&run_backward_input(pr), &naive::backward_input(&pr.dy(), &pr.w(), &pr.p), "grad-input", &pr.p);
    assert_close(&run_backward_kernel(pr), &naive::backward_kernel(&pr.x(), &pr.dy(), &pr.p), "grad-kernel", &pr.p);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn im2col_forward_matches_reference(pr in problem()) {
        // NaN-filled output: the kernel must write every element.
        assert_close(&run_forward(&pr), &naive::forward(&pr.x(), &pr.w(), &pr.p), "forward", &pr.p);
    }

    #[test]
    fn im2col_grad_input_matches_reference(pr in problem()) {
        assert_close(&run_backward_input(&pr), &naive::backward_input(&pr.dy(), &pr.w(), &pr.p), "grad-input", &pr.p);
    }

    #[test]
    fn im2col_grad_kernel_matches_reference(pr in problem()) {
        assert_close(&run_backward_kernel(&pr), &naive::backward_kernel(&pr.x(), &pr.dy(), &pr.p), "grad-kernel", &pr.p);
    }

    #[test]
    fn pointwise_fast_path_matches_reference(
        n in 1usize..=3,
        hw in (1usize..=9, 1usize..=9),
        groups in 1usize..=3,
        ch in (1usize..=4, 1usize..=4),
        seed in any::<u64>(),
    ) {
        let p = params(n, hw, (1, 1), (1, 1), (1, 1), [0; 4], groups, ch).unwrap();
        prop_assert!(fast::is_pointwise(&p));
        check_all(&Problem { p, plan: Plan::new(&p), seed });
    }
}

#[test]
fn strided_or_padded_1x1_skips_the_pointwise_path() {
    let strided = params(1, (5, 5), (1, 1), (2, 1), (1, 1), [0; 4], 1, (2, 3)).unwrap();
    let padded = params(1, (5, 5), (1, 1), (1, 1), (1, 1), [0, 1, 0, 0], 1, (2, 3)).unwrap();
    assert!(!fast::is_pointwise(&strided) && !fast::is_pointwise(&padded));
    for p in [strided, padded] {
        check_all(&Problem { p, plan: Plan::new(&p), seed: 11 });
    }
}

#[test]
fn batch_one_large_enough_for_parallel_gemm_matches_reference() {
    // 20x20x16 -> 32 channels with a 3x3 kernel: each product is ~1.5 MFLOP, above
    // sgemm's threshold for splitting over threads, and batch 1 leaves gemm to do it.
    let p = params(1, (20, 20), (3, 3), (1, 1), (1, 1), [1, 1, 1, 1], 1, (16, 32)).unwrap();
    let plan = Plan::new(&p);
    assert!(!plan.batch_parallel);
    assert_eq!(plan.chunk_rows, 400);
    check_all(&Problem { p, plan, seed: 5 });
}

#[test]
fn batch_parallel_plan_with_grouped_channels_matches_reference() {
    let p = params(3, (9, 7), (3, 2), (2, 1), (1, 2), [1, 0, 2, 1], 2, (3, 4)).unwrap();
    for batch_parallel in [false, true] {
        check_all(&Problem { p, plan: Plan { chunk_rows: 5, batch_parallel }, seed: 9 });
    }
}
