//! `Tensor`: shared storage + a strided layout + an optional autodiff node.
//!
//! Cloning a tensor is cheap (an `Arc` bump). Views share storage; ops return new
//! tensors. Parameters are updated in place through [`Tensor::update_f32`] by optimizers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use half::{bf16, f16};

use crate::autodiff::{self, GradKind, Node};
use crate::storage::{try_alloc, CpuStorage, Device, Storage};
use crate::{DType, Error, Layout, Result, Shape};

/// A process-unique identity, used to key gradients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(u64);

impl TensorId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TensorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// An n-dimensional array of f32 (or another [`DType`]) with reverse-mode autodiff.
#[derive(Clone)]
pub struct Tensor(Arc<Inner>);

struct Inner {
    id: TensorId,
    storage: Arc<RwLock<Storage>>,
    layout: Layout,
    grad: GradKind,
}

impl Tensor {
    // ----- construction -------------------------------------------------------------

    pub(crate) fn from_parts(storage: Arc<RwLock<Storage>>, layout: Layout, grad: GradKind) -> Tensor {
        Tensor(Arc::new(Inner { id: TensorId::next(), storage, layout, grad }))
    }

    /// A contiguous tensor owning `storage`; `shape.numel()` must equal its length.
    pub(crate) fn from_storage(storage: Storage, shape: impl Into<Shape>) -> Tensor {
        Self::from_parts(Arc::new(RwLock::new(storage)), Layout::contiguous(shape), GradKind::None)
    }

    /// A contiguous f32 tensor from a kernel's output buffer.
    pub(crate) fn from_f32_vec(data: Vec<f32>, shape: impl Into<Shape>) -> Tensor {
        Self::from_storage(Storage::Cpu(CpuStorage::F32(data)), shape)
    }

    /// A tensor of `shape` holding `data` in row-major order.
    ///
    /// # Shapes
    /// `data.len()` must equal the product of `shape`.
    pub fn from_vec(data: Vec<f32>, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        check_len("from_vec", data.len(), &shape)?;
        Ok(Self::from_f32_vec(data, shape))
    }

    /// Copies `data` into a new tensor of `shape`.
    pub fn from_slice(data: &[f32], shape: impl Into<Shape>) -> Result<Tensor> {
        Self::from_vec(data.to_vec(), shape)
    }

    /// An int64 tensor (indices for `index_select`, labels).
    pub fn from_vec_i64(data: Vec<i64>, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        check_len("from_vec_i64", data.len(), &shape)?;
        Ok(Self::from_storage(Storage::Cpu(CpuStorage::I64(data)), shape))
    }

    /// A rank-0 tensor.
    pub fn scalar(value: f32) -> Tensor {
        Self::from_f32_vec(vec![value], Shape::scalar())
    }

    /// A tensor of `shape` filled with `value`; out of memory is an error.
    pub fn full(shape: impl Into<Shape>, value: f32) -> Result<Tensor> {
        let shape = shape.into();
        let data = try_alloc("full", &shape, value)?;
        Ok(Self::from_f32_vec(data, shape))
    }

    /// A tensor of zeros; out of memory is an error.
    pub fn zeros(shape: impl Into<Shape>) -> Result<Tensor> {
        Self::full(shape, 0.0)
    }

    /// A tensor of ones.
    pub fn ones(shape: impl Into<Shape>) -> Result<Tensor> {
        Self::full(shape, 1.0)
    }

    /// Zeros with this tensor's shape.
    pub fn zeros_like(&self) -> Result<Tensor> {
        Self::zeros(self.shape().clone())
    }

    /// `0, 1, ..., n-1` as f32, shape `(n,)`.
    pub fn arange(n: usize) -> Result<Tensor> {
        let shape = Shape::new([n]);
        let mut data = try_alloc("arange", &shape, 0.0f32)?;
        data.iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
        Ok(Self::from_f32_vec(data, shape))
    }

    // ----- accessors ----------------------------------------------------------------

    /// The identity that keys this tensor's gradient.
    pub fn id(&self) -> TensorId {
        self.0.id
    }
    /// The shape of this tensor.
    pub fn shape(&self) -> &Shape {
        self.0.layout.shape()
    }
    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        self.0.layout.dims()
    }
    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.dims().len()
    }
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape().numel()
    }
    /// Shape, strides and offset of this view into its storage.
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    /// True when the elements are dense and row-major.
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }
    /// The element type.
    pub fn dtype(&self) -> DType {
        self.read().dtype()
    }
    /// Where the data lives.
    pub fn device(&self) -> Device {
        self.read().device()
    }

    /// Size of one axis (negative counts from the end).
    pub fn dim(&self, axis: isize) -> Result<usize> {
        self.shape().dim(axis)
    }

    pub(crate) fn grad_kind(&self) -> &GradKind {
        &self.0.grad
    }

    /// Read access to the storage. A poisoned lock only means another thread panicked
    /// mid-write; the data is still the best we have, so we take it.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Storage> {
        self.0.storage.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The f32 elements of a contiguous tensor, borrowed from storage.
    pub(crate) fn f32_data(&self, op: &'static str) -> Result<F32Data<'_>> {
        let range =
            self.layout().contiguous_range().ok_or_else(|| Error::arg(op, "internal: expected a contiguous tensor"))?;
        let guard = self.read();
        guard.as_f32(op)?;
        Ok(F32Data { guard, range })
    }

    // ----- data out -----------------------------------------------------------------

    /// The elements in row-major order as f32 (f16/bf16/i64 are converted).
    pub fn to_vec_f32(&self) -> Result<Vec<f32>> {
        let guard = self.read();
        let layout = self.layout();
        let Storage::Cpu(cpu) = &*guard;
        let out = match cpu {
            CpuStorage::F32(v) => gather(layout, v, |x| *x)?,
            CpuStorage::F16(v) => gather(layout, v, |x| x.to_f32())?,
            CpuStorage::BF16(v) => gather(layout, v, |x| x.to_f32())?,
            CpuStorage::I64(v) => gather(layout, v, |x| *x as f32)?,
        };
        Ok(out)
    }

    /// The elements in row-major order as i64 (only for int64 tensors).
    pub fn to_vec_i64(&self) -> Result<Vec<i64>> {
        let guard = self.read();
        let v = guard.as_i64("to_vec_i64")?;
        gather(self.layout(), v, |x| *x)
    }

    /// The value of a one-element tensor.
    pub fn to_scalar(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(Error::shape("to_scalar", format!("expected one element, got shape {}", self.shape())));
        }
        Ok(self.to_vec_f32()?[0])
    }

    /// A dense row-major copy (or this tensor itself when it already is one). Recorded
    /// for autodiff: the gradient passes through unchanged.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        let copy = self.copy_storage()?;
        Ok(autodiff::record(copy, "contiguous", &[self], || Box::new(|g, _| Ok(vec![Some(g.clone())]))))
    }

    /// A dense copy of this view, untracked.
    fn copy_storage(&self) -> Result<Tensor> {
        let guard = self.read();
        let layout = self.layout();
        let shape = self.shape().clone();
        let Storage::Cpu(cpu) = &*guard;
        let cpu = match cpu {
            CpuStorage::F32(v) => CpuStorage::F32(gather(layout, v, |x| *x)?),
            CpuStorage::F16(v) => CpuStorage::F16(gather(layout, v, |x| *x)?),
            CpuStorage::BF16(v) => CpuStorage::BF16(gather(layout, v, |x| *x)?),
            CpuStorage::I64(v) => CpuStorage::I64(gather(layout, v, |x| *x)?),
        };
        Ok(Tensor::from_storage(Storage::Cpu(cpu), shape))
    }

    /// Converts to another element type (a copy, not recorded for autodiff).
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        let guard = self.read();
        let layout = self.layout();
        let Storage::Cpu(cpu) = &*guard;
        let f: Vec<f32> = match cpu {
            CpuStorage::F32(v) => gather(layout, v, |x| *x)?,
            CpuStorage::F16(v) => gather(layout, v, |x| x.to_f32())?,
            CpuStorage::BF16(v) => gather(layout, v, |x| x.to_f32())?,
            CpuStorage::I64(v) if dtype == DType::I64 => {
                let data = gather(layout, v, |x| *x)?;
                return Ok(Tensor::from_storage(Storage::Cpu(CpuStorage::I64(data)), self.shape().clone()));
            }
            CpuStorage::I64(v) => gather(layout, v, |x| *x as f32)?,
        };
        let out = match dtype {
            DType::F32 => CpuStorage::F32(f),
            DType::F16 => CpuStorage::F16(f.iter().map(|&x| f16::from_f32(x)).collect()),
            DType::BF16 => CpuStorage::BF16(f.iter().map(|&x| bf16::from_f32(x)).collect()),
            // Float to int truncates toward zero, like numpy's astype.
            DType::I64 => CpuStorage::I64(f.iter().map(|&x| x as i64).collect()),
        };
        Ok(Tensor::from_storage(Storage::Cpu(out), self.shape().clone()))
    }

    // ----- in-place updates (optimizers) --------------------------------------------

    /// Runs `f` on the f32 elements of this contiguous tensor in place. For parameter
    /// updates: it is not recorded, and tensors sharing the storage see the change.
    pub fn update_f32(&self, f: impl FnOnce(&mut [f32])) -> Result<()> {
        let range = self
            .layout()
            .contiguous_range()
            .ok_or_else(|| Error::arg("update_f32", format!("tensor of shape {} is a strided view", self.shape())))?;
        let mut guard = self.0.storage.write().unwrap_or_else(|e| e.into_inner());
        let data = guard.as_f32_mut("update_f32")?;
        f(&mut data[range]);
        Ok(())
    }

    /// Copies `src` (same shape) into this tensor's storage in place.
    pub fn assign(&self, src: &Tensor) -> Result<()> {
        if src.shape() != self.shape() {
            return Err(Error::shape(
                "assign",
                format!("cannot assign shape {} to shape {}", src.shape(), self.shape()),
            ));
        }
        let values = src.to_vec_f32()?;
        self.update_f32(|d| d.copy_from_slice(&values))
    }

    // ----- autodiff -----------------------------------------------------------------

    /// A leaf tensor sharing this storage that records gradients (a trainable variable).
    pub fn requires_grad(&self) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), self.layout().clone(), GradKind::Leaf)
    }

    /// Whether gradients flow to or through this tensor.
    pub fn tracks_grad(&self) -> bool {
        !matches!(self.0.grad, GradKind::None)
    }

    /// Whether this is a leaf that collects a gradient (made by [`Tensor::requires_grad`]).
    pub fn is_leaf_var(&self) -> bool {
        matches!(self.0.grad, GradKind::Leaf)
    }

    /// The same data, cut from the graph.
    pub fn detach(&self) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), self.layout().clone(), GradKind::None)
    }

    pub(crate) fn with_node(&self, node: Node) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), self.layout().clone(), GradKind::Op(Arc::new(node)))
    }

    /// A view of the same storage with another layout, keeping no graph (used by view ops
    /// which then record their own backward).
    pub(crate) fn view_with_layout(&self, layout: Layout) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), layout, GradKind::None)
    }
}

/// Borrowed contiguous f32 elements of a tensor.
pub(crate) struct F32Data<'a> {
    guard: RwLockReadGuard<'a, Storage>,
    range: std::ops::Range<usize>,
}

impl std::ops::Deref for F32Data<'_> {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        match &*self.guard {
            Storage::Cpu(CpuStorage::F32(v)) => &v[self.range.clone()],
            // f32_data checked the dtype before building this.
            _ => &[],
        }
    }
}

fn check_len(op: &'static str, len: usize, shape: &Shape) -> Result<()> {
    if shape.checked_numel() != Some(len) {
        return Err(Error::shape(op, format!("{len} values do not fill shape {shape} ({} elements)", shape.numel())));
    }
    Ok(())
}

/// Reads a strided view into a dense vector, converting each element with `f`. A view
/// can be far larger than its storage (broadcasting), so the allocation is checked.
fn gather<T, U>(layout: &Layout, src: &[T], f: impl Fn(&T) -> U) -> Result<Vec<U>> {
    let shape = layout.shape();
    let oom = || Error::OutOfMemory {
        op: "copy",
        shape: shape.clone(),
        bytes: (shape.numel() as u128).saturating_mul(std::mem::size_of::<U>() as u128),
    };
    let mut out = Vec::new();
    out.try_reserve_exact(shape.checked_numel().ok_or_else(oom)?).map_err(|_| oom())?;
    if let Some(r) = layout.contiguous_range() {
        out.extend(src[r].iter().map(f));
    } else {
        layout.for_each_offset(|o| out.push(f(&src[o])));
    }
    Ok(out)
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor(shape={}, dtype={}", self.shape(), self.dtype())?;
        if let Ok(v) = self.to_vec_f32() {
            let shown: Vec<f32> = v.iter().take(8).copied().collect();
            write!(f, ", data={shown:?}{}", if v.len() > 8 { "..." } else { "" })?;
        }
        write!(f, ")")
    }
}
