//! Naive reductions, the oracle for `cpu::reduce`: one loop per output cell over every
//! combination of the reduced axes, each input offset computed from its multi-index.

use super::elementwise::for_each_index;
use crate::backend::cpu::reduce::ReduceOp;
use crate::Layout;

/// Reduces the view `xl` of `x` over `axes`; the result is dense in keepdims form
/// (the input's shape with the reduced axes set to 1).
pub(crate) fn reduce(op: ReduceOp, x: &[f32], xl: &Layout, axes: &[usize]) -> Vec<f32> {
    let dims = xl.dims();
    let kept: Vec<usize> = dims.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect();
    let reduced: Vec<usize> = axes.iter().map(|&a| dims[a]).collect();
    let mut out = Vec::new();
    for_each_index(&kept, |out_idx| {
        let mut values = Vec::new();
        for_each_index(&reduced, |r| {
            let mut idx = out_idx.to_vec();
            for (&a, &i) in axes.iter().zip(r) {
                idx[a] = i;
            }
            let off = xl.offset() + idx.iter().zip(xl.strides()).map(|(&i, &s)| i * s).sum::<usize>();
            values.push(x[off]);
        });
        out.push(fold(op, &values));
    });
    out
}

/// One output cell. Max and min give NaN if any value is NaN, as numpy's; over no
/// values they give the identity of the fold (0, -inf, +inf).
fn fold(op: ReduceOp, values: &[f32]) -> f32 {
    if op != ReduceOp::Sum && values.iter().any(|v| v.is_nan()) {
        return f32::NAN;
    }
    match op {
        ReduceOp::Sum => values.iter().map(|&v| v as f64).sum::<f64>() as f32,
        ReduceOp::Max => values.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        ReduceOp::Min => values.iter().copied().fold(f32::INFINITY, f32::min),
    }
}

/// Index of the first maximum (or minimum) along `axis` of the dense `x` of shape
/// `dims`, where the first NaN counts as the extreme (numpy's argmax). Keepdims form.
pub(crate) fn arg_reduce(x: &[f32], dims: &[usize], axis: usize, max: bool) -> Vec<i64> {
    let strides = crate::Shape::new(dims).contiguous_strides();
    let mut kept = dims.to_vec();
    kept[axis] = 1;
    let mut out = Vec::new();
    for_each_index(&kept, |idx| {
        let at = |k: usize| {
            let off: usize =
                idx.iter().zip(&strides).enumerate().map(|(a, (&i, &s))| if a == axis { k } else { i } * s).sum();
            x[off]
        };
        let values: Vec<f32> = (0..dims[axis]).map(at).collect();
        let best = match values.iter().position(|v| v.is_nan()) {
            Some(k) => k,
            None => {
                let target =
                    values.iter().copied().fold(if max { f32::NEG_INFINITY } else { f32::INFINITY }, |m, v| {
                        if max {
                            m.max(v)
                        } else {
                            m.min(v)
                        }
                    });
                values.iter().position(|&v| v == target).unwrap_or(0)
            }
        };
        out.push(best as i64);
    });
    out
}
