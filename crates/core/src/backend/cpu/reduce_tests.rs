// Test-only module: declared under #[cfg(test)] in backend/cpu/mod.rs.
//! The fast reduction kernels against the naive per-output loops in
//! `backend::reference::reduce`, over random strided views and random axis sets.

use proptest::prelude::*;

use super::elementwise_tests::{assert_all_close, dims_strategy, random_view, Gen};
use crate::backend::cpu::reduce::{arg_reduce, ReduceOp};
use crate::backend::reference::reduce as reference;
use crate::{Shape, Tensor};

const OPS: [ReduceOp; 3] = [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reduce_kernel_matches_reference_over_random_axes(
        dims in dims_strategy(),
        mask in prop::collection::vec(any::<bool>(), 5),
        op in 0..OPS.len(),
        seed in any::<u64>(),
    ) {
        let op = OPS[op];
        let mut g = Gen::new(seed);
        let (x, xl) = random_view(&mut g, &dims, true);
        let axes: Vec<usize> = (0..dims.len()).filter(|&a| mask[a]).collect();
        // Through the backend, which works out the output strides for the kernel.
        let storage = Tensor::from_f32_vec(x.clone(), Shape::new([x.len()]));
        let view = storage.view_with_layout(xl.clone());
        let fast = crate::backend::reduce(op, &view, &axes, "test").expect("small").to_vec_f32().expect("f32");
        let naive = reference::reduce(op, &x, &xl, &axes);
        // Both sums accumulate in f64; only the order of additions differs.
        assert_all_close(&fast, &naive, 1e-6, 1e-6, &format!("{op:?} over {axes:?} of {xl:?}"));
    }

    #[test]
    fn arg_reduce_kernel_matches_reference(
        dims in dims_strategy().prop_filter("rank >= 1", |d| !d.is_empty()),
        axis in 0usize..5,
        max in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let axis = axis % dims.len();
        prop_assume!(dims[axis] > 0);
        let mut g = Gen::new(seed);
        let x: Vec<f32> = (0..Shape::new(dims.clone()).numel()).map(|_| g.value(true)).collect();
        let outer: usize = dims[..axis].iter().product();
        let inner: usize = dims[axis + 1..].iter().product();
        let mut fast = vec![-1i64; outer * inner];
        arg_reduce(&x, outer, dims[axis], inner, max, &mut fast);
        prop_assert_eq!(fast, reference::arg_reduce(&x, &dims, axis, max));
    }
}
