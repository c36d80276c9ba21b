//! Device dispatch for pooling. Inputs arrive dense (the op makes them contiguous);
//! results leave untracked.

use super::cpu;
pub(crate) use super::params::Pool2dParams;
use crate::storage::{try_alloc, zeros_f32, Storage};
use crate::{Error, Result, Shape, Tensor};

fn in_shape(p: &Pool2dParams) -> Shape {
    Shape::new([p.n, p.h, p.w, p.c])
}

fn out_shape(p: &Pool2dParams) -> Shape {
    Shape::new([p.n, p.h_out, p.w_out, p.c])
}

/// Runs `f` on the dense f32 elements of `t`, whose memory must hold `shape` (1-D pooling
/// passes `(n, w, c)` tensors for `(n, 1, w, c)` problems).
fn with_f32<R>(t: &Tensor, shape: &Shape, name: &'static str, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let range = match t.layout().contiguous_range() {
        Some(r) if t.numel() == shape.numel() => r,
        _ => {
            return Err(Error::arg(
                name,
                format!("internal: expected dense memory for shape {shape}, got a view of shape {}", t.shape()),
            ))
        }
    };
    let guard = t.read();
    match &*guard {
        Storage::Cpu(_) => Ok(f(&guard.as_f32(name)?[range])),
    }
}

/// # Shapes
/// `x` `(n, h, w, c)` -> `(n, h_out, w_out, c)`.
pub(crate) fn max_pool2d(x: &Tensor, p: &Pool2dParams, name: &'static str) -> Result<Tensor> {
    let shape = out_shape(p);
    let mut out = zeros_f32(name, &shape)?;
    with_f32(x, &in_shape(p), name, |xs| cpu::pool::max_pool2d(xs, p, &mut out))?;
    Ok(Tensor::from_f32_vec(out, shape))
}

/// Max pooling that also keeps, for the backward, each output's argmax: its position
/// inside the window, one u32 per output element (the output's size, where saving the
/// input would keep the input's).
///
/// # Shapes
/// `x` `(n, h, w, c)` -> `(n, h_out, w_out, c)` and `n * h_out * w_out * c` codes.
pub(crate) fn max_pool2d_argmax(x: &Tensor, p: &Pool2dParams, name: &'static str) -> Result<(Tensor, Vec<u32>)> {
    let shape = out_shape(p);
    let mut out = zeros_f32(name, &shape)?;
    let mut arg = try_alloc(name, &shape, 0u32)?;
    with_f32(x, &in_shape(p), name, |xs| {
        cpu::pool::argmax_pool2d(xs, p, &mut arg, Some(&mut out), cpu::pool_avx512::available())
    })?;
    Ok((Tensor::from_f32_vec(out, shape), arg))
}

/// The backward of [`max_pool2d_argmax`] from its codes.
///
/// # Shapes
/// `g` `(n, h_out, w_out, c)` and its codes -> `(n, h, w, c)`.
pub(crate) fn max_pool2d_backward_from_argmax(
    g: &Tensor,
    arg: &[u32],
    p: &Pool2dParams,
    name: &'static str,
) -> Result<Tensor> {
    let shape = in_shape(p);
    if arg.len() != out_shape(p).numel() {
        return Err(Error::arg(
            name,
            format!("internal: {} argmax codes for output shape {}", arg.len(), out_shape(p)),
        ));
    }
    let mut gx = zeros_f32(name, &shape)?;
    with_f32(g, &out_shape(p), name, |gs| cpu::pool::max_pool2d_backward_from_argmax(gs, p, arg, &mut gx))?;
    Ok(Tensor::from_f32_vec(gx, shape))
}

/// # Shapes
/// `x` `(n, h, w, c)` -> `(n, h_out, w_out, c)`.
pub(crate) fn avg_pool2d(x: &Tensor, p: &Pool2dParams, name: &'static str) -> Result<Tensor> {
    let shape = out_shape(p);
    let mut out = zeros_f32(name, &shape)?;
    with_f32(x, &in_shape(p), name, |xs| cpu::pool::avg_pool2d(xs, p, &mut out))?;
    Ok(Tensor::from_f32_vec(out, shape))
}

/// Whether max pooling's backward from the input (below) is the tiled kernel, which
/// reads the input once and writes each gradient cell once; other windows are better
/// served by [`max_pool2d_argmax`]'s codes.
pub(crate) fn tiled_max_backward(p: &Pool2dParams) -> bool {
    cpu::pool_tiled::applies(p)
}

/// # Shapes
/// `x` `(n, h, w, c)`, `g` `(n, h_out, w_out, c)` -> `(n, h, w, c)`.
pub(crate) fn max_pool2d_backward(x: &Tensor, g: &Tensor, p: &Pool2dParams, name: &'static str) -> Result<Tensor> {
    let shape = in_shape(p);
    let mut gx = zeros_f32(name, &shape)?;
    let mut arg = try_alloc(name, &Shape::new([cpu::pool::argmax_scratch_len(p)]), 0u32)?;
    with_f32(x, &shape, name, |xs| {
        with_f32(g, &out_shape(p), name, |gs| cpu::pool::max_pool2d_backward(xs, gs, p, &mut arg, &mut gx))
    })??;
    Ok(Tensor::from_f32_vec(gx, shape))
}

/// # Shapes
/// `g` `(n, h_out, w_out, c)` -> `(n, h, w, c)`.
pub(crate) fn avg_pool2d_backward(g: &Tensor, p: &Pool2dParams, name: &'static str) -> Result<Tensor> {
    let shape = in_shape(p);
    let mut gx = zeros_f32(name, &shape)?;
    with_f32(g, &out_shape(p), name, |gs| cpu::pool::avg_pool2d_backward(gs, p, &mut gx))?;
    Ok(Tensor::from_f32_vec(gx, shape))
}
