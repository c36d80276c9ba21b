//! Parameter types shared by every backend. Kernels take slices plus these, so a
//! future CUDA backend receives exactly the same descriptions.

/// An element-wise function of one tensor. Parameters travel in the variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum UnaryOp {
    Neg,
    Abs,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Square,
    Recip,
    Tanh,
    Sigmoid,
    Relu,
    /// min(max(x, 0), 6)
    Relu6,
    LeakyRelu {
        alpha: f32,
    },
    Elu {
        alpha: f32,
    },
    Selu,
    /// x * Phi(x) with the exact normal CDF.
    Gelu,
    /// The tanh approximation of GELU.
    GeluTanh,
    Softplus,
    Softsign,
    /// relu6(x + 3) / 6, Keras 3's definition.
    HardSigmoid,
    Silu,
    Clamp {
        min: f32,
        max: f32,
    },
    PowScalar {
        p: f32,
    },
    AddScalar {
        c: f32,
    },
    MulScalar {
        c: f32,
    },
}

impl UnaryOp {
    pub(crate) fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Exp => "exp",
            Log => "log",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Square => "square",
            Recip => "recip",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Relu => "relu",
            Relu6 => "relu6",
            LeakyRelu { .. } => "leaky_relu",
            Elu { .. } => "elu",
            Selu => "selu",
            Gelu => "gelu",
            GeluTanh => "gelu_tanh",
            Softplus => "softplus",
            Softsign => "softsign",
            HardSigmoid => "hard_sigmoid",
            Silu => "silu",
            Clamp { .. } => "clamp",
            PowScalar { .. } => "pow_scalar",
            AddScalar { .. } => "add_scalar",
            MulScalar { .. } => "mul_scalar",
        }
    }
}

/// An element-wise function of two tensors of the same (broadcast) shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    Pow,
    /// Comparisons give 1.0 where true and 0.0 elsewhere.
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `rhs * f'(lhs)`: the backward of a unary op, fused into one pass.
    UnaryBackward(UnaryOp),
}

impl BinaryOp {
    pub(crate) fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Maximum => "maximum",
            Minimum => "minimum",
            Pow => "pow",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            UnaryBackward(_) => "unary_backward",
        }
    }
}

/// A batch of matrix products `c[t] = a[t] @ b[t]`, `a[t]` is `m x k`, `b[t]` is `k x n`.
/// Element `(i, j)` of `a[t]` sits at `a_offsets[t] + i * a_rs + j * a_cs` (likewise for
/// `b`), so transposed and broadcast views need no copy. The per-product offsets travel
/// beside this struct rather than as batch strides, because broadcast batch axes of any
/// rank do not fold into one stride (and a batched GPU gemm takes pointer arrays anyway).
/// The output is dense: `(batch, m, n)` in row-major order.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MatmulParams {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub batch: usize,
    pub a_rs: usize,
    pub a_cs: usize,
    pub b_rs: usize,
    pub b_cs: usize,
}

/// Softmax along one axis of a dense tensor viewed as `(outer, n, inner)`: the axis has
/// length `n` and stride `inner`. `log` selects log-softmax.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SoftmaxParams {
    pub outer: usize,
    pub n: usize,
    pub inner: usize,
    pub log: bool,
}

/// One 2-D pooling problem over an NHWC input (1-D pooling is the `h = 1` case).
///
/// # Shapes
/// Input `(n, h, w, c)`, output `(n, h_out, w_out, c)`. Output row `oh` reads padded rows
/// `oh * stride_h .. oh * stride_h + ph`, i.e. input rows shifted up by `pad_top`; padded
/// cells take no part in a window. The op guarantees every pad is smaller than the pool
/// size on its axis, so every window holds at least one real cell.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pool2dParams {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub ph: usize,
    pub pw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_bottom: usize,
    pub pad_left: usize,
    pub pad_right: usize,
    pub h_out: usize,
    pub w_out: usize,
}

/// One 2-D convolution: input `(n, h, w, c_in)` NHWC, kernel `(kh, kw, c_in / groups,
/// c_out)` HWIO, output `(n, h_out, w_out, c_out)`. Padding is explicit per side; the op
/// has already checked that `h_out`/`w_out` come from `ops::geometry::output_size`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Conv2dParams {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c_in: usize,
    pub kh: usize,
    pub kw: usize,
    pub c_out: usize,
    pub groups: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dil_h: usize,
    pub dil_w: usize,
    pub pad_top: usize,
    pub pad_bottom: usize,
    pub pad_left: usize,
    pub pad_right: usize,
    pub h_out: usize,
    pub w_out: usize,
}

/// Local response normalization (TensorFlow's `local_response_normalization`) along the
/// last axis of a dense tensor viewed as `(outer, c)`: for every lane of `c` channels,
/// `s[d] = bias + alpha * sum(x[d - depth_radius ..= d + depth_radius]^2)` (the window
/// clipped to the lane) and `y[d] = x[d] * s[d]^-beta`. `alpha` is not divided by the
/// window size.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LrnParams {
    pub outer: usize,
    pub c: usize,
    pub depth_radius: usize,
    pub bias: f32,
    pub alpha: f32,
    pub beta: f32,
}
