//! `Tensor::matmul`: exact small products, numpy's shape rules, error messages, and
//! finite-difference gradients (plain, batched with broadcasting, transposed, 1-D).

use fovea_core::{check_gradients, GradCheck, Rng, Tensor};

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(data, shape).unwrap()
}

fn rand(shape: &[usize], seed: u64) -> Tensor {
    Rng::new(seed).uniform(shape, -1.0, 1.0).unwrap()
}

fn matmul_err(a: &[usize], b: &[usize]) -> String {
    let a = Tensor::zeros(a).unwrap();
    let b = Tensor::zeros(b).unwrap();
    a.matmul(&b).unwrap_err().to_string()
}

#[test]
fn two_by_three_times_three_by_two() {
    let a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let b = t(&[7., 8., 9., 10., 11., 12.], &[3, 2]);
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.dims(), &[2, 2]);
    assert_eq!(c.to_vec_f32().unwrap(), vec![58., 64., 139., 154.]);
}

#[test]
fn transposed_view_operand_gives_the_transpose_product() {
    // b stored as (2, 3); its transpose view is (3, 2) = [[7, 10], [8, 11], [9, 12]].
    let a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let bt = t(&[7., 8., 9., 10., 11., 12.], &[2, 3]).transpose(-1, -2).unwrap();
    assert!(!bt.is_contiguous());
    assert_eq!(a.matmul(&bt).unwrap().to_vec_f32().unwrap(), vec![50., 68., 122., 167.]);
    // a^T a through two views of one tensor.
    let at = a.transpose(0, 1).unwrap();
    assert_eq!(at.matmul(&a).unwrap().to_vec_f32().unwrap(), vec![17., 22., 27., 22., 29., 36., 27., 36., 45.]);
}

#[test]
fn one_d_operands_drop_their_axis() {
    let v = t(&[1., 2., 3.], &[3]);
    let m = t(&[1., 0., 0., 1., 1., 1.], &[3, 2]);
    let vm = v.matmul(&m).unwrap();
    assert_eq!(vm.dims(), &[2]);
    assert_eq!(vm.to_vec_f32().unwrap(), vec![4., 5.]);
    let mt = m.transpose(0, 1).unwrap(); // (2, 3)
    let mv = mt.matmul(&v).unwrap();
    assert_eq!(mv.dims(), &[2]);
    assert_eq!(mv.to_vec_f32().unwrap(), vec![4., 5.]);
    let dot = v.matmul(&v).unwrap();
    assert_eq!(dot.rank(), 0);
    assert_eq!(dot.to_scalar().unwrap(), 14.0);
}

#[test]
fn batch_axes_broadcast_like_numpy() {
    let a = rand(&[3, 1, 2, 4], 1);
    let b = rand(&[2, 4, 5], 2);
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.dims(), &[3, 2, 2, 5]);
    // Entry (i, j) is a[i, 0] @ b[j].
    let (i, j) = (2, 1);
    let ai = a.narrow(0, i, 1).unwrap().reshape([2, 4]).unwrap();
    let bj = b.narrow(0, j, 1).unwrap().reshape([4, 5]).unwrap();
    let want = ai.matmul(&bj).unwrap().to_vec_f32().unwrap();
    let got = c.narrow(0, i, 1).unwrap().narrow(1, j, 1).unwrap().to_vec_f32().unwrap();
    assert_eq!(got, want);
    // A 1-D lhs against a batch: (4,) x (2, 4, 5) -> (2, 5).
    assert_eq!(t(&[1.0; 4], &[4]).matmul(&b).unwrap().dims(), &[2, 5]);
}

#[test]
fn empty_inner_dimension_gives_zeros() {
    let a = Tensor::zeros([2, 0]).unwrap();
    let b = Tensor::zeros([0, 3]).unwrap();
    assert_eq!(a.matmul(&b).unwrap().to_vec_f32().unwrap(), vec![0.0; 6]);
    assert_eq!(Tensor::zeros([0, 4]).unwrap().matmul(&Tensor::zeros([4, 3]).unwrap()).unwrap().dims(), &[0, 3]);
}

#[test]
fn mismatched_inner_dimensions_name_both_shapes() {
    assert_eq!(matmul_err(&[2, 3], &[4, 5]), "matmul: (2, 3) x (4, 5): inner dimensions 3 and 4 differ");
    assert_eq!(matmul_err(&[3], &[4]), "matmul: (3,) x (4,): inner dimensions 3 and 4 differ");
}

#[test]
fn unbroadcastable_batches_and_scalars_are_errors() {
    assert_eq!(
        matmul_err(&[2, 3, 4], &[5, 4, 2]),
        "matmul: (2, 3, 4) x (5, 4, 2): batch dimensions (2,) and (5,) do not broadcast"
    );
    assert_eq!(matmul_err(&[], &[3]), "matmul: () x (3,): both operands need at least one dimension");
}

#[test]
fn integer_operands_are_a_dtype_error() {
    let a = Tensor::from_vec_i64(vec![1, 2], [1, 2]).unwrap();
    let b = Tensor::ones([2, 1]).unwrap();
    assert!(a.matmul(&b).unwrap_err().to_string().starts_with("matmul: dtype"));
}

fn check(f: impl Fn(&[Tensor]) -> fovea_core::Result<Tensor>, inputs: &[Tensor]) {
    let n = check_gradients(f, inputs, GradCheck::default()).unwrap();
    assert_eq!(n, inputs.iter().map(Tensor::numel).sum::<usize>());
}

#[test]
fn gradients_of_a_plain_product() {
    check(|x| x[0].matmul(&x[1]), &[rand(&[3, 4], 3), rand(&[4, 5], 4)]);
}

#[test]
fn gradients_through_broadcast_batches() {
    check(|x| x[0].matmul(&x[1]), &[rand(&[3, 1, 2, 4], 5), rand(&[2, 4, 3], 6)]);
    check(|x| x[0].matmul(&x[1]), &[rand(&[2, 3], 7), rand(&[4, 3, 2], 8)]);
}

#[test]
fn gradients_through_transposed_operands() {
    check(|x| x[0].transpose(-1, -2)?.matmul(&x[1]), &[rand(&[2, 4, 3], 9), rand(&[2, 4, 5], 10)]);
    check(|x| x[0].matmul(&x[1].transpose(-1, -2)?), &[rand(&[3, 4], 11), rand(&[2, 5, 4], 12)]);
}

#[test]
fn gradients_of_one_d_operands() {
    check(|x| x[0].matmul(&x[1]), &[rand(&[4], 13), rand(&[2, 4, 3], 14)]);
    check(|x| x[0].matmul(&x[1]), &[rand(&[3, 4], 15), rand(&[4], 16)]);
    check(|x| x[0].matmul(&x[1]), &[rand(&[5], 17), rand(&[5], 18)]);
}

#[test]
fn self_product_gets_both_gradient_contributions() {
    // d/dA sum(A @ A) for A = [[1, 2], [3, 4]]: G @ A^T + A^T @ G with G all ones.
    let a = t(&[1., 2., 3., 4.], &[2, 2]).requires_grad();
    let grads = a.matmul(&a).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.get(&a).unwrap().to_vec_f32().unwrap(), vec![7., 11., 9., 13.]);
}
