//! Element-wise ops: activation values against their closed forms, broadcasting,
//! comparisons and `where_`, errors, and a finite-difference gradient check for every
//! differentiable op on contiguous inputs, on strided views and under broadcasting.

mod common;

use common::{assert_close, assert_gradients, away_from_zero, bands, grid, t, uniform};
use fovea_core::{Error, Shape, Tensor};

// ----- values ----------------------------------------------------------------------

/// Expected values come from Python's `math` module applied to each op's definition,
/// e.g. gelu: `0.5*x*(1+math.erf(x/math.sqrt(2)))`, gelu_tanh:
/// `0.5*x*(1+math.tanh(math.sqrt(2/math.pi)*(x+0.044715*x**3)))`, selu:
/// `1.0507009873554805*1.6732632423543772*math.expm1(x)` for x <= 0.
#[test]
fn activations_match_their_closed_forms() {
    let x = t(&[1.0, -1.0, 0.5, -3.0, 3.0], &[5]);
    assert_close(
        &x.gelu(false).unwrap(),
        &[0.841_344_7, -0.158_655_25, 0.345_731_23, -0.004_049_694, 2.995_950_3],
        1e-6,
    );
    assert_close(&x.gelu(true).unwrap(), &[0.841_192, -0.158_808, 0.345_714, -0.003_637_392, 2.996_362_6], 1e-6);
    assert_close(&x.selu().unwrap(), &[1.050_701, -1.111_330_7, 0.525_350_5, -1.670_568_7, 3.152_103], 1e-6);
    assert_close(&x.elu(1.0).unwrap(), &[1.0, -0.632_120_56, 0.5, -0.950_212_9, 3.0], 1e-6);
    assert_close(&x.elu(0.5).unwrap(), &[1.0, -0.316_060_28, 0.5, -0.475_106_47, 3.0], 1e-6);
    assert_close(&x.sigmoid().unwrap(), &[0.731_058_6, 0.268_941_42, 0.622_459_3, 0.047_425_874, 0.952_574_1], 1e-6);
    assert_close(&x.silu().unwrap(), &[0.731_058_6, -0.268_941_42, 0.311_229_65, -0.142_277_62, 2.857_722_3], 1e-6);
    assert_close(&x.softplus().unwrap(), &[1.313_261_7, 0.313_261_7, 0.974_076_9, 0.048_587_352, 3.048_587_3], 1e-6);
    assert_close(&x.softsign().unwrap(), &[0.5, -0.5, 1.0 / 3.0, -0.75, 0.75], 1e-7);
    assert_close(&x.hard_sigmoid().unwrap(), &[0.666_666_7, 0.333_333_34, 0.583_333_3, 0.0, 1.0], 1e-7);
    assert_close(&x.tanh().unwrap(), &[0.761_594_2, -0.761_594_2, 0.462_117_2, -0.995_054_8, 0.995_054_8], 1e-6);
    assert_close(&x.leaky_relu(0.2).unwrap(), &[1.0, -0.2, 0.5, -0.6, 3.0], 1e-7);
    assert_close(&x.relu().unwrap(), &[1.0, 0.0, 0.5, 0.0, 3.0], 0.0);
    assert_close(&t(&[-1.0, 3.0, 7.0], &[3]).relu6().unwrap(), &[0.0, 3.0, 6.0], 0.0);
}

#[test]
fn math_functions_match_known_values() {
    let x = t(&[4.0, 0.25, 2.0], &[3]);
    assert_close(&x.sqrt().unwrap(), &[2.0, 0.5, std::f32::consts::SQRT_2], 1e-7);
    assert_close(&x.rsqrt().unwrap(), &[0.5, 2.0, std::f32::consts::FRAC_1_SQRT_2], 1e-7);
    assert_close(&x.recip().unwrap(), &[0.25, 4.0, 0.5], 0.0);
    assert_close(&x.log().unwrap(), &[1.386_294_4, -1.386_294_4, std::f32::consts::LN_2], 1e-7);
    assert_close(&t(&[1.0, -2.0], &[2]).exp().unwrap(), &[std::f32::consts::E, 0.135_335_28], 1e-7);
    assert_close(&t(&[-3.0, 2.0], &[2]).square().unwrap(), &[9.0, 4.0], 0.0);
    assert_close(&t(&[-3.0, 2.0], &[2]).abs().unwrap(), &[3.0, 2.0], 0.0);
    assert_close(&t(&[-3.0, 2.0], &[2]).neg().unwrap(), &[3.0, -2.0], 0.0);
    assert_close(&t(&[2.0, 4.0], &[2]).powf(1.5).unwrap(), &[2.828_427, 8.0], 1e-7);
    assert_close(&t(&[-3.0, 0.5, 4.0], &[3]).clamp(-1.0, 2.0).unwrap(), &[-1.0, 0.5, 2.0], 0.0);
    assert_close(&t(&[1.0, -2.0], &[2]).add_scalar(0.5).unwrap(), &[1.5, -1.5], 0.0);
    assert_close(&t(&[1.0, -2.0], &[2]).mul_scalar(-3.0).unwrap(), &[-3.0, 6.0], 0.0);
}

#[test]
fn activations_stay_finite_at_extreme_inputs() {
    let x = t(&[-100.0, 100.0], &[2]);
    assert_close(&x.softplus().unwrap(), &[0.0, 100.0], 1e-7);
    let s = x.sigmoid().unwrap().to_vec_f32().unwrap();
    assert!(s[0].is_finite() && (0.0..1e-40).contains(&s[0]), "sigmoid(-100) = {}", s[0]);
    assert_eq!(s[1], 1.0);
    assert_close(&x.tanh().unwrap(), &[-1.0, 1.0], 0.0);
    assert_close(&x.silu().unwrap(), &[0.0, 100.0], 1e-7);
    assert_close(&x.gelu(false).unwrap(), &[0.0, 100.0], 1e-7);
    assert_close(&x.gelu(true).unwrap(), &[0.0, 100.0], 1e-7);
    assert_close(&x.elu(1.0).unwrap(), &[-1.0, 100.0], 1e-7);
    assert_close(&x.selu().unwrap(), &[-1.758_099_3, 105.070_1], 1e-7);
    assert_close(&x.softsign().unwrap(), &[-0.990_099, 0.990_099], 1e-6);
    // The gradients of the saturating ones vanish instead of turning into NaN.
    for f in [Tensor::sigmoid, Tensor::softplus, Tensor::silu, Tensor::tanh] {
        let v = x.requires_grad();
        let g = f(&v).unwrap().sum_all().unwrap().backward().unwrap();
        let g = g.get(&v).unwrap().to_vec_f32().unwrap();
        assert!(g.iter().all(|d| d.is_finite()), "{g:?}");
    }
}

#[test]
fn hard_sigmoid_is_keras3_relu6_of_x_plus_3_over_6() {
    let x = Tensor::arange(41).unwrap().mul_scalar(0.25).unwrap().add_scalar(-5.0).unwrap();
    let keras = x.add_scalar(3.0).unwrap().relu6().unwrap().mul_scalar(1.0 / 6.0).unwrap();
    assert_close(&x.hard_sigmoid().unwrap(), &keras.to_vec_f32().unwrap(), 1e-7);
    assert_close(&t(&[1.0], &[1]).hard_sigmoid().unwrap(), &[0.666_666_7], 1e-7);
}

#[test]
fn unary_ops_read_strided_views_in_logical_order() {
    let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let view = x.transpose(0, 1).unwrap().narrow(0, 1, 2).unwrap(); // [[2, 5], [3, 6]]
    assert_close(&view.square().unwrap(), &[4.0, 25.0, 9.0, 36.0], 0.0);
    assert_eq!(view.square().unwrap().dims(), &[2, 2]);
}

#[test]
fn nan_passes_through_every_activation() {
    // numpy's clip and maximum(x, 0) keep NaN; zeroing it would hide a diverging net.
    let x = t(&[f32::NAN, 5.0], &[2]);
    assert_close(&x.clamp(-1.0, 1.0).unwrap(), &[f32::NAN, 1.0], 0.0);
    assert_close(&x.relu().unwrap(), &[f32::NAN, 5.0], 0.0);
    let ops: [fn(&Tensor) -> fovea_core::Result<Tensor>; 10] = [
        Tensor::relu6,
        Tensor::sigmoid,
        Tensor::tanh,
        Tensor::softplus,
        Tensor::softsign,
        Tensor::hard_sigmoid,
        Tensor::silu,
        Tensor::selu,
        |x| x.gelu(false),
        |x| x.leaky_relu(0.2),
    ];
    for f in ops {
        assert!(f(&x).unwrap().to_vec_f32().unwrap()[0].is_nan());
    }
}

// ----- binary ops, broadcasting, comparisons, where ---------------------------------

#[test]
fn binary_ops_broadcast_like_numpy() {
    let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3, 1]);
    let b = t(&[10.0, 20.0, 30.0, 40.0], &[4]);
    let sum = a.add(&b).unwrap();
    assert_eq!(sum.dims(), &[2, 3, 4]);
    let want: Vec<f32> = (1..=6).flat_map(|i| [10.0, 20.0, 30.0, 40.0].map(|j| i as f32 + j)).collect();
    assert_close(&sum, &want, 0.0);
    assert_close(&a.sub(&Tensor::scalar(1.0)).unwrap(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 0.0);
    let c = t(&[1.0, 2.0], &[2, 1]);
    let d = t(&[3.0, 4.0, 5.0], &[1, 3]);
    assert_close(&c.mul(&d).unwrap(), &[3.0, 4.0, 5.0, 6.0, 8.0, 10.0], 0.0);
    assert_close(&d.div(&c).unwrap(), &[3.0, 4.0, 5.0, 1.5, 2.0, 2.5], 0.0);
    assert_close(&c.pow(&d).unwrap(), &[1.0, 1.0, 1.0, 8.0, 16.0, 32.0], 1e-7);
    assert_close(&c.maximum(&t(&[1.5], &[1])).unwrap(), &[1.5, 2.0], 0.0);
    assert_close(&c.minimum(&t(&[1.5], &[1])).unwrap(), &[1.0, 1.5], 0.0);
    assert_eq!(Tensor::scalar(2.0).mul(&Tensor::scalar(3.0)).unwrap().rank(), 0);
}

#[test]
fn binary_ops_on_permuted_views_match_copies() {
    let a = uniform(&[3, 4, 5], -2.0, 2.0, 1).permute(&[2, 0, 1]).unwrap();
    let b = uniform(&[5, 1, 4], -2.0, 2.0, 2).narrow(2, 1, 1).unwrap();
    let dense = a.contiguous().unwrap().mul(&b.contiguous().unwrap()).unwrap();
    assert_close(&a.mul(&b).unwrap(), &dense.to_vec_f32().unwrap(), 0.0);
}

#[test]
fn maximum_and_minimum_propagate_nan() {
    let a = t(&[f32::NAN, 1.0, 2.0], &[3]);
    let b = t(&[0.0, f32::NAN, 1.0], &[3]);
    assert_close(&a.maximum(&b).unwrap(), &[f32::NAN, f32::NAN, 2.0], 0.0);
    assert_close(&a.minimum(&b).unwrap(), &[f32::NAN, f32::NAN, 1.0], 0.0);
}

#[test]
fn tie_in_maximum_sends_the_gradient_to_self() {
    let a = t(&[1.0, 2.0], &[2]).requires_grad();
    let b = t(&[1.0, 3.0], &[2]).requires_grad();
    let g = a.maximum(&b).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(g.get(&a).unwrap(), &[1.0, 0.0], 0.0);
    assert_close(g.get(&b).unwrap(), &[0.0, 1.0], 0.0);
    let g = a.minimum(&b).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(g.get(&a).unwrap(), &[1.0, 1.0], 0.0);
    assert_close(g.get(&b).unwrap(), &[0.0, 0.0], 0.0);
}

#[test]
fn comparisons_give_ones_and_zeros_and_record_nothing() {
    let a = t(&[1.0, 2.0, 3.0, f32::NAN], &[4]).requires_grad();
    let b = t(&[2.0], &[1]);
    assert_close(&a.eq(&b).unwrap(), &[0.0, 1.0, 0.0, 0.0], 0.0);
    assert_close(&a.ne(&b).unwrap(), &[1.0, 0.0, 1.0, 1.0], 0.0);
    assert_close(&a.lt(&b).unwrap(), &[1.0, 0.0, 0.0, 0.0], 0.0);
    assert_close(&a.le(&b).unwrap(), &[1.0, 1.0, 0.0, 0.0], 0.0);
    assert_close(&a.gt(&b).unwrap(), &[0.0, 0.0, 1.0, 0.0], 0.0);
    assert_close(&a.ge(&b).unwrap(), &[0.0, 1.0, 1.0, 0.0], 0.0);
    assert!(!a.gt(&b).unwrap().tracks_grad());
    let m = t(&[1.0, 2.0], &[2, 1]).lt(&t(&[1.5, 2.5, 0.5], &[3])).unwrap();
    assert_eq!(m.dims(), &[2, 3]);
    assert_close(&m, &[1.0, 1.0, 0.0, 0.0, 1.0, 0.0], 0.0);
}

#[test]
fn where_selects_by_nonzero_condition_with_broadcasting() {
    let cond = t(&[1.0, 0.0, -2.0], &[3]);
    let on_true = t(&[1.0, 2.0], &[2, 1]);
    let on_false = Tensor::scalar(-7.0);
    let y = Tensor::where_(&cond, &on_true, &on_false).unwrap();
    assert_eq!(y.dims(), &[2, 3]);
    assert_close(&y, &[1.0, -7.0, 1.0, 2.0, -7.0, 2.0], 0.0);
}

#[test]
fn where_returns_the_chosen_value_exactly() {
    // Selecting must not round through arithmetic on the other branch.
    let cond = t(&[1.0, 0.0], &[2]);
    let y = Tensor::where_(&cond, &t(&[1.0, 3.0], &[2]), &t(&[1e8, -1e8], &[2])).unwrap();
    assert_close(&y, &[1.0, -1e8], 0.0);
}

#[test]
fn where_ignores_infinities_and_nans_in_the_branch_not_taken() {
    // The common guard `where(x > 0, log(x), 0)`.
    let x = t(&[0.0, 1.0, -1.0], &[3]);
    let y = Tensor::where_(&x.gt(&Tensor::scalar(0.0)).unwrap(), &x.log().unwrap(), &Tensor::scalar(0.0)).unwrap();
    assert_close(&y, &[0.0, 0.0, 0.0], 0.0);
    let z = Tensor::where_(&t(&[1.0, 0.0], &[2]), &t(&[2.0, f32::INFINITY], &[2]), &t(&[f32::NAN, 5.0], &[2]));
    assert_close(&z.unwrap(), &[2.0, 5.0], 0.0);
}

#[test]
fn where_sends_gradients_to_the_branch_taken() {
    let cond = t(&[1.0, 0.0, 1.0], &[3]);
    let a = t(&[1.0, 2.0, 3.0], &[3]).requires_grad();
    let b = Tensor::scalar(5.0).requires_grad();
    let g = Tensor::where_(&cond, &a, &b).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(g.get(&a).unwrap(), &[1.0, 0.0, 1.0], 0.0);
    assert_close(g.get(&b).unwrap(), &[1.0], 0.0);
}

// ----- errors ------------------------------------------------------------------------

#[test]
fn shape_mismatch_names_the_op_and_both_shapes() {
    let err = t(&[1.0, 2.0, 3.0], &[3]).add(&t(&[1.0; 4], &[4])).unwrap_err();
    assert!(matches!(err, Error::Broadcast { op: "add", .. }));
    assert_eq!(err.to_string(), "add: shapes (3,) and (4,) do not broadcast");
    let err = Tensor::zeros([2, 3]).unwrap().maximum(&Tensor::zeros([3, 2]).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "maximum: shapes (2, 3) and (3, 2) do not broadcast");
    let err = Tensor::zeros([2, 3]).unwrap().lt(&Tensor::zeros([2]).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "lt: shapes (2, 3) and (2,) do not broadcast");
    let err = Tensor::where_(&Tensor::zeros([2]).unwrap(), &Tensor::zeros([3]).unwrap(), &Tensor::scalar(0.0));
    assert!(matches!(err, Err(Error::Broadcast { op: "where", .. })));
}

#[test]
fn bad_activation_parameters_are_errors() {
    let x = t(&[1.0], &[1]);
    assert_eq!(x.clamp(2.0, 1.0).unwrap_err().to_string(), "clamp: need min <= max, got min=2, max=1");
    assert!(matches!(x.clamp(f32::NAN, 1.0), Err(Error::Argument { op: "clamp", .. })));
    assert!(matches!(x.leaky_relu(f32::NAN), Err(Error::Argument { op: "leaky_relu", .. })));
    assert!(matches!(x.elu(f32::INFINITY), Err(Error::Argument { op: "elu", .. })));
    assert_eq!(x.powf(f32::INFINITY).unwrap_err().to_string(), "powf: exponent must be finite, got inf");
}

#[test]
fn integer_tensors_are_rejected_by_float_ops() {
    let i = Tensor::from_vec_i64(vec![1, 2], [2]).unwrap();
    assert!(matches!(i.exp(), Err(Error::DType { op: "exp", .. })));
    assert!(matches!(i.add(&t(&[1.0], &[1])), Err(Error::DType { op: "add", .. })));
}

#[test]
fn element_wise_on_a_huge_broadcast_is_out_of_memory_not_an_abort() {
    let huge = Shape::new([1 << 40, 1 << 30]);
    let x = Tensor::scalar(1.0).broadcast_to(&huge).unwrap();
    assert!(matches!(x.exp(), Err(Error::OutOfMemory { .. })));
    assert!(matches!(x.add(&Tensor::scalar(1.0)), Err(Error::OutOfMemory { .. })));
    // Fits in usize but not in any address space.
    let big = Tensor::scalar(1.0).broadcast_to(&Shape::new([1 << 31, 1 << 31])).unwrap();
    assert!(matches!(big.mul_scalar(2.0), Err(Error::OutOfMemory { .. })));
}

// ----- gradient checks: unary ---------------------------------------------------------

/// Checks `$f` at `$input` of shape (2, 3, 4), then again on a strided view of a
/// (4, 5, 3) tensor (permuted, then narrowed) feeding the op.
macro_rules! unary_gradient_test {
    ($name:ident, $input:expr, $f:expr) => {
        #[test]
        fn $name() {
            let f = $f;
            let make: &dyn Fn(&[usize], u64) -> Tensor = &$input;
            assert_gradients(|v| f(&v[0]), &[make(&[2, 3, 4], 1)]);
            assert_gradients(|v| f(&v[0].permute(&[2, 0, 1])?.narrow(1, 1, 2)?), &[make(&[4, 5, 3], 2)]);
        }
    };
}

fn wide(shape: &[usize], seed: u64) -> Tensor {
    uniform(shape, -3.0, 3.0, seed)
}
fn positive(shape: &[usize], seed: u64) -> Tensor {
    uniform(shape, 0.5, 2.0, seed)
}

unary_gradient_test!(neg_gradient_matches_finite_differences, wide, |x: &Tensor| x.neg());
unary_gradient_test!(abs_gradient_matches_finite_differences, away_from_zero, |x: &Tensor| x.abs());
unary_gradient_test!(exp_gradient_matches_finite_differences, |s, k| uniform(s, -2.0, 2.0, k), |x: &Tensor| x.exp());
unary_gradient_test!(log_gradient_matches_finite_differences, positive, |x: &Tensor| x.log());
unary_gradient_test!(sqrt_gradient_matches_finite_differences, positive, |x: &Tensor| x.sqrt());
unary_gradient_test!(rsqrt_gradient_matches_finite_differences, positive, |x: &Tensor| x.rsqrt());
unary_gradient_test!(square_gradient_matches_finite_differences, wide, |x: &Tensor| x.square());
unary_gradient_test!(
    recip_gradient_matches_finite_differences,
    |s, k| bands(s, &[(-2.0, -0.5), (0.5, 2.0)], k),
    |x: &Tensor| x.recip()
);
unary_gradient_test!(tanh_gradient_matches_finite_differences, wide, |x: &Tensor| x.tanh());
unary_gradient_test!(sigmoid_gradient_matches_finite_differences, wide, |x: &Tensor| x.sigmoid());
unary_gradient_test!(relu_gradient_matches_finite_differences, away_from_zero, |x: &Tensor| x.relu());
unary_gradient_test!(
    relu6_gradient_matches_finite_differences,
    |s, k| bands(s, &[(-2.0, -0.3), (0.3, 5.7), (6.3, 8.0)], k),
    |x: &Tensor| x.relu6()
);
unary_gradient_test!(leaky_relu_gradient_matches_finite_differences, away_from_zero, |x: &Tensor| x.leaky_relu(0.2));
unary_gradient_test!(elu_gradient_matches_finite_differences, away_from_zero, |x: &Tensor| x.elu(0.7));
unary_gradient_test!(selu_gradient_matches_finite_differences, away_from_zero, |x: &Tensor| x.selu());
unary_gradient_test!(gelu_gradient_matches_finite_differences, wide, |x: &Tensor| x.gelu(false));
unary_gradient_test!(gelu_tanh_gradient_matches_finite_differences, wide, |x: &Tensor| x.gelu(true));
unary_gradient_test!(softplus_gradient_matches_finite_differences, wide, |x: &Tensor| x.softplus());
unary_gradient_test!(softsign_gradient_matches_finite_differences, away_from_zero, |x: &Tensor| x.softsign());
unary_gradient_test!(
    hard_sigmoid_gradient_matches_finite_differences,
    |s, k| bands(s, &[(-4.5, -3.3), (-2.7, 2.7), (3.3, 4.5)], k),
    |x: &Tensor| x.hard_sigmoid()
);
unary_gradient_test!(silu_gradient_matches_finite_differences, wide, |x: &Tensor| x.silu());
unary_gradient_test!(
    clamp_gradient_matches_finite_differences,
    |s, k| bands(s, &[(-2.5, -1.2), (-0.8, 1.3), (1.7, 3.0)], k),
    |x: &Tensor| x.clamp(-1.0, 1.5)
);
unary_gradient_test!(powf_gradient_matches_finite_differences, positive, |x: &Tensor| x.powf(2.5)?.add(&x.powf(-1.5)?));
unary_gradient_test!(add_scalar_gradient_matches_finite_differences, wide, |x: &Tensor| x.add_scalar(0.75));
unary_gradient_test!(mul_scalar_gradient_matches_finite_differences, wide, |x: &Tensor| x.mul_scalar(-1.25));

// ----- gradient checks: binary, with broadcasting --------------------------------------

/// Shape pairs every binary op is checked on: equal shapes, (2, 3, 1) against (4,) both
/// ways round, a scalar on either side, and two-sided broadcasting.
const PAIRS: [(&[usize], &[usize]); 6] = [
    (&[2, 3, 4], &[2, 3, 4]),
    (&[2, 3, 1], &[4]),
    (&[4], &[2, 3, 1]),
    (&[2, 3, 4], &[]),
    (&[], &[3, 4]),
    (&[3, 1], &[1, 4]),
];

fn check_binary(
    f: impl Fn(&Tensor, &Tensor) -> fovea_core::Result<Tensor>,
    lhs: impl Fn(&[usize], u64) -> Tensor,
    rhs: impl Fn(&[usize], u64) -> Tensor,
) {
    for (i, (sa, sb)) in PAIRS.iter().enumerate() {
        let (a, b) = (lhs(sa, 2 * i as u64), rhs(sb, 2 * i as u64 + 1));
        assert_gradients(|v| f(&v[0], &v[1]), &[a, b]);
    }
    // A permuted view on the left feeding the op.
    assert_gradients(|v| f(&v[0].permute(&[1, 0])?, &v[1]), &[lhs(&[4, 3], 20), rhs(&[3, 1], 21)]);
}

#[test]
fn add_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::add, wide, wide);
}

#[test]
fn sub_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::sub, wide, wide);
}

#[test]
fn mul_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::mul, wide, wide);
}

#[test]
fn div_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::div, wide, |s, k| bands(s, &[(-2.0, -0.5), (0.5, 2.0)], k));
}

#[test]
fn maximum_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::maximum, |s, k| grid(s, 0.0, k), |s, k| grid(s, 0.05, k));
}

#[test]
fn minimum_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::minimum, |s, k| grid(s, 0.0, k), |s, k| grid(s, 0.05, k));
}

#[test]
fn pow_gradient_matches_finite_differences_under_broadcasting() {
    check_binary(Tensor::pow, positive, |s, k| uniform(s, -2.0, 2.0, k));
}

#[test]
fn where_gradient_matches_finite_differences_under_broadcasting() {
    let cond = t(&[1.0, 0.0, 0.0, 1.0], &[4]);
    check_binary(|a, b| Tensor::where_(&cond, a, b), wide, wide);
    let cond = t(&[0.0, 1.0, 1.0], &[3, 1]);
    assert_gradients(|v| Tensor::where_(&cond, &v[0], &v[1]), &[wide(&[2, 1, 4], 30), wide(&[4], 31)]);
}
