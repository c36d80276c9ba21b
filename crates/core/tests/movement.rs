//! Movement ops: views (reshape, flatten, broadcast_to, permute, transpose, unsqueeze,
//! squeeze, narrow) and copies (concat, stack, split, index_select, pad): values,
//! errors, out-of-memory, and a gradient check for each.

mod common;

use common::{assert_close, assert_gradients, t, uniform};
use fovea_core::{DType, Error, Shape, Tensor};

/// 0, 1, ..., 23 as shape (2, 3, 4).
fn iota() -> Tensor {
    Tensor::arange(24).unwrap().reshape([2, 3, 4]).unwrap()
}

fn range(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32).collect()
}

// ----- views ------------------------------------------------------------------------------

#[test]
fn reshape_keeps_row_major_order_and_shares_contiguous_storage() {
    let x = Tensor::arange(6).unwrap();
    let y = x.reshape([2, 3]).unwrap();
    assert_eq!(y.dims(), &[2, 3]);
    assert_close(&y, &range(6), 0.0);
    x.update_f32(|d| d[4] = 40.0).unwrap();
    assert_close(&y, &[0.0, 1.0, 2.0, 3.0, 40.0, 5.0], 0.0);
    // A non-contiguous source is copied first, in logical order.
    let z = y.transpose(0, 1).unwrap().reshape([6]).unwrap();
    assert_close(&z, &[0.0, 3.0, 1.0, 40.0, 2.0, 5.0], 0.0);
    assert_eq!(Tensor::scalar(3.0).reshape([1, 1]).unwrap().dims(), &[1, 1]);
    assert_eq!(Tensor::zeros([0, 4]).unwrap().reshape([2, 0, 3]).unwrap().dims(), &[2, 0, 3]);
}

#[test]
fn reshape_to_a_different_size_is_an_error_naming_both_shapes() {
    let err = Tensor::zeros([2, 3]).unwrap().reshape([4]).unwrap_err();
    assert!(matches!(err, Error::Shape { op: "reshape", .. }));
    assert_eq!(err.to_string(), "reshape: cannot reshape (2, 3) (6 elements) to (4,)");
    assert!(Tensor::zeros([2, 3]).unwrap().reshape([usize::MAX, 2]).is_err());
}

#[test]
fn reshape_infer_fills_in_one_dimension() {
    let x = iota();
    assert_eq!(x.reshape_infer(&[-1, 2]).unwrap().dims(), &[12, 2]);
    assert_eq!(x.reshape_infer(&[4, -1, 3]).unwrap().dims(), &[4, 2, 3]);
    assert_eq!(x.reshape_infer(&[24]).unwrap().dims(), &[24]);
    assert!(matches!(x.reshape_infer(&[-1, -1]), Err(Error::Argument { op: "reshape", .. })));
    assert!(matches!(x.reshape_infer(&[-2, 12]), Err(Error::Argument { op: "reshape", .. })));
    assert_eq!(
        x.reshape_infer(&[5, -1]).unwrap_err().to_string(),
        "reshape: cannot reshape (2, 3, 4) (24 elements) to [5, -1]"
    );
    assert!(matches!(x.reshape_infer(&[0, -1]), Err(Error::Shape { .. })));
}

#[test]
fn flatten_collapses_an_axis_range() {
    let x = iota();
    assert_eq!(x.flatten(1, -1).unwrap().dims(), &[2, 12]);
    assert_eq!(x.flatten(0, 1).unwrap().dims(), &[6, 4]);
    assert_eq!(x.flatten(0, -1).unwrap().dims(), &[24]);
    assert_eq!(x.flatten(1, 1).unwrap().dims(), &[2, 3, 4]);
    assert_eq!(Tensor::scalar(1.0).flatten(0, 0).unwrap().dims(), &[1]);
    assert!(matches!(x.flatten(2, 1), Err(Error::Argument { op: "flatten", .. })));
    assert!(matches!(x.flatten(0, 3), Err(Error::Axis { op: "flatten", .. })));
}

#[test]
fn broadcast_to_repeats_size_one_and_missing_axes() {
    let x = t(&[1.0, 2.0, 3.0], &[3, 1]);
    let y = x.broadcast_to(&Shape::new([2, 3, 2])).unwrap();
    assert_close(&y, &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0], 0.0);
    let err = x.broadcast_to(&Shape::new([2, 2])).unwrap_err();
    assert_eq!(err.to_string(), "broadcast_to: cannot broadcast (3, 1) to (2, 2)");
    assert!(x.broadcast_to(&Shape::new([3])).is_err());
}

#[test]
fn contiguous_copy_of_a_huge_broadcast_is_out_of_memory_not_an_abort() {
    let huge = Tensor::scalar(1.0).broadcast_to(&Shape::new([1 << 40, 1 << 30])).unwrap();
    assert_eq!(huge.dims(), &[1 << 40, 1 << 30]);
    assert!(matches!(huge.contiguous(), Err(Error::OutOfMemory { .. })));
    assert!(matches!(huge.to_vec_f32(), Err(Error::OutOfMemory { .. })));
    // 2^62 elements: the element count fits in usize, the bytes do not fit in memory.
    let big = t(&[1.0, 2.0], &[2, 1]).broadcast_to(&Shape::new([2, 1 << 61])).unwrap();
    assert!(matches!(big.contiguous(), Err(Error::OutOfMemory { .. })));
    assert!(matches!(big.reshape([1 << 62]), Err(Error::OutOfMemory { .. })));
}

#[test]
fn permute_and_transpose_reorder_axes() {
    let x = iota();
    let p = x.permute(&[2, 0, 1]).unwrap();
    assert_eq!(p.dims(), &[4, 2, 3]);
    assert!(!p.is_contiguous());
    // p[k, i, j] = x[i, j, k] = 12i + 4j + k
    let want: Vec<f32> =
        (0..4).flat_map(|k| (0..2).flat_map(move |i| (0..3).map(move |j| (12 * i + 4 * j + k) as f32))).collect();
    assert_close(&p, &want, 0.0);
    assert_close(&x.transpose(0, -1).unwrap().transpose(0, 2).unwrap(), &range(24), 0.0);
    let err = x.permute(&[0, 0, 1]).unwrap_err();
    assert_eq!(err.to_string(), "permute: [0, 0, 1] is not a permutation of the axes of shape (2, 3, 4)");
    assert!(x.permute(&[0, 1]).is_err());
    assert!(x.permute(&[0, 1, 3]).is_err());
    assert!(matches!(x.transpose(0, 3), Err(Error::Axis { op: "transpose", .. })));
}

#[test]
fn unsqueeze_and_squeeze_add_and_remove_unit_axes() {
    let x = t(&[1.0, 2.0, 3.0], &[3]);
    assert_eq!(x.unsqueeze(0).unwrap().dims(), &[1, 3]);
    assert_eq!(x.unsqueeze(-1).unwrap().dims(), &[3, 1]);
    assert_eq!(x.unsqueeze(1).unwrap().dims(), &[3, 1]);
    assert_close(&x.unsqueeze(0).unwrap().squeeze(0).unwrap(), &[1.0, 2.0, 3.0], 0.0);
    assert_eq!(Tensor::scalar(1.0).unsqueeze(0).unwrap().dims(), &[1]);
    let err = x.unsqueeze(0).unwrap().squeeze(1).unwrap_err();
    assert_eq!(err.to_string(), "squeeze: axis 1 of shape (1, 3) has size 3, not 1");
    assert!(matches!(x.unsqueeze(3), Err(Error::Axis { op: "unsqueeze", .. })));
    // Unsqueezing a strided view keeps its element order.
    let v = iota().transpose(0, 2).unwrap().unsqueeze(1).unwrap();
    assert_eq!(v.dims(), &[4, 1, 3, 2]);
    assert_close(&v, &iota().transpose(0, 2).unwrap().contiguous().unwrap().to_vec_f32().unwrap(), 0.0);
}

#[test]
fn narrow_takes_a_window_and_checks_its_range() {
    let x = iota();
    let n = x.narrow(2, 1, 2).unwrap();
    assert_eq!(n.dims(), &[2, 3, 2]);
    let want: Vec<f32> = (0..6).flat_map(|r| [4 * r + 1, 4 * r + 2]).map(|v| v as f32).collect();
    assert_close(&n, &want, 0.0);
    assert_close(&x.narrow(-3, 1, 1).unwrap(), &range(24)[12..], 0.0);
    assert_eq!(x.narrow(1, 3, 0).unwrap().dims(), &[2, 0, 4]);
    let err = x.narrow(2, 3, 2).unwrap_err();
    assert_eq!(err.to_string(), "narrow: range 3..5 is outside axis 2 of size 4 (shape (2, 3, 4))");
    assert!(x.narrow(0, usize::MAX, 2).is_err());
}

// ----- copies -------------------------------------------------------------------------------

#[test]
fn concat_joins_along_any_axis() {
    let a = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = t(&[5.0, 6.0], &[2, 1]);
    let c = Tensor::concat(&[&a, &b], 1).unwrap();
    assert_eq!(c.dims(), &[2, 3]);
    assert_close(&c, &[1.0, 2.0, 5.0, 3.0, 4.0, 6.0], 0.0);
    let d = Tensor::concat(&[&a, &b.transpose(0, 1).unwrap()], 0).unwrap();
    assert_close(&d, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.0);
    // Empty pieces are allowed.
    let e = Tensor::zeros([2, 0]).unwrap();
    assert_close(&Tensor::concat(&[&e, &a, &e], -1).unwrap(), &[1.0, 2.0, 3.0, 4.0], 0.0);
}

#[test]
fn concat_errors_name_the_shapes() {
    let a = Tensor::zeros([2, 2]).unwrap();
    let b = Tensor::zeros([3, 1]).unwrap();
    let err = Tensor::concat(&[&a, &b], 1).unwrap_err();
    assert_eq!(err.to_string(), "concat: shapes (2, 2), (3, 1) differ outside axis 1");
    assert!(matches!(Tensor::concat(&[], 0), Err(Error::Argument { op: "concat", .. })));
    assert!(matches!(Tensor::concat(&[&a, &Tensor::zeros([2]).unwrap()], 0), Err(Error::Shape { .. })));
    assert!(matches!(Tensor::concat(&[&a], 2), Err(Error::Axis { op: "concat", .. })));
}

#[test]
fn stack_adds_a_new_axis() {
    let a = t(&[1.0, 2.0], &[2]);
    let b = t(&[3.0, 4.0], &[2]);
    let s0 = Tensor::stack(&[&a, &b], 0).unwrap();
    assert_eq!(s0.dims(), &[2, 2]);
    assert_close(&s0, &[1.0, 2.0, 3.0, 4.0], 0.0);
    let s1 = Tensor::stack(&[&a, &b], -1).unwrap();
    assert_close(&s1, &[1.0, 3.0, 2.0, 4.0], 0.0);
    let err = Tensor::stack(&[&a, &t(&[1.0], &[1])], 0).unwrap_err();
    assert_eq!(err.to_string(), "stack: all tensors must have one shape, got (2,) and (1,)");
    assert!(matches!(Tensor::stack(&[&a, &b], 2), Err(Error::Axis { .. })));
}

#[test]
fn split_cuts_pieces_that_add_up_to_the_axis() {
    let x = iota();
    let parts = x.split(&[1, 3], 2).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].dims(), &[2, 3, 1]);
    assert_eq!(parts[1].dims(), &[2, 3, 3]);
    let back = Tensor::concat(&[&parts[0], &parts[1]], 2).unwrap();
    assert_close(&back, &range(24), 0.0);
    let err = x.split(&[2, 3], 1).unwrap_err();
    assert_eq!(err.to_string(), "split: sizes [2, 3] do not add up to axis 1 of shape (2, 3, 4)");
}

#[test]
fn index_select_takes_entries_like_numpy_take() {
    let x = t(&range(6), &[2, 3]);
    let idx = Tensor::from_vec_i64(vec![2, 0, -1], [3]).unwrap();
    assert_close(&x.index_select(1, &idx).unwrap(), &[2.0, 0.0, 2.0, 5.0, 3.0, 5.0], 0.0);
    // An index tensor of rank 2 replaces the axis with its own shape (embedding lookup).
    let ids = Tensor::from_vec_i64(vec![1, 1, 0, 1], [2, 2]).unwrap();
    let e = x.index_select(0, &ids).unwrap();
    assert_eq!(e.dims(), &[2, 2, 3]);
    assert_close(&e, &[3.0, 4.0, 5.0, 3.0, 4.0, 5.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 0.0);
    // A rank-0 index drops the axis; a view input is read in logical order.
    let one = Tensor::from_vec_i64(vec![1], Shape::scalar()).unwrap();
    assert_close(&x.transpose(0, 1).unwrap().index_select(0, &one).unwrap(), &[1.0, 4.0], 0.0);
}

#[test]
fn index_select_gathers_int64_tensors_without_a_gradient() {
    let labels = Tensor::from_vec_i64((0..6).collect(), [3, 2]).unwrap();
    let rows = labels.index_select(0, &Tensor::from_vec_i64(vec![2, 0], [2]).unwrap()).unwrap();
    assert_eq!(
        (rows.dtype(), rows.dims(), rows.to_vec_i64().unwrap()),
        (DType::I64, &[2usize, 2][..], vec![4, 5, 0, 1])
    );
    let cols = labels.index_select(-1, &Tensor::from_vec_i64(vec![1], [1]).unwrap()).unwrap();
    assert_eq!(cols.to_vec_i64().unwrap(), [1, 3, 5]);
    assert!(!rows.tracks_grad());
}

#[test]
fn index_select_out_of_range_is_an_index_error() {
    let x = Tensor::zeros([2, 3]).unwrap();
    let err = x.index_select(1, &Tensor::from_vec_i64(vec![0, 3], [2]).unwrap()).unwrap_err();
    assert!(matches!(err, Error::Index { op: "index_select", index: 3, size: 3 }));
    assert_eq!(err.to_string(), "index_select: index 3 is out of range for an axis of size 3");
    let err = x.index_select(0, &Tensor::from_vec_i64(vec![-3], [1]).unwrap()).unwrap_err();
    assert!(matches!(err, Error::Index { index: -3, size: 2, .. }));
    assert!(matches!(x.index_select(0, &t(&[0.0], &[1])), Err(Error::DType { .. })));
    assert!(matches!(x.index_select(2, &Tensor::from_vec_i64(vec![0], [1]).unwrap()), Err(Error::Axis { .. })));
}

#[test]
fn pad_surrounds_with_a_value() {
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let p = x.pad(&[(1, 0), (0, 2)], -1.0).unwrap();
    assert_eq!(p.dims(), &[3, 4]);
    assert_close(&p, &[-1.0, -1.0, -1.0, -1.0, 1.0, 2.0, -1.0, -1.0, 3.0, 4.0, -1.0, -1.0], 0.0);
    let q = x.transpose(0, 1).unwrap().pad(&[(0, 0), (1, 1)], 0.0).unwrap();
    assert_close(&q, &[0.0, 1.0, 3.0, 0.0, 0.0, 2.0, 4.0, 0.0], 0.0);
    let err = x.pad(&[(1, 1)], 0.0).unwrap_err();
    assert_eq!(err.to_string(), "pad: got 1 (before, after) pairs for a tensor of rank 2 (shape (2, 2))");
    assert!(matches!(x.pad(&[(usize::MAX, 1), (0, 0)], 0.0), Err(Error::Argument { op: "pad", .. })));
}

// ----- gradient checks --------------------------------------------------------------------

fn input(shape: &[usize], seed: u64) -> Tensor {
    uniform(shape, -2.0, 2.0, seed)
}

/// A nonlinearity after a movement op, so that a wrong routing of the gradient shows
/// as a wrong value, not just a wrong sum.
fn after(x: Tensor) -> fovea_core::Result<Tensor> {
    x.tanh()
}

#[test]
fn reshape_family_gradients_match_finite_differences() {
    assert_gradients(|v| after(v[0].reshape([4, 6])?), &[input(&[2, 3, 4], 1)]);
    assert_gradients(|v| after(v[0].transpose(0, 2)?.reshape([12, 2])?), &[input(&[2, 3, 4], 2)]);
    assert_gradients(|v| after(v[0].reshape_infer(&[-1, 3])?), &[input(&[2, 3, 2], 3)]);
    assert_gradients(|v| after(v[0].flatten(1, 2)?), &[input(&[2, 3, 4], 4)]);
}

#[test]
fn broadcast_to_gradient_matches_finite_differences() {
    assert_gradients(|v| after(v[0].broadcast_to(&Shape::new([2, 3, 4]))?), &[input(&[3, 1], 5)]);
    assert_gradients(|v| after(v[0].broadcast_to(&Shape::new([2, 3]))?), &[input(&[], 6)]);
}

#[test]
fn permute_and_transpose_gradients_match_finite_differences() {
    assert_gradients(|v| after(v[0].permute(&[1, 2, 0])?)?.mul(&v[1]), &[input(&[2, 3, 4], 7), input(&[2], 8)]);
    assert_gradients(|v| after(v[0].transpose(-1, 0)?), &[input(&[2, 3, 4], 9)]);
}

#[test]
fn unsqueeze_and_squeeze_gradients_match_finite_differences() {
    assert_gradients(|v| after(v[0].unsqueeze(1)?)?.mul(&v[1]), &[input(&[2, 3], 10), input(&[4, 3], 11)]);
    assert_gradients(|v| after(v[0].squeeze(1)?), &[input(&[2, 1, 3], 12)]);
}

#[test]
fn narrow_gradient_matches_finite_differences() {
    assert_gradients(|v| after(v[0].narrow(1, 1, 2)?), &[input(&[2, 4, 3], 13)]);
    // Two overlapping windows of one tensor: their gradients add up.
    assert_gradients(|v| v[0].narrow(0, 0, 3)?.mul(&v[0].narrow(0, 1, 3)?), &[input(&[4, 2], 14)]);
}

#[test]
fn concat_and_stack_gradients_match_finite_differences() {
    assert_gradients(
        |v| after(Tensor::concat(&[&v[0], &v[1], &v[2]], 1)?),
        &[input(&[2, 1, 3], 15), input(&[2, 2, 3], 16), input(&[2, 3, 3], 17)],
    );
    assert_gradients(
        |v| after(Tensor::concat(&[&v[0].transpose(0, 1)?, &v[1]], 0)?),
        &[input(&[3, 2], 18), input(&[1, 3], 19)],
    );
    assert_gradients(|v| after(Tensor::stack(&[&v[0], &v[1]], 1)?), &[input(&[3, 2], 20), input(&[3, 2], 21)]);
}

#[test]
fn split_gradient_matches_finite_differences() {
    assert_gradients(
        |v| {
            let p = v[0].split(&[1, 2, 1], 1)?;
            // Recombined in another order and with different weights per piece.
            Tensor::concat(&[&p[2].mul_scalar(3.0)?, &p[0].square()?, &p[1]], 1)
        },
        &[input(&[2, 4], 22)],
    );
}

#[test]
fn index_select_gradient_matches_finite_differences_with_repeats() {
    let idx = Tensor::from_vec_i64(vec![2, 0, 2, -1], [2, 2]).unwrap();
    assert_gradients(|v| after(v[0].index_select(1, &idx)?), &[input(&[2, 3, 2], 23)]);
    let ids = Tensor::from_vec_i64(vec![1, 1, 3], [3]).unwrap();
    assert_gradients(|v| after(v[0].index_select(0, &ids)?), &[input(&[4, 2], 24)]);
}

#[test]
fn pad_gradient_matches_finite_differences() {
    assert_gradients(
        |v| after(v[0].pad(&[(1, 0), (2, 1)], 0.5)?)?.mul(&v[1]),
        &[input(&[2, 3], 25), input(&[3, 6], 26)],
    );
}

#[test]
fn contiguous_gradient_matches_finite_differences() {
    assert_gradients(|v| after(v[0].permute(&[2, 0, 1])?.contiguous()?), &[input(&[2, 3, 4], 27)]);
}

#[test]
fn chained_views_feeding_arithmetic_have_correct_gradients() {
    assert_gradients(
        |v| {
            let a = v[0].permute(&[2, 0, 1])?.narrow(1, 1, 2)?; // (4, 2, 3) -> (4, 1..3, 3)
            a.mul(&v[1])?.sum(&[0], false)
        },
        &[input(&[3, 3, 4], 28), input(&[2, 1], 29)],
    );
}
