//! Device dispatch for batched matrix products.

use super::cpu;
use super::params::MatmulParams;
use crate::storage::{zeros_f32, Storage};
use crate::{Layout, Result, Shape, Tensor};

/// `a @ b` for each batch entry, reading both operands through their strides (transposed,
/// broadcast or sliced views are never copied). Untracked.
///
/// # Shapes
/// `a` is `batch + (m, k)` and `b` is `batch + (k, n)` with the same `batch` (already
/// broadcast, stride 0 where repeated); returns the dense `batch + (m, n)` product.
pub(crate) fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let rank = a.rank();
    let (m, k, n) = (a.dims()[rank - 2], a.dims()[rank - 1], b.dims()[rank - 1]);
    let batch_rank = rank - 2;
    let mut out_dims = a.dims()[..batch_rank].to_vec();
    out_dims.extend([m, n]);
    let out_shape = Shape::new(out_dims);
    let mut out = zeros_f32("matmul", &out_shape)?;
    let (ag, bg) = (a.read(), b.read());
    match (&*ag, &*bg) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            let (ad, bd) = (ag.as_f32("matmul")?, bg.as_f32("matmul")?);
            // With k == 0 the product is the zeros already there; with an empty output
            // the batch count could be anything, so nothing below may depend on it.
            if !out.is_empty() && k > 0 {
                let (al, bl) = (a.layout(), b.layout());
                let p = MatmulParams {
                    m,
                    n,
                    k,
                    batch: out.len() / (m * n),
                    a_rs: al.strides()[rank - 2],
                    a_cs: al.strides()[rank - 1],
                    b_rs: bl.strides()[rank - 2],
                    b_cs: bl.strides()[rank - 1],
                };
                let (a_offsets, b_offsets) = (batch_offsets(al, batch_rank), batch_offsets(bl, batch_rank));
                cpu::matmul::batched_matmul(&p, ad, &a_offsets, bd, &b_offsets, &mut out);
            }
        }
    }
    Ok(Tensor::from_f32_vec(out, out_shape))
}

/// The storage offset of each matrix of `layout`, its first `batch_rank` axes walked in
/// row-major order.
fn batch_offsets(layout: &Layout, batch_rank: usize) -> Vec<usize> {
    let dims = &layout.dims()[..batch_rank];
    let strides = &layout.strides()[..batch_rank];
    let count: usize = dims.iter().product();
    let mut offsets = Vec::with_capacity(count);
    let mut idx = vec![0usize; batch_rank];
    let mut off = layout.offset();
    for _ in 0..count {
        offsets.push(off);
        for ax in (0..batch_rank).rev() {
            idx[ax] += 1;
            off += strides[ax];
            if idx[ax] < dims[ax] {
                break;
            }
            off -= strides[ax] * dims[ax];
            idx[ax] = 0;
        }
    }
    offsets
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::backend::reference;
    use crate::{Rng, Tensor};

    /// One operand: its batch dims, whether it is 1-D, stored transposed, or a slice of
    /// a wider buffer (row stride larger than its width).
    #[derive(Clone, Debug)]
    struct Operand {
        batch: Vec<usize>,
        one_d: bool,
        transposed: bool,
        padded: bool,
    }

    /// A `rows x cols` matrix stack (or a `(len,)` vector) laid out as `op` says.
    fn build(op: &Operand, rows: usize, cols: usize, rng: &mut Rng) -> Tensor {
        if op.one_d {
            let len = rows.max(cols);
            return rng.uniform([len], -1.0, 1.0).unwrap();
        }
        let extra = if op.padded { 3 } else { 0 };
        let (r, c) = if op.transposed { (cols, rows) } else { (rows, cols) };
        let mut dims = op.batch.clone();
        dims.extend([r, c + extra]);
        let mut t = rng.uniform(dims, -1.0, 1.0).unwrap().narrow(-1, 0, c).unwrap();
        if op.transposed {
            t = t.transpose(-1, -2).unwrap();
        }
        t
    }

    fn size() -> impl Strategy<Value = usize> {
        prop_oneof![Just(1usize), 1usize..=70]
    }

    /// Batch dims for both operands that broadcast together: each is a suffix of a common
    /// batch shape with some axes set to 1.
    fn operands() -> impl Strategy<Value = (Operand, Operand)> {
        (
            proptest::collection::vec(1usize..=3, 0..=2),
            0usize..=2,
            0usize..=2,
            proptest::collection::vec(any::<bool>(), 4),
            proptest::collection::vec(any::<bool>(), 6),
        )
            .prop_map(|(batch, la, lb, ones, flags)| {
                let pick = |len: usize, off: usize| -> Vec<usize> {
                    let len = len.min(batch.len());
                    let start = batch.len() - len;
                    (start..batch.len()).map(|i| if ones[(i + off) % 4] { 1 } else { batch[i] }).collect()
                };
                let a = Operand { batch: pick(la, 0), one_d: flags[0], transposed: flags[1], padded: flags[2] };
                let b = Operand { batch: pick(lb, 2), one_d: flags[3], transposed: flags[4], padded: flags[5] };
                // numpy's 1-D operands carry no batch axes.
                let a = if a.one_d { Operand { batch: vec![], ..a } } else { a };
                let b = if b.one_d { Operand { batch: vec![], ..b } } else { b };
                (a, b)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn strided_batched_matmul_matches_reference(
            m in size(), n in size(), k in size(), (oa, ob) in operands(), seed in any::<u64>()
        ) {
            let mut rng = Rng::new(seed);
            // A 1-D lhs is (k,) and a 1-D rhs is (k,): `build` takes max(rows, cols), so
            // pass the unused side as 1.
            let a = build(&oa, if oa.one_d { 1 } else { m }, k, &mut rng);
            let b = build(&ob, k, if ob.one_d { 1 } else { n }, &mut rng);
            let got = a.matmul(&b).unwrap();
            let (want, dims) =
                reference::matmul::matmul(&a.to_vec_f32().unwrap(), a.dims(), &b.to_vec_f32().unwrap(), b.dims());
            prop_assert_eq!(got.dims(), &dims[..]);
            let tol = 1e-5 * (k as f32 + 1.0);
            for (i, (g, w)) in got.to_vec_f32().unwrap().iter().zip(&want).enumerate() {
                prop_assert!((g - w).abs() <= tol, "element {}: got {}, want {} ({:?} x {:?})", i, g, w, a.shape(), b.shape());
            }
        }
    }

    #[test]
    fn zero_stride_operand_is_read_in_place() {
        // A row broadcast to 4 rows has row stride 0: each output row must be the same.
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0], [1, 3]).unwrap().broadcast_to(&[4, 3].into()).unwrap();
        let b = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], [3, 2]).unwrap();
        assert_eq!(a.layout().strides(), &[0, 1]);
        assert_eq!(a.matmul(&b).unwrap().to_vec_f32().unwrap(), [4.0, 5.0].repeat(4));
        // A column broadcast to 2 columns has column stride 0: both output columns agree.
        let c = Tensor::from_vec(vec![1.0, -1.0, 2.0], [3, 1]).unwrap().broadcast_to(&[3, 2].into()).unwrap();
        assert_eq!(c.layout().strides(), &[1, 0]);
        assert_eq!(a.matmul(&c).unwrap().to_vec_f32().unwrap(), [5.0, 5.0].repeat(4));
    }

    #[test]
    fn many_small_products_split_over_the_batch_agree_with_reference() {
        // 300 batch entries of 8x8: large enough in total to take the batch-parallel path.
        let mut rng = Rng::new(7);
        let a = rng.uniform([300, 8, 8], -1.0, 1.0).unwrap();
        let b = rng.uniform([8, 8], -1.0, 1.0).unwrap().transpose(0, 1).unwrap();
        let got = a.matmul(&b).unwrap().to_vec_f32().unwrap();
        let (want, _) =
            reference::matmul::matmul(&a.to_vec_f32().unwrap(), a.dims(), &b.to_vec_f32().unwrap(), b.dims());
        assert!(got.iter().zip(&want).all(|(g, w)| (g - w).abs() < 1e-4));
    }
}
