//! Element-wise kernels. Each op is dispatched once per call (not per element) so that
//! its loop is monomorphised and vectorises; large contiguous inputs run in parallel.

use rayon::prelude::*;

use crate::backend::params::{BinaryOp, UnaryOp};
use crate::threads;
use crate::Layout;

/// Below this many elements a parallel split costs more than it saves.
const PAR_MIN: usize = 1 << 15;
const CHUNK: usize = 1 << 13;

const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

/// erf(x) via Numerical Recipes' Chebyshev fit of erfc (fractional error < 1.2e-7),
/// evaluated in f64.
pub(crate) fn erf(x: f32) -> f32 {
    let x = x as f64;
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    (if x >= 0.0 { 1.0 - erfc } else { erfc - 1.0 }) as f32
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    // Two branches keep exp's argument non-positive: no overflow for large |x|.
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Runs `$body` with `$f` bound to the scalar function of `$op`.
macro_rules! with_unary {
    ($op:expr, $f:ident, $body:expr) => {{
        use UnaryOp::*;
        match $op {
            Neg => {
                let $f = |x: f32| -x;
                $body
            }
            Abs => {
                let $f = |x: f32| x.abs();
                $body
            }
            Exp => {
                let $f = |x: f32| x.exp();
                $body
            }
            Log => {
                let $f = |x: f32| x.ln();
                $body
            }
            Sqrt => {
                let $f = |x: f32| x.sqrt();
                $body
            }
            Rsqrt => {
                let $f = |x: f32| 1.0 / x.sqrt();
                $body
            }
            Square => {
                let $f = |x: f32| x * x;
                $body
            }
            Recip => {
                let $f = |x: f32| 1.0 / x;
                $body
            }
            Tanh => {
                let $f = |x: f32| x.tanh();
                $body
            }
            Sigmoid => {
                let $f = sigmoid;
                $body
            }
            // NaN passes through (numpy's maximum(x, 0)), so a diverging net shows it.
            Relu => {
                let $f = |x: f32| if x < 0.0 { 0.0 } else { x };
                $body
            }
            Relu6 => {
                let $f = |x: f32| x.clamp(0.0, 6.0);
                $body
            }
            LeakyRelu { alpha } => {
                let $f = move |x: f32| if x > 0.0 { x } else { alpha * x };
                $body
            }
            Elu { alpha } => {
                let $f = move |x: f32| if x > 0.0 { x } else { alpha * x.exp_m1() };
                $body
            }
            Selu => {
                let $f = |x: f32| SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() };
                $body
            }
            Gelu => {
                let $f = |x: f32| 0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2));
                $body
            }
            GeluTanh => {
                let $f = |x: f32| 0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)).tanh());
                $body
            }
            Softplus => {
                let $f = |x: f32| x.max(0.0) + (-x.abs()).exp().ln_1p();
                $body
            }
            Softsign => {
                let $f = |x: f32| x / (1.0 + x.abs());
                $body
            }
            HardSigmoid => {
                let $f = |x: f32| (x + 3.0).clamp(0.0, 6.0) / 6.0;
                $body
            }
            Silu => {
                let $f = |x: f32| x * sigmoid(x);
                $body
            }
            Clamp { min, max } => {
                // Comparisons rather than f32::max/min, which would turn NaN into `min`.
                let $f = move |x: f32| {
                    if x < min {
                        min
                    } else if x > max {
                        max
                    } else {
                        x
                    }
                };
                $body
            }
            PowScalar { p } => {
                let $f = move |x: f32| x.powf(p);
                $body
            }
            AddScalar { c } => {
                let $f = move |x: f32| x + c;
                $body
            }
            MulScalar { c } => {
                let $f = move |x: f32| x * c;
                $body
            }
        }
    }};
}

/// Runs `$body` with `$f` bound to `(x, g) -> g * f'(x)` for the unary op `$op`.
/// At kinks the derivative is the one TensorFlow/JAX use (relu'(0) = 0).
macro_rules! with_unary_grad {
    ($op:expr, $f:ident, $body:expr) => {{
        use UnaryOp::*;
        match $op {
            Neg => {
                let $f = |_x: f32, g: f32| -g;
                $body
            }
            Abs => {
                let $f = |x: f32, g: f32| {
                    if x > 0.0 {
                        g
                    } else if x < 0.0 {
                        -g
                    } else {
                        0.0
                    }
                };
                $body
            }
            Exp => {
                let $f = |x: f32, g: f32| g * x.exp();
                $body
            }
            Log => {
                let $f = |x: f32, g: f32| g / x;
                $body
            }
            Sqrt => {
                let $f = |x: f32, g: f32| g * 0.5 / x.sqrt();
                $body
            }
            Rsqrt => {
                let $f = |x: f32, g: f32| g * -0.5 / (x * x.sqrt());
                $body
            }
            Square => {
                let $f = |x: f32, g: f32| g * 2.0 * x;
                $body
            }
            Recip => {
                let $f = |x: f32, g: f32| -g / (x * x);
                $body
            }
            Tanh => {
                let $f = |x: f32, g: f32| {
                    let t = x.tanh();
                    g * (1.0 - t * t)
                };
                $body
            }
            Sigmoid => {
                let $f = |x: f32, g: f32| {
                    let s = sigmoid(x);
                    g * s * (1.0 - s)
                };
                $body
            }
            Relu => {
                let $f = |x: f32, g: f32| if x > 0.0 { g } else { 0.0 };
                $body
            }
            Relu6 => {
                let $f = |x: f32, g: f32| if x > 0.0 && x < 6.0 { g } else { 0.0 };
                $body
            }
            LeakyRelu { alpha } => {
                let $f = move |x: f32, g: f32| if x > 0.0 { g } else { alpha * g };
                $body
            }
            Elu { alpha } => {
                let $f = move |x: f32, g: f32| if x > 0.0 { g } else { g * alpha * x.exp() };
                $body
            }
            Selu => {
                let $f = |x: f32, g: f32| g * SELU_SCALE * if x > 0.0 { 1.0 } else { SELU_ALPHA * x.exp() };
                $body
            }
            Gelu => {
                let $f = |x: f32, g: f32| {
                    let cdf = 0.5 * (1.0 + erf(x * FRAC_1_SQRT_2));
                    let pdf = (-0.5 * x * x).exp() * 0.398_942_3;
                    g * (cdf + x * pdf)
                };
                $body
            }
            GeluTanh => {
                let $f = |x: f32, g: f32| {
                    let inner = SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x);
                    let t = inner.tanh();
                    let dinner = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044_715 * x * x);
                    g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner)
                };
                $body
            }
            Softplus => {
                let $f = |x: f32, g: f32| g * sigmoid(x);
                $body
            }
            Softsign => {
                let $f = |x: f32, g: f32| {
                    let d = 1.0 + x.abs();
                    g / (d * d)
                };
                $body
            }
            HardSigmoid => {
                let $f = |x: f32, g: f32| if x > -3.0 && x < 3.0 { g / 6.0 } else { 0.0 };
                $body
            }
            Silu => {
                let $f = |x: f32, g: f32| {
                    let s = sigmoid(x);
                    g * s * (1.0 + x * (1.0 - s))
                };
                $body
            }
            Clamp { min, max } => {
                let $f = move |x: f32, g: f32| if x >= min && x <= max { g } else { 0.0 };
                $body
            }
            PowScalar { p } => {
                let $f = move |x: f32, g: f32| g * p * x.powf(p - 1.0);
                $body
            }
            AddScalar { .. } => {
                let $f = |_x: f32, g: f32| g;
                $body
            }
            MulScalar { c } => {
                let $f = move |_x: f32, g: f32| g * c;
                $body
            }
        }
    }};
}

/// Runs `$body` with `$f` bound to the scalar function of the binary op `$op`.
macro_rules! with_binary {
    ($op:expr, $f:ident, $body:expr) => {{
        match $op {
            BinaryOp::Add => {
                let $f = |a: f32, b: f32| a + b;
                $body
            }
            BinaryOp::Sub => {
                let $f = |a: f32, b: f32| a - b;
                $body
            }
            BinaryOp::Mul => {
                let $f = |a: f32, b: f32| a * b;
                $body
            }
            BinaryOp::Div => {
                let $f = |a: f32, b: f32| a / b;
                $body
            }
            // NaN propagates, as in numpy's maximum/minimum.
            BinaryOp::Maximum => {
                let $f = |a: f32, b: f32| if a.is_nan() || a >= b { a } else { b };
                $body
            }
            BinaryOp::Minimum => {
                let $f = |a: f32, b: f32| if a.is_nan() || a <= b { a } else { b };
                $body
            }
            BinaryOp::Pow => {
                let $f = |a: f32, b: f32| a.powf(b);
                $body
            }
            BinaryOp::Eq => {
                let $f = |a: f32, b: f32| (a == b) as u8 as f32;
                $body
            }
            BinaryOp::Ne => {
                let $f = |a: f32, b: f32| (a != b) as u8 as f32;
                $body
            }
            BinaryOp::Lt => {
                let $f = |a: f32, b: f32| (a < b) as u8 as f32;
                $body
            }
            BinaryOp::Le => {
                let $f = |a: f32, b: f32| (a <= b) as u8 as f32;
                $body
            }
            BinaryOp::Gt => {
                let $f = |a: f32, b: f32| (a > b) as u8 as f32;
                $body
            }
            BinaryOp::Ge => {
                let $f = |a: f32, b: f32| (a >= b) as u8 as f32;
                $body
            }
            BinaryOp::UnaryBackward(u) => with_unary_grad!(u, $f, $body),
        }
    }};
}

/// `out[i] = f(x[i])` over the view `xl` of `x`; `out` is dense row-major.
pub(crate) fn unary(op: UnaryOp, x: &[f32], xl: &Layout, out: &mut [f32]) {
    with_unary!(op, f, map1(x, xl, out, f))
}

fn map1(x: &[f32], xl: &Layout, out: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    match xl.contiguous_range() {
        Some(r) => {
            let x = &x[r];
            if out.len() >= PAR_MIN {
                threads::run(|| {
                    out.par_chunks_mut(CHUNK)
                        .zip(x.par_chunks(CHUNK))
                        .for_each(|(o, xs)| o.iter_mut().zip(xs).for_each(|(o, &v)| *o = f(v)))
                });
            } else {
                out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v));
            }
        }
        None => {
            let mut i = 0;
            xl.for_each_offset(|off| {
                out[i] = f(x[off]);
                i += 1;
            });
        }
    }
}

/// `out[i] = f(a[i], b[i])` where `al` and `bl` are views of the output's shape (stride 0
/// on broadcast axes); `out` is dense row-major.
pub(crate) fn binary(op: BinaryOp, a: &[f32], al: &Layout, b: &[f32], bl: &Layout, out: &mut [f32]) {
    with_binary!(op, f, map2(a, al, b, bl, out, f))
}

fn map2(a: &[f32], al: &Layout, b: &[f32], bl: &Layout, out: &mut [f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    if let (Some(ra), Some(rb)) = (al.contiguous_range(), bl.contiguous_range()) {
        let (a, b) = (&a[ra], &b[rb]);
        if out.len() >= PAR_MIN {
            threads::run(|| {
                out.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK))).for_each(|(o, (xa, xb))| {
                    o.iter_mut().zip(xa.iter().zip(xb)).for_each(|(o, (&p, &q))| *o = f(p, q))
                })
            });
        } else {
            out.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&p, &q))| *o = f(p, q));
        }
        return;
    }
    // General strided case: walk the outer axes with an odometer, the last axis in a loop
    // specialised for the common stride patterns (dense, or broadcast scalar).
    let dims = al.dims();
    let rank = dims.len();
    let inner = dims[rank - 1];
    let (sa, sb) = (al.strides()[rank - 1], bl.strides()[rank - 1]);
    let rows = out.len() / inner.max(1);
    let mut idx = vec![0usize; rank];
    let (mut oa, mut ob) = (al.offset(), bl.offset());
    for row in 0..rows {
        let o = &mut out[row * inner..(row + 1) * inner];
        match (sa, sb) {
            (1, 1) => {
                o.iter_mut().zip(&a[oa..oa + inner]).zip(&b[ob..ob + inner]).for_each(|((o, &p), &q)| *o = f(p, q))
            }
            (1, 0) => o.iter_mut().zip(&a[oa..oa + inner]).for_each(|(o, &p)| *o = f(p, b[ob])),
            (0, 1) => o.iter_mut().zip(&b[ob..ob + inner]).for_each(|(o, &q)| *o = f(a[oa], q)),
            _ => o.iter_mut().enumerate().for_each(|(k, o)| *o = f(a[oa + k * sa], b[ob + k * sb])),
        }
        for ax in (0..rank - 1).rev() {
            idx[ax] += 1;
            oa += al.strides()[ax];
            ob += bl.strides()[ax];
            if idx[ax] < dims[ax] {
                break;
            }
            oa -= al.strides()[ax] * dims[ax];
            ob -= bl.strides()[ax] * dims[ax];
            idx[ax] = 0;
        }
    }
}

/// `out[i] = if mask[i] != 0 { a[i] } else { b[i] }` where the three layouts are views
/// of the output's shape (stride 0 on broadcast axes); `out` is dense row-major. A pure
/// selection: the branch not taken is never combined arithmetically with the other, so
/// its infinities or NaNs cannot leak.
pub(crate) fn select(m: &[f32], ml: &Layout, a: &[f32], al: &Layout, b: &[f32], bl: &Layout, out: &mut [f32]) {
    let pick = |k: f32, p: f32, q: f32| if k != 0.0 { p } else { q };
    if let (Some(rm), Some(ra), Some(rb)) = (ml.contiguous_range(), al.contiguous_range(), bl.contiguous_range()) {
        let (m, a, b) = (&m[rm], &a[ra], &b[rb]);
        out.iter_mut().zip(m.iter().zip(a.iter().zip(b))).for_each(|(o, (&k, (&p, &q)))| *o = pick(k, p, q));
        return;
    }
    let dims = al.dims();
    let rank = dims.len();
    let inner = dims[rank - 1];
    let s = [ml.strides()[rank - 1], al.strides()[rank - 1], bl.strides()[rank - 1]];
    let rows = out.len() / inner.max(1);
    let mut idx = vec![0usize; rank];
    let mut off = [ml.offset(), al.offset(), bl.offset()];
    let layouts = [ml, al, bl];
    for row in 0..rows {
        for (k, o) in out[row * inner..(row + 1) * inner].iter_mut().enumerate() {
            *o = pick(m[off[0] + k * s[0]], a[off[1] + k * s[1]], b[off[2] + k * s[2]]);
        }
        for ax in (0..rank - 1).rev() {
            idx[ax] += 1;
            for (o, l) in off.iter_mut().zip(layouts) {
                *o += l.strides()[ax];
            }
            if idx[ax] < dims[ax] {
                break;
            }
            for (o, l) in off.iter_mut().zip(layouts) {
                *o -= l.strides()[ax] * dims[ax];
            }
            idx[ax] = 0;
        }
    }
}
