//! Softmax and log-softmax by their definitions, one lane at a time in f64: the oracle
//! for `cpu::softmax`.

use crate::backend::params::SoftmaxParams;

/// Calls `f(indices)` with the `n` flat indices of every lane of `(outer, n, inner)`.
fn lanes(p: &SoftmaxParams, mut f: impl FnMut(&[usize])) {
    for o in 0..p.outer {
        for i in 0..p.inner {
            let idx: Vec<usize> = (0..p.n).map(|r| (o * p.n + r) * p.inner + i).collect();
            f(&idx);
        }
    }
}

/// `softmax(x)` or `log_softmax(x)` along the `n` axis; dense `(outer, n, inner)`.
pub(crate) fn forward(p: &SoftmaxParams, x: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; x.len()];
    lanes(p, |idx| {
        let max = idx.iter().map(|&j| f64::from(x[j])).fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = idx.iter().map(|&j| (f64::from(x[j]) - max).exp()).sum();
        for &j in idx {
            let shifted = f64::from(x[j]) - max;
            y[j] = if p.log { shifted - sum.ln() } else { shifted.exp() / sum } as f32;
        }
    });
    y
}

/// The input gradient from the input `x` and output gradient `g`, by the Jacobian:
/// `dx_j = sum_i g_i * d y_i / d x_j`.
pub(crate) fn backward(p: &SoftmaxParams, x: &[f32], g: &[f32]) -> Vec<f32> {
    let soft = forward(&SoftmaxParams { log: false, ..*p }, x);
    let mut dx = vec![0.0f32; x.len()];
    lanes(p, |idx| {
        for &j in idx {
            let sj = f64::from(soft[j]);
            let mut acc = 0f64;
            for &i in idx {
                let (si, gi) = (f64::from(soft[i]), f64::from(g[i]));
                let delta = if i == j { 1.0 } else { 0.0 };
                // d softmax_i / d x_j = s_i (delta_ij - s_j); d log_softmax_i / d x_j = delta_ij - s_j.
                acc += gi * if p.log { delta - sj } else { si * (delta - sj) };
            }
            dx[j] = acc as f32;
        }
    });
    dx
}
