//! Shape and data movement: views (reshape, permute, narrow, broadcast, unsqueeze,
//! squeeze) that share storage, and copies (concat, stack, split, index_select, pad).
//! Each backward is the inverse movement of the gradient.

use crate::autodiff::record;
use crate::backend;
use crate::{normalize_axis, DType, Error, Layout, Result, Shape, Tensor};

impl Tensor {
    /// The same elements under `shape` (a view when contiguous, else a copy).
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.checked_numel() != Some(self.numel()) {
            return Err(Error::shape(
                "reshape",
                format!("cannot reshape {} ({} elements) to {}", self.shape(), self.numel(), shape),
            ));
        }
        if &shape == self.shape() {
            return Ok(self.clone());
        }
        let src = self.contiguous()?;
        let layout = src
            .layout()
            .reshape(&shape)
            .ok_or_else(|| Error::arg("reshape", "internal: contiguous layout refused reshape"))?;
        let out = src.view_with_layout(layout);
        Ok(record(out, "reshape", &[&src], || {
            let s = src.shape().clone();
            Box::new(move |g, _| Ok(vec![Some(g.reshape(s.clone())?)]))
        }))
    }

    /// Reshape where one dimension may be `-1` (inferred), as numpy and Keras `Reshape`.
    pub fn reshape_infer(&self, dims: &[isize]) -> Result<Tensor> {
        let known: usize = dims.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        let unknown = dims.iter().filter(|&&d| d == -1).count();
        if dims.iter().any(|&d| d < -1) || unknown > 1 {
            return Err(Error::arg("reshape", format!("dimensions must be >= 0 with at most one -1, got {dims:?}")));
        }
        let fill = if unknown == 1 {
            if known == 0 || !self.numel().is_multiple_of(known) {
                return Err(Error::shape(
                    "reshape",
                    format!("cannot reshape {} ({} elements) to {dims:?}", self.shape(), self.numel()),
                ));
            }
            self.numel() / known
        } else {
            0
        };
        let shape: Vec<usize> = dims.iter().map(|&d| if d == -1 { fill } else { d as usize }).collect();
        self.reshape(shape)
    }

    /// Collapses axes `start..=end` into one.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.rank() == 0 {
            return self.reshape([1]);
        }
        let s = normalize_axis("flatten", start, self.rank())?;
        let e = normalize_axis("flatten", end, self.rank())?;
        if s > e {
            return Err(Error::arg("flatten", format!("start axis {start} is after end axis {end}")));
        }
        let mut dims = self.dims()[..s].to_vec();
        dims.push(self.dims()[s..=e].iter().product());
        dims.extend_from_slice(&self.dims()[e + 1..]);
        self.reshape(dims)
    }

    /// A view repeating size-1 (and missing leading) axes up to `shape`, numpy-style.
    pub fn broadcast_to(&self, shape: &Shape) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        let out = self.view_with_layout(self.layout().broadcast_to(shape)?);
        Ok(record(out, "broadcast_to", &[self], || {
            let s = self.shape().clone();
            Box::new(move |g, _| Ok(vec![Some(g.sum_to_shape(&s)?)]))
        }))
    }

    /// Reorders axes: output axis `i` is input axis `perm[i]` (a view).
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        let out = self.view_with_layout(self.layout().permute(perm)?);
        Ok(record(out, "permute", &[self], || {
            let mut inverse = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            Box::new(move |g, _| Ok(vec![Some(g.permute(&inverse)?)]))
        }))
    }

    /// Swaps two axes (a view).
    pub fn transpose(&self, a: isize, b: isize) -> Result<Tensor> {
        let a = normalize_axis("transpose", a, self.rank())?;
        let b = normalize_axis("transpose", b, self.rank())?;
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Inserts a size-1 axis at `axis` (`-1` appends), a view.
    pub fn unsqueeze(&self, axis: isize) -> Result<Tensor> {
        let a = normalize_axis("unsqueeze", axis, self.rank() + 1)?;
        let out = self.view_with_layout(self.layout().unsqueeze(a));
        Ok(record(out, "unsqueeze", &[self], || {
            let s = self.shape().clone();
            Box::new(move |g, _| Ok(vec![Some(g.reshape(s.clone())?)]))
        }))
    }

    /// Removes the size-1 axis `axis`, a view.
    pub fn squeeze(&self, axis: isize) -> Result<Tensor> {
        let a = normalize_axis("squeeze", axis, self.rank())?;
        if self.dims()[a] != 1 {
            return Err(Error::shape(
                "squeeze",
                format!("axis {axis} of shape {} has size {}, not 1", self.shape(), self.dims()[a]),
            ));
        }
        let out = self.view_with_layout(self.layout().squeeze(a));
        Ok(record(out, "squeeze", &[self], || {
            let s = self.shape().clone();
            Box::new(move |g, _| Ok(vec![Some(g.reshape(s.clone())?)]))
        }))
    }

    /// Elements `start..start + len` along `axis`, a view.
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Tensor> {
        let a = normalize_axis("narrow", axis, self.rank())?;
        let out = self.view_with_layout(self.layout().narrow(a, start, len)?);
        Ok(record(out, "narrow", &[self], || {
            let dims = self.dims().to_vec();
            Box::new(move |g, _| {
                let mut pads = vec![(0, 0); dims.len()];
                pads[a] = (start, dims[a] - start - len);
                Ok(vec![Some(g.pad(&pads, 0.0)?)])
            })
        }))
    }

    /// Joins tensors along `axis`; all other dimensions must match.
    pub fn concat(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors.first().ok_or_else(|| Error::arg("concat", "needs at least one tensor"))?;
        let a = normalize_axis("concat", axis, first.rank())?;
        for t in tensors {
            let same = t.rank() == first.rank()
                && t.dims().iter().zip(first.dims()).enumerate().all(|(i, (x, y))| i == a || x == y);
            if !same {
                let shapes: Vec<String> = tensors.iter().map(|t| t.shape().to_string()).collect();
                return Err(Error::shape("concat", format!("shapes {} differ outside axis {axis}", shapes.join(", "))));
            }
        }
        let mut dims = first.dims().to_vec();
        dims[a] = tensors.iter().map(|t| t.dims()[a]).sum();
        let out_shape = Shape::new(dims);
        let full = Layout::contiguous(out_shape.clone());
        let mut parts = Vec::with_capacity(tensors.len());
        let mut starts = Vec::with_capacity(tensors.len());
        let mut at = 0;
        for t in tensors {
            parts.push((*t, full.narrow(a, at, t.dims()[a])?));
            starts.push(at);
            at += t.dims()[a];
        }
        let out = backend::assemble(&out_shape, 0.0, &parts, "concat")?;
        Ok(record(out, "concat", tensors, || {
            let lens: Vec<usize> = tensors.iter().map(|t| t.dims()[a]).collect();
            Box::new(move |g, needs| {
                let mut grads = Vec::with_capacity(lens.len());
                for ((&s, &l), &need) in starts.iter().zip(&lens).zip(needs) {
                    grads.push(if need { Some(g.narrow(a as isize, s, l)?.contiguous()?) } else { None });
                }
                Ok(grads)
            })
        }))
    }

    /// Stacks same-shaped tensors along a new axis `axis`.
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors.first().ok_or_else(|| Error::arg("stack", "needs at least one tensor"))?;
        if let Some(t) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(Error::shape(
                "stack",
                format!("all tensors must have one shape, got {} and {}", first.shape(), t.shape()),
            ));
        }
        let a = normalize_axis("stack", axis, first.rank() + 1)? as isize;
        let expanded: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(a)).collect::<Result<_>>()?;
        let refs: Vec<&Tensor> = expanded.iter().collect();
        Tensor::concat(&refs, a)
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the axis).
    pub fn split(&self, sizes: &[usize], axis: isize) -> Result<Vec<Tensor>> {
        let a = normalize_axis("split", axis, self.rank())?;
        if sizes.iter().sum::<usize>() != self.dims()[a] {
            return Err(Error::shape(
                "split",
                format!("sizes {sizes:?} do not add up to axis {axis} of shape {}", self.shape()),
            ));
        }
        let mut at = 0;
        let mut out = Vec::with_capacity(sizes.len());
        for &s in sizes {
            out.push(self.narrow(a as isize, at, s)?);
            at += s;
        }
        Ok(out)
    }

    /// numpy `take`: picks entries of `axis` by the int64 `indices` (any shape; negative
    /// indices count from the end). Output shape: `dims[..axis] + indices.shape +
    /// dims[axis+1..]`. Embedding lookup is `table.index_select(0, &ids)`.
    ///
    /// The source may be f32 (differentiable) or int64 (labels, token ids: gathered
    /// without a gradient, the result int64).
    pub fn index_select(&self, axis: isize, indices: &Tensor) -> Result<Tensor> {
        let a = normalize_axis("index_select", axis, self.rank())?;
        let n = self.dims()[a];
        let idx: Vec<usize> = indices
            .to_vec_i64()?
            .into_iter()
            .map(|i| {
                let j = if i < 0 { i + n as i64 } else { i };
                if j < 0 || j >= n as i64 {
                    Err(Error::Index { op: "index_select", index: i, size: n })
                } else {
                    Ok(j as usize)
                }
            })
            .collect::<Result<_>>()?;
        let outer: usize = self.dims()[..a].iter().product();
        let inner: usize = self.dims()[a + 1..].iter().product();
        let mut dims = self.dims()[..a].to_vec();
        dims.extend_from_slice(indices.dims());
        dims.extend_from_slice(&self.dims()[a + 1..]);
        if self.dtype() == DType::I64 {
            let src = self.to_vec_i64()?;
            let mut out = Vec::with_capacity(outer * idx.len() * inner);
            for o in 0..outer {
                for &j in &idx {
                    out.extend_from_slice(&src[(o * n + j) * inner..(o * n + j + 1) * inner]);
                }
            }
            return Tensor::from_vec_i64(out, dims);
        }
        let x = self.detach().contiguous()?;
        let data = backend::take(&x, outer, n, inner, &idx, "index_select")?;
        let out = Tensor::from_f32_vec(data, dims);
        Ok(record(out, "index_select", &[self], || {
            let in_shape = self.shape().clone();
            Box::new(move |g, _| {
                let g = g.contiguous()?;
                let gx = backend::take_backward(&g, outer, n, inner, &idx, "index_select")?;
                Ok(vec![Some(Tensor::from_f32_vec(gx, in_shape.clone()))])
            })
        }))
    }

    /// Pads with `value`: `pads[i] = (before, after)` for axis `i`.
    pub fn pad(&self, pads: &[(usize, usize)], value: f32) -> Result<Tensor> {
        if pads.len() != self.rank() {
            return Err(Error::arg(
                "pad",
                format!(
                    "got {} (before, after) pairs for a tensor of rank {} (shape {})",
                    pads.len(),
                    self.rank(),
                    self.shape()
                ),
            ));
        }
        if pads.iter().all(|&(b, a)| b == 0 && a == 0) {
            return Ok(self.clone());
        }
        let dims: Vec<usize> = self
            .dims()
            .iter()
            .zip(pads)
            .map(|(&d, &(b, a))| d.checked_add(b).and_then(|x| x.checked_add(a)))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::arg("pad", format!("padding {pads:?} overflows shape {}", self.shape())))?;
        let out_shape = Shape::new(dims);
        let mut region = Layout::contiguous(out_shape.clone());
        for (ax, (&d, &(b, _))) in self.dims().iter().zip(pads).enumerate() {
            region = region.narrow(ax, b, d)?;
        }
        let out = backend::assemble(&out_shape, value, &[(self, region)], "pad")?;
        Ok(record(out, "pad", &[self], || {
            let own = self.dims().to_vec();
            let pads = pads.to_vec();
            Box::new(move |g, _| {
                let mut v = g.clone();
                for (ax, (&d, &(b, _))) in own.iter().zip(&pads).enumerate() {
                    v = v.narrow(ax as isize, b, d)?;
                }
                Ok(vec![Some(v.contiguous()?)])
            })
        }))
    }
}
