//! The one place that matches on the device and picks a kernel for each op.
//! Ops hand it validated tensors; it hands back untracked results. Kernels live under
//! `cpu/` (fast) and `reference/` (naive test oracles).

pub(crate) mod bias;
pub(crate) mod conv;
pub(crate) mod cpu;
pub(crate) mod lrn;
pub(crate) mod matmul;
pub(crate) mod params;
pub(crate) mod pool;
#[cfg(test)]
pub(crate) mod reference;
pub(crate) mod softmax;

use crate::storage::{zeros_f32, Storage};
use crate::{Result, Shape, Tensor};
pub(crate) use params::{BinaryOp, UnaryOp};

/// `out = op(lhs, rhs)` where both are already broadcast (as views) to `out_shape`.
pub(crate) fn binary(op: BinaryOp, lhs: &Tensor, rhs: &Tensor, out_shape: &Shape) -> Result<Tensor> {
    let (ls, rs) = (lhs.read(), rhs.read());
    match (&*ls, &*rs) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            let a = ls.as_f32(op.name())?;
            let b = rs.as_f32(op.name())?;
            let mut out = zeros_f32(op.name(), out_shape)?;
            cpu::elementwise::binary(op, a, lhs.layout(), b, rhs.layout(), &mut out);
            Ok(Tensor::from_f32_vec(out, out_shape.clone()))
        }
    }
}

/// `out = op(x)` element-wise.
pub(crate) fn unary(op: UnaryOp, x: &Tensor) -> Result<Tensor> {
    let xs = x.read();
    match &*xs {
        Storage::Cpu(_) => {
            let a = xs.as_f32(op.name())?;
            let mut out = zeros_f32(op.name(), x.shape())?;
            cpu::elementwise::unary(op, a, x.layout(), &mut out);
            Ok(Tensor::from_f32_vec(out, x.shape().clone()))
        }
    }
}

pub(crate) use cpu::reduce::ReduceOp;

/// Reduces `x` over `axes` (sorted, unique); the result has `x`'s rank with the reduced
/// axes set to 1 (keepdims form).
pub(crate) fn reduce(op: ReduceOp, x: &Tensor, axes: &[usize], name: &'static str) -> Result<Tensor> {
    let mut kept = x.dims().to_vec();
    for &a in axes {
        kept[a] = 1;
    }
    let out_shape = Shape::new(kept);
    let mut out_strides = out_shape.contiguous_strides();
    for &a in axes {
        out_strides[a] = 0;
    }
    let xs = x.read();
    match &*xs {
        Storage::Cpu(_) => {
            let data = xs.as_f32(name)?;
            let mut out = zeros_f32(name, &out_shape)?;
            cpu::reduce::reduce(op, data, x.layout(), &out_strides, &mut out);
            Ok(Tensor::from_f32_vec(out, out_shape))
        }
    }
}

/// Index of the extreme along `axis` of a contiguous `x`; keepdims form, int64.
pub(crate) fn arg_reduce(x: &Tensor, axis: usize, max: bool, name: &'static str) -> Result<Tensor> {
    let dims = x.dims();
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    let mut kept = dims.to_vec();
    kept[axis] = 1;
    let out_shape = Shape::new(kept);
    let xs = x.f32_data(name)?;
    let mut out = crate::storage::try_alloc(name, &out_shape, 0i64)?;
    cpu::reduce::arg_reduce(&xs, outer, dims[axis], inner, max, &mut out);
    Tensor::from_vec_i64(out, out_shape)
}

/// Writes each `(src, region)` into a new f32 tensor of `out_shape` filled with `fill`;
/// `region` is the destination view (a layout over the output's dense storage).
pub(crate) fn assemble(
    out_shape: &Shape,
    fill: f32,
    parts: &[(&Tensor, crate::Layout)],
    name: &'static str,
) -> Result<Tensor> {
    let mut out = crate::storage::try_alloc(name, out_shape, fill)?;
    for (src, region) in parts {
        let ss = src.read();
        match &*ss {
            Storage::Cpu(_) => cpu::movement::copy_strided(ss.as_f32(name)?, src.layout(), &mut out, region),
        }
    }
    Ok(Tensor::from_f32_vec(out, out_shape.clone()))
}

/// numpy `take` on a contiguous `x` viewed as `(outer, n, inner)`; result `(outer, m, inner)`.
pub(crate) fn take(
    x: &Tensor,
    outer: usize,
    n: usize,
    inner: usize,
    idx: &[usize],
    name: &'static str,
) -> Result<Vec<f32>> {
    let xs = x.f32_data(name)?;
    let mut out = zeros_f32(name, &Shape::new([outer, idx.len(), inner]))?;
    cpu::movement::take(&xs, outer, n, inner, idx, &mut out);
    Ok(out)
}

/// The scatter-add backward of [`take`]; `g` contiguous `(outer, m, inner)`.
pub(crate) fn take_backward(
    g: &Tensor,
    outer: usize,
    n: usize,
    inner: usize,
    idx: &[usize],
    name: &'static str,
) -> Result<Vec<f32>> {
    let gs = g.f32_data(name)?;
    let mut out = zeros_f32(name, &Shape::new([outer, n, inner]))?;
    cpu::movement::take_backward(&gs, outer, n, inner, idx, &mut out);
    Ok(out)
}

/// `out = if mask != 0 { on_true } else { on_false }` where all three are already
/// broadcast (as views) to `out_shape`.
pub(crate) fn select(mask: &Tensor, on_true: &Tensor, on_false: &Tensor, out_shape: &Shape) -> Result<Tensor> {
    let (ms, ts, fs) = (mask.read(), on_true.read(), on_false.read());
    match (&*ms, &*ts, &*fs) {
        (Storage::Cpu(_), Storage::Cpu(_), Storage::Cpu(_)) => {
            let (m, a, b) = (ms.as_f32("where")?, ts.as_f32("where")?, fs.as_f32("where")?);
            let mut out = zeros_f32("where", out_shape)?;
            cpu::elementwise::select(m, mask.layout(), a, on_true.layout(), b, on_false.layout(), &mut out);
            Ok(Tensor::from_f32_vec(out, out_shape.clone()))
        }
    }
}

/// Runs a CPU kernel `f(x, out)` over the dense f32 elements of `x` into a new tensor
/// of `x`'s shape: the dispatch shared by per-row kernels (softmax, LRN).
pub(crate) fn map_dense(x: &Tensor, name: &'static str, f: impl FnOnce(&[f32], &mut [f32])) -> Result<Tensor> {
    let mut out = zeros_f32(name, x.shape())?;
    let range = dense_range(x, name)?;
    let xs = x.read();
    match &*xs {
        Storage::Cpu(_) => f(&xs.as_f32(name)?[range], &mut out),
    }
    Ok(Tensor::from_f32_vec(out, x.shape().clone()))
}

/// [`map_dense`] for kernels of two same-shaped dense inputs (a saved tensor and the
/// output gradient).
pub(crate) fn map_dense2(
    a: &Tensor,
    b: &Tensor,
    name: &'static str,
    f: impl FnOnce(&[f32], &[f32], &mut [f32]),
) -> Result<Tensor> {
    let mut out = zeros_f32(name, a.shape())?;
    let (ar, br) = (dense_range(a, name)?, dense_range(b, name)?);
    let (as_, bs) = (a.read(), b.read());
    match (&*as_, &*bs) {
        (Storage::Cpu(_), Storage::Cpu(_)) => f(&as_.as_f32(name)?[ar], &bs.as_f32(name)?[br], &mut out),
    }
    Ok(Tensor::from_f32_vec(out, a.shape().clone()))
}

fn dense_range(t: &Tensor, name: &'static str) -> Result<std::ops::Range<usize>> {
    t.layout().contiguous_range().ok_or_else(|| crate::Error::arg(name, "internal: expected a contiguous tensor"))
}
