//! Element types. Compute is f32 today; f16/bf16 are storage types ready for mixed
//! precision, and i64 carries indices (argmax, gather, embedding lookups).

/// The element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit float: the compute type.
    F32,
    /// IEEE half precision (storage).
    F16,
    /// bfloat16 (storage).
    BF16,
    /// 64-bit signed integer: indices and labels.
    I64,
}

impl DType {
    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::BF16 => 2,
            DType::I64 => 8,
        }
    }

    /// Whether this is a floating-point type.
    pub fn is_float(self) -> bool {
        !matches!(self, DType::I64)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            DType::F32 => "float32",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I64 => "int64",
        };
        f.write_str(s)
    }
}
