//! Where tensor data lives. `Storage` is the one enum over devices (CPU today; a CUDA
//! variant slots in beside it), and `CpuStorage` the one enum over element types.

use half::{bf16, f16};

use crate::{DType, Error, Result, Shape};

/// The device a tensor lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    /// Host memory and CPU kernels.
    Cpu,
}

/// Tensor data on some device.
#[derive(Debug)]
pub(crate) enum Storage {
    Cpu(CpuStorage),
}

/// Host memory, one variant per element type.
#[derive(Debug, Clone)]
pub(crate) enum CpuStorage {
    F32(Vec<f32>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    I64(Vec<i64>),
}

impl Storage {
    pub(crate) fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    pub(crate) fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(c) => c.dtype(),
        }
    }

    /// The whole f32 buffer, or a dtype error naming `op`.
    pub(crate) fn as_f32(&self, op: &'static str) -> Result<&[f32]> {
        match self {
            Storage::Cpu(CpuStorage::F32(v)) => Ok(v),
            other => Err(Error::DType { op, dtype: other.dtype(), expected: "float32" }),
        }
    }

    pub(crate) fn as_f32_mut(&mut self, op: &'static str) -> Result<&mut [f32]> {
        match self {
            Storage::Cpu(CpuStorage::F32(v)) => Ok(v),
            other => Err(Error::DType { op, dtype: other.dtype(), expected: "float32" }),
        }
    }

    pub(crate) fn as_i64(&self, op: &'static str) -> Result<&[i64]> {
        match self {
            Storage::Cpu(CpuStorage::I64(v)) => Ok(v),
            other => Err(Error::DType { op, dtype: other.dtype(), expected: "int64" }),
        }
    }
}

impl CpuStorage {
    pub(crate) fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F16(_) => DType::F16,
            CpuStorage::BF16(_) => DType::BF16,
            CpuStorage::I64(_) => DType::I64,
        }
    }
}

/// A vector of `len` copies of `fill`, or an out-of-memory error instead of an abort.
pub(crate) fn try_alloc<T: Clone>(op: &'static str, shape: &Shape, fill: T) -> Result<Vec<T>> {
    let oom = || Error::OutOfMemory {
        op,
        shape: shape.clone(),
        bytes: shape.dims().iter().fold(std::mem::size_of::<T>() as u128, |a, &d| a.saturating_mul(d as u128)),
    };
    let len = shape.checked_numel().ok_or_else(oom)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| oom())?;
    v.resize(len, fill);
    Ok(v)
}

/// `try_alloc` for f32 zeros, the common case for kernel outputs. Through
/// `alloc_zeroed` (calloc) rather than malloc + fill: a large buffer comes straight from
/// fresh pages that are already zero, so the fill (0.3 ms for a 6 MiB conv grad-input)
/// is skipped where the kernel overwrites the buffer anyway.
pub(crate) fn zeros_f32(op: &'static str, shape: &Shape) -> Result<Vec<f32>> {
    let oom = || Error::OutOfMemory { op, shape: shape.clone(), bytes: (shape.numel() as u128) * 4 };
    let len = shape.checked_numel().ok_or_else(oom)?;
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<f32>(len).map_err(|_| oom())?;
    // SAFETY: `layout` has a non-zero size; a non-null result is `len` zeroed, aligned
    // f32s (all-zero bits are 0.0) owned by the Vec, which frees them with the same
    // layout (the global allocator, capacity `len`).
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut f32;
        if ptr.is_null() {
            return Err(oom());
        }
        Ok(Vec::from_raw_parts(ptr, len, len))
    }
}
