//! Strided views: a shape, per-axis strides (in elements) and a start offset into shared
//! storage. Views (permute, narrow, broadcast, unsqueeze) only change the layout; a copy
//! happens only in `contiguous()`.

use crate::{Error, Result, Shape};

/// Where the elements of a tensor sit in its storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Shape,
    strides: Vec<usize>,
    offset: usize,
}

impl Layout {
    /// A dense row-major layout starting at offset 0.
    pub fn contiguous(shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        let strides = shape.contiguous_strides();
        Layout { shape, strides, offset: 0 }
    }

    /// The shape of the view.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }
    /// The dimensions of the view.
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }
    /// Per-axis strides in elements (0 on broadcast axes).
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }
    /// Index of the first element in storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// True when the elements are dense and in row-major order (size-1 axes ignored).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&d, &s) in self.dims().iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected = expected.saturating_mul(d);
        }
        true
    }

    /// The contiguous range `offset..offset + numel` when [`Layout::is_contiguous`].
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous().then(|| self.offset..self.offset + self.shape.numel())
    }

    /// Reorders the axes: output axis `i` is input axis `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Result<Layout> {
        let rank = self.shape.rank();
        let mut seen = vec![false; rank];
        if perm.len() != rank || perm.iter().any(|&p| p >= rank || std::mem::replace(&mut seen[p], true)) {
            return Err(Error::arg(
                "permute",
                format!("{perm:?} is not a permutation of the axes of shape {}", self.shape),
            ));
        }
        let dims: Vec<usize> = perm.iter().map(|&p| self.dims()[p]).collect();
        let strides = perm.iter().map(|&p| self.strides[p]).collect();
        Ok(Layout { shape: Shape::new(dims), strides, offset: self.offset })
    }

    /// Elements `start..start + len` of `axis`.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Layout> {
        let size = self.dims()[axis];
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(Error::arg(
                "narrow",
                format!(
                    "range {start}..{} is outside axis {axis} of size {size} (shape {})",
                    start.saturating_add(len),
                    self.shape
                ),
            ));
        }
        let mut dims = self.dims().to_vec();
        dims[axis] = len;
        let offset = if len == 0 { self.offset } else { self.offset + start * self.strides[axis] };
        Ok(Layout { shape: Shape::new(dims), strides: self.strides.clone(), offset })
    }

    /// A view with stride 0 along broadcast axes; `target` must be a numpy broadcast of
    /// this shape.
    pub fn broadcast_to(&self, target: &Shape) -> Result<Layout> {
        let rank = target.rank();
        let own = self.shape.rank();
        let bad = || Error::shape("broadcast_to", format!("cannot broadcast {} to {}", self.shape, target));
        if own > rank {
            return Err(bad());
        }
        let mut strides = vec![0; rank];
        for i in 0..own {
            let t = rank - own + i;
            let d = self.dims()[i];
            if d == target.dims()[t] {
                strides[t] = self.strides[i];
            } else if d == 1 {
                strides[t] = 0;
            } else {
                return Err(bad());
            }
        }
        Ok(Layout { shape: target.clone(), strides, offset: self.offset })
    }

    /// Inserts a size-1 axis at `axis` (0..=rank).
    pub fn unsqueeze(&self, axis: usize) -> Layout {
        let mut dims = self.dims().to_vec();
        let mut strides = self.strides.clone();
        let stride = if axis < dims.len() { dims[axis] * strides[axis] } else { 1 };
        dims.insert(axis, 1);
        strides.insert(axis, stride);
        Layout { shape: Shape::new(dims), strides, offset: self.offset }
    }

    /// Removes a size-1 axis.
    pub fn squeeze(&self, axis: usize) -> Layout {
        let mut dims = self.dims().to_vec();
        let mut strides = self.strides.clone();
        dims.remove(axis);
        strides.remove(axis);
        Layout { shape: Shape::new(dims), strides, offset: self.offset }
    }

    /// The same elements under a new shape, without copying, if the layout allows it
    /// (contiguous). Returns `None` when a copy is needed.
    pub fn reshape(&self, shape: &Shape) -> Option<Layout> {
        if !self.is_contiguous() || shape.numel() != self.shape.numel() {
            return None;
        }
        Some(Layout { shape: shape.clone(), strides: shape.contiguous_strides(), offset: self.offset })
    }

    /// Calls `f(offset)` for every element in row-major order of the view.
    pub fn for_each_offset(&self, mut f: impl FnMut(usize)) {
        let n = self.shape.numel();
        if n == 0 {
            return;
        }
        let rank = self.shape.rank();
        if rank == 0 {
            f(self.offset);
            return;
        }
        let dims = self.dims();
        let inner = dims[rank - 1];
        let inner_stride = self.strides[rank - 1];
        let mut idx = vec![0usize; rank];
        let mut base = self.offset;
        loop {
            let mut off = base;
            for _ in 0..inner {
                f(off);
                off += inner_stride;
            }
            // Odometer over the outer axes.
            let mut ax = rank - 1;
            loop {
                if ax == 0 {
                    return;
                }
                ax -= 1;
                idx[ax] += 1;
                base += self.strides[ax];
                if idx[ax] < dims[ax] {
                    break;
                }
                base -= self.strides[ax] * dims[ax];
                idx[ax] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permuted_offsets_walk_the_transpose() {
        let l = Layout::contiguous([2, 3]).permute(&[1, 0]).unwrap();
        let mut offs = vec![];
        l.for_each_offset(|o| offs.push(o));
        assert_eq!(offs, vec![0, 3, 1, 4, 2, 5]);
        assert!(!l.is_contiguous());
    }

    #[test]
    fn broadcast_repeats_with_zero_stride() {
        let l = Layout::contiguous([3, 1]).broadcast_to(&Shape::new([2, 3, 2])).unwrap();
        let mut offs = vec![];
        l.for_each_offset(|o| offs.push(o));
        assert_eq!(offs, vec![0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
    }

    #[test]
    fn narrow_moves_the_offset() {
        let l = Layout::contiguous([4, 5]).narrow(1, 2, 3).unwrap();
        assert_eq!(l.offset(), 2);
        assert!(Layout::contiguous([4, 5]).narrow(1, 4, 3).is_err());
    }
}
