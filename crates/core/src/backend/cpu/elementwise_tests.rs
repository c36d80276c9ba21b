// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! The fast element-wise, select and copy kernels against the naive oracle in
//! `backend::reference`, on random shapes (rank 0..=5, sizes 0 and 1 included), random
//! broadcast patterns and random strided views (permuted storage, narrowed axes,
//! offsets). Also holds the generators the reduction tests share.

use proptest::prelude::*;

use crate::backend::cpu::{elementwise, movement};
use crate::backend::params::{BinaryOp, UnaryOp};
use crate::backend::reference::elementwise as reference;
use crate::{Layout, Shape};

/// A small deterministic generator for the data behind a proptest case; proptest
/// drives the structure (shapes, ops), and this fills in values from a seed.
pub(super) struct Gen(u64);

impl Gen {
    pub(super) fn new(seed: u64) -> Self {
        Gen(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// A value in [-4, 4]: half the time on a grid of quarters, so that ties, exact
    /// zeros and kinks (relu at 0, hard_sigmoid at +-3) occur; with `specials`, now
    /// and then a signed zero, an infinity or a NaN.
    pub(super) fn value(&mut self, specials: bool) -> f32 {
        match self.below(20) {
            0 if specials => [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN][self.below(5)],
            0..=9 => (self.below(33) as f32 - 16.0) / 4.0,
            _ => 8.0 * self.unit() - 4.0,
        }
    }
}

/// Dimensions for rank 0..=5: mostly 2..=5, often 1 (broadcasting), sometimes 0.
pub(super) fn dims_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 6 => Just(1usize), 13 => 2usize..=5], 0..=5)
}

/// Storage and a view of shape `dims` over it. One time in four the view is plain
/// contiguous, one in four contiguous at an offset, otherwise fully strided: the
/// storage holds a larger array with its axes in a random order, and the view narrows
/// each axis at a random start.
pub(super) fn random_view(g: &mut Gen, dims: &[usize], specials: bool) -> (Vec<f32>, Layout) {
    let rank = dims.len();
    let mode = g.below(4);
    let big: Vec<usize> = dims
        .iter()
        .enumerate()
        .map(|(i, &d)| match mode {
            0 => d,
            1 if i == 0 => d + 1 + g.below(2),
            1 => d,
            _ => d + g.below(3),
        })
        .collect();
    let mut perm: Vec<usize> = (0..rank).collect();
    if mode >= 2 {
        for i in (1..rank).rev() {
            perm.swap(i, g.below(i + 1));
        }
    }
    let stored: Vec<usize> = perm.iter().map(|&p| big[p]).collect();
    let mut inverse = vec![0; rank];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    let mut layout = Layout::contiguous(stored.clone()).permute(&inverse).expect("a permutation");
    for (ax, (&d, &b)) in dims.iter().zip(&big).enumerate() {
        layout = layout.narrow(ax, g.below(b - d + 1), d).expect("inside the axis");
    }
    let data = (0..Shape::new(stored).numel()).map(|_| g.value(specials)).collect();
    (data, layout)
}

/// `dims` as seen by an operand broadcast to it: `drop` leading axes removed and the
/// axes where `ones` is true set to 1.
fn operand_dims(dims: &[usize], drop: usize, ones: &[bool]) -> Vec<usize> {
    let drop = drop.min(dims.len());
    dims[drop..].iter().zip(ones).map(|(&d, &one)| if one { 1 } else { d }).collect()
}

/// Equal within `atol + rtol * max(|a|, |b|)`; NaN only matches NaN and an infinity
/// only itself.
pub(super) fn close(a: f32, b: f32, rtol: f32, atol: f32) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= atol + rtol * a.abs().max(b.abs())
}

pub(super) fn assert_all_close(fast: &[f32], naive: &[f32], rtol: f32, atol: f32, what: &str) {
    assert_eq!(fast.len(), naive.len(), "{what}: lengths");
    for (i, (&f, &n)) in fast.iter().zip(naive).enumerate() {
        assert!(close(f, n, rtol, atol), "{what}: element {i}: fast {f}, reference {n}");
    }
}

/// Every unary op, with parameters drawn from `g`.
fn unary_ops(g: &mut Gen) -> Vec<UnaryOp> {
    use UnaryOp::*;
    let clamp_lo = (g.below(9) as f32 - 6.0) / 2.0;
    let clamp_hi = clamp_lo + g.below(8) as f32 / 2.0;
    vec![
        Neg,
        Abs,
        Exp,
        Log,
        Sqrt,
        Rsqrt,
        Square,
        Recip,
        Tanh,
        Sigmoid,
        Relu,
        Relu6,
        LeakyRelu { alpha: g.unit() },
        Elu { alpha: 0.5 + 1.5 * g.unit() },
        Selu,
        Gelu,
        GeluTanh,
        Softplus,
        Softsign,
        HardSigmoid,
        Silu,
        Clamp { min: clamp_lo, max: clamp_hi },
        PowScalar { p: [-2.0, -1.5, -1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0][g.below(9)] },
        AddScalar { c: 4.0 * g.unit() - 2.0 },
        MulScalar { c: 4.0 * g.unit() - 2.0 },
    ]
}

const N_UNARY: usize = 25;

/// Every binary op, including each unary op's fused backward.
fn binary_ops(g: &mut Gen) -> Vec<BinaryOp> {
    use BinaryOp::*;
    let mut ops = vec![Add, Sub, Mul, Div, Maximum, Minimum, Pow, Eq, Ne, Lt, Le, Gt, Ge];
    ops.extend(unary_ops(g).into_iter().map(UnaryBackward));
    ops
}

const N_BINARY: usize = 13 + N_UNARY;

/// Tolerances of the fast f32 kernel against the f64 oracle: the exact f32 ops must
/// agree to the bit; transcendental ones to a few ulps, plus an absolute slack for the
/// cancellation both share near zero crossings (gelu's `1 + erf` for negative x).
fn tolerance(op: BinaryOp) -> (f32, f32) {
    match op {
        BinaryOp::UnaryBackward(_) => (2e-5, 2e-6),
        BinaryOp::Pow => (2e-6, 0.0),
        _ => (0.0, 0.0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unary_kernel_matches_reference_on_strided_views(
        dims in dims_strategy(),
        op in 0..N_UNARY,
        seed in any::<u64>(),
    ) {
        let mut g = Gen::new(seed);
        let op = unary_ops(&mut g)[op];
        let (x, xl) = random_view(&mut g, &dims, true);
        let mut fast = vec![f32::NAN; xl.shape().numel()];
        elementwise::unary(op, &x, &xl, &mut fast);
        let naive = reference::unary(op, &x, &xl);
        assert_all_close(&fast, &naive, 2e-5, 2e-6, &format!("{op:?} on {xl:?}"));
    }

    #[test]
    fn binary_kernel_matches_reference_under_broadcasting(
        dims in dims_strategy(),
        (drop_a, drop_b) in (0usize..=5, 0usize..=5),
        (ones_a, ones_b) in (prop::collection::vec(prop::bool::weighted(0.3), 5),
                             prop::collection::vec(prop::bool::weighted(0.3), 5)),
        op in 0..N_BINARY,
        seed in any::<u64>(),
    ) {
        let mut g = Gen::new(seed);
        let op = binary_ops(&mut g)[op];
        // Non-finite inputs would make a unary backward's `g * 0` a NaN that the
        // kernel, which skips the product on flat pieces, rightly does not produce.
        let specials = !matches!(op, BinaryOp::UnaryBackward(_));
        let (a, al) = random_view(&mut g, &operand_dims(&dims, drop_a, &ones_a), specials);
        let (b, bl) = random_view(&mut g, &operand_dims(&dims, drop_b, &ones_b), specials);
        let out_shape = Shape::new(dims.clone());
        let mut fast = vec![f32::NAN; out_shape.numel()];
        elementwise::binary(
            op,
            &a,
            &al.broadcast_to(&out_shape).expect("broadcastable"),
            &b,
            &bl.broadcast_to(&out_shape).expect("broadcastable"),
            &mut fast,
        );
        let naive = reference::binary(op, &a, &al, &b, &bl, &dims);
        let (rtol, atol) = tolerance(op);
        assert_all_close(&fast, &naive, rtol, atol, &format!("{op:?} of {al:?} and {bl:?}"));
    }

    #[test]
    fn select_kernel_matches_reference_under_broadcasting(
        dims in dims_strategy(),
        drops in (0usize..=5, 0usize..=5, 0usize..=5),
        ones in prop::collection::vec(prop::collection::vec(prop::bool::weighted(0.3), 5), 3),
        seed in any::<u64>(),
    ) {
        let mut g = Gen::new(seed);
        let (m, ml) = random_view(&mut g, &operand_dims(&dims, drops.0, &ones[0]), true);
        let (a, al) = random_view(&mut g, &operand_dims(&dims, drops.1, &ones[1]), true);
        let (b, bl) = random_view(&mut g, &operand_dims(&dims, drops.2, &ones[2]), true);
        let out_shape = Shape::new(dims.clone());
        let view = |l: &Layout| l.broadcast_to(&out_shape).expect("broadcastable");
        let mut fast = vec![f32::NAN; out_shape.numel()];
        elementwise::select(&m, &view(&ml), &a, &view(&al), &b, &view(&bl), &mut fast);
        let naive = reference::select((&m, &ml), (&a, &al), (&b, &bl), &dims);
        assert_all_close(&fast, &naive, 0.0, 0.0, &format!("select {ml:?} ? {al:?} : {bl:?}"));
    }

    #[test]
    fn strided_copy_matches_reference(
        dims in dims_strategy(),
        seed in any::<u64>(),
    ) {
        let mut g = Gen::new(seed);
        let (src, sl) = random_view(&mut g, &dims, true);
        // The destination is itself a random view, into a buffer of its own.
        let (mut fast, dl) = random_view(&mut g, &dims, false);
        let mut naive = fast.clone();
        movement::copy_strided(&src, &sl, &mut fast, &dl);
        reference::copy_into(&src, &sl, &mut naive, &dl);
        assert_all_close(&fast, &naive, 0.0, 0.0, &format!("copy {sl:?} into {dl:?}"));
    }
}

#[test]
fn large_contiguous_inputs_take_the_parallel_path_and_agree() {
    // Above the kernel's parallel threshold (2^15), with an odd tail chunk.
    let n = (1 << 16) + 37;
    let mut g = Gen::new(11);
    let a: Vec<f32> = (0..n).map(|_| g.value(false)).collect();
    let b: Vec<f32> = (0..n).map(|_| g.value(false)).collect();
    let l = Layout::contiguous([n]);
    let mut out = vec![0.0; n];
    elementwise::binary(BinaryOp::Mul, &a, &l, &b, &l, &mut out);
    assert_all_close(&out, &reference::binary(BinaryOp::Mul, &a, &l, &b, &l, &[n]), 0.0, 0.0, "mul");
    elementwise::unary(UnaryOp::Tanh, &a, &l, &mut out);
    assert_all_close(&out, &reference::unary(UnaryOp::Tanh, &a, &l), 2e-5, 2e-6, "tanh");
}
