//! Naive element-wise kernels, the oracle for `cpu::elementwise`.
//!
//! Each output element is computed on its own: its flat index is unravelled into a
//! multi-index, and each operand's storage offset is worked out from that index with
//! numpy's broadcasting rule (align from the right, index 0 on size-1 axes). The operand
//! layouts are the operands' own, not broadcast views, so the oracle does not lean on
//! `Layout::broadcast_to`. Unary functions and their derivatives are written out in f64
//! from their textbook definitions, independently of the fast kernels' formulas.

use crate::backend::params::{BinaryOp, UnaryOp};
use crate::Layout;

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
const GELU_TANH_C: f64 = 0.044_715;

/// Writes the multi-index of row-major position `flat` within `dims` into `idx`.
fn unravel(mut flat: usize, dims: &[usize], idx: &mut [usize]) {
    for (i, &d) in dims.iter().enumerate().rev() {
        idx[i] = flat % d;
        flat /= d;
    }
}

/// Storage offset of output multi-index `idx` in the operand view `l`, whose shape
/// broadcasts to the output's (its axes align with the last axes of `idx`).
pub(crate) fn source_offset(idx: &[usize], l: &Layout) -> usize {
    let lead = idx.len() - l.dims().len();
    let mut off = l.offset();
    for (i, (&d, &s)) in l.dims().iter().zip(l.strides()).enumerate() {
        if d != 1 {
            off += idx[lead + i] * s;
        }
    }
    off
}

/// Calls `f(idx)` for every multi-index of `dims`, in row-major order.
pub(crate) fn for_each_index(dims: &[usize], mut f: impl FnMut(&[usize])) {
    let n: usize = dims.iter().product();
    let mut idx = vec![0; dims.len()];
    for flat in 0..n {
        unravel(flat, dims, &mut idx);
        f(&idx);
    }
}

/// erf in f64: the Maclaurin series for |x| <= 3 (its largest term is about 1e3, so
/// cancellation costs three of sixteen digits), the Laplace continued fraction of erfc
/// beyond (where it converges quickly).
pub(crate) fn erf(x: f64) -> f64 {
    if x.abs() > 3.0 {
        let z = x.abs();
        let mut f = z;
        for k in (1..=80).rev() {
            f = z + (k as f64 / 2.0) / f;
        }
        let erfc = (-z * z).exp() / std::f64::consts::PI.sqrt() / f;
        return x.signum() * (1.0 - erfc);
    }
    let mut term = x; // (-1)^n x^(2n+1) / n!
    let mut sum = x;
    for n in 1..200 {
        term *= -x * x / n as f64;
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() < 1e-17 * sum.abs().max(1e-300) {
            break;
        }
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The value of the unary op at `x`. NaN in gives NaN out for every op (as in numpy),
/// except `x ^ 0`, which is 1.
pub(crate) fn unary_value(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    if x.is_nan() && !matches!(op, PowScalar { .. }) {
        return f64::NAN;
    }
    match op {
        Neg => -x,
        Abs => x.abs(),
        Exp => x.exp(),
        Log => x.ln(),
        Sqrt => x.sqrt(),
        Rsqrt => 1.0 / x.sqrt(),
        Square => x * x,
        Recip => 1.0 / x,
        Tanh => x.tanh(),
        Sigmoid => sigmoid(x),
        Relu => {
            if x > 0.0 {
                x
            } else {
                0.0
            }
        }
        Relu6 => x.clamp(0.0, 6.0),
        LeakyRelu { alpha } => {
            if x > 0.0 {
                x
            } else {
                alpha as f64 * x
            }
        }
        Elu { alpha } => {
            if x > 0.0 {
                x
            } else {
                alpha as f64 * (x.exp() - 1.0)
            }
        }
        Selu => SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * (x.exp() - 1.0) },
        Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
        GeluTanh => {
            let c = (2.0 / std::f64::consts::PI).sqrt();
            0.5 * x * (1.0 + (c * (x + GELU_TANH_C * x * x * x)).tanh())
        }
        Softplus => (1.0 + x.exp()).ln(),
        Softsign => x / (1.0 + x.abs()),
        HardSigmoid => (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Silu => x * sigmoid(x),
        Clamp { min, max } => x.max(min as f64).min(max as f64),
        PowScalar { p } => x.powf(p as f64),
        AddScalar { c } => x + c as f64,
        MulScalar { c } => x * c as f64,
    }
}

/// The derivative of the unary op at `x`. At kinks it takes the TensorFlow/JAX
/// convention: relu'(0) = 0, |x|'(0) = 0, clamp passes the gradient on its bounds.
pub(crate) fn unary_derivative(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    let step = |inside: bool| if inside { 1.0 } else { 0.0 };
    match op {
        Neg => -1.0,
        Abs => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        Exp => x.exp(),
        Log => 1.0 / x,
        Sqrt => 0.5 / x.sqrt(),
        Rsqrt => -0.5 * x.powf(-1.5),
        Square => 2.0 * x,
        Recip => -1.0 / (x * x),
        Tanh => 1.0 - x.tanh().powi(2),
        Sigmoid => sigmoid(x) * (1.0 - sigmoid(x)),
        Relu => step(x > 0.0),
        Relu6 => step(x > 0.0 && x < 6.0),
        LeakyRelu { alpha } => {
            if x > 0.0 {
                1.0
            } else {
                alpha as f64
            }
        }
        Elu { alpha } => {
            if x > 0.0 {
                1.0
            } else {
                alpha as f64 * x.exp()
            }
        }
        Selu => SELU_SCALE * if x > 0.0 { 1.0 } else { SELU_ALPHA * x.exp() },
        Gelu => {
            let cdf = 0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2));
            let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
            cdf + x * pdf
        }
        GeluTanh => {
            let c = (2.0 / std::f64::consts::PI).sqrt();
            let t = (c * (x + GELU_TANH_C * x * x * x)).tanh();
            0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * GELU_TANH_C * x * x)
        }
        Softplus => sigmoid(x),
        Softsign => 1.0 / (1.0 + x.abs()).powi(2),
        HardSigmoid => step(x > -3.0 && x < 3.0) / 6.0,
        Silu => sigmoid(x) + x * sigmoid(x) * (1.0 - sigmoid(x)),
        Clamp { min, max } => step(x >= min as f64 && x <= max as f64),
        PowScalar { p } => p as f64 * x.powf(p as f64 - 1.0),
        AddScalar { .. } => 1.0,
        MulScalar { c } => c as f64,
    }
}

/// The binary op at `(a, b)`. Arithmetic and comparisons are single f32 operations, so
/// the fast kernel must match them exactly; `pow` goes through f64.
pub(crate) fn binary_value(op: BinaryOp, a: f32, b: f32) -> f32 {
    let flag = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        // numpy: NaN in either operand gives NaN.
        BinaryOp::Maximum => {
            if a.is_nan() || b.is_nan() {
                f32::NAN
            } else if b > a {
                b
            } else {
                a
            }
        }
        BinaryOp::Minimum => {
            if a.is_nan() || b.is_nan() {
                f32::NAN
            } else if b < a {
                b
            } else {
                a
            }
        }
        BinaryOp::Pow => (a as f64).powf(b as f64) as f32,
        BinaryOp::Eq => flag(a == b),
        BinaryOp::Ne => flag(a != b),
        BinaryOp::Lt => flag(a < b),
        BinaryOp::Le => flag(a <= b),
        BinaryOp::Gt => flag(a > b),
        BinaryOp::Ge => flag(a >= b),
        BinaryOp::UnaryBackward(u) => (b as f64 * unary_derivative(u, a as f64)) as f32,
    }
}

/// `op` of the view `xl` of `x`, dense row-major.
pub(crate) fn unary(op: UnaryOp, x: &[f32], xl: &Layout) -> Vec<f32> {
    let mut out = Vec::new();
    for_each_index(xl.dims(), |idx| out.push(unary_value(op, x[source_offset(idx, xl)] as f64) as f32));
    out
}

/// `op(a, b)` over the broadcast of the views `al` of `a` and `bl` of `b` to `out_dims`,
/// dense row-major.
pub(crate) fn binary(op: BinaryOp, a: &[f32], al: &Layout, b: &[f32], bl: &Layout, out_dims: &[usize]) -> Vec<f32> {
    let mut out = Vec::new();
    for_each_index(out_dims, |idx| {
        out.push(binary_value(op, a[source_offset(idx, al)], b[source_offset(idx, bl)]));
    });
    out
}

/// `if mask != 0 { on_true } else { on_false }` over the broadcast of the three views
/// to `out_dims`, dense row-major.
pub(crate) fn select(
    (m, ml): (&[f32], &Layout),
    (a, al): (&[f32], &Layout),
    (b, bl): (&[f32], &Layout),
    out_dims: &[usize],
) -> Vec<f32> {
    let mut out = Vec::new();
    for_each_index(out_dims, |idx| {
        let take_a = m[source_offset(idx, ml)] != 0.0;
        out.push(if take_a { a[source_offset(idx, al)] } else { b[source_offset(idx, bl)] });
    });
    out
}

/// Copies the view `sl` of `src` into the view `dl` of `dst` (same shape).
pub(crate) fn copy_into(src: &[f32], sl: &Layout, dst: &mut [f32], dl: &Layout) {
    for_each_index(sl.dims(), |idx| dst[source_offset(idx, dl)] = src[source_offset(idx, sl)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_erf_matches_known_values() {
        // Python: math.erf(0.5), math.erf(1), math.erf(-2), math.erf(4)
        for (x, want) in
            [(0.5, 0.520_499_877_813_046_5), (1.0, 0.842_700_792_949_714_9), (-2.0, -0.995_322_265_018_952_7)]
        {
            assert!((erf(x) - want).abs() < 1e-13, "erf({x}) = {}", erf(x));
        }
        // Python: math.erfc(4), math.erfc(3.5), either side of the series' range
        assert!(((1.0 - erf(4.0)) / 1.541_725_790_028_002e-8 - 1.0).abs() < 1e-7);
        assert!(((1.0 - erf(3.5)) / 7.430_983_723_414_128e-7 - 1.0).abs() < 1e-7);
        assert!((erf(-2.9) + 0.999_958_902_121_900_5).abs() < 1e-13);
        assert_eq!(erf(0.0), 0.0);
    }

    #[test]
    fn broadcast_operand_reads_index_zero_on_size_one_axes() {
        // (3, 1) against an output of (2, 3, 4): element (1, 2, 3) reads row 2.
        let l = Layout::contiguous([3, 1]);
        assert_eq!(source_offset(&[1, 2, 3], &l), 2);
    }
}
