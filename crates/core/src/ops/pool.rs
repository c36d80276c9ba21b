//! Max and average pooling over channels-last inputs: 2-D over `(N, H, W, C)`, 1-D over
//! `(N, W, C)`, forward and backward.
//!
//! Padding is explicit `(before, after)` per axis and generalises Keras's `padding="same"`
//! (get Keras's pads from [`crate::ops::geometry::axis_geometry`] with `Padding::Same`):
//! padded cells never win a max and are not counted in an average, whose divisor is the
//! number of real cells in each window. A pad must be smaller than the pool size on its
//! axis, so that every window holds at least one real cell (PyTorch has a similar bound,
//! "pad should be at most half of kernel size"; Keras's own "same" pads always satisfy
//! ours).
//!
//! Gradients: max pooling sends each output's gradient to the **first** maximal cell of
//! its window in row-major window order (top to bottom, then left to right), so ties give
//! the whole gradient to one cell; average pooling spreads `g / count` over the window's
//! real cells. Where windows overlap (stride < pool size) a cell sums what each window
//! sends it. A NaN in a window wins the max and takes its gradient.

use crate::autodiff::{is_grad_enabled, record};
use crate::backend::pool::{self as kernels, Pool2dParams};
use crate::ops::geometry::output_size;
use crate::{Error, Result, Shape, Tensor};

/// Options of a 2-D pooling: window, step and explicit padding per spatial axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// Window size `[height, width]`, each >= 1.
    pub pool_size: [usize; 2],
    /// Step between windows `[height, width]`, each >= 1 (may exceed `pool_size`).
    pub strides: [usize; 2],
    /// Explicit `(before, after)` padding for height and width; each pad must be smaller
    /// than the pool size on its axis.
    pub padding: [(usize, usize); 2],
}

impl Pool2dOptions {
    /// `pool_size` with strides = pool_size and no padding (Keras's default).
    pub fn new(pool_size: [usize; 2]) -> Self {
        Pool2dOptions { pool_size, strides: pool_size, padding: [(0, 0); 2] }
    }
}

/// Options of a 1-D pooling: window, step and explicit padding along the steps axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool1dOptions {
    /// Window size, >= 1.
    pub pool_size: usize,
    /// Step between windows, >= 1 (may exceed `pool_size`).
    pub stride: usize,
    /// Explicit `(before, after)` padding; each smaller than `pool_size`.
    pub padding: (usize, usize),
}

impl Pool1dOptions {
    /// `pool_size` with stride = pool_size and no padding (Keras's default).
    pub fn new(pool_size: usize) -> Self {
        Pool1dOptions { pool_size, stride: pool_size, padding: (0, 0) }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Max,
    Avg,
}

/// One spatial axis as the user described it.
struct Axis {
    name: &'static str,
    n: usize,
    pool: usize,
    stride: usize,
    pad: (usize, usize),
}

/// Adds the axis and the input shape to an error from the geometry rules.
fn locate(e: Error, axis: &str, shape: &Shape) -> Error {
    let more = |msg: String| format!("{msg} on the {axis} axis (input shape {shape})");
    match e {
        Error::Shape { op, msg } => Error::Shape { op, msg: more(msg) },
        Error::Argument { op, msg } => Error::Argument { op, msg: more(msg) },
        other => other,
    }
}

/// The output size of one axis; pool size and stride are already known to be >= 1.
fn axis_out(op: &'static str, ax: &Axis, shape: &Shape) -> Result<usize> {
    if ax.n == 0 {
        return Err(Error::shape(op, format!("the {} axis is empty (input shape {shape})", ax.name)));
    }
    let (before, after) = ax.pad;
    if before >= ax.pool || after >= ax.pool {
        return Err(Error::arg(
            op,
            format!(
                "padding ({before}, {after}) on the {} axis must be smaller than pool_size {} there, \
                 or a window could hold only padding (input shape {shape})",
                ax.name, ax.pool
            ),
        ));
    }
    output_size(op, ax.n, ax.pool, ax.stride, 1, before, after).map_err(|e| locate(e, ax.name, shape))
}

/// The checked problem: `(batch, channels)` around the spatial axes `[height, width]`.
fn params(op: &'static str, shape: &Shape, nc: (usize, usize), hw: [Axis; 2]) -> Result<Pool2dParams> {
    let [h, w] = hw;
    let (h_out, w_out) = (axis_out(op, &h, shape)?, axis_out(op, &w, shape)?);
    // Max backward stores each argmax as a u32 position inside the window.
    if h.pool.checked_mul(w.pool).is_none_or(|k| k > u32::MAX as usize) {
        return Err(Error::arg(
            op,
            format!("a {} x {} pool window is too large (at most 2^32 - 1 cells; input shape {shape})", h.pool, w.pool),
        ));
    }
    Ok(Pool2dParams {
        n: nc.0,
        h: h.n,
        w: w.n,
        c: nc.1,
        ph: h.pool,
        pw: w.pool,
        stride_h: h.stride,
        stride_w: w.stride,
        pad_top: h.pad.0,
        pad_bottom: h.pad.1,
        pad_left: w.pad.0,
        pad_right: w.pad.1,
        h_out,
        w_out,
    })
}

fn params_2d(op: &'static str, x: &Tensor, o: &Pool2dOptions) -> Result<Pool2dParams> {
    let shape = x.shape();
    let &[n, h, w, c] = x.dims() else {
        return Err(Error::shape(op, format!("expected a rank-4 input (N, H, W, C), got shape {shape}")));
    };
    if o.pool_size.contains(&0) {
        let msg = format!("pool_size must be >= 1 on each axis, got {:?} (input shape {shape})", o.pool_size);
        return Err(Error::arg(op, msg));
    }
    if o.strides.contains(&0) {
        let msg = format!("strides must be >= 1 on each axis, got {:?} (input shape {shape})", o.strides);
        return Err(Error::arg(op, msg));
    }
    let axis = |i: usize, name, n| Axis { name, n, pool: o.pool_size[i], stride: o.strides[i], pad: o.padding[i] };
    params(op, shape, (n, c), [axis(0, "height", h), axis(1, "width", w)])
}

/// 1-D pooling is 2-D pooling of an `(N, 1, W, C)` image, which has the same memory.
fn params_1d(op: &'static str, x: &Tensor, o: &Pool1dOptions) -> Result<Pool2dParams> {
    let shape = x.shape();
    let &[n, w, c] = x.dims() else {
        return Err(Error::shape(op, format!("expected a rank-3 input (N, W, C), got shape {shape}")));
    };
    if o.pool_size == 0 {
        return Err(Error::arg(op, format!("pool_size must be >= 1, got 0 (input shape {shape})")));
    }
    if o.stride == 0 {
        return Err(Error::arg(op, format!("stride must be >= 1, got 0 (input shape {shape})")));
    }
    let unit = Axis { name: "height", n: 1, pool: 1, stride: 1, pad: (0, 0) };
    let width = Axis { name: "width", n: w, pool: o.pool_size, stride: o.stride, pad: o.padding };
    params(op, shape, (n, c), [unit, width])
}

/// Runs the pooling described by `p` on `x` (whose dense memory is `p`'s input) and
/// records its backward; the output takes `out_dims`.
fn pool(x: &Tensor, p: Pool2dParams, kind: Kind, op: &'static str, out_dims: Vec<usize>) -> Result<Tensor> {
    let xc = x.detach().contiguous()?;
    let in_shape = x.shape().clone();
    // What max's backward needs to find each window's argmax.
    enum Saved {
        Avg,
        // Windows that tile the input: the backward re-reads the input once.
        Input(Tensor),
        // Overlapping or offset windows: the forward's argmax codes.
        Argmax(Vec<u32>),
    }
    let recording = is_grad_enabled() && x.tracks_grad();
    let (out, saved) = match kind {
        Kind::Avg => (kernels::avg_pool2d(&xc, &p, op)?, Saved::Avg),
        Kind::Max if recording && !kernels::tiled_max_backward(&p) => {
            let (out, arg) = kernels::max_pool2d_argmax(&xc, &p, op)?;
            (out, Saved::Argmax(arg))
        }
        Kind::Max => (kernels::max_pool2d(&xc, &p, op)?, Saved::Input(xc)),
    };
    let out = out.reshape(out_dims)?;
    Ok(record(out, op, &[x], || {
        Box::new(move |g, _| {
            let g = g.contiguous()?;
            let gx = match &saved {
                Saved::Avg => kernels::avg_pool2d_backward(&g, &p, op)?,
                Saved::Input(xc) => kernels::max_pool2d_backward(xc, &g, &p, op)?,
                Saved::Argmax(arg) => kernels::max_pool2d_backward_from_argmax(&g, arg, &p, op)?,
            };
            Ok(vec![Some(gx.reshape(in_shape.clone())?)])
        })
    }))
}

impl Tensor {
    /// Max pooling over height and width, Keras's `MaxPooling2D` with explicit padding.
    /// Padded cells never win; the gradient goes to the first maximal cell of each window
    /// (see the [module docs](crate::ops::pool)).
    ///
    /// # Shapes
    /// `x` `(N, H, W, C)` -> `(N, H_out, W_out, C)` with
    /// `H_out = (H + pad_top + pad_bottom - pool_h) / stride_h + 1` (floor), likewise `W_out`.
    ///
    /// # Errors
    /// A rank other than 4, a zero pool size or stride, an empty spatial axis, a pad not
    /// smaller than the pool size, or a padded input smaller than the window.
    pub fn max_pool2d(&self, opts: &Pool2dOptions) -> Result<Tensor> {
        let p = params_2d("max_pool2d", self, opts)?;
        pool(self, p, Kind::Max, "max_pool2d", vec![p.n, p.h_out, p.w_out, p.c])
    }

    /// Average pooling over height and width, Keras's `AveragePooling2D` with explicit
    /// padding: each window divides by its number of real (unpadded) cells.
    ///
    /// # Shapes
    /// `x` `(N, H, W, C)` -> `(N, H_out, W_out, C)`, sizes as in [`Tensor::max_pool2d`].
    ///
    /// # Errors
    /// As [`Tensor::max_pool2d`].
    pub fn avg_pool2d(&self, opts: &Pool2dOptions) -> Result<Tensor> {
        let p = params_2d("avg_pool2d", self, opts)?;
        pool(self, p, Kind::Avg, "avg_pool2d", vec![p.n, p.h_out, p.w_out, p.c])
    }

    /// Max pooling along the steps axis, Keras's `MaxPooling1D` with explicit padding.
    ///
    /// # Shapes
    /// `x` `(N, W, C)` -> `(N, W_out, C)` with
    /// `W_out = (W + pad_before + pad_after - pool_size) / stride + 1` (floor).
    ///
    /// # Errors
    /// A rank other than 3, or any error of [`Tensor::max_pool2d`] on the one axis.
    pub fn max_pool1d(&self, opts: &Pool1dOptions) -> Result<Tensor> {
        let p = params_1d("max_pool1d", self, opts)?;
        pool(self, p, Kind::Max, "max_pool1d", vec![p.n, p.w_out, p.c])
    }

    /// Average pooling along the steps axis, Keras's `AveragePooling1D` with explicit
    /// padding: each window divides by its number of real cells.
    ///
    /// # Shapes
    /// `x` `(N, W, C)` -> `(N, W_out, C)`, sizes as in [`Tensor::max_pool1d`].
    ///
    /// # Errors
    /// As [`Tensor::max_pool1d`].
    pub fn avg_pool1d(&self, opts: &Pool1dOptions) -> Result<Tensor> {
        let p = params_1d("avg_pool1d", self, opts)?;
        pool(self, p, Kind::Avg, "avg_pool1d", vec![p.n, p.w_out, p.c])
    }
}
