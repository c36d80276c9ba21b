//! Local response normalization by its definition, one element at a time in f64, and its
//! backward by summing the Jacobian: the oracle for `cpu::lrn`.

use crate::backend::params::LrnParams;

/// The channels `d - depth_radius ..= d + depth_radius` of a lane of `c`, clipped.
fn window(p: &LrnParams, d: usize) -> std::ops::Range<usize> {
    d.saturating_sub(p.depth_radius)..(d + p.depth_radius + 1).min(p.c)
}

/// `bias + alpha * sum(x[window(d)]^2)` for every element of dense `(outer, c)`.
fn scales(p: &LrnParams, x: &[f32]) -> Vec<f64> {
    let mut s = vec![0.0f64; x.len()];
    for o in 0..p.outer {
        for d in 0..p.c {
            let sum: f64 = window(p, d).map(|k| f64::from(x[o * p.c + k]).powi(2)).sum();
            s[o * p.c + d] = f64::from(p.bias) + f64::from(p.alpha) * sum;
        }
    }
    s
}

/// `y = x / (bias + alpha * sqr_sum)^beta`; dense `(outer, c)`.
pub(crate) fn forward(p: &LrnParams, x: &[f32]) -> Vec<f32> {
    let s = scales(p, x);
    x.iter().zip(&s).map(|(&v, &s)| (f64::from(v) * s.powf(-f64::from(p.beta))) as f32).collect()
}

/// `dx_j = sum_i g_i * d y_i / d x_j` over the `i` of `j`'s lane, where
/// `d y_i / d x_j = [i == j] s_i^-beta - 2 alpha beta x_i x_j s_i^(-beta-1) [j in window(i)]`.
pub(crate) fn backward(p: &LrnParams, x: &[f32], g: &[f32]) -> Vec<f32> {
    let s = scales(p, x);
    let (alpha, beta) = (f64::from(p.alpha), f64::from(p.beta));
    let mut dx = vec![0.0f32; x.len()];
    for o in 0..p.outer {
        for j in 0..p.c {
            let xj = f64::from(x[o * p.c + j]);
            let mut acc = 0f64;
            for i in 0..p.c {
                let (xi, gi, si) = (f64::from(x[o * p.c + i]), f64::from(g[o * p.c + i]), s[o * p.c + i]);
                let mut d = if i == j { si.powf(-beta) } else { 0.0 };
                if window(p, i).contains(&j) {
                    d -= 2.0 * alpha * beta * xi * xj * si.powf(-beta - 1.0);
                }
                acc += gi * d;
            }
            dx[o * p.c + j] = acc as f32;
        }
    }
    dx
}
