//! Convolution over NHWC activations with HWIO kernels (Keras's `channels_last` layout
//! and kernel storage), 1-D and 2-D, with grouped channels, strides, dilation and
//! explicit asymmetric padding. No bias: the layer adds it.
//!
//! Output sizes come from [`crate::ops::geometry::output_size`]; Keras's `"same"` and
//! `"causal"` padding are turned into explicit `(before, after)` pairs by
//! [`crate::ops::geometry::axis_geometry`] before they reach these ops.
//!
//! Keras forbids `strides > 1` together with `dilation_rate > 1` in its layers; the op
//! itself supports the combination (it is well defined), so the check belongs to the layer.

use crate::autodiff::record;
use crate::backend::conv::{self as kernels, Conv2dParams};
use crate::ops::geometry::output_size;
use crate::{Error, Result, Shape, Tensor};

/// Settings of [`Tensor::conv2d`]. Field order is (height, width).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between kernel applications; default `[1, 1]`.
    pub strides: [usize; 2],
    /// Spacing between kernel taps (Keras `dilation_rate`); default `[1, 1]`.
    pub dilation: [usize; 2],
    /// Zeros added `(before, after)` along height and width; default none.
    pub padding: [(usize, usize); 2],
    /// Channel groups: input and output channels are split into `groups` independent
    /// convolutions; default 1.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions { strides: [1, 1], dilation: [1, 1], padding: [(0, 0); 2], groups: 1 }
    }
}

/// Settings of [`Tensor::conv1d`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between kernel applications; default 1.
    pub stride: usize,
    /// Spacing between kernel taps; default 1.
    pub dilation: usize,
    /// Zeros added `(before, after)`; default none.
    pub padding: (usize, usize),
    /// Channel groups; default 1.
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions { stride: 1, dilation: 1, padding: (0, 0), groups: 1 }
    }
}

impl Tensor {
    /// 2-D convolution (cross-correlation, as in every deep-learning framework):
    /// `y[b, oh, ow, co] = sum_{i, j, ci} x[b, oh*sh - top + i*dh, ow*sw - left + j*dw, g*cig + ci] * k[i, j, ci, co]`
    /// with `g = co / (c_out / groups)`, `cig = c_in / groups`, and zeros outside `x`.
    ///
    /// # Shapes
    /// `self` `(N, H, W, C_in)`, `kernel` `(KH, KW, C_in / groups, C_out)` ->
    /// `(N, H_out, W_out, C_out)` with
    /// `H_out = (H + top + bottom - (dh * (KH - 1) + 1)) / sh + 1` (likewise `W_out`).
    ///
    /// # Errors
    /// Wrong ranks, zero strides/dilation/groups, channels not divisible by `groups`, a
    /// kernel whose input-channel dim is not `C_in / groups`, or an input (plus padding)
    /// smaller than the dilated kernel.
    ///
    /// ```
    /// use fovea_core::{Conv2dOptions, Tensor};
    /// let x = Tensor::ones([2, 7, 7, 3])?;
    /// let k = Tensor::ones([3, 3, 3, 8])?;
    /// let y = x.conv2d(&k, &Conv2dOptions { strides: [2, 2], ..Default::default() })?;
    /// assert_eq!(y.dims(), &[2, 3, 3, 8]);
    /// assert_eq!(y.to_vec_f32()?[0], 27.0);
    /// # Ok::<(), fovea_core::Error>(())
    /// ```
    pub fn conv2d(&self, kernel: &Tensor, opts: &Conv2dOptions) -> Result<Tensor> {
        const OP: &str = "conv2d";
        let (xs, ks) = (self.shape(), kernel.shape());
        let (&[n, h, w, c_in], &[kh, kw, k_in, c_out]) = (xs.dims(), ks.dims()) else {
            return Err(rank_error(OP, 4, "(N, H, W, C_in)", "(KH, KW, C_in / groups, C_out)", xs, ks));
        };
        check_positive(OP, "strides", &opts.strides)?;
        check_positive(OP, "dilation", &opts.dilation)?;
        check_channels(OP, c_in, k_in, c_out, opts.groups, xs, ks)?;
        let [(top, bottom), (left, right)] = opts.padding;
        let h_out = axis_out(OP, "height", h, kh, opts.strides[0], opts.dilation[0], (top, bottom), xs, ks)?;
        let w_out = axis_out(OP, "width", w, kw, opts.strides[1], opts.dilation[1], (left, right), xs, ks)?;
        let p = Conv2dParams {
            n,
            h,
            w,
            c_in,
            kh,
            kw,
            c_out,
            groups: opts.groups,
            stride_h: opts.strides[0],
            stride_w: opts.strides[1],
            dil_h: opts.dilation[0],
            dil_w: opts.dilation[1],
            pad_top: top,
            pad_bottom: bottom,
            pad_left: left,
            pad_right: right,
            h_out,
            w_out,
        };
        conv2d_recorded(self, kernel, p)
    }

    /// 1-D convolution over the middle axis: [`Tensor::conv2d`] with a height of 1,
    /// through reshaped views of the input and kernel.
    ///
    /// # Shapes
    /// `self` `(N, W, C_in)`, `kernel` `(K, C_in / groups, C_out)` -> `(N, W_out, C_out)`
    /// with `W_out = (W + before + after - (dilation * (K - 1) + 1)) / stride + 1`.
    ///
    /// # Errors
    /// As [`Tensor::conv2d`], with rank-3 shapes.
    pub fn conv1d(&self, kernel: &Tensor, opts: &Conv1dOptions) -> Result<Tensor> {
        const OP: &str = "conv1d";
        let (xs, ks) = (self.shape(), kernel.shape());
        let (&[n, w, c_in], &[k, k_in, c_out]) = (xs.dims(), ks.dims()) else {
            return Err(rank_error(OP, 3, "(N, W, C_in)", "(K, C_in / groups, C_out)", xs, ks));
        };
        check_positive(OP, "stride", &[opts.stride])?;
        check_positive(OP, "dilation", &[opts.dilation])?;
        check_channels(OP, c_in, k_in, c_out, opts.groups, xs, ks)?;
        let w_out = axis_out(OP, "width", w, k, opts.stride, opts.dilation, opts.padding, xs, ks)?;
        let h_out = output_size(OP, 1, 1, 1, 1, 0, 0)?;
        let p = Conv2dParams {
            n,
            h: 1,
            w,
            c_in,
            kh: 1,
            kw: k,
            c_out,
            groups: opts.groups,
            stride_h: 1,
            stride_w: opts.stride,
            dil_h: 1,
            dil_w: opts.dilation,
            pad_top: 0,
            pad_bottom: 0,
            pad_left: opts.padding.0,
            pad_right: opts.padding.1,
            h_out,
            w_out,
        };
        let x4 = self.reshape([n, 1, w, c_in])?;
        let k4 = kernel.reshape([1, k, k_in, c_out])?;
        conv2d_recorded(&x4, &k4, p)?.reshape([n, w_out, c_out])
    }
}

/// Runs the forward kernel and records a backward that computes only the gradients
/// asked for: grad-input needs the kernel, grad-kernel needs the input, so each is kept
/// only when the other side tracks gradients.
fn conv2d_recorded(x: &Tensor, kernel: &Tensor, p: Conv2dParams) -> Result<Tensor> {
    let xc = x.contiguous()?;
    let kc = kernel.contiguous()?;
    let out = kernels::conv2d_forward(&xc, &kc, &p)?;
    Ok(record(out, "conv2d", &[&xc, &kc], || {
        let x_saved = kc.tracks_grad().then(|| xc.detach());
        let k_saved = xc.tracks_grad().then(|| kc.detach());
        Box::new(move |g, needs| {
            let g = g.contiguous()?;
            let gx = match (&k_saved, needs[0]) {
                (Some(k), true) => Some(kernels::conv2d_backward_input(&g, k, &p)?),
                _ => None,
            };
            let gk = match (&x_saved, needs[1]) {
                (Some(x), true) => Some(kernels::conv2d_backward_kernel(x, &g, &p)?),
                _ => None,
            };
            Ok(vec![gx, gk])
        })
    }))
}

fn rank_error(op: &'static str, rank: usize, x_dims: &str, k_dims: &str, xs: &Shape, ks: &Shape) -> Error {
    Error::shape(
        op,
        format!(
            "expected an input of rank {rank} {x_dims} and a kernel of rank {rank} {k_dims}, \
             got input shape {xs} (rank {}) and kernel shape {ks} (rank {})",
            xs.rank(),
            ks.rank()
        ),
    )
}

fn check_positive(op: &'static str, name: &str, values: &[usize]) -> Result<()> {
    if values.contains(&0) {
        let shown = if values.len() == 1 { values[0].to_string() } else { format!("{values:?}") };
        return Err(Error::arg(op, format!("{name} must be >= 1, got {name}={shown}")));
    }
    Ok(())
}

/// Keras's channel rules for grouped convolution, in Keras's order.
fn check_channels(
    op: &'static str,
    c_in: usize,
    k_in: usize,
    c_out: usize,
    groups: usize,
    xs: &Shape,
    ks: &Shape,
) -> Result<()> {
    if groups == 0 {
        return Err(Error::arg(op, "groups must be >= 1, got groups=0"));
    }
    if !c_in.is_multiple_of(groups) {
        return Err(Error::shape(
            op,
            format!(
                "received groups={groups} but the input has {c_in} channels (input shape {xs}); \
                 the input channels must be divisible by groups"
            ),
        ));
    }
    if !c_out.is_multiple_of(groups) {
        return Err(Error::shape(
            op,
            format!(
                "received groups={groups} but the kernel has {c_out} output channels (kernel shape {ks}); \
                 the output channels must be divisible by groups"
            ),
        ));
    }
    if k_in != c_in / groups {
        return Err(Error::shape(
            op,
            format!(
                "the kernel has {k_in} input channels (kernel shape {ks}) but the input has {c_in} channels \
                 (input shape {xs}) and groups={groups}, so the kernel needs {} input channels",
                c_in / groups
            ),
        ));
    }
    Ok(())
}

/// One spatial axis's output size, with the shapes added to a too-small-input error.
#[allow(clippy::too_many_arguments)]
fn axis_out(
    op: &'static str,
    axis: &str,
    n: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    (before, after): (usize, usize),
    xs: &Shape,
    ks: &Shape,
) -> Result<usize> {
    output_size(op, n, k, stride, dilation, before, after).map_err(|e| match e {
        Error::Shape { op, msg } => {
            Error::Shape { op, msg: format!("{msg} along the {axis} axis (input shape {xs}, kernel shape {ks})") }
        }
        other => other,
    })
}
