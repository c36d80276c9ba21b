//! Output sizes and padding for convolution and pooling: the only copy of these rules.
//!
//! Keras's rules, per spatial axis, with effective kernel `k_eff = dilation * (k - 1) + 1`:
//! - `Valid`: no padding; `out = floor((n - k_eff) / stride) + 1`.
//! - `Same`: `out = ceil(n / stride)`; `pad_total = max((out - 1) * stride + k_eff - n, 0)`,
//!   `pad_before = pad_total / 2` and the odd cell goes after (bottom / right). This is
//!   TensorFlow's convention, which Keras inherits; PyTorch's symmetric padding differs
//!   whenever `pad_total` is odd.
//! - `Causal` (1-D only in Keras): `pad_before = dilation * (k - 1)`, nothing after, so
//!   output `t` sees inputs `<= t`.
//!
//! With explicit padding the lecture's rule holds: `out = (n - k_eff + pads) / stride + 1`.

use crate::{Error, Result};

/// How a spatial axis is padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Padding {
    /// No padding.
    #[default]
    Valid,
    /// Output size ceil(n / stride); the odd padding cell goes after.
    Same,
    /// All padding before (1-D sequences): output t sees inputs <= t.
    Causal,
}

/// The size and padding of one spatial axis of an op's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisGeometry {
    /// Output size along the axis.
    pub out: usize,
    /// Padding cells before the first input cell (top / left).
    pub pad_before: usize,
    /// Padding cells after the last input cell (bottom / right).
    pub pad_after: usize,
}

/// `dilation * (kernel - 1) + 1`, the span one kernel application covers.
pub fn effective_kernel(op: &'static str, kernel: usize, dilation: usize) -> Result<usize> {
    if kernel == 0 || dilation == 0 {
        return Err(Error::arg(
            op,
            format!("kernel size and dilation must be >= 1, got kernel {kernel}, dilation {dilation}"),
        ));
    }
    dilation
        .checked_mul(kernel - 1)
        .and_then(|x| x.checked_add(1))
        .ok_or_else(|| Error::arg(op, format!("kernel {kernel} with dilation {dilation} overflows")))
}

/// Output size with explicit padding: `floor((n + before + after - k_eff) / stride) + 1`.
/// An input smaller than the (padded) kernel is an error naming the sizes.
pub fn output_size(
    op: &'static str,
    n: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    before: usize,
    after: usize,
) -> Result<usize> {
    if stride == 0 {
        return Err(Error::arg(op, "stride must be >= 1, got 0"));
    }
    let k_eff = effective_kernel(op, kernel, dilation)?;
    let padded = n
        .checked_add(before)
        .and_then(|x| x.checked_add(after))
        .ok_or_else(|| Error::arg(op, format!("padding ({before}, {after}) overflows size {n}")))?;
    if padded < k_eff {
        return Err(Error::shape(
            op,
            format!("input size {n} with padding ({before}, {after}) is smaller than the kernel's span {k_eff} (kernel {kernel}, dilation {dilation})"),
        ));
    }
    Ok((padded - k_eff) / stride + 1)
}

/// Output size and padding of one axis under Keras's `padding` rule.
pub fn axis_geometry(
    op: &'static str,
    n: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> Result<AxisGeometry> {
    if stride == 0 {
        return Err(Error::arg(op, "stride must be >= 1, got 0"));
    }
    let k_eff = effective_kernel(op, kernel, dilation)?;
    let (before, after) = match padding {
        Padding::Valid => (0, 0),
        Padding::Same => {
            let out = n.div_ceil(stride);
            let total = ((out.saturating_sub(1)) * stride + k_eff).saturating_sub(n);
            (total / 2, total - total / 2)
        }
        Padding::Causal => (k_eff - 1, 0),
    };
    let out = output_size(op, n, kernel, stride, dilation, before, after)?;
    Ok(AxisGeometry { out, pad_before: before, pad_after: after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lecture_output_sizes() {
        // AlexNet CONV1: 227x227, 11x11, stride 4, no pad -> 55.
        assert_eq!(output_size("t", 227, 11, 4, 1, 0, 0).unwrap(), 55);
        // POOL1: 55 -> 27 with 3x3 stride 2.
        assert_eq!(axis_geometry("t", 55, 3, 2, 1, Padding::Valid).unwrap().out, 27);
        // CONV2: 27, 5x5, pad 2 -> 27.
        assert_eq!(output_size("t", 27, 5, 1, 1, 2, 2).unwrap(), 27);
        // The lecture's 7x7 input, 3x3 filter, stride 2 -> 3; stride 3 does not fit
        // evenly and floors to 2.
        assert_eq!(output_size("t", 7, 3, 2, 1, 0, 0).unwrap(), 3);
        assert_eq!(output_size("t", 7, 3, 3, 1, 0, 0).unwrap(), 2);
    }

    #[test]
    fn same_padding_puts_extra_cell_after() {
        // n=5, k=2, s=1: total pad 1 -> (0, 1).
        let g = axis_geometry("t", 5, 2, 1, 1, Padding::Same).unwrap();
        assert_eq!(g, AxisGeometry { out: 5, pad_before: 0, pad_after: 1 });
        // n=6, k=3, s=2: out 3, total = (3-1)*2+3-6 = 1 -> (0, 1).
        let g = axis_geometry("t", 6, 3, 2, 1, Padding::Same).unwrap();
        assert_eq!(g, AxisGeometry { out: 3, pad_before: 0, pad_after: 1 });
        // n=7, k=4, s=1, d=2: k_eff 7, total 6 -> (3, 3).
        let g = axis_geometry("t", 7, 4, 1, 2, Padding::Same).unwrap();
        assert_eq!(g, AxisGeometry { out: 7, pad_before: 3, pad_after: 3 });
        // Stride larger than kernel: n=10, k=1, s=3: out 4, total max(9+1-10,0)=0.
        let g = axis_geometry("t", 10, 1, 3, 1, Padding::Same).unwrap();
        assert_eq!(g, AxisGeometry { out: 4, pad_before: 0, pad_after: 0 });
    }

    #[test]
    fn causal_pads_only_before() {
        let g = axis_geometry("t", 10, 3, 1, 2, Padding::Causal).unwrap();
        assert_eq!(g, AxisGeometry { out: 10, pad_before: 4, pad_after: 0 });
    }

    #[test]
    fn bad_geometry_is_an_error_naming_the_sizes() {
        let e = output_size("conv2d", 4, 5, 1, 1, 0, 0).unwrap_err().to_string();
        assert!(e.contains("conv2d") && e.contains("input size 4") && e.contains("span 5"), "{e}");
        assert!(axis_geometry("conv2d", 4, 3, 0, 1, Padding::Valid).is_err());
        assert!(axis_geometry("conv2d", 4, 0, 1, 1, Padding::Valid).is_err());
    }
}
