//! Device dispatch for 2-D convolution. The op (`ops::conv`) has validated the shapes
//! and computed [`Conv2dParams`]; these functions pick the kernel and allocate outputs.
//!
//! # Shapes
//! `x` `(n, h, w, c_in)`, `kernel` `(kh, kw, c_in / groups, c_out)`, `dy` and the forward
//! output `(n, h_out, w_out, c_out)`. Every tensor passed in must be contiguous.

use crate::backend::cpu::{conv_direct, conv_grad, conv_grad_kernel, conv_im2col, conv_tile, conv_winograd};
use crate::backend::cpu::{conv_planar, conv_s2d, conv_winograd_grad, scratch};
pub(crate) use crate::backend::params::Conv2dParams;
use crate::storage::{zeros_f32, Storage};
use crate::{Error, Result, Shape, Tensor};

fn input_shape(p: &Conv2dParams) -> Shape {
    Shape::new([p.n, p.h, p.w, p.c_in])
}

fn kernel_shape(p: &Conv2dParams) -> Shape {
    Shape::new([p.kh, p.kw, p.c_in / p.groups, p.c_out])
}

fn output_shape(p: &Conv2dParams) -> Shape {
    Shape::new([p.n, p.h_out, p.w_out, p.c_out])
}

/// The dense f32 elements of contiguous `t`, checked against the shape the params expect
/// (a mismatch is a bug in the op, reported rather than indexed out of bounds).
fn dense<'a>(op: &'static str, t: &Tensor, storage: &'a Storage, expect: &Shape) -> Result<&'a [f32]> {
    if t.shape() != expect {
        return Err(Error::shape(op, format!("internal: got shape {}, params describe {expect}", t.shape())));
    }
    let range =
        t.layout().contiguous_range().ok_or_else(|| Error::arg(op, "internal: expected a contiguous tensor"))?;
    Ok(&storage.as_f32(op)?[range])
}

/// `y = conv2d(x, kernel)`, shape `(n, h_out, w_out, c_out)`.
pub(crate) fn conv2d_forward(x: &Tensor, kernel: &Tensor, p: &Conv2dParams) -> Result<Tensor> {
    const OP: &str = "conv2d";
    let (xs, ks) = (x.read(), kernel.read());
    match (&*xs, &*ks) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            let xd = dense(OP, x, &xs, &input_shape(p))?;
            let kd = dense(OP, kernel, &ks, &kernel_shape(p))?;
            let shape = output_shape(p);
            let mut out = zeros_f32(OP, &shape)?;
            forward(xd, kd, p, &mut out);
            Ok(Tensor::from_f32_vec(out, shape))
        }
    }
}

/// The gradient of conv2d with respect to its input, shape `(n, h, w, c_in)`.
pub(crate) fn conv2d_backward_input(dy: &Tensor, kernel: &Tensor, p: &Conv2dParams) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_input";
    let (gs, ks) = (dy.read(), kernel.read());
    match (&*gs, &*ks) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            let gd = dense(OP, dy, &gs, &output_shape(p))?;
            let kd = dense(OP, kernel, &ks, &kernel_shape(p))?;
            let shape = input_shape(p);
            let mut dx = zeros_f32(OP, &shape)?;
            backward_input(gd, kd, p, &mut dx);
            Ok(Tensor::from_f32_vec(dx, shape))
        }
    }
}

/// The gradient of conv2d with respect to its kernel, shape `(kh, kw, c_in / groups, c_out)`.
pub(crate) fn conv2d_backward_kernel(x: &Tensor, dy: &Tensor, p: &Conv2dParams) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_kernel";
    let (xs, gs) = (x.read(), dy.read());
    match (&*xs, &*gs) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            let xd = dense(OP, x, &xs, &input_shape(p))?;
            let gd = dense(OP, dy, &gs, &output_shape(p))?;
            let shape = kernel_shape(p);
            let mut dw = zeros_f32(OP, &shape)?;
            backward_kernel(xd, gd, p, &mut dw);
            Ok(Tensor::from_f32_vec(dw, shape))
        }
    }
}

/// A forward convolution algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algo {
    /// Patch matrix + the `gemm` crate: any CPU, any conv.
    Im2col,
    /// Implicit GEMM on AVX-512 register tiles: any conv.
    Direct,
    /// Winograd F(4x4, 3x3) or F(2x2, 5x5): stride 1, no dilation, one group.
    Winograd,
    /// A strided conv as the stride-1 Winograd conv of its space-to-depth input.
    SpaceToDepth,
    /// Pixels in the vector lanes: stride 1, at most 8 output channels (LeNet's 1 -> 6).
    Planar,
}

/// The algorithm choice for a forward conv (and for a stride-1 grad-input, which is one):
/// - Winograd for 3x3 and 5x5 stride-1 convs with at least 16 channels each way;
/// - space-to-depth for strided convs that it turns into such a Winograd conv
///   (AlexNet conv1: 11x11 stride 4 on 3 channels -> 3x3 on 48);
/// - pixels in the vector lanes for stride-1 convs to at most 8 channels, from at most
///   64 (channels in the lanes would leave half of them idle);
/// - the `gemm` crate for 1x1 stride-1 unpadded convs (one plain GEMM);
/// - register tiles (direct) for everything else, im2col without AVX-512.
pub(crate) fn forward_algo(p: &Conv2dParams) -> Algo {
    if !conv_tile::available() {
        return Algo::Im2col;
    }
    // Below ~16 channels the Winograd transforms cost more than the multiplies saved.
    if conv_winograd::applies(p) && p.c_in >= 16 && p.c_out >= 16 {
        return Algo::Winograd;
    }
    if conv_s2d::params(p).is_some_and(|q| forward_algo(&q) == Algo::Winograd) {
        return Algo::SpaceToDepth;
    }
    if conv_planar::applies_forward(p) && p.c_in <= 64 {
        return Algo::Planar;
    }
    // A 1x1 stride-1 unpadded conv is one plain GEMM over all pixels; the `gemm` crate's
    // packed product measured ~10% faster than register tiles on it (8x28x28x256 -> 64).
    if conv_im2col::is_pointwise(p) {
        return Algo::Im2col;
    }
    Algo::Direct
}

/// Calls `f(x', w', q)` with the space-to-depth input and kernel of conv `p` in scratch.
fn with_s2d<R>(x: &[f32], w: &[f32], p: &Conv2dParams, q: &Conv2dParams, f: impl FnOnce(&[f32], &[f32]) -> R) -> R {
    let wlen = q.kh * q.kw * q.c_in * q.c_out;
    scratch::with(&scratch::S2D_KERNEL, wlen, |ws| {
        conv_s2d::kernel(w, p, q, ws);
        scratch::with(&scratch::S2D_INPUT, q.n * q.h * q.w * q.c_in, |xs| {
            conv_s2d::input(x, p, q, xs);
            f(xs, ws)
        })
    })
}

/// `out = conv(x, w)` by [`forward_algo`]'s choice; `out` is overwritten.
pub(crate) fn forward(x: &[f32], w: &[f32], p: &Conv2dParams, out: &mut [f32]) {
    match (forward_algo(p), conv_s2d::params(p)) {
        (Algo::Im2col, _) => conv_im2col::forward(x, w, p, out),
        (Algo::Direct, _) => conv_direct::forward(x, w, p, out),
        (Algo::Winograd, _) => conv_winograd::forward(x, w, p, out),
        (Algo::Planar, _) => conv_planar::forward(x, w, p, out),
        (Algo::SpaceToDepth, Some(q)) => with_s2d(x, w, p, &q, |xs, ws| forward(xs, ws, &q, out)),
        (Algo::SpaceToDepth, None) => conv_im2col::forward(x, w, p, out),
    }
}

/// `dx` of a conv; `dx` must be zero on entry. Stride 1: a forward conv of `dy` with
/// the flipped kernel (see `conv_grad`); a space-to-depth conv: the stride-1 gradient
/// of `x'`, mapped back; otherwise im2col + col2im.
pub(crate) fn backward_input(dy: &[f32], w: &[f32], p: &Conv2dParams, dx: &mut [f32]) {
    if let (Algo::SpaceToDepth, Some(q)) = (forward_algo(p), conv_s2d::params(p)) {
        let wlen = q.kh * q.kw * q.c_in * q.c_out;
        return scratch::with(&scratch::S2D_KERNEL, wlen, |ws| {
            conv_s2d::kernel(w, p, &q, ws);
            scratch::with(&scratch::S2D_INPUT, q.n * q.h * q.w * q.c_in, |dxs| {
                dxs.fill(0.0);
                backward_input(dy, ws, &q, dxs);
                conv_s2d::input_back(dxs, p, &q, dx);
            })
        });
    }
    match conv_grad::grad_input_params(p) {
        Some(q) if forward_algo(&q) != Algo::Im2col => scratch::with(&scratch::FLIPPED, w.len(), |flipped| {
            conv_grad::flip_kernel(w, p, flipped);
            forward(dy, flipped, &q, dx)
        }),
        _ => conv_im2col::backward_input(dy, w, p, dx),
    }
}

/// `dw` of a conv; `dw` must be zero on entry. The adjoint Winograd algorithm where the
/// forward conv would use Winograd and there are enough tiles to reduce over (directly
/// or on the space-to-depth input), else register tiles reading `x` and `dy` in place,
/// else (no AVX-512, or a pointwise conv: one plain GEMM) im2col.
pub(crate) fn backward_kernel(x: &[f32], dy: &[f32], p: &Conv2dParams, dw: &mut [f32]) {
    match (forward_algo(p), conv_s2d::params(p)) {
        // Below ~64 tiles (a batch of one Go board has 25) the transforms of dy and of
        // the kernel gradient cost more than the products save: 3.4 ms against 1.7.
        (Algo::Winograd, _) if winograd_tiles(p) >= 64 => conv_winograd_grad::backward_kernel(x, dy, p, dw),
        (Algo::SpaceToDepth, Some(q)) if winograd_tiles(&q) >= 64 => {
            let wlen = q.kh * q.kw * q.c_in * q.c_out;
            scratch::with(&scratch::S2D_KERNEL, wlen, |dws| {
                scratch::with(&scratch::S2D_INPUT, q.n * q.h * q.w * q.c_in, |xs| {
                    conv_s2d::input(x, p, &q, xs);
                    conv_winograd_grad::backward_kernel(xs, dy, &q, dws);
                });
                conv_s2d::kernel_back(dws, p, &q, dw);
            })
        }
        (Algo::Planar | Algo::Direct, _) if planar_grad_kernel(p) => conv_planar::backward_kernel(x, dy, p, dw),
        (Algo::Winograd | Algo::Direct | Algo::SpaceToDepth | Algo::Planar, _) => {
            conv_grad_kernel::backward_kernel(x, dy, p, dw)
        }
        (Algo::Im2col, _) => conv_im2col::backward_kernel(x, dy, p, dw),
    }
}

/// Whether the kernel gradient runs with pixels in the lanes: when the register tiles'
/// rows (`kw * c_in`, LeNet's first layer: 5) would be too few to hide the FMA latency.
/// (LeNet's second layer, 30 rows x 16 channels, measured 0.14 ms on tiles, 0.43 here.)
fn planar_grad_kernel(p: &Conv2dParams) -> bool {
    conv_planar::applies_grad_kernel(p) && p.c_in * p.kw <= 8
}

/// Output tiles of a Winograd conv over the batch (6x6 tiles: `6 - kh + 1` outputs a side).
fn winograd_tiles(p: &Conv2dParams) -> usize {
    let m = 7usize.saturating_sub(p.kh).max(1);
    p.n * p.h_out.div_ceil(m) * p.w_out.div_ceil(m)
}
