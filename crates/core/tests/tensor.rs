//! Tensor basics: constructors and their errors, out-of-memory as an error,
//! contiguous copies, dtype round trips, in-place updates; and the seeded RNG.

mod common;

use common::{assert_close, t};
use fovea_core::{set_num_threads, DType, Error, Rng, Shape, Tensor};

// ----- construction ------------------------------------------------------------------

#[test]
fn constructors_fill_the_requested_shape() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).unwrap();
    assert_eq!((x.rank(), x.numel(), x.dims()), (2, 6, &[2usize, 3][..]));
    assert_eq!(x.dim(-1).unwrap(), 3);
    assert!(x.dim(2).is_err());
    assert_eq!(x.dtype(), DType::F32);
    assert!(x.is_contiguous());
    assert_close(&Tensor::from_slice(&[7.0, 8.0], [2]).unwrap(), &[7.0, 8.0], 0.0);
    assert_close(&Tensor::full([2, 2], 2.5).unwrap(), &[2.5; 4], 0.0);
    assert_close(&Tensor::zeros([3]).unwrap(), &[0.0; 3], 0.0);
    assert_close(&Tensor::ones([1, 2]).unwrap(), &[1.0; 2], 0.0);
    assert_close(&x.zeros_like().unwrap(), &[0.0; 6], 0.0);
    assert_eq!(x.zeros_like().unwrap().dims(), &[2, 3]);
    assert_close(&Tensor::arange(4).unwrap(), &[0.0, 1.0, 2.0, 3.0], 0.0);
    let s = Tensor::scalar(4.5);
    assert_eq!((s.rank(), s.numel()), (0, 1));
    assert_eq!(s.to_scalar().unwrap(), 4.5);
    assert_eq!(Tensor::zeros([0, 5]).unwrap().numel(), 0);
    assert_eq!(Tensor::from_vec(vec![], [3, 0]).unwrap().to_vec_f32().unwrap(), Vec::<f32>::new());
}

#[test]
fn data_that_does_not_fill_the_shape_is_an_error() {
    let err = Tensor::from_vec(vec![1.0; 5], [2, 3]).unwrap_err();
    assert!(matches!(err, Error::Shape { op: "from_vec", .. }));
    assert_eq!(err.to_string(), "from_vec: 5 values do not fill shape (2, 3) (6 elements)");
    assert!(matches!(Tensor::from_vec_i64(vec![1], [2]), Err(Error::Shape { op: "from_vec_i64", .. })));
    assert!(Tensor::from_vec(vec![1.0], [usize::MAX, 2]).is_err());
    let err = t(&[1.0, 2.0], &[2]).to_scalar().unwrap_err();
    assert_eq!(err.to_string(), "to_scalar: expected one element, got shape (2,)");
}

#[test]
fn impossible_allocations_are_out_of_memory_errors_not_aborts() {
    let err = Tensor::zeros([1 << 40, 1 << 30]).unwrap_err();
    assert!(matches!(err, Error::OutOfMemory { op: "full", .. }));
    assert!(
        err.to_string().starts_with("full: cannot allocate a tensor of shape (1099511627776, 1073741824)"),
        "{err}"
    );
    // The element count fits in usize, the byte count in no address space.
    assert!(matches!(Tensor::ones([1 << 62]), Err(Error::OutOfMemory { .. })));
    assert!(matches!(Tensor::full([1 << 31, 1 << 31], 1.0), Err(Error::OutOfMemory { .. })));
    assert!(matches!(Tensor::arange(1 << 62), Err(Error::OutOfMemory { op: "arange", .. })));
}

#[test]
fn debug_output_names_shape_and_dtype() {
    let s = format!("{:?}", t(&[1.0, 2.0], &[2, 1]));
    assert!(s.starts_with("Tensor(shape=(2, 1), dtype=float32, data=[1.0, 2.0]"), "{s}");
}

// ----- contiguous ------------------------------------------------------------------------

#[test]
fn contiguous_copies_a_view_in_logical_order() {
    let x = Tensor::arange(6).unwrap().reshape([2, 3]).unwrap();
    let v = x.transpose(0, 1).unwrap();
    assert!(!v.is_contiguous());
    let c = v.contiguous().unwrap();
    assert!(c.is_contiguous());
    assert_eq!(c.dims(), &[3, 2]);
    assert_close(&c, &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0], 0.0);
    // The copy owns its data.
    x.update_f32(|d| d[1] = 100.0).unwrap();
    assert_close(&c, &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0], 0.0);
    assert_close(&v, &[0.0, 3.0, 100.0, 4.0, 2.0, 5.0], 0.0);
    // Already contiguous: the same tensor back.
    assert_eq!(x.contiguous().unwrap().id(), x.id());
    // A broadcast view materialises its repeats.
    let b = t(&[1.0, 2.0], &[2, 1]).broadcast_to(&Shape::new([2, 3])).unwrap();
    assert_close(&b.contiguous().unwrap(), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0], 0.0);
}

// ----- dtypes ------------------------------------------------------------------------------

#[test]
fn f16_and_bf16_round_trip_representable_values_exactly() {
    let exact = [0.5, -2.0, 1024.0, 0.0, -0.125, 3.0];
    let x = t(&exact, &[2, 3]);
    for dtype in [DType::F16, DType::BF16] {
        let h = x.to_dtype(dtype).unwrap();
        assert_eq!(h.dtype(), dtype);
        assert_eq!(h.dims(), &[2, 3]);
        let back = h.to_dtype(DType::F32).unwrap();
        assert_eq!(back.dtype(), DType::F32);
        assert_close(&back, &exact, 0.0);
    }
}

#[test]
fn f16_and_bf16_round_to_their_precision() {
    let x = t(&[0.1, 70000.0, 1.0 + 1.0 / 512.0], &[3]);
    // f16: 10 fraction bits, largest finite 65504.
    assert_close(&x.to_dtype(DType::F16).unwrap(), &[0.099_975_586, f32::INFINITY, 1.001_953_1], 0.0);
    // bf16: 7 fraction bits, f32's range.
    assert_close(&x.to_dtype(DType::BF16).unwrap(), &[0.100_097_656, 70144.0, 1.0], 0.0);
}

#[test]
fn int64_conversion_truncates_toward_zero_and_round_trips() {
    let x = t(&[2.7, -2.7, 0.0, 1e10], &[4]);
    let i = x.to_dtype(DType::I64).unwrap();
    assert_eq!(i.dtype(), DType::I64);
    assert_eq!(i.to_vec_i64().unwrap(), vec![2, -2, 0, 10_000_000_000]);
    assert_close(&i.to_dtype(DType::F32).unwrap(), &[2.0, -2.0, 0.0, 1e10], 0.0);
    assert_eq!(i.to_dtype(DType::I64).unwrap().to_vec_i64().unwrap(), vec![2, -2, 0, 10_000_000_000]);
    assert!(matches!(x.to_vec_i64(), Err(Error::DType { op: "to_vec_i64", .. })));
}

#[test]
fn dtype_conversion_of_a_view_keeps_logical_order() {
    let v = Tensor::arange(6).unwrap().reshape([2, 3]).unwrap().transpose(0, 1).unwrap();
    let h = v.to_dtype(DType::F16).unwrap();
    assert_close(&h, &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0], 0.0);
    let i = v.to_dtype(DType::I64).unwrap();
    assert_eq!(i.to_vec_i64().unwrap(), vec![0, 3, 1, 4, 2, 5]);
    // Half-precision views copy and convert too.
    let hv = h.transpose(0, 1).unwrap();
    assert_close(&hv.contiguous().unwrap(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 0.0);
    assert_close(&hv.to_dtype(DType::BF16).unwrap(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 0.0);
}

#[test]
fn half_precision_tensors_are_rejected_by_f32_kernels() {
    let h = t(&[1.0, 2.0], &[2]).to_dtype(DType::F16).unwrap();
    assert!(matches!(h.exp(), Err(Error::DType { op: "exp", dtype: DType::F16, .. })));
    assert!(matches!(h.sum_all(), Err(Error::DType { dtype: DType::F16, .. })));
}

// ----- in-place updates -------------------------------------------------------------------

#[test]
fn update_f32_changes_every_tensor_sharing_the_storage() {
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let leaf = x.requires_grad();
    let row = x.narrow(0, 1, 1).unwrap();
    leaf.update_f32(|d| d.iter_mut().for_each(|v| *v *= 10.0)).unwrap();
    assert_close(&x, &[10.0, 20.0, 30.0, 40.0], 0.0);
    assert_close(&row, &[30.0, 40.0], 0.0);
    // A contiguous window updates only its own elements.
    row.update_f32(|d| d[0] = -1.0).unwrap();
    assert_close(&x, &[10.0, 20.0, -1.0, 40.0], 0.0);
}

#[test]
fn update_f32_refuses_strided_views_and_other_dtypes() {
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let err = x.transpose(0, 1).unwrap().update_f32(|_| {}).unwrap_err();
    assert_eq!(err.to_string(), "update_f32: tensor of shape (2, 2) is a strided view");
    let i = Tensor::from_vec_i64(vec![1], [1]).unwrap();
    assert!(matches!(i.update_f32(|_| {}), Err(Error::DType { .. })));
}

#[test]
fn assign_copies_values_in_place() {
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let alias = x.reshape([4]).unwrap();
    x.assign(&t(&[5.0, 6.0, 7.0, 8.0], &[2, 2]).transpose(0, 1).unwrap()).unwrap();
    assert_close(&x, &[5.0, 7.0, 6.0, 8.0], 0.0);
    assert_close(&alias, &[5.0, 7.0, 6.0, 8.0], 0.0);
    let err = x.assign(&t(&[1.0, 2.0], &[2])).unwrap_err();
    assert_eq!(err.to_string(), "assign: cannot assign shape (2,) to shape (2, 2)");
}

// ----- RNG ------------------------------------------------------------------------------

#[test]
fn rng_is_reproducible_per_seed_and_per_draw() {
    let a = Rng::new(42).normal([64], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    let b = Rng::new(42).normal([64], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    let c = Rng::new(43).normal([64], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Successive draws differ; a clone replays the same sequence.
    let mut r = Rng::new(7);
    let mut replay = r.clone();
    let first = r.uniform([8], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    let second = r.uniform([8], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    assert_ne!(first, second);
    assert_eq!(replay.uniform([8], 0.0, 1.0).unwrap().to_vec_f32().unwrap(), first);
    assert_eq!(r.seed(), 7);
}

#[test]
fn forked_generators_are_independent_and_reproducible() {
    let mut parent = Rng::new(1);
    let mut a = parent.fork();
    let mut b = parent.fork();
    let (va, vb) = (a.next_u64(), b.next_u64());
    assert_ne!(va, vb);
    let mut again = Rng::new(1);
    assert_eq!(again.fork().next_u64(), va);
}

#[test]
fn rng_values_do_not_depend_on_the_thread_count() {
    // Large enough to be split into several parallel chunks.
    set_num_threads(1).unwrap();
    let one = Rng::new(5).truncated_normal([100_000], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    set_num_threads(2).unwrap();
    let two = Rng::new(5).truncated_normal([100_000], 0.0, 1.0).unwrap().to_vec_f32().unwrap();
    assert_eq!(one, two);
}

#[test]
fn rng_distributions_respect_their_parameters() {
    let mut r = Rng::new(3);
    assert_close(&r.uniform([4], 2.0, 2.0).unwrap(), &[2.0; 4], 0.0);
    assert_close(&r.normal([4], 1.5, 0.0).unwrap(), &[1.5; 4], 0.0);
    assert_close(&r.bernoulli([16], 0.0).unwrap(), &[0.0; 16], 0.0);
    assert_close(&r.bernoulli([16], 1.0).unwrap(), &[1.0; 16], 0.0);
    let u = r.uniform([1000], -1.0, 1.0).unwrap().to_vec_f32().unwrap();
    assert!(u.iter().all(|v| (-1.0..1.0).contains(v)));
    assert!(u.iter().any(|&v| v < -0.9) && u.iter().any(|&v| v > 0.9));
    assert_eq!(r.permutation(0), Vec::<usize>::new());
    assert_eq!(r.permutation(1), vec![0]);
}

#[test]
fn rng_rejects_bad_parameters() {
    let mut r = Rng::new(0);
    assert_eq!(
        r.uniform([2], 1.0, 0.0).unwrap_err().to_string(),
        "uniform: need finite low <= high, got low=1, high=0"
    );
    assert!(matches!(r.uniform([2], f32::NEG_INFINITY, 0.0), Err(Error::Argument { op: "uniform", .. })));
    assert!(matches!(r.normal([2], 0.0, -1.0), Err(Error::Argument { op: "normal", .. })));
    assert!(matches!(r.normal([2], f32::NAN, 1.0), Err(Error::Argument { op: "normal", .. })));
    assert!(matches!(r.truncated_normal([2], 0.0, f32::INFINITY), Err(Error::Argument { .. })));
    assert!(matches!(r.bernoulli([2], -0.1), Err(Error::Argument { op: "bernoulli", .. })));
    assert!(matches!(r.bernoulli([2], f32::NAN), Err(Error::Argument { op: "bernoulli", .. })));
    assert!(matches!(r.normal([1 << 62], 0.0, 1.0), Err(Error::OutOfMemory { .. })));
}
